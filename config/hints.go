package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/schema"
)

// The hint keys whose values are tables (write_disposition's table form, columns), shared by the
// objects' and the resources' tables.

// tableExamples are the hints whose values are tables, with an example of each.
var tableExamples = map[string]string{"write_disposition": dispositionExample, "columns": columnsExample}

// mergeStrategy is a merge strategy write_disposition's table form may name, as dlt's dict form
// does ({ disposition = "merge", strategy = "delete-insert" }), with the keys of that table it
// reads besides disposition and strategy.
type mergeStrategy struct {
	name string
	// keys are the strategy's own keys of the table, read in this order.
	keys []string
	// set reads the strategy's key k (one of keys), found as h, into o and returns the value as
	// String shows it.
	set func(o *ObjectSettings, k string, h hit) (string, error)
}

// mergeStrategies are the merge strategies sfdlt has, the default (dlt's) first. A strategy with
// keys of its own lists them and reads them with its set.
var mergeStrategies = []mergeStrategy{
	{name: "delete-insert"}, // stage, deduplicate by primary key, delete the keys, insert
	// keep history: a row per version (see sfdlt.SCD2)
	{name: "scd2", keys: []string{"validity_column_names", "active_record_timestamp", "row_version_column_name"}, set: setSCD2Key},
}

// setSCD2Key reads one of the scd2 strategy's keys, as dlt's write_disposition dictionary
// holds them.
func setSCD2Key(o *ObjectSettings, k string, h hit) (string, error) {
	if o.SCD2 == nil {
		o.SCD2 = &sfdlt.SCD2Options{}
	}
	switch k {
	case "validity_column_names":
		list, ok := h.raw.([]any)
		var names [2]string
		if ok && len(list) == 2 {
			for i, v := range list {
				n, isString := v.(string)
				if !isString || strings.TrimSpace(n) == "" {
					ok = false
					break
				}
				names[i] = n
			}
		}
		if !ok || len(list) != 2 {
			return "", h.valueError(false, "a list of two column names (valid from, valid to)", `write validity_column_names = ["valid_from", "valid_to"]`)
		}
		if schema.NormalizeIdentifier(names[0]) == schema.NormalizeIdentifier(names[1]) {
			return "", fmt.Errorf("%s: %s: the two validity columns are both %q: give two different names", h.origin, h.key(), names[0])
		}
		o.SCD2.ValidityColumnNames = names
		return fmt.Sprintf("[%q, %q]", names[0], names[1]), nil
	case "active_record_timestamp":
		var t time.Time
		var err error
		switch v := h.raw.(type) {
		case string:
			t, err = schema.ParseActiveRecordTimestamp(strings.TrimSpace(v))
		case time.Time:
			t = v.UTC()
		case toml.LocalDate:
			t = v.AsTime(time.UTC)
		case toml.LocalDateTime:
			t = v.AsTime(time.UTC)
		default:
			err = errors.New("not a date")
		}
		if err != nil {
			return "", h.valueError(false, "a date or timestamp", `write active_record_timestamp = "9999-12-31" (or leave it out: NULL marks active rows)`)
		}
		o.SCD2.ActiveRecordTimestamp = &t
		return t.Format(time.RFC3339), nil
	case "row_version_column_name":
		v, err := h.asString(false)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(v) == "" {
			return "", h.valueError(false, "a column name", `write row_version_column_name = "SystemModstamp", or leave it out for a hash of the row`)
		}
		o.SCD2.RowVersionColumnName = v
		return fmt.Sprintf("%q", v), nil
	}
	return "", fmt.Errorf("internal error: scd2 has no key %q", k)
}

// dispositionKeys are the keys of write_disposition's table form that every strategy shares.
var dispositionKeys = []string{"disposition", "strategy"}

const (
	dispositionExpected = `"append", "replace" or "merge"`
	dispositionExample  = `{ disposition = "merge", strategy = "delete-insert" }`
)

// strategyNames lists the merge strategies, quoted, for messages.
func strategyNames() string {
	names := make([]string, len(mergeStrategies))
	for i, m := range mergeStrategies {
		names[i] = fmt.Sprintf("%q", m.name)
	}
	return strings.Join(names, ", ")
}

// setDisposition reads write_disposition: "merge" (or "append", "replace"), or dlt's table form
// { disposition = "merge", strategy = "delete-insert", <the strategy's keys> }.
func (o *ObjectSettings) setDisposition(h hit) (string, error) {
	h, err := h.envLiteral(dispositionExample)
	if err != nil {
		return "", err
	}
	switch v := h.raw.(type) {
	case string:
		w, err := parseDisposition(h, v)
		if err != nil {
			return "", err
		}
		o.WriteDisposition, o.MergeStrategy, o.SCD2 = w, "", nil
		return string(w), nil
	case map[string]any:
		return o.setDispositionTable(h, v)
	}
	return "", h.valueError(false, dispositionExpected+", or a table such as "+dispositionExample,
		`write write_disposition = "merge" (or "append", "replace")`)
}

func parseDisposition(h hit, v string) (sfdlt.WriteDisposition, error) {
	switch w := sfdlt.WriteDisposition(strings.ToLower(strings.TrimSpace(v))); w {
	case sfdlt.Append, sfdlt.Replace, sfdlt.Merge:
		return w, nil
	}
	return "", h.valueError(false, dispositionExpected, fmt.Sprintf(`write %s = "merge" (or "append", "replace")`, h.name()))
}

// setDispositionTable reads write_disposition's table form t, found as h.
func (o *ObjectSettings) setDispositionTable(h hit, t map[string]any) (string, error) {
	dh, ok := h.child(t, "disposition")
	if !ok {
		return "", fmt.Errorf("%s: %s: the table names no disposition: write %s = %s, or %s = \"merge\"",
			h.origin, h.key(), h.name(), dispositionExample, h.name())
	}
	v, err := dh.asString(false)
	if err != nil {
		return "", err
	}
	w, err := parseDisposition(dh, v)
	if err != nil {
		return "", err
	}
	var strategy *mergeStrategy
	named := ""
	if sh, ok := h.child(t, "strategy"); ok {
		if w != sfdlt.Merge {
			return "", fmt.Errorf("%s: %s: a strategy belongs to disposition \"merge\", and this one is %q: write disposition = \"merge\", or leave strategy out",
				sh.origin, sh.key(), w)
		}
		sv, err := sh.asString(false)
		if err != nil {
			return "", err
		}
		named = strings.ToLower(strings.TrimSpace(sv))
		i := slices.IndexFunc(mergeStrategies, func(m mergeStrategy) bool { return m.name == named })
		if i < 0 {
			return "", sh.valueError(false, "one of the merge strategies sfdlt has: "+strategyNames(),
				fmt.Sprintf("write strategy = %q, or leave strategy out for the default", mergeStrategies[0].name))
		}
		strategy = &mergeStrategies[i]
	} else if w == sfdlt.Merge {
		strategy = &mergeStrategies[0]
	}
	known := slices.Clone(dispositionKeys)
	if strategy != nil {
		known = append(known, strategy.keys...)
	}
	for _, k := range sortedKeys(t) {
		if slices.Contains(known, k) {
			continue
		}
		kh := h.at(k, t[k])
		fix := fmt.Sprintf("its keys are %s", strings.Join(known, ", "))
		if w != sfdlt.Merge {
			fix = fmt.Sprintf("a %s disposition's table takes only disposition", w)
		}
		for _, m := range mergeStrategies {
			if m.name != named && slices.Contains(m.keys, k) {
				fix = fmt.Sprintf("%s is a key of the %q merge strategy: write strategy = %q", k, m.name, m.name)
			}
		}
		return "", fmt.Errorf("%s: %s: write_disposition has no key %q here: %s", kh.origin, kh.key(), k, fix)
	}
	shown := string(w)
	if named != "" {
		shown += ", strategy " + named
	}
	o.SCD2 = nil
	if named == "scd2" {
		o.SCD2 = &sfdlt.SCD2Options{}
	}
	if strategy != nil {
		for _, k := range strategy.keys {
			kh, ok := h.child(t, k)
			if !ok {
				continue
			}
			v, err := strategy.set(o, k, kh)
			if err != nil {
				return "", err
			}
			shown += ", " + k + " " + v
		}
	}
	o.WriteDisposition, o.MergeStrategy = w, named
	return shown, nil
}

// columnKeys are the column hints a column's table takes, named as in dlt's column schema.
var columnKeys = []string{"data_type", "nullable", "primary_key", "merge_key", "unique", "hard_delete", "dedup_sort"}

const columnsExample = `{ Email = { data_type = "text", nullable = false } }`

// setColumns reads columns: a table of column hints per column, { Email = { nullable = false } },
// or dlt's list form, [{ name = "Email", nullable = false }].
func (o *ObjectSettings) setColumns(h hit) (string, error) {
	h, err := h.envLiteral(columnsExample)
	if err != nil {
		return "", err
	}
	type column struct {
		name string
		h    hit
		t    map[string]any
	}
	var cols []column
	switch v := h.raw.(type) {
	case map[string]any:
		for _, name := range sortedKeys(v) {
			ch := h.at(name, v[name])
			t, ok := v[name].(map[string]any)
			if !ok {
				return "", ch.valueError(false, "a table of the column's hints", fmt.Sprintf(`write %s = { nullable = false } (hints: %s)`, name, strings.Join(columnKeys, ", ")))
			}
			cols = append(cols, column{name, ch, t})
		}
	case []any:
		for _, e := range v {
			t, ok := e.(map[string]any)
			name, named := t["name"].(string)
			if !ok || !named {
				return "", fmt.Errorf("%s: %s: expected a list of tables that each name a column, found %s: write %s = [{ name = \"Email\", nullable = false }], or %s = %s",
					h.origin, h.key(), describeItem(e, ok), h.name(), h.name(), columnsExample)
			}
			rest := make(map[string]any, len(t)-1)
			for k, x := range t {
				if k != "name" {
					rest[k] = x
				}
			}
			ch := h
			ch.path = append(slices.Clone(h.path), name)
			cols = append(cols, column{name, ch, rest})
		}
	default:
		return "", h.valueError(false, "a table of columns", fmt.Sprintf("write %s = %s", h.name(), columnsExample))
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("%s: %s: no column is given: write %s = %s, or remove %s", h.origin, h.key(), h.name(), columnsExample, h.name())
	}
	notNull := map[string]string{}
	for _, c := range o.NotNull {
		notNull[schema.NormalizeIdentifier(c)] = c
	}
	out := make(map[string]sfdlt.ColumnHint, len(cols))
	seen := map[string]string{}
	var shown []string
	for _, c := range cols {
		if !client.ValidAPIName(c.name) {
			return "", fmt.Errorf("%s: %s: %q is not a column name: name a column by its Salesforce field API name or its table column (letters, digits and underscores, starting with a letter), such as %s",
				c.h.origin, c.h.key(), c.name, columnsExample)
		}
		norm := schema.NormalizeIdentifier(c.name)
		if other, dup := seen[norm]; dup {
			return "", fmt.Errorf("%s: %s: %s and %s are the same column (%s): give its hints once",
				c.h.origin, h.key(), other, c.name, norm)
		}
		seen[norm] = c.name
		hint, parts, err := parseColumn(c.h, c.t)
		if err != nil {
			return "", err
		}
		if _, given := c.t["nullable"]; given && !hint.NotNull && notNull[norm] != "" {
			return "", fmt.Errorf("%s: %s.nullable: the column is nullable here, but not_null lists %s: keep one of the two",
				c.h.origin, c.h.key(), notNull[norm])
		}
		out[c.name] = hint
		shown = append(shown, c.name+": "+strings.Join(parts, ", "))
	}
	o.Columns = out
	return strings.Join(shown, "; "), nil
}

func describeItem(v any, table bool) string {
	if table {
		return "a table with no name"
	}
	return "a list holding " + describe(v)
}

// parseColumn reads the hints of one column, t, found as h; it returns them as String shows them.
func parseColumn(h hit, t map[string]any) (sfdlt.ColumnHint, []string, error) {
	var c sfdlt.ColumnHint
	var shown []string
	for _, k := range sortedKeys(t) {
		kh, ok := h.child(t, k)
		if !ok {
			continue
		}
		switch k {
		case "data_type":
			v, err := kh.asString(false)
			if err != nil {
				return c, nil, err
			}
			dt := schema.DataType(strings.ToLower(strings.TrimSpace(v)))
			if !dt.Valid() {
				names := make([]string, len(schema.DataTypes))
				for i, d := range schema.DataTypes {
					names[i] = string(d)
				}
				return c, nil, kh.valueError(false, "a dlt data type: "+strings.Join(names, ", "), `write data_type = "text"`)
			}
			c.DataType = dt
			shown = append(shown, k+" "+string(dt))
		case "dedup_sort":
			v, err := kh.asString(false)
			if err != nil {
				return c, nil, err
			}
			v = strings.ToLower(strings.TrimSpace(v))
			if v != "asc" && v != "desc" {
				return c, nil, kh.valueError(false, `"asc" or "desc"`, `write dedup_sort = "desc" (a merge keeps the row with the last value in this order)`)
			}
			c.DedupSort = v
			shown = append(shown, k+" "+v)
		case "nullable", "primary_key", "merge_key", "unique", "hard_delete":
			b, err := kh.asBool()
			if err != nil {
				return c, nil, err
			}
			switch k {
			case "nullable":
				c.NotNull = !b
			case "primary_key":
				c.PrimaryKey = b
			case "merge_key":
				c.MergeKey = b
			case "unique":
				c.Unique = b
			case "hard_delete":
				c.HardDelete = b
			}
			shown = append(shown, fmt.Sprintf("%s %t", k, b))
		default:
			return c, nil, fmt.Errorf("%s: %s: sfdlt applies no column hint %q: the hints it applies are %s; remove %s",
				kh.origin, kh.key(), k, strings.Join(columnKeys, ", "), k)
		}
	}
	return c, shown, nil
}

// child is the value of key in the table t that h found, as a hit of its own: its path is h's
// and key, its origin the line of key where the file records one (else h's). An empty string is
// not set.
func (h hit) child(t map[string]any, key string) (hit, bool) {
	v, ok := t[key]
	if s, isString := v.(string); !ok || (isString && s == "") {
		return hit{}, false
	}
	return h.at(key, v), true
}

// at is the value v of key in the table h found, as a hit of its own (see child).
func (h hit) at(key string, v any) hit {
	c := h
	c.raw = v
	c.path = append(slices.Clone(h.path), key)
	if h.file != nil && h.file.lines[joinPath(c.path)] > 0 {
		c.origin = h.file.origin(c.path)
	}
	return c
}

// envLiteral reads the value of a variable written as a JSON object or array, or as a TOML
// inline table or array, which is how dlt reads a dict or list from a variable; any other value is
// kept as it is. example is the form the fix shows.
func (h hit) envLiteral(example string) (hit, error) {
	s, ok := h.raw.(string)
	t := strings.TrimSpace(s)
	if !h.env || !ok || (!strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[")) {
		return h, nil
	}
	var v any
	if json.Unmarshal([]byte(t), &v) == nil {
		h.raw = v
		return h, nil
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte("v = "+t), &doc); err == nil && len(doc) == 1 {
		h.raw = doc["v"]
		return h, nil
	}
	name := strings.TrimPrefix(h.origin, "env ")
	return h, fmt.Errorf("%s: %s: the value is neither JSON nor a TOML inline table or array: set %s='%s' (TOML) or the same as JSON",
		h.origin, h.key(), name, example)
}

package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/schema"
)

// ObjectSettings are the hints of one Salesforce object, as dlt's apply_hints sets them, from
// its table [sources.salesforce.objects.<Object>] (env
// SOURCES__SALESFORCE__OBJECTS__<OBJECT>__<KEY>). A zero field keeps what the object's
// resource gets without them (see sfdlt.ObjectHints).
type ObjectSettings struct {
	// WriteDisposition is write_disposition: sfdlt.Append, sfdlt.Replace or sfdlt.Merge.
	WriteDisposition sfdlt.WriteDisposition
	PrimaryKey       []string // primary_key: field (or column) names
	MergeKey         []string // merge_key: field (or column) names
	// Cursor is cursor: the field the object is loaded incrementally on, such as
	// "LastModifiedDate".
	Cursor string
	// NoIncremental is cursor = "none": the object is read in full on every run.
	NoIncremental bool
	NotNull       []string // not_null: columns that must never be null
	// MergeStrategy is the strategy of write_disposition's table form ({ disposition =
	// "merge", strategy = "delete-insert" }, dlt's dict form); "" when none is named, which is
	// dlt's default, delete-insert.
	MergeStrategy string
	// SCD2 holds the scd2 strategy's keys (validity_column_names, active_record_timestamp,
	// row_version_column_name) when MergeStrategy is "scd2"; nil otherwise.
	SCD2 *sfdlt.SCD2Options
	// Columns are columns: column hints by column (or field) name, as dlt's columns hint takes
	// them (data_type, nullable, primary_key, merge_key, unique, hard_delete, dedup_sort).
	Columns map[string]sfdlt.ColumnHint
}

// objectKeys are the keys of an object's table, in the order String shows them.
var objectKeys = []keySpec{
	{name: "write_disposition"},
	{name: "primary_key", kind: kindList},
	{name: "merge_key", kind: kindList},
	{name: "cursor"},
	{name: "not_null", kind: kindList},
	{name: "columns"}, // after not_null: a column's nullable = true is checked against it
}

// objectsPath is where the objects' tables are: sources.salesforce.objects (and, as for every
// key, under the pipeline's section first).
var objectsPath = []string{"sources", sourceName, "objects"}

// noCursor is the cursor value that makes an object read in full on every run.
const noCursor = "none"

// hints turns the settings into the hints sfdlt.ObjectHints takes.
func (o ObjectSettings) hints() sfdlt.Hints {
	h := sfdlt.Hints{
		WriteDisposition: o.WriteDisposition,
		PrimaryKey:       slices.Clone(o.PrimaryKey),
		MergeKey:         slices.Clone(o.MergeKey),
		NotNull:          slices.Clone(o.NotNull),
		NoIncremental:    o.NoIncremental,
		MergeStrategy:    sfdlt.MergeStrategy(o.MergeStrategy),
	}
	if o.SCD2 != nil {
		c := *o.SCD2
		h.SCD2 = &c
	}
	if o.Cursor != "" {
		h.Incremental = sfdlt.NewIncremental(o.Cursor, nil)
	}
	if len(o.Columns) > 0 {
		// A column's hint replaces what not_null set on it (see sfdlt.Resource.ApplyHints):
		// carry not_null into it.
		notNull := map[string]bool{}
		for _, c := range o.NotNull {
			notNull[schema.NormalizeIdentifier(c)] = true
		}
		h.Columns = make(map[string]sfdlt.ColumnHint, len(o.Columns))
		for name, c := range o.Columns {
			c.NotNull = c.NotNull || notNull[schema.NormalizeIdentifier(name)]
			h.Columns[name] = c
		}
	}
	return h
}

func (o ObjectSettings) clone() ObjectSettings {
	o.PrimaryKey = slices.Clone(o.PrimaryKey)
	o.MergeKey = slices.Clone(o.MergeKey)
	o.NotNull = slices.Clone(o.NotNull)
	o.Columns = maps.Clone(o.Columns)
	if o.SCD2 != nil {
		c := *o.SCD2
		o.SCD2 = &c
	}
	return o
}

// cloneObjects copies the objects' settings, slices included.
func cloneObjects(m map[string]ObjectSettings) map[string]ObjectSettings {
	if m == nil {
		return nil
	}
	out := make(map[string]ObjectSettings, len(m))
	for name, o := range m {
		out[name] = o.clone()
	}
	return out
}

// objectOptions turns the objects' settings into one sfdlt.ObjectHints each, in name order.
func objectOptions(m map[string]ObjectSettings) []sfdlt.SourceOption {
	var opts []sfdlt.SourceOption
	for _, name := range slices.Sorted(maps.Keys(m)) {
		opts = append(opts, sfdlt.ObjectHints(name, m[name].hints()))
	}
	return opts
}

// objectSetting names an object's key for Origin and String: objects.<Object>.<key>.
func objectSetting(object, key string) string { return "objects." + object + "." + key }

// resolveObjects resolves the objects' tables into SourceSettings.Objects. Each key is looked up
// as any other (the environment wins), with the object's name matched regardless of case.
func (c *Config) resolveObjects() []error {
	s := c.st
	names, errs := c.objectNames()
	for _, name := range names {
		o, set, es := c.resolveHints(func(key string) (hit, bool) { return s.findObjectKey(name, key) },
			func(key string) string { return objectSetting(name, key) })
		errs = append(errs, es...)
		if set {
			if s.settings.Source.Objects == nil {
				s.settings.Source.Objects = map[string]ObjectSettings{}
			}
			s.settings.Source.Objects[name] = o
		}
	}
	return errs
}

// resolveHints resolves the keys of one table of hints (an object's or a resource's): find looks
// a key up, setting names it for Origin and String. set reports whether any key was set.
func (c *Config) resolveHints(find func(key string) (hit, bool), setting func(key string) string) (o ObjectSettings, set bool, errs []error) {
	for _, k := range objectKeys {
		h, ok := find(k.name)
		if !ok {
			continue
		}
		shown, err := o.set(k, h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set = true
		c.set(setting(k.name), h, shown, false)
	}
	return o, set, errs
}

// set parses the value h of the object key k into o, returning it as String shows it.
func (o *ObjectSettings) set(k keySpec, h hit) (string, error) {
	name := k.name
	if k.kind == kindList {
		return o.setList(name, h)
	}
	switch name {
	case "write_disposition":
		return o.setDisposition(h)
	case "columns":
		return o.setColumns(h)
	case "cursor":
		v, err := h.asString(false)
		if err != nil {
			return "", err
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.EqualFold(v, noCursor):
			o.NoIncremental = true
			return noCursor, nil
		case client.ValidAPIName(v):
			o.Cursor = v
			return v, nil
		}
		return "", h.valueError(false, `a field name such as "LastModifiedDate", or "none" for a full read on every run`,
			`write cursor = "LastModifiedDate" (a Salesforce field API name) or cursor = "none"`)
	}
	return "", fmt.Errorf("%s: %s: sfdlt has no such hint", h.origin, h.key())
}

// setList parses the list key name (primary_key, merge_key, not_null) into o.
func (o *ObjectSettings) setList(name string, h hit) (string, error) {
	example := map[string]string{"primary_key": `["Id"]`, "merge_key": `["External_Id__c"]`, "not_null": `["Name"]`}[name]
	list, err := h.asList(example)
	if err != nil {
		return "", err
	}
	for _, f := range list {
		if !client.ValidAPIName(f) {
			return "", fmt.Errorf("%s: %s: %q is not a field name: use Salesforce field API names (letters, digits and underscores, starting with a letter), such as %s = %s",
				h.origin, h.key(), f, name, example)
		}
	}
	switch name {
	case "primary_key":
		o.PrimaryKey = list
	case "merge_key":
		o.MergeKey = list
	case "not_null":
		o.NotNull = list
	}
	return strings.Join(list, ","), nil
}

// findObjectKey looks the key of an object's table up as find does, matching the object's name
// regardless of case in the files (environment variable names are upper case anyway).
func (s *state) findObjectKey(object, key string) (hit, bool) {
	p := append(slices.Clone(objectsPath), object, key)
	return s.search([][]string{p}, true, func(f *tomlFile, p []string) ([]string, any, bool) {
		return f.getFold(p, len(p)-2)
	})
}

// hintTables walks the tables of hints under path (sources.salesforce.objects or .resources),
// the pipeline's section first, then secrets files before config files, as every key is looked
// up: each non-empty table goes to each with its file, base, path and name. A value at path
// that is not a table is reported by notTable, one under it by a message naming what (an
// "object" or a "resource").
func (s *state) hintTables(path []string, notTable func(f *tomlFile, base []string, v any) error, what string,
	each func(f *tomlFile, base, path []string, name string)) []error {
	var errs []error
	bases := [][]string{path}
	if s.pipeline != "" {
		bases = [][]string{append([]string{s.pipeline}, path...), path}
	}
	for _, base := range bases {
		for _, secrets := range []bool{true, false} {
			for _, f := range s.files {
				if f.secrets != secrets {
					continue
				}
				v, ok := f.get(base)
				if !ok {
					continue
				}
				m, ok := v.(map[string]any)
				if !ok {
					errs = append(errs, notTable(f, base, v))
					continue
				}
				for _, name := range sortedKeys(m) {
					p := append(slices.Clone(base), name)
					t, ok := m[name].(map[string]any)
					if !ok {
						errs = append(errs, fmt.Errorf("%s: %s: expected a table of the %s's hints, found %s: write [%s] with %s",
							f.origin(p), strings.Join(p, "."), what, describe(m[name]), strings.Join(p, "."), objectKeyNames()))
						continue
					}
					if len(t) == 0 {
						continue // an empty table sets nothing
					}
					each(f, base, p, name)
				}
			}
		}
	}
	return errs
}

// objectNames lists the objects that have a table in the files or variables in the
// environment (when Load knows the whole environment: not with Options.LookupEnv alone), one
// name per object regardless of case, spelled as the file read first spells it, else as the
// variable (upper case). It reports tables that are not tables, names that are not API names
// and one object given two tables in one file.
func (c *Config) objectNames() ([]string, []error) {
	s := c.st
	var names []string
	var errs []error
	seen := map[string]bool{}
	add := func(name, origin, key string) {
		if name == "" || !client.ValidAPIName(name) {
			errs = append(errs, fmt.Errorf("%s: %s: %q is not a Salesforce object API name: name each table after an object's API name as describe gives it (letters, digits and underscores, starting with a letter), such as [%s.Invoice__c]",
				origin, key, name, strings.Join(objectsPath, ".")))
			return
		}
		if l := strings.ToLower(name); !seen[l] {
			seen[l] = true
			names = append(names, name)
		}
	}
	// spelled holds the names of one table of objects (a file's, under one base) by lower case.
	type table struct {
		f    *tomlFile
		base string
	}
	spelled := map[table]map[string]string{}
	errs = append(errs, s.hintTables(objectsPath, func(f *tomlFile, base []string, v any) error {
		return fmt.Errorf("%s: %s: expected a table per Salesforce object, found %s: write [%s.Invoice__c] with %s; to load objects beside the standard resources set all_objects = true (narrowed by objects_include), or run sfdlt run --objects Invoice__c",
			f.origin(base), strings.Join(base, "."), describe(v), strings.Join(base, "."), objectKeyNames())
	}, "object", func(f *tomlFile, base, path []string, name string) {
		tb := table{f, strings.Join(base, ".")}
		if spelled[tb] == nil {
			spelled[tb] = map[string]string{}
		}
		if other, dup := spelled[tb][strings.ToLower(name)]; dup {
			errs = append(errs, fmt.Errorf("%s: %s and %s name the same object (Salesforce API names ignore case): merge them into one table",
				f.origin(path), strings.Join(append(slices.Clone(base), other), "."), strings.Join(path, ".")))
			return
		}
		spelled[tb][strings.ToLower(name)] = name
		add(name, f.origin(path), strings.Join(path, "."))
	})...)
	for _, v := range s.objectVariables() {
		if isObjectKey(v.key) {
			add(v.table, "env "+v.name, strings.Join(append(slices.Clone(objectsPath), v.table), "."))
		}
	}
	return names, errs
}

// hintVariable is an environment variable under SOURCES__SALESFORCE__OBJECTS__ or
// SOURCES__SALESFORCE__RESOURCES__ (or the pipeline's section of either): <TABLE>__<KEY>.
type hintVariable struct {
	name, table, key string // key lower-cased, "" when the name has none
}

// objectVariables lists the non-empty variables of objects' keys, sorted by name. Object names
// may hold "__" (Invoice__c), keys never do, so the key is what follows the last "__".
func (s *state) objectVariables() []hintVariable {
	return s.hintVariables(objectsPath, func(rest string) int { return strings.LastIndex(rest, "__") })
}

// hintVariables lists the non-empty variables under path (and the pipeline's section of it),
// sorted by name; split says where in the rest of a name the table's name ends (-1: nowhere).
func (s *state) hintVariables(path []string, split func(rest string) int) []hintVariable {
	prefixes := []string{envName(path) + "__"}
	if s.pipeline != "" {
		prefixes = append(prefixes, envName(append([]string{s.pipeline}, path...))+"__")
	}
	var out []hintVariable
	for _, kv := range s.environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || value == "" {
			continue
		}
		for _, prefix := range prefixes {
			rest, ok := strings.CutPrefix(name, prefix)
			if !ok {
				continue
			}
			v := hintVariable{name: name, table: rest}
			if i := split(rest); i > 0 {
				v.table, v.key = rest[:i], strings.ToLower(rest[i+2:])
			}
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b hintVariable) int { return strings.Compare(a.name, b.name) })
	return slices.CompactFunc(out, func(a, b hintVariable) bool { return a.name == b.name })
}

// objectKeyNames lists the keys of an object's table, for messages.
func objectKeyNames() string {
	names := make([]string, len(objectKeys))
	for i, k := range objectKeys {
		names[i] = k.name
	}
	return strings.Join(names, ", ")
}

func isObjectKey(k string) bool {
	return slices.ContainsFunc(objectKeys, func(o keySpec) bool { return o.name == k })
}

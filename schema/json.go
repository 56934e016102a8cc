package schema

import (
	"bytes"
	"crypto/sha3"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// member is one key of a JSON object written in a fixed order.
type member struct {
	key   string
	value any
}

// object is a JSON object that keeps its key order: dlt's stored schema is an ordered
// document (column order is the table's column order).
type object []member

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, fmt.Errorf("schema: encoding %q: %w", m.key, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// withExtra appends the extra members in key order, skipping keys already present.
func (o object) withExtra(extra map[string]json.RawMessage) object {
	if len(extra) == 0 {
		return o
	}
	have := make(map[string]bool, len(o))
	for _, m := range o {
		have[m.key] = true
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !have[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		o = append(o, member{k, extra[k]})
	}
	return o
}

func (c Column) stored() object {
	o := object{{"name", c.Name}}
	if c.DataType != "" {
		o = append(o, member{"data_type", c.DataType})
	}
	o = append(o, member{"nullable", c.Nullable})
	if c.Precision != 0 {
		o = append(o, member{"precision", c.Precision})
	}
	if c.Scale != 0 {
		o = append(o, member{"scale", c.Scale})
	}
	// dlt drops hints left at their default (false) from the stored schema.
	for _, h := range []struct {
		key string
		on  bool
	}{
		{"primary_key", c.PrimaryKey}, {"unique", c.Unique}, {"merge_key", c.MergeKey},
		{"hard_delete", c.HardDelete}, {"row_key", c.RowKey}, {"parent_key", c.ParentKey},
		{"root_key", c.RootKey}, {"variant", c.Variant},
		{"x-valid-from", c.ValidFrom}, {"x-valid-to", c.ValidTo}, {"x-row-version", c.RowVersion},
	} {
		if h.on {
			o = append(o, member{h.key, true})
		}
	}
	if c.ValidTo {
		// dlt writes the key also when it is null (NULL marks active rows).
		var active any
		if c.ActiveRecordTimestamp != nil {
			active = c.ActiveRecordTimestamp.UTC().Format(time.RFC3339Nano)
		}
		o = append(o, member{"x-active-record-timestamp", active})
	}
	if c.DedupSort != "" {
		o = append(o, member{"dedup_sort", c.DedupSort})
	}
	if c.Description != "" {
		o = append(o, member{"description", c.Description})
	}
	return o.withExtra(c.Extra)
}

func (t *Table) stored() object {
	cols := make(object, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = member{c.Name, c.stored()}
	}
	o := object{{"name", t.Name}, {"columns", cols}}
	if t.WriteDisposition != "" {
		o = append(o, member{"write_disposition", t.WriteDisposition})
	}
	if t.Resource != "" {
		o = append(o, member{"resource", t.Resource})
	}
	if t.Parent != "" {
		o = append(o, member{"parent", t.Parent})
	}
	if t.MergeStrategy != "" {
		o = append(o, member{"x-merge-strategy", t.MergeStrategy})
	}
	if t.Description != "" {
		o = append(o, member{"description", t.Description})
	}
	if t.SchemaContract != nil {
		o = append(o, member{"schema_contract", *t.SchemaContract})
	}
	return o.withExtra(t.Extra)
}

func (st Settings) stored() object {
	var o object
	if st.SchemaContract != nil {
		o = append(o, member{"schema_contract", *st.SchemaContract})
	}
	if st.Detections != nil {
		o = append(o, member{"detections", st.Detections})
	}
	if st.DefaultHints != nil {
		o = append(o, member{"default_hints", st.DefaultHints})
	}
	if st.PreferredTypes != nil {
		o = append(o, member{"preferred_types", st.PreferredTypes})
	}
	if o == nil {
		o = object{}
	}
	return o.withExtra(st.Extra)
}

// content is the stored schema without the version fields, which the hash excludes.
func (s *Schema) content() object {
	tables := make(object, len(s.Tables))
	for i, t := range s.Tables {
		tables[i] = member{t.Name, t.stored()}
	}
	engine := s.EngineVersion
	if engine < EngineVersion {
		// The layout written is engine 11's whatever version was read.
		engine = EngineVersion
	}
	o := object{{"engine_version", engine}, {"name", s.Name}}
	if s.Description != "" {
		o = append(o, member{"description", s.Description})
	}
	o = append(o, member{"tables", tables}, member{"settings", s.Settings.stored()})
	if _, ok := s.Extra["normalizers"]; !ok {
		o = append(o, member{"normalizers", object{
			{"names", NamingConventionName},
			{"json", object{{"module", JSONNormalizerModule}}},
		}})
	}
	return o
}

// hashExcluded are the top-level keys dlt leaves out of the version hash.
var hashExcluded = map[string]bool{"version": true, "version_hash": true, "previous_hashes": true, "imported_version_hash": true}

// Hash returns the schema's content hash as dlt computes its version_hash: SHA3-256 of
// the stored schema without its version fields, as JSON with sorted keys (so key order
// does not matter), followed by each table name (sorted) with its column names in order
// (so column order does), base64-encoded. The bytes differ from Python's json.dumps, so
// the value is not dlt's for the same schema; it is stable, and it changes exactly when
// the content does.
func (s *Schema) Hash() string {
	extra := make(map[string]json.RawMessage, len(s.Extra))
	for k, v := range s.Extra {
		if !hashExcluded[k] {
			extra[k] = v
		}
	}
	raw, err := json.Marshal(s.content().withExtra(extra))
	if err != nil {
		// Only an Extra value that is not JSON gets here; hash its bytes as they are.
		raw = fmt.Appendf(nil, "%v", s.content())
	}
	// Re-encoding through `any` sorts every object's keys.
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&generic); err == nil {
		if sorted, err := json.Marshal(generic); err == nil {
			raw = sorted
		}
	}
	h := sha3.New256()
	h.Write(raw)
	names := make([]string, 0, len(s.Tables))
	byName := make(map[string]*Table, len(s.Tables))
	for _, t := range s.Tables {
		names = append(names, t.Name)
		byName[t.Name] = t
	}
	sort.Strings(names)
	for _, n := range names {
		h.Write([]byte(n))
		for _, c := range byName[n].Columns {
			h.Write([]byte(c.Name))
		}
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// MarshalJSON writes the schema as dlt stores it (in `_dlt_version.schema` and in the
// pipeline's schema files): version, version_hash, engine_version, name, tables (in
// order, each with its columns in order; hints at their default omitted, as dlt does),
// settings, normalizers and previous_hashes.
func (s *Schema) MarshalJSON() ([]byte, error) {
	o := object{{"version", s.Version}, {"version_hash", s.VersionHash}}
	o = append(o, s.content()...)
	prev := s.PreviousHashes
	if prev == nil {
		prev = []string{}
	}
	o = append(o, member{"previous_hashes", prev})
	return json.Marshal(o.withExtra(s.Extra))
}

// UnmarshalJSON reads a stored dlt schema, keeping the order of tables and columns and
// every property it does not model (in Extra). A missing `nullable` is true (dlt's
// default) and the deprecated `complex` type reads as json.
func (s *Schema) UnmarshalJSON(b []byte) error {
	keys, top, err := orderedObject(b)
	if err != nil {
		return fmt.Errorf("schema: stored schema is not a JSON object: %w", err)
	}
	*s = Schema{}
	for _, k := range keys {
		v := top[k]
		switch k {
		case "version":
			err = json.Unmarshal(v, &s.Version)
		case "version_hash":
			err = json.Unmarshal(v, &s.VersionHash)
		case "previous_hashes":
			err = json.Unmarshal(v, &s.PreviousHashes)
		case "engine_version":
			err = json.Unmarshal(v, &s.EngineVersion)
		case "name":
			err = json.Unmarshal(v, &s.Name)
		case "description":
			err = json.Unmarshal(v, &s.Description)
		case "settings":
			err = s.Settings.unmarshal(v)
		case "tables":
			err = s.unmarshalTables(v)
		case "normalizers":
			// Keep a custom normalizers section; the default one is written anyway.
			if !isDefaultNormalizers(v) {
				s.setExtra(k, v)
			}
		default:
			s.setExtra(k, v)
		}
		if err != nil {
			return fmt.Errorf("schema: reading stored schema %q: %q: %w", s.Name, k, err)
		}
	}
	return nil
}

func (s *Schema) setExtra(k string, v json.RawMessage) {
	if s.Extra == nil {
		s.Extra = map[string]json.RawMessage{}
	}
	s.Extra[k] = v
}

func isDefaultNormalizers(v json.RawMessage) bool {
	var n struct {
		Names string `json:"names"`
		JSON  struct {
			Module string `json:"module"`
		} `json:"json"`
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(v, &n) != nil || json.Unmarshal(v, &all) != nil || len(all) != 2 {
		return false
	}
	var j map[string]json.RawMessage
	if json.Unmarshal(all["json"], &j) != nil || len(j) != 1 {
		return false
	}
	return n.Names == NamingConventionName && n.JSON.Module == JSONNormalizerModule
}

func (st *Settings) unmarshal(b []byte) error {
	keys, m, err := orderedObject(b)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "schema_contract":
			var c Contract
			err = json.Unmarshal(v, &c)
			st.SchemaContract = &c
		case "detections":
			err = json.Unmarshal(v, &st.Detections)
		case "default_hints":
			err = json.Unmarshal(v, &st.DefaultHints)
		case "preferred_types":
			err = json.Unmarshal(v, &st.PreferredTypes)
		default:
			if st.Extra == nil {
				st.Extra = map[string]json.RawMessage{}
			}
			st.Extra[k] = v
		}
		if err != nil {
			return fmt.Errorf("%q: %w", k, err)
		}
	}
	return nil
}

func (s *Schema) unmarshalTables(b []byte) error {
	names, m, err := orderedObject(b)
	if err != nil {
		return err
	}
	for _, name := range names {
		t, err := unmarshalTable(name, m[name])
		if err != nil {
			return fmt.Errorf("table %q: %w", name, err)
		}
		s.Tables = append(s.Tables, t)
	}
	return nil
}

func unmarshalTable(name string, b []byte) (*Table, error) {
	keys, m, err := orderedObject(b)
	if err != nil {
		return nil, err
	}
	t := &Table{Name: name}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "name":
			err = json.Unmarshal(v, &t.Name)
		case "columns":
			err = t.unmarshalColumns(v)
		case "write_disposition":
			err = json.Unmarshal(v, &t.WriteDisposition)
		case "resource":
			err = json.Unmarshal(v, &t.Resource)
		case "parent":
			err = json.Unmarshal(v, &t.Parent)
		case "x-merge-strategy":
			err = json.Unmarshal(v, &t.MergeStrategy)
			if err == nil && !t.MergeStrategy.Valid() {
				err = fmt.Errorf("unknown merge strategy %q (sfdlt has %v); the schema may come from a newer dlt, upgrade sfdlt", t.MergeStrategy, MergeStrategies)
			}
		case "description":
			err = json.Unmarshal(v, &t.Description)
		case "schema_contract":
			var c Contract
			err = json.Unmarshal(v, &c)
			t.SchemaContract = &c
		default:
			if t.Extra == nil {
				t.Extra = map[string]json.RawMessage{}
			}
			t.Extra[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %w", k, err)
		}
	}
	return t, nil
}

func (t *Table) unmarshalColumns(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	names, m, err := orderedObject(b)
	if err != nil {
		return err
	}
	for _, name := range names {
		c, err := unmarshalColumn(name, m[name])
		if err != nil {
			return fmt.Errorf("column %q: %w", name, err)
		}
		t.Columns = append(t.Columns, c)
	}
	return nil
}

func unmarshalColumn(name string, b []byte) (Column, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return Column{}, err
	}
	c := Column{Name: name, Nullable: true}
	bools := map[string]*bool{
		"nullable": &c.Nullable, "primary_key": &c.PrimaryKey, "unique": &c.Unique,
		"merge_key": &c.MergeKey, "hard_delete": &c.HardDelete, "row_key": &c.RowKey,
		"parent_key": &c.ParentKey, "root_key": &c.RootKey, "variant": &c.Variant,
		"x-valid-from": &c.ValidFrom, "x-valid-to": &c.ValidTo, "x-row-version": &c.RowVersion,
	}
	for k, v := range m {
		var err error
		if p, ok := bools[k]; ok {
			if !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				err = json.Unmarshal(v, p)
			}
		} else {
			switch k {
			case "name":
				err = json.Unmarshal(v, &c.Name)
			case "data_type":
				err = json.Unmarshal(v, &c.DataType)
				if c.DataType == "complex" {
					c.DataType = JSON // dlt's name for json before engine 10
				}
			case "precision":
				err = unmarshalOptionalInt(v, &c.Precision)
			case "scale":
				err = unmarshalOptionalInt(v, &c.Scale)
			case "dedup_sort":
				var s *SortOrder
				err = json.Unmarshal(v, &s)
				if s != nil {
					c.DedupSort = *s
				}
			case "description":
				err = json.Unmarshal(v, &c.Description)
			case "x-active-record-timestamp":
				err = unmarshalActive(v, &c.ActiveRecordTimestamp)
			default:
				if c.Extra == nil {
					c.Extra = map[string]json.RawMessage{}
				}
				c.Extra[k] = v
			}
		}
		if err != nil {
			return Column{}, fmt.Errorf("%q: %w", k, err)
		}
	}
	if c.DataType != "" && !c.DataType.Valid() {
		return Column{}, fmt.Errorf("unknown data type %q; the schema may come from a newer dlt, upgrade sfdlt", c.DataType)
	}
	return c, nil
}

// unmarshalActive reads x-active-record-timestamp: null, or a date or timestamp as dlt
// writes it ("9999-12-31", "9999-12-31T00:00:00+00:00").
func unmarshalActive(v json.RawMessage, p **time.Time) error {
	var s *string
	if err := json.Unmarshal(v, &s); err != nil {
		return err
	}
	if s == nil {
		*p = nil
		return nil
	}
	t, err := ParseActiveRecordTimestamp(*s)
	if err != nil {
		return err
	}
	*p = &t
	return nil
}

func unmarshalOptionalInt(v json.RawMessage, p *int) error {
	var n *int
	if err := json.Unmarshal(v, &n); err != nil {
		return err
	}
	if n != nil {
		*p = *n
	}
	return nil
}

// orderedObject decodes a JSON object into its values, returning the keys in document
// order.
func orderedObject(b []byte) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errors.New("expected an object")
	}
	var keys []string
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("%q: %w", k, err)
		}
		if _, dup := m[k]; !dup {
			keys = append(keys, k)
		}
		m[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	return keys, m, nil
}

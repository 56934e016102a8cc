package schema

import (
	"encoding/json"
	"fmt"
)

// EngineVersion is the dlt schema engine version whose stored-schema layout this package
// writes: 11, the current one in dlt 1.x (SCHEMA_ENGINE_VERSION in
// dlt/common/schema/typing.py).
const EngineVersion = 11

// Normalizer names dlt writes into a stored schema.
const (
	NamingConventionName = "snake_case"
	JSONNormalizerModule = "dlt.common.normalizers.json.relational"
)

// maxPreviousHashes is how many earlier version hashes dlt keeps in previous_hashes.
const maxPreviousHashes = 10

// Settings are the schema-wide settings of a stored schema.
type Settings struct {
	// SchemaContract is the default contract of every table (nil: evolve).
	SchemaContract *Contract
	// Detections are dlt's type autodetections (dlt's default: iso_timestamp).
	Detections []string
	// DefaultHints maps a hint (`not_null`, `unique`, `row_key`...) to the column name
	// patterns that get it.
	DefaultHints map[string][]string
	// PreferredTypes maps column name patterns to data types.
	PreferredTypes map[string]DataType
	// Extra keeps settings this package does not model.
	Extra map[string]json.RawMessage
}

// Schema is a dlt schema: named, versioned tables. Tables keep insertion order.
type Schema struct {
	Name string
	// Version counts content changes: Bump increments it when the content hash changes.
	Version int
	// VersionHash is the content hash of the version (see Hash).
	VersionHash string
	// PreviousHashes are the hashes of earlier versions, newest first (at most 10).
	PreviousHashes []string
	// EngineVersion is the dlt schema engine version of the stored layout; 0 is written
	// as EngineVersion.
	EngineVersion int
	Description   string
	Tables        []*Table
	Settings      Settings
	// Naming builds variant and nested names during evolution; set its MaxLength to the
	// destination's identifier limit. It is not part of the stored schema.
	Naming Naming
	// Extra keeps top-level properties this package does not model
	// (`imported_version_hash`, a custom `normalizers`...).
	Extra map[string]json.RawMessage
}

// New returns a new schema the way dlt starts one: version 1 with its hash set, holding
// dlt's standard tables `_dlt_version` and `_dlt_loads` and its default settings (the
// `iso_timestamp` detection and the default hints of the relational normalizer). Add
// PipelineStateTable when the pipeline saves state in the destination.
func New(name string) *Schema {
	s := &Schema{
		Name:          name,
		Version:       1,
		EngineVersion: EngineVersion,
		Tables:        []*Table{VersionTable(), LoadsTable()},
		Settings: Settings{
			Detections: []string{"iso_timestamp"},
			DefaultHints: map[string][]string{
				"not_null":   {ColumnID, ColumnRootID, ColumnParentID, ColumnListIdx, ColumnLoadID},
				"parent_key": {ColumnParentID},
				"root_key":   {ColumnRootID},
				"unique":     {ColumnID},
				"row_key":    {ColumnID},
			},
		},
	}
	s.Bump()
	return s
}

// Table returns the table with the given name, or nil.
func (s *Schema) Table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// AddTable appends t to the schema; a table of the same name is an error.
func (s *Schema) AddTable(t *Table) error {
	if t == nil || t.Name == "" {
		return fmt.Errorf("schema %q: table has no name; normalize the resource name first", s.Name)
	}
	if s.Table(t.Name) != nil {
		return fmt.Errorf("schema %q already has table %q; merge new columns with Update instead", s.Name, t.Name)
	}
	if t.Parent != "" && s.Table(t.Parent) == nil {
		return fmt.Errorf("schema %q: nested table %q names parent %q, which is not in the schema; add the parent first", s.Name, t.Name, t.Parent)
	}
	if t.WriteDisposition != "" && !t.WriteDisposition.Valid() {
		return fmt.Errorf("schema %q: table %q has write disposition %q; use append, replace or merge", s.Name, t.Name, t.WriteDisposition)
	}
	seen := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		if c.Name == "" || !c.DataType.Valid() {
			return fmt.Errorf("schema %q: table %q: column %q has data type %q; give every column a name and one of %v", s.Name, t.Name, c.Name, c.DataType, DataTypes)
		}
		if seen[c.Name] {
			return fmt.Errorf("schema %q: table %q has column %q twice; check the source names with Naming.ColumnNames", s.Name, t.Name, c.Name)
		}
		seen[c.Name] = true
	}
	s.Tables = append(s.Tables, t)
	return nil
}

// DataTables returns the tables that are not dlt's system tables, in order.
func (s *Schema) DataTables() []*Table {
	var out []*Table
	for _, t := range s.Tables {
		if !IsSystemTable(t.Name) {
			out = append(out, t)
		}
	}
	return out
}

// RootTable returns the root table of the named table (itself when it is a root), or
// nil when it or one of its ancestors is missing.
func (s *Schema) RootTable(name string) *Table {
	for range len(s.Tables) + 1 {
		t := s.Table(name)
		if t == nil || t.Parent == "" {
			return t
		}
		name = t.Parent
	}
	return nil // a parent cycle
}

// NestedTables returns the tables nested (at any depth) under the named table, parents
// before children.
func (s *Schema) NestedTables(name string) []*Table {
	var out []*Table
	var walk func(string)
	walk = func(parent string) {
		for _, t := range s.Tables {
			if t.Parent == parent && t.Name != parent {
				out = append(out, t)
				walk(t.Name)
			}
		}
	}
	walk(name)
	return out
}

// WriteDisposition returns the write disposition in force for the named table: its own,
// or its root's for a nested table; Append when none is set.
func (s *Schema) WriteDisposition(name string) WriteDisposition {
	if t := s.Table(name); t != nil && t.WriteDisposition != "" {
		return t.WriteDisposition
	}
	if r := s.RootTable(name); r != nil && r.WriteDisposition != "" {
		return r.WriteDisposition
	}
	return Append
}

// Bump recomputes the content hash and, when it differs from VersionHash, increments
// Version and remembers the old hash, like dlt's bump_version. A schema with no hash yet
// only gets its hash. It reports whether the version changed.
func (s *Schema) Bump() bool {
	h := s.Hash()
	switch {
	case s.VersionHash == "":
		s.VersionHash = h
		return false
	case h == s.VersionHash:
		return false
	}
	s.PreviousHashes = append([]string{s.VersionHash}, s.PreviousHashes...)
	if len(s.PreviousHashes) > maxPreviousHashes {
		s.PreviousHashes = s.PreviousHashes[:maxPreviousHashes]
	}
	s.Version++
	s.VersionHash = h
	return true
}

// Clone returns a deep copy of the schema.
func (s *Schema) Clone() *Schema {
	c := *s
	c.Tables = make([]*Table, len(s.Tables))
	for i, t := range s.Tables {
		c.Tables[i] = t.Clone()
	}
	c.PreviousHashes = append([]string(nil), s.PreviousHashes...)
	c.Extra = cloneRaw(s.Extra)
	c.Settings.Detections = append([]string(nil), s.Settings.Detections...)
	c.Settings.Extra = cloneRaw(s.Settings.Extra)
	if s.Settings.SchemaContract != nil {
		sc := *s.Settings.SchemaContract
		c.Settings.SchemaContract = &sc
	}
	if s.Settings.DefaultHints != nil {
		c.Settings.DefaultHints = make(map[string][]string, len(s.Settings.DefaultHints))
		for k, v := range s.Settings.DefaultHints {
			c.Settings.DefaultHints[k] = append([]string(nil), v...)
		}
	}
	if s.Settings.PreferredTypes != nil {
		c.Settings.PreferredTypes = make(map[string]DataType, len(s.Settings.PreferredTypes))
		for k, v := range s.Settings.PreferredTypes {
			c.Settings.PreferredTypes[k] = v
		}
	}
	return &c
}

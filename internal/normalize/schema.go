// Package normalize turns what the extractors read into the rows of dlt-shaped tables: it owns
// the run's schema (evolved by parallel extractors at once), places values that do not fit their
// column in variant columns, applies the incremental filter and the not-null hints, fills dlt's
// system columns, normalizes records written in Go into a root table and nested tables, and
// sends the rows to the loader.
package normalize

import (
	"fmt"
	"sync"

	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/schema"
)

// Schema is the run's schema with its one owner: every change and every read of a table that
// may change goes through it, so extractors of several resources can evolve it at once.
type Schema struct {
	mu     sync.Mutex
	s      *schema.Schema
	naming schema.Naming
}

// NewSchema takes ownership of s.
func NewSchema(s *schema.Schema) *Schema { return &Schema{s: s, naming: s.Naming} }

// Naming is the schema's naming convention.
func (s *Schema) Naming() schema.Naming { return s.naming }

// Clone copies t (a table of the schema) as it is now.
func (s *Schema) Clone(t *schema.Table) *schema.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return t.Clone()
}

// NestedTables lists the nested tables of root, parents first (the schema's own tables, for
// writers).
func (s *Schema) NestedTables(root string) []*schema.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s.NestedTables(root)
}

// place puts a misfit value of column col of t where the schema says: a variant column (added
// to t when new), or nowhere. It returns the placement, t's width after it and the index of
// the column the value goes to.
func (s *Schema) place(t *schema.Table, col int, v any) (schema.Placement, int, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pl, err := s.s.Place(t, t.Columns[col].Name, v)
	return pl, len(t.Columns), t.ColumnIndex(pl.Column), err
}

// snapshot returns t's width, and a copy of t when its width is not sent (the loader has not
// seen the table, or it gained columns since).
func (s *Schema) snapshot(t *schema.Table, sent int) (int, *schema.Table) {
	s.mu.Lock()
	defer s.mu.Unlock()
	width := len(t.Columns)
	if width != sent || sent == 0 {
		return width, t.Clone()
	}
	return width, nil
}

// Version implements load.Schema: a commit's view of the schema version.
func (s *Schema) Version(stored bool) (load.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := load.Version{Name: s.s.Name}
	if s.s.Bump() || !stored {
		b, err := s.s.MarshalJSON()
		if err != nil {
			return v, err
		}
		v.Body = b
	}
	v.Version, v.EngineVersion, v.Hash = int64(s.s.Version), int64(s.s.EngineVersion), s.s.VersionHash
	return v, nil
}

// Table implements load.Schema: a copy of the named table, or nil.
func (s *Schema) Table(name string) *schema.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.s.Table(name); t != nil {
		return t.Clone()
	}
	return nil
}

// Hints are a resource's table hints: its name and disposition, keys and column hints (keyed by
// normalized column name).
type Hints struct {
	Name        string
	Disposition schema.WriteDisposition
	PrimaryKey  []string
	MergeKey    []string
	Columns     map[string]schema.ColumnHint
	// SCD2 makes a merge resource keep history (dlt's scd2 strategy); nil: delete-insert.
	// Its RowVersionColumnName is a normalized column name.
	SCD2 *schema.SCD2Options
}

// Observed is the table a resource's data needs: its columns with the resource's hints, and
// the system columns.
func Observed(h Hints, cols []schema.Column) *schema.Table {
	t := schema.NewTable(h.Name, h.Disposition)
	pk := map[string]bool{}
	for _, k := range h.PrimaryKey {
		pk[k] = true
	}
	mk := map[string]bool{}
	for _, k := range h.MergeKey {
		mk[k] = true
	}
	for _, c := range cols {
		if h, ok := h.Columns[c.Name]; ok {
			if h.DataType != "" {
				c.DataType = h.DataType
			}
			c.Nullable = c.Nullable && !h.NotNull
			c.Unique = c.Unique || h.Unique
			c.PrimaryKey = c.PrimaryKey || h.PrimaryKey
			c.MergeKey = c.MergeKey || h.MergeKey
			c.HardDelete = c.HardDelete || h.HardDelete
			if h.DedupSort != "" {
				c.DedupSort = schema.SortOrder(h.DedupSort)
			}
		}
		if pk[c.Name] {
			c.PrimaryKey, c.Nullable = true, false
		}
		if mk[c.Name] {
			c.MergeKey = true
		}
		t.Columns = append(t.Columns, c)
	}
	sys := schema.RootSystemColumns()
	if o := h.SCD2; o != nil && h.Disposition == schema.Merge {
		t.MergeStrategy = schema.SCD2
		t.Columns = append(t.Columns, schema.SCD2Columns(o.ValidityColumnNames[0], o.ValidityColumnNames[1], o.ActiveRecordTimestamp)...)
		if o.RowVersionColumnName == "" {
			// _dlt_id holds the row's hash: a version of a record, no longer unique once a
			// record is deleted and comes back unchanged (as in dlt).
			for i := range sys {
				if sys[i].Name == schema.ColumnID {
					sys[i].RowVersion, sys[i].Unique, sys[i].RowKey = true, false, false
				}
			}
		} else {
			for i := range t.Columns {
				if t.Columns[i].Name == o.RowVersionColumnName {
					t.Columns[i].RowVersion = true
				}
			}
		}
	}
	t.Columns = append(t.Columns, sys...)
	return t
}

// Evolve merges the observed table into the schema and returns the schema's table. The table
// belongs to the schema: read its columns through the Schema's methods once other extractors run.
func (s *Schema) Evolve(observed *schema.Table) (*schema.Table, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.s.Update(observed)
	if err != nil {
		return nil, err
	}
	if u.DiscardRow || u.Table == nil {
		return nil, fmt.Errorf("the schema contract of table %s discards it: nothing would be loaded; set the contract to evolve", observed.Name)
	}
	t := u.Table
	// Hints given in code win over the stored ones: apply them to existing columns too.
	for _, oc := range observed.Columns {
		if c := t.Column(oc.Name); c != nil && c.DataType == oc.DataType {
			c.PrimaryKey, c.MergeKey, c.HardDelete, c.DedupSort, c.Unique = oc.PrimaryKey, oc.MergeKey, oc.HardDelete, oc.DedupSort, oc.Unique
			c.RowKey, c.RowVersion, c.ValidFrom, c.ValidTo, c.ActiveRecordTimestamp = oc.RowKey, oc.RowVersion, oc.ValidFrom, oc.ValidTo, oc.ActiveRecordTimestamp
			if !oc.Nullable {
				c.Nullable = false
			}
		}
	}
	t.WriteDisposition = observed.WriteDisposition
	t.MergeStrategy = observed.MergeStrategy
	if t.MergeStrategy == schema.SCD2 {
		if err := t.CheckSCD2(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

package sfdlt

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/sfdlt/sfdlt/internal/engine"
	"github.com/sfdlt/sfdlt/schema"
)

// WriteDisposition says how a resource's rows are written to its table, as in dlt.
type WriteDisposition = schema.WriteDisposition

// The write dispositions.
const (
	// Append adds the rows to the table.
	Append = schema.Append
	// Replace leaves the table holding exactly this run's rows. sfdlt's replace is atomic: a
	// reader sees the old rows until the load commits, then the new ones, never an empty table.
	Replace = schema.Replace
	// Merge upserts by primary key (dlt's delete-insert): rows are deduplicated by key, rows of
	// the table with the same key are deleted, the new ones inserted.
	Merge = schema.Merge
)

// MergeStrategy is how a merge resource merges, as dlt's strategies: StrategyDeleteInsert (the
// default) or StrategySCD2.
type MergeStrategy = schema.MergeStrategy

// The merge strategies.
const (
	// StrategyDeleteInsert keeps one row per record: the rows of the records a load brings are
	// deleted and the new ones inserted.
	StrategyDeleteInsert = schema.DeleteInsert
	// StrategySCD2 keeps history, as dlt's scd2: a row per version of a record with the time it
	// became valid (_dlt_valid_from) and the time it was retired (_dlt_valid_to, NULL while
	// active). See SCD2.
	StrategySCD2 = schema.SCD2
)

// SCD2Options are the settings of the scd2 strategy, as dlt's write_disposition dictionary
// holds them: validity column names, active record timestamp, row version column. The zero
// value is dlt's defaults.
type SCD2Options = schema.SCD2Options

// ColumnHint adjusts one column of a resource's table, as dlt's column hints do.
type ColumnHint = schema.ColumnHint

// Hints are dlt-style hints applied to a resource with Resource.ApplyHints or
// Source.ApplyHints. Column names may be given as Salesforce field names ("SystemModstamp") or
// as table columns ("system_modstamp"): both normalize to the same column.
type Hints struct {
	// WriteDisposition, when set, replaces the resource's disposition.
	WriteDisposition WriteDisposition
	// PrimaryKey, when set, replaces the resource's primary key.
	PrimaryKey []string
	// MergeKey, when set, marks these columns as dlt's merge_key.
	MergeKey []string
	// NotNull lists columns that must never be null (dlt's merge_hints({"not_null": [...]})).
	NotNull []string
	// Columns holds per-column hints; they are merged into what the resource already has.
	Columns map[string]ColumnHint
	// Incremental, when set, replaces the resource's incremental cursor.
	Incremental *Incremental
	// NoIncremental makes the resource read in full on every run (it wins over Incremental).
	NoIncremental bool
	// MergeStrategy, when set, replaces the resource's merge strategy: StrategySCD2 (with
	// SCD2's settings) makes it a merge that keeps history, StrategyDeleteInsert a plain merge.
	MergeStrategy MergeStrategy
	// SCD2, when set, makes the resource a merge by the scd2 strategy with these settings
	// (MergeStrategy may be left out).
	SCD2 *SCD2Options
}

// RecordsFunc is the body of a resource written in Go, as a function decorated with
// @dlt.resource is in Python: it yields records (field name -> value). Values may be nil,
// strings, booleans, integers, floats, json.Number, time.Time, []byte, nested
// map[string]any (flattened to parent__child columns) or slices (a child table
// <table>__<field>, as dlt does). inc is the resource's incremental cursor, or nil: read
// inc.LastValue() to ask the remote side only for new records; the pipeline filters and
// deduplicates by the cursor either way.
type RecordsFunc func(ctx context.Context, inc *Incremental) iter.Seq2[map[string]any, error]

// Resource is one table of a source: where its records come from and how they are written.
// Build Salesforce resources with Source.AddObject (or take the standard ones of NewSource),
// resources written in Go with NewResource.
type Resource struct {
	name        string
	object      string // Salesforce object API name; "" for a Go resource
	disposition WriteDisposition
	primaryKey  []string
	mergeKey    []string
	inc         *Incremental
	columns     map[string]ColumnHint // keyed by normalized column name
	fn          RecordsFunc
	formulas    *bool // nil: the source's setting
	strategy    MergeStrategy
	scd2        *SCD2Options // the scd2 settings when strategy is StrategySCD2
}

// NewResource makes a resource from a Go function, like @dlt.resource: name is the table name
// (normalized with dlt's snake_case), the default write disposition is append.
func NewResource(name string, fn RecordsFunc, opts ...ResourceOption) *Resource {
	r := &Resource{name: schema.NormalizeTableName(name), disposition: Append, fn: fn}
	if strings.TrimSpace(name) == "" {
		r.name = ""
	}
	for _, o := range opts {
		o.applyResource(r)
	}
	return r
}

// Name is the resource's name, which is also its table's name.
func (r *Resource) Name() string { return r.name }

// Object is the Salesforce object the resource reads ("" for a Go resource).
func (r *Resource) Object() string { return r.object }

// WriteDisposition is how the resource's rows are written.
func (r *Resource) WriteDisposition() WriteDisposition { return r.disposition }

// PrimaryKey is the resource's primary key columns (normalized names).
func (r *Resource) PrimaryKey() []string { return slices.Clone(r.primaryKey) }

// Incremental is the resource's incremental cursor, or nil.
func (r *Resource) Incremental() *Incremental { return r.inc }

// MergeStrategy is the resource's merge strategy ("" for a resource that does not merge).
func (r *Resource) MergeStrategy() MergeStrategy {
	switch {
	case r.disposition != Merge:
		return ""
	case r.strategy == "":
		return StrategyDeleteInsert
	}
	return r.strategy
}

// setStrategy sets the merge strategy; scd2 (with o, nil for dlt's defaults) makes the
// resource a merge, as dlt's write_disposition dictionary does.
func (r *Resource) setStrategy(s MergeStrategy, o *SCD2Options) {
	r.strategy, r.scd2 = s, nil
	if s == StrategySCD2 {
		c := SCD2Options{}
		if o != nil {
			c = *o
			if o.ActiveRecordTimestamp != nil {
				a := *o.ActiveRecordTimestamp
				c.ActiveRecordTimestamp = &a
			}
		}
		r.scd2, r.disposition = &c, Merge
	}
}

// ApplyHints changes the resource's hints in place, as dlt's apply_hints does, and returns it.
func (r *Resource) ApplyHints(h Hints) *Resource {
	if h.WriteDisposition != "" {
		r.disposition = h.WriteDisposition
	}
	if h.PrimaryKey != nil {
		r.primaryKey = normalizeNames(h.PrimaryKey)
	}
	if h.MergeKey != nil {
		r.mergeKey = normalizeNames(h.MergeKey)
	}
	if h.Incremental != nil {
		r.inc = h.Incremental
	}
	if h.NoIncremental {
		r.inc = nil
	}
	switch {
	case h.SCD2 != nil && (h.MergeStrategy == "" || h.MergeStrategy == StrategySCD2):
		r.setStrategy(StrategySCD2, h.SCD2)
	case h.MergeStrategy != "":
		r.setStrategy(h.MergeStrategy, h.SCD2)
	}
	if r.columns == nil {
		r.columns = map[string]ColumnHint{}
	}
	for _, c := range h.NotNull {
		name := schema.NormalizeIdentifier(c)
		hint := r.columns[name]
		hint.NotNull = true
		r.columns[name] = hint
	}
	for c, hint := range h.Columns {
		r.columns[schema.NormalizeIdentifier(c)] = hint
	}
	return r
}

// spec is the resource as the engine takes it. The run works on its own copy: a Resource is
// never changed by a run.
func (r *Resource) spec() *engine.Resource {
	e := &engine.Resource{Name: r.name, Object: r.object, Disposition: r.disposition,
		PrimaryKey: slices.Clone(r.primaryKey), MergeKey: slices.Clone(r.mergeKey),
		Columns: maps.Clone(r.columns), Formulas: r.formulas, SCD2: r.scd2Spec()}
	if r.inc != nil {
		e.Cursor = &engine.Cursor{Path: r.inc.CursorPath, Initial: r.inc.InitialValue}
	}
	if fn, inc := r.fn, r.inc; fn != nil {
		e.Records = func(ctx context.Context, lastValue any) iter.Seq2[map[string]any, error] {
			var view *Incremental
			if inc != nil {
				view = &Incremental{CursorPath: inc.CursorPath, InitialValue: inc.InitialValue, lastValue: lastValue}
			}
			return fn(ctx, view)
		}
	}
	return e
}

// scd2Spec is the scd2 settings as the engine takes them, names normalized; nil unless the
// resource merges by scd2.
func (r *Resource) scd2Spec() *schema.SCD2Options {
	if r.scd2 == nil || r.disposition != Merge {
		return nil
	}
	o := *r.scd2
	for i, n := range o.ValidityColumnNames {
		if n != "" {
			o.ValidityColumnNames[i] = schema.NormalizeIdentifier(n)
		}
	}
	if o.RowVersionColumnName != "" {
		o.RowVersionColumnName = schema.NormalizeIdentifier(o.RowVersionColumnName)
	}
	if o.RowVersionColumnName == schema.ColumnID {
		o.RowVersionColumnName = "" // the default: the row hash in _dlt_id
	}
	return &o
}

// clone copies the resource, so a copy of a source can change its hints without changing the
// original.
func (r *Resource) clone() *Resource {
	c := *r
	c.primaryKey = slices.Clone(r.primaryKey)
	c.mergeKey = slices.Clone(r.mergeKey)
	c.columns = maps.Clone(r.columns)
	if r.inc != nil {
		inc := *r.inc
		c.inc = &inc
	}
	if r.scd2 != nil {
		c.setStrategy(StrategySCD2, r.scd2)
		c.disposition = r.disposition
	}
	return &c
}

// validate checks what can be checked without the org.
func (r *Resource) validate() error {
	if r.name == "" {
		return fmt.Errorf("resource has an empty name: give it a name")
	}
	if strings.HasPrefix(r.name, "_dlt") {
		return fmt.Errorf("resource %q: names starting with _dlt are dlt's system tables: choose another name", r.name)
	}
	if r.disposition != Append && r.disposition != Replace && r.disposition != Merge {
		return fmt.Errorf("resource %q: unknown write disposition %q: use append, replace or merge", r.name, r.disposition)
	}
	if r.disposition == Merge && len(r.primaryKey) == 0 && len(r.mergeKey) == 0 {
		return fmt.Errorf("resource %q: write disposition merge needs a primary key or merge key: set one with sfdlt.PrimaryKey or ApplyHints", r.name)
	}
	if err := r.validateStrategy(); err != nil {
		return err
	}
	if r.object == "" && r.fn == nil {
		return fmt.Errorf("resource %q has neither a Salesforce object nor a Go function", r.name)
	}
	for col, h := range r.columns {
		if h.DataType != "" && !h.DataType.Valid() {
			return fmt.Errorf("resource %q: column %q: unknown data type %q", r.name, col, h.DataType)
		}
		if h.DedupSort != "" && h.DedupSort != "asc" && h.DedupSort != "desc" {
			return fmt.Errorf("resource %q: column %q: dedup_sort must be asc or desc, not %q", r.name, col, h.DedupSort)
		}
	}
	return nil
}

func normalizeNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = schema.NormalizeIdentifier(n)
	}
	return out
}

// validateStrategy checks the merge strategy and the scd2 settings.
func (r *Resource) validateStrategy() error {
	if !r.strategy.Valid() {
		return fmt.Errorf("resource %q: unknown merge strategy %q: use %v", r.name, r.strategy, schema.MergeStrategies)
	}
	if r.scd2 == nil {
		return nil
	}
	if r.disposition != Merge {
		return fmt.Errorf("resource %q: scd2 is a merge strategy, but the resource's write disposition is %s: make it merge (sfdlt.SCD2 does)", r.name, r.disposition)
	}
	o := r.scd2Spec()
	from, to := o.ValidityColumnNames[0], o.ValidityColumnNames[1]
	if from == "" {
		from = schema.ColumnValidFrom
	}
	if to == "" {
		to = schema.ColumnValidTo
	}
	if from == to {
		return fmt.Errorf("resource %q: scd2 validity_column_names are both %q: give two different names", r.name, from)
	}
	for _, n := range []string{from, to, o.RowVersionColumnName} {
		if n == schema.ColumnLoadID || n == schema.ColumnParentID || n == schema.ColumnListIdx || n == schema.ColumnRootID || n == schema.ColumnID {
			return fmt.Errorf("resource %q: scd2 column name %q is one of dlt's system columns: choose another", r.name, n)
		}
	}
	if o.RowVersionColumnName == from || o.RowVersionColumnName == to {
		return fmt.Errorf("resource %q: scd2 row_version_column_name %q is also a validity column: choose a column of the resource's data", r.name, o.RowVersionColumnName)
	}
	return nil
}

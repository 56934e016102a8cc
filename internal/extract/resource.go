package extract

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/schema"
)

// SystemModstamp is the cursor field of the incremental Salesforce resources.
const SystemModstamp = "SystemModstamp"

// Source is the Salesforce source's settings.
type Source struct {
	Name          string // the source's name: its schema and state section
	Client        client.Config
	Production    bool // false caps every query at 100 rows
	Formulas      bool // select formula fields (a resource may say otherwise)
	BulkThreshold int
	BulkOptions   client.BulkOptions
	HardDeletes   bool
	Lookback      time.Duration
	MaxUsagePct   float64
	MaxCursors    int
	// Exclude holds fields left out of objects' SELECT lists, by lower-case object and field
	// name (the values are the names as the user gave them, for errors).
	Exclude        map[string]map[string]string
	FormulaRefresh time.Duration

	// AllObjects adds every object the org's global describe lists as queryable, and that is
	// ordinary data (see discover.go), beside the resources given; ObjectsInclude and
	// ObjectsExclude are glob patterns on object API names (case-insensitive) that narrow it.
	AllObjects                     bool
	ObjectsInclude, ObjectsExclude []string
	// Objects overrides, per Salesforce object (by lower-case API name), the disposition,
	// primary key and cursor a resource of that object would have.
	Objects map[string]ObjectHints
}

// ObjectHints override what a Salesforce object's resource would have. Empty fields keep it.
type ObjectHints struct {
	Disposition schema.WriteDisposition
	PrimaryKey  []string // normalized column names
	MergeKey    []string
	Columns     map[string]schema.ColumnHint // by normalized column name, merged into the resource's
	// Cursor is the cursor field ("SystemModstamp"); NoCursor makes the resource not incremental.
	Cursor   string
	NoCursor bool
	// Strategy, when set, is the merge strategy: schema.SCD2 (with SCD2's settings, nil for
	// dlt's defaults) or schema.DeleteInsert.
	Strategy schema.MergeStrategy
	SCD2     *schema.SCD2Options
}

// Resource is one resource of a run: a Salesforce object (Object set) or a Go function
// (Records set), and how its table is written. Column names are normalized.
type Resource struct {
	Name        string
	Object      string
	Disposition schema.WriteDisposition
	PrimaryKey  []string
	MergeKey    []string
	Columns     map[string]schema.ColumnHint // keyed by normalized column name
	Cursor      *Cursor                      // nil: not incremental
	// Records yields a Go resource's records; lastValue is where its range starts (the
	// cursor's last value, or its initial value on the first run).
	Records  func(ctx context.Context, lastValue any) iter.Seq2[map[string]any, error]
	Formulas *bool // nil: the source's setting
	// SCD2 makes a merge resource keep history by dlt's scd2 strategy; nil: delete-insert. Its
	// RowVersionColumnName is a normalized column name.
	SCD2 *schema.SCD2Options
}

// Cursor is an incremental resource's cursor field and where its first run starts.
type Cursor struct {
	Path    string
	Initial any
}

// Progress reports how far a run has come with one resource.
type Progress struct {
	Resource string
	Table    string
	// Started is when the run began reading the resource; the first report, with no pages
	// yet, is sent then.
	Started time.Time
	// Pages and Rows are counted so far; TotalRows is Salesforce's totalSize or the Bulk
	// job's record count (-1 unknown: a report may tell it later).
	Pages     int
	Rows      int64
	TotalRows int64
	Done      bool
}

// resource is a resource as one run holds it: its settings (the run may change them, as a merge
// reloaded in full becomes a replace) and its cursor's state.
type resource struct {
	name        string
	object      string // Salesforce object API name; "" for a Go resource
	disposition schema.WriteDisposition
	primaryKey  []string
	mergeKey    []string
	inc         *cursor
	columns     map[string]schema.ColumnHint
	fn          func(ctx context.Context, lastValue any) iter.Seq2[map[string]any, error]
	formulas    *bool
	scd2        *schema.SCD2Options // see Resource.SCD2
	// discovered: found by AllObjects. Its disposition and cursor are chosen from its describe
	// (see chooseMirror), and an object-specific refusal skips it instead of failing the run.
	discovered bool
	// begun: the resource's first mark went to the loader (its table is part of the load).
	begun bool
}

func newResource(spec *Resource) *resource {
	r := &resource{name: spec.Name, object: spec.Object, disposition: spec.Disposition,
		primaryKey: spec.PrimaryKey, mergeKey: spec.MergeKey, fn: spec.Records, formulas: spec.Formulas,
		columns: map[string]schema.ColumnHint{}, scd2: spec.SCD2}
	for k, v := range spec.Columns {
		r.columns[k] = v
	}
	if spec.Cursor != nil {
		r.inc = newCursor(spec.Cursor)
	}
	return r
}

// hints are the resource's table hints, as the normalizer applies them.
func (r *resource) hints() normalize.Hints {
	h := normalize.Hints{Name: r.name, Disposition: r.disposition, PrimaryKey: r.primaryKey, MergeKey: r.mergeKey, Columns: r.columns}
	if r.disposition == schema.Merge {
		h.SCD2 = r.scd2
	}
	return h
}

// hardDeletes reports whether rows of records deleted in Salesforce delete (or, by scd2,
// retire) their records' rows, rather than being kept with is_deleted = true.
func (r *Extractor) hardDeletes(res *resource) bool {
	return r.src.HardDeletes || res.scd2 != nil && res.disposition == schema.Merge
}

// cursor is the resource's incremental cursor as the writer of its root table applies it.
func (r *resource) cursor() (string, normalize.Filter) {
	if r.inc == nil {
		return "", nil
	}
	return r.inc.CursorPath, r.inc
}

// writer makes the writer of table t of a resource.
func (r *Extractor) writer(res *resource, t *schema.Table) *normalize.Writer {
	path, filter := res.cursor()
	return normalize.NewWriter(r.sch, t, r.ops, path, filter)
}

// prepareSCD2 readies a Salesforce merge resource for scd2: Salesforce objects are read
// incrementally, so a record absent from a run's read is unchanged, not gone: the merge key is
// Id (dlt's incremental scd2) unless the resource names one; deletions (IsDeleted) retire their
// record's active version.
func (r *Extractor) prepareSCD2(res *resource, fields []selectedField) error {
	if len(res.mergeKey) == 0 {
		if !slices.ContainsFunc(fields, func(f selectedField) bool { return f.name == "Id" }) {
			return fmt.Errorf("%s keeps history (scd2) but the object has no Id to tell its records apart: give the resource a merge key (Hints.MergeKey, or merge_key in its configuration)", res.name)
		}
		res.mergeKey = []string{r.sch.Naming().NormalizeIdentifier("Id")}
	}
	if v := res.scd2.RowVersionColumnName; v != "" && !slices.ContainsFunc(fields, func(f selectedField) bool { return f.column == v }) {
		return fmt.Errorf("%s keeps history (scd2) with row version column %q, which is not a field of %s that is loaded: name one of its fields (such as system_modstamp), or leave row_version_column_name out for a hash of the row", res.name, v, res.object)
	}
	return nil
}

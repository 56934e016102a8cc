package schema

import (
	"encoding/json"
	"fmt"
	"time"
)

// WriteDisposition says how a load writes a table, in dlt's words.
type WriteDisposition string

// The write dispositions. Skip marks dlt's own bookkeeping tables (`_dlt_loads`,
// `_dlt_version`), which the loader writes itself rather than from data.
const (
	Append  WriteDisposition = "append"
	Replace WriteDisposition = "replace"
	Merge   WriteDisposition = "merge"
	Skip    WriteDisposition = "skip"
)

// Valid reports whether d is one of dlt's write dispositions.
func (d WriteDisposition) Valid() bool {
	switch d {
	case Append, Replace, Merge, Skip:
		return true
	}
	return false
}

// SortOrder is the direction of a `dedup_sort` hint: which staged row a merge keeps
// for a primary key ("desc": the one with the largest value).
type SortOrder string

// The dedup_sort directions; "" means no hint.
const (
	Asc  SortOrder = "asc"
	Desc SortOrder = "desc"
)

// Column is a column of a table with dlt's hints. Build one with NewColumn: the zero
// value has Nullable false, i.e. NOT NULL, while dlt's default is nullable.
type Column struct {
	Name     string
	DataType DataType
	// Nullable is dlt's `nullable` hint; dlt's default (and NewColumn's) is true.
	Nullable bool
	// Precision and Scale qualify decimal (38,9 when 0: see DecimalPrecisionScale),
	// and optionally text/binary length or timestamp precision.
	Precision int
	Scale     int

	PrimaryKey bool      // `primary_key`: merge deduplicates and replaces rows by it
	Unique     bool      // `unique`
	MergeKey   bool      // `merge_key`: merge deletes destination rows by it, no dedup
	HardDelete bool      // `hard_delete`: a staged row with this true/non-null deletes its key
	DedupSort  SortOrder // `dedup_sort`: which duplicate a merge keeps
	RowKey     bool      // `row_key`: the row's own id (`_dlt_id`)
	ParentKey  bool      // `parent_key`: the parent row's id (`_dlt_parent_id`)
	RootKey    bool      // `root_key`: the root row's id (`_dlt_root_id`)
	// Variant marks a column created to hold values that did not fit another column's
	// type (`<col>__v_<type>`).
	Variant bool
	// ValidFrom, ValidTo and RowVersion mark an scd2 table's validity columns and the column
	// that identifies a version of a record (dlt's `x-valid-from`, `x-valid-to`,
	// `x-row-version`); ActiveRecordTimestamp, on the ValidTo column, is the value of an active
	// row's "to" (`x-active-record-timestamp`; nil: NULL). See SCD2Columns.
	ValidFrom, ValidTo, RowVersion bool
	ActiveRecordTimestamp          *time.Time
	Description                    string

	// Extra keeps column properties this package does not model (e.g. `timezone`,
	// `x-...` hints), so a schema read from a destination is written back unchanged.
	Extra map[string]json.RawMessage
}

// NewColumn returns a nullable column with no other hints.
func NewColumn(name string, t DataType) Column {
	return Column{Name: name, DataType: t, Nullable: true}
}

// Complete reports whether the column has a data type. A stored schema may hold columns
// with hints only (declared before any data arrived); destinations create only complete
// columns.
func (c Column) Complete() bool { return c.DataType != "" }

// DecimalPrecisionScale returns the column's decimal precision and scale, with dlt's
// defaults 38 and 9 for the parts left at 0.
func (c Column) DecimalPrecisionScale() (precision, scale int) {
	precision, scale = c.Precision, c.Scale
	if precision == 0 {
		precision = DefaultDecimalPrecision
	}
	if scale == 0 && c.Precision == 0 {
		scale = DefaultDecimalScale
	}
	return precision, scale
}

// Table is a table of a schema with dlt's table hints. Columns keep insertion order,
// which is the order of the columns in the destination.
type Table struct {
	Name    string
	Columns []Column
	// WriteDisposition is only set on root tables; nested tables inherit their root's.
	WriteDisposition WriteDisposition
	// Resource names the resource that fills the table (root tables only).
	Resource string
	// MergeStrategy is a merge table's strategy (`x-merge-strategy`; "" is delete-insert).
	MergeStrategy MergeStrategy
	// Boundary is the time an scd2 merge writes as the "valid from" of new rows and the "valid
	// to" of retired ones in the load the table is opened in (dlt's boundary timestamp); zero:
	// the time the load began. It belongs to one load and is not stored in the schema.
	Boundary time.Time
	// Parent is the parent table of a nested table, "" for a root table.
	Parent      string
	Description string
	// SchemaContract overrides the schema's contract for this table (nil: inherit).
	SchemaContract *Contract
	// Extra keeps table properties this package does not model (`x-normalizer`,
	// `file_format`, `table_format`...), so a stored schema round-trips unchanged.
	Extra map[string]json.RawMessage

	// index maps column names to positions in Columns; rebuilt whenever it is found out
	// of date, so callers may append to or reorder Columns directly.
	index map[string]int
}

// NewTable returns a root table filled by the resource of the same name, like dlt's
// new_table.
func NewTable(name string, wd WriteDisposition, columns ...Column) *Table {
	t := &Table{Name: name, WriteDisposition: wd, Resource: name}
	t.Columns = append(t.Columns, columns...)
	return t
}

// NewNestedTable returns a table holding the list items of a field of parent.
func NewNestedTable(name, parent string, columns ...Column) *Table {
	t := &Table{Name: name, Parent: parent}
	t.Columns = append(t.Columns, columns...)
	return t
}

// Column returns the column with the given name, or nil. The pointer stays valid until
// Columns is next appended to. A hit costs a map lookup; a miss re-reads Columns, so
// edits made directly to Columns are always seen.
func (t *Table) Column(name string) *Column {
	if i, ok := t.index[name]; ok && i < len(t.Columns) && t.Columns[i].Name == name {
		return &t.Columns[i]
	}
	t.reindex()
	if i, ok := t.index[name]; ok {
		return &t.Columns[i]
	}
	return nil
}

// ColumnIndex is the position of the named column in Columns, or -1. Unlike Column it changes
// nothing, so goroutines may call it at once on a table none of them changes.
func (t *Table) ColumnIndex(name string) int {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

func (t *Table) reindex() {
	t.index = make(map[string]int, len(t.Columns))
	for i := range t.Columns {
		if _, dup := t.index[t.Columns[i].Name]; !dup {
			t.index[t.Columns[i].Name] = i
		}
	}
}

// AddColumn appends c to the table. A column of the same name is an error: change an
// existing column through Column instead.
func (t *Table) AddColumn(c Column) error {
	if c.Name == "" {
		return fmt.Errorf("schema: table %q: column has no name; normalize the source name first", t.Name)
	}
	if !c.DataType.Valid() {
		return fmt.Errorf("schema: table %q: column %q has data type %q; use one of %v", t.Name, c.Name, c.DataType, DataTypes)
	}
	if t.Column(c.Name) != nil {
		return fmt.Errorf("schema: table %q already has column %q; update the existing column instead", t.Name, c.Name)
	}
	t.Columns = append(t.Columns, c)
	if t.index == nil {
		t.index = make(map[string]int)
	}
	t.index[c.Name] = len(t.Columns) - 1
	return nil
}

// ColumnNames returns the names of the columns, in order.
func (t *Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// IsNested reports whether the table holds list items of a parent table.
func (t *Table) IsNested() bool { return t.Parent != "" }

// PrimaryKey returns the names of the primary key columns, in column order.
func (t *Table) PrimaryKey() []string { return t.hinted(func(c *Column) bool { return c.PrimaryKey }) }

// MergeKey returns the names of the merge key columns, in column order.
func (t *Table) MergeKey() []string { return t.hinted(func(c *Column) bool { return c.MergeKey }) }

func (t *Table) hinted(has func(*Column) bool) []string {
	var names []string
	for i := range t.Columns {
		if has(&t.Columns[i]) {
			names = append(names, t.Columns[i].Name)
		}
	}
	return names
}

// Clone returns a deep copy of the table.
func (t *Table) Clone() *Table {
	c := *t
	c.index = nil
	c.Columns = make([]Column, len(t.Columns))
	for i, col := range t.Columns {
		col.Extra = cloneRaw(col.Extra)
		if col.ActiveRecordTimestamp != nil {
			a := *col.ActiveRecordTimestamp
			col.ActiveRecordTimestamp = &a
		}
		c.Columns[i] = col
	}
	c.Extra = cloneRaw(t.Extra)
	if t.SchemaContract != nil {
		sc := *t.SchemaContract
		c.SchemaContract = &sc
	}
	return &c
}

func cloneRaw(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = append(json.RawMessage(nil), v...)
	}
	return out
}

// Names of dlt's system columns and tables.
const (
	ColumnLoadID   = "_dlt_load_id"
	ColumnID       = "_dlt_id"
	ColumnParentID = "_dlt_parent_id"
	ColumnListIdx  = "_dlt_list_idx"
	ColumnRootID   = "_dlt_root_id"
	// ColumnValue holds the items of a list of scalars in its nested table.
	ColumnValue = "value"

	TableLoads         = "_dlt_loads"
	TableVersion       = "_dlt_version"
	TablePipelineState = "_dlt_pipeline_state"
)

// LoadStatusComplete is `_dlt_loads.status` of a completed load.
const LoadStatusComplete = 0

// LoadIDColumn is `_dlt_load_id`: text, not null; the load that wrote a root row.
func LoadIDColumn() Column { return Column{Name: ColumnLoadID, DataType: Text} }

// IDColumn is `_dlt_id`: text, not null, unique, the row key of every row.
func IDColumn() Column {
	return Column{Name: ColumnID, DataType: Text, Unique: true, RowKey: true}
}

// ParentIDColumn is `_dlt_parent_id`: text, not null, the parent row's `_dlt_id`.
func ParentIDColumn() Column {
	return Column{Name: ColumnParentID, DataType: Text, ParentKey: true}
}

// ListIdxColumn is `_dlt_list_idx`: bigint, not null, the item's position in its list.
func ListIdxColumn() Column { return Column{Name: ColumnListIdx, DataType: Bigint} }

// RootIDColumn is `_dlt_root_id`: text, not null, the root row's `_dlt_id` (nested tables
// of merge tables, so merge can delete a root row's children).
func RootIDColumn() Column {
	return Column{Name: ColumnRootID, DataType: Text, RootKey: true}
}

// RootSystemColumns are the columns dlt adds to every root row, in dlt's order (after
// the data columns seen in the first load).
func RootSystemColumns() []Column { return []Column{LoadIDColumn(), IDColumn()} }

// NestedSystemColumns are the columns dlt adds to every row of a nested table; a
// nested table under a merge root also gets `_dlt_root_id`.
func NestedSystemColumns(mergeRoot bool) []Column {
	cols := []Column{ParentIDColumn(), ListIdxColumn(), IDColumn()}
	if mergeRoot {
		cols = append(cols, RootIDColumn())
	}
	return cols
}

// LoadsTable is dlt's `_dlt_loads`: one row per completed load, written last.
func LoadsTable() *Table {
	t := NewTable(TableLoads, Skip,
		Column{Name: "load_id", DataType: Text},
		NewColumn("schema_name", Text),
		Column{Name: "status", DataType: Bigint},
		Column{Name: "inserted_at", DataType: Timestamp},
		NewColumn("schema_version_hash", Text),
	)
	t.Description = "Created by DLT. Tracks completed loads"
	return t
}

// VersionTable is dlt's `_dlt_version`: one row per schema version, `schema` holding the
// schema's JSON.
func VersionTable() *Table {
	t := NewTable(TableVersion, Skip,
		Column{Name: "version", DataType: Bigint},
		Column{Name: "engine_version", DataType: Bigint},
		Column{Name: "inserted_at", DataType: Timestamp},
		Column{Name: "schema_name", DataType: Text},
		Column{Name: "version_hash", DataType: Text},
		Column{Name: "schema", DataType: Text},
	)
	t.Description = "Created by DLT. Tracks schema updates"
	return t
}

// PipelineStateTable is dlt's `_dlt_pipeline_state`: the pipeline state (zlib, base64)
// saved with each load.
func PipelineStateTable() *Table {
	t := NewTable(TablePipelineState, Append,
		Column{Name: "version", DataType: Bigint},
		Column{Name: "engine_version", DataType: Bigint},
		Column{Name: "pipeline_name", DataType: Text},
		Column{Name: "state", DataType: Text},
		Column{Name: "created_at", DataType: Timestamp},
		NewColumn("version_hash", Text),
		LoadIDColumn(),
		IDColumn(),
	)
	t.Description = "Created by DLT. Tracks pipeline state"
	t.Extra = map[string]json.RawMessage{"file_format": json.RawMessage(`"preferred"`)}
	return t
}

// IsSystemTable reports whether name is one of dlt's own tables.
func IsSystemTable(name string) bool {
	return name == TableLoads || name == TableVersion || name == TablePipelineState
}

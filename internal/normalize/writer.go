package normalize

import (
	"context"
	"fmt"
	"strings"

	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/schema"
)

// Filter is an incremental resource's cursor as the writer of its root table applies it: Keep
// decides whether a record with cursor value v and key belongs to the run.
type Filter interface {
	Keep(v any, key string) (bool, error)
}

// Misfit is a decoded value that does not fit its column's type: the writer places it in a
// variant column (dlt's <column>__v_<type>) or the schema contract decides.
type Misfit struct {
	Col   int
	Value any
}

// Writer finishes the rows of one table of a resource (system columns, variants, the
// incremental filter, not-null checks) and hands them to the loader.
type Writer struct {
	sch     *Schema
	out     chan<- load.Op
	filter  Filter
	t       *schema.Table
	cursor  string // cursor column; "" when not incremental or a nested table
	rows    int64
	pending [][]any
	// sentCols is how many columns the loader knows the table to have.
	sentCols int
	lay      *layout
	ids      load.RowIDs
}

// NewWriter makes the writer of table t (a table of sch), sending its rows to out. cursorPath
// and filter are the resource's incremental cursor (the field as the source names it), applied
// to a root table only; "" and nil when the resource is not incremental.
func NewWriter(sch *Schema, t *schema.Table, out chan<- load.Op, cursorPath string, filter Filter) *Writer {
	w := &Writer{sch: sch, out: out, t: t}
	if filter != nil && cursorPath != "" && t.Parent == "" {
		w.cursor, w.filter = sch.Naming().NormalizeIdentifier(cursorPath), filter
	}
	return w
}

// Table is the writer's table (the schema's: read it through Schema).
func (w *Writer) Table() *schema.Table { return w.t }

// Rows is how many rows the writer has sent.
func (w *Writer) Rows() int64 { return w.rows }

// Begin opens the table in the load even if no row comes (a replace resource with no records
// must leave its table empty).
func (w *Writer) Begin(ctx context.Context) error {
	return w.Flush(ctx, nil)
}

// layout holds the positions FinishRow needs, found once per table shape rather than per row.
type layout struct {
	width   int // len(t.Columns) when computed
	cursor  int // -1: none
	pk      []int
	data    []int // non-system columns, for a key when there is no primary key
	notNull []int
	id      int
	// rowHash: _dlt_id holds a hash of the row's data columns (an scd2 table's row version).
	rowHash bool
}

func (w *Writer) layout() *layout {
	if w.lay != nil && w.lay.width == len(w.t.Columns) {
		return w.lay
	}
	l := &layout{width: len(w.t.Columns), cursor: -1, id: -1}
	for i, c := range w.t.Columns {
		switch c.Name {
		case schema.ColumnLoadID:
			continue // the loader stamps it with the load the row is written in
		case schema.ColumnID:
			l.id = i
			l.rowHash = w.t.MergeStrategy == schema.SCD2 && c.RowVersion && w.t.Parent == ""
			continue
		case schema.ColumnParentID, schema.ColumnListIdx, schema.ColumnRootID:
			continue
		}
		if w.cursor != "" && c.Name == w.cursor {
			l.cursor = i
		}
		if c.PrimaryKey {
			l.pk = append(l.pk, i)
		}
		if !c.Nullable {
			l.notNull = append(l.notNull, i)
		}
		if !strings.HasPrefix(c.Name, "_dlt_") && !c.ValidFrom && !c.ValidTo {
			l.data = append(l.data, i)
		}
	}
	w.lay = l
	return l
}

// FinishRow places misfit values into variant columns, applies the incremental filter and the
// not-null hints, and fills the system columns. It reports whether the row is kept; the row
// may have grown.
func (w *Writer) FinishRow(row []any, misfits []Misfit) (bool, []any, error) {
	return w.finish(row, misfits, true)
}

// FinishRereadRow is FinishRow for a record read again out of its read's order (a wide record
// that changed while its parts were read): it is loaded as it is now, and its cursor value, newer
// than the read's position, does not move the incremental cursor (a later run reads it again,
// harmlessly, while records changed before it are not skipped).
func (w *Writer) FinishRereadRow(row []any, misfits []Misfit) (bool, []any, error) {
	return w.finish(row, misfits, false)
}

func (w *Writer) finish(row []any, misfits []Misfit, track bool) (bool, []any, error) {
	for _, m := range misfits {
		pl, width, idx, err := w.sch.place(w.t, m.Col, m.Value)
		if err != nil {
			return false, nil, fmt.Errorf("table %s, record %s: %w", w.t.Name, w.recordID(row), err)
		}
		if pl.DiscardRow {
			return false, row, nil
		}
		if pl.Column == "" {
			continue
		}
		for len(row) < width {
			row = append(row, nil)
		}
		row[idx] = pl.Value
	}
	l := w.layout()
	if w.cursor != "" && track {
		var v any
		if l.cursor >= 0 && l.cursor < len(row) {
			v = row[l.cursor]
		}
		keep, err := w.filter.Keep(v, w.key(row, l))
		if err != nil {
			return false, nil, fmt.Errorf("table %s, record %s: %w", w.t.Name, w.recordID(row), err)
		}
		if !keep {
			return false, row, nil
		}
	}
	for _, i := range l.notNull {
		if i < len(row) && row[i] != nil {
			continue
		}
		return false, nil, fmt.Errorf("table %s, column %s: record %s has null, but the column is not nullable (a not_null or primary key hint): nothing of this load was committed; fix the data or remove the hint", w.t.Name, w.t.Columns[i].Name, w.recordID(row))
	}
	if l.id >= 0 && row[l.id] == nil {
		if l.rowHash {
			row[l.id] = w.rowHash(row, l)
		} else {
			row[l.id] = w.ids.Next()
		}
	}
	return true, row, nil
}

// key is the row's primary key as text (all its data columns when there is none), which
// boundary dedup hashes.
func (w *Writer) key(row []any, l *layout) string {
	cols := l.pk
	if len(cols) == 0 {
		cols = l.data
	}
	if len(cols) == 1 && cols[0] < len(row) {
		if s, ok := row[cols[0]].(string); ok {
			return s
		}
	}
	var b strings.Builder
	for n, i := range cols {
		if n > 0 {
			b.WriteByte(0)
		}
		if i < len(row) {
			fmt.Fprint(&b, row[i])
		}
	}
	return b.String()
}

// recordID names a record in an error: its Salesforce Id, or its primary key.
func (w *Writer) recordID(row []any) string {
	for _, name := range []string{"id"} {
		if i := w.t.ColumnIndex(name); i >= 0 && i < len(row) && row[i] != nil {
			return fmt.Sprintf("Id %v", row[i])
		}
	}
	var parts []string
	for i, c := range w.t.Columns {
		if c.PrimaryKey && i < len(row) {
			parts = append(parts, fmt.Sprintf("%s=%v", c.Name, row[i]))
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("#%d", w.rows+1)
}

// Flush sends rows to the loader, padded to the table's current width, with a snapshot of the
// table when it is new to the loader or gained columns.
func (w *Writer) Flush(ctx context.Context, rows [][]any) error {
	return w.FlushMark(ctx, rows, nil)
}

// FlushMark is flush with the resource's mark as of these rows (see load.Mark).
func (w *Writer) FlushMark(ctx context.Context, rows [][]any, m *load.Mark) error {
	op := load.Op{Name: w.t.Name, Rows: rows, Mark: m}
	width, def := w.sch.snapshot(w.t, w.sentCols)
	if def != nil {
		op.Def, w.sentCols = def, width
	}
	for i, row := range rows {
		for len(row) < width {
			row = append(row, nil)
		}
		rows[i] = row
	}
	select {
	case w.out <- op:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	w.rows += int64(len(rows))
	return nil
}

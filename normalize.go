package sfdlt

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sfdlt/sfdlt/schema"
)

// rowWriter finishes the rows of one table of a resource (system columns, variants, the
// incremental filter, not-null checks) and hands them to the loader.
type rowWriter struct {
	r       *run
	res     *Resource
	t       *schema.Table
	cursor  string // cursor column; "" when not incremental or a nested table
	rows    int64
	pending [][]any
	// sentCols is how many columns the loader knows the table to have.
	sentCols int
	lay      *layout
	ids      rowIDs
}

func newRowWriter(r *run, res *Resource, t *schema.Table) *rowWriter {
	w := &rowWriter{r: r, res: res, t: t}
	if res.inc != nil && t.Parent == "" {
		w.cursor = r.sch.Naming.NormalizeIdentifier(res.inc.CursorPath)
	}
	return w
}

// begin opens the table in the load even if no row comes (a replace resource with no records
// must leave its table empty).
func (w *rowWriter) begin(ctx context.Context) error {
	return w.flush(ctx, nil)
}

// columnIndex is the position of a column in t, or -1.
func columnIndex(t *schema.Table, name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// layout holds the positions finishRow needs, found once per table shape rather than per row.
type layout struct {
	width   int // len(t.Columns) when computed
	cursor  int // -1: none
	pk      []int
	data    []int // non-system columns, for a key when there is no primary key
	notNull []int
	id      int
}

func (w *rowWriter) layout() *layout {
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
		if !strings.HasPrefix(c.Name, "_dlt_") {
			l.data = append(l.data, i)
		}
	}
	w.lay = l
	return l
}

// finishRow places misfit values into variant columns, applies the incremental filter and the
// not-null hints, and fills the system columns. It reports whether the row is kept; the row
// may have grown.
func (w *rowWriter) finishRow(row []any, misfits []misfit) (bool, []any, error) {
	return w.finish(row, misfits, true)
}

// finishRereadRow is finishRow for a record read again out of its read's order (a wide record
// that changed while its parts were read): it is loaded as it is now, and its cursor value, newer
// than the read's position, does not move the incremental cursor (a later run reads it again,
// harmlessly, while records changed before it are not skipped).
func (w *rowWriter) finishRereadRow(row []any, misfits []misfit) (bool, []any, error) {
	return w.finish(row, misfits, false)
}

func (w *rowWriter) finish(row []any, misfits []misfit, track bool) (bool, []any, error) {
	for _, m := range misfits {
		w.r.schMu.Lock()
		col := w.t.Columns[m.col].Name
		pl, err := w.r.sch.Place(w.t, col, m.value)
		width := len(w.t.Columns)
		idx := columnIndex(w.t, pl.Column)
		w.r.schMu.Unlock()
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
		keep, err := w.res.inc.keep(v, w.key(row, l))
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
		row[l.id] = w.ids.next()
	}
	return true, row, nil
}

// key is the row's primary key as text (all its data columns when there is none), which
// boundary dedup hashes.
func (w *rowWriter) key(row []any, l *layout) string {
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
func (w *rowWriter) recordID(row []any) string {
	for _, name := range []string{"id"} {
		if i := columnIndex(w.t, name); i >= 0 && i < len(row) && row[i] != nil {
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

// flush sends rows to the loader, padded to the table's current width, with a snapshot of the
// table when it is new to the loader or gained columns.
func (w *rowWriter) flush(ctx context.Context, rows [][]any) error {
	return w.flushMark(ctx, rows, nil)
}

// flushMark is flush with the resource's mark as of these rows (see resMark).
func (w *rowWriter) flushMark(ctx context.Context, rows [][]any, m *resMark) error {
	op := loadOp{name: w.t.Name, rows: rows, mark: m}
	w.r.schMu.Lock()
	width := len(w.t.Columns)
	if width != w.sentCols || w.sentCols == 0 {
		op.table = w.t.Clone()
		w.sentCols = width
	}
	w.r.schMu.Unlock()
	for i, row := range rows {
		for len(row) < width {
			row = append(row, nil)
		}
		rows[i] = row
	}
	if err := w.r.send(ctx, op); err != nil {
		return err
	}
	w.rows += int64(len(rows))
	return nil
}

// funcBatch is how many records of a Go resource go to the destination at once.
const funcBatch = 1000

// extractFunc runs a resource written in Go. Records are normalized as dlt's relational
// normalizer does: nested maps flatten into parent__child columns, lists become nested tables
// (<table>__<field>) linked by _dlt_parent_id and _dlt_list_idx (and _dlt_root_id under merge).
// Column types are inferred from the values.
func (r *run) extractFunc(ctx context.Context, res *Resource) error {
	n := &normalizer{r: r, res: res, writers: map[string]*rowWriter{}}
	root, err := r.evolve(r.observedTable(res, nil))
	if err != nil {
		return err
	}
	w := newRowWriter(r, res, root)
	n.writers[root.Name] = w
	n.order = append(n.order, root.Name)
	// A Go function cannot be resumed midway: no commit cuts it (its mark is not safe).
	fullRead := res.inc != nil && res.inc.LastValue() == nil
	if err := w.flushMark(ctx, nil, &resMark{resource: res.name, begin: true}); err != nil {
		return err
	}
	// Nested tables a previous run created are replaced along with their root.
	for _, nt := range r.sch.NestedTables(root.Name) {
		nw := newRowWriter(r, res, nt)
		n.writers[nt.Name] = nw
		n.order = append(n.order, nt.Name)
		if err := nw.begin(ctx); err != nil {
			return err
		}
	}
	prog := Progress{Resource: res.name, Table: root.Name, TotalRows: -1}
	count := 0
	for rec, err := range res.fn(ctx, res.inc) {
		if err != nil {
			return fmt.Errorf("the resource function failed: %w", err)
		}
		if err := n.record(rec); err != nil {
			return err
		}
		if count++; count%funcBatch == 0 {
			if err := n.flush(ctx); err != nil {
				return err
			}
			prog.Pages++
			prog.Rows = w.rows
			r.report(prog)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := n.flush(ctx); err != nil {
		return err
	}
	done := &resMark{resource: res.name, safe: true, done: true, fullRead: fullRead}
	if res.inc != nil {
		done.cursor, done.inc = res.inc.CursorPath, res.inc.state()
	}
	if err := r.send(ctx, loadOp{mark: done}); err != nil {
		return err
	}
	prog.Rows, prog.Done = w.rows, true
	r.report(prog)
	return nil
}

// normalizer turns Go records into rows of a root table and its nested tables.
type normalizer struct {
	r       *run
	res     *Resource
	writers map[string]*rowWriter
	order   []string
}

func (n *normalizer) flush(ctx context.Context) error {
	for _, name := range n.order {
		w := n.writers[name]
		if err := w.flush(ctx, w.pending); err != nil {
			return err
		}
		w.pending = w.pending[:0]
	}
	return nil
}

// record normalizes one root record.
func (n *normalizer) record(rec map[string]any) error {
	_, _, err := n.row(n.res.name, "", rec, nil, "")
	return err
}

// row normalizes one record of table name, writing nested lists to child tables. parentID is
// "" for a root record. It returns the row's _dlt_id and whether it was kept.
func (n *normalizer) row(name, parent string, rec map[string]any, link map[string]any, rootID string) (string, bool, error) {
	flat := map[string]any{}
	var lists []struct {
		col   string
		items []any
	}
	src := map[string]string{} // column -> the key it came from, to catch two keys becoming one column
	if err := flatten(n.r.sch.Naming, "", "", rec, flat, src, func(col string, items []any) {
		lists = append(lists, struct {
			col   string
			items []any
		}{col, items})
	}); err != nil {
		return "", false, fmt.Errorf("table %s: %w", name, err)
	}
	maps.Copy(flat, link)

	// Columns in a stable order: sorted source keys (Go maps have none of their own).
	var cols []schema.Column
	for _, k := range slices.Sorted(maps.Keys(flat)) {
		v := flat[k]
		if v == nil || strings.HasPrefix(k, "_dlt_") {
			continue
		}
		typ, ok := schema.InferType(v)
		if !ok {
			return "", false, fmt.Errorf("table %s, field %s: values of Go type %T cannot be loaded: use strings, numbers, booleans, time.Time, []byte, maps or slices", name, k, v)
		}
		cols = append(cols, schema.NewColumn(k, typ))
	}
	var observed *schema.Table
	if parent == "" {
		observed = n.r.observedTable(n.res, cols)
	} else {
		observed = schema.NewNestedTable(name, parent, append(cols, schema.NestedSystemColumns(n.res.disposition == Merge)...)...)
	}
	t, err := n.evolveRow(observed)
	if err != nil {
		return "", false, err
	}
	w := n.writers[t.Name]
	row := make([]any, len(t.Columns))
	var misfits []misfit
	for k, v := range flat {
		i := columnIndex(t, k)
		if i < 0 {
			continue // discarded by the contract
		}
		out, ok := schema.CoerceColumn(v, t.Columns[i])
		if !ok {
			misfits = append(misfits, misfit{col: i, value: v})
			continue
		}
		row[i] = out
	}
	keep, row, err := w.finishRow(row, misfits)
	if err != nil || !keep {
		return "", keep, err
	}
	id := row[columnIndex(t, schema.ColumnID)].(string)
	if parent == "" {
		rootID = id
	}
	w.pending = append(w.pending, row)
	for _, l := range lists {
		child := n.r.sch.Naming.JoinPath(name, l.col)
		for idx, item := range l.items {
			link := map[string]any{schema.ColumnParentID: id, schema.ColumnListIdx: int64(idx)}
			if n.res.disposition == Merge {
				link[schema.ColumnRootID] = rootID
			}
			m, ok := item.(map[string]any)
			if !ok {
				m = map[string]any{schema.ColumnValue: item}
			}
			// A nested row's id is derived from its parent, table and position, as in dlt.
			link[schema.ColumnID] = keyHash(id + "\x00" + child + "\x00" + strconv.Itoa(idx))
			if _, _, err := n.row(child, name, m, link, rootID); err != nil {
				return "", false, err
			}
		}
	}
	return id, true, nil
}

// evolveRow merges an observed table into the schema and makes sure it has a writer.
func (n *normalizer) evolveRow(observed *schema.Table) (*schema.Table, error) {
	t, err := n.r.evolve(observed)
	if err != nil {
		return nil, err
	}
	if observed.Parent != "" {
		t.WriteDisposition = ""
	}
	if n.writers[t.Name] == nil {
		n.writers[t.Name] = newRowWriter(n.r, n.res, t)
		n.order = append(n.order, t.Name)
	}
	return t, nil
}

// flatten writes rec's scalar values into flat under normalized column names, nested maps as
// parent__child columns; lists go to onList.
// Two keys that become one column are an error naming both, never a value silently lost.
func flatten(naming schema.Naming, prefix, keyPrefix string, rec map[string]any, flat map[string]any, src map[string]string, onList func(string, []any)) error {
	for k, v := range rec {
		col := naming.NormalizeIdentifier(k)
		if strings.HasPrefix(k, "_dlt_") {
			col = k
		}
		if prefix != "" {
			col = naming.JoinPath(prefix, col)
		}
		key := k
		if keyPrefix != "" {
			key = keyPrefix + "." + k
		}
		if other, dup := src[col]; dup {
			return fmt.Errorf("fields %q and %q both become column %q under dlt's naming: rename one of them", other, key, col)
		}
		src[col] = key
		switch x := v.(type) {
		case map[string]any:
			if err := flatten(naming, col, key, x, flat, src, onList); err != nil {
				return err
			}
		case []any:
			onList(col, x)
		case json.RawMessage, []byte:
			flat[col] = x
		default:
			if items, ok := sliceItems(v); ok {
				onList(col, items)
				continue
			}
			flat[col] = v
		}
	}
	return nil
}

// sliceItems turns a typed slice ([]string, []int, []map[string]any...) into []any.
func sliceItems(v any) ([]any, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

package normalize

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/schema"
)

// Records turns records written in Go into rows of a root table and its nested tables, as dlt's
// relational normalizer does: nested maps flatten into parent__child columns, lists become
// nested tables (<table>__<field>) linked by _dlt_parent_id and _dlt_list_idx (and _dlt_root_id
// under merge). Column types are inferred from the values.
type Records struct {
	sch        *Schema
	hints      Hints
	out        chan<- load.Op
	cursorPath string
	filter     Filter
	writers    map[string]*Writer
	order      []string
}

// NewRecords makes the normalizer of a resource written in Go (see NewWriter for cursorPath and
// filter).
func NewRecords(sch *Schema, h Hints, out chan<- load.Op, cursorPath string, filter Filter) *Records {
	return &Records{sch: sch, hints: h, out: out, cursorPath: cursorPath, filter: filter, writers: map[string]*Writer{}}
}

// Writer returns the writer of t (a table of the schema), making it on first use.
func (n *Records) Writer(t *schema.Table) *Writer {
	w := n.writers[t.Name]
	if w == nil {
		w = NewWriter(n.sch, t, n.out, n.cursorPath, n.filter)
		n.writers[t.Name] = w
		n.order = append(n.order, t.Name)
	}
	return w
}

// Flush sends the rows normalized since the last flush.
func (n *Records) Flush(ctx context.Context) error {
	for _, name := range n.order {
		w := n.writers[name]
		if err := w.Flush(ctx, w.pending); err != nil {
			return err
		}
		w.pending = w.pending[:0]
	}
	return nil
}

// Record normalizes one root record.
func (n *Records) Record(rec map[string]any) error {
	_, _, err := n.row(n.hints.Name, "", rec, nil, "")
	return err
}

// row normalizes one record of table name, writing nested lists to child tables. parentID is
// "" for a root record. It returns the row's _dlt_id and whether it was kept.
func (n *Records) row(name, parent string, rec map[string]any, link map[string]any, rootID string) (string, bool, error) {
	flat := map[string]any{}
	var lists []struct {
		col   string
		items []any
	}
	src := map[string]string{} // column -> the key it came from, to catch two keys becoming one column
	if err := flatten(n.sch.Naming(), "", "", rec, flat, src, func(col string, items []any) {
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
		observed = Observed(n.hints, cols)
	} else {
		observed = schema.NewNestedTable(name, parent, append(cols, schema.NestedSystemColumns(n.hints.Disposition == schema.Merge)...)...)
	}
	t, err := n.evolveRow(observed)
	if err != nil {
		return "", false, err
	}
	w := n.writers[t.Name]
	row := make([]any, len(t.Columns))
	var misfits []Misfit
	for k, v := range flat {
		i := t.ColumnIndex(k)
		if i < 0 {
			continue // discarded by the contract
		}
		out, ok := schema.CoerceColumn(v, t.Columns[i])
		if !ok {
			misfits = append(misfits, Misfit{Col: i, Value: v})
			continue
		}
		row[i] = out
	}
	keep, row, err := w.FinishRow(row, misfits)
	if err != nil || !keep {
		return "", keep, err
	}
	id := row[t.ColumnIndex(schema.ColumnID)].(string)
	if parent == "" {
		rootID = id
	}
	w.pending = append(w.pending, row)
	for _, l := range lists {
		child := n.sch.Naming().JoinPath(name, l.col)
		for idx, item := range l.items {
			link := map[string]any{schema.ColumnParentID: id, schema.ColumnListIdx: int64(idx)}
			if n.hints.Disposition == schema.Merge {
				link[schema.ColumnRootID] = rootID
			}
			m, ok := item.(map[string]any)
			if !ok {
				m = map[string]any{schema.ColumnValue: item}
			}
			// A nested row's id is derived from its parent, table and position, as in dlt.
			link[schema.ColumnID] = KeyHash(id + "\x00" + child + "\x00" + strconv.Itoa(idx))
			if _, _, err := n.row(child, name, m, link, rootID); err != nil {
				return "", false, err
			}
		}
	}
	return id, true, nil
}

// evolveRow merges an observed table into the schema and makes sure it has a writer.
func (n *Records) evolveRow(observed *schema.Table) (*schema.Table, error) {
	t, err := n.sch.Evolve(observed) // a nested table's disposition is its root's: observed has none
	if err != nil {
		return nil, err
	}
	n.Writer(t)
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

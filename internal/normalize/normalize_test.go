package normalize

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/schema"
)

// collect runs f with a channel of ops and returns what f sent.
func collect(t *testing.T, f func(out chan<- load.Op) error) []load.Op {
	t.Helper()
	out := make(chan load.Op)
	var ops []load.Op
	done := make(chan struct{})
	go func() {
		defer close(done)
		for op := range out {
			ops = append(ops, op)
		}
	}()
	err := f(out)
	close(out)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// rowsOf returns the rows sent for table, as maps of column -> value, using each op's latest
// table definition.
func rowsOf(ops []load.Op, table string) []map[string]any {
	var def *schema.Table
	var out []map[string]any
	for _, op := range ops {
		if op.Name != table {
			continue
		}
		if op.Def != nil {
			def = op.Def
		}
		for _, row := range op.Rows {
			m := map[string]any{}
			for i, c := range def.Columns {
				m[c.Name] = row[i]
			}
			out = append(out, m)
		}
	}
	return out
}

func TestRecordsNestedTables(t *testing.T) {
	sch := NewSchema(schema.New("test"))
	h := Hints{Name: "tickets", Disposition: schema.Merge, PrimaryKey: []string{"id"}}
	ops := collect(t, func(out chan<- load.Op) error {
		n := NewRecords(sch, h, out, "", nil)
		root, err := sch.Evolve(Observed(h, nil))
		if err != nil {
			return err
		}
		n.Writer(root)
		for _, rec := range []map[string]any{
			{"id": "t1", "Owner": map[string]any{"Name": "Ann"}, "tags": []string{"a", "b"}},
			{"id": "t2", "tags": []any{map[string]any{"label": "c"}}},
		} {
			if err := n.Record(rec); err != nil {
				return err
			}
		}
		return n.Flush(context.Background())
	})
	roots := rowsOf(ops, "tickets")
	if len(roots) != 2 || roots[0]["owner__name"] != "Ann" || roots[1]["owner__name"] != nil {
		t.Fatalf("root rows = %v, want owner__name flattened", roots)
	}
	tags := rowsOf(ops, "tickets__tags")
	if len(tags) != 3 {
		t.Fatalf("nested rows = %v, want 3", tags)
	}
	for i, want := range []struct {
		parent any
		idx    int64
		value  any
		label  any
	}{{roots[0]["_dlt_id"], 0, "a", nil}, {roots[0]["_dlt_id"], 1, "b", nil}, {roots[1]["_dlt_id"], 0, nil, "c"}} {
		got := tags[i]
		if got["_dlt_parent_id"] != want.parent || got["_dlt_list_idx"] != want.idx || got["value"] != want.value || got["label"] != want.label {
			t.Errorf("nested row %d = %v, want parent %v idx %d value %v label %v", i, got, want.parent, want.idx, want.value, want.label)
		}
		if got["_dlt_root_id"] != want.parent {
			t.Errorf("nested row %d: _dlt_root_id %v, want the root's _dlt_id under merge", i, got["_dlt_root_id"])
		}
		// A nested row's id is derived from its parent, table and position, as in dlt.
		if id := KeyHash(want.parent.(string) + "\x00tickets__tags\x00" + string(rune('0'+want.idx))); got["_dlt_id"] != id {
			t.Errorf("nested row %d: _dlt_id %v, want %v", i, got["_dlt_id"], id)
		}
	}
}

func TestRecordsTwoKeysOneColumn(t *testing.T) {
	sch := NewSchema(schema.New("test"))
	h := Hints{Name: "things", Disposition: schema.Append}
	out := make(chan load.Op, 10)
	n := NewRecords(sch, h, out, "", nil)
	err := n.Record(map[string]any{"Full Name": "a", "full_name": "b"})
	if err == nil || !strings.Contains(err.Error(), "both become column") {
		t.Fatalf("two keys becoming one column: %v, want an error naming both", err)
	}
}

type keepAfter struct{ min int64 }

func (k keepAfter) Keep(v any, key string) (bool, error) {
	n, ok := v.(int64)
	if !ok {
		return false, errors.New("not an int64")
	}
	return n >= k.min, nil
}

func TestWriterFilterNotNullAndIDs(t *testing.T) {
	sch := NewSchema(schema.New("test"))
	h := Hints{Name: "events", Disposition: schema.Append, Columns: map[string]schema.ColumnHint{"name": {NotNull: true}}}
	t0, err := sch.Evolve(Observed(h, []schema.Column{schema.NewColumn("seq", schema.Bigint), schema.NewColumn("name", schema.Text)}))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(sch, t0, make(chan load.Op, 1), "Seq", keepAfter{5})
	seq, name, id := t0.ColumnIndex("seq"), t0.ColumnIndex("name"), t0.ColumnIndex(schema.ColumnID)
	row := func(s int64, n any) []any {
		r := make([]any, len(t0.Columns))
		r[seq], r[name] = s, n
		return r
	}
	if keep, _, err := w.FinishRow(row(4, "x"), nil); err != nil || keep {
		t.Errorf("a row before the cursor: keep %v, err %v; want dropped", keep, err)
	}
	keep, r, err := w.FinishRow(row(5, "y"), nil)
	if err != nil || !keep || r[id] == nil || len(r[id].(string)) != 14 {
		t.Errorf("a row at the cursor: keep %v, row %v, err %v; want kept with a _dlt_id", keep, r, err)
	}
	if _, _, err := w.FinishRow(row(6, nil), nil); err == nil || !strings.Contains(err.Error(), "not nullable") {
		t.Errorf("a null in a not-null column: %v, want an error", err)
	}
}

// Extractors of several resources evolve one schema at once; the race detector checks it.
func TestSchemaEvolvedConcurrently(t *testing.T) {
	sch := NewSchema(schema.New("test"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			h := Hints{Name: "t" + string(rune('a'+i)), Disposition: schema.Replace}
			for c := range 20 {
				cols := []schema.Column{schema.NewColumn("c"+string(rune('a'+c)), schema.Text)}
				if _, err := sch.Evolve(Observed(h, cols)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	v, err := sch.Version(false)
	if err != nil || v.Body == nil {
		t.Fatalf("Version: %v, %v", v, err)
	}
	for i := range 8 {
		tb := sch.Table("t" + string(rune('a'+i)))
		if tb == nil || tb.ColumnIndex("ct") < 0 {
			t.Fatalf("table t%c lacks its columns: %v", 'a'+i, tb)
		}
	}
}

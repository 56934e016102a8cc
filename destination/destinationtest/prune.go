package destinationtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// pruneTable is a merge table whose rows carry their load id, as sfdlt writes a Salesforce
// object: rows are id, val, _dlt_load_id.
func pruneTable() *schema.Table {
	return schema.NewTable("account", schema.Merge,
		schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("val", schema.Text), schema.LoadIDColumn())
}

// pruner returns l as a destination.Pruner, or skips the test when the destination has none.
func pruner(t *testing.T, l destination.Load) destination.Pruner {
	t.Helper()
	p, ok := l.(destination.Pruner)
	if !ok {
		t.Skipf("the load is a %T, which does not implement destination.Pruner", l)
	}
	return p
}

// pruneStep is one load of a prune test: rows written into tbl (when not nil), then, when
// prune is set, Prune(table, keep); then Commit, or Rollback when rollback is set.
type pruneStep struct {
	tbl      *schema.Table
	rows     [][]any
	prune    bool
	table    string // defaults to tbl's name
	keep     []string
	rollback bool
}

// run performs the step on s; any failure fails t. Prune is called right after Table,
// before the rows are written, since it takes effect at Commit.
func (st pruneStep) run(t *testing.T, s destination.Session) {
	t.Helper()
	ctx := t.Context()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	defer l.Rollback()
	var w destination.TableWriter
	if st.tbl != nil {
		if w, err = l.Table(ctx, st.tbl); err != nil {
			t.Fatalf("Table(%s): %v", st.tbl.Name, err)
		}
	}
	if st.prune {
		table := st.table
		if table == "" {
			table = st.tbl.Name
		}
		if err := pruner(t, l).Prune(ctx, table, st.keep); err != nil {
			t.Fatalf("Prune(%s, %d load ids): %v", table, len(st.keep), err)
		}
	}
	if w != nil {
		if err := w.Write(ctx, st.rows); err != nil {
			t.Fatalf("Write(%s): %v", st.tbl.Name, err)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatalf("Close(%s): %v", st.tbl.Name, err)
		}
	}
	if st.rollback {
		if err := l.Rollback(); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		return
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// testPrune checks destination.Pruner, when the destination's loads implement it: Prune
// deletes the rows of the table whose load id is not kept, after the load's merge, atomically
// with the load.
func testPrune(t *testing.T, newTarget func(*testing.T) Target) {
	acct := pruneTable()
	nullable := schema.NewTable("account", schema.Merge,
		schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("val", schema.Text), col(schema.ColumnLoadID, schema.Text))
	// many kept load ids, more than fit one statement's placeholders comfortably, with L1 and
	// L2 far apart among them.
	many := []string{"L2"}
	for i := range 1200 {
		many = append(many, fmt.Sprintf("X%04d", i))
	}
	many = append(many, "L1")

	cases := []struct {
		name  string
		steps []pruneStep
		want  [][]any
	}{
		{
			name: "deletes the rows no kept load wrote",
			steps: []pruneStep{
				{tbl: acct, rows: [][]any{{"a", "1", "L1"}, {"b", "1", "L1"}, {"c", "1", "L1"}}},
				{tbl: acct, rows: [][]any{{"b", "2", "L2"}, {"d", "2", "L2"}}, prune: true, keep: []string{"L2"}},
			},
			want: [][]any{{"b", "2", "L2"}, {"d", "2", "L2"}},
		},
		{
			name: "keeps the rows of every kept chunk",
			steps: []pruneStep{
				{tbl: acct, rows: [][]any{{"a", "0", "L0"}, {"b", "0", "L0"}, {"z", "0", "L0"}}},
				{tbl: acct, rows: [][]any{{"a", "1", "L1"}, {"b", "1", "L1"}}},
				{tbl: acct, rows: [][]any{{"c", "2", "L2"}, {"b", "2", "L2"}}, prune: true, keep: []string{"L1", "L2"}},
			},
			want: [][]any{{"a", "1", "L1"}, {"b", "2", "L2"}, {"c", "2", "L2"}},
		},
		{
			name: "keeps many load ids",
			steps: []pruneStep{
				{tbl: acct, rows: [][]any{{"a", "0", "L0"}, {"b", "0", "L0"}, {"z", "0", "L0"}}},
				{tbl: acct, rows: [][]any{{"a", "1", "L1"}}},
				{tbl: acct, rows: [][]any{{"b", "2", "L2"}}, prune: true, keep: many},
			},
			want: [][]any{{"a", "1", "L1"}, {"b", "2", "L2"}},
		},
		{
			name: "runs after the merge of its load",
			steps: []pruneStep{
				{tbl: acct, rows: [][]any{{"a", "1", "L1"}, {"b", "1", "L1"}}},
				// b is written twice (deduplicated to the last), c is new; x carries a load id
				// that is not kept, so it goes although this load wrote it.
				{tbl: acct, rows: [][]any{{"b", "2", "L2"}, {"c", "2", "L2"}, {"b", "3", "L2"}, {"x", "2", "L9"}},
					prune: true, keep: []string{"L2"}},
			},
			want: [][]any{{"b", "3", "L2"}, {"c", "2", "L2"}},
		},
		{
			name: "runs after the first load's merge into a new table",
			steps: []pruneStep{
				{tbl: acct, rows: [][]any{{"a", "1", "L1"}, {"b", "1", "L1"}, {"x", "1", "L9"}}, prune: true, keep: []string{"L1"}},
			},
			want: [][]any{{"a", "1", "L1"}, {"b", "1", "L1"}},
		},
		{
			name: "prunes a table the load does not open",
			steps: []pruneStep{
				{tbl: acct, rows: [][]any{{"a", "1", "L1"}, {"b", "2", "L2"}}},
				{prune: true, table: "account", keep: []string{"L2"}},
			},
			want: [][]any{{"b", "2", "L2"}},
		},
		{
			name: "empty keep deletes every row",
			steps: []pruneStep{
				{tbl: acct, rows: [][]any{{"a", "1", "L1"}}},
				{tbl: acct, rows: [][]any{{"b", "2", "L2"}}, prune: true},
			},
		},
		{
			name: "deletes rows without a load id",
			steps: []pruneStep{
				{tbl: nullable, rows: [][]any{{"a", "1", nil}, {"b", "1", "L1"}}},
				{tbl: nullable, rows: [][]any{{"c", "2", "L2"}}, prune: true, keep: []string{"L1", "L2"}},
			},
			want: [][]any{{"b", "1", "L1"}, {"c", "2", "L2"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, target: newTarget(t)}
			s := h.open(pipelineName)
			for _, st := range tc.steps {
				st.run(t, s)
			}
			got, _ := read(t, h.reader(), "account")
			equal(t, "rows", got, renderRows(tc.want))
		})
	}

	t.Run("rollback keeps every row", func(t *testing.T) {
		t.Parallel()
		h := &harness{t: t, target: newTarget(t)}
		s := h.open(pipelineName)
		pruneStep{tbl: acct, rows: [][]any{{"a", "1", "L1"}, {"b", "1", "L1"}}}.run(t, s)
		before := h.snapshot(s, "account")
		pruneStep{tbl: acct, rows: [][]any{{"b", "2", "L2"}, {"c", "2", "L2"}}, prune: true, keep: []string{"L2"}, rollback: true}.run(t, s)
		if after := h.snapshot(s, "account"); after != before {
			t.Errorf("dataset changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		// The session takes the next load, and its prune.
		pruneStep{tbl: acct, rows: [][]any{{"c", "3", "L3"}}, prune: true, keep: []string{"L3"}}.run(t, s)
		got, _ := read(t, h.reader(), "account")
		equal(t, "rows after the next load", got, renderRows([][]any{{"c", "3", "L3"}}))
	})

	t.Run("missing table is an error naming it", func(t *testing.T) {
		t.Parallel()
		h := &harness{t: t, target: newTarget(t)}
		s := h.open(pipelineName)
		pruneStep{tbl: acct, rows: [][]any{{"a", "1", "L1"}}}.run(t, s)
		before := h.snapshot(s, "account", "no_such_table")
		ctx := t.Context()
		l, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		err = pruner(t, l).Prune(ctx, "no_such_table", []string{"L1"})
		if err == nil {
			err = l.Commit(ctx)
		}
		if err == nil || !strings.Contains(err.Error(), "no_such_table") {
			t.Fatalf("Prune of a missing table, then Commit: got %v, want an error naming no_such_table", err)
		}
		if err := l.Rollback(); err != nil {
			t.Fatal(err)
		}
		if after := h.snapshot(s, "account", "no_such_table"); after != before {
			t.Errorf("dataset changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

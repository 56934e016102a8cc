package duckdb

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// TestCreateAndEvolve checks that a table gets the columns of its first load, columns added
// mid-load (with wider rows after them), and those of a later load's schema; old columns stay.
func TestCreateAndEvolve(t *testing.T) {
	d, file := newFile(t)
	s := openSession(t, d, "evolve")
	ctx := t.Context()

	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tbl := schema.NewTable("account", schema.Append, schema.Column{Name: "id", DataType: schema.Text}, col("name", schema.Text))
	w, err := l.Table(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"1", "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddColumns(ctx, []schema.Column{col("amount__c", schema.Decimal), col("Mixed Case", schema.Bool)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"2", "b", "1.5", true}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	// A later load's table has one more column and lacks one the dataset has.
	tbl2 := schema.NewTable("account", schema.Append, schema.Column{Name: "id", DataType: schema.Text}, col("name", schema.Text), col("amount__c", schema.Decimal), col("rating", schema.Bigint))
	load(t, s, tableLoad{tbl2, [][][]any{{{"3", "c", nil, int64(5)}}}})

	r := reader(t, file)
	cols := query(t, r, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_schema = 'salesforce_data' AND table_name = 'account' ORDER BY ordinal_position`)
	wantCols := [][]any{
		{"id", "VARCHAR", "NO"}, {"name", "VARCHAR", "YES"}, {"amount__c", "DECIMAL(38,9)", "YES"},
		{"Mixed Case", "BOOLEAN", "YES"}, {"rating", "BIGINT", "YES"},
	}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns:\n got %v\nwant %v", cols, wantCols)
	}
	got := query(t, r, `SELECT id, name, amount__c::VARCHAR, "Mixed Case", rating FROM salesforce_data.account ORDER BY id`)
	want := [][]any{{"1", "a", nil, nil, nil}, {"2", "b", "1.500000000", true, nil}, {"3", "c", nil, nil, int64(5)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %v\nwant %v", got, want)
	}
	// NOT NULL holds for columns created so.
	if _, err := r.ExecContext(ctx, `INSERT INTO salesforce_data.account (name) VALUES ('x')`); err == nil {
		t.Error("inserting a NULL id succeeded; want a NOT NULL violation")
	}
}

func rowsOf(t *testing.T, file, q string) [][]any {
	t.Helper()
	return query(t, reader(t, file), q)
}

// TestDispositions checks append, replace and merge (primary key, dedup_sort, hard_delete,
// merge_key, no key) over two loads.
func TestDispositions(t *testing.T) {
	id := schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}
	val := col("val", schema.Text)
	cases := []struct {
		name   string
		table  *schema.Table
		first  [][][]any // batches of the first load
		second [][][]any
		want   [][]any // SELECT * ORDER BY all
	}{
		{
			name:   "append adds",
			table:  schema.NewTable("t", schema.Append, col("id", schema.Text), val),
			first:  [][][]any{{{"1", "a"}}},
			second: [][][]any{{{"1", "a2"}}, {{"2", "b"}}},
			want:   [][]any{{"1", "a"}, {"1", "a2"}, {"2", "b"}},
		},
		{
			name:   "replace keeps exactly the last load",
			table:  schema.NewTable("t", schema.Replace, col("id", schema.Text), val),
			first:  [][][]any{{{"1", "a"}, {"2", "b"}}},
			second: [][][]any{{{"3", "c"}}, {{"4", "d"}}},
			want:   [][]any{{"3", "c"}, {"4", "d"}},
		},
		{
			name:   "replace with no rows empties",
			table:  schema.NewTable("t", schema.Replace, col("id", schema.Text), val),
			first:  [][][]any{{{"1", "a"}}},
			second: nil,
			want:   nil,
		},
		{
			name:   "merge updates and inserts by primary key",
			table:  schema.NewTable("t", schema.Merge, id, val),
			first:  [][][]any{{{"1", "a"}, {"2", "b"}}},
			second: [][][]any{{{"2", "b2"}, {"3", "c"}}},
			want:   [][]any{{"1", "a"}, {"2", "b2"}, {"3", "c"}},
		},
		{
			name:   "merge keeps the last written duplicate without dedup_sort",
			table:  schema.NewTable("t", schema.Merge, id, val),
			first:  [][][]any{{{"1", "a"}}},
			second: [][][]any{{{"1", "x"}, {"2", "p"}}, {{"1", "y"}}, {{"2", "q"}}},
			want:   [][]any{{"1", "y"}, {"2", "q"}},
		},
		{
			name: "merge dedup_sort desc keeps the largest",
			table: schema.NewTable("t", schema.Merge, id, val,
				schema.Column{Name: "ts", DataType: schema.Bigint, Nullable: true, DedupSort: schema.Desc}),
			first:  nil,
			second: [][][]any{{{"1", "new", int64(3)}, {"1", "old", int64(1)}}, {{"1", "null", nil}, {"1", "mid", int64(2)}}},
			want:   [][]any{{"1", "new", int64(3)}},
		},
		{
			name: "merge dedup_sort asc keeps the smallest",
			table: schema.NewTable("t", schema.Merge, id, val,
				schema.Column{Name: "ts", DataType: schema.Bigint, Nullable: true, DedupSort: schema.Asc}),
			second: [][][]any{{{"1", "new", int64(3)}, {"1", "old", int64(1)}, {"1", "mid", int64(2)}}},
			want:   [][]any{{"1", "old", int64(1)}},
		},
		{
			name: "merge hard_delete bool deletes when true",
			table: schema.NewTable("t", schema.Merge, id, val,
				schema.Column{Name: "is_deleted", DataType: schema.Bool, Nullable: true, HardDelete: true}),
			first:  [][][]any{{{"1", "a", false}, {"2", "b", false}, {"3", "c", nil}}},
			second: [][][]any{{{"1", "a", true}, {"2", "b2", false}, {"3", "c2", nil}, {"4", "never", true}}},
			want:   [][]any{{"2", "b2", false}, {"3", "c2", nil}},
		},
		{
			name: "merge hard_delete on a text column deletes when non-null",
			table: schema.NewTable("t", schema.Merge, id, val,
				schema.Column{Name: "deleted_at", DataType: schema.Text, Nullable: true, HardDelete: true}),
			first:  [][][]any{{{"1", "a", nil}, {"2", "b", nil}}},
			second: [][][]any{{{"1", "a", "2024-01-01"}, {"2", "b2", nil}}},
			want:   [][]any{{"2", "b2", nil}},
		},
		{
			name: "merge hard_delete applies to the deduplicated row",
			table: schema.NewTable("t", schema.Merge, id, val,
				schema.Column{Name: "is_deleted", DataType: schema.Bool, Nullable: true, HardDelete: true}),
			first:  [][][]any{{{"1", "a", false}, {"2", "b", false}}},
			second: [][][]any{{{"1", "gone", true}, {"1", "back", false}, {"2", "b2", false}, {"2", "gone", true}}},
			want:   [][]any{{"1", "back", false}},
		},
		{
			name:   "merge_key deletes by key without dedup",
			table:  schema.NewTable("t", schema.Merge, schema.Column{Name: "day", DataType: schema.Bigint, MergeKey: true}, val),
			first:  [][][]any{{{int64(1), "a"}, {int64(1), "b"}, {int64(2), "c"}}},
			second: [][][]any{{{int64(1), "z1"}, {int64(1), "z2"}}},
			want:   [][]any{{int64(1), "z1"}, {int64(1), "z2"}, {int64(2), "c"}},
		},
		{
			name:   "merge without keys appends, as dlt does",
			table:  schema.NewTable("t", schema.Merge, col("id", schema.Text), val),
			first:  [][][]any{{{"1", "a"}}},
			second: [][][]any{{{"1", "a"}}},
			want:   [][]any{{"1", "a"}, {"1", "a"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, file := newFile(t)
			s := openSession(t, d, "p")
			load(t, s, tableLoad{tc.table, tc.first})
			load(t, s, tableLoad{tc.table, tc.second})
			got := rowsOf(t, file, "SELECT * FROM salesforce_data.t ORDER BY ALL")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
			if n := rowsOf(t, file, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'salesforce_data_staging'"); n[0][0] != int64(0) {
				t.Errorf("%v staging tables left after commit; want none", n[0][0])
			}
		})
	}
}

// TestMergeNested checks dlt's handling of nested tables of a merge root: the nested rows of
// every replaced or deleted root row go, and the nested rows of the inserted root rows come.
func TestMergeNested(t *testing.T) {
	root := schema.NewTable("opportunity", schema.Merge,
		schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true},
		col("name", schema.Text),
		schema.Column{Name: "is_deleted", DataType: schema.Bool, Nullable: true, HardDelete: true},
		schema.LoadIDColumn(), schema.IDColumn())
	child := schema.NewNestedTable("opportunity__tags", "opportunity",
		append([]schema.Column{col("value", schema.Text)}, schema.NestedSystemColumns(true)...)...)
	// Columns of child: value, _dlt_parent_id, _dlt_list_idx, _dlt_id, _dlt_root_id.
	d, file := newFile(t)
	s := openSession(t, d, "p")
	load(t, s,
		tableLoad{root, [][][]any{{{"A", "a", false, "L1", "ra"}, {"B", "b", false, "L1", "rb"}, {"C", "c", false, "L1", "rc"}}}},
		tableLoad{child, [][][]any{{{"a1", "ra", int64(0), "ca1", "ra"}, {"a2", "ra", int64(1), "ca2", "ra"}, {"b1", "rb", int64(0), "cb1", "rb"}, {"c1", "rc", int64(0), "cc1", "rc"}}}},
	)
	// A is updated (new tags), B is deleted, C untouched, D new; D also comes twice and only
	// the last version's tags survive.
	load(t, s,
		tableLoad{root, [][][]any{{{"A", "a2", false, "L2", "ra2"}, {"B", "b", true, "L2", "rb2"}, {"D", "old", false, "L2", "rd1"}}, {{"D", "new", false, "L2", "rd2"}}}},
		tableLoad{child, [][][]any{{{"a9", "ra2", int64(0), "ca9", "ra2"}, {"bx", "rb2", int64(0), "cbx", "rb2"}, {"dold", "rd1", int64(0), "cd1", "rd1"}}, {{"dnew", "rd2", int64(0), "cd2", "rd2"}}}},
	)
	gotRoot := rowsOf(t, file, "SELECT id, name, _dlt_id FROM salesforce_data.opportunity ORDER BY id")
	wantRoot := [][]any{{"A", "a2", "ra2"}, {"C", "c", "rc"}, {"D", "new", "rd2"}}
	if !reflect.DeepEqual(gotRoot, wantRoot) {
		t.Errorf("root:\n got %v\nwant %v", gotRoot, wantRoot)
	}
	gotChild := rowsOf(t, file, "SELECT value, _dlt_root_id FROM salesforce_data.opportunity__tags ORDER BY value")
	wantChild := [][]any{{"a9", "ra2"}, {"c1", "rc"}, {"dnew", "rd2"}}
	if !reflect.DeepEqual(gotChild, wantChild) {
		t.Errorf("nested:\n got %v\nwant %v", gotChild, wantChild)
	}
}

// TestNestedNeedsParent checks the error for a nested table opened before its root.
func TestNestedNeedsParent(t *testing.T) {
	d, _ := newFile(t)
	s := openSession(t, d, "p")
	l, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	_, err = l.Table(t.Context(), schema.NewNestedTable("a__b", "a", col("value", schema.Text)))
	if err == nil || !strings.Contains(err.Error(), "open the parent") {
		t.Fatalf("got %v, want an error asking to open the parent first", err)
	}
}

// TestReplaceIsAtomic checks that a reader on another connection sees the old rows while a
// replace is open, and exactly the new ones after Commit: never an empty or half table.
func TestReplaceIsAtomic(t *testing.T) {
	d, file := newFile(t)
	s := openSession(t, d, "p")
	tbl := schema.NewTable("product_2", schema.Replace, col("id", schema.Text))
	load(t, s, tableLoad{tbl, [][][]any{{{"old1"}, {"old2"}}}})

	ask := make(chan struct{})
	answers := make(chan [][]any)
	r := reader(t, file)
	go func() {
		for range ask {
			answers <- query(t, r, "SELECT id FROM salesforce_data.product_2 ORDER BY id")
		}
	}()
	t.Cleanup(func() { close(ask) })
	look := func() [][]any { ask <- struct{}{}; return <-answers }
	old := [][]any{{"old1"}, {"old2"}}

	ctx := t.Context()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	w, err := l.Table(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if got := look(); !reflect.DeepEqual(got, old) {
		t.Fatalf("after Table: reader saw %v, want %v", got, old)
	}
	if err := w.Write(ctx, [][]any{{"new1"}}); err != nil {
		t.Fatal(err)
	}
	if got := look(); !reflect.DeepEqual(got, old) {
		t.Fatalf("after the first Write: reader saw %v, want %v", got, old)
	}
	if err := w.Write(ctx, [][]any{{"new2"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := look(); !reflect.DeepEqual(got, old) {
		t.Fatalf("after Close: reader saw %v, want %v", got, old)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := look(), [][]any{{"new1"}, {"new2"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after Commit: reader saw %v, want %v", got, want)
	}
}

// TestFailureLeavesDatasetUnchanged breaks a load in the middle in several ways and checks
// that nothing of it remains: rows, new tables, new columns, staging tables.
func TestFailureLeavesDatasetUnchanged(t *testing.T) {
	acct := schema.NewTable("account", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("name", schema.Text))
	prod := schema.NewTable("product_2", schema.Replace, col("id", schema.Text))
	cases := []struct {
		name string
		// breakIt runs after the load has written to all tables; it returns the context for
		// the remaining calls.
		breakIt func(t *testing.T, ctx context.Context, l destination.Load, w destination.TableWriter) (context.Context, error)
	}{
		{"explicit rollback", func(t *testing.T, ctx context.Context, l destination.Load, _ destination.TableWriter) (context.Context, error) {
			return ctx, l.Rollback()
		}},
		{"wrong-width row", func(t *testing.T, ctx context.Context, _ destination.Load, w destination.TableWriter) (context.Context, error) {
			err := w.Write(ctx, [][]any{{"x", "y", "z"}})
			if err == nil || !strings.Contains(err.Error(), "has 3 values but the table has 1 columns") {
				t.Errorf("Write: got %v, want a width error", err)
			}
			return ctx, nil
		}},
		{"wrong value type", func(t *testing.T, ctx context.Context, _ destination.Load, w destination.TableWriter) (context.Context, error) {
			if err := w.Write(ctx, [][]any{{int64(42)}}); err == nil {
				t.Error("Write of an int into a text column succeeded")
			}
			return ctx, nil
		}},
		{"cancelled context", func(t *testing.T, ctx context.Context, _ destination.Load, w destination.TableWriter) (context.Context, error) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if err := w.Write(cctx, [][]any{{"x", "y"}}); !errors.Is(err, context.Canceled) {
				t.Errorf("Write with a cancelled context: got %v, want context.Canceled", err)
			}
			return ctx, nil
		}},
		{"duplicate table", func(t *testing.T, ctx context.Context, l destination.Load, _ destination.TableWriter) (context.Context, error) {
			if _, err := l.Table(ctx, prod); err == nil {
				t.Error("opening a table twice succeeded")
			}
			return ctx, l.Rollback()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, file := newFile(t)
			s := openSession(t, d, "p")
			load(t, s, tableLoad{acct, [][][]any{{{"1", "a"}}}}, tableLoad{prod, [][][]any{{{"p1"}}}})
			before := snapshot(t, reader(t, file))

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			l, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wa, err := l.Table(ctx, acct)
			if err != nil {
				t.Fatal(err)
			}
			wp, err := l.Table(ctx, prod)
			if err != nil {
				t.Fatal(err)
			}
			wn, err := l.Table(ctx, schema.NewTable("new_table", schema.Append, col("x", schema.Text)))
			if err != nil {
				t.Fatal(err)
			}
			steps := []error{
				wa.Write(ctx, [][]any{{"1", "changed"}, {"2", "b"}}),
				wp.Write(ctx, [][]any{{"p2"}}),
				wn.Write(ctx, [][]any{{"n"}}),
				wa.AddColumns(ctx, []schema.Column{col("extra", schema.Bigint)}),
				wa.Write(ctx, [][]any{{"3", "c", int64(1)}}),
			}
			for i, err := range steps {
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			ctx, err = tc.breakIt(t, ctx, l, wp)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Commit(ctx); err == nil {
				t.Error("Commit after the failure succeeded")
			}
			if err := l.Rollback(); err != nil {
				t.Errorf("Rollback after the failure: %v", err)
			}
			if after := snapshot(t, reader(t, file)); after != before {
				t.Errorf("dataset changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			// The session stays usable.
			load(t, s, tableLoad{prod, [][][]any{{{"p3"}}}})
			if got := rowsOf(t, file, "SELECT id FROM salesforce_data.product_2"); !reflect.DeepEqual(got, [][]any{{"p3"}}) {
				t.Errorf("next load: got %v", got)
			}
		})
	}
}

// TestCancelBeginContext checks that cancelling the context given to Begin aborts the load.
func TestCancelBeginContext(t *testing.T) {
	d, file := newFile(t)
	s := openSession(t, d, "p")
	tbl := schema.NewTable("t", schema.Append, col("id", schema.Text))
	load(t, s, tableLoad{tbl, [][][]any{{{"1"}}}})
	ctx, cancel := context.WithCancel(t.Context())
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := l.Table(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"2"}}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.Commit(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit after cancelling Begin's context: got %v, want context.Canceled", err)
	}
	if got := rowsOf(t, file, "SELECT id FROM salesforce_data.t"); !reflect.DeepEqual(got, [][]any{{"1"}}) {
		t.Errorf("rows %v, want only the first load's", got)
	}
}

// TestRollbackAfterCommit checks that Rollback after Commit changes nothing.
func TestRollbackAfterCommit(t *testing.T) {
	d, file := newFile(t)
	s := openSession(t, d, "p")
	ctx := t.Context()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := l.Table(ctx, schema.NewTable("t", schema.Append, col("id", schema.Text)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"1"}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Rollback(); err != nil {
		t.Fatalf("Rollback after Commit: %v", err)
	}
	if got := rowsOf(t, file, "SELECT count(*) FROM salesforce_data.t"); got[0][0] != int64(1) {
		t.Errorf("rows after Rollback-after-Commit: %v, want 1", got[0][0])
	}
	if _, err := s.Begin(ctx); err != nil {
		t.Errorf("Begin after Commit: %v", err)
	}
}

func ExampleNew() {
	d := New("salesforce.duckdb")
	fmt.Println(d.Info().Name)
	// Output: duckdb
}

// TestNestedFollowRoot checks that nested tables take their root's disposition: replaced
// with a replace root, appended to with an append root.
func TestNestedFollowRoot(t *testing.T) {
	for _, wd := range []schema.WriteDisposition{schema.Replace, schema.Append} {
		t.Run(string(wd), func(t *testing.T) {
			root := schema.NewTable("user_role", wd, col("id", schema.Text), schema.IDColumn())
			child := schema.NewNestedTable("user_role__tags", "user_role",
				append([]schema.Column{col("value", schema.Text)}, schema.NestedSystemColumns(false)...)...)
			d, file := newFile(t)
			s := openSession(t, d, "p")
			load(t, s, tableLoad{root, [][][]any{{{"1", "r1"}}}}, tableLoad{child, [][][]any{{{"old", "r1", int64(0), "c1"}}}})
			load(t, s, tableLoad{root, [][][]any{{{"1", "r2"}}}}, tableLoad{child, [][][]any{{{"new", "r2", int64(0), "c2"}}}})
			got := rowsOf(t, file, "SELECT value FROM salesforce_data.user_role__tags ORDER BY value")
			want := [][]any{{"new"}}
			if wd == schema.Append {
				want = [][]any{{"new"}, {"old"}}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

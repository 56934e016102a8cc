package destinationtest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// testDispositions checks append, replace and merge (primary key, dedup_sort, hard_delete,
// merge_key, no key) over two loads.
func testDispositions(t *testing.T, newTarget func(*testing.T) Target) {
	id := schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}
	val := col("val", schema.Text)
	cases := []struct {
		name          string
		table         *schema.Table
		first, second [][][]any // batches of each load
		want          [][]any
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
			name:  "replace with no rows empties",
			table: schema.NewTable("t", schema.Replace, col("id", schema.Text), val),
			first: [][][]any{{{"1", "a"}}},
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
			second: [][][]any{{{"1", "new", int64(3)}, {"1", "old", int64(1)}}, {{"1", "null", nil}, {"1", "mid", int64(2)}}},
			want:   [][]any{{"1", "new", int64(3)}},
		},
		{
			name: "merge dedup_sort asc keeps the smallest",
			table: schema.NewTable("t", schema.Merge, id, val,
				schema.Column{Name: "ts", DataType: schema.Timestamp, Nullable: true, DedupSort: schema.Asc}),
			first: [][][]any{{{"1", "before", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}},
			second: [][][]any{{{"1", "new", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}, {"1", "old", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
				{"1", "mid", time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}}},
			want: [][]any{{"1", "old", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}},
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
			t.Parallel()
			h := &harness{t: t, target: newTarget(t)}
			s := h.open(pipelineName)
			Load(t, s, TableLoad{tc.table, tc.first})
			Load(t, s, TableLoad{tc.table, tc.second})
			got, _ := read(t, h.reader(), "t")
			equal(t, "rows", got, renderRows(tc.want))
		})
	}
}

// testMergeNested checks dlt's handling of nested tables of a merge root: the nested rows
// of every replaced or deleted root row go, and those of the inserted root rows come.
func testMergeNested(t *testing.T, h *harness) {
	root := schema.NewTable("opportunity", schema.Merge,
		schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true},
		col("name", schema.Text),
		schema.Column{Name: "is_deleted", DataType: schema.Bool, Nullable: true, HardDelete: true},
		schema.LoadIDColumn(), schema.IDColumn())
	// Columns: value, _dlt_parent_id, _dlt_list_idx, _dlt_id, _dlt_root_id.
	child := schema.NewNestedTable("opportunity__tags", "opportunity",
		append([]schema.Column{col("value", schema.Text)}, schema.NestedSystemColumns(true)...)...)
	s := h.open(pipelineName)
	Load(t, s,
		TableLoad{root, [][][]any{{{"A", "a", false, "L1", "ra"}, {"B", "b", false, "L1", "rb"}, {"C", "c", false, "L1", "rc"}}}},
		TableLoad{child, [][][]any{{{"a1", "ra", int64(0), "ca1", "ra"}, {"a2", "ra", int64(1), "ca2", "ra"}, {"b1", "rb", int64(0), "cb1", "rb"}, {"c1", "rc", int64(0), "cc1", "rc"}}}},
	)
	// A is updated (new tags), B deleted, C untouched, D new and written twice: only the
	// last version's tags survive.
	Load(t, s,
		TableLoad{root, [][][]any{{{"A", "a2", false, "L2", "ra2"}, {"B", "b", true, "L2", "rb2"}, {"D", "old", false, "L2", "rd1"}}, {{"D", "new", false, "L2", "rd2"}}}},
		TableLoad{child, [][][]any{{{"a9", "ra2", int64(0), "ca9", "ra2"}, {"bx", "rb2", int64(0), "cbx", "rb2"}, {"dold", "rd1", int64(0), "cd1", "rd1"}}, {{"dnew", "rd2", int64(0), "cd2", "rd2"}}}},
	)
	r := h.reader()
	gotRoot, _ := read(t, r, "opportunity")
	equal(t, "root", gotRoot, renderRows([][]any{{"A", "a2", false, "L2", "ra2"}, {"C", "c", false, "L1", "rc"}, {"D", "new", false, "L2", "rd2"}}))
	gotChild, _ := read(t, r, "opportunity__tags")
	equal(t, "nested", gotChild, renderRows([][]any{{"a9", "ra2", int64(0), "ca9", "ra2"}, {"c1", "rc", int64(0), "cc1", "rc"}, {"dnew", "rd2", int64(0), "cd2", "rd2"}}))
}

// testNestedFollowRoot checks that nested tables take their root's disposition.
func testNestedFollowRoot(t *testing.T, newTarget func(*testing.T) Target) {
	for _, wd := range []schema.WriteDisposition{schema.Replace, schema.Append} {
		t.Run(string(wd), func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, target: newTarget(t)}
			root := schema.NewTable("user_role", wd, col("id", schema.Text), schema.IDColumn())
			child := schema.NewNestedTable("user_role__tags", "user_role",
				append([]schema.Column{col("value", schema.Text)}, schema.NestedSystemColumns(false)...)...)
			s := h.open(pipelineName)
			Load(t, s, TableLoad{root, [][][]any{{{"1", "r1"}}}}, TableLoad{child, [][][]any{{{"old", "r1", int64(0), "c1"}}}})
			Load(t, s, TableLoad{root, [][][]any{{{"1", "r2"}}}}, TableLoad{child, [][][]any{{{"new", "r2", int64(0), "c2"}}}})
			got, _ := read(t, h.reader(), "user_role__tags")
			want := [][]any{{"new", "r2", int64(0), "c2"}}
			if wd == schema.Append {
				want = append(want, []any{"old", "r1", int64(0), "c1"})
			}
			equal(t, "nested rows", got, renderRows(want))
		})
	}
}

// testNestedNeedsParent checks the error for a nested table opened before its root.
func testNestedNeedsParent(t *testing.T, h *harness) {
	l, err := h.open(pipelineName).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if _, err := l.Table(t.Context(), schema.NewNestedTable("a__b", "a", col("value", schema.Text))); err == nil {
		t.Fatal("a nested table opened before its parent was accepted")
	}
}

// testReplaceIsAtomic checks that a reader on another connection sees the old rows while
// a replace is open, and exactly the new ones after Commit: never an empty or half table.
func testReplaceIsAtomic(t *testing.T, h *harness) {
	s := h.open(pipelineName)
	tbl := schema.NewTable("product_2", schema.Replace, col("id", schema.Text))
	Load(t, s, TableLoad{tbl, [][][]any{{{"old1"}, {"old2"}}}})

	// The reader runs in its own goroutine on its own session, as another program would.
	r := h.reader()
	ask := make(chan struct{})
	answers := make(chan []string)
	go func() {
		for range ask {
			_, rows, err := r.ReadTable(context.Background(), "product_2")
			if err != nil {
				answers <- []string{"error: " + err.Error()}
				continue
			}
			answers <- renderRows(rows)
		}
	}()
	t.Cleanup(func() { close(ask) })
	look := func(when string, want ...string) {
		t.Helper()
		ask <- struct{}{}
		select {
		case got := <-answers:
			equal(t, "reader "+when, got, want)
		case <-time.After(30 * time.Second):
			t.Fatalf("reader %s: blocked for 30 s; a replace must not keep readers waiting", when)
		}
	}
	old := []string{`"old1"`, `"old2"`}

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
	look("after Table", old...)
	if err := w.Write(ctx, [][]any{{"new1"}}); err != nil {
		t.Fatal(err)
	}
	look("after the first Write", old...)
	if err := w.Write(ctx, [][]any{{"new2"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	look("after Close", old...)
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	look("after Commit", `"new1"`, `"new2"`)
}

// testFailures breaks a load in the middle in several ways and checks that nothing of it
// remains (rows, new tables, new columns) and that the session takes the next load.
func testFailures(t *testing.T, newTarget func(*testing.T) Target) {
	acct := schema.NewTable("account", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("name", schema.Text))
	prod := schema.NewTable("product_2", schema.Replace, col("id", schema.Text))
	type breaker func(t *testing.T, ctx context.Context, l destination.Load, w destination.TableWriter) error
	cases := []struct {
		name    string
		breakIt breaker
	}{
		{"explicit rollback", func(t *testing.T, ctx context.Context, l destination.Load, _ destination.TableWriter) error {
			return l.Rollback()
		}},
		{"wrong-width row", func(t *testing.T, ctx context.Context, _ destination.Load, w destination.TableWriter) error {
			if err := w.Write(ctx, [][]any{{"x", "y", "z"}}); err == nil {
				t.Error("Write of a row with 3 values into a table of 1 column succeeded")
			}
			return nil
		}},
		{"wrong value type", func(t *testing.T, ctx context.Context, _ destination.Load, w destination.TableWriter) error {
			if err := w.Write(ctx, [][]any{{int64(42)}}); err == nil {
				t.Error("Write of an int64 into a text column succeeded")
			}
			return nil
		}},
		{"cancelled context", func(t *testing.T, ctx context.Context, _ destination.Load, w destination.TableWriter) error {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if err := w.Write(cctx, [][]any{{"x"}}); !errors.Is(err, context.Canceled) {
				t.Errorf("Write with a cancelled context: got %v, want context.Canceled", err)
			}
			return nil
		}},
		{"duplicate table", func(t *testing.T, ctx context.Context, l destination.Load, _ destination.TableWriter) error {
			if _, err := l.Table(ctx, prod); err == nil {
				t.Error("opening a table twice succeeded")
			}
			return l.Rollback()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, target: newTarget(t)}
			s := h.open(pipelineName)
			Load(t, s, TableLoad{acct, [][][]any{{{"1", "a"}}}}, TableLoad{prod, [][][]any{{{"p1"}}}})
			tables := []string{"account", "product_2", "new_table"}
			before := h.snapshot(s, tables...)

			ctx := t.Context()
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
			for i, err := range []error{
				wa.Write(ctx, [][]any{{"1", "changed"}, {"2", "b"}}),
				wp.Write(ctx, [][]any{{"p2"}}),
				wn.Write(ctx, [][]any{{"n"}}),
				wa.AddColumns(ctx, []schema.Column{col("extra", schema.Bigint)}),
				wa.Write(ctx, [][]any{{"3", "c", int64(1)}}),
			} {
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			if err := tc.breakIt(t, ctx, l, wp); err != nil {
				t.Fatal(err)
			}
			if err := l.Commit(ctx); err == nil {
				t.Error("Commit after the failure succeeded")
			}
			if err := l.Rollback(); err != nil {
				t.Errorf("Rollback after the failure: %v", err)
			}
			if after := h.snapshot(s, tables...); after != before {
				t.Errorf("dataset changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			// The session takes the next load.
			Load(t, s, TableLoad{prod, [][][]any{{{"p3"}}}})
			got, _ := read(t, h.reader(), "product_2")
			equal(t, "next load", got, []string{`"p3"`})
		})
	}
}

// testCancelBeginContext checks that cancelling the context given to Begin aborts the load.
func testCancelBeginContext(t *testing.T, h *harness) {
	s := h.open(pipelineName)
	tbl := schema.NewTable("t", schema.Append, col("id", schema.Text))
	Load(t, s, TableLoad{tbl, [][][]any{{{"1"}}}})
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
	got, _ := read(t, h.reader(), "t")
	equal(t, "rows", got, []string{`"1"`})
}

// testRollbackAfterCommit checks that Rollback after Commit changes nothing and the
// session takes another load.
func testRollbackAfterCommit(t *testing.T, h *harness) {
	s := h.open(pipelineName)
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
	got, _ := read(t, h.reader(), "t")
	equal(t, "rows", got, []string{`"1"`})
	l2, err := s.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin after Commit: %v", err)
	}
	if err := l2.Rollback(); err != nil {
		t.Fatal(err)
	}
}

// testLocked checks that a second session of the same pipeline on the same dataset gets
// destination.ErrLocked until the first closes, while another pipeline may open.
func testLocked(t *testing.T, h *harness) {
	ctx := t.Context()
	d, ds := h.target.Destination, h.target.Dataset
	s1, err := d.Open(ctx, ds, pipelineName)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	_, err = d.Open(ctx, ds, pipelineName)
	if !errors.Is(err, destination.ErrLocked) || !strings.Contains(err.Error(), pipelineName) {
		t.Fatalf("second Open of the pipeline: got %v, want ErrLocked naming the pipeline", err)
	}
	h.open("another_pipeline")
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s3, err := d.Open(ctx, ds, pipelineName)
	if err != nil {
		t.Fatalf("Open after the first session closed: %v", err)
	}
	if err := s3.Close(); err != nil {
		t.Fatal(err)
	}
}

// testSideBySide checks that two pipelines load into one dataset at once: a load of one
// stays open while the other commits, and both end up there.
func testSideBySide(t *testing.T, h *harness) {
	a, b := h.open("pipeline_a"), h.open("pipeline_b")
	ta := schema.NewTable("a", schema.Append, col("id", schema.Text))
	tb := schema.NewTable("b", schema.Replace, col("id", schema.Text))
	loads := schema.LoadsTable()
	at := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	// The first loads create the tables, so the concurrent ones below change no schema.
	Load(t, a, TableLoad{ta, [][][]any{{{"a0"}}}}, TableLoad{loads, [][][]any{{{"1.0", "s", int64(0), at, "h"}}}})
	Load(t, b, TableLoad{tb, [][][]any{{{"b0"}}}})

	ctx := t.Context()
	la, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer la.Rollback()
	write := func(l destination.Load, tbl *schema.Table, rows [][]any) {
		t.Helper()
		w, err := l.Table(ctx, tbl)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	write(la, ta, [][]any{{"a1"}})
	write(la, loads, [][]any{{"2.0", "s", int64(0), at, "h"}})
	Load(t, b, TableLoad{tb, [][][]any{{{"b1"}}}}, TableLoad{loads, [][][]any{{{"3.0", "s", int64(0), at, "h"}}}})
	if err := la.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := h.reader()
	gotA, _ := read(t, r, "a")
	equal(t, "a", gotA, []string{`"a0"`, `"a1"`})
	gotB, _ := read(t, r, "b")
	equal(t, "b", gotB, []string{`"b1"`})
	gotLoads, _ := read(t, r, schema.TableLoads)
	if len(gotLoads) != 3 || !slices.ContainsFunc(gotLoads, func(s string) bool { return strings.HasPrefix(s, `"2.0"`) }) {
		t.Errorf("_dlt_loads: %q, want loads 1.0, 2.0 and 3.0", gotLoads)
	}
}

package destinationtest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// openRead opens a Reader of the target's dataset on behalf of pipeline, closed at the end of
// the test.
func (h *harness) openRead(pipeline string) destination.Reader {
	h.t.Helper()
	r, err := h.target.Destination.Read(h.t.Context(), h.target.Dataset, pipeline)
	if err != nil {
		h.t.Fatalf("Read(%q, %q): %v", h.target.Dataset, pipeline, err)
	}
	h.t.Cleanup(func() {
		if err := r.Close(); err != nil {
			h.t.Errorf("closing the Reader: %v", err)
		}
	})
	return r
}

// tables lists the dataset's tables as a new Reader sees them.
func (h *harness) tables() []destination.TableStats {
	h.t.Helper()
	r := h.openRead(readerName)
	stats, err := r.Tables(h.t.Context())
	if err != nil {
		h.t.Fatalf("Reader.Tables: %v", err)
	}
	if err := r.Close(); err != nil {
		h.t.Fatalf("closing the Reader: %v", err)
	}
	return stats
}

// checkEmpty checks that r reads the dataset as one nothing was loaded into.
func checkEmpty(t *testing.T, r destination.Reader, what string) {
	t.Helper()
	ctx := t.Context()
	if st, err := r.PipelineState(ctx, pipelineName); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("%s: PipelineState: got %+v, %v; want ErrNotFound", what, st, err)
	}
	if sc, err := r.Schema(ctx, "salesforce"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("%s: Schema: got %+v, %v; want ErrNotFound", what, sc, err)
	}
	if tables, err := r.Tables(ctx); err != nil || len(tables) != 0 {
		t.Errorf("%s: Tables: got %v, %v; want none", what, tables, err)
	}
	if loads, err := r.Loads(ctx, 10); err != nil || len(loads) != 0 {
		t.Errorf("%s: Loads: got %v, %v; want none", what, loads, err)
	}
}

// testReadNew checks that a Reader of a dataset that does not exist reads it as empty and
// creates nothing, and that a dataset a session has opened but not loaded into (while that
// session holds the pipeline's lock) reads as empty too.
func testReadNew(t *testing.T, h *harness) {
	ctx := t.Context()
	r := h.openRead(pipelineName)
	checkEmpty(t, r, "a new dataset")
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if h.target.Exists != nil {
		if ok, err := h.target.Exists(ctx); err != nil || ok {
			t.Errorf("after reading a new dataset, Exists = %v, %v; want false: reading must create nothing", ok, err)
		}
	}
	h.open(pipelineName)
	checkEmpty(t, h.openRead(pipelineName), "a dataset with nothing loaded, while a session holds it")
}

// testReadDuringLoad checks a Reader while a run of the same pipeline holds the dataset with
// a load open that has written rows, a new column, a state, a schema version and a
// _dlt_loads row: the Reader opens, sees what was committed before and keeps seeing it, as
// one snapshot, while the load commits. The next Reader sees the load, also once the session
// has closed.
func testReadDuringLoad(t *testing.T, h *harness) {
	ctx := t.Context()
	t0 := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	const first, second = "1751371600.000001", "1751371700.000001"
	tbl := schema.NewTable("account", schema.Append, col("id", schema.Text))
	s := h.open(pipelineName)
	Load(t, s, append(systemTables(pipelineName, first, 1, 0, t0), TableLoad{tbl, [][][]any{{{"a"}, {"b"}}}})...)

	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	wider := schema.NewTable("account", schema.Append, col("id", schema.Text), col("name", schema.Text))
	writeAll(t, l, append([]TableLoad{{wider, [][][]any{{{"c", "C"}}}}}, systemTables(pipelineName, second, 2, 0, t0.Add(time.Minute))...)...)

	// check checks what r reads: the state and schema version of loadID, loads _dlt_loads rows
	// (and as many state and version rows) and accounts rows in account. The account table
	// may be Busy while the open load is adding its column (Postgres), when busyOK.
	check := func(r destination.Reader, what, loadID string, version int64, loads int, accounts int64, busyOK bool) {
		t.Helper()
		st, err := r.PipelineState(ctx, pipelineName)
		if err != nil || st.LoadID != loadID {
			t.Errorf("%s: PipelineState: got %+v, %v; want the state of load %s", what, st, err, loadID)
		}
		if sc, err := r.Schema(ctx, "salesforce"); err != nil || sc.Version != version {
			t.Errorf("%s: Schema: got %+v, %v; want version %d", what, sc, err, version)
		}
		if got, err := r.Loads(ctx, 10); err != nil || len(got) != loads || got[0].LoadID != loadID {
			t.Errorf("%s: Loads: got %+v, %v; want %d, the newest %s", what, got, err, loads, loadID)
		}
		stats, err := r.Tables(ctx)
		if err != nil {
			t.Fatalf("%s: Tables: %v", what, err)
		}
		want := map[string]int64{schema.TableLoads: int64(loads), schema.TablePipelineState: int64(loads), schema.TableVersion: int64(loads), "account": accounts}
		for _, st := range stats {
			rows, ok := want[st.Name]
			delete(want, st.Name)
			switch {
			case !ok:
				t.Errorf("%s: Tables: unexpected %+v", what, st)
			case st.Busy && !(busyOK && st.Name == "account"):
				t.Errorf("%s: Tables: %s is busy, want %d rows", what, st.Name, rows)
			case !st.Busy && st.Rows != rows:
				t.Errorf("%s: Tables: %s has %d rows, want %d", what, st.Name, st.Rows, rows)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s: Tables: %v missing from %+v", what, want, stats)
		}
	}

	r := h.openRead(pipelineName)
	check(r, "during the load", first, 1, 1, 2, true)
	if err := l.Commit(ctx); err != nil {
		t.Fatalf("Commit while a Reader is open: %v", err)
	}
	check(r, "the same Reader after the commit", first, 1, 1, 2, true)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	check(h.openRead(pipelineName), "a new Reader after the commit", second, 2, 2, 3, false)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(h.openRead(pipelineName), "a new Reader after the session closed", second, 2, 2, 3, false)
}

// testQuery checks a Reader that implements destination.Querier (the SQL box of `show --web`),
// with standard SQL (double-quoted names, $1 parameters): a SELECT returns its columns and at
// most maxRows rows, saying when there were more; statements that would write fail, and so do
// several statements at once, transaction control and an empty text; the table is unchanged
// afterwards. A destination whose Reader is no Querier skips it.
func testQuery(t *testing.T, h *harness) {
	ctx := t.Context()
	t0 := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	tbl := schema.NewTable("account", schema.Append, col("id", schema.Text))
	s := h.open(pipelineName)
	Load(t, s, append(systemTables(pipelineName, "1751371600.000001", 1, 0, t0), TableLoad{tbl, [][][]any{{{"a"}, {"b"}, {"c"}}}})...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	q, ok := h.openRead(readerName).(destination.Querier)
	if !ok {
		t.Skip("the Reader does not implement destination.Querier")
	}
	account := `"` + h.target.Dataset + `"."account"`
	ids := func(res *destination.QueryResult) []string {
		var out []string
		for _, row := range res.Rows {
			switch v := row[0].(type) {
			case []byte:
				out = append(out, string(v))
			default:
				out = append(out, fmt.Sprint(v))
			}
		}
		return out
	}
	for _, c := range []struct {
		max       int
		sql       string
		args      []any
		want      []string
		truncated bool
	}{
		{2, "SELECT id FROM " + account + " ORDER BY id", nil, []string{"a", "b"}, true},
		{3, "SELECT id FROM " + account + " ORDER BY id", nil, []string{"a", "b", "c"}, false},
		{-1, "SELECT id FROM " + account + " ORDER BY id;", nil, []string{"a", "b", "c"}, false},
		{10, "SELECT id FROM " + account + " WHERE id = $1", []any{"b"}, []string{"b"}, false},
	} {
		res, err := q.Query(ctx, c.max, c.sql, c.args...)
		if err != nil {
			t.Errorf("Query(%d, %q): %v", c.max, c.sql, err)
			continue
		}
		if got := ids(res); !slices.Equal(res.Columns, []string{"id"}) || !slices.Equal(got, c.want) || res.Truncated != c.truncated {
			t.Errorf("Query(%d, %q): columns %v, ids %v, truncated %v; want [id], %v, %v", c.max, c.sql, res.Columns, got, res.Truncated, c.want, c.truncated)
		}
	}
	for _, sql := range []string{
		"DROP TABLE " + account,
		"DELETE FROM " + account,
		"INSERT INTO " + account + " (id) VALUES ('d')",
		"UPDATE " + account + " SET id = 'z'",
		"CREATE TABLE \"" + h.target.Dataset + "\".\"intruder\" (x INTEGER)",
		"SELECT 1; DELETE FROM " + account,
		"COMMIT",
		"ROLLBACK",
		"",
	} {
		// A Reader of its own for each: a failed statement may end its transaction.
		q := h.openRead(readerName).(destination.Querier)
		if res, err := q.Query(ctx, 10, sql); err == nil {
			t.Errorf("Query(%q) = %+v, want an error: a Reader changes nothing and runs one statement", sql, res)
		}
	}
	res, err := h.openRead(readerName).(destination.Querier).Query(ctx, -1, "SELECT id FROM "+account+" ORDER BY id")
	if err != nil || !slices.Equal(ids(res), []string{"a", "b", "c"}) {
		t.Errorf("after the refused statements, account holds %v (%v), want a, b, c", res, err)
	}
	if slices.ContainsFunc(h.tables(), func(s destination.TableStats) bool { return s.Name == "intruder" }) {
		t.Errorf("CREATE TABLE through a Reader created a table")
	}
}

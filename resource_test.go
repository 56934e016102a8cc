package sfdlt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
)

// goEnv runs pipelines with Go resources only (no Salesforce login needed).
type goEnv struct {
	*env
}

func newGoEnv(t *testing.T) goEnv {
	dir := t.TempDir()
	return goEnv{&env{t: t, dir: dir, file: filepath.Join(dir, "go.duckdb"), kind: "duckdb", ds: "salesforce_data"}}
}

func records(recs ...map[string]any) sfdlt.RecordsFunc {
	return func(ctx context.Context, inc *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
		return func(yield func(map[string]any, error) bool) {
			for _, r := range recs {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// goSource is a source holding only Go resources: its Salesforce credentials are never used.
func goSource(t *testing.T, rs ...*sfdlt.Resource) *sfdlt.Source {
	t.Helper()
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: "unused", Password: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		src.AddResource(r)
		names = append(names, r.Name())
	}
	return src.WithResources(names...)
}

func TestGoResourceNestedDataAndChildTables(t *testing.T) {
	e := newGoEnv(t)
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	res := sfdlt.NewResource("Orders", records(
		map[string]any{"OrderId": 1, "Customer": map[string]any{"Name": "Zoë", "Address": map[string]any{"City": "Köln"}},
			"Lines": []any{map[string]any{"Sku": "A-1", "Qty": 2}, map[string]any{"Sku": "B-2", "Qty": 1}}, "Tags": []string{"x", "y"}, "At": at},
		map[string]any{"OrderId": 2, "Customer": map[string]any{"Name": "Ann"}, "Lines": []any{}, "At": at.Add(time.Hour)},
	), sfdlt.PrimaryKey("OrderId"), sfdlt.Disposition(sfdlt.Merge))
	info := e.run(goSource(t, res))
	if info.RowCount("orders") != 2 {
		t.Fatalf("orders: %d rows\n%v", info.RowCount("orders"), info)
	}
	if e.scalar(`SELECT count(*) FROM {ds}.orders WHERE customer__name = 'Zoë' AND customer__address__city = 'Köln' AND order_id = 1`) != 1 {
		t.Error("nested maps are not flattened into parent__child columns")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.orders__lines l JOIN {ds}.orders o ON l._dlt_parent_id = o._dlt_id WHERE o.order_id = 1`) != 2 {
		t.Error("the list of maps is not a child table linked by _dlt_parent_id")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.orders__lines WHERE sku = 'B-2' AND qty = 1 AND _dlt_list_idx = 1 AND _dlt_root_id IS NOT NULL`) != 1 {
		t.Error("child rows lack values, list index or root id")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.orders__tags WHERE value IN ('x', 'y')`) != 2 {
		t.Error("a list of scalars is not a child table with a value column")
	}
	if e.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'at' AND data_type = 'TIMESTAMP WITH TIME ZONE'`) != 1 {
		t.Error("time.Time is not a timestamp column")
	}

	// Merging order 1 again with one line replaces its child rows.
	res2 := sfdlt.NewResource("Orders", records(
		map[string]any{"OrderId": 1, "Customer": map[string]any{"Name": "Zoë"}, "Lines": []any{map[string]any{"Sku": "C-3", "Qty": 5}}, "At": at},
	), sfdlt.PrimaryKey("OrderId"), sfdlt.Disposition(sfdlt.Merge))
	e.run(goSource(t, res2))
	if got := e.scalar(`SELECT count(*) FROM {ds}.orders`); got != 2 {
		t.Errorf("orders after merge: %d rows, want 2", got)
	}
	if got := e.scalar(`SELECT count(*) FROM {ds}.orders__lines`); got != 1 {
		t.Errorf("order lines after merge: %d rows, want only the new line of order 1", got)
	}
}

func TestGoResourceIncrementalAndVariants(t *testing.T) {
	e := newGoEnv(t)
	mk := func(recs ...map[string]any) *sfdlt.Resource {
		return sfdlt.NewResource("events", records(recs...), sfdlt.PrimaryKey("id"), sfdlt.Disposition(sfdlt.Merge),
			sfdlt.Cursor(sfdlt.NewIncremental("updated", nil)))
	}
	e.run(goSource(t, mk(
		map[string]any{"id": 1, "updated": 10, "score": 1.5},
		map[string]any{"id": 2, "updated": 20, "score": 2.5},
	)))
	// The second run sees id 2 again at the boundary (dropped), id 3 at the boundary (new), an
	// older record (dropped), and a score that is not a number (to a variant column).
	var seen int64
	inc := sfdlt.NewIncremental("updated", nil)
	res := sfdlt.NewResource("events", func(ctx context.Context, got *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
		if v, ok := got.LastValue().(json.Number); ok {
			seen, _ = v.Int64()
		} else if f, ok := got.LastValue().(float64); ok {
			seen = int64(f)
		}
		return records(
			map[string]any{"id": 2, "updated": 20, "score": 2.5},
			map[string]any{"id": 3, "updated": 20, "score": "n/a"},
			map[string]any{"id": 0, "updated": 5, "score": 0.5},
		)(ctx, got)
	}, sfdlt.PrimaryKey("id"), sfdlt.Disposition(sfdlt.Merge), sfdlt.Cursor(inc))
	info := e.run(goSource(t, res))
	if seen != 20 {
		t.Errorf("the resource saw LastValue %d, want 20", seen)
	}
	if info.RowCount("events") != 1 {
		t.Fatalf("second run wrote %d rows, want only id 3", info.RowCount("events"))
	}
	if e.scalar(`SELECT count(*) FROM {ds}.events WHERE id = 3 AND score IS NULL AND score__v_text = 'n/a'`) != 1 {
		t.Error("a value that does not fit its column must go to the variant column score__v_text")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.events`) != 3 {
		t.Error("want ids 1, 2, 3")
	}
}

func TestGoResourceErrorsFailTheLoad(t *testing.T) {
	e := newGoEnv(t)
	boom := errors.New("remote API down")
	res := sfdlt.NewResource("things", func(ctx context.Context, _ *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
		return func(yield func(map[string]any, error) bool) {
			if !yield(map[string]any{"a": 1}, nil) {
				return
			}
			yield(nil, boom)
		}
	})
	info, err := e.pipeline().Run(context.Background(), goSource(t, res))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "things") {
		t.Fatalf("err = %v, want the resource's error, naming the resource", err)
	}
	if info.Loaded {
		t.Fatal("load info says loaded")
	}
	res2 := sfdlt.NewResource("chans", records(map[string]any{"c": make(chan int)}))
	if _, err := e.pipeline().Run(context.Background(), goSource(t, res2)); err == nil || !strings.Contains(err.Error(), "chan") {
		t.Fatalf("unloadable Go type: err = %v", err)
	}
	res3 := sfdlt.NewResource("merged", records(map[string]any{"a": 1}), sfdlt.Disposition(sfdlt.Merge))
	if _, err := e.pipeline().Run(context.Background(), goSource(t, res3)); err == nil || !strings.Contains(err.Error(), "primary key") {
		t.Fatalf("merge without key: err = %v", err)
	}
}

func TestProgressAndLoadInfo(t *testing.T) {
	e := newEnv(t, nil)
	var events []sfdlt.Progress
	p, err := sfdlt.NewPipeline("salesforce", duckdb.New(e.file), sfdlt.Dataset("salesforce_data"),
		sfdlt.PipelinesDir(filepath.Join(e.dir, "pipelines")), sfdlt.OnProgress(func(ev sfdlt.Progress) { events = append(events, ev) }))
	if err != nil {
		t.Fatal(err)
	}
	info, err := p.Run(context.Background(), e.source().WithResources("task"))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) < 3 || !events[len(events)-1].Done || events[len(events)-1].Rows != int64(e.srv.Count("Task", true)) {
		t.Fatalf("progress events %+v", events)
	}
	s := info.String()
	for _, want := range []string{"Pipeline salesforce load step completed in", "1 load package(s) were loaded to destination duckdb and into dataset salesforce_data",
		"The duckdb destination used duckdb:///", "location to store data", "Load package " + info.LoadID + " is LOADED and contains no failed jobs", "task"} {
		if !strings.Contains(s, want) {
			t.Errorf("load info lacks %q:\n%s", want, s)
		}
	}
	c := e.srv.Credentials()
	for _, secret := range []string{c.Password, c.SecurityToken} {
		if strings.Contains(s, secret) {
			t.Errorf("load info leaks a secret")
		}
	}
}

func TestDevModeLoadsIntoFreshDataset(t *testing.T) {
	e := newEnv(t, nil)
	p, err := sfdlt.NewPipeline("salesforce", duckdb.New(e.file), sfdlt.Dataset("salesforce_data"), sfdlt.DevMode(true), sfdlt.PipelinesDir(filepath.Join(e.dir, "pipelines")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.DatasetName(), "salesforce_data_") || p.DatasetName() == "salesforce_data_" {
		t.Fatalf("dev mode dataset = %q", p.DatasetName())
	}
	info, err := p.Run(context.Background(), e.source().WithResources("opportunity"))
	if err != nil || info.DatasetName != p.DatasetName() {
		t.Fatalf("run: %v, dataset %q", err, info.DatasetName)
	}
	if e.scalar(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'opportunity'`, p.DatasetName()) != 1 {
		t.Fatal("dev mode did not load into its dataset")
	}
}

func TestFormulaFieldsAndDevelopmentCap(t *testing.T) {
	e := newEnv(t, nil)
	e.run(e.source(sfdlt.FormulaFields(false), sfdlt.Production(false)).WithResources("opportunity", "contact"))
	for _, c := range e.srv.Calls() {
		if c.SOQL == "" || c.Page != 0 {
			continue
		}
		if strings.Contains(c.SOQL, "ExpectedRevenue") {
			t.Errorf("formula field selected with FormulaFields(false): %s", c.SOQL)
		}
		if !strings.HasSuffix(c.SOQL, " LIMIT 100") {
			t.Errorf("Production(false) must cap each query at 100 rows: %s", c.SOQL)
		}
	}
	if n := e.scalar(`SELECT count(*) FROM {ds}.contact`); n != 100 {
		t.Errorf("contact: %d rows, want the development cap of 100", n)
	}
	if e.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'opportunity' AND column_name = 'expected_revenue'`) != 0 {
		t.Error("the formula column exists although formulas are left out")
	}
}

// A cursor beyond float64 precision survives the state exactly: the boundary record is not
// loaded twice, and a time.Time cursor comes back as a time.Time.
func TestCursorValuesSurviveTheState(t *testing.T) {
	e := newGoEnv(t)
	big := int64(1<<53 + 1)
	at := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	var lastSeq, lastAt any
	mk := func() *sfdlt.Source {
		seq := sfdlt.NewResource("seq", func(ctx context.Context, inc *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
			lastSeq = inc.LastValue()
			return records(map[string]any{"id": big, "n": 1})(ctx, inc)
		}, sfdlt.PrimaryKey("id"), sfdlt.Disposition(sfdlt.Merge), sfdlt.Cursor(sfdlt.NewIncremental("id", nil)))
		tm := sfdlt.NewResource("times", func(ctx context.Context, inc *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
			lastAt = inc.LastValue()
			return records(map[string]any{"k": "a", "at": at})(ctx, inc)
		}, sfdlt.Cursor(sfdlt.NewIncremental("at", nil)))
		return goSource(t, seq, tm)
	}
	e.run(mk())
	info := e.run(mk())
	if info.RowCount("seq") != 0 || info.RowCount("times") != 0 {
		t.Fatalf("second run reloaded the boundary records: %v", info)
	}
	if n, ok := lastSeq.(json.Number); !ok || n.String() != "9007199254740993" {
		t.Errorf("LastValue of the big cursor = %#v, want json.Number 9007199254740993", lastSeq)
	}
	if ts, ok := lastAt.(time.Time); !ok || !ts.Equal(at) {
		t.Errorf("LastValue of the time cursor = %#v, want %v", lastAt, at)
	}
}

func TestGoResourceRejectsCollidingAndReservedNames(t *testing.T) {
	e := newGoEnv(t)
	_, err := e.pipeline().Run(context.Background(), goSource(t, sfdlt.NewResource("things", records(map[string]any{"名前": "a", "住所": "b"}))))
	if err == nil || !strings.Contains(err.Error(), "both become column") {
		t.Fatalf("keys that normalize to one column: err = %v, want an error naming both", err)
	}
	for _, name := range []string{"", "  ", "_dlt_loads", "_dlt_mine"} {
		src, _ := sfdlt.NewSource(sfdlt.Credentials{UserName: "unused", Password: "unused"})
		src.AddResource(sfdlt.NewResource(name, records(map[string]any{"a": 1})))
		if _, err := e.pipeline().Run(context.Background(), src.WithResources(sfdlt.NewResource(name, nil).Name())); err == nil {
			t.Errorf("resource name %q accepted", name)
		}
	}
	// Nothing was committed, so the run left no database at all (a file it created is removed).
	if _, err := os.Stat(e.file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rejected resources left %s behind (%v)", e.file, err)
	}
}

func TestSourcePrintsNoSecret(t *testing.T) {
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: "u", Password: "pw-SEKRET-1", SecurityToken: "tok-SEKRET-2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(src), fmt.Sprintf("%v %+v %#v %s", src, src, src, src), fmt.Sprintf("%v", *src)} {
		if strings.Contains(s, "SEKRET") {
			t.Fatalf("a Source printed a secret: %s", s)
		}
	}
}

// TestRunsHistory: every run, loaded or failed, adds a record to the pipeline's runs.json, the
// newest MaxRunRecords kept, oldest first; a damaged file starts again instead of failing runs.
func TestRunsHistory(t *testing.T) {
	e := newEnv(t, nil)
	p := e.pipeline()
	if runs, err := p.Runs(); err != nil || len(runs) != 0 {
		t.Fatalf("before any run: %v, %v", runs, err)
	}
	ok := sfdlt.NewResource("things", records(map[string]any{"a": 1}, map[string]any{"a": 2}))
	if _, err := p.Run(context.Background(), goSource(t, ok)); err != nil {
		t.Fatal(err)
	}
	bad := sfdlt.NewResource("broken", func(ctx context.Context, _ *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
		return func(yield func(map[string]any, error) bool) { yield(nil, errors.New("remote API down")) }
	})
	if _, err := p.Run(context.Background(), goSource(t, bad)); err == nil {
		t.Fatal("the broken resource loaded")
	}
	runs, err := p.Runs()
	if err != nil || len(runs) != 2 {
		t.Fatalf("after two runs: %+v, %v", runs, err)
	}
	if !runs[0].Loaded || runs[0].Rows != 2 || runs[0].Loads != 1 || runs[1].Loaded || runs[1].Loads != 0 ||
		runs[0].FinishedAt.Before(runs[0].StartedAt) || runs[1].StartedAt.Before(runs[0].StartedAt) {
		t.Errorf("the runs' records: %+v", runs)
	}

	// Full: the oldest goes.
	path := filepath.Join(p.Dir(), sfdlt.RunsFile)
	full := make([]sfdlt.RunRecord, sfdlt.MaxRunRecords)
	for i := range full {
		full[i] = sfdlt.RunRecord{StartedAt: time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC), FinishedAt: time.Date(2026, 1, 1, 0, i, 1, 0, time.UTC), Loaded: true, Rows: int64(i)}
	}
	b, _ := json.Marshal(full)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), goSource(t, ok)); err != nil {
		t.Fatal(err)
	}
	if runs, err = p.Runs(); err != nil || len(runs) != sfdlt.MaxRunRecords || runs[0].Rows != 1 || runs[len(runs)-1].Rows != 2 || runs[len(runs)-1].StartedAt.Year() != time.Now().Year() {
		t.Errorf("a full history: %d records, first %+v, last %+v, %v", len(runs), runs[0], runs[len(runs)-1], err)
	}

	// Damaged: Runs says how to mend it, and the next run starts the history again.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Runs(); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a damaged history: %v", err)
	}
	if _, err := p.Run(context.Background(), goSource(t, ok)); err != nil {
		t.Fatal(err)
	}
	if runs, err = p.Runs(); err != nil || len(runs) != 1 {
		t.Errorf("after a damaged history and a run: %+v, %v", runs, err)
	}
}

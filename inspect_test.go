package sfdlt_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// things is a merge resource with an incremental cursor on "updated".
func things(fn sfdlt.RecordsFunc) *sfdlt.Resource {
	return sfdlt.NewResource("things", fn, sfdlt.PrimaryKey("id"), sfdlt.Disposition(sfdlt.Merge),
		sfdlt.Cursor(sfdlt.NewIncremental("updated", nil)))
}

// lastValue is the incremental cursor of things in st, rendered.
func lastValue(st *sfdlt.PipelineState) string {
	src := st.Sources[sfdlt.SourceName]
	if src == nil || src.Resources["things"] == nil || src.Resources["things"].Incremental["updated"] == nil {
		return "none"
	}
	return fmt.Sprint(src.Resources["things"].Incremental["updated"].LastValue)
}

// checkInspection checks what Inspect returned: things holding rows rows, the dlt tables,
// the loads (newest first, all completed) and the cursor, from the state stateFrom.
func checkInspection(t *testing.T, what string, in *sfdlt.Inspection, rows int64, loads []string, last, stateFrom string) {
	t.Helper()
	got := map[string]destination.TableStats{}
	for _, ts := range in.Tables {
		got[ts.Name] = ts
	}
	if ts := got["things"]; ts.Busy || ts.Rows != rows {
		t.Errorf("%s: table things %+v, want %d rows", what, ts, rows)
	}
	// One state row and one _dlt_loads row per load; the schema did not change after the first.
	for sys, n := range map[string]int{schema.TableLoads: len(loads), schema.TablePipelineState: len(loads), schema.TableVersion: 1} {
		if ts, ok := got[sys]; !ok || ts.Rows != int64(n) {
			t.Errorf("%s: table %s %+v, want %d rows", what, sys, ts, n)
		}
	}
	var ids []string
	for _, l := range in.Loads {
		if l.Status != 0 {
			t.Errorf("%s: load %s has status %d", what, l.LoadID, l.Status)
		}
		ids = append(ids, l.LoadID)
	}
	if fmt.Sprint(ids) != fmt.Sprint(loads) {
		t.Errorf("%s: loads %v, want %v", what, ids, loads)
	}
	if in.StateFrom != stateFrom || lastValue(in.State) != last {
		t.Errorf("%s: state from %q with last_value %s, want from %q with %s", what, in.StateFrom, lastValue(in.State), stateFrom, last)
	}
	if s := in.String(); !strings.Contains(s, "things") || !strings.Contains(s, "last_value "+last) {
		t.Errorf("%s: the report lacks the table or the cursor:\n%s", what, s)
	}
}

// TestInspectDuringRun checks that Inspect and State work while a run of the pipeline holds
// the dataset (its lock and an open load): a run whose resource waits until they have read
// shows the previous run's tables, loads and state, and then completes.
func TestInspectDuringRun(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		ctx := t.Context()
		first := e.run(goSource(t, things(records(map[string]any{"id": 1, "updated": 10}, map[string]any{"id": 2, "updated": 20}))))

		started, release := make(chan struct{}), make(chan struct{})
		blocking := things(func(ctx context.Context, _ *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
			return func(yield func(map[string]any, error) bool) {
				close(started)
				select {
				case <-release:
					yield(map[string]any{"id": 3, "updated": 30}, nil)
				case <-ctx.Done():
					yield(nil, ctx.Err())
				}
			}
		})
		src := goSource(t, blocking)
		running := e.pipeline()
		type result struct {
			info *sfdlt.LoadInfo
			err  error
		}
		done, finished := make(chan result, 1), make(chan struct{})
		go func() {
			defer close(finished)
			info, err := running.Run(ctx, src)
			done <- result{info, err}
		}()
		released := false
		unblock := func() {
			if !released {
				released = true
				close(release)
			}
		}
		t.Cleanup(func() {
			unblock()
			<-finished // before the dataset is dropped
		})
		select {
		case <-started:
		case r := <-done:
			t.Fatalf("the second run ended before reading its resource: %v\n%v", r.err, r.info)
		}

		// The run holds the pipeline's lock now: a second run is refused, and reading works,
		// through the running pipeline and through another one with no local state.
		if _, err := e.pipeline().Run(ctx, goSource(t, things(records()))); !errors.Is(err, destination.ErrLocked) {
			t.Fatalf("a run beside the running one: got %v, want ErrLocked (else the run does not hold the lock)", err)
		}
		elsewhere := e.pipeline(sfdlt.PipelinesDir(t.TempDir()))
		for _, tc := range []struct {
			name      string
			p         *sfdlt.Pipeline
			stateFrom string
		}{{"the running pipeline", running, "local"}, {"a pipeline without local state", elsewhere, "destination"}} {
			in, err := tc.p.Inspect(ctx, 10)
			if err != nil {
				t.Fatalf("Inspect of %s during the run: %v", tc.name, err)
			}
			checkInspection(t, "Inspect of "+tc.name+" during the run", in, 2, []string{first.LoadID}, "20", tc.stateFrom)
			st, err := tc.p.State(ctx)
			if err != nil || lastValue(st) != "20" {
				t.Errorf("State of %s during the run: last_value %s, %v; want 20", tc.name, lastValue(st), err)
			}
		}

		unblock()
		r := <-done
		if r.err != nil {
			t.Fatalf("the run after Inspect: %v\n%v", r.err, r.info)
		}
		if r.info.RowCount("things") != 1 {
			t.Errorf("the run wrote %d rows, want 1\n%v", r.info.RowCount("things"), r.info)
		}
		in, err := elsewhere.Inspect(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		checkInspection(t, "Inspect after the run", in, 3, []string{r.info.LoadID, first.LoadID}, "30", "destination")
	})
}

// TestInspectCreatesNothing checks that Inspect and State of a pipeline that never ran create
// nothing: no dataset (Postgres schema), no DuckDB file, no local pipeline directory.
func TestInspectCreatesNothing(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		p := e.pipeline()
		in, err := p.Inspect(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Tables) != 0 || len(in.Loads) != 0 || in.StateFrom != "new" || in.State.Version != 0 {
			t.Errorf("Inspect of a new pipeline: %+v, want no tables, no loads, a new state", in)
		}
		if !strings.Contains(in.String(), "No tables yet") {
			t.Errorf("report of a new pipeline:\n%s", in)
		}
		st, err := p.State(t.Context())
		if err != nil || st.Version != 0 || len(st.Sources) != 0 {
			t.Errorf("State of a new pipeline: %+v, %v; want a new state", st, err)
		}
		for _, path := range []string{e.file, e.file + ".wal", p.Dir()} {
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists after Inspect and State (%v); they must create nothing", path, err)
			}
		}
		if e.kind == "postgres" {
			if n := e.scalar(`SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ('{ds}', '{ds}_staging')`); n != 0 {
				t.Errorf("Inspect and State created %d schemas", n)
			}
		}
	})
}

package sfdlt_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// The fault matrix (issue 6): every case runs real pipeline loads against the emulator with one
// fault injected. A fault sfdlt can ride out must end in success with exactly the org's data; one
// it cannot must end in a clear error with the dataset (every table, _dlt_loads and
// _dlt_pipeline_state included) and the local state exactly as they were, and the next run
// without the fault must then complete with the org's data.

// faultCase is one row of the matrix.
type faultCase struct {
	name      string
	kinds     []string       // destinations it runs on; nil: DuckDB and Postgres
	counts    map[string]int // records per object; nil: faultCounts()
	resources []string       // resources loaded; nil: all 15 (opportunity and contact always)
	faults    salesforcetest.Faults
	// faultsFor, when set, gives the faults instead of faults, from the API calls the emulator
	// has counted so far and those of the clean first load (error cases only).
	faultsFor func(used, calls int) salesforcetest.Faults
	src       []sfdlt.SourceOption
	pipe      []sfdlt.PipelineOption
	// during runs alongside the faulted run; ctx ends when the run returns. calls is the number
	// of calls the clean first load made, to place a fault in time (error cases only).
	during func(ctx context.Context, t *testing.T, e *env, pipeline string, calls int)
	// breakDest makes the destination unusable before the faulted run, which then is the first
	// run of the pipeline, and returns what repairs it.
	breakDest func(t *testing.T, e *env) (repair func())
	// wantErr checks the faulted run's error; nil means the run must succeed.
	wantErr func(t *testing.T, e *env, err error)
	// succeeded checks a successful faulted first load further: its load info and the calls
	// of both faulted runs.
	succeeded func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call)
}

// fastRetries keeps the client's retries quick: the faults are dense, real waits would only
// slow the tests.
func fastRetries() sfdlt.SourceOption {
	return sfdlt.ClientConfig(func(c *client.Config) {
		c.RetryWait = time.Millisecond
		c.MaxRetryWait = 10 * time.Millisecond
		c.MaxRetries = 10
	})
}

// fastBulk polls Bulk jobs without the real second-long waits.
var fastBulk = client.BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond}

// faultCounts is a small org (a tenth of the default), so the matrix stays quick.
func faultCounts() map[string]int {
	counts := salesforcetest.DefaultCounts()
	for o, n := range counts {
		counts[o] = max(3, n/10)
	}
	return counts
}

// bigTask is a small org with a Task table large enough for many pages and slow queries.
func bigTask(n int) map[string]int {
	counts := faultCounts()
	counts["Task"] = n
	return counts
}

// fewResources are enough where the fault does not depend on how many calls a run makes: two
// merge resources, a replace one, and the big Task.
var fewResources = []string{"opportunity", "contact", "account", "task", "user_role"}

func allResources() []string {
	var out []string
	for _, s := range standard {
		out = append(out, s.table)
	}
	return out
}

// TestFaultMatrix runs every fault of the matrix on DuckDB and Postgres (where it applies): a
// fault sfdlt rides out ends in the org's exact data, one it cannot in a clear error, the
// dataset and local state untouched, and a next run that completes.
func TestFaultMatrix(t *testing.T) {
	for _, tc := range faultCases() {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.counts != nil {
				t.Skip("loads a big table; runs without -short")
			}
			kinds := tc.kinds
			if kinds == nil {
				kinds = []string{"duckdb", "postgres"}
			}
			counts := tc.counts
			if counts == nil {
				counts = faultCounts()
			}
			for _, kind := range kinds {
				t.Run(kind, func(t *testing.T) {
					e := newEnvFor(t, kind, counts)
					e.popts = nil // a failed run must leave the dataset as before: one load per run
					runFaultCase(t, e, tc)
				})
			}
		})
	}
}

func faultCases() []faultCase {
	return []faultCase{
		{
			name:   "5xx answers",
			faults: salesforcetest.Faults{Seed: 1, ErrorRate: 0.2},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				if n := countCalls(calls, func(c salesforcetest.Call) bool { return c.Status >= 500 || c.Status == 420 }); n < 5 {
					t.Errorf("only %d 5xx/420 answers in the faulted runs: the fault was hardly injected", n)
				}
			},
		},
		{
			name:   "connections dropped mid-body",
			faults: salesforcetest.Faults{Seed: 2, DropRate: 0.1},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				// A cut body is fetched again: the same request shows twice in the log.
				if n := repeatedCalls(calls); n == 0 {
					t.Error("no request was repeated: no cut connection was retried, so the fault was not exercised")
				}
			},
		},
		{
			name:      "latency past the client timeout",
			resources: fewResources,
			// A short client timeout; the run starts fast, then every answer comes too late.
			src:    []sfdlt.SourceOption{sfdlt.HTTPClient(&http.Client{Timeout: 100 * time.Millisecond})},
			pipe:   []sfdlt.PipelineOption{sfdlt.Parallelism(2)},
			faults: salesforcetest.Faults{Latency: 3 * time.Millisecond},
			during: func(ctx context.Context, t *testing.T, e *env, _ string, calls int) {
				if !waitForCalls(ctx, e.srv, calls/3) {
					t.Error("the run ended before a third of its calls: the latency was never raised")
					return
				}
				e.srv.SetFaults(salesforcetest.Faults{Latency: 500 * time.Millisecond})
			},
			wantErr: func(t *testing.T, e *env, err error) {
				// net/http reports its client timeout as a net.Error matching
				// context.DeadlineExceeded, mostly (not always) saying "Client.Timeout exceeded".
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %q is not a timeout (a net.Error with Timeout(), matching context.DeadlineExceeded)", err)
				}
				for _, want := range []string{"resource ", "giving up after 11 attempts", "exceeded"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
			},
		},
		{
			name:      "session expires every 3 calls",
			resources: fewResources,
			faults:    salesforcetest.Faults{SessionExpiresEvery: 3},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				expired := countCalls(calls, func(c salesforcetest.Call) bool { return c.Status == http.StatusUnauthorized })
				logins := countCalls(calls, isLogin)
				// Requests in parallel that meet one expired session share one new login.
				if expired < 5 || logins < 3 {
					t.Errorf("%d INVALID_SESSION_ID answers and %d logins: want several expiries and logins again", expired, logins)
				}
			},
		},
		{
			name:      "session expires during a long REST download",
			counts:    bigTask(12000),
			resources: []string{"task", "opportunity", "contact"},
			faults:    salesforcetest.Faults{SessionExpiresEvery: 2},
			src:       []sfdlt.SourceOption{sfdlt.BulkThreshold(0)},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				pages := countCalls(calls, func(c salesforcetest.Call) bool {
					return c.Status == 200 && c.Page > 0 && strings.Contains(c.SOQL, " FROM Task")
				})
				expired := countCalls(calls, func(c salesforcetest.Call) bool { return c.Status == http.StatusUnauthorized })
				if pages < 5 || expired < 5 {
					t.Errorf("%d continuation pages of Task and %d expiries: want the session to expire between the pages of a long read", pages, expired)
				}
			},
		},
		{
			name:      "session expires during a long Bulk download",
			counts:    bigTask(12000),
			resources: []string{"task", "opportunity", "contact"},
			faults:    salesforcetest.Faults{SessionExpiresEvery: 2},
			src: []sfdlt.SourceOption{sfdlt.BulkThreshold(5000), sfdlt.Bulk(client.BulkOptions{
				PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond, MaxRecords: 1000})},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				results := countCalls(calls, func(c salesforcetest.Call) bool {
					return c.Method == "GET" && strings.HasSuffix(c.Path, "/results") && c.Status == 200
				})
				expired := countCalls(calls, func(c salesforcetest.Call) bool { return c.Status == http.StatusUnauthorized })
				if results < 10 || expired < 5 {
					t.Errorf("%d Bulk result pages and %d expiries: want the session to expire between the pages of a Bulk download", results, expired)
				}
				if len(info.Notes) > 0 {
					t.Errorf("the Bulk download should have ridden out the expiries, not fallen back: %v", info.Notes)
				}
			},
		},
		{
			name: "REQUEST_LIMIT_EXCEEDED mid-run",
			// One resource after another (two at a time), so the limit falls after the first few.
			pipe: []sfdlt.PipelineOption{sfdlt.Parallelism(2)},
			faultsFor: func(used, calls int) salesforcetest.Faults {
				return salesforcetest.Faults{RequestLimitAfter: used + calls/3}
			},
			wantErr: func(t *testing.T, e *env, err error) {
				var ae *client.APIError
				if !errors.Is(err, client.ErrRequestLimitExceeded) || !errors.As(err, &ae) || ae.ErrorCode != client.CodeRequestLimitExceeded {
					t.Fatalf("error %q: want client.ErrRequestLimitExceeded from a *client.APIError", err)
				}
				for _, want := range []string{"REQUEST_LIMIT_EXCEEDED", "rolling 24-hour window", "retrying now is useless"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				calls := e.srv.Calls()
				if ok := countCalls(calls, func(c salesforcetest.Call) bool { return isAPI(c) && answered(c) }); ok < 5 {
					t.Errorf("only %d API calls succeeded before the limit: it was not reached mid-run", ok)
				}
				// No retry storm: each resource in flight (two at a time) meets the limit once.
				limited := countCalls(calls, func(c salesforcetest.Call) bool { return c.Status == http.StatusForbidden })
				if limited < 1 || limited > 2 {
					t.Errorf("%d REQUEST_LIMIT_EXCEEDED answers: want 1 or 2 (one per resource in flight, never retried)", limited)
				}
			},
		},
		{
			name: "another integration of the user keeps opening query cursors",
			// A cursor opens before every query request, so Task's read of at least 13 pages
			// sees its own cursor become the oldest of 11 and released.
			counts:    bigTask(25000),
			resources: []string{"task", "opportunity", "contact", "account", "user_role"},
			faults:    salesforcetest.Faults{Seed: 8, IrregularPages: true, ForeignCursorEvery: 1},
			src:       []sfdlt.SourceOption{sfdlt.BulkThreshold(0)},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				lost := countCalls(calls, func(c salesforcetest.Call) bool {
					return c.Status == http.StatusBadRequest && (strings.Contains(c.Path, "/query/") || strings.Contains(c.Path, "/queryAll/"))
				})
				if info.LostCursors == 0 || lost == 0 {
					t.Errorf("%d cursors lost (%d INVALID_QUERY_LOCATOR answers): the other integration did not take any", info.LostCursors, lost)
				}
			},
		},
		{
			name:   "concurrent-request limit storm",
			faults: salesforcetest.Faults{Seed: 9, ConcurrentLimitRate: 0.3},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				if n := countCalls(calls, func(c salesforcetest.Call) bool { return c.Status == http.StatusForbidden }); n < 10 {
					t.Errorf("only %d concurrent-limit answers in the faulted runs: the storm was hardly injected", n)
				}
			},
		},
		{
			name:      "QUERY_TIMEOUT on a big window",
			counts:    bigTask(10000),
			resources: []string{"task", "opportunity", "contact"},
			faults:    salesforcetest.Faults{QueryTimeoutAbove: 2500},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				if !strings.Contains(strings.Join(info.Notes, " "), "windows") {
					t.Errorf("the load info should say task was read in windows: %v", info.Notes)
				}
				timeouts := countCalls(calls, func(c salesforcetest.Call) bool { return c.Status == http.StatusBadRequest })
				windows := countCalls(calls, func(c salesforcetest.Call) bool {
					return c.Status == 200 && c.Page == 0 && strings.Contains(c.SOQL, "FROM Task WHERE SystemModstamp >= ") && strings.Contains(c.SOQL, "SystemModstamp < ")
				})
				if timeouts == 0 || windows < 4 {
					t.Errorf("%d QUERY_TIMEOUT answers and %d window queries: 10,000 rows at most 2,500 per query need at least 4 windows", timeouts, windows)
				}
			},
		},
		{
			name:      "Bulk jobs failed",
			resources: fewResources,
			faults:    salesforcetest.Faults{BulkJobFailRate: 1},
			src:       []sfdlt.SourceOption{sfdlt.BulkThreshold(1), sfdlt.Bulk(fastBulk)},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				checkFellBack(t, info, calls, len(fewResources))
			},
		},
		{
			name:      "Bulk jobs stuck InProgress",
			resources: fewResources,
			faults:    salesforcetest.Faults{BulkJobStuck: true},
			src: []sfdlt.SourceOption{sfdlt.BulkThreshold(1), sfdlt.Bulk(client.BulkOptions{
				PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond, Timeout: 150 * time.Millisecond})},
			succeeded: func(t *testing.T, e *env, info *sfdlt.LoadInfo, calls []salesforcetest.Call) {
				checkFellBack(t, info, calls, len(fewResources))
				if n := countCalls(calls, func(c salesforcetest.Call) bool {
					return c.Method == "PATCH" && strings.Contains(c.Path, "/jobs/query/")
				}); n == 0 {
					t.Error("no stuck job was aborted")
				}
			},
		},
		{
			name:      "DuckDB directory not writable",
			kinds:     []string{"duckdb"},
			resources: fewResources,
			breakDest: breakDuckDBDir,
			wantErr: func(t *testing.T, e *env, err error) {
				if !strings.Contains(err.Error(), e.file) && !strings.Contains(err.Error(), filepath.Dir(e.file)) {
					t.Errorf("error %q does not name the path %s", err, e.file)
				}
			},
		},
		{
			name:      "Postgres backend killed mid-load",
			kinds:     []string{"postgres"},
			resources: fewResources,
			// Latency and few resources at a time stretch the run so the kill lands inside it.
			faults: salesforcetest.Faults{Latency: 40 * time.Millisecond},
			pipe:   []sfdlt.PipelineOption{sfdlt.Parallelism(2)},
			during: killBackendHalfway,
			wantErr: func(t *testing.T, e *env, err error) {
				// Killed during a statement, lib/pq reports the server's FATAL; between
				// statements, database/sql finds the connection dead.
				var pe *pq.Error
				if !(errors.As(err, &pe) && pe.Code == "57P01") && !errors.Is(err, driver.ErrBadConn) {
					t.Errorf("error %q: want the *pq.Error 57P01 (admin_shutdown) or driver.ErrBadConn of the killed backend", err)
				}
			},
		},
	}
}

// runFaultCase runs one case on one destination.
func runFaultCase(t *testing.T, e *env, tc faultCase) {
	resources := tc.resources
	if resources == nil {
		resources = allResources()
	}
	name := "faults"
	if e.kind == "postgres" {
		name = "faults_" + e.ds // unique: the kill must reach this run's backend only
	}
	src := func() *sfdlt.Source {
		return e.source(append([]sfdlt.SourceOption{fastRetries()}, tc.src...)...).WithResources(resources...)
	}
	// run runs the pipeline once, with during (if any) alongside; a run that hangs fails the test.
	run := func(during func(ctx context.Context), calls int) (*sfdlt.LoadInfo, error) {
		t.Helper()
		p, err := sfdlt.NewPipeline(name, e.destination(), append([]sfdlt.PipelineOption{
			sfdlt.Dataset(e.ds), sfdlt.PipelinesDir(filepath.Join(e.dir, "pipelines"))}, tc.pipe...)...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if during != nil {
				during(runCtx)
			}
		}()
		info, err := p.Run(ctx, src())
		stop()
		<-done
		if ctx.Err() != nil {
			t.Fatalf("the run did not end within 30 s (it hung): %v", err)
		}
		return info, err
	}
	cleanRun := func(what string) *sfdlt.LoadInfo {
		t.Helper()
		e.srv.SetFaults(salesforcetest.Faults{})
		info, err := run(nil, 0)
		if err != nil {
			t.Fatalf("%s without faults failed: %v\n%v", what, err, info)
		}
		return info
	}
	statePath := filepath.Join(e.dir, "pipelines", name, "state.json")

	if tc.wantErr == nil {
		// The fault is on for a first load and, after changes in the org, an incremental one.
		e.srv.ResetCalls()
		e.srv.SetFaults(tc.faults)
		var first *sfdlt.LoadInfo
		for i, what := range []string{"first load", "incremental load"} {
			if i == 1 {
				changeOrg(t, e)
			}
			info, err := run(nil, 0)
			if err != nil {
				t.Fatalf("%s under the fault failed: %v\n%v", what, err, info)
			}
			if !info.Loaded {
				t.Fatalf("%s: the load info says not loaded:\n%v", what, info)
			}
			checkTables(e, resources)
			if first == nil {
				first = info
			}
		}
		calls := e.srv.Calls()
		if tc.succeeded != nil {
			tc.succeeded(t, e, first, calls)
		}
		// The state left by the faulted runs is right: nothing is new for the merge tables.
		info := cleanRun("a run after the faulted ones")
		for _, s := range standard {
			if s.merge && slices.Contains(resources, s.table) && info.RowCount(s.table) != 0 {
				t.Errorf("nothing changed, yet %d %s rows were loaded again: the faulted runs left a wrong cursor", info.RowCount(s.table), s.table)
			}
		}
		return
	}

	calls := 0
	var repair func()
	if tc.breakDest != nil {
		repair = tc.breakDest(t, e)
	} else {
		// A clean first load, then changes the faulted run would load.
		e.srv.ResetCalls()
		cleanRun("the first load")
		calls = len(e.srv.Calls())
		changeOrg(t, e)
	}
	before, stateBefore := snapshot(t, e), readFileOrNil(t, statePath)
	faults := tc.faults
	if tc.faultsFor != nil {
		faults = tc.faultsFor(countCalls(e.srv.Calls(), func(c salesforcetest.Call) bool {
			return isAPI(c) && c.Status != http.StatusUnauthorized && c.Status != http.StatusForbidden
		}), calls)
	}
	e.srv.ResetCalls()
	e.srv.SetFaults(faults)
	var during func(context.Context)
	if tc.during != nil {
		during = func(ctx context.Context) { tc.during(ctx, t, e, name, calls) }
	}
	started := time.Now()
	info, err := run(during, calls)
	e.srv.SetFaults(salesforcetest.Faults{})
	if err == nil {
		t.Fatalf("the run succeeded under the fault; want a clear error\n%v", info)
	}
	t.Logf("error after %v: %v", time.Since(started).Round(time.Millisecond), err)
	tc.wantErr(t, e, err)
	if info != nil && info.Loaded {
		t.Errorf("the run failed, yet its load info says loaded:\n%v", info)
	}
	compareSnapshots(t, before, snapshot(t, e))
	if after := readFileOrNil(t, statePath); string(after) != string(stateBefore) {
		t.Errorf("the failed run changed the local state %s:\nbefore %s\nafter  %s", statePath, stateBefore, after)
	}
	if repair != nil {
		repair()
	}
	cleanRun("the run after the failed one")
	checkTables(e, resources)
}

// changeOrg changes the org after a load: updated, inserted and deleted opportunities (merge)
// and a deleted contact (replace), so the next run has something to write.
func changeOrg(t *testing.T, e *env) {
	t.Helper()
	ids := opportunityIDs(t, e, 4)
	if len(ids) < 4 {
		t.Fatalf("want 4 opportunities loaded, have %d", len(ids))
	}
	if err := e.srv.Update("Opportunity", ids[:2], map[string]any{"Description": "changed before a faulted run"}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Delete("Opportunity", ids[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Insert("Opportunity", map[string]any{"Name": "Inserted before a faulted run", "StageName": "Prospecting",
		"CloseDate": time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Delete("Contact", e.firstID("contact")); err != nil {
		t.Fatal(err)
	}
}

// checkTables compares every loaded table with the org.
func checkTables(e *env, resources []string) {
	e.t.Helper()
	for _, s := range standard {
		if slices.Contains(resources, s.table) {
			e.checkTable(s.table, s.object, s.merge)
		}
	}
}

// snapshot reads the whole dataset: per table its columns and all its rows (system columns and
// system tables included), each row one canonical line, sorted. A DuckDB file that does not
// exist is nil.
func snapshot(t *testing.T, e *env) map[string][]string {
	t.Helper()
	if e.kind == "duckdb" {
		if _, err := os.Stat(e.file); err != nil {
			return nil
		}
	}
	db := e.db()
	defer db.Close()
	out := map[string][]string{}
	for _, table := range e.tables() {
		rows, err := db.Query(e.sql(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = $1 ORDER BY column_name`), table)
		if err != nil {
			t.Fatal(err)
		}
		var cols, types []string
		for rows.Next() {
			var c, typ string
			if err := rows.Scan(&c, &typ); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, `"`+c+`"`)
			types = append(types, strings.ToLower(typ))
		}
		rows.Close()
		lines := []string{"columns: " + strings.Join(cols, ", ") + " (" + strings.Join(types, ", ") + ")"}
		lines = append(lines, tableLines(t, e, db, table, cols, types)...)
		out[table] = lines
	}
	return out
}

func tableLines(t *testing.T, e *env, db *sql.DB, table string, cols, types []string) []string {
	t.Helper()
	rows, err := db.Query(e.sql(fmt.Sprintf(`SELECT %s FROM {ds}.%s`, strings.Join(cols, ", "), table)))
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var lines []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = canonDB(v, types[i])
		}
		lines = append(lines, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return lines
}

// compareSnapshots fails the test where the dataset after a failed run differs from before it.
func compareSnapshots(t *testing.T, before, after map[string][]string) {
	t.Helper()
	for table, a := range after {
		if _, ok := before[table]; !ok {
			t.Errorf("the failed run left table %s behind (%d lines)", table, len(a))
		}
	}
	for table, b := range before {
		a, ok := after[table]
		if !ok {
			t.Errorf("the failed run removed table %s", table)
			continue
		}
		if len(a) != len(b) {
			t.Errorf("table %s: %d lines before the failed run, %d after", table, len(b), len(a))
			continue
		}
		for i := range b {
			if a[i] != b[i] {
				t.Errorf("table %s changed in the failed run:\nbefore %s\nafter  %s", table, b[i], a[i])
				break
			}
		}
	}
}

func readFileOrNil(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

func countCalls(calls []salesforcetest.Call, f func(salesforcetest.Call) bool) int {
	n := 0
	for _, c := range calls {
		if f(c) {
			n++
		}
	}
	return n
}

// answered: a request Salesforce answered as asked, 200 or 304 (a describe the run had kept from
// the run before, revalidated).
func answered(c salesforcetest.Call) bool {
	return c.Status == http.StatusOK || c.Status == http.StatusNotModified
}

// isAPI: a REST API call, what the org's request limit counts.
func isAPI(c salesforcetest.Call) bool { return strings.HasPrefix(c.Path, "/services/data/v") }

func isLogin(c salesforcetest.Call) bool {
	return strings.HasPrefix(c.Path, "/services/Soap/") || strings.HasPrefix(c.Path, "/services/oauth2/token")
}

// repeatedCalls counts successful API requests made more than once (the same method, path,
// query and page): retries, since a run asks for each thing once.
func repeatedCalls(calls []salesforcetest.Call) int {
	seen := map[string]int{}
	for _, c := range calls {
		if isAPI(c) && answered(c) {
			seen[fmt.Sprint(c.Method, " ", c.Path, " ", c.SOQL, " ", c.Page)]++
		}
	}
	n := 0
	for _, k := range seen {
		n += k - 1
	}
	return n
}

// waitForCalls waits until the emulator has logged n calls (true) or ctx ends (false).
func waitForCalls(ctx context.Context, srv *salesforcetest.Server, n int) bool {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for len(srv.Calls()) < n {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// checkFellBack checks that every resource created a Bulk job and, the job failing or hanging,
// was read with REST, as the load info says.
func checkFellBack(t *testing.T, info *sfdlt.LoadInfo, calls []salesforcetest.Call, resources int) {
	t.Helper()
	jobs := countCalls(calls, func(c salesforcetest.Call) bool {
		return c.Method == "POST" && strings.HasSuffix(c.Path, "/jobs/query")
	})
	fellBack := 0
	for _, n := range info.Notes {
		if strings.Contains(n, "Bulk API 2.0 failed") && strings.Contains(n, "read with REST instead") {
			fellBack++
		}
	}
	if fellBack != resources || jobs < resources {
		t.Errorf("%d Bulk jobs and %d notes of a fallback to REST: want one of each per resource (%d)\n%v", jobs, fellBack, resources, info.Notes)
	}
}

// breakDuckDBDir makes the DuckDB file's directory unwritable. Tests often run as root, which
// permissions do not stop: then the directory's place is taken by a regular file instead.
func breakDuckDBDir(t *testing.T, e *env) (repair func()) {
	t.Helper()
	dir := filepath.Join(e.dir, "data")
	e.file = filepath.Join(dir, "sf.duckdb")
	if os.Geteuid() == 0 {
		if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) }) // so the temporary directory can be removed
	return func() {
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

// killBackendHalfway terminates the pipeline's Postgres backend, from a second connection, once
// the emulator's call log shows the run half done (the load's transaction is open by then).
func killBackendHalfway(ctx context.Context, t *testing.T, e *env, pipeline string, calls int) {
	db, err := sql.Open("postgres", e.dsn)
	if err != nil {
		t.Error(err)
		return
	}
	defer db.Close()
	conn, err := db.Conn(ctx) // connected up front, so the kill is quick when the time comes
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	if !waitForCalls(ctx, e.srv, calls/2) {
		t.Error("the run ended before half its calls: the backend was never killed")
		return
	}
	var killed int
	if err := conn.QueryRowContext(context.WithoutCancel(ctx), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name LIKE $1 AND pid <> pg_backend_pid()`, "%"+pipeline+"%").Scan(&killed); err != nil {
		t.Errorf("terminating the pipeline's backend: %v", err)
		return
	}
	if killed == 0 {
		t.Errorf("no backend with application_name like %q to terminate", pipeline)
	}
}

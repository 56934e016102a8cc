package sfdlt_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// chunkCases are a merge and a replace resource of 10,000 records each.
var chunkCases = []struct {
	resource, object, table string
	merge                   bool
}{
	{"opportunity", "Opportunity", "opportunity", true},
	{"contact", "Contact", "contact", false},
}

// queryPages counts the query pages (first pages and continuations) served for object.
func queryPages(srv *salesforcetest.Server, object string) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.SOQL != "" && c.Status == 200 && (strings.Contains(c.SOQL, " FROM "+object+" ") || strings.HasSuffix(c.SOQL, " FROM "+object)) {
			n++
		}
	}
	return n
}

// A run that stops at 80% of a long read (the quota guard) has committed its chunks and what it
// read; the next run goes on from the last one instead of starting over, and leaves exactly
// the org's data: for a merge resource (from its committed cursor) and for a replace resource
// (after the last Id committed, then pruning what no longer exists), with changes, deletions and
// new records made in between.
func TestChunkedRunResumesWhereItStopped(t *testing.T) {
	for _, tc := range chunkCases {
		t.Run(tc.resource, func(t *testing.T) {
			forEachDestination(t, map[string]int{tc.object: 10_000}, func(t *testing.T, e *env) {
				testChunkedResume(t, e, tc.resource, tc.object, tc.table, tc.merge)
			})
		})
	}
}

func testChunkedResume(t *testing.T, e *env, resource, object, table string, merge bool) {
	e.popts = []sfdlt.PipelineOption{sfdlt.CommitEvery(2500), sfdlt.Parallelism(1)}
	const pages = 10 // 10,000 records in pages of 1,000 (they select long text)

	// The quota guard (90% of an org limit of 10 calls) stops the run after the describe and 8
	// of 10 pages: chunks commit after pages 3 and 6, and the rows of pages 7 and 8 when the
	// guard stops the run.
	e.srv.ResetCalls()
	e.srv.SetFaults(salesforcetest.Faults{RequestLimitAfter: 10})
	// REST pages (Bulk would read the 10,000 records in one job: TestChunkedBulkReadGoesOnWithTheSameJob).
	info, err := e.pipeline().Run(context.Background(), e.source(sfdlt.MaxAPIUsagePercent(90), sfdlt.BulkThreshold(0)).WithResources(resource))
	if !errors.Is(err, sfdlt.ErrAPIUsageLimit) {
		t.Fatalf("want the quota guard to stop the run, got %v\n%v", err, info)
	}
	if !strings.Contains(err.Error(), "chunk(s) this run committed before it stand") {
		t.Errorf("the error does not say that committed chunks stand: %v", err)
	}
	firstPages := queryPages(e.srv, object)
	committed := len(info.LoadIDs)
	if got := e.scalar(`SELECT count(*) FROM {ds}._dlt_loads`); got != int64(committed) || committed < 2 {
		t.Fatalf("_dlt_loads holds %d loads, the run reported %d committed, want at least 2\n%v", got, committed, info)
	}
	// Every page the run read is committed (the pages fetched ahead, at most two, when the guard
	// stopped it were never read).
	kept := e.scalar(`SELECT count(*) FROM {ds}.` + table)
	if kept < 1000*int64(firstPages-2) || kept > 1000*int64(firstPages) || kept < 6000 {
		t.Fatalf("the stopped run fetched %d pages and left %d rows: want every page it read committed", firstPages, kept)
	}
	if got := e.scalar(`SELECT count(DISTINCT id) FROM {ds}.` + table); got != kept {
		t.Fatalf("%d rows but %d distinct ids after the stopped run", kept, got)
	}

	// Meanwhile the org changes: a record already committed changes, one is deleted, one is new.
	first := e.firstID(table)
	if err := e.srv.Update(object, []string{first}, map[string]any{"Description": "changed after the stop"}); err != nil {
		t.Fatal(err)
	}
	last := e.maxID(table)
	if err := e.srv.Delete(object, last); err != nil {
		t.Fatal(err)
	}
	values := map[string]any{"LastName": "Resumed"}
	if merge {
		values = map[string]any{"Name": "Resumed", "StageName": "Prospecting", "CloseDate": time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	}
	newID, err := e.srv.Insert(object, values)
	if err != nil {
		t.Fatal(err)
	}

	e.srv.SetFaults(salesforcetest.Faults{})
	e.srv.ResetCalls()
	info = e.run(e.source(sfdlt.BulkThreshold(0)).WithResources(resource))
	again := queryPages(e.srv, object)
	t.Logf("stopped run: %d pages, %d chunks committed, %d rows kept; the next run read %d pages (a full read is %d)", firstPages, committed, kept, again, pages)
	if want := pages - int(kept/1000) + 1; again > want {
		t.Errorf("the next run read %d query pages, want at most %d: it did not go on from the committed rows (a full read is %d pages)", again, want, pages)
	}
	notes := strings.Join(info.Notes, "\n")
	if !merge && !strings.Contains(notes, "went on with the replace") {
		t.Errorf("the load info does not say the replace went on: %q", notes)
	}
	if n := e.scalar(`SELECT count(*) FROM {ds}.`+table+` WHERE id = $1`, newID); n != 1 {
		t.Errorf("the record inserted in between is loaded %d times", n)
	}
	if merge {
		// Merge: the change and the deletion arrive through the cursor (queryAll), so the table
		// equals the org at once.
		e.checkTable(table, object, true)
	} else {
		// Replace: a resumed pass holds each record as it was when read: the record deleted
		// after its chunk was committed stays until the next run's pass.
		if n := e.scalar(`SELECT count(*) FROM {ds}.`+table+` WHERE id = $1`, last); n != 1 {
			t.Errorf("the record deleted after its chunk committed: %d rows, want it kept until the next pass", n)
		}
		if got, want := e.scalar(`SELECT count(*) FROM {ds}.`+table), int64(e.srv.Count(object, false)+1); got != want {
			t.Errorf("after the resumed replace: %d rows, want the org's %d and the one deleted after its chunk", got, want)
		}
	}

	// The next run leaves exactly the org, and a merge resource reads nothing more than a
	// normal incremental run would.
	e.srv.ResetCalls()
	info = e.run(e.source(sfdlt.BulkThreshold(0)).WithResources(resource))
	if merge {
		if n := info.RowCount(table); n > 1 {
			t.Errorf("an unchanged run after the resume loaded %d rows", n)
		}
	}
	e.checkTable(table, object, merge)
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rs := st.Sources["salesforce"].Resources[resource]; rs != nil && rs.Resume != nil {
		t.Errorf("a completed run left a resume point: %+v", *rs.Resume)
	}
}

// With CommitEvery, a replace that fails (here the org's API limit, mid-read) leaves the chunks
// it committed and a resume point after their last Id; the next run completes it exactly.
func TestChunkedReplaceStateRecordsTheResumePoint(t *testing.T) {
	e := newEnv(t, map[string]int{"Contact": 6000})
	e.popts = []sfdlt.PipelineOption{sfdlt.CommitEvery(2000), sfdlt.Parallelism(1)}
	e.srv.SetFaults(salesforcetest.Faults{RequestLimitAfter: 1 + 3}) // 3 of 6 pages of 1,000
	if _, err := e.pipeline().Run(context.Background(), e.source().WithResources("contact")); !errors.Is(err, client.ErrRequestLimitExceeded) {
		t.Fatalf("want the API limit error, got %v", err)
	}
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rs := st.Sources["salesforce"].Resources["contact"]
	if rs == nil || rs.Resume == nil || !rs.Resume.Replace || rs.Resume.AfterID == "" || len(rs.Resume.LoadIDs) == 0 {
		t.Fatalf("the state after the stop holds no replace resume point: %+v", rs)
	}
	maxID := e.maxID("contact")
	if rs.Resume.AfterID != maxID {
		t.Errorf("resume point after Id %s, but the table's last committed Id is %s", rs.Resume.AfterID, maxID)
	}
	e.srv.SetFaults(salesforcetest.Faults{})
	e.run(e.source().WithResources("contact"))
	e.checkTable("contact", "Contact", false)
	if got := fmt.Sprint(e.scalar(`SELECT count(DISTINCT _dlt_load_id) FROM {ds}.contact`)); got == "0" {
		t.Error("no load ids on the rows")
	}
}

// maxID is the largest id of a table.
func (e *env) maxID(table string) string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	var id string
	if err := db.QueryRow(e.sql(`SELECT max(id) FROM {ds}.` + table)).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// A run stopped while it downloads a Bulk API job's results (7 or more pages into 10, after a
// chunk commit) has committed its chunks; the next run reattaches to the same job and reads
// only the pages after the last one committed: no new job, no page read twice, and the table
// equals the org. For a merge and a replace resource, both destinations.
func TestChunkedBulkReadGoesOnWithTheSameJob(t *testing.T) {
	for _, tc := range chunkCases {
		t.Run(tc.resource, func(t *testing.T) {
			for _, kind := range []string{"duckdb", "postgres"} {
				t.Run(kind, func(t *testing.T) { testChunkedBulkResume(t, kind, tc.resource, tc.object, tc.table, tc.merge) })
			}
		})
	}
}

// bulkEnv is an env whose org serves Bulk results in pages of 1,000 rows.
func bulkEnv(t *testing.T, kind, object string) *env {
	e := newEnvFor(t, kind, nil)
	e.srv.Close()
	e.srv = salesforcetest.NewServer(salesforcetest.Options{Seed: 42, Counts: map[string]int{object: 10_000}, BulkPageSize: 1000})
	t.Cleanup(e.srv.Close)
	e.popts = []sfdlt.PipelineOption{sfdlt.CommitEvery(2500), sfdlt.Parallelism(1)}
	return e
}

// quickBulk reads large results with Bulk API 2.0, polling the emulator's jobs without waiting, in
// pages of 1,000 rows (the emulator's BulkPageSize here), read 5 at a time as by default.
var quickBulk = sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond, MaxRecords: 1000})

// bulkCalls counts a run's Bulk calls: jobs created and results pages read.
func bulkCalls(srv *salesforcetest.Server) (jobs, pages int) {
	for _, c := range srv.Calls() {
		switch {
		case c.Method == "POST" && strings.HasSuffix(c.Path, "/jobs/query"):
			jobs++
		case c.Method == "GET" && strings.HasSuffix(c.Path, "/results") && c.Status == 200:
			pages++
		}
	}
	return jobs, pages
}

// runStoppedAfterPages runs the pipeline and cancels the run once resource has read n pages and
// a chunk was committed since (a run killed or stopped mid-read; the chunks committed stand).
func runStoppedAfterPages(e *env, src *sfdlt.Source, resource string, n int) (*sfdlt.LoadInfo, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reached, committed atomic.Bool
	p := e.pipeline(sfdlt.OnProgress(func(p sfdlt.Progress) {
		if p.Resource == resource && p.Pages >= n {
			reached.Store(true)
		}
	}), sfdlt.Logger(slog.New(&onLog{f: func(msg string) {
		if msg == "committed a chunk" && reached.Load() {
			committed.Store(true)
			cancel()
		}
	}})))
	info, err := p.Run(ctx, src)
	if !committed.Load() {
		e.t.Fatalf("the run was not stopped after %d pages and a commit: %v\n%v", n, err, info)
	}
	return info, err
}

// onLog is a slog handler that hands each message to f.
type onLog struct{ f func(msg string) }

func (h *onLog) Enabled(context.Context, slog.Level) bool      { return true }
func (h *onLog) Handle(_ context.Context, r slog.Record) error { h.f(r.Message); return nil }
func (h *onLog) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h *onLog) WithGroup(string) slog.Handler                 { return h }

func testChunkedBulkResume(t *testing.T, kind, resource, object, table string, merge bool) {
	// The run is stopped once 7 of the 10 results pages were read: the chunks committed by then
	// (every 2,500 rows: after pages 3 and 6) stand.
	e := bulkEnv(t, kind, object)
	e.srv.ResetCalls()
	info, err := runStoppedAfterPages(e, e.source(sfdlt.BulkThreshold(1000), quickBulk).WithResources(resource), resource, 7)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want the run cancelled, got %v\n%v", err, info)
	}
	if jobs, _ := bulkCalls(e.srv); jobs != 1 {
		t.Fatalf("the stopped run made %d Bulk jobs, want 1", jobs)
	}
	kept := e.scalar(`SELECT count(*) FROM {ds}.` + table)
	if kept%1000 != 0 || kept < 3000 || kept > 9000 {
		t.Fatalf("the stopped run left %d rows: want the whole pages of its committed chunks", kept)
	}
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rs := st.Sources["salesforce"].Resources[resource]
	var pos state.BulkPosition
	if rs != nil && rs.Resume != nil {
		pos, _ = state.ParseBulkToken(rs.Resume.Token)
	}
	if pos.Job == "" || pos.Rows != kept {
		t.Fatalf("the state holds no Bulk resume point after %d rows: %+v (%+v)", kept, rs, pos)
	}

	e.srv.ResetCalls()
	info = e.run(e.source(sfdlt.BulkThreshold(1000), quickBulk).WithResources(resource))
	jobs, pages := bulkCalls(e.srv)
	t.Logf("stopped run: %d rows committed; the next run: %d new jobs, %d pages; notes %q", kept, jobs, pages, info.Notes)
	if want := 10 - int(kept/1000); jobs != 0 || pages != want {
		t.Errorf("the next run made %d jobs and read %d pages, want 0 and %d: it did not go on with the job\n%v", jobs, pages, want, info)
	}
	if !strings.Contains(strings.Join(info.Notes, "\n"), "went on with Bulk job") {
		t.Errorf("the load info does not say the Bulk job went on: %q", info.Notes)
	}
	deleted := false
	for _, c := range e.srv.Calls() {
		deleted = deleted || c.Method == "DELETE" && strings.HasSuffix(c.Path, "/jobs/query/"+pos.Job) && c.Status < 300
	}
	if !deleted {
		t.Errorf("Bulk job %s was not deleted once its rows were committed", pos.Job)
	}
	e.checkTable(table, object, merge)
	st, err = e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rs := st.Sources["salesforce"].Resources[resource]; rs != nil && rs.Resume != nil {
		t.Errorf("a completed run left a resume point: %+v", *rs.Resume)
	}
}

// When Salesforce no longer has the job an earlier run was reading (it keeps jobs 7 days), the
// next run reads the resource anew and says so; a replace starts its pass over.
func TestChunkedBulkReadStartsOverWhenTheJobIsGone(t *testing.T) {
	e := bulkEnv(t, "duckdb", "Contact")
	if _, err := runStoppedAfterPages(e, e.source(sfdlt.BulkThreshold(1000), quickBulk).WithResources("contact"), "contact", 4); !errors.Is(err, context.Canceled) {
		t.Fatalf("want the run cancelled, got %v", err)
	}
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rs := st.Sources["salesforce"].Resources["contact"]
	var pos state.BulkPosition
	if rs != nil && rs.Resume != nil {
		pos, _ = state.ParseBulkToken(rs.Resume.Token)
	}
	if pos.Job == "" {
		t.Fatalf("no Bulk resume point: %+v", rs)
	}
	// The job disappears (as after 7 days), and a contact is deleted meanwhile.
	c := e.srv.Credentials()
	cl, err := client.New(context.Background(), client.Config{LoginURL: e.srv.URL(),
		Credentials: client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cl.Do(context.Background(), "DELETE", "jobs/query/"+pos.Job, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := e.srv.Delete("Contact", e.firstID("contact")); err != nil {
		t.Fatal(err)
	}
	e.srv.SetFaults(salesforcetest.Faults{})
	info := e.run(e.source(sfdlt.BulkThreshold(1000), quickBulk).WithResources("contact"))
	if !strings.Contains(strings.Join(info.Notes, "\n"), "could not go on with Bulk job") {
		t.Errorf("the load info does not say the job was gone: %q", info.Notes)
	}
	e.checkTable("contact", "Contact", false)
}

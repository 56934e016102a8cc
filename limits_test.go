package sfdlt_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// Tests of Salesforce's limits (salesforce-api.md section 9), which the emulator enforces by
// default as a real org does: 10 query cursors per user, shared with the user's other
// integrations, released oldest first; 15 minutes of cursor idle time; 16,384 bytes of URI and
// headers; concurrent long-running requests.

// manyPages is an org whose 16 objects each take several REST pages (irregular ones, as real
// orgs send), so every resource holds its query cursor a while.
func manyPages() map[string]int {
	counts := salesforcetest.DefaultCounts()
	for o := range counts {
		counts[o] = 2500
	}
	counts["UserRole"], counts["Pricebook2"] = 600, 400 // a smaller page or two
	return counts
}

// allSixteen is the 15 standard resources and the custom Something__c.
func allSixteen(e *env, opts ...sfdlt.SourceOption) *sfdlt.Source {
	return e.source(append([]sfdlt.SourceOption{sfdlt.BulkThreshold(0)}, opts...)...).AddObject("Something__c", sfdlt.MergeOnSystemModstamp())
}

func checkSixteen(e *env) {
	e.t.Helper()
	for _, s := range standard {
		e.checkTable(s.table, s.object, s.merge)
	}
	e.checkTable("something__c", "Something__c", true)
}

// 16 resources of many pages each, while another integration of the same user holds four
// cursors and keeps opening more: the run holds at most its budget of cursors, every cursor
// Salesforce releases under it is recovered, and the dataset is the org exactly, on a first and
// an incremental run.
func TestCursorsSharedWithAnotherIntegration(t *testing.T) {
	for _, kind := range []string{"duckdb", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			// Another cursor opens before every query request, ours included, so a read of more
			// than 10 pages sees its own cursor become the oldest of 11 and released, whatever
			// the order of the requests: Task has 25,000 records, at least 13 pages.
			counts := manyPages()
			counts["Task"] = 25000
			e := newEnvWith(t, kind, salesforcetest.Options{Seed: 42, Counts: counts,
				Faults: salesforcetest.Faults{Seed: 7, IrregularPages: true, ForeignCursorEvery: 1}})
			e.srv.OpenForeignCursors(4)
			info := e.run(allSixteen(e))
			checkSixteen(e)
			if info.LostCursors == 0 || e.srv.ReleasedCursors() == 0 {
				t.Fatalf("no cursor was released (%d lost, %d released): the competing integration did not compete", info.LostCursors, e.srv.ReleasedCursors())
			}
			if !strings.Contains(strings.Join(info.Notes, "\n"), "released or expired its query cursor") {
				t.Errorf("the load info does not say which reads lost their cursors:\n%v", info)
			}
			if peak := e.srv.PeakCursors(); peak > sfdlt.DefaultMaxQueryCursors {
				t.Errorf("the run held %d query cursors at once; its budget is %d", peak, sfdlt.DefaultMaxQueryCursors)
			}
			t.Logf("first run: %d cursors lost and recovered, peak %d open", info.LostCursors, e.srv.PeakCursors())

			changeOrg(t, e)
			e.srv.ResetCalls()
			info = e.run(allSixteen(e))
			checkSixteen(e)
			t.Logf("incremental run: %d cursors lost and recovered", info.LostCursors)
		})
	}
}

// Without competition the budget is all the run needs: no cursor is lost, and the run never
// holds more than its budget (here 3, so resources wait for slots).
func TestCursorBudgetHolds(t *testing.T) {
	e := newEnvWith(t, "duckdb", salesforcetest.Options{Seed: 42, Counts: manyPages(),
		Faults: salesforcetest.Faults{Seed: 3, IrregularPages: true}})
	info := e.run(allSixteen(e, sfdlt.MaxQueryCursors(3)))
	checkSixteen(e)
	if info.LostCursors != 0 || e.srv.ReleasedCursors() != 0 {
		t.Errorf("%d cursors lost, %d released with nothing competing", info.LostCursors, e.srv.ReleasedCursors())
	}
	if peak := e.srv.PeakCursors(); peak > 3 || peak == 0 {
		t.Errorf("peak of %d open cursors: want the budget of 3 kept", peak)
	}
}

// MaxQueryCursors outside 1..9 is refused with a clear error.
func TestMaxQueryCursorsRange(t *testing.T) {
	for _, n := range []int{-1, 10, 16} {
		_, err := sfdlt.NewSource(sfdlt.Credentials{UserName: "u", Password: "p"}, sfdlt.MaxQueryCursors(n))
		if err == nil || !strings.Contains(err.Error(), "use 1 to 9") {
			t.Errorf("MaxQueryCursors(%d): error %v, want one saying to use 1 to 9", n, err)
		}
	}
}

// idleBeforeNextPage is a transport that, before the first request for a query's next page
// (a nextRecordsUrl) goes out, moves the emulator's clock 16 minutes on, as a destination that
// took that long over the page before would: the locator has expired when the request arrives.
type idleBeforeNextPage struct {
	next http.RoundTripper
	srv  *salesforcetest.Server
	once sync.Once
}

func (c *idleBeforeNextPage) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "/query/") || strings.Contains(req.URL.Path, "/queryAll/") {
		c.once.Do(func() { c.srv.Advance(16 * time.Minute) })
	}
	return c.next.RoundTrip(req)
}

// A cursor left idle past Salesforce's 15 minutes mid-read (a slow destination, on the
// emulator's clock) is recovered, on every kind of read: full, chunked, replace, windowed after
// a query timeout, a wide object's parts, incremental, and a replace resumed after its Id. Each
// case reads one resource of several pages (and opportunity, one page), so the first next-page
// request, the one that meets the expired locator, is that read's.
func TestIdleCursorExpiresMidRead(t *testing.T) {
	counts := faultCounts()
	counts["Task"], counts["Contact"] = 9000, 9000
	cases := []struct {
		name     string
		kind     string
		faults   salesforcetest.Faults
		wide     map[string]int
		pipe     []sfdlt.PipelineOption
		resource string // the read that loses its cursor
		// before runs first: a run to go on from (incremental, resumed)
		before func(t *testing.T, e *env)
		note   string // the load info says so
	}{
		{name: "full read, one commit", kind: "duckdb", pipe: []sfdlt.PipelineOption{sfdlt.CommitEvery(0)}, resource: "task"},
		{name: "full read, chunked", kind: "postgres", pipe: []sfdlt.PipelineOption{sfdlt.CommitEvery(1000)}, resource: "task"},
		{name: "replace read, chunked", kind: "duckdb", pipe: []sfdlt.PipelineOption{sfdlt.CommitEvery(1000)}, resource: "contact"},
		{name: "windows after a query timeout", kind: "duckdb", faults: salesforcetest.Faults{QueryTimeoutAbove: 6000}, resource: "task",
			note: "read it in SystemModstamp windows"},
		{name: "wide object", kind: "postgres", wide: map[string]int{"Contact": 700}, resource: "contact", note: "parts joined by Id"},
		{name: "incremental read", kind: "duckdb", resource: "task", before: func(t *testing.T, e *env) {
			e.run(e.source(sfdlt.BulkThreshold(0)).WithResources("task", "opportunity"))
			// Enough changed tasks for an incremental read of three pages.
			if err := e.srv.Update("Task", e.liveIDs("task", 5000), map[string]any{"Description": "changed for an incremental read"}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "resumed replace", kind: "postgres", pipe: []sfdlt.PipelineOption{sfdlt.CommitEvery(1000)}, resource: "contact",
			note: "went on with the replace an earlier run left unfinished",
			before: func(t *testing.T, e *env) {
				// The quota guard (70% of a limit of 4 calls) stops a run after the describe and
				// two pages of contact, committing them: the next run goes on after their last Id
				// and reads the 5,000 left in three pages.
				e.srv.SetFaults(salesforcetest.Faults{RequestLimitAfter: 4})
				src := e.source(sfdlt.BulkThreshold(0), sfdlt.MaxAPIUsagePercent(70)).WithResources("contact")
				if _, err := e.pipeline(sfdlt.CommitEvery(1000)).Run(context.Background(), src); !errors.Is(err, sfdlt.ErrAPIUsageLimit) {
					t.Fatalf("the stopped run: %v, want the quota guard's stop", err)
				}
				e.srv.SetFaults(salesforcetest.Faults{})
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, tc.kind, salesforcetest.Options{Seed: 42, Counts: counts, Faults: tc.faults, Wide: tc.wide})
			if tc.before != nil {
				tc.before(t, e)
			}
			idle := &idleBeforeNextPage{next: http.DefaultTransport, srv: e.srv}
			src := e.source(sfdlt.BulkThreshold(0), sfdlt.HTTPClient(&http.Client{Transport: idle})).WithResources(tc.resource, "opportunity")
			info, err := e.pipeline(tc.pipe...).Run(context.Background(), src)
			if err != nil {
				t.Fatalf("run failed: %v\n%v", err, info)
			}
			objects := map[string]string{"task": "Task", "contact": "Contact"}
			e.checkTable(tc.resource, objects[tc.resource], tc.resource == "task")
			e.checkTable("opportunity", "Opportunity", true)
			notes := strings.Join(info.Notes, "\n")
			if info.LostCursors == 0 || !strings.Contains(notes, tc.resource+": Salesforce released or expired its query cursor") {
				t.Fatalf("%s lost no cursor: the clock was not advanced mid-read\n%v", tc.resource, info)
			}
			if !strings.Contains(notes, tc.note) {
				t.Errorf("the load info does not say %q:\n%v", tc.note, info)
			}
			t.Logf("%d cursors expired and recovered", info.LostCursors)
		})
	}
}

// A locator refused after a re-login (some orgs tie locators to the session that opened them)
// is recovered the same way.
func TestLocatorRefusedAfterRelogin(t *testing.T) {
	counts := faultCounts()
	counts["Task"] = 9000
	e := newEnvWith(t, "duckdb", salesforcetest.Options{Seed: 42, Counts: counts,
		Limits: salesforcetest.Limits{LocatorsPerSession: true}, Faults: salesforcetest.Faults{SessionExpiresEvery: 4}})
	info := e.run(e.source(sfdlt.BulkThreshold(0), fastRetries()).WithResources("task", "contact"))
	e.checkTable("task", "Task", true)
	e.checkTable("contact", "Contact", false)
	if info.LostCursors == 0 {
		t.Fatalf("no locator was refused after a re-login\n%v", info)
	}
}

// An Account of 800 custom fields of every type: loaded exactly by REST (in parts) and by
// Bulk, then incrementally with updates, inserts and deletes, and after a run stopped mid-way.
func TestWideObject(t *testing.T) {
	counts := faultCounts()
	counts["Account"] = 3000
	for _, kind := range []string{"duckdb", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnvWith(t, kind, salesforcetest.Options{Seed: 42, Counts: counts, Wide: map[string]int{"Account": 800}})
			rest := e.source(sfdlt.BulkThreshold(0)).WithResources("account", "contact")

			// A run stopped after its first page, which it commits (the quota guard at 1% of a
			// limit of 100 calls stops it before the second page), then run again: it goes on
			// from the committed cursor.
			e.srv.SetFaults(salesforcetest.Faults{RequestLimitAfter: 100})
			info, err := e.pipeline(sfdlt.CommitEvery(500)).Run(context.Background(), e.source(sfdlt.BulkThreshold(0), sfdlt.MaxAPIUsagePercent(1)).WithResources("account"))
			if !errors.Is(err, sfdlt.ErrAPIUsageLimit) {
				t.Fatalf("the stopped run: error %v, want the quota guard's stop\n%v", err, info)
			}
			stopped := e.scalar(`SELECT count(*) FROM {ds}.account`)
			if stopped == 0 || stopped >= 3000 {
				t.Fatalf("the stopped run committed %d accounts: want its first page", stopped)
			}
			e.srv.SetFaults(salesforcetest.Faults{})
			info = e.run(rest)
			if n := info.RowCount("account"); n > 3000-stopped+100 {
				t.Errorf("the run after the stop read %d accounts, where %d were left: it did not go on from the committed cursor", n, 3000-stopped)
			}
			e.checkTable("account", "Account", true)
			e.checkTable("contact", "Contact", false)
			if !strings.Contains(strings.Join(info.Notes, "\n"), "parts joined by Id") {
				t.Errorf("the load info does not say account was read in parts:\n%v", info)
			}
			restDump := e.dump("account")

			// Updates, inserts and deletes, then an incremental run.
			ids := e.liveIDs("account", 5)
			wideField := wideFieldName(t, e.srv, "Account")
			if err := e.srv.Update("Account", ids[:3], map[string]any{"Description": "changed", wideField: "changed wide value"}); err != nil {
				t.Fatal(err)
			}
			if err := e.srv.Delete("Account", ids[4]); err != nil {
				t.Fatal(err)
			}
			if _, err := e.srv.Insert("Account", map[string]any{"Name": "Inserted wide account", wideField: "new"}); err != nil {
				t.Fatal(err)
			}
			info = e.run(rest)
			if n := info.RowCount("account"); n < 5 || n > 50 {
				t.Errorf("the incremental run loaded %d account rows: want the changed ones (and the boundary), not all", n)
			}
			e.checkTable("account", "Account", true)

			// A wide formula field changes without a new SystemModstamp; a FormulaRefresh run
			// reads the object in full, in parts, and brings it up to date.
			formula := ""
			for _, o := range e.srv.Objects() {
				for _, f := range o.Fields {
					if o.Name == "Account" && f.Calculated && f.Custom && f.Type == "double" && formula == "" {
						formula = f.Name
					}
				}
			}
			if err := e.srv.SetFormula("Account", formula, func(r *salesforcetest.Record) any { return 42.5 }); err != nil {
				t.Fatal(err)
			}
			info = e.run(e.source(sfdlt.BulkThreshold(0), sfdlt.FormulaRefresh(time.Nanosecond)).WithResources("account"))
			if !strings.Contains(strings.Join(info.Notes, "\n"), "refresh its formula fields") || info.RowCount("account") < 3000 {
				t.Errorf("the FormulaRefresh run did not read account in full (%d rows):\n%v", info.RowCount("account"), info)
			}
			e.checkTable("account", "Account", true)

			// Bulk reads every field in one job: the same rows as REST's parts (on a fresh
			// dataset, before the changes above).
			b := newEnvWith(t, kind, salesforcetest.Options{Seed: 42, Counts: counts, Wide: map[string]int{"Account": 800}})
			b.run(b.source(sfdlt.BulkThreshold(1), sfdlt.Bulk(fastBulk)).WithResources("account"))
			b.checkTable("account", "Account", true)
			compareDumps(t, "REST parts vs Bulk", "account", restDump, b.dump("account"))
		})
	}
}

// liveIDs returns n Ids of a loaded table's rows that are not deleted.
func (e *env) liveIDs(table string, n int) []string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	rows, err := db.Query(e.sql(fmt.Sprintf(`SELECT id FROM {ds}.%s WHERE NOT is_deleted ORDER BY id LIMIT %d`, table, n)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	if len(ids) < n {
		e.t.Fatalf("want %d %s rows loaded, have %d", n, table, len(ids))
	}
	return ids
}

// wideFieldName returns a text custom field the emulator added to widen object.
func wideFieldName(t *testing.T, srv *salesforcetest.Server, object string) string {
	t.Helper()
	for _, o := range srv.Objects() {
		if o.Name != object {
			continue
		}
		for _, f := range o.Fields {
			if f.Custom && f.Type == "string" && !f.Calculated && f.Length == 255 && strings.ContainsAny(f.Name, "0123456789") {
				return f.Name
			}
		}
	}
	t.Fatalf("%s has no wide text field", object)
	return ""
}

// An object wider than Postgres's 1,600 columns is refused before anything is read, naming the
// object, the count and the way out; ExcludeFields is that way out.
func TestTooManyColumnsForPostgres(t *testing.T) {
	counts := faultCounts()
	e := newEnvWith(t, "postgres", salesforcetest.Options{Seed: 42, Counts: counts, Wide: map[string]int{"Account": 1600}})
	info, err := e.pipeline().Run(context.Background(), e.source().WithResources("account"))
	if err == nil {
		t.Fatalf("a 1,670-field Account loaded into Postgres\n%v", info)
	}
	for _, want := range []string{"Account", "1600 columns", "ExcludeFields", "nothing was read"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := e.scalar(`SELECT count(*) FROM information_schema.tables WHERE table_schema = '{ds}' AND table_name = 'account'`); n != 0 {
		t.Errorf("the refused run created the account table")
	}
	for _, c := range e.srv.Calls() {
		if strings.Contains(c.Path, "/query") {
			t.Fatalf("the refused run queried %s", c.SOQL)
		}
	}
}

// Storms of the concurrent-request form of REQUEST_LIMIT_EXCEEDED are waited out; the daily
// form still stops at once (the fault matrix's "REQUEST_LIMIT_EXCEEDED mid-run").
func TestConcurrentLimitStormSurvived(t *testing.T) {
	counts := faultCounts()
	e := newEnvWith(t, "duckdb", salesforcetest.Options{Seed: 42, Counts: counts,
		Faults: salesforcetest.Faults{Seed: 5, ConcurrentLimitRate: 0.4}})
	info := e.run(e.source(fastRetries()))
	for _, s := range standard {
		e.checkTable(s.table, s.object, s.merge)
	}
	limited := countCalls(e.srv.Calls(), func(c salesforcetest.Call) bool { return c.Status == 403 })
	if limited < 10 {
		t.Errorf("only %d concurrent-limit answers: the storm did not happen", limited)
	}
	if !strings.Contains(strings.Join(info.Notes, "\n"), "concurrent-request limit") {
		t.Errorf("the load info does not say the run was throttled:\n%v", info)
	}
	t.Logf("%d concurrent-limit answers ridden out; %d API calls", limited, info.APICalls)
}

// An API version the org does not offer is named, with the newest one it offers, and the failed
// run leaves no database file behind.
func TestAPIVersionNotOffered(t *testing.T) {
	e := newEnv(t, faultCounts())
	info, err := e.pipeline().Run(context.Background(), e.source(sfdlt.APIVersion("99.0")).WithResources("opportunity"))
	if err == nil {
		t.Fatalf("a run with API version 99.0 succeeded\n%v", info)
	}
	if !errors.Is(err, client.ErrAPIVersionUnavailable) {
		t.Errorf("error %q does not match client.ErrAPIVersionUnavailable", err)
	}
	for _, want := range []string{"99.0", "67.0"} { // the emulator offers up to 67.0
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "does not exist in this org") || strings.Contains(err.Error(), "run again later") {
		t.Errorf("error %q still blames the object", err)
	}
	if _, serr := os.Stat(e.file); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("the failed run left %s behind (%v)", filepath.Base(e.file), serr)
	}
}

// An object Bulk API does not support is read with REST, and the load info says so.
func TestBulkUnsupportedObjectReadWithREST(t *testing.T) {
	e := newEnvWith(t, "duckdb", salesforcetest.Options{Seed: 42, Counts: faultCounts(), BulkUnsupported: []string{"Task"}})
	info := e.run(e.source(sfdlt.BulkThreshold(1), sfdlt.Bulk(fastBulk)).WithResources("task", "opportunity"))
	e.checkTable("task", "Task", true)
	e.checkTable("opportunity", "Opportunity", true)
	notes := strings.Join(info.Notes, "\n")
	if !strings.Contains(notes, "task: Bulk API 2.0 failed") || !strings.Contains(notes, "not supported by the Bulk API") || !strings.Contains(notes, "read with REST instead") {
		t.Errorf("the load info does not say task was read with REST because Bulk does not support it:\n%v", info)
	}
}

// A concurrent-request limit that outlasts the client's wait stops the run resumably: what was
// read is committed, the error says what happened, and the next run completes the org exactly.
func TestConcurrentLimitOutlastingTheWaitStopsResumably(t *testing.T) {
	counts := faultCounts()
	counts["Task"] = 6000
	e := newEnvWith(t, "duckdb", salesforcetest.Options{Seed: 42, Counts: counts})
	src := e.source(sfdlt.BulkThreshold(0), fastRetries(), sfdlt.ClientConfig(func(c *client.Config) {
		c.ConcurrentLimitWait = 20 * time.Millisecond
	})).WithResources("task", "contact")
	var once sync.Once
	busy := sfdlt.OnProgress(func(p sfdlt.Progress) {
		if p.Resource == "task" && p.Pages == 2 {
			// From here on the org refuses every request: too many long-running ones at once.
			once.Do(func() { e.srv.SetFaults(salesforcetest.Faults{ConcurrentLimitRate: 1}) })
		}
	})
	info, err := e.pipeline(sfdlt.CommitEvery(1000), sfdlt.Parallelism(1), busy).Run(context.Background(), src)
	if !errors.Is(err, client.ErrConcurrentLimit) || errors.Is(err, client.ErrRequestLimitExceeded) {
		t.Fatalf("error %v: want client.ErrConcurrentLimit (and not the daily limit)\n%v", err, info)
	}
	if len(info.LoadIDs) == 0 || e.scalar(`SELECT count(*) FROM {ds}.task`) == 0 {
		t.Fatalf("nothing of what was read was committed:\n%v", info)
	}
	e.srv.SetFaults(salesforcetest.Faults{})
	e.run(src)
	e.checkTable("task", "Task", true)
	e.checkTable("contact", "Contact", false)
}

// changeOnFirstPart is a transport that, when the first query of a wide object's second part
// goes out (it selects the page's range: "<=" on the key), changes the first record of that range
// in the org, so the record differs between the parts already read and the rest.
type changeOnFirstPart struct {
	next    http.RoundTripper
	srv     *salesforcetest.Server
	object  string
	field   string
	once    sync.Once
	changed string
	err     error
}

var firstInRange = regexp.MustCompile(`Id >= '([A-Za-z0-9]{18})'`)

func (c *changeOnFirstPart) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query().Get("q")
	if strings.Contains(q, "FROM "+c.object+" ") && strings.Contains(q, "Id <= '") {
		if m := firstInRange.FindStringSubmatch(q); m != nil {
			c.once.Do(func() {
				c.changed = m[1]
				c.err = c.srv.Update(c.object, []string{m[1]}, map[string]any{c.field: "changed between the parts"})
			})
		}
	}
	return c.next.RoundTrip(req)
}

// A record that changes between the queries of a wide object's parts is read again, never loaded
// half old and half new: a merge read in SystemModstamp order reads it where its new version
// falls, a replace read in Id order reads it again by Id at once. Either way the table is the
// org's, the changed record with its new values in every column.
func TestWideRecordChangedBetweenParts(t *testing.T) {
	counts := faultCounts()
	counts["Account"], counts["Contact"] = 1500, 1500
	for _, tc := range []struct {
		object, table string
		merge         bool
	}{{"Account", "account", true}, {"Contact", "contact", false}} {
		t.Run(tc.table, func(t *testing.T) {
			e := newEnvWith(t, "duckdb", salesforcetest.Options{Seed: 42, Counts: counts, Wide: map[string]int{tc.object: 600}})
			hook := &changeOnFirstPart{next: http.DefaultTransport, srv: e.srv, object: tc.object, field: wideFieldName(t, e.srv, tc.object)}
			info := e.run(e.source(sfdlt.BulkThreshold(0), sfdlt.HTTPClient(&http.Client{Transport: hook})).WithResources(tc.table))
			if hook.err != nil || hook.changed == "" {
				t.Fatalf("the record was not changed between the parts (%q): %v", hook.changed, hook.err)
			}
			e.checkTable(tc.table, tc.object, tc.merge)
			rereads := countCalls(e.srv.Calls(), func(c salesforcetest.Call) bool {
				return c.Page == 0 && strings.Contains(c.SOQL, "Id IN ('"+hook.changed+"'")
			})
			if rereads == 0 {
				t.Errorf("record %s was not read again by Id after it changed between the parts", hook.changed)
			}
			t.Logf("record %s changed between the parts, read again in %d queries; %v", hook.changed, rereads, info.Notes)
		})
	}
}

// ExcludeFields leaves fields out of a resource (no column), and a name the object does not
// have is an error naming it as given.
func TestExcludeFields(t *testing.T) {
	e := newEnv(t, faultCounts())
	e.run(e.source(sfdlt.ExcludeFields("Opportunity", "NextStep", " description ")).WithResources("opportunity"))
	for _, col := range []string{"next_step", "description"} {
		if n := e.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = 'opportunity' AND column_name = '` + col + `'`); n != 0 {
			t.Errorf("excluded field %s has a column", col)
		}
	}
	if n := e.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = 'opportunity' AND column_name = 'stage_name'`); n != 1 {
		t.Errorf("stage_name is missing: ExcludeFields left out more than it was given")
	}
	_, err := e.pipeline().Run(context.Background(), e.source(sfdlt.ExcludeFields("Opportunity", "NoSuchField__c")).WithResources("opportunity"))
	if err == nil || !strings.Contains(err.Error(), "Opportunity has no field NoSuchField__c") {
		t.Errorf("excluding a field the object lacks: %v, want an error naming NoSuchField__c", err)
	}
}

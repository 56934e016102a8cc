package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// chainPages are three pages of 3, 4 and 2 rows along the locator chain; last is the locator
// header of the last page.
func chainPages(last string) map[string]bulkPage {
	return map[string]bulkPage{
		"":        {csv: csvRows(0, 3), locator: "MTAwMDA"},
		"MTAwMDA": {csv: csvRows(3, 7), locator: "MjAwMDA"},
		"MjAwMDA": {csv: csvRows(7, 9), locator: last},
	}
}

func TestBulkPageEndLocatorChain(t *testing.T) {
	tests := []struct {
		name      string
		pages     map[string]bulkPage
		processed int64
		batchRows int
		sizes     string
		ends      string
		before    string
	}{
		{"batches of 2, last locator null", chainPages("null"), 9, 2,
			"[2 1 2 2 2]", "[- end:MTAwMDA - end:MjAwMDA end:]", "[0 2 3 5 7]"},
		{"batches of 4, last locator absent", chainPages("-"), 9, 4,
			"[3 4 2]", "[end:MTAwMDA end:MjAwMDA end:]", "[0 3 7]"},
		{"batches of 1", chainPages(""), 9, 1,
			"[1 1 1 1 1 1 1 1 1]", "[- - end:MTAwMDA - - - end:MjAwMDA - end:]", "[0 1 2 3 4 5 6 7 8]"},
		{"an empty page in the middle", map[string]bulkPage{
			"":   {csv: csvRows(0, 3), locator: "L2"},
			"L2": {csv: "\"Id\",\"Name\"\n", locator: "L3"},
			"L3": {csv: csvRows(3, 5), locator: "null"},
		}, 5, 2, "[2 1 0 2]", "[- end:L2 end:L3 end:]", "[0 2 3 3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{processed: tt.processed, pages: tt.pages}
			opts := fastBulk
			opts.BatchRows = tt.batchRows
			res, err := runBulk(t, newFakeBulk(t, f), opts)
			if err != nil {
				t.Fatal(err)
			}
			wantSequence(t, res.rows, int(tt.processed))
			if got := fmt.Sprint(res.sizes); got != tt.sizes {
				t.Errorf("batch sizes %s, want %s", got, tt.sizes)
			}
			if got := fmt.Sprint(res.ends); got != tt.ends {
				t.Errorf("page ends %s, want %s", got, tt.ends)
			}
			if got := fmt.Sprint(res.before); got != tt.before {
				t.Errorf("RowsBefore %s, want %s", got, tt.before)
			}
		})
	}
}

// TestBulkPageEndCutOff: a page cut off after a full batch was read (but not yielded, as the row
// after it was not read yet) is read again without losing or doubling rows, and its page end
// is yielded once.
func TestBulkPageEndCutOff(t *testing.T) {
	page1 := csvRows(0, 4)
	cut := strings.Index(page1, "\"001000000000000002\"") + 5 // inside row 2, after rows 0 and 1
	cuts := 0
	f := &fakeBulk{processed: 6, pages: map[string]bulkPage{"": {csv: page1, locator: "P2"}, "P2": {csv: csvRows(4, 6), locator: "null"}}}
	f.before = func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/results") && r.URL.Query().Get("locator") == "" && cuts == 0 {
			cuts++
			cutAfter(f, w, bulkPage{csv: page1, locator: "P2"}, cut, false)
			return true
		}
		return false
	}
	opts := fastBulk
	opts.BatchRows = 2
	res, err := runBulk(t, newFakeBulk(t, f), opts)
	if err != nil {
		t.Fatal(err)
	}
	wantSequence(t, res.rows, 6)
	if got := fmt.Sprint(res.sizes, res.ends, res.before); got != "[2 2 2] [- end:P2 end:] [0 2 4]" {
		t.Errorf("batches %s", got)
	}
}

func TestBulkPageEndParallel(t *testing.T) {
	job := bulkJobsPath + "/" + bulkJobID
	locs := []string{"A", "B", "C", "D", "E", "F", "G"}
	res := func(loc string) string { return job + "/results?locator=" + loc + "&maxRecords=3" }
	sets := func(url func(i int) string) map[string]string {
		entries := func(from, to int) string {
			var s []string
			for i := from; i < to; i++ {
				s = append(s, `{"resultUrl":"`+url(i)+`"}`)
			}
			return strings.Join(s, ",")
		}
		return map[string]string{
			job + "/resultPages":            `{"resultPages":[` + entries(0, 5) + `],"nextRecordsUrl":"` + job + `/resultPages?locator=MQ","done":false}`,
			job + "/resultPages?locator=MQ": `{"resultPages":[` + entries(5, 7) + `],"nextRecordUrl":null,"done":true}`,
		}
	}
	byLocator := func(i int) string { return res(locs[i]) }
	tests := []struct {
		name   string
		header func(i int) string // Sforce-Locator of page i; "-" omits it
		url    func(i int) string
		ends   string
	}{
		{"Sforce-Locator on every page", func(i int) string {
			if i == 6 {
				return "null"
			}
			return "H" + locs[i+1] // differs from the URL's locator: the header wins
		}, byLocator, "[end:HB end:HC end:HD end:HE end:HF end:HG end:]"},
		{"no Sforce-Locator: from the next page URL", func(int) string { return "-" }, byLocator,
			"[end:B end:C end:D end:E end:F end:G end:]"},
		{"Sforce-Locator null on every page", func(int) string { return "null" }, byLocator,
			"[end:B end:C end:D end:E end:F end:G end:]"},
		{"no locator known", func(int) string { return "-" }, func(i int) string { return job + "/results?page=" + locs[i] },
			"[end: end: end: end: end: end: end:]"},
	}
	for _, tt := range tests {
		for _, parallel := range []int{1, 3, 5} {
			t.Run(fmt.Sprint(tt.name, parallel), func(t *testing.T) {
				f := &fakeBulk{processed: 21, resultPages: sets(tt.url),
					before: func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
						if !strings.HasSuffix(r.URL.Path, "/results") {
							return false
						}
						q := r.URL.Query()
						i := slices.Index(locs, q.Get("locator")+q.Get("page"))
						if i < 0 {
							t.Errorf("unexpected page request %s", r.URL)
							return false
						}
						f.writePage(w, bulkPage{csv: csvRows(3*i, 3*i+3), locator: tt.header(i)})
						return true
					}}
				opts := fastBulk
				opts.ParallelPages, opts.BatchRows = parallel, 3
				got, err := runBulk(t, newFakeBulk(t, f), opts)
				if err != nil {
					t.Fatal(err)
				}
				wantSequence(t, got.rows, 21)
				if s := fmt.Sprint(got.ends); s != tt.ends {
					t.Errorf("page ends %s, want %s", s, tt.ends)
				}
				if s := fmt.Sprint(got.before); s != "[0 3 6 9 12 15 18]" {
					t.Errorf("RowsBefore %s", s)
				}
			})
		}
	}
}

// TestBulkPageEndParallelEmulator checks Next in parallel mode against the emulator's locators:
// each page's Next is the locator at which the next page starts.
func TestBulkPageEndParallelEmulator(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 3, Counts: map[string]int{"Account": 1234}, BulkPageSize: 100, BulkJobPolls: -1})
	defer srv.Close()
	c := emulatorClient(t, srv)
	for _, parallel := range []int{0, 2, 5} {
		opts := fastBulk
		opts.ParallelPages, opts.BatchRows = parallel, 64
		j, err := c.BulkQuery(context.Background(), "SELECT Id, Name FROM Account", opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := collectBulk(j.Results(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		var ends []string
		for i, e := range res.ends {
			if e != "-" {
				ends = append(ends, e)
				if end := int(res.before[i]) + res.sizes[i]; end != min(res.pages[i]*100, 1234) {
					t.Errorf("ParallelPages %d: page %d ends after row %d", parallel, res.pages[i], res.before[i]+int64(res.sizes[i]))
				}
			}
		}
		if len(res.rows) != 1234 || len(ends) != 13 {
			t.Fatalf("ParallelPages %d: %d rows, %d page ends", parallel, len(res.rows), len(ends))
		}
		for i, e := range ends[:12] {
			// The emulator's locator is the next page's first row offset in unpadded base64.
			if want := "end:" + base64.RawStdEncoding.EncodeToString(fmt.Append(nil, (i+1)*100)); e != want {
				t.Errorf("ParallelPages %d: page %d: %s, want %s", parallel, i+1, e, want)
			}
		}
		if ends[12] != "end:" {
			t.Errorf("ParallelPages %d: last page: %s", parallel, ends[12])
		}
	}
}

var errMalformed = errors.New("malformed CSV")

func TestBulkKeepJob(t *testing.T) {
	pages := map[string]bulkPage{"": {csv: csvRows(0, 3), locator: "L2"}, "L2": {csv: csvRows(3, 6), locator: "null"}}
	fail := func(status int, body string) func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
		return func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Query().Get("locator") == "L2" {
				writeJSON(w, status, body)
				return true
			}
			return false
		}
	}
	tests := []struct {
		name       string
		keep       bool
		processed  int64
		before     func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool
		breakAfter int   // break the loop after this many batches (0: read on)
		is         error // the error expected (errMalformed: a *csvSyntaxError)
		deletes    int
	}{
		{"break, KeepJob false", false, 6, nil, 1, nil, 1},
		{"break, KeepJob true", true, 6, nil, 1, nil, 0},
		{"break at the last batch, KeepJob true", true, 6, nil, 2, nil, 0},
		{"all read, KeepJob true", true, 6, nil, 0, nil, 1},
		{"all read, KeepJob false", false, 6, nil, 0, nil, 1},
		{"server unavailable, KeepJob true", true, 6, fail(503, `[{"errorCode":"SERVER_UNAVAILABLE","message":"down"}]`), 0, ErrServerUnavailable, 0},
		{"server unavailable, KeepJob false", false, 6, fail(503, `[{"errorCode":"SERVER_UNAVAILABLE","message":"down"}]`), 0, ErrServerUnavailable, 1},
		{"request limit, KeepJob true", true, 6, fail(403, `[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}]`), 0, ErrRequestLimitExceeded, 0},
		// Failures reading on would meet again: the job goes even with KeepJob.
		{"row count, KeepJob true", true, 7, nil, 0, ErrBulkRowCount, 1},
		{"locator refused, KeepJob true", true, 6, fail(400, `[{"errorCode":"INVALID_QUERY_LOCATOR","message":"bad locator"}]`), 0, ErrInvalidQueryLocator, 1},
		{"malformed CSV, KeepJob true", true, 6, func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Query().Get("locator") == "L2" {
				f.writePage(w, bulkPage{csv: "\"Id\",\"Name\"\n\"1\"x,\"2\"\n", count: "1", locator: "null"})
				return true
			}
			return false
		}, 0, errMalformed, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{processed: tt.processed, pages: pages, before: tt.before}
			c := newFakeBulk(t, f)
			opts := fastBulk
			opts.KeepJob = tt.keep
			j, err := c.BulkQuery(context.Background(), "SELECT Id FROM Account", opts)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, err = range j.Results(context.Background()) {
				if err != nil {
					break
				}
				if n++; n == tt.breakAfter {
					break
				}
			}
			var se *csvSyntaxError
			switch {
			case tt.is == errMalformed && !errors.As(err, &se):
				t.Errorf("got %v, want a CSV syntax error", err)
			case tt.is != errMalformed && !errors.Is(err, tt.is):
				t.Errorf("got %v, want %v", err, tt.is)
			}
			if got := f.count("DELETE " + bulkJobsPath + "/" + bulkJobID); got != tt.deletes || f.count("PATCH") != 0 {
				t.Errorf("%d deletes, want %d; requests %q", got, tt.deletes, f.requests())
			}
		})
	}
	t.Run("cancelled, KeepJob true", func(t *testing.T) {
		f := &fakeBulk{processed: 6, pages: pages}
		opts := fastBulk
		opts.KeepJob = true
		j, err := newFakeBulk(t, f).BulkQuery(context.Background(), "SELECT Id FROM Account", opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for _, err = range j.Results(ctx) {
			cancel()
			if err != nil {
				break
			}
		}
		if !errors.Is(err, context.Canceled) || f.count("DELETE") != 0 {
			t.Errorf("%v; requests %q", err, f.requests())
		}
	})
}

// readUntilPage reads a job with KeepJob until the end of page k, then stops, as a process that
// is killed there would, and returns the rows read and where to read on. from is the RowsBefore
// of the first batch.
func readUntilPage(t *testing.T, j *BulkJob, k int, from int64) (rows [][]string, next string, rowsBefore int64) {
	t.Helper()
	for b, err := range j.Results(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if b.RowsBefore != from+int64(len(rows)) {
			t.Fatalf("RowsBefore %d after %d+%d rows", b.RowsBefore, from, len(rows))
		}
		for _, r := range b.Rows {
			rows = append(rows, slices.Clone(r))
		}
		if b.PageEnd && b.Page == k {
			if b.Next == "" {
				t.Fatalf("page %d has no Next", k)
			}
			return rows, b.Next, b.RowsBefore + int64(len(b.Rows))
		}
	}
	t.Fatalf("the results ended before page %d", k)
	return nil, "", 0
}

// emulatorClient logs in to the emulator with the OAuth client credentials flow.
func emulatorClient(t *testing.T, srv *salesforcetest.Server, mod ...func(*Config)) *Client {
	t.Helper()
	cr := srv.Credentials()
	cfg := fastRetry(Config{LoginURL: srv.URL(), Credentials: Credentials{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret}})
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sentCall is a request one client sent and the status it got (0: no answer).
type sentCall struct {
	Path   string
	Status int
}

// callRecorder is a transport that records the requests of the client using it. The
// emulator's own log cannot tell clients apart, and it holds the requests of another client
// still being answered: a read that stops early cancels requests in flight (the next page
// prefetched, the next set of /resultPages), which the server may finish, and log, at any later
// time.
type callRecorder struct {
	mu    sync.Mutex
	calls []sentCall
}

func (rec *callRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	c := sentCall{Path: r.URL.Path}
	if err == nil {
		c.Status = resp.StatusCode
	}
	rec.mu.Lock()
	rec.calls = append(rec.calls, c)
	rec.mu.Unlock()
	return resp, err
}

func (rec *callRecorder) sent() []sentCall {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.calls)
}

// TestResumeBulkQueryEmulator reads a job partway with KeepJob, then reads it on in a new
// client (a new login, as a new process would) with ResumeBulkQuery: the rows of both parts
// are the rows of one whole read, in order, and the job is deleted at the end.
func TestResumeBulkQueryEmulator(t *testing.T) {
	const total, pageSize = 2345, 200
	tests := []struct {
		name              string
		first, resumed    BulkOptions
		stopAfter         int
		pageRows          int // rows per page (maxRecords or the server's page size)
		faultsWhenResumed bool
	}{
		{"locator chain", BulkOptions{BatchRows: 64}, BulkOptions{BatchRows: 64}, 3, pageSize, false},
		// maxRecords sizes the pages /resultPages lists (150, not the server's 200) and the
		// pages of the resumed locator chain.
		{"parallel first, maxRecords", BulkOptions{BatchRows: 50, ParallelPages: 3, MaxRecords: 150}, BulkOptions{BatchRows: 77, ParallelPages: 3, MaxRecords: 150}, 7, 150, false},
		{"first page only", BulkOptions{BatchRows: 1000}, BulkOptions{BatchRows: 1000}, 1, pageSize, false},
		{"last page but one", BulkOptions{BatchRows: 64, ParallelPages: 5}, BulkOptions{BatchRows: 64}, 11, pageSize, false},
		{"faults when resumed", BulkOptions{BatchRows: 64, ParallelPages: 2}, BulkOptions{BatchRows: 64}, 4, pageSize, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 7, Counts: map[string]int{"Account": total}, BulkPageSize: pageSize, BulkJobPolls: -1})
			defer srv.Close()
			const soql = "SELECT Id, Name, SystemModstamp FROM Account"

			// One whole read, for reference.
			ref := emulatorClient(t, srv)
			j, err := ref.BulkQuery(context.Background(), soql, fastBulk)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := collectBulk(j.Results(context.Background()))
			if err != nil || len(whole.rows) != total {
				t.Fatalf("whole read: %d rows, %v", len(whole.rows), err)
			}

			first := tt.first
			first.PollInterval, first.KeepJob = fastBulk.PollInterval, true
			c1 := emulatorClient(t, srv)
			j1, err := c1.BulkQuery(context.Background(), soql, first)
			if err != nil {
				t.Fatal(err)
			}
			jobID := j1.Info().ID
			rows, next, before := readUntilPage(t, j1, tt.stopAfter, 0)
			if want := tt.stopAfter * tt.pageRows; len(rows) != want || before != int64(want) {
				t.Fatalf("first part: %d rows, rowsBefore %d, want %d", len(rows), before, want)
			}
			if _, err := c1.getJSON(context.Background(), c1.dataPath("jobs/query/"+jobID), nil, nil); err != nil {
				t.Fatalf("the job was not kept: %v", err)
			}

			if tt.faultsWhenResumed {
				srv.SetFaults(salesforcetest.Faults{Seed: 5, ErrorRate: 0.2, DropRate: 0.2, SessionExpiresEvery: 3})
			}
			// The resumed read's requests, as c2 sent them (not the emulator's log: see callRecorder).
			rec := &callRecorder{}
			c2 := emulatorClient(t, srv, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: rec} })
			resumed := tt.resumed
			resumed.PollInterval, resumed.KeepJob = fastBulk.PollInterval, true
			j2, err := c2.ResumeBulkQuery(context.Background(), jobID, next, before, resumed)
			if err != nil {
				t.Fatal(err)
			}
			if in := j2.Info(); in.ID != jobID || in.State != BulkStateJobComplete || in.NumberRecordsProcessed != total {
				t.Errorf("job info %+v", in)
			}
			var rest [][]string
			firstBatch := true
			for b, err := range j2.Results(context.Background()) {
				if err != nil {
					t.Fatal(err)
				}
				if firstBatch && b.Page != 1 {
					t.Errorf("first resumed batch is page %d", b.Page)
				}
				firstBatch = false
				if want := before + int64(len(rest)); b.RowsBefore != want {
					t.Fatalf("RowsBefore %d, want %d", b.RowsBefore, want)
				}
				for _, r := range b.Rows {
					rest = append(rest, slices.Clone(r))
				}
			}
			srv.SetFaults(salesforcetest.Faults{})
			all := append(rows, rest...)
			if !reflect.DeepEqual(all, whole.rows) {
				t.Fatalf("the two parts (%d + %d rows) are not the whole read (%d rows)", len(rows), len(rest), len(whole.rows))
			}
			seen := map[string]bool{}
			for _, r := range all {
				if seen[r[0]] {
					t.Fatalf("row %s twice", r[0])
				}
				seen[r[0]] = true
			}
			failed := 0
			for _, call := range rec.sent() {
				if strings.HasSuffix(call.Path, "/resultPages") {
					t.Errorf("a resumed job read /resultPages: %+v", call)
				}
				if call.Status >= 400 {
					failed++
				}
			}
			if tt.faultsWhenResumed && failed == 0 {
				t.Error("no fault was injected while resumed")
			}
			t.Logf("%d rows read first, %d when resumed; %d failed calls when resumed", len(rows), len(rest), failed)
			// The job is gone: resuming it again says ErrNotFound.
			_, err = emulatorClient(t, srv).ResumeBulkQuery(context.Background(), jobID, next, before, fastBulk)
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("resuming a deleted job: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestResumeBulkQueryInvalidArguments(t *testing.T) {
	tests := []struct {
		name, id, locator string
		rows              int64
		opts              BulkOptions
		msg               string
	}{
		{"empty id", "", "MTAwMDA", 0, fastBulk, "not a Salesforce job id"},
		{"short id", "750R0000", "MTAwMDA", 0, fastBulk, "not a Salesforce job id"},
		{"16 characters", "750R0000000zlh9I", "MTAwMDA", 0, fastBulk, "not a Salesforce job id"},
		{"path in the id", "../../sobjects/xx", "MTAwMDA", 0, fastBulk, "not a Salesforce job id"},
		{"18 characters, not all letters and digits", "750R0000000zlh9IA/", "MTAwMDA", 0, fastBulk, "not a Salesforce job id"},
		{"empty locator", bulkJobID, "", 0, fastBulk, "locator is empty"},
		{"null locator", bulkJobID, "null", 0, fastBulk, `locator is "null"`},
		{"negative rows", bulkJobID, "MTAwMDA", -1, fastBulk, "negative"},
		{"bad options", bulkJobID, "MTAwMDA", 0, BulkOptions{MaxRecords: -1}, "MaxRecords"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{}
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { f.serve(w, r) })
			f.t = t
			c := sessionClient(t, srv)
			j, err := c.ResumeBulkQuery(context.Background(), tt.id, tt.locator, tt.rows, tt.opts)
			if err == nil || j != nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, %v; want an error saying %q", j, err, tt.msg)
			}
			if n := srv.calls.Load(); n != 0 {
				t.Errorf("%d requests made: %q", n, f.requests())
			}
		})
	}
	// A 15-character id is a Salesforce id too.
	f := &fakeBulk{processed: 3, pages: map[string]bulkPage{"L": {csv: csvRows(0, 3), locator: "null"}}}
	if _, err := newFakeBulk(t, f).ResumeBulkQuery(context.Background(), "750R0000000zlh9", "L", 0, fastBulk); err != nil {
		t.Errorf("15-character id: %v", err)
	}
}

func TestResumeBulkQueryJobState(t *testing.T) {
	notFound := func(status int, body string) func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
		return func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
			writeJSON(w, status, body)
			return true
		}
	}
	tests := []struct {
		name      string
		state     string
		processed int64
		rows      int64
		before    func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool
		is        error // nil: an error matching none of the sentinels below
		msg       string
	}{
		{"deleted: 404 NOT_FOUND", "", 0, 0, notFound(404, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`), ErrNotFound, "no longer has the job"},
		{"deleted: 404 with another code", "", 0, 0, notFound(404, `[{"errorCode":"INVALIDJOB","message":"Job not found"}]`), ErrNotFound, "no longer has the job"},
		{"deleted: bare 404", "", 0, 0, notFound(404, ``), ErrNotFound, "no longer has the job"},
		{"failed", BulkStateFailed, 0, 0, nil, ErrBulkJobFailed, "No such column"},
		{"aborted", BulkStateAborted, 0, 0, nil, ErrBulkJobAborted, "aborted"},
		{"in progress", BulkStateInProgress, 0, 0, nil, nil, `state "InProgress", not JobComplete`},
		{"upload complete", BulkStateUploadComplete, 0, 0, nil, nil, `state "UploadComplete", not JobComplete`},
		{"more rows read than the job has", BulkStateJobComplete, 10, 11, nil, ErrBulkRowCount, "processed only 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{states: []string{tt.state}, processed: tt.processed, before: tt.before}
			_, err := newFakeBulk(t, f).ResumeBulkQuery(context.Background(), bulkJobID, "MTAwMDA", tt.rows, fastBulk)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want an error saying %q", err, tt.msg)
			}
			for _, s := range []error{ErrNotFound, ErrBulkJobFailed, ErrBulkJobAborted, ErrBulkRowCount} {
				if errors.Is(err, s) != (s == tt.is) {
					t.Errorf("errors.Is(err, %v) = %v: %v", s, !(s == tt.is), err)
				}
			}
			want := []string{"GET " + bulkJobsPath + "/" + bulkJobID}
			if tt.before != nil {
				// A 404 under the versioned path checks once whether the instance offers the
				// client's API version (here it cannot tell: the 404 stands).
				want = append(want, "GET /services/data/")
			}
			if got := f.requests(); !reflect.DeepEqual(got, want) {
				t.Errorf("requests %q, want %q (no abort, no delete)", got, want)
			}
		})
	}
}

// TestResumeBulkQueryWire checks the requests of a resumed read: the locator URL-encoded as the
// locator parameter, the locator chain even with ParallelPages, a session renewed and a page cut
// off on the way, RowsBefore going on, and the job deleted at the end.
func TestResumeBulkQueryWire(t *testing.T) {
	const loc = "a+b/c=d&e f%"
	f := &fakeBulk{processed: 10, pages: map[string]bulkPage{
		loc:  {csv: csvRows(4, 7), locator: "L2"},
		"L2": {csv: csvRows(7, 10), locator: "null"},
	}}
	f.t = t
	var cut atomic.Bool
	o := newTokenOrg(t, func(o *tokenOrg, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("locator") == "L2" && !cut.Swap(true) {
			f.mu.Lock()
			f.log = append(f.log, "cut "+r.URL.RequestURI())
			f.mu.Unlock()
			cutAfter(f, w, f.pages["L2"], 40, false)
			return
		}
		f.serve(w, r)
		if r.URL.Query().Get("locator") == loc {
			o.expire()
		}
	})
	c := tokenOrgClient(t, o)
	opts := fastBulk
	opts.MaxRecords, opts.BatchRows, opts.ParallelPages, opts.KeepJob = 3, 2, 5, true
	j, err := c.ResumeBulkQuery(context.Background(), bulkJobID, loc, 4, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := collectBulk(j.Results(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.rows {
		if want := fmt.Sprintf("001%015d", i+4); r[0] != want {
			t.Fatalf("row %d is %s, want %s", i, r[0], want)
		}
	}
	if got := fmt.Sprint(res.pages, res.sizes, res.ends, res.before); got != "[1 1 2 2] [2 1 2 1] [- end:L2 - end:] [4 6 7 9]" {
		t.Errorf("batches %s", got)
	}
	job := bulkJobsPath + "/" + bulkJobID
	want := []string{
		"GET " + job,
		"GET " + job + "/results?locator=" + url.QueryEscape(loc) + "&maxRecords=3",
		"cut " + job + "/results?locator=L2&maxRecords=3",
		"GET " + job + "/results?locator=L2&maxRecords=3",
		"DELETE " + job,
	}
	if got := f.requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests\n%q\nwant\n%q", got, want)
	}
	if !strings.Contains(want[1], "locator=a%2Bb%2Fc%3Dd%26e+f%25&") {
		t.Errorf("locator not encoded: %s", want[1])
	}
	if o.logins.Load() != 2 {
		t.Errorf("%d logins, want 2 (the session expired mid-read)", o.logins.Load())
	}
}

func TestResumeBulkQueryRowCount(t *testing.T) {
	pages := map[string]bulkPage{"L2": {csv: csvRows(3, 6), locator: "L3"}, "L3": {csv: csvRows(6, 9), locator: "null"}}
	for _, tt := range []struct {
		rowsBefore int64
		is         error
	}{{3, nil}, {2, ErrBulkRowCount}, {4, ErrBulkRowCount}} {
		t.Run(fmt.Sprint(tt.rowsBefore), func(t *testing.T) {
			f := &fakeBulk{processed: 9, pages: pages}
			opts := fastBulk
			opts.KeepJob = true
			j, err := newFakeBulk(t, f).ResumeBulkQuery(context.Background(), bulkJobID, "L2", tt.rowsBefore, opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := collectBulk(j.Results(context.Background()))
			if !errors.Is(err, tt.is) || (err == nil) != (tt.is == nil) {
				t.Fatalf("got %v, want %v", err, tt.is)
			}
			if tt.is != nil && !strings.Contains(err.Error(), fmt.Sprintf("received %d rows (%d of them before the job was resumed), the job processed 9", tt.rowsBefore+6, tt.rowsBefore)) {
				t.Errorf("message: %v", err)
			}
			if len(res.rows) != 6 || res.before[0] != tt.rowsBefore {
				t.Errorf("%d rows, RowsBefore %v", len(res.rows), res.before)
			}
			// The count cannot come right by reading on: the job is deleted even with KeepJob.
			if f.count("DELETE") != 1 {
				t.Errorf("requests %q", f.requests())
			}
		})
	}
	// A page announcing fewer rows than it holds is reported on a resumed job too.
	f := &fakeBulk{processed: 9, pages: map[string]bulkPage{"L2": {csv: csvRows(3, 9), count: "5", locator: "null"}}}
	j, err := newFakeBulk(t, f).ResumeBulkQuery(context.Background(), bulkJobID, "L2", 3, fastBulk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collectBulk(j.Results(context.Background())); !errors.Is(err, ErrBulkRowCount) {
		t.Errorf("got %v, want ErrBulkRowCount", err)
	}
}

// TestResumeBulkQueryTwice: a kept job read on and stopped again can be resumed again from the
// new place; Results of one BulkJob runs once.
func TestResumeBulkQueryTwice(t *testing.T) {
	f := &fakeBulk{processed: 9, pages: chainPages("null")}
	c := newFakeBulk(t, f)
	opts := fastBulk
	opts.KeepJob, opts.BatchRows = true, 2
	j, err := c.BulkQuery(context.Background(), "SELECT Id FROM Account", opts)
	if err != nil {
		t.Fatal(err)
	}
	rows, next, before := readUntilPage(t, j, 1, 0)
	if _, err := collectBulk(j.Results(context.Background())); err == nil || !strings.Contains(err.Error(), "already called") {
		t.Errorf("second Results: %v", err)
	}
	j2, err := c.ResumeBulkQuery(context.Background(), bulkJobID, next, before, opts)
	if err != nil {
		t.Fatal(err)
	}
	more, next2, before2 := readUntilPage(t, j2, 1, before)
	j3, err := c.ResumeBulkQuery(context.Background(), bulkJobID, next2, before2, opts)
	if err != nil {
		t.Fatal(err)
	}
	last, err := collectBulk(j3.Results(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	wantSequence(t, slices.Concat(rows, more, last.rows), 9)
	if f.count("DELETE") != 1 {
		t.Errorf("requests %q", f.requests())
	}
}

// With KeepJob and KeepReadJob the job outlives a complete read, so a process that dies before
// committing the last rows can still read on; DeleteBulkJob removes it.
func TestBulkKeepReadJob(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 3, BulkPageSize: 100, Counts: map[string]int{"Account": 250}})
	defer srv.Close()
	c := emulatorClient(t, srv)
	ctx := context.Background()
	job, err := c.BulkQuery(ctx, "SELECT Id FROM Account", BulkOptions{PollInterval: time.Millisecond, KeepJob: true, KeepReadJob: true})
	if err != nil {
		t.Fatal(err)
	}
	var last *BulkBatch
	rows := 0
	for b, err := range job.Results(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		rows += len(b.Rows)
		if b.PageEnd && b.Next != "" {
			cp := *b
			last = &cp
		}
	}
	if rows != 250 || last == nil {
		t.Fatalf("read %d rows (last resume point %v)", rows, last)
	}
	// The job is still there: the last page can be read again from its locator.
	again, err := c.ResumeBulkQuery(ctx, job.Info().ID, last.Next, 200, BulkOptions{KeepJob: true, KeepReadJob: true})
	if err != nil {
		t.Fatalf("the fully read job is gone: %v", err)
	}
	n := 0
	for b, err := range again.Results(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(b.Rows)
	}
	if n != 50 {
		t.Fatalf("read %d rows of the last page again, want 50", n)
	}
	if err := c.DeleteBulkJob(ctx, job.Info().ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBulkJob(ctx, job.Info().ID); err != nil {
		t.Errorf("deleting a deleted job: %v, want nil", err)
	}
	if _, err := c.ResumeBulkQuery(ctx, job.Info().ID, last.Next, 200, BulkOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("after DeleteBulkJob: %v, want ErrNotFound", err)
	}
	if err := c.DeleteBulkJob(ctx, "750'; DROP"); err == nil {
		t.Error("a malformed job id was accepted")
	}
}

package client

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	bulkJobID    = "750R0000000zlh9IAA"
	bulkJobsPath = "/services/data/v64.0/jobs/query"
)

// bulkPage is one results page served by fakeBulk.
type bulkPage struct {
	csv     string
	count   string // Sforce-NumberOfRecords; "" computes it from the CSV, "-" omits the header
	locator string // Sforce-Locator; "-" omits the header
	gzip    bool
}

// fakeBulk is a scripted Bulk API 2.0 endpoint. Every request is logged as "METHOD path?query".
type fakeBulk struct {
	t            *testing.T
	create       string   // create response body (default: a job in UploadComplete)
	createStatus int      // default 200
	states       []string // successive poll answers: a state, or a whole JSON body ("{...}"); the last repeats
	processed    int64    // numberRecordsProcessed reported with JobComplete; -1 omits it
	pages        map[string]bulkPage
	resultPages  map[string]string // /resultPages answers by request URI; none: 404
	// before may answer a request itself (returning true), for failures and hooks.
	before func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool

	mu     sync.Mutex
	polls  int
	log    []string
	bodies map[string][]string // request bodies by method
}

func (f *fakeBulk) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func (f *fakeBulk) count(prefix string) int {
	n := 0
	for _, l := range f.requests() {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeBulk) body(method string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bodies[method])
}

func (f *fakeBulk) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.log = append(f.log, r.Method+" "+r.URL.RequestURI())
	if f.bodies == nil {
		f.bodies = map[string][]string{}
	}
	f.bodies[r.Method] = append(f.bodies[r.Method], string(body))
	f.mu.Unlock()
	if f.before != nil && f.before(f, w, r) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, bulkJobsPath)
	switch {
	case !ok:
		writeJSON(w, 404, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)
	case r.Method == http.MethodPost && rest == "":
		status := f.createStatus
		if status == 0 {
			status = 200
		}
		create := f.create
		if create == "" {
			create = `{"id":"` + bulkJobID + `","operation":"query","object":"Account","createdById":"005xx","createdDate":"2024-01-05T03:41:05.000+0000","systemModstamp":"2024-01-05T03:41:05.000+0000","state":"UploadComplete","concurrencyMode":"Parallel","contentType":"CSV","apiVersion":64.0,"lineEnding":"LF","columnDelimiter":"COMMA"}`
		}
		writeJSON(w, status, create)
	case r.Method == http.MethodGet && strings.HasSuffix(rest, "/results"):
		p, ok := f.pages[r.URL.Query().Get("locator")]
		if !ok {
			writeJSON(w, 404, `[{"errorCode":"NOT_FOUND","message":"no such locator"}]`)
			return
		}
		f.writePage(w, p)
	case r.Method == http.MethodGet && strings.HasSuffix(rest, "/resultPages"):
		b, ok := f.resultPages[r.URL.RequestURI()]
		if !ok {
			writeJSON(w, 404, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)
			return
		}
		writeJSON(w, 200, b)
	case r.Method == http.MethodGet:
		f.mu.Lock()
		i := min(f.polls, len(f.states)-1)
		f.polls++
		f.mu.Unlock()
		s := "JobComplete"
		if i >= 0 {
			s = f.states[i]
		}
		if strings.HasPrefix(s, "{") {
			writeJSON(w, 200, s)
			return
		}
		job := map[string]any{"id": strings.TrimPrefix(rest, "/"), "operation": "query", "object": "Account", "state": s,
			"jobType": "V2Query", "apiVersion": 64.0, "concurrencyMode": "Parallel", "contentType": "CSV", "lineEnding": "LF",
			"columnDelimiter": "COMMA", "retries": 0, "totalProcessingTime": 334, "someNewKey": []int{1}}
		if s == BulkStateJobComplete && f.processed >= 0 {
			job["numberRecordsProcessed"] = f.processed
		}
		if s == BulkStateFailed {
			job["errorMessage"] = "INVALID_FIELD: No such column 'Foo' on entity 'Account'"
		}
		writeJSON(w, 200, job)
	case r.Method == http.MethodPatch:
		writeJSON(w, 200, `{"id":"`+bulkJobID+`","state":"Aborted","apiVersion":64.0}`)
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, 405, `[{"errorCode":"METHOD_NOT_ALLOWED","message":"no"}]`)
	}
}

func (f *fakeBulk) writePage(w http.ResponseWriter, p bulkPage) {
	count := p.count
	if count == "" {
		recs, err := scanAll(strings.NewReader(p.csv))
		if err != nil {
			f.t.Errorf("page CSV does not parse: %v", err)
		}
		count = strconv.Itoa(max(len(recs)-1, 0))
	}
	if count != "-" {
		w.Header().Set("Sforce-NumberOfRecords", count)
	}
	if p.locator != "-" {
		w.Header().Set("Sforce-Locator", p.locator)
	}
	w.Header().Set("Content-Type", "text/csv")
	if p.gzip {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, p.csv)
		zw.Close()
		return
	}
	io.WriteString(w, p.csv)
}

// newFakeBulk starts f on a test server and returns a session client for it.
func newFakeBulk(t *testing.T, f *fakeBulk) *Client {
	t.Helper()
	f.t = t
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { f.serve(w, r) })
	return sessionClient(t, srv)
}

// fastBulk polls every millisecond.
var fastBulk = BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 2 * time.Millisecond, Timeout: 5 * time.Second}

type bulkResult struct {
	header []string
	rows   [][]string
	pages  []int    // page of each batch
	sizes  []int    // rows of each batch
	ends   []string // of each batch: "-" without PageEnd, else "end:" + Next
	before []int64  // RowsBefore of each batch
}

// collectBulk reads every batch, copying the reused slices.
func collectBulk(seq func(func(*BulkBatch, error) bool)) (bulkResult, error) {
	var out bulkResult
	for b, err := range seq {
		if err != nil {
			return out, err
		}
		out.header = slices.Clone(b.Header)
		out.pages = append(out.pages, b.Page)
		out.sizes = append(out.sizes, len(b.Rows))
		end := "-"
		if b.PageEnd {
			end = "end:" + b.Next
		} else if b.Next != "" {
			end = "next without PageEnd:" + b.Next
		}
		out.ends = append(out.ends, end)
		out.before = append(out.before, b.RowsBefore)
		for _, r := range b.Rows {
			out.rows = append(out.rows, slices.Clone(r))
		}
	}
	return out, nil
}

// runBulk runs a whole query against f.
func runBulk(t *testing.T, c *Client, opts BulkOptions) (bulkResult, error) {
	t.Helper()
	j, err := c.BulkQuery(context.Background(), "SELECT Id, Name FROM Account", opts)
	if err != nil {
		return bulkResult{}, err
	}
	return collectBulk(j.Results(context.Background()))
}

// csvRows renders ids as two-column rows "Id","Name".
func csvRows(from, to int) string {
	var b strings.Builder
	b.WriteString("\"Id\",\"Name\"\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "\"001%015d\",\"Account %d\"\n", i, i)
	}
	return b.String()
}

// wantSequence checks the rows are ids from..to in order, each once.
func wantSequence(t *testing.T, rows [][]string, n int) {
	t.Helper()
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		if want := fmt.Sprintf("001%015d", i); r[0] != want {
			t.Fatalf("row %d is %q, want %s (duplicated or lost rows)", i, r[0], want)
		}
	}
}

func TestBulkLifecycleGolden(t *testing.T) {
	f := &fakeBulk{
		create: string(fixture(t, "bulk/bulk2_query_job_create_response.json")),
		states: []string{"InProgress", string(fixture(t, "bulk/bulk2_query_job_complete_response.json"))},
		before: func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != bulkJobsPath+"/Job-1/results" {
				return false
			}
			if r.Header.Get("Accept") != "text/csv" || r.Header.Get("Accept-Encoding") != "gzip" || !authOK(r, secretSession) {
				f.t.Errorf("results request headers %v", r.Header)
			}
			// As the simple-salesforce test serves it: a non-standard locator header, no Sforce-Locator.
			w.Header().Set("Sforce-NumberOfRecords", "4")
			w.Header().Set("Sforce-Query-Locator", "")
			w.Header().Set("Content-Type", "text/csv")
			w.Write(fixture(f.t, "bulk/bulk2_query_results.csv"))
			return true
		},
	}
	c := newFakeBulk(t, f)
	j, err := c.BulkQuery(context.Background(), "SELECT Id, AccountId, Email, FirstName, LastName FROM Contact", fastBulk)
	if err != nil {
		t.Fatal(err)
	}
	in := j.Info()
	if in.ID != "Job-1" || in.State != BulkStateJobComplete || in.JobType != "V2Query" || in.APIVersion != 52.0 ||
		in.NumberRecordsProcessed != 4 || in.Object != "Contact" || in.ConcurrencyMode != "Parallel" || in.LineEnding != "LF" {
		t.Errorf("job info %+v", in)
	}
	var create map[string]string
	if err := json.Unmarshal([]byte(f.body("POST")[0]), &create); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"operation": "query", "query": "SELECT Id, AccountId, Email, FirstName, LastName FROM Contact",
		"contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
	if !reflect.DeepEqual(create, want) {
		t.Errorf("create body %v, want %v", create, want)
	}
	res, err := collectBulk(j.Results(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.header) != "[Id AccountId Email FirstName LastName]" || len(res.rows) != 4 ||
		fmt.Sprint(res.rows[1]) != "[001xx000003DHP1AAO ID-24 contact2@example.com Alice y]" || fmt.Sprint(res.pages) != "[1]" {
		t.Errorf("results %+v", res)
	}
	wantLog := []string{"POST " + bulkJobsPath, "GET " + bulkJobsPath + "/Job-1", "GET " + bulkJobsPath + "/Job-1",
		"GET " + bulkJobsPath + "/Job-1/results", "DELETE " + bulkJobsPath + "/Job-1"}
	if got := f.requests(); !reflect.DeepEqual(got, wantLog) {
		t.Errorf("requests\n%q\nwant\n%q", got, wantLog)
	}
	if _, err := collectBulk(j.Results(context.Background())); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("second Results: %v", err)
	}
}

func TestBulkLocatorChain(t *testing.T) {
	tests := []struct {
		name      string
		last      string // locator header of the last page
		gzip      bool
		batchRows int
		sizes     string // rows per batch
	}{
		{"null locator, plain", "null", false, 0, "[3 4 2]"},
		{"absent locator, gzip", "-", true, 0, "[3 4 2]"},
		{"empty locator, batches of 2", "", false, 2, "[2 1 2 2 2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{processed: 9, states: []string{"InProgress", "InProgress", "JobComplete"}, pages: map[string]bulkPage{
				"":        {csv: csvRows(0, 3), locator: "MTAwMDA", gzip: tt.gzip},
				"MTAwMDA": {csv: csvRows(3, 7), locator: "MjAwMDA", gzip: tt.gzip},
				"MjAwMDA": {csv: csvRows(7, 9), locator: tt.last, gzip: tt.gzip},
			}}
			opts := fastBulk
			opts.MaxRecords, opts.BatchRows, opts.Operation = 4, tt.batchRows, "queryAll"
			res, err := runBulk(t, newFakeBulk(t, f), opts)
			if err != nil {
				t.Fatal(err)
			}
			wantSequence(t, res.rows, 9)
			if fmt.Sprint(res.sizes) != tt.sizes {
				t.Errorf("batch sizes %v, want %s", res.sizes, tt.sizes)
			}
			if !strings.Contains(f.body("POST")[0], `"operation":"queryAll"`) {
				t.Errorf("create body %s", f.body("POST")[0])
			}
			results := []string{}
			for _, l := range f.requests() {
				if strings.Contains(l, "/results") {
					results = append(results, l)
				}
			}
			p := "GET " + bulkJobsPath + "/" + bulkJobID + "/results?"
			want := []string{p + "maxRecords=4", p + "locator=MTAwMDA&maxRecords=4", p + "locator=MjAwMDA&maxRecords=4"}
			if !reflect.DeepEqual(results, want) {
				t.Errorf("results requests %q, want %q", results, want)
			}
		})
	}
}

func TestBulkValues(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want [][]string
	}{
		{"null as ,, and as \"\"", "\"Id\",\"A\",\"B\",\"C\"\n\"1\",,\"\",\"x\"\n\"2\",\"\",,\n", [][]string{{"1", "", "", "x"}, {"2", "", "", ""}}},
		{"quotes, commas, line breaks", "Id,A\n\"1\",\"He said \"\"no, thanks\"\"\nand left\"\n", [][]string{{"1", "He said \"no, thanks\"\nand left"}}},
		{"unicode", "Id,A\n\"1\",\"Łódź – 東京 – 🚀\"\n", [][]string{{"1", "Łódź – 東京 – 🚀"}}},
		{"CRLF and BOM", "\xEF\xBB\xBF\"Id\",\"A\"\r\n\"1\",\"2019-01-05T03:41:05.000Z\"\r\n", [][]string{{"1", "2019-01-05T03:41:05.000Z"}}},
		{"leading blank line", "\n\"Id\",\"A\"\n\"1\",\"true\"\n", [][]string{{"1", "true"}}},
		{"one column with nulls", "\"Id\"\n\"1\"\n\"\"\n\n", [][]string{{"1"}, {""}, {""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{processed: int64(len(tt.want)), pages: map[string]bulkPage{"": {csv: tt.csv, count: strconv.Itoa(len(tt.want)), locator: "null"}}}
			res, err := runBulk(t, newFakeBulk(t, f), fastBulk)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.rows, tt.want) {
				t.Errorf("rows %q, want %q", res.rows, tt.want)
			}
		})
	}
}

func TestParseDateTimeBulkForms(t *testing.T) {
	want := time.Date(2019, 1, 5, 3, 41, 5, 0, time.UTC)
	for _, s := range []string{"2019-01-05T03:41:05.000Z", "2019-01-05T03:41:05.000+0000", "2019-01-05T03:41:05Z"} {
		if got, err := ParseDateTime(s); err != nil || !got.Equal(want) {
			t.Errorf("ParseDateTime(%q) = %v, %v", s, got, err)
		}
	}
}

func TestBulkResultsNotReady(t *testing.T) {
	tests := []struct {
		name string
		fail func(w http.ResponseWriter)
	}{
		{"412 JOB_NOT_COMPLETE", func(w http.ResponseWriter) {
			writeJSON(w, 412, `[{"errorCode":"JOB_NOT_COMPLETE","message":"Job is not complete"}]`)
		}},
		{"204 no content", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var early int
			f := &fakeBulk{processed: 3, pages: map[string]bulkPage{"": {csv: csvRows(0, 3), locator: "null"}},
				before: func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
					if strings.HasSuffix(r.URL.Path, "/results") && early < 2 {
						early++
						tt.fail(w)
						return true
					}
					return false
				}}
			res, err := runBulk(t, newFakeBulk(t, f), fastBulk)
			if err != nil {
				t.Fatal(err)
			}
			wantSequence(t, res.rows, 3)
			if n := f.count("GET " + bulkJobsPath + "/" + bulkJobID + "/results"); n != 3 {
				t.Errorf("%d results requests, want 3", n)
			}
		})
	}
}

// An empty result is one empty page: one batch with no rows, PageEnd set and Next "".
func TestBulkEmptyResult(t *testing.T) {
	for _, p := range []bulkPage{{csv: "", count: "0", locator: "null"}, {csv: "\"Id\",\"Name\"\n", locator: "null"}} {
		f := &fakeBulk{processed: 0, pages: map[string]bulkPage{"": p}}
		res, err := runBulk(t, newFakeBulk(t, f), fastBulk)
		if err != nil || len(res.rows) != 0 || fmt.Sprint(res.sizes, res.ends, res.before) != "[0] [end:] [0]" {
			t.Errorf("%q: %+v, %v", p.csv, res, err)
		}
	}
	// A 204 for a job that processed no rows is an empty result, not "not ready".
	f := &fakeBulk{processed: 0, before: func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/results") {
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		return false
	}}
	if res, err := runBulk(t, newFakeBulk(t, f), fastBulk); err != nil || len(res.rows) != 0 || fmt.Sprint(res.ends) != "[end:]" {
		t.Errorf("204 for an empty job: %+v, %v", res, err)
	}
}

func TestBulkJobEnds(t *testing.T) {
	tests := []struct {
		name  string
		state string
		is    error
		msg   string
	}{
		{"failed", BulkStateFailed, ErrBulkJobFailed, "No such column 'Foo'"},
		{"aborted elsewhere", BulkStateAborted, ErrBulkJobAborted, "aborted while it ran"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{states: []string{"InProgress", tt.state}}
			_, err := runBulk(t, newFakeBulk(t, f), fastBulk)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want %v with %q", err, tt.is, tt.msg)
			}
			if f.count("PATCH") != 0 || f.count("DELETE "+bulkJobsPath+"/"+bulkJobID) != 1 {
				t.Errorf("a finished job must be deleted, not aborted: %q", f.requests())
			}
		})
	}
}

func TestBulkJobTimeout(t *testing.T) {
	f := &fakeBulk{states: []string{"InProgress"}}
	c := newFakeBulk(t, f)
	opts := fastBulk
	opts.Timeout = 30 * time.Millisecond
	_, err := c.BulkQuery(context.Background(), "SELECT Id FROM Task", opts)
	if !errors.Is(err, ErrBulkJobTimeout) || !strings.Contains(err.Error(), "still InProgress") {
		t.Fatalf("got %v", err)
	}
	if got := f.body("PATCH"); len(got) != 1 || got[0] != `{"state":"Aborted"}` {
		t.Errorf("abort bodies %q", got)
	}
	if f.count("DELETE") != 1 {
		t.Errorf("job not deleted: %q", f.requests())
	}
}

func TestBulkCreateErrors(t *testing.T) {
	tests := []struct {
		status int
		body   string
		is     error // nil: neither fallback sentinel
	}{
		{400, `[{"errorCode":"API_ERROR","message":"Max bulk v2 query jobs (10000) per 24 hrs has been reached (10001)."}]`, ErrBulkLimitExceeded},
		{400, `[{"errorCode":"LIMIT_EXCEEDED","message":"Limit exceeded"}]`, ErrBulkLimitExceeded},
		{400, `[{"errorCode":"API_ERROR","message":"Something went wrong"}]`, ErrBulkLimitExceeded},
		{400, `{"errorCode":"SOME_CODE","message":"Max bulk v2 query jobs (10000) per 24 hrs has been reached"}`, ErrBulkLimitExceeded},
		{403, `[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}]`, ErrBulkLimitExceeded},
		{400, `[{"errorCode":"API_ERROR","message":"Selecting compound data not supported in Bulk Query"}]`, ErrBulkUnsupported},
		{400, `[{"errorCode":"INVALIDJOB","message":"Aggregate Relationship is not supported in Bulk Query"}]`, ErrBulkUnsupported},
		{400, `[{"errorCode":"MALFORMED_QUERY","message":"FIELDS() is not supported"}]`, ErrBulkUnsupported},
		{400, `[{"errorCode":"INVALID_FIELD","message":"No such column 'Foo' on entity 'Account'"}]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			f := &fakeBulk{createStatus: tt.status, create: tt.body}
			_, err := newFakeBulk(t, f).BulkQuery(context.Background(), "SELECT Id FROM Account", fastBulk)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.status {
				t.Fatalf("got %v, want an *APIError", err)
			}
			for _, s := range []error{ErrBulkLimitExceeded, ErrBulkUnsupported} {
				if errors.Is(err, s) != (s == tt.is) {
					t.Errorf("errors.Is(%v) = %v", s, !(s == tt.is))
				}
			}
			if tt.status == 403 && !errors.Is(err, ErrRequestLimitExceeded) {
				t.Errorf("403 REQUEST_LIMIT_EXCEEDED must still match ErrRequestLimitExceeded: %v", err)
			}
			if f.count("POST") != 1 || f.count("PATCH")+f.count("DELETE") != 0 {
				t.Errorf("requests %q", f.requests())
			}
		})
	}
	if _, err := (&Client{}).BulkQuery(context.Background(), "SELECT Id FROM Account", BulkOptions{Operation: "insert"}); err == nil {
		t.Error("operation insert accepted")
	}
}

func TestBulkResultPages(t *testing.T) {
	job := bulkJobsPath + "/" + bulkJobID
	res := func(loc string) string { return job + "/results?locator=" + loc + "&maxRecords=3" }
	pages := map[string]bulkPage{}
	for i, loc := range []string{"A", "B", "C", "D", "E", "F", "G"} {
		pages[loc] = bulkPage{csv: csvRows(3*i, 3*i+3), locator: "null"}
	}
	tests := []struct {
		name string
		sets map[string]string
	}{
		{"nextRecordsUrl, resultUrl objects", map[string]string{
			job + "/resultPages":       `{"resultPages":[{"resultUrl":"` + res("A") + `"},{"resultUrl":"` + res("B") + `"},{"resultUrl":"` + res("C") + `"},{"resultUrl":"` + res("D") + `"},{"resultUrl":"` + res("E") + `"}],"nextRecordsUrl":"` + job + `/resultPages?set=2","done":false}`,
			job + "/resultPages?set=2": `{"resultPages":[{"resultUrl":"` + res("F") + `"},{"resultUrl":"` + res("G") + `"}],"nextRecordsUrl":null,"done":true}`,
		}},
		{"nextRecordUrl, resultLink and strings", map[string]string{
			job + "/resultPages":       `{"resultPages":[{"resultLink":"` + res("A") + `"},"` + res("B") + `",{"resultUrl":"` + res("C") + `"}],"nextRecordUrl":"` + job + `/resultPages?set=2","done":false}`,
			job + "/resultPages?set=2": `{"resultPages":["` + res("D") + `","` + res("E") + `","` + res("F") + `","` + res("G") + `"],"done":true}`,
		}},
	}
	for _, tt := range tests {
		for _, parallel := range []int{1, 3, 5} {
			t.Run(fmt.Sprint(tt.name, parallel), func(t *testing.T) {
				var mu sync.Mutex
				inFlight, most := 0, 0
				f := &fakeBulk{processed: 21, pages: pages, resultPages: tt.sets,
					before: func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
						if strings.HasSuffix(r.URL.Path, "/results") {
							mu.Lock()
							inFlight++
							most = max(most, inFlight)
							mu.Unlock()
							f.writePage(w, f.pages[r.URL.Query().Get("locator")])
							mu.Lock()
							inFlight--
							mu.Unlock()
							return true
						}
						return false
					}}
				opts := fastBulk
				opts.ParallelPages = parallel
				got, err := runBulk(t, newFakeBulk(t, f), opts)
				if err != nil {
					t.Fatal(err)
				}
				wantSequence(t, got.rows, 21)
				if fmt.Sprint(got.pages) != "[1 2 3 4 5 6 7]" {
					t.Errorf("pages %v", got.pages)
				}
				if n := f.count("GET " + job + "/results?locator="); n != 7 {
					t.Errorf("%d page requests, want 7", n)
				}
				if most > parallel {
					t.Errorf("%d page downloads at once, ParallelPages is %d", most, parallel)
				}
			})
		}
	}
	t.Run("cut-off page and early break", func(t *testing.T) {
		cut := 0
		f := &fakeBulk{processed: 21, pages: pages, resultPages: tests[0].sets,
			before: func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Query().Get("locator") == "C" && cut == 0 {
					cut++
					cutAfter(f, w, f.pages["C"], 30, false)
					return true
				}
				return false
			}}
		c := newFakeBulk(t, f)
		opts := fastBulk
		opts.ParallelPages = 4
		got, err := runBulk(t, c, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantSequence(t, got.rows, 21)
		j, err := c.BulkQuery(context.Background(), "SELECT Id FROM Account", opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range j.Results(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			break // must return without leaking the download goroutines (the race detector and -count catch a hang)
		}
		if f.count("DELETE") != 2 {
			t.Errorf("requests %q", f.requests())
		}
	})
	t.Run("404 falls back to the locator chain", func(t *testing.T) {
		f := &fakeBulk{processed: 6, pages: map[string]bulkPage{"": {csv: csvRows(0, 3), locator: "L2"}, "L2": {csv: csvRows(3, 6), locator: "null"}}}
		opts := fastBulk
		opts.ParallelPages = 3
		got, err := runBulk(t, newFakeBulk(t, f), opts)
		if err != nil {
			t.Fatal(err)
		}
		wantSequence(t, got.rows, 6)
		if f.count("GET "+job+"/resultPages") != 1 {
			t.Errorf("requests %q", f.requests())
		}
	})
}

// cutAfter writes the first n bytes of a page, then kills the connection mid-body.
func cutAfter(f *fakeBulk, w http.ResponseWriter, p bulkPage, n int, gz bool) {
	body := []byte(p.csv)
	if gz {
		var b strings.Builder
		zw := gzip.NewWriter(&b)
		zw.Write(body)
		zw.Close()
		body = []byte(b.String())
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Sforce-Locator", p.locator)
	w.Header().Set("Sforce-NumberOfRecords", "10")
	w.Header().Set("Content-Type", "text/csv")
	w.WriteHeader(200)
	w.Write(body[:n])
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		f.t.Error(err)
		return
	}
	conn.Close()
}

func TestBulkPageCutOff(t *testing.T) {
	page1 := csvRows(0, 10)
	inQuotes := strings.Index(page1, "Account 6") // inside row 6's quoted value, after 6 full rows
	tests := []struct {
		name string
		cut  func(f *fakeBulk, w http.ResponseWriter, p bulkPage)
	}{
		{"mid-value, content-length", func(f *fakeBulk, w http.ResponseWriter, p bulkPage) { cutAfter(f, w, p, inQuotes, false) }},
		{"gzip stream cut", func(f *fakeBulk, w http.ResponseWriter, p bulkPage) { cutAfter(f, w, p, 60, true) }},
		{"clean end at a row boundary, short of the count", func(f *fakeBulk, w http.ResponseWriter, p bulkPage) {
			w.Header().Set("Sforce-Locator", p.locator)
			w.Header().Set("Sforce-NumberOfRecords", "10")
			io.WriteString(w, csvRows(0, 5))
		}},
		{"clean end between two fields", func(f *fakeBulk, w http.ResponseWriter, p bulkPage) {
			w.Header().Set("Sforce-Locator", p.locator)
			w.Header().Set("Sforce-NumberOfRecords", "10")
			io.WriteString(w, csvRows(0, 5)+"\"001000000000000005\",")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cuts := 0
			f := &fakeBulk{processed: 13, pages: map[string]bulkPage{"": {csv: page1, locator: "P2"}, "P2": {csv: csvRows(10, 13), locator: "null"}}}
			f.before = func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/results") && r.URL.Query().Get("locator") == "" && cuts < 2 {
					cuts++
					tt.cut(f, w, f.pages[""])
					return true
				}
				return false
			}
			opts := fastBulk
			opts.BatchRows = 2 // rows 0-3 are yielded before the cut: the retry must skip them
			got, err := runBulk(t, newFakeBulk(t, f), opts)
			if err != nil {
				t.Fatal(err)
			}
			wantSequence(t, got.rows, 13)
			if n := f.count("GET " + bulkJobsPath + "/" + bulkJobID + "/results"); n != 4 {
				t.Errorf("%d results requests, want 4 (two cut, one whole, page 2)", n)
			}
		})
	}
}

func TestBulkRowCountMismatch(t *testing.T) {
	tests := []struct {
		name      string
		processed int64
		page      bulkPage
	}{
		{"fewer rows than the job processed", 5, bulkPage{csv: csvRows(0, 4), locator: "null"}},
		{"more rows than Sforce-NumberOfRecords", 4, bulkPage{csv: csvRows(0, 4), count: "3", locator: "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBulk{processed: tt.processed, pages: map[string]bulkPage{"": tt.page}}
			_, err := runBulk(t, newFakeBulk(t, f), fastBulk)
			if !errors.Is(err, ErrBulkRowCount) {
				t.Fatalf("got %v, want ErrBulkRowCount", err)
			}
			if f.count("DELETE") != 1 {
				t.Errorf("job not deleted: %q", f.requests())
			}
		})
	}
	// Without numberRecordsProcessed there is nothing to compare with: no error.
	f := &fakeBulk{processed: -1, pages: map[string]bulkPage{"": {csv: csvRows(0, 4), count: "-", locator: "-"}}}
	if got, err := runBulk(t, newFakeBulk(t, f), fastBulk); err != nil || len(got.rows) != 4 {
		t.Errorf("%d rows, %v", len(got.rows), err)
	}
}

func TestBulkSessionExpiresMidDownload(t *testing.T) {
	f := &fakeBulk{processed: 9, pages: map[string]bulkPage{
		"": {csv: csvRows(0, 3), locator: "L2"}, "L2": {csv: csvRows(3, 6), locator: "L3"}, "L3": {csv: csvRows(6, 9), locator: "null"}}}
	f.t = t
	o := newTokenOrg(t, func(o *tokenOrg, w http.ResponseWriter, r *http.Request) {
		f.serve(w, r)
		if r.URL.Query().Get("locator") == "L2" {
			o.expire()
		}
	})
	c := tokenOrgClient(t, o)
	got, err := runBulk(t, c, fastBulk)
	if err != nil {
		t.Fatal(err)
	}
	wantSequence(t, got.rows, 9)
	if o.logins.Load() != 2 {
		t.Errorf("%d logins, want 2", o.logins.Load())
	}
	if f.count("GET "+bulkJobsPath+"/"+bulkJobID+"/results?locator=L3") != 1 || f.count("DELETE") != 1 {
		t.Errorf("requests %q", f.requests())
	}
}

func TestBulkTransientFailuresRetried(t *testing.T) {
	var n int
	f := &fakeBulk{processed: 3, pages: map[string]bulkPage{"": {csv: csvRows(0, 3), locator: "null"}},
		before: func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
			n++
			switch n {
			case 1: // create
				status(503, "", "")(w)
			case 3: // first poll
				status(420, "", "")(w)
			case 5: // results: an edge page instead of CSV
				status(200, "text/html", "<html>maintenance</html>")(w)
			case 6:
				status(429, "", "")(w)
			default:
				return false
			}
			return true
		}}
	got, err := runBulk(t, newFakeBulk(t, f), fastBulk)
	if err != nil {
		t.Fatal(err)
	}
	wantSequence(t, got.rows, 3)
}

func TestBulkStopsWhenLoopBreaks(t *testing.T) {
	f := &fakeBulk{processed: 6, pages: map[string]bulkPage{"": {csv: csvRows(0, 3), locator: "L2"}, "L2": {csv: csvRows(3, 6), locator: "null"}}}
	c := newFakeBulk(t, f)
	j, err := c.BulkQuery(context.Background(), "SELECT Id FROM Account", BulkOptions{BatchRows: 1, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for b, err := range j.Results(context.Background()) {
		if err != nil || len(b.Rows) != 1 {
			t.Fatal(b, err)
		}
		break
	}
	if f.count("GET "+bulkJobsPath+"/"+bulkJobID+"/results?locator=L2") != 0 || f.count("DELETE") != 1 {
		t.Errorf("requests %q", f.requests())
	}
}

// TestBulkCancellation cancels while the job runs and while a page is being read; the call
// must end within 100 ms, having aborted (while running) and deleted the job.
func TestBulkCancellation(t *testing.T) {
	tests := []struct {
		name      string
		whilePoll bool
	}{{"while the job runs", true}, {"while a page is read", false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrived := make(chan struct{}, 10)
			f := &fakeBulk{states: []string{"InProgress"}}
			if !tt.whilePoll {
				f.states = nil
			}
			f.before = func(f *fakeBulk, w http.ResponseWriter, r *http.Request) bool {
				switch {
				case tt.whilePoll && r.Method == http.MethodGet:
					arrived <- struct{}{}
					<-r.Context().Done()
					return true
				case !tt.whilePoll && strings.HasSuffix(r.URL.Path, "/results"):
					w.Header().Set("Sforce-NumberOfRecords", "10")
					io.WriteString(w, csvRows(0, 3))
					w.(http.Flusher).Flush()
					arrived <- struct{}{}
					<-r.Context().Done()
					return true
				}
				return false
			}
			c := newFakeBulk(t, f)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				j, err := c.BulkQuery(ctx, "SELECT Id FROM Account", BulkOptions{PollInterval: time.Millisecond, BatchRows: 100})
				if err == nil {
					_, err = collectBulk(j.Results(ctx))
				}
				done <- err
			}()
			<-arrived
			cancel()
			deadline := time.NewTimer(100 * time.Millisecond)
			defer deadline.Stop()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("got %v, want context.Canceled", err)
				}
			case <-deadline.C:
				t.Fatal("did not stop within 100 ms of cancellation")
			}
			wantAbort := 0
			if tt.whilePoll {
				wantAbort = 1
			}
			if f.count("PATCH") != wantAbort || f.count("DELETE") != 1 {
				t.Errorf("requests %q: want %d abort and 1 delete", f.requests(), wantAbort)
			}
		})
	}
}

// A job is checked at a quarter of the time it has run, within the first and largest waits:
// seen complete at most a quarter of its running time late, with checks growing with the
// logarithm of its running time.
func TestPollWait(t *testing.T) {
	first, most := time.Second, 30*time.Second
	for _, c := range []struct{ elapsed, want time.Duration }{
		{0, time.Second},
		{3 * time.Second, time.Second},
		{8 * time.Second, 2 * time.Second},
		{62 * time.Second, 15500 * time.Millisecond},
		{10 * time.Minute, 30 * time.Second},
	} {
		if got := pollWait(c.elapsed, first, most); got != c.want {
			t.Errorf("pollWait(%s) = %s, want %s", c.elapsed, got, c.want)
		}
	}
	// The schedule of checks for a job that runs 62 s: it is seen within a quarter of that.
	var at time.Duration
	checks := 0
	for wait := first; at < 62*time.Second; wait = pollWait(at, first, most) {
		at += wait
		checks++
	}
	if at > 62*time.Second*5/4 || checks > 20 {
		t.Errorf("a 62 s job is seen at %s after %d checks; want at most 77.5 s and 20 checks", at, checks)
	}
}

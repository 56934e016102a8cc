package salesforcetest_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// cursorQuery has three pages of 200 records: its first page opens a cursor.
const cursorQuery = "SELECT Id, Name FROM Product2"

func cursorServer(t *testing.T, lim salesforcetest.Limits, f salesforcetest.Faults) (*salesforcetest.Server, string) {
	t.Helper()
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Product2": 450}, Limits: lim, Faults: f})
	return s, soapLogin(t, s)
}

// firstPage runs a query and returns its first page, which must have a nextRecordsUrl.
func firstPage(t *testing.T, s *salesforcetest.Server, tok, soql string) queryPage {
	t.Helper()
	r := get(t, s, tok, "query?q="+url.QueryEscape(soql), "Sforce-Query-Options", "batchSize=200")
	if r.status != http.StatusOK {
		t.Fatalf("first page of %q: %v", soql, r)
	}
	var p queryPage
	mustJSON(t, r.body, &p)
	if p.Done || p.NextRecordsURL == nil {
		t.Fatalf("first page of %q is the last: no cursor opened", soql)
	}
	return p
}

// readToEnd follows nextRecordsUrl from a page to the last page and returns that last page's URL.
func readToEnd(t *testing.T, s *salesforcetest.Server, tok string, p queryPage) string {
	t.Helper()
	last := ""
	for p.NextRecordsURL != nil {
		last = *p.NextRecordsURL
		r := get(t, s, tok, last, "Sforce-Query-Options", "batchSize=200")
		if r.status != http.StatusOK {
			t.Fatalf("page %s: %v", last, r)
		}
		p = queryPage{}
		mustJSON(t, r.body, &p)
	}
	return last
}

func TestQueryCursorLimit(t *testing.T) {
	// Steps: "open" runs a query's first page (a cursor stays open), "finish" runs a query to its
	// end, "foreign N" lets another integration open N cursors. wantReleased lists the opened
	// cursors (by their order among "open" steps) whose locators must be released;
	// foreignReleased counts other integrations' cursors released.
	for _, tc := range []struct {
		name            string
		limits          salesforcetest.Limits
		faults          salesforcetest.Faults
		steps           []string
		wantReleased    []int
		foreignReleased int
		wantOpen        int
		wantPeak        int
	}{
		{name: "ten fit", steps: repeat("open", 10), wantOpen: 10, wantPeak: 10},
		{name: "the eleventh releases the oldest", steps: repeat("open", 11), wantReleased: []int{0}, wantOpen: 10, wantPeak: 10},
		{name: "thirteen release the three oldest", steps: repeat("open", 13), wantReleased: []int{0, 1, 2}, wantOpen: 10, wantPeak: 10},
		{name: "finished cursors do not count", steps: append(repeat("finish", 5), repeat("open", 10)...), wantOpen: 10, wantPeak: 10},
		{name: "another integration's cursors count", steps: append(repeat("open", 8), "foreign 3"), wantReleased: []int{0}, wantOpen: 10, wantPeak: 8},
		{name: "another integration's cursors are released too", steps: append([]string{"foreign 2"}, repeat("open", 9)...), foreignReleased: 1, wantOpen: 10, wantPeak: 9},
		{
			// Foreign cursors open before query requests 3, 6 and 9: c0 c1 f c2 c3 c4 f c5 c6 c7 f c8.
			name: "ForeignCursorEvery", faults: salesforcetest.Faults{ForeignCursorEvery: 3}, steps: repeat("open", 9),
			wantReleased: []int{0, 1}, wantOpen: 10, wantPeak: 8,
		},
		{name: "a smaller limit", limits: salesforcetest.Limits{QueryCursors: 3}, steps: repeat("open", 5), wantReleased: []int{0, 1}, wantOpen: 3, wantPeak: 3},
		{name: "turned off", limits: salesforcetest.Limits{QueryCursors: -1}, steps: repeat("open", 15), wantOpen: 15, wantPeak: 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, tok := cursorServer(t, tc.limits, tc.faults)
			var opened []queryPage
			for _, step := range tc.steps {
				switch {
				case step == "open":
					opened = append(opened, firstPage(t, s, tok, cursorQuery))
				case step == "finish":
					readToEnd(t, s, tok, firstPage(t, s, tok, cursorQuery))
				case strings.HasPrefix(step, "foreign "):
					n, _ := strconv.Atoi(strings.TrimPrefix(step, "foreign "))
					s.OpenForeignCursors(n)
				}
			}
			s.SetFaults(salesforcetest.Faults{}) // checking must not open more
			if got := s.OpenCursors(); got != tc.wantOpen {
				t.Errorf("OpenCursors = %d, want %d", got, tc.wantOpen)
			}
			if got := s.PeakCursors(); got != tc.wantPeak {
				t.Errorf("PeakCursors = %d, want %d", got, tc.wantPeak)
			}
			released := map[int]bool{}
			for _, i := range tc.wantReleased {
				released[i] = true
			}
			for i, p := range opened {
				r := get(t, s, tok, *p.NextRecordsURL, "Sforce-Query-Options", "batchSize=200")
				if released[i] {
					wantRESTError(t, r, http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
					if e := restErr(t, r); e["message"] != "invalid query locator" {
						t.Errorf("message %q", e["message"])
					}
					continue
				}
				if r.status != http.StatusOK {
					t.Fatalf("cursor %d, not released, answers %v", i, r)
				}
			}
			// The cursors not released go on to their end.
			for i, p := range opened {
				if !released[i] {
					readToEnd(t, s, tok, p)
				}
			}
			if got, want := s.OpenCursors(), tc.wantOpen-(len(opened)-len(tc.wantReleased)); got != want {
				t.Errorf("after reading every cursor to its end, OpenCursors = %d, want %d (other integrations')", got, want)
			}
			if got, want := s.ReleasedCursors(), len(tc.wantReleased)+tc.foreignReleased; got != want {
				t.Errorf("ReleasedCursors = %d, want %d", got, want)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestPeakCursorsResets checks that ResetCalls restarts PeakCursors from the cursors open now.
func TestPeakCursorsResets(t *testing.T) {
	s, tok := cursorServer(t, salesforcetest.Limits{}, salesforcetest.Faults{})
	a := firstPage(t, s, tok, cursorQuery)
	for range 3 {
		readToEnd(t, s, tok, firstPage(t, s, tok, cursorQuery))
	}
	firstPage(t, s, tok, cursorQuery)
	if got := s.PeakCursors(); got != 2 {
		t.Fatalf("PeakCursors = %d, want 2", got)
	}
	readToEnd(t, s, tok, a)
	s.ResetCalls()
	if got := s.PeakCursors(); got != 1 {
		t.Fatalf("after ResetCalls PeakCursors = %d, want the 1 open", got)
	}
}

func TestCursorIdleExpiry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		idle    time.Duration
		advance time.Duration
		expired bool
	}{
		{"used within 15 minutes", 0, 14 * time.Minute, false},
		{"idle 15 minutes", 0, 15 * time.Minute, true},
		{"idle a day", 0, 24 * time.Hour, true},
		{"longer CursorIdle", time.Hour, 30 * time.Minute, false},
		{"turned off", -1, 48 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, tok := cursorServer(t, salesforcetest.Limits{CursorIdle: tc.idle}, salesforcetest.Faults{})
			open := firstPage(t, s, tok, cursorQuery)
			// A finished cursor's pages stay replayable until it expires too.
			lastURL := readToEnd(t, s, tok, firstPage(t, s, tok, cursorQuery))
			before := s.Now()
			s.Advance(tc.advance)
			if got := s.Now().Sub(before); got != tc.advance {
				t.Errorf("the org clock moved %v, want %v", got, tc.advance)
			}
			for _, u := range []string{*open.NextRecordsURL, lastURL} {
				r := get(t, s, tok, u, "Sforce-Query-Options", "batchSize=200")
				if tc.expired {
					wantRESTError(t, r, http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
				} else if r.status != http.StatusOK {
					t.Errorf("%s after %v: %v", u, tc.advance, r)
				}
			}
			wantOpen := 1
			if tc.expired {
				wantOpen = 0
			}
			if got := s.OpenCursors(); got != wantOpen {
				t.Errorf("OpenCursors = %d, want %d", got, wantOpen)
			}
			if s.ReleasedCursors() != 0 {
				t.Errorf("expired cursors counted as released: %d", s.ReleasedCursors())
			}
		})
	}
}

// TestCursorIdleIsPerUse checks that every use of a locator restarts its idle time.
func TestCursorIdleIsPerUse(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Product2": 1000}})
	tok := soapLogin(t, s)
	p := firstPage(t, s, tok, cursorQuery)
	for i := range 3 {
		s.Advance(10 * time.Minute)
		r := get(t, s, tok, *p.NextRecordsURL, "Sforce-Query-Options", "batchSize=200")
		if r.status != http.StatusOK {
			t.Fatalf("page %d, 10 minutes after the one before: %v", i+1, r)
		}
		p = queryPage{}
		mustJSON(t, r.body, &p)
	}
}

func TestCachedQueryGetsItsOwnLocators(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Product2": 450}, CachePages: true, Limits: salesforcetest.Limits{QueryCursors: 2}})
	tok := soapLogin(t, s)
	a := firstPage(t, s, tok, cursorQuery)
	b := firstPage(t, s, tok, cursorQuery) // served from the cache
	if *a.NextRecordsURL == *b.NextRecordsURL {
		t.Fatalf("two executions share the locator %s", *a.NextRecordsURL)
	}
	firstPage(t, s, tok, cursorQuery) // releases a
	wantRESTError(t, get(t, s, tok, *a.NextRecordsURL, "Sforce-Query-Options", "batchSize=200"), http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
	readToEnd(t, s, tok, b)
	s.Advance(15 * time.Minute)
	wantRESTError(t, get(t, s, tok, *b.NextRecordsURL, "Sforce-Query-Options", "batchSize=200"), http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
}

func TestLocatorsPerSession(t *testing.T) {
	for _, perSession := range []bool{false, true} {
		t.Run(strconv.FormatBool(perSession), func(t *testing.T) {
			s, tok := cursorServer(t, salesforcetest.Limits{LocatorsPerSession: perSession}, salesforcetest.Faults{})
			other := oauthLogin(t, s)
			p := firstPage(t, s, tok, cursorQuery)
			r := get(t, s, other, *p.NextRecordsURL, "Sforce-Query-Options", "batchSize=200")
			if perSession {
				wantRESTError(t, r, http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
			} else if r.status != http.StatusOK {
				t.Fatalf("another session: %v", r)
			}
			if r := get(t, s, tok, *p.NextRecordsURL, "Sforce-Query-Options", "batchSize=200"); r.status != http.StatusOK {
				t.Fatalf("the session that opened it: %v", r)
			}
		})
	}
}

func TestRequestSizeLimit(t *testing.T) {
	golden414 := strings.TrimSpace(string(readFixture(t, "uri_too_long.html")))
	const body431 = "<h1>Bad Message 431</h1><pre>reason: Request Header Fields Too Large</pre>"
	for _, tc := range []struct {
		name     string
		limits   salesforcetest.Limits
		method   string
		path     string
		uriLen   int // padded to this RequestURI length
		pad      int // bytes of an extra header's value
		want     int
		wantBody string
	}{
		{"short query", salesforcetest.Limits{}, http.MethodGet, "query", 2000, 0, http.StatusOK, ""},
		{"long URI with small headers", salesforcetest.Limits{}, http.MethodGet, "query", 16000, 0, http.StatusOK, ""},
		{"URI at the limit: headers push it over", salesforcetest.Limits{}, http.MethodGet, "query", 16384, 0, 431, body431},
		{"URI over the limit", salesforcetest.Limits{}, http.MethodGet, "query", 16385, 0, 414, golden414},
		{"URI plus big headers", salesforcetest.Limits{}, http.MethodGet, "query", 15000, 2000, 431, body431},
		{"Bulk job", salesforcetest.Limits{}, http.MethodGet, "jobs/query", 20000, 0, 414, golden414},
		{"OAuth login", salesforcetest.Limits{}, http.MethodPost, "/services/oauth2/token", 20000, 0, 414, golden414},
		{"a smaller limit", salesforcetest.Limits{URIBytes: 4096}, http.MethodGet, "query", 5000, 0, 414, golden414},
		{"turned off", salesforcetest.Limits{URIBytes: -1}, http.MethodGet, "query", 60000, 20000, http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, salesforcetest.Options{Limits: tc.limits})
			tok := soapLogin(t, s)
			path := tc.path
			if !strings.HasPrefix(path, "/") {
				path = "/services/data/" + apiVer + "/" + path
			}
			// A query whose string literal pads the URI to the length wanted.
			head := path + "?q=" + url.QueryEscape("SELECT Id FROM Account WHERE Name = '")
			tail := url.QueryEscape("'")
			uri := head + strings.Repeat("x", tc.uriLen-len(head)-len(tail)) + tail
			req, err := http.NewRequest(tc.method, s.URL()+uri, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			if tc.pad > 0 {
				req.Header.Set("X-Padding", strings.Repeat("p", tc.pad))
			}
			s.ResetCalls()
			r := do(t, req)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d (%.200s)", r.status, tc.want, r.body)
			}
			if tc.wantBody == "" {
				return
			}
			if string(r.body) != tc.wantBody {
				t.Errorf("body %q, want %q", r.body, tc.wantBody)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want text/html", ct)
			}
			if r.header.Get("Sforce-Limit-Info") != "" {
				t.Error("a request refused at the edge carries Sforce-Limit-Info")
			}
			if calls := s.Calls(); len(calls) != 1 || calls[0].Status != tc.want {
				t.Errorf("call log %+v", calls)
			}
		})
	}
}

func TestSOQLLengthLimit(t *testing.T) {
	// soqlOf returns a valid query of exactly n characters.
	soqlOf := func(n int) string {
		head, tail := "SELECT Id FROM Account WHERE Name = '", "'"
		return head + strings.Repeat("y", n-len(head)-len(tail)) + tail
	}
	const msg = "SOQL statements can not be longer than 100000 characters"
	for _, tc := range []struct {
		name   string
		limits salesforcetest.Limits
		chars  int
		wantOK bool
		msg    string
	}{
		{"at the limit", salesforcetest.Limits{URIBytes: -1}, 100000, true, ""},
		{"over the limit", salesforcetest.Limits{URIBytes: -1}, 100001, false, msg},
		{"a smaller limit", salesforcetest.Limits{SOQLChars: 500}, 501, false, "SOQL statements can not be longer than 500 characters"},
		{"turned off", salesforcetest.Limits{URIBytes: -1, SOQLChars: -1}, 150000, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, salesforcetest.Options{Limits: tc.limits, BulkJobPolls: -1})
			tok := oauthLogin(t, s)
			q := soqlOf(tc.chars)
			rest := get(t, s, tok, "query?q="+url.QueryEscape(q))
			bulk := call(t, s, tok, http.MethodPost, "jobs/query", jobRequest("query", q))
			for api, r := range map[string]response{"REST": rest, "Bulk": bulk} {
				if tc.wantOK {
					if r.status != http.StatusOK {
						t.Errorf("%s: %v", api, r)
					}
					continue
				}
				wantRESTError(t, r, http.StatusBadRequest, "MALFORMED_QUERY")
				if e := restErr(t, r); e["message"] != tc.msg {
					t.Errorf("%s: message %q, want %q", api, e["message"], tc.msg)
				}
			}
		})
	}
}

// limitUsage reads the used count of Sforce-Limit-Info's api-usage=N/M.
func limitUsage(t *testing.T, r response) int {
	t.Helper()
	v := r.header.Get("Sforce-Limit-Info")
	used, _, ok := strings.Cut(strings.TrimPrefix(strings.Split(v, ";")[0], "api-usage="), "/")
	n, err := strconv.Atoi(used)
	if !ok || err != nil {
		t.Fatalf("Sforce-Limit-Info %q", v)
	}
	return n
}

func TestConcurrentLimitRate(t *testing.T) {
	run := func() []string {
		s := newServer(t, salesforcetest.Options{Faults: salesforcetest.Faults{Seed: 7, ConcurrentLimitRate: 0.4}})
		tok := soapLogin(t, s)
		var out []string
		ok := 0
		for range 50 {
			r := get(t, s, tok, "limits")
			switch r.status {
			case http.StatusOK:
				ok++
				out = append(out, "ok")
			case http.StatusForbidden:
				wantRESTError(t, r, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED")
				out = append(out, restErr(t, r)["message"].(string))
			default:
				t.Fatalf("unexpected %v", r)
			}
			if used := limitUsage(t, r); used != ok {
				t.Fatalf("api-usage %d after %d successful calls: refusals were counted", used, ok)
			}
		}
		return out
	}
	a := run()
	want := []string{"ConcurrentRequests (Concurrent API Requests) Limit exceeded.", "ConcurrentPerOrgLongTxn Limit exceeded."}
	k := 0
	for _, m := range a {
		if m == "ok" {
			continue
		}
		if m != want[k%2] {
			t.Fatalf("refusal %d says %q, want %q (alternating)", k, m, want[k%2])
		}
		k++
	}
	if k < 5 || k > 40 {
		t.Fatalf("%d refusals of 50 at rate 0.4", k)
	}
	if b := run(); !equalStrings(a, b) {
		t.Errorf("same seed, different refusals:\n%v\n%v", a, b)
	}
}

// TestConcurrentLongRequests holds requests in flight with a gate and moves a fake real-time
// clock past LongRequest, so nothing depends on timing.
func TestConcurrentLongRequests(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limits  salesforcetest.Limits
		refused bool
	}{
		{"two long requests of two allowed", salesforcetest.Limits{ConcurrentLongRequests: 2, LongRequest: time.Second}, true},
		{"three allowed", salesforcetest.Limits{ConcurrentLongRequests: 3, LongRequest: time.Second}, false},
		{"turned off", salesforcetest.Limits{ConcurrentLongRequests: -1, LongRequest: time.Second}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, salesforcetest.Options{Limits: tc.limits, Faults: salesforcetest.Faults{Latency: time.Millisecond}})
			tok := soapLogin(t, s)
			var mu sync.Mutex
			now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			s.SetWall(func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				return now
			})
			arrived := make(chan struct{})
			release := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
			s.SetHold(func(r *http.Request) {
				if gate := release[r.Header.Get("X-Hold")]; gate != nil {
					arrived <- struct{}{}
					<-gate
				}
			})
			done := map[string]chan response{}
			for _, name := range []string{"a", "b"} {
				res := make(chan response, 1)
				done[name] = res
				go func() {
					req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services/data/"+apiVer+"/limits", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("X-Hold", name)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						res <- response{}
						return
					}
					resp.Body.Close()
					res <- response{status: resp.StatusCode}
				}()
				<-arrived
			}
			if r := get(t, s, tok, "limits"); r.status != http.StatusOK {
				t.Fatalf("with two requests in flight for 0s: %v", r)
			}
			mu.Lock()
			now = now.Add(time.Second)
			mu.Unlock()
			r := get(t, s, tok, "limits")
			if tc.refused {
				wantRESTError(t, r, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED")
				if m := restErr(t, r)["message"]; m != "ConcurrentPerOrgLongTxn Limit exceeded." {
					t.Errorf("message %q", m)
				}
				if used := limitUsage(t, r); used != 3 {
					t.Errorf("api-usage %d, want 3 (the refusal is not counted)", used)
				}
			} else if r.status != http.StatusOK {
				t.Fatalf("with two long requests in flight: %v", r)
			}
			close(release["a"])
			if r := <-done["a"]; r.status != http.StatusOK {
				t.Fatalf("held request a: %v", r)
			}
			if r := get(t, s, tok, "limits"); r.status != http.StatusOK {
				t.Fatalf("with one long request left: %v", r)
			}
			close(release["b"])
			if r := <-done["b"]; r.status != http.StatusOK {
				t.Fatalf("held request b: %v", r)
			}
		})
	}
}

func TestBulkUnsupportedObject(t *testing.T) {
	s := newServer(t, salesforcetest.Options{BulkUnsupported: []string{"task"}, BulkJobPolls: -1})
	tok := oauthLogin(t, s)
	for _, tc := range []struct {
		soql, state, msg string
	}{
		{"SELECT Id, Subject FROM Task", "Failed", "Entity 'Task' is not supported by the Bulk API."},
		{"SELECT Id, Name FROM Account", "JobComplete", ""},
	} {
		id := createJob(t, s, tok, "query", tc.soql)["id"].(string)
		info, _ := waitJob(t, s, tok, id)
		if info["state"] != tc.state || tc.msg != "" && info["errorMessage"] != tc.msg {
			t.Errorf("%s: job ended %v", tc.soql, info)
		}
	}
	// REST still reads the object.
	if p := queryAllPages(t, s, tok, "query", "SELECT Id FROM Task LIMIT 10"); len(p[0].Records) != 10 {
		t.Errorf("REST query of Task: %+v", p)
	}
}

func TestNoLimits(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Product2": 450}, Limits: salesforcetest.NoLimits()})
	tok := soapLogin(t, s)
	var opened []queryPage
	for range 20 {
		opened = append(opened, firstPage(t, s, tok, cursorQuery))
	}
	s.Advance(24 * time.Hour)
	for _, p := range opened {
		readToEnd(t, s, tok, p)
	}
	long := "SELECT Id FROM Account WHERE Name = '" + strings.Repeat("z", 120000) + "'"
	if r := get(t, s, tok, "query?q="+url.QueryEscape(long)); r.status != http.StatusOK {
		t.Fatalf("long query without limits: %v", r)
	}
}

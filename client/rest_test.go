package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixtureServer serves fixtures by request path (query included when the key has one).
func fixtureServer(t *testing.T, routes map[string]string) *server {
	t.Helper()
	return newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if !authOK(r, secretSession) {
			invalidSession(w, t)
			return
		}
		name, ok := routes[r.URL.RequestURI()]
		if !ok {
			name, ok = routes[r.URL.Path]
		}
		if !ok {
			t.Errorf("unexpected request %s", r.URL.RequestURI())
			http.NotFound(w, r)
			return
		}
		status := 200
		if strings.Contains(name, "error") {
			status = 404
			if strings.Contains(name, "query_error") {
				status = 400
			}
		}
		w.Header().Set("Sforce-Limit-Info", "api-usage=18/5000")
		writeJSON(w, status, fixture(t, name))
	})
}

func TestVersionsGolden(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/services/data/" || r.Header.Get("Authorization") != "" {
			t.Errorf("versions request %s with auth %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		writeJSON(w, 200, fixture(t, "restforce/services_data_success_response.json"))
	})
	got, err := sessionClient(t, srv).Versions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Version{{"Winter '11", "/services/data/v20.0", "20.0"}, {"Spring '86", "/services/data/v100", "100"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDescribeGlobalGolden(t *testing.T) {
	tests := []struct {
		fixture string
		names   []string
		nilKey  string // object whose keyPrefix is null
	}{
		{"restforce/sobject/describe_sobjects_success_response.json", []string{"Account"}, ""},
		{"camel/globalObjects.json", []string{"AcceptedEventRelation", "Account", "AccountCleanInfo", "AccountContactRole"}, "AcceptedEventRelation"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			srv := fixtureServer(t, map[string]string{"/services/data/v64.0/sobjects/": tt.fixture})
			g, err := sessionClient(t, srv).DescribeGlobal(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if g.Encoding != "UTF-8" || g.MaxBatchSize != 200 || len(g.SObjects) != len(tt.names) {
				t.Fatalf("got %+v", g)
			}
			for i, o := range g.SObjects {
				if o.Name != tt.names[i] || !o.Queryable {
					t.Errorf("object %d: %+v", i, o)
				}
				if (o.KeyPrefix == nil) != (o.Name == tt.nilKey) {
					t.Errorf("%s keyPrefix %v", o.Name, o.KeyPrefix)
				}
			}
			if acc := g.SObjects[indexOf(tt.names, "Account")]; *acc.KeyPrefix != "001" || !acc.Replicateable || acc.URLs["describe"] == "" {
				t.Errorf("Account: %+v", acc)
			}
		})
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestDescribeGolden(t *testing.T) {
	tests := []struct {
		object, fixture string
		fields          int
		check           func(t *testing.T, d *SObjectDescribe)
	}{
		{"Whizbang", "restforce/sobject/sobject_describe_success_response.json", 30, func(t *testing.T, d *SObjectDescribe) {
			types := map[string]bool{}
			for _, f := range d.Fields {
				types[f.Type] = true
			}
			for _, typ := range []string{"id", "boolean", "string", "datetime", "date", "picklist", "multipicklist", "currency", "reference"} {
				if !types[typ] {
					t.Errorf("no field of type %s", typ)
				}
			}
		}},
		{"DateTestObject__c", "nifi/describe_sobject.json", 0, func(t *testing.T, d *SObjectDescribe) {
			f := field(d, "time__c")
			if f == nil || f.Type != "time" || f.SOAPType != "xsd:time" {
				t.Errorf("time__c: %+v", f)
			}
			if !d.Custom || len(d.RecordTypeInfos) != 1 || d.RecordTypeInfos[0].DeveloperName != "Master" {
				t.Errorf("describe: custom %v record types %+v", d.Custom, d.RecordTypeInfos)
			}
		}},
		{"Merchandise__c", "camel/objectDescription.json", 15, func(t *testing.T, d *SObjectDescribe) {
			var cur *Field
			for i := range d.Fields {
				if d.Fields[i].Type == "currency" {
					cur = &d.Fields[i]
				}
			}
			if cur == nil || cur.Precision != 18 || cur.Scale != 2 {
				t.Errorf("currency field: %+v", cur)
			}
			if len(d.ChildRelationships) != 22 {
				t.Errorf("%d child relationships, want 22", len(d.ChildRelationships))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			srv := fixtureServer(t, map[string]string{"/services/data/v64.0/sobjects/" + tt.object + "/describe": tt.fixture})
			d, err := sessionClient(t, srv).Describe(context.Background(), tt.object)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != tt.object || (tt.fields > 0 && len(d.Fields) != tt.fields) {
				t.Errorf("name %s, %d fields", d.Name, len(d.Fields))
			}
			tt.check(t, d)
		})
	}
}

func field(d *SObjectDescribe, name string) *Field {
	for i := range d.Fields {
		if d.Fields[i].Name == name {
			return &d.Fields[i]
		}
	}
	return nil
}

func TestDescribeNotFound(t *testing.T) {
	srv := fixtureServer(t, map[string]string{"/services/data/v64.0/sobjects/Nope__c/describe": "restforce/sobject/sobject_describe_error_response.json"})
	c := sessionClient(t, srv)
	_, err := c.Describe(context.Background(), "Nope__c")
	var ae *APIError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.StatusCode != 404 || ae.ErrorCode != CodeNotFound || ae.Method != "GET" {
		t.Fatalf("got %v", err)
	}
	// The 404 is not retried; it looks up the versions list once (checkVersion), which the
	// fixture server does not serve, so the 404 stands.
	if srv.calls.Load() != 2 {
		t.Errorf("404 was retried: %d calls", srv.calls.Load())
	}
	if _, err := c.Describe(context.Background(), "Account/../limits"); err == nil || srv.calls.Load() != 2 {
		t.Errorf("a path in the object name was sent: %v", err)
	}
	if _, err := c.Describe(context.Background(), "Nope__c"); !errors.Is(err, ErrNotFound) || srv.calls.Load() != 3 {
		t.Errorf("another 404: %v, %d calls; want ErrNotFound and no second look at the versions list", err, srv.calls.Load())
	}
}

func TestDescribeCacheRevalidates(t *testing.T) {
	const lastMod = "Tue, 01 Apr 2025 10:00:00 GMT"
	var mu sync.Mutex
	modified := false
	var seen []string
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		ims := r.Header.Get("If-Modified-Since")
		seen = append(seen, ims)
		if ims == lastMod && !modified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lastMod)
		body := fixture(t, "nifi/describe_sobject.json")
		if modified {
			body = bytes.Replace(body, []byte(`"label" : "DateTestObject"`), []byte(`"label" : "Renamed"`), 1)
		}
		writeJSON(w, 200, body)
	})
	c := sessionClient(t, srv)
	ctx := context.Background()
	first, err := c.Describe(ctx, "DateTestObject__c")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Describe(ctx, "datetestobject__c")
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Error("304 did not return the cached describe")
	}
	mu.Lock()
	modified = true
	mu.Unlock()
	third, err := c.Describe(ctx, "DateTestObject__c")
	if err != nil {
		t.Fatal(err)
	}
	if third == first || third.Label != "Renamed" {
		t.Errorf("a changed describe was not refreshed: label %q", third.Label)
	}
	if want := []string{"", lastMod, lastMod}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("If-Modified-Since sent: %q, want %q", seen, want)
	}
}

func TestLimitsGolden(t *testing.T) {
	nested := `{"DailyApiRequests":{"Remaining":14998,"Max":15000,"Ant Migration Tool":{"Max":0,"Remaining":0}},` +
		`"PermissionSets":{"Max":1500,"Remaining":1499,"CreateCustom":{"Max":1000,"Remaining":999}}}`
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "camel/limits.json"))
	})
	c := sessionClient(t, srv)
	l, err := c.Limits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 23 || l["DailyApiRequests"].Max != 15000 || l["DailyApiRequests"].Remaining != 14998 ||
		l["HourlyODataCallout"].Max != 10000 || l["HourlyODataCallout"].Remaining != 9999 {
		t.Errorf("limits %+v", l)
	}
	var n Limits
	if err := json.Unmarshal([]byte(nested), &n); err != nil {
		t.Fatal(err)
	}
	if ps := n["PermissionSets"]; ps.Max != 1500 || ps.Sub["CreateCustom"].Remaining != 999 || n["DailyApiRequests"].Sub["Ant Migration Tool"].Max != 0 {
		t.Errorf("nested limits %+v", n)
	}
}

func TestQueryGolden(t *testing.T) {
	tests := []struct {
		name    string
		routes  map[string]string
		pages   int
		records int
		check   func(t *testing.T, recs []json.RawMessage)
	}{
		{"relationships and subquery", map[string]string{"/services/data/v64.0/query": "restforce/sobject/query_success_response.json"}, 1, 1,
			func(t *testing.T, recs []json.RawMessage) {
				var r struct {
					DateTime string                `json:"DateTime_Label"`
					Date     string                `json:"Date_Label"`
					Parent   struct{ Name string } `json:"ParentWhizbang__r"`
					Children struct {
						TotalSize int               `json:"totalSize"`
						Records   []json.RawMessage `json:"records"`
					} `json:"Whizbangs__r"`
				}
				if err := json.Unmarshal(recs[0], &r); err != nil {
					t.Fatal(err)
				}
				dt, err := ParseDateTime(r.DateTime)
				if err != nil || !dt.Equal(time.Date(2011, 7, 7, 0, 37, 0, 0, time.UTC)) {
					t.Errorf("DateTime_Label %q -> %v %v", r.DateTime, dt, err)
				}
				if d, err := ParseDate(r.Date); err != nil || d.Year() != 2010 {
					t.Errorf("Date_Label %q -> %v %v", r.Date, d, err)
				}
				if r.Parent.Name != "Parent Whizbang" || r.Children.TotalSize != 1 || len(r.Children.Records) != 1 {
					t.Errorf("record %+v", r)
				}
			}},
		{"paginated", map[string]string{
			"/services/data/v64.0/query":      "restforce/sobject/query_paginated_first_page_response.json",
			"/services/data/v26.0/query/01gD": "restforce/sobject/query_paginated_last_page_response.json",
		}, 2, 2, func(t *testing.T, recs []json.RawMessage) {
			if !bytes.Contains(recs[0], []byte("First Page")) || !bytes.Contains(recs[1], []byte("Last Page")) {
				t.Errorf("records %s", recs)
			}
		}},
		{"empty", map[string]string{"/services/data/v64.0/query": "restforce/sobject/query_empty_response.json"}, 1, 0, nil},
		{"aggregate", map[string]string{"/services/data/v64.0/query": "restforce/sobject/query_aggregate_success_response.json"}, 1, 3,
			func(t *testing.T, recs []json.RawMessage) {
				if !bytes.Contains(recs[2], []byte(`"expr0" : 400`)) {
					t.Errorf("aggregate record changed: %s", recs[2])
				}
			}},
		{"date time and time values", map[string]string{"/services/data/v64.0/query": "nifi/query_sobject.json"}, 1, 1,
			func(t *testing.T, recs []json.RawMessage) {
				var r map[string]any
				json.Unmarshal(recs[0], &r)
				if dt, err := ParseDateTime(r["datetime__c"].(string)); err != nil || dt.Hour() != 13 {
					t.Errorf("datetime__c: %v %v", dt, err)
				}
				if tm, err := ParseTime(r["time__c"].(string)); err != nil || tm.Hour() != 13 || tm.Second() != 30 {
					t.Errorf("time__c: %v %v", tm, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sessionClient(t, fixtureServer(t, tt.routes))
			var recs []json.RawMessage
			pages := 0
			for p, err := range c.Query(context.Background(), "SELECT Id FROM Whizbang") {
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if p.Number != pages {
					t.Errorf("page number %d, want %d", p.Number, pages)
				}
				recs = append(recs, p.Records...)
			}
			if pages != tt.pages || len(recs) != tt.records {
				t.Fatalf("%d pages, %d records; want %d, %d", pages, len(recs), tt.pages, tt.records)
			}
			if tt.check != nil {
				tt.check(t, recs)
			}
			if u := c.Usage(); u.Used != 18 || u.Max != 5000 {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestQueryErrorNotRetried(t *testing.T) {
	srv := fixtureServer(t, map[string]string{"/services/data/v64.0/query": "restforce/sobject/query_error_response.json"})
	c := sessionClient(t, srv)
	n := 0
	for p, err := range c.Query(context.Background(), "SELECT Foo FROM Account") {
		n++
		var ae *APIError
		if p != nil || !errors.Is(err, ErrInvalidField) || !errors.As(err, &ae) || ae.StatusCode != 400 {
			t.Errorf("got %v, %v", p, err)
		}
		if !strings.Contains(err.Error(), "query page 1") {
			t.Errorf("error lacks context: %v", err)
		}
	}
	if n != 1 || srv.calls.Load() != 1 {
		t.Errorf("%d yields, %d calls; want 1, 1", n, srv.calls.Load())
	}
}

// pagedServer serves total records in pages of the given irregular sizes and records each
// requested URL. Records are {"attributes":..,"Id":"001..N"}.
type pagedServer struct {
	*server
	mu        sync.Mutex
	requested []string
	batchSize []string
}

func newPagedServer(t *testing.T, sizes []int, resource string, fail func(n int, w http.ResponseWriter, r *http.Request) bool) *pagedServer {
	total := 0
	for _, s := range sizes {
		total += s
	}
	ps := &pagedServer{}
	ps.server = newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		ps.requested = append(ps.requested, r.URL.RequestURI())
		ps.batchSize = append(ps.batchSize, r.Header.Get("Sforce-Query-Options"))
		n := len(ps.requested)
		ps.mu.Unlock()
		if fail != nil && fail(n, w, r) {
			return
		}
		page := 0
		switch {
		case r.URL.Path == "/services/data/v64.0/"+resource:
			if r.URL.Query().Get("q") != "SELECT Id FROM Account" {
				t.Errorf("q = %q", r.URL.Query().Get("q"))
			}
		case strings.HasPrefix(r.URL.Path, "/services/data/v64.0/query/01gxx-"):
			// A queryAll's locator may still say /query/.
			page, _ = strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/services/data/v64.0/query/01gxx-"))
		default:
			t.Errorf("unexpected %s", r.URL.RequestURI())
			http.NotFound(w, r)
			return
		}
		start := 0
		for _, s := range sizes[:page] {
			start += s
		}
		recs := make([]string, 0, sizes[page])
		for i := start; i < start+sizes[page]; i++ {
			recs = append(recs, fmt.Sprintf(`{"attributes":{"type":"Account","url":"/services/data/v64.0/sobjects/Account/001%015d"},"Id":"001%015d","Name":"a;b \"q\""}`, i, i))
		}
		body := fmt.Sprintf(`{"totalSize":%d,"done":%t,`, total, page == len(sizes)-1)
		if page < len(sizes)-1 {
			body += fmt.Sprintf(`"nextRecordsUrl":"/services/data/v64.0/query/01gxx-%d",`, page+1)
		}
		body += `"records":[` + strings.Join(recs, ",") + `]}`
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/5000; per-app-api-usage=%d/250(appName=sfdlt)", 100+n, n))
		writeJSON(w, 200, body)
	})
	return ps
}

// collectIDs runs a query and returns the record ids in order, failing on duplicates.
func collectIDs(t *testing.T, seq func(yield func(*Page, error) bool)) ([]string, error) {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	for p, err := range seq {
		if err != nil {
			return ids, err
		}
		for _, raw := range p.Records {
			var r struct{ Id string }
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			if seen[r.Id] {
				t.Errorf("record %s yielded twice", r.Id)
			}
			seen[r.Id] = true
			ids = append(ids, r.Id)
		}
	}
	return ids, nil
}

func wantIDs(t *testing.T, ids []string, total int) {
	t.Helper()
	if len(ids) != total {
		t.Fatalf("%d records, want %d", len(ids), total)
	}
	for i, id := range ids {
		if id != fmt.Sprintf("001%015d", i) {
			t.Fatalf("record %d is %s: out of order", i, id)
		}
	}
}

func TestQueryIrregularPages(t *testing.T) {
	sizes := []int{7, 1, 13, 0, 2, 2000, 5}
	for _, resource := range []string{"query", "queryAll"} {
		t.Run(resource, func(t *testing.T) {
			srv := newPagedServer(t, sizes, resource, nil)
			c := sessionClient(t, srv.server)
			seq := c.Query
			if resource == "queryAll" {
				seq = c.QueryAll
			}
			pageSizes := []int{}
			var totals []int
			for p, err := range seq(context.Background(), "SELECT Id FROM Account", BatchSize(200)) {
				if err != nil {
					t.Fatal(err)
				}
				pageSizes = append(pageSizes, len(p.Records))
				totals = append(totals, p.TotalSize)
			}
			if fmt.Sprint(pageSizes) != fmt.Sprint(sizes) {
				t.Errorf("page sizes %v, want %v", pageSizes, sizes)
			}
			if totals[0] != 2028 || totals[len(totals)-1] != 2028 {
				t.Errorf("totalSize per page %v", totals)
			}
			for i, h := range srv.batchSize {
				if h != "batchSize=200" {
					t.Errorf("request %d Sforce-Query-Options %q", i, h)
				}
			}
			ids, err := collectIDs(t, seq(context.Background(), "SELECT Id FROM Account"))
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, ids, 2028)
			u := c.Usage()
			if u.Max != 5000 || u.Used != 100+int64(2*len(sizes)) || len(u.PerApp) != 1 || u.PerApp[0].App != "sfdlt" || u.PerApp[0].Max != 250 {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestQueryStopsWhenConsumerStops(t *testing.T) {
	srv := newPagedServer(t, []int{3, 3, 3}, "query", nil)
	c := sessionClient(t, srv.server)
	for range c.Query(context.Background(), "SELECT Id FROM Account") {
		break
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("%d requests after the consumer stopped at page 1, want 1", n)
	}
}

func TestQueryOptionErrors(t *testing.T) {
	srv := newPagedServer(t, []int{1}, "query", nil)
	c := sessionClient(t, srv.server)
	for _, n := range []int{0, 199, 2001} {
		for _, err := range c.Query(context.Background(), "SELECT Id FROM Account", BatchSize(n)) {
			if err == nil || !strings.Contains(err.Error(), "200 to 2000") {
				t.Errorf("BatchSize(%d): %v", n, err)
			}
		}
	}
	if srv.calls.Load() != 0 {
		t.Error("an invalid option still sent the query")
	}
}

func TestQueryBrokenPaging(t *testing.T) {
	for name, body := range map[string]string{
		"not done without next": `{"totalSize":5,"done":false,"records":[]}`,
		"next is itself":        `{"totalSize":5,"done":false,"nextRecordsUrl":"/services/data/v64.0/query?q=SELECT+Id+FROM+Account","records":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) })
			for p, err := range sessionClient(t, srv).Query(context.Background(), "SELECT Id FROM Account") {
				if err == nil {
					t.Fatalf("page %+v accepted", p)
				}
			}
		})
	}
}

func TestDeletedGolden(t *testing.T) {
	start := time.Date(2013, 5, 5, 0, 0, 0, 0, time.UTC)
	end := time.Date(2013, 5, 10, 12, 30, 0, 0, time.FixedZone("x", 3600))
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/services/data/v64.0/sobjects/Whizbang__c/deleted/" || q.Get("start") != "2013-05-05T00:00:00+00:00" || q.Get("end") != "2013-05-10T11:30:00+00:00" {
			t.Errorf("request %s", r.URL.RequestURI())
		}
		if !strings.Contains(r.URL.RawQuery, "%2B00%3A00") {
			t.Errorf("the + of the offset is not escaped: %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, fixture(t, "restforce/sobject/get_deleted_success_response.json"))
	})
	d, err := sessionClient(t, srv).Deleted(context.Background(), "Whizbang__c", start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Records) != 1 || d.Records[0].ID != "a00D0000008pQRAIA2" || !d.Records[0].DeletedDate.Equal(time.Date(2013, 5, 7, 22, 7, 19, 0, time.UTC)) ||
		!d.EarliestDateAvailable.Equal(time.Date(2013, 5, 3, 15, 57, 0, 0, time.UTC)) || !d.LatestDateCovered.Equal(time.Date(2013, 5, 8, 21, 20, 0, 0, time.UTC)) {
		t.Errorf("deleted %+v", d)
	}
	if _, err := sessionClient(t, srv).Deleted(context.Background(), "Whizbang__c", end, start); err == nil {
		t.Error("end before start accepted")
	}
}

func TestGzipAndMediaTypes(t *testing.T) {
	body := fixture(t, "restforce/sobject/query_success_response.json")
	tests := []struct {
		name       string
		gzipIt     bool
		encoding   string
		wantCalled bool
	}{
		{"gzip honoured", true, "gzip", true},
		{"gzip ignored", false, "", true},
		{"plain body labelled gzip", false, "gzip", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Accept-Encoding") != "gzip" {
					t.Errorf("Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
				}
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				if tt.gzipIt {
					zw := gzip.NewWriter(w)
					zw.Write(body)
					zw.Close()
					return
				}
				w.Write(body)
			})
			n := 0
			for p, err := range sessionClient(t, srv).Query(context.Background(), "SELECT Id FROM Whizbang") {
				if err != nil {
					t.Fatal(err)
				}
				n += len(p.Records)
			}
			if n != 1 {
				t.Errorf("%d records", n)
			}
		})
	}
}

func TestParseLimitInfo(t *testing.T) {
	tests := []struct {
		in     string
		used   int64
		max    int64
		perApp []AppUsage
		ok     bool
	}{
		{"api-usage=18/5000", 18, 5000, nil, true},
		{"api-usage=18/5000; per-app-api-usage=17/250(appName=sample-connected-app)", 18, 5000, []AppUsage{{"sample-connected-app", 17, 250}}, true},
		{"api-usage=18/5000;per-app-api-usage=17/250(appName=x);api-bursts=1/750", 18, 5000, []AppUsage{{"x", 17, 250}}, true},
		{"per-app-api-usage=1/2(appName=a=b)", 0, 0, []AppUsage{{"a=b", 1, 2}}, true},
		{"api-usage=x/5000", 0, 0, nil, false},
		{"", 0, 0, nil, false},
		{"garbage;;==/", 0, 0, nil, false},
	}
	for _, tt := range tests {
		u, ok := ParseLimitInfo(tt.in)
		if ok != tt.ok || u.Used != tt.used || u.Max != tt.max || fmt.Sprint(u.PerApp) != fmt.Sprint(tt.perApp) {
			t.Errorf("ParseLimitInfo(%q) = %+v, %v", tt.in, u, ok)
		}
	}
}

func TestDomainMapping(t *testing.T) {
	tests := []struct{ domain, loginURL, want, err string }{
		{"", "", "https://login.salesforce.com", ""},
		{"login", "", "https://login.salesforce.com", ""},
		{"test", "", "https://test.salesforce.com", ""},
		{"acme.my", "", "https://acme.my.salesforce.com", ""},
		{"acme--uat.sandbox.my", "", "https://acme--uat.sandbox.my.salesforce.com", ""},
		{"Acme.My.salesforce.com", "", "https://acme.my.salesforce.com", ""},
		{"acme.my", "https://acme.my.salesforce.com/", "https://acme.my.salesforce.com", ""},
		{"", "http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"", "http://127.1.2.3:8080/", "http://127.1.2.3:8080", ""},
		{"", "http://[::1]:9000", "http://[::1]:9000", ""},
		{"", "http://localhost:9000", "http://localhost:9000", ""},
		{"", "https://acme.my.site.com/partners", "https://acme.my.site.com/partners", ""},
		{"", "http://login.salesforce.com", "", "non-loopback"},
		{"", "http://10.0.0.1", "", "non-loopback"},
		{"", "http://127.0.0.1.nip.io", "", "non-loopback"},
		{"", "http://[::2]", "", "non-loopback"},
		{"", "ftp://127.0.0.1", "", "https"},
		{"", "acme.my.salesforce.com", "", "absolute URL"},
		{"", "https://user:pw@acme.my.salesforce.com", "", "user info"},
		{"https://acme.my.salesforce.com", "", "", "bare name"},
		{"acme.my/x", "", "", "bare name"},
	}
	for _, tt := range tests {
		got, err := loginBaseURL(tt.domain, tt.loginURL)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("(%q, %q) = %q, %v; want %q", tt.domain, tt.loginURL, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("(%q, %q) = %q, %v; want an error with %q", tt.domain, tt.loginURL, got, err, tt.err)
		}
	}
}

func TestResolveRefusesOtherHosts(t *testing.T) {
	c := &Client{apiVersion: "64.0"}
	inst := "https://acme.my.salesforce.com"
	tests := []struct{ path, want string }{
		{"/services/data/v64.0/jobs/query", inst + "/services/data/v64.0/jobs/query"},
		{"jobs/query/750x/results?locator=abc", inst + "/services/data/v64.0/jobs/query/750x/results?locator=abc"},
		{inst + "/services/data/v64.0/limits", inst + "/services/data/v64.0/limits"},
		{"https://evil.example.com/services/data", ""},
		{"http://acme.my.salesforce.com/services/data", ""},
	}
	for _, tt := range tests {
		got, err := c.resolve(inst, tt.path)
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("resolve(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
	if _, err := url.Parse(inst); err != nil {
		t.Fatal(err)
	}
}

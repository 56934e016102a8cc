package salesforcetest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestQueryPagesEveryRecordExactlyOnce(t *testing.T) {
	const n = 5000
	s := newServer(t, salesforcetest.Options{Seed: 7, Counts: map[string]int{"Opportunity": n}})
	tok := oauthLogin(t, s)
	tests := []struct {
		name      string
		faults    salesforcetest.Faults
		hdr       []string
		wantSizes []int // nil: only "no page larger than asked"
		maxPage   int
	}{
		{"default pages", salesforcetest.Faults{}, nil, []int{2000, 2000, 1000}, 2000},
		{"batchSize 500", salesforcetest.Faults{}, []string{"Sforce-Query-Options", "batchSize=500"}, []int{500, 500, 500, 500, 500, 500, 500, 500, 500, 500}, 500},
		{"batchSize below minimum", salesforcetest.Faults{}, []string{"Sforce-Query-Options", "batchSize=10"}, nil, 200},
		{"irregular pages", salesforcetest.Faults{Seed: 3, IrregularPages: true}, nil, nil, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetFaults(tt.faults)
			t.Cleanup(func() { s.SetFaults(salesforcetest.Faults{}) })
			pages := queryAllPages(t, s, tok, "query", "SELECT Id, Name, SystemModstamp FROM Opportunity", tt.hdr...)
			seen := map[string]bool{}
			var sizes []int
			for i, p := range pages {
				if p.TotalSize != n {
					t.Fatalf("page %d totalSize %d, want %d", i, p.TotalSize, n)
				}
				if len(p.Records) > tt.maxPage {
					t.Fatalf("page %d has %d records, more than %d", i, len(p.Records), tt.maxPage)
				}
				sizes = append(sizes, len(p.Records))
				for _, r := range p.Records {
					id := r["Id"].(string)
					if seen[id] {
						t.Fatalf("record %s served twice", id)
					}
					seen[id] = true
				}
			}
			if len(seen) != n {
				t.Fatalf("got %d distinct records, want %d", len(seen), n)
			}
			if tt.wantSizes != nil && !equalInts(sizes, tt.wantSizes) {
				t.Errorf("page sizes %v, want %v", sizes, tt.wantSizes)
			}
			if tt.faults.IrregularPages {
				distinct := map[int]bool{}
				for _, sz := range sizes[:len(sizes)-1] {
					distinct[sz] = true
				}
				if len(sizes) < 4 || len(distinct) < 2 {
					t.Errorf("irregular pages are not irregular: %v", sizes)
				}
			}
		})
	}
	// Long text selected: pages of 1000.
	pages := queryAllPages(t, s, tok, "query", "SELECT Id, Description FROM Opportunity")
	if len(pages) != 5 || len(pages[0].Records) != 1000 {
		t.Errorf("long text query: %d pages, first of %d", len(pages), len(pages[0].Records))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestQueryAllShowsDeletedRows(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Opportunity": 300}})
	tok := soapLogin(t, s)
	first := queryAllPages(t, s, tok, "query", "SELECT Id FROM Opportunity LIMIT 3")[0]
	var ids []string
	for _, r := range first.Records {
		ids = append(ids, r["Id"].(string))
	}
	s.Advance(time.Minute)
	if err := s.Delete("Opportunity", ids...); err != nil {
		t.Fatal(err)
	}
	count := func(resource, soql string) (int, map[string]bool) {
		deleted := map[string]bool{}
		total := 0
		for _, p := range queryAllPages(t, s, tok, resource, soql, "Sforce-Query-Options", "batchSize=200") {
			total = p.TotalSize
			for _, r := range p.Records {
				if r["IsDeleted"] == true {
					deleted[r["Id"].(string)] = true
				}
			}
		}
		return total, deleted
	}
	for _, resource := range []string{"query", "query/"} {
		total, del := count(resource, "SELECT Id, IsDeleted FROM Opportunity")
		if total != 297 || len(del) != 0 {
			t.Errorf("%s: total %d, deleted rows %v", resource, total, del)
		}
	}
	for _, resource := range []string{"queryAll", "queryAll/"} {
		total, del := count(resource, "SELECT Id, IsDeleted FROM Opportunity")
		if total != 300 || len(del) != 3 {
			t.Errorf("%s: total %d, deleted rows %v", resource, total, del)
		}
		for _, id := range ids {
			if !del[id] {
				t.Errorf("%s: %s not shown as deleted", resource, id)
			}
		}
	}
	total, del := count("queryAll", "SELECT Id, IsDeleted FROM Opportunity WHERE IsDeleted = true")
	if total != 3 || len(del) != 3 {
		t.Errorf("queryAll IsDeleted = true: %d %v", total, del)
	}
}

func TestNextRecordsURLReplay(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Account": 900}})
	tok := soapLogin(t, s)
	for _, irregular := range []bool{false, true} {
		s.SetFaults(salesforcetest.Faults{IrregularPages: irregular, Seed: 11})
		r := get(t, s, tok, "queryAll?q="+url.QueryEscape("SELECT Id, Name, AnnualRevenue FROM Account"), "Sforce-Query-Options", "batchSize=200")
		var p queryPage
		mustJSON(t, r.body, &p)
		locRE := regexp.MustCompile(`^/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-\d+$`)
		for p.NextRecordsURL != nil {
			next := *p.NextRecordsURL
			if !locRE.MatchString(next) {
				t.Fatalf("nextRecordsUrl %q", next)
			}
			a := get(t, s, tok, next)
			b := get(t, s, tok, next) // as after a body lost mid-transfer
			if a.status != http.StatusOK || !bytes.Equal(a.body, b.body) {
				t.Fatalf("replay of %s differs:\n%.200s\n%.200s", next, a.body, b.body)
			}
			p = queryPage{}
			mustJSON(t, a.body, &p)
		}
	}
	for _, bad := range []string{"query/01gXXXXXXXXXXXXXXX-2000", "query/garbage", "query/01gSf0000000001AAA-0"} {
		wantRESTError(t, get(t, s, tok, bad), http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
	}
}

func TestQueryErrors(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	tests := []struct{ q, code string }{
		{"SELEC Id FROM Account", "MALFORMED_QUERY"},
		{"SELECT Id FROM", "MALFORMED_QUERY"},
		{"", "MALFORMED_QUERY"},
		{"SELECT Nope__c FROM Account", "INVALID_FIELD"},
		{"SELECT Id FROM Nope__c", "INVALID_TYPE"},
		{"SELECT Id FROM Account WHERE CreatedDate > 2024-01-01", "INVALID_FIELD"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			for _, res := range []string{"query", "queryAll"} {
				wantRESTError(t, get(t, s, tok, res+"?q="+url.QueryEscape(tt.q)), http.StatusBadRequest, tt.code)
			}
		})
	}
}

func TestQueryCountLimitOffsetOrder(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Account": 250}})
	tok := soapLogin(t, s)
	r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT COUNT() FROM Account"))
	if string(r.body) != `{"totalSize":250,"done":true,"records":[]}` {
		t.Errorf("COUNT(): %s", r.body)
	}
	names := func(soql string) []string {
		var out []string
		for _, p := range queryAllPages(t, s, tok, "query", soql, "Sforce-Query-Options", "batchSize=200") {
			for _, rec := range p.Records {
				n, _ := rec["Name"].(string)
				out = append(out, n)
			}
		}
		return out
	}
	desc := names("SELECT Name FROM Account ORDER BY Name DESC")
	if len(desc) != 250 || !sort.SliceIsSorted(desc, func(i, j int) bool { return strings.ToLower(desc[i]) > strings.ToLower(desc[j]) }) {
		t.Errorf("ORDER BY Name DESC not sorted or incomplete (%d)", len(desc))
	}
	page := names("SELECT Name FROM Account ORDER BY Name DESC LIMIT 30 OFFSET 10")
	if !equalStrings(page, desc[10:40]) {
		t.Errorf("LIMIT/OFFSET page %v, want %v", page, desc[10:40])
	}
	if got := names("SELECT Name FROM Account LIMIT 220"); len(got) != 220 {
		t.Errorf("LIMIT 220 gave %d", len(got))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestQuerySystemModstampWindow(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Contact": 700}})
	tok := soapLogin(t, s)
	var all []map[string]any
	for _, p := range queryAllPages(t, s, tok, "query", "SELECT Id, SystemModstamp FROM Contact ORDER BY SystemModstamp ASC, Id ASC") {
		all = append(all, p.Records...)
	}
	if len(all) != 700 {
		t.Fatalf("%d contacts", len(all))
	}
	pivot := all[350]["SystemModstamp"].(string)
	ts, err := time.Parse("2006-01-02T15:04:05.000-0700", pivot)
	if err != nil {
		t.Fatal(err)
	}
	lit := ts.UTC().Format("2006-01-02T15:04:05.000Z")
	want := 0
	for _, r := range all {
		if r["SystemModstamp"].(string) >= pivot {
			want++
		}
	}
	got := 0
	for _, p := range queryAllPages(t, s, tok, "query", "SELECT Id FROM Contact WHERE SystemModstamp >= "+lit+" ORDER BY SystemModstamp, Id", "Sforce-Query-Options", "batchSize=200") {
		got += len(p.Records)
		if p.TotalSize != want {
			t.Fatalf("totalSize %d, want %d", p.TotalSize, want)
		}
	}
	if got != want {
		t.Errorf("window returned %d records, want %d", got, want)
	}
}

func TestQueryValueRendering(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Something__c": 400}})
	tok := soapLogin(t, s)
	fields := []string{"Id", "Name", "Checkbox__c", "Number__c", "Currency__c", "Percent__c", "Date__c", "DateTime__c", "Time__c", "MultiPicklist__c", "Location__c", "CreatedDate"}
	soql := "SELECT " + strings.Join(fields, ", ") + " FROM Something__c"
	r := get(t, s, tok, "query?q="+url.QueryEscape(soql))
	if r.status != http.StatusOK {
		t.Fatal(r)
	}
	// Field order is the SELECT order, after attributes.
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := dec.Decode(&page); err != nil {
		t.Fatal(err)
	}
	order := keyOrder(t, page.Records[0])
	if !equalStrings(order, append([]string{"attributes"}, fields...)) {
		t.Errorf("key order %v", order)
	}
	var recorded struct {
		Records []map[string]any `json:"records"`
	}
	mustJSON(t, readFixture(t, "query_sobject.json"), &recorded)
	patterns := map[string]*regexp.Regexp{
		"Date__c":     regexp.MustCompile(`^\d{4}-\d\d-\d\d$`),
		"DateTime__c": regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`),
		"CreatedDate": regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`),
		"Time__c":     regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}Z$`),
	}
	// The recorded values match the same patterns.
	for k, re := range map[string]*regexp.Regexp{"date__c": patterns["Date__c"], "datetime__c": patterns["DateTime__c"], "time__c": patterns["Time__c"]} {
		if !re.MatchString(recorded.Records[0][k].(string)) {
			t.Fatalf("pattern for %s does not match the recording", k)
		}
	}
	seen := map[string]bool{}
	sawIntegral := map[string]bool{}
	for _, raw := range page.Records {
		var rec map[string]json.RawMessage
		mustJSON(t, raw, &rec)
		var attrs struct{ Type, URL string }
		mustJSON(t, rec["attributes"], &attrs)
		var id string
		mustJSON(t, rec["Id"], &id)
		if attrs.Type != "Something__c" || attrs.URL != "/services/data/v62.0/sobjects/Something__c/"+id {
			t.Fatalf("attributes %s", rec["attributes"])
		}
		for name, re := range patterns {
			if string(rec[name]) == "null" {
				seen[name+"=null"] = true
				continue
			}
			var v string
			mustJSON(t, rec[name], &v)
			if !re.MatchString(v) {
				t.Errorf("%s = %q", name, v)
			}
			seen[name] = true
		}
		if b := string(rec["Checkbox__c"]); b != "true" && b != "false" {
			t.Errorf("Checkbox__c = %s", b)
		}
		for _, num := range []string{"Number__c", "Currency__c"} {
			txt := string(rec[num])
			if txt == "null" {
				continue
			}
			if !numberRE.MatchString(txt) {
				t.Errorf("%s = %s", num, txt)
			}
			switch {
			case strings.HasSuffix(txt, ".0"):
				sawIntegral[num+" as x.0"] = true
			case !strings.Contains(txt, "."):
				sawIntegral[num+" as x"] = true
			}
		}
		if loc := string(rec["Location__c"]); loc != "null" {
			var m map[string]any
			mustJSON(t, rec["Location__c"], &m)
			if len(m) != 2 || m["latitude"] == nil && m["longitude"] == nil {
				t.Errorf("Location__c = %s", loc)
			}
			seen["location"] = true
		} else {
			seen["location=null"] = true
		}
		if mp := string(rec["MultiPicklist__c"]); mp != "null" && strings.Contains(mp, ";") {
			seen["multi"] = true
		}
	}
	for _, want := range []string{"Date__c", "Date__c=null", "DateTime__c", "Time__c", "CreatedDate", "location", "location=null", "multi"} {
		if !seen[want] {
			t.Errorf("never saw %s in %d records", want, len(page.Records))
		}
	}
	if !(sawIntegral["Number__c as x.0"] || sawIntegral["Currency__c as x.0"]) || !(sawIntegral["Number__c as x"] || sawIntegral["Currency__c as x"]) {
		t.Errorf("integral numbers are not written both ways: %v", sawIntegral)
	}

	// Address: all keys of a compound address.
	r = get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id, BillingAddress, ShippingAddress FROM Account LIMIT 50"))
	var acc queryPage
	mustJSON(t, r.body, &acc)
	addrKeys := "city,country,countryCode,geocodeAccuracy,latitude,longitude,postalCode,state,stateCode,street"
	found := false
	for _, rec := range acc.Records {
		if a, ok := rec["BillingAddress"].(map[string]any); ok {
			found = true
			if strings.Join(keysOf(a), ",") != addrKeys {
				t.Errorf("address keys %v", keysOf(a))
			}
		}
	}
	if !found {
		t.Error("no account has a billing address")
	}
}

var numberRE = regexp.MustCompile(`^-?\d+(\.\d+)?$`)

func keyOrder(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestQueryGzip(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id, Name FROM Account"), "Accept-Encoding", "gzip")
	if r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", r.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var p queryPage
	mustJSON(t, plain, &p)
	if p.TotalSize == 0 || len(p.Records) == 0 {
		t.Errorf("gzip page %s", plain)
	}
	if r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM Account"), "Accept-Encoding", "identity"); r.header.Get("Content-Encoding") != "" {
		t.Error("compressed without being asked")
	}
}

func TestConcurrentPaging(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Lead": 1200}})
	tok := soapLogin(t, s)
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			seen := map[string]bool{}
			next := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Lead")
			for next != "" {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+next, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Sforce-Query-Options", "batchSize=200")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				var p queryPage
				err = json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if err != nil {
					errs <- err.Error()
					return
				}
				for _, r := range p.Records {
					seen[r["Id"].(string)] = true
				}
				next = ""
				if p.NextRecordsURL != nil {
					next = *p.NextRecordsURL
				}
			}
			if len(seen) != 1200 {
				errs <- "incomplete result"
				return
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

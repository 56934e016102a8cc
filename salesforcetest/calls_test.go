package salesforcetest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestCallLog(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Account": 450}})
	before := time.Now()
	tok := soapLogin(t, s)
	const soql = "SELECT Id FROM Account"
	r := get(t, s, tok, "query?q="+url.QueryEscape(soql), "Sforce-Query-Options", "batchSize=200")
	var p queryPage
	mustJSON(t, r.body, &p)
	second := *p.NextRecordsURL
	r = get(t, s, tok, second)
	mustJSON(t, r.body, &p)
	get(t, s, tok, *p.NextRecordsURL)
	get(t, s, tok, second) // replay: same page number
	get(t, s, "", "limits")

	calls := s.Calls()
	want := []salesforcetest.Call{
		{Method: "POST", Path: "/services/Soap/u/62.0", Status: 200},
		{Method: "GET", Path: "/services/data/v62.0/query", SOQL: soql, Page: 0, Records: 200, Status: 200},
		{Method: "GET", Path: second, SOQL: soql, Page: 1, Records: 200, Status: 200},
		{Method: "GET", Path: *p.NextRecordsURL, SOQL: soql, Page: 2, Records: 50, Status: 200},
		{Method: "GET", Path: second, SOQL: soql, Page: 1, Records: 200, Status: 200},
		{Method: "GET", Path: "/services/data/v62.0/limits", Status: http.StatusUnauthorized},
	}
	if len(calls) != len(want) {
		t.Fatalf("%d calls logged: %+v", len(calls), calls)
	}
	for i, c := range calls {
		if c.Time.Before(before) || c.Time.After(time.Now()) {
			t.Errorf("call %d time %v", i, c.Time)
		}
		c.Time = time.Time{}
		if c != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, c, want[i])
		}
	}
	calls[0].Path = "changed"
	if s.Calls()[0].Path == "changed" {
		t.Error("Calls returned the log itself, not a copy")
	}
	s.ResetCalls()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("%d calls after ResetCalls", n)
	}
	get(t, s, tok, "limits")
	if n := len(s.Calls()); n != 1 {
		t.Errorf("%d calls after one more", n)
	}

	// A Bulk results page logs its rows too.
	tok = oauthLogin(t, s)
	id, _ := runJob(t, s, tok, "query", soql)
	s.ResetCalls()
	fetchResults(t, s, tok, id, "", 300)
	if c := s.Calls(); len(c) != 1 || c[0].Records != 300 || c[0].SOQL != soql {
		t.Errorf("a results page of 300 rows logged %+v", c)
	}
}

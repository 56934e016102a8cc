package salesforcetest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// FuzzBulkJobQuery: whatever the SOQL, job creation answers a job (200) or a REST error array
// (400), never a server error; and whatever the locator, results answer a page or a 400.
func FuzzBulkJobQuery(f *testing.F) {
	s := salesforcetest.NewServer(salesforcetest.Options{BulkJobPolls: -1, Counts: map[string]int{"Account": 30}})
	f.Cleanup(s.Close)
	for _, q := range []string{
		"SELECT Id FROM Account", "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
		"SELECT COUNT() FROM Account", "SELECT Id FROM Account WHERE Name = 'a''b\\' GROUP BY'",
		"SELECT FIELDS(ALL) FROM Account LIMIT 200", "((((", "SELECT Id FROM Account OFFSET",
	} {
		f.Add(q, "MTA")
	}
	var tok string
	f.Fuzz(func(t *testing.T, soql, locator string) {
		if tok == "" {
			tok = oauthLogin(t, s)
		}
		r := call(t, s, tok, http.MethodPost, "jobs/query", jobRequest("query", soql))
		switch r.status {
		case http.StatusOK:
		case http.StatusBadRequest:
			restErr(t, r)
			return
		default:
			t.Fatalf("creating a job for %q: %v", soql, r)
		}
		var info map[string]any
		mustJSON(t, r.body, &info)
		id, _ := info["id"].(string)
		if st, _ := waitJob(t, s, tok, id); st["state"] != "JobComplete" {
			t.Fatalf("job for %q ended %v", soql, st)
		}
		rr := get(t, s, tok, "jobs/query/"+id+"/results?locator="+url.QueryEscape(locator))
		if rr.status != http.StatusOK && rr.status != http.StatusBadRequest {
			t.Fatalf("results at locator %q: %v", locator, rr)
		}
		if rr.status == http.StatusBadRequest && !json.Valid(rr.body) {
			t.Fatalf("400 without a JSON body: %s", rr.body)
		}
	})
}

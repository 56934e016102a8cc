package salesforcetest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestDeletedRecords(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Contact": 50}})
	tok := soapLogin(t, s)
	var p queryPage
	mustJSON(t, get(t, s, tok, "query?q=SELECT+Id+FROM+Contact+LIMIT+2").body, &p)
	ids := []string{p.Records[0]["Id"].(string), p.Records[1]["Id"].(string)}
	start := s.Now().Add(-time.Hour)
	s.Advance(time.Minute)
	if err := s.Delete("Contact", ids...); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	end := s.Now()
	var rec map[string]any
	mustJSON(t, readFixture(t, "get_deleted_success_response.json"), &rec)

	enc := func(ts time.Time, plus string) string {
		return strings.Replace(ts.UTC().Format("2006-01-02T15:04:05+00:00"), "+", plus, 1)
	}
	for _, variant := range []struct{ name, path, plus string }{
		{"slash, %2B", "sobjects/Contact/deleted/", "%2B"},
		{"no slash, literal +", "sobjects/Contact/deleted", "+"},
		{"Z offset", "sobjects/Contact/deleted/", "Z"},
	} {
		t.Run(variant.name, func(t *testing.T) {
			q := "?start=" + enc(start, variant.plus) + "&end=" + enc(end, variant.plus)
			if variant.plus == "Z" {
				q = "?start=" + start.UTC().Format(time.RFC3339) + "&end=" + end.UTC().Format(time.RFC3339)
			}
			r := get(t, s, tok, variant.path+q)
			if r.status != http.StatusOK {
				t.Fatal(r)
			}
			var got map[string]any
			mustJSON(t, r.body, &got)
			if m := missingKeys(rec, got); len(m) > 0 {
				t.Errorf("lacks %v", m)
			}
			list := got["deletedRecords"].([]any)
			found := map[string]bool{}
			for _, d := range list {
				dm := d.(map[string]any)
				found[dm["id"].(string)] = true
				if _, err := time.Parse("2006-01-02T15:04:05.000-0700", dm["deletedDate"].(string)); err != nil {
					t.Errorf("deletedDate: %v", err)
				}
			}
			for _, id := range ids {
				if !found[id] {
					t.Errorf("%s not listed: %s", id, r.body)
				}
			}
			for _, k := range []string{"earliestDateAvailable", "latestDateCovered"} {
				if _, err := time.Parse("2006-01-02T15:04:05.000-0700", got[k].(string)); err != nil {
					t.Errorf("%s: %v", k, err)
				}
			}
		})
	}
	bad := []struct{ name, query, code string }{
		{"missing start", "?end=" + enc(end, "%2B"), "MISSING_ARGUMENT"},
		{"garbage date", "?start=yesterday&end=" + enc(end, "%2B"), "INVALID_REPLICATION_DATE"},
		{"end before start", "?start=" + enc(end, "%2B") + "&end=" + enc(start, "%2B"), "INVALID_REPLICATION_DATE"},
		{"too old", "?start=2001-01-01T00:00:00%2B00:00&end=2001-01-02T00:00:00%2B00:00", "INVALID_REPLICATION_DATE"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantRESTError(t, get(t, s, tok, "sobjects/Contact/deleted/"+tt.query), http.StatusBadRequest, tt.code)
		})
	}
	wantRESTError(t, get(t, s, tok, "sobjects/Nope__c/deleted/?start="+enc(start, "%2B")+"&end="+enc(end, "%2B")), http.StatusNotFound, "NOT_FOUND")
}

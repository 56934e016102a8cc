package salesforcetest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// TestCachePagesServesWhatRenderingServes compares a caching, prerendered server with a plain one
// of the same seed: the same REST pages and Bulk pages byte for byte, and a mutation drops the
// cache so the change shows.
func TestCachePagesServesWhatRenderingServes(t *testing.T) {
	counts := map[string]int{"Opportunity": 2500}
	plain := newServer(t, salesforcetest.Options{Seed: 8, Counts: counts})
	cached := newServer(t, salesforcetest.Options{Seed: 8, Counts: counts, CachePages: true, BulkJobPolls: -1})
	const soql = "SELECT Id, Name, Amount, CloseDate, SystemModstamp, Description FROM Opportunity"
	ctx := context.Background()
	if n, err := cached.PrerenderQuery(ctx, soql, salesforcetest.PrerenderOptions{Version: "62.0", BatchSize: 500}); err != nil || n != 5 {
		t.Fatalf("PrerenderQuery: %d pages, %v", n, err)
	}
	if n, err := cached.PrerenderBulk(ctx, soql, salesforcetest.PrerenderOptions{MaxRecords: 1000}); err != nil || n != 3 {
		t.Fatalf("PrerenderBulk: %d pages, %v", n, err)
	}
	if _, err := plain.PrerenderQuery(ctx, soql, salesforcetest.PrerenderOptions{}); err == nil {
		t.Error("PrerenderQuery without CachePages did not fail")
	}

	locator := regexp.MustCompile(`01gSf[0-9A-Za-z]{13}`)
	restPages := func(s *salesforcetest.Server) [][]byte {
		tok := oauthLogin(t, s)
		var out [][]byte
		r := get(t, s, tok, "query?q="+url.QueryEscape(soql), "Sforce-Query-Options", "batchSize=500")
		for {
			if r.status != http.StatusOK {
				t.Fatalf("%v", r)
			}
			out = append(out, locator.ReplaceAll(r.body, []byte("LOCATOR")))
			m := regexp.MustCompile(`"nextRecordsUrl":"([^"]+)"`).FindSubmatch(r.body)
			if m == nil {
				return out
			}
			r = get(t, s, tok, string(m[1]), "Sforce-Query-Options", "batchSize=500")
		}
	}
	for round := range 2 { // the second round on the cached server serves from the cache again
		a, b := restPages(plain), restPages(cached)
		if len(a) != len(b) {
			t.Fatalf("round %d: %d REST pages vs %d cached", round, len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Fatalf("round %d: REST page %d differs from its cached copy", round, i)
			}
		}
	}
	bulkPages := func(s *salesforcetest.Server) []resultPage {
		tok := oauthLogin(t, s)
		id, _ := runJob(t, s, tok, "query", soql)
		return allResults(t, s, tok, id, 1000)
	}
	a, b := bulkPages(plain), bulkPages(cached)
	if len(a) != len(b) {
		t.Fatalf("%d Bulk pages vs %d cached", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].raw, b[i].raw) || a[i].locator != b[i].locator || a[i].n != b[i].n {
			t.Fatalf("Bulk page %d differs from its cached copy", i)
		}
	}

	if _, err := cached.Insert("Opportunity", map[string]any{"Name": "New", "StageName": "Prospecting", "CloseDate": time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	tok := oauthLogin(t, cached)
	if _, n := runJob(t, cached, tok, "query", soql); n != 2501 {
		t.Errorf("after Insert the cached server's job has %d rows, want 2501", n)
	}
	if p := queryAllPages(t, cached, tok, "query", soql); p[0].TotalSize != 2501 {
		t.Errorf("after Insert the cached server's query totalSize %d, want 2501", p[0].TotalSize)
	}
}

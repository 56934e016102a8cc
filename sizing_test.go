package sfdlt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// sizingCalls sorts the query calls of a read of Opportunity: counts, REST pages of records,
// and Bulk jobs created.
func sizingCalls(srv *salesforcetest.Server) (counts, pages, jobs int) {
	for _, c := range srv.Calls() {
		q := strings.ToUpper(c.SOQL)
		switch {
		case c.Method == "POST" && strings.HasSuffix(c.Path, "/jobs/query"):
			jobs++
		case strings.Contains(c.Path, "/jobs/"), !strings.Contains(q, "FROM OPPORTUNITY"):
		case strings.HasPrefix(q, "SELECT COUNT() "):
			counts++
		default:
			pages++
		}
	}
	return counts, pages, jobs
}

// A full read sized by SELECT COUNT() goes straight to Bulk when it is large: no REST page is
// read first, and no query cursor is left open (at a real org's latency, a page is 1.5 s, and
// an abandoned cursor counts against the user's 10 until Salesforce expires it).
func TestLargeFullReadIsCountedThenReadByBulk(t *testing.T) {
	counts := salesforcetest.DefaultCounts()
	counts["Opportunity"] = 3000
	e := newEnv(t, counts)
	e.srv.ResetCalls()
	e.run(e.source(sfdlt.BulkThreshold(1000), sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond})).WithResources("opportunity"))
	e.checkTable("opportunity", "Opportunity", true)
	n, pages, jobs := sizingCalls(e.srv)
	if n != 1 || pages != 0 || jobs != 1 {
		t.Errorf("want one count, no REST page, one Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}
	if peak := e.srv.PeakCursors(); peak != 0 {
		t.Errorf("%d query cursors were open at once; a counted Bulk read opens none", peak)
	}

	// A small one is read by REST after its count, and its pages are fetched ahead as usual.
	small := newEnv(t, counts)
	small.srv.ResetCalls()
	small.run(small.source(sfdlt.BulkThreshold(5000)).WithResources("opportunity"))
	small.checkTable("opportunity", "Opportunity", true)
	if n, pages, jobs := sizingCalls(small.srv); n != 1 || pages < 2 || jobs != 0 {
		t.Errorf("want one count, then REST pages, no Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}
}

// Where Salesforce refuses SELECT COUNT(), the first REST page sizes the read, as before: the
// load is the same, and a large result still goes to Bulk.
func TestRefusedCountIsSizedByTheFirstPage(t *testing.T) {
	counts := salesforcetest.DefaultCounts()
	counts["Opportunity"] = 3000
	e := newEnv(t, counts)
	e.srv.SetFaults(salesforcetest.Faults{CountRefused: true})
	e.srv.ResetCalls()
	e.run(e.source(sfdlt.BulkThreshold(1000), sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond})).WithResources("opportunity"))
	e.checkTable("opportunity", "Opportunity", true)
	n, pages, jobs := sizingCalls(e.srv)
	if n != 1 || pages != 1 || jobs != 1 {
		t.Errorf("want the refused count, one REST page (the probe, none fetched ahead), one Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}
}

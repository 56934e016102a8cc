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

// An incremental run whose range is large (a mass update since the last run) is read by Bulk,
// sized by its first REST page (no count spent on the usual small hour), and leaves the table
// equal to the org; an ordinary hour after it reads with REST again.
func TestMassUpdateIsReadByBulk(t *testing.T) {
	counts := salesforcetest.DefaultCounts()
	counts["Opportunity"] = 3000
	e := newEnv(t, counts)
	src := func() *sfdlt.Source {
		return e.source(sfdlt.BulkThreshold(1000), sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond})).WithResources("opportunity")
	}
	e.run(src())

	// A mass update over 20 minutes, 100 records a minute (the records at its last stamp are
	// read again by the next run, which starts at that stamp, and dropped there).
	e.srv.Advance(time.Hour)
	ids := opportunityIDsFromOrg(t, e.srv, 2000)
	for i := 0; i < len(ids); i += 100 {
		e.srv.Advance(time.Minute)
		if err := e.srv.Update("Opportunity", ids[i:i+100], map[string]any{"NextStep": "mass update"}); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.ResetCalls()
	info := e.run(src())
	e.checkTable("opportunity", "Opportunity", true)
	if n := info.RowCount("opportunity"); n != 2000 {
		t.Errorf("the mass update loaded %d rows, want the 2000 changed", n)
	}
	n, pages, jobs := sizingCalls(e.srv)
	if n != 0 || pages != 1 || jobs != 1 {
		t.Errorf("want the first REST page to size the range, then one Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}

	e.srv.Advance(time.Hour)
	if err := e.srv.Update("Opportunity", ids[:5], map[string]any{"NextStep": "an ordinary hour"}); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	info = e.run(src())
	e.checkTable("opportunity", "Opportunity", true)
	if n, pages, jobs := sizingCalls(e.srv); n != 0 || pages != 1 || jobs != 0 || info.RowCount("opportunity") != 5 {
		t.Errorf("an ordinary hour: %d counts, %d pages, %d jobs, %d rows; want one REST page of 5 rows", n, pages, jobs, info.RowCount("opportunity"))
	}
}

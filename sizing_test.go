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

// opportunityEnv is an org of 3,000 Opportunity records.
func opportunityEnv(t *testing.T) *env {
	counts := salesforcetest.DefaultCounts()
	counts["Opportunity"] = 3000
	return newEnv(t, counts)
}

// sizedSource reads Opportunity by Bulk from threshold records, polling jobs every millisecond.
func sizedSource(e *env, threshold int) *sfdlt.Source {
	return e.source(sfdlt.BulkThreshold(threshold), sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond})).WithResources("opportunity")
}

// sizedRun runs sizedSource, checks the table against the org and sorts the run's query calls.
func sizedRun(t *testing.T, e *env, threshold int) (info *sfdlt.LoadInfo, counts, pages, jobs int) {
	t.Helper()
	e.srv.ResetCalls()
	info = e.run(sizedSource(e, threshold))
	e.checkTable("opportunity", "Opportunity", true)
	counts, pages, jobs = sizingCalls(e.srv)
	return info, counts, pages, jobs
}

// A full read sized by SELECT COUNT() goes straight to Bulk when it is large: no REST page is
// read first, and no query cursor is left open (at a real org's latency, a page is 1.5 s, and
// an abandoned cursor counts against the user's 10 until Salesforce expires it).
func TestLargeFullReadIsCountedThenReadByBulk(t *testing.T) {
	e := opportunityEnv(t)
	if _, n, pages, jobs := sizedRun(t, e, 1000); n != 1 || pages != 0 || jobs != 1 {
		t.Errorf("want one count, no REST page, one Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}
	if peak := e.srv.PeakCursors(); peak != 0 {
		t.Errorf("%d query cursors were open at once; a counted Bulk read opens none", peak)
	}

	// A small one is read by REST after its count, and its pages are fetched ahead as usual.
	if _, n, pages, jobs := sizedRun(t, opportunityEnv(t), 5000); n != 1 || pages < 2 || jobs != 0 {
		t.Errorf("want one count, then REST pages, no Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}
}

// Where Salesforce refuses SELECT COUNT(), the first REST page sizes the read, as before: the
// load is the same, and a large result still goes to Bulk.
func TestRefusedCountIsSizedByTheFirstPage(t *testing.T) {
	e := opportunityEnv(t)
	e.srv.SetFaults(salesforcetest.Faults{CountRefused: true})
	if _, n, pages, jobs := sizedRun(t, e, 1000); n != 1 || pages != 1 || jobs != 1 {
		t.Errorf("want the refused count, one REST page (the probe, none fetched ahead), one Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}
}

// An incremental run whose range is large (a mass update since the last run) is read by Bulk,
// sized by its first REST page (no count spent on the usual small hour), and leaves the table
// equal to the org; an ordinary hour after it reads with REST again.
func TestMassUpdateIsReadByBulk(t *testing.T) {
	e := opportunityEnv(t)
	e.run(sizedSource(e, 1000))

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
	info, n, pages, jobs := sizedRun(t, e, 1000)
	if rows := info.RowCount("opportunity"); rows != 2000 {
		t.Errorf("the mass update loaded %d rows, want the 2000 changed", rows)
	}
	if n != 0 || pages != 1 || jobs != 1 {
		t.Errorf("want the first REST page to size the range, then one Bulk job: %d counts, %d pages, %d jobs", n, pages, jobs)
	}

	e.srv.Advance(time.Hour)
	if err := e.srv.Update("Opportunity", ids[:5], map[string]any{"NextStep": "an ordinary hour"}); err != nil {
		t.Fatal(err)
	}
	info, n, pages, jobs = sizedRun(t, e, 1000)
	if n != 0 || pages != 1 || jobs != 0 || info.RowCount("opportunity") != 5 {
		t.Errorf("an ordinary hour: %d counts, %d pages, %d jobs, %d rows; want one REST page of 5 rows", n, pages, jobs, info.RowCount("opportunity"))
	}
}

package sfdlt_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestHardDeletesRemoveRows(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		src := e.source(sfdlt.HardDeletes(true)).WithResources("opportunity")
		e.run(src)
		ids := opportunityIDs(t, e, 3)
		if err := e.srv.Delete("Opportunity", ids[0], ids[1]); err != nil {
			t.Fatal(err)
		}
		e.run(src)
		if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id IN ($1, $2)`, ids[0], ids[1]); n != 0 {
			t.Fatalf("%d rows of deleted records left with HardDeletes", n)
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity`); n != int64(e.srv.Count("Opportunity", false)) {
			t.Fatalf("opportunity holds %d rows, the org %d live records", n, e.srv.Count("Opportunity", false))
		}
	})
}

// A change that commits late, with a stamp before the last run's cursor, is lost without a
// lookback and loaded with one.
func TestLookbackCatchesLateStamps(t *testing.T) {
	e := newEnv(t, nil)
	e.run(e.source().WithResources("opportunity"))
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	last, err := time.Parse("2006-01-02T15:04:05.000-0700", st.Sources["salesforce"].Resources["opportunity"].Incremental["SystemModstamp"].LastValue.(string))
	if err != nil {
		t.Fatal(err)
	}
	ids := opportunityIDs(t, e, 2)
	if err := e.srv.UpdateAt("Opportunity", ids[:1], map[string]any{"Description": "late one"}, last.Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	e.run(e.source().WithResources("opportunity"))
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE description = 'late one'`) != 0 {
		t.Fatal("without a lookback the late change should be missed (this test documents why Lookback exists)")
	}
	if err := e.srv.UpdateAt("Opportunity", ids[1:2], map[string]any{"Description": "late two"}, last.Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	e.run(e.source(sfdlt.Lookback(10 * time.Minute)).WithResources("opportunity"))
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE description IN ('late one', 'late two')`) != 2 {
		t.Fatal("with a 10 minute lookback both late changes must be loaded")
	}
	e.checkTable("opportunity", "Opportunity", true)
}

// The quota guard stops before the org's limit is hit. What the run read is committed (each
// resource as far as it got), and the next run goes on from there to exactly the org's data.
func TestQuotaGuardStopsCleanly(t *testing.T) {
	e := newEnv(t, nil)
	e.run(e.source().WithResources("contact"))
	loadsBefore := e.scalar(`SELECT count(*) FROM {ds}._dlt_loads`)
	e.srv.SetFaults(salesforcetest.Faults{RequestLimitAfter: 40})
	e.srv.ResetCalls()
	info, err := e.pipeline(sfdlt.Parallelism(1)).Run(context.Background(), e.source(sfdlt.MaxAPIUsagePercent(50)))
	if !errors.Is(err, sfdlt.ErrAPIUsageLimit) {
		t.Fatalf("err = %v, want ErrAPIUsageLimit", err)
	}
	for _, want := range []string{"max_api_usage_percent", "the next run goes on from there"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, c := range e.srv.Calls() {
		if c.Status == 403 {
			t.Fatalf("the guard let the run reach the org's limit: %+v", c)
		}
	}
	if len(info.LoadIDs) == 0 || e.scalar(`SELECT count(*) FROM {ds}._dlt_loads`) != loadsBefore+int64(len(info.LoadIDs)) {
		t.Fatalf("the stopped run should commit what it read: %v", info)
	}
	e.srv.SetFaults(salesforcetest.Faults{})
	e.run(e.source())
	for _, s := range standard {
		e.checkTable(s.table, s.object, s.merge)
	}
}

// Formula fields change without SystemModstamp: incremental runs keep stale values, and
// FormulaRefresh reads the resource in full to bring them up to date.
func TestFormulaRefreshUpdatesStaleFormulas(t *testing.T) {
	e := newEnv(t, nil)
	src := e.source().WithResources("opportunity")
	e.run(src)
	if err := e.srv.SetFormula("Opportunity", "ExpectedRevenue", func(r *salesforcetest.Record) any { return json.Number("12.34") }); err != nil {
		t.Fatal(err)
	}
	e.run(src)
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE expected_revenue = 12.34`) != 0 {
		t.Fatal("an incremental run cannot see formula changes (no SystemModstamp bump): expected stale values")
	}
	info := e.run(e.source(sfdlt.FormulaRefresh(time.Nanosecond)).WithResources("opportunity"))
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE expected_revenue = 12.34`); n != int64(e.srv.Count("Opportunity", true)) {
		t.Fatalf("after the full read %d rows carry the new formula value, want all %d", n, e.srv.Count("Opportunity", true))
	}
	if !strings.Contains(strings.Join(info.Notes, " "), "formula") {
		t.Errorf("the load info should say the resource was read in full: %v", info.Notes)
	}
	// The refresh is recorded: a long interval does not read in full again.
	again := e.run(e.source(sfdlt.FormulaRefresh(time.Hour)).WithResources("opportunity"))
	if again.RowCount("opportunity") != 0 {
		t.Fatalf("a refresh within the interval read %d rows again", again.RowCount("opportunity"))
	}
}

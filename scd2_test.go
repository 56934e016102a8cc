package sfdlt_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
)

// loadTime is the time of a dlt load id ("seconds.micros"): an scd2 load's boundary.
func loadTime(t *testing.T, id string) time.Time {
	t.Helper()
	sec, frac, ok := strings.Cut(id, ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("load id %q is not seconds.micros", id)
	}
	return time.UnixMicro(s*1_000_000 + us).UTC()
}

// timeAt reads one timestamp of the dataset ("" when NULL).
func (e *env) timeAt(query string, args ...any) string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	var v *time.Time
	if err := db.QueryRow(e.sql(query), args...).Scan(&v); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	if v == nil {
		return ""
	}
	return v.UTC().Format(time.RFC3339Nano)
}

// Opportunity kept with history (scd2): changed records get a new version and their old one is
// retired at the load's boundary, deleted ones are retired, a record brought back from the
// recycle bin gets a new active version, unchanged records get nothing; a full read through Bulk
// finds every record's version unchanged (the row hash does not depend on the API).
func TestSCD2KeepsOpportunityHistory(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		var counts map[string]int
		if chunked {
			counts = map[string]int{"Opportunity": 3000} // REST pages of 1,000 (long text)
		}
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			forEachDestination(t, counts, func(t *testing.T, e *env) { testSCD2History(t, e, chunked) })
		})
	}
}

func testSCD2History(t *testing.T, e *env, chunked bool) {
	e.popts = []sfdlt.PipelineOption{sfdlt.CommitEvery(0)}
	if chunked {
		e.popts = []sfdlt.PipelineOption{sfdlt.CommitEvery(1000)}
	}
	source := func(opts ...sfdlt.SourceOption) *sfdlt.Source {
		return e.source(append([]sfdlt.SourceOption{sfdlt.BulkThreshold(0)}, opts...)...).WithResources("opportunity").
			ApplyHints("opportunity", sfdlt.Hints{MergeStrategy: sfdlt.StrategySCD2})
	}
	live := int64(e.srv.Count("Opportunity", false))
	first := e.run(source())
	if chunked && len(first.LoadIDs) < 2 {
		t.Fatalf("the first run committed %d loads; the test needs chunks", len(first.LoadIDs))
	}
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity`); n != live {
		t.Fatalf("after the first run opportunity holds %d rows, want one per live record (%d)", n, live)
	}
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE _dlt_valid_to IS NULL`); n != live {
		t.Fatalf("%d active rows after the first run, want %d", n, live)
	}
	// Each row is valid from the load that wrote it.
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity o JOIN {ds}._dlt_loads l ON l.load_id = o._dlt_load_id`); n != live {
		t.Fatalf("%d rows carry a committed load id, want %d", n, live)
	}
	withRows := 0
	for _, id := range first.LoadIDs {
		if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE _dlt_load_id = $1`, id) == 0 {
			continue
		}
		withRows++
		want := loadTime(t, id).Format(time.RFC3339Nano)
		for _, agg := range []string{"min", "max"} {
			if got := e.timeAt(`SELECT `+agg+`(_dlt_valid_from) FROM {ds}.opportunity WHERE _dlt_load_id = $1`, id); got != want {
				t.Fatalf("rows of load %s are valid from %s (%s), want the load's time %s", id, got, agg, want)
			}
		}
	}
	if chunked && withRows < 2 {
		t.Fatalf("the first run wrote opportunity rows in %d loads; the test needs several", withRows)
	}

	ids := opportunityIDs(t, e, 10)
	changed, deleted := ids[:3], ids[5]
	oldStage := map[string]int64{}
	for _, id := range changed {
		oldStage[id] = e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1 AND stage_name = 'Closed Won'`, id)
	}
	if err := e.srv.Update("Opportunity", changed, map[string]any{"StageName": "Closed Won", "Description": "second version"}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Delete("Opportunity", deleted); err != nil {
		t.Fatal(err)
	}
	second := e.run(source())
	b2 := loadTime(t, second.LoadIDs[0]).Format(time.RFC3339Nano)
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity`); n != live+3 {
		t.Fatalf("after the second run %d rows, want %d (a new version for each of 3 changed records)", n, live+3)
	}
	for _, id := range changed {
		if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1`, id); n != 2 {
			t.Fatalf("changed record %s has %d versions, want 2", id, n)
		}
		if got := e.timeAt(`SELECT _dlt_valid_to FROM {ds}.opportunity WHERE id = $1 AND _dlt_valid_to IS NOT NULL`, id); got != b2 {
			t.Errorf("changed record %s: old version retired at %q, want the second load's time %s", id, got, b2)
		}
		if got := e.timeAt(`SELECT _dlt_valid_from FROM {ds}.opportunity WHERE id = $1 AND _dlt_valid_to IS NULL`, id); got != b2 {
			t.Errorf("changed record %s: new version valid from %q, want %s", id, got, b2)
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1 AND _dlt_valid_to IS NULL AND stage_name = 'Closed Won' AND description = 'second version'`, id); n != 1 {
			t.Errorf("changed record %s: the active version does not carry the new values", id)
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1 AND _dlt_valid_to IS NOT NULL AND description = 'second version'`, id); n != 0 {
			t.Errorf("changed record %s: the retired version carries the new values", id)
		}
	}
	if got := e.timeAt(`SELECT _dlt_valid_to FROM {ds}.opportunity WHERE id = $1`, deleted); got != b2 {
		t.Errorf("deleted record %s: retired at %q, want %s", deleted, got, b2)
	}
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE _dlt_valid_to IS NULL`); n != live-1 {
		t.Errorf("%d active rows after the second run, want the %d live records", n, live-1)
	}

	if err := e.srv.Undelete("Opportunity", deleted); err != nil {
		t.Fatal(err)
	}
	third := e.run(source())
	b3 := loadTime(t, third.LoadIDs[0]).Format(time.RFC3339Nano)
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1`, deleted); n != 2 {
		t.Fatalf("the record brought back has %d versions, want 2 (retired, then active again)", n)
	}
	if got := e.timeAt(`SELECT _dlt_valid_from FROM {ds}.opportunity WHERE id = $1 AND _dlt_valid_to IS NULL`, deleted); got != b3 {
		t.Errorf("the record brought back is active from %q, want the third load's time %s", got, b3)
	}
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity`); n != live+4 {
		t.Errorf("after the third run %d rows, want %d", n, live+4)
	}

	// A full read through Bulk (a formula refresh) finds nothing changed.
	before := e.scalar(`SELECT count(*) FROM {ds}.opportunity`)
	e.run(e.source(sfdlt.BulkThreshold(1), sfdlt.FormulaRefresh(time.Nanosecond)).WithResources("opportunity").
		ApplyHints("opportunity", sfdlt.Hints{MergeStrategy: sfdlt.StrategySCD2}))
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity`); n != before {
		t.Errorf("a full read through Bulk of an unchanged org added %d versions", n-before)
	}
	if n := e.scalar(`SELECT count(*) FROM (SELECT id FROM {ds}.opportunity WHERE _dlt_valid_to IS NULL GROUP BY id HAVING count(*) > 1) AS x`); n != 0 {
		t.Errorf("%d records have more than one active version", n)
	}
	if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE _dlt_valid_to IS NULL`); n != int64(e.srv.Count("Opportunity", false)) {
		t.Errorf("%d active versions, want one per live record (%d)", n, e.srv.Count("Opportunity", false))
	}
}

// After a gap longer than the recycle bin keeps deleted records, the deletions the deleted
// endpoint lists retire their records' active versions, keeping the versions' values.
func TestSCD2LongGapDeletionsRetire(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		e.popts = nil
		src := e.source().WithResources("opportunity").ApplyHints("opportunity", sfdlt.Hints{SCD2: &sfdlt.SCD2Options{}})
		e.run(src)
		ids := opportunityIDs(t, e, 3)
		if err := e.srv.Delete("Opportunity", ids[0], ids[1]); err != nil {
			t.Fatal(err)
		}
		e.srv.Advance(20 * 24 * time.Hour)
		if err := e.srv.EmptyRecycleBin("Opportunity", e.srv.Now(), false); err != nil {
			t.Fatal(err)
		}
		ageLastRun(t, e, "opportunity", 20)
		info := e.run(src)
		b := loadTime(t, info.LoadIDs[0]).Format(time.RFC3339Nano)
		for _, id := range ids[:2] {
			if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1`, id); n != 1 {
				t.Fatalf("record %s deleted in the gap has %d rows, want its one version", id, n)
			}
			if got := e.timeAt(`SELECT _dlt_valid_to FROM {ds}.opportunity WHERE id = $1 AND name IS NOT NULL AND NOT is_deleted`, id); got != b {
				t.Errorf("record %s deleted in the gap: retired at %q, want %s with its values kept", id, got, b)
			}
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1 AND _dlt_valid_to IS NULL`, ids[2]); n != 1 {
			t.Error("a live record lost its active version")
		}
	})
}

// The scd2 settings: validity column names, a high active record timestamp and a row version
// column of the object's (SystemModstamp), on a standard replace resource made a merge.
func TestSCD2Settings(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		e.popts = nil
		high := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
		// Campaign is a replace resource: the hints make it an incremental merge with history.
		src := e.source().WithResources("campaign").ApplyHints("campaign", sfdlt.Hints{
			PrimaryKey: []string{"Id"}, Incremental: sfdlt.NewIncremental("SystemModstamp", nil),
			SCD2: &sfdlt.SCD2Options{ValidityColumnNames: [2]string{"ValidFrom", "valid_until"}, ActiveRecordTimestamp: &high, RowVersionColumnName: "SystemModstamp"},
		})
		e.run(src)
		live := int64(e.srv.Count("Campaign", false))
		if n := e.scalar(`SELECT count(*) FROM {ds}.campaign WHERE valid_until = $1 AND valid_from IS NOT NULL`, high); n != live {
			t.Fatalf("%d active campaign rows with valid_until 9999-12-31, want %d", n, live)
		}
		id := e.firstID("campaign")
		if err := e.srv.Update("Campaign", []string{id}, map[string]any{"Name": "renamed"}); err != nil {
			t.Fatal(err)
		}
		e.run(src)
		if n := e.scalar(`SELECT count(*) FROM {ds}.campaign WHERE id = $1`, id); n != 2 {
			t.Fatalf("the changed campaign has %d versions, want 2", n)
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.campaign WHERE id = $1 AND valid_until = $2 AND name = 'renamed'`, id, high); n != 1 {
			t.Fatal("the changed campaign's new version is not the active one")
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.campaign WHERE valid_until = $1`, high); n != live {
			t.Fatalf("%d active campaign rows after the change, want %d", n, live)
		}
		// show says the table keeps history.
		in, err := e.pipeline().Inspect(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if s := in.String(); !strings.Contains(s, "merge (scd2: a row per version), incremental on SystemModstamp") {
			t.Errorf("show does not say campaign keeps history:\n%s", s)
		}
	})
}

// Settings that cannot work are refused before anything is read, saying what to change.
func TestSCD2BadSettings(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name string
		h    sfdlt.Hints
		want string
	}{
		{"same validity names", sfdlt.Hints{SCD2: &sfdlt.SCD2Options{ValidityColumnNames: [2]string{"v", "V"}}}, "both"},
		{"system column", sfdlt.Hints{SCD2: &sfdlt.SCD2Options{ValidityColumnNames: [2]string{"_dlt_load_id", ""}}}, "system column"},
		{"unknown strategy", sfdlt.Hints{MergeStrategy: "upsert"}, "unknown merge strategy"},
		{"row version not a field", sfdlt.Hints{SCD2: &sfdlt.SCD2Options{RowVersionColumnName: "NoSuchField"}}, "not a field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := e.source().WithResources("opportunity").ApplyHints("opportunity", tc.h)
			_, err := e.pipeline().Run(t.Context(), src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			if _, err := os.Stat(e.file); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the refused run left a database file (%v)", err)
			}
		})
	}
}

// A run that stops after a committed chunk is picked up by the next where it left off: each
// record ends with exactly one version, none twice.
func TestSCD2ChunkedRunResumes(t *testing.T) {
	forEachDestination(t, map[string]int{"Opportunity": 3000}, func(t *testing.T, e *env) {
		e.popts = []sfdlt.PipelineOption{sfdlt.CommitEvery(1000), sfdlt.Parallelism(1)}
		src := e.source(sfdlt.BulkThreshold(0)).WithResources("opportunity").ApplyHints("opportunity", sfdlt.Hints{MergeStrategy: sfdlt.StrategySCD2})
		if _, err := runStoppedAfterPages(e, src, "opportunity", 1); err == nil {
			t.Fatal("the stopped run reported success")
		}
		loaded := e.scalar(`SELECT count(*) FROM {ds}.opportunity`)
		live := int64(e.srv.Count("Opportunity", false))
		if loaded == 0 || loaded >= live {
			t.Fatalf("the stopped run committed %d of %d rows; the test needs part of them", loaded, live)
		}
		e.run(src)
		if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity`); n != live {
			t.Fatalf("after the resumed run %d rows, want one version per live record (%d)", n, live)
		}
		if n := e.scalar(`SELECT count(DISTINCT id) FROM {ds}.opportunity WHERE _dlt_valid_to IS NULL`); n != live {
			t.Fatalf("%d records have an active version, want %d", n, live)
		}
	})
}

// The configuration alone gives a resource history, in dlt's form: contact (a replace resource)
// with write_disposition = { disposition = "merge", strategy = "scd2", ... } is merged on Id,
// incremental on SystemModstamp, one version per change.
func TestSCD2FromConfiguration(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		e.popts = nil
		creds := e.srv.Credentials()
		environ := []string{"SOURCES__SALESFORCE__USER_NAME=" + creds.UserName, "SOURCES__SALESFORCE__PASSWORD=" + creds.Password,
			"SOURCES__SALESFORCE__SECURITY_TOKEN=" + creds.SecurityToken, "SOURCES__SALESFORCE__LOGIN_URL=" + e.srv.URL()}
		writeDlt(t, e.dir, "config.toml", `[sources.salesforce.resources.contact]
write_disposition = { disposition = "merge", strategy = "scd2", active_record_timestamp = 9999-12-31 }
`)
		src, err := loadTestConfig(t, e.dir, environ).Source()
		if err != nil {
			t.Fatal(err)
		}
		src = src.WithResources("contact")
		e.run(src)
		live := int64(e.srv.Count("Contact", false))
		high := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
		if n := e.scalar(`SELECT count(*) FROM {ds}.contact WHERE _dlt_valid_to = $1`, high); n != live {
			t.Fatalf("%d active contact versions, want %d", n, live)
		}
		ids := contactIDs(t, e)
		if err := e.srv.Update("Contact", ids[:2], map[string]any{"Department": "Moved"}); err != nil {
			t.Fatal(err)
		}
		e.srv.ResetCalls()
		info := e.run(src)
		if qs := contactReads(e.srv); len(qs) != 1 || !strings.Contains(qs[0], "WHERE SystemModstamp >= ") {
			t.Fatalf("second run's SOQL %q, want one incremental query", qs)
		}
		if got := info.RowCount("contact"); got != 2 {
			t.Errorf("second run wrote %d rows, want the 2 changed", got)
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.contact`); n != live+2 {
			t.Errorf("contact holds %d rows, want %d (two new versions)", n, live+2)
		}
		if n := e.scalar(`SELECT count(*) FROM {ds}.contact WHERE _dlt_valid_to = $1 AND department = 'Moved'`, high); n != 2 {
			t.Errorf("%d active versions carry the change, want 2", n)
		}
	})
}

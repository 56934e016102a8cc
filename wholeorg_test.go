package sfdlt_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/salesforcetest"
	"github.com/sfdlt/sfdlt/schema"
)

// dispositionOf reads a table's write disposition from the schema the destination stores.
func (e *env) dispositionOf(table string) string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	var body string
	if err := db.QueryRow(e.sql(`SELECT schema FROM {ds}._dlt_version ORDER BY version DESC LIMIT 1`)).Scan(&body); err != nil {
		e.t.Fatal(err)
	}
	var s schema.Schema
	if err := s.UnmarshalJSON([]byte(body)); err != nil {
		e.t.Fatal(err)
	}
	t := s.Table(table)
	if t == nil {
		e.t.Fatalf("the stored schema has no table %s", table)
	}
	return string(t.WriteDisposition)
}

// A whole-org load on the standard org: the 15 resources keep their names and dispositions, the
// custom object joins them, merged incrementally on SystemModstamp, and nothing is loaded twice.
func TestAllObjectsStandardOrg(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		e.popts = nil
		info := e.run(e.source(sfdlt.AllObjects(true)))
		if len(info.Skipped) != 0 {
			t.Fatalf("skipped %v on an org with nothing to skip", info.Skipped)
		}
		want := []string{"_dlt_loads", "_dlt_pipeline_state", "_dlt_version", "something__c"}
		for _, s := range standard {
			want = append(want, s.table)
			e.checkTable(s.table, s.object, s.merge)
		}
		slices.Sort(want)
		if got := e.tables(); !slices.Equal(got, want) {
			t.Fatalf("tables = %v\nwant %v (User stays sf_user, never a second table)", got, want)
		}
		e.checkTable("something__c", "Something__c", true)
		if d := e.dispositionOf("something__c"); d != "merge" {
			t.Errorf("something__c is %s, want merge (it has SystemModstamp)", d)
		}

		// Nothing changed: the second run reads the custom object incrementally.
		e.srv.ResetCalls()
		info = e.run(e.source(sfdlt.AllObjects(true)))
		q := queriesOf(e.srv, "Something__c")
		if len(q) != 1 || !strings.Contains(q[0], "SystemModstamp >= ") {
			t.Fatalf("second run's queries of Something__c = %q, want one from the cursor", q)
		}
		if n := info.RowCount("something__c"); n != 0 {
			t.Errorf("second run wrote %d rows of something__c with nothing changed", n)
		}
		e.checkTable("something__c", "Something__c", true)

		// show lists each object's disposition and cursor.
		in, err := e.pipeline().Inspect(context.Background(), 5)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]sfdlt.ResourceInfo{}
		for _, r := range in.Resources {
			got[r.Table] = r
		}
		for table, want := range map[string]sfdlt.ResourceInfo{
			"something__c": {Table: "something__c", Disposition: sfdlt.Merge, MergeStrategy: sfdlt.StrategyDeleteInsert, Cursor: "SystemModstamp"},
			"opportunity":  {Table: "opportunity", Disposition: sfdlt.Merge, MergeStrategy: sfdlt.StrategyDeleteInsert, Cursor: "SystemModstamp"},
			"sf_user":      {Table: "sf_user", Disposition: sfdlt.Replace},
		} {
			if got[table] != want {
				t.Errorf("Inspect: %s is %+v, want %+v", table, got[table], want)
			}
		}
		if len(in.Resources) != len(standard)+1 {
			t.Errorf("Inspect lists %d resources, want %d", len(in.Resources), len(standard)+1)
		}
		if s := in.String(); !strings.Contains(s, "merge, incremental on SystemModstamp") || !strings.Contains(s, "rows  replace") {
			t.Errorf("show does not say how tables are loaded:\n%s", s)
		}
	})
}

func TestAllObjectsPatterns(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		e.popts = nil
		info := e.run(e.source(sfdlt.AllObjects(true), sfdlt.ObjectsExclude("something*")))
		if info.RowCount("something__c") != 0 || slices.Contains(e.tables(), "something__c") {
			t.Fatalf("ObjectsExclude(\"something*\") loaded something__c: %v", e.tables())
		}
	})
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: "u", Password: "p"}, sfdlt.AllObjects(true), sfdlt.ObjectsInclude("[bad"))
	if err != nil {
		t.Fatal(err)
	}
	if src.Err() == nil || !strings.Contains(src.Err().Error(), `"[bad"`) {
		t.Fatalf("a malformed pattern: %v, want an error naming it", src.Err())
	}
}

// Per-object overrides from Go: the custom object appended instead of merged, with no cursor.
func TestObjectHintsOverrideDisposition(t *testing.T) {
	e := newEnv(t, nil)
	e.popts = nil
	src := e.source(sfdlt.AllObjects(true), sfdlt.ObjectsInclude("Something__c"),
		sfdlt.ObjectHints("something__C", sfdlt.Hints{WriteDisposition: sfdlt.Replace, NoIncremental: true}))
	e.run(src)
	if d := e.dispositionOf("something__c"); d != "replace" {
		t.Fatalf("something__c is %s, want replace (ObjectHints)", d)
	}
	e.srv.ResetCalls()
	e.run(src)
	if q := queriesOf(e.srv, "Something__c"); len(q) != 1 || strings.Contains(q[0], "WHERE") {
		t.Fatalf("queries = %q, want one full read (NoIncremental)", q)
	}
	e.checkTable("something__c", "Something__c", false)
}

// wholeOrg lists what an all-objects load of the emulator's whole org gives: each loaded
// object's table, disposition, cursor and whether deleted rows stay (queryAll).
var wholeOrg = []struct {
	table, object, disposition, cursor string
	withDeleted                        bool
}{
	{"opportunity_field_history", "OpportunityFieldHistory", "append", "CreatedDate", false},
	{"account_share", "AccountShare", "merge", "LastModifiedDate", true},
	{"group", "Group", "merge", "SystemModstamp", false},
	{"group_member", "GroupMember", "merge", "SystemModstamp", false},
	{"record_type", "RecordType", "merge", "SystemModstamp", false},
	{"meter_reading__c", "Meter_Reading__c", "merge", "SystemModstamp", true},
	{"customer_profile__c", "Customer_Profile__c", "merge", "SystemModstamp", true},
	{"very_long_custom_object_name_for_testing__c", "Very_Long_Custom_Object_Name_For_Testing__c", "merge", "SystemModstamp", true},
	{"something__c", "Something__c", "merge", "SystemModstamp", true},
}

// wholeOrgSkipped are the objects Salesforce refuses to read as a whole, with what it says.
var wholeOrgSkipped = map[string]string{
	"ContentDocumentLink": "Implementation restriction: ContentDocumentLink requires a filter",
	"EventLogFile":        "INVALID_TYPE",
	"SetupAuditTrail":     "INSUFFICIENT_ACCESS_OR_READONLY",
}

func (e *env) checkWholeOrg(info *sfdlt.LoadInfo) {
	e.t.Helper()
	for _, s := range standard {
		e.checkTable(s.table, s.object, s.merge)
	}
	for _, w := range wholeOrg {
		e.checkTable(w.table, w.object, w.withDeleted)
		if d := e.dispositionOf(w.table); d != w.disposition {
			e.t.Errorf("%s is %s, want %s", w.table, d, w.disposition)
		}
	}
	got := map[string]string{}
	for _, sk := range info.Skipped {
		got[sk.Object] = sk.Reason
	}
	if len(got) != len(wholeOrgSkipped) {
		e.t.Errorf("skipped %v, want %v", info.Skipped, wholeOrgSkipped)
	}
	for object, reason := range wholeOrgSkipped {
		if !strings.Contains(got[object], reason) {
			e.t.Errorf("%s skipped for %q, want a reason with %q", object, got[object], reason)
		}
		if !strings.Contains(info.String(), "Skipped "+object) {
			e.t.Errorf("the load info does not list %s as skipped:\n%v", object, info)
		}
	}
	tables := e.tables()
	want := []string{"_dlt_loads", "_dlt_pipeline_state", "_dlt_version"}
	for _, s := range standard {
		want = append(want, s.table)
	}
	for _, w := range wholeOrg {
		want = append(want, w.table)
	}
	for _, tb := range want {
		if !slices.Contains(tables, tb) {
			e.t.Errorf("no table %s; tables %v", tb, tables)
		}
	}
	// Skipped objects, events and external objects leave no table behind.
	for _, tb := range []string{"content_document_link", "event_log_file", "setup_audit_trail", "order_event__e", "account_change_event", "legacy_invoice__x"} {
		if slices.Contains(tables, tb) {
			e.t.Errorf("table %s exists: skipped and left-out objects must leave nothing", tb)
		}
	}
}

// A whole-org load of an org with the objects a real one has: each readable object loaded exactly
// with its disposition and cursor from describe, the refusing ones skipped with Salesforce's reason,
// events and external objects left out; then a second run after changes (updates that add history,
// inserts, deletes, a new custom object, an object deleted from the org) is incremental where a
// cursor exists and exact everywhere.
func TestAllObjectsWholeOrg(t *testing.T) {
	for _, kind := range []string{"duckdb", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnvWith(t, kind, salesforcetest.Options{Seed: 42, WholeOrg: true,
				Counts: map[string]int{"Customer_Profile__c": 40, "Meter_Reading__c": 1500}})
			info := e.run(e.source(sfdlt.AllObjects(true)))
			e.checkWholeOrg(info)

			// Changes between runs.
			opps := e.liveIDs("opportunity", 3)
			if err := e.srv.Update("Opportunity", opps, map[string]any{"StageName": "Closed Won"}); err != nil {
				t.Fatal(err)
			}
			readings := e.liveIDs("meter_reading__c", 2)
			if err := e.srv.Update("Meter_Reading__c", readings[:1], map[string]any{"Name": "changed"}); err != nil {
				t.Fatal(err)
			}
			if err := e.srv.Delete("Meter_Reading__c", readings[1]); err != nil {
				t.Fatal(err)
			}
			if _, err := e.srv.Insert("Meter_Reading__c", map[string]any{"Name": "new reading"}); err != nil {
				t.Fatal(err)
			}
			if err := e.srv.CreateObject("Invoice__c", "Invoice", salesforcetest.Field{Name: "Amount__c", Type: "currency", Precision: 18, Scale: 2, Nillable: true, Createable: true, Updateable: true}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if _, err := e.srv.Insert("Invoice__c", map[string]any{"Name": fmt.Sprintf("INV-%d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.srv.DeleteObject("Very_Long_Custom_Object_Name_For_Testing__c"); err != nil {
				t.Fatal(err)
			}

			e.srv.ResetCalls()
			info = e.run(e.source(sfdlt.AllObjects(true)))
			for object, cond := range map[string]string{
				"Meter_Reading__c": "SystemModstamp >= ", "AccountShare": "LastModifiedDate >= ",
				"OpportunityFieldHistory": "CreatedDate >= ", "Group": "SystemModstamp >= ",
			} {
				q := queriesOf(e.srv, object)
				if len(q) != 1 || !strings.Contains(q[0], cond) {
					t.Errorf("second run's queries of %s = %q, want one from its cursor (%s)", object, q, cond)
				}
			}
			if n := info.RowCount("opportunity_field_history"); n == 0 {
				t.Errorf("the second run appended no history rows; the opportunities' changes added some")
			}
			wantSecond := slices.DeleteFunc(slices.Clone(wholeOrg), func(w struct {
				table, object, disposition, cursor string
				withDeleted                        bool
			}) bool {
				return w.object == "Very_Long_Custom_Object_Name_For_Testing__c"
			})
			for _, s := range standard {
				e.checkTable(s.table, s.object, s.merge)
			}
			for _, w := range wantSecond {
				e.checkTable(w.table, w.object, w.withDeleted)
			}
			e.checkTable("invoice__c", "Invoice__c", true)
			if d := e.dispositionOf("invoice__c"); d != "merge" {
				t.Errorf("the new custom object is %s, want merge", d)
			}
			if len(info.Skipped) != len(wholeOrgSkipped) {
				t.Errorf("second run skipped %v", info.Skipped)
			}
		})
	}
}

// Per-object overrides from the configuration's [sources.salesforce.objects.<Object>] tables.
func TestObjectHintsFromTOML(t *testing.T) {
	for _, kind := range []string{"duckdb", "postgres"} {
		t.Run(kind, func(t *testing.T) { testObjectHintsFromTOML(t, kind) })
	}
}

func testObjectHintsFromTOML(t *testing.T, kind string) {
	e := newEnvWith(t, kind, salesforcetest.Options{Seed: 42, WholeOrg: true,
		Counts: map[string]int{"Customer_Profile__c": 10, "Meter_Reading__c": 300}})
	e.popts = nil
	c := e.srv.Credentials()
	writeDlt(t, e.dir, "secrets.toml", fmt.Sprintf("[sources.salesforce]\nuser_name = %q\npassword = %q\nsecurity_token = %q\n", c.UserName, c.Password, c.SecurityToken))
	writeDlt(t, e.dir, "config.toml", fmt.Sprintf(`[sources.salesforce]
login_url = %q
all_objects = true
objects_include = ["Meter_Reading__c", "AccountShare", "*History"]

[sources.salesforce.objects.Meter_Reading__c]
write_disposition = "append"
cursor = "CreatedDate"

[sources.salesforce.objects.AccountShare]
cursor = "none"
write_disposition = "replace"
`, e.srv.URL()))
	src, err := loadTestConfig(t, e.dir, nil).Source()
	if err != nil {
		t.Fatal(err)
	}
	info := e.run(src)
	for table, want := range map[string]string{"meter_reading__c": "append", "account_share": "replace", "opportunity_field_history": "append"} {
		if d := e.dispositionOf(table); d != want {
			t.Errorf("%s is %s, want %s", table, d, want)
		}
	}
	for _, tb := range e.tables() {
		if tb == "group" || tb == "something__c" || tb == "customer_profile__c" {
			t.Errorf("objects_include let %s in", tb)
		}
	}
	e.checkTable("meter_reading__c", "Meter_Reading__c", false)
	e.checkTable("account_share", "AccountShare", false)
	if len(info.Skipped) != 0 {
		t.Errorf("skipped %v: objects_include named none of the refusing objects", info.Skipped)
	}
	e.srv.ResetCalls()
	e.run(src)
	if q := queriesOf(e.srv, "Meter_Reading__c"); len(q) != 1 || !strings.Contains(q[0], "CreatedDate >= ") {
		t.Errorf("queries of Meter_Reading__c = %q, want one from the CreatedDate cursor", q)
	}
	if q := queriesOf(e.srv, "AccountShare"); len(q) != 1 || strings.Contains(q[0], "WHERE") {
		t.Errorf("queries of AccountShare = %q, want one full read (cursor = \"none\")", q)
	}
	e.checkTable("meter_reading__c", "Meter_Reading__c", false)
}

// A whole-org run killed after a chunk committed goes on where it stopped, and ends exact.
func TestAllObjectsKilledAndResumed(t *testing.T) {
	for _, kind := range []string{"duckdb", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnvWith(t, kind, salesforcetest.Options{Seed: 42, WholeOrg: true,
				Counts: map[string]int{"Customer_Profile__c": 40, "Meter_Reading__c": 6000}})
			e.popts = []sfdlt.PipelineOption{sfdlt.CommitEvery(2000), sfdlt.Parallelism(1)}
			src := e.source(sfdlt.AllObjects(true), sfdlt.BulkThreshold(0))
			info, err := runStoppedAfterPages(e, src, "meter_reading__c", 2)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("want the run cancelled, got %v\n%v", err, info)
			}
			if len(info.LoadIDs) == 0 {
				t.Fatalf("nothing was committed before the stop:\n%v", info)
			}
			info = e.run(src)
			e.checkWholeOrg(info)
		})
	}
}

// A whole org of 200 more objects with nothing changed costs about one API call per object: the
// global describe answers 304, so no object is described again (the describes are kept beside
// the state), and each object is one query. A field added meanwhile is seen all the same.
func TestAllObjectsAPICost(t *testing.T) {
	e := newEnvWith(t, "duckdb", salesforcetest.Options{Seed: 42})
	e.popts = nil
	const added = 200
	for i := range added {
		name := fmt.Sprintf("Bulk_Object_%03d__c", i)
		if err := e.srv.CreateObject(name, name, salesforcetest.Field{Name: "Value__c", Type: "double", Precision: 18, Scale: 2, Nillable: true, Createable: true, Updateable: true}); err != nil {
			t.Fatal(err)
		}
		for j := range 2 {
			if _, err := e.srv.Insert(name, map[string]any{"Name": fmt.Sprintf("r%d", j), "Value__c": float64(j)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	src := e.source(sfdlt.AllObjects(true))
	first := e.run(src)
	objects := len(standard) + 1 + added // the standard ones, Something__c and the added ones
	if len(first.Tables) != objects {
		t.Fatalf("the first run loaded %d tables, want %d", len(first.Tables), objects)
	}
	second := e.run(src)
	t.Logf("API calls: first run %d, second run %d, for %d objects", first.APICalls, second.APICalls, objects)
	if second.APICalls > objects+2 {
		t.Errorf("a run with nothing changed made %d API calls for %d objects, want at most %d (a global describe answered 304 and a query each)", second.APICalls, objects, objects+2)
	}

	// A new field: the global describe's 304 no longer holds, the object is described again.
	addTextField(t, e.srv, "Bulk_Object_007__c", "Note__c", func(r *salesforcetest.Record) any { return "note " + r.ID() })
	third := e.run(src)
	if got := e.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = 'bulk_object_007__c' AND column_name = 'note__c'`); got != 1 {
		t.Fatalf("no column note__c: the changed describe was not read\n%v", third)
	}
	if third.APICalls <= objects+2 {
		t.Errorf("after a metadata change the run made %d API calls: the objects must be described again", third.APICalls)
	}
}

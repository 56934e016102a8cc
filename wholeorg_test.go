package sfdlt_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
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
			"something__c": {Table: "something__c", Disposition: sfdlt.Merge, Cursor: "SystemModstamp"},
			"opportunity":  {Table: "opportunity", Disposition: sfdlt.Merge, Cursor: "SystemModstamp"},
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
	e := newEnv(t, nil)
	e.popts = nil
	info := e.run(e.source(sfdlt.AllObjects(true), sfdlt.ObjectsExclude("something*")))
	if info.RowCount("something__c") != 0 || slices.Contains(e.tables(), "something__c") {
		t.Fatalf("ObjectsExclude(\"something*\") loaded something__c: %v", e.tables())
	}
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

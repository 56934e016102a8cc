package org

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestUpdate(t *testing.T) {
	o := New(Config{Seed: 1})
	before := scan(t, o, "Account", false, time.Time{})
	ids := []string{before[200].ID(), before[5].ID(), before[100].ID()}
	now := o.Now()
	if err := o.Update("account", ids, map[string]any{"Industry": "Banking", "numberofemployees": 42}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if !o.Now().After(now) {
		t.Error("Update did not advance the clock")
	}
	after := scan(t, o, "Account", false, time.Time{})
	if len(after) != len(before) || o.Count("Account", false) != len(before) {
		t.Fatalf("%d records after update, want %d", len(after), len(before))
	}
	tail := after[len(after)-3:]
	for k, want := range []string{ids[1], ids[2], ids[0]} { // one stamp, so Id order
		r := tail[k]
		if r.ID() != want {
			t.Fatalf("updated record %d is %s, want %s", k, r.ID(), want)
		}
		if !stamp(r).Equal(now) || !r.Get("LastModifiedDate").(time.Time).Equal(now) {
			t.Errorf("%s: stamps %v / %v, want the one update stamp %v", r.ID(), stamp(r), r.Get("LastModifiedDate"), now)
		}
		if r.Get("Industry") != "Banking" || r.Get("NumberOfEmployees") != int64(42) {
			t.Errorf("%s: values not written: %v %v", r.ID(), r.Get("Industry"), r.Get("NumberOfEmployees"))
		}
	}
	if got := scan(t, o, "Account", false, now); len(got) != 3 {
		t.Errorf("cursor since the update stamp gives %d records, want 3", len(got))
	}
	// The original positions no longer hold the updated records.
	for _, r := range after[:len(after)-3] {
		for _, id := range ids {
			if r.ID() == id {
				t.Fatalf("%s appears twice", id)
			}
		}
	}
	// Contact names follow their parts.
	c := scan(t, o, "Contact", false, time.Time{})[0]
	if err := o.Update("Contact", []string{c.ID()}, map[string]any{"FirstName": "Zoë", "LastName": "O'Brien"}); err != nil {
		t.Fatal(err)
	}
	if g, _ := o.Get("Contact", c.ID()); g.Get("Name") != "Zoë O'Brien" {
		t.Errorf("Contact Name %q after update", g.Get("Name"))
	}
}

func TestMutationErrors(t *testing.T) {
	o := New(Config{Seed: 1})
	acc := scan(t, o, "Account", false, time.Time{})[0].ID()
	cases := []struct {
		name string
		run  func() error
		code string
	}{
		{"unknown object", func() error { return o.Update("Nope", []string{acc}, nil) }, "NOT_FOUND"},
		{"unknown field", func() error { return o.Update("Account", []string{acc}, map[string]any{"Nope__c": "x"}) }, "INVALID_FIELD"},
		{"wrong type", func() error { return o.Update("Account", []string{acc}, map[string]any{"AnnualRevenue": "12"}) }, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"bad decimal", func() error {
			return o.Update("Account", []string{acc}, map[string]any{"AnnualRevenue": json.Number("1x")})
		}, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"date as string", func() error {
			return o.Update("Account", []string{acc}, map[string]any{"SLAExpirationDate__c": "2024-01-01"})
		}, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"read-only", func() error { return o.Update("Account", []string{acc}, map[string]any{"SystemModstamp": time.Now()}) }, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"compound", func() error { return o.Update("Account", []string{acc}, map[string]any{"BillingAddress": "x"}) }, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"formula", func() error { return o.Update("Opportunity", nil, map[string]any{"ExpectedRevenue": 1.0}) }, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"too long", func() error {
			return o.Update("Account", []string{acc}, map[string]any{"Site": string(make([]byte, 81))})
		}, "STRING_TOO_LONG"},
		{"null required", func() error { return o.Update("Account", []string{acc}, map[string]any{"Name": nil}) }, "REQUIRED_FIELD_MISSING"},
		{"unknown id", func() error { return o.Update("Account", []string{"001D000000JliSTIAZ"}, nil) }, "NOT_FOUND"},
		{"malformed id", func() error { return o.Update("Account", []string{"001-bad"}, nil) }, "MALFORMED_ID"},
		{"no ids", func() error { return o.Update("Account", nil, nil) }, "MISSING_ARGUMENT"},
		{"id of another object", func() error { return o.Delete("Contact", acc) }, "NOT_FOUND"},
		{"undelete live", func() error { return o.Undelete("Account", acc) }, "UNDELETE_FAILED"},
		{"delete user", func() error {
			return o.Delete("User", scan(t, o, "User", false, time.Time{})[0].ID())
		}, "INVALID_OPERATION"},
		{"insert missing required", func() error { _, err := o.Insert("Contact", map[string]any{"FirstName": "A"}); return err }, "REQUIRED_FIELD_MISSING"},
		{"insert read-only", func() error { _, err := o.Insert("Account", map[string]any{"Name": "A", "Id": acc}); return err }, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"time out of range", func() error {
			_, err := o.Insert("Something__c", map[string]any{"Name": "A", "Time__c": 25 * time.Hour})
			return err
		}, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"add duplicate field", func() error { return o.AddField("Account", Field{Name: "name", Type: "string"}, nil) }, "DUPLICATE_DEVELOPER_NAME"},
		{"add unknown type", func() error { return o.AddField("Account", Field{Name: "X__c", Type: "blob"}, nil) }, "INVALID_TYPE"},
		{"formula on stored field", func() error { return o.SetFormula("Account", "Name", nil) }, "INVALID_FIELD"},
		{"deleted window reversed", func() error {
			_, _, _, err := o.Deleted("Account", o.Now(), o.Now().Add(-time.Hour))
			return err
		}, "INVALID_REPLICATION_DATE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stamp := o.Now()
			err := tc.run()
			if code(err) != tc.code || err.Error() == "" {
				t.Fatalf("error %v (code %q), want code %s", err, code(err), tc.code)
			}
			if !o.Now().Equal(stamp) {
				t.Errorf("a failed mutation moved the clock")
			}
		})
	}
	if got := scan(t, o, "Account", false, o.Base().Add(time.Millisecond)); len(got) != 0 {
		t.Errorf("failed mutations changed %d records", len(got))
	}
}

func TestDeleteUndelete(t *testing.T) {
	o := New(Config{Seed: 4})
	recs := scan(t, o, "Contact", false, time.Time{})
	n := len(recs)
	a, b := recs[10].ID(), recs[20].ID()
	t0 := o.Now()
	if err := o.Delete("Contact", b, a, a); err != nil {
		t.Fatal(err)
	}
	if o.Count("Contact", false) != n-2 || o.Count("Contact", true) != n {
		t.Fatalf("counts %d/%d after deleting 2 of %d", o.Count("Contact", false), o.Count("Contact", true), n)
	}
	live := scan(t, o, "Contact", false, time.Time{})
	all := scan(t, o, "Contact", true, time.Time{})
	if len(live) != n-2 || len(all) != n {
		t.Fatalf("cursor sees %d live and %d in all, want %d and %d", len(live), len(all), n-2, n)
	}
	for _, r := range all[n-2:] {
		if !r.Deleted() || r.Get("IsDeleted") != true || !stamp(r).Equal(t0) {
			t.Errorf("%s: deleted %v, stamp %v, want deleted at %v", r.ID(), r.Deleted(), stamp(r), t0)
		}
	}
	if r, ok := o.Get("Contact", a); !ok || !r.Deleted() {
		t.Error("Get does not return the deleted record as deleted")
	}
	if err := o.Update("Contact", []string{a}, map[string]any{"Title": "x"}); code(err) != "ENTITY_IS_DELETED" {
		t.Errorf("update of a deleted record: %v", err)
	}
	if err := o.Delete("Contact", a); code(err) != "ENTITY_IS_DELETED" {
		t.Errorf("second delete: %v", err)
	}
	del, earliest, latest, err := o.Deleted("Contact", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(del) != 2 || del[0].ID != a || del[1].ID != b || !del[0].DeletedDate.Equal(t0) {
		t.Fatalf("Deleted: %v %v", del, err)
	}
	if !earliest.Before(t0) || latest.After(o.Now()) || latest.Before(t0) {
		t.Errorf("earliest %v, latest %v around deletion at %v", earliest, latest, t0)
	}
	if del, _, _, _ := o.Deleted("Contact", t0.Add(time.Millisecond), t0.Add(time.Hour)); len(del) != 0 {
		t.Errorf("window after the deletion lists %v", del)
	}
	t1 := o.Now()
	if err := o.Undelete("Contact", a); err != nil {
		t.Fatal(err)
	}
	if r, _ := o.Get("Contact", a); r.Deleted() || !stamp(r).Equal(t1) {
		t.Errorf("undeleted record: deleted %v, stamp %v want %v", r.Deleted(), stamp(r), t1)
	}
	if del, _, _, _ := o.Deleted("Contact", t0, o.Now()); len(del) != 1 || del[0].ID != b {
		t.Errorf("after undelete, Deleted lists %v", del)
	}
	if o.Count("Contact", false) != n-1 {
		t.Errorf("count %d after undelete, want %d", o.Count("Contact", false), n-1)
	}
}

func TestInsert(t *testing.T) {
	o := New(Config{Seed: 4})
	recs := scan(t, o, "Contact", false, time.Time{})
	maxID := ""
	for _, r := range recs {
		if r.ID() > maxID {
			maxID = r.ID()
		}
	}
	acc := scan(t, o, "Account", false, time.Time{})[3].ID()
	now := o.Now()
	id, err := o.Insert("Contact", map[string]any{"LastName": "Müller", "FirstName": "Jürgen", "AccountId": acc[:15], "Birthdate": time.Date(1980, 5, 6, 13, 0, 0, 0, time.FixedZone("x", 3600))})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := o.Insert("Contact", map[string]any{"LastName": "Second"})
	if err != nil {
		t.Fatal(err)
	}
	if id <= maxID || id2 <= id {
		t.Fatalf("new ids %s, %s not above %s", id, id2, maxID)
	}
	r, ok := o.Get("Contact", id)
	if !ok {
		t.Fatal("inserted record not found")
	}
	want := map[string]any{
		"Name": "Jürgen Müller", "AccountId": acc, "IsDeleted": false, "CreatedDate": now, "SystemModstamp": now,
		"Birthdate": time.Date(1980, 5, 6, 0, 0, 0, 0, time.UTC), "OwnerId": o.apiUser(), "Email": nil,
	}
	for k, v := range want {
		if got := r.Get(k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	all := scan(t, o, "Contact", false, time.Time{})
	if len(all) != len(recs)+2 || all[len(all)-2].ID() != id || all[len(all)-1].ID() != id2 {
		t.Fatalf("inserted records not at the end of the cursor")
	}
	if o.Count("Contact", false) != len(recs)+2 {
		t.Errorf("count %d", o.Count("Contact", false))
	}
}

func TestAddField(t *testing.T) {
	o := New(Config{Seed: 6})
	before := scan(t, o, "Account", false, time.Time{})
	upd := before[1].ID()
	if err := o.Update("Account", []string{upd}, map[string]any{"Site": "HQ"}); err != nil {
		t.Fatal(err)
	}
	obj, _ := o.Object("Account")
	lm := obj.LastModified
	nfields := len(obj.Fields)
	err := o.AddField("Account", Field{Name: "Tier__c", Type: "string", Length: 20, Nillable: true, Custom: true}, func(r *Record) any {
		return "tier-" + r.ID()[14:15]
	})
	if err != nil {
		t.Fatal(err)
	}
	obj2, _ := o.Object("Account")
	if len(obj2.Fields) != nfields+1 || len(obj.Fields) != nfields || !obj2.LastModified.After(lm) {
		t.Fatalf("describe: %d fields (old copy %d), LastModified %v -> %v", len(obj2.Fields), len(obj.Fields), lm, obj2.LastModified)
	}
	if f, ok := obj2.Field("tier__c"); !ok || f.SoapType != "xsd:string" {
		t.Fatalf("new field: %+v", f)
	}
	after := scan(t, o, "Account", false, time.Time{})
	for _, r := range after {
		if r.Get("Tier__c") != "tier-"+r.ID()[14:15] {
			t.Fatalf("%s: Tier__c = %v", r.ID(), r.Get("Tier__c"))
		}
		if stamp(r).After(o.Base()) && r.ID() != upd {
			t.Fatalf("%s: AddField bumped SystemModstamp to %v", r.ID(), stamp(r))
		}
	}
	// A calculated field added later is computed on read.
	if err := o.AddField("Account", Field{Name: "Double__c", Type: "double", Precision: 18, Scale: 0, Calculated: true, CalculatedFormula: "2"}, func(*Record) any { return 2.0 }); err != nil {
		t.Fatal(err)
	}
	if r, _ := o.Get("Account", upd); r.Get("Double__c") != 2.0 || r.Get("Site") != "HQ" {
		t.Errorf("after second AddField: %v %v", r.Get("Double__c"), r.Get("Site"))
	}
}

func TestSetFormula(t *testing.T) {
	o := New(Config{Seed: 8})
	before := scan(t, o, "Opportunity", false, time.Time{})
	if err := o.SetFormula("opportunity", "expectedrevenue", func(r *Record) any { return 1.5 }); err != nil {
		t.Fatal(err)
	}
	after := scan(t, o, "Opportunity", false, time.Time{})
	if len(after) != len(before) {
		t.Fatal("record count changed")
	}
	for i := range after {
		if after[i].ID() != before[i].ID() || !stamp(after[i]).Equal(stamp(before[i])) {
			t.Fatalf("record %d moved or got a new stamp", i)
		}
		if after[i].Get("ExpectedRevenue") != 1.5 {
			t.Fatalf("ExpectedRevenue %v", after[i].Get("ExpectedRevenue"))
		}
	}
	// The default formula follows Amount, exactly, even beyond float64 precision.
	got := mulDiv(json.Number("9999999999999999.98"), 50.0, 100, 2)
	if got != json.Number("4999999999999999.99") {
		t.Errorf("mulDiv of a huge amount = %v", got)
	}
	if got := mulDiv(nil, 50.0, 100, 2); got != nil {
		t.Errorf("formula of null = %v", got)
	}
}

func TestClock(t *testing.T) {
	o := New(Config{})
	n0 := o.Now()
	o.Advance(time.Hour)
	o.Advance(-time.Hour) // ignored
	if got := o.Now().Sub(n0); got != time.Hour {
		t.Errorf("clock moved %v, want 1h", got)
	}
	if !n0.After(DefaultBase) {
		t.Errorf("clock %v does not start after Base", n0)
	}
}

// TestConcurrency runs cursors while mutations happen; run it with -race.
func TestConcurrency(t *testing.T) {
	o := New(Config{Seed: 12})
	ids := make([]string, 0, 100)
	for _, r := range scan(t, o, "Task", false, time.Time{})[:100] {
		ids = append(ids, r.ID())
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; k < 3000; k++ {
			select {
			case <-stop:
				return
			default:
			}
			id := ids[k%len(ids)]
			switch k % 4 {
			case 0:
				_ = o.Update("Task", []string{id, ids[(k+7)%len(ids)]}, map[string]any{"Subject": "Call"})
			case 1:
				_ = o.Delete("Task", id)
			case 2:
				_ = o.Undelete("Task", id)
			default:
				if _, err := o.Insert("Task", map[string]any{"Subject": "New"}); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	for round := 0; round < 3; round++ {
		c, err := o.Cursor("Task", round%2 == 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var last *Record
		for r, ok := c.Next(); ok; r, ok = c.Next() {
			if last != nil && (stamp(r).Before(stamp(last)) || stamp(r).Equal(stamp(last)) && r.ID() <= last.ID()) {
				t.Fatalf("cursor went back: %s@%v after %s@%v", r.ID(), stamp(r), last.ID(), stamp(last))
			}
			last = r
			_ = o.Count("Task", false)
		}
	}
	close(stop)
	wg.Wait()
}

package org

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// scan reads a whole cursor.
func scan(t *testing.T, o *Org, object string, includeDeleted bool, since time.Time) []*Record {
	t.Helper()
	c, err := o.Cursor(object, includeDeleted, since)
	if err != nil {
		t.Fatalf("Cursor(%s): %v", object, err)
	}
	var out []*Record
	for r, ok := c.Next(); ok; r, ok = c.Next() {
		out = append(out, r)
	}
	return out
}

func stamp(r *Record) time.Time { return r.Get("SystemModstamp").(time.Time) }

func TestDeterminism(t *testing.T) {
	a, b, other := New(Config{Seed: 7}), New(Config{Seed: 7}), New(Config{Seed: 8})
	for _, obj := range a.Objects() {
		ra, rb, ro := scan(t, a, obj.Name, true, time.Time{}), scan(t, b, obj.Name, true, time.Time{}), scan(t, other, obj.Name, true, time.Time{})
		if len(ra) != DefaultCounts()[obj.Name] || len(ra) != len(rb) {
			t.Fatalf("%s: %d and %d records, want %d", obj.Name, len(ra), len(rb), DefaultCounts()[obj.Name])
		}
		same := 0
		for i := range ra {
			if !reflect.DeepEqual(ra[i].vals, rb[i].vals) {
				t.Fatalf("%s record %d differs between two orgs of the same seed", obj.Name, i)
			}
			if reflect.DeepEqual(ra[i].vals, ro[i].vals) {
				same++
			}
		}
		if same > 0 {
			t.Errorf("%s: %d records identical under another seed", obj.Name, same)
		}
		// Reading a record again (Get) gives the same values as the cursor did.
		if g, ok := a.Get(obj.Name, ra[len(ra)/2].ID()); !ok || !reflect.DeepEqual(g.vals, ra[len(ra)/2].vals) {
			t.Errorf("%s: Get disagrees with the cursor", obj.Name)
		}
	}
}

func TestChecksum(t *testing.T) {
	// Ids from recorded real responses (see /work/shared/fixtures).
	for _, id := range []string{
		"001D000000JliSTIAZ", "001xx000003DHP0AAO", "003q000000KvQ1tAAF", "003q000000KwJwLAAV",
		"701E00000005ZqAIAU", "701E0000000JuFHIA0", "a00D0000008pQRAIA2", "012000000000000AAA",
		"a1V3E000000EXomUAG",
	} {
		if got := id[:15] + Checksum(id[:15]); got != id {
			t.Errorf("Checksum(%s) gives %s, want %s", id[:15], got, id)
		}
		if got, err := To18(id[:15]); err != nil || got != id {
			t.Errorf("To18(%s) = %s, %v; want %s", id[:15], got, err, id)
		}
		if got, err := To18(id); err != nil || got != id {
			t.Errorf("To18(%s) = %s, %v", id, got, err)
		}
	}
	for _, bad := range []string{"", "001", "001D000000JliSTIAA", "001D000000JliST!AZ", "001D000000JliSTIAZX"} {
		if _, err := To18(bad); err == nil {
			t.Errorf("To18(%q) accepted a bad id", bad)
		}
	}
}

func FuzzTo18(f *testing.F) {
	f.Add("001D000000JliST")
	f.Add("a1V3E000000EXomUAG")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := To18(s)
		if err != nil {
			return
		}
		if len(id) != 18 || id[:15] != s[:15] {
			t.Fatalf("To18(%q) = %q", s, id)
		}
		if again, err := To18(id); err != nil || again != id {
			t.Fatalf("To18 is not idempotent on %q: %q, %v", id, again, err)
		}
	})
}

func TestIDs(t *testing.T) {
	o := New(Config{Seed: 3})
	for _, obj := range o.Objects() {
		recs := scan(t, o, obj.Name, false, time.Time{})
		byID := map[string]bool{}
		for _, r := range recs {
			id := r.ID()
			if len(id) != 18 || id[:3] != obj.KeyPrefix {
				t.Fatalf("%s: id %q has the wrong shape or prefix (want %s)", obj.Name, id, obj.KeyPrefix)
			}
			if full, err := To18(id[:15]); err != nil || full != id {
				t.Fatalf("%s: id %q has a wrong checksum", obj.Name, id)
			}
			byID[id] = true
		}
		if len(byID) != len(recs) {
			t.Errorf("%s: %d distinct ids for %d records", obj.Name, len(byID), len(recs))
		}
		// Id order is index order: generate by index and compare.
		tb := o.tables[strings.ToLower(obj.Name)]
		for i := 1; i < tb.n; i++ {
			if o.idOf(tb, i-1) >= o.idOf(tb, i) {
				t.Fatalf("%s: id %d not below id %d", obj.Name, i-1, i)
			}
		}
		if len(recs) > 0 {
			id := recs[0].ID()
			for _, form := range []string{id, id[:15]} {
				if r, ok := o.Get(obj.Name, form); !ok || r.ID() != id {
					t.Errorf("%s: Get(%s) did not find the record", obj.Name, form)
				}
			}
			// Ids are case-sensitive: a lower-cased 15-character id is another id.
			if lower := strings.ToLower(id[:15]); lower != id[:15] {
				if r, ok := o.Get(obj.Name, lower); ok && r.ID() == id {
					t.Errorf("%s: Get(%s) returned %s", obj.Name, lower, id)
				}
			}
		}
	}
	if _, ok := o.Get("Account", "003q000000KvQ1tAAF"); ok {
		t.Error("Get found an Account under a Contact id")
	}
	if _, ok := o.Get("Nope", "003q000000KvQ1tAAF"); ok {
		t.Error("Get found a record of an unknown object")
	}
}

// TestOrderAndTies checks (SystemModstamp, Id) order and that runs of equal stamps straddle the
// 2,000-record page boundaries.
func TestOrderAndTies(t *testing.T) {
	o := New(Config{Seed: 11, Counts: map[string]int{"Task": 10000}})
	recs := scan(t, o, "Task", false, time.Time{})
	if len(recs) != 10000 {
		t.Fatalf("got %d tasks, want 10000", len(recs))
	}
	ties, maxRun, run := 0, 1, 1
	for i := 1; i < len(recs); i++ {
		a, b := stamp(recs[i-1]), stamp(recs[i])
		if b.Before(a) || b.Equal(a) && recs[i].ID() <= recs[i-1].ID() {
			t.Fatalf("record %d out of (SystemModstamp, Id) order", i)
		}
		if b.Equal(a) {
			ties++
			run++
			if run > maxRun {
				maxRun = run
			}
		} else {
			run = 1
		}
	}
	for _, b := range []int{2000, 4000, 6000, 8000} {
		if !stamp(recs[b-1]).Equal(stamp(recs[b])) {
			t.Errorf("records %d and %d do not share a SystemModstamp: no tie across the page boundary", b-1, b)
		}
	}
	if ties < 1000 || maxRun < 50 || maxRun > 3000 {
		t.Errorf("%d ties, longest run %d: want many ties in runs of 50..3000", ties, maxRun)
	}
	if ties > 9000 {
		t.Errorf("%d ties of 10000: too few distinct stamps", ties)
	}
}

func TestStampInvariants(t *testing.T) {
	base := time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC)
	o := New(Config{Seed: 5, Base: base})
	for _, obj := range o.Objects() {
		for _, r := range scan(t, o, obj.Name, false, time.Time{}) {
			s := stamp(r)
			lm := r.Get("LastModifiedDate").(time.Time)
			if s.After(base) || lm.After(s) {
				t.Fatalf("%s %s: LastModifiedDate %v, SystemModstamp %v, Base %v", obj.Name, r.ID(), lm, s, base)
			}
			if cd, ok := r.Get("CreatedDate").(time.Time); ok && cd.After(lm) {
				t.Fatalf("%s %s: CreatedDate %v after LastModifiedDate %v", obj.Name, r.ID(), cd, lm)
			}
			for _, f := range []string{"LastViewedDate", "LastReferencedDate"} {
				if v, ok := r.Get(f).(time.Time); ok && (v.Before(s) || v.After(base)) {
					t.Fatalf("%s %s: %s %v outside [SystemModstamp, Base]", obj.Name, r.ID(), f, v)
				}
			}
		}
	}
	if !o.Now().After(base) {
		t.Errorf("Now %v is not after Base %v", o.Now(), base)
	}
}

func TestSinceSeek(t *testing.T) {
	o := New(Config{Seed: 2})
	all := scan(t, o, "Task", false, time.Time{})
	cases := []struct {
		name  string
		since time.Time
	}{
		{"zero", time.Time{}},
		{"long before", all[0].Get("SystemModstamp").(time.Time).Add(-time.Hour)},
		{"first", stamp(all[0])},
		{"tie in the middle", stamp(all[2000])},
		{"just after a stamp", stamp(all[777]).Add(time.Millisecond)},
		{"last", stamp(all[len(all)-1])},
		{"after base", o.Base().Add(time.Millisecond)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := 0
			for want < len(all) && stamp(all[want]).Before(tc.since) {
				want++
			}
			got := scan(t, o, "Task", false, tc.since)
			if len(got) != len(all)-want {
				t.Fatalf("since %v: %d records, want %d", tc.since, len(got), len(all)-want)
			}
			if len(got) > 0 && got[0].ID() != all[want].ID() {
				t.Fatalf("since %v: starts at %s, want %s", tc.since, got[0].ID(), all[want].ID())
			}
		})
	}
	if _, err := o.Cursor("NoSuchObject", false, time.Time{}); err == nil {
		t.Error("Cursor on an unknown object did not fail")
	}
}

// checkValue reports whether v has the Go type the convention prescribes for a describe type.
func checkValue(typ string, v any) bool {
	if v == nil {
		return true
	}
	switch typ {
	case "id", "reference", "string", "textarea", "picklist", "multipicklist", "combobox", "email", "phone", "url", "encryptedstring", "base64":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "int", "long":
		_, ok := v.(int64)
		return ok
	case "double", "currency", "percent":
		switch v.(type) {
		case float64, json.Number:
			return true
		}
		return false
	case "datetime":
		x, ok := v.(time.Time)
		return ok && x.Location() == time.UTC && x.Equal(x.Truncate(time.Millisecond))
	case "date":
		x, ok := v.(time.Time)
		return ok && x.Location() == time.UTC && x.Equal(x.Truncate(24*time.Hour))
	case "time":
		x, ok := v.(time.Duration)
		return ok && x >= 0 && x < 24*time.Hour && x%time.Millisecond == 0
	}
	return false // address and location hold no value
}

func TestValues(t *testing.T) {
	o := New(Config{Seed: 9})
	prefixes := map[string]string{}
	for _, obj := range o.Objects() {
		prefixes[obj.KeyPrefix] = obj.Name
	}
	seen := map[string]bool{}
	for _, obj := range o.Objects() {
		for _, r := range scan(t, o, obj.Name, false, time.Time{}) {
			for i, f := range obj.Fields {
				v := r.vals[i]
				if !checkValue(f.Type, v) {
					t.Fatalf("%s.%s (%s) holds %T %v", obj.Name, f.Name, f.Type, v, v)
				}
				if v == nil && !f.Nillable && f.Type != "address" && f.Type != "location" {
					t.Fatalf("%s.%s is not nillable but %s has null", obj.Name, f.Name, r.ID())
				}
				switch x := v.(type) {
				case string:
					if f.Length > 0 && utf8.RuneCountInString(x) > f.Length {
						t.Fatalf("%s.%s: %d characters, field length %d", obj.Name, f.Name, utf8.RuneCountInString(x), f.Length)
					}
					if !utf8.ValidString(x) {
						t.Fatalf("%s.%s: invalid UTF-8", obj.Name, f.Name)
					}
					if f.Type == "picklist" && len(f.PicklistValues) > 0 && !contains(f.PicklistValues, x) {
						t.Fatalf("%s.%s: %q is not in the picklist", obj.Name, f.Name, x)
					}
					if f.Type == "reference" {
						target, ok := prefixes[x[:3]]
						if !ok {
							continue // Profile and other objects the emulator does not hold
						}
						if !contains(f.ReferenceTo, target) {
							t.Fatalf("%s.%s points at a %s, not one of %v", obj.Name, f.Name, target, f.ReferenceTo)
						}
						if _, ok := o.Get(target, x); !ok {
							t.Fatalf("%s.%s = %s: no such %s", obj.Name, f.Name, x, target)
						}
					}
					if x == "" {
						seen["empty"] = true
					}
					if len(x) > 20000 {
						seen["long"] = true
					}
					if strings.ContainsAny(x, "\n\t\\\"'") {
						seen["escapes"] = true
					}
					if strings.ContainsRune(x, '🚀') {
						seen["emoji"] = true
					}
				case json.Number:
					seen["json.Number"] = true
				case float64:
					if x < 0 {
						seen["negative"] = true
					}
				}
				if v == nil {
					seen["null"] = true
				}
			}
			if r.Deleted() {
				t.Fatalf("%s %s is deleted in the base data", obj.Name, r.ID())
			}
		}
	}
	for _, k := range []string{"empty", "long", "escapes", "emoji", "json.Number", "negative", "null"} {
		if !seen[k] {
			t.Errorf("no value of kind %q in the whole org", k)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestDescribe(t *testing.T) {
	o := New(Config{})
	objs := o.Objects()
	if len(objs) != 16 {
		t.Fatalf("%d objects, want 16", len(objs))
	}
	for i := 1; i < len(objs); i++ {
		if objs[i-1].Name >= objs[i].Name {
			t.Fatalf("Objects not sorted: %s before %s", objs[i-1].Name, objs[i].Name)
		}
	}
	wantPrefix := map[string]string{"Account": "001", "Contact": "003", "User": "005", "Opportunity": "006", "Lead": "00Q",
		"Campaign": "701", "CampaignMember": "00v", "Product2": "01t", "Pricebook2": "01s", "PricebookEntry": "01u",
		"OpportunityLineItem": "00k", "OpportunityContactRole": "00K", "Task": "00T", "Event": "00U", "UserRole": "00E", "Something__c": "a01"}
	for _, obj := range objs {
		if wantPrefix[obj.Name] != obj.KeyPrefix {
			t.Errorf("%s key prefix %q, want %q", obj.Name, obj.KeyPrefix, wantPrefix[obj.Name])
		}
		names := map[string]bool{}
		for i, f := range obj.Fields {
			if names[strings.ToLower(f.Name)] {
				t.Errorf("%s.%s is listed twice", obj.Name, f.Name)
			}
			names[strings.ToLower(f.Name)] = true
			if i == 0 && f.Name != "Id" {
				t.Errorf("%s: first field %s, want Id", obj.Name, f.Name)
			}
			if f.SoapType == "" || f.SoapType != soapTypeFor(f.Type) {
				t.Errorf("%s.%s: soapType %q for type %s", obj.Name, f.Name, f.SoapType, f.Type)
			}
			if f.CompoundFieldName != "" {
				if p, ok := obj.Field(f.CompoundFieldName); !ok || (p.Type != "address" && p.Type != "location" && p.Name != "Name") {
					t.Errorf("%s.%s names compound %q, which is not a compound field", obj.Name, f.Name, f.CompoundFieldName)
				}
			}
			if f.Type == "reference" && len(f.ReferenceTo) == 0 {
				t.Errorf("%s.%s: reference without referenceTo", obj.Name, f.Name)
			}
		}
		for _, must := range []string{"Id", "LastModifiedDate", "SystemModstamp", "LastModifiedById"} {
			if !names[strings.ToLower(must)] {
				t.Errorf("%s has no %s", obj.Name, must)
			}
		}
		hasDeleted := names["isdeleted"]
		if hasDeleted == (obj.Name == "User" || obj.Name == "UserRole") {
			t.Errorf("%s: IsDeleted present = %v", obj.Name, hasDeleted)
		}
	}
	acc, ok := o.Object("aCCount")
	if !ok || len(acc.Fields) < 65 {
		t.Fatalf("Account: found %v, want about 70 fields", ok)
	}
	checks := []struct {
		object, field, typ, compound string
	}{
		{"Account", "BillingStreet", "textarea", "BillingAddress"},
		{"Account", "billinglatitude", "double", "BillingAddress"},
		{"Account", "BillingGeocodeAccuracy", "picklist", "BillingAddress"},
		{"Account", "BillingAddress", "address", ""},
		{"Account", "ShippingAddress", "address", ""},
		{"Account", "Name", "string", ""},
		{"Account", "CustomerPriority__c", "picklist", ""},
		{"Account", "NumberofLocations__c", "double", ""},
		{"Account", "SLAExpirationDate__c", "date", ""},
		{"Contact", "FirstName", "string", "Name"},
		{"Contact", "MailingAddress", "address", ""},
		{"Contact", "OtherCity", "string", "OtherAddress"},
		{"Lead", "Address", "address", ""},
		{"Lead", "Salutation", "picklist", "Name"},
		{"User", "Address", "address", ""},
		{"Something__c", "Location__c", "location", ""},
		{"Something__c", "Location__Latitude__s", "double", "Location__c"},
		{"Something__c", "Location__Longitude__s", "double", "Location__c"},
		{"Something__c", "Time__c", "time", ""},
		{"Something__c", "MultiPicklist__c", "multipicklist", ""},
	}
	for _, c := range checks {
		obj, _ := o.Object(c.object)
		f, ok := obj.Field(c.field)
		if !ok || f.Type != c.typ || f.CompoundFieldName != c.compound {
			t.Errorf("%s.%s: %+v, want type %s compound %q", c.object, c.field, f, c.typ, c.compound)
		}
	}
	opp, _ := o.Object("Opportunity")
	if f, _ := opp.Field("ExpectedRevenue"); !f.Calculated || f.CalculatedFormula == "" || f.Type != "currency" {
		t.Errorf("Opportunity.ExpectedRevenue is not a currency formula: %+v", f)
	}
	sm, _ := o.Object("Something__c")
	formulas := 0
	for _, f := range sm.Fields {
		if f.Calculated {
			formulas++
		}
	}
	if f, _ := sm.Field("Account__c"); f.RelationshipName != "Account__r" || !f.Custom {
		t.Errorf("Something__c.Account__c: %+v", f)
	}
	if f, _ := sm.Field("LongText__c"); f.Length != 32768 || f.Filterable {
		t.Errorf("Something__c.LongText__c: %+v", f)
	}
	if formulas < 2 || !sm.Custom {
		t.Errorf("Something__c: %d formulas, custom %v", formulas, sm.Custom)
	}
	if _, ok := o.Object("Nope"); ok {
		t.Error("found an unknown object")
	}
}

package org

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWholeOrgDescribes(t *testing.T) {
	o := New(Config{Seed: 1, WholeOrg: true})
	var got, want []string
	for _, obj := range o.Objects() {
		got = append(got, obj.Name)
	}
	for name := range DefaultCounts() {
		want = append(want, name)
	}
	want = append(want, wholeOrgNames...)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("objects\n%v\nwant\n%v", got, want)
	}
	counts := WholeOrgCounts()
	for _, name := range wholeOrgNames {
		obj, _ := o.Object(name)
		event := strings.HasSuffix(name, "__e") || strings.HasSuffix(name, "ChangeEvent")
		if _, ok := counts[name]; ok == event {
			t.Errorf("%s: in WholeOrgCounts %v, event %v", name, ok, event)
		}
		if event && (obj.Queryable || o.Count(name, true) != 0) {
			t.Errorf("%s: an event is queryable or has records", name)
		}
		if event {
			if _, err := o.Insert(name, map[string]any{}); err == nil || err.(*Error).Code != "INVALID_OPERATION" {
				t.Errorf("inserting into %s: %v, want INVALID_OPERATION", name, err)
			}
		}
		if !event && o.Count(name, false) != counts[name] {
			t.Errorf("%s: %d records, want %d", name, o.Count(name, false), counts[name])
		}
		if k, ok := KnownObject(strings.ToUpper(name), true); !ok || k != name {
			t.Errorf("KnownObject(%s, true) = %q, %v", name, k, ok)
		}
		if _, ok := KnownObject(name, false); ok {
			t.Errorf("KnownObject(%s, false) knows a whole-org object", name)
		}
		seen := map[string]bool{}
		for i, f := range obj.Fields {
			if seen[strings.ToLower(f.Name)] {
				t.Errorf("%s.%s is listed twice", name, f.Name)
			}
			seen[strings.ToLower(f.Name)] = true
			if i == 0 && f.Name != "Id" && name != "Order_Event__e" {
				t.Errorf("%s: first field %s, want Id", name, f.Name)
			}
			if f.SoapType == "" || f.Type != "ComplexValue" && f.SoapType != soapTypeFor(f.Type) {
				t.Errorf("%s.%s: soapType %q for type %s", name, f.Name, f.SoapType, f.Type)
			}
			if f.Type == "reference" && len(f.ReferenceTo) == 0 {
				t.Errorf("%s.%s: reference without referenceTo", name, f.Name)
			}
			if strings.HasSuffix(f.Name, "__c") && (!f.Custom || len(f.Name)-3 > maxCustomNameLength) {
				t.Errorf("%s.%s: custom %v, %d characters before __c", name, f.Name, f.Custom, len(f.Name)-3)
			}
		}
		if strings.HasSuffix(name, "__c") && len(name)-3 > maxCustomNameLength {
			t.Errorf("%s is longer than Salesforce allows", name)
		}
	}
}

// TestWholeOrgValues reads every record of the served whole-org objects: values fit their
// fields, lookups point at records that exist, stamps lie before Base, and Id order holds.
func TestWholeOrgValues(t *testing.T) {
	o := New(Config{Seed: 2, WholeOrg: true})
	for _, name := range []string{"OpportunityFieldHistory", "AccountShare", "Group", "GroupMember", "RecordType",
		"ContentDocumentLink", "SetupAuditTrail", "Legacy_Invoice__x", "Meter_Reading__c", "Very_Long_Custom_Object_Name_For_Testing__c"} {
		recs := scan(t, o, name, true, time.Time{})
		if len(recs) != o.Count(name, true) {
			t.Fatalf("%s: scanned %d, count %d", name, len(recs), o.Count(name, true))
		}
		obj, _ := o.Object(name)
		_, hasStamp := obj.Field("SystemModstamp")
		for i, r := range recs {
			if !hasStamp && i > 0 && r.ID() <= recs[i-1].ID() {
				t.Fatalf("%s: %s after %s: not in Id order", name, r.ID(), recs[i-1].ID())
			}
			for _, f := range obj.Fields {
				v := r.Get(f.Name)
				if v == nil {
					if !f.Nillable && f.Type != "address" && f.Type != "location" && f.Type != "base64" {
						t.Errorf("%s %s: %s is null", name, r.ID(), f.Name)
					}
					continue
				}
				switch f.Type {
				case "anyType":
					continue
				case "reference":
					id := v.(string)
					if to := o.lookupPrefix(id[:3]); to != "" && !slices.Contains(f.ReferenceTo, to) {
						t.Errorf("%s.%s = %s, an Id of %s, not of %v", name, f.Name, id, to, f.ReferenceTo)
					}
				case "datetime":
					if v.(time.Time).After(o.Base()) {
						t.Errorf("%s.%s = %v, after Base", name, f.Name, v)
					}
				case "picklist":
					if !slices.Contains(f.PicklistValues, v.(string)) {
						t.Errorf("%s.%s = %q, not in its picklist", name, f.Name, v)
					}
				}
				if _, err := normalize(obj, &Field{Name: f.Name, Type: f.Type, Length: f.Length, Nillable: true}, v); err != nil {
					t.Errorf("%s %s: %v", name, r.ID(), err)
				}
			}
		}
	}
}

// lookupPrefix names the object whose Ids start with prefix, "" when none of the org's does.
func (o *Org) lookupPrefix(prefix string) string {
	for _, obj := range o.Objects() {
		if obj.KeyPrefix == prefix {
			return obj.Name
		}
	}
	return ""
}

func TestHardDelete(t *testing.T) {
	o := New(Config{Seed: 1, WholeOrg: true})
	recs := scan(t, o, "GroupMember", false, time.Time{})
	if err := o.Delete("GroupMember", recs[0].ID()); err != nil {
		t.Fatal(err)
	}
	if n := len(scan(t, o, "GroupMember", true, time.Time{})); n != len(recs)-1 {
		t.Errorf("queryAll sees %d GroupMember records after a delete, want %d", n, len(recs)-1)
	}
	if err := o.Undelete("GroupMember", recs[0].ID()); err == nil || err.(*Error).Code != "UNDELETE_FAILED" {
		t.Errorf("undeleting a record of an object without a recycle bin: %v", err)
	}
	// UserRole has no IsDeleted either, and keeps the soft delete the default org always had.
	roles := scan(t, New(Config{Seed: 1}), "UserRole", false, time.Time{})
	d := New(Config{Seed: 1})
	if err := d.Delete("UserRole", roles[0].ID()); err != nil {
		t.Fatal(err)
	}
	if n := len(scan(t, d, "UserRole", true, time.Time{})); n != len(roles) {
		t.Errorf("queryAll sees %d roles after a delete, want %d", n, len(roles))
	}
}

func TestCheckCustomName(t *testing.T) {
	for name, ok := range map[string]bool{
		"A__c": true, "Very_Long_Custom_Object_Name_For_Testing__c": true, "X1_2__c": true,
		"__c": false, "A": false, "A__C": false, "Very_Long_Custom_Object_Name_For_Testing1__c": false,
		"_A__c": false, "1A__c": false, "A___c": false, "A__B__c": false, "Ä__c": false, "A-B__c": false,
	} {
		if err := checkCustomName(name, "object"); (err == nil) != ok {
			t.Errorf("checkCustomName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

func TestNextCustomPrefix(t *testing.T) {
	o := New(Config{Seed: 1, WholeOrg: true})
	for _, want := range []string{"a05", "a06"} {
		name := "P" + want + "__c"
		if err := o.CreateObject(name, ""); err != nil {
			t.Fatal(err)
		}
		if obj, _ := o.Object(name); obj.KeyPrefix != want {
			t.Errorf("%s has key prefix %s, want %s", name, obj.KeyPrefix, want)
		}
	}
	if err := o.DeleteObject("Pa06__c"); err != nil {
		t.Fatal(err)
	}
	if err := o.CreateObject("Q__c", ""); err != nil {
		t.Fatal(err)
	}
	if obj, _ := o.Object("Q__c"); obj.KeyPrefix != "a07" {
		t.Errorf("a deleted object's key prefix was given again: %s", obj.KeyPrefix)
	}
}

// TestWholeOrgConcurrency reads Id-ordered objects and the object list while opportunities
// change (writing history rows) and objects come and go; run it with -race.
func TestWholeOrgConcurrency(t *testing.T) {
	o := New(Config{Seed: 12, WholeOrg: true})
	var opps []string
	for _, r := range scan(t, o, "Opportunity", false, time.Time{})[:50] {
		opps = append(opps, r.ID())
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := range 400 {
			switch k % 4 {
			case 0, 1:
				_ = o.Update("Opportunity", []string{opps[k%len(opps)]}, map[string]any{"NextStep": "step " + strings.Repeat("x", k%7)})
			case 2:
				if err := o.CreateObject("Tmp"+string(rune('A'+k%26))+strconv.Itoa(k)+"__c", ""); err != nil {
					t.Error(err)
				}
			default:
				_ = o.DeleteObject("Tmp" + string(rune('A'+(k-1)%26)) + strconv.Itoa(k-1) + "__c")
			}
		}
	}()
	for round := 0; ; round++ {
		select {
		case <-done:
			return
		default:
		}
		c, err := o.Cursor("OpportunityFieldHistory", round%2 == 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		last := ""
		for r, ok := c.Next(); ok; r, ok = c.Next() {
			if r.ID() <= last {
				t.Fatalf("history went back: %s after %s", r.ID(), last)
			}
			last = r.ID()
		}
		_ = o.Objects()
		_ = o.ListModified()
	}
}

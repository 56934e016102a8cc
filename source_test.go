package sfdlt

import (
	"strings"
	"testing"
)

func testSource(t *testing.T) *Source {
	t.Helper()
	s, err := NewSource(Credentials{UserName: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStandardResources(t *testing.T) {
	s := testSource(t)
	want := map[string]WriteDisposition{
		"sf_user": Replace, "user_role": Replace, "lead": Replace, "contact": Replace, "campaign": Replace,
		"product_2": Replace, "pricebook_2": Replace, "pricebook_entry": Replace,
		"opportunity": Merge, "opportunity_line_item": Merge, "opportunity_contact_role": Merge, "account": Merge,
		"campaign_member": Merge, "task": Merge, "event": Merge,
	}
	if len(s.ResourceNames()) != len(want) {
		t.Fatalf("resources = %v", s.ResourceNames())
	}
	for name, wd := range want {
		r, err := s.Resource(name)
		if err != nil {
			t.Fatal(err)
		}
		if r.WriteDisposition() != wd {
			t.Errorf("%s: %s, want %s", name, r.WriteDisposition(), wd)
		}
		if wd == Merge {
			if r.Incremental() == nil || r.Incremental().CursorPath != "SystemModstamp" || strings.Join(r.PrimaryKey(), ",") != "id" {
				t.Errorf("%s: merge resources are incremental on SystemModstamp with primary key id", name)
			}
		} else if r.Incremental() != nil {
			t.Errorf("%s: replace resources are not incremental", name)
		}
	}
}

func TestWithResourcesIsACopy(t *testing.T) {
	s := testSource(t)
	sub := s.WithResources("contact")
	sub.ApplyHints("contact", Hints{NotNull: []string{"Email"}})
	orig, _ := s.Resource("contact")
	if _, ok := orig.columns["email"]; ok {
		t.Fatal("hints on a WithResources copy changed the original source")
	}
	if got := sub.selectedResources(); len(got) != 1 || got[0].name != "contact" || !got[0].columns["email"].NotNull {
		t.Fatalf("selected = %+v", got)
	}
	bad := s.WithResources("contact", "contacts")
	if bad.Err() == nil || !strings.Contains(bad.Err().Error(), "opportunity_line_item") {
		t.Fatalf("unknown resource error = %v, want it to list the valid names", bad.Err())
	}
	if s.Err() != nil {
		t.Fatal("an error on the copy leaked into the original")
	}
}

func TestAddObjectAndResourceErrors(t *testing.T) {
	s := testSource(t)
	s.AddObject("Something__c")
	if r, err := s.Resource("something__c"); err != nil || r.Object() != "Something__c" || r.WriteDisposition() != Replace {
		t.Fatalf("custom object resource: %+v, %v", r, err)
	}
	s.AddObject("Invoice__c", MergeOnSystemModstamp())
	if r, _ := s.Resource("invoice__c"); r.WriteDisposition() != Merge || r.Incremental() == nil {
		t.Fatal("MergeOnSystemModstamp did not apply")
	}
	for _, bad := range []string{"Account; DROP", "Bad Name", "1Abc"} {
		s2 := testSource(t)
		s2.AddObject(bad)
		if s2.Err() == nil {
			t.Errorf("object name %q accepted", bad)
		}
	}
	s3 := testSource(t)
	s3.AddObject("Contact")
	if s3.Err() == nil || !strings.Contains(s3.Err().Error(), "already has a resource named") {
		t.Errorf("duplicate resource: %v", s3.Err())
	}
}

func TestStandardResourcesListed(t *testing.T) {
	s := testSource(t)
	std := StandardResources()
	if len(std) != len(s.ResourceNames()) {
		t.Fatalf("StandardResources lists %d, NewSource makes %d", len(std), len(s.ResourceNames()))
	}
	for i, want := range std {
		r, err := s.Resource(want.Name)
		if err != nil || s.ResourceNames()[i] != want.Name {
			t.Fatalf("%d: %+v is not NewSource's resource %d (%v)", i, want, i, err)
		}
		if r.Object() != want.Object || (r.WriteDisposition() == Merge) != want.Merge {
			t.Errorf("%s: object %s, disposition %s; StandardResources says %+v", want.Name, r.Object(), r.WriteDisposition(), want)
		}
	}
}

package org

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestWideFields checks that wide fields leave an object's own fields as they were, that their
// names are unique and realistic, and that their values are a function of the seed alone.
func TestWideFields(t *testing.T) {
	for _, tc := range []struct {
		object string
		n      int
	}{
		{"Account", 800},
		{"Something__c", 21}, // one of every kind
		{"Contact", 5},
	} {
		t.Run(tc.object, func(t *testing.T) {
			cfg := Config{Seed: 3, Counts: map[string]int{tc.object: 40}}
			plain := New(cfg)
			cfg.Wide = map[string]int{strings.ToLower(tc.object): tc.n} // any case
			wide, again := New(cfg), New(cfg)
			po, _ := plain.Object(tc.object)
			wo, _ := wide.Object(tc.object)
			extra := wo.Fields[len(po.Fields):]
			seen := map[string]bool{}
			compound := 0
			for _, f := range extra {
				if seen[strings.ToLower(f.Name)] {
					t.Fatalf("duplicate field %s", f.Name)
				}
				seen[strings.ToLower(f.Name)] = true
				if f.CompoundFieldName != "" {
					compound++
					continue
				}
				if !strings.HasSuffix(f.Name, "__c") || len(f.Name) < 20 || len(f.Name) > 35 || !f.Custom {
					t.Errorf("field %q (custom %v)", f.Name, f.Custom)
				}
			}
			if len(extra)-compound != tc.n {
				t.Errorf("%d wide fields (%d parts), want %d", len(extra)-compound, compound, tc.n)
			}
			pr, wr, ar := scan(t, plain, tc.object, true, time.Time{}), scan(t, wide, tc.object, true, time.Time{}), scan(t, again, tc.object, true, time.Time{})
			for i := range pr {
				if !reflect.DeepEqual(pr[i].vals, wr[i].vals[:len(po.Fields)]) {
					t.Fatalf("record %d: wide fields changed the object's own values", i)
				}
				if !reflect.DeepEqual(wr[i].vals, ar[i].vals) {
					t.Fatalf("record %d differs between two orgs of the same seed", i)
				}
			}
		})
	}
}

package org

import (
	"testing"
	"time"
)

// BenchmarkCursorOpportunity measures streaming generation: one op is one Opportunity record.
// Run: go test -run XXX -bench CursorOpportunity -benchtime 1000000x ./salesforcetest/internal/org
func BenchmarkCursorOpportunity(b *testing.B) {
	o := New(Config{Seed: 1, Counts: map[string]int{"Opportunity": b.N}})
	b.ReportAllocs()
	b.ResetTimer()
	c, err := o.Cursor("Opportunity", false, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, ok := c.Next(); ok; _, ok = c.Next() {
		n++
	}
	if n != b.N {
		b.Fatalf("%d records, want %d", n, b.N)
	}
}

// BenchmarkSeek measures Cursor's binary search over a large object.
func BenchmarkSeek(b *testing.B) {
	o := New(Config{Seed: 1, Counts: map[string]int{"Task": 10_000_000}})
	since := o.Base().Add(-24 * time.Hour)
	for i := 0; i < b.N; i++ {
		if _, err := o.Cursor("Task", false, since); err != nil {
			b.Fatal(err)
		}
	}
}

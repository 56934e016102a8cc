package duckdb

import (
	"path/filepath"
	"testing"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// BenchmarkAppendOpportunityRows measures bulk loading through Write in batches of 2,000
// rows (a Salesforce page) inside one load. Run it with
//
//	go test ./destination/duckdb -run '^$' -bench AppendOpportunityRows -benchtime 100x
func BenchmarkAppendOpportunityRows(b *testing.B) {
	const batch = 2000
	d := New(filepath.Join(b.TempDir(), "bench.duckdb"))
	ctx := b.Context()
	s, err := d.Open(ctx, "salesforce_data", "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rows := destinationtest.OpportunityRows(batch, 0)
	l, err := s.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Rollback()
	w, err := l.Table(ctx, destinationtest.OpportunityTable())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := w.Write(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := l.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
}

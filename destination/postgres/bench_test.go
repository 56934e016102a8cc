package postgres

import (
	"context"
	"testing"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// BenchmarkCopyOpportunityRows measures COPY through Write in batches of 2,000 rows (a
// Salesforce page) inside one load, in rows/s. Run it with
//
//	go test ./destination/postgres -run '^$' -bench CopyOpportunityRows -benchtime 50x
func BenchmarkCopyOpportunityRows(b *testing.B) {
	const batch = 2000
	d := New(destinationtest.PostgresDSN(b))
	ds := destinationtest.DatasetName(b)
	ctx := b.Context()
	b.Cleanup(func() {
		// b.Context is done by the time cleanups run.
		if err := d.DropDataset(context.Background(), ds); err != nil {
			b.Errorf("dropping %s: %v", ds, err)
		}
	})
	s, err := d.Open(ctx, ds, "bench")
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

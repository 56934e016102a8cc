package sfdlt_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// BenchmarkRESTOpportunityToDuckDB loads 100,000 Opportunity rows (all their fields) from the
// in-process emulator into DuckDB over REST, once per iteration, and reports rows/s. The
// emulator shares the CPU here; `sfdlt bench` runs it in its own process.
func BenchmarkRESTOpportunityToDuckDB(b *testing.B) {
	const rows = 100_000
	counts := salesforcetest.DefaultCounts()
	counts["Opportunity"] = rows
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, Counts: counts, CachePages: true})
	defer srv.Close()
	c := srv.Credentials()
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}, sfdlt.LoginURL(srv.URL()), sfdlt.BulkThreshold(0))
	if err != nil {
		b.Fatal(err)
	}
	src = src.WithResources("opportunity").ApplyHints("opportunity", sfdlt.Hints{})
	// Warm-up: the emulator renders and caches its pages, so the timed runs measure sfdlt.
	warm, _ := sfdlt.NewPipeline("warm", duckdb.New(filepath.Join(b.TempDir(), "w.duckdb")), sfdlt.PipelinesDir(b.TempDir()))
	if _, err := warm.Run(context.Background(), src); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		p, err := sfdlt.NewPipeline("bench", duckdb.New(filepath.Join(dir, "b.duckdb")), sfdlt.PipelinesDir(dir))
		if err != nil {
			b.Fatal(err)
		}
		info, err := p.Run(context.Background(), src)
		if err != nil {
			b.Fatal(err)
		}
		if info.RowCount("opportunity") != rows {
			b.Fatalf("loaded %d rows", info.RowCount("opportunity"))
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

package duckdb

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/internal/sqlload/sqlloadtest"
	"github.com/sfdlt/sfdlt/schema"
)

// BenchmarkLoadOpportunity loads 100,000 rows of a 48-column Opportunity (sqlloadtest) in
// one load, Write calls of 2,000 rows, Commit included, into a fresh file:
//
//	go test ./destination/duckdb -run '^$' -bench LoadOpportunity -benchtime 3x
func BenchmarkLoadOpportunity(b *testing.B) {
	bench := sqlloadtest.Bench{Rows: 100_000, Batch: 2000, Open: func(b *testing.B, i int) destination.Session {
		s, err := New(filepath.Join(b.TempDir(), fmt.Sprintf("b%d.duckdb", i))).Open(b.Context(), "salesforce_data", "bench")
		if err != nil {
			b.Fatal(err)
		}
		return s
	}}
	b.Run("append", func(b *testing.B) { bench.Run(b, schema.Append, false) })
	b.Run("merge-first", func(b *testing.B) { bench.Run(b, schema.Merge, false) })
	b.Run("merge-again", func(b *testing.B) { bench.Run(b, schema.Merge, true) })
}

// Measured on the 2-core build machine, 100,000 rows of 48 columns per load, other jobs
// running (figures vary by about 20% from run to run; before and after run back to back):
//
//	                 before (query Appender, always staged)   after
//	append           62k rows/s                               62k rows/s
//	merge-first      46k rows/s                               57k rows/s  (no staging copy)
//	merge-again      36k rows/s                               45k rows/s  (table Appender into staging)
//
// A prototype that wrote each batch as CSV and ran COPY FROM the file inside the load's
// transaction was slower than the Appender (3.7 s of COPY per 100,000 rows), so it was
// dropped. What is left is DuckDB's own cost: the string copies of the Appender (one cgo call
// per non-NULL text value and per NULL), and compressing and writing the row groups at COMMIT.

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
	b.Run("scd2-first", func(b *testing.B) { bench.RunSCD2(b, false, false) })
	b.Run("scd2-unchanged", func(b *testing.B) { bench.RunSCD2(b, true, false) })
	b.Run("scd2-changed", func(b *testing.B) { bench.RunSCD2(b, true, true) })
}

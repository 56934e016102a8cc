// Measured on the 2-core build machine, 100,000 rows of 48 columns per load, other jobs
// running (figures vary by about 20% from run to run):
//
//	                 before (always staged)   after
//	append           52k rows/s               70k rows/s  (same code: noise)
//	merge-first      53k rows/s               81k rows/s  (no staging copy)
//	merge-again      32k rows/s               38k rows/s

package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/destination/internal/sqlload/sqlloadtest"
	"github.com/sfdlt/sfdlt/schema"
)

// BenchmarkLoadOpportunity loads 100,000 rows of a 48-column Opportunity (sqlloadtest) in
// one load, Write calls of 2,000 rows, Commit included, into a fresh dataset:
//
//	SFDLT_TEST_POSTGRES_DSN=postgres://... go test ./destination/postgres -run '^$' -bench LoadOpportunity -benchtime 3x
func BenchmarkLoadOpportunity(b *testing.B) {
	d := New(destinationtest.PostgresDSN(b))
	base := destinationtest.DatasetName(b)
	bench := sqlloadtest.Bench{Rows: 100_000, Batch: 2000, Open: func(b *testing.B, i int) destination.Session {
		ds := fmt.Sprintf("%s_%d", base, i)
		b.Cleanup(func() {
			if err := d.DropDataset(context.Background(), ds); err != nil {
				b.Errorf("dropping %s: %v", ds, err)
			}
		})
		s, err := d.Open(b.Context(), ds, "bench")
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

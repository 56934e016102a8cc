package duckdb

import (
	"fmt"
	"testing"

	"github.com/sfdlt/sfdlt/schema"
)

// The generic load tests (dispositions, merge, replace atomicity, evolution, failures)
// run for DuckDB through destinationtest in conformance_test.go; these are DuckDB's own.

func rowsOf(t *testing.T, file, q string) [][]any {
	t.Helper()
	return query(t, reader(t, file), q)
}

// TestStagingDropped checks that a merge leaves no staging table behind in the file.
func TestStagingDropped(t *testing.T) {
	d, file := newFile(t)
	s := openSession(t, d, "p")
	tbl := schema.NewTable("t", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("val", schema.Text))
	load(t, s, tableLoad{Table: tbl, Batches: [][][]any{{{"1", "a"}}}})
	load(t, s, tableLoad{Table: tbl, Batches: [][][]any{{{"1", "b"}}}})
	if n := rowsOf(t, file, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'salesforce_data_staging'"); n[0][0] != int64(0) {
		t.Errorf("%v staging tables left after commit; want none", n[0][0])
	}
	if got := rowsOf(t, file, "SELECT val FROM salesforce_data.t"); fmt.Sprint(got) != "[[b]]" {
		t.Errorf("rows %v, want [[b]]", got)
	}
}

func ExampleNew() {
	d := New("salesforce.duckdb")
	fmt.Println(d.Info().Name)
	// Output: duckdb
}

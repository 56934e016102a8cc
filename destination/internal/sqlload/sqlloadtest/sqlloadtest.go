// Package sqlloadtest holds what the benchmarks of the SQL destinations share: a table
// shaped like a full Salesforce Opportunity (48 columns of every type sfdlt loads, NULLs
// included, as a REST or Bulk extract gives them) and a loop that loads it.
package sqlloadtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// OpportunityTable returns a 48-column table shaped like Salesforce's Opportunity with all
// its fields: 21 text, 8 timestamp, 3 date, 6 decimal(38,9), 4 double, 4 bool and 2 bigint
// columns. A merge table has dlt's Salesforce hints: primary key id, dedup_sort desc on
// system_modstamp.
func OpportunityTable(wd schema.WriteDisposition) *schema.Table {
	id := schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}
	stamp := schema.NewColumn("system_modstamp", schema.Timestamp)
	if wd == schema.Merge {
		stamp.DedupSort = schema.Desc
	}
	cols := []schema.Column{id, stamp}
	add := func(t schema.DataType, names ...string) {
		for _, n := range names {
			cols = append(cols, schema.NewColumn(n, t))
		}
	}
	add(schema.Text, "name", "stage_name", "account_id", "owner_id", "record_type_id", "type",
		"lead_source", "next_step", "forecast_category", "forecast_category_name", "campaign_id",
		"pricebook2_id", "created_by_id", "last_modified_by_id", "description", "fiscal",
		"delivery_installation_status_c", "tracking_number_c", "order_number_c")
	add(schema.Timestamp, "created_date", "last_modified_date", "last_activity_date_time",
		"last_stage_change_date", "last_viewed_date", "last_referenced_date", "push_date")
	add(schema.Date, "close_date", "last_activity_date", "main_competitors_date_c")
	add(schema.Decimal, "amount", "expected_revenue", "total_opportunity_quantity",
		"current_generators_c", "discount_c", "margin_c")
	add(schema.Double, "probability", "score", "age_in_days", "weight")
	add(schema.Bool, "is_deleted", "is_private", "is_closed", "is_won")
	add(schema.Bigint, "fiscal_year", "fiscal_quarter")
	cols = append(cols, schema.LoadIDColumn(), schema.IDColumn())
	return schema.NewTable("opportunity", wd, cols...)
}

// OpportunityRows returns n rows of OpportunityTable with ids offset..offset+n-1, as
// canonical values; about a fifth of the values are NULL, and the texts hold quotes, commas,
// newlines and non-ASCII letters, as real descriptions do.
func OpportunityRows(n, offset int) [][]any {
	dec := func(s string) any {
		v, ok := schema.Coerce(s, schema.Decimal)
		if !ok {
			panic("sqlloadtest: bad decimal " + s)
		}
		return v
	}
	amount, rev, qty, gens, disc := dec("125000.50"), dec("62500.25"), dec("12"), dec("3.5"), dec("0.125")
	base := time.Date(2025, 7, 1, 12, 30, 0, 123_000_000, time.UTC)
	day := time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, n)
	for i := range rows {
		k := offset + i
		ts := base.Add(time.Duration(k) * time.Second)
		var next, desc, campaign any
		if k%3 == 0 {
			next = "Call the buyer, then send the \"final\" quote"
		}
		if k%2 == 0 {
			desc = "Renewal of the 2024 contract; buyer asked for a 5% discount,\nsee the notes — Zürich office"
		}
		if k%5 == 0 {
			campaign = "7015g000000AbCdAAK"
		}
		rows[i] = []any{
			fmt.Sprintf("006%015d", k), ts,
			fmt.Sprintf("Opportunity %d for a mid-sized deal", k), "Negotiation/Review", "0015g00000XyZaBAAV",
			"0055g00000AbCdEAAZ", "0125g000000QrStAAG", "New Customer", "Web", next, "Pipeline",
			"Pipeline", campaign, "01s5g00000HiJkLAAV", "0055g00000AbCdEAAZ", "0055g00000AbCdEAAZ",
			desc, "2025 3", nil, "123456789", "ORD-000123",
			ts.Add(-time.Hour), ts, nil, ts.Add(-24 * time.Hour), nil, nil, nil,
			day, nil, nil,
			amount, rev, qty, gens, nil, disc,
			0.75, float64(k%100) / 3, nil, 1.5,
			false, false, k%4 == 0, k%8 == 0,
			int64(2025), int64(3),
			"1751371611.374621", fmt.Sprintf("%014x", k),
		}
	}
	return rows
}

// Load runs one load of rows into a table of s in Write calls of batch rows (a Salesforce
// page is 2,000) and commits it.
func Load(ctx context.Context, s destination.Session, t *schema.Table, rows [][]any, batch int) error {
	l, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer l.Rollback()
	w, err := l.Table(ctx, t)
	if err != nil {
		return err
	}
	for i := 0; i < len(rows); i += batch {
		if err := w.Write(ctx, rows[i:min(i+batch, len(rows))]); err != nil {
			return err
		}
	}
	if err := w.Close(ctx); err != nil {
		return err
	}
	return l.Commit(ctx)
}

// Bench is a load benchmark: Open gives a session on a dataset no other iteration used.
type Bench struct {
	Rows  int // rows per load
	Batch int // rows per Write
	Open  func(b *testing.B, i int) destination.Session
}

// Run measures loading Rows rows with disposition wd into an empty table (Second false) or
// again into the table holding the same rows (Second true: a merge then replaces every row),
// and reports rows/s. Each iteration uses a fresh dataset; setup is not timed.
func (bb Bench) Run(b *testing.B, wd schema.WriteDisposition, second bool) {
	b.Helper()
	rows := OpportunityRows(bb.Rows, 0)
	var before [][]any
	if second {
		before = rows
	}
	bb.run(b, OpportunityTable(wd), before, rows)
}

// RunSCD2 measures an scd2 merge (SCD2Table) of Rows rows: into an empty table (before
// nil), or into the table holding a version of each (the same versions when changed is false:
// nothing to do but compare; new ones when it is true: every active row retired and a new
// version inserted). It reports rows/s.
func (bb Bench) RunSCD2(b *testing.B, second, changed bool) {
	b.Helper()
	rows := SCD2Rows(bb.Rows, "v1")
	var before [][]any
	if second {
		before = rows
		if changed {
			rows = SCD2Rows(bb.Rows, "v2")
		}
	}
	bb.run(b, SCD2Table(), before, rows)
}

// SCD2Table is OpportunityTable kept with history (dlt's scd2): merge key id, the validity
// columns _dlt_valid_from and _dlt_valid_to, the row version in _dlt_id.
func SCD2Table() *schema.Table {
	t := OpportunityTable(schema.Merge)
	t.MergeStrategy = schema.SCD2
	n := len(t.Columns)
	sys := append([]schema.Column(nil), t.Columns[n-2:]...) // _dlt_load_id, _dlt_id
	sys[1].RowVersion, sys[1].Unique, sys[1].RowKey = true, false, false
	t.Columns = append(append(t.Columns[:n-2], schema.SCD2Columns("", "", nil)...), sys...)
	t.Column("id").MergeKey = true
	return t
}

// SCD2Rows returns n rows of SCD2Table; each row's version (_dlt_id) is version and its id.
func SCD2Rows(n int, version string) [][]any {
	rows := OpportunityRows(n, 0)
	for i, r := range rows {
		k := len(r)
		row := make([]any, 0, k+2)
		row = append(row, r[:k-2]...)
		row = append(row, nil, nil, r[k-2], version+"-"+r[0].(string))
		rows[i] = row
	}
	return rows
}

// run measures loading rows into t, in a dataset that holds before (nil: nothing).
func (bb Bench) run(b *testing.B, t *schema.Table, before, rows [][]any) {
	b.Helper()
	ctx := context.Background()
	var loaded time.Duration
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		s := bb.Open(b, i)
		if before != nil {
			if err := Load(ctx, s, t, before, bb.Batch); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		if err := Load(ctx, s, t, rows, bb.Batch); err != nil {
			b.Fatal(err)
		}
		loaded += time.Since(start)
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*bb.Rows)/loaded.Seconds(), "rows/s")
}

package destinationtest

import (
	"fmt"
	"time"

	"github.com/sfdlt/sfdlt/schema"
)

// OpportunityTable is shaped like the Salesforce Opportunity resource, for benchmarks of
// the bulk path: 20 columns of mixed types, the system columns included.
func OpportunityTable() *schema.Table {
	return schema.NewTable("opportunity", schema.Append,
		schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true},
		col("name", schema.Text), col("amount", schema.Decimal), col("probability", schema.Double),
		col("close_date", schema.Date), col("stage_name", schema.Text), col("is_closed", schema.Bool),
		col("is_won", schema.Bool), col("created_date", schema.Timestamp), col("system_modstamp", schema.Timestamp),
		col("account_id", schema.Text), col("owner_id", schema.Text), col("fiscal_year", schema.Bigint),
		col("fiscal_quarter", schema.Bigint), col("description", schema.Text), col("type", schema.Text),
		col("lead_source", schema.Text), col("expected_revenue", schema.Decimal),
		schema.LoadIDColumn(), schema.IDColumn())
}

// OpportunityRows returns n rows of OpportunityTable, numbered from offset, as canonical
// values.
func OpportunityRows(n, offset int) [][]any {
	amount, _ := schema.Coerce("125000.50", schema.Decimal)
	rev, _ := schema.Coerce("62500.25", schema.Decimal)
	ts := time.Date(2025, 7, 1, 12, 30, 0, 0, time.UTC)
	rows := make([][]any, n)
	for i := range rows {
		k := offset + i
		rows[i] = []any{
			fmt.Sprintf("006%015d", k), "Opportunity name for a mid-sized deal", amount, 0.75,
			time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC), "Negotiation/Review", false, false, ts, ts.Add(time.Duration(k) * time.Second),
			"001000000000001AAA", "005000000000001AAA", int64(2025), int64(3),
			"A description that is a little longer than the other text fields, as they often are.",
			"New Customer", "Web", rev, "1751371611.374621", fmt.Sprintf("id%08d", k),
		}
	}
	return rows
}

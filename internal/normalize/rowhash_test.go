package normalize

import (
	"math/big"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/schema"
)

// An scd2 table's _dlt_id is a hash of the row's data: the same values hash alike (10.5 and
// 10.50 too), any changed value changes it, the validity columns and a column added later (null)
// do not; a table that is not scd2 gets random ids.
func TestSCD2RowHash(t *testing.T) {
	sch := NewSchema(schema.New("test"))
	h := Hints{Name: "opportunity", Disposition: schema.Merge, PrimaryKey: []string{"id"}, MergeKey: []string{"id"}, SCD2: &schema.SCD2Options{}}
	tbl, err := sch.Evolve(Observed(h, []schema.Column{schema.NewColumn("id", schema.Text), schema.NewColumn("amount", schema.Decimal), schema.NewColumn("stamp", schema.Timestamp)}))
	if err != nil {
		t.Fatal(err)
	}
	if tbl.MergeStrategy != schema.SCD2 || tbl.RowVersionColumn() != schema.ColumnID {
		t.Fatalf("table %+v: want scd2 with the row hash in _dlt_id", tbl)
	}
	w := NewWriter(sch, tbl, make(chan load.Op, 1), "", nil)
	from, _ := tbl.ValidityColumns()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	hash := func(t *testing.T, set func(r []any)) string {
		t.Helper()
		r := make([]any, len(tbl.Columns))
		r[tbl.ColumnIndex("id")] = "006A"
		r[tbl.ColumnIndex("amount")] = schema.DecimalValue{Unscaled: big.NewInt(105), Scale: 1}
		r[tbl.ColumnIndex("stamp")] = at
		if set != nil {
			set(r)
		}
		keep, r, err := w.FinishRow(r, nil)
		if err != nil || !keep {
			t.Fatalf("FinishRow: %v, %v", keep, err)
		}
		return r[tbl.ColumnIndex(schema.ColumnID)].(string)
	}
	base := hash(t, nil)
	same := map[string]func(r []any){
		"again": nil,
		"10.50": func(r []any) {
			r[tbl.ColumnIndex("amount")] = schema.DecimalValue{Unscaled: big.NewInt(1050), Scale: 2}
		},
		"another time zone": func(r []any) { r[tbl.ColumnIndex("stamp")] = at.In(time.FixedZone("x", 3600)) },
		"a validity value":  func(r []any) { r[tbl.ColumnIndex(from)] = at },
	}
	for name, set := range same {
		if got := hash(t, set); got != base {
			t.Errorf("%s: hash %s, want %s", name, got, base)
		}
	}
	if got := hash(t, func(r []any) { r[tbl.ColumnIndex("amount")] = schema.DecimalValue{Unscaled: big.NewInt(106), Scale: 1} }); got == base {
		t.Error("a changed amount kept the hash")
	}
	if got := hash(t, func(r []any) { r[tbl.ColumnIndex("stamp")] = nil }); got == base {
		t.Error("a value gone null kept the hash")
	}
	// A new column, null in this row, changes nothing.
	if _, err := sch.Evolve(Observed(h, []schema.Column{schema.NewColumn("id", schema.Text), schema.NewColumn("amount", schema.Decimal), schema.NewColumn("stamp", schema.Timestamp), schema.NewColumn("added", schema.Text)})); err != nil {
		t.Fatal(err)
	}
	w = NewWriter(sch, sch.Table("opportunity"), make(chan load.Op, 1), "", nil)
	tbl = sch.Table("opportunity")
	if got := hash(t, nil); got != base {
		t.Errorf("a column added later changed the hash: %s, want %s", got, base)
	}
}

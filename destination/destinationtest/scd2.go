package destinationtest

import (
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/schema"
)

// scd2Table is an scd2 table as sfdlt writes a Salesforce object's history: id (primary key,
// and merge key when incremental), val, is_deleted (hard delete: the record is gone), the
// validity columns, the load id and _dlt_id holding the row version the test gives. version
// names another column as the row version ("" : _dlt_id).
func scd2Table(incremental bool, active *time.Time, version string) *schema.Table {
	cols := []schema.Column{
		{Name: "id", DataType: schema.Text, PrimaryKey: true, MergeKey: incremental},
		col("val", schema.Text),
		{Name: "is_deleted", DataType: schema.Bool, Nullable: true, HardDelete: true},
	}
	if version != "" {
		cols = append(cols, schema.Column{Name: version, DataType: schema.Text, RowVersion: true})
	}
	cols = append(cols, schema.SCD2Columns("", "", active)...)
	id := schema.IDColumn()
	if version == "" {
		id.RowVersion, id.Unique, id.RowKey = true, false, false
	}
	cols = append(cols, schema.LoadIDColumn(), id)
	t := schema.NewTable("history", schema.Merge, cols...)
	t.MergeStrategy = schema.SCD2
	return t
}

// scd2Step is one load: rows (id, val, is_deleted, [version,] from, to, load id, _dlt_id;
// the validity values are ignored) merged at boundary.
type scd2Step struct {
	boundary time.Time
	rows     [][]any
}

func testSCD2(t *testing.T, newTarget func(*testing.T) Target) {
	at := func(h int) time.Time { return time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC) }
	high := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	row := func(id, val string, deleted bool, load, version string) []any {
		return []any{id, val, deleted, nil, nil, load, version}
	}
	// want renders a row of the table as read back.
	want := func(id, val string, from time.Time, to any, load, version string) []any {
		return []any{id, val, false, from, to, load, version}
	}
	cases := []struct {
		name        string
		incremental bool
		active      *time.Time
		version     string
		steps       []scd2Step
		want        [][]any
	}{
		{
			name:        "incremental: a record changed, absent, deleted and reinserted",
			incremental: true,
			steps: []scd2Step{
				{at(1), [][]any{row("a", "1", false, "L1", "a1"), row("b", "1", false, "L1", "b1"), row("c", "1", false, "L1", "c1"),
					row("x", "", true, "L1", "x-deleted")}},
				{at(2), [][]any{row("a", "2", false, "L2", "a2"), row("c", "1", true, "L2", "c-deleted")}},
				{at(3), [][]any{row("c", "1", false, "L3", "c1"), row("a", "2", false, "L3", "a2")}},
			},
			want: [][]any{
				want("a", "1", at(1), at(2), "L1", "a1"),
				want("a", "2", at(2), nil, "L2", "a2"),
				want("b", "1", at(1), nil, "L1", "b1"),
				want("c", "1", at(1), at(2), "L1", "c1"),
				want("c", "1", at(3), nil, "L3", "c1"),
			},
		},
		{
			name: "full extract: a record absent from the load is retired",
			steps: []scd2Step{
				{at(1), [][]any{row("a", "1", false, "L1", "a1"), row("b", "1", false, "L1", "b1")}},
				{at(2), [][]any{row("a", "1", false, "L2", "a1")}},
			},
			want: [][]any{
				want("a", "1", at(1), nil, "L1", "a1"),
				want("b", "1", at(1), at(2), "L1", "b1"),
			},
		},
		{
			name:        "an active record timestamp marks active rows",
			incremental: true,
			active:      &high,
			steps: []scd2Step{
				{at(1), [][]any{row("a", "1", false, "L1", "a1"), row("b", "1", false, "L1", "b1")}},
				{at(2), [][]any{row("a", "2", false, "L2", "a2"), row("b", "1", true, "L2", "b-deleted")}},
			},
			want: [][]any{
				want("a", "1", at(1), at(2), "L1", "a1"),
				want("a", "2", at(2), high, "L2", "a2"),
				want("b", "1", at(1), at(2), "L1", "b1"),
			},
		},
		{
			name:        "one version per record and load: the last written",
			incremental: true,
			steps: []scd2Step{
				{at(1), [][]any{row("a", "1", false, "L1", "a1"), row("a", "2", false, "L1", "a2")}},
				{at(2), [][]any{row("a", "3", false, "L2", "a3"), row("a", "4", false, "L2", "a4")}},
			},
			want: [][]any{
				want("a", "2", at(1), at(2), "L1", "a2"),
				want("a", "4", at(2), nil, "L2", "a4"),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, target: newTarget(t)}
			s := h.open(pipelineName)
			for _, st := range tc.steps {
				tbl := scd2Table(tc.incremental, tc.active, tc.version)
				tbl.Boundary = st.boundary
				Load(t, s, TableLoad{Table: tbl, Batches: [][][]any{st.rows}})
			}
			got, _ := read(t, h.reader(), "history")
			equal(t, "history rows", got, renderRows(tc.want))
		})
	}

	t.Run("a row version column is unique within a record only", func(t *testing.T) {
		t.Parallel()
		h := &harness{t: t, target: newTarget(t)}
		s := h.open(pipelineName)
		vrow := func(id, val, stamp, load, dltID string) []any {
			return []any{id, val, false, stamp, nil, nil, load, dltID}
		}
		for _, st := range []scd2Step{
			{at(1), [][]any{vrow("a", "1", "S1", "L1", "r1"), vrow("b", "1", "S2", "L1", "r2")}},
			{at(2), [][]any{vrow("a", "2", "S2", "L2", "r3")}},
		} {
			tbl := scd2Table(true, nil, "stamp")
			tbl.Boundary = st.boundary
			Load(t, s, TableLoad{Table: tbl, Batches: [][][]any{st.rows}})
		}
		got, _ := read(t, h.reader(), "history")
		equal(t, "history rows", got, renderRows([][]any{
			{"a", "1", false, "S1", at(1), at(2), "L1", "r1"},
			{"a", "2", false, "S2", at(2), nil, "L2", "r3"},
			{"b", "1", false, "S2", at(1), nil, "L1", "r2"},
		}))
	})

	t.Run("a table without its validity columns is refused", func(t *testing.T) {
		t.Parallel()
		h := &harness{t: t, target: newTarget(t)}
		s := h.open(pipelineName)
		l, err := s.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		tbl := schema.NewTable("history", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, schema.LoadIDColumn(), schema.IDColumn())
		tbl.MergeStrategy = schema.SCD2
		if _, err := l.Table(t.Context(), tbl); err == nil {
			t.Fatal("Table accepted an scd2 table with no validity columns")
		}
	})
}

package sqlload

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/schema"
)

// fakeDialect quotes with brackets so tests see which names were quoted.
type fakeDialect struct{}

func (fakeDialect) Quote(s string) string             { return "[" + s + "]" }
func (fakeDialect) ColumnType(c schema.Column) string { return strings.ToUpper(string(c.DataType)) }
func (fakeDialect) Append(context.Context, *sql.Conn, string, string, []schema.Column, [][]any) error {
	return nil
}

func stagedWriter(t *schema.Table) *writer {
	w := &writer{l: &Load{s: &Session{d: fakeDialect{}, dataset: "ds"}}, name: t.Name, table: t, targetDataset: "ds_staging", staged: true}
	w.root = w
	return w
}

// TestKeptRowsSQL pins the deduplication and hard-delete SQL that every dialect runs.
func TestKeptRowsSQL(t *testing.T) {
	id := schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}
	cases := []struct {
		name  string
		table *schema.Table
		want  string
	}{
		{"no primary key: no dedup", schema.NewTable("t", schema.Merge, schema.Column{Name: "k", DataType: schema.Text, MergeKey: true}),
			"SELECT c FROM [ds_staging].[t]"},
		{"primary key: last written wins", schema.NewTable("t", schema.Merge, id),
			"SELECT c FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY [id] ORDER BY [_sfdlt_stage_seq] DESC) AS _dlt_dedup_rn FROM [ds_staging].[t]) AS _dlt_dedup_numbered WHERE _dlt_dedup_rn = 1"},
		{"dedup_sort desc then hard_delete", schema.NewTable("t", schema.Merge, id,
			schema.Column{Name: "ts", DataType: schema.Timestamp, DedupSort: schema.Desc},
			schema.Column{Name: "del", DataType: schema.Bool, HardDelete: true},
			schema.Column{Name: "gone", DataType: schema.Text, HardDelete: true}),
			"SELECT c FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY [id] ORDER BY [ts] DESC NULLS LAST, [_sfdlt_stage_seq] DESC) AS _dlt_dedup_rn FROM [ds_staging].[t]) AS _dlt_dedup_numbered WHERE _dlt_dedup_rn = 1 AND [del] IS DISTINCT FROM TRUE AND [gone] IS NULL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := stagedWriter(tc.table).keptRowsSQL("c"); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestValidateColumns checks the column errors callers see before any SQL runs.
func TestValidateColumns(t *testing.T) {
	cases := []struct {
		name string
		have map[string]bool
		cols []schema.Column
		want string
	}{
		{"ok", nil, []schema.Column{schema.NewColumn("a", schema.Text)}, ""},
		{"no name", nil, []schema.Column{schema.NewColumn("", schema.Text)}, "has no name"},
		{"bad type", nil, []schema.Column{schema.NewColumn("a", "varchar")}, `data type "varchar"`},
		{"reserved", nil, []schema.Column{schema.NewColumn(seqColumn, schema.Text)}, "reserved"},
		{"twice", nil, []schema.Column{schema.NewColumn("a", schema.Text), schema.NewColumn("a", schema.Text)}, "given twice"},
		{"exists", map[string]bool{"a": true}, []schema.Column{schema.NewColumn("a", schema.Text)}, "given twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validateColumns("t", tc.have, tc.cols)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

package duckdb

import (
	"context"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/schema"
)

// TestFirstMergeLoad checks the merge into an empty table, which sqlload writes straight into
// the table until a row needs the real merge (a key written twice, a deletion) and then
// moves what it wrote to staging: the result must be dlt's merge in every case.
func TestFirstMergeLoad(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 1, 1, h, 0, 0, 0, time.UTC) }
	cases := []struct {
		name      string
		dedupSort bool
		batches   [][][]any // id, v, ts, del
		want      [][]any   // id, v
	}{
		{"unique keys", false,
			[][][]any{{{"a", "1", at(1), false}, {"b", "1", at(1), nil}}, {{"c", "1", at(1), false}}},
			[][]any{{"a", "1"}, {"b", "1"}, {"c", "1"}}},
		{"key again in a later batch: last written wins", false,
			[][][]any{{{"a", "1", at(1), false}, {"b", "1", at(1), false}}, {{"c", "1", at(1), false}, {"a", "2", at(1), false}}},
			[][]any{{"a", "2"}, {"b", "1"}, {"c", "1"}}},
		{"key again in the same batch", false,
			[][][]any{{{"a", "1", at(1), false}, {"b", "1", at(1), false}, {"a", "2", at(1), false}, {"a", "3", at(1), false}}},
			[][]any{{"a", "3"}, {"b", "1"}}},
		{"dedup_sort keeps the newest, written first", true,
			[][][]any{{{"a", "new", at(5), false}, {"b", "1", at(1), false}}, {{"a", "old", at(2), false}}},
			[][]any{{"a", "new"}, {"b", "1"}}},
		{"dedup_sort keeps the newest, written last", true,
			[][][]any{{{"a", "old", at(2), false}}, {{"a", "new", at(5), false}, {"a", "older", at(1), false}}},
			[][]any{{"a", "new"}}},
		{"deletion of a key written before", false,
			[][][]any{{{"a", "1", at(1), false}, {"b", "1", at(1), false}}, {{"a", "1", at(2), true}}},
			[][]any{{"b", "1"}}},
		{"deletion of a new key", false,
			[][][]any{{{"a", "1", at(1), false}, {"x", "1", at(1), true}, {"b", "1", at(1), false}}},
			[][]any{{"a", "1"}, {"b", "1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, file := newFile(t)
			s := openSession(t, d, "p")
			ts := col("ts", schema.Timestamp)
			if tc.dedupSort {
				ts.DedupSort = schema.Desc
			}
			tbl := schema.NewTable("t", schema.Merge,
				schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("v", schema.Text), ts,
				schema.Column{Name: "del", DataType: schema.Bool, Nullable: true, HardDelete: true})
			load(t, s, tableLoad{Table: tbl, Batches: tc.batches})
			got := query(t, reader(t, file), `SELECT id, v FROM "`+testDataset+`"."t" ORDER BY id`)
			if len(got) != len(tc.want) {
				t.Fatalf("got rows %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i][0] != tc.want[i][0] || got[i][1] != tc.want[i][1] {
					t.Fatalf("got rows %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestFirstMergeLoadRollback checks that a merge written straight into an empty table leaves
// nothing behind when the load is rolled back, after moving to staging or not.
func TestFirstMergeLoadRollback(t *testing.T) {
	for _, twice := range []bool{false, true} {
		d, file := newFile(t)
		s := openSession(t, d, "p")
		tbl := schema.NewTable("t", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true})
		// Create the table, empty, so the next load writes into it directly.
		load(t, s, tableLoad{Table: tbl, Batches: nil})
		ctx := context.Background()
		l, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w, err := l.Table(ctx, tbl)
		if err != nil {
			t.Fatal(err)
		}
		batch := [][]any{{"a"}, {"b"}}
		if twice {
			batch = append(batch, []any{"a"})
		}
		if err := w.Write(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := l.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := query(t, reader(t, file), `SELECT count(*) FROM "`+testDataset+`"."t"`); len(got) != 1 || got[0][0] != int64(0) {
			t.Errorf("key twice %v: after rollback the table holds %v rows, want 0", twice, got)
		}
	}
}

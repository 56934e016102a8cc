package sfdlt_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/schema"
)

// TestRowsOfATableBeingChanged: while a load holds a Postgres table to add a column, Rows
// says so at once instead of waiting for that load, and Describe reports the table busy.
func TestRowsOfATableBeingChanged(t *testing.T) {
	dsn := destinationtest.PostgresDSN(t)
	dataset := destinationtest.DatasetName(t)
	d := postgres.New(dsn)
	t.Cleanup(func() { d.DropDataset(context.Background(), dataset) })
	ctx := t.Context()
	s, err := d.Open(ctx, dataset, "loader")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	narrow := schema.NewTable("account", schema.Append, schema.NewColumn("id", schema.Text))
	destinationtest.Load(t, s, destinationtest.TableLoad{Table: narrow, Batches: [][][]any{{{"a"}, {"b"}}}})
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	wider := schema.NewTable("account", schema.Append, schema.NewColumn("id", schema.Text), schema.NewColumn("name", schema.Text))
	if _, err := l.Table(ctx, wider); err != nil {
		t.Fatal(err)
	}

	p, err := sfdlt.NewPipeline("reader", d, sfdlt.Dataset(dataset), sfdlt.PipelinesDir(filepath.Join(t.TempDir(), "pipelines")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Rows(ctx, "account", 0, 10); err == nil || !strings.Contains(err.Error(), "running load is changing the columns of account") {
		t.Errorf("Rows of a table a load is changing: %v, want an error saying a running load is changing it", err)
	}
	tables, err := p.Describe(ctx, "account")
	if err != nil || len(tables) != 1 || !tables[0].Busy {
		t.Errorf("Describe(account) = %+v, %v; want account, busy", tables, err)
	}
	if _, err := p.Rows(ctx, "nosuch", 0, 10); !errors.Is(err, sfdlt.ErrNoTable) {
		t.Errorf("Rows of a table that does not exist: %v, want ErrNoTable", err)
	}
	if err := l.Rollback(); err != nil {
		t.Fatal(err)
	}
	page, err := p.Rows(ctx, "account", 1, 10)
	if err != nil || len(page.Rows) != 1 {
		t.Errorf("Rows(account, 1, 10) once the load is gone = %+v, %v; want the second of the 2 rows", page, err)
	}
}

// TestDescribeKeepsCountsUntilALoad: counting a table's rows by load reads the whole table, so
// Describe keeps the counts while no load comes; a load (or a change of the row count) makes it
// count again.
func TestDescribeKeepsCountsUntilALoad(t *testing.T) {
	forEachDestination(t, map[string]int{"Opportunity": 40}, func(t *testing.T, e *env) {
		src := e.source().WithResources("opportunity")
		e.run(src)
		p := e.pipeline()
		counts := func() map[string]int64 {
			t.Helper()
			tables, err := p.Describe(t.Context(), "opportunity")
			if err != nil || len(tables) != 1 {
				t.Fatalf("Describe(opportunity) = %+v, %v", tables, err)
			}
			out := map[string]int64{}
			var sum int64
			for _, lr := range tables[0].LoadRows {
				out[lr.LoadID] = lr.Rows
				sum += lr.Rows
			}
			if sum != tables[0].Rows {
				t.Errorf("the rows by load add up to %d, the table has %d", sum, tables[0].Rows)
			}
			return out
		}
		first := counts()
		if len(first) == 0 {
			t.Fatal("no rows by load after a run")
		}
		// Three rows given another load id by hand: no load came and the row count is the same,
		// so the kept counts are shown (nothing is read again).
		e.exec(`UPDATE {ds}.opportunity SET _dlt_load_id = 'by-hand' WHERE id IN (SELECT id FROM {ds}.opportunity ORDER BY id LIMIT 3)`)
		if got := counts(); fmt.Sprint(got) != fmt.Sprint(first) {
			t.Errorf("without a load the counts were read again: %v, kept %v", got, first)
		}
		// A run: counted again, the rows changed by hand among them (those the run did not merge).
		e.run(src)
		if got := counts(); got["by-hand"] < 1 || got["by-hand"] > 3 {
			t.Errorf("after a run the counts are %v, want 1 to 3 rows of load by-hand", got)
		}
	})
}

package sfdlt_test

import (
	"context"
	"errors"
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

package postgres

import (
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/schema"
)

// TestReadBusyTable checks that a Reader does not wait for a load that is adding a column to
// a table (which holds the table locked until it commits): it reports the table Busy and
// counts the others. And a Reader, holding no lock, keeps no run from opening the dataset.
func TestReadBusyTable(t *testing.T) {
	d, ds := target(t)
	ctx := t.Context()
	s := open(t, d, ds, "sf")
	narrow := schema.NewTable("account", schema.Append, col("id", schema.Text))
	other := schema.NewTable("contact", schema.Append, col("id", schema.Text))
	destinationtest.Load(t, s, destinationtest.TableLoad{Table: narrow, Batches: [][][]any{{{"a"}}}},
		destinationtest.TableLoad{Table: other, Batches: [][][]any{{{"c"}, {"d"}}}})

	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if _, err := l.Table(ctx, schema.NewTable("account", schema.Append, col("id", schema.Text), col("name", schema.Text))); err != nil {
		t.Fatal(err)
	}
	r, err := d.Read(ctx, ds, "sf")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stats, err := r.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []destination.TableStats{{Name: "account", Busy: true}, {Name: "contact", Rows: 2}}
	if len(stats) != len(want) || stats[0] != want[0] || stats[1] != want[1] {
		t.Errorf("Tables while a load adds a column to account: %+v, want %+v", stats, want)
	}
	if err := l.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, d, ds, "sf") // while the Reader is still open
}

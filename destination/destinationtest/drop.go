package destinationtest

import (
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// dropper returns l as a destination.Dropper, or skips the test when the destination has none.
func dropper(t *testing.T, l destination.Load) destination.Dropper {
	t.Helper()
	d, ok := l.(destination.Dropper)
	if !ok {
		t.Skipf("the load is a %T, which does not implement destination.Dropper", l)
	}
	return d
}

// testDrop checks destination.Dropper, when the destination's loads implement it: tables
// dropped and emptied inside a load come back whole when the load rolls back, are gone (or
// empty, with their columns) once it commits, and a dropped table can be created again with
// other columns in the same load.
func testDrop(t *testing.T, h *harness) {
	ctx := t.Context()
	s := h.open(pipelineName)
	acct := schema.NewTable("account", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("name", schema.Text))
	items := schema.NewTable("account__items", schema.Append, col("value", schema.Text), col("account_id", schema.Text))
	prod := schema.NewTable("product_2", schema.Replace, col("id", schema.Text))
	Load(t, s,
		TableLoad{Table: acct, Batches: [][][]any{{{"a1", "Acme"}, {"a2", "Bolt"}}}},
		TableLoad{Table: items, Batches: [][][]any{{{"x", "a1"}}}},
		TableLoad{Table: prod, Batches: [][][]any{{{"p1"}, {"p2"}, {"p3"}}}},
	)
	names := []string{"account", "account__items", "product_2"}
	before := h.snapshot(s, names...)

	// Dropped and emptied, then rolled back: everything as before.
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := dropper(t, l)
	if err := d.DropTables(ctx, []string{"account", "account__items", "no_such_table"}); err != nil {
		t.Fatalf("DropTables (with a table that does not exist): %v", err)
	}
	if err := d.TruncateTables(ctx, []string{"product_2", "no_such_table"}); err != nil {
		t.Fatalf("TruncateTables (with a table that does not exist): %v", err)
	}
	if err := l.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := h.snapshot(s, names...); got != before {
		t.Fatalf("after a rolled back drop the dataset changed:\n got %s\nwant %s", got, before)
	}

	// Dropped and emptied, account created again with other columns, committed.
	l, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	d = dropper(t, l)
	if err := d.DropTables(ctx, []string{"account", "account__items"}); err != nil {
		t.Fatal(err)
	}
	if err := d.TruncateTables(ctx, []string{"product_2"}); err != nil {
		t.Fatal(err)
	}
	acct2 := schema.NewTable("account", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, col("rating", schema.Bigint))
	writeAll(t, l, TableLoad{Table: acct2, Batches: [][][]any{{{"a9", int64(5)}}}})
	if err := d.DropTables(ctx, []string{"account"}); err == nil {
		t.Error("DropTables of a table open in the load succeeded; want an error")
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatalf("Commit after DropTables and TruncateTables: %v", err)
	}
	r := s.(Reader)
	if _, _, err := r.ReadTable(ctx, "account__items"); err == nil {
		t.Error("account__items still exists after DropTables was committed")
	}
	rows, tbl := read(t, r, "account")
	equal(t, "account created again", rows, []string{`"a9" | int64:5`})
	equal(t, "account's columns", columns(tbl), []string{"id text not null", "rating bigint"})
	rows, tbl = read(t, r, "product_2")
	equal(t, "product_2 emptied", rows, []string{})
	equal(t, "product_2 keeps its columns", columns(tbl), []string{"id text"})
}

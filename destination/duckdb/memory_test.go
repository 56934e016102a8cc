package duckdb

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/schema"
)

// loadWide loads rows of a table of width text columns in one load.
func loadWide(t *testing.T, d *Destination, width, rows int) error {
	t.Helper()
	ctx := t.Context()
	s, err := d.Open(ctx, "salesforce_data", "wide")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cols := []schema.Column{{Name: "id", DataType: schema.Text, PrimaryKey: true}}
	for i := range width - 1 {
		cols = append(cols, schema.Column{Name: fmt.Sprintf("c%d", i), DataType: schema.Text, Nullable: true})
	}
	w, err := l.Table(ctx, schema.NewTable("wide", schema.Append, cols...))
	if err != nil {
		t.Fatal(err)
	}
	batch := make([][]any, rows)
	for r := range batch {
		row := make([]any, width)
		row[0] = fmt.Sprintf("id%07d", r)
		for i := 1; i < width; i++ {
			row[i] = fmt.Sprintf("value %d of row %d, long enough", i, r)
		}
		batch[r] = row
	}
	if err := w.Write(ctx, batch); err != nil {
		_ = l.Rollback() // the write's error is the answer
		return err
	}
	return l.Commit(ctx)
}

// TestMemoryGuard: with memory_limit left to sfdlt, a table too wide for 128 MiB loads (the
// limit is raised while the load needs it) and the limit is back at 128 MiB after the commit;
// with the same limit set by the user, DuckDB refuses that load.
func TestMemoryGuard(t *testing.T) {
	const width, rows = 700, 1000
	managed := New(filepath.Join(t.TempDir(), "managed.duckdb"))
	if err := loadWide(t, managed, width, rows); err != nil {
		t.Fatalf("a %d-column load with a managed memory_limit: %v", width, err)
	}
	s, err := managed.Open(t.Context(), "salesforce_data", "check")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	handles.Lock()
	db := handles.open[managed.resolved].db
	handles.Unlock()
	var limit string
	if err := db.QueryRow("SELECT current_setting('memory_limit')").Scan(&limit); err != nil {
		t.Fatal(err)
	}
	if limit != "128.0 MiB" {
		t.Errorf("memory_limit after the commit = %s, want 128.0 MiB", limit)
	}

	fixed := New(filepath.Join(t.TempDir(), "fixed.duckdb"), WithConfig("memory_limit", DefaultMemoryLimit))
	err = loadWide(t, fixed, width, rows)
	if err == nil || !strings.Contains(err.Error(), "could not allocate") {
		t.Fatalf("a %d-column load with memory_limit set to %s: %v, want DuckDB's could not allocate", width, DefaultMemoryLimit, err)
	}
}

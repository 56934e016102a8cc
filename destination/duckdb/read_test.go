package duckdb

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// openHandles returns how many database handles this process holds.
func openHandles() int {
	handles.Lock()
	defer handles.Unlock()
	return len(handles.open)
}

// readTables opens a Reader of the test dataset with d, lists its tables and closes it.
func readTables(t *testing.T, d *Destination) []destination.TableStats {
	t.Helper()
	r, err := d.Read(t.Context(), testDataset, "sf")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	stats, err := r.Tables(t.Context())
	if err != nil {
		t.Fatalf("Tables: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return stats
}

// TestReadMissingFile checks that reading a file that does not exist (given, or the default
// <pipeline>.duckdb) reads as empty and leaves no file behind.
func TestReadMissingFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []*Destination{New(filepath.Join(dir, "given.duckdb")), New("")} {
		r, err := d.Read(t.Context(), testDataset, "sf")
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if tables, err := r.Tables(t.Context()); err != nil || len(tables) != 0 {
			t.Errorf("Tables: %v, %v; want none", tables, err)
		}
		_, err = r.PipelineState(t.Context(), "sf")
		if !errors.Is(err, destination.ErrNotFound) || !strings.Contains(err.Error(), dir) {
			t.Errorf("PipelineState: got %v, want ErrNotFound naming the file", err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("reading created %v (%v); want nothing", entries, err)
	}
	if n := openHandles(); n != 0 {
		t.Errorf("%d database handles open after reading missing files", n)
	}
}

// TestReadThroughRunningHandle checks that while a session loads a file, Readers of the same
// or another Destination on the path read through the session's handle (DuckDB refuses a
// second, read-only one in the process) and see only what was committed; and that a file the
// session created and never committed to goes when the last of them closes.
func TestReadThroughRunningHandle(t *testing.T) {
	d, file := newFile(t)
	s, err := d.Open(t.Context(), testDataset, "sf")
	if err != nil {
		t.Fatal(err)
	}
	tbl := schema.NewTable("t", schema.Append, col("id", schema.Text))
	l, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	w, err := l.Table(t.Context(), tbl)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(t.Context(), [][]any{{"uncommitted"}}); err != nil {
		t.Fatal(err)
	}
	for _, reader := range []*Destination{d, New(file)} {
		if got := readTables(t, reader); len(got) != 0 {
			t.Errorf("Tables during the first load: %v, want none (the load's table is not committed)", got)
		}
	}
	r, err := New(file).Read(t.Context(), testDataset, "sf")
	if err != nil {
		t.Fatal(err)
	}
	if n := openHandles(); n != 1 {
		t.Errorf("%d database handles while a session and a Reader use the file, want 1", n)
	}
	if err := l.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the file went while a Reader still had it open: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file the failed run created is still there after the last Reader closed (%v)", err)
	}
	if n := openHandles(); n != 0 {
		t.Errorf("%d database handles open after everything closed", n)
	}
}

// TestReadOnlyHandle checks a Reader of a file no session of this process has open: it opens
// the file read-only, leaves its bytes as they were, reads a missing dataset as empty, and
// makes a load into the file fail with ErrLocked until it closes.
func TestReadOnlyHandle(t *testing.T) {
	d, file := newFile(t)
	s := openSession(t, d, "sf")
	load(t, s, tableLoad{Table: schema.NewTable("t", schema.Append, col("id", schema.Text)), Batches: [][][]any{{{"a"}, {"b"}}}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	if got := readTables(t, d); len(got) != 1 || got[0] != (destination.TableStats{Name: "t", Rows: 2}) {
		t.Errorf("Tables: %v, want t with 2 rows", got)
	}
	other, err := d.Read(t.Context(), "no_such_dataset", "sf")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if tables, err := other.Tables(t.Context()); err != nil || len(tables) != 0 {
		t.Errorf("Tables of a missing dataset: %v, %v; want none", tables, err)
	}
	if _, err := other.PipelineState(t.Context(), "sf"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("PipelineState of a missing dataset: got %v, want ErrNotFound", err)
	}
	_, err = New(file).Open(t.Context(), testDataset, "sf")
	if !errors.Is(err, destination.ErrLocked) || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Open while a Reader has the file read-only: got %v, want ErrLocked saying so", err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("reading changed the file")
	}
	if _, err := os.Stat(file + ".wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading left a write-ahead log (%v)", err)
	}
	openSession(t, d, "sf")
}

package duckdb

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/schema"
)

const testDataset = "salesforce_data"

// newFile returns a destination on a fresh file.
func newFile(t *testing.T) (*Destination, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "test.duckdb")
	return New(file), file
}

// openSession opens the test dataset for pipeline and closes it at the end of the test.
func openSession(t *testing.T, d *Destination, pipeline string) destination.Session {
	t.Helper()
	s, err := d.Open(context.Background(), testDataset, pipeline)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// reader returns a second connection to the file, as a concurrent reader would have. It is
// only valid while a session on the file is open.
func reader(t *testing.T, file string) *sql.Conn {
	t.Helper()
	handles.Lock()
	h := handles.open[file]
	handles.Unlock()
	if h == nil {
		t.Fatalf("no open handle on %s", file)
	}
	c, err := h.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tableLoad and load are the conformance suite's: one load of some tables, committed.
type tableLoad = destinationtest.TableLoad

func load(t *testing.T, s destination.Session, tables ...tableLoad) {
	t.Helper()
	destinationtest.Load(t, s, tables...)
}

// query returns the rows of q, each value normalized by norm for comparison.
func query(t *testing.T, c *sql.Conn, q string) [][]any {
	t.Helper()
	rows, err := c.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			vals[i] = norm(v)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func norm(v any) any {
	switch x := v.(type) {
	case duckdb.Decimal:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

func col(name string, dt schema.DataType) schema.Column { return schema.NewColumn(name, dt) }

// Package destinationtest checks that a destination.Destination behaves as sfdlt's pipeline
// needs, in the spirit of testing/fstest.TestFS: every type round trip, dlt's system tables
// and the state rule, write dispositions (merge dedup and hard delete included), atomic
// replace, schema evolution, failures that leave the dataset as it was, the pipeline lock,
// destination.Reader (no lock, nothing created, one snapshot) and, when the destination's
// loads implement them, destination.Pruner and destination.Dropper. Run it from a test of
// the destination's package:
//
//	func TestConformance(t *testing.T) {
//		destinationtest.Run(t, func(t *testing.T) destinationtest.Target {
//			return destinationtest.Target{Destination: mydest.New(t.TempDir()), Dataset: "ds"}
//		})
//	}
//
// The suite reads back what it wrote through the destination itself: the destination's
// sessions must implement Reader. It also offers PostgresDSN and DatasetName for tests
// that need a Postgres database.
package destinationtest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// Target is what the suite tests: a destination and a dataset in it that no other test
// uses. The factory passed to Run registers any cleanup with t.Cleanup.
type Target struct {
	Destination destination.Destination
	Dataset     string
	// Exists, when not nil, reports whether the dataset (or anything made for it: a schema, a
	// file) exists in the destination, as the destination's own tools would see it. The suite
	// uses it to check that reading a new dataset creates nothing.
	Exists func(ctx context.Context) (bool, error)
}

// Reader is the optional interface of destination.Session through which the suite reads
// tables back (not to be confused with destination.Reader, which the suite checks too: that
// one reads only what was committed, and takes no lock). It reads the committed data plus
// whatever the session's own open load wrote.
type Reader interface {
	// ReadTable returns the table's columns as the dataset has them (name, dlt data type,
	// nullability; precision and scale for decimals) and all its rows in any order, as the
	// canonical Go values TableWriter.Write takes; destination.ErrNotFound when the table
	// does not exist.
	ReadTable(ctx context.Context, table string) (*schema.Table, [][]any, error)
}

// Pipeline names the suite opens sessions with.
const (
	pipelineName = "conformance"
	readerName   = "conformance_reader"
)

// Run runs the suite. newTarget is called once per subtest (the subtests run in parallel),
// and must return a fresh dataset no other test touches.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	tests := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"TypesRoundTrip", testTypes},
		{"QuotedIdentifiers", testQuotedIdentifiers},
		{"FreshDataset", testFreshDataset},
		{"SystemTablesAndState", testSystemTablesAndState},
		{"Evolution", testEvolution},
		{"VariantColumns", testVariantColumns},
		{"NotNull", testNotNull},
		{"MergeNested", testMergeNested},
		{"NestedNeedsParent", testNestedNeedsParent},
		{"ReplaceIsAtomic", testReplaceIsAtomic},
		{"CancelBeginContext", testCancelBeginContext},
		{"RollbackAfterCommit", testRollbackAfterCommit},
		{"Locked", testLocked},
		{"PipelinesSideBySide", testSideBySide},
		{"ReadNewDataset", testReadNew},
		{"ReadDuringLoad", testReadDuringLoad},
		{"QueryIsReadOnly", testQuery},
		{"DropIsAtomic", testDrop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, &harness{t: t, target: newTarget(t)})
		})
	}
	t.Run("Dispositions", func(t *testing.T) {
		t.Parallel()
		testDispositions(t, newTarget)
	})
	t.Run("NestedFollowRoot", func(t *testing.T) {
		t.Parallel()
		testNestedFollowRoot(t, newTarget)
	})
	t.Run("FailureLeavesDatasetUnchanged", func(t *testing.T) {
		t.Parallel()
		testFailures(t, newTarget)
	})
	t.Run("Prune", func(t *testing.T) {
		t.Parallel()
		testPrune(t, newTarget)
	})
	t.Run("SCD2", func(t *testing.T) {
		t.Parallel()
		testSCD2(t, newTarget)
	})
}

// harness holds one subtest's target.
type harness struct {
	t      *testing.T
	target Target
}

// open opens a session of pipeline on the target's dataset, closed at the end of the test.
func (h *harness) open(pipeline string) destination.Session {
	h.t.Helper()
	s, err := h.target.Destination.Open(h.t.Context(), h.target.Dataset, pipeline)
	if err != nil {
		h.t.Fatalf("Open(%q, %q): %v", h.target.Dataset, pipeline, err)
	}
	h.t.Cleanup(func() {
		if err := s.Close(); err != nil {
			h.t.Errorf("Close: %v", err)
		}
	})
	return s
}

// reader opens a session of another pipeline, as a concurrent reader on its own
// connection, and returns its Reader.
func (h *harness) reader() Reader {
	h.t.Helper()
	s := h.open(readerName)
	r, ok := s.(Reader)
	if !ok {
		h.t.Fatalf("the session is a %T, which does not implement destinationtest.Reader; implement ReadTable so the suite can read loads back", s)
	}
	return r
}

// TableLoad is what one load writes into one table: batches of rows, each batch one Write.
type TableLoad struct {
	Table   *schema.Table
	Batches [][][]any
}

// Load writes the tables in one load, interleaving their batches as the pipeline
// multiplexes resources, and commits it; any failure fails t. Destination tests outside the
// suite use it to set up data.
func Load(t *testing.T, s destination.Session, tables ...TableLoad) {
	t.Helper()
	ctx := t.Context()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	defer l.Rollback()
	writeAll(t, l, tables...)
	if err := l.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// writeAll writes the tables into the open load l, interleaving their batches, and closes
// their writers; any failure fails t.
func writeAll(t *testing.T, l destination.Load, tables ...TableLoad) {
	t.Helper()
	ctx := t.Context()
	var err error
	writers := make([]destination.TableWriter, len(tables))
	for i, tl := range tables {
		if writers[i], err = l.Table(ctx, tl.Table); err != nil {
			t.Fatalf("Table(%s): %v", tl.Table.Name, err)
		}
	}
	for b := 0; ; b++ {
		more := false
		for i, tl := range tables {
			if b < len(tl.Batches) {
				more = true
				if err := writers[i].Write(ctx, tl.Batches[b]); err != nil {
					t.Fatalf("Write(%s, batch %d): %v", tl.Table.Name, b, err)
				}
			}
		}
		if !more {
			break
		}
	}
	for i, w := range writers {
		if err := w.Close(ctx); err != nil {
			t.Fatalf("Close(%s): %v", tables[i].Table.Name, err)
		}
	}
}

// read returns the rows of table rendered and sorted, and its columns.
func read(t *testing.T, r Reader, table string) ([]string, *schema.Table) {
	t.Helper()
	tbl, rows, err := r.ReadTable(t.Context(), table)
	if err != nil {
		t.Fatalf("ReadTable(%s): %v", table, err)
	}
	for _, row := range rows {
		if len(row) != len(tbl.Columns) {
			t.Fatalf("ReadTable(%s): a row has %d values for %d columns", table, len(row), len(tbl.Columns))
		}
	}
	return renderRows(rows), tbl
}

// renderRows renders rows for comparison, sorted.
func renderRows(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = renderRow(r)
	}
	slices.Sort(out)
	return out
}

func renderRow(r []any) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = render(v)
	}
	return strings.Join(parts, " | ")
}

// render writes a canonical value so that equal values of a column render alike, with
// its Go type, so that e.g. "1" and 1 differ: timestamps in UTC, JSON re-encoded (databases
// reorder keys and respace), bytes in hex.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		if len(x) > 200 {
			return fmt.Sprintf("%q...(%d bytes, %x)", x[:40], len(x), x)
		}
		return strconv.Quote(x)
	case int64:
		return "int64:" + strconv.FormatInt(x, 10)
	case float64:
		return "float64:" + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return "time:" + x.UTC().Format(time.RFC3339Nano)
	case time.Duration:
		return "clock:" + x.String()
	case schema.DecimalValue:
		return "decimal:" + x.String()
	case json.RawMessage:
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var a any
		if err := d.Decode(&a); err != nil {
			return "badjson:" + string(x)
		}
		b, _ := json.Marshal(a)
		return "json:" + string(b)
	case []byte:
		return "bytes:" + hex.EncodeToString(x)
	}
	return fmt.Sprintf("%T:%v", v, v)
}

// columns renders the columns of a read-back table: name, type, nullability.
func columns(t *schema.Table) []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name + " " + string(c.DataType)
		if c.DataType == schema.Decimal {
			out[i] += fmt.Sprintf("(%d,%d)", c.Precision, c.Scale)
		}
		if !c.Nullable {
			out[i] += " not null"
		}
	}
	return out
}

func col(name string, dt schema.DataType) schema.Column { return schema.NewColumn(name, dt) }

func notNull(name string, dt schema.DataType) schema.Column {
	return schema.Column{Name: name, DataType: dt}
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// snapshot renders the named tables (absent ones as such), read through s, and the list of
// tables with their row counts as a Reader sees it, so a test can check that nothing changed.
// Call it while s has no load open.
func (h *harness) snapshot(s destination.Session, tables ...string) string {
	t := h.t
	t.Helper()
	r := s.(Reader)
	var b strings.Builder
	fmt.Fprintf(&b, "tables %v\n", h.tables())
	for _, name := range tables {
		tbl, rows, err := r.ReadTable(t.Context(), name)
		if errors.Is(err, destination.ErrNotFound) {
			fmt.Fprintf(&b, "%s: absent\n", name)
			continue
		}
		if err != nil {
			t.Fatalf("ReadTable(%s): %v", name, err)
		}
		fmt.Fprintf(&b, "%s %v\n%s\n", name, columns(tbl), strings.Join(renderRows(rows), "\n"))
	}
	return b.String()
}

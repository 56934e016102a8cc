package main

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// discard is a destination that keeps nothing: a pipeline run into it measures extraction and
// decoding alone. With keep > 0 it also captures the first keep rows of each table (and the
// table's definition), to replay them into real destinations.
type discard struct {
	keep int

	mu     sync.Mutex
	rows   atomic.Int64
	tables map[string]*captured
}

type captured struct {
	table *schema.Table
	rows  [][]any
}

func newDiscard(keep int) *discard { return &discard{keep: keep, tables: map[string]*captured{}} }

func (d *discard) Info() destination.Info {
	return destination.Info{Name: "discard", Location: "nowhere"}
}

func (d *discard) Open(context.Context, string, string) (destination.Session, error) {
	return discardSession{d}, nil
}

// Read reads nothing: a discard destination keeps nothing to read.
func (d *discard) Read(context.Context, string, string) (destination.Reader, error) {
	return destination.EmptyReader("the discard destination keeps nothing"), nil
}

type discardSession struct{ d *discard }

func (discardSession) Schema(context.Context, string) (*destination.SchemaRow, error) {
	return nil, destination.ErrNotFound
}
func (discardSession) PipelineState(context.Context, string) (*destination.StateRow, error) {
	return nil, destination.ErrNotFound
}
func (s discardSession) Begin(context.Context) (destination.Load, error) { return discardLoad(s), nil }
func (discardSession) Close() error                                      { return nil }

type discardLoad struct{ d *discard }

func (l discardLoad) Table(_ context.Context, t *schema.Table) (destination.TableWriter, error) {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	c := l.d.tables[t.Name]
	if c == nil {
		c = &captured{table: t.Clone()}
		l.d.tables[t.Name] = c
	}
	return &discardWriter{d: l.d, c: c, system: schema.IsSystemTable(t.Name)}, nil
}
func (discardLoad) Commit(context.Context) error { return nil }
func (discardLoad) Rollback() error              { return nil }

type discardWriter struct {
	d      *discard
	c      *captured
	system bool
}

func (w *discardWriter) Write(_ context.Context, rows [][]any) error {
	if !w.system {
		w.d.rows.Add(int64(len(rows)))
	}
	if room := w.d.keep - len(w.c.rows); room > 0 && !w.system {
		w.d.mu.Lock()
		w.c.rows = append(w.c.rows, rows[:min(room, len(rows))]...)
		w.d.mu.Unlock()
	}
	return nil
}

func (w *discardWriter) AddColumns(_ context.Context, cols []schema.Column) error {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	w.c.table.Columns = append(w.c.table.Columns, cols...)
	return nil
}

func (w *discardWriter) Close(context.Context) error { return nil }

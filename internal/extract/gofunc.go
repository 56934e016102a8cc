package extract

import (
	"context"
	"fmt"
	"time"

	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/internal/normalize"
)

// funcBatch is how many records of a Go resource go to the destination at once.
const funcBatch = 1000

// extractFunc runs a resource written in Go. Records are normalized as dlt's relational
// normalizer does: nested maps flatten into parent__child columns, lists become nested tables
// (<table>__<field>) linked by _dlt_parent_id and _dlt_list_idx (and _dlt_root_id under merge).
// Column types are inferred from the values.
func (r *Extractor) extractFunc(ctx context.Context, res *resource) error {
	cursorPath, filter := res.cursor()
	n := normalize.NewRecords(r.sch, res.hints(), r.ops, cursorPath, filter)
	root, err := r.sch.Evolve(normalize.Observed(res.hints(), nil))
	if err != nil {
		return err
	}
	w := n.Writer(root)
	// A Go function cannot be resumed midway: no commit cuts it (its mark is not safe).
	fullRead := res.inc != nil && res.inc.LastValue() == nil
	if err := w.FlushMark(ctx, nil, &load.Mark{Resource: res.name, Begin: true}); err != nil {
		return err
	}
	// Nested tables a previous run created are replaced along with their root.
	for _, nt := range r.sch.NestedTables(root.Name) {
		if err := n.Writer(nt).Begin(ctx); err != nil {
			return err
		}
	}
	prog := Progress{Resource: res.name, Table: root.Name, TotalRows: -1, Started: time.Now()}
	r.report(prog)
	count := 0
	var last any
	if res.inc != nil {
		last = res.inc.LastValue()
	}
	for rec, err := range res.fn(ctx, last) {
		if err != nil {
			return fmt.Errorf("the resource function failed: %w", err)
		}
		if err := n.Record(rec); err != nil {
			return err
		}
		if count++; count%funcBatch == 0 {
			if err := n.Flush(ctx); err != nil {
				return err
			}
			prog.Pages++
			prog.Rows = w.Rows()
			r.report(prog)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := n.Flush(ctx); err != nil {
		return err
	}
	done := &load.Mark{Resource: res.name, Safe: true, Done: true, FullRead: fullRead}
	if res.inc != nil {
		done.Cursor, done.Inc = res.inc.CursorPath, res.inc.state()
	}
	if err := r.send(ctx, load.Op{Mark: done}); err != nil {
		return err
	}
	prog.Rows, prog.Done = w.Rows(), true
	r.report(prog)
	return nil
}

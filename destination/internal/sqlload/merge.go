package sqlload

import (
	"context"
	"fmt"
	"strings"

	"github.com/sfdlt/sfdlt/schema"
)

// merge applies dlt's delete-insert merge of root table w and its nested tables, in dlt's
// order:
//
//  1. delete the nested rows whose _dlt_root_id is the _dlt_id of a destination root row
//     matched by a staged key (so the children of replaced and of hard-deleted rows go);
//  2. delete the destination root rows matched by a staged key: the primary key, or the
//     merge key, or either when both are given;
//  3. insert the staged root rows, deduplicated by primary key (the first by dedup_sort, else
//     the last written), except those whose hard_delete column is set, which only delete;
//  4. insert the staged nested rows whose _dlt_root_id is a root row inserted in step 3.
//
// With only a merge key there is no deduplication, as in dlt.
func (l *Load) merge(ctx context.Context, w *writer) error {
	d := l.s.d
	dest := d.Quote(l.s.dataset) + "." + d.Quote(w.name)
	stage := w.target()
	q := func(cols []string) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = d.Quote(c)
		}
		return out
	}

	var keyConds []string
	for _, key := range [][]string{w.table.PrimaryKey(), w.table.MergeKey()} {
		if len(key) == 0 {
			continue
		}
		eq := make([]string, len(key))
		for i, k := range q(key) {
			eq[i] = "s." + k + " = d." + k
		}
		keyConds = append(keyConds, "EXISTS (SELECT 1 FROM "+stage+" AS s WHERE "+strings.Join(eq, " AND ")+")")
	}
	matched := strings.Join(keyConds, " OR ")

	var nested []*writer
	for _, n := range l.order {
		if n.root == w && n != w {
			nested = append(nested, n)
		}
	}
	rowKey := rowKeyColumn(w.table)
	for _, n := range nested {
		nd := d.Quote(l.s.dataset) + "." + d.Quote(n.name)
		if err := l.exec(ctx, fmt.Sprintf("merge %s: deleting replaced rows of nested table %s", w.name, n.name),
			"DELETE FROM "+nd+" WHERE "+d.Quote(rootKeyColumn(n.table))+" IN (SELECT d."+d.Quote(rowKey)+" FROM "+dest+" AS d WHERE "+matched+")"); err != nil {
			return err
		}
	}
	if err := l.exec(ctx, fmt.Sprintf("merge %s: deleting replaced rows", w.name),
		"DELETE FROM "+dest+" AS d WHERE "+matched); err != nil {
		return err
	}

	cols := strings.Join(q(w.table.ColumnNames()), ", ")
	keep := w.keptRowsSQL(cols)
	if pk := w.table.PrimaryKey(); len(pk) > 0 {
		// Numbering wide rows to deduplicate them is most of a merge's cost (profiled), and
		// usually there is nothing to deduplicate: check that first, on the key alone.
		var dupes bool
		keyList := strings.Join(q(pk), ", ")
		if err := l.s.conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+stage+" GROUP BY "+keyList+" HAVING count(*) > 1)").Scan(&dupes); err != nil {
			return l.fail(fmt.Errorf("merge %s: looking for duplicate keys: %w", w.name, err))
		}
		if !dupes {
			keep = w.liveRowsSQL(cols)
		}
	}
	if err := l.exec(ctx, fmt.Sprintf("merge %s: inserting staged rows", w.name),
		"INSERT INTO "+dest+" ("+cols+") "+keep); err != nil {
		return err
	}
	for _, n := range nested {
		ncols := strings.Join(q(n.table.ColumnNames()), ", ")
		if err := l.exec(ctx, fmt.Sprintf("merge %s: inserting staged rows of nested table %s", w.name, n.name),
			"INSERT INTO "+d.Quote(l.s.dataset)+"."+d.Quote(n.name)+" ("+ncols+") SELECT "+ncols+" FROM "+n.target()+
				" WHERE "+d.Quote(rootKeyColumn(n.table))+" IN (SELECT "+d.Quote(rowKey)+" FROM ("+w.keptRowsSQL(d.Quote(rowKey))+") AS k)"); err != nil {
			return err
		}
	}
	return nil
}

// liveConds are the conditions a staged row that is not a deletion meets: its hard_delete
// columns are not true (bool) or null (other types).
func (w *writer) liveConds() []string {
	d := w.l.s.d
	var live []string
	for _, c := range w.table.Columns {
		if !c.HardDelete {
			continue
		}
		if c.DataType == schema.Bool {
			live = append(live, d.Quote(c.Name)+" IS DISTINCT FROM TRUE")
		} else {
			live = append(live, d.Quote(c.Name)+" IS NULL")
		}
	}
	return live
}

// liveRowsSQL selects cols of the staged rows without their deletions: the rows a merge
// inserts when no key is staged twice.
func (w *writer) liveRowsSQL(cols string) string {
	live := w.liveConds()
	q := "SELECT " + cols + " FROM " + w.target()
	if len(live) > 0 {
		q += " WHERE " + strings.Join(live, " AND ")
	}
	return q
}

// keptRowsSQL selects cols of the staged rows a merge inserts: one per primary key (when
// there is one), and none whose hard_delete column is set.
func (w *writer) keptRowsSQL(cols string) string {
	d := w.l.s.d
	stage := w.target()
	live := w.liveConds()
	where := ""
	if len(live) > 0 {
		where = " WHERE " + strings.Join(live, " AND ")
	}
	pk := w.table.PrimaryKey()
	if len(pk) == 0 {
		return "SELECT " + cols + " FROM " + stage + where
	}
	order := d.Quote(seqColumn) + " DESC"
	// dlt honours the first column with the hint; ties keep the last written row.
	for _, c := range w.table.Columns {
		if c.DedupSort == schema.Desc || c.DedupSort == schema.Asc {
			order = d.Quote(c.Name) + " " + strings.ToUpper(string(c.DedupSort)) + " NULLS LAST, " + order
			break
		}
	}
	part := make([]string, len(pk))
	for i, k := range pk {
		part[i] = d.Quote(k)
	}
	// Deduplicate first, then drop deletions: when the row kept for a key is a deletion the
	// key is deleted, as in dlt.
	inner := "SELECT *, ROW_NUMBER() OVER (PARTITION BY " + strings.Join(part, ", ") + " ORDER BY " + order + ") AS _dlt_dedup_rn FROM " + stage
	cond := "_dlt_dedup_rn = 1"
	if len(live) > 0 {
		cond += " AND " + strings.Join(live, " AND ")
	}
	return "SELECT " + cols + " FROM (" + inner + ") AS _dlt_dedup_numbered WHERE " + cond
}

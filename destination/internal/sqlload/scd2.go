package sqlload

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/schema"
)

// validity is where an scd2 table's validity columns are and what a new active row holds in
// them (see writer.validity).
type validity struct {
	from, to         int
	boundary, active any
}

// boundary is the time the load's scd2 merge of t writes: the table's own, else the load's
// beginning.
func (l *Load) boundary(t *schema.Table) time.Time {
	if !t.Boundary.IsZero() {
		return t.Boundary.UTC()
	}
	return l.began
}

func (l *Load) validityValues(t *schema.Table) *validity {
	from, to := t.ValidityColumns()
	v := &validity{from: t.ColumnIndex(from), to: t.ColumnIndex(to), boundary: l.boundary(t)}
	if a := t.ActiveRecordTimestamp(); a != nil {
		v.active = *a
	}
	return v
}

// mergeSCD2 merges root table w and its nested tables by dlt's scd2 strategy, at Commit:
//
//   - the active rows that no staged row continues are retired: their "valid to" becomes the
//     load's boundary. With a merge key only the rows of keys in the load are looked at (an
//     incremental extract: a record absent from it is unchanged), without one every active row
//     (a full extract: a record absent from it is gone);
//   - the staged rows (one per primary key when there is one, the last written; no deletions)
//     that are not an active version already are inserted, valid from the boundary;
//   - nested rows are insert only: the rows of inserted versions that the table lacks.
//
// A version is the row version column's value (the row hash in _dlt_id, or the resource's
// column), compared together with the merge key where there is one: a version column such as
// SystemModstamp is unique only within a record.
func (l *Load) mergeSCD2(ctx context.Context, w *writer) error {
	d := l.s.d
	t := w.table
	dest := d.Quote(l.s.dataset) + "." + d.Quote(w.name)
	stage := w.target()
	fromName, toName := t.ValidityColumns()
	from, to := d.Quote(fromName), d.Quote(toName)
	ver := d.Quote(t.RowVersionColumn())
	tsType := d.ColumnType(schema.Column{Name: toName, DataType: schema.Timestamp, Nullable: true})
	boundary := "CAST($1 AS " + tsType + ")"
	args := []any{l.boundary(t)}
	activeValue := "CAST(NULL AS " + tsType + ")"
	isActive := func(alias string) string { return alias + to + " IS NULL" }
	if a := t.ActiveRecordTimestamp(); a != nil {
		args = append(args, *a)
		activeValue = "CAST($2 AS " + tsType + ")"
		isActive = func(alias string) string { return alias + to + " = " + activeValue }
	}
	sameVersion := func(a, b string) string {
		conds := []string{a + "." + ver + " = " + b + "." + ver}
		for _, k := range t.MergeKey() {
			conds = append(conds, a+"."+d.Quote(k)+" = "+b+"."+d.Quote(k))
		}
		return strings.Join(conds, " AND ")
	}

	var cols []string
	for _, c := range t.ColumnNames() {
		if c != fromName && c != toName {
			cols = append(cols, d.Quote(c))
		}
	}
	colList := strings.Join(cols, ", ")
	kept := w.keptRowsSQL(colList)
	if pk := t.PrimaryKey(); len(pk) > 0 {
		var dupes bool
		keyList := strings.Join(quoteAll(d, pk), ", ")
		if err := l.s.conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+stage+" GROUP BY "+keyList+" HAVING count(*) > 1)").Scan(&dupes); err != nil {
			return l.fail(fmt.Errorf("merge %s: looking for duplicate keys: %w", w.name, err))
		}
		if !dupes {
			kept = w.liveRowsSQL(colList)
		}
	}

	// Retire. The UPDATE names its target without an alias (Postgres and DuckDB differ on
	// aliases there): the target's columns are qualified by the table's name.
	self := d.Quote(w.name) + "."
	retire := "UPDATE " + dest + " SET " + to + " = " + boundary + " WHERE " + isActive(self)
	if mk := t.MergeKey(); len(mk) > 0 {
		eq := make([]string, len(mk))
		for i, k := range quoteAll(d, mk) {
			eq[i] = "s." + k + " = " + self + k
		}
		retire += " AND EXISTS (SELECT 1 FROM " + stage + " AS s WHERE " + strings.Join(eq, " AND ") + ")"
	}
	retire += " AND NOT EXISTS (SELECT 1 FROM (" + kept + ") AS k WHERE " + sameVersion("k", strings.TrimSuffix(self, ".")) + ")"
	if err := l.exec(ctx, fmt.Sprintf("merge %s (scd2): retiring changed and deleted records' versions", w.name), retire, args...); err != nil {
		return err
	}

	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "s." + c
	}
	insert := "INSERT INTO " + dest + " (" + colList + ", " + from + ", " + to + ") SELECT " + strings.Join(sel, ", ") + ", " + boundary + ", " + activeValue +
		" FROM (" + kept + ") AS s WHERE NOT EXISTS (SELECT 1 FROM " + dest + " AS d WHERE " + isActive("d.") + " AND " + sameVersion("d", "s") + ")"
	if err := l.exec(ctx, fmt.Sprintf("merge %s (scd2): inserting new versions", w.name), insert, args...); err != nil {
		return err
	}

	rowKey := d.Quote(rowKeyColumn(t))
	for _, n := range l.order {
		if n.root != w || n == w {
			continue
		}
		nd := d.Quote(l.s.dataset) + "." + d.Quote(n.name)
		ncols := strings.Join(quoteAll(d, n.table.ColumnNames()), ", ")
		id := d.Quote(rowKeyColumn(n.table))
		q := "INSERT INTO " + nd + " (" + ncols + ") SELECT " + ncols + " FROM " + n.target() + " AS s" +
			" WHERE s." + d.Quote(rootKeyColumn(n.table)) + " IN (SELECT " + rowKey + " FROM (" + w.keptRowsSQL(rowKey) + ") AS k)" +
			" AND NOT EXISTS (SELECT 1 FROM " + nd + " AS d WHERE d." + id + " = s." + id + ")"
		if err := l.exec(ctx, fmt.Sprintf("merge %s (scd2): inserting nested rows of %s", w.name, n.name), q); err != nil {
			return err
		}
	}
	return nil
}

func quoteAll(d Dialect, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = d.Quote(n)
	}
	return out
}

package sqlload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// seqColumn numbers the rows of a merge staging table in write order, so that deduplication
// without a dedup_sort hint deterministically keeps the last row written for a key.
const seqColumn = "_sfdlt_stage_seq"

// Load is a destination.Load: one transaction. Every method takes the session's lock, since
// one connection runs one statement at a time; tables may be written from several goroutines.
type Load struct {
	s        *Session
	beginCtx context.Context

	tables    map[string]*writer
	order     []*writer
	flags     []flag
	prunes    []prune
	began     time.Time // when the load began: the default boundary of its scd2 merges
	done      bool      // committed or rolled back
	failed    error     // why the load was rolled back early, if it was
	ddlLocked bool      // the dialect's DDL lock is held (see DDLLocker)
}

var _ destination.Load = (*Load)(nil)

func (l *Load) finished() bool { return l.done }

// check reports whether the load can take another statement.
func (l *Load) check(ctx context.Context) error {
	if l.failed != nil {
		return fmt.Errorf("load was rolled back after an earlier error; begin a new load: %w", l.failed)
	}
	if l.done {
		return errors.New("sqlload: load is already committed or rolled back; begin a new load")
	}
	if l.s.closed {
		return errors.New("sqlload: session is closed; open a new session")
	}
	for _, c := range []context.Context{l.beginCtx, ctx} {
		if err := c.Err(); err != nil {
			return l.fail(fmt.Errorf("load cancelled: %w", context.Cause(c)))
		}
	}
	return nil
}

// fail rolls the transaction back after err so that nothing of the load survives, and
// remembers err for later calls. Callers hold the session lock.
func (l *Load) fail(err error) error {
	if l.done {
		return err
	}
	l.failed = err
	if rbErr := l.rollbackLocked(); rbErr != nil {
		return errors.Join(err, rbErr)
	}
	return err
}

func (l *Load) rollbackLocked() error {
	if l.done {
		return nil
	}
	l.done = true
	// The caller's context may be the cancelled one; ROLLBACK must run regardless.
	if _, err := l.s.conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		return fmt.Errorf("rolling back the load in dataset %q: %w", l.s.dataset, err)
	}
	return nil
}

// exec runs one statement of the load; a failure rolls the load back.
func (l *Load) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := l.s.conn.ExecContext(ctx, query, args...); err != nil {
		return l.fail(fmt.Errorf("%s: %w", what, err))
	}
	return nil
}

// Rollback discards the load; after Commit or an earlier rollback it does nothing.
func (l *Load) Rollback() error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.rollbackLocked()
}

// Commit applies the merges of the load's merge tables (dlt's delete-insert, which needs all
// of a root's nested tables written), then the Flag and then the Prune calls, drops the
// staging tables and commits.
func (l *Load) Commit(ctx context.Context) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if err := l.check(ctx); err != nil {
		return err
	}
	if cp, ok := l.s.d.(CommitPreparer); ok {
		widest := 0
		for _, w := range l.order {
			widest = max(widest, len(w.table.Columns))
		}
		if err := cp.PrepareCommit(ctx, l.s.conn.Conn, widest); err != nil {
			return l.fail(err)
		}
	}
	for _, w := range l.order {
		if w.root == w && w.staged {
			merge := l.merge
			if w.table.MergeStrategy == schema.SCD2 {
				merge = l.mergeSCD2
			}
			if err := merge(ctx, w); err != nil {
				return err
			}
		}
	}
	for _, f := range l.flags {
		if err := l.applyFlag(ctx, f); err != nil {
			return err
		}
	}
	for _, p := range l.prunes {
		if err := l.applyPrune(ctx, p); err != nil {
			return err
		}
	}
	for _, w := range l.order {
		if w.staged {
			if err := l.exec(ctx, fmt.Sprintf("dropping staging table %s.%s", w.targetDataset, w.name),
				"DROP TABLE IF EXISTS "+w.target()); err != nil {
				return err
			}
		}
	}
	if err := l.exec(ctx, fmt.Sprintf("committing the load into dataset %q", l.s.dataset), "COMMIT"); err != nil {
		return err
	}
	l.done = true
	if l.s.opts.AfterCommit != nil {
		l.s.opts.AfterCommit()
	}
	return nil
}

// flag is one pending Flag call, applied at Commit after the merges.
type flag struct {
	table, key, column string
	keys               []string
}

var _ destination.Flagger = (*Load)(nil)

// Flag implements destination.Flagger: the update runs at Commit, after the merges, so it
// applies to the rows the load leaves.
func (l *Load) Flag(ctx context.Context, table, keyColumn, column string, keys []string) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if err := l.check(ctx); err != nil {
		return err
	}
	if len(keys) > 0 {
		l.flags = append(l.flags, flag{table: table, key: keyColumn, column: column, keys: slices.Clone(keys)})
	}
	return nil
}

// applyFlag runs one Flag's UPDATE, in batches of placeholders both dialects take.
func (l *Load) applyFlag(ctx context.Context, f flag) error {
	d := l.s.d
	const batch = 500
	for i := 0; i < len(f.keys); i += batch {
		keys := f.keys[i:min(i+batch, len(f.keys))]
		ph := make([]string, len(keys))
		args := make([]any, len(keys))
		for j, k := range keys {
			ph[j] = fmt.Sprintf("$%d", j+1)
			args[j] = k
		}
		q := "UPDATE " + d.Quote(l.s.dataset) + "." + d.Quote(f.table) + " SET " + d.Quote(f.column) + " = TRUE WHERE " +
			d.Quote(f.key) + " IN (" + strings.Join(ph, ", ") + ")"
		if err := l.exec(ctx, fmt.Sprintf("flagging %d rows of %s", len(keys), f.table), q, args...); err != nil {
			return err
		}
	}
	return nil
}

var _ destination.Dropper = (*Load)(nil)

// DropTables implements destination.Dropper: DROP TABLE IF EXISTS of each table, now, inside
// the load's transaction (under the dialect's DDL lock, as any change to the dataset's tables).
func (l *Load) DropTables(ctx context.Context, tables []string) error {
	return l.dropOrTruncate(ctx, tables, true)
}

// TruncateTables implements destination.Dropper: DELETE of every row of each existing table,
// now, inside the load's transaction. A DELETE rather than TRUNCATE: Postgres' TRUNCATE would
// lock readers out of the table until the load commits, and is not transactional for readers.
func (l *Load) TruncateTables(ctx context.Context, tables []string) error {
	return l.dropOrTruncate(ctx, tables, false)
}

func (l *Load) dropOrTruncate(ctx context.Context, tables []string, drop bool) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if err := l.check(ctx); err != nil {
		return err
	}
	for _, t := range tables {
		if _, open := l.tables[t]; open {
			return fmt.Errorf("sqlload: table %q is open in this load; drop or empty tables before writing them", t)
		}
		if err := checkIdentifier(l.s.d, "table", t); err != nil {
			return err
		}
	}
	if drop && len(tables) > 0 {
		if err := l.lockDDL(ctx); err != nil {
			return err
		}
	}
	for _, t := range tables {
		target := l.s.d.Quote(l.s.dataset) + "." + l.s.d.Quote(t)
		if drop {
			if err := l.exec(ctx, fmt.Sprintf("dropping table %s.%s", l.s.dataset, t), "DROP TABLE IF EXISTS "+target); err != nil {
				return err
			}
			continue
		}
		ok, err := l.s.reads().tableExists(ctx, t)
		if err != nil {
			return l.fail(err)
		}
		if ok {
			if err := l.exec(ctx, fmt.Sprintf("deleting the rows of %s.%s", l.s.dataset, t), "DELETE FROM "+target); err != nil {
				return err
			}
		}
	}
	return nil
}

// prune is one pending Prune call, applied at Commit after the merges and flags.
type prune struct {
	table string
	keep  []string
}

var _ destination.Pruner = (*Load)(nil)

// Prune implements destination.Pruner: the delete runs at Commit, after the merges and
// flags, so the rows the load merged with a kept load id survive. The table must be open in
// this load or exist in the dataset.
func (l *Load) Prune(ctx context.Context, table string, keep []string) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if err := l.check(ctx); err != nil {
		return err
	}
	if _, open := l.tables[table]; !open {
		ok, err := l.s.reads().tableExists(ctx, table)
		if err != nil {
			return l.fail(err)
		}
		if !ok {
			return fmt.Errorf("sqlload: cannot prune table %q: dataset %q has no such table and it is not open in this load", table, l.s.dataset)
		}
	}
	l.prunes = append(l.prunes, prune{table: table, keep: slices.Clone(keep)})
	return nil
}

// pruneKeepTable is the temporary table that holds the load ids a large Prune keeps.
const pruneKeepTable = "_sfdlt_prune_keep"

// applyPrune runs one Prune's DELETE. Up to one batch of kept load ids go inline as
// placeholders; more go first, in batches, into a temporary table the DELETE reads, since
// one NOT IN cannot be split over several statements.
func (l *Load) applyPrune(ctx context.Context, p prune) error {
	d := l.s.d
	const batch = 500
	what := fmt.Sprintf("pruning %s.%s to %d loads", l.s.dataset, p.table, len(p.keep))
	cols, err := l.s.columns(ctx, l.s.dataset, p.table)
	if err != nil {
		return l.fail(fmt.Errorf("%s: %w", what, err))
	}
	switch {
	case len(cols) == 0:
		return l.fail(fmt.Errorf("%s: the table does not exist", what))
	case !cols[schema.ColumnLoadID]:
		return l.fail(fmt.Errorf("%s: the table has no %s column; only tables whose rows carry their load id can be pruned", what, schema.ColumnLoadID))
	}
	dest := d.Quote(l.s.dataset) + "." + d.Quote(p.table)
	loadID := d.Quote(schema.ColumnLoadID)
	placeholders := func(n int) string {
		ph := make([]string, n)
		for j := range ph {
			ph[j] = fmt.Sprintf("$%d", j+1)
		}
		return strings.Join(ph, ", ")
	}
	args := func(keep []string) []any {
		a := make([]any, len(keep))
		for j, k := range keep {
			a[j] = k
		}
		return a
	}
	switch {
	case len(p.keep) == 0:
		return l.exec(ctx, what, "DELETE FROM "+dest)
	case len(p.keep) <= batch:
		return l.exec(ctx, what, "DELETE FROM "+dest+" WHERE "+loadID+" IS NULL OR "+loadID+" NOT IN ("+placeholders(len(p.keep))+")",
			args(p.keep)...)
	}
	// A temporary table is the connection's own, and found before any table of the same name
	// in the default schema. It lives no longer than this call: dropped below, or removed by
	// the rollback that a failure here brings.
	keepTable := d.Quote(pruneKeepTable)
	if err := l.exec(ctx, what, "CREATE TEMPORARY TABLE "+keepTable+" (load_id "+
		d.ColumnType(schema.Column{Name: "load_id", DataType: schema.Text})+" NOT NULL)"); err != nil {
		return err
	}
	for i := 0; i < len(p.keep); i += batch {
		keep := p.keep[i:min(i+batch, len(p.keep))]
		values := make([]string, len(keep))
		for j := range keep {
			values[j] = fmt.Sprintf("($%d)", j+1)
		}
		if err := l.exec(ctx, what, "INSERT INTO "+keepTable+" (load_id) VALUES "+strings.Join(values, ", "), args(keep)...); err != nil {
			return err
		}
	}
	if err := l.exec(ctx, what, "DELETE FROM "+dest+" WHERE "+loadID+" IS NULL OR "+loadID+" NOT IN (SELECT load_id FROM "+keepTable+")"); err != nil {
		return err
	}
	return l.exec(ctx, what, "DROP TABLE "+keepTable)
}

// writer is a destination.TableWriter.
type writer struct {
	l     *Load
	name  string
	table *schema.Table // the columns as last given, in row order
	// disposition is the effective one: a nested table's is its root's; Skip is append; a
	// merge table without primary or merge key is append, as dlt falls back.
	disposition schema.WriteDisposition
	root        *writer // itself for a root table
	staged      bool    // rows go to a staging table and are merged at Commit
	// direct marks a merge table written straight into its target (see Load.Table): the
	// target was empty when the load opened it, and no row written so far needs the merge
	// (no primary key written twice, no deletion). keys holds a hash of each primary key
	// written, to notice a repeat; a hash collision only costs a needless switch to staging.
	direct  bool
	keys    map[uint64]struct{}
	keySeed maphash.Seed
	// validity holds, for an scd2 table written directly, the positions of its validity
	// columns and the values each row gets there (the load's boundary, and the "to" of an
	// active row): written directly, every row is a new active version.
	validity *validity

	targetDataset string
	dbColumns     map[string]bool // columns the target table has
	seq           int64
	closed        bool
}

var _ destination.TableWriter = (*writer)(nil)

func (w *writer) target() string { return w.l.s.d.Quote(w.targetDataset) + "." + w.l.s.d.Quote(w.name) }

func validateColumns(table string, have map[string]bool, cols []schema.Column) error {
	seen := map[string]bool{}
	for _, c := range cols {
		switch {
		case c.Name == "":
			return fmt.Errorf("table %q: a column has no name; name every column", table)
		case !c.DataType.Valid():
			return fmt.Errorf("table %q: column %q has data type %q; use one of %v", table, c.Name, c.DataType, schema.DataTypes)
		case c.Name == seqColumn:
			return fmt.Errorf("table %q: column name %q is reserved for merge staging; rename the column", table, c.Name)
		case seen[c.Name] || have[c.Name]:
			return fmt.Errorf("table %q: column %q is given twice; give each column once", table, c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// Table creates t or adds the columns it lacks, prepares the write disposition (replace
// empties the table now, inside the transaction; merge creates the staging table) and returns
// the table's writer.
func (l *Load) Table(ctx context.Context, t *schema.Table) (destination.TableWriter, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if err := l.check(ctx); err != nil {
		return nil, err
	}
	if t == nil || t.Name == "" {
		return nil, errors.New("sqlload: table has no name; pass a named schema.Table")
	}
	if _, dup := l.tables[t.Name]; dup {
		return nil, fmt.Errorf("table %q is already open in this load; write all its rows through the first writer", t.Name)
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %q has no columns; a table needs at least one column", t.Name)
	}
	if err := validateColumns(t.Name, nil, t.Columns); err != nil {
		return nil, err
	}
	if err := l.checkNames(t.Name, t.Columns); err != nil {
		return nil, err
	}
	w := &writer{l: l, name: t.Name, table: t.Clone(), targetDataset: l.s.dataset}
	if parent, ok := l.tables[t.Parent]; ok && t.IsNested() && parent.root.direct {
		// Merging nested rows needs the root's rows staged (see merge).
		if err := parent.root.stageWritten(ctx); err != nil {
			return nil, err
		}
	}
	if err := l.resolveDisposition(w, t); err != nil {
		return nil, err
	}
	if w.root == w && w.disposition == schema.Merge && t.MergeStrategy == schema.SCD2 {
		if err := t.CheckSCD2(); err != nil {
			return nil, err
		}
	}
	if err := l.ensureTable(ctx, l.s.dataset, t.Name, w.table.Columns); err != nil {
		return nil, err
	}
	switch {
	case w.staged:
		// A merge into an empty table is a plain insert of the written rows, as long as no
		// key is written twice and no row is a deletion; that is every first load. Then the
		// rows go straight into the table, saving a copy of every row into staging and back
		// (measured: most of a first merge load's time in DuckDB). Write watches for the rows
		// that need the real merge and moves what it wrote into staging when one comes. Empty
		// is judged inside the transaction: a merge of another pipeline into the same table
		// at the same time could add rows this load does not see, as with staging (whose
		// DELETE sees only committed rows too).
		// Nested tables are always staged: their root is by the time they are opened.
		if err := checkIdentifier(l.s.d, "staging dataset", StagingDataset(l.s.dataset)); err != nil {
			return nil, fmt.Errorf("merge table %q: %w (the staging dataset is the dataset's name + %q)", t.Name, err, "_staging")
		}
		empty := false
		if w.root == w {
			var err error
			if empty, err = l.s.isEmpty(ctx, l.s.dataset, t.Name); err != nil {
				return nil, l.fail(err)
			}
		}
		if empty {
			w.staged, w.direct = false, true
			w.keySeed = maphash.MakeSeed()
			if len(w.table.PrimaryKey()) > 0 || w.table.MergeStrategy == schema.SCD2 && len(w.table.MergeKey()) > 0 {
				w.keys = map[uint64]struct{}{}
			}
			if w.table.MergeStrategy == schema.SCD2 {
				w.validity = l.validityValues(w.table)
			}
			break
		}
		if err := l.stage(ctx, w); err != nil {
			return nil, err
		}
	case w.disposition == schema.Replace:
		// Inside the transaction: readers keep seeing the old rows until Commit.
		if err := l.exec(ctx, fmt.Sprintf("emptying %s.%s for replace", l.s.dataset, t.Name),
			"DELETE FROM "+w.target()); err != nil {
			return nil, err
		}
	}
	if w.dbColumns == nil {
		cols, err := l.s.columns(ctx, l.s.dataset, t.Name)
		if err != nil {
			return nil, l.fail(err)
		}
		w.dbColumns = cols
	}
	l.tables[t.Name] = w
	l.order = append(l.order, w)
	return w, nil
}

// stage creates w's staging table, empty, and points w at it.
func (l *Load) stage(ctx context.Context, w *writer) error {
	staging := StagingDataset(l.s.dataset)
	d := l.s.d
	if err := checkIdentifier(d, "staging dataset", staging); err != nil {
		return l.fail(fmt.Errorf("merge table %q: %w (the staging dataset is the dataset's name + %q)", w.name, err, "_staging"))
	}
	if err := l.ensureSchema(ctx, staging); err != nil {
		return err
	}
	w.targetDataset = staging
	// A staging table left by a crashed run may have other columns: start afresh.
	if err := l.exec(ctx, fmt.Sprintf("dropping old staging table %s.%s", staging, w.name),
		"DROP TABLE IF EXISTS "+w.target()); err != nil {
		return err
	}
	defs := []string{d.Quote(seqColumn) + " " + d.ColumnType(schema.Column{Name: seqColumn, DataType: schema.Bigint})}
	for _, c := range w.table.Columns {
		defs = append(defs, d.Quote(c.Name)+" "+d.ColumnType(c))
	}
	if err := l.exec(ctx, fmt.Sprintf("creating staging table %s.%s", staging, w.name),
		"CREATE TABLE "+w.target()+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return err
	}
	w.dbColumns = map[string]bool{seqColumn: true}
	for _, c := range w.table.Columns {
		w.dbColumns[c.Name] = true
	}
	w.staged = true
	return nil
}

// stageWritten ends direct writing of merge table w (see Load.Table): it moves the rows
// written so far from the table into a new staging table, and later rows go there too. All
// the table's rows are this load's, since it was empty. They take sequence number 0, before
// every later row; among themselves no two share a key, so their order does not matter.
func (w *writer) stageWritten(ctx context.Context) error {
	l := w.l
	dest := w.target()
	if err := l.stage(ctx, w); err != nil {
		return err
	}
	names := make([]string, len(w.table.Columns))
	for i, c := range w.table.Columns {
		names[i] = l.s.d.Quote(c.Name)
	}
	cols := strings.Join(names, ", ")
	if err := l.exec(ctx, fmt.Sprintf("merge %s: moving the rows written so far to staging", w.name),
		"INSERT INTO "+w.target()+" ("+l.s.d.Quote(seqColumn)+", "+cols+") SELECT 0, "+cols+" FROM "+dest); err != nil {
		return err
	}
	if err := l.exec(ctx, fmt.Sprintf("merge %s: emptying the table for the merge", w.name), "DELETE FROM "+dest); err != nil {
		return err
	}
	w.direct, w.keys, w.validity = false, nil, nil
	return nil
}

// needsMerge reports whether a row among rows needs the merge proper: its primary key was
// written before, or it is a deletion (its hard_delete column is true, or non-null for other
// types). It remembers the keys of the rows before that one.
func (w *writer) needsMerge(rows [][]any) bool {
	var pk, del []int
	scd2 := w.table.MergeStrategy == schema.SCD2 && len(w.table.PrimaryKey()) == 0
	for i, c := range w.table.Columns {
		if c.PrimaryKey || scd2 && c.MergeKey {
			pk = append(pk, i)
		}
		if c.HardDelete {
			del = append(del, i)
		}
	}
	var h maphash.Hash
	h.SetSeed(w.keySeed)
	for _, r := range rows {
		for _, i := range del {
			if b, ok := r[i].(bool); ok && !b || r[i] == nil {
				continue
			}
			return true
		}
		if len(pk) == 0 {
			continue
		}
		h.Reset()
		for _, i := range pk {
			hashValue(&h, r[i])
		}
		k := h.Sum64()
		if _, dup := w.keys[k]; dup {
			return true
		}
		w.keys[k] = struct{}{}
	}
	return false
}

// hashValue writes v, tagged with its kind so that different values hash apart.
func hashValue(h *maphash.Hash, v any) {
	switch x := v.(type) {
	case nil:
		h.WriteByte(0)
	case string:
		h.WriteByte(1)
		h.WriteString(x)
		h.WriteByte(0xff) // ends the string, so ("ab","c") and ("a","bc") differ
	case int64:
		h.WriteByte(2)
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(x))
		h.Write(b[:])
	default:
		h.WriteByte(3)
		fmt.Fprintf(h, "%T\x00%v\xff", v, v)
	}
}

// resolveDisposition finds the effective write disposition of w and whether it is staged.
func (l *Load) resolveDisposition(w *writer, t *schema.Table) error {
	if !t.IsNested() {
		w.root = w
		w.disposition = t.WriteDisposition
		switch w.disposition {
		case "", schema.Skip:
			w.disposition = schema.Append
		case schema.Merge:
			if len(t.PrimaryKey()) == 0 && len(t.MergeKey()) == 0 {
				w.disposition = schema.Append // dlt's fallback: nothing to merge on
			}
		}
		if !w.disposition.Valid() {
			return fmt.Errorf("table %q has write disposition %q; use append, replace or merge", t.Name, t.WriteDisposition)
		}
		w.staged = w.disposition == schema.Merge
		return nil
	}
	parent, ok := l.tables[t.Parent]
	if !ok {
		return fmt.Errorf("nested table %q: its parent table %q is not open in this load; open the parent (root first) before its nested tables", t.Name, t.Parent)
	}
	w.root = parent.root
	w.disposition = w.root.disposition
	w.staged = w.root.staged
	if w.staged {
		if rootKeyColumn(w.table) == "" {
			return fmt.Errorf("nested table %q of merge table %q has no %s column; add schema.RootIDColumn() so merge can replace a root row's nested rows",
				t.Name, w.root.name, schema.ColumnRootID)
		}
		if rowKeyColumn(w.root.table) == "" {
			return fmt.Errorf("merge table %q has no %s column; its nested table %q can only be merged through it; add schema.IDColumn()",
				w.root.name, schema.ColumnID, t.Name)
		}
	}
	return nil
}

func hintedOrNamed(t *schema.Table, has func(*schema.Column) bool, name string) string {
	for i := range t.Columns {
		if has(&t.Columns[i]) {
			return t.Columns[i].Name
		}
	}
	if t.Column(name) != nil {
		return name
	}
	return ""
}

func rootKeyColumn(t *schema.Table) string {
	return hintedOrNamed(t, func(c *schema.Column) bool { return c.RootKey }, schema.ColumnRootID)
}

func rowKeyColumn(t *schema.Table) string {
	return hintedOrNamed(t, func(c *schema.Column) bool { return c.RowKey }, schema.ColumnID)
}

// ensureTable creates dataset.name with cols, or adds the columns it lacks. Columns added to
// an existing table are nullable whatever their hint: its old rows have no value for them.
func (l *Load) ensureTable(ctx context.Context, dataset, name string, cols []schema.Column) error {
	d := l.s.d
	have, err := l.s.columns(ctx, dataset, name)
	if err != nil {
		return l.fail(err)
	}
	if missing(have, cols) && l.mayLockDDL() {
		// Look again under the lock: another load may have created what is missing.
		if err := l.lockDDL(ctx); err != nil {
			return err
		}
		if have, err = l.s.columns(ctx, dataset, name); err != nil {
			return l.fail(err)
		}
	}
	qname := d.Quote(dataset) + "." + d.Quote(name)
	if len(have) == 0 {
		defs := make([]string, len(cols))
		for i, c := range cols {
			defs[i] = d.Quote(c.Name) + " " + d.ColumnType(c)
			if !c.Nullable {
				defs[i] += " NOT NULL"
			}
		}
		return l.exec(ctx, fmt.Sprintf("creating table %s.%s", dataset, name),
			"CREATE TABLE IF NOT EXISTS "+qname+" ("+strings.Join(defs, ", ")+")")
	}
	for _, c := range cols {
		if have[c.Name] {
			continue
		}
		if err := l.exec(ctx, fmt.Sprintf("adding column %q to %s.%s", c.Name, dataset, name),
			"ALTER TABLE "+qname+" ADD COLUMN "+d.Quote(c.Name)+" "+d.ColumnType(c)); err != nil {
			return err
		}
	}
	return nil
}

func missing(have map[string]bool, cols []schema.Column) bool {
	if len(have) == 0 {
		return true
	}
	for _, c := range cols {
		if !have[c.Name] {
			return true
		}
	}
	return false
}

// mayLockDDL reports whether the dialect has a DDL lock that the load does not hold yet.
func (l *Load) mayLockDDL() bool {
	_, ok := l.s.d.(DDLLocker)
	return ok && !l.ddlLocked
}

// lockDDL takes the dialect's DDL lock on the dataset for the rest of the load, when the
// dialect has one (see DDLLocker).
func (l *Load) lockDDL(ctx context.Context) error {
	lk, ok := l.s.d.(DDLLocker)
	if !ok || l.ddlLocked {
		return nil
	}
	if err := lk.LockDDL(ctx, l.s.conn.Conn, l.s.dataset); err != nil {
		return l.fail(fmt.Errorf("locking dataset %q for schema changes: %w", l.s.dataset, err))
	}
	l.ddlLocked = true
	return nil
}

// ensureSchema creates the schema name inside the load when it is missing.
func (l *Load) ensureSchema(ctx context.Context, name string) error {
	ok, err := l.s.schemaExists(ctx, name)
	if err != nil {
		return l.fail(err)
	}
	if ok {
		return nil
	}
	if err := l.lockDDL(ctx); err != nil {
		return err
	}
	return l.exec(ctx, fmt.Sprintf("creating staging dataset %q", name), "CREATE SCHEMA IF NOT EXISTS "+l.s.d.Quote(name))
}

// checkNames refuses table and column names the database would cut.
func (l *Load) checkNames(table string, cols []schema.Column) error {
	if err := checkIdentifier(l.s.d, "table", table); err != nil {
		return err
	}
	for _, c := range cols {
		if err := checkIdentifier(l.s.d, fmt.Sprintf("table %q: column", table), c.Name); err != nil {
			return err
		}
	}
	return nil
}

// Write bulk-loads rows; each call is complete when it returns, so calls for different
// tables of the load may interleave freely.
func (w *writer) Write(ctx context.Context, rows [][]any) error {
	l := w.l
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if err := w.usable(ctx); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	width := len(w.table.Columns)
	for i, r := range rows {
		if len(r) != width {
			return l.fail(fmt.Errorf("table %q: row %d has %d values but the table has %d columns (%s); give one value per column, in order",
				w.name, i, len(r), width, strings.Join(w.table.ColumnNames(), ", ")))
		}
	}
	if w.direct && w.needsMerge(rows) {
		if err := w.stageWritten(ctx); err != nil {
			return err
		}
	}
	if w.direct && w.validity != nil {
		for _, r := range rows {
			r[w.validity.from], r[w.validity.to] = w.validity.boundary, w.validity.active
		}
	}
	cols := w.table.Columns
	if w.staged {
		cols = append([]schema.Column{{Name: seqColumn, DataType: schema.Bigint}}, cols...)
		staged := make([][]any, len(rows))
		flat := make([]any, len(rows)*(width+1))
		for i, r := range rows {
			row := flat[i*(width+1) : (i+1)*(width+1) : (i+1)*(width+1)]
			w.seq++
			row[0] = w.seq
			copy(row[1:], r)
			staged[i] = row
		}
		rows = staged
	}
	if err := l.s.d.Append(ctx, l.s.conn.Conn, w.targetDataset, w.name, cols, rows); err != nil {
		return l.fail(fmt.Errorf("writing %d rows to %s.%s: %w", len(rows), w.targetDataset, w.name, err))
	}
	return nil
}

func (w *writer) usable(ctx context.Context) error {
	if err := w.l.check(ctx); err != nil {
		return err
	}
	if w.closed {
		return fmt.Errorf("table %q: writer is closed; each table is opened once per load", w.name)
	}
	return nil
}

// AddColumns adds columns to the table (and its staging table) inside the transaction.
func (w *writer) AddColumns(ctx context.Context, cols []schema.Column) error {
	l := w.l
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if err := w.usable(ctx); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, n := range w.table.ColumnNames() {
		have[n] = true
	}
	if err := validateColumns(w.name, have, cols); err != nil {
		return err
	}
	if err := l.checkNames(w.name, cols); err != nil {
		return err
	}
	if w.staged {
		if err := l.ensureTable(ctx, l.s.dataset, w.name, cols); err != nil {
			return err
		}
	}
	d := l.s.d
	if !w.staged && missing(w.dbColumns, cols) && l.mayLockDDL() {
		// Look again under the lock: another load may have added them meanwhile.
		if err := l.lockDDL(ctx); err != nil {
			return err
		}
		have, err := l.s.columns(ctx, l.s.dataset, w.name)
		if err != nil {
			return l.fail(err)
		}
		w.dbColumns = have
	}
	for _, c := range cols {
		if w.dbColumns[c.Name] {
			continue
		}
		if err := l.exec(ctx, fmt.Sprintf("adding column %q to %s.%s", c.Name, w.targetDataset, w.name),
			"ALTER TABLE "+w.target()+" ADD COLUMN "+d.Quote(c.Name)+" "+d.ColumnType(c)); err != nil {
			return err
		}
		w.dbColumns[c.Name] = true
	}
	w.table.Columns = append(w.table.Columns, cols...)
	return nil
}

// Close ends writing. Append and replace are complete already; a merge table's merge runs at
// Commit, once the nested tables of its root are written too.
func (w *writer) Close(ctx context.Context) error {
	w.l.s.mu.Lock()
	defer w.l.s.mu.Unlock()
	if w.closed {
		return nil
	}
	if err := w.l.check(ctx); err != nil {
		return err
	}
	w.closed = true
	return nil
}

// Package load is the single writer of a run: it writes the rows the extractors produce into
// the destination, in loads (chunks) that each commit as a complete dlt load: the rows, the
// schema version when it changed, the pipeline state as far as the rows go, and the _dlt_loads
// row, in one transaction. It owns the load id, the commit policy and the pipeline state during
// the run.
package load

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

// Schema is the run's schema as a commit needs it. The normalizer owns and evolves it; a commit
// takes a consistent snapshot.
type Schema interface {
	// Version bumps the schema's version when it changed since the last call and returns it;
	// Body is its JSON when it changed or when stored is false.
	Version(stored bool) (Version, error)
	// Table returns a copy of one of the schema's tables (the system tables a commit writes).
	Table(name string) *schema.Table
}

// Version identifies a schema version as _dlt_version stores it.
type Version struct {
	Version, EngineVersion int64
	Name, Hash             string
	Body                   []byte // nil: unchanged and already stored
}

// Config is what a Loader needs.
type Config struct {
	Pipeline, Dataset, Source string
	// DestinationName is recorded in the state.
	DestinationName string
	// Dir is the pipeline's local working directory, where the state is saved after each commit.
	Dir     string
	Session destination.Session
	// State is the pipeline state the run started from; the Loader owns it from now on.
	State  *state.Pipeline
	Schema Schema
	// SchemaStored: the destination already holds the schema's current version.
	SchemaStored bool
	// CommitEvery is about how many data rows a chunk holds; 0: one load for the whole run.
	CommitEvery int
	Started     time.Time
	Now         func() time.Time
	Logger      *slog.Logger
	// Note records something the user should know (in the load info).
	Note func(string)
	// Start, when set, is called with the run's first load before anything is written to it
	// (a refresh drops tables there); an error rolls the load back.
	Start func(ctx context.Context, l destination.Load) error
	// Committed is called after each commit with the Bulk jobs whose rows are now all committed,
	// to delete them (best effort).
	Committed func(ctx context.Context, bulkJobs []string)
}

// Loader writes the operations of a run into its loads. Consume runs in one goroutine; Commit is
// called from it, or after it returned.
type Loader struct {
	cfg     Config
	ctx     context.Context // the run's: each chunk's load lives as long as the run
	load    destination.Load
	loadID  string
	loadIDs []string // committed
	// canFlag, canPrune: what the destination's loads can do.
	canFlag, canPrune bool
	schemaStored      bool
	schemaVersion     int64
	schemaHash        string
	stateVersion      int64
	versioned         bool

	writers map[string]*tableWriter
	order   []string
	// tables holds each table's latest definition, to reopen it in the next chunk's load.
	tables map[string]*schema.Table
	// chunkedReplace: replace tables written in chunks (merged by key, pruned at the end).
	chunkedReplace map[string]bool
	tracks         map[string]*resTrack
	totals         map[string]*tableTotal
	totalOrder     []string
	since          int64 // data rows written since the last commit
}

// New begins the run's first load. ctx is the run's: loads live as long as it.
func New(ctx context.Context, cfg Config) (*Loader, error) {
	load, err := cfg.Session.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting the load: %w", err)
	}
	if cfg.Start != nil {
		if err := cfg.Start(ctx, load); err != nil {
			load.Rollback()
			return nil, err
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Note == nil {
		cfg.Note = func(string) {}
	}
	l := &Loader{cfg: cfg, ctx: ctx, load: load, schemaStored: cfg.SchemaStored,
		writers: map[string]*tableWriter{}, tables: map[string]*schema.Table{},
		chunkedReplace: map[string]bool{}, tracks: map[string]*resTrack{}, totals: map[string]*tableTotal{}}
	_, l.canFlag = load.(destination.Flagger)
	_, l.canPrune = load.(destination.Pruner)
	l.loadID = l.nextLoadID()
	return l, nil
}

// CanFlag and CanPrune say what the destination's loads can do: mark rows deleted
// (destination.Flagger), prune a replace written in chunks (destination.Pruner).
func (l *Loader) CanFlag() bool  { return l.canFlag }
func (l *Loader) CanPrune() bool { return l.canPrune }

// LoadID is the load being written (the last one once the run ended).
func (l *Loader) LoadID() string { return l.loadID }

// LoadIDs are the loads committed so far, in order.
func (l *Loader) LoadIDs() []string { return slices.Clone(l.loadIDs) }

// Versions are the schema version and hash, and the state version, of the last commit (ok:
// a commit got as far as them).
func (l *Loader) Versions() (schemaVersion int64, schemaHash string, stateVersion int64, ok bool) {
	return l.schemaVersion, l.schemaHash, l.stateVersion, l.versioned
}

// Pending reports whether rows were written since the last commit and a commit could cut every
// resource now: what a run stopping itself cleanly commits.
func (l *Loader) Pending() bool { return l.since > 0 && l.cuttable() }

// Rollback abandons the load being written (nothing when it was committed).
func (l *Loader) Rollback() { l.load.Rollback() }

// nextLoadID makes the id of the run's next load, later than the one before even within a
// microsecond.
func (l *Loader) nextLoadID() string {
	t := l.cfg.Now()
	if len(l.loadIDs) == 0 {
		t = l.cfg.Started
	}
	id := newLoadID(t)
	for last := l.loadID; last != "" && !loadIDAfter(id, last); {
		t = t.Add(time.Microsecond)
		id = newLoadID(t)
	}
	return id
}

// loadIDAfter reports whether load id a is later than b ("seconds.micros", seconds of any width).
func loadIDAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// Commit commits what was written as one complete load: it writes the system tables (the
// schema version when it changed, the pipeline state with every resource as far as its
// committed rows go, and last the _dlt_loads row that makes the load count), applies the
// tables' write dispositions and commits. Unless final, it then begins the next load.
func (l *Loader) Commit(ctx context.Context, final bool) error {
	now := l.cfg.Now().UTC()
	v, err := l.cfg.Schema.Version(l.schemaStored)
	if err != nil {
		return fmt.Errorf("encoding the schema: %w", err)
	}
	if v.Body != nil {
		if err := l.writeSystemRow(ctx, schema.VersionTable().Name, map[string]any{
			"version": v.Version, "engine_version": v.EngineVersion, "inserted_at": now,
			"schema_name": v.Name, "version_hash": v.Hash, "schema": string(v.Body),
		}); err != nil {
			return err
		}
	}
	l.schemaVersion, l.schemaHash, l.versioned = v.Version, v.Hash, true

	st := l.cfg.State
	st.EngineVersion = state.EngineVersion
	st.PipelineName, st.DatasetName = l.cfg.Pipeline, l.cfg.Dataset
	st.DefaultSchemaName, st.SchemaNames = v.Name, []string{v.Name}
	st.DestinationName = l.cfg.DestinationName
	st.DestinationType = "dlt.destinations." + st.DestinationName
	l.applyMarks(st)
	hash, err := st.ContentHash()
	var enc string
	if err == nil && (hash != st.VersionHash || st.Version == 0) {
		st.Version++
		st.VersionHash = hash
		enc, err = state.Encode(st)
	}
	if err != nil {
		return fmt.Errorf("encoding the pipeline state: %w", err)
	}
	if enc != "" {
		if err := l.writeSystemRow(ctx, schema.PipelineStateTable().Name, map[string]any{
			"version": st.Version, "engine_version": int64(state.EngineVersion), "pipeline_name": l.cfg.Pipeline,
			"state": enc, "created_at": now, "version_hash": hash,
			schema.ColumnLoadID: l.loadID, schema.ColumnID: new(RowIDs).Next(),
		}); err != nil {
			return err
		}
	}
	l.stateVersion = st.Version
	if err := l.writeSystemRow(ctx, schema.LoadsTable().Name, map[string]any{
		"load_id": l.loadID, "schema_name": v.Name, "status": int64(0), "inserted_at": now,
		"schema_version_hash": v.Hash,
	}); err != nil {
		return err
	}
	if err := l.closeAll(ctx); err != nil {
		return err
	}
	if err := l.load.Commit(ctx); err != nil {
		return fmt.Errorf("committing the load: %w", err)
	}
	l.schemaStored = true
	l.loadIDs = append(l.loadIDs, l.loadID)
	if jobs := l.committed(l.loadID); len(jobs) > 0 && l.cfg.Committed != nil {
		l.cfg.Committed(ctx, jobs)
	}
	if err := state.WriteLocal(l.cfg.Dir, st); err != nil && final {
		// The destination holds the state too, so the next run restores it from there.
		l.cfg.Note(fmt.Sprintf("the data is loaded, but the local state could not be saved (%v); the next run restores it from the destination", err))
	}
	if final {
		return nil
	}
	// The load lives as long as the run, not as long as extraction (whose context ends first).
	load, err := l.cfg.Session.Begin(l.ctx)
	if err != nil {
		return fmt.Errorf("starting the next chunk's load: %w", err)
	}
	l.reset(load)
	l.loadID = l.nextLoadID()
	l.cfg.Logger.Info("committed a chunk", "pipeline", l.cfg.Pipeline, "load_id", l.loadIDs[len(l.loadIDs)-1], "chunks", len(l.loadIDs))
	return nil
}

// writeSystemRow writes one row into a system table of the schema.
func (l *Loader) writeSystemRow(ctx context.Context, table string, values map[string]any) error {
	t := l.cfg.Schema.Table(table)
	if t == nil {
		return fmt.Errorf("the schema has no system table %s", table)
	}
	row := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		row[i] = values[c.Name]
	}
	return l.write(ctx, t, [][]any{row})
}

// Op is one batch of rows for one table. table is a snapshot of the table's definition,
// set on the first batch and whenever the table gained columns; rows hold values for its
// columns as of the latest snapshot. An op with no name carries only a mark.
type Op struct {
	Name string
	Def  *schema.Table
	Rows [][]any
	Flag *Flag // set is_deleted on existing rows (see destination.Flagger)
	Mark *Mark
}

// Flag is a destination.Flagger call for the op's table.
type Flag struct {
	Key, Column string
	Keys        []string
}

// Mark says where a resource stands once the rows sent with it (and before it) are written:
// what a commit at that point records in the pipeline state.
type Mark struct {
	Resource string
	Cursor   string // the cursor path of an incremental resource
	Begin    bool   // the resource's first op
	// Safe: a commit now, and a later run resuming from this mark, neither loses nor
	// duplicates a record. A commit waits while a resource's latest mark is not safe.
	Safe bool
	// Replace: the resource replaces its table in a pass committed in chunks: rows merge by
	// primary key, and at the end rows the pass's loads did not write are pruned.
	Replace bool
	Loads   []string // (begin) loads an earlier run committed for this replace pass
	// ResetLoads: the replace pass starts over; the loads an earlier run committed are no part of it.
	ResetLoads bool
	Inc        *state.Incremental // the cursor state to record; nil: the recorded one stands
	Resume     *state.Resume      // where a later run picks up; nil: nothing to resume
	Done       bool               // the resource is read and written in full
	// FullRead (with done): the pass read the resource in full (LastFullRead); passStarted
	// is when it began (RFC 3339; an earlier run's time when it went on from that run).
	FullRead    bool
	PassStarted string
	// BulkJob (with done): the Bulk job the resource was read from, deleted once committed.
	BulkJob string
	// FullRows (with done): the records a full read of the resource returned (FullReadRows);
	// nil for a ranged or resumed read.
	FullRows *int64
}

// resTrack is the loader's view of one resource of the run.
type resTrack struct {
	mark    *Mark
	table   string
	open    bool
	replace bool
	loads   []string // replace pass: the committed loads holding its rows
}

// Consume writes the operations it receives until ops is closed or a write fails. Every
// CommitEvery rows, at a point where every open resource can be cut, it commits a chunk.
func (l *Loader) Consume(ctx context.Context, ops <-chan Op) error {
	every := int64(l.cfg.CommitEvery)
	for op := range ops {
		if op.Mark != nil && op.Mark.Begin {
			l.begin(op.Name, op.Mark)
		}
		if op.Name == "" { // a mark alone: a resource written in Go ending
			if err := l.setMark(ctx, op.Mark); err != nil {
				return err
			}
			continue
		}
		if op.Def != nil {
			l.tables[op.Name] = op.Def
		}
		tw, err := l.open(ctx, op.Name)
		if err != nil {
			return err
		}
		if op.Flag != nil {
			f, ok := l.load.(destination.Flagger)
			if !ok {
				return fmt.Errorf("the destination cannot mark rows of %s as deleted", op.Name)
			}
			if err := f.Flag(ctx, op.Name, op.Flag.Key, op.Flag.Column, op.Flag.Keys); err != nil {
				return fmt.Errorf("marking deleted rows of %s: %w", op.Name, err)
			}
		}
		if len(op.Rows) > 0 {
			if err := l.writeRows(ctx, tw, op.Name, op.Rows); err != nil {
				return err
			}
			if !tw.system {
				l.since += int64(len(op.Rows))
			}
		}
		if op.Mark != nil {
			if err := l.setMark(ctx, op.Mark); err != nil {
				return err
			}
		}
		if every > 0 && l.since >= every && l.cuttable() {
			if err := l.Commit(ctx, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// begin starts tracking a resource.
func (l *Loader) begin(table string, m *Mark) {
	l.tracks[m.Resource] = &resTrack{table: table, open: true, replace: m.Replace, loads: slices.Clone(m.Loads)}
	if m.Replace {
		l.chunkedReplace[table] = true
	}
}

// setMark records a resource's mark; the end of a chunked replace prunes the rows its pass did
// not write.
func (l *Loader) setMark(ctx context.Context, m *Mark) error {
	tr := l.tracks[m.Resource]
	if tr == nil {
		return fmt.Errorf("internal error: a mark of resource %s before its first op", m.Resource)
	}
	tr.mark = m
	if m.ResetLoads {
		tr.loads = nil
	}
	if !m.Done {
		return nil
	}
	tr.open = false
	if table := tr.table; tr.replace {
		p, ok := l.load.(destination.Pruner)
		if !ok {
			return fmt.Errorf("internal error: table %s was replaced in chunks, but the destination cannot prune", table)
		}
		if err := p.Prune(ctx, table, append(slices.Clone(tr.loads), l.loadID)); err != nil {
			return fmt.Errorf("completing the replace of table %s: %w", table, err)
		}
	}
	return nil
}

// cuttable reports whether every open resource can be cut by a commit now.
func (l *Loader) cuttable() bool {
	for _, tr := range l.tracks {
		if tr.open && (tr.mark == nil || !tr.mark.Safe) {
			return false
		}
	}
	return true
}

// applyMarks records in st where each resource stands as of the rows written so far.
func (l *Loader) applyMarks(st *state.Pipeline) {
	src := l.cfg.Source
	for name, tr := range l.tracks {
		m := tr.mark
		if m == nil {
			continue
		}
		rs := st.Resource(src, name)
		if m.Inc != nil {
			st.SetCursor(src, name, m.Cursor, m.Inc)
		}
		switch {
		case m.Done:
			rs.Resume = nil
			if m.FullRows != nil {
				rs.FullReadRows = m.FullRows
			}
			if m.Cursor != "" {
				rs.LastRun = l.cfg.Started.UTC().Format(time.RFC3339)
				if m.FullRead {
					// The values read are as old as the pass: a pass that went on from an
					// earlier run counts from that run.
					rs.LastFullRead = cmp.Or(m.PassStarted, rs.LastRun)
				}
			}
		case m.Resume != nil:
			rp := *m.Resume
			if tr.replace {
				rp.LoadIDs = append(slices.Clone(tr.loads), l.loadID)
			}
			rs.Resume = &rp
		default:
			rs.Resume = nil
		}
	}
}

// committed updates the tracks after load id was committed, and returns the Bulk jobs whose
// rows are all committed now.
func (l *Loader) committed(id string) (jobs []string) {
	for name, tr := range l.tracks {
		switch {
		case !tr.open && tr.mark != nil && tr.mark.Done:
			if tr.mark.BulkJob != "" {
				jobs = append(jobs, tr.mark.BulkJob)
			}
			delete(l.tracks, name)
		case tr.replace:
			tr.loads = append(tr.loads, id)
		}
	}
	l.since = 0
	return jobs
}

type tableWriter struct {
	w       destination.TableWriter
	ncols   int
	loadCol int // the _dlt_load_id column, -1 when none
	system  bool
}

type tableTotal struct {
	rows     int64
	resource string
	system   bool
}

// reset starts the next chunk's load: tables are opened again as their rows come.
func (l *Loader) reset(load destination.Load) {
	l.load = load
	l.writers = map[string]*tableWriter{}
	l.order = nil
}

// write appends rows to table t directly (not through consume); rows hold values for t's
// columns as they are now. t must not change while the load is open.
func (l *Loader) write(ctx context.Context, t *schema.Table, rows [][]any) error {
	l.tables[t.Name] = t
	tw, err := l.open(ctx, t.Name)
	if err != nil {
		return err
	}
	return l.writeRows(ctx, tw, t.Name, rows)
}

// writeRows writes rows, stamping them with the load they are written in.
func (l *Loader) writeRows(ctx context.Context, tw *tableWriter, name string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tw.loadCol >= 0 {
		for _, row := range rows {
			if tw.loadCol < len(row) {
				row[tw.loadCol] = l.loadID
			}
		}
	}
	if err := tw.w.Write(ctx, rows); err != nil {
		return fmt.Errorf("writing to table %s: %w", name, err)
	}
	tot := l.totals[name]
	tot.rows += int64(len(rows))
	return nil
}

// open opens a table's writer in the current load from its latest definition, or grows it to
// the definition's columns.
func (l *Loader) open(ctx context.Context, name string) (*tableWriter, error) {
	t := l.tables[name]
	if t == nil {
		return nil, fmt.Errorf("internal error: rows for table %s before its definition", name)
	}
	tw := l.writers[name]
	if tw == nil {
		def := t
		if l.chunkedReplace[name] {
			def = chunkedReplaceTable(t)
		}
		if t.MergeStrategy == schema.SCD2 {
			// One boundary per load, the load id's time: the "valid to" of the versions this
			// load retires and the "valid from" of the ones it adds.
			def = t.Clone()
			def.Boundary = loadIDTime(l.loadID)
		}
		w, err := l.load.Table(ctx, def)
		if err != nil {
			return nil, fmt.Errorf("preparing table %s: %w", name, err)
		}
		tw = &tableWriter{w: w, ncols: len(t.Columns), loadCol: t.ColumnIndex(schema.ColumnLoadID), system: schema.IsSystemTable(name)}
		l.writers[name] = tw
		l.order = append(l.order, name)
		if l.totals[name] == nil {
			l.totals[name] = &tableTotal{resource: t.Resource, system: tw.system}
			l.totalOrder = append(l.totalOrder, name)
		}
		return tw, nil
	}
	if len(t.Columns) > tw.ncols {
		if err := tw.w.AddColumns(ctx, append([]schema.Column(nil), t.Columns[tw.ncols:]...)); err != nil {
			return nil, fmt.Errorf("adding columns to table %s: %w", name, err)
		}
		tw.ncols = len(t.Columns)
	}
	return tw, nil
}

// chunkedReplaceTable is how a replace table written in chunks is loaded: each chunk merges its
// rows by Id, so what earlier chunks committed stays, and the pass's last chunk prunes the rest.
func chunkedReplaceTable(t *schema.Table) *schema.Table {
	c := t.Clone()
	c.WriteDisposition = schema.Merge
	for _, col := range c.Columns {
		if col.PrimaryKey {
			return c
		}
	}
	if col := c.Column("id"); col != nil {
		col.PrimaryKey, col.Nullable = true, false
	}
	return c
}

// closeAll applies every table's write disposition, in the order the tables were opened
// (data tables first, the system tables last).
func (l *Loader) closeAll(ctx context.Context) error {
	for _, name := range l.order {
		if err := l.writers[name].w.Close(ctx); err != nil {
			return fmt.Errorf("completing table %s: %w", name, err)
		}
	}
	return nil
}

// TableRows is a data table and the rows the run wrote to it.
type TableRows struct {
	Table    string
	Resource string
	Rows     int64
}

// Counts lists the rows written per data table over the run, in the order of the resources
// named (each root table before its nested tables), whatever order parallel extraction opened
// them in.
func (l *Loader) Counts(resources []string) []TableRows {
	rank := map[string]int{}
	for i, r := range resources {
		rank[r] = i
	}
	var out []TableRows
	for _, name := range l.totalOrder {
		if tot := l.totals[name]; !tot.system {
			out = append(out, TableRows{Table: name, Resource: tot.resource, Rows: tot.rows})
		}
	}
	root := func(t TableRows) string { r, _, _ := strings.Cut(t.Table, "__"); return r }
	slices.SortStableFunc(out, func(a, b TableRows) int {
		ra, oka := rank[a.Resource]
		if !oka {
			ra = rank[root(a)]
		}
		rb, okb := rank[b.Resource]
		if !okb {
			rb = rank[root(b)]
		}
		return ra - rb
	})
	return out
}

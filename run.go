package sfdlt

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// run is one pipeline run.
type run struct {
	p         *Pipeline
	src       *Source
	resources []*Resource
	started   time.Time

	info *LoadInfo
	// loadID is the load being written (one per committed chunk). The loader goroutine owns it
	// while extraction runs.
	loadID   string
	sch      *schema.Schema
	state    *PipelineState
	sf       *client.Client
	apiCalls atomic.Int64
	// cursors is the budget of REST query cursors; lostCursors counts the cursors Salesforce
	// released or expired under the run's reads (each read went on after its last record).
	cursors     *cursorBudget
	ranks       map[*Resource]int // each Salesforce resource's rank for query cursors
	lostCursors atomic.Int64
	loader      *loader
	// schemaStored is true when the destination already holds the schema's current version.
	schemaStored bool

	// schMu guards sch: extractors of several resources evolve it at once.
	schMu sync.Mutex
	// ops carries rows from the extractors to the loader goroutine, the only one that writes.
	ops chan loadOp
	// progMu serializes progress callbacks.
	progMu sync.Mutex
	// stateMu guards state: the loader updates it at each commit while extractors read it.
	stateMu sync.Mutex

	sess              destination.Session
	ctx               context.Context // the run's: each chunk's load lives as long as the run
	canFlag, canPrune bool
}

func (r *run) do(ctx context.Context) (info *LoadInfo, err error) {
	p := r.p
	destInfo := p.dest.Info()
	r.info = &LoadInfo{
		PipelineName: p.name, DestinationName: destInfo.Name, DestinationLocation: destInfo.Location,
		DatasetName: p.dataset, StartedAt: r.started, APICalls: -1,
	}
	defer func() {
		r.info.Duration = p.now().Sub(r.started)
		if r.sf != nil {
			r.info.APICalls = int(r.apiCalls.Load())
			if n := r.sf.Throttled(); n > 0 {
				r.note(fmt.Sprintf("Salesforce's concurrent-request limit (too many long-running requests in the org at once) refused %d request(s); the run waited them out and ran fewer requests at once meanwhile", n))
			}
		}
		r.info.LostCursors = int(r.lostCursors.Load())
	}()

	sess, err := p.dest.Open(ctx, p.dataset, p.name)
	if err != nil {
		return r.info, fmt.Errorf("opening dataset %q on %s: %w", p.dataset, destInfo.Name, err)
	}
	defer sess.Close()
	r.sess, r.ctx = sess, ctx

	var from string
	if r.state, from, err = p.restoreState(ctx, sess); err != nil {
		return r.info, err
	}
	if from == "destination" {
		p.logger.Info("pipeline state restored from the destination", "pipeline", p.name, "version", r.state.Version)
	}
	if err := r.loadSchema(ctx, sess, destInfo); err != nil {
		return r.info, err
	}
	for _, res := range r.resources {
		if res.inc != nil {
			res.inc.restore(r.state.incremental(r.src.name, res.name, res.inc.CursorPath))
		}
	}
	if err := r.connect(ctx); err != nil {
		return r.info, err
	}

	load, err := sess.Begin(ctx)
	if err != nil {
		return r.info, fmt.Errorf("starting the load: %w", err)
	}
	r.loader = newLoader(r, load)
	defer func() { r.loader.load.Rollback() }()
	_, r.canFlag = load.(destination.Flagger)
	_, r.canPrune = load.(destination.Pruner)
	r.loadID = r.nextLoadID()
	r.cursors = newCursorBudget(r.src.maxCursors)

	err = r.extractAll(ctx)
	if err == nil {
		err = r.commitChunk(ctx, true)
	}
	if err != nil {
		r.info.LoadID = r.loadID
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// The run was cancelled: whatever failed on the way out, say so first.
			err = fmt.Errorf("%w: %v", cerr, err)
		}
		return r.info, err
	}
	r.info.LoadID, r.info.Loaded = r.loadID, true
	r.info.Tables = r.loader.counts(r.resources)
	return r.info, nil
}

// nextLoadID makes the id of the run's next load, later than the one before even within a
// microsecond.
func (r *run) nextLoadID() string {
	t := r.p.now()
	if len(r.info.LoadIDs) == 0 {
		t = r.started
	}
	id := newLoadID(t)
	for last := r.loadID; last != "" && !loadIDAfter(id, last); {
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

// committedNote says what an error leaves behind: nothing, or the chunks committed before it.
func (r *run) committedNote() string {
	if r.info == nil || len(r.info.LoadIDs) == 0 {
		return "nothing of this run was committed"
	}
	return fmt.Sprintf("the %d chunk(s) this run committed before it stand, and the next run goes on from there", len(r.info.LoadIDs))
}

// extractAll extracts the resources in parallel (at most Parallelism at once) while one loader
// goroutine writes what they produce into the load: fetching, decoding and loading overlap.
// The first failure stops everything.
func (r *run) extractAll(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A few batches in flight keep the loader busy; more would only hold memory.
	r.ops = make(chan loadOp, 8)
	loaded := make(chan error, 1)
	go func() {
		err := r.loader.consume(ctx, r.ops)
		if err != nil {
			cancel(err)
		}
		loaded <- err
	}()

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.p.parallelism)
	var failMu sync.Mutex
	// The likely largest objects start first and rank first for query cursors: a run takes as
	// long as its longest resource, so that one must not wait behind small ones.
	order := slices.Clone(r.resources)
	slices.SortStableFunc(order, func(a, b *Resource) int {
		return cmp.Compare(objectRank(a.object), objectRank(b.object))
	})
	r.ranks = map[*Resource]int{}
	for i, res := range order {
		if res.object != "" {
			r.ranks[res] = i
			r.cursors.expect(i)
		}
	}
	for _, res := range order {
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // the run stopped before this resource began: the failure is reported
			}
			if err := r.extract(gctx, res); err != nil {
				if cause := context.Cause(gctx); cause != nil && !errors.Is(cause, context.Canceled) && errors.Is(err, context.Canceled) {
					return nil // stopped because another part failed; that failure is reported
				}
				failMu.Lock()
				r.info.Failed = append(r.info.Failed, FailedJob{Table: res.name, Err: err.Error()})
				failMu.Unlock()
				return fmt.Errorf("resource %s: %w", res.name, err)
			}
			return nil
		})
	}
	extractErr := g.Wait()
	close(r.ops)
	loadErr := <-loaded
	r.ops = nil
	switch {
	case loadErr != nil:
		if errors.Is(loadErr, destination.ErrRowTooLarge) {
			return fmt.Errorf("%w; for a wide Salesforce object, leave fields out with sfdlt.ExcludeFields(object, fields...) (or formula fields with FormulaFields(false)); %s", loadErr, r.committedNote())
		}
		if errors.Is(loadErr, driver.ErrBadConn) || errors.Is(loadErr, sql.ErrConnDone) {
			return fmt.Errorf("%w: the connection to the destination was lost; %s: run it again once the destination is reachable", loadErr, r.committedNote())
		}
		return fmt.Errorf("%w (%s)", loadErr, r.committedNote())
	case extractErr != nil:
		if r.p.commitEvery > 0 && stopsResumably(extractErr) && r.loader.since > 0 && r.loader.cuttable() && ctx.Err() == nil {
			// The quota guard stopped the run: what was read is committed, so the next run goes
			// on from there instead of reading it again.
			if err := r.commitChunk(ctx, true); err != nil {
				return fmt.Errorf("%w (committing what was read before it also failed: %v)", extractErr, err)
			}
		}
		if len(r.info.LoadIDs) > 0 {
			return fmt.Errorf("%w (%s)", extractErr, r.committedNote())
		}
		return extractErr
	}
	return context.Cause(ctx)
}

// stopsResumably reports whether an extraction error is the run stopping itself cleanly (the
// quota guard, or an org too busy for too long), so the rows read before it are committed as
// they are. Other failures leave the dataset as the last committed chunk left it.
func stopsResumably(err error) bool {
	// The concurrent-request limit reaches the run only when it outlasted the client's wait
	// (client.Config.ConcurrentLimitWait): the org is busy, and the next run goes on.
	return errors.Is(err, ErrAPIUsageLimit) || errors.Is(err, client.ErrConcurrentLimit)
}

// send hands an operation to the loader goroutine.
func (r *run) send(ctx context.Context, op loadOp) error {
	select {
	case r.ops <- op:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// loadSchema reads the stored schema from the destination, or starts a new one.
func (r *run) loadSchema(ctx context.Context, sess destination.Session, info destination.Info) error {
	row, err := sess.Schema(ctx, r.src.name)
	switch {
	case errors.Is(err, destination.ErrNotFound):
		r.sch = schema.New(r.src.name)
	case err != nil:
		return fmt.Errorf("reading the stored schema: %w", err)
	default:
		if r.sch, err = schemaFromRow(row); err != nil {
			return err
		}
		r.schemaStored = true
	}
	if r.sch.Table(schema.PipelineStateTable().Name) == nil {
		if err := r.sch.AddTable(schema.PipelineStateTable()); err != nil {
			return err
		}
	}
	r.sch.Naming = schema.Naming{MaxLength: info.MaxIdentifierLength}
	r.info.SchemaVersion = int64(r.sch.Version)
	return nil
}

// connect logs in to Salesforce when a selected resource reads from it.
func (r *run) connect(ctx context.Context) error {
	need := false
	for _, res := range r.resources {
		need = need || res.object != ""
	}
	if !need {
		return nil
	}
	cfg := r.src.cfg
	if u, err := url.Parse(cfg.LoginURL); err == nil && cfg.LoginURL != "" && isLoopbackHost(u.Hostname()) {
		cfg.DisableCompression = true // gzip on loopback only burns CPU (profiled)
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 5 * time.Minute}
	}
	counted := *base
	counted.Transport = &countingTransport{next: base.Transport, n: &r.apiCalls}
	cfg.HTTPClient = &counted
	sf, err := client.New(ctx, cfg)
	if err != nil {
		var le *client.LoginError
		if !errors.As(err, &le) && !errors.Is(err, context.Canceled) && !errors.Is(err, client.ErrUnreachable) {
			// Not an answer from Salesforce: the host could not be reached.
			return fmt.Errorf("logging in to Salesforce: %w; check login_url or domain and the network (nothing was loaded)", err)
		}
		return fmt.Errorf("logging in to Salesforce: %w", err)
	}
	r.sf = sf
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// countingTransport counts the REST API calls (what the org's daily limit counts; logins do not
// count) that a run makes.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/services/data/v") {
		t.n.Add(1)
	}
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(req)
}

// commitChunk commits what the loader has written as one complete load: it writes the system
// tables (the schema version when it changed, the pipeline state with every resource as far as
// its committed rows go, and last the _dlt_loads row that makes the load count), applies the
// tables' write dispositions and commits. Unless final, it then begins the next load.
func (r *run) commitChunk(ctx context.Context, final bool) error {
	now := r.p.now().UTC()
	r.schMu.Lock()
	var body []byte
	var err error
	changed := r.sch.Bump()
	if changed || !r.schemaStored {
		body, err = r.sch.MarshalJSON()
	}
	version, engine, name, vhash := int64(r.sch.Version), int64(r.sch.EngineVersion), r.sch.Name, r.sch.VersionHash
	r.schMu.Unlock()
	if err != nil {
		return fmt.Errorf("encoding the schema: %w", err)
	}
	if body != nil {
		if err := r.writeSystemRow(ctx, schema.VersionTable().Name, map[string]any{
			"version": version, "engine_version": engine, "inserted_at": now,
			"schema_name": name, "version_hash": vhash, "schema": string(body),
		}); err != nil {
			return err
		}
	}
	r.info.SchemaVersion, r.info.SchemaHash = version, vhash

	r.stateMu.Lock()
	st := r.state
	st.EngineVersion = stateEngineVersion
	st.PipelineName, st.DatasetName = r.p.name, r.p.dataset
	st.DefaultSchemaName, st.SchemaNames = name, []string{name}
	st.DestinationName = r.p.dest.Info().Name
	st.DestinationType = "dlt.destinations." + st.DestinationName
	r.loader.applyMarks(st)
	hash, err := st.contentHash()
	var enc string
	if err == nil && (hash != st.VersionHash || st.Version == 0) {
		st.Version++
		st.VersionHash = hash
		enc, err = encodeState(st)
	}
	stVersion := st.Version
	r.stateMu.Unlock()
	if err != nil {
		return fmt.Errorf("encoding the pipeline state: %w", err)
	}
	if enc != "" {
		if err := r.writeSystemRow(ctx, schema.PipelineStateTable().Name, map[string]any{
			"version": stVersion, "engine_version": int64(stateEngineVersion), "pipeline_name": r.p.name,
			"state": enc, "created_at": now, "version_hash": hash,
			schema.ColumnLoadID: r.loadID, schema.ColumnID: new(rowIDs).next(),
		}); err != nil {
			return err
		}
	}
	r.info.StateVersion = stVersion
	if err := r.writeSystemRow(ctx, schema.LoadsTable().Name, map[string]any{
		"load_id": r.loadID, "schema_name": name, "status": int64(0), "inserted_at": now,
		"schema_version_hash": vhash,
	}); err != nil {
		return err
	}
	if err := r.loader.closeAll(ctx); err != nil {
		return err
	}
	if err := r.loader.load.Commit(ctx); err != nil {
		return fmt.Errorf("committing the load: %w", err)
	}
	r.schemaStored = true
	r.info.LoadIDs = append(r.info.LoadIDs, r.loadID)
	r.deleteBulkJobs(ctx, r.loader.committed(r.loadID)...)
	r.stateMu.Lock()
	err = writeLocalState(r.p.Dir(), r.state)
	r.stateMu.Unlock()
	if err != nil && final {
		// The destination holds the state too, so the next run restores it from there.
		r.note(fmt.Sprintf("the data is loaded, but the local state could not be saved (%v); the next run restores it from the destination", err))
	}
	if final {
		return nil
	}
	// The load lives as long as the run, not as long as extraction (whose context ends first).
	load, err := r.sess.Begin(r.ctx)
	if err != nil {
		return fmt.Errorf("starting the next chunk's load: %w", err)
	}
	r.loader.reset(load)
	r.loadID = r.nextLoadID()
	r.p.logger.Info("committed a chunk", "pipeline", r.p.name, "load_id", r.info.LoadIDs[len(r.info.LoadIDs)-1], "chunks", len(r.info.LoadIDs))
	return nil
}

// writeSystemRow writes one row into a system table of the schema.
func (r *run) writeSystemRow(ctx context.Context, table string, values map[string]any) error {
	t := r.sch.Table(table)
	if t == nil {
		return fmt.Errorf("the schema has no system table %s", table)
	}
	row := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		row[i] = values[c.Name]
	}
	return r.loader.write(ctx, t.Clone(), [][]any{row})
}

// loadOp is one batch of rows for one table. table is a snapshot of the table's definition,
// set on the first batch and whenever the table gained columns; rows hold values for its
// columns as of the latest snapshot. An op with no name carries only a mark.
type loadOp struct {
	name  string
	table *schema.Table
	rows  [][]any
	flag  *flagOp // set is_deleted on existing rows (see destination.Flagger)
	mark  *resMark
}

// flagOp is a destination.Flagger call for the op's table.
type flagOp struct {
	key, column string
	keys        []string
}

// resMark says where a resource stands once the rows sent with it (and before it) are written:
// what a commit at that point records in the pipeline state.
type resMark struct {
	resource string
	cursor   string // the cursor path of an incremental resource
	begin    bool   // the resource's first op
	// safe: a commit now, and a later run resuming from this mark, neither loses nor
	// duplicates a record. A commit waits while a resource's latest mark is not safe.
	safe bool
	// replace: the resource replaces its table in a pass committed in chunks: rows merge by
	// primary key, and at the end rows the pass's loads did not write are pruned.
	replace bool
	loads   []string // (begin) loads an earlier run committed for this replace pass
	// resetLoads: the replace pass starts over; the loads an earlier run committed are no part of it.
	resetLoads bool
	inc        *IncrementalState // the cursor state to record; nil: the recorded one stands
	resume     *ResumePoint      // where a later run picks up; nil: nothing to resume
	done       bool              // the resource is read and written in full
	// fullRead (with done): the pass read the resource in full (LastFullRead); passStarted
	// is when it began (RFC 3339; an earlier run's time when it went on from that run).
	fullRead    bool
	passStarted string
	// bulkJob (with done): the Bulk job the resource was read from, deleted once committed.
	bulkJob string
}

// resTrack is the loader's view of one resource of the run.
type resTrack struct {
	mark    *resMark
	table   string
	open    bool
	replace bool
	loads   []string // replace pass: the committed loads holding its rows
}

// consume writes the operations it receives until ops is closed or a write fails. Every
// CommitEvery rows, at a point where every open resource can be cut, it commits a chunk.
func (l *loader) consume(ctx context.Context, ops <-chan loadOp) error {
	every := int64(l.r.p.commitEvery)
	for op := range ops {
		if op.mark != nil && op.mark.begin {
			l.begin(op.name, op.mark)
		}
		if op.name == "" { // a mark alone: a resource written in Go ending
			if err := l.setMark(ctx, op.mark); err != nil {
				return err
			}
			continue
		}
		if op.table != nil {
			l.tables[op.name] = op.table
		}
		tw, err := l.open(ctx, op.name)
		if err != nil {
			return err
		}
		if op.flag != nil {
			f, ok := l.load.(destination.Flagger)
			if !ok {
				return fmt.Errorf("the destination cannot mark rows of %s as deleted", op.name)
			}
			if err := f.Flag(ctx, op.name, op.flag.key, op.flag.column, op.flag.keys); err != nil {
				return fmt.Errorf("marking deleted rows of %s: %w", op.name, err)
			}
		}
		if len(op.rows) > 0 {
			if err := l.writeRows(ctx, tw, op.name, op.rows); err != nil {
				return err
			}
			if !tw.system {
				l.since += int64(len(op.rows))
			}
		}
		if op.mark != nil {
			if err := l.setMark(ctx, op.mark); err != nil {
				return err
			}
		}
		if every > 0 && l.since >= every && l.cuttable() {
			if err := l.r.commitChunk(ctx, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// begin starts tracking a resource.
func (l *loader) begin(table string, m *resMark) {
	l.tracks[m.resource] = &resTrack{table: table, open: true, replace: m.replace, loads: slices.Clone(m.loads)}
	if m.replace {
		l.chunkedReplace[table] = true
	}
}

// setMark records a resource's mark; the end of a chunked replace prunes the rows its pass did
// not write.
func (l *loader) setMark(ctx context.Context, m *resMark) error {
	tr := l.tracks[m.resource]
	if tr == nil {
		return fmt.Errorf("internal error: a mark of resource %s before its first op", m.resource)
	}
	tr.mark = m
	if m.resetLoads {
		tr.loads = nil
	}
	if !m.done {
		return nil
	}
	tr.open = false
	if table := tr.table; tr.replace {
		p, ok := l.load.(destination.Pruner)
		if !ok {
			return fmt.Errorf("internal error: table %s was replaced in chunks, but the destination cannot prune", table)
		}
		if err := p.Prune(ctx, table, append(slices.Clone(tr.loads), l.r.loadID)); err != nil {
			return fmt.Errorf("completing the replace of table %s: %w", table, err)
		}
	}
	return nil
}

// cuttable reports whether every open resource can be cut by a commit now.
func (l *loader) cuttable() bool {
	for _, tr := range l.tracks {
		if tr.open && (tr.mark == nil || !tr.mark.safe) {
			return false
		}
	}
	return true
}

// applyMarks records in st where each resource stands as of the rows written so far.
func (l *loader) applyMarks(st *PipelineState) {
	src := l.r.src.name
	for name, tr := range l.tracks {
		m := tr.mark
		if m == nil {
			continue
		}
		rs := st.resource(src, name)
		if m.inc != nil {
			st.setIncremental(src, name, m.cursor, m.inc)
		}
		switch {
		case m.done:
			rs.Resume = nil
			if m.cursor != "" {
				rs.LastRun = l.r.started.UTC().Format(time.RFC3339)
				if m.fullRead {
					// The values read are as old as the pass: a pass that went on from an
					// earlier run counts from that run.
					rs.LastFullRead = cmp.Or(m.passStarted, rs.LastRun)
				}
			}
		case m.resume != nil:
			rp := *m.resume
			if tr.replace {
				rp.LoadIDs = append(slices.Clone(tr.loads), l.r.loadID)
			}
			rs.Resume = &rp
		default:
			rs.Resume = nil
		}
	}
}

// committed updates the tracks after load id was committed, and returns the Bulk jobs whose
// rows are all committed now.
func (l *loader) committed(id string) (jobs []string) {
	for name, tr := range l.tracks {
		switch {
		case !tr.open && tr.mark != nil && tr.mark.done:
			if tr.mark.bulkJob != "" {
				jobs = append(jobs, tr.mark.bulkJob)
			}
			delete(l.tracks, name)
		case tr.replace:
			tr.loads = append(tr.loads, id)
		}
	}
	l.since = 0
	return jobs
}

// deleteBulkJobs deletes Bulk jobs whose rows are committed (best effort: Salesforce deletes
// them itself after 7 days).
func (r *run) deleteBulkJobs(ctx context.Context, ids ...string) {
	if r.sf == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, id := range ids {
		if err := r.sf.DeleteBulkJob(ctx, id); err != nil {
			r.p.logger.Warn("could not delete a Bulk job whose rows are loaded; Salesforce deletes it after 7 days", "job", id, "error", err)
		}
	}
}

// loader writes rows into the load's tables, opening each table's writer on first use and
// adding columns when a table grew since. Across chunks it keeps each table's latest
// definition and the rows written over the whole run.
type loader struct {
	r       *run
	load    destination.Load
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

func newLoader(r *run, load destination.Load) *loader {
	return &loader{r: r, load: load, writers: map[string]*tableWriter{}, tables: map[string]*schema.Table{},
		chunkedReplace: map[string]bool{}, tracks: map[string]*resTrack{}, totals: map[string]*tableTotal{}}
}

// reset starts the next chunk's load: tables are opened again as their rows come.
func (l *loader) reset(load destination.Load) {
	l.load = load
	l.writers = map[string]*tableWriter{}
	l.order = nil
}

// write appends rows to table t directly (not through consume); rows hold values for t's
// columns as they are now. t must not change while the load is open.
func (l *loader) write(ctx context.Context, t *schema.Table, rows [][]any) error {
	l.tables[t.Name] = t
	tw, err := l.open(ctx, t.Name)
	if err != nil {
		return err
	}
	return l.writeRows(ctx, tw, t.Name, rows)
}

// writeRows writes rows, stamping them with the load they are written in.
func (l *loader) writeRows(ctx context.Context, tw *tableWriter, name string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tw.loadCol >= 0 {
		for _, row := range rows {
			if tw.loadCol < len(row) {
				row[tw.loadCol] = l.r.loadID
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
func (l *loader) open(ctx context.Context, name string) (*tableWriter, error) {
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
		w, err := l.load.Table(ctx, def)
		if err != nil {
			return nil, fmt.Errorf("preparing table %s: %w", name, err)
		}
		tw = &tableWriter{w: w, ncols: len(t.Columns), loadCol: columnIndex(t, schema.ColumnLoadID), system: schema.IsSystemTable(name)}
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
func (l *loader) closeAll(ctx context.Context) error {
	for _, name := range l.order {
		if err := l.writers[name].w.Close(ctx); err != nil {
			return fmt.Errorf("completing table %s: %w", name, err)
		}
	}
	return nil
}

// counts lists the rows written per data table over the run, in the order of resources (each
// root table before its nested tables), whatever order parallel extraction opened them in.
func (l *loader) counts(resources []*Resource) []TableRows {
	rank := map[string]int{}
	for i, r := range resources {
		rank[r.name] = i
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

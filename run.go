package sfdlt

import (
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

	info     *LoadInfo
	loadID   string
	sch      *schema.Schema
	state    *PipelineState
	sf       *client.Client
	apiCalls atomic.Int64
	loader   *loader
	// schemaStored is true when the destination already holds the schema's current version.
	schemaStored bool

	// schMu guards sch: extractors of several resources evolve it at once.
	schMu sync.Mutex
	// ops carries rows from the extractors to the loader goroutine, the only one that writes.
	ops chan loadOp
	// progMu serializes progress callbacks.
	progMu sync.Mutex
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
		}
	}()

	sess, err := p.dest.Open(ctx, p.dataset, p.name)
	if err != nil {
		return r.info, fmt.Errorf("opening dataset %q on %s: %w", p.dataset, destInfo.Name, err)
	}
	defer sess.Close()

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

	r.loadID = newLoadID(r.started)
	load, err := sess.Begin(ctx)
	if err != nil {
		return r.info, fmt.Errorf("starting the load: %w", err)
	}
	defer load.Rollback()
	r.loader = newLoader(load)

	if err := r.extractAll(ctx); err != nil {
		r.info.LoadID = r.loadID
		return r.info, err
	}
	if err := r.finish(ctx); err != nil {
		r.info.LoadID = r.loadID
		return r.info, err
	}
	if err := r.loader.closeAll(ctx); err != nil {
		r.info.LoadID = r.loadID
		return r.info, err
	}
	if err := load.Commit(ctx); err != nil {
		r.info.LoadID = r.loadID
		return r.info, fmt.Errorf("committing the load: %w", err)
	}
	r.info.LoadID, r.info.Loaded = r.loadID, true
	r.info.Tables = r.loader.counts(r.resources)
	if err := writeLocalState(p.Dir(), r.state); err != nil {
		// The destination holds the state too, so the next run restores it from there.
		r.info.Notes = append(r.info.Notes, fmt.Sprintf("the data is loaded, but the local state could not be saved (%v); the next run restores it from the destination", err))
	}
	return r.info, nil
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
	for _, res := range r.resources {
		g.Go(func() error {
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
		if errors.Is(loadErr, driver.ErrBadConn) || errors.Is(loadErr, sql.ErrConnDone) {
			return fmt.Errorf("%w: the connection to the destination was lost; nothing of this run was committed: run it again once the destination is reachable", loadErr)
		}
		return fmt.Errorf("%w (nothing of this run was committed)", loadErr)
	case extractErr != nil:
		return extractErr
	}
	return context.Cause(ctx)
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
		if !errors.As(err, &le) && !errors.Is(err, context.Canceled) {
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

// finish writes the system tables: the schema version when it changed, the pipeline state when
// it changed, and last the _dlt_loads row that makes the load count.
func (r *run) finish(ctx context.Context) error {
	now := r.p.now().UTC()
	if changed := r.sch.Bump(); changed || !r.schemaStored {
		body, err := r.sch.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encoding the schema: %w", err)
		}
		if err := r.writeSystemRow(ctx, schema.VersionTable().Name, map[string]any{
			"version": int64(r.sch.Version), "engine_version": int64(r.sch.EngineVersion), "inserted_at": now,
			"schema_name": r.sch.Name, "version_hash": r.sch.VersionHash, "schema": string(body),
		}); err != nil {
			return err
		}
	}
	r.info.SchemaVersion, r.info.SchemaHash = int64(r.sch.Version), r.sch.VersionHash

	st := r.state
	st.EngineVersion = stateEngineVersion
	st.PipelineName, st.DatasetName = r.p.name, r.p.dataset
	st.DefaultSchemaName, st.SchemaNames = r.sch.Name, []string{r.sch.Name}
	st.DestinationName = r.p.dest.Info().Name
	st.DestinationType = "dlt.destinations." + st.DestinationName
	for _, res := range r.resources {
		if res.inc != nil {
			st.setIncremental(r.src.name, res.name, res.inc.CursorPath, res.inc.state())
			if res.inc.fullRead || res.inc.LastValue() == nil {
				st.resource(r.src.name, res.name).LastFullRead = r.started.UTC().Format(time.RFC3339)
			}
			st.resource(r.src.name, res.name).LastRun = r.started.UTC().Format(time.RFC3339)
		}
	}
	hash, err := st.contentHash()
	if err != nil {
		return fmt.Errorf("hashing the pipeline state: %w", err)
	}
	if hash != st.VersionHash || st.Version == 0 {
		st.Version++
		st.VersionHash = hash
		enc, err := encodeState(st)
		if err != nil {
			return err
		}
		if err := r.writeSystemRow(ctx, schema.PipelineStateTable().Name, map[string]any{
			"version": st.Version, "engine_version": int64(stateEngineVersion), "pipeline_name": r.p.name,
			"state": enc, "created_at": now, "version_hash": hash,
			schema.ColumnLoadID: r.loadID, schema.ColumnID: new(rowIDs).next(),
		}); err != nil {
			return err
		}
	}
	r.info.StateVersion = st.Version
	return r.writeSystemRow(ctx, schema.LoadsTable().Name, map[string]any{
		"load_id": r.loadID, "schema_name": r.sch.Name, "status": int64(0), "inserted_at": now,
		"schema_version_hash": r.sch.VersionHash,
	})
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
// columns as of the latest snapshot.
type loadOp struct {
	name  string
	table *schema.Table
	rows  [][]any
	flag  *flagOp // set is_deleted on existing rows (see destination.Flagger)
}

// flagOp is a destination.Flagger call for the op's table.
type flagOp struct {
	key, column string
	keys        []string
}

// consume writes the operations it receives until ops is closed or a write fails.
func (l *loader) consume(ctx context.Context, ops <-chan loadOp) error {
	for op := range ops {
		if op.table != nil {
			if _, err := l.open(ctx, op.table); err != nil {
				return err
			}
		}
		if op.flag != nil {
			f, ok := l.load.(destination.Flagger)
			if !ok {
				return fmt.Errorf("the destination cannot mark rows of %s as deleted", op.name)
			}
			if err := f.Flag(ctx, op.name, op.flag.key, op.flag.column, op.flag.keys); err != nil {
				return fmt.Errorf("marking deleted rows of %s: %w", op.name, err)
			}
			continue
		}
		tw := l.writers[op.name]
		if tw == nil {
			return fmt.Errorf("internal error: rows for table %s before its definition", op.name)
		}
		if len(op.rows) == 0 {
			continue
		}
		if err := tw.w.Write(ctx, op.rows); err != nil {
			return fmt.Errorf("writing to table %s: %w", op.name, err)
		}
		tw.rows += int64(len(op.rows))
	}
	return nil
}

// loader writes rows into the load's tables, opening each table's writer on first use and
// adding columns when a table grew since.
type loader struct {
	load    destination.Load
	writers map[string]*tableWriter
	order   []string
}

type tableWriter struct {
	w        destination.TableWriter
	ncols    int
	rows     int64
	resource string
	system   bool
}

func newLoader(load destination.Load) *loader {
	return &loader{load: load, writers: map[string]*tableWriter{}}
}

// write appends rows to table t directly (not through consume); rows hold values for t's
// columns as they are now. t must not change while the load is open.
func (l *loader) write(ctx context.Context, t *schema.Table, rows [][]any) error {
	tw, err := l.open(ctx, t)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tw.w.Write(ctx, rows); err != nil {
		return fmt.Errorf("writing to table %s: %w", t.Name, err)
	}
	tw.rows += int64(len(rows))
	return nil
}

// open opens t's writer, or grows it to t's current columns.
func (l *loader) open(ctx context.Context, t *schema.Table) (*tableWriter, error) {
	tw := l.writers[t.Name]
	if tw == nil {
		w, err := l.load.Table(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("preparing table %s: %w", t.Name, err)
		}
		tw = &tableWriter{w: w, ncols: len(t.Columns), resource: t.Resource, system: schema.IsSystemTable(t.Name)}
		l.writers[t.Name] = tw
		l.order = append(l.order, t.Name)
		return tw, nil
	}
	if len(t.Columns) > tw.ncols {
		if err := tw.w.AddColumns(ctx, append([]schema.Column(nil), t.Columns[tw.ncols:]...)); err != nil {
			return nil, fmt.Errorf("adding columns to table %s: %w", t.Name, err)
		}
		tw.ncols = len(t.Columns)
	}
	return tw, nil
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

// counts lists the rows written per data table, in the order of resources (each root table
// before its nested tables), whatever order parallel extraction opened them in.
func (l *loader) counts(resources []*Resource) []TableRows {
	rank := map[string]int{}
	for i, r := range resources {
		rank[r.name] = i
	}
	var out []TableRows
	for _, name := range l.order {
		if tw := l.writers[name]; !tw.system {
			out = append(out, TableRows{Table: name, Resource: tw.resource, Rows: tw.rows})
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

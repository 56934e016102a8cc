package engine

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/internal/extract"
	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

// run is one pipeline run: the extractor reads the resources in parallel, their rows go
// through the normalizer's writers on a channel to the loader, the single writer.
type run struct {
	p       *Pipeline
	src     *Source
	x       *extract.Extractor
	started time.Time

	info *Info
	sch  *normalize.Schema
	// raw is the schema sch owns, changed only before extraction begins (by a refresh).
	raw *schema.Schema
	// dropped is what the run's refresh drops in its first load (nil: no refresh).
	dropped *Dropped
	// state is the pipeline state the run started from; the loader owns it once it starts.
	state  *state.Pipeline
	sf     *client.Client
	loader *load.Loader
	// schemaStored is true when the destination already holds the schema's current version.
	schemaStored bool
	// infoMu guards info's notes and failures (extractors add them at once) and serializes
	// progress callbacks.
	infoMu sync.Mutex
}

func (r *run) do(ctx context.Context) (info *Info, err error) {
	p := r.p
	destInfo := p.Dest.Info()
	r.info = &Info{
		PipelineName: p.Name, DestinationName: destInfo.Name, DestinationLocation: destInfo.Location,
		DatasetName: p.Dataset, StartedAt: r.started, APICalls: -1,
	}
	r.step("sync")
	defer func() {
		r.endStep(err)
		r.info.Duration = p.Now().Sub(r.started)
		if r.sf != nil {
			r.saveDescribes()
			r.info.APICalls = r.sf.APICalls()
			if n := r.sf.Throttled(); n > 0 {
				r.note(fmt.Sprintf("Salesforce's concurrent-request limit (too many long-running requests in the org at once) refused %d request(s); the run waited them out and ran fewer requests at once meanwhile", n))
			}
		}
		r.info.LostCursors = r.x.LostCursors()
		for _, sk := range r.x.Skipped() {
			r.info.Skipped = append(r.info.Skipped, SkippedObject(sk))
		}
		if r.loader != nil {
			r.info.LoadID, r.info.LoadIDs = r.loader.LoadID(), r.loader.LoadIDs()
			if sv, sh, stv, ok := r.loader.Versions(); ok {
				r.info.SchemaVersion, r.info.SchemaHash, r.info.StateVersion = sv, sh, stv
			}
		}
	}()

	sess, err := p.Dest.Open(ctx, p.Dataset, p.Name)
	if err != nil {
		return r.info, fmt.Errorf("opening dataset %q on %s: %w", p.Dataset, destInfo.Name, err)
	}
	defer sess.Close()

	restored, err := state.Restore(ctx, sess, p.Dir, p.Name, p.Dataset)
	if err != nil {
		return r.info, err
	}
	r.state = restored.State
	switch {
	case restored.SetAside != "":
		p.Logger.Warn("the local pipeline state is set aside: the dataset is the truth", "pipeline", p.Name, "dataset", p.Dataset,
			"local_version", restored.LocalVersion, "version", r.state.Version, "detail", restored.SetAside)
		r.note(restored.SetAside)
	case restored.From == "destination":
		p.Logger.Info("pipeline state restored from the destination", "pipeline", p.Name, "version", r.state.Version)
	}
	stored, err := r.loadSchema(ctx, sess, destInfo)
	if err != nil {
		return r.info, err
	}
	have, err := datasetTables(ctx, sess, stored, p.Dataset)
	if err != nil {
		return r.info, err
	}
	if r.x.NeedsSalesforce() {
		r.step("login")
	}
	if err := r.connect(ctx); err != nil {
		return r.info, err
	}
	r.step("discover")
	if err := r.x.Discover(ctx, r.sf, r.sch); err != nil {
		return r.info, err
	}
	r.checkTables(stored, have, restored.From == "new")
	if p.Refresh != "" {
		r.step("refresh")
		r.dropped = planDrop(p.Refresh, r.raw, r.state, r.src.Name, r.x.Names())
		r.info.Dropped = r.dropped
	}
	r.x.Restore(r.state)
	r.step("extract")

	r.loader, err = load.New(ctx, load.Config{
		Pipeline: p.Name, Dataset: p.Dataset, Source: r.src.Name, DestinationName: destInfo.Name, Dir: p.Dir,
		Session: sess, State: r.state, Schema: r.sch, SchemaStored: r.schemaStored,
		CommitEvery: p.CommitEvery, Started: r.started, Now: p.Now, Logger: p.Logger, Note: r.note,
		Committed: func(ctx context.Context, jobs []string) { r.x.DeleteBulkJobs(ctx, jobs...) },
		Start: func(ctx context.Context, l destination.Load) error {
			return startDrop(ctx, l, r.dropped, destInfo.Name)
		},
	})
	if err != nil {
		return r.info, err
	}
	defer r.loader.Rollback()

	err = r.extractAll(ctx)
	if err == nil {
		r.step("commit")
		err = r.loader.Commit(ctx, true)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// The run was cancelled: whatever failed on the way out, say so first.
			err = fmt.Errorf("%w: %v", cerr, err)
		}
		return r.info, err
	}
	r.info.Loaded = true
	for _, t := range r.loader.Counts(r.x.Names()) {
		r.info.Tables = append(r.info.Tables, TableRows(t))
	}
	return r.info, nil
}

// step ends the run's current step, if any, and begins the named one.
func (r *run) step(name string) {
	r.endStep(nil)
	r.info.Steps = append(r.info.Steps, Step{Name: name, Started: r.p.Now()})
}

// endStep ends the current step with err, once.
func (r *run) endStep(err error) {
	if n := len(r.info.Steps); n > 0 && r.info.Steps[n-1].Finished.IsZero() {
		s := &r.info.Steps[n-1]
		s.Finished = r.p.Now()
		if err != nil {
			s.Err = err.Error()
		}
	}
}

// committedNote says what an error leaves behind: nothing, or the chunks committed before it.
func (r *run) committedNote() string {
	if r.loader == nil || len(r.loader.LoadIDs()) == 0 {
		return "nothing of this run was committed"
	}
	return fmt.Sprintf("the %d chunk(s) this run committed before it stand, and the next run goes on from there", len(r.loader.LoadIDs()))
}

// extractAll extracts the resources in parallel (at most Parallelism at once) while one loader
// goroutine writes what they produce into the load: fetching, decoding and loading overlap.
// The first failure stops everything.
func (r *run) extractAll(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A few batches in flight keep the loader busy; more would only hold memory.
	ops := make(chan load.Op, 4)
	loaded := make(chan error, 1)
	go func() {
		err := r.loader.Consume(ctx, ops)
		if err != nil {
			cancel(err)
		}
		loaded <- err
	}()

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.p.Parallelism)
	for _, i := range r.x.Start(ops, r.loader.CanFlag(), r.loader.CanPrune()) {
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // the run stopped before this resource began: the failure is reported
			}
			if err := r.x.Extract(gctx, i); err != nil {
				if cause := context.Cause(gctx); cause != nil && !errors.Is(cause, context.Canceled) && errors.Is(err, context.Canceled) {
					return nil // stopped because another part failed; that failure is reported
				}
				r.infoMu.Lock()
				r.info.Failed = append(r.info.Failed, FailedJob{Table: r.x.Name(i), Err: err.Error()})
				r.infoMu.Unlock()
				return fmt.Errorf("resource %s: %w", r.x.Name(i), err)
			}
			return nil
		})
	}
	extractErr := g.Wait()
	close(ops)
	loadErr := <-loaded
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
		if r.p.CommitEvery > 0 && stopsResumably(extractErr) && r.loader.Pending() && ctx.Err() == nil {
			// The quota guard stopped the run: what was read is committed, so the next run goes
			// on from there instead of reading it again.
			if err := r.loader.Commit(ctx, true); err != nil {
				return fmt.Errorf("%w (committing what was read before it also failed: %v)", extractErr, err)
			}
		}
		if len(r.loader.LoadIDs()) > 0 {
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

// storedTable is a root table of the stored schema, as it was stored.
type storedTable struct {
	name, resource string
	append         bool
}

// loadSchema reads the stored schema from the destination, or starts a new one. It returns
// the stored schema's root data tables as they were stored (none when no schema was), before
// the run evolves it.
func (r *run) loadSchema(ctx context.Context, sess destination.Session, info destination.Info) ([]storedTable, error) {
	row, err := sess.Schema(ctx, r.src.Name)
	var sch *schema.Schema
	var stored []storedTable
	switch {
	case errors.Is(err, destination.ErrNotFound):
		sch = schema.New(r.src.Name)
	case err != nil:
		return nil, fmt.Errorf("reading the stored schema: %w", err)
	default:
		if sch, err = schemaFromRow(row); err != nil {
			return nil, err
		}
		r.schemaStored = true
		for _, t := range sch.DataTables() {
			if t.Parent == "" {
				stored = append(stored, storedTable{name: t.Name, resource: cmp.Or(t.Resource, t.Name), append: t.WriteDisposition == schema.Append})
			}
		}
	}
	if sch.Table(schema.PipelineStateTable().Name) == nil {
		if err := sch.AddTable(schema.PipelineStateTable()); err != nil {
			return nil, err
		}
	}
	sch.Naming = schema.Naming{MaxLength: info.MaxIdentifierLength}
	r.info.SchemaVersion = int64(sch.Version)
	r.raw, r.sch = sch, normalize.NewSchema(sch)
	return stored, nil
}

// datasetTables lists the dataset's tables where a schema is stored, to compare with it; nil
// where none is, or where the destination cannot list them (see destination.TableLister).
func datasetTables(ctx context.Context, sess destination.Session, stored []storedTable, dataset string) (map[string]bool, error) {
	lister, ok := sess.(destination.TableLister)
	if !ok || len(stored) == 0 {
		return nil, nil
	}
	names, err := lister.TableNames(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking that the tables of dataset %s are all there: %w", dataset, err)
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	return have, nil
}

// checkTables compares the root tables of the stored schema with the tables the dataset has
// (have), for the run's resources. With the state kept, a resource whose table was dropped by
// hand has its state reset, so that it is loaded in full instead of left empty. With a new
// state every resource is loaded in full: an append table that kept its rows gets them again,
// which the run says.
func (r *run) checkTables(stored []storedTable, have map[string]bool, newState bool) {
	if have == nil {
		return
	}
	names := r.x.Names()
	for _, t := range stored {
		if !slices.Contains(names, t.resource) {
			continue
		}
		switch exists := have[t.name]; {
		case !exists && !newState && r.state.Reset(r.src.Name, t.resource):
			r.p.Logger.Warn("a table was dropped from the dataset: its resource is loaded in full", "resource", t.resource, "table", t.name, "dataset", r.p.Dataset)
			r.note(fmt.Sprintf("table %s is missing from dataset %s, though the pipeline state records resource %s (was it dropped by hand?): loading %s in full",
				t.name, r.p.Dataset, t.resource, t.resource))
		case exists && newState && t.append:
			r.p.Logger.Warn("an append table kept its rows while the state was lost: its records are appended again", "resource", t.resource, "table", t.name, "dataset", r.p.Dataset)
			r.note(fmt.Sprintf("table %s (append) kept its rows, but the destination holds no state of resource %s: this full load appends every record again; drop the table and run again to hold each record once",
				t.name, t.resource))
		}
	}
}

// connect logs in to Salesforce when a selected resource reads from it.
func (r *run) connect(ctx context.Context) error {
	if !r.x.NeedsSalesforce() {
		return nil
	}
	cfg := r.src.Client
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Minute}
	}
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
	// The describes a run before this one saw: with the global describe's 304 (a whole-org
	// load) no object needs describing again. A cache that cannot be read is only slower.
	if b, err := os.ReadFile(filepath.Join(r.p.Dir, describeCacheFile)); err == nil {
		if err := sf.LoadDescribeCache(b); err != nil {
			r.p.Logger.Warn("the describe cache is unreadable; objects are described again", "file", filepath.Join(r.p.Dir, describeCacheFile), "error", err)
		}
	}
	return nil
}

// describeCacheFile is where a pipeline keeps the org's describes between runs, beside its
// state.
const describeCacheFile = "describes.json"

// saveDescribes keeps the describes the run saw for the next run (best effort).
func (r *run) saveDescribes() {
	b, err := r.sf.SaveDescribeCache()
	if err == nil {
		err = state.WriteLocalFile(r.p.Dir, describeCacheFile, b)
	}
	if err != nil {
		r.p.Logger.Warn("could not save the describe cache; the next run describes the objects again", "error", err)
	}
}

// schemaFromRow parses a stored schema.
func schemaFromRow(row *destination.SchemaRow) (*schema.Schema, error) {
	var s schema.Schema
	if err := json.Unmarshal([]byte(row.Schema), &s); err != nil {
		return nil, fmt.Errorf("the destination's stored schema %q (version %d) cannot be read: %w", row.SchemaName, row.Version, err)
	}
	return &s, nil
}

// note records something the user should know in the load info.
func (r *run) note(s string) {
	r.infoMu.Lock()
	defer r.infoMu.Unlock()
	r.info.Notes = append(r.info.Notes, s)
}

// report calls the pipeline's progress function, one call at a time.
func (r *run) report(p Progress) {
	r.infoMu.Lock()
	defer r.infoMu.Unlock()
	r.p.Progress(p)
}

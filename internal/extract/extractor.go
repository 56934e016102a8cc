// Package extract reads a run's resources: Salesforce objects through package client (REST
// pages, SystemModstamp windows, Id keyset walks, Bulk API 2.0, wide objects in parts joined by
// Id, within a budget of query cursors), decoding each page straight into typed column values,
// and resources written in Go. Each resource's rows go to its normalize.Writer, which sends them
// on to the loader with the resource's mark: where a commit may cut the read and how a later run
// goes on from there.
//
// A run of one Salesforce resource (object.go) describes the object, plans its read and picks a
// strategy (rest.go: restPages, modstampWindows when Salesforce times a query out, idKeyset when
// a window is too dense to split by time; bulk.go: bulkRead), with cursor recovery and the
// run's cursor budget (keyed.go), wide objects in parts joined by Id (wide.go), or Bulk API 2.0
// (bulk.go). query.go is the one place SOQL is built; decode.go turns JSON and CSV values into
// typed column values; chunks.go decides how a commit can cut each read; mirror.go handles
// deletions after long gaps and the API-usage guard; gofunc.go runs resources written in Go.
package extract

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/internal/state"
)

// Config is what an Extractor needs of the run.
type Config struct {
	Source *Source
	// Destination says what the destination's tables can hold (MaxColumns).
	Destination destination.Info
	// CommitEvery is the run's chunk size (0: one load per run): reads are ordered so a commit
	// can cut them only when it is set.
	CommitEvery int
	Started     time.Time
	Logger      *slog.Logger
	// Note records something the user should know (in the load info); Progress reports a
	// resource's progress. Both may be called from several goroutines at once.
	Note     func(string)
	Progress func(Progress)
}

// Extractor reads the resources of one run. Extract may be called for several resources at
// once.
type Extractor struct {
	cfg       Config
	src       *Source
	started   time.Time
	resources []*resource
	// prior holds what the reads need of the pipeline state the run started from (resume
	// points, last runs), copied before any read starts: the loader owns the state after that.
	prior map[string]state.Resource

	sf  *client.Client
	sch *normalize.Schema
	ops chan<- load.Op
	// canFlag, canPrune: what the destination's loads can do (see destination.Flagger, Pruner).
	canFlag, canPrune bool
	// cursors is the budget of REST query cursors; ranks each Salesforce resource's rank in it;
	// lostCursors counts the cursors Salesforce released or expired under the run's reads.
	cursors     *cursorBudget
	ranks       map[*resource]int
	lostCursors atomic.Int64
	skipped     skips
}

// New makes the extractor of the resources given.
func New(cfg Config, resources []*Resource) *Extractor {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Note == nil {
		cfg.Note = func(string) {}
	}
	x := &Extractor{cfg: cfg, src: cfg.Source, started: cfg.Started, prior: map[string]state.Resource{}}
	for _, spec := range resources {
		x.resources = append(x.resources, newResource(spec))
	}
	return x
}

// Names lists the resources' names, in the order given.
func (r *Extractor) Names() []string {
	names := make([]string, len(r.resources))
	for i, res := range r.resources {
		names[i] = res.name
	}
	return names
}

// NeedsSalesforce reports whether a resource reads from Salesforce (the run logs in only then).
func (r *Extractor) NeedsSalesforce() bool {
	return r.src.AllObjects || slices.ContainsFunc(r.resources, func(res *resource) bool { return res.object != "" })
}

// Restore takes from the pipeline state what the reads need: each cursor's last value and the
// hashes at it, and each resource's resume point and last runs. Call it after Discover.
func (r *Extractor) Restore(st *state.Pipeline) {
	for _, res := range r.resources {
		if res.inc != nil {
			res.inc.restore(st.Cursor(r.src.Name, res.name, res.inc.CursorPath))
		}
		if src := st.Sources[r.src.Name]; src != nil && src.Resources[res.name] != nil {
			rs := *src.Resources[res.name]
			if rs.Resume != nil {
				rp := *rs.Resume
				rp.LoadIDs = slices.Clone(rp.LoadIDs)
				rs.Resume = &rp
			}
			r.prior[res.name] = rs
		}
	}
}

// Start gives the extractor where rows go and what the destination's loads can do (Discover
// gave it the Salesforce client and the schema). It returns the order to extract the resources in (indices for Extract): the likely largest
// objects first, ranked first for query cursors, since a run takes as long as its longest
// resource and that one must not wait behind small ones.
func (r *Extractor) Start(ops chan<- load.Op, canFlag, canPrune bool) []int {
	r.ops, r.canFlag, r.canPrune = ops, canFlag, canPrune
	r.cursors = newCursorBudget(r.src.MaxCursors)
	order := make([]int, len(r.resources))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(objectRank(r.resources[a].object), objectRank(r.resources[b].object))
	})
	r.ranks = map[*resource]int{}
	for rank, i := range order {
		if res := r.resources[i]; res.object != "" {
			r.ranks[res] = rank
			r.cursors.expect(rank)
		}
	}
	return order
}

// Extract reads resource i (see Start) and writes its rows.
func (r *Extractor) Extract(ctx context.Context, i int) error {
	res := r.resources[i]
	if res.object != "" {
		defer r.cursors.settle(r.ranks[res])
		err := r.extractObject(ctx, res)
		if res.discovered && refusal(err) && ctx.Err() == nil && !res.begun {
			// Salesforce will not read this object as a whole: the whole-org load goes on
			// without it, and says so.
			r.skipped.add(Skip{Object: res.object, Resource: res.name, Reason: refusalReason(err)})
			r.cfg.Logger.Warn("skipped an object Salesforce refuses to read", "object", res.object, "error", err)
			return nil
		}
		return err
	}
	return r.extractFunc(ctx, res)
}

// Name is resource i's name.
func (r *Extractor) Name(i int) string { return r.resources[i].name }

// LostCursors is how many query cursors Salesforce released or expired under the run's reads.
func (r *Extractor) LostCursors() int { return int(r.lostCursors.Load()) }

// note records something the user should know in the load info.
func (r *Extractor) note(s string) { r.cfg.Note(s) }

// report reports a resource's progress.
func (r *Extractor) report(p Progress) {
	if r.cfg.Progress != nil {
		r.cfg.Progress(p)
	}
}

// send hands an operation to the loader.
func (r *Extractor) send(ctx context.Context, op load.Op) error {
	select {
	case r.ops <- op:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// DeleteBulkJobs deletes Bulk jobs the run is done with: read to the end and committed, or of no
// use any more (best effort: Salesforce deletes them itself after 7 days).
func (r *Extractor) DeleteBulkJobs(ctx context.Context, ids ...string) {
	if r.sf == nil {
		return
	}
	for _, err := range r.sf.DeleteBulkJobs(ctx, ids...) {
		r.cfg.Logger.Warn("could not delete a Bulk job the run is done with; Salesforce deletes it after 7 days", "error", err)
	}
}

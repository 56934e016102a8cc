package sfdlt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/internal/engine"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

// Pipeline moves a source's data into a dataset of a destination, as a dlt pipeline does. It
// keeps its state (incremental cursors) locally under <pipelines dir>/<name> and in the
// destination, in the same load as the data.
type Pipeline struct {
	name         string
	dest         destination.Destination
	dataset      string
	pipelinesDir string
	devMode      bool
	progress     func(Progress)
	logger       *slog.Logger
	now          func() time.Time
	parallelism  int
	commitEvery  int
	commitSet    bool
	refresh      RefreshMode
	counts       *loadCounts // Describe's rows per load, kept while no load comes
}

// DefaultParallelism is how many resources a run extracts at once unless Parallelism says
// otherwise: enough for the 15 standard resources to be read side by side, so a run over a
// slow network takes about as long as its longest resource (measured in BENCHMARKS.md), and
// below Salesforce's limit of 25 concurrent long-running requests per org.
const DefaultParallelism = 16

// DefaultCommitEvery is about how many rows a run writes before it commits them as a chunk,
// unless CommitEvery says otherwise: a run that dies loses at most this much work, and the
// destination never holds more than this much uncommitted data (DuckDB keeps it in memory).
const DefaultCommitEvery = 250_000

// Progress reports how far a run has come with one resource.
type Progress struct {
	Resource string
	Table    string
	// Started is when the run began reading the resource; the first report, with no pages
	// yet, is sent then.
	Started time.Time
	// Pages and Rows are counted so far; TotalRows is Salesforce's totalSize or the Bulk
	// job's record count (-1 unknown: a report may tell it later).
	Pages     int
	Rows      int64
	TotalRows int64
	Done      bool
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// NewPipeline makes a pipeline. The name is used for its local state directory and to tell its
// state apart from other pipelines loading into the same dataset.
func NewPipeline(name string, dest destination.Destination, opts ...PipelineOption) (*Pipeline, error) {
	if !namePattern.MatchString(name) || len(name) > 128 {
		return nil, fmt.Errorf("invalid pipeline name %q: use letters, digits, '_', '-' and '.', starting with a letter, digit or '_' (for example salesforce)", name)
	}
	if dest == nil {
		return nil, errors.New("NewPipeline: no destination: pass duckdb.New(path) or postgres.New(dsn)")
	}
	p := &Pipeline{name: name, dest: dest, now: time.Now, counts: &loadCounts{}}
	for _, o := range opts {
		o.applyPipeline(p)
	}
	if p.dataset == "" {
		p.dataset = name + "_dataset"
	}
	if p.parallelism == 0 {
		p.parallelism = DefaultParallelism
	}
	if !p.commitSet {
		p.commitEvery = DefaultCommitEvery
	}
	if p.commitEvery < 0 {
		return nil, fmt.Errorf("CommitEvery(%d): use a number of rows (for example %d), or 0 for one commit per run", p.commitEvery, DefaultCommitEvery)
	}
	if !engine.ValidRefresh(string(p.refresh)) {
		return nil, fmt.Errorf("Refresh(%q): unknown refresh mode; use %s, %s or %s", p.refresh, DropSources, DropResources, DropData)
	}
	if p.parallelism < 1 || p.parallelism > 64 {
		return nil, fmt.Errorf("Parallelism(%d): use 1 to 64 resources at once", p.parallelism)
	}
	if strings.HasPrefix(p.dataset, "_dlt") {
		return nil, fmt.Errorf("invalid dataset name %q: names starting with _dlt are reserved for dlt's system tables; use another name (for example %q)", p.dataset, "salesforce_data")
	}
	if norm := schema.NormalizeIdentifier(p.dataset); norm != p.dataset {
		return nil, fmt.Errorf("invalid dataset name %q: use lower-case letters, digits and underscores, not starting with a digit (for example %q)", p.dataset, norm)
	}
	if p.devMode {
		p.dataset += "_" + p.now().UTC().Format("20060102150405")
	}
	if p.pipelinesDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("finding the pipelines directory: no home directory (%v): set one with PipelinesDir", err)
		}
		p.pipelinesDir = filepath.Join(home, ".dlt", "pipelines")
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Name is the pipeline's name.
func (p *Pipeline) Name() string { return p.name }

// DatasetName is the dataset the pipeline loads into (in dev mode, the last run's).
func (p *Pipeline) DatasetName() string { return p.dataset }

// Dir is the pipeline's local working directory: <pipelines dir>/<name>.
func (p *Pipeline) Dir() string { return filepath.Join(p.pipelinesDir, p.name) }

// Destination is the pipeline's destination.
func (p *Pipeline) Destination() destination.Destination { return p.dest }

// CommitEvery is about how many rows a run writes before it commits them as a chunk; 0 is one
// commit per run (see the CommitEvery option).
func (p *Pipeline) CommitEvery() int { return p.commitEvery }

// Refresh is what every run of the pipeline resets before it loads ("" for nothing; see the
// Refresh option).
func (p *Pipeline) Refresh() RefreshMode { return p.refresh }

// State returns the pipeline's state as the last completed run left it in the dataset: the one
// the destination holds (the local copy where it agrees), or a new one where the destination
// holds none, as the next run would start from. Like Inspect it changes nothing and works while
// a run is loading.
func (p *Pipeline) State(ctx context.Context) (*PipelineState, error) {
	r, err := p.dest.Read(ctx, p.dataset, p.name)
	if err != nil {
		return nil, fmt.Errorf("reading dataset %q: %w", p.dataset, err)
	}
	st, _, err := p.restoreState(ctx, r)
	if cerr := r.Close(); cerr != nil && err == nil {
		return nil, fmt.Errorf("reading dataset %q: %w", p.dataset, cerr)
	}
	return st, err
}

// restoreState picks the state in force (see state.Restore) and says where it came from. st is a
// run's Session, or the Reader of Inspect and State.
func (p *Pipeline) restoreState(ctx context.Context, st state.Stored) (*PipelineState, string, error) {
	r, err := state.Restore(ctx, st, p.Dir(), p.name, p.dataset)
	if err != nil {
		return nil, "", err
	}
	return r.State, r.From, nil
}

// Run extracts the source's selected resources and loads them into the dataset in one atomic
// load: data, schema version, pipeline state and the _dlt_loads row commit together or not at
// all. The local state is saved after the commit. The returned LoadInfo is non-nil whenever the
// run got as far as connecting to the destination, also when it fails.
func (p *Pipeline) Run(ctx context.Context, src *Source) (*LoadInfo, error) {
	if src == nil {
		return nil, errors.New("Run: nil source")
	}
	if err := src.Err(); err != nil {
		return nil, err
	}
	resources := src.selectedResources()
	if len(resources) == 0 {
		return nil, fmt.Errorf("the source has no resources to load")
	}
	for _, r := range resources {
		if err := r.validate(); err != nil {
			return nil, err
		}
	}
	specs := make([]*engine.Resource, len(resources))
	for i, r := range resources {
		specs[i] = r.spec()
	}
	ep := p.engine()
	ep.Refresh = string(p.refresh)
	if f := p.progress; f != nil {
		ep.Progress = func(pr engine.Progress) { f(Progress(pr)) }
	}
	settings := src.spec // the run reads its own copy
	info, err := engine.Run(ctx, ep, &settings, specs)
	li := loadInfo(info)
	if info != nil {
		p.saveTrace(info, li, err)
	}
	return li, err
}

// engine is what the engine needs of the pipeline.
func (p *Pipeline) engine() *engine.Pipeline {
	return &engine.Pipeline{Name: p.name, Dataset: p.dataset, Dir: p.Dir(), Dest: p.dest, Logger: p.logger,
		Now: p.now, Parallelism: p.parallelism, CommitEvery: p.commitEvery}
}

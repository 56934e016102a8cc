// Package engine runs a pipeline: it reads the selected resources (Salesforce objects through
// package client, or Go functions), normalizes their records into the rows of dlt-shaped tables,
// and loads them into a destination with the pipeline state, one chunk at a time.
//
// The root package sfdlt is what users hold; it turns a Source, its Resources and a Pipeline
// into the plain values below and calls Run.
package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/internal/extract"
)

// The settings of a run's source and resources, and its progress reports, are the extractor's.
type (
	Source   = extract.Source
	Resource = extract.Resource
	Cursor   = extract.Cursor
	Progress = extract.Progress
	// ObjectHints override a Salesforce object's disposition, primary key and cursor.
	ObjectHints = extract.ObjectHints
)

// Pipeline is what a run needs of the pipeline: its names, where it keeps local state, the
// destination, and how it runs.
type Pipeline struct {
	Name    string
	Dataset string
	// Dir is the pipeline's local working directory (the local state file lives there).
	Dir  string
	Dest destination.Destination
	// Progress, when set, is called when a resource's read begins, after each page and when it ends (serialized).
	Progress func(Progress)
	Logger   *slog.Logger // never nil
	Now      func() time.Time
	// Parallelism is how many resources are extracted at once; CommitEvery how many rows a
	// chunk holds (0: one load per run).
	Parallelism int
	CommitEvery int
	// Refresh is the run's refresh mode (DropSources, DropResources, DropData), "" for none.
	Refresh string
}

// Info says what a run loaded (see sfdlt.LoadInfo, which is made from it).
type Info struct {
	PipelineName        string
	DestinationName     string
	DestinationLocation string
	DatasetName         string
	LoadID              string
	LoadIDs             []string
	StartedAt           time.Time
	Duration            time.Duration
	Loaded              bool
	Failed              []FailedJob
	Tables              []TableRows
	SchemaVersion       int64
	SchemaHash          string
	StateVersion        int64
	APICalls            int
	LostCursors         int
	Skipped             []SkippedObject
	Notes               []string
	// Dropped says what the run's refresh dropped (nil without one). It stands only when the
	// run committed a load (LoadIDs): the drop commits with the first one.
	Dropped *Dropped
	// Steps are the stages the run went through, in order, the last one with the run's error
	// when it failed.
	Steps []Step
}

// Step is a stage of a run and how long it took: "sync" (the dataset opened, the state and
// schema restored), "login", "discover", "refresh" (what to drop planned), "extract" (reading,
// normalizing and loading overlap, chunks committed on the way) and "commit" (the last load).
type Step struct {
	Name              string
	Started, Finished time.Time
	Err               string
}

// SkippedObject is an object a whole-org load left out because Salesforce refused to read it.
type SkippedObject struct {
	Object, Resource, Reason string
}

// TableRows is a table and the rows a run wrote to it.
type TableRows struct {
	Table    string
	Resource string
	Rows     int64
}

// FailedJob is a table whose load failed, and why.
type FailedJob struct {
	Table string
	Err   string
}

// Run extracts the resources of src and loads them into p's dataset. The returned Info is
// non-nil whenever the run got as far as connecting to the destination, also when it fails.
func Run(ctx context.Context, p *Pipeline, src *Source, resources []*Resource) (*Info, error) {
	r := &run{p: p, src: src, started: p.Now()}
	cfg := extract.Config{Source: src, Destination: p.Dest.Info(), CommitEvery: p.CommitEvery,
		Started: r.started, Logger: p.Logger, Note: r.note}
	if p.Progress != nil {
		cfg.Progress = r.report
	}
	r.x = extract.New(cfg, resources)
	return r.do(ctx)
}

// ErrAPIUsageLimit is returned when the source's MaxUsagePct stops a run.
var ErrAPIUsageLimit = extract.ErrAPIUsageLimit

// CheckPatterns reports the first malformed object glob pattern (see Source.ObjectsInclude).
func CheckPatterns(patterns []string) error { return extract.CheckPatterns(patterns) }

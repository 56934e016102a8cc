package sfdlt

import "github.com/sfdlt/sfdlt/internal/state"

// Incremental is a resource's incremental cursor, as dlt.sources.incremental: each run loads
// only records whose cursor is at or after the largest cursor value of the runs before.
//
// The start of the range is closed (>=), never strict: records sharing the last cursor value
// are read again and dropped when their key is among the hashes kept for that value (dlt's
// unique_hashes), so records that share a timestamp across runs are neither lost nor
// duplicated. The pipeline filters and deduplicates by the cursor whatever a resource yields.
type Incremental struct {
	// CursorPath is the field holding the cursor, as the source names it ("SystemModstamp").
	CursorPath string
	// InitialValue is where the first run starts (nil: from the beginning).
	InitialValue any

	lastValue any // set by a run for the resource function: the largest value loaded so far
}

// NewIncremental makes a cursor on the named field starting at initial (nil: the beginning).
func NewIncremental(cursorPath string, initial any) *Incremental {
	return &Incremental{CursorPath: cursorPath, InitialValue: initial}
}

// LastValue is the value this run's range starts at: the largest cursor value of the runs
// before, or the initial value on the first run. A resource function reads it to ask the remote
// side only for new records.
func (i *Incremental) LastValue() any {
	if i.lastValue != nil {
		return i.lastValue
	}
	return i.InitialValue
}

// The pipeline state, as dlt keeps it (see PipelineState).
type (
	// PipelineState is the pipeline state as dlt keeps it: in <pipelines dir>/<name>/state.json
	// and, zlib-compressed and base64-encoded, in the destination's _dlt_pipeline_state table,
	// written in the same load as the data it describes. Pipeline.State returns it.
	PipelineState = state.Pipeline
	// SourceState is the state of one source: sources.<source>.
	SourceState = state.Source
	// ResourceState is the state of one resource: sources.<source>.resources.<resource>.
	ResourceState = state.Resource
	// IncrementalState is how a cursor is kept in the pipeline state, under
	// sources.<source>.resources.<resource>.incremental.<cursor>, with dlt's keys.
	IncrementalState = state.Incremental
	// ResumePoint is where an unfinished pass over a resource stands after its last committed
	// chunk (see CommitEvery).
	ResumePoint = state.Resume
)

package sfdlt

import (
	"context"
	"fmt"
	"strings"

	"github.com/sfdlt/sfdlt/internal/engine"
)

// RefreshMode is dlt's refresh: what a run resets before it loads (see Refresh).
type RefreshMode string

// The refresh modes, with dlt's values.
const (
	// DropSources drops every table the source ever loaded (every data table of its stored
	// schema, nested tables included) and wipes the source's whole state, then loads the
	// selected resources in full. Tables of resources the run does not select stay gone until a
	// run loads them.
	DropSources RefreshMode = engine.DropSources
	// DropResources drops the tables of the selected resources (nested tables included) and
	// wipes their state, then loads them in full; other resources are untouched.
	DropResources RefreshMode = engine.DropResources
	// DropData deletes the rows of the selected resources' tables and wipes their state, keeping
	// the tables and the schema, then loads them in full.
	DropData RefreshMode = engine.DropData
)

// Refresh makes every run of the pipeline reset what mode says before it loads, as dlt's
// refresh does (the run or pipeline argument, and the refresh configuration key). The reset
// commits with the run's first load: until then readers see the old tables and rows, and a run
// that fails before its first commit changes nothing. LoadInfo.Dropped says what was reset.
func Refresh(mode RefreshMode) PipelineOption {
	return pipelineOption(func(p *Pipeline) { p.refresh = mode })
}

// DropInfo says what a refresh or Pipeline.Drop removed.
type DropInfo struct {
	// Mode is the refresh mode (DropResources for Pipeline.Drop).
	Mode RefreshMode `json:"mode"`
	// Tables were dropped from the destination and the schema, nested tables included.
	Tables []string `json:"tables,omitempty"`
	// Truncated are the tables whose rows were deleted (DropData); they and their columns stay.
	Truncated []string `json:"truncated,omitempty"`
	// Resources are the resources whose state (cursors, resume points) was wiped.
	Resources []string `json:"resources,omitempty"`
	// SourceState is true when the source's whole state was wiped (DropSources).
	SourceState bool `json:"source_state,omitempty"`
}

func dropInfo(d *engine.Dropped) *DropInfo {
	if d == nil {
		return nil
	}
	return &DropInfo{Mode: RefreshMode(d.Mode), Tables: d.Tables, Truncated: d.Truncated, Resources: d.Resources, SourceState: d.SourceState}
}

// String says what was dropped, in one line.
func (d *DropInfo) String() string {
	var parts []string
	if len(d.Tables) > 0 {
		parts = append(parts, "dropped tables "+strings.Join(d.Tables, ", "))
	}
	if len(d.Truncated) > 0 {
		parts = append(parts, "deleted the rows of "+strings.Join(d.Truncated, ", "))
	}
	switch {
	case d.SourceState:
		parts = append(parts, "wiped the source's state")
	case len(d.Resources) > 0:
		parts = append(parts, "wiped the state of "+strings.Join(d.Resources, ", "))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s: nothing to drop", d.Mode)
	}
	return fmt.Sprintf("%s: %s", d.Mode, strings.Join(parts, "; "))
}

// Drop drops the tables of the named resources (nested tables included) from the dataset and
// the schema, and wipes their state, as dlt's `dlt pipeline NAME drop` does: the dropped tables,
// the new schema version, the new state and a _dlt_loads row commit in one transaction, or
// nothing changes. The local state file is updated after the commit. The next run loads those
// resources in full. Resources are named by their table names (`sfdlt pipeline NAME show` lists
// them); a resource the pipeline never loaded is an error listing the ones it has.
func (p *Pipeline) Drop(ctx context.Context, resources ...string) (*DropInfo, error) {
	d, err := engine.Drop(ctx, p.engine(), SourceName, resources)
	if err != nil {
		return nil, err
	}
	return dropInfo(d), nil
}

package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

// The refresh modes, dlt's values of refresh (see sfdlt.RefreshMode).
const (
	// DropSources drops every data table of the source's stored schema and wipes the source's
	// whole state, then loads the selected resources.
	DropSources = "drop_sources"
	// DropResources drops the tables of the selected resources (nested tables too) and wipes
	// their state.
	DropResources = "drop_resources"
	// DropData deletes the rows of the selected resources' tables and wipes their state,
	// keeping the tables and the schema.
	DropData = "drop_data"
)

// ValidRefresh reports whether mode is one of the refresh modes ("" is none).
func ValidRefresh(mode string) bool {
	switch mode {
	case "", DropSources, DropResources, DropData:
		return true
	}
	return false
}

// Dropped says what a refresh or a drop removed.
type Dropped struct {
	// Mode is the refresh mode, or DropResources for Pipeline.Drop.
	Mode string
	// Tables were dropped (from the destination and the schema), nested tables included.
	Tables []string
	// Truncated are the tables whose rows were deleted (DropData).
	Truncated []string
	// Resources are the resources whose state was wiped.
	Resources []string
	// SourceState: the source's whole state was wiped (DropSources).
	SourceState bool
}

// planDrop applies mode to the stored schema and the state (both changed in place) for the
// named resources of source, and says which tables the destination must drop or empty.
func planDrop(mode string, sch *schema.Schema, st *state.Pipeline, source string, resources []string) *Dropped {
	d := &Dropped{Mode: mode}
	var srcState *state.Source
	if st != nil && st.Sources != nil {
		srcState = st.Sources[source]
	}
	switch mode {
	case DropSources:
		for _, t := range sch.DataTables() {
			d.Tables = append(d.Tables, t.Name)
		}
		if srcState != nil {
			d.Resources = slices.Sorted(maps.Keys(srcState.Resources))
			delete(st.Sources, source)
		}
		d.SourceState = true
	case DropResources, DropData:
		for _, name := range resources {
			tables := resourceTables(sch, name)
			if mode == DropData {
				d.Truncated = append(d.Truncated, tables...)
			} else {
				d.Tables = append(d.Tables, tables...)
			}
			if srcState != nil && srcState.Resources[name] != nil {
				delete(srcState.Resources, name)
				d.Resources = append(d.Resources, name)
			}
		}
	}
	if len(d.Tables) > 0 {
		drop := map[string]bool{}
		for _, t := range d.Tables {
			drop[t] = true
		}
		sch.Tables = slices.DeleteFunc(slices.Clone(sch.Tables), func(t *schema.Table) bool { return drop[t.Name] })
	}
	return d
}

// resourceTables lists the tables of a resource in the schema: its root table and the tables
// nested under it, parents first.
func resourceTables(sch *schema.Schema, resource string) []string {
	var out []string
	for _, t := range sch.DataTables() {
		if t.Parent != "" || (t.Name != resource && t.Resource != resource) {
			continue
		}
		out = append(out, t.Name)
		for _, n := range sch.NestedTables(t.Name) {
			out = append(out, n.Name)
		}
	}
	return out
}

// knownResources lists the resources a pipeline has loaded: the root data tables of its stored
// schema (by resource) and the resources in its state, sorted.
func knownResources(sch *schema.Schema, st *state.Pipeline, source string) []string {
	seen := map[string]bool{}
	for _, t := range sch.DataTables() {
		if t.Parent == "" {
			seen[cmp.Or(t.Resource, t.Name)] = true
		}
	}
	if st != nil && st.Sources[source] != nil {
		for name := range st.Sources[source].Resources {
			seen[name] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// startDrop drops and empties the planned tables in the run's first load, before anything is
// written to them.
//
// The drop is part of the first load, not a transaction of its own before it: the dropped
// tables, the schema without them, the wiped state and the first rows commit together (one
// _dlt_loads row), so readers never see the tables gone or empty, only old rows and then new
// ones, and a run that fails before its first commit leaves the dataset and the state exactly as
// they were (the next run, refresh or not, starts from the old state). A run that fails after
// its first commit has committed the drop with the state wiped: what it committed stands, and
// the next run goes on from there, reading in full what the refresh reset.
func startDrop(ctx context.Context, l destination.Load, d *Dropped, destName string) error {
	if d == nil || len(d.Tables)+len(d.Truncated) == 0 {
		return nil
	}
	dr, ok := l.(destination.Dropper)
	if !ok {
		return fmt.Errorf("the %s destination cannot drop tables or delete their rows (its loads do not implement destination.Dropper), which refresh and drop need; load without refresh, or into a destination that can", destName)
	}
	if len(d.Tables) > 0 {
		if err := dr.DropTables(ctx, d.Tables); err != nil {
			return fmt.Errorf("dropping tables %s: %w", strings.Join(d.Tables, ", "), err)
		}
	}
	if len(d.Truncated) > 0 {
		if err := dr.TruncateTables(ctx, d.Truncated); err != nil {
			return fmt.Errorf("deleting the rows of %s: %w", strings.Join(d.Truncated, ", "), err)
		}
	}
	return nil
}

// ErrUnknownResource is returned (wrapped) by Drop for a resource the pipeline never loaded.
var ErrUnknownResource = errors.New("unknown resource")

// Drop drops the tables (nested tables too) and wipes the state of resources of source in p's
// dataset, as one load: the tables, the new schema version (without them), the new state and the
// _dlt_loads row commit together, or nothing changes. The local state file is saved after the
// commit. A resource the pipeline has neither a table nor state of is an error that lists the
// ones it has.
func Drop(ctx context.Context, p *Pipeline, source string, resources []string) (*Dropped, error) {
	if len(resources) == 0 {
		return nil, errors.New("name the resources to drop (their table names, as `sfdlt pipeline NAME show` lists them)")
	}
	destInfo := p.Dest.Info()
	sess, err := p.Dest.Open(ctx, p.Dataset, p.Name)
	if err != nil {
		return nil, fmt.Errorf("opening dataset %q on %s: %w", p.Dataset, destInfo.Name, err)
	}
	defer sess.Close()
	restored, err := state.Restore(ctx, sess, p.Dir, p.Name, p.Dataset)
	if err != nil {
		return nil, err
	}
	st := restored.State // the dataset's: a drop never goes by a local file the destination disagrees with
	r := &run{p: p, src: &Source{Name: source}, info: &Info{}}
	if _, err := r.loadSchema(ctx, sess, destInfo); err != nil {
		return nil, err
	}
	raw := r.raw
	known := knownResources(raw, st, source)
	var unknown []string
	for _, name := range resources {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		if len(known) == 0 {
			return nil, fmt.Errorf("%w %s: pipeline %s has loaded no resources into dataset %q yet", ErrUnknownResource, strings.Join(unknown, ", "), p.Name, p.Dataset)
		}
		return nil, fmt.Errorf("%w %s: pipeline %s has the resources %s in dataset %q", ErrUnknownResource, strings.Join(unknown, ", "), p.Name, strings.Join(known, ", "), p.Dataset)
	}
	d := planDrop(DropResources, raw, st, source, resources)
	ld, err := load.New(ctx, load.Config{
		Pipeline: p.Name, Dataset: p.Dataset, Source: source, DestinationName: destInfo.Name, Dir: p.Dir,
		Session: sess, State: st, Schema: r.sch, SchemaStored: r.schemaStored,
		Started: p.Now(), Now: p.Now, Logger: p.Logger,
		Start: func(ctx context.Context, l destination.Load) error { return startDrop(ctx, l, d, destInfo.Name) },
	})
	if err != nil {
		return nil, err
	}
	defer ld.Rollback()
	if err := ld.Commit(ctx, true); err != nil {
		return nil, fmt.Errorf("dropping %s: %w (nothing was dropped)", strings.Join(resources, ", "), err)
	}
	return d, nil
}

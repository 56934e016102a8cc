package sfdlt

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// Inspection is what `sfdlt pipeline <name> show` prints: the dataset's tables with their row
// counts, the newest loads, and the incremental state of each resource.
type Inspection struct {
	PipelineName string
	DatasetName  string
	Destination  destination.Info
	Tables       []destination.TableStats
	Loads        []destination.LoadRow
	State        *PipelineState
	// StateFrom says where the state was read: "local" (the local file, which agrees with the
	// destination), "destination" or "new" (the destination holds none).
	StateFrom string
	// Resources says how each resource's table is written, from the stored schema and state.
	Resources []ResourceInfo
}

// ResourceInfo is how a resource's table is loaded: its write disposition and, for an
// incremental resource, its cursor field.
type ResourceInfo struct {
	Table       string
	Disposition WriteDisposition
	// MergeStrategy is a merge table's strategy (StrategySCD2 keeps history); "" otherwise.
	MergeStrategy MergeStrategy
	Cursor        string // "" when the table is read in full every run
}

// Inspect reads the pipeline's dataset and state without changing anything: it takes no lock
// and creates nothing (see destination.Reader), so it works while a run of the pipeline is
// loading; that run's loads show once they commit.
func (p *Pipeline) Inspect(ctx context.Context, loads int) (in *Inspection, err error) {
	err = p.read(ctx, func(r destination.Reader, _ destination.Querier) error {
		in = &Inspection{PipelineName: p.name, DatasetName: p.dataset, Destination: p.dest.Info()}
		var err error
		if in.State, in.StateFrom, err = p.restoreState(ctx, r); err != nil {
			return err
		}
		if in.Tables, err = r.Tables(ctx); err != nil {
			return fmt.Errorf("listing the tables of %q: %w", p.dataset, err)
		}
		if in.Loads, err = r.Loads(ctx, loads); err != nil {
			return fmt.Errorf("reading the loads of %q: %w", p.dataset, err)
		}
		sch, err := p.storedSchema(ctx, r)
		if err != nil {
			return err
		}
		if sch != nil {
			in.Resources = resourcesOf(sch, in.State)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return in, nil
}

// resourcesOf lists the root data tables of a schema, with their cursors from the state.
func resourcesOf(sch *schema.Schema, st *PipelineState) []ResourceInfo {
	var out []ResourceInfo
	for _, t := range sch.Tables {
		if t.Parent != "" || schema.IsSystemTable(t.Name) {
			continue
		}
		ri := ResourceInfo{Table: t.Name, Disposition: t.WriteDisposition}
		if t.WriteDisposition == Merge {
			ri.MergeStrategy = t.MergeStrategy
			if ri.MergeStrategy == "" {
				ri.MergeStrategy = StrategyDeleteInsert
			}
		}
		if st != nil && st.Sources[SourceName] != nil {
			if rs := st.Sources[SourceName].Resources[t.Name]; rs != nil {
				for _, c := range slices.Sorted(maps.Keys(rs.Incremental)) {
					ri.Cursor = c
				}
			}
		}
		out = append(out, ri)
	}
	slices.SortFunc(out, func(a, b ResourceInfo) int { return strings.Compare(a.Table, b.Table) })
	return out
}

// String prints the inspection as a short report.
func (in *Inspection) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline %s, dataset %s on %s (%s)\n", in.PipelineName, in.DatasetName, in.Destination.Name, in.Destination.Location)
	if len(in.Tables) == 0 {
		b.WriteString("No tables yet: run the pipeline first.\n")
	} else {
		width := 0
		for _, t := range in.Tables {
			width = max(width, len(t.Name))
		}
		b.WriteString("Tables:\n")
		for _, t := range in.Tables {
			if t.Busy {
				fmt.Fprintf(&b, "  %-*s (a running load is adding columns; not counted)\n", width, t.Name)
				continue
			}
			fmt.Fprintf(&b, "  %-*s %10d rows%s\n", width, t.Name, t.Rows, in.how(t.Name))
		}
	}
	if len(in.Loads) > 0 {
		b.WriteString("Last loads:\n")
		for _, l := range in.Loads {
			status := "completed"
			if l.Status != 0 {
				status = fmt.Sprintf("status %d", l.Status)
			}
			fmt.Fprintf(&b, "  %s  %s  %s  schema %s\n", l.LoadID, l.InsertedAt.UTC().Format("2006-01-02 15:04:05Z"), status, l.SchemaVersionHash)
		}
	}
	if in.State != nil {
		fmt.Fprintf(&b, "State version %d (%s):\n", in.State.Version, in.StateFrom)
		for _, src := range slices.Sorted(maps.Keys(in.State.Sources)) {
			res := in.State.Sources[src].Resources
			for _, name := range slices.Sorted(maps.Keys(res)) {
				for _, cursor := range slices.Sorted(maps.Keys(res[name].Incremental)) {
					st := res[name].Incremental[cursor]
					fmt.Fprintf(&b, "  %s.%s: %s last_value %v (%d record(s) at that value)\n", src, name, cursor, st.LastValue, len(st.UniqueHashes))
				}
			}
		}
	}
	return b.String()
}

// how says how a table is loaded, for the report: ", merge on SystemModstamp", ", replace".
func (in *Inspection) how(table string) string {
	for _, r := range in.Resources {
		if r.Table != table || r.Disposition == "" {
			continue
		}
		how := string(r.Disposition)
		if r.MergeStrategy == StrategySCD2 {
			how += " (scd2: a row per version)"
		}
		if r.Cursor != "" {
			return fmt.Sprintf("  %s, incremental on %s", how, r.Cursor)
		}
		return "  " + how
	}
	return ""
}

// StoredSchema returns the newest stored version of the pipeline's schema (its newest
// _dlt_version row), read as Inspect reads: no lock, nothing created. It wraps
// destination.ErrNotFound when nothing was loaded into the dataset yet.
func (p *Pipeline) StoredSchema(ctx context.Context) (row *destination.SchemaRow, err error) {
	err = p.read(ctx, func(r destination.Reader, _ destination.Querier) error {
		row, err = r.Schema(ctx, SourceName)
		if err != nil {
			return fmt.Errorf("reading the stored schema of pipeline %s in dataset %q: %w", p.name, p.dataset, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

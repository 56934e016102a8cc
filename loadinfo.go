package sfdlt

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/internal/engine"
)

// LoadInfo says what a pipeline run loaded, like dlt's load info: print it to see what
// print(load_info) shows in Python, plus rows per table.
type LoadInfo struct {
	PipelineName    string
	DestinationName string
	// DestinationLocation is where the destination keeps the data, password redacted.
	DestinationLocation string
	DatasetName         string
	// LoadID is the id of the run's last load package: the one that completed the run, or the one
	// that failed ("" when the run failed before loading).
	LoadID string
	// LoadIDs are the load packages the run committed, in order: one per chunk (see
	// CommitEvery). When the run fails, the ones listed stand and the next run goes on from them.
	LoadIDs   []string
	StartedAt time.Time
	Duration  time.Duration
	// Loaded is true when the load committed with no failed jobs.
	Loaded bool
	// Failed says which table failed and why, when the load did not commit.
	Failed []FailedJob
	// Tables lists each loaded table and how many rows this run wrote to it, in load order.
	Tables []TableRows
	// SchemaVersion and SchemaHash identify the schema the load used.
	SchemaVersion int64
	SchemaHash    string
	// StateVersion is the pipeline state version after the run.
	StateVersion int64
	// APICalls is the number of Salesforce API calls the run made (the requests its client sent
	// under /services/data/vXX.X, retries included, logins not), -1 when it did not log in.
	APICalls int
	// LostCursors is how many times Salesforce released or expired a query cursor under the
	// run's reads (another integration of the same user opened too many, or it sat idle 15
	// minutes); each read went on after the last record it had read, so nothing was lost.
	LostCursors int
	// Skipped lists the objects a whole-org load (AllObjects) left out because Salesforce refused
	// to read them as a whole (a required filter, no access, not supported), with Salesforce's
	// reason. The rest of the run was loaded and committed.
	Skipped []SkippedObject
	// Notes are things the run did that a user should know (a resource reloaded in full, ...).
	Notes []string
	// Dropped says what the run's refresh (see Refresh) dropped, deleted and wiped, committed
	// with its first load; nil without a refresh, or when the run committed no load (then nothing
	// was dropped).
	Dropped *DropInfo
}

// SkippedObject is an object a whole-org load left out, and why.
type SkippedObject struct {
	Object   string `json:"object"`   // the Salesforce object's API name
	Resource string `json:"resource"` // the resource (table) it would have been
	Reason   string `json:"reason"`   // Salesforce's answer
}

// TableRows is a table and the rows a run wrote to it.
type TableRows struct {
	Table    string `json:"table"`
	Resource string `json:"resource"`
	Rows     int64  `json:"rows"`
}

// FailedJob is a table whose load failed, and why.
type FailedJob struct {
	Table string `json:"table"`
	Err   string `json:"error"`
}

// String says what dlt's print(load_info) says: the pipeline and how long the load took; the
// load packages, destination and dataset; where the data is; each package and whether it loaded;
// then rows per table.
func (li *LoadInfo) String() string {
	if li == nil {
		return "<nil LoadInfo>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline %s load step completed in %s\n", li.PipelineName, humanDuration(li.Duration))
	fmt.Fprintf(&b, "%d load package(s) were loaded to destination %s and into dataset %s\n", len(li.LoadIDs), li.DestinationName, li.DatasetName)
	fmt.Fprintf(&b, "The %s destination used %s location to store data\n", li.DestinationName, li.DestinationLocation)
	for _, id := range li.LoadIDs {
		fmt.Fprintf(&b, "Load package %s is LOADED and contains no failed jobs\n", id)
	}
	if !li.Loaded && (li.LoadID != "" || len(li.Failed) > 0) {
		if li.LoadID != "" && !slices.Contains(li.LoadIDs, li.LoadID) {
			fmt.Fprintf(&b, "Load package %s is ABORTED and contains %d failed job(s)\n", li.LoadID, len(li.Failed))
		} else {
			fmt.Fprintf(&b, "The run stopped with %d failed job(s); the next run goes on from the packages loaded\n", len(li.Failed))
		}
		for _, f := range li.Failed {
			fmt.Fprintf(&b, "\t%s: %s\n", f.Table, f.Err)
		}
	}
	if len(li.Tables) > 0 {
		width := len("(total)")
		for _, t := range li.Tables {
			width = max(width, len(t.Table))
		}
		fmt.Fprintf(&b, "Rows loaded per table:\n")
		var total int64
		for _, t := range li.Tables {
			fmt.Fprintf(&b, "  %-*s %d\n", width, t.Table, t.Rows)
			total += t.Rows
		}
		fmt.Fprintf(&b, "  %-*s %d\n", width, "(total)", total)
	}
	if li.APICalls >= 0 {
		fmt.Fprintf(&b, "Salesforce API calls used: %d\n", li.APICalls)
	}
	if li.Dropped != nil {
		fmt.Fprintf(&b, "Refresh %s\n", li.Dropped)
	}
	for _, sk := range li.Skipped {
		fmt.Fprintf(&b, "Skipped %s (Salesforce will not read it as a whole): %s\n", sk.Object, sk.Reason)
	}
	for _, n := range li.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	return b.String()
}

// RowCount returns the rows the run wrote to a table (0 when it wrote none).
func (li *LoadInfo) RowCount(table string) int64 {
	for _, t := range li.Tables {
		if t.Table == table {
			return t.Rows
		}
	}
	return 0
}

func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.2f seconds", d.Seconds())
	}
	return fmt.Sprintf("%d minutes and %.2f seconds", int(d.Minutes()), (d % time.Minute).Seconds())
}

// loadInfo is the engine's account of a run as users read it.
func loadInfo(i *engine.Info) *LoadInfo {
	if i == nil {
		return nil
	}
	li := &LoadInfo{
		PipelineName: i.PipelineName, DestinationName: i.DestinationName, DestinationLocation: i.DestinationLocation,
		DatasetName: i.DatasetName, LoadID: i.LoadID, LoadIDs: i.LoadIDs, StartedAt: i.StartedAt, Duration: i.Duration,
		Loaded: i.Loaded, SchemaVersion: i.SchemaVersion, SchemaHash: i.SchemaHash, StateVersion: i.StateVersion,
		APICalls: i.APICalls, LostCursors: i.LostCursors, Notes: i.Notes,
	}
	for _, f := range i.Failed {
		li.Failed = append(li.Failed, FailedJob(f))
	}
	for _, t := range i.Tables {
		li.Tables = append(li.Tables, TableRows(t))
	}
	for _, sk := range i.Skipped {
		li.Skipped = append(li.Skipped, SkippedObject(sk))
	}
	if len(i.LoadIDs) > 0 {
		li.Dropped = dropInfo(i.Dropped)
	}
	return li
}

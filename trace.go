package sfdlt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/internal/engine"
	"github.com/sfdlt/sfdlt/internal/state"
)

// TraceFile is the file in the pipeline's working directory (Pipeline.Dir) where each run
// leaves its trace, as dlt keeps trace.pickle there.
const TraceFile = "trace.json"

// Trace is what the last run of a pipeline did, as each run saves it (succeeded or failed) in
// <pipelines dir>/<name>/trace.json: its steps with their times, rows per table, API calls,
// failures, notes and skipped objects. It is made of the load info and the run's error, which
// carry no secret. `sfdlt pipeline NAME trace` and `failed-jobs` print it.
type Trace struct {
	PipelineName string `json:"pipeline_name"`
	DatasetName  string `json:"dataset_name"`
	Destination  string `json:"destination"`
	// Location is where the destination keeps the data, password redacted.
	Location   string      `json:"location"`
	StartedAt  time.Time   `json:"started_at"`
	FinishedAt time.Time   `json:"finished_at"`
	Steps      []TraceStep `json:"steps"`
	// Loaded is true when the run loaded everything; Error is why it failed ("" when it did not).
	Loaded bool   `json:"loaded"`
	Error  string `json:"error,omitempty"`
	// LoadIDs are the loads the run committed.
	LoadIDs     []string        `json:"load_ids"`
	Tables      []TableRows     `json:"tables"`
	APICalls    int             `json:"api_calls"`
	LostCursors int             `json:"lost_cursors"`
	Failed      []FailedJob     `json:"failed_jobs"`
	Skipped     []SkippedObject `json:"skipped"`
	Notes       []string        `json:"notes"`
	Dropped     *DropInfo       `json:"dropped,omitempty"`
}

// TraceStep is one stage of a run: "sync" (the dataset opened, state and schema restored),
// "login", "discover", "refresh", "extract" (reading, normalizing and loading, which overlap,
// with the chunks committed on the way) and "commit" (the last load).
type TraceStep struct {
	Name       string        `json:"name"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt time.Time     `json:"finished_at"`
	Duration   time.Duration `json:"duration_ns"`
	Error      string        `json:"error,omitempty"`
}

// RunsFile is the file in the pipeline's working directory where each run adds a line of
// summary (RunRecord), the last MaxRunRecords runs kept: the run times `show --web` charts.
const RunsFile = "runs.json"

// MaxRunRecords is how many runs RunsFile keeps, the newest.
const MaxRunRecords = 100

// RunRecord is one run of a pipeline on this machine, as Runs returns it: when it ran, whether
// it loaded everything, the rows it loaded and the loads it committed. It holds no secret.
type RunRecord struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Loaded     bool      `json:"loaded"`
	Rows       int64     `json:"rows"`
	Loads      int       `json:"loads"`
}

// Runs returns the pipeline's last runs on this machine (at most MaxRunRecords), oldest first;
// none when it never ran here.
func (p *Pipeline) Runs() ([]RunRecord, error) {
	path := filepath.Join(p.Dir(), RunsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the runs' history: %w", err)
	}
	var runs []RunRecord
	if err := json.Unmarshal(b, &runs); err != nil {
		return nil, fmt.Errorf("the runs' history %s is not valid JSON (%v): delete it; the next run starts a new one", path, err)
	}
	return runs, nil
}

// saveRun adds the run to RunsFile, keeping the newest MaxRunRecords (best effort, as the trace).
func (p *Pipeline) saveRun(t *Trace) {
	runs, err := p.Runs()
	if err != nil {
		runs = nil // a damaged history starts again: it is only for looking at
	}
	r := RunRecord{StartedAt: t.StartedAt, FinishedAt: t.FinishedAt, Loaded: t.Loaded, Loads: len(t.LoadIDs)}
	for _, tr := range t.Tables {
		r.Rows += tr.Rows
	}
	runs = append(runs, r)
	if n := len(runs) - MaxRunRecords; n > 0 {
		runs = runs[n:]
	}
	b, err := json.Marshal(runs)
	if err == nil {
		err = state.WriteLocalFile(p.Dir(), RunsFile, b)
	}
	if err != nil {
		p.logger.Warn("could not save the run in the runs' history", "file", filepath.Join(p.Dir(), RunsFile), "error", err)
	}
}

// saveTrace writes the run's trace into the pipeline's directory and adds the run to its
// history (best effort: a trace that cannot be written is logged, and the run's outcome stands).
func (p *Pipeline) saveTrace(i *engine.Info, li *LoadInfo, runErr error) {
	t := &Trace{PipelineName: li.PipelineName, DatasetName: li.DatasetName, Destination: li.DestinationName,
		Location: li.DestinationLocation, StartedAt: li.StartedAt, FinishedAt: li.StartedAt.Add(li.Duration),
		Loaded: li.Loaded && runErr == nil, LoadIDs: li.LoadIDs, Tables: li.Tables, APICalls: li.APICalls,
		LostCursors: li.LostCursors, Failed: li.Failed, Skipped: li.Skipped, Notes: li.Notes, Dropped: li.Dropped}
	if runErr != nil {
		t.Error = runErr.Error()
	}
	for _, s := range i.Steps {
		t.Steps = append(t.Steps, TraceStep{Name: s.Name, StartedAt: s.Started, FinishedAt: s.Finished,
			Duration: s.Finished.Sub(s.Started), Error: s.Err})
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err == nil {
		err = state.WriteLocalFile(p.Dir(), TraceFile, b)
	}
	if err != nil {
		p.logger.Warn("could not save the run's trace", "file", filepath.Join(p.Dir(), TraceFile), "error", err)
	}
	p.saveRun(t)
}

// LastTrace returns the trace of the pipeline's last run on this machine, or nil when there
// is none (the pipeline never ran here, or its directory was removed).
func (p *Pipeline) LastTrace() (*Trace, error) {
	path := filepath.Join(p.Dir(), TraceFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the last run's trace: %w", err)
	}
	var t Trace
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("the trace %s is not valid JSON (%v): delete it; the next run writes a new one", path, err)
	}
	return &t, nil
}

// String prints the trace as `sfdlt pipeline NAME trace` shows it.
func (t *Trace) String() string {
	var b strings.Builder
	outcome := "loaded everything"
	if !t.Loaded {
		outcome = "FAILED"
	}
	fmt.Fprintf(&b, "Run of pipeline %s into dataset %s on %s (%s): %s\n", t.PipelineName, t.DatasetName, t.Destination, t.Location, outcome)
	fmt.Fprintf(&b, "Started %s, finished %s (%s)\n", t.StartedAt.UTC().Format(time.RFC3339), t.FinishedAt.UTC().Format(time.RFC3339), humanDuration(t.FinishedAt.Sub(t.StartedAt)))
	if len(t.Steps) > 0 {
		b.WriteString("Steps:\n")
		for _, s := range t.Steps {
			fmt.Fprintf(&b, "  %-9s %s -> %s  %s", s.Name, s.StartedAt.UTC().Format("15:04:05.000"), s.FinishedAt.UTC().Format("15:04:05.000"), humanDuration(s.Duration))
			if s.Error != "" {
				fmt.Fprintf(&b, "  FAILED: %s", s.Error)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "%d load(s) committed", len(t.LoadIDs))
	if len(t.LoadIDs) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(t.LoadIDs, ", "))
	}
	b.WriteString("\n")
	if len(t.Tables) > 0 {
		b.WriteString("Rows loaded per table:\n")
		width := 0
		for _, r := range t.Tables {
			width = max(width, len(r.Table))
		}
		for _, r := range t.Tables {
			fmt.Fprintf(&b, "  %-*s %d\n", width, r.Table, r.Rows)
		}
	}
	if t.APICalls >= 0 {
		fmt.Fprintf(&b, "Salesforce API calls: %d\n", t.APICalls)
	}
	if t.LostCursors > 0 {
		fmt.Fprintf(&b, "Query cursors lost and recovered: %d\n", t.LostCursors)
	}
	if t.Dropped != nil {
		fmt.Fprintf(&b, "Refresh %s\n", t.Dropped)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	b.WriteString(t.FailedJobs())
	return b.String()
}

// FailedJobs prints what failed in the run, as `sfdlt pipeline NAME failed-jobs` shows it:
// each resource whose extraction or load failed with its error, the run's error when it failed
// otherwise (a login, the destination), and each object skipped with Salesforce's reason; or
// "no failed jobs".
func (t *Trace) FailedJobs() string {
	var b strings.Builder
	for _, f := range t.Failed {
		fmt.Fprintf(&b, "Failed job: %s: %s\n", f.Table, f.Err)
	}
	if t.Error != "" && len(t.Failed) == 0 {
		fmt.Fprintf(&b, "The run failed: %s\n", t.Error)
	}
	for _, sk := range t.Skipped {
		fmt.Fprintf(&b, "Skipped object %s (table %s): %s\n", sk.Object, sk.Resource, sk.Reason)
	}
	if b.Len() == 0 {
		return "no failed jobs\n"
	}
	return b.String()
}

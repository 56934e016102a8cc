package client

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values of BulkOptions.
const (
	DefaultBulkPollInterval    = time.Second
	DefaultBulkMaxPollInterval = 30 * time.Second
	DefaultBulkTimeout         = time.Hour
	DefaultBulkBatchRows       = 2000
	// maxParallelPages caps BulkOptions.ParallelPages: Salesforce hands out five page URLs at a time.
	maxParallelPages = 5
	// bulkCleanupTimeout bounds the abort and delete sent after a failure or at the end; they run
	// on a context that is not cancelled, so a cancelled run still cleans up.
	bulkCleanupTimeout = 10 * time.Second
)

// BulkDeleteTimeout bounds one DeleteBulkJobs call, every job and retry included: the deletes
// outlive a cancelled load, so they need a limit of their own.
const BulkDeleteTimeout = 30 * time.Second

// Bulk API 2.0 query job states.
const (
	BulkStateUploadComplete = "UploadComplete"
	BulkStateInProgress     = "InProgress"
	BulkStateJobComplete    = "JobComplete"
	BulkStateFailed         = "Failed"
	BulkStateAborted        = "Aborted"
)

// BulkOptions configures a Bulk API 2.0 query job. The zero value is usable.
type BulkOptions struct {
	// Operation is "query" (the default) or "queryAll" (deleted and archived rows too).
	Operation string
	// PollInterval is the first wait between job status checks; later waits are a quarter of the
	// time the job has run so far, at most MaxPollInterval (defaults DefaultBulkPollInterval,
	// DefaultBulkMaxPollInterval; see pollWait).
	PollInterval, MaxPollInterval time.Duration
	// Timeout bounds the wait for JobComplete (default DefaultBulkTimeout); a job still running
	// then is aborted and BulkQuery returns ErrBulkJobTimeout. It also bounds the wait for a
	// results page answered 412 or 204 (not ready yet); downloads are bounded by ctx only.
	Timeout time.Duration
	// MaxRecords is the maxRecords of each results page; 0 lets Salesforce choose.
	MaxRecords int
	// BatchRows is the number of rows per yielded batch (default DefaultBulkBatchRows).
	BatchRows int
	// ParallelPages > 0 downloads up to that many result pages at once (at most 5) through
	// /resultPages (API v58.0+), still yielding rows in order; 0 reads pages one by one along the
	// locator chain. Each page in flight is held in memory: bound it with MaxRecords. A job
	// reattached with ResumeBulkQuery always reads the locator chain.
	ParallelPages int
	// KeepJob keeps the job when Results stops early: the consumer breaks the loop, ctx ends, or
	// a download fails in a way a later attempt may get past (network, HTTP errors, API limits,
	// session), so that a later process can read on with ResumeBulkQuery (Salesforce deletes
	// jobs itself after 7 days). The job is still deleted once every row was read, and when
	// reading on could only meet the same failure again: the rows do not match their counts
	// (ErrBulkRowCount), the CSV is malformed, or Salesforce refuses the locator
	// (ErrInvalidQueryLocator). It has no effect on BulkQuery, which aborts and deletes a job
	// that fails or times out before it completes. False (the default) deletes the job in every
	// case.
	KeepJob bool
	// KeepReadJob, with KeepJob, keeps the job after every row was read too: a caller that
	// commits what it read in chunks deletes it with DeleteBulkJobs once the last rows are
	// committed, so a process that dies between reading and committing can still read on.
	KeepReadJob bool
}

// BulkJobInfo is what Salesforce reports about a Bulk API 2.0 query job. Unknown keys are ignored.
type BulkJobInfo struct {
	ID                     string
	Operation              string
	Object                 string
	CreatedByID            string
	CreatedDate            time.Time // zero when absent or unreadable
	SystemModstamp         time.Time
	State                  string // one of the BulkState constants
	ConcurrencyMode        string
	ContentType            string
	APIVersion             float64 // a JSON number, such as 62.0
	LineEnding             string
	ColumnDelimiter        string
	JobType                string // "V2Query" on status checks; absent in the create response
	NumberRecordsProcessed int64
	Retries                int
	TotalProcessingTime    int64  // milliseconds
	ErrorMessage           string // set when State is Failed
}

// bulkJobWire is the JSON of a job; pointers and raw values tell absent from zero.
type bulkJobWire struct {
	ID                     string          `json:"id"`
	Operation              string          `json:"operation"`
	Object                 string          `json:"object"`
	CreatedByID            string          `json:"createdById"`
	CreatedDate            string          `json:"createdDate"`
	SystemModstamp         string          `json:"systemModstamp"`
	State                  string          `json:"state"`
	ConcurrencyMode        string          `json:"concurrencyMode"`
	ContentType            string          `json:"contentType"`
	APIVersion             json.RawMessage `json:"apiVersion"`
	LineEnding             string          `json:"lineEnding"`
	ColumnDelimiter        string          `json:"columnDelimiter"`
	JobType                string          `json:"jobType"`
	NumberRecordsProcessed *int64          `json:"numberRecordsProcessed"`
	Retries                int             `json:"retries"`
	TotalProcessingTime    int64           `json:"totalProcessingTime"`
	ErrorMessage           string          `json:"errorMessage"`
}

func (w *bulkJobWire) info() (BulkJobInfo, bool) {
	in := BulkJobInfo{ID: w.ID, Operation: w.Operation, Object: w.Object, CreatedByID: w.CreatedByID,
		State: w.State, ConcurrencyMode: w.ConcurrencyMode, ContentType: w.ContentType, LineEnding: w.LineEnding,
		ColumnDelimiter: w.ColumnDelimiter, JobType: w.JobType, Retries: w.Retries,
		TotalProcessingTime: w.TotalProcessingTime, ErrorMessage: w.ErrorMessage}
	in.CreatedDate, _ = ParseDateTime(w.CreatedDate)
	in.SystemModstamp, _ = ParseDateTime(w.SystemModstamp)
	// apiVersion is a number; accept a quoted one too rather than fail a download over it.
	in.APIVersion, _ = strconv.ParseFloat(strings.Trim(string(w.APIVersion), `"`), 64)
	if w.NumberRecordsProcessed != nil {
		in.NumberRecordsProcessed = *w.NumberRecordsProcessed
	}
	return in, w.NumberRecordsProcessed != nil
}

// BulkBatch is a run of consecutive result rows from one results page. Rows hold the values in
// Header order; "" means null (Salesforce has no empty strings). A batch and its slices are
// reused: they, and the fields below, are valid only until the loop asks for the next batch.
type BulkBatch struct {
	// Page is 1 for the first results page read; for a job reattached with ResumeBulkQuery, 1 is
	// the page at the locator it resumed from.
	Page int
	// Header is the page's header row. A page with no header row at all (an empty body) leaves
	// the previous page's (empty on the first).
	Header []string
	Rows   [][]string
	// PageEnd is true on the batch holding the last rows of its results page (an empty page
	// yields one batch with no rows and PageEnd set). Next is then where the following page
	// starts: the page's Sforce-Locator ("" after the last page, whose locator is "null").
	// A later process can read on from there with ResumeBulkQuery.
	//
	// With ParallelPages, Next is still the locator at which the following page starts: the
	// page's Sforce-Locator, or, when a server omits that header, the locator parameter of the
	// next page URL listed by /resultPages. When neither is known, Next is "" although more pages
	// follow: "" on a PageEnd batch that is not the job's last means "no resume point here".
	// Next is "" on batches without PageEnd.
	PageEnd bool
	Next    string
	// RowsBefore counts the job's rows yielded before this batch (over every page, including
	// those read by an earlier process when resumed).
	RowsBefore int64
}

// BulkJob is a Bulk API 2.0 query job that has completed; read its rows with Results.
type BulkJob struct {
	c    *Client
	opts BulkOptions

	// resumeFrom is the locator Results starts at (set by ResumeBulkQuery; "" for the first
	// page) and rowsBefore the rows read before it by an earlier process.
	resumeFrom string
	rowsBefore int64

	mu       sync.Mutex
	info     BulkJobInfo
	hasCount bool // the job reported numberRecordsProcessed
	claimed  bool // Results was called
}

// BulkQuery creates a Bulk API 2.0 query job for soql and waits until it is JobComplete.
//
// Errors creating the job are *APIError values; those matching ErrBulkLimitExceeded or
// ErrBulkUnsupported mean "run this query through REST instead". A job that fails, is aborted or
// does not complete within opts.Timeout returns ErrBulkJobFailed, ErrBulkJobAborted or
// ErrBulkJobTimeout. On any failure after creation, and when ctx is cancelled, the job is aborted
// (unless already finished) and deleted, best effort, before BulkQuery returns.
func (c *Client) BulkQuery(ctx context.Context, soql string, opts BulkOptions) (*BulkJob, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, fmt.Errorf("bulk query: %w", err)
	}
	body, err := json.Marshal(map[string]string{"operation": opts.Operation, "query": soql,
		"contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"})
	if err != nil {
		return nil, fmt.Errorf("bulk query: encoding the job request: %w", err)
	}
	var w bulkJobWire
	_, err = c.send(ctx, call{method: http.MethodPost, path: c.dataPath("jobs/query"), body: body, auth: true,
		header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
		decode: func(_ *http.Response, b []byte) error { return json.Unmarshal(b, &w) }})
	if err != nil {
		return nil, fmt.Errorf("creating bulk query job: %w", classifyBulkCreate(err))
	}
	if w.ID == "" {
		return nil, errors.New("creating bulk query job: Salesforce answered without a job id: cannot follow the job; run the query through REST")
	}
	j := &BulkJob{c: c, opts: opts}
	j.info, j.hasCount = w.info()
	if err := j.wait(ctx); err != nil {
		j.cleanup(ctx, !j.terminal())
		return nil, err
	}
	return j, nil
}

// ResumeBulkQuery reattaches to an existing completed query job and reads its results on from
// locator (a BulkBatch.Next); rowsBefore is how many rows were read before it (BulkBatch.RowsBefore
// of that page's end + rows of that page, i.e. the RowsBefore the next batch would carry). It
// reads the job's state (GET jobs/query/{jobID}) and makes no other request; Results then reads
// the locator chain from locator on (never /resultPages, whatever opts.ParallelPages says), its
// batches' RowsBefore going on from rowsBefore, and compares rowsBefore plus the rows it read with
// the job's numberRecordsProcessed at the end (ErrBulkRowCount). opts applies as for BulkQuery
// (MaxRecords, BatchRows, KeepJob, Timeout for results answered 412 or 204, ...); Operation plays
// no part.
//
// A job Salesforce no longer has (deleted, or older than the 7 days it keeps jobs) returns an
// error matching ErrNotFound: run the query again. A job that is not JobComplete returns an
// error (matching ErrBulkJobFailed or ErrBulkJobAborted when it is Failed or Aborted). jobID must
// be a Salesforce id (15 or 18 letters and digits) and locator neither empty nor "null" (the
// last page's): otherwise an error is returned and no request made. The locator is opaque; it
// travels URL-encoded as the locator query parameter.
func (c *Client) ResumeBulkQuery(ctx context.Context, jobID, locator string, rowsBefore int64, opts BulkOptions) (*BulkJob, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, fmt.Errorf("resuming bulk query job %q: %w", jobID, err)
	}
	switch {
	case !validJobID(jobID):
		return nil, fmt.Errorf("resuming bulk query job: %q is not a Salesforce job id (15 or 18 letters and digits, such as 750R0000000zlh9IAA)", jobID)
	case locator == "":
		return nil, fmt.Errorf("resuming bulk query job %s: the locator is empty: pass the Next of a batch with PageEnd set (\"\" there means the results ended, or no resume point)", jobID)
	case locator == "null":
		return nil, fmt.Errorf("resuming bulk query job %s: the locator is \"null\", which marks the last results page: there is nothing to read on from", jobID)
	case rowsBefore < 0:
		return nil, fmt.Errorf("resuming bulk query job %s: rowsBefore %d is negative", jobID, rowsBefore)
	}
	j := &BulkJob{c: c, opts: opts, info: BulkJobInfo{ID: jobID}, resumeFrom: locator, rowsBefore: rowsBefore}
	if err := j.refresh(ctx); err != nil {
		if ae := asAPIError(err); errors.Is(err, ErrNotFound) || ae != nil && ae.StatusCode == http.StatusNotFound {
			if !errors.Is(err, ErrNotFound) {
				err = fmt.Errorf("%w: %w", ErrNotFound, err)
			}
			return nil, fmt.Errorf("resuming bulk query job %s: Salesforce no longer has the job (deleted, or older than the 7 days it keeps jobs): %w; run the query again", jobID, err)
		}
		return nil, fmt.Errorf("resuming bulk query job %s: reading its state: %w", jobID, err)
	}
	in := j.Info()
	switch in.State {
	case BulkStateJobComplete:
	case BulkStateFailed:
		msg := cmp.Or(in.ErrorMessage, "(no errorMessage given)")
		return nil, fmt.Errorf("resuming bulk query job %s on %s: the job failed: %s: %w; run the query again", jobID, in.Object, msg, ErrBulkJobFailed)
	case BulkStateAborted:
		return nil, fmt.Errorf("resuming bulk query job %s on %s: the job was aborted: %w; run the query again", jobID, in.Object, ErrBulkJobAborted)
	default:
		return nil, fmt.Errorf("resuming bulk query job %s on %s: the job is in state %q, not JobComplete: only a completed job's results can be read on; run the query again", jobID, in.Object, in.State)
	}
	if processed, known := j.processed(); known && rowsBefore > processed {
		return nil, fmt.Errorf("resuming bulk query job %s on %s: %d rows were read before, but the job processed only %d: %w; run the query again",
			jobID, in.Object, rowsBefore, processed, ErrBulkRowCount)
	}
	return j, nil
}

// validJobID reports whether id has the shape of a Salesforce id: 15 or 18 ASCII letters and digits.
func validJobID(id string) bool {
	if len(id) != 15 && len(id) != 18 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	return true
}

func (o BulkOptions) normalize() (BulkOptions, error) {
	switch o.Operation {
	case "":
		o.Operation = "query"
	case "query", "queryAll":
	default:
		return o, fmt.Errorf("operation %q is not a Bulk query operation: use \"query\" or \"queryAll\"", o.Operation)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultBulkPollInterval
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = DefaultBulkMaxPollInterval
	}
	o.MaxPollInterval = max(o.MaxPollInterval, o.PollInterval)
	if o.Timeout <= 0 {
		o.Timeout = DefaultBulkTimeout
	}
	if o.MaxRecords < 0 {
		return o, fmt.Errorf("MaxRecords %d is negative: use 0 for Salesforce's default page size", o.MaxRecords)
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBulkBatchRows
	}
	o.ParallelPages = min(max(o.ParallelPages, 0), maxParallelPages)
	return o, nil
}

// bulkCreateError tags a refused job creation with the fallback sentinel it matches, while
// errors.As still finds the *APIError.
type bulkCreateError struct {
	ae   *APIError
	kind error
}

func (e *bulkCreateError) Error() string   { return e.ae.Error() }
func (e *bulkCreateError) Unwrap() []error { return []error{e.ae, e.kind} }

// classifyBulkCreate marks creation errors after which a REST query is the way forward.
func classifyBulkCreate(err error) error {
	ae := asAPIError(err)
	if ae == nil || errors.Is(ae, ErrConcurrentLimit) {
		return err // the concurrent limit refuses REST the same way: nothing Bulk-specific
	}
	msg := strings.ToLower(ae.Message)
	var kind error
	switch {
	case strings.Contains(msg, "not supported"), ae.ErrorCode == "INVALIDJOB", ae.ErrorCode == CodeMalformedQuery:
		kind = ErrBulkUnsupported
	case ae.ErrorCode == CodeLimitExceeded, ae.ErrorCode == CodeRequestLimitExceeded, ae.ErrorCode == CodeAPIError,
		ae.ErrorCode == "EXCEEDED_QUOTA", strings.Contains(msg, "max bulk"),
		strings.Contains(msg, "limit") && (strings.Contains(msg, "reached") || strings.Contains(msg, "exceeded")):
		kind = ErrBulkLimitExceeded
	default:
		return err
	}
	if ae.Hint == "" {
		ae.Hint = "Bulk API 2.0 cannot run this query: run it through the REST query API instead"
	}
	return &bulkCreateError{ae: ae, kind: kind}
}

// Info returns what Salesforce last reported about the job.
func (j *BulkJob) Info() BulkJobInfo {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.info
}

// processed returns numberRecordsProcessed and whether the job reported it.
func (j *BulkJob) processed() (int64, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.info.NumberRecordsProcessed, j.hasCount
}

func (j *BulkJob) terminal() bool {
	switch j.Info().State {
	case BulkStateJobComplete, BulkStateFailed, BulkStateAborted:
		return true
	}
	return false
}

func (j *BulkJob) path(suffix string) string {
	return j.c.dataPath("jobs/query/" + url.PathEscape(j.Info().ID) + suffix)
}

// errPollDeadline is the cause of the poll context ending at BulkOptions.Timeout.
var errPollDeadline = errors.New("bulk job poll deadline")

// pollWait is the wait before the next status check of a job that has run for elapsed: a
// quarter of elapsed, at least first and at most most. So a job is seen complete at most a
// quarter of its running time (and at most most) after it completed, with a number of checks
// that grows with the logarithm of its running time. (Doubling the wait, as before, saw a 62 s
// job at 91 s: at a real org's latency the wait for Bulk jobs is most of a first load.)
func pollWait(elapsed, first, most time.Duration) time.Duration {
	return min(max(elapsed/4, first), most)
}

// wait polls the job (see pollWait) until it is JobComplete, fails, or the timeout passes.
func (j *BulkJob) wait(ctx context.Context) error {
	pctx, cancel := context.WithTimeoutCause(ctx, j.opts.Timeout, errPollDeadline)
	defer cancel()
	start := time.Now()
	interval := j.opts.PollInterval
	for {
		in := j.Info()
		switch in.State {
		case BulkStateJobComplete:
			return nil
		case BulkStateFailed:
			msg := in.ErrorMessage
			if msg == "" {
				msg = "(no errorMessage given)"
			}
			return fmt.Errorf("bulk query job %s on %s failed: %s: %w; fix the query or run it through REST", in.ID, in.Object, msg, ErrBulkJobFailed)
		case BulkStateAborted:
			return fmt.Errorf("bulk query job %s on %s was aborted while it ran (by a user or another process): %w; run the query again", in.ID, in.Object, ErrBulkJobAborted)
		case BulkStateUploadComplete, BulkStateInProgress:
		default:
			j.c.log.WarnContext(ctx, "bulk query job in an unknown state, still waiting", "job", in.ID, "state", in.State)
		}
		err := sleep(pctx, interval)
		if err == nil {
			err = j.refresh(pctx)
			interval = pollWait(time.Since(start), j.opts.PollInterval, j.opts.MaxPollInterval)
		}
		if err != nil {
			if ctx.Err() == nil && errors.Is(context.Cause(pctx), errPollDeadline) {
				return fmt.Errorf("bulk query job %s on %s still %s after %s; it was aborted: %w; raise BulkOptions.Timeout, narrow the query (a date window), or run it through REST",
					in.ID, in.Object, j.Info().State, j.opts.Timeout, ErrBulkJobTimeout)
			}
			if ctx.Err() != nil {
				return fmt.Errorf("waiting for bulk query job %s: %w", in.ID, ctx.Err())
			}
			return fmt.Errorf("checking bulk query job %s: %w", in.ID, err)
		}
	}
}

// refresh reads the job's state.
func (j *BulkJob) refresh(ctx context.Context) error {
	var w bulkJobWire
	if _, err := j.c.getJSON(ctx, j.path(""), nil, &w); err != nil {
		return err
	}
	j.set(&w)
	return nil
}

func (j *BulkJob) set(w *bulkJobWire) {
	in, has := w.info()
	j.mu.Lock()
	defer j.mu.Unlock()
	if in.ID == "" {
		in.ID = j.info.ID
	}
	j.info, j.hasCount = in, has
}

// Abort asks Salesforce to stop the job (PATCH {"state":"Aborted"}). A job that already
// finished cannot be aborted; delete it instead (Results does that at its end unless
// BulkOptions.KeepJob keeps it).
func (j *BulkJob) Abort(ctx context.Context) error {
	var w bulkJobWire
	_, err := j.c.send(ctx, call{method: http.MethodPatch, path: j.path(""), body: []byte(`{"state":"Aborted"}`), auth: true,
		header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
		decode: func(_ *http.Response, b []byte) error {
			if len(bytes.TrimSpace(b)) == 0 {
				return nil
			}
			return json.Unmarshal(b, &w)
		}})
	if err != nil {
		return fmt.Errorf("aborting bulk query job %s: %w", j.Info().ID, err)
	}
	if w.State != "" {
		j.set(&w)
	}
	return nil
}

// DeleteBulkJob deletes a query job (one kept with BulkOptions.KeepJob) within ctx. A job
// Salesforce no longer has is not an error. To clean up after a load, even a cancelled one, use
// DeleteBulkJobs.
func (c *Client) DeleteBulkJob(ctx context.Context, jobID string) error {
	if !validJobID(jobID) {
		return fmt.Errorf("deleting bulk query job: %q is not a Salesforce job id (15 or 18 letters and digits)", jobID)
	}
	_, err := c.send(ctx, call{method: http.MethodDelete, path: c.dataPath("jobs/query/" + jobID), auth: true})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("deleting bulk query job %s: %w", jobID, err)
	}
	return nil
}

// DeleteBulkJobs deletes query jobs whose rows the caller has stored (jobs kept with KeepJob and
// KeepReadJob so that a crash before the commit could read on), best effort: each job is tried
// in turn whatever happened to the others. The deletes run even when ctx is cancelled, so a
// cancelled load still removes the jobs of what it committed; they run on ctx's values with a
// deadline of their own, BulkDeleteTimeout for them all. It returns one error per job left
// behind, in the order of ids, each naming its job (nil when all are gone), and does not log
// them: a job left behind costs nothing but storage until Salesforce deletes it after 7 days,
// so the caller reports it as a warning, not a failure.
func (c *Client) DeleteBulkJobs(ctx context.Context, ids ...string) []error {
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), BulkDeleteTimeout)
	defer cancel()
	var errs []error
	for _, id := range ids {
		if err := c.DeleteBulkJob(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// cleanup aborts (when asked) and deletes the job, best effort, on a context that survives the
// caller's cancellation but not for long.
func (j *BulkJob) cleanup(ctx context.Context, abort bool) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bulkCleanupTimeout)
	defer cancel()
	id := j.Info().ID
	if abort {
		if err := j.Abort(cctx); err != nil {
			j.c.log.WarnContext(ctx, "could not abort bulk query job", "job", id, "error", err)
		}
	}
	_, err := j.c.send(cctx, call{method: http.MethodDelete, path: j.path(""), auth: true})
	if err != nil && !errors.Is(err, ErrNotFound) {
		j.c.log.WarnContext(ctx, "could not delete bulk query job; Salesforce deletes it after 7 days", "job", id, "error", err)
	}
}

// Results yields the job's rows in order, batch by batch, then deletes the job (unless
// BulkOptions.KeepJob and KeepReadJob keep it for the caller to delete with DeleteBulkJobs).
// Iteration stops at the first error (yielded with a nil batch) or when the loop breaks; the job
// is then deleted too, unless BulkOptions.KeepJob keeps it for ResumeBulkQuery. Results can be
// ranged over once. Pages cut off mid-body are requested again by the same locator and the rows
// already yielded are skipped; the row counts are checked against Sforce-NumberOfRecords and the
// job's numberRecordsProcessed (ErrBulkRowCount). Each results page ends with a batch whose
// PageEnd is set (see BulkBatch).
func (j *BulkJob) Results(ctx context.Context) iter.Seq2[*BulkBatch, error] {
	return func(yield func(*BulkBatch, error) bool) {
		j.mu.Lock()
		claimed := j.claimed
		j.claimed = true
		j.mu.Unlock()
		if claimed {
			yield(nil, fmt.Errorf("bulk query job %s: Results was already called (a job is read once; ResumeBulkQuery reads a kept job on)", j.Info().ID))
			return
		}
		r := &resultReader{j: j, yield: yield, batch: &BulkBatch{}, sc: newCSVScanner(nil), total: j.rowsBefore, rows: j.rowsBefore}
		var err error
		keep := false
		defer func() {
			if keep {
				j.c.log.InfoContext(ctx, "bulk query job kept to read on later (KeepJob)", "job", j.Info().ID, "rows_read", r.rows, "stopped_by_consumer", r.stopped)
				return
			}
			j.cleanup(ctx, false)
		}()
		err = errNoResultPages
		switch {
		case j.resumeFrom != "":
			if j.opts.ParallelPages > 0 {
				j.c.log.DebugContext(ctx, "resumed bulk query job: reading the locator chain, not resultPages", "job", j.Info().ID)
			}
		case j.opts.ParallelPages > 0:
			err = r.parallel(ctx)
		}
		if errors.Is(err, errNoResultPages) {
			err = r.locatorChain(ctx, j.resumeFrom)
		}
		if r.stopped {
			keep = j.opts.KeepJob
			return
		}
		in := j.Info()
		if processed, known := j.processed(); err == nil && known && r.total != processed {
			resumed := ""
			if j.resumeFrom != "" {
				resumed = fmt.Sprintf(" (%d of them before the job was resumed)", j.rowsBefore)
			}
			err = fmt.Errorf("bulk query job %s: received %d rows%s, the job processed %d: %w; run the query again",
				in.ID, r.total, resumed, processed, ErrBulkRowCount)
		}
		if err == nil {
			keep = j.opts.KeepJob && j.opts.KeepReadJob
		}
		if err != nil {
			keep = j.opts.KeepJob && readOnPossible(err)
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			yield(nil, fmt.Errorf("reading results of bulk query job %s: %w", in.ID, err))
		}
	}
}

// readOnPossible reports whether a later process could read a job on past err. Not when the
// results themselves are wrong (row counts, malformed CSV) or Salesforce refuses the locator:
// reading on would meet the same failure again, so the job had better go and the query run anew.
func readOnPossible(err error) bool {
	var se *csvSyntaxError
	return !errors.Is(err, ErrBulkRowCount) && !errors.As(err, &se) && !errors.Is(err, ErrInvalidQueryLocator)
}

// resultReader streams result pages into batches.
type resultReader struct {
	j       *BulkJob
	yield   func(*BulkBatch, error) bool
	batch   *BulkBatch
	scratch []string // slot for rows skipped after a cut
	carry   []string // slot for the row read after a full batch, before the batch is yielded
	sc      *csvScanner
	total   int64 // rows of the pages read whole (and of an earlier process, when resumed)
	rows    int64 // rows yielded (and read by an earlier process, when resumed)
	stopped bool  // the consumer broke the loop
}

// emit yields the batch; end marks the page's last batch, next is then where the following page
// starts. It reports whether the consumer wants more.
func (r *resultReader) emit(end bool, next string) bool {
	b := r.batch
	b.PageEnd, b.Next, b.RowsBefore = end, "", r.rows
	if end {
		b.Next = next
	}
	r.rows += int64(len(b.Rows))
	if !r.yield(b, nil) {
		r.stopped = true
		return false
	}
	return true
}

// errPageCut marks a page whose body ended early; the page is requested again.
var errPageCut = errors.New("results page cut off")

// pageResp is a results page's headers and body.
type pageResp struct {
	body    io.ReadCloser
	expect  int64 // Sforce-NumberOfRecords, -1 when absent
	locator string
	empty   bool   // 204 answered for a job with no rows
	size    int64  // Content-Length, -1 when unknown
	buf     []byte // a page read whole (prefetch): its bytes, from pageBufs, until release
}

// release hands a page read whole back to pageBufs once it has been parsed: the CSV scanner
// copies every record out of it, so nothing refers to it any more. A page downloaded in
// parallel is 1-5 MB; reading each into a new slice was most of a Bulk load's garbage.
func (p *pageResp) release() {
	if p == nil || p.buf == nil {
		return
	}
	b := p.buf[:0]
	p.buf, p.body = nil, nil
	pageBufs.Put(&b)
}

// fetch GETs a results page. It waits and asks again while Salesforce answers 412
// JOB_NOT_COMPLETE or 204, for at most BulkOptions.Timeout, and retries HTML edge pages.
func (r *resultReader) fetch(ctx context.Context, path string) (*pageResp, error) {
	j, c := r.j, r.j.c
	deadline := time.Now().Add(j.opts.Timeout)
	interval := j.opts.PollInterval
	htmlRetries := 0
	for {
		resp, err := c.send(ctx, call{method: http.MethodGet, path: path, auth: true, stream: true,
			header: http.Header{"Accept": {"text/csv"}}})
		notReady := false
		switch {
		case err != nil:
			ae := asAPIError(err)
			if ae == nil || (ae.StatusCode != http.StatusPreconditionFailed && ae.ErrorCode != CodeJobNotComplete) {
				return nil, err
			}
			notReady = true
		case resp.StatusCode == http.StatusNoContent:
			resp.Body.Close()
			if processed, known := j.processed(); known && processed == 0 {
				return &pageResp{empty: true, expect: 0}, nil
			}
			notReady = true
		case isHTML(resp.Header):
			resp.Body.Close()
			if htmlRetries++; htmlRetries > c.maxRetries {
				return nil, fmt.Errorf("GET %s: Salesforce kept answering an HTML page instead of CSV: %w", path, ErrServerUnavailable)
			}
			if err := c.backoff(ctx, htmlRetries, errors.New("HTML page instead of CSV")); err != nil {
				return nil, err
			}
			continue
		}
		if notReady {
			wait := min(interval, time.Until(deadline))
			if wait <= 0 {
				return nil, fmt.Errorf("GET %s: results still not ready after %s (HTTP 412 or 204): %w", path, j.opts.Timeout, ErrBulkJobTimeout)
			}
			c.log.DebugContext(ctx, "bulk results not ready yet, waiting", "path", path, "wait", wait)
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			interval = min(2*interval, j.opts.MaxPollInterval)
			continue
		}
		p := &pageResp{body: resp.Body, expect: -1, locator: resp.Header.Get("Sforce-Locator"), size: resp.ContentLength}
		if n := strings.TrimSpace(resp.Header.Get("Sforce-NumberOfRecords")); n != "" {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil || v < 0 {
				resp.Body.Close()
				return nil, fmt.Errorf("GET %s: Sforce-NumberOfRecords %q is not a row count", path, n)
			}
			p.expect = v
		}
		return p, nil
	}
}

func isHTML(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "text/html"
}

// stream parses one page body. done is the number of this page's rows the consumer has
// already seen (from an earlier, cut-off attempt): they are skipped. next is where the following
// page starts, for the page's last batch. It returns the rows of the page seen by the consumer
// now; errors wrapping errPageCut mean "request the page again".
//
// A full batch is yielded only once the row after it is read (or the page ends), so that the
// page's last batch is known to be the last when it is yielded (PageEnd).
func (r *resultReader) stream(body io.Reader, page int, expect, done int64, next string) (int64, error) {
	r.sc.reset(body)
	b := r.batch
	b.Page, b.Rows = page, b.Rows[:0]
	header, err := r.sc.readRecord(b.Header)
	switch {
	case err == io.EOF && done > 0:
		return done, fmt.Errorf("page %d came back empty after %d of its rows were read: %w", page, done, errPageCut)
	case err == io.EOF && expect <= 0:
		r.emit(true, next) // an empty page
		return 0, nil
	case err == io.EOF:
		return done, fmt.Errorf("page %d has no header row but announced %d rows: %w", page, expect, errPageCut)
	case err != nil:
		return done, pageErr(page, err)
	}
	b.Header = header
	seen := done // rows of the page the consumer has seen
	var n int64  // rows of the page read
	for {
		full := len(b.Rows) >= r.j.opts.BatchRows
		var slot []string
		switch {
		case n < done:
			slot = r.scratch
		case full:
			slot = r.carry
		case len(b.Rows) < cap(b.Rows):
			slot = b.Rows[:len(b.Rows)+1][len(b.Rows)]
		}
		row, err := r.sc.readRecord(slot)
		if err == io.EOF {
			break
		}
		if err != nil {
			return seen, pageErr(page, err)
		}
		n++
		if n <= done {
			r.scratch = row
			continue
		}
		if expect >= 0 && n > expect {
			return seen, fmt.Errorf("page %d has more rows than its Sforce-NumberOfRecords %d: %w", page, expect, ErrBulkRowCount)
		}
		if !full {
			b.Rows = append(b.Rows, row)
			continue
		}
		// A row follows the full batch: the batch is not the page's last.
		if !r.emit(false, "") {
			return n - 1, nil
		}
		seen = n - 1
		b.Rows = b.Rows[:1]
		b.Rows[0], r.carry = row, b.Rows[0]
	}
	if expect >= 0 && n < expect {
		return seen, fmt.Errorf("page %d ended after %d of its %d rows: %w", page, n, expect, errPageCut)
	}
	r.emit(true, next)
	return max(n, done), nil
}

// pageErr maps a CSV error: malformed CSV is fatal, anything else means the body was cut off.
func pageErr(page int, err error) error {
	var se *csvSyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("page %d: %w; the results are not the CSV Bulk API 2.0 writes", page, err)
	}
	return fmt.Errorf("page %d: %w: %w", page, errPageCut, err)
}

// readPage reads one page to the end, requesting it again (skipping what was yielded) when its
// body is cut off. first, when set, is an already fetched first attempt. follow is the locator of
// the page after it when known otherwise (parallel mode: from the next page URL): it stands in
// for a missing or "null" Sforce-Locator in the page's last batch's Next. It returns the page's
// Sforce-Locator.
func (r *resultReader) readPage(ctx context.Context, page int, path string, first *pageResp, follow string) (locator string, err error) {
	c := r.j.c
	var done int64
	attempts := 0
	for {
		p := first
		first = nil
		if p == nil {
			if p, err = r.fetch(ctx, path); err != nil {
				return "", fmt.Errorf("page %d: %w", page, err)
			}
		}
		if p.empty {
			r.batch.Page, r.batch.Rows = page, r.batch.Rows[:0]
			r.emit(true, "")
			return "", nil
		}
		next := p.locator
		if next == "" || next == "null" {
			next = follow
		}
		seen, err := r.stream(p.body, page, p.expect, done, next)
		p.body.Close()
		if err == nil || r.stopped {
			r.total += seen
			return p.locator, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if !errors.Is(err, errPageCut) {
			return "", err
		}
		if seen > done {
			attempts = 0 // progress was made: a long page on a flaky line is not a failure
		}
		done = seen
		if attempts++; attempts > c.maxRetries {
			return "", fmt.Errorf("giving up after %d attempts: %w", attempts, err)
		}
		c.log.WarnContext(ctx, "bulk results page cut off, requesting it again", "page", page, "rows_already_read", done, "attempt", attempts, "error", err)
		if err := c.backoff(ctx, attempts, err); err != nil {
			return "", err
		}
	}
}

// locatorChain reads the pages one by one, from the page at locator from ("" for the first),
// following Sforce-Locator until "null" (or none).
func (r *resultReader) locatorChain(ctx context.Context, from string) error {
	q := url.Values{}
	if from != "" {
		q.Set("locator", from)
	}
	for page := 1; ; page++ {
		if r.j.opts.MaxRecords > 0 {
			q.Set("maxRecords", strconv.Itoa(r.j.opts.MaxRecords))
		}
		path := r.j.path("/results")
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		next, err := r.readPage(ctx, page, path, nil, "")
		if err != nil || r.stopped {
			return err
		}
		if next == "" || next == "null" {
			return nil
		}
		if next == q.Get("locator") {
			return fmt.Errorf("page %d: Sforce-Locator %q repeats the page just read: stopping to avoid a loop", page, next)
		}
		q.Set("locator", next)
	}
}

// errNoResultPages: the server does not serve /resultPages (API before v58.0): use the locator chain.
var errNoResultPages = errors.New("resultPages not served")

// resultPageSet is one answer of /resultPages. Salesforce's documentation spells the next-set
// link both nextRecordUrl and nextRecordsUrl, and the entries' key resultUrl or resultLink:
// every spelling is accepted, as are bare strings.
type resultPageSet struct {
	urls []string
	next string
	done bool
}

func (r *resultReader) listPages(ctx context.Context, path string) (*resultPageSet, error) {
	var w struct {
		ResultPages    []json.RawMessage `json:"resultPages"`
		NextRecordURL  string            `json:"nextRecordUrl"`
		NextRecordsURL string            `json:"nextRecordsUrl"`
		Done           bool              `json:"done"`
	}
	if _, err := r.j.c.getJSON(ctx, path, nil, &w); err != nil {
		return nil, err
	}
	set := &resultPageSet{next: w.NextRecordURL, done: w.Done}
	if set.next == "" {
		set.next = w.NextRecordsURL
	}
	for i, raw := range w.ResultPages {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var o struct {
				ResultURL  string `json:"resultUrl"`
				ResultLink string `json:"resultLink"`
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				return nil, fmt.Errorf("resultPages entry %d is neither a URL nor an object with resultUrl: %w", i+1, err)
			}
			s = cmp.Or(o.ResultURL, o.ResultLink)
		}
		if s == "" {
			return nil, fmt.Errorf("resultPages entry %d has no resultUrl: cannot read that page", i+1)
		}
		set.urls = append(set.urls, s)
	}
	if !set.done && set.next == "" {
		return nil, errors.New("resultPages said done=false without a nextRecordsUrl: cannot list the remaining pages")
	}
	return set, nil
}

// pageList walks the page URLs of /resultPages in order, listing the next set when one is used up.
type pageList struct {
	r   *resultReader
	set *resultPageSet
	i   int
}

// next returns the following page URL, "" after the last.
func (l *pageList) next(ctx context.Context) (string, error) {
	for l.i >= len(l.set.urls) {
		if l.set.done {
			return "", nil
		}
		link := l.set.next
		set, err := l.r.listPages(ctx, link)
		if err != nil {
			return "", fmt.Errorf("listing result pages at %s: %w", link, err)
		}
		l.set, l.i = set, 0
		if len(set.urls) == 0 && !set.done {
			return "", fmt.Errorf("listing result pages at %s: no pages, but done=false: cannot list the remaining pages", link)
		}
	}
	u := l.set.urls[l.i]
	l.i++
	return u, nil
}

// locatorParam returns the locator query parameter of a page URL ("" when it has none).
func locatorParam(pageURL string) string {
	u, err := url.Parse(pageURL)
	if err != nil {
		return ""
	}
	if loc := u.Query().Get("locator"); loc != "null" {
		return loc
	}
	return ""
}

// prefetched is a page read whole into memory by a parallel download. follow is the locator
// parameter of the page URL after it, "" when there is none (or none is known).
type prefetched struct {
	url    string
	follow string
	page   *pageResp
	err    error
}

// prefetch downloads a page completely, requesting it again when the body is cut off (nothing
// of it was yielded yet, so nothing needs skipping).
func (r *resultReader) prefetch(ctx context.Context, path string) (*pageResp, error) {
	c := r.j.c
	for attempt := 1; ; attempt++ {
		p, err := r.fetch(ctx, path)
		if err != nil || p.empty {
			return p, err
		}
		data, err := readPooled(p.body, p.size)
		p.body.Close()
		if err == nil {
			p.buf, p.body = data, io.NopCloser(bytes.NewReader(data))
			return p, nil
		}
		data = data[:0]
		pageBufs.Put(&data)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt > c.maxRetries {
			return nil, fmt.Errorf("GET %s: body cut off %d times: %w", path, attempt, err)
		}
		c.log.WarnContext(ctx, "bulk results page cut off, requesting it again", "path", path, "attempt", attempt, "error", err)
		if err := c.backoff(ctx, attempt, err); err != nil {
			return nil, err
		}
	}
}

// parallel downloads the pages listed by /resultPages with up to ParallelPages requests at a
// time and parses them in order. A page is held in memory from its download until it has been
// yielded; at most ParallelPages pages are downloaded or waiting at once.
func (r *resultReader) parallel(ctx context.Context) error {
	list := r.j.path("/resultPages")
	if r.j.opts.MaxRecords > 0 {
		// The listed pages' size: without it Salesforce chooses, and each page in flight is
		// held in memory.
		list += "?maxRecords=" + strconv.Itoa(r.j.opts.MaxRecords)
	}
	set, err := r.listPages(ctx, list)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			r.j.c.log.DebugContext(ctx, "bulk resultPages not served, reading the locator chain", "job", r.j.Info().ID)
			return errNoResultPages
		}
		return fmt.Errorf("listing result pages: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	slots := make(chan struct{}, r.j.opts.ParallelPages)
	pending := make(chan chan prefetched, r.j.opts.ParallelPages)
	producerDone := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		cancel()
		<-producerDone
		wg.Wait()
	}()
	go func() {
		defer close(producerDone)
		defer close(pending)
		// The producer looks one page URL ahead: a page's last batch carries the next page's
		// locator when the page has no Sforce-Locator of its own.
		list := &pageList{r: r, set: set}
		u, err := list.next(ctx)
		for u != "" {
			after, lerr := list.next(ctx)
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			ch := make(chan prefetched, 1)
			wg.Add(1)
			go func(u, follow string) {
				defer wg.Done()
				p, err := r.prefetch(ctx, u)
				ch <- prefetched{url: u, follow: follow, page: p, err: err}
			}(u, locatorParam(after))
			select {
			case pending <- ch:
			case <-ctx.Done():
				return
			}
			u, err = after, lerr
		}
		if err != nil {
			ch := make(chan prefetched, 1)
			ch <- prefetched{err: err}
			select {
			case pending <- ch:
			case <-ctx.Done():
			}
		}
	}()
	page := 0
	for ch := range pending {
		f := <-ch
		if f.err != nil {
			return f.err
		}
		page++
		_, err := r.readPage(ctx, page, f.url, f.page, f.follow)
		f.page.release()
		<-slots
		if err != nil || r.stopped {
			return err
		}
	}
	return ctx.Err()
}

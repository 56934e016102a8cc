package salesforcetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/soql"
)

// Bulk API 2.0 query jobs (jobs/query). A job is created UploadComplete; its rows are counted in
// the background (a rowSource, which keeps no rows); polls of the job move it to InProgress and
// then, once counted, after Options.BulkJobPolls polls, Options.BulkJobDelay and the job time of
// Options.Latency, to JobComplete (or Failed, per Faults). Results are read from the org's
// cursors page by page.

// Bulk defaults.
const (
	defaultBulkPageSize = 50_000 // rows per results page without maxRecords
	bulkJobsMax         = 10_000 // DailyBulkV2QueryJobs Max
	minBulkVersion      = 47     // query jobs exist from API 47.0
	minResultPagesVer   = 58     // GET .../resultPages exists from API 58.0
	resultPagesPerSet   = 5      // resultUrl entries per resultPages response
)

// Job states.
const (
	stateUploadComplete = "UploadComplete"
	stateInProgress     = "InProgress"
	stateJobComplete    = "JobComplete"
	stateFailed         = "Failed"
	stateAborted        = "Aborted"
)

// bulkState is the server's Bulk API 2.0 bookkeeping.
type bulkState struct {
	mu      sync.Mutex
	jobs    map[string]*bulkJob
	order   []*bulkJob // creation order, for the job list
	seq     int
	created int // jobs created (DailyBulkV2QueryJobs)
	ctx     context.Context
	cancel  context.CancelFunc
}

// bulkJob is one query job.
type bulkJob struct {
	id, operation, object, query string
	ver                          int
	seq                          int
	format                       csvFormat
	delimName, eolName           string
	created                      time.Time // org clock, for createdDate
	started                      time.Time // wall clock, for Options.BulkJobDelay and Latency's job time
	q                            *soql.Query
	cols                         []column

	counted chan struct{} // closed when src or countErr is set
	src     *rowSource
	cerr    error
	cancel  context.CancelFunc

	// Guarded by bulkState.mu.
	state    string
	polls    int
	modstamp time.Time
	errMsg   string
	fail     bool   // decided at creation: the job ends Failed (Faults.BulkJobFailRate)
	stuck    bool   // decided at creation: the job never leaves InProgress (Faults.BulkJobStuck)
	entity   bool   // the object is in Options.BulkUnsupported (or external): the job ends Failed
	refused  string // the errorMessage of a query the org refuses when it runs: the job ends Failed
	deleted  bool
}

func (s *Server) bulkInit() {
	s.bulk.jobs = map[string]*bulkJob{}
	s.bulk.ctx, s.bulk.cancel = context.WithCancel(context.Background())
}

// bulkRoutes are the jobs/query resources, added to the REST route table.
func bulkRoutes() []route {
	return []route{
		{http.MethodPost, "jobs/query", (*Server).serveBulkCreate},
		{http.MethodGet, "jobs/query", (*Server).serveBulkList},
		{http.MethodGet, "jobs/query/{id}", (*Server).serveBulkInfo},
		{http.MethodPatch, "jobs/query/{id}", (*Server).serveBulkAbort},
		{http.MethodDelete, "jobs/query/{id}", (*Server).serveBulkDelete},
		{http.MethodGet, "jobs/query/{id}/results", (*Server).serveBulkResults},
		{http.MethodGet, "jobs/query/{id}/resultPages", (*Server).serveBulkResultPages},
	}
}

// bulkCreateRequest is the body of POST jobs/query.
type bulkCreateRequest struct {
	Operation       string `json:"operation"`
	Query           string `json:"query"`
	ContentType     string `json:"contentType"`
	ColumnDelimiter string `json:"columnDelimiter"`
	LineEnding      string `json:"lineEnding"`
}

func (s *Server) serveBulkCreate(c *reqCtx) {
	if c.ver < minBulkVersion {
		restError(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	var req bulkCreateRequest
	dec := json.NewDecoder(c.r.Body)
	if err := dec.Decode(&req); err != nil {
		restError(c.w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Cannot deserialize the request body as a query job: "+err.Error())
		return
	}
	c.call.SOQL = req.Query
	if s.soqlTooLong(c.w, req.Query) {
		return
	}
	if req.Operation != "query" && req.Operation != "queryAll" {
		restError(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("Invalid operation '%s': a query job's operation is query or queryAll", req.Operation))
		return
	}
	if req.ContentType != "" && req.ContentType != "CSV" {
		restError(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("Invalid contentType '%s': query jobs only produce CSV", req.ContentType))
		return
	}
	delimName := req.ColumnDelimiter
	if delimName == "" {
		delimName = "COMMA"
	}
	delim, ok := csvDelimiters[delimName]
	if !ok {
		restError(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("Invalid columnDelimiter '%s': use COMMA, TAB, SEMICOLON, PIPE, CARET or BACKQUOTE", delimName))
		return
	}
	eolName := req.LineEnding
	if eolName == "" {
		eolName = "LF"
	}
	eol := map[string]string{"LF": "\n", "CRLF": "\r\n"}[eolName]
	if eol == "" {
		restError(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("Invalid lineEnding '%s': use LF or CRLF", eolName))
		return
	}
	f := s.currentFaults()
	s.bulk.mu.Lock()
	created := s.bulk.created
	s.bulk.mu.Unlock()
	if created >= bulkJobsMax || f.BulkJobsLimit > 0 && created >= f.BulkJobsLimit {
		restError(c.w, http.StatusBadRequest, "LIMIT_EXCEEDED", "Max bulk v2 query jobs (10000) per 24 hrs has been reached")
		return
	}
	q, obj, msg, err := s.checkBulkSOQL(req.Query)
	if err != nil {
		queryError(c.w, err)
		return
	}
	if msg != "" {
		restError(c.w, http.StatusBadRequest, codeBulkAPIError, msg)
		return
	}
	refusal, atRun := s.queryRefusal(q)
	if refusal != nil && !atRun {
		queryError(c.w, refusal)
		return
	}

	now := s.org.Now()
	job := &bulkJob{
		operation: req.Operation, object: obj, query: req.Query, ver: c.ver, q: q,
		format: csvFormat{delim: delim, eol: eol}, delimName: delimName, eolName: eolName,
		created: now, modstamp: now, started: s.wallNow(), state: stateUploadComplete,
		counted: make(chan struct{}),
	}
	objDesc, _ := s.org.Object(obj)
	job.cols = columnsOf(objDesc, q.Fields)
	s.mu.Lock()
	job.fail = f.BulkJobFailRate > 0 && s.rng.Float64() < f.BulkJobFailRate
	s.mu.Unlock()
	job.stuck = f.BulkJobStuck
	job.entity = s.bulkUnsupportedObject(obj)
	if refusal != nil {
		job.refused = "Failed to process query: " + refusal.Code + ": " + refusal.Message
	}
	s.bulk.mu.Lock()
	s.bulk.seq++
	s.bulk.created++
	job.seq = s.bulk.seq
	job.id = id18("750Sf" + base62(job.seq, 10))
	s.bulk.jobs[job.id] = job
	s.bulk.order = append(s.bulk.order, job)
	ctx, cancel := context.WithCancel(s.bulk.ctx)
	job.cancel = cancel
	s.bulk.mu.Unlock()

	all := req.Operation == "queryAll"
	gen := s.cacheGen()
	if src := s.cachedSource(req.Query, all); src != nil || job.entity || job.refused != "" {
		job.src = src // nil for an unsupported object or a refused query: the job fails without reading
		close(job.counted)
	} else {
		go func() {
			defer close(job.counted)
			src, err := newRowSource(ctx, s.org, q, objDesc, all)
			if err != nil {
				job.cerr = err
				return
			}
			job.src = src
			s.keepSource(req.Query, all, src, gen)
		}()
	}
	writeRaw(c.w, http.StatusOK, s.jobInfo(job, false))
}

// checkBulkSOQL checks a job's query: Bulk's own refusals (returned as msg), then the parser's and
// the schema's errors (err), then the field types Bulk cannot select.
func (s *Server) checkBulkSOQL(text string) (q *soql.Query, object, msg string, err error) {
	if strings.TrimSpace(text) == "" {
		return nil, "", "", &soql.Error{Code: soql.CodeMalformedQuery, Message: "A query string has to be specified"}
	}
	if m := bulkUnsupported(text); m != "" {
		return nil, "", m, nil
	}
	q, err = soql.Parse(text)
	if err != nil {
		return nil, "", "", err
	}
	if q.Count {
		return nil, "", msgBulkAggregate, nil
	}
	q.Now = s.org.Now
	if err := q.Check(schema{s.org}); err != nil {
		return nil, "", "", err
	}
	obj, ok := s.org.Object(q.From)
	if !ok {
		return nil, "", "", &soql.Error{Code: soql.CodeInvalidType, Message: fmt.Sprintf("sObject type '%s' is not supported.", q.From)}
	}
	for _, name := range q.Fields {
		if f, ok := obj.Field(name); ok && bulkUnselectable(f.Type) {
			return nil, "", msgBulkCompound, nil
		}
	}
	return q, obj.Name, "", nil
}

// job finds a job by the {id} path parameter, answering 404 when there is none.
func (s *Server) job(c *reqCtx) *bulkJob {
	s.bulk.mu.Lock()
	job := s.bulk.jobs[c.params["id"]]
	if job != nil && job.deleted {
		job = nil
	}
	s.bulk.mu.Unlock()
	if job == nil {
		restError(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return nil
	}
	c.call.SOQL = job.query
	return job
}

// advance moves a job along its states; poll says whether this is a poll of the job info.
// s.bulk.mu must be held.
func (s *Server) advanceLocked(job *bulkJob, poll bool) {
	switch job.state {
	case stateJobComplete, stateFailed, stateAborted:
		return
	}
	if poll {
		job.polls++
	}
	if job.polls == 0 {
		return
	}
	if job.state != stateInProgress {
		job.state = stateInProgress
		job.modstamp = s.org.Now()
	}
	need := s.opts.BulkJobPolls
	if need == 0 {
		need = 1
	}
	if job.stuck || job.polls <= need {
		return
	}
	select {
	case <-job.counted:
	default:
		return // still counting: a big job takes a while, as there
	}
	// Counted, so the number of records, on which a real job's time depends, is known.
	records := 0
	if job.src != nil {
		records = job.src.total
	}
	if s.wallNow().Sub(job.started) < max(s.opts.BulkJobDelay, s.opts.Latency.jobTime(records)) {
		return
	}
	job.modstamp = s.org.Now()
	f := s.currentFaults()
	switch {
	case job.entity:
		job.state, job.errMsg = stateFailed, fmt.Sprintf("Entity '%s' is not supported by the Bulk API.", job.object)
	case job.refused != "":
		job.state, job.errMsg = stateFailed, job.refused
	case job.cerr != nil:
		job.state, job.errMsg = stateFailed, "InternalServerError : the emulator could not read the rows: "+job.cerr.Error()
	case job.fail:
		job.state, job.errMsg = stateFailed, "InternalServerError : Retried more than 15 times"
	case f.QueryTimeoutAbove > 0 && job.src.total > f.QueryTimeoutAbove:
		job.state, job.errMsg = stateFailed, "Failed to process query: QUERY_TIMEOUT: Your query request was running for too long."
	default:
		job.state = stateJobComplete
	}
}

func (s *Server) serveBulkInfo(c *reqCtx) {
	job := s.job(c)
	if job == nil {
		return
	}
	s.bulk.mu.Lock()
	s.advanceLocked(job, true)
	s.bulk.mu.Unlock()
	c.w.cost = cost{kind: costPoll}
	writeRaw(c.w, http.StatusOK, s.jobInfo(job, true))
}

// jobInfo renders a job. The creation response has no jobType and no counters; the poll
// response adds them (and errorMessage when Failed). apiVersion is a JSON number.
func (s *Server) jobInfo(job *bulkJob, full bool) []byte {
	s.bulk.mu.Lock()
	state, errMsg, modstamp := job.state, job.errMsg, job.modstamp
	s.bulk.mu.Unlock()
	b := make([]byte, 0, 512)
	str := func(key, v string) {
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, `":`...)
		b = appendJSONString(b, v)
		b = append(b, ',')
	}
	b = append(b, '{')
	str("id", job.id)
	str("operation", job.operation)
	str("object", job.object)
	str("createdById", userID)
	str("createdDate", string(appendDateTime(nil, job.created, "+0000")))
	str("systemModstamp", string(appendDateTime(nil, modstamp, "+0000")))
	str("state", state)
	if full && state == stateFailed {
		str("errorMessage", errMsg)
	}
	str("concurrencyMode", "Parallel")
	str("contentType", "CSV")
	b = append(b, `"apiVersion":`...)
	b = strconv.AppendInt(b, int64(job.ver), 10)
	b = append(b, ".0,"...)
	if full {
		str("jobType", "V2Query")
	}
	str("lineEnding", job.eolName)
	b = append(b, `"columnDelimiter":`...)
	b = appendJSONString(b, job.delimName)
	if full {
		processed := 0
		if state == stateJobComplete {
			processed = job.src.total
		}
		b = append(b, `,"numberRecordsProcessed":`...)
		b = strconv.AppendInt(b, int64(processed), 10)
		b = append(b, `,"retries":0,"totalProcessingTime":`...)
		b = strconv.AppendInt(b, int64(processed/2000+37), 10)
	}
	return append(b, '}')
}

// serveBulkList answers GET jobs/query: every query job, in one page.
func (s *Server) serveBulkList(c *reqCtx) {
	s.bulk.mu.Lock()
	jobs := make([]*bulkJob, 0, len(s.bulk.order))
	for _, j := range s.bulk.order {
		if !j.deleted {
			jobs = append(jobs, j)
		}
	}
	s.bulk.mu.Unlock()
	b := []byte(`{"done":true,"records":[`)
	for i, j := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s.jobInfo(j, true)...)
	}
	b = append(b, `],"nextRecordsUrl":null}`...)
	writeRaw(c.w, http.StatusOK, b)
}

func (s *Server) serveBulkAbort(c *reqCtx) {
	job := s.job(c)
	if job == nil {
		return
	}
	var req struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(c.r.Body).Decode(&req); err != nil {
		restError(c.w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Cannot deserialize the request body: "+err.Error()+` (send {"state":"Aborted"})`)
		return
	}
	if req.State != stateAborted {
		restError(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Invalid state '%s': a query job can only be changed to Aborted", req.State))
		return
	}
	s.bulk.mu.Lock()
	s.advanceLocked(job, false)
	st := job.state
	if st == stateUploadComplete || st == stateInProgress {
		job.state = stateAborted
		job.modstamp = s.org.Now()
		job.cancel()
	}
	s.bulk.mu.Unlock()
	if st != stateUploadComplete && st != stateInProgress {
		restError(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Cannot abort a job in state %s: only UploadComplete and InProgress jobs can be aborted", st))
		return
	}
	writeRaw(c.w, http.StatusOK, s.jobInfo(job, false))
}

func (s *Server) serveBulkDelete(c *reqCtx) {
	job := s.job(c)
	if job == nil {
		return
	}
	s.bulk.mu.Lock()
	s.advanceLocked(job, false)
	st := job.state
	ok := st == stateJobComplete || st == stateFailed || st == stateAborted
	if ok {
		job.deleted = true
		job.cancel()
		delete(s.bulk.jobs, job.id)
	}
	s.bulk.mu.Unlock()
	if !ok {
		restError(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Cannot delete a job in state %s: abort it first or wait until it completes", st))
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// completeJob returns the job when its results can be read; otherwise it answers as Salesforce
// does: 412 JOB_NOT_COMPLETE for some jobs and an empty 204 for others (by job number) while the
// job runs, and 400 INVALIDJOBSTATE for Failed and Aborted jobs.
func (s *Server) completeJob(c *reqCtx) *bulkJob {
	job := s.job(c)
	if job == nil {
		return nil
	}
	s.bulk.mu.Lock()
	s.advanceLocked(job, false)
	st := job.state
	s.bulk.mu.Unlock()
	switch st {
	case stateJobComplete:
		return job
	case stateFailed, stateAborted:
		restError(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Job %s is %s: it has no results; create a new job", job.id, st))
	default:
		if job.seq%2 == 0 {
			c.w.WriteHeader(http.StatusNoContent)
			return nil
		}
		restError(c.w, http.StatusPreconditionFailed, "JOB_NOT_COMPLETE", fmt.Sprintf("Job %s is %s: poll the job until its state is JobComplete before requesting results", job.id, st))
	}
	return nil
}

// encodeLocator and decodeLocator map a row offset to the opaque locator: the offset's decimal
// digits in unpadded base64 ("MTAwMDA" is row 10000), the shape real locators have.
func encodeLocator(offset int) string {
	return base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

func decodeLocator(loc string) (int, bool) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(loc, "="))
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(raw))
	return n, err == nil && n >= 0
}

// pageParams reads locator and maxRecords of a results request.
func (s *Server) pageParams(c *reqCtx, total int) (offset, n int, ok bool) {
	qv := c.r.URL.Query()
	n = s.opts.BulkPageSize
	if n <= 0 {
		n = defaultBulkPageSize
	}
	if m := qv.Get("maxRecords"); m != "" {
		v, err := strconv.Atoi(m)
		if err != nil || v <= 0 {
			restError(c.w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("Invalid maxRecords '%s': use a positive number of rows", m))
			return 0, 0, false
		}
		n = v
	}
	if loc := qv.Get("locator"); loc != "" {
		off, good := decodeLocator(loc)
		if !good || off <= 0 || off >= total {
			restError(c.w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", fmt.Sprintf("Invalid locator '%s': use the Sforce-Locator of the previous page", loc))
			return 0, 0, false
		}
		offset = off
	}
	return offset, n, true
}

func (s *Server) serveBulkResults(c *reqCtx) {
	job := s.completeJob(c)
	if job == nil {
		return
	}
	total := job.src.total
	offset, n, ok := s.pageParams(c, total)
	if !ok {
		return
	}
	pageNo := offset / n
	c.call.Page = pageNo
	pg, err := s.bulkPage(c.r.Context(), job, offset, n)
	if err != nil {
		restError(c.w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", "emulator could not read the results of job "+job.id+": "+err.Error())
		return
	}
	c.call.Records = pg.rows
	next := "null"
	if end := offset + pg.rows; pg.rows > 0 && end < total {
		next = encodeLocator(end)
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/csv")
	h.Set("Sforce-NumberOfRecords", strconv.Itoa(pg.rows))
	h.Set("Sforce-Locator", next)
	c.w.noGzip = true
	// Real orgs honour Accept-Encoding: gzip for some result downloads and not for others; the
	// emulator compresses even-numbered pages only, so a client meets both.
	if pageNo%2 == 0 && acceptsGzip(c.r) && len(pg.body) > 0 {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		c.w.WriteHeader(http.StatusOK)
		c.w.raw = [][]byte{pg.gzipped()}
		c.w.cost = cost{kind: costPage, bytes: len(c.w.raw[0])}
		return
	}
	c.w.WriteHeader(http.StatusOK)
	c.w.raw = [][]byte{pg.body}
	c.w.cost = cost{kind: costPage, bytes: len(pg.body)}
}

// serveBulkResultPages answers GET jobs/query/{id}/resultPages (API 58.0+): up to five result
// URLs and the link to the next set. The link's key is spelled nextRecordsUrl in some responses
// and nextRecordUrl in others (alternating by set), as both are seen.
func (s *Server) serveBulkResultPages(c *reqCtx) {
	if c.ver < minResultPagesVer {
		restError(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	job := s.completeJob(c)
	if job == nil {
		return
	}
	total := job.src.total
	qv := c.r.URL.Query()
	n := s.opts.BulkPageSize
	if n <= 0 {
		n = defaultBulkPageSize
	}
	if m := qv.Get("maxRecords"); m != "" {
		v, err := strconv.Atoi(m)
		if err != nil || v <= 0 {
			restError(c.w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("Invalid maxRecords '%s': use a positive number of rows", m))
			return
		}
		n = v
	}
	set := 0
	if loc := qv.Get("locator"); loc != "" {
		v, ok := decodeLocator(loc)
		if !ok || v*resultPagesPerSet*n >= max(total, 1) {
			restError(c.w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", fmt.Sprintf("Invalid locator '%s': use the link of the previous resultPages response", loc))
			return
		}
		set = v
	}
	c.call.Page = set
	base := fmt.Sprintf("/services/data/v%d.0/jobs/query/%s/", job.ver, job.id)
	b := []byte(`{"resultPages":[`)
	first := set * resultPagesPerSet
	for i := 0; i < resultPagesPerSet; i++ {
		off := (first + i) * n
		if off >= total && !(off == 0 && total == 0) {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		u := base + "results?maxRecords=" + strconv.Itoa(n)
		if off > 0 {
			u = base + "results?locator=" + encodeLocator(off) + "&maxRecords=" + strconv.Itoa(n)
		}
		b = append(b, `{"resultUrl":`...)
		b = appendJSONString(b, u)
		b = append(b, '}')
	}
	b = append(b, "],"...)
	key := `"nextRecordsUrl":`
	if set%2 == 1 {
		key = `"nextRecordUrl":`
	}
	b = append(b, key...)
	done := (first+resultPagesPerSet)*n >= total
	if done {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, base+"resultPages?locator="+encodeLocator(set+1)+"&maxRecords="+strconv.Itoa(n))
	}
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	c.w.cost = cost{kind: costPoll}
	writeRaw(c.w, http.StatusOK, append(b, '}'))
}

// bulkPage is one rendered page of Bulk results.
type bulkPage struct {
	body []byte
	rows int

	gzOnce sync.Once
	gz     []byte
}

// gzipped returns the page compressed, compressing it once.
func (p *bulkPage) gzipped() []byte {
	p.gzOnce.Do(func() {
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
		_, _ = zw.Write(p.body)
		_ = zw.Close()
		p.gz = zb.Bytes()
	})
	return p.gz
}

// bulkPage renders (or takes from the page cache) the page of n rows at offset of a job.
func (s *Server) bulkPage(ctx context.Context, job *bulkJob, offset, n int) (*bulkPage, error) {
	key := bulkPageKey{src: job.src, offset: offset, n: n, format: job.format}
	if pg := s.cachedBulkPage(key); pg != nil {
		return pg, nil
	}
	gen := s.cacheGen()
	body, rows, err := renderCSVPage(ctx, s.org, job.src, job.cols, offset, n, job.format)
	if err != nil {
		return nil, err
	}
	pg := &bulkPage{body: body, rows: rows}
	s.keepBulkPage(key, pg, gen)
	return pg, nil
}

// bulkUnsupportedObject reports whether the Bulk API does not support an object: one
// Options.BulkUnsupported names, or an external object of Options.WholeOrg.
func (s *Server) bulkUnsupportedObject(object string) bool {
	if s.restrictedBulk(object) {
		return true
	}
	for _, name := range s.opts.BulkUnsupported {
		if strings.EqualFold(name, object) {
			return true
		}
	}
	return false
}

// bulkJobsUsed returns how many query jobs were created (DailyBulkV2QueryJobs) and the Max.
func (s *Server) bulkJobsUsed() (used, max int) {
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	max = bulkJobsMax
	if lim := s.currentFaults().BulkJobsLimit; lim > 0 && lim < max {
		return s.bulk.created + (max - lim), max
	}
	return s.bulk.created, max
}

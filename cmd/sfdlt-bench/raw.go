package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// The raw clients measure how fast the emulator serves the pages a pipeline reads: they send the
// pipeline's requests and read the answers without parsing them. The emulator caches a REST
// result set per query text, operation (query or queryAll), API version and page size, and a Bulk
// results page per query text, operation, position, maxRecords and CSV format: a request that
// differs from the pipeline's in any of these is answered with pages rendered for it, and
// measures rendering, not serving. So the raw clients replay what a wireRecorder saw a pipeline
// send in the warm-up, which also filled the cache.

// The raw clients' rows in the limits table.
const (
	rawRESTName = "emulator serving REST pages (raw)"
	rawBulkName = "emulator serving Bulk CSV pages (raw)"
)

// wireRecorder is an http.RoundTripper that records the data requests of a pipeline run.
type wireRecorder struct {
	next http.RoundTripper

	mu      sync.Mutex
	queries []recorded // REST queries' first pages: GET .../query?q= or .../queryAll?q=
	jobs    []recorded // Bulk query jobs created: POST .../jobs/query, with the body
	results []recorded // Bulk results pages: GET .../jobs/query/{id}/results
}

// recorded is one request as the pipeline sent it.
type recorded struct {
	uri    string // path and query, without scheme and host
	header http.Header
	body   []byte
}

func (w *wireRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	dir, last := path.Split(req.URL.Path)
	var list *[]recorded
	switch {
	case req.Method == http.MethodGet && (last == "query" || last == "queryAll") && req.URL.Query().Get("q") != "" &&
		!strings.HasPrefix(req.URL.Query().Get("q"), "SELECT COUNT()"):
		list = &w.queries
	case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/jobs/query"):
		list = &w.jobs
	case req.Method == http.MethodGet && last == "results" && strings.Contains(dir, "/jobs/query/"):
		list = &w.results
	default:
		return w.next.RoundTrip(req)
	}
	r := recorded{uri: req.URL.RequestURI(), header: req.Header.Clone()}
	if req.Body != nil {
		// A RoundTripper must not change the request: the body is read and the request cloned
		// with a fresh reader of the same bytes.
		b, err := io.ReadAll(req.Body)
		if err = errors.Join(err, req.Body.Close()); err != nil {
			return nil, fmt.Errorf("recording the request %s %s: reading its body: %w", req.Method, req.URL.Path, err)
		}
		r.body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	w.mu.Lock()
	*list = append(*list, r)
	w.mu.Unlock()
	return w.next.RoundTrip(req)
}

// rawClient sends the raw clients' requests to the emulator at base, logged in with the
// password grant.
type rawClient struct {
	ctx   context.Context
	base  string
	token string
}

// newRawClient logs in to the emulator at base.
func newRawClient(ctx context.Context, base string) (*rawClient, error) {
	form := url.Values{"grant_type": {"password"}, "client_id": {salesforcetest.DefaultClientID}, "client_secret": {salesforcetest.DefaultClientSecret},
		"username": {salesforcetest.DefaultUserName}, "password": {salesforcetest.DefaultPassword + salesforcetest.DefaultSecurityToken}}
	rc := &rawClient{ctx: ctx, base: base}
	body, err := rc.read(http.MethodPost, "/services/oauth2/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("emulator login: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		return nil, fmt.Errorf("emulator login: reading the answer: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("emulator login: the answer has no access_token: %.200s", body)
	}
	rc.token = tok.AccessToken
	return rc, nil
}

// do sends a request with the headers of header (a recorded request's: its Accept-Encoding,
// Sforce-Query-Options, Content-Type; identity encoding when it has none, as sfdlt asks on
// loopback) and returns the answer, whose body the caller closes; any status but 200 is an error
// quoting the start of the body.
func (rc *rawClient) do(method, uri string, header http.Header, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(rc.ctx, method, rc.base+uri, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Content-Length", "Host":
			continue // this client's own
		}
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if rc.token != "" {
		req.Header.Set("Authorization", "Bearer "+rc.token)
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, errors.Join(fmt.Errorf("%s %s: %s: %s", method, uri, resp.Status, bytes.TrimSpace(b)), rerr, resp.Body.Close())
	}
	return resp, nil
}

// read sends a request and returns the answer's text.
func (rc *rawClient) read(method, uri string, header http.Header, body io.Reader) ([]byte, error) {
	_, text, err := rc.readWire(method, uri, header, body, &bytes.Buffer{})
	return text, err
}

// readWire sends a request and returns how many bytes the answer's body had as sent, and its
// text: the body, decompressed when the recorded Accept-Encoding asked for gzip and the emulator
// sent it so. The body is read into buf, which the text may share: it is valid until buf is
// used again (the raw REST client reuses one, so that it costs little more than the bytes' way
// through the loopback).
func (rc *rawClient) readWire(method, uri string, header http.Header, body io.Reader, buf *bytes.Buffer) (wire int64, text []byte, err error) {
	resp, err := rc.do(method, uri, header, body)
	if err != nil {
		return 0, nil, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return 0, nil, fmt.Errorf("%s %s: reading the answer: %w", method, uri, err)
	}
	b := buf.Bytes()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return int64(len(b)), b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err == nil {
		text, err = io.ReadAll(zr)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: reading the gzipped answer: %w", method, uri, err)
	}
	return int64(len(b)), text, nil
}

// rawRESTRate sends the pipeline's REST queries and reads every page of each without parsing (it
// only finds the next link), with the pipeline's headers.
func rawRESTRate(ctx context.Context, base string, queries []recorded) (benchResult, error) {
	if len(queries) == 0 {
		return benchResult{}, errors.New("the REST warm-up sent no query to replay")
	}
	rc, err := newRawClient(ctx, base)
	if err != nil {
		return benchResult{}, err
	}
	var total, bytesRead int64
	var buf bytes.Buffer
	start := time.Now()
	for _, q := range queries {
		next := q.uri
		for first := true; next != ""; first = false {
			wire, body, err := rc.readWire(http.MethodGet, next, q.header, nil, &buf)
			if err != nil {
				return benchResult{}, err
			}
			bytesRead += wire
			if first {
				n, err := strconv.ParseInt(string(between(body, `"totalSize":`, `,`)), 10, 64)
				if err != nil {
					return benchResult{}, fmt.Errorf("GET %s: the query's first page has no totalSize: %w", next, err)
				}
				total += n
			}
			// The head (totalSize, done, nextRecordsUrl) comes before the records; the last page
			// has no nextRecordsUrl, which is looked for in the head only.
			if i := bytes.Index(body, []byte(`"records":`)); i >= 0 {
				body = body[:i]
			}
			next = string(between(body, `"nextRecordsUrl":"`, `"`))
		}
	}
	return benchResult{name: rawRESTName, rows: total, bytes: bytesRead, elapsed: time.Since(start)}, nil
}

func between(b []byte, start, end string) []byte {
	i := bytes.Index(b, []byte(start))
	if i < 0 {
		return nil
	}
	b = b[i+len(start):]
	j := bytes.Index(b, []byte(end))
	if j < 0 {
		return nil
	}
	return b[:j]
}

// rawBulkRate creates the pipeline's Bulk jobs (the same request body: query text, operation,
// CSV format) and downloads their results pages along the locator chain without parsing, with
// the parameters (maxRecords) and headers of the pipeline's results requests. A pipeline that
// listed its pages through /resultPages read the same pages: a page is cached by its position
// and size, not by how its URL was found.
func rawBulkRate(ctx context.Context, base string, jobs, results []recorded) (benchResult, error) {
	switch {
	case len(jobs) == 0:
		return benchResult{}, errors.New("the Bulk warm-up created no Bulk job to replay")
	case len(results) == 0:
		return benchResult{}, errors.New("the Bulk warm-up read no Bulk results page to replay")
	}
	ru, err := url.ParseRequestURI(results[0].uri)
	if err != nil {
		return benchResult{}, fmt.Errorf("reading the recorded results request %q: %w", results[0].uri, err)
	}
	params := ru.Query()
	params.Del("locator")
	rc, err := newRawClient(ctx, base)
	if err != nil {
		return benchResult{}, err
	}
	var rows, bytesRead int64
	var ids []string
	start := time.Now()
	for _, j := range jobs {
		n, b, id, err := rc.bulkJob(j, params, results[0].header)
		if id != "" {
			ids = append(ids, id)
		}
		if err != nil {
			return benchResult{}, err
		}
		rows, bytesRead = rows+n, bytesRead+b
	}
	elapsed := time.Since(start)
	// As the pipeline does, after reading (untimed): the emulator keeps no finished jobs around.
	for i, id := range ids {
		jobPath := strings.SplitN(jobs[i].uri, "?", 2)[0] + "/" + id
		resp, err := rc.doStatus(http.MethodDelete, jobPath)
		if err != nil {
			return benchResult{}, fmt.Errorf("deleting the raw client's Bulk job: %w", err)
		}
		if resp != http.StatusNoContent && resp != http.StatusOK {
			return benchResult{}, fmt.Errorf("deleting the raw client's Bulk job: DELETE %s answered %d", jobPath, resp)
		}
	}
	return benchResult{name: rawBulkName, rows: rows, bytes: bytesRead, elapsed: elapsed}, nil
}

// bulkJob creates the recorded job again, waits for it, and reads its results pages; it
// returns the rows and bytes read, and the job's id once created.
func (rc *rawClient) bulkJob(create recorded, params url.Values, header http.Header) (rows, bytesRead int64, id string, err error) {
	jobs := strings.SplitN(create.uri, "?", 2)[0]
	var job struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	readJob := func(method, uri string, body io.Reader) error {
		b, err := rc.read(method, uri, create.header, body)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &job); err != nil {
			return fmt.Errorf("%s %s: reading the job: %w", method, uri, err)
		}
		return nil
	}
	if err := readJob(http.MethodPost, create.uri, bytes.NewReader(create.body)); err != nil {
		return 0, 0, "", err
	}
	// Polled as the benchmark's pipelines poll (PollInterval 5 ms): a job on a cached query
	// completes on the emulator's second poll.
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for job.State != "JobComplete" {
		if job.State == "Failed" || job.State == "Aborted" {
			return 0, 0, job.ID, fmt.Errorf("bulk job %s: %s", job.ID, job.State)
		}
		select {
		case <-rc.ctx.Done():
			return 0, 0, job.ID, rc.ctx.Err()
		case <-poll.C:
		}
		if err := readJob(http.MethodGet, jobs+"/"+job.ID, nil); err != nil {
			return 0, 0, job.ID, err
		}
	}
	locator := ""
	for {
		q := url.Values{}
		for k, v := range params {
			q[k] = v
		}
		if locator != "" {
			q.Set("locator", locator)
		}
		uri := jobs + "/" + job.ID + "/results"
		if len(q) > 0 {
			uri += "?" + q.Encode()
		}
		resp, err := rc.do(http.MethodGet, uri, header, nil)
		if err != nil {
			return 0, 0, job.ID, err
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err = errors.Join(err, resp.Body.Close()); err != nil {
			return 0, 0, job.ID, fmt.Errorf("GET %s: reading the answer: %w", uri, err)
		}
		bytesRead += n
		recs, err := strconv.ParseInt(resp.Header.Get("Sforce-NumberOfRecords"), 10, 64)
		if err != nil {
			return 0, 0, job.ID, fmt.Errorf("GET %s: the Sforce-NumberOfRecords header: %w", uri, err)
		}
		rows += recs
		locator = resp.Header.Get("Sforce-Locator")
		if locator == "" || locator == "null" {
			return rows, bytesRead, job.ID, nil
		}
	}
}

// doStatus sends a request without a body and returns the answer's status.
func (rc *rawClient) doStatus(method, uri string) (int, error) {
	req, err := http.NewRequestWithContext(rc.ctx, method, rc.base+uri, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+rc.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, errors.Join(err, resp.Body.Close())
}

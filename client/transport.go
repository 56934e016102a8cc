package client

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// action is what the send loop does with a response.
type action int

const (
	actDone      action = iota // return the error (nil on success)
	actRetry                   // transient: back off and try again
	actRelogin                 // the session expired: log in again once and replay
	actThrottled               // Salesforce's concurrent-request limit: wait it out and replay
)

// call is one logical request, replayable across retries.
type call struct {
	method string
	path   string // relative to the instance (auth calls) or an absolute URL (logins)
	body   []byte
	header http.Header
	auth   bool // send the session and renew it on 401
	stream bool // on success return the body unread (Do)
	// pooled reads the body into a buffer from pageBufs (query pages, handed back by
	// Page.Release).
	pooled bool
	// classify decides what a fully read response means; nil uses restClassify with decode.
	classify func(resp *http.Response, body []byte) (action, error)
	decode   func(resp *http.Response, body []byte) error
}

// send runs c with retries, backoff and re-login. On success it returns the response; its Body
// is the unread (decompressed) stream when c.stream is set, and closed otherwise.
//
// Requests to the instance (c.auth) pass the client's gate: each holds a slot from just before
// it is sent until its answer is read (for a streamed answer, until its headers arrive, so that
// a caller holding a body open never blocks the client's other requests). Concurrent-limit
// answers are waited out apart from MaxRetries, for up to ConcurrentLimitWait in all.
func (c *Client) send(ctx context.Context, cl call) (*http.Response, error) {
	// relogins counts the sessions this request saw rejected. Several requests share a session,
	// so a session renewed for one of them can expire again before another replays: allow as
	// many renewals as retries, not just one.
	relogins := 0
	// refused counts the attempts whose connection was refused; shortWait makes the next
	// backoff the first, shortest step (a refusing host is tried again soon or not at all).
	refused, shortWait := 0, false
	// throttles counts this request's concurrent-limit answers and throttleWait the time spent
	// waiting them out; waited says that wait already stood for the backoff.
	throttles, throttleWait, waited := 0, time.Duration(0), false
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 && !waited {
			if attempt > c.maxRetries {
				return nil, fmt.Errorf("giving up after %d attempts: %w", attempt, lastErr)
			}
			step := attempt
			if shortWait {
				step, shortWait = 1, false
			}
			if err := c.backoff(ctx, step, lastErr); err != nil {
				return nil, err
			}
		}
		waited = false
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s %s: %w", cl.method, clip(cl.path, clipURL), err)
		}
		tok := c.current()
		target := cl.path
		if cl.auth {
			var err error
			if target, err = c.resolve(tok.instanceURL, cl.path); err != nil {
				return nil, err
			}
		}
		req, err := http.NewRequestWithContext(ctx, cl.method, target, bytes.NewReader(cl.body))
		if err != nil {
			return nil, fmt.Errorf("building request %s %s: %w", cl.method, showURL(target), err)
		}
		if cl.body == nil {
			req.Body, req.GetBody, req.ContentLength = nil, nil, 0
		}
		for k, vs := range cl.header {
			req.Header[k] = append([]string(nil), vs...)
		}
		if c.compress(req.URL.Hostname()) {
			req.Header.Set("Accept-Encoding", "gzip")
		} else {
			req.Header.Set("Accept-Encoding", "identity")
		}
		if req.Header.Get("User-Agent") == "" {
			req.Header.Set("User-Agent", userAgent)
		}
		if cl.auth {
			req.Header.Set("Authorization", "Bearer "+tok.id)
		}

		var sl slot
		if cl.auth {
			if sl, err = c.gate.acquire(ctx); err != nil {
				limit, _, _, _ := c.gate.state()
				return nil, fmt.Errorf("%s %s: waiting for a request slot (the client runs at most %d requests at once, fewer after Salesforce's concurrent request limit): %w", cl.method, showURL(target), limit, err)
			}
		}
		if strings.HasPrefix(req.URL.Path, apiPathPrefix) {
			c.apiCalls.Add(1)
		}
		started := time.Now()
		resp, err := c.httpc.Do(req)
		if err != nil {
			sl.release(outcomeNeutral)
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fmt.Errorf("%s %s: %w", cl.method, showURL(target), ctxErr)
			}
			lastErr = transportError(cl.method, target, err)
			// A name that does not resolve fails at once; a refusing host gets one more try.
			// Resets, drops and timeouts keep the full retry budget.
			switch kind := classifyUnreachable(err); kind {
			case noSuchHost:
				c.log.WarnContext(ctx, "salesforce host unreachable, not retrying", "method", cl.method, "url", showURL(target), "attempt", attempt+1, "error", lastErr)
				return nil, c.unreachable(cl, target, kind, attempt+1, err)
			case connRefused:
				if refused++; refused >= refusedAttempts || attempt >= c.maxRetries {
					c.log.WarnContext(ctx, "salesforce host unreachable, not retrying", "method", cl.method, "url", showURL(target), "attempt", attempt+1, "error", lastErr)
					return nil, c.unreachable(cl, target, kind, attempt+1, err)
				}
				shortWait = true
			}
			c.log.WarnContext(ctx, "salesforce request failed, will retry", "method", cl.method, "url", showURL(target), "attempt", attempt+1, "error", lastErr)
			continue
		}
		c.recordUsage(resp.Header)
		c.log.DebugContext(ctx, "salesforce request", "method", cl.method, "url", showURL(target), "status", resp.StatusCode, "elapsed", time.Since(started))
		if err := decompress(resp); err != nil {
			sl.release(outcomeNeutral)
			resp.Body.Close()
			lastErr = fmt.Errorf("%s %s: decoding gzip body: %w", cl.method, showURL(target), err)
			continue
		}
		if cl.stream && resp.StatusCode < 400 {
			sl.release(outcomeOK)
			return resp, nil
		}
		var body []byte
		if cl.pooled {
			body, err = readPooled(resp.Body, resp.ContentLength)
		} else {
			body, err = io.ReadAll(resp.Body)
		}
		resp.Body.Close()
		if err != nil {
			sl.release(outcomeNeutral)
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fmt.Errorf("%s %s: %w", cl.method, showURL(target), ctxErr)
			}
			// A body cut off mid-page: the retry asks for the same URL, so nothing is skipped or doubled.
			lastErr = fmt.Errorf("%s %s: HTTP %d body cut off after %d bytes: %w", cl.method, showURL(target), resp.StatusCode, len(body), err)
			c.log.WarnContext(ctx, "salesforce response cut off, will retry", "method", cl.method, "url", showURL(target), "attempt", attempt+1, "error", err)
			continue
		}
		classify := cl.classify
		if classify == nil {
			classify = func(r *http.Response, b []byte) (action, error) { return c.restClassify(cl, target, r, b) }
		}
		act, err := classify(resp, body)
		switch {
		case act == actThrottled || act == actDone && errors.Is(err, ErrConcurrentLimit):
			c.throttled.Add(1)
			sl.release(outcomeThrottled)
		case act == actDone:
			sl.release(outcomeOK)
		default:
			sl.release(outcomeNeutral)
		}
		switch act {
		case actDone:
			if err == nil {
				return resp, nil
			}
			if ae := asAPIError(err); ae != nil && ae.StatusCode == http.StatusNotFound && cl.auth && c.underVersion(target) {
				if verr := c.checkVersion(ctx, tok.instanceURL, ae); verr != nil {
					return nil, verr
				}
			}
			return nil, err
		case actRetry:
			lastErr = err
			c.log.WarnContext(ctx, "salesforce transient failure, will retry", "method", cl.method, "url", showURL(target), "status", resp.StatusCode, "attempt", attempt+1, "error", err)
			if wait := retryAfter(resp.Header); wait > 0 {
				if err := sleep(ctx, min(wait, c.maxRetryWait)); err != nil {
					return nil, fmt.Errorf("%w (while waiting after: %v)", err, lastErr)
				}
			}
		case actThrottled:
			// Not a fault of the request: wait it out on its own budget, not MaxRetries.
			lastErr = err
			throttles++
			wait := c.concurrentWait(throttles)
			if ra := retryAfter(resp.Header); ra > wait {
				wait = min(ra, c.maxRetryWait)
			}
			wait = min(wait, c.concurrentLimitWait-throttleWait)
			limit, _, _, _ := c.gate.state()
			if wait <= 0 {
				if ae := asAPIError(err); ae != nil {
					ae.Hint = concurrentHint(throttleWait)
				}
				c.log.WarnContext(ctx, "salesforce concurrent request limit, giving up", "method", cl.method, "url", showURL(target), "refusals", throttles, "waited", throttleWait, "error", err)
				return nil, fmt.Errorf("still refused after %d tries over %s: %w", throttles, throttleWait.Round(time.Millisecond), err)
			}
			throttleWait += wait
			c.log.WarnContext(ctx, "salesforce concurrent request limit, lowering parallelism and waiting", "method", cl.method, "url", showURL(target), "refusals", throttles, "wait", wait, "concurrency_limit", limit)
			if err := sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%w (while waiting out Salesforce's concurrent request limit after: %v)", err, lastErr)
			}
			waited = true
			attempt-- // not counted against MaxRetries
		case actRelogin:
			ae := asAPIError(err)
			switch {
			case !cl.auth:
				return nil, err
			case relogins > c.maxRetries:
				if ae != nil {
					ae.Hint = "the session was rejected again after fresh logins: check that the user has the API Enabled permission and that the connected app's policies allow this session (or raise the session timeout)"
				}
				return nil, err
			case c.reloginFlow == "":
				if ae != nil {
					ae.Hint = "the client was given a bare session id with no credentials to log in again: supply a fresh session or credentials of a login flow"
				}
				return nil, err
			}
			if lerr := c.relogin(ctx, tok.gen); lerr != nil {
				return nil, fmt.Errorf("session expired and logging in again failed: %w", lerr)
			}
			relogins++
			attempt-- // the replay after a re-login is not a retry
		}
	}
}

// restClassify is the REST/Bulk rule: 2xx and 304 succeed (after decode), 401 renews the session,
// the concurrent-request limit is waited out, 5xx/420/406/429 and unreadable 200 bodies are
// retried, everything else (the daily request limit among them) is returned.
func (c *Client) restClassify(cl call, target string, resp *http.Response, body []byte) (action, error) {
	if resp.StatusCode < 400 {
		if cl.decode == nil {
			return actDone, nil
		}
		err := cl.decode(resp, body)
		if err == nil {
			return actDone, nil
		}
		err = fmt.Errorf("%s %s: decoding HTTP %d response: %w", cl.method, showURL(target), resp.StatusCode, err)
		if isTruncation(err) {
			return actRetry, err
		}
		return actDone, err
	}
	ae := newAPIError(cl.method, redactURL(target), resp.StatusCode, resp.Header, body)
	ae.Hint = hintFor(ae, resp)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return actRelogin, ae
	case isConcurrentLimit(ae.ErrorCode, ae.Message):
		if c.concurrentLimitWait <= 0 {
			ae.Hint = concurrentHint(0)
			return actDone, ae
		}
		return actThrottled, ae
	case ae.ErrorCode == CodeRequestLimitExceeded:
		ae.Hint = c.limitHint()
		return actDone, ae
	case retryableStatus(resp.StatusCode):
		return actRetry, ae
	}
	return actDone, ae
}

// limitHint explains REQUEST_LIMIT_EXCEEDED with the last usage seen.
func (c *Client) limitHint() string {
	h := "the org's daily API request limit is used up"
	if u := c.Usage(); u.Max > 0 {
		h += fmt.Sprintf(" (api-usage %d/%d)", u.Used, u.Max)
	}
	return h + "; retrying now is useless: the limit is a rolling 24-hour window, so calls free up as those made 24 hours ago age out (check Setup > Company Information or /limits), or ask Salesforce to raise it"
}

// retryableStatus: server errors and the edge's throttling answers.
func retryableStatus(code int) bool {
	return code >= 500 || code == 420 || code == http.StatusNotAcceptable || code == http.StatusTooManyRequests
}

// isTruncation reports an error meaning the body was incomplete or not the expected document:
// a JSON syntax error or an unexpected EOF in a 200 body.
func isTruncation(err error) bool {
	var se *json.SyntaxError
	var pe *pageSyntaxError
	return errors.As(err, &se) || errors.As(err, &pe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// backoff waits a random time in [0, min(max, base*2^(attempt-1))] (full jitter), or until ctx ends.
func (c *Client) backoff(ctx context.Context, attempt int, lastErr error) error {
	ceiling := c.retryWait
	for i := 1; i < attempt && ceiling < c.maxRetryWait; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.maxRetryWait)
	wait := time.Duration(rand.Int64N(int64(ceiling) + 1))
	if err := sleep(ctx, wait); err != nil {
		return fmt.Errorf("%w (while waiting to retry after: %v)", err, lastErr)
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After header in seconds; 0 when absent or not seconds.
func retryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// decompress replaces a gzip body with its decoded stream. We ask for gzip ourselves (so Go's
// transport does not decode it for us) and accept plain bodies when the server ignores the
// request, or labels a plain body as gzip.
func decompress(resp *http.Response) error {
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return nil
	}
	br := bufio.NewReader(resp.Body)
	magic, _ := br.Peek(2)
	var body io.Reader = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		body = zr
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{body, resp.Body}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	resp.Uncompressed = true
	return nil
}

// transportError wraps a network error without the *url.Error's copy of the URL, which for
// login calls could carry credentials if a caller ever put them in the query.
func transportError(method, target string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s %s: %w", method, showURL(target), err)
}

// showURL is a URL as errors and log lines print it: redacted, and cut after clipURL bytes
// with its length given (a wide query's URL runs to tens of kilobytes).
func showURL(raw string) string { return clip(redactURL(raw), clipURL) }

// redactURL drops the query of token endpoints and any user info; REST URLs keep their query
// (the SOQL), which carries no secret. It keeps the whole URL: print showURL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	if len(u.Path) >= len("/services/oauth2") && u.Path[:len("/services/oauth2")] == "/services/oauth2" {
		u.RawQuery = ""
	}
	return u.String()
}

// Do sends an authenticated request to the instance with the client's retry and re-login
// machinery, for APIs this package does not wrap (Bulk API 2.0 ingest jobs, Composite ...). path is either absolute on the
// instance ("/services/data/v64.0/jobs/query"), relative to the versioned data path
// ("jobs/query"), or a full URL on the instance. body is read completely before the first
// attempt so that retries can replay it. hdr is copied onto the request.
//
// On success (status below 400) the caller must close resp.Body; a gzip body is already decoded.
// Failures after the headers arrived are not retried: callers re-request what they need (Bulk
// result pages by locator). Statuses of 400 and above come back as *APIError, but for a 404
// under the versioned data path from an instance that does not offer the client's API version
// (ErrAPIVersionUnavailable). Every method is retried on 5xx, 420, 406, 429 and network errors,
// POST included: a caller creating something whose answer was lost may find it created twice,
// and should look for it before creating again. Concurrent-limit answers are waited out
// (Config.ConcurrentLimitWait). A host whose name does not resolve is not retried, and one
// refusing connections is tried twice; both fail with an error matching ErrUnreachable. The
// request holds one of the client's request slots until its headers arrive, not while the
// caller reads the body.
func (c *Client) Do(ctx context.Context, method, path string, body io.Reader, hdr http.Header) (*http.Response, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = io.ReadAll(body); err != nil {
			return nil, fmt.Errorf("reading request body for %s %s: %w", method, clip(path, clipURL), err)
		}
	}
	return c.send(ctx, call{method: method, path: path, body: data, header: hdr, auth: true, stream: true})
}

// getJSON GETs a REST resource and decodes its JSON body into v, retrying truncated bodies.
func (c *Client) getJSON(ctx context.Context, path string, hdr http.Header, v any) (*http.Response, error) {
	h := http.Header{"Accept": {"application/json"}}
	for k, vs := range hdr {
		h[k] = vs
	}
	return c.send(ctx, call{method: http.MethodGet, path: path, header: h, auth: true,
		decode: func(resp *http.Response, body []byte) error {
			if resp.StatusCode == http.StatusNotModified || v == nil {
				return nil
			}
			return json.Unmarshal(body, v)
		}})
}

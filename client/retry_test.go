package client

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// failure writes one transient failure.
type failure func(w http.ResponseWriter)

func status(code int, ctype, body string) failure {
	return func(w http.ResponseWriter) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name     string
		failures []failure
	}{
		{"503 server unavailable", []failure{status(503, "application/json", `[{"message":"Server unavailable","errorCode":"SERVER_UNAVAILABLE"}]`)}},
		{"500 then 502 html", []failure{status(500, "application/json", `[{"message":"An unexpected error occurred","errorCode":"UNKNOWN_EXCEPTION"}]`), status(502, "text/html", "<html><body>Bad Gateway</body></html>")}},
		{"420 empty", []failure{status(420, "", "")}},
		{"406 html", []failure{status(406, "text/html; charset=iso-8859-1", "<html>Not Acceptable</html>")}},
		{"429 with retry-after", []failure{func(w http.ResponseWriter) { w.Header().Set("Retry-After", "1"); w.WriteHeader(429) }}},
		{"200 html edge page", []failure{status(200, "text/html", "<html>Maintenance</html>")}},
		{"200 truncated json", []failure{status(200, "application/json", `{"totalSize":1,"done":true,"records":[{"Id":"001`)}},
		{"connection closed before the response", []failure{func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			conn.Close()
		}}},
		{"three in a row", []failure{status(503, "", ""), status(420, "", ""), status(504, "text/html", "<html>timeout</html>")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				if n := int(s.calls.Load()); n <= len(tt.failures) {
					tt.failures[n-1](w)
					return
				}
				writeJSON(w, 200, `{"totalSize":1,"done":true,"records":[{"Id":"001000000000000001"}]}`)
			})
			var logs logBuffer
			c := sessionClient(t, srv, func(cfg *Config) { cfg.Logger = logs.logger() })
			ids, err := collectIDs(t, c.Query(context.Background(), "SELECT Id FROM Account"))
			if err != nil || len(ids) != 1 {
				t.Fatalf("ids %v, %v", ids, err)
			}
			if got, want := srv.calls.Load(), int64(len(tt.failures)+1); got != want {
				t.Errorf("%d calls, want %d", got, want)
			}
			if !strings.Contains(logs.String(), "will retry") {
				t.Errorf("retries not logged:\n%s", logs.String())
			}
		})
	}
}

func TestRetriesAreBounded(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		status(503, "text/html", "<html>down</html>")(w)
	})
	for _, tt := range []struct{ maxRetries, calls int64 }{{2, 3}, {-1, 1}, {0, DefaultMaxRetries + 1}} {
		before := srv.calls.Load()
		c := sessionClient(t, srv, func(cfg *Config) { cfg.MaxRetries = int(tt.maxRetries) })
		_, err := c.Limits(context.Background())
		if !errors.Is(err, ErrServerUnavailable) || !strings.Contains(err.Error(), "giving up") {
			t.Errorf("MaxRetries %d: %v", tt.maxRetries, err)
		}
		if got := srv.calls.Load() - before; got != tt.calls {
			t.Errorf("MaxRetries %d: %d calls, want %d", tt.maxRetries, got, tt.calls)
		}
	}
}

func TestNotRetried(t *testing.T) {
	tests := []struct {
		code     int
		body     string
		is       error
		contains string
	}{
		{400, `[{"message":"unexpected token: FORM","errorCode":"MALFORMED_QUERY"}]`, ErrMalformedQuery, "MALFORMED_QUERY"},
		{400, `[{"message":"No such column 'Foo' on entity 'Account'.","errorCode":"INVALID_FIELD","fields":["Foo"]}]`, ErrInvalidField, "fields: Foo"},
		{400, `[{"message":"sObject type 'Nope' is not supported.","errorCode":"INVALID_TYPE"}]`, ErrInvalidType, "INVALID_TYPE"},
		{400, `[{"message":"Your query request was running for too long.","errorCode":"QUERY_TIMEOUT"}]`, ErrQueryTimeout, "narrow it"},
		{400, `[{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}]`, ErrInvalidQueryLocator, "run the query again"},
		{404, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`, ErrNotFound, "NOT_FOUND"},
		{410, `[{"errorCode":"GONE","message":"version retired"}]`, ErrAPIVersionRetired, "APIVersion"},
		{414, ``, ErrURITooLong, "fewer fields"},
		{431, `<html>too large</html>`, ErrURITooLong, "non-JSON body"},
		{403, `[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]`, nil, "API_DISABLED_FOR_ORG"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code, tt.contains), func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.code, tt.body) })
			_, err := collectIDs(t, sessionClient(t, srv).Query(context.Background(), "SELECT Id FROM Account"))
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.code {
				t.Fatalf("got %v", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("not %v: %v", tt.is, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error lacks %q: %v", tt.contains, err)
			}
			want := int64(1)
			if tt.code == http.StatusNotFound {
				want = 2 // the versions list, looked up once to explain a 404 (checkVersion)
			}
			if srv.calls.Load() != want {
				t.Errorf("%d calls, want %d", srv.calls.Load(), want)
			}
		})
	}
}

func TestRequestLimitExceededStopsAtOnce(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Sforce-Limit-Info", "api-usage=15001/15000")
		writeJSON(w, 403, `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`)
	})
	c := sessionClient(t, srv)
	_, err := c.Limits(context.Background())
	if !errors.Is(err, ErrRequestLimitExceeded) {
		t.Fatalf("got %v", err)
	}
	for _, s := range []string{"daily API request limit is used up", "15001/15000", "24-hour"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	if srv.calls.Load() != 1 {
		t.Errorf("%d calls, want exactly 1", srv.calls.Load())
	}
	if u := c.Usage(); u.Used != 15001 {
		t.Errorf("usage %+v", u)
	}
}

// TestCutOffPageRetried serves page 2 broken in several ways before serving it whole; the
// records must arrive complete, in order, once each, and the retry must ask for the same URL.
func TestCutOffPageRetried(t *testing.T) {
	cuts := map[string]func(w http.ResponseWriter){
		"content-length short": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "5000")
			io.WriteString(w, `{"totalSize":20,"done":false,"nextRecordsUrl":"/services/data/v64.0/query/01gxx-2","records":[{"attributes":{}`)
		},
		"chunked connection dropped": func(w http.ResponseWriter) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			defer conn.Close()
			fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
			fmt.Fprintf(buf, "%x\r\n%s\r\n", 30, `{"totalSize":20,"done":false,"`)
			buf.Flush()
		},
		"gzip cut off": func(w http.ResponseWriter) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0xaa})
		},
		"complete but invalid json": func(w http.ResponseWriter) {
			writeJSON(w, 200, `{"totalSize":20,"done":false,"records":[{"Id":`)
		},
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			var broken atomic.Bool
			srv := newPagedServer(t, []int{4, 4, 4, 4, 4}, "query", func(n int, w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/01gxx-2") && !broken.Load() {
					broken.Store(true)
					cut(w)
					return true
				}
				return false
			})
			ids, err := collectIDs(t, sessionClient(t, srv.server).Query(context.Background(), "SELECT Id FROM Account"))
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, ids, 20)
			var page2 []string
			for _, u := range srv.requested {
				if strings.HasSuffix(u, "/01gxx-2") {
					page2 = append(page2, u)
				}
			}
			if len(page2) != 2 || page2[0] != page2[1] {
				t.Errorf("page 2 requested as %q, want the same URL twice", page2)
			}
			if len(srv.requested) != 6 {
				t.Errorf("%d requests, want 6", len(srv.requested))
			}
		})
	}
}

// tokenOrg is a fake org with an OAuth token endpoint: each login issues a new access token,
// and only the latest one is valid.
type tokenOrg struct {
	*server
	logins atomic.Int32
	valid  atomic.Value // string: the token REST calls accept
}

func newTokenOrg(t *testing.T, rest func(o *tokenOrg, w http.ResponseWriter, r *http.Request)) *tokenOrg {
	o := &tokenOrg{}
	o.valid.Store("")
	o.server = newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" {
			tok := fmt.Sprintf("access-%d", o.logins.Add(1))
			o.valid.Store(tok)
			writeJSON(w, 200, tokenJSON(s.URL, tok))
			return
		}
		if !authOK(r, o.valid.Load().(string)) {
			invalidSession(w, t)
			return
		}
		rest(o, w, r)
	})
	return o
}

func (o *tokenOrg) expire() { o.valid.Store("none") }

func tokenOrgClient(t *testing.T, o *tokenOrg) *Client {
	t.Helper()
	c, err := New(context.Background(), fastRetry(Config{LoginURL: o.URL,
		Credentials: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, UserName: testUser, Password: secretPassword}}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReloginContinuesQuery(t *testing.T) {
	pages := newPagedServer(t, []int{3, 3, 3, 3}, "query", nil)
	var served atomic.Int32
	o := newTokenOrg(t, func(o *tokenOrg, w http.ResponseWriter, r *http.Request) {
		// Forward to the paged org, then expire the session after the second page.
		resp, err := http.Get(pages.URL + r.URL.RequestURI())
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		io.Copy(w, resp.Body)
		if served.Add(1) == 2 {
			o.expire()
		}
	})
	c := tokenOrgClient(t, o)
	ids, err := collectIDs(t, c.Query(context.Background(), "SELECT Id FROM Account"))
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, ids, 12)
	if n := o.logins.Load(); n != 2 {
		t.Errorf("%d logins, want 2 (one re-login)", n)
	}
	// Page 3 was asked with the expired session, then replayed once with the new one.
	if got := o.calls.Load(); got != 2+4+1 {
		t.Errorf("%d calls to the org, want 7", got)
	}
}

func TestConcurrentReloginHappensOnce(t *testing.T) {
	o := newTokenOrg(t, func(o *tokenOrg, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "camel/limits.json"))
	})
	c := tokenOrgClient(t, o)
	o.expire()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.Limits(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := o.logins.Load(); n != 2 {
		t.Errorf("%d logins, want 2: concurrent expiries must share one re-login", n)
	}
}

func TestBareSessionCannotRelogin(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { invalidSession(w, t) })
	_, err := sessionClient(t, srv).Limits(context.Background())
	var ae *APIError
	if !errors.Is(err, ErrInvalidSession) || !errors.As(err, &ae) || ae.ErrorCode != CodeInvalidSessionID {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "no credentials to log in again") {
		t.Errorf("error does not say why: %v", err)
	}
	if srv.calls.Load() != 1 {
		t.Errorf("%d calls, want 1", srv.calls.Load())
	}
	assertNoSecrets(t, "error", err.Error())
}

func TestReloginRejectedAgain(t *testing.T) {
	o := newTokenOrg(t, func(o *tokenOrg, w http.ResponseWriter, r *http.Request) { invalidSession(w, t) })
	c := tokenOrgClient(t, o)
	_, err := c.Limits(context.Background())
	if !errors.Is(err, ErrInvalidSession) || !strings.Contains(err.Error(), "API Enabled") {
		t.Fatalf("got %v", err)
	}
	// Every re-login is bounded by MaxRetries (sessions shared by parallel requests can expire
	// again before a replay), then the error says what to check.
	if want := int32(c.maxRetries + 2); o.logins.Load() != want {
		t.Errorf("%d logins, %d calls; want %d logins (the first and MaxRetries+1 renewals)", o.logins.Load(), o.calls.Load(), want)
	}
}

func TestReloginFailureReported(t *testing.T) {
	var fail atomic.Bool
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/services/oauth2/token" && fail.Load():
			writeJSON(w, 400, fixture(t, "restforce/refresh_error_response.json"))
		case r.URL.Path == "/services/oauth2/token":
			writeJSON(w, 200, fixture(t, "restforce/refresh_success_response.json"))
		default:
			invalidSession(w, t)
		}
	})
	// The recorded refresh response points at na1.salesforce.com: serve it through a
	// transport that sends every request to the test server.
	hc := &http.Client{Transport: rewriteTo(srv.URL)}
	c, err := New(context.Background(), fastRetry(Config{LoginURL: srv.URL, HTTPClient: hc,
		Credentials: Credentials{ClientID: testClientID, RefreshToken: secretRefresh}}))
	if err != nil {
		t.Fatal(err)
	}
	if c.InstanceURL() != "https://na1.salesforce.com" {
		t.Errorf("instance %s", c.InstanceURL())
	}
	fail.Store(true)
	_, err = c.Limits(context.Background())
	if !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), "logging in again failed") {
		t.Fatalf("got %v", err)
	}
	assertNoSecrets(t, "error", err.Error())
}

// rewriteTo sends every request to base, keeping path and query.
type rewriteTo string

func (b rewriteTo) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = "http", strings.TrimPrefix(string(b), "http://")
	return http.DefaultTransport.RoundTrip(r2)
}

// TestCancellationStopsPromptly cancels while a request is in flight and while waiting to retry;
// the call must return within 100 ms of the cancel.
func TestCancellationStopsPromptly(t *testing.T) {
	tests := []struct {
		name    string
		handler func(arrived chan<- struct{}, w http.ResponseWriter, r *http.Request)
	}{
		{"request in flight", func(arrived chan<- struct{}, w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-r.Context().Done()
		}},
		{"backoff wait", func(arrived chan<- struct{}, w http.ResponseWriter, r *http.Request) {
			status(503, "", "")(w)
			arrived <- struct{}{}
		}},
		{"body being read", func(arrived chan<- struct{}, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"totalSize":1,`)
			w.(http.Flusher).Flush()
			arrived <- struct{}{}
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrived := make(chan struct{}, 10)
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { tt.handler(arrived, w, r) })
			c := sessionClient(t, srv, func(cfg *Config) { cfg.RetryWait, cfg.MaxRetryWait = time.Hour, time.Hour })
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := collectIDs(t, c.Query(ctx, "SELECT Id FROM Account"))
				done <- err
			}()
			<-arrived
			cancel()
			deadline := time.NewTimer(100 * time.Millisecond)
			defer deadline.Stop()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("got %v, want context.Canceled", err)
				}
			case <-deadline.C:
				t.Fatal("the query did not stop within 100 ms of cancellation")
			}
		})
	}
}

func TestDo(t *testing.T) {
	var attempts atomic.Int32
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/services/data/v64.0/jobs/query":
			body, _ := io.ReadAll(r.Body)
			if string(body) != `{"operation":"query","query":"SELECT Id FROM Account"}` || r.Header.Get("Content-Type") != "application/json" || !authOK(r, secretSession) {
				t.Errorf("attempt %d: body %q, headers %v", attempts.Load(), body, r.Header)
			}
			if attempts.Add(1) == 1 {
				status(503, "", "")(w)
				return
			}
			writeJSON(w, 200, `{"id":"750R0000000zlh9IAA","state":"UploadComplete"}`)
		case "/services/data/v64.0/jobs/query/750R0000000zlh9IAA/results":
			w.Header().Set("Sforce-Locator", "null")
			w.Header().Set("Sforce-NumberOfRecords", "2")
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, "\"Id\"\n\"001A\"\n\"001B\"\n")
			zw.Close()
		default:
			writeJSON(w, 412, `[{"errorCode":"JOB_NOT_COMPLETE","message":"job not complete"}]`)
		}
	})
	c := sessionClient(t, srv)
	ctx := context.Background()
	resp, err := c.Do(ctx, http.MethodPost, "jobs/query", strings.NewReader(`{"operation":"query","query":"SELECT Id FROM Account"}`),
		http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "UploadComplete") || attempts.Load() != 2 {
		t.Errorf("body %s after %d attempts", b, attempts.Load())
	}

	resp, err = c.Do(ctx, http.MethodGet, "/services/data/v64.0/jobs/query/750R0000000zlh9IAA/results", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	resp.Body.Close()
	if fmt.Sprint(lines) != `["Id" "001A" "001B"]` || resp.Header.Get("Sforce-Locator") != "null" {
		t.Errorf("csv %q locator %q", lines, resp.Header.Get("Sforce-Locator"))
	}

	_, err = c.Do(ctx, http.MethodGet, "jobs/query/750R0000000zlh9IAA/other", nil, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 412 || ae.ErrorCode != CodeJobNotComplete {
		t.Errorf("got %v", err)
	}
	before := srv.calls.Load()
	if _, err := c.Do(ctx, http.MethodGet, "https://elsewhere.example.com/x", nil, nil); err == nil || srv.calls.Load() != before {
		t.Errorf("a request to another host was sent: %v", err)
	}
}

func TestRetriesTimeouts(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if s.calls.Load() == 1 {
			<-r.Context().Done() // hang until the client gives up on this attempt
			return
		}
		writeJSON(w, 200, fixture(t, "camel/limits.json"))
	})
	c := sessionClient(t, srv, func(cfg *Config) { cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	if _, err := c.Limits(context.Background()); err != nil {
		t.Fatal(err)
	}
	if srv.calls.Load() != 2 {
		t.Errorf("%d calls, want 2", srv.calls.Load())
	}
}

func TestTokenResponseGolden(t *testing.T) {
	tests := []struct {
		fixture, instance string
		creds             Credentials
	}{
		{"restforce/auth_success_response.json", "https://na1.salesforce.com",
			Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, UserName: testUser, Password: secretPassword}},
		{"restforce/reauth_success_response.json", "https://na1.salesforce.com", Credentials{ClientID: testClientID, RefreshToken: secretRefresh}},
		{"restforce/refresh_success_response.json", "https://na1.salesforce.com", Credentials{ClientID: testClientID, RefreshToken: secretRefresh}},
		{"simple-salesforce/oauth_token_login_success.json", "https://na15.salesforce.com",
			Credentials{ClientID: testClientID, UserName: testUser, PrivateKey: pkcs1PEM(t)}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			var token atomic.Value
			token.Store("")
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/services/oauth2/token" {
					writeJSON(w, 200, fixture(t, tt.fixture))
					return
				}
				if r.Host != strings.TrimPrefix(tt.instance, "https://") {
					t.Errorf("REST call to %s, want the instance %s", r.Host, tt.instance)
				}
				token.Store(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
				writeJSON(w, 200, `{}`)
			})
			c, err := New(context.Background(), fastRetry(Config{LoginURL: srv.URL, HTTPClient: &http.Client{Transport: rewriteTo(srv.URL)}, Credentials: tt.creds}))
			if err != nil {
				t.Fatal(err)
			}
			if c.InstanceURL() != tt.instance {
				t.Errorf("instance %s, want %s", c.InstanceURL(), tt.instance)
			}
			if _, err := c.Limits(context.Background()); err != nil {
				t.Fatal(err)
			}
			var want struct {
				AccessToken string `json:"access_token"`
			}
			json.Unmarshal(fixture(t, tt.fixture), &want)
			if token.Load() != want.AccessToken {
				t.Errorf("bearer %q, want the fixture's access_token", token)
			}
		})
	}
}

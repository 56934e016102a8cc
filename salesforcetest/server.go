package salesforcetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
)

// Documented defaults used when an Options field is empty (see the package documentation).
const (
	DefaultUserName      = "demo@sfdlt.example"
	DefaultPassword      = "demo-password"
	DefaultSecurityToken = "demoSecurityToken"
	DefaultClientID      = "3MVG9sfdltEmulatorConnectedAppConsumerKey.demo"
	DefaultClientSecret  = "sfdlt-emulator-client-secret"
)

// Options configures an emulated org. The zero value is a working org with the documented
// default credentials and record counts.
type Options struct {
	// Seed makes the generated data reproducible: equal seeds give equal orgs.
	Seed int64
	// Counts maps an object name to its number of live records; missing objects use DefaultCounts.
	Counts map[string]int
	// Credentials accepted by the login endpoints; empty ones take the Default* constants.
	UserName, Password, SecurityToken, ClientID, ClientSecret string
	// Faults are injected from the start; SetFaults changes them later.
	Faults Faults
	// Latency makes every call take as long as it would on a real org (RealOrgLatency), or
	// any other model; the zero value answers at once.
	Latency Latency

	// BulkJobPolls is how many polls of a Bulk query job (GET jobs/query/{id}) answer InProgress
	// before it is JobComplete: 0 means 1 (the first poll says InProgress, the second
	// JobComplete); negative means none (the first poll already says JobComplete).
	BulkJobPolls int
	// BulkJobDelay is the least time a Bulk query job takes from creation to JobComplete.
	BulkJobDelay time.Duration
	// BulkPageSize is the number of rows of a Bulk results page when the request has no
	// maxRecords; 0 means 50,000.
	BulkPageSize int
	// CachePages keeps every rendered REST query page and Bulk results page (per query text,
	// position and size) and serves it again as bytes, so that benchmarks measure the client,
	// not the emulator. Pages are dropped when the org changes (Insert, Update, Delete, ...).
	// PrerenderQuery and PrerenderBulk fill the cache up front. The cache holds every page
	// rendered: about the size of the results (hundreds of MB for a million wide rows).
	CachePages bool

	// Limits are the limits of a real org, all enforced by default; see Limits and NoLimits.
	Limits Limits
	// Wide gives objects (by name) that many extra custom fields, cycling over every custom
	// field type: Text, Text Area, Long and Rich Text Area, Picklist, Multi-Select Picklist,
	// Email, Phone, URL, Checkbox, Number (scale 2 and 0), Currency, Percent, Date, Date/Time,
	// Time, Lookup (Account or User), Geolocation (a location field X__c with its parts
	// X__Latitude__s and X__Longitude__s), Text (Encrypted) and Formula. Names are 20 to 35
	// characters long, as real ones are, so that some hundred fields push a SELECT list past
	// Limits.URIBytes. Values are generated from the seed like the object's other fields.
	Wide map[string]int
	// BulkUnsupported names objects the Bulk API does not support in this org: their query
	// jobs end Failed with "Entity 'X' is not supported by the Bulk API.", and a client must
	// fall back to REST.
	BulkUnsupported []string

	// WholeOrg adds the objects a real enterprise org lists in global describe beyond the ones
	// dlt's source loads, for testing whole-org discovery: field history, share, restricted,
	// event, change event and external objects, objects without IsDeleted or SystemModstamp,
	// and large, wide and long-named custom objects (see the package documentation, "Whole
	// org"). Their record counts are WholeOrgCounts, which Counts overrides. Off (the zero
	// value), the org is exactly the one it always was.
	WholeOrg bool
}

// String redacts the secrets so that Options can be logged safely.
func (o Options) String() string {
	whole := ""
	if o.WholeOrg {
		whole = " WholeOrg:true"
	}
	if !o.Latency.isZero() {
		whole += " Latency:" + o.Latency.String()
	}
	return fmt.Sprintf("salesforcetest.Options{Seed:%d Counts:%v UserName:%q ClientID:%q Faults:%+v Limits:%+v Wide:%v%s}",
		o.Seed, o.Counts, o.UserName, o.ClientID, o.Faults, o.Limits, o.Wide, whole)
}

// GoString redacts the secrets, like String.
func (o Options) GoString() string { return o.String() }

// Faults are failures injected into the responses, drawn from a generator seeded with Seed so that
// a test run is reproducible. The zero value injects nothing.
type Faults struct {
	Seed                int64
	Latency             time.Duration // added to every request
	ErrorRate           float64       // fraction of API and login calls answered 500/503/420 (mixed)
	DropRate            float64       // fraction of API and login responses whose connection is cut mid-body
	SessionExpiresEvery int           // a session becomes invalid after N authenticated calls
	RequestLimitAfter   int           // after N counted API calls, every call answers 403 REQUEST_LIMIT_EXCEEDED
	QueryTimeoutAbove   int           // a query that must produce more rows (after its LIMIT) answers 400 QUERY_TIMEOUT
	SOAPLoginDisabled   bool          // SOAP login answers INVALID_OPERATION, as in orgs created from Winter '26
	PasswordExpired     bool          // SOAP login answers passwordExpired=true and its session can do nothing
	IrregularPages      bool          // query pages of varying, smaller-than-asked sizes
	// CountRefused answers SELECT COUNT() queries 400 MALFORMED_QUERY, as a service that takes
	// no COUNT() would (a real org takes it): a client must size a read another way.
	CountRefused bool

	// Bulk API 2.0 query jobs. ErrorRate, DropRate, Latency, SessionExpiresEvery,
	// RequestLimitAfter and QueryTimeoutAbove apply to Bulk calls too (a job matching more rows
	// than QueryTimeoutAbove ends Failed with QUERY_TIMEOUT). Results requested before a job is
	// JobComplete always answer 412 JOB_NOT_COMPLETE or an empty 204 (by job), as real orgs do.
	BulkJobFailRate float64 // fraction of jobs that end Failed with an errorMessage
	BulkJobStuck    bool    // jobs never leave InProgress (a client needs a timeout)
	BulkJobsLimit   int     // after N jobs, creating one answers 400 LIMIT_EXCEEDED (DailyBulkV2QueryJobs)

	// Limits (see Limits). ConcurrentLimitRate is the fraction of API calls answered 403
	// REQUEST_LIMIT_EXCEEDED "ConcurrentRequests (Concurrent API Requests) Limit exceeded." and
	// "ConcurrentPerOrgLongTxn Limit exceeded." (alternately), not counted as API calls: a
	// transient refusal, unlike RequestLimitAfter's "TotalRequests Limit exceeded.".
	// ForeignCursorEvery lets another integration of the same user open a query cursor before
	// every N-th REST query request (first pages and nextRecordsUrl pages alike), as
	// OpenForeignCursors does.
	ConcurrentLimitRate float64
	ForeignCursorEvery  int
}

// Credentials are what a client needs to log in to the emulated org.
type Credentials struct {
	UserName, Password, SecurityToken string
	ClientID, ClientSecret            string
	// PrivateKeyPEM is the PKCS #8 RSA key whose public half the server trusts for the JWT bearer flow.
	PrivateKeyPEM string
	// RefreshToken is accepted by the refresh_token grant.
	RefreshToken string
}

// String redacts the secrets so that Credentials can be logged safely.
func (c Credentials) String() string {
	return fmt.Sprintf("salesforcetest.Credentials{UserName:%q ClientID:%q (secrets redacted)}", c.UserName, c.ClientID)
}

// GoString redacts the secrets, like String.
func (c Credentials) GoString() string { return c.String() }

// Call is one request as the server saw it, for assertions in tests.
type Call struct {
	Time   time.Time
	Method string
	Path   string
	// SOQL is the query text of a query call, also on its continuation pages.
	SOQL string
	// Page is 0 for a query's first page and 1, 2, ... for the pages fetched by nextRecordsUrl.
	Page int
	// Records is the number of records of a query page or of a Bulk results page served (0 for
	// other calls), so that a test or a benchmark sees the page sizes a client was given.
	Records int
	Status  int
}

// Type aliases so that users can name the org's types without importing an internal package.
type (
	// Field is one describe field; AddField takes one.
	Field = org.Field
	// Object is one sObject's describe.
	Object = org.Object
	// Record is one record of the org.
	Record = org.Record
	// DeletedRecord is one entry of the deleted-records window.
	DeletedRecord = org.DeletedRecord
)

// DefaultCounts returns the number of records generated per object when Options.Counts omits it.
func DefaultCounts() map[string]int { return org.DefaultCounts() }

// WholeOrgCounts returns the number of records generated per object that Options.WholeOrg adds,
// when Options.Counts omits it. Events (Order_Event__e, the change events) never have records
// and are not listed.
func WholeOrgCounts() map[string]int { return org.WholeOrgCounts() }

// Server is an emulated Salesforce org listening on a local address.
type Server struct {
	url      string
	ln       net.Listener
	hs       *http.Server
	opts     Options
	org      *org.Org
	orgID    string
	userID   string
	refresh  string
	keyOnce  sync.Once
	key      *rsa.PrivateKey
	keyPEM   string
	routes   []route
	closeOne sync.Once

	mu       sync.Mutex
	faults   Faults
	rng      *mrand.Rand
	sessions map[string]*session
	apiUsed  int            // counted API calls (Sforce-Limit-Info, /limits)
	appUsed  map[string]int // counted API calls per connected app
	calls    []Call

	limits   Limits           // resolved: a limit applies when positive
	wall     func() time.Time // real time (time.Now; tests may replace it)
	hold     func(*http.Request)
	advanced time.Duration // moved on by Advance: the emulator clock is wall()+advanced
	flights  map[*flight]struct{}

	// Query cursors (cursors.go).
	cursors       map[string]*cursor // locator id -> cursor, open or finished
	open          []*cursor          // open cursors in creation order, other integrations' included
	locatorSeq    int
	cursorSeq     int
	peak          int // most API cursors open at once since start or ResetCalls
	released      int // cursors released because a newer one opened
	queryRequests int // REST query requests (Faults.ForeignCursorEvery)

	concurrentHits int // Faults.ConcurrentLimitRate refusals, alternating their message

	bulk  bulkState
	cache pageCache
}

// NewServer starts an emulated org on 127.0.0.1 on a free port, like httptest.NewServer. It
// panics if it cannot listen, which only happens on a broken machine, or if opts is invalid
// (Wide naming an object the org does not have).
func NewServer(opts Options) *Server {
	s, err := Start("127.0.0.1:0", opts)
	if err != nil {
		panic(fmt.Sprintf("salesforcetest: starting the emulator on a free local port: %v", err))
	}
	return s
}

// Start starts an emulated org on addr (host:port, as for net.Listen), for the CLI and for
// programs that must handle an invalid opts (Wide naming an unknown object, a negative Latency)
// as an error.
func Start(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("salesforcetest: listening on %s: %w (choose a free address)", addr, err)
	}
	s, err := newServer(opts)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.hs = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		// Far above Limits.URIBytes, so that the emulator, not net/http, answers long requests
		// (the default, spelled out).
		MaxHeaderBytes: maxRequestHeaderBytes,
		// Dropped connections (DropRate) end in http.ErrAbortHandler, which the server does not
		// log; anything else it logs is noise for tests.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

func newServer(opts Options) (*Server, error) {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&opts.UserName, DefaultUserName)
	def(&opts.Password, DefaultPassword)
	def(&opts.SecurityToken, DefaultSecurityToken)
	def(&opts.ClientID, DefaultClientID)
	def(&opts.ClientSecret, DefaultClientSecret)
	if err := opts.Latency.check(); err != nil {
		return nil, err
	}
	wide := map[string]int{}
	for name, n := range opts.Wide {
		obj, ok := org.KnownObject(name, opts.WholeOrg)
		if !ok {
			return nil, fmt.Errorf("salesforcetest: Options.Wide names %q, which the emulated org does not have (objects: see DefaultCounts, and WholeOrgCounts with Options.WholeOrg)", name)
		}
		if n < 0 {
			return nil, fmt.Errorf("salesforcetest: Options.Wide[%q] is %d: give a number of fields, 0 or more", name, n)
		}
		wide[obj] = n
	}
	s := &Server{
		opts:     opts,
		org:      org.New(org.Config{Seed: opts.Seed, Counts: opts.Counts, Wide: wide, WholeOrg: opts.WholeOrg}),
		orgID:    orgID,
		userID:   userID,
		refresh:  "5Aep861" + randomToken(40),
		sessions: map[string]*session{},
		appUsed:  map[string]int{},
		limits:   opts.Limits.resolved(),
		wall:     time.Now,
		flights:  map[*flight]struct{}{},
		cursors:  map[string]*cursor{},
	}
	s.routes = restRoutes()
	s.bulkInit()
	s.cache.init()
	s.setFaultsLocked(opts.Faults)
	return s, nil
}

// URL returns the base URL of the emulator, such as http://127.0.0.1:51234. It is the login
// host and the instance URL at once (like a My Domain host).
func (s *Server) URL() string { return s.url }

// Credentials returns the credentials the emulator accepts.
func (s *Server) Credentials() Credentials {
	s.ensureKey()
	return Credentials{
		UserName:      s.opts.UserName,
		Password:      s.opts.Password,
		SecurityToken: s.opts.SecurityToken,
		ClientID:      s.opts.ClientID,
		ClientSecret:  s.opts.ClientSecret,
		PrivateKeyPEM: s.keyPEM,
		RefreshToken:  s.refresh,
	}
}

// ensureKey loads the JWT key pair. One pair is generated per process, on first use: RSA
// generation costs tens to hundreds of milliseconds, which tests starting many servers (most of
// which never see a JWT) should not pay each time.
func (s *Server) ensureKey() {
	s.keyOnce.Do(func() {
		k, p := processKey()
		s.key, s.keyPEM = k, p
	})
}

var processKey = sync.OnceValues(func() (*rsa.PrivateKey, string) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("salesforcetest: generating the JWT key pair: %v", err))
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(fmt.Sprintf("salesforcetest: encoding the JWT key: %v", err))
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
})

// SetFaults replaces the injected faults, reseeds their generator and restarts the counts of
// ForeignCursorEvery and of ConcurrentLimitRate's alternating messages. Sessions already issued
// keep their call counts.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f)
}

func (s *Server) setFaultsLocked(f Faults) {
	s.faults = f
	s.rng = mrand.New(mrand.NewPCG(uint64(f.Seed), 0x5fd17e57))
	s.queryRequests, s.concurrentHits = 0, 0
}

func (s *Server) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Calls returns a copy of the call log, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ResetCalls empties the call log and restarts PeakCursors from the cursors open now (the API
// usage counters and ReleasedCursors stay).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.peak = s.apiCursorsLocked()
}

// Close shuts the server down, cutting open connections.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		s.bulk.cancel() // stops counting jobs
		_ = s.hs.Close()
	})
}

// randomToken returns n characters of URL-safe random text.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("salesforcetest: reading random bytes: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// bufWriter collects a handler's response so that the server can compress it, give it a
// Content-Length and, for DropRate, cut it.
type bufWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	raw    [][]byte // a body kept elsewhere (cached pages), in parts sent without copying; replaces body
	noGzip bool     // the handler decided the encoding itself (Bulk results)
	cost   cost     // what the response takes in Options.Latency (zero: a Call)
}

func newBufWriter() *bufWriter { return &bufWriter{header: http.Header{}} }

func (b *bufWriter) Header() http.Header { return b.header }

func (b *bufWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// callKind says which faults apply to a request.
type callKind int

const (
	kindOther callKind = iota // versions list, unknown paths: latency only
	kindLogin                 // SOAP and OAuth login: latency, errors, drops
	kindAPI                   // REST API: every fault
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	call := Call{Time: time.Now(), Method: r.Method, Path: r.URL.Path}
	bw := newBufWriter()
	if s.tooLarge(bw, r) {
		// Refused at the edge, before anything else: no latency, faults or counting.
		call.Status = bw.status
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		s.finish(w, r, bw, false, false)
		return
	}
	var fl *flight
	if strings.HasPrefix(r.URL.Path, "/services/data/v") {
		fl = s.beginFlight()
		defer s.endFlight(fl)
	}
	f := s.currentFaults()
	if err := s.sleep(r.Context(), f.Latency); err != nil {
		panic(http.ErrAbortHandler) // the client went away: cut the connection, answer nothing
	}
	kind := s.dispatch(bw, r, &call, fl)
	drop := false
	if kind != kindOther && f.DropRate > 0 && bw.status != http.StatusNotModified {
		s.mu.Lock()
		drop = s.rng.Float64() < f.DropRate
		s.mu.Unlock()
	}
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	call.Status = bw.status
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	// The model's wait comes after the handler, which knows what the answer holds (records,
	// bytes), and before the answer leaves, while the request is still in flight (fl), as a
	// real org's slow answer is. The call was logged first: it happened even if the client
	// gives up waiting.
	if err := s.sleep(r.Context(), s.opts.Latency.wait(bw.cost)); err != nil {
		panic(http.ErrAbortHandler) // as above; returning would send an empty 200
	}
	s.finish(w, r, bw, kind == kindAPI, drop)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// finish writes the collected response: gzip when asked for (REST), always a Content-Length, and
// for a dropped response only part of the body before the connection is cut.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, bw *bufWriter, gzipOK, drop bool) {
	parts := bw.raw
	if parts == nil {
		parts = [][]byte{bw.body.Bytes()}
	}
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	h := w.Header()
	for k, v := range bw.header {
		h[k] = v
	}
	if gzipOK && !bw.noGzip && size > 0 && acceptsGzip(r) {
		var zb bytes.Buffer
		// The fastest level: a page is compressed on every request, and the emulator's CPU must
		// not be what a benchmark of a client sharing its machine measures.
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
		for _, p := range parts {
			_, _ = zw.Write(p)
		}
		_ = zw.Close()
		parts, size = [][]byte{zb.Bytes()}, zb.Len()
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	if bw.status != http.StatusNotModified && bw.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(size))
	}
	w.WriteHeader(bw.status)
	if drop && size >= 2 {
		for left := size / 2; left > 0; parts = parts[1:] {
			p := parts[0][:min(left, len(parts[0]))]
			_, _ = w.Write(p)
			left -= len(p)
		}
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	for _, p := range parts {
		_, _ = w.Write(p)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// dispatch routes a request and reports which faults apply to it.
func (s *Server) dispatch(w *bufWriter, r *http.Request, call *Call, fl *flight) callKind {
	p := r.URL.Path
	switch {
	case p == "/services/data" || p == "/services/data/":
		s.serveVersions(w, r)
		return kindOther
	case p == "/services/oauth2/token":
		if s.injectError(w, false) {
			return kindLogin
		}
		s.serveToken(w, r)
		return kindLogin
	case strings.HasPrefix(p, "/services/Soap/u/"):
		if s.injectError(w, true) {
			return kindLogin
		}
		s.serveSOAPLogin(w, r)
		return kindLogin
	case strings.HasPrefix(p, "/services/data/"):
		s.serveREST(w, r, call, fl)
		return kindAPI
	}
	restError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	return kindOther
}

// injectError answers a transient failure drawn from Faults.ErrorRate and reports whether it did.
// On the SOAP endpoint the 500 is a SOAP fault, as there.
func (s *Server) injectError(w *bufWriter, soap bool) bool {
	s.mu.Lock()
	rate := s.faults.ErrorRate
	hit := rate > 0 && s.rng.Float64() < rate
	which := 0
	if hit {
		which = s.rng.IntN(4)
	}
	s.mu.Unlock()
	if !hit {
		return false
	}
	switch which {
	case 0:
		if soap {
			soapFault(w, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1357924680-13579 (-1234567890)", "UnexpectedErrorFault")
			break
		}
		restError(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION",
			"An unexpected error occurred. Please include this ErrorId if you contact support: 1357924680-13579 (-1234567890)")
	case 1:
		restError(w, http.StatusServiceUnavailable, "SERVER_UNAVAILABLE", "Server is temporarily unavailable. Please try again later.")
	case 2:
		w.WriteHeader(420)
	default:
		w.header.Set("Content-Type", "text/html;charset=UTF-8")
		w.WriteHeader(420)
		_, _ = io.WriteString(w, "<html><head><title>420 Enhance Your Calm</title></head><body><h1>Enhance Your Calm</h1><p>The edge is shedding load; retry later.</p></body></html>\n")
	}
	return true
}

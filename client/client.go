// Package client is sfdlt's Salesforce API client: login (SOAP and the OAuth 2.0 flows), REST
// queries with paging, describes, limits and deleted records, Bulk API 2.0 query jobs, and a
// generic authenticated request method (Do) for the APIs it does not wrap. It speaks Salesforce
// only and knows no tables.
//
// One Client serves many goroutines. Every call retries transient failures (5xx, 420, 406, 429,
// network errors, bodies cut off mid-page) with jittered exponential backoff, logs in again once
// when the session expires, and stops at once on the org's daily API limit. Salesforce's limit
// on concurrent long-running requests is waited out instead, on a budget of its own
// (Config.ConcurrentLimitWait), while the client lowers the number of requests it runs at once:
// an adaptive limit, halved on each such answer and raised again as requests succeed. An API
// version the instance does not offer is named as such (ErrAPIVersionUnavailable), not taken for
// a missing object. An unreachable host fails fast: a name that does not resolve is not
// retried, a host refusing connections is tried twice (ErrUnreachable). Errors are typed
// (*APIError, *LoginError) and match the package's sentinels with errors.Is; their messages cut
// long URLs and SOQL to a readable length.
//
// The client counts the API calls it sends (APICalls), asks for gzip except from a loopback host
// (Config.DisableCompression), and deletes the Bulk jobs a caller kept once their rows are
// stored, even after the caller was cancelled (DeleteBulkJobs).
package client

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultAPIVersion   = "64.0"
	DefaultMaxRetries   = 5
	DefaultRetryWait    = time.Second
	DefaultMaxRetryWait = time.Minute
	// maxSOAPLoginVersion is the newest version whose SOAP login() still works (v65.0 retired it).
	maxSOAPLoginVersion = "64.0"
	userAgent           = "sfdlt-client/1"
)

// Config configures a Client. Only Credentials is required.
type Config struct {
	Credentials Credentials

	// Domain picks the login host https://{Domain}.salesforce.com: "login" (the default,
	// production), "test" (sandbox), or a My Domain such as "acme.my" or "acme--uat.sandbox.my".
	// A full host ending in .salesforce.com is accepted as is.
	Domain string
	// LoginURL is a full base URL for login and wins over Domain. http:// is allowed only for
	// loopback hosts (127.0.0.0/8, ::1, localhost), for tests and emulators.
	LoginURL string
	// APIVersion is the REST API version, such as "64.0" (default DefaultAPIVersion). SOAP login
	// always uses a version that still serves it (at most 64.0), even when APIVersion is newer.
	APIVersion string

	// HTTPClient sends the requests; nil uses a client with a 3-minute response header timeout.
	HTTPClient *http.Client

	// MaxRetries bounds the retries of one request after its first attempt (0: DefaultMaxRetries;
	// negative: no retries). RetryWait is the base and MaxRetryWait the cap of the jittered
	// exponential backoff (0: DefaultRetryWait, DefaultMaxRetryWait).
	MaxRetries   int
	RetryWait    time.Duration
	MaxRetryWait time.Duration

	// ConcurrentLimitWait bounds the time one request spends waiting out Salesforce's
	// concurrent-request limit (ErrConcurrentLimit: too many long-running requests in the org at
	// once), a budget apart from MaxRetries: such answers are retried with the same backoff
	// (from RetryWait up to MaxRetryWait, jittered) until the waits add up to ConcurrentLimitWait
	// (0: DefaultConcurrentLimitWait; negative: not retried). Meanwhile the client lowers the
	// number of requests it runs at once (see Throttled).
	ConcurrentLimitWait time.Duration
	// MaxConcurrentRequests caps the requests to the instance the client runs at once, callers
	// waiting beyond it (0: no cap). Concurrent-limit answers lower the client's limit below
	// the cap for a while whatever this says.
	MaxConcurrentRequests int

	// Logger receives retries, waits, logins and re-logins (warnings and info) and every request
	// (debug); nil disables logging. Secrets are never logged.
	Logger *slog.Logger

	// DisableCompression asks every host for uncompressed responses. By default the client asks
	// for gzip, which shrinks pages several times over a network, but not from a loopback host
	// (127.0.0.0/8, ::1, localhost: the emulator), where it only burns CPU on both ends (a quarter
	// of a local load's CPU, profiled). CompressLoopback asks loopback hosts for gzip too, to
	// exercise compression against a local server; DisableCompression wins over it. The host is
	// that of each request: the login host for logins, the instance for everything else.
	DisableCompression bool
	CompressLoopback   bool
}

// Client is an authenticated Salesforce API client, safe for concurrent use.
type Client struct {
	httpc        *http.Client
	log          *slog.Logger
	loginURL     string // base URL of the login host, without trailing slash
	loginHost    string
	apiVersion   string
	maxRetries   int
	retryWait    time.Duration
	maxRetryWait time.Duration
	// noCompression and compressLoopback: Config.DisableCompression and CompressLoopback (see
	// compress).
	noCompression    bool
	compressLoopback bool
	// concurrentLimitWait: Config.ConcurrentLimitWait (0 when not retried).
	concurrentLimitWait time.Duration

	// gate holds back requests while Salesforce answers its concurrent-request limit;
	// throttled counts those answers.
	gate      *gate
	throttled atomic.Int64
	// apiCalls counts the requests sent under the versioned data path (see APICalls).
	apiCalls atomic.Int64

	// versionSem guards versionChecked and versionErr, the cached answer of the check that
	// explains a 404 by an API version the instance does not offer (see checkVersion).
	versionSem     chan struct{}
	versionChecked string // instance URL checked; "" before any check
	versionErr     error

	creds       Credentials
	flow        Flow // flow of the first login
	reloginFlow Flow // flow used when the session expires; "" when it cannot be renewed
	key         *rsa.PrivateKey

	loginSem chan struct{} // held while logging in: one login at a time, waiting honours ctx
	mu       sync.RWMutex
	tok      session

	usage atomic.Pointer[Usage]

	describeMu sync.Mutex
	describes  map[string]*describeEntry
	global     *globalEntry
	// metadataAt is the global describe's Last-Modified this client last saw answered (200) or
	// confirmed (304): describes validated under it need no request.
	metadataAt string
}

// session is the current access token and where to use it; gen counts logins so that concurrent
// callers that saw the same expired session trigger a single re-login.
type session struct {
	id          string
	instanceURL string
	gen         uint64
}

var versionRE = regexp.MustCompile(`^[0-9]{2,3}\.0$`)

// New validates cfg and logs in (no call for a session flow). The returned client is ready.
func New(ctx context.Context, cfg Config) (*Client, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	if err := c.login(ctx, c.flow); err != nil {
		return nil, err
	}
	return c, nil
}

// newClient validates the configuration without any network call.
func newClient(cfg Config) (*Client, error) {
	c := &Client{
		httpc:            cfg.HTTPClient,
		log:              cfg.Logger,
		apiVersion:       strings.TrimPrefix(cfg.APIVersion, "v"),
		maxRetries:       cfg.MaxRetries,
		noCompression:    cfg.DisableCompression,
		compressLoopback: cfg.CompressLoopback,
		retryWait:        cfg.RetryWait,
		maxRetryWait:     cfg.MaxRetryWait,
		creds:            cfg.Credentials,
		loginSem:         make(chan struct{}, 1),
		versionSem:       make(chan struct{}, 1),
		describes:        map[string]*describeEntry{},
	}
	if cfg.MaxConcurrentRequests < 0 {
		return nil, fmt.Errorf("config: MaxConcurrentRequests %d is negative: use 0 for no cap", cfg.MaxConcurrentRequests)
	}
	c.gate = newGate(cfg.MaxConcurrentRequests)
	switch {
	case cfg.ConcurrentLimitWait == 0:
		c.concurrentLimitWait = DefaultConcurrentLimitWait
	case cfg.ConcurrentLimitWait > 0:
		c.concurrentLimitWait = cfg.ConcurrentLimitWait
	}
	if c.httpc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 3 * time.Minute
		c.httpc = &http.Client{Transport: tr}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.apiVersion == "" {
		c.apiVersion = DefaultAPIVersion
	}
	if !versionRE.MatchString(c.apiVersion) {
		return nil, fmt.Errorf("config: APIVersion %q is not a Salesforce API version: use a form like %q", cfg.APIVersion, DefaultAPIVersion)
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.retryWait <= 0 {
		c.retryWait = DefaultRetryWait
	}
	if c.maxRetryWait <= 0 {
		c.maxRetryWait = DefaultMaxRetryWait
	}
	if c.maxRetryWait < c.retryWait {
		c.maxRetryWait = c.retryWait
	}

	base, err := loginBaseURL(cfg.Domain, cfg.LoginURL)
	if err != nil {
		return nil, err
	}
	c.loginURL = base
	u, _ := url.Parse(base)
	c.loginHost = u.Host

	c.flow, err = c.creds.flow()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.reloginFlow = c.flow
	if c.flow == FlowSession {
		// A session given with the credentials of another flow can be renewed with that flow.
		c.reloginFlow = ""
		if f, err := c.creds.loginFlow(); err == nil {
			c.reloginFlow = f
		}
	}
	if c.flow == FlowJWT || c.reloginFlow == FlowJWT {
		if c.key, err = loadPrivateKey(c.creds.PrivateKey, c.creds.PrivateKeyFile); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	if c.flow == FlowClientCredentials || c.reloginFlow == FlowClientCredentials {
		if h := u.Hostname(); h == "login.salesforce.com" || h == "test.salesforce.com" {
			return nil, fmt.Errorf("config: the client credentials flow works only on your My Domain host, not %s: set Domain to your My Domain (such as \"acme.my\")", h)
		}
	}
	return c, nil
}

// loginBaseURL maps Domain/LoginURL to the login base URL.
func loginBaseURL(domain, loginURL string) (string, error) {
	if loginURL != "" {
		base, err := checkBaseURL(loginURL)
		if err != nil {
			return "", fmt.Errorf("config: LoginURL: %w", err)
		}
		return base, nil
	}
	domain = strings.TrimSpace(domain)
	if domain == "" {
		domain = "login"
	}
	if strings.Contains(domain, "://") || strings.ContainsAny(domain, "/?#@: ") {
		return "", fmt.Errorf("config: Domain %q must be a bare name such as \"login\", \"test\" or \"acme.my\"; put full URLs in LoginURL", domain)
	}
	host := strings.ToLower(strings.TrimSuffix(domain, "."))
	if !strings.HasSuffix(host, ".salesforce.com") {
		host += ".salesforce.com"
	}
	return "https://" + host, nil
}

// checkBaseURL validates a base URL: https, or http only for loopback hosts, since the session
// and passwords travel over it. It returns the URL without trailing slash, query or fragment.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%q must be an absolute URL such as https://acme.my.salesforce.com, without user info", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("%q uses http:// on a non-loopback host: credentials would travel in clear text; use https:// (http:// is allowed only for 127.0.0.0/8, ::1 and localhost)", raw)
		}
	default:
		return "", fmt.Errorf("%q must use https://", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// compress reports whether to ask host for gzip-compressed responses (see
// Config.DisableCompression).
func (c *Client) compress(host string) bool {
	return !c.noCompression && (c.compressLoopback || !isLoopback(host))
}

// isLoopback reports whether host (a name or an IP, without port) is the local machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// InstanceURL is the base URL of the org's instance, such as https://acme.my.salesforce.com.
func (c *Client) InstanceURL() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tok.instanceURL
}

// APIVersion is the REST API version in use, such as "64.0".
func (c *Client) APIVersion() string { return c.apiVersion }

// String describes the client without its session.
func (c *Client) String() string {
	return fmt.Sprintf("client.Client{Flow: %s, LoginHost: %s, Instance: %s, APIVersion: %s}", c.flow, c.loginHost, c.InstanceURL(), c.apiVersion)
}

// GoString is String, so %#v never prints the session.
func (c *Client) GoString() string { return c.String() }

// dataPath is the path of a REST resource under /services/data/vXX.X/.
func (c *Client) dataPath(rel string) string {
	return apiPathPrefix + c.apiVersion + "/" + strings.TrimPrefix(rel, "/")
}

func (c *Client) current() session {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tok
}

// resolve turns a request path into a URL on the instance. Absolute URLs must point at the
// instance itself, so the session is never sent elsewhere.
func (c *Client) resolve(instance, path string) (string, error) {
	switch {
	case strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://"):
		u, err := url.Parse(path)
		if err != nil {
			return "", fmt.Errorf("request URL %q: %w", clip(path, clipURL), err)
		}
		inst, _ := url.Parse(instance)
		if u.Scheme != inst.Scheme || !strings.EqualFold(u.Host, inst.Host) {
			return "", fmt.Errorf("request URL %s is not on the instance %s: refusing to send the session there", showURL(path), instance)
		}
		return path, nil
	case strings.HasPrefix(path, "/"):
		return instance + path, nil
	default:
		return instance + c.dataPath(path), nil
	}
}

// parseVersion turns "64.0" into 64 for comparisons.
func parseVersion(v string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	return f
}

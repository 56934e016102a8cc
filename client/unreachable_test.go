package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// dialCounter is an http.Transport whose every connection attempt is counted: one dial per
// request attempt, since a failed dial leaves no connection to reuse.
type dialCounter struct {
	dials atomic.Int32
	// dial makes the connection; nil uses a plain net.Dialer.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (d *dialCounter) client(mod ...func(*http.Transport)) *http.Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.dials.Add(1)
		if d.dial != nil {
			return d.dial(ctx, network, addr)
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}}
	for _, m := range mod {
		m(tr)
	}
	return &http.Client{Transport: tr}
}

// nxdomainResolver is a Go resolver whose DNS server answers NXDOMAIN to every question, so
// that every lookup fails with a *net.DNSError whose IsNotFound is set, whatever the sandbox's
// own resolver does.
func nxdomainResolver(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// Echo the query (same id and question) as a response: QR set, RD kept, RA set,
			// RCODE 3 (NXDOMAIN).
			buf[2] |= 0x80
			buf[3] = 0x80 | 3
			pc.WriteTo(buf[:n], from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// closedAddr is a loopback address nothing listens on: connections to it are refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// refusedErr is the error a dial to a refusing host returns.
func refusedErr(addr string) error {
	a, _ := net.ResolveTCPAddr("tcp", addr)
	return &net.OpError{Op: "dial", Net: "tcp", Addr: a, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

var passwordCreds = Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, UserName: testUser, Password: secretPassword}

// checkUnreachable asserts what every unreachable-host error promises: ErrUnreachable, not a
// LoginError, the host named with what to check, no URL and no secret.
func checkUnreachable(t *testing.T, err error, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want an unreachable host")
	}
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("not ErrUnreachable: %v", err)
	}
	var le *LoginError
	if errors.As(err, &le) || errors.Is(err, ErrLogin) {
		t.Errorf("a network failure came back as a LoginError: %v", err)
	}
	msg := err.Error()
	for _, s := range contains {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q: %v", s, msg)
		}
	}
	for _, s := range []string{"://", "/services", "?", "giving up"} {
		if strings.Contains(msg, s) {
			t.Errorf("error contains %q (a URL, or the full retry budget): %v", s, msg)
		}
	}
	assertNoSecrets(t, "error", msg)
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// TestUnreachableHostFailsFast: a name that does not resolve is tried once and a refusing host
// twice, for logins and REST calls alike, and the error names the host and what to check.
func TestUnreachableHostFailsFast(t *testing.T) {
	refused := closedAddr(t)
	tests := []struct {
		name string
		// run makes one call through hc and returns its error.
		run      func(t *testing.T, hc *http.Client) error
		dns      bool // resolve through nxdomainResolver
		defaults bool // the default retry waits, not fastRetry's
		dials    int32
		is       func(error) bool
		contains []string
	}{
		{
			name: "login, no such host", dns: true, defaults: true, dials: 1, is: isNotFound,
			run: func(t *testing.T, hc *http.Client) error {
				_, err := New(context.Background(), Config{LoginURL: "https://login.example.invalid", HTTPClient: hc, Credentials: passwordCreds})
				return err
			},
			contains: []string{"cannot reach login.example.invalid: no such host: check login_url / domain and the network"},
		},
		{
			name: "SOAP login on a mistyped domain, no such host", dns: true, dials: 1, is: isNotFound,
			run: func(t *testing.T, hc *http.Client) error {
				_, err := New(context.Background(), fastRetry(Config{Domain: "acme-typo.my", HTTPClient: hc,
					Credentials: Credentials{UserName: testUser, Password: secretPassword, SecurityToken: secretToken}}))
				return err
			},
			contains: []string{"cannot reach acme-typo.my.salesforce.com: no such host", "login_url / domain"},
		},
		{
			name: "login, connection refused", defaults: true, dials: refusedAttempts,
			is: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) },
			run: func(t *testing.T, hc *http.Client) error {
				_, err := New(context.Background(), Config{LoginURL: "http://" + refused, HTTPClient: hc, Credentials: passwordCreds})
				return err
			},
			contains: []string{"cannot reach " + refused + ": connection refused (2 attempts): check login_url / domain and the network"},
		},
		{
			name: "login, connection refused, no retries", dials: 1,
			is: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) },
			run: func(t *testing.T, hc *http.Client) error {
				_, err := New(context.Background(), fastRetry(Config{LoginURL: "http://" + refused, HTTPClient: hc, MaxRetries: -1, Credentials: passwordCreds}))
				return err
			},
			contains: []string{"cannot reach " + refused + ": connection refused: check login_url / domain"},
		},
		{
			name: "REST, no such host", dns: true, dials: 1, is: isNotFound,
			run: func(t *testing.T, hc *http.Client) error {
				c, err := New(context.Background(), fastRetry(Config{HTTPClient: hc,
					Credentials: Credentials{SessionID: secretSession, InstanceURL: "https://acme.my.example.invalid"}}))
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Limits(context.Background())
				return err
			},
			contains: []string{"cannot reach acme.my.example.invalid: no such host: check instance_url and the network"},
		},
		{
			name: "REST query, connection refused", dials: refusedAttempts,
			is: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) },
			run: func(t *testing.T, hc *http.Client) error {
				c, err := New(context.Background(), fastRetry(Config{HTTPClient: hc,
					Credentials: Credentials{SessionID: secretSession, InstanceURL: "http://" + refused}}))
				if err != nil {
					t.Fatal(err)
				}
				_, err = collectIDs(t, c.Query(context.Background(), "SELECT Id FROM Account WHERE Name = 'x'"))
				return err
			},
			contains: []string{"cannot reach " + refused + ": connection refused (2 attempts): check instance_url"},
		},
		{
			name: "Do, connection refused", dials: refusedAttempts,
			is: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) },
			run: func(t *testing.T, hc *http.Client) error {
				c, err := New(context.Background(), fastRetry(Config{HTTPClient: hc,
					Credentials: Credentials{SessionID: secretSession, InstanceURL: "http://" + refused}}))
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Do(context.Background(), http.MethodPost, "jobs/query", strings.NewReader(`{}`), nil)
				return err
			},
			contains: []string{"cannot reach " + refused + ": connection refused"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d dialCounter
			if tt.dns {
				nd := &net.Dialer{Resolver: nxdomainResolver(t)}
				d.dial = nd.DialContext
			}
			start := time.Now()
			err := tt.run(t, d.client())
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %v to fail", elapsed)
			}
			checkUnreachable(t, err, tt.contains...)
			if !tt.is(err) {
				t.Errorf("the network error does not match: %v (%#v)", err, errors.Unwrap(err))
			}
			if got := d.dials.Load(); got != tt.dials {
				t.Errorf("%d connection attempts, want %d: %v", got, tt.dials, err)
			}
		})
	}
}

// TestUnreachableHostSystemResolver resolves a .invalid name (RFC 6761: never resolves) with
// the system's resolver and the default retry waits: one attempt, no wait.
func TestUnreachableHostSystemResolver(t *testing.T) {
	const host = "sfdlt-test.example.invalid"
	probe, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(probe, host); !isNotFound(err) {
		t.Skipf("this resolver does not answer no such host for %s: %v", host, err)
	}
	var d dialCounter
	start := time.Now()
	_, err := New(context.Background(), Config{LoginURL: "https://" + host + "/?secret=" + secretToken, HTTPClient: d.client(), Credentials: passwordCreds})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %v to fail", elapsed)
	}
	checkUnreachable(t, err, "cannot reach "+host+": no such host: check login_url / domain and the network")
	if !isNotFound(err) {
		t.Errorf("not a *net.DNSError with IsNotFound: %v", err)
	}
	if got := d.dials.Load(); got != 1 {
		t.Errorf("%d connection attempts, want 1", got)
	}
}

// TestRefusedOnceThenUp: a host restarting (refusing once) is covered by the second try.
func TestRefusedOnceThenUp(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "camel/limits.json"))
	})
	var d dialCounter
	d.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if d.dials.Load() == 1 {
			return nil, refusedErr(addr)
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}
	var logs logBuffer
	c := sessionClient(t, srv, func(cfg *Config) { cfg.HTTPClient, cfg.Logger = d.client(), logs.logger() })
	if _, err := c.Limits(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := d.dials.Load(); got != 2 {
		t.Errorf("%d connection attempts, want 2", got)
	}
	if !strings.Contains(logs.String(), "will retry") {
		t.Errorf("the refusal was not logged as retried:\n%s", logs.String())
	}
}

// TestRefusedCountsAcrossOtherFailures: refusals are counted per request, not in a row; other
// transient failures in between keep their own budget.
func TestRefusedCountsAcrossOtherFailures(t *testing.T) {
	var d dialCounter
	d.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch d.dials.Load() {
		case 1, 3:
			return nil, refusedErr(addr)
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "acme.my.salesforce.com", IsTemporary: true}}
	}
	c, err := New(context.Background(), fastRetry(Config{HTTPClient: d.client(),
		Credentials: Credentials{SessionID: secretSession, InstanceURL: "https://acme.my.salesforce.com"}}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Limits(context.Background())
	checkUnreachable(t, err, "cannot reach acme.my.salesforce.com: connection refused (3 attempts)")
	if got := d.dials.Load(); got != 3 {
		t.Errorf("%d connection attempts, want 3", got)
	}
}

// TestTransientNetworkErrorsKeepRetryBudget: resets, drops, timeouts and temporary DNS failures
// are retried for the whole MaxRetries budget, as before, and are not ErrUnreachable.
func TestTransientNetworkErrorsKeepRetryBudget(t *testing.T) {
	const maxRetries = 3
	dialErr := func(err error) func(context.Context, string, string) (net.Conn, error) {
		return func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
		}
	}
	tests := []struct {
		name string
		dial func(context.Context, string, string) (net.Conn, error)
	}{
		{"temporary DNS failure", dialErr(&net.DNSError{Err: "server misbehaving", Name: "acme.my.salesforce.com", IsTemporary: true})},
		{"DNS timeout", dialErr(&net.DNSError{Err: "i/o timeout", Name: "acme.my.salesforce.com", IsTimeout: true, IsTemporary: true})},
		{"not found but temporary", dialErr(&net.DNSError{Err: "no such host", Name: "acme.my.salesforce.com", IsNotFound: true, IsTemporary: true})},
		{"connection reset while dialing", dialErr(os.NewSyscallError("read", syscall.ECONNRESET))},
		{"connect timeout", dialErr(os.NewSyscallError("connect", syscall.ETIMEDOUT))},
		{"no route to host", dialErr(os.NewSyscallError("connect", syscall.EHOSTUNREACH))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dialCounter{dial: tt.dial}
			c, err := New(context.Background(), fastRetry(Config{HTTPClient: d.client(), MaxRetries: maxRetries,
				Credentials: Credentials{SessionID: secretSession, InstanceURL: "https://acme.my.salesforce.com"}}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Limits(context.Background())
			if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempts") || errors.Is(err, ErrUnreachable) {
				t.Errorf("got %v", err)
			}
			if got := d.dials.Load(); got != maxRetries+1 {
				t.Errorf("%d connection attempts, want %d", got, maxRetries+1)
			}
		})
	}

	t.Run("connection dropped before the response", func(t *testing.T) {
		srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			conn.Close()
		})
		c := sessionClient(t, srv, func(cfg *Config) { cfg.MaxRetries = maxRetries })
		_, err := c.Limits(context.Background())
		if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempts") || errors.Is(err, ErrUnreachable) {
			t.Errorf("got %v", err)
		}
		if got := srv.calls.Load(); got != maxRetries+1 {
			t.Errorf("%d calls, want %d", got, maxRetries+1)
		}
	})
}

// TestUnreachableProxy: when the HTTP proxy is what cannot be reached, the error says so (and
// names it by address, never by its URL with a password) instead of blaming the login host.
func TestUnreachableProxy(t *testing.T) {
	refused := closedAddr(t)
	proxy := &url.URL{Scheme: "http", User: url.UserPassword("proxyuser", secretPassword), Host: refused}
	var d dialCounter
	hc := d.client(func(tr *http.Transport) { tr.Proxy = http.ProxyURL(proxy) })
	_, err := New(context.Background(), fastRetry(Config{Domain: "login", HTTPClient: hc, Credentials: passwordCreds}))
	checkUnreachable(t, err, "cannot reach the proxy "+refused+": connection refused (2 attempts): check the proxy setting")
	if strings.Contains(err.Error(), "login.salesforce.com") || strings.Contains(err.Error(), "proxyuser") {
		t.Errorf("error blames the login host or shows the proxy URL: %v", err)
	}
	if got := d.dials.Load(); got != refusedAttempts {
		t.Errorf("%d connection attempts, want %d", got, refusedAttempts)
	}
}

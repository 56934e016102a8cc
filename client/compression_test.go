package client

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// encodingRecorder answers every request with body, without a network, and records the
// Accept-Encoding each host was asked with.
type encodingRecorder struct {
	body func(r *http.Request) string
	mu   sync.Mutex
	seen []string // "host encoding"
}

func (e *encodingRecorder) client() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		e.mu.Lock()
		e.seen = append(e.seen, r.URL.Host+" "+r.Header.Get("Accept-Encoding"))
		e.mu.Unlock()
		return &http.Response{StatusCode: http.StatusOK, Request: r,
			Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}},
			Body:   io.NopCloser(strings.NewReader(e.body(r)))}, nil
	})}
}

func (e *encodingRecorder) requests() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.seen, ", ")
}

// The client asks for gzip except from a loopback host, unless DisableCompression turns it off
// everywhere or CompressLoopback on everywhere; DisableCompression wins.
func TestCompressionPolicy(t *testing.T) {
	const remote, loopback = "https://acme.my.salesforce.com", "http://127.0.0.1:8080"
	tests := []struct {
		name             string
		instance         string
		disable, compLoc bool
		want             string
	}{
		{"remote host", remote, false, false, "gzip"},
		{"remote host, DisableCompression", remote, true, false, "identity"},
		{"remote host, CompressLoopback", remote, false, true, "gzip"},
		{"127.0.0.1", loopback, false, false, "identity"},
		{"127.0.0.2", "http://127.0.0.2:8080", false, false, "identity"},
		{"::1", "http://[::1]:8080", false, false, "identity"},
		{"localhost", "http://LocalHost:8080", false, false, "identity"},
		{"loopback, CompressLoopback", loopback, false, true, "gzip"},
		{"loopback, DisableCompression", loopback, true, false, "identity"},
		{"loopback, both: DisableCompression wins", loopback, true, true, "identity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &encodingRecorder{body: func(*http.Request) string { return string(fixture(t, "camel/limits.json")) }}
			c, err := New(context.Background(), Config{HTTPClient: rec.client(),
				Credentials:        Credentials{SessionID: secretSession, InstanceURL: tt.instance},
				DisableCompression: tt.disable, CompressLoopback: tt.compLoc})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Limits(context.Background()); err != nil {
				t.Fatal(err)
			}
			host := strings.TrimPrefix(strings.TrimPrefix(tt.instance, "https://"), "http://")
			if got, want := rec.requests(), host+" "+tt.want; got != want {
				t.Errorf("requests %q, want %q", got, want)
			}
		})
	}
}

// The policy follows each request's host: a login on a loopback host is sent uncompressed, the
// REST calls to the remote instance it names ask for gzip.
func TestCompressionPerHost(t *testing.T) {
	rec := &encodingRecorder{body: func(r *http.Request) string {
		if r.URL.Path == "/services/oauth2/token" {
			return tokenJSON("https://acme.my.salesforce.com", secretAccess1)
		}
		return string(fixture(t, "camel/limits.json"))
	}}
	c, err := New(context.Background(), Config{HTTPClient: rec.client(), LoginURL: "http://localhost:8080",
		Credentials: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, UserName: testUser, Password: secretPassword}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Limits(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.requests(), "localhost:8080 identity, acme.my.salesforce.com gzip"; got != want {
		t.Errorf("requests %q, want %q", got, want)
	}
}

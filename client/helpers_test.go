package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Distinctive secret values: no error, log line or String() may ever contain one.
const (
	secretPassword     = "pw-SECRET-p4ss"
	secretToken        = "tok-SECRET-t0ken"
	secretClientSecret = "cs-SECRET-cl1ent"
	secretRefresh      = "rt-SECRET-refr3sh"
	secretSession      = "sess-SECRET-s3ss"
	secretAccess1      = "access-SECRET-one"
	secretAccess2      = "access-SECRET-two"
	testClientID       = "3MVG9-consumer-key"
	testUser           = "integration@example.com"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// rsaKey returns a test RSA key, generated once per test binary.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func pkcs1PEM(t testing.TB) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey(t))}))
}

func pkcs8PEM(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(rsaKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// keySecrets are fragments of the test key's PEM body; none may leak.
func keySecrets(t testing.TB) []string {
	body := strings.Split(pkcs1PEM(t), "\n")[3]
	body8 := strings.Split(pkcs8PEM(t), "\n")[3]
	return []string{body, body8}
}

func allSecrets(t testing.TB) []string {
	return append([]string{secretPassword, secretToken, secretClientSecret, secretRefresh, secretSession,
		secretAccess1, secretAccess2, secretPassword + secretToken}, keySecrets(t)...)
}

// assertNoSecrets fails when s contains any secret value.
func assertNoSecrets(t testing.TB, what, s string) {
	t.Helper()
	for _, sec := range allSecrets(t) {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks a secret (%.6s...): %s", what, sec, s)
		}
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fastRetry makes backoff waits microseconds so retry tests stay quick.
func fastRetry(cfg Config) Config {
	cfg.RetryWait = time.Microsecond
	cfg.MaxRetryWait = 10 * time.Microsecond
	return cfg
}

// server is an httptest server whose handler may refer to its own URL.
type server struct {
	*httptest.Server
	calls atomic.Int64
}

func newServer(t testing.TB, h func(s *server, w http.ResponseWriter, r *http.Request)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		h(s, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	switch b := v.(type) {
	case []byte:
		w.Write(b)
	case string:
		w.Write([]byte(b))
	default:
		json.NewEncoder(w).Encode(v)
	}
}

// sessionClient returns a client on srv with a bare session (no login call). srv stands in for
// a remote org, so the client asks it for gzip as it would ask Salesforce (CompressLoopback).
func sessionClient(t testing.TB, srv *server, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := fastRetry(Config{Credentials: Credentials{SessionID: secretSession, InstanceURL: srv.URL}, CompressLoopback: true})
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// logBuffer returns a debug logger writing to a buffer, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// authOK checks the bearer token of a REST request.
func authOK(r *http.Request, token string) bool {
	return r.Header.Get("Authorization") == "Bearer "+token
}

func invalidSession(w http.ResponseWriter, t testing.TB) {
	writeJSON(w, http.StatusUnauthorized, fixture(t, "restforce/expired_session_response.json"))
}

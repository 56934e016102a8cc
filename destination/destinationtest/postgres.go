package destinationtest

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// PostgresEnv is the environment variable that gives the tests their Postgres DSN.
const PostgresEnv = "SFDLT_TEST_POSTGRES_DSN"

// DefaultPostgresDSN is the Postgres the tests try when PostgresEnv is unset: the one CI
// runs, trusting local connections.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// fallbackDSN is DefaultPostgresDSN; tests point it elsewhere.
var fallbackDSN = DefaultPostgresDSN

var probe struct {
	sync.Mutex
	done map[string]error
}

// PostgresDSN returns the DSN of the Postgres that tests may use: PostgresEnv when set,
// else DefaultPostgresDSN. When nothing answers at its host and port, it fails t if the
// variable was set or CI=true (CI must run the Postgres tests), and otherwise skips t with
// a message saying how to enable the tests. Tests of any package that need Postgres call it
// first.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn, set := os.LookupEnv(PostgresEnv)
	if !set || dsn == "" {
		dsn, set = fallbackDSN, false
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// url's message quotes the DSN, password included: say only what is wrong.
		t.Fatalf("%s is not a URL; set it to e.g. %s", PostgresEnv, DefaultPostgresDSN)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "5432"
	}
	addr := net.JoinHostPort(host, port)

	probe.Lock()
	if probe.done == nil {
		probe.done = map[string]error{}
	}
	err, ok := probe.done[addr]
	if !ok {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			c.Close()
		}
		probe.done[addr] = err
	}
	probe.Unlock()

	switch {
	case err == nil:
		return dsn
	case set:
		t.Fatalf("%s is set but nothing answers at %s: %v; start Postgres there or unset the variable", PostgresEnv, addr, err)
	case os.Getenv("CI") == "true":
		t.Fatalf("CI=true and no Postgres answers at %s (%v): CI must run the Postgres tests; start Postgres or set %s", addr, err, PostgresEnv)
	default:
		t.Skipf("no Postgres at %s (%v); start one with trust auth and a database \"test\", or set %s=postgres://user:password@host:port/db?sslmode=disable, to run these tests",
			addr, err, PostgresEnv)
	}
	return ""
}

// DatasetName returns a dataset (schema) name unique to this run of t: a prefix of the
// test's name and a random suffix, lowercase, short enough that `<name>_staging` fits
// Postgres' 63 bytes. Tests that share a database use it so that they can run in parallel
// and reruns never collide; drop the dataset in t.Cleanup.
func DatasetName(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 36 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	return strings.TrimSuffix(b.String(), "_") + "_" + hex.EncodeToString(suffix[:])
}

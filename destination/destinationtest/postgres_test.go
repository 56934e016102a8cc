package destinationtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fakeTB records how PostgresDSN ends a test.
type fakeTB struct {
	testing.TB
	outcome string // "fatal: ..." or "skip: ..."
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return "TestSomething/with spaces and ÜNICODE" }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.outcome = "fatal: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.outcome = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// call runs PostgresDSN on a fake test, in a goroutine since Fatalf and Skipf end it.
func call() (dsn string, f *fakeTB) {
	f = &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dsn = PostgresDSN(f)
	}()
	<-done
	return dsn, f
}

// TestPostgresDSN checks when the Postgres tests run, skip or fail: an unreachable
// Postgres skips them, except when the variable names it or CI=true, where it fails them;
// the message never shows the password.
func TestPostgresDSN(t *testing.T) {
	const unreachable = "postgres://u:s3cret@127.0.0.1:1/test?sslmode=disable"
	cases := []struct {
		name, env, ci, fallback string
		want                    string // prefix of the outcome
	}{
		{"variable set, unreachable", unreachable, "", DefaultPostgresDSN, "fatal: " + PostgresEnv},
		{"unset, unreachable default", "", "", unreachable, "skip: no Postgres at 127.0.0.1:1"},
		{"unset, unreachable default, CI", "", "true", unreachable, "fatal: CI=true"},
		{"not a URL", "postgres://u:s3cret@[::1/x", "", DefaultPostgresDSN, "fatal: " + PostgresEnv + " is not a URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(PostgresEnv, tc.env)
			t.Setenv("CI", tc.ci)
			old := fallbackDSN
			fallbackDSN = tc.fallback
			t.Cleanup(func() { fallbackDSN = old })
			dsn, f := call()
			if !strings.HasPrefix(f.outcome, tc.want) || dsn != "" || strings.Contains(f.outcome, "s3cret") {
				t.Errorf("got dsn %q, outcome %q; want outcome %q... without the password", dsn, f.outcome, tc.want)
			}
		})
	}
}

// TestDatasetName checks that dataset names are valid, unique and leave room for
// `_staging` within Postgres' 63 bytes.
func TestDatasetName(t *testing.T) {
	f := &fakeTB{}
	a, b := DatasetName(f), DatasetName(f)
	if a == b {
		t.Errorf("two names alike: %s", a)
	}
	for _, n := range []string{a, b, DatasetName(t)} {
		if len(n+"_staging") > 63 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" || !strings.HasPrefix(n, "t_test") {
			t.Errorf("dataset name %q: want lowercase [a-z0-9_], starting t_test, at most 55 bytes", n)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// TestMain lets the test binary stand in for sfdlt-bench: the harness starts the emulator and
// the peak-RSS pipeline as child processes of its own executable, with childEnv set.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(childEnv); ok {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// A short run of the benchmark: every step works and the report has every section.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark harness")
	}
	c := benchConfig{rows: 3000, rssSmall: 1000, dir: t.TempDir(), latency: 5 * time.Millisecond, postgresDSN: destinationtest.PostgresDSN(t)}
	report, err := runBench(context.Background(), &strings.Builder{}, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### 1. Limits", "DuckDB Appender", "Postgres COPY", "### 2. End to end", "REST -> DuckDB", "Bulk -> Postgres",
		"### 3. Peak RSS", "MiB", "### 4.", "### 5.", "incremental, nothing changed"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}

// A failing step fails the run with an error naming the step and saying what to do; here
// Postgres does not answer, and the hint names the flag that skips it.
func TestBenchFailingStepSaysWhatToDo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark harness")
	}
	c := benchConfig{rows: 300, rssSmall: 100, dir: t.TempDir(), latency: time.Millisecond, quick: true,
		postgresDSN: "postgres://postgres@127.0.0.1:1/test?sslmode=disable"}
	_, err := runBench(context.Background(), &strings.Builder{}, c)
	var se *stepError
	if !errors.As(err, &se) || se.step != "1. limits: Postgres COPY" {
		t.Fatalf("runBench with Postgres down: %v, want the step 1. limits: Postgres COPY", err)
	}
	for _, want := range []string{"step 1. limits: Postgres COPY failed: ", "cannot connect", "what to do: ", `--postgres ""`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
}

// Flags out of range are refused before anything runs, naming the flag.
func TestBenchFlagsChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rows", "0"}, "--rows 0: give at least 1 row"},
		{[]string{"--rss-small", "-1"}, "--rss-small -1: give at least 1 row"},
		{[]string{"--latency", "-1s"}, "--latency -1s: give a duration of 0 or more"},
		{[]string{"extra"}, `unknown command "extra"`},
	} {
		cmd := newRootCmd()
		cmd.SetArgs(tc.args)
		var out, errOut bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sfdlt-bench %s: %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
		if out.Len() > 0 || errOut.Len() > 0 {
			t.Errorf("sfdlt-bench %s printed %q and %q before refusing", strings.Join(tc.args, " "), out.String(), errOut.String())
		}
	}
}

// A child role the harness does not know is refused, naming the variable to unset.
func TestUnknownChildRole(t *testing.T) {
	if _, err := newChildCmd("bench"); err == nil || !strings.Contains(err.Error(), childEnv) {
		t.Errorf("newChildCmd(bench): %v, want an error naming %s", err, childEnv)
	}
}

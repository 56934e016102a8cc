package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// TestMain lets the test binary stand in for the sfdlt binary: `sfdlt bench` starts the
// emulator and pipeline runs as child processes of its own executable.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "emulator" || os.Args[1] == "run") {
		cmd := newRootCmd()
		cmd.SetArgs(os.Args[1:])
		ctx, stop := context.WithCancel(context.Background())
		go func() {
			// The parent stops the emulator with an interrupt.
			<-interrupted()
			stop()
		}()
		if err := cmd.ExecuteContext(ctx); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
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

package main

import (
	"bytes"
	"context"
	"errors"
	"math"
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
	c := benchConfig{rows: 3000, rssSmall: 1000, rssRows: 4000, dir: t.TempDir(), latency: 5 * time.Millisecond, postgresDSN: destinationtest.PostgresDSN(t)}
	report, err := runBench(context.Background(), &strings.Builder{}, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Command: `go run ./cmd/sfdlt-bench --rows 3000 --rss-small 1000 --rss-rows 4000`.",
		"### 1. Limits", "DuckDB Appender", "Postgres COPY", "Postgres CPU s / 1M rows", "1 Bulk job",
		"### 2. End to end", "REST -> DuckDB", "| Bulk -> Postgres | ", "(its cutime + cstime)",
		"Emulator out of the way", "pages cached: ", "KiB per row",
		"| DuckDB | " + ownWriteInsert, "| Postgres | " + ownWriteCTAS, "(the backend)",
		"A perfect pipeline", "perfect = min(cores / sum",
		"### 3. Peak RSS", "| path | 1,000 rows | 3,000 rows | growth | 4,000 rows | growth | target met |", "| Bulk -> Postgres | ", "MiB",
		"### 4.", "### 5.", "incremental, nothing changed",
	} {
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
		{[]string{"--rows", "10", "--rss-rows", "10"}, "--rss-rows 10: give more rows than --rows (10), or 0"},
		{[]string{"--rss-rows", "-5"}, "--rss-rows -5"},
		{[]string{"--latency", "-1s"}, "--latency -1s: give a duration of 0 or more"},
		{[]string{"--real-org-rows", "10"}, "--real-org-rows 10: give at least 15"},
		{[]string{"--real-org-rows", "100", "--real-org-scale", "0"}, "--real-org-scale 0: give a positive factor"},
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

// /proc/<pid>/stat is read from the last ')', since a command name may hold spaces and
// parentheses; the CPU times are in clock ticks of 1/100 s.
func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       procStat
		err        string
	}{
		{"plain", "4242 (postgres) S 2229 2229 2229 0 -1 4194560 1069 0 0 0 150 25 7 3 20 0 1 0 3000 100 10", procStat{ppid: 2229, cpu: 1750 * time.Millisecond, children: 100 * time.Millisecond}, ""},
		{"spaces and parentheses in the name", "17 (a (b) c) R 1 17 17 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 1 1", procStat{ppid: 1, cpu: 30 * time.Millisecond}, ""},
		{"no name", "17 R 1", procStat{}, "has no command name"},
		{"cut short", "17 (x) R 1 2 3", procStat{}, "fields after the command name"},
		{"not a number", "17 (x) R 1 17 17 0 -1 0 0 0 0 0 x 2 0 0 20", procStat{}, "not a number"},
	} {
		got, err := parseProcStat(17, []byte(tc.line))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: parseProcStat: %v, want an error containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: parseProcStat = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

// Backends are told from Postgres' other processes by their title, with or without a cluster
// name, over TCP or a Unix socket.
func TestParsePostgresTitle(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		want    pgBackend
		ok      bool
	}{
		{"postgres: 15/main: postgres test 127.0.0.1(53422) idle\x00\x00", pgBackend{"test", "127.0.0.1(53422)"}, true},
		{"postgres: postgres test [local] COPY", pgBackend{"test", "[local]"}, true},
		{"postgres: alice sales ::1(40000) idle in transaction", pgBackend{"sales", "::1(40000)"}, true},
		{"postgres: 15/main: checkpointer ", pgBackend{}, false},
		{"postgres: 15/main: parallel worker for PID 4242 ", pgBackend{}, false},
		{"/usr/lib/postgresql/15/bin/postgres\x00-D\x00/var/lib/postgresql/15/main", pgBackend{}, false},
	} {
		got, ok := parsePostgresTitle([]byte(tc.cmdline))
		if ok != tc.ok || got != tc.want {
			t.Errorf("parsePostgresTitle(%q) = %+v, %v; want %+v, %v", tc.cmdline, got, ok, tc.want, tc.ok)
		}
	}
}

// The emulator is out of the way when each read path's serving rate is at least 3 times its
// fastest end-to-end path's.
func TestOutOfTheWay(t *testing.T) {
	run := func(name string, rows int64) benchResult {
		return benchResult{name: name, rows: rows, elapsed: time.Second}
	}
	runs := []benchResult{run("REST -> DuckDB", 100), run("REST -> Postgres", 200), run("Bulk -> DuckDB", 300)}
	got := outOfTheWay(run(rawRESTName, 700), run(rawBulkName, 900), runs)
	for _, want := range []string{": yes (", "REST 3.5x REST -> Postgres", "Bulk 3.0x Bulk -> DuckDB"} {
		if !strings.Contains(got, want) {
			t.Errorf("outOfTheWay: %q lacks %q", got, want)
		}
	}
	if got := outOfTheWay(run(rawRESTName, 500), run(rawBulkName, 900), runs); !strings.Contains(got, ": **no** (REST 2.5x") {
		t.Errorf("outOfTheWay with REST served at 2.5x: %q, want no", got)
	}
}

// The perfect rate is all cores over the stages' summed cost, unless a single-stream stage
// allows less on its one core.
func TestPerfectRate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cores  int
		stages []stage
		rate   float64
		bound  string
	}{
		{"cores bind", 2, []stage{{"serving", 3e-6, false}, {"decode", 3e-6, true}, {"load", 4e-6, true}}, 200_000, "all cores"},
		{"the load binds", 4, []stage{{"serving", 1e-6, false}, {"decode", 4e-6, true}, {"load", 10e-6, true}}, 100_000, "load, one core"},
		{"a multi-core stage never binds alone", 1, []stage{{"serving", 20e-6, false}}, 50_000, "all cores"},
		{"nothing measured", 2, []stage{{"serving", 0, false}, {"load", 0, true}}, 0, "no CPU measured"},
	} {
		rate, bound := perfectRate(tc.cores, tc.stages)
		if math.Abs(rate-tc.rate) > 0.5 || bound != tc.bound {
			t.Errorf("%s: perfectRate = %.1f, %q; want %.1f, %q", tc.name, rate, bound, tc.rate, tc.bound)
		}
	}
}

// The peak-RSS table has a column per size with the growth from the size before, and checks the
// target at --rows and from there to the next size, when there is one.
func TestRSSTable(t *testing.T) {
	rest, bulk := rssPath{readREST, destDuckDB}, rssPath{readBulk, destPostgres}
	kib := map[rssPath]map[int]int64{
		rest: {100: 100 << 10, 1000: 300 << 10, 5000: 330 << 10},
		bulk: {100: 100 << 10, 1000: 300 << 10, 5000: 400 << 10},
	}
	got := rssTable([]rssPath{rest, bulk}, []int{100, 1000, 5000}, 1000, 5000, kib)
	for _, want := range []string{
		"| path | 100 rows | 1,000 rows | growth | 5,000 rows | growth | target met |",
		"| REST -> DuckDB | 100 MiB | 300 MiB | +200% | 330 MiB | +10% | yes |",
		"| Bulk -> Postgres | 100 MiB | 300 MiB | +200% | 400 MiB | +33% | **no** |",
		"checked here at --rows (1,000) and from there to --rss-rows (5,000)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rssTable lacks %q:\n%s", want, got)
		}
	}
	got = rssTable([]rssPath{rest}, []int{100, 1000}, 1000, 0, kib)
	if !strings.Contains(got, "| yes at --rows; growth not measured (--rss-rows) |") {
		t.Errorf("rssTable without --rss-rows does not say the growth is not measured:\n%s", got)
	}
}

// When caching the pages would not fit in the memory budget, the emulator renders every page,
// the raw clients replay the decode runs' requests, and the report says the emulator is then
// the limit.
func TestBenchWithoutPageCache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark harness")
	}
	c := benchConfig{rows: 2000, rssSmall: 500, dir: t.TempDir(), latency: time.Millisecond, quick: true, cacheBudgetKiB: 1}
	report, err := runBench(context.Background(), &strings.Builder{}, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**The emulator does not cache its pages in this run**: caching the pages of 2,000 rows would take about",
		"they are the limit of the end-to-end runs", "replay the requests the pipeline sent in its first pass (1 REST query; 1 Bulk job", "pages not cached."} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}

// The emulator caches its pages when they fit in its budget, and says why not otherwise.
func TestEmulatorCache(t *testing.T) {
	budget := int64(emulatorBaseKiB + 1000*emulatorKiBPerRow)
	c := benchConfig{cacheBudgetKiB: budget}
	if cache, note, err := c.emulatorCache(1000); !cache || note != "" || err != nil {
		t.Errorf("emulatorCache(1000) within the budget = %v, %q, %v; want true", cache, note, err)
	}
	cache, note, err := c.emulatorCache(1001)
	if cache || err != nil || !strings.Contains(note, "caching the pages of 1,001 rows would take about 0.3 GiB, more than the 0.3 GiB it may") {
		t.Errorf("emulatorCache(1001) beyond the budget = %v, %q, %v; want false and why", cache, note, err)
	}
	c.cacheBudgetKiB = 0 // half of the machine's memory
	if cache, _, err := c.emulatorCache(1000); !cache || err != nil {
		t.Errorf("emulatorCache(1000) on this machine = %v, %v; want true", cache, err)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// benchConfig is what sfdlt-bench measures.
type benchConfig struct {
	rows        int    // Opportunity rows of the end-to-end runs
	rssSmall    int    // rows of the small peak-RSS runs
	rssRows     int    // rows of the large peak-RSS runs, beyond --rows; 0: none
	postgresDSN string // "" skips Postgres
	dir         string
	latency     time.Duration
	quick       bool // smoke run: skips the child-process RSS runs
	// realOrgRows > 0 adds step 6: a first load of that many records and an hourly
	// incremental at a real org's latency scaled by realOrgScale (realOrgRuns).
	realOrgRows  int
	realOrgScale float64
	// onlyRealOrg runs step 6 alone (it needs no emulator child and no destination ceilings).
	onlyRealOrg bool
	// cacheBudgetKiB is the memory an emulator may take to cache its pages; 0 means half of the
	// machine's (tests set it to run the emulator without a cache).
	cacheBudgetKiB int64
}

// check says what is wrong with the flags.
func (c benchConfig) check() error {
	if err := checkLinux(); err != nil {
		return err
	}
	switch {
	case c.rows < 1:
		return fmt.Errorf("--rows %d: give at least 1 row", c.rows)
	case c.rssSmall < 1:
		return fmt.Errorf("--rss-small %d: give at least 1 row", c.rssSmall)
	case c.rssRows < 0 || c.rssRows > 0 && c.rssRows <= c.rows:
		return fmt.Errorf("--rss-rows %d: give more rows than --rows (%d), or 0 to leave the large peak-RSS runs out", c.rssRows, c.rows)
	case c.latency < 0:
		return fmt.Errorf("--latency %v: give a duration of 0 or more", c.latency)
	case c.realOrgRows < 0 || c.realOrgRows > 0 && c.realOrgRows < 15:
		return fmt.Errorf("--real-org-rows %d: give at least 15 (one per resource), or 0 to leave the real-org runs out", c.realOrgRows)
	case c.realOrgRows > 0 && !(c.realOrgScale > 0):
		return fmt.Errorf("--real-org-scale %v: give a positive factor (1 is a real org's latency, 0.1 ten times shorter waits)", c.realOrgScale)
	case c.onlyRealOrg && c.realOrgRows == 0:
		return fmt.Errorf("--only-real-org runs step 6 alone: give its size with --real-org-rows, e.g. --real-org-rows 500000")
	}
	return nil
}

// The emulator child's memory, measured (VmHWM after the warm-up and the raw replays, REST and
// Bulk pages cached, Go 1.26, 48 Opportunity columns): 692 MiB at 200,000 rows and 3,578 MiB at
// 1,000,000, from 34 MiB at its start: 3.4 and 3.6 KiB per cached row. Without the cache it
// peaked at 203 and 222 MiB at those sizes: its working set (a page being rendered) does not grow
// with the rows. Both rounded up: on 24 GiB, caching stops above about 3 million rows.
const (
	emulatorBaseKiB   = 256 << 10 // without a cache
	emulatorKiBPerRow = 4         // for each row whose pages are cached
)

// emulatorCache says whether an emulator of n rows may cache its pages: when they fit in half
// of the machine's memory (c.cacheBudgetKiB), leaving the rest to the pipeline, DuckDB and
// Postgres. Otherwise (10M rows take some 40 GiB) it renders every page it serves, and note
// says why, for the report.
func (c benchConfig) emulatorCache(n int) (cache bool, note string, err error) {
	budget := c.cacheBudgetKiB
	if budget == 0 {
		total, err := memTotalKiB()
		if err != nil {
			return false, "", err
		}
		budget = total / 2
	}
	need := emulatorBaseKiB + int64(n)*emulatorKiBPerRow
	if need <= budget {
		return true, "", nil
	}
	return false, fmt.Sprintf("caching the pages of %s rows would take about %.1f GiB, more than the %.1f GiB it may (half of the machine's memory)",
		thousands(float64(n)), float64(need)/(1<<20), float64(budget)/(1<<20)), nil
}

func defaultBenchDSN() string {
	if v := os.Getenv("SFDLT_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// command is the command line of a run with c, for the report: the flags that shape it.
func (c benchConfig) command() string {
	if c.onlyRealOrg {
		return fmt.Sprintf("go run ./cmd/sfdlt-bench --only-real-org --real-org-rows %d --real-org-scale %g", c.realOrgRows, c.realOrgScale)
	}
	s := fmt.Sprintf("go run ./cmd/sfdlt-bench --rows %d", c.rows)
	if c.quick {
		s += " --quick"
	} else {
		s += fmt.Sprintf(" --rss-small %d", c.rssSmall)
		if c.rssRows > 0 {
			s += fmt.Sprintf(" --rss-rows %d", c.rssRows)
		}
	}
	if c.realOrgRows > 0 {
		s += fmt.Sprintf(" --real-org-rows %d --real-org-scale %g", c.realOrgRows, c.realOrgScale)
	}
	return s
}

// stepError is a failed step of the benchmark: which one, why, and what to do about it.
type stepError struct {
	step string // as the report and the progress lines name it, e.g. "1. limits: Postgres COPY"
	err  error
	hint string
}

func (e *stepError) Error() string {
	return fmt.Sprintf("step %s failed: %v\nwhat to do: %s", e.step, e.err, e.hint)
}

func (e *stepError) Unwrap() error { return e.err }

// What to do when a step fails.
const (
	hintBug      = "this is a bug in sfdlt or in its emulator: run `go test ./...` and report this message with the command line"
	hintEmulator = "sfdlt-bench runs the emulator as its own child process: check that it may listen on 127.0.0.1 and that the machine has memory for --rows Opportunity rows"
	hintDuckDB   = "check that the temporary directory has room for the DuckDB files (set TMPDIR to a larger disk); otherwise " + hintBug
	hintPostgres = "check that Postgres answers at the --postgres DSN (default: $SFDLT_TEST_POSTGRES_DSN, else postgres://postgres@127.0.0.1:5432/test), or skip the Postgres runs with --postgres \"\""
	hintRSS      = "the message holds the pipeline child process's output; check that the temporary directory has room for its DuckDB file and, for the Postgres paths, that Postgres answers at --postgres; or skip the peak-RSS runs with --quick"
)

// emulatorProc is an emulator running in a child process. The throughput steps (1 and 2) keep
// the emulator out of the measured process: in-process, its cached pages (gigabytes at 1M rows)
// would sit in the pipeline's heap and space out the pipeline's garbage collections, and its
// goroutines would share the pipeline's scheduler, which a real org's server never does; in its
// own process its CPU time is its own, read from /proc. Step 3 runs it in a child too, to keep
// the harness small next to the pipeline children it measures. Steps 4 and 5 run it in-process:
// step 4 is ruled by the latency added, and step 5 counts calls.
type emulatorProc struct {
	url    string
	ctx    context.Context
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer // read only after cmd.Wait

	once    sync.Once
	stopErr error
}

// startEmulator starts an emulator child process (roleEmulator) serving opportunities
// Opportunity rows, its pages cached if cache is set, and waits until it listens.
func startEmulator(ctx context.Context, opportunities int, cache bool) (*emulatorProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding sfdlt-bench's own executable to start the emulator: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, "--opportunities", strconv.Itoa(opportunities), "--cache-pages="+strconv.FormatBool(cache))
	cmd.Env = append(os.Environ(), childEnv+"="+roleEmulator)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("starting the emulator process: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting the emulator process: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the emulator process %s: %w", exe, err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), listeningPrefix); ok {
			return &emulatorProc{url: u, ctx: ctx, cmd: cmd, stdin: stdin, stderr: &stderr}, nil
		}
	}
	// No URL: the child failed (its message is on its stderr), or its stdout broke.
	err = errors.Join(sc.Err(), stdin.Close())
	if kerr := cmd.Process.Kill(); kerr != nil && !errors.Is(kerr, os.ErrProcessDone) {
		err = errors.Join(err, kerr)
	}
	err = errors.Join(err, cmd.Wait())
	return nil, fmt.Errorf("the emulator process did not start: %w%s", err, childOutput(stderr.String()))
}

// stop ends the child by closing its stdin and waits for it; it returns the child's failure,
// if any. Calls after the first return the first's result.
func (e *emulatorProc) stop() error {
	e.once.Do(func() {
		err := errors.Join(e.stdin.Close(), e.cmd.Wait())
		if err != nil && e.ctx.Err() == nil {
			e.stopErr = fmt.Errorf("the emulator process failed: %w%s", err, childOutput(e.stderr.String()))
		}
	})
	return e.stopErr
}

// childOutput formats a child's output for an error message.
func childOutput(out string) string {
	if out = strings.TrimSpace(out); out == "" {
		return " (it printed nothing)"
	}
	return "; its output:\n" + out
}

// cpu is the CPU time the emulator process has used so far.
func (e *emulatorProc) cpu() (time.Duration, error) {
	d, err := procCPU(e.cmd.Process.Pid)
	if err != nil {
		return 0, fmt.Errorf("the emulator process: %w", err)
	}
	return d, nil
}

// peakRSS is the emulator process's peak resident set size in KiB so far.
func (e *emulatorProc) peakRSS() (int64, error) {
	kib, err := procStatusKiB(strconv.Itoa(e.cmd.Process.Pid), "VmHWM")
	if err != nil {
		return 0, fmt.Errorf("the emulator process: %w", err)
	}
	return kib, nil
}

func (e *emulatorProc) source(opts ...sfdlt.SourceOption) (*sfdlt.Source, error) {
	return emulatorSource(e.url, opts...)
}

// emulatorSource is the Salesforce source of the emulator at url.
func emulatorSource(url string, opts ...sfdlt.SourceOption) (*sfdlt.Source, error) {
	return sfdlt.NewSource(sfdlt.Credentials{UserName: salesforcetest.DefaultUserName, Password: salesforcetest.DefaultPassword,
		SecurityToken: salesforcetest.DefaultSecurityToken}, append([]sfdlt.SourceOption{sfdlt.LoginURL(url),
		sfdlt.Bulk(client.BulkOptions{PollInterval: 5 * time.Millisecond, MaxPollInterval: 50 * time.Millisecond})}, opts...)...)
}

type benchResult struct {
	name    string
	rows    int64
	elapsed time.Duration
	bytes   int64
	cpu     cpuCost // this process: the pipeline (with DuckDB's work, in-process), the raw client, or the loader
	emuCPU  cpuCost // the emulator child process
	pgCPU   cpuCost // Postgres' server processes of the benchmark's database (postgresServer.cpu)
}

func (r benchResult) rate() float64 { return float64(r.rows) / r.elapsed.Seconds() }

// cpuCost is CPU time one party spent on a run; ok is false when it was not measured.
type cpuCost struct {
	d  time.Duration
	ok bool
}

// perRow is the CPU seconds spent per row.
func (c cpuCost) perRow(rows int64) float64 { return c.d.Seconds() / float64(rows) }

// perMillion formats the CPU seconds spent per million rows, "-" when not measured.
func (c cpuCost) perMillion(rows int64) string {
	if !c.ok {
		return "-"
	}
	return fmt.Sprintf("%.1f", c.perRow(rows)*1e6)
}

// processCPU is the user + system CPU time this process has used. The pipeline runs in this
// process and the emulator in a child, so the difference over a run is sfdlt's own CPU.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("reading this process's CPU time: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// clocks reads the CPU time of a run's parties: this process always, the emulator child and
// Postgres' server when set.
type clocks struct {
	em *emulatorProc
	pg *postgresServer
}

type clockReading struct{ self, emu, pg time.Duration }

func (c clocks) read() (clockReading, error) {
	var r clockReading
	var err error
	if r.self, err = processCPU(); err != nil {
		return r, err
	}
	if c.em != nil {
		if r.emu, err = c.em.cpu(); err != nil {
			return r, err
		}
	}
	if c.pg != nil {
		if r.pg, err = c.pg.cpu(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// measure runs f and adds to its result the CPU each party spent while it ran.
// The garbage of the runs before is collected first, so that none of their work is charged to
// this one.
func (c clocks) measure(f func() (benchResult, error)) (benchResult, error) {
	runtime.GC()
	before, err := c.read()
	if err != nil {
		return benchResult{}, err
	}
	res, err := f()
	if err != nil {
		return res, err
	}
	after, err := c.read()
	if err != nil {
		return res, err
	}
	res.cpu = cpuCost{after.self - before.self, true}
	res.emuCPU = cpuCost{after.emu - before.emu, c.em != nil}
	res.pgCPU = cpuCost{after.pg - before.pg, c.pg != nil}
	return res, nil
}

// run is benchPipeline, measured.
func (c clocks) run(ctx context.Context, name, dir string, dest destination.Destination, src *sfdlt.Source) (benchResult, error) {
	return c.measure(func() (benchResult, error) {
		res, _, err := benchPipeline(ctx, name, dir, dest, src)
		return res, err
	})
}

// recording is the source option that records a run's requests into rec when on is set (the
// run is the first pass over the rows), and none otherwise.
func recording(on bool, rec *wireRecorder) []sfdlt.SourceOption {
	if !on {
		return nil
	}
	return []sfdlt.SourceOption{sfdlt.HTTPClient(&http.Client{Transport: rec})}
}

// warmUp loads the emulator's Opportunity rows once by REST and once by Bulk into a destination
// that keeps nothing, which renders the emulator's pages into its cache, and returns what each
// run sent. Each run is a pipeline of its own, named after name: a second run of one pipeline
// would be an incremental run, which reads with REST.
func warmUp(ctx context.Context, em *emulatorProc, dir, name string) (rest, bulk *wireRecorder, err error) {
	rest = &wireRecorder{next: http.DefaultTransport}
	bulk = &wireRecorder{next: http.DefaultTransport}
	for threshold, rec := range []*wireRecorder{rest, bulk} {
		src, err := em.source(sfdlt.HTTPClient(&http.Client{Transport: rec}), sfdlt.BulkThreshold(threshold))
		if err != nil {
			return nil, nil, err
		}
		if _, _, err := benchPipeline(ctx, fmt.Sprintf("%s%d", name, threshold), dir, newDiscard(0), src.WithResources("opportunity")); err != nil {
			return nil, nil, err
		}
	}
	return rest, bulk, nil
}

// benchPipeline loads src into dest once and times it.
func benchPipeline(ctx context.Context, name, dir string, dest destination.Destination, src *sfdlt.Source, opts ...sfdlt.PipelineOption) (benchResult, *sfdlt.LoadInfo, error) {
	p, err := sfdlt.NewPipeline(name, dest, append([]sfdlt.PipelineOption{sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")), sfdlt.Dataset("bench")}, opts...)...)
	if err != nil {
		return benchResult{}, nil, err
	}
	start := time.Now()
	info, err := p.Run(ctx, src)
	elapsed := time.Since(start)
	if err != nil {
		return benchResult{}, info, fmt.Errorf("%s: %w", name, err)
	}
	var rows int64
	for _, t := range info.Tables {
		rows += t.Rows
	}
	return benchResult{name: name, rows: rows, elapsed: elapsed}, info, nil
}

func runBench(ctx context.Context, log io.Writer, c benchConfig) (report string, err error) {
	if err := c.check(); err != nil {
		return "", err
	}
	fail := func(step string, err error, hint string) error {
		if ctx.Err() != nil {
			hint = "the run was interrupted; run it again"
		}
		return &stepError{step: step, err: err, hint: hint}
	}
	var b strings.Builder
	host, herr := os.Hostname()
	if herr != nil {
		host = "unknown" // the host name only labels the report
	}
	fmt.Fprintf(&b, "## Run of %s\n\nMachine: %s, %d cores (GOMAXPROCS %d), %s/%s, %s; host %s. Command: `%s`.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), host, c.command())
	step := func(format string, args ...any) { fmt.Fprintf(log, "bench: "+format+"\n", args...) }
	if c.onlyRealOrg {
		if err := realOrgStep(ctx, log, c, &b); err != nil {
			return "", fail("6. a real org's latency", err, hintBug)
		}
		return b.String(), nil
	}

	cache, cacheNote, err := c.emulatorCache(c.rows)
	if err != nil {
		return "", fail("starting the emulator", err, hintEmulator)
	}
	step("starting the emulator with %d Opportunity rows (%s)", c.rows, map[bool]string{true: "pages cached", false: "pages not cached: " + cacheNote}[cache])
	em, err := startEmulator(ctx, c.rows, cache)
	if err != nil {
		return "", fail("starting the emulator", err, hintEmulator)
	}
	emStartKiB, err := em.peakRSS() // before any page, for the cache's cost per row
	if err != nil {
		return "", fail("starting the emulator", err, hintBug)
	}
	defer func() {
		// An emulator that failed while a step used it explains that step's failure too.
		if serr := em.stop(); serr != nil && !errors.Is(err, serr) {
			err = errors.Join(err, fail("stopping the emulator", serr, hintBug))
		}
	}()
	// source makes a source of the emulator for a step.
	source := func(stepName string, opts ...sfdlt.SourceOption) (*sfdlt.Source, error) {
		src, err := em.source(opts...)
		if err != nil {
			return nil, fail(stepName, err, hintBug)
		}
		return src, nil
	}

	// The raw clients replay the requests that read the data in the first pass over the rows:
	// the warm-up, which fills the emulator's page cache for REST and Bulk, or without a cache
	// (nothing to fill) the decode runs themselves, which send the same requests.
	restWire := &wireRecorder{next: http.DefaultTransport}
	bulkWire := &wireRecorder{next: http.DefaultTransport}
	if cache {
		step("warm-up (REST and Bulk, rendering the emulator's pages)")
		if restWire, bulkWire, err = warmUp(ctx, em, c.dir, "warm"); err != nil {
			return "", fail("warm-up", err, hintBug)
		}
	}
	clk := clocks{em: em}

	// 1. Limits.
	step("limits: decoding rates (into a destination that keeps nothing)")
	restSrc, err := source("1. limits: REST: fetch + JSON decode", append(recording(!cache, restWire), sfdlt.BulkThreshold(0))...)
	if err != nil {
		return "", err
	}
	decREST, err := clk.run(ctx, "decode_rest", c.dir, newDiscard(0), restSrc.WithResources("opportunity"))
	if err != nil {
		return "", fail("1. limits: REST: fetch + JSON decode", err, hintBug)
	}
	decREST.name = "REST: fetch + JSON decode"
	bulkSrc, err := source("1. limits: Bulk: fetch + CSV decode", append(recording(!cache, bulkWire), sfdlt.BulkThreshold(1))...)
	if err != nil {
		return "", err
	}
	decBulk, err := clk.run(ctx, "decode_bulk", c.dir, newDiscard(0), bulkSrc.WithResources("opportunity"))
	if err != nil {
		return "", fail("1. limits: Bulk: fetch + CSV decode", err, hintBug)
	}
	decBulk.name = "Bulk: fetch + CSV decode"
	for _, q := range restWire.queries {
		step("recorded REST query: GET %.160s", q.uri)
	}
	for _, j := range bulkWire.jobs {
		step("recorded Bulk job: POST %s %.160s", j.uri, j.body)
	}
	step("limits: raw serving rates")
	rawREST, err := clk.measure(func() (benchResult, error) { return rawRESTRate(ctx, em.url, restWire.queries) })
	if err != nil {
		return "", fail("1. limits: "+rawRESTName, err, hintBug)
	}
	rawBulk, err := clk.measure(func() (benchResult, error) { return rawBulkRate(ctx, em.url, bulkWire.jobs, bulkWire.results) })
	if err != nil {
		return "", fail("1. limits: "+rawBulkName, err, hintBug)
	}
	step("limits: decoding a sample of rows to load")
	sample, err := sampleRows(ctx, c.dir, min(c.rows, 100_000))
	if err != nil {
		return "", fail("1. limits: a sample of rows to load", err, hintBug)
	}
	step("limits: loading %d decoded rows into DuckDB", c.rows)
	loadDuck, err := clk.measure(func() (benchResult, error) {
		return loadRate(ctx, duckdb.New(filepath.Join(c.dir, "limit.duckdb")), sample, c.rows)
	})
	if err != nil {
		return "", fail("1. limits: DuckDB Appender", err, hintDuckDB)
	}
	loadDuck.name = "DuckDB Appender"
	limits := []benchResult{rawREST, rawBulk, decREST, decBulk, loadDuck}
	var loadPG benchResult
	var pgSrv *postgresServer // Postgres' server processes on this machine, for their CPU time
	var pgNote string         // why pgSrv is nil when there are Postgres runs
	var pgClk clocks          // of the Postgres runs
	if c.postgresDSN != "" {
		step("limits: loading %d decoded rows into Postgres", c.rows)
		pg := postgres.New(c.postgresDSN)
		err := dropDataset(ctx, pg, "bench_limit")
		if err == nil {
			pgSrv, pgNote, err = findPostgres(ctx, c.postgresDSN)
		}
		if err == nil {
			pgClk = clocks{em: em, pg: pgSrv}
			loadPG, err = pgClk.measure(func() (benchResult, error) { return loadRate(ctx, pg, sample, c.rows) })
		}
		if err == nil {
			err = dropDataset(ctx, pg, "bench_limit")
		}
		if err != nil {
			return "", fail("1. limits: Postgres COPY", err, hintPostgres)
		}
		loadPG.name = "Postgres COPY"
		limits = append(limits, loadPG)
	}
	fmt.Fprintf(&b, "### 1. Limits (%d Opportunity rows, %d columns)\n\n| what | rows/s | MB/s | sfdlt-bench CPU s / 1M rows | emulator CPU s / 1M rows | Postgres CPU s / 1M rows |\n|---|---:|---:|---:|---:|---:|\n",
		c.rows, len(sample.table.Columns))
	for _, l := range limits {
		mb := "-"
		if l.bytes > 0 {
			mb = fmt.Sprintf("%.0f", float64(l.bytes)/l.elapsed.Seconds()/1e6)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", l.name, thousands(l.rate()), mb, l.cpu.perMillion(l.rows), l.emuCPU.perMillion(l.rows), l.pgCPU.perMillion(l.rows))
	}
	fmt.Fprintf(&b, "\nsfdlt-bench's CPU is the raw client's in the raw rows, sfdlt's in the others (DuckDB's included: it runs in-process); the emulator runs in its own process. "+
		"The raw clients replay the requests the pipeline sent in its first pass (%d REST %s; %d Bulk %s with the results parameters `%s`)%s\n",
		len(restWire.queries), plural(len(restWire.queries), "query", "queries"), len(bulkWire.jobs), plural(len(bulkWire.jobs), "job", "jobs"), resultsParams(bulkWire.results),
		map[bool]string{true: ", so they are served the pages the warm-up cached.", false: "."}[cache])
	if !cache {
		fmt.Fprintf(&b, "\n**The emulator does not cache its pages in this run**: %s. It renders every page it serves, so its serving rates above are rendering rates, "+
			"and they are the limit of the end-to-end runs below (see the emulator's CPU per row there).\n", cacheNote)
	}

	// 2. End to end.
	fmt.Fprintf(&b, "\n### 2. End to end: %d Opportunity rows, all fields\n\n| path | rows/s | seconds | sfdlt CPU s / 1M rows | emulator CPU s / 1M rows | Postgres CPU s / 1M rows | slowest limit on the path | ratio | target | met |\n|---|---:|---:|---:|---:|---:|---|---:|---|---|\n", c.rows)
	type e2e struct {
		name      string
		threshold int
		duck      duckdbFile // or Postgres
		limits    []benchResult
		target    float64
		hint      string
	}
	runs := []e2e{
		{"REST -> DuckDB", 0, duckdbFile{path: filepath.Join(c.dir, "rest.duckdb")}, []benchResult{rawREST, decREST, loadDuck}, 250_000, hintDuckDB},
		{"Bulk -> DuckDB", 1, duckdbFile{path: filepath.Join(c.dir, "bulk.duckdb")}, []benchResult{rawBulk, decBulk, loadDuck}, 400_000, hintDuckDB},
	}
	if c.postgresDSN != "" {
		runs = append(runs,
			e2e{"REST -> Postgres", 0, duckdbFile{}, []benchResult{rawREST, decREST, loadPG}, 150_000, hintPostgres},
			e2e{"Bulk -> Postgres", 1, duckdbFile{}, []benchResult{rawBulk, decBulk, loadPG}, 150_000, hintPostgres})
	}
	pgCPUWhere := "" // where the ceilings' Postgres CPU comes from
	switch {
	case c.postgresDSN != "" && pgSrv != nil:
		pgCPUWhere = "; Postgres' in the connection's backend, read from /proc"
	case c.postgresDSN != "":
		pgCPUWhere = "; Postgres' " + pgNote
	}
	ownWritten := map[string][]benchResult{} // the destinations' own writes of the rows a REST run loaded
	var e2eRuns []benchResult
	for i, r := range runs {
		step("end to end: %s", r.name)
		src, err := source("2. end to end: "+r.name, sfdlt.BulkThreshold(r.threshold))
		if err != nil {
			return "", err
		}
		var dest destination.Destination
		var pg *postgres.Destination
		if r.duck.path != "" {
			dest = r.duck.destination()
		} else {
			pg = postgres.New(c.postgresDSN)
			dest = pg
		}
		var res benchResult
		if pg != nil {
			err = dropDataset(ctx, pg, "bench")
		}
		if err == nil {
			runClk := clk
			if pg != nil {
				runClk = pgClk
			}
			res, err = runClk.run(ctx, fmt.Sprintf("e2e%d", i), c.dir, dest, src.WithResources("opportunity"))
		}
		if err == nil && strings.HasPrefix(r.name, "REST") {
			// The true ceilings: the destination itself writing the same rows, on the pipeline's
			// settings.
			step("the destination's own writes of the rows the REST run loaded")
			w := ownWriter{name: "Postgres", local: pgSrv != nil}
			if pg == nil {
				w = ownWriter{name: "DuckDB", duckdb: true}
				w.db, err = r.duck.open()
			} else {
				w.db, err = sql.Open("postgres", c.postgresDSN)
			}
			if err == nil {
				ownWritten[w.name], err = ownWrites(ctx, w)
				err = errors.Join(err, w.db.Close())
			}
		}
		if err == nil && pg != nil {
			err = dropDataset(ctx, pg, "bench")
		}
		if err != nil {
			return "", fail("2. end to end: "+r.name, err, r.hint)
		}
		slowest := r.limits[0]
		for _, l := range r.limits[1:] {
			if l.rate() < slowest.rate() {
				slowest = l
			}
		}
		ratio := res.rate() / slowest.rate()
		met := res.rate() >= r.target && (!strings.HasPrefix(r.name, "REST -> DuckDB") || ratio >= 0.5)
		res.name = r.name
		e2eRuns = append(e2eRuns, res)
		fmt.Fprintf(&b, "| %s | %s | %.2f | %s | %s | %s | %s (%s) | %.2f | >= %s rows/s%s | %s |\n", r.name, thousands(res.rate()), res.elapsed.Seconds(),
			res.cpu.perMillion(res.rows), res.emuCPU.perMillion(res.rows), res.pgCPU.perMillion(res.rows),
			slowest.name, thousands(slowest.rate()), ratio, thousands(r.target), map[bool]string{true: ", >= 0.5 of the limit"}[strings.HasPrefix(r.name, "REST -> DuckDB")], yesNo(met))
	}
	fmt.Fprintf(&b, "\nCPU per million rows of each party: sfdlt (the pipeline's process, DuckDB's work included), the emulator (its process, from /proc), and for the Postgres paths %s.\n", pgCPUMethod(c.postgresDSN, pgNote))
	fmt.Fprintf(&b, "\n%s\n", outOfTheWay(rawREST, rawBulk, e2eRuns))
	emKiB, err := em.peakRSS()
	if err != nil {
		return "", fail("2. end to end", err, hintBug)
	}
	if cache {
		fmt.Fprintf(&b, "\nThe emulator's peak RSS over steps 1 and 2: %d MiB at %s rows, pages cached: %.1f KiB per row over its %d MiB at the start "+
			"(sfdlt-bench caches the pages when %d MiB + %d KiB per row fits in half of the machine's memory).\n",
			emKiB>>10, thousands(float64(c.rows)), float64(emKiB-emStartKiB)/float64(c.rows), emStartKiB>>10, emulatorBaseKiB>>10, emulatorKiBPerRow)
	} else {
		fmt.Fprintf(&b, "\nThe emulator's peak RSS over steps 1 and 2: %d MiB at %s rows, pages not cached.\n", emKiB>>10, thousands(float64(c.rows)))
	}
	fmt.Fprintf(&b, "\nThe destinations' own writes of the rows the REST run loaded, on the pipeline's database and settings (DuckDB: the file, opened with the destination's configuration, "+
		"`CHECKPOINT` in the timing; Postgres: the DSN): the ceilings any loader into them has, and the end-to-end runs' ratios to them. "+
		"CPU: DuckDB's work runs in the sfdlt-bench process%s.\n\n%s", pgCPUWhere, ceilingTable(ownWritten, e2eRuns))
	// The perfect pipeline of each path, from the stages' costs measured above.
	serving := map[string]stage{
		"REST": {"serving", rawREST.emuCPU.perRow(rawREST.rows), false},
		"Bulk": {"serving", rawBulk.emuCPU.perRow(rawBulk.rows), false},
	}
	decoding := map[string]stage{
		"REST": {"fetch + decode + normalize", decREST.cpu.perRow(decREST.rows), true},
		"Bulk": {"fetch + decode + normalize", decBulk.cpu.perRow(decBulk.rows), true},
	}
	loading := map[string]stage{
		"DuckDB":   {"load", loadDuck.cpu.perRow(loadDuck.rows), true},
		"Postgres": {"load", (loadPG.cpu.d + loadPG.pgCPU.d).Seconds() / float64(max(loadPG.rows, 1)), true},
	}
	var perfect []perfectPath
	for _, r := range e2eRuns {
		read, dest, _ := strings.Cut(r.name, " -> ")
		p := perfectPath{run: r, stages: []stage{serving[read], decoding[read], loading[dest]}}
		if dest == "Postgres" && !loadPG.pgCPU.ok {
			p.note = "Postgres' CPU " + pgNote
		}
		perfect = append(perfect, p)
	}
	fmt.Fprintf(&b, "\nA perfect pipeline: the best rate a fully overlapped run could reach on this machine's %d cores, from each stage's CPU per row measured alone in this run: "+
		"serving (the emulator's CPU in the raw serving run), fetch + decode + normalize (sfdlt's CPU in the decode run into a destination that keeps nothing), "+
		"load (DuckDB: sfdlt-bench's CPU loading decoded rows, DuckDB's work included; Postgres: the loader's CPU plus the server's in the COPY run). "+
		"perfect = min(cores / sum of the stages' CPU per row, 1 / CPU per row of each stage that cannot use more than one core: the load (one loader writes) "+
		"and the fetch + decode + normalize (one object's pages are decoded in one goroutine)).\n\n%s",
		runtime.NumCPU(), perfectTable(runtime.NumCPU(), perfect))

	// 3. Peak RSS of pipeline processes, first at --rows on the emulator the throughput steps
	// warmed, then at the other sizes on emulators of their own.
	fmt.Fprintf(&b, "\n### 3. Peak RSS of a pipeline process (Opportunity, sfdlt's default settings)\n\n")
	if c.quick {
		fmt.Fprintf(&b, "Skipped (--quick).\n")
	} else {
		paths := rssPaths(c.postgresDSN)
		kib := map[rssPath]map[int]int64{}
		measureAt := func(em *emulatorProc, n int) error {
			for _, p := range paths {
				step("peak RSS: %s at %d rows", p, n)
				kb, err := peakRSS(ctx, em.url, c.dir, c.postgresDSN, p, n)
				if err != nil {
					return fail(fmt.Sprintf("3. peak RSS: %s at %d rows", p, n), err, hintRSS)
				}
				if kib[p] == nil {
					kib[p] = map[int]int64{}
				}
				kib[p][n] = kb
			}
			return nil
		}
		var uncached []string // the sizes served without a page cache, with why
		if !cache {
			uncached = append(uncached, fmt.Sprintf("%s rows (%s)", thousands(float64(c.rows)), cacheNote))
		}
		if err := measureAt(em, c.rows); err != nil {
			return "", err
		}
		// The cached pages go before the other sizes' emulators start, as this one ends.
		if err := em.stop(); err != nil {
			return "", fail("stopping the emulator", err, hintBug)
		}
		sizes := []int{c.rssSmall, c.rows}
		if c.rssRows > 0 {
			sizes = append(sizes, c.rssRows)
		}
		slices.Sort(sizes)
		sizes = slices.Compact(sizes)
		for _, n := range sizes {
			if n == c.rows {
				continue
			}
			stepName := fmt.Sprintf("3. peak RSS at %d rows", n)
			cache, note, err := c.emulatorCache(n)
			if err != nil {
				return "", fail(stepName, err, hintEmulator)
			}
			step("starting the emulator with %d Opportunity rows (%s)", n, map[bool]string{true: "pages cached", false: "pages not cached: " + note}[cache])
			if !cache {
				uncached = append(uncached, fmt.Sprintf("%s rows (%s)", thousands(float64(n)), note))
			}
			em, err := startEmulator(ctx, n, cache)
			if err != nil {
				return "", fail(stepName, err, hintEmulator)
			}
			if cache {
				// Warm, as at --rows: every path reads pages served from the cache.
				step("warm-up at %d rows", n)
				_, _, err = warmUp(ctx, em, c.dir, fmt.Sprintf("rss_warm%d", n))
			}
			if err == nil {
				err = measureAt(em, n)
			}
			if serr := em.stop(); serr != nil {
				err = errors.Join(err, fail(stepName, serr, hintBug))
			}
			if err != nil {
				return "", err
			}
		}
		b.WriteString(rssTable(paths, sizes, c.rows, c.rssRows, kib))
		if len(uncached) > 0 {
			fmt.Fprintf(&b, "\nThe emulator rendered every page it served, without a cache, at %s: a slower source, which a pipeline's memory should not depend on.\n", strings.Join(uncached, " and "))
		}
	}
	if err := em.stop(); err != nil {
		return "", fail("stopping the emulator", err, hintBug)
	}

	// 4. Latency: all resources against the longest alone.
	step("latency %v: all 15 resources, then each alone", c.latency)
	all, longest, err := latencyRuns(ctx, c.dir, c.latency)
	if err != nil {
		return "", fail(fmt.Sprintf("4. %v added to every request", c.latency), err, hintBug)
	}
	ratio := all.elapsed.Seconds() / longest.elapsed.Seconds()
	fmt.Fprintf(&b, "\n### 4. %v added to every request\n\nAll 15 resources: %.2f s; the longest alone (%s): %.2f s; ratio %.2f (target at most 1.3: %s).\n",
		c.latency, all.elapsed.Seconds(), longest.name, longest.elapsed.Seconds(), ratio, yesNo(ratio <= 1.3))

	// 5. API calls.
	step("API calls")
	calls, err := apiCalls(ctx, c.dir)
	if err != nil {
		return "", fail("5. Salesforce API calls", err, hintDuckDB)
	}
	fmt.Fprintf(&b, "\n### 5. Salesforce API calls (15 resources, default emulated org)\n\n| run | API calls | per resource |\n|---|---:|---:|\n")
	for _, k := range []string{"full load", "incremental, 1% changed", "incremental, nothing changed"} {
		fmt.Fprintf(&b, "| %s | %d | %.1f |\n", k, calls[k], float64(calls[k])/15)
	}
	fmt.Fprintf(&b, "\nTarget: an incremental run with nothing changed uses at most 2 calls per resource: %s.\n", yesNo(float64(calls["incremental, nothing changed"])/15 <= 2))

	// 6. A real org's latency (opt-in).
	if c.realOrgRows > 0 {
		if err := realOrgStep(ctx, log, c, &b); err != nil {
			return "", fail("6. a real org's latency", err, hintBug)
		}
	}
	return b.String(), nil
}

// realOrgStep runs step 6 and adds its section to the report.
func realOrgStep(ctx context.Context, log io.Writer, c benchConfig, b *strings.Builder) error {
	fmt.Fprintf(log, "bench: real-org latency: %d records, scale %g\n", c.realOrgRows, c.realOrgScale)
	sec, err := realOrgRuns(ctx, log, c.dir, c.realOrgScale, c.realOrgRows)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "\n### 6. A real org's latency\n\n%s", sec)
	return nil
}

// dropDataset drops a benchmark dataset in Postgres before and after each load into it, so that
// no load sees the tables or the pipeline state of another (or of an interrupted run).
func dropDataset(ctx context.Context, pg *postgres.Destination, dataset string) error {
	if err := pg.DropDataset(ctx, dataset); err != nil {
		return fmt.Errorf("dropping the benchmark's dataset %s: %w", dataset, err)
	}
	return nil
}

// latencyRuns loads all resources of a default org whose every request takes latency longer,
// then each resource alone, into a destination that keeps nothing; it returns the first run
// and the longest of the others (named after its resource). The emulator runs in-process: the
// runs wait on the latency far more than they compute.
func latencyRuns(ctx context.Context, dir string, latency time.Duration) (all, longest benchResult, err error) {
	srv, err := salesforcetest.Start("127.0.0.1:0", salesforcetest.Options{Seed: 1, Faults: salesforcetest.Faults{Latency: latency}})
	if err != nil {
		return all, longest, err
	}
	defer srv.Close()
	src, err := emulatorSource(srv.URL())
	if err != nil {
		return all, longest, err
	}
	if all, _, err = benchPipeline(ctx, "lat_all", dir, newDiscard(0), src); err != nil {
		return all, longest, err
	}
	for _, name := range src.ResourceNames() {
		one, _, err := benchPipeline(ctx, "lat_"+name, dir, newDiscard(0), src.WithResources(name))
		if err != nil {
			return all, longest, err
		}
		if one.elapsed > longest.elapsed {
			longest, longest.name = one, name
		}
	}
	return all, longest, nil
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func thousands(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

// sampleRows decodes keep Opportunity rows (all fields) from an emulator of keep rows of its own
// into a destination that keeps them: the rows the load limits write, over and over. It is no
// measured run, since holding the rows costs the garbage collector: a REST decode run at 200,000
// rows that also kept 100,000 spent 60% more CPU per row (23.6 against 10.9 to 16.2 s / 1M rows)
// than one that kept none.
func sampleRows(ctx context.Context, dir string, keep int) (*captured, error) {
	srv, err := salesforcetest.Start("127.0.0.1:0", emulatorOptions(keep, false))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	src, err := emulatorSource(srv.URL(), sfdlt.BulkThreshold(0))
	if err != nil {
		return nil, err
	}
	capture := newDiscard(keep)
	if _, _, err := benchPipeline(ctx, "sample", dir, capture, src.WithResources("opportunity")); err != nil {
		return nil, err
	}
	sample := capture.tables["opportunity"]
	if sample == nil || len(sample.rows) == 0 {
		return nil, errors.New("no opportunity rows reached the destination")
	}
	return sample, nil
}

// loadRate writes n rows (the captured sample, repeated) into a destination in one load.
func loadRate(ctx context.Context, dest destination.Destination, sample *captured, n int) (res benchResult, err error) {
	sess, err := dest.Open(ctx, "bench_limit", "limit")
	if err != nil {
		return benchResult{}, err
	}
	defer func() {
		if cerr := sess.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing the session: %w", cerr))
		}
	}()
	t := sample.table.Clone()
	t.WriteDisposition = "append"
	for i := range t.Columns {
		t.Columns[i].PrimaryKey = false
	}
	start := time.Now()
	load, err := sess.Begin(ctx)
	if err != nil {
		return benchResult{}, err
	}
	defer func() {
		// After Commit, Rollback does nothing.
		if rerr := load.Rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
	}()
	w, err := load.Table(ctx, t)
	if err != nil {
		return benchResult{}, err
	}
	const batch = 2000
	for done := 0; done < n; {
		for i := 0; i < len(sample.rows) && done < n; i += batch {
			rows := sample.rows[i:min(i+batch, len(sample.rows))]
			rows = rows[:min(len(rows), n-done)]
			if err := w.Write(ctx, rows); err != nil {
				return benchResult{}, err
			}
			done += len(rows)
		}
	}
	if err := w.Close(ctx); err != nil {
		return benchResult{}, err
	}
	if err := load.Commit(ctx); err != nil {
		return benchResult{}, err
	}
	return benchResult{rows: int64(n), elapsed: time.Since(start)}, nil
}

// apiCalls counts the API calls of a full load, an incremental run after 1% of the merge
// resources' rows changed, and one after nothing changed, on an in-process emulated org.
func apiCalls(ctx context.Context, dir string) (map[string]int, error) {
	srv, err := salesforcetest.Start("127.0.0.1:0", salesforcetest.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	c := srv.Credentials()
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}, sfdlt.LoginURL(srv.URL()))
	if err != nil {
		return nil, err
	}
	dest := duckdb.New(filepath.Join(dir, "calls.duckdb"))
	out := map[string]int{}
	_, info, err := benchPipeline(ctx, "calls", dir, dest, src)
	if err != nil {
		return nil, err
	}
	out["full load"] = info.APICalls
	cl, err := client.New(ctx, client.Config{LoginURL: srv.URL(), Credentials: client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}})
	if err != nil {
		return nil, err
	}
	for _, obj := range []string{"Opportunity", "OpportunityLineItem", "OpportunityContactRole", "Account", "CampaignMember", "Task", "Event"} {
		n := max(1, srv.Count(obj, false)/100)
		var ids []string
		for p, err := range cl.Query(ctx, fmt.Sprintf("SELECT Id FROM %s ORDER BY Id LIMIT %d", obj, n)) {
			if err != nil {
				return nil, err
			}
			for _, r := range p.Records {
				var rec struct{ Id string }
				if err := json.Unmarshal(r, &rec); err != nil {
					return nil, fmt.Errorf("reading the Ids of %s to change: %w", obj, err)
				}
				ids = append(ids, rec.Id)
			}
		}
		if err := srv.Update(obj, ids, map[string]any{}); err != nil {
			return nil, err
		}
	}
	if _, info, err = benchPipeline(ctx, "calls", dir, dest, src); err != nil {
		return nil, err
	}
	out["incremental, 1% changed"] = info.APICalls
	if _, info, err = benchPipeline(ctx, "calls", dir, dest, src); err != nil {
		return nil, err
	}
	out["incremental, nothing changed"] = info.APICalls
	return out, nil
}

// outOfTheWay says whether the emulator serves each read path's pages at least 3 times as fast
// as the fastest end-to-end path on that read path: then it is not what limits the runs. Each
// read path is held against its own paths, since REST pages never limit a Bulk run.
func outOfTheWay(rawREST, rawBulk benchResult, runs []benchResult) string {
	var parts []string
	ok := true
	for _, raw := range []struct {
		read string
		rate float64
	}{{"REST", rawREST.rate()}, {"Bulk", rawBulk.rate()}} {
		var fastest benchResult
		for _, r := range runs {
			if strings.HasPrefix(r.name, raw.read+" ") && (fastest.rows == 0 || r.rate() > fastest.rate()) {
				fastest = r
			}
		}
		if fastest.rows == 0 {
			continue
		}
		x := raw.rate / fastest.rate()
		ok = ok && x >= 3
		parts = append(parts, fmt.Sprintf("%s %.1fx %s, the fastest %s path", raw.read, x, fastest.name, raw.read))
	}
	return fmt.Sprintf("Emulator out of the way (it serves each read path's pages at least 3 times as fast as that path's fastest end-to-end run): %s (%s).",
		yesNo(ok), strings.Join(parts, "; "))
}

// plural picks the singular or plural word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// resultsParams shows the query parameters of the recorded Bulk results requests but the
// locator, which the replay follows itself.
func resultsParams(results []recorded) string {
	if len(results) == 0 {
		return "none recorded"
	}
	u, err := url.ParseRequestURI(results[0].uri)
	if err != nil {
		return "unreadable: " + results[0].uri
	}
	q := u.Query()
	q.Del("locator")
	if len(q) == 0 {
		return "none (the emulator's page size)"
	}
	return q.Encode()
}

// pgCPUMethod says in the report how Postgres' CPU was measured (see postgresServer.cpu).
func pgCPUMethod(dsn, note string) string {
	switch {
	case dsn == "":
		return "nothing (no Postgres runs)"
	case note != "":
		return "nothing: Postgres' CPU is " + note
	}
	return "Postgres' server processes: the CPU of the live backends of the benchmark's database (processes titled `postgres: ... <user> <database> <client>`, children of the postmaster), " +
		"plus the CPU of the server's ended processes, which the postmaster collects when it reaps them (its cutime + cstime), both from /proc, the difference over the run: " +
		"the pipeline's backends end with its connections, before the run's end is read. It also counts any other client of the same database and any other server process that ended during the run " +
		"(parallel workers of the run's queries, but also autovacuum workers): read it on a quiet server"
}

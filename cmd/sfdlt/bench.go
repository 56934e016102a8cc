package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// benchConfig is what `sfdlt bench` measures.
type benchConfig struct {
	rows        int    // Opportunity rows of the end-to-end runs
	rssSmall    int    // rows of the small peak-RSS run
	postgresDSN string // "" skips Postgres
	dir         string
	latency     time.Duration
	quick       bool // smoke run: skips the child-process RSS runs
}

func newBenchCmd() *cobra.Command {
	var c benchConfig
	var out string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput, memory and API calls against the emulator, and print BENCHMARKS.md's table",
		Long: `Measure, in one run on this machine:
 1. the limits: the emulator's raw serving rate (a client that does not parse), the REST (JSON) and
    Bulk (CSV) extraction+decoding rates (into a destination that keeps nothing), and the DuckDB
    Appender and Postgres COPY rates for the same decoded rows;
 2. end to end: Opportunity rows (all fields) emulator -> DuckDB and -> Postgres, by REST and by Bulk;
 3. peak RSS of a pipeline process at --rss-small and --rows rows;
 4. with --latency added to every request: all 15 resources against the longest one alone;
 5. API calls of a full load, of an incremental run after 1% of the rows changed, and after none.
The emulator runs in its own process with its pages cached, so it is not what limits the numbers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "sfdlt-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			c.dir = dir
			report, err := runBench(cmd.Context(), cmd.ErrOrStderr(), c)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), report)
			if out != "" {
				return os.WriteFile(out, []byte(report), 0o644)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&c.rows, "rows", 1_000_000, "Opportunity rows of the end-to-end runs")
	f.IntVar(&c.rssSmall, "rss-small", 100_000, "rows of the small peak-RSS run")
	f.StringVar(&c.postgresDSN, "postgres", defaultBenchDSN(), "Postgres DSN for the Postgres runs (\"\" skips them)")
	f.DurationVar(&c.latency, "latency", 100*time.Millisecond, "latency added to every request in step 4")
	f.BoolVar(&c.quick, "quick", false, "a short smoke run: no child-process peak-RSS runs")
	f.StringVar(&out, "out", "", "also write the report to this file")
	return cmd
}

func defaultBenchDSN() string {
	if v := os.Getenv("SFDLT_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// emulatorProc is an emulator running in a child process.
type emulatorProc struct {
	url string
	cmd *exec.Cmd
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

func startEmulator(ctx context.Context, args ...string) (*emulatorProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout)
			return &emulatorProc{url: m[1], cmd: cmd}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("the emulator process did not start")
}

func (e *emulatorProc) stop() {
	e.cmd.Process.Signal(os.Interrupt)
	e.cmd.Wait()
}

func (e *emulatorProc) source(opts ...sfdlt.SourceOption) (*sfdlt.Source, error) {
	return sfdlt.NewSource(sfdlt.Credentials{UserName: salesforcetest.DefaultUserName, Password: salesforcetest.DefaultPassword,
		SecurityToken: salesforcetest.DefaultSecurityToken}, append([]sfdlt.SourceOption{sfdlt.LoginURL(e.url),
		sfdlt.Bulk(client.BulkOptions{PollInterval: 5 * time.Millisecond, MaxPollInterval: 50 * time.Millisecond})}, opts...)...)
}

// soqlRecorder remembers the query text the pipeline sends, to replay it with a raw client.
type soqlRecorder struct {
	mu   sync.Mutex
	soql []string
	next http.RoundTripper
}

func (s *soqlRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if q := req.URL.Query().Get("q"); q != "" && !strings.HasPrefix(q, "SELECT COUNT()") {
		s.mu.Lock()
		s.soql = append(s.soql, q)
		s.mu.Unlock()
	}
	return s.next.RoundTrip(req)
}

type benchResult struct {
	name    string
	rows    int64
	elapsed time.Duration
	bytes   int64
}

func (r benchResult) rate() float64 { return float64(r.rows) / r.elapsed.Seconds() }

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

func runBench(ctx context.Context, log io.Writer, c benchConfig) (string, error) {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "## Run of %s\n\nMachine: %s, %d cores (GOMAXPROCS %d), %s/%s, %s; host %s. Command: `go run ./cmd/sfdlt bench --rows %d`.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), host, c.rows)
	step := func(format string, args ...any) { fmt.Fprintf(log, "bench: "+format+"\n", args...) }

	step("starting the emulator with %d Opportunity rows (pages cached)", c.rows)
	em, err := startEmulator(ctx, "--count", fmt.Sprintf("Opportunity=%d", c.rows), "--cache-pages")
	if err != nil {
		return "", err
	}
	defer em.stop()

	// Warm-up: fills the emulator's page cache for REST and Bulk, and records the exact SOQL.
	rec := &soqlRecorder{next: http.DefaultTransport}
	step("warm-up (REST and Bulk, rendering the emulator's pages)")
	for _, threshold := range []int{0, 1} {
		src, err := em.source(sfdlt.HTTPClient(&http.Client{Transport: rec}), sfdlt.BulkThreshold(threshold))
		if err != nil {
			return "", err
		}
		if _, _, err := benchPipeline(ctx, "warm", c.dir, newDiscard(0), src.WithResources("opportunity")); err != nil {
			return "", err
		}
	}
	if len(rec.soql) == 0 {
		return "", fmt.Errorf("no SOQL recorded")
	}
	soql := rec.soql[0]

	// 1. Limits.
	step("limits: raw serving rates")
	rawREST, err := rawRESTRate(ctx, em.url, soql)
	if err != nil {
		return "", err
	}
	rawBulk, err := rawBulkRate(ctx, em.url, soql)
	if err != nil {
		return "", err
	}
	step("limits: decoding rates (into a destination that keeps nothing)")
	keep := min(c.rows, 100_000)
	capture := newDiscard(keep)
	restSrc, _ := em.source(sfdlt.BulkThreshold(0))
	decREST, _, err := benchPipeline(ctx, "decode_rest", c.dir, capture, restSrc.WithResources("opportunity"))
	if err != nil {
		return "", err
	}
	decREST.name = "REST: fetch + JSON decode"
	bulkSrc, _ := em.source(sfdlt.BulkThreshold(1))
	decBulk, _, err := benchPipeline(ctx, "decode_bulk", c.dir, newDiscard(0), bulkSrc.WithResources("opportunity"))
	if err != nil {
		return "", err
	}
	decBulk.name = "Bulk: fetch + CSV decode"
	sample := capture.tables["opportunity"]
	if sample == nil || len(sample.rows) == 0 {
		return "", fmt.Errorf("no rows captured")
	}
	step("limits: loading %d decoded rows into DuckDB", c.rows)
	loadDuck, err := loadRate(ctx, duckdb.New(filepath.Join(c.dir, "limit.duckdb")), sample, c.rows)
	if err != nil {
		return "", err
	}
	loadDuck.name = "DuckDB Appender"
	limits := []benchResult{rawREST, rawBulk, decREST, decBulk, loadDuck}
	var loadPG benchResult
	if c.postgresDSN != "" {
		step("limits: loading %d decoded rows into Postgres", c.rows)
		pg := postgres.New(c.postgresDSN)
		loadPG, err = loadRate(ctx, pg, sample, c.rows)
		if err != nil {
			return "", err
		}
		loadPG.name = "Postgres COPY"
		pg.DropDataset(ctx, "bench_limit")
		limits = append(limits, loadPG)
	}
	fmt.Fprintf(&b, "### 1. Limits (%d Opportunity rows, %d columns)\n\n| what | rows/s | MB/s |\n|---|---:|---:|\n", c.rows, len(sample.table.Columns))
	for _, l := range limits {
		mb := "-"
		if l.bytes > 0 {
			mb = fmt.Sprintf("%.0f", float64(l.bytes)/l.elapsed.Seconds()/1e6)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", l.name, thousands(l.rate()), mb)
	}

	// 2. End to end.
	fmt.Fprintf(&b, "\n### 2. End to end: %d Opportunity rows, all fields\n\n| path | rows/s | seconds | slowest limit on the path | ratio | target | met |\n|---|---:|---:|---|---:|---|---|\n", c.rows)
	type e2e struct {
		name      string
		threshold int
		dest      func() destination.Destination
		limits    []benchResult
		target    float64
	}
	runs := []e2e{
		{"REST -> DuckDB", 0, func() destination.Destination { return duckdb.New(filepath.Join(c.dir, "rest.duckdb")) }, []benchResult{rawREST, decREST, loadDuck}, 250_000},
		{"Bulk -> DuckDB", 1, func() destination.Destination { return duckdb.New(filepath.Join(c.dir, "bulk.duckdb")) }, []benchResult{rawBulk, decBulk, loadDuck}, 400_000},
	}
	if c.postgresDSN != "" {
		runs = append(runs,
			e2e{"REST -> Postgres", 0, func() destination.Destination { return postgres.New(c.postgresDSN) }, []benchResult{rawREST, decREST, loadPG}, 150_000},
			e2e{"Bulk -> Postgres", 1, func() destination.Destination { return postgres.New(c.postgresDSN) }, []benchResult{rawBulk, decBulk, loadPG}, 150_000})
	}
	for i, r := range runs {
		step("end to end: %s", r.name)
		src, _ := em.source(sfdlt.BulkThreshold(r.threshold))
		dest := r.dest()
		res, _, err := benchPipeline(ctx, fmt.Sprintf("e2e%d", i), c.dir, dest, src.WithResources("opportunity"))
		if pg, ok := dest.(*postgres.Destination); ok {
			pg.DropDataset(ctx, "bench")
		}
		if err != nil {
			return "", err
		}
		slowest := r.limits[0]
		for _, l := range r.limits[1:] {
			if l.rate() < slowest.rate() {
				slowest = l
			}
		}
		ratio := res.rate() / slowest.rate()
		met := res.rate() >= r.target && (!strings.HasPrefix(r.name, "REST -> DuckDB") || ratio >= 0.5)
		fmt.Fprintf(&b, "| %s | %s | %.2f | %s (%s) | %.2f | >= %s rows/s%s | %s |\n", r.name, thousands(res.rate()), res.elapsed.Seconds(),
			slowest.name, thousands(slowest.rate()), ratio, thousands(r.target), map[bool]string{true: ", >= 0.5 of the limit"}[strings.HasPrefix(r.name, "REST -> DuckDB")], yesNo(met))
	}
	em.stop()

	// 3. Peak RSS of a pipeline process.
	fmt.Fprintf(&b, "\n### 3. Peak RSS of a pipeline process (REST -> DuckDB, Opportunity)\n\n")
	if c.quick {
		fmt.Fprintf(&b, "Skipped (--quick).\n")
	} else {
		var rss []int64
		for _, n := range []int{c.rssSmall, c.rows} {
			step("peak RSS at %d rows", n)
			kb, err := peakRSS(ctx, c.dir, n)
			if err != nil {
				return "", err
			}
			rss = append(rss, kb)
		}
		growth := float64(rss[1])/float64(rss[0]) - 1
		fmt.Fprintf(&b, "| rows | peak RSS |\n|---:|---:|\n| %s | %d MiB |\n| %s | %d MiB |\n\nGrowth %+.0f%%; target: at most 300 MiB at %s rows and within 20%% of the smaller run: %s.\n",
			thousands(float64(c.rssSmall)), rss[0]/1024, thousands(float64(c.rows)), rss[1]/1024, growth*100, thousands(float64(c.rows)),
			yesNo(rss[1] <= 300*1024 && growth <= 0.20))
	}

	// 4. Latency: all resources against the longest alone.
	step("latency %v: all 15 resources, then each alone", c.latency)
	lat, err := startEmulator(ctx, "--latency", c.latency.String())
	if err != nil {
		return "", err
	}
	src, _ := lat.source()
	all, _, err := benchPipeline(ctx, "lat_all", c.dir, newDiscard(0), src)
	if err != nil {
		lat.stop()
		return "", err
	}
	var longest benchResult
	for _, name := range src.ResourceNames() {
		one, _, err := benchPipeline(ctx, "lat_"+name, c.dir, newDiscard(0), src.WithResources(name))
		if err != nil {
			lat.stop()
			return "", err
		}
		if one.elapsed > longest.elapsed {
			longest, longest.name = one, name
		}
	}
	lat.stop()
	ratio := all.elapsed.Seconds() / longest.elapsed.Seconds()
	fmt.Fprintf(&b, "\n### 4. %v added to every request\n\nAll 15 resources: %.2f s; the longest alone (%s): %.2f s; ratio %.2f (target at most 1.3: %s).\n",
		c.latency, all.elapsed.Seconds(), longest.name, longest.elapsed.Seconds(), ratio, yesNo(ratio <= 1.3))

	// 5. API calls.
	step("API calls")
	calls, err := apiCalls(ctx, c.dir)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "\n### 5. Salesforce API calls (15 resources, default emulated org)\n\n| run | API calls | per resource |\n|---|---:|---:|\n")
	for _, k := range []string{"full load", "incremental, 1% changed", "incremental, nothing changed"} {
		fmt.Fprintf(&b, "| %s | %d | %.1f |\n", k, calls[k], float64(calls[k])/15)
	}
	fmt.Fprintf(&b, "\nTarget: an incremental run with nothing changed uses at most 2 calls per resource: %s.\n", yesNo(float64(calls["incremental, nothing changed"])/15 <= 2))
	return b.String(), nil
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

// oauthToken logs in to the emulator with the password grant, for the raw clients.
func oauthToken(ctx context.Context, base string) (string, error) {
	form := url.Values{"grant_type": {"password"}, "client_id": {salesforcetest.DefaultClientID}, "client_secret": {salesforcetest.DefaultClientSecret},
		"username": {salesforcetest.DefaultUserName}, "password": {salesforcetest.DefaultPassword + salesforcetest.DefaultSecurityToken}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/services/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("emulator login failed: %v", err)
	}
	return tok.AccessToken, nil
}

// rawRESTRate reads every page of the query without parsing (it only finds the next link).
func rawRESTRate(ctx context.Context, base, soql string) (benchResult, error) {
	tok, err := oauthToken(ctx, base)
	if err != nil {
		return benchResult{}, err
	}
	// queryAll, as the pipeline reads merge resources: the pages the warm-up cached.
	next := "/services/data/v" + client.DefaultAPIVersion + "/queryAll?" + url.Values{"q": {soql}}.Encode()
	var total, bytesRead int64
	start := time.Now()
	for next != "" {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+next, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept-Encoding", "identity") // as sfdlt asks on loopback
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return benchResult{}, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return benchResult{}, err
		}
		bytesRead += int64(len(body))
		if total == 0 {
			total, _ = strconv.ParseInt(string(between(body, `"totalSize":`, `,`)), 10, 64)
		}
		next = string(between(body, `"nextRecordsUrl":"`, `"`))
	}
	return benchResult{name: "emulator serving REST pages (raw)", rows: total, bytes: bytesRead, elapsed: time.Since(start)}, nil
}

func between(b []byte, start, end string) []byte {
	i := bytes.Index(b, []byte(start))
	if i < 0 {
		return nil
	}
	b = b[i+len(start):]
	j := bytes.Index(b, []byte(end))
	if j < 0 {
		return nil
	}
	return b[:j]
}

// rawBulkRate runs a Bulk job and downloads its pages without parsing.
func rawBulkRate(ctx context.Context, base, soql string) (benchResult, error) {
	tok, err := oauthToken(ctx, base)
	if err != nil {
		return benchResult{}, err
	}
	do := func(method, path string, body io.Reader) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Encoding", "identity") // as sfdlt asks on loopback
		return http.DefaultClient.Do(req)
	}
	jobs := "/services/data/v" + client.DefaultAPIVersion + "/jobs/query"
	start := time.Now()
	body, _ := json.Marshal(map[string]string{"operation": "queryAll", "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"})
	resp, err := do(http.MethodPost, jobs, bytes.NewReader(body))
	if err != nil {
		return benchResult{}, err
	}
	var job struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	for job.State != "JobComplete" {
		if job.State == "Failed" || job.State == "Aborted" {
			return benchResult{}, fmt.Errorf("bulk job %s", job.State)
		}
		resp, err := do(http.MethodGet, jobs+"/"+job.ID, nil)
		if err != nil {
			return benchResult{}, err
		}
		json.NewDecoder(resp.Body).Decode(&job)
		resp.Body.Close()
	}
	var rows, bytesRead int64
	locator := ""
	for {
		path := jobs + "/" + job.ID + "/results"
		if locator != "" {
			path += "?locator=" + url.QueryEscape(locator)
		}
		resp, err := do(http.MethodGet, path, nil)
		if err != nil {
			return benchResult{}, err
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return benchResult{}, err
		}
		bytesRead += n
		recs, _ := strconv.ParseInt(resp.Header.Get("Sforce-NumberOfRecords"), 10, 64)
		rows += recs
		locator = resp.Header.Get("Sforce-Locator")
		if locator == "" || locator == "null" {
			break
		}
	}
	return benchResult{name: "emulator serving Bulk CSV pages (raw)", rows: rows, bytes: bytesRead, elapsed: time.Since(start)}, nil
}

// loadRate writes n rows (the captured sample, repeated) into a destination in one load.
func loadRate(ctx context.Context, dest destination.Destination, sample *captured, n int) (benchResult, error) {
	sess, err := dest.Open(ctx, "bench_limit", "limit")
	if err != nil {
		return benchResult{}, err
	}
	defer sess.Close()
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
	defer load.Rollback()
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

// peakRSS runs `sfdlt run` in a child process loading n Opportunity rows into DuckDB and
// returns its peak resident set size in KiB.
func peakRSS(ctx context.Context, dir string, n int) (int64, error) {
	em, err := startEmulator(ctx, "--count", fmt.Sprintf("Opportunity=%d", n), "--cache-pages")
	if err != nil {
		return 0, err
	}
	defer em.stop()
	exe, _ := os.Executable()
	work := filepath.Join(dir, fmt.Sprintf("rss%d", n))
	os.MkdirAll(work, 0o700)
	cmd := exec.CommandContext(ctx, exe, "run", "--resources", "opportunity", "--pipeline-name", "rss", "--dataset-name", "bench", "--print-peak-rss")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+work,
		"SOURCES__SALESFORCE__USER_NAME="+salesforcetest.DefaultUserName,
		"SOURCES__SALESFORCE__PASSWORD="+salesforcetest.DefaultPassword,
		"SOURCES__SALESFORCE__SECURITY_TOKEN="+salesforcetest.DefaultSecurityToken,
		"SOURCES__SALESFORCE__LOGIN_URL="+em.url,
		"SOURCES__SALESFORCE__BULK_THRESHOLD=0",
		"DESTINATION__DUCKDB__CREDENTIALS="+filepath.Join(work, "rss.duckdb"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("peak RSS run: %v\n%s", err, out.String())
	}
	// The child reports its own peak: the rusage Wait returns can be the maximum over all of
	// this process's children (the emulators included).
	m := regexp.MustCompile(`peak RSS: (\d+) KiB`).FindStringSubmatch(out.String())
	if m == nil {
		return 0, fmt.Errorf("peak RSS run: no peak RSS reported:\n%s", out.String())
	}
	return strconv.ParseInt(m[1], 10, 64)
}

// apiCalls counts the API calls of a full load, an incremental run after 1% of the merge
// resources' rows changed, and one after nothing changed, on an in-process emulated org.
func apiCalls(ctx context.Context, dir string) (map[string]int, error) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
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
				json.Unmarshal(r, &rec)
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

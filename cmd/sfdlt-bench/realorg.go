package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/internal/extract"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// The real-org runs answer what a user waits for on a real org, where the API, not the CPU,
// decides: the emulator answers with salesforcetest.RealOrgLatency (scaled), and each run is
// compared with the least time Salesforce's limits and those latencies allow (realOrgBound).

// Salesforce's limits and the paging the bound assumes.
const (
	restPageRecords = 2000 // the largest REST page (batchSize)
	restStreams     = 10   // open query cursors per user: REST page streams at once
	bulkStreams     = 5    // result page URLs /resultPages hands out at a time
	changedShare    = 0.01 // share of the merge resources' rows an hour changes
)

// realOrgRuns loads an org of rows records over the 15 standard resources into DuckDB with
// sfdlt's default settings, then runs an hourly incremental after 1% of the merge resources'
// rows changed, both against an in-process emulator answering with RealOrgLatency scaled by
// scale; it returns the report's Markdown section: the times, rows/s, API calls and CPU of each
// run, the bound and sfdlt's ratio to it.
func realOrgRuns(ctx context.Context, log io.Writer, dir string, scale float64, rows int) (string, error) {
	switch {
	case scale <= 0 || math.IsInf(scale, 0) || math.IsNaN(scale):
		return "", fmt.Errorf("real-org runs: scale %v: give a positive factor (1 is a real org's latency, 0.1 ten times shorter waits)", scale)
	case rows < 15:
		return "", fmt.Errorf("real-org runs: %d rows: give at least 15, one per resource", rows)
	}
	step := func(format string, args ...any) { fmt.Fprintf(log, "bench: real org: "+format+"\n", args...) }

	// The Source knows the standard resources and their objects; the credentials come later.
	creds := sfdlt.Credentials{UserName: salesforcetest.DefaultUserName, Password: salesforcetest.DefaultPassword, SecurityToken: salesforcetest.DefaultSecurityToken}
	probe, err := sfdlt.NewSource(creds)
	if err != nil {
		return "", err
	}
	res, err := orgResources(probe, rows)
	if err != nil {
		return "", err
	}
	counts := map[string]int{}
	for _, r := range res {
		counts[r.object] = r.rows
	}
	lat := salesforcetest.RealOrgLatency()
	lat.Scale = scale
	// BulkJobPolls -1: a job completes when its time is up, at whatever poll, as on an org (the
	// emulator's default also wants a second poll, to show the InProgress state to tests).
	srv, err := salesforcetest.Start("127.0.0.1:0", salesforcetest.Options{Seed: 1, Counts: counts, Latency: lat, BulkJobPolls: -1})
	if err != nil {
		return "", err
	}
	defer srv.Close()

	wire := newWireLog()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 3 * time.Minute // what the client's own default transport has
	wire.next = tr
	src, err := sfdlt.NewSource(creds, sfdlt.LoginURL(srv.URL()),
		// Watches the traffic (wireLog) and nothing else.
		sfdlt.HTTPClient(&http.Client{Transport: wire}),
		// Against a real org the client asks for gzip; against a loopback host it does not
		// (Config.CompressLoopback). Ask, so that the run does what it does against an org and
		// Bulk pages cost the bytes an org would send.
		sfdlt.ClientConfig(func(c *client.Config) { c.CompressLoopback = true }),
		// The default poll schedule (1 s, then a quarter of the job's time, at most 30 s) is a
		// wait as much as the org's are: scaled with them, so that a scaled run stays a
		// miniature of a real one.
		sfdlt.Bulk(client.BulkOptions{PollInterval: scaled(client.DefaultBulkPollInterval, scale),
			MaxPollInterval: scaled(client.DefaultBulkMaxPollInterval, scale)}))
	if err != nil {
		return "", err
	}
	dbPath := filepath.Join(dir, "realorg.duckdb")
	dest := duckdb.New(dbPath)

	var b strings.Builder
	fmt.Fprintf(&b, "### Real-org latency: the times a user should expect (issue 15, item 5)\n\n")
	if scale == 1 {
		fmt.Fprintf(&b, "The emulator (in this process) answered with `salesforcetest.RealOrgLatency()`: a REST page of 2,000 records in 1.5 s, a Bulk job of 1M records complete 45 s after its creation. ")
	} else {
		fmt.Fprintf(&b, "The emulator (in this process) answered with `salesforcetest.RealOrgLatency()` scaled by %g: a REST page of 2,000 records took %s instead of a real org's 1.5 s, a Bulk job of 1M records %s instead of 45 s to complete. ",
			scale, secs(scaled(1500*time.Millisecond, scale)), secs(scaled(45*time.Second, scale)))
	}
	if scale != 1 {
		fmt.Fprintf(&b, "Waiting scales; CPU does not: so the bound is given at scale and at real latency (it is all waiting), and a run's time at real latency is estimated as the measured time plus the growth (1/%g - 1 times) of the waits on sfdlt's longest chain of calls (`sfdltWay`, below), an upper estimate since longer waits hide more CPU; the ratio is measured at scale. ",
			scale)
	}
	fmt.Fprintf(&b, "sfdlt ran with its default settings (its Bulk poll schedule scaled as the latencies are, and gzip asked for as from a real org), into DuckDB. The CPU is this process's: sfdlt's and the emulator's together.\n\n")
	fmt.Fprintf(&b, "Org: %s rows over the 15 resources, in the proportions of the emulator's default org:", thousands(float64(rows)))
	for i, r := range res {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s %s %s", sep, r.object, thousands(float64(r.rows)))
	}
	fmt.Fprintf(&b, ".\n\n")
	fmt.Fprintf(&b, "**Bound**: the least time Salesforce's limits and these latencies allow (`realOrgBound`): log in, describe (one call time each), then the resources, each read by REST or by Bulk, whichever split of them finishes first: REST in pages of the size the org gave in the first load (2,000 records, 1,000 when long text is selected), at most %d streams at once (the open cursor limit; a large object split by Id ranges), so REST takes the longer of (its pages' time / %d) and its longest page; a Bulk job takes its creation, its completion time, one poll and its result bytes downloaded at once or as %d parallel pages (`/resultPages`), jobs running side by side. Bulk bytes per row are those the first load received (an object it read by REST counts 0 bytes: the bound stays a bound). The client's own work (decoding, writing, committing) is not in the bound: it is what has to hide behind the waits.\n\n",
		restStreams, restStreams, bulkStreams)

	// a. First load.
	step("first load of %s rows at scale %g", thousands(float64(rows)), scale)
	start := time.Now()
	first, info, err := selfCPU(func() (benchResult, *sfdlt.LoadInfo, error) { return benchPipeline(ctx, "realorg", dir, dest, src) })
	if err != nil {
		return "", fmt.Errorf("real-org first load: %w", err)
	}
	firstRun := analyze(srv.Calls(), wire.take(), start)
	firstRun.released = srv.ReleasedCursors()
	for _, r := range res {
		r.perPage, r.bytesPerRow = firstRun.perPage(r.object), firstRun.bytesPerRow(r.object)
	}
	fmt.Fprintf(&b, "#### a. First load of a %s-row org at real-org latency\n\n", thousands(float64(rows)))
	writeRun(&b, first, info, srv.PeakCursors(), scale, lat, res, firstRun, func(r *orgResource) int { return r.rows })

	// b. Hourly incremental: an hour later, 1% of the merge resources' rows changed.
	step("changing %.0f%% of the merge resources' rows", changedShare*100)
	srv.Advance(time.Hour)
	if err := changeRows(ctx, srv, dbPath, res); err != nil {
		return "", err
	}
	srv.ResetCalls()
	step("hourly incremental")
	start = time.Now()
	inc, info, err := selfCPU(func() (benchResult, *sfdlt.LoadInfo, error) { return benchPipeline(ctx, "realorg", dir, dest, src) })
	if err != nil {
		return "", fmt.Errorf("real-org incremental run: %w", err)
	}
	incRun := analyze(srv.Calls(), wire.take(), start)
	incRun.released = srv.ReleasedCursors() - firstRun.released
	fmt.Fprintf(&b, "\n#### b. Hourly incremental of 15 resources at real-org latency\n\n")
	fmt.Fprintf(&b, "An hour later (the org's clock moved on), %.0f%% of the rows of each merge resource changed (a new SystemModstamp); the replace resources are read in full, as every run reads them.\n\n", changedShare*100)
	writeRun(&b, inc, info, srv.PeakCursors(), scale, lat, res, incRun, func(r *orgResource) int {
		if r.merge {
			return r.changed
		}
		return r.rows
	})
	step("done")
	return b.String(), nil
}

// selfCPU runs f and adds to its result the CPU this process spent meanwhile (sfdlt's and the
// in-process emulator's together).
func selfCPU(f func() (benchResult, *sfdlt.LoadInfo, error)) (benchResult, *sfdlt.LoadInfo, error) {
	before, err := procCPU(os.Getpid())
	if err != nil {
		return benchResult{}, nil, err
	}
	r, info, err := f()
	if err != nil {
		return r, info, err
	}
	after, err := procCPU(os.Getpid())
	if err != nil {
		return r, info, err
	}
	r.cpu = cpuCost{after - before, true}
	return r, info, nil
}

// orgResource is one of the 15 standard resources in the benchmark's org.
type orgResource struct {
	name, object string
	merge        bool // merged incrementally (else replaced in full every run)
	rows         int  // records in the org
	changed      int  // records the hourly change touches (merge resources)
	// What the first load saw: the records of a full REST page, and the bytes of a Bulk row.
	perPage     int
	bytesPerRow float64
}

// orgResources spreads rows over the source's resources in the proportions of the emulator's
// default org (Task the largest, Pricebook2 the smallest), at least one record each, so that
// the org has the shape of the one every other test loads.
func orgResources(src *sfdlt.Source, rows int) ([]*orgResource, error) {
	def := salesforcetest.DefaultCounts()
	var res []*orgResource
	total := 0
	for _, name := range src.ResourceNames() {
		r, err := src.Resource(name)
		if err != nil {
			return nil, err
		}
		n, ok := def[r.Object()]
		if !ok {
			return nil, fmt.Errorf("real-org runs: the emulator has no default count for %s (resource %s): add it to salesforcetest.DefaultCounts", r.Object(), name)
		}
		res = append(res, &orgResource{name: name, object: r.Object(), merge: r.WriteDisposition() == sfdlt.Merge, rows: n})
		total += n
	}
	sum, largest := 0, res[0]
	for _, r := range res {
		r.rows = max(1, int(float64(r.rows)*float64(rows)/float64(total)))
		sum += r.rows
		if r.rows > largest.rows {
			largest = r
		}
	}
	largest.rows += rows - sum // rounding: the sum is exactly rows
	for _, r := range res {
		r.changed = max(1, int(math.Round(float64(r.rows)*changedShare)))
	}
	return res, nil
}

// changeRows updates changedShare of each merge resource's records (the first by Id, read from
// the DuckDB file the first load wrote, so no API call is spent), which gives them a new
// SystemModstamp.
func changeRows(ctx context.Context, srv *salesforcetest.Server, dbPath string, res []*orgResource) error {
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return fmt.Errorf("opening %s to choose the rows to change: %w", dbPath, err)
	}
	defer db.Close()
	for _, r := range res {
		if !r.merge {
			continue
		}
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT id FROM bench.%q ORDER BY id LIMIT %d`, r.name, r.changed))
		if err != nil {
			return fmt.Errorf("reading the Ids of %s to change: %w", r.name, err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("reading the Ids of %s to change: %w", r.name, err)
			}
			ids = append(ids, id)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("reading the Ids of %s to change: %w", r.name, err)
		}
		if err := srv.Update(r.object, ids, map[string]any{}); err != nil {
			return err
		}
		r.changed = len(ids)
	}
	return nil
}

// scaled multiplies d by f.
func scaled(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

// shape is what the time of reading an object depends on.
type shape struct {
	object      string
	records     int     // records to read
	perPage     int     // records of a full REST page: 2,000, or fewer (1,000 when long text is selected)
	bytesPerRow float64 // bytes of a Bulk CSV row as sent (gzip or not); 0 when unknown
}

// restPages is how many REST pages the object's records take.
func (s shape) restPages() int { return max(1, (s.records+s.perPage-1)/s.perPage) }

// model computes times under a latency model, in seconds, scaled.
type model struct{ l salesforcetest.Latency }

func (m model) sec(d time.Duration) float64 {
	if m.l.Scale == 0 {
		return d.Seconds() // Scale 0 means 1, as in salesforcetest
	}
	return d.Seconds() * m.l.Scale
}

// restPage is the time of a REST page of k records.
func (m model) restPage(k int) float64 {
	return m.sec(m.l.QueryPage) + float64(k)*m.sec(m.l.QueryRecord)
}

// restRead is the time of all of an object's REST pages, one after another.
func (m model) restRead(s shape) float64 {
	return float64(s.restPages())*m.sec(m.l.QueryPage) + float64(s.records)*m.sec(m.l.QueryRecord)
}

// jobTime is the time a Bulk job of n records takes to complete.
func (m model) jobTime(n int) float64 {
	return m.sec(m.l.BulkJob) + float64(n)*m.sec(m.l.BulkJobRecord)
}

// bulkPage is the time of a Bulk results page of the given bytes.
func (m model) bulkPage(bytes float64) float64 {
	return m.sec(m.l.BulkPage) + bytes/1e6*m.sec(m.l.BulkMB)
}

// dur turns seconds into a Duration.
func dur(sec float64) time.Duration { return time.Duration(sec * float64(time.Second)) }

// boundResult is the least time of a run and how it is reached.
type boundResult struct {
	total  time.Duration
	bulk   []string // objects read by Bulk in the best split
	rest   time.Duration
	slowed string // what decides the time: "REST" or the slowest Bulk object
}

// realOrgBound is the least time Salesforce's limits and the latency model l (scaled) allow to
// read the objects:
//
//	T = 2 Call (log in, describe every object at once)
//	    + min over the splits of the objects into REST and Bulk of
//	      max( sum over REST objects of their page times / 10,   (10 cursors at once)
//	           the longest REST page,
//	           max over Bulk objects of their job's time )
//	REST object of n records in pages of at most P (2,000; 1,000 with long text): ceil(n/P)
//	    pages (at least 1), whose times add up to pages * QueryPage + n * QueryRecord; its
//	    longest page is QueryPage + min(n, P) * QueryRecord
//	Bulk job of n records of B bytes: Call (create) + BulkJob + n * BulkJobRecord (completion)
//	    + BulkPoll (the poll that sees it complete)
//	    + min( BulkPage + B * BulkMB / 1e6,                      (one page)
//	           BulkPoll + BulkPage + B * BulkMB / 1e6 / 5 )      (resultPages: five at once)
//
// Every term is a time no client can beat under the model (a REST read split across cursors by
// Id ranges reaches sum/10), so T is a lower bound; the splits are tried exhaustively.
func realOrgBound(l salesforcetest.Latency, objs []shape) boundResult {
	m := model{l}
	restWork := make([]float64, len(objs))
	restLongest := make([]float64, len(objs))
	bulk := make([]float64, len(objs))
	for i, o := range objs {
		restWork[i] = m.restRead(o)
		restLongest[i] = m.restPage(min(o.records, o.perPage))
		bytes := float64(o.records) * o.bytesPerRow
		download := min(m.bulkPage(bytes), m.sec(l.BulkPoll)+m.sec(l.BulkPage)+bytes/1e6*m.sec(l.BulkMB)/bulkStreams)
		bulk[i] = m.sec(l.Call) + m.jobTime(o.records) + m.sec(l.BulkPoll) + download
	}
	best := boundResult{total: time.Duration(math.MaxInt64)}
	for split := 0; split < 1<<len(objs); split++ { // bit i set: object i by Bulk
		var work, longest, slowest float64
		slowestObj := ""
		for i, o := range objs {
			if split&(1<<i) != 0 {
				if bulk[i] > slowest {
					slowest, slowestObj = bulk[i], o.object
				}
				continue
			}
			work += restWork[i]
			longest = max(longest, restLongest[i])
		}
		rest := max(work/restStreams, longest)
		if total := dur(2*m.sec(l.Call) + max(rest, slowest)); total < best.total {
			best = boundResult{total: total, rest: dur(rest), slowed: "REST"}
			if slowest > rest {
				best.slowed = slowestObj
			}
			for i, o := range objs {
				if split&(1<<i) != 0 {
					best.bulk = append(best.bulk, o.object)
				}
			}
		}
	}
	return best
}

// sfdltWay is how long reading the objects takes under the latency model l (scaled) the way
// sfdlt reads them by default, counting only the waits of its calls, so that the report can
// tell the time its strategy costs from the time its CPU costs. bulk[i] says whether sfdlt read
// object i by Bulk (it does from sfdlt.DefaultBulkThreshold records on). It
// returns the run's time and each object's end:
//
//	2 Call (log in, describe), then the objects, the largest first: a REST read holds one of
//	sfdlt's query cursors (sfdlt.DefaultMaxQueryCursors) and waits for a free one; a Bulk read
//	holds none
//	REST read: its pages one after another: pages * QueryPage + n * QueryRecord
//	Bulk read (a first load: no earlier size known): Call (SELECT COUNT(), whose answer says
//	    to use Bulk), then Call (create) + the job's completion time, rounded up to the poll that
//	    sees it (the first poll 1 s after the creation's answer, then a quarter of the time
//	    the job has run, at most 30 s: client.BulkOptions' defaults, scaled; each poll
//	    BulkPoll) + BulkPoll + its result pages of extract.DefaultBulkMaxRecords rows,
//	    extract.DefaultBulkParallelPages at a time
func sfdltWay(l salesforcetest.Latency, objs []shape, bulk []bool) (total time.Duration, ends []time.Duration) {
	m := model{l}
	slot := make([]float64, len(objs))  // a REST read: time holding a cursor
	after := make([]float64, len(objs)) // a Bulk read: its time (it holds no cursor)
	first, most := m.sec(client.DefaultBulkPollInterval), m.sec(client.DefaultBulkMaxPollInterval)
	for i, o := range objs {
		if !bulk[i] {
			slot[i] = m.restRead(o)
			continue
		}
		due := m.jobTime(o.records)
		// Times from the creation's arrival, when the job's time starts.
		seen, interval := m.sec(l.Call), first
		for k := 0; ; k++ {
			if k > 0 {
				seen += m.sec(l.BulkPoll) // the previous poll's answer
			}
			seen += interval
			if seen >= due { // the poll arriving now sees JobComplete
				break
			}
			interval = min(max((seen-m.sec(l.Call))/4, first), most) // client.pollWait
		}
		after[i] = m.sec(l.Call) + seen + m.sec(l.BulkPoll) // the count first
		pages := (o.records + extract.DefaultBulkMaxRecords - 1) / extract.DefaultBulkMaxRecords
		for left := pages; left > 0; left -= extract.DefaultBulkParallelPages {
			after[i] += m.bulkPage(float64(extract.DefaultBulkMaxRecords) * o.bytesPerRow)
		}
	}
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return objs[b].records - objs[a].records })
	free := make([]float64, sfdlt.DefaultMaxQueryCursors)
	ends = make([]time.Duration, len(objs))
	setup := 2 * m.sec(l.Call)
	for _, i := range order {
		if bulk[i] {
			ends[i] = dur(setup + after[i])
			total = max(total, ends[i])
			continue
		}
		c := slices.Index(free, slices.Min(free))
		start := free[c]
		free[c] = start + slot[i]
		ends[i] = dur(setup + start + slot[i] + after[i])
		total = max(total, ends[i])
	}
	return total, ends
}

// wireLog watches the pipeline's HTTP traffic for what the emulator's call log cannot say: the
// bytes of each Bulk results page as sent, and how many pages of a job were downloading at once.
type wireLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	jobs map[string]*jobWire // Bulk job id -> its result downloads
}

// jobWire is one Bulk job's result downloads.
type jobWire struct {
	rows, bytes    int64
	pages          int
	inFlight, peak int
	first, last    time.Time // first results request sent, last one read to its end
}

func newWireLog() *wireLog { return &wireLog{jobs: map[string]*jobWire{}} }

var resultsPath = regexp.MustCompile(`/jobs/query/([^/]+)/results$`)

func (w *wireLog) RoundTrip(req *http.Request) (*http.Response, error) {
	m := resultsPath.FindStringSubmatch(req.URL.Path)
	if m == nil {
		return w.next.RoundTrip(req)
	}
	w.mu.Lock()
	j := w.jobs[m[1]]
	if j == nil {
		j = &jobWire{first: time.Now()}
		w.jobs[m[1]] = j
	}
	j.inFlight++
	j.peak = max(j.peak, j.inFlight)
	w.mu.Unlock()
	resp, err := w.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		w.mu.Lock()
		j.inFlight--
		w.mu.Unlock()
		return resp, err
	}
	rows, _ := strconv.ParseInt(resp.Header.Get("Sforce-NumberOfRecords"), 10, 64)
	resp.Body = &countingBody{ReadCloser: resp.Body, done: func(n int64) {
		w.mu.Lock()
		defer w.mu.Unlock()
		j.inFlight--
		j.pages++
		j.rows += rows
		j.bytes += n
		j.last = time.Now()
	}}
	return resp, nil
}

// take returns the jobs seen since the last take.
func (w *wireLog) take() map[string]*jobWire {
	w.mu.Lock()
	defer w.mu.Unlock()
	jobs := w.jobs
	w.jobs = map[string]*jobWire{}
	return jobs
}

// countingBody counts the bytes read from a body (as sent: the client asked for gzip itself, so
// the transport leaves it compressed) and reports them once, when the body is closed.
type countingBody struct {
	io.ReadCloser
	n    int64
	once sync.Once
	done func(int64)
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(func() { c.done(c.n) })
	return err
}

// objectRun is what one object's reads were in a run, from the emulator's call log (arrival
// times) and the wire log.
type objectRun struct {
	restPages, bulkPages, polls, jobs, calls int
	pageMax                                  int       // records of its largest REST page
	first, last, query                       time.Time // arrivals of its first, last and first query calls
	created, asked                           time.Time // its Bulk job's creation, its first results request
	wire                                     *jobWire
}

// runAnalysis is a run's reads, object by object.
type runAnalysis struct {
	start   time.Time
	objects map[string]*objectRun // by lower-case object name
	other   int                   // calls of no object (login, versions, global describe, limits)
	// lastData is the arrival of the run's last query or results page.
	lastData time.Time
	// released is how many query cursors the org released during the run because an 11th
	// opened (the server's count).
	released int
}

// perPage is the records of the object's largest REST page, which is a full page unless all its
// records fit in one: then 2,000, the most a page holds.
func (a runAnalysis) perPage(object string) int {
	o := a.objects[strings.ToLower(object)]
	if o == nil || o.restPages < 2 && o.jobs == 0 || o.pageMax == 0 {
		return restPageRecords
	}
	return o.pageMax
}

func (a runAnalysis) bytesPerRow(object string) float64 {
	o := a.objects[strings.ToLower(object)]
	if o == nil || o.wire == nil || o.wire.rows == 0 {
		return 0
	}
	return float64(o.wire.bytes) / float64(o.wire.rows)
}

var (
	fromObject   = regexp.MustCompile(`(?i)\bFROM\s+(\w+)`)
	describePath = regexp.MustCompile(`/sobjects/(\w+)/describe`)
	jobPath      = regexp.MustCompile(`/jobs/query/([^/]+)`)
)

// analyze sorts a run's calls by object.
func analyze(calls []salesforcetest.Call, jobs map[string]*jobWire, start time.Time) runAnalysis {
	a := runAnalysis{start: start, objects: map[string]*objectRun{}}
	for _, c := range calls {
		obj := ""
		if m := fromObject.FindStringSubmatch(c.SOQL); m != nil {
			obj = m[1]
		} else if m := describePath.FindStringSubmatch(c.Path); m != nil {
			obj = m[1]
		}
		if obj == "" {
			a.other++
			continue
		}
		o := a.objects[strings.ToLower(obj)]
		if o == nil {
			o = &objectRun{first: c.Time}
			a.objects[strings.ToLower(obj)] = o
		}
		o.calls++
		o.last = c.Time
		switch m := jobPath.FindStringSubmatch(c.Path); {
		case m == nil && strings.HasSuffix(c.Path, "/jobs/query"): // a job's creation
			o.jobs++
			if o.created.IsZero() {
				o.created = c.Time
			}
		case m == nil && strings.Contains(c.Path, "/query"): // query, queryAll, a nextRecordsUrl
			a.lastData = c.Time
			o.restPages++
			o.pageMax = max(o.pageMax, c.Records)
			if o.query.IsZero() {
				o.query = c.Time
			}
		case m == nil: // describe
		case strings.HasSuffix(c.Path, "/results"):
			a.lastData = c.Time
			if o.asked.IsZero() {
				o.asked = c.Time
			}
			if c.Status == http.StatusOK {
				o.bulkPages++
			}
			if w := jobs[m[1]]; w != nil {
				o.wire = w
			}
		case c.Method == http.MethodGet && !strings.HasSuffix(c.Path, "/resultPages"):
			o.polls++
		}
	}
	return a
}

// writeRun writes one run's table, its bound, what sfdlt's way takes under the model, and its
// reads object by object.
func writeRun(b *strings.Builder, r benchResult, info *sfdlt.LoadInfo, peakCursors int, scale float64, lat salesforcetest.Latency,
	res []*orgResource, a runAnalysis, records func(*orgResource) int) {
	objs := make([]shape, len(res))
	bulk := make([]bool, len(res))
	for i, o := range res {
		objs[i] = shape{object: o.object, records: records(o), perPage: o.perPage, bytesPerRow: o.bytesPerRow}
		or := a.objects[strings.ToLower(o.object)]
		bulk[i] = or != nil && or.jobs > 0
	}
	bound := realOrgBound(lat, objs)
	way, ends := sfdltWay(lat, objs, bulk)
	wayObj := res[slices.Index(ends, slices.Max(ends))].object
	ratio := bound.total.Seconds() / r.elapsed.Seconds()
	util := r.cpu.d.Seconds() / (r.elapsed.Seconds() * float64(runtime.NumCPU()))
	// At real latency the waits grow by 1/scale and the CPU does not: the measured time plus
	// the growth of the waits of sfdlt's way. An upper estimate: at real latency more of the
	// CPU hides behind the longer waits.
	real := secs(r.elapsed)
	if scale != 1 {
		real = "about " + secs(r.elapsed+scaled(way, 1/scale-1))
	}
	fmt.Fprintf(b, "| | at scale %g | at real latency |\n|---|---:|---:|\n", scale)
	fmt.Fprintf(b, "| wall time | %s | %s |\n", secs(r.elapsed), real)
	fmt.Fprintf(b, "| rows loaded | %s | |\n", thousands(float64(r.rows)))
	fmt.Fprintf(b, "| rows/s | %s | |\n", thousands(r.rate()))
	fmt.Fprintf(b, "| Salesforce API calls | %d | %d |\n", info.APICalls, info.APICalls)
	fmt.Fprintf(b, "| CPU (sfdlt and the emulator) | %s (%.0f%% of %d cores) | %s |\n", secs(r.cpu.d), util*100, runtime.NumCPU(), secs(r.cpu.d))
	fmt.Fprintf(b, "| bound | %s | %s |\n", secs(bound.total), secs(scaled(bound.total, 1/scale)))
	fmt.Fprintf(b, "| sfdlt's way, waits only (`sfdltWay`) | %s | %s |\n", secs(way), secs(scaled(way, 1/scale)))
	fmt.Fprintf(b, "\nBound: %s at scale %g (%s at real latency): Bulk for %s, REST for the rest (%s of REST at 10 cursors); the time is set by %s. **Ratio bound/actual: %.2f** (target at least 0.8: %s).\n\n",
		secs(bound.total), scale, secs(scaled(bound.total, 1/scale)), listOrNone(bound.bulk), secs(bound.rest), bound.slowed, ratio, yesNo(ratio >= 0.8))
	fmt.Fprintf(b, "sfdlt's way, counting only the waits of its calls as it makes them (%d cursors, the largest objects first; REST: one cursor per object, pages one after another; Bulk: a count first and no cursor, then polls 1 s after the job's creation and then a quarter of its running time apart, at most 30 s, and result pages of %s rows, %d at a time): %s, ended by %s. Bound/that: %.2f, what the strategy costs; that/actual: %.2f, what the rest (CPU, the single writer, scheduling) costs.\n\n",
		sfdlt.DefaultMaxQueryCursors, thousands(float64(extract.DefaultBulkMaxRecords)), extract.DefaultBulkParallelPages,
		secs(way), wayObj, bound.total.Seconds()/way.Seconds(), way.Seconds()/r.elapsed.Seconds())
	fmt.Fprintf(b, "The last page was asked for %s after the run started; the run ended %s later (the last pages' waits, decoding, the final commit).\n\n",
		secs(a.lastData.Sub(a.start)), secs(a.start.Add(r.elapsed).Sub(a.lastData)))
	fmt.Fprintf(b, "Most query cursors open at once: %d (Salesforce allows 10; a cursor stays open until its last page is read, or 15 minutes unused); released by the org because an 11th opened: %d; lost under sfdlt's reads (each read went on after its last record): %d. Calls of no object (logins, global describe, limits): %d.\n\n",
		peakCursors, a.released, info.LostCursors, a.other)
	fmt.Fprintf(b, "| object | records to read | read by | calls | REST pages (records) | Bulk jobs | polls | Bulk pages (most at once) | first query after | first to last call | sfdlt's way ends at |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, o := range res {
		or := a.objects[strings.ToLower(o.object)]
		if or == nil {
			fmt.Fprintf(b, "| %s | %s | (no call) | 0 | | | | | | | %s |\n", o.object, thousands(float64(objs[i].records)), secs(ends[i]))
			continue
		}
		by := "REST"
		if or.jobs > 0 {
			by = "Bulk"
		}
		peak := ""
		if or.wire != nil {
			peak = fmt.Sprintf(" (%d)", or.wire.peak)
		}
		firstQuery := ""
		if !or.query.IsZero() {
			firstQuery = secs(or.query.Sub(or.first))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d (%d) | %d | %d | %d%s | %s | %s | %s |\n", o.object, thousands(float64(objs[i].records)), by, or.calls,
			or.restPages, or.pageMax, or.jobs, or.polls, or.bulkPages, peak, firstQuery, secs(or.last.Sub(or.first)), secs(ends[i]))
	}
	var jobs []string
	m := model{lat}
	for i, o := range res {
		or := a.objects[strings.ToLower(o.object)]
		if or == nil || or.jobs == 0 || or.asked.IsZero() {
			continue
		}
		line := fmt.Sprintf("%s: completes %s after creation, results asked for after %s", o.object, secs(dur(m.jobTime(objs[i].records))), secs(or.asked.Sub(or.created)))
		if w := or.wire; w != nil && !w.last.IsZero() {
			line += fmt.Sprintf(", %d pages (%.1f MB, %.0f bytes a row) downloaded in %s", w.pages, float64(w.bytes)/1e6, float64(w.bytes)/float64(max(w.rows, 1)), secs(w.last.Sub(w.first)))
		}
		jobs = append(jobs, line)
	}
	if len(jobs) > 0 {
		slices.Sort(jobs)
		fmt.Fprintf(b, "\nBulk jobs (times at scale %g):\n", scale)
		for _, j := range jobs {
			fmt.Fprintf(b, "- %s\n", j)
		}
	}
}

// secs writes a time in seconds with the digits that matter.
func secs(d time.Duration) string {
	switch s := d.Seconds(); {
	case s < 1:
		return fmt.Sprintf("%.3f s", s)
	case s < 100:
		return fmt.Sprintf("%.2f s", s)
	default:
		return fmt.Sprintf("%.0f s", s)
	}
}

// listOrNone joins names, or says none.
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no object"
	}
	return strings.Join(names, ", ")
}

package sfdlt_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// TestChildPipelineRun is the body of the child process of TestKilledRunsRecover: it runs the
// pipeline against the parent's emulator, logging to stderr (JSON, one record a line) for the
// parent to read. With SFDLT_CHILD_HOLD_AT=n it stops once it has committed its n-th chunk, for
// the parent to kill it there. It does nothing in a normal test run.
func TestChildPipelineRun(t *testing.T) {
	url, dir, kind, dsn, ds := os.Getenv("SFDLT_CHILD_URL"), os.Getenv("SFDLT_CHILD_DIR"), os.Getenv("SFDLT_CHILD_KIND"), os.Getenv("SFDLT_CHILD_DSN"), os.Getenv("SFDLT_CHILD_DATASET")
	if url == "" {
		t.Skip("only runs as the child process of TestKilledRunsRecover")
	}
	hold, _ := strconv.Atoi(os.Getenv("SFDLT_CHILD_HOLD_AT"))
	src, err := sfdlt.NewSource(sfdlt.Credentials{
		UserName: salesforcetest.DefaultUserName, Password: salesforcetest.DefaultPassword, SecurityToken: salesforcetest.DefaultSecurityToken,
	}, sfdlt.LoginURL(url))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, file: filepath.Join(dir, "sf.duckdb"), kind: kind, dsn: dsn, ds: ds}
	logger := slog.New(&holdAtChunk{Handler: slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}), at: int64(hold), commits: new(atomic.Int64)})
	// Small chunks, so kills land between chunk commits too and reruns go on from them.
	p, err := sfdlt.NewPipeline("salesforce", e.destination(), sfdlt.Dataset(ds), sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")),
		sfdlt.CommitEvery(crashCommitEvery), sfdlt.Logger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
}

// crashCommitEvery is the CommitEvery of the killed runs: the org of the test holds about 1,500
// rows, so a run commits in several chunks.
const crashCommitEvery = 150

// chunkCommitted is the message the pipeline logs once it has committed a chunk of a run.
const chunkCommitted = "committed a chunk"

// holdAtChunk is the slog handler of the child: it writes each record with Handler and, once the
// record of the at-th chunk commit is written, holds the goroutine that committed it (the run
// goes no further than that commit) until the parent kills the process.
type holdAtChunk struct {
	slog.Handler
	at      int64
	commits *atomic.Int64
}

func (h *holdAtChunk) Handle(ctx context.Context, r slog.Record) error {
	if err := h.Handler.Handle(ctx, r); err != nil {
		return err
	}
	if r.Message != chunkCommitted || h.commits.Add(1) != h.at {
		return nil
	}
	time.Sleep(2 * time.Minute) // the parent kills the process long before; this ends an orphan
	os.Exit(3)
	return nil
}

func (h *holdAtChunk) WithAttrs(as []slog.Attr) slog.Handler {
	return &holdAtChunk{Handler: h.Handler.WithAttrs(as), at: h.at, commits: h.commits}
}

func (h *holdAtChunk) WithGroup(name string) slog.Handler {
	return &holdAtChunk{Handler: h.Handler.WithGroup(name), at: h.at, commits: h.commits}
}

// A run killed with SIGKILL at any point, then run again, leaves exactly the org's data: no
// duplicates, nothing lost, state matching the data. The kill points are spread over the API
// calls of a run (login, describes, query pages) and past the last call (loading, committing);
// two more kill runs right after they committed their first and their second chunk, which the
// reruns go on from.
func TestKilledRunsRecover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	forEachDestination(t, nil, testKilledRunsRecover)
}

// killPoint is where a child run is killed: once it has made share of the API calls a run is
// expected to make (1: all of them) and after more waits, or, with commits > 0, right after it
// committed its commits-th chunk.
type killPoint struct {
	share   float64
	after   time.Duration
	commits int
}

func testKilledRunsRecover(t *testing.T, e *env) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A little latency spreads the run out so kills land inside it.
	e.srv.SetFaults(salesforcetest.Faults{Latency: 3 * time.Millisecond})

	// Count the calls of one complete run to place the kill points.
	e.srv.ResetCalls()
	probe := newEnv(t, nil)
	probe.run(probe.source())
	total := len(probe.srv.Calls())
	// Where to kill, as a share of the calls the run is expected to make; 1 is past the last call,
	// while the run loads and commits.
	// 22 points by default (SFDLT_CRASH_POINTS sets another number for longer soaks): spread
	// over the first full load and the incremental runs after it, the last few past the last
	// API call, while the run loads and commits.
	n := 22
	if v, err := strconv.Atoi(os.Getenv("SFDLT_CRASH_POINTS")); err == nil && v > 0 {
		n = v
	}
	shares := []float64{0.05, 0.5}
	for i := 1; len(shares) < n-3; i++ {
		shares = append(shares, float64(i%10)/10+0.05)
	}
	var points []killPoint
	for _, s := range shares {
		points = append(points, killPoint{share: s})
	}
	// Past the last call, the kill waits a little longer each time, so it lands while the loader
	// writes and commits chunks (Postgres creates its tables after the calls are made).
	for _, d := range []time.Duration{0, 150 * time.Millisecond, 400 * time.Millisecond} {
		points = append(points, killPoint{share: 1, after: d})
	}
	// Whether those kills land after a chunk commit depends on timing; these two do on any
	// machine: the second run is killed right after its first chunk commit, the last right after
	// its second.
	points = append(points[:1], append([]killPoint{{commits: 1}}, points[1:]...)...)
	points = append(points, killPoint{commits: 2})

	ids := []string(nil)
	held := 0 // the chunks committed by the runs killed after a commit
	for i, kp := range points {
		k := max(1, int(kp.share*float64(total)))
		if kp.share == 1 {
			k = total
		}
		e.srv.ResetCalls()
		cmd := exec.Command(exe, "-test.run=^TestChildPipelineRun$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SFDLT_CHILD_URL="+e.srv.URL(), "SFDLT_CHILD_DIR="+e.dir,
			"SFDLT_CHILD_KIND="+e.kind, "SFDLT_CHILD_DSN="+e.dsn, "SFDLT_CHILD_DATASET="+e.ds,
			"SFDLT_CHILD_HOLD_AT="+strconv.Itoa(kp.commits))
		log := startChild(t, cmd, kp.commits)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		killed := false
		if kp.commits > 0 {
			// The child holds after the commit it logged: nothing else ends it.
			select {
			case err := <-exited:
				<-log.done
				t.Fatalf("kill point %d: the child ended (%v) having committed %d chunks, before the kill after chunk %d; its output:\n%s",
					i, err, len(log.loadIDs), kp.commits, strings.Join(log.tail, ""))
			case <-log.reached:
				cmd.Process.Kill()
				killed = true
				<-exited
			}
		} else {
			var lastCall time.Time
			tick := time.NewTicker(200 * time.Microsecond)
		wait:
			for {
				select {
				case <-exited:
					break wait
				case <-tick.C:
					if len(e.srv.Calls()) >= k {
						if lastCall.IsZero() {
							lastCall = time.Now()
						}
						if time.Since(lastCall) < kp.after {
							continue
						}
						cmd.Process.Kill()
						killed = true
						<-exited
						break wait
					}
				}
			}
			tick.Stop()
		}
		<-log.done // the process is gone, so its end of the pipe is closed
		if kp.commits > 0 {
			t.Logf("kill point %d: after chunk %d committed (loads %v)", i, kp.commits, log.loadIDs)
			if len(log.loadIDs) < kp.commits {
				t.Fatalf("kill point %d: killed after chunk %d, but the child logged %d chunk commits", i, kp.commits, len(log.loadIDs))
			}
			held += len(log.loadIDs)
			// The chunks are committed: the killed run left them in the dataset.
			e.checkLoads(log.loadIDs, fmt.Sprintf("kill point %d: the run killed after chunk %d", i, kp.commits))
		} else {
			t.Logf("kill point %d: after %d of ~%d calls (killed: %v)", i, k, total, killed)
		}

		// Change the org between the killed run and the rerun, as time goes on.
		if ids == nil {
			e.srv.SetFaults(salesforcetest.Faults{})
			if e.scalar(`SELECT count(*) FROM information_schema.tables WHERE table_schema = '{ds}' AND table_name = 'opportunity'`) > 0 {
				ids = opportunityIDs(t, e, 20)
			}
			e.srv.SetFaults(salesforcetest.Faults{Latency: 3 * time.Millisecond})
		}
		if len(ids) > i {
			if err := e.srv.Update("Opportunity", []string{ids[i]}, map[string]any{"NextStep": "step " + strconv.Itoa(i)}); err != nil {
				t.Fatal(err)
			}
		}
		e.srv.SetFaults(salesforcetest.Faults{})
		e.srv.ResetCalls()
		e.run(e.source())
		total = len(e.srv.Calls()) // the next run is incremental too: it makes about as many calls
		for _, s := range standard {
			e.checkTable(s.table, s.object, s.merge)
		}
		if kp.commits > 0 {
			// The rerun went on from the chunks of the killed run: they stand.
			e.checkLoads(log.loadIDs, fmt.Sprintf("kill point %d: after the rerun, the run killed after chunk %d", i, kp.commits))
		}
		e.srv.SetFaults(salesforcetest.Faults{Latency: 3 * time.Millisecond})
	}
	// Killed runs committed chunks that the reruns went on from: the dataset holds more loads
	// than the completed runs made (one each), at least one more for each chunk committed by the
	// runs killed after a commit.
	if loads := e.scalar(`SELECT count(*) FROM {ds}._dlt_loads`); loads < int64(len(points)+held) {
		t.Errorf("%d loads after %d reruns: want at least %d, the killed runs committed %d chunks (CommitEvery %d)",
			loads, len(points), len(points)+held, held, crashCommitEvery)
	}
	// The state matches the data: a run with nothing changed loads nothing new.
	e.srv.SetFaults(salesforcetest.Faults{})
	info := e.run(e.source())
	for _, s := range standard {
		if s.merge && info.RowCount(s.table) != 0 {
			t.Errorf("after the crashes, an unchanged run still loaded %d rows into %s", info.RowCount(s.table), s.table)
		}
	}
}

// childLog reads what a child process writes to stderr and stdout, all of it, so the child never
// blocks on a full pipe.
type childLog struct {
	reached chan struct{} // closed once the child logged its hold-th chunk commit
	done    chan struct{} // closed once the output ended: the fields below are complete
	loadIDs []string      // the loads of the chunks the child committed, in order
	tail    []string      // the last lines of the output
}

// startChild starts cmd with its output read into a childLog.
func startChild(t *testing.T, cmd *exec.Cmd, hold int) *childLog {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close() // the child has its own copy: the pipe ends when the child does
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	l := &childLog{reached: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		defer r.Close()
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				l.read(line, hold)
			}
			if err != nil {
				io.Copy(io.Discard, br) // a failed read: drain what is left
				return
			}
		}
	}()
	return l
}

func (l *childLog) read(line string, hold int) {
	if l.tail = append(l.tail, line); len(l.tail) > 40 {
		l.tail = l.tail[1:]
	}
	var rec struct {
		Msg    string `json:"msg"`
		LoadID string `json:"load_id"`
	}
	if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != chunkCommitted {
		return
	}
	if l.loadIDs = append(l.loadIDs, rec.LoadID); len(l.loadIDs) == hold {
		close(l.reached)
	}
}

// loadIDPattern is how a load id looks (seconds and microseconds since the epoch).
var loadIDPattern = regexp.MustCompile(`^[0-9]+\.[0-9]{6}$`)

// checkLoads checks that the dataset holds the loads of ids as completed.
func (e *env) checkLoads(ids []string, what string) {
	e.t.Helper()
	quoted := make([]string, len(ids))
	for i, id := range ids {
		if !loadIDPattern.MatchString(id) {
			e.t.Fatalf("%s: logged the load id %q", what, id)
		}
		quoted[i] = "'" + id + "'"
	}
	if n := e.scalar(`SELECT count(DISTINCT load_id) FROM {ds}._dlt_loads WHERE status = 0 AND load_id IN (` + strings.Join(quoted, ", ") + `)`); n != int64(len(ids)) {
		e.t.Fatalf("%s: %d of its %d committed chunks %v are loads of the dataset", what, n, len(ids), ids)
	}
}

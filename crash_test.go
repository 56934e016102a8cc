package sfdlt_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// TestChildPipelineRun is the body of the child process of TestKilledRunsRecover: it runs the
// pipeline against the parent's emulator. It does nothing in a normal test run.
func TestChildPipelineRun(t *testing.T) {
	url, dir, kind, dsn, ds := os.Getenv("SFDLT_CHILD_URL"), os.Getenv("SFDLT_CHILD_DIR"), os.Getenv("SFDLT_CHILD_KIND"), os.Getenv("SFDLT_CHILD_DSN"), os.Getenv("SFDLT_CHILD_DATASET")
	if url == "" {
		t.Skip("only runs as the child process of TestKilledRunsRecover")
	}
	src, err := sfdlt.NewSource(sfdlt.Credentials{
		UserName: salesforcetest.DefaultUserName, Password: salesforcetest.DefaultPassword, SecurityToken: salesforcetest.DefaultSecurityToken,
	}, sfdlt.LoginURL(url))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, file: filepath.Join(dir, "sf.duckdb"), kind: kind, dsn: dsn, ds: ds}
	// Small chunks, so kills land between chunk commits too and reruns go on from them.
	p, err := sfdlt.NewPipeline("salesforce", e.destination(), sfdlt.Dataset(ds), sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")), sfdlt.CommitEvery(crashCommitEvery))
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

// A run killed with SIGKILL at any point, then run again, leaves exactly the org's data: no
// duplicates, nothing lost, state matching the data. The kill points are spread over the API
// calls of a run (login, describes, query pages) and past the last call (loading, committing).
func TestKilledRunsRecover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	forEachDestination(t, nil, testKilledRunsRecover)
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
	points := []float64{0.05, 0.5}
	for i := 1; len(points) < n-3; i++ {
		points = append(points, float64(i%10)/10+0.05)
	}
	points = append(points, 1, 1, 1)
	// Past the last call, the kill waits a little longer each time, so it lands while the loader
	// writes and commits chunks (Postgres creates its tables after the calls are made).
	after := map[int]time.Duration{len(points) - 3: 0, len(points) - 2: 150 * time.Millisecond, len(points) - 1: 400 * time.Millisecond}
	var lastCall time.Time

	ids := []string(nil)
	for i, share := range points {
		k := max(1, int(share*float64(total)))
		if share == 1 {
			k = total
		}
		e.srv.ResetCalls()
		cmd := exec.Command(exe, "-test.run=^TestChildPipelineRun$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SFDLT_CHILD_URL="+e.srv.URL(), "SFDLT_CHILD_DIR="+e.dir,
			"SFDLT_CHILD_KIND="+e.kind, "SFDLT_CHILD_DSN="+e.dsn, "SFDLT_CHILD_DATASET="+e.ds)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		tick := time.NewTicker(200 * time.Microsecond)
		killed := false
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
					if time.Since(lastCall) < after[i] {
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
		lastCall = time.Time{}
		t.Logf("kill point %d: after %d of ~%d calls (killed: %v)", i, k, total, killed)

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
		e.srv.SetFaults(salesforcetest.Faults{Latency: 3 * time.Millisecond})
	}
	// Killed runs committed chunks that the reruns went on from: the dataset holds more loads
	// than the completed runs made (one each).
	if loads := e.scalar(`SELECT count(*) FROM {ds}._dlt_loads`); loads <= int64(len(points)) {
		t.Errorf("%d loads after %d reruns: no killed run committed a chunk (CommitEvery %d)", loads, len(points), crashCommitEvery)
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

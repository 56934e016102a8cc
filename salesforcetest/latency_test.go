package salesforcetest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// deadlock bounds the waits of these tests: reached only when the emulator never lets a request
// go on, never on a slow machine.
const deadlock = time.Minute

// waits records the waits of Latency.Sleep instead of waiting.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return nil
}

// take returns the waits recorded since the last take.
func (w *waits) take() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.d
	w.d = nil
	return d
}

// TestLatencyPerCall checks each call's wait against the model, with the waits recorded rather
// than slept: a query page takes QueryPage plus QueryRecord per record, other calls Call, all
// scaled, with Faults.Latency on top through the same hook.
func TestLatencyPerCall(t *testing.T) {
	w := &waits{}
	lat := salesforcetest.Latency{Scale: 0.5, Call: 10 * time.Millisecond, QueryPage: 100 * time.Millisecond,
		QueryRecord: time.Millisecond, Sleep: w.sleep}
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Account": 300}, Latency: lat})
	tok := soapLogin(t, s)
	if got := w.take(); len(got) != 1 || got[0] != 5*time.Millisecond {
		t.Errorf("SOAP login waited %v, want [5ms] (Call 10ms at scale 0.5)", got)
	}
	for _, tc := range []struct {
		name string
		path string
		hdr  []string
		want time.Duration
	}{
		{"first page of 200", "query?q=" + url.QueryEscape("SELECT Id FROM Account"), []string{"Sforce-Query-Options", "batchSize=200"}, 150 * time.Millisecond},
		{"count query", "query?q=" + url.QueryEscape("SELECT COUNT() FROM Account"), nil, 50 * time.Millisecond},
		{"page of 7", "query?q=" + url.QueryEscape("SELECT Id FROM Account LIMIT 7"), nil, 53500 * time.Microsecond},
		{"refused query", "query?q=" + url.QueryEscape("SELECT Nope FROM Account"), nil, 5 * time.Millisecond},
		{"describe", "sobjects/Account/describe", nil, 5 * time.Millisecond},
		{"limits", "limits", nil, 5 * time.Millisecond},
		{"versions", "/services/data/", nil, 5 * time.Millisecond},
	} {
		get(t, s, tok, tc.path, tc.hdr...)
		if got := w.take(); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: waited %v, want [%v]", tc.name, got, tc.want)
		}
	}

	// The second page of the query (100 records) through its nextRecordsUrl.
	var first queryPage
	mustJSON(t, get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM Account"), "Sforce-Query-Options", "batchSize=200").body, &first)
	w.take()
	if first.NextRecordsURL == nil {
		t.Fatal("300 records in pages of 200: no second page")
	}
	get(t, s, tok, *first.NextRecordsURL, "Sforce-Query-Options", "batchSize=200")
	if got := w.take(); len(got) != 1 || got[0] != 100*time.Millisecond {
		t.Errorf("page of 100 by nextRecordsUrl: waited %v, want [100ms]", got)
	}

	// Faults.Latency waits through the same hook, unscaled, before the model's wait.
	s.SetFaults(salesforcetest.Faults{Latency: 3 * time.Millisecond})
	get(t, s, tok, "limits")
	if got := w.take(); len(got) != 2 || got[0] != 3*time.Millisecond || got[1] != 5*time.Millisecond {
		t.Errorf("limits with Faults.Latency 3ms: waited %v, want [3ms 5ms]", got)
	}
}

// TestRealOrgLatency checks the preset against the figures it comes from: a REST page of 2,000
// records in 1.3-1.8 s, and Scale shrinking it in proportion.
func TestRealOrgLatency(t *testing.T) {
	for _, tc := range []struct {
		scale float64
		want  time.Duration
	}{{0, 1500 * time.Millisecond}, {1, 1500 * time.Millisecond}, {0.1, 150 * time.Millisecond}} {
		w := &waits{}
		lat := salesforcetest.RealOrgLatency()
		lat.Scale, lat.Sleep = tc.scale, w.sleep
		s := newServer(t, salesforcetest.Options{Latency: lat})
		tok := oauthLogin(t, s)
		w.take()
		var p queryPage
		mustJSON(t, get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id, Subject FROM Task")).body, &p)
		got := w.take()
		if len(p.Records) != 2000 || len(got) != 1 || got[0] != tc.want {
			t.Errorf("scale %v: a page of %d records waited %v, want [%v]", tc.scale, len(p.Records), got, tc.want)
		}
		if tc.scale == 1 && len(got) == 1 && (got[0] < 1300*time.Millisecond || got[0] > 1800*time.Millisecond) {
			t.Errorf("RealOrgLatency: a page of 2,000 records takes %v, outside a real org's 1.3-1.8 s", got[0])
		}
	}
}

// TestLatencyBulkJob moves a fake real-time clock: a job stays InProgress until BulkJob plus
// BulkJobRecord per record after its creation, whatever the polls, then completes; polls and
// result pages take their own times.
func TestLatencyBulkJob(t *testing.T) {
	w := &waits{}
	lat := salesforcetest.Latency{Call: 3 * time.Millisecond, BulkJob: 10 * time.Second, BulkJobRecord: time.Millisecond,
		BulkPoll: 7 * time.Millisecond, BulkPage: 20 * time.Millisecond, BulkMB: time.Second, Sleep: w.sleep}
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Account": 300}, Latency: lat})
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s.SetWall(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	setNow := func(tm time.Time) {
		mu.Lock()
		defer mu.Unlock()
		now = tm
	}
	created := now
	tok := oauthLogin(t, s)
	id := createJob(t, s, tok, "query", "SELECT Id, Name FROM Account")["id"].(string)
	select {
	case <-s.JobCounted(id):
	case <-time.After(deadlock):
		t.Fatal("the emulator never counted the job's 300 rows")
	}
	w.take()
	state := func() string {
		t.Helper()
		r := get(t, s, tok, "jobs/query/"+id)
		var info map[string]any
		mustJSON(t, r.body, &info)
		if got := w.take(); len(got) != 1 || got[0] != 7*time.Millisecond {
			t.Errorf("poll waited %v, want [7ms] (BulkPoll)", got)
		}
		return info["state"].(string)
	}
	due := created.Add(10*time.Second + 300*time.Millisecond)
	for i, at := range []time.Time{created, created, due.Add(-time.Nanosecond), due.Add(-time.Nanosecond)} {
		setNow(at)
		if st := state(); st != "InProgress" {
			t.Fatalf("poll %d at %v after creation: %s, want InProgress until %v", i+1, at.Sub(created), st, due.Sub(created))
		}
	}
	r := get(t, s, tok, "jobs/query/"+id+"/results")
	if r.status != http.StatusPreconditionFailed && r.status != http.StatusNoContent {
		t.Errorf("results before the job's time: %v, want 412 or 204", r)
	}
	if got := w.take(); len(got) != 1 || got[0] != 3*time.Millisecond {
		t.Errorf("results refused: waited %v, want [3ms] (Call)", got)
	}
	setNow(due)
	if st := state(); st != "JobComplete" {
		t.Fatalf("poll at the job's time: %s, want JobComplete", st)
	}
	r = get(t, s, tok, "jobs/query/"+id+"/results", "Accept-Encoding", "identity")
	if r.status != http.StatusOK || r.header.Get("Content-Encoding") != "" {
		t.Fatalf("results: %v (encoding %q)", r, r.header.Get("Content-Encoding"))
	}
	want := 20*time.Millisecond + time.Duration(len(r.body))*time.Microsecond // 1s per 1,000,000 bytes
	if got := w.take(); len(got) != 1 || got[0] != want {
		t.Errorf("results page of %d bytes: waited %v, want [%v] (BulkPage + BulkMB per MB)", len(r.body), got, want)
	}
	get(t, s, tok, "jobs/query/"+id+"/resultPages")
	if got := w.take(); len(got) != 1 || got[0] != 7*time.Millisecond {
		t.Errorf("resultPages waited %v, want [7ms] (BulkPoll)", got)
	}
}

// TestLatencyRequestsOverlap proves that no lock is held while a request waits: every request
// waits in a hook that lets none go on until ten are inside it at once, the cursor limit's ten
// cursors. A lock held around the wait would let only one in, and the hook would give up after
// the deadlock bound.
func TestLatencyRequestsOverlap(t *testing.T) {
	const n = 10
	all := make(chan struct{})
	var inside atomic.Int32
	errDeadlock := errors.New("not every request was waiting at once")
	lat := salesforcetest.Latency{QueryPage: time.Second, QueryRecord: time.Millisecond, Sleep: func(ctx context.Context, _ time.Duration) error {
		if inside.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(deadlock):
			return errDeadlock
		}
	}}
	s := newServer(t, salesforcetest.Options{Latency: lat})
	tok := oauthLogin(t, s) // Call is 0: the login does not wait
	results := make(chan error, n)
	for range n {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services/data/"+apiVer+"/query?q="+url.QueryEscape("SELECT Id FROM Task"), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				results <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			results <- err
		}()
	}
	for range n {
		if err := <-results; err != nil {
			t.Fatalf("a query waiting with %d others: %v (%d had entered the wait: a lock serializes the waits)", n-1, err, inside.Load())
		}
	}
	if got := s.OpenCursors(); got != n {
		t.Errorf("%d cursors open, want %d", got, n)
	}
}

// TestLatencyClientGoesAway cancels a request while the emulator waits an hour to answer it:
// the wait ends with the request's context.
func TestLatencyClientGoesAway(t *testing.T) {
	entered := make(chan struct{})
	ended := make(chan error, 1)
	lat := salesforcetest.Latency{Call: time.Hour, Sleep: func(ctx context.Context, d time.Duration) error {
		close(entered)
		err := salesforcetest.SleepContext(ctx, d) // the emulator's own sleeping
		ended <- err
		return err
	}}
	s := newServer(t, salesforcetest.Options{Latency: lat})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/services/data/", nil)
	got := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	<-entered
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled client: %v, want context.Canceled", err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the wait ended with %v, want context.Canceled", err)
		}
	case <-time.After(deadlock):
		t.Fatal("the emulator still waits to answer a client that went away")
	}
}

// TestLatencyCountsInFlight holds a request inside its wait and moves a fake real-time clock
// past LongRequest: the waiting request is a long-running one, and the next is refused.
func TestLatencyCountsInFlight(t *testing.T) {
	var armed atomic.Bool
	entered, release := make(chan struct{}), make(chan struct{})
	lat := salesforcetest.Latency{Call: time.Millisecond, Sleep: func(context.Context, time.Duration) error {
		if armed.CompareAndSwap(true, false) {
			close(entered)
			<-release
		}
		return nil
	}}
	s := newServer(t, salesforcetest.Options{Latency: lat, Limits: salesforcetest.Limits{ConcurrentLongRequests: 1, LongRequest: time.Second}})
	tok := soapLogin(t, s)
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s.SetWall(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	armed.Store(true)
	held := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services/data/"+apiVer+"/limits", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
		}
		held <- err
	}()
	<-entered
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	r := get(t, s, tok, "limits")
	wantRESTError(t, r, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED")
	if m := restErr(t, r)["message"]; m != "ConcurrentPerOrgLongTxn Limit exceeded." {
		t.Errorf("message %q", m)
	}
	close(release)
	if err := <-held; err != nil {
		t.Errorf("the request held in its wait: %v", err)
	}
}

// TestLatencySleeps checks that, without a Sleep hook, a request really waits: only a lower
// bound, which no slow machine can break.
func TestLatencySleeps(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Latency: salesforcetest.Latency{Call: 40 * time.Millisecond, Scale: 0.5}})
	start := time.Now()
	get(t, s, "", "/services/data/")
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("answered after %v, want at least 20ms (Call 40ms at scale 0.5)", d)
	}
}

func TestLatencyChecked(t *testing.T) {
	for _, tc := range []struct {
		lat  salesforcetest.Latency
		want string
	}{
		{salesforcetest.Latency{Scale: -1}, "Options.Latency.Scale is -1: give a factor of 0 or more"},
		{salesforcetest.Latency{QueryRecord: -time.Millisecond}, "Options.Latency.QueryRecord is -1ms: give a duration of 0 or more"},
	} {
		s, err := salesforcetest.Start("127.0.0.1:0", salesforcetest.Options{Latency: tc.lat})
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.lat, err, tc.want)
		}
	}
	if o := (salesforcetest.Options{Latency: salesforcetest.RealOrgLatency()}).String(); !strings.Contains(o, "Latency:{Scale:1 Call:150ms") {
		t.Errorf("Options.String does not show the latency model: %s", o)
	}
}

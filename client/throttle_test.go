package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The answers Salesforce gives for its two kinds of REQUEST_LIMIT_EXCEEDED.
const (
	bodyConcurrentRequests = `[{"message":"ConcurrentRequests (Concurrent API Requests) Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`
	bodyConcurrentLongTxn  = `[{"message":"ConcurrentPerOrgLongTxn Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`
	bodyTotalRequests      = `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`
)

func TestRequestLimitKinds(t *testing.T) {
	tests := []struct {
		name             string
		message          string
		daily, concurent bool
	}{
		{"daily quota", "TotalRequests Limit exceeded.", true, false},
		{"concurrent requests", "ConcurrentRequests (Concurrent API Requests) Limit exceeded.", false, true},
		{"long transactions", "ConcurrentPerOrgLongTxn Limit exceeded.", false, true},
		{"no message", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &APIError{StatusCode: 403, ErrorCode: CodeRequestLimitExceeded, Message: tt.message}
			if got := errors.Is(e, ErrRequestLimitExceeded); got != tt.daily {
				t.Errorf("errors.Is(ErrRequestLimitExceeded) = %v", got)
			}
			if got := errors.Is(e, ErrConcurrentLimit); got != tt.concurent {
				t.Errorf("errors.Is(ErrConcurrentLimit) = %v", got)
			}
		})
	}
	// The message alone, without the code, is nothing.
	if errors.Is(&APIError{StatusCode: 403, ErrorCode: "FORBIDDEN", Message: "ConcurrentRequests"}, ErrConcurrentLimit) {
		t.Error("a message without REQUEST_LIMIT_EXCEEDED matched ErrConcurrentLimit")
	}
}

// TestConcurrentLimitRetried: concurrent-limit answers are waited out and the request goes
// through, on a budget apart from MaxRetries (here none); the daily quota stops at the first
// answer.
func TestConcurrentLimitRetried(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		refusals  int
		calls     int64
		is, isNot error
	}{
		{"ConcurrentRequests", bodyConcurrentRequests, 4, 5, nil, nil},
		{"ConcurrentPerOrgLongTxn", bodyConcurrentLongTxn, 4, 5, nil, nil},
		{"TotalRequests", bodyTotalRequests, 4, 1, ErrRequestLimitExceeded, ErrConcurrentLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				if int(s.calls.Load()) <= tt.refusals {
					writeJSON(w, http.StatusForbidden, tt.body)
					return
				}
				writeJSON(w, 200, fixture(t, "camel/limits.json"))
			})
			var logs logBuffer
			c := sessionClient(t, srv, func(cfg *Config) { cfg.MaxRetries, cfg.Logger = -1, logs.logger() })
			_, err := c.Limits(context.Background())
			if got := srv.calls.Load(); got != tt.calls {
				t.Errorf("%d calls, want %d", got, tt.calls)
			}
			if tt.is == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := c.Throttled(); got != tt.refusals {
					t.Errorf("Throttled() = %d, want %d", got, tt.refusals)
				}
				if !strings.Contains(logs.String(), "lowering parallelism") {
					t.Errorf("the waits are not logged:\n%s", logs.String())
				}
			} else {
				if !errors.Is(err, tt.is) || errors.Is(err, tt.isNot) {
					t.Errorf("got %v: want %v and not %v", err, tt.is, tt.isNot)
				}
				if c.Throttled() != 0 {
					t.Errorf("Throttled() = %d for the daily quota", c.Throttled())
				}
			}
			assertNoSecrets(t, "logs", logs.String())
		})
	}
}

// TestConcurrentLimitBudget: a request refused for longer than ConcurrentLimitWait fails with an
// error matching ErrConcurrentLimit (never ErrRequestLimitExceeded, on which the engine stops
// the whole run); a negative wait fails at the first answer.
func TestConcurrentLimitBudget(t *testing.T) {
	tests := []struct {
		name     string
		wait     time.Duration
		minCalls int64
		maxCalls int64
	}{
		{"waited out", 200 * time.Microsecond, 2, 1 << 20},
		{"not retried", -1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusForbidden, bodyConcurrentRequests)
			})
			c := sessionClient(t, srv, func(cfg *Config) { cfg.ConcurrentLimitWait = tt.wait })
			_, err := c.Limits(context.Background())
			if !errors.Is(err, ErrConcurrentLimit) || errors.Is(err, ErrRequestLimitExceeded) {
				t.Fatalf("got %v: want ErrConcurrentLimit and not ErrRequestLimitExceeded", err)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden {
				t.Errorf("not the APIError: %v", err)
			}
			if !strings.Contains(err.Error(), "long-running requests") {
				t.Errorf("the error does not say what happened: %v", err)
			}
			if n := srv.calls.Load(); n < tt.minCalls || n > tt.maxCalls {
				t.Errorf("%d calls, want %d to %d", n, tt.minCalls, tt.maxCalls)
			}
			if got := int64(c.Throttled()); got != srv.calls.Load() {
				t.Errorf("Throttled() = %d after %d refusals", got, srv.calls.Load())
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
}

// gateOp is one step of a gate script: "a" takes a slot (it must be free), "a!" finds none free,
// "tN", "oN", "nN" release the N-th slot taken as throttled, OK or neutral, "=L" checks the
// limit (0: none).
func runGate(t *testing.T, g *gate, script string) {
	t.Helper()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	var slots []slot
	for i, op := range strings.Fields(script) {
		switch {
		case op == "a":
			s, err := g.acquire(cancelled)
			if err != nil {
				limit, inflight, _, _ := g.state()
				t.Fatalf("step %d (%s): no free slot (limit %d, %d in flight)", i, op, limit, inflight)
			}
			slots = append(slots, s)
		case op == "a!":
			if _, err := g.acquire(cancelled); !errors.Is(err, context.Canceled) {
				t.Fatalf("step %d (%s): a slot was free", i, op)
			}
		case op[0] == '=':
			want, _ := strconv.Atoi(op[1:])
			if limit, _, _, _ := g.state(); limit != want {
				t.Fatalf("step %d (%s): limit %d", i, op, limit)
			}
		default:
			n, err := strconv.Atoi(op[1:])
			if err != nil || n >= len(slots) {
				t.Fatalf("step %d: bad op %q", i, op)
			}
			o := map[byte]outcome{'t': outcomeThrottled, 'o': outcomeOK, 'n': outcomeNeutral}[op[0]]
			slots[n].release(o)
		}
	}
}

func TestGateAIMD(t *testing.T) {
	tests := []struct {
		name   string
		cap    int
		script string
	}{
		{"no cap lets everything through", 0, "a a a a a a a a =0 o0 o1 n2 =0"},
		{"a throttle halves what ran", 0, "a a a a a a a a t0 =4"},
		{"one halving per round", 0, "a a a a a a a a t0 t1 t2 t3 =4 a! t4 =4"},
		{"a request sent after the decrease halves again", 0, "a a a a t0 =2 t1 t2 a t3 =2 t4 =1"},
		{"never below 1", 1, "=1 a a! t0 =1 a a!"},
		{"throttled with few in flight halves those", 10, "=10 a a a t0 =1"},
		{"a run of successes as long as the limit raises it by one", 0,
			"a a a a a a a a t0 =4 t1 t2 t3 t4 o5 o6 o7 =4 a o8 =5"},
		{"raised up to the cap", 4,
			"a a a a t0 =2 o1 o2 =3 n3 a a a o4 o5 o6 =4 a a a a a! o7 o8 o9 o10 =4"},
		{"without a cap, back to no limit past the most ever run", 0,
			"a a a a t0 =2 o1 o2 =3 n3 a a a o4 o5 o6 =4 a a a a o7 o8 o9 o10 =0 a a a a a a"},
		{"neutral outcomes change nothing", 0, "a a a a t0 =2 n1 n2 n3 =2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runGate(t, newGate(tt.cap), tt.script)
		})
	}
}

// releaser returns a function that closes ch once, also called at cleanup so that a failing
// test does not leave handlers blocked (the test server's Close waits for them).
func releaser(t *testing.T, ch chan struct{}) func() {
	var once sync.Once
	release := func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release)
	return release
}

// waitGate blocks until cond holds for the gate's state; the gate wakes observers on every
// change, so nothing sleeps. The deadline only turns a hang into a failure with the state.
func waitGate(t *testing.T, g *gate, what string, cond func(limit, inflight, waiting int) bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		g.mu.Lock()
		limit, inflight, waiting, wake := g.limit, g.inflight, g.waiting, g.wake
		g.mu.Unlock()
		if cond(limit, inflight, waiting) {
			return
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("waiting for %s: limit %d, %d in flight, %d waiting", what, limit, inflight, waiting)
		}
	}
}

// TestConcurrentStormLowersParallelism sends n requests at once to a server that answers the
// concurrent limit while more than k are in flight and holds k of them until released. The
// client must lower its limit to k or less and hold the others back in its gate; once the held
// requests end, everything succeeds, and the server never sees more in flight than the limit can
// have grown back to with n successes (from k: +1 after each run of successes as long as the
// limit), far below the n of the storm.
func TestConcurrentStormLowersParallelism(t *testing.T) {
	const n, k = 8, 2
	var inflight, peak, refusals atomic.Int64
	held := make(chan struct{})
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		cur := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
		}
		if cur > k {
			refusals.Add(1)
			writeJSON(w, http.StatusForbidden, bodyConcurrentRequests)
			return
		}
		<-held
		writeJSON(w, 200, fixture(t, "camel/limits.json"))
	})
	release := releaser(t, held)
	c := sessionClient(t, srv, func(cfg *Config) { cfg.ConcurrentLimitWait = time.Hour })
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := c.Limits(context.Background())
			errs <- err
		})
	}
	// The storm: requests beyond the k held ones were refused (those sent before the gate
	// closed), and the gate now holds back every request but the held ones.
	waitGate(t, c.gate, "the gate to hold back all but the held requests", func(limit, inflight, waiting int) bool {
		return inflight == k && waiting == n-k
	})
	if limit, _, _, _ := c.gate.state(); limit < 1 || limit > k {
		t.Errorf("after the storm the limit is %d, want 1 to %d", limit, k)
	}
	if got := c.Throttled(); got < 1 || int64(got) != refusals.Load() {
		t.Errorf("Throttled() = %d, the server refused %d", got, refusals.Load())
	}
	peak.Store(0)
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	bound, left := k, n
	for left >= bound {
		left -= bound
		bound++
	}
	if p := peak.Load(); p > int64(bound) {
		t.Errorf("after the storm the server saw %d requests at once, want at most %d", p, bound)
	}
	if int64(c.Throttled()) != refusals.Load() {
		t.Errorf("Throttled() = %d, the server refused %d", c.Throttled(), refusals.Load())
	}
	if _, inflight, waiting, _ := c.gate.state(); inflight != 0 || waiting != 0 {
		t.Errorf("gate left with %d in flight, %d waiting", inflight, waiting)
	}
	t.Logf("%d refusals; after the storm at most %d in flight (bound %d); limit now %d", refusals.Load(), peak.Load(), bound, c.ConcurrencyLimit())
}

// TestGateWaitHonoursContext: a request waiting for a slot stops when its context ends, and
// leaves the gate as it was.
func TestGateWaitHonoursContext(t *testing.T) {
	held := make(chan struct{})
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		<-held
		writeJSON(w, 200, fixture(t, "camel/limits.json"))
	})
	release := releaser(t, held)
	c := sessionClient(t, srv, func(cfg *Config) { cfg.MaxConcurrentRequests = 1 })
	first := make(chan error, 1)
	go func() {
		_, err := c.Limits(context.Background())
		first <- err
	}()
	waitGate(t, c.gate, "the first request to run", func(_, inflight, _ int) bool { return inflight == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := c.Limits(ctx)
		second <- err
	}()
	waitGate(t, c.gate, "the second request to wait", func(_, _, waiting int) bool { return waiting == 1 })
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for a request slot") {
		t.Errorf("the waiting request: %v, want context.Canceled while waiting for a slot", err)
	}
	release()
	if err := <-first; err != nil {
		t.Error(err)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1: the cancelled request must not be sent", n)
	}
	if limit, inflight, waiting, _ := c.gate.state(); limit != 1 || inflight != 0 || waiting != 0 {
		t.Errorf("gate left with limit %d, %d in flight, %d waiting", limit, inflight, waiting)
	}
	if _, err := New(context.Background(), Config{Credentials: Credentials{SessionID: secretSession, InstanceURL: srv.URL}, MaxConcurrentRequests: -1}); err == nil {
		t.Error("a negative MaxConcurrentRequests was accepted")
	}
}

// signalHandler is a slog handler that closes a channel at the first record with a message.
type signalHandler struct {
	msg  string
	once sync.Once
	ch   chan struct{}
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *signalHandler) WithGroup(string) slog.Handler            { return h }
func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.msg) {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}

// TestCancelWhileThrottled: a request waiting out the concurrent limit stops when its context
// is cancelled, with an error matching context.Canceled that says what it was waiting for.
func TestCancelWhileThrottled(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, bodyConcurrentLongTxn)
	})
	waiting := &signalHandler{msg: "lowering parallelism and waiting", ch: make(chan struct{})}
	c := sessionClient(t, srv, func(cfg *Config) {
		cfg.RetryWait, cfg.MaxRetryWait, cfg.ConcurrentLimitWait = time.Hour, time.Hour, 2*time.Hour
		cfg.Logger = slog.New(waiting)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Limits(ctx)
		done <- err
	}()
	<-waiting.ch
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrRequestLimitExceeded) {
		t.Errorf("a cancelled wait matches ErrRequestLimitExceeded: %v", err)
	}
	if !strings.Contains(err.Error(), "concurrent request limit") {
		t.Errorf("the error does not say what it waited for: %v", err)
	}
	if srv.calls.Load() != 1 || c.Throttled() != 1 {
		t.Errorf("%d calls, Throttled() = %d; want 1 and 1", srv.calls.Load(), c.Throttled())
	}
}

// TestConcurrentLimitOnBulkCreateIsNotBulkSpecific: a job creation refused by the concurrent
// limit after the wait is not a Bulk limit (REST would meet the same refusal).
func TestConcurrentLimitOnBulkCreateIsNotBulkSpecific(t *testing.T) {
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, bodyConcurrentRequests)
	})
	c := sessionClient(t, srv, func(cfg *Config) { cfg.ConcurrentLimitWait = -1 })
	_, err := c.BulkQuery(context.Background(), "SELECT Id FROM Account", fastBulk)
	if !errors.Is(err, ErrConcurrentLimit) || errors.Is(err, ErrBulkLimitExceeded) || errors.Is(err, ErrRequestLimitExceeded) {
		t.Errorf("got %v: want ErrConcurrentLimit only", err)
	}
}

func ExampleClient_Throttled() {
	var c *Client // a client used by a run
	if c == nil {
		return
	}
	if n := c.Throttled(); n > 0 {
		fmt.Printf("Salesforce's concurrent request limit slowed the run %d times (parallelism now %d)\n", n, c.ConcurrencyLimit())
	}
}

package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// DefaultConcurrentLimitWait is the zero value of Config.ConcurrentLimitWait: how long one
// request keeps waiting out Salesforce's concurrent-request limit before it fails.
const DefaultConcurrentLimitWait = 5 * time.Minute

// isConcurrentLimit reports whether an error answer is Salesforce's limit on long-running
// requests running at once ("ConcurrentRequests (Concurrent API Requests) Limit exceeded." or
// "ConcurrentPerOrgLongTxn Limit exceeded."), which passes as those requests end, rather than
// the org's daily quota ("TotalRequests Limit exceeded."), which does not. Both come as HTTP 403
// REQUEST_LIMIT_EXCEEDED: the message text is the only signal Salesforce gives, so it is read
// here, and only here; every other decision of the client branches on codes and statuses.
func isConcurrentLimit(code, message string) bool {
	return code == CodeRequestLimitExceeded && strings.Contains(strings.ToLower(message), "concurrent")
}

// outcome is what a finished request tells the gate about the org's capacity.
type outcome int

const (
	outcomeNeutral   outcome = iota // no answer, or a server fault: says nothing about concurrency
	outcomeOK                       // Salesforce answered (success or a request error)
	outcomeThrottled                // Salesforce answered its concurrent-request limit
)

// gate is the client's adaptive in-flight limit (AIMD, as TCP's congestion window): each
// concurrent-limit answer halves the requests allowed at once (at least 1), once per round of
// requests sent since the last decrease, and every run of successes as long as the limit raises
// it by one, up to the configured cap, or, without a cap, until it no longer constrains (then no
// limit). Without a cap and before any concurrent-limit answer it lets every request through.
type gate struct {
	mu       sync.Mutex
	cap      int    // Config.MaxConcurrentRequests; 0: none
	limit    int    // requests allowed at once; 0: no limit
	inflight int    // requests holding a slot
	waiting  int    // requests waiting for a slot
	peak     int    // most requests in flight at once
	epoch    uint64 // counts decreases: a throttled request sent before the last one does not halve again
	run      int    // successes since the limit last changed
	wake     chan struct{}
}

func newGate(limit int) *gate {
	return &gate{cap: limit, limit: limit, wake: make(chan struct{})}
}

// slot is a request's permission to run; release it exactly once.
type slot struct {
	g     *gate
	epoch uint64
}

// broadcast wakes every waiter to look again; g.mu must be held.
func (g *gate) broadcast() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// acquire waits for a slot, or until ctx is done.
func (g *gate) acquire(ctx context.Context) (slot, error) {
	g.mu.Lock()
	if g.limit == 0 || g.inflight < g.limit {
		return g.take(), nil
	}
	g.waiting++
	g.broadcast() // lets observers (tests) see the new waiter
	for {
		wake := g.wake
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			g.mu.Lock()
			g.waiting--
			g.broadcast()
			g.mu.Unlock()
			return slot{}, ctx.Err()
		case <-wake:
		}
		g.mu.Lock()
		if g.limit == 0 || g.inflight < g.limit {
			g.waiting--
			return g.take(), nil
		}
	}
}

// take hands out a slot; g.mu must be held and is released.
func (g *gate) take() slot {
	g.inflight++
	g.peak = max(g.peak, g.inflight)
	s := slot{g: g, epoch: g.epoch}
	g.broadcast()
	g.mu.Unlock()
	return s
}

// release returns the slot and adapts the limit to what the request met.
func (s slot) release(o outcome) {
	g := s.g
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch o {
	case outcomeThrottled:
		if s.epoch == g.epoch {
			base := g.inflight // the requests running when Salesforce refused, this one included
			if g.limit > 0 {
				base = min(base, g.limit)
			}
			g.limit = max(1, base/2)
			g.epoch++
			g.run = 0
		}
	case outcomeOK:
		if g.limit == 0 {
			break
		}
		if g.run++; g.run >= g.limit {
			g.run = 0
			g.limit++
			switch {
			case g.cap > 0:
				g.limit = min(g.limit, g.cap)
			case g.limit > g.peak:
				g.limit = 0 // it no longer holds anything back
			}
		}
	}
	g.inflight--
	g.broadcast()
}

// state is a snapshot of the gate: the limit (0: none), the requests running and waiting, and
// the most ever run at once.
func (g *gate) state() (limit, inflight, waiting, peak int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit, g.inflight, g.waiting, g.peak
}

// Throttled counts the answers in which Salesforce refused a request of this client because
// too many long-running requests ran in the org at once (ErrConcurrentLimit). The client waits
// those out and lowers its own parallelism; a count above zero says a run was slowed by the
// org's concurrent-request limit (shared with the org's other integrations), worth reporting.
func (c *Client) Throttled() int { return int(c.throttled.Load()) }

// ConcurrencyLimit is the number of requests the client currently lets run at once, lowered
// after concurrent-limit answers and raised again as requests succeed; 0 means no limit.
func (c *Client) ConcurrencyLimit() int {
	limit, _, _, _ := c.gate.state()
	return limit
}

// concurrentWait returns how long to wait before sending again a request refused for the n-th
// time (n >= 1) by the concurrent-request limit: exponential from RetryWait, capped at
// MaxRetryWait, with "equal jitter" (half fixed, half random) so that the wait is never close to
// zero: the requests holding the org's slots need time to end, and many waiters must not all
// come back at once.
func (c *Client) concurrentWait(n int) time.Duration {
	ceiling := c.retryWait
	for i := 1; i < n && ceiling < c.maxRetryWait; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.maxRetryWait)
	half := ceiling / 2
	return half + time.Duration(rand.Int64N(int64(ceiling-half)+1))
}

// concurrentHint explains a request still refused by the concurrent-request limit after waiting.
func concurrentHint(waited time.Duration) string {
	h := "too many long-running requests (20 s or more) ran in the org at once (25 in a production org, 5 in a developer org, shared with the org's other integrations)"
	if waited > 0 {
		h += fmt.Sprintf("; the client lowered its parallelism and waited %s without getting through", waited.Round(time.Millisecond))
	}
	return h + ": run again later, with fewer parallel requests, or when other integrations are idle"
}

package salesforcetest

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Latency is how long the emulated org takes to answer, call by call, modelled on a real org's
// API: on a real org the API, not the client's CPU, decides how long a load takes, and a
// benchmark that answers every call at once measures the wrong thing. The zero value adds no
// wait (Faults.Latency still adds its own); RealOrgLatency returns a real org's figures.
//
// A request waits after its handler ran and before its answer is sent, while it counts as in
// flight for Limits.ConcurrentLongRequests (Limits.LongRequest is real time and is not scaled),
// with no lock held: ten requests on ten cursors wait at once, as on a real org. A client that
// gives up (its request's context ends) ends the wait and gets no answer; what the handler
// changed (an API call counted, a cursor opened) stays changed, as on a real org.
type Latency struct {
	// Scale multiplies every duration below (0 means 1): 0.1 makes every wait ten times
	// shorter, so that a benchmark of a large org finishes in minutes. Only the waits shrink;
	// the client's CPU does not, so a scaled run is faithful only while the client waits more
	// than it computes.
	Scale float64
	// Call is the time of every call the fields below do not cover: SOAP and OAuth logins, the
	// versions list, describes, limits, deleted, Bulk job creation, abort, delete and list,
	// results asked for before a job completed, and every refused request (errors, limits).
	Call time.Duration
	// QueryPage and QueryRecord make the time of a REST query page (query, queryAll, a
	// nextRecordsUrl): QueryPage plus QueryRecord per record of the page. A refused query
	// (MALFORMED_QUERY, QUERY_TIMEOUT, INVALID_QUERY_LOCATOR) takes Call.
	QueryPage, QueryRecord time.Duration
	// BulkJob and BulkJobRecord make the time a Bulk API 2.0 query job takes to complete,
	// measured from its creation: BulkJob plus BulkJobRecord per record it matches. Until then
	// polls see it UploadComplete or InProgress and its results answer 412 or 204 (Options
	// BulkJobPolls and BulkJobDelay still apply: the job completes when all three allow it).
	BulkJob, BulkJobRecord time.Duration
	// BulkPoll is the time of a poll of a job (GET jobs/query/{id}) and of a resultPages
	// listing.
	BulkPoll time.Duration
	// BulkPage and BulkMB make the time of a Bulk results page: BulkPage until its first byte,
	// plus BulkMB per 1,000,000 bytes of the body as sent (compressed when it is gzipped).
	BulkPage, BulkMB time.Duration
	// Sleep, when set, is called instead of sleeping, for every wait of a request (this model's
	// and Faults.Latency), with the request's context; a non-nil error ends the request with no
	// answer (the connection is cut). Tests record the waits with it instead of waiting, or hold requests inside it. It
	// is called with no lock of the server held, by many requests at once.
	Sleep func(ctx context.Context, d time.Duration) error
}

// RealOrgLatency returns the latencies of a real org, as a client in the same region as the
// org's instance sees them. Sources: DESIGN.md ("Facts checked on this machine": a REST page of
// 2,000 records takes about 1.3-1.8 s per cursor; a published REST snapshot of ~5M records with
// 10 parallel fetches ran at 11-15k records/s) and issue 15 (Bulk API 2.0 jobs take seconds to
// minutes to complete; their result pages stream at network speed). Where no figure was
// published, the value is an assumption, marked so below; change the fields to model another
// org or network.
func RealOrgLatency() Latency {
	return Latency{
		Scale: 1,
		// Assumed: a small REST call (login, describe, limits) takes about 100-200 ms to a
		// real org (network round trip, edge, session check, API gateway); no figure was
		// published with the ones above, so the middle: 150 ms.
		Call: 150 * time.Millisecond,
		// A 2,000-record page takes 1.5 s, the middle of the measured 1.3-1.8 s: 150 ms of
		// round trip (as Call) plus 675 µs per record, (1,500 - 150) ms / 2,000. That is 1,333
		// records/s per cursor and 13,300 records/s over 10 parallel cursors, inside the
		// snapshot's 11-15k records/s. A smaller page (batchSize, long text fields) is faster,
		// but not in proportion, as on a real org.
		QueryPage:   150 * time.Millisecond,
		QueryRecord: 675 * time.Microsecond,
		// "Seconds to minutes": assumed 5 s for a job of a few records (the seconds), plus
		// 40 µs per record, 25,000 records/s of server-side processing, so that a job of 1M
		// records completes in 45 s and one of 5M in 3.4 minutes (the minutes).
		BulkJob:       5 * time.Second,
		BulkJobRecord: 40 * time.Microsecond,
		// A poll is a small REST call: Call's 150 ms.
		BulkPoll: 150 * time.Millisecond,
		// "Network speed", assumed: 500 ms until the first byte of a stored result page, then
		// 10 MB/s (80 Mbit/s) per download, 100 ms per 1,000,000 bytes: a 50,000-row page of
		// 400-byte CSV rows takes 2.5 s. Parallel pages (resultPages) each get that speed.
		BulkPage: 500 * time.Millisecond,
		BulkMB:   100 * time.Millisecond,
	}
}

// String shows the model (Sleep only as set or not).
func (l Latency) String() string {
	sleep := ""
	if l.Sleep != nil {
		sleep = " Sleep:set"
	}
	return fmt.Sprintf("{Scale:%g Call:%v QueryPage:%v QueryRecord:%v BulkJob:%v BulkJobRecord:%v BulkPoll:%v BulkPage:%v BulkMB:%v%s}",
		l.Scale, l.Call, l.QueryPage, l.QueryRecord, l.BulkJob, l.BulkJobRecord, l.BulkPoll, l.BulkPage, l.BulkMB, sleep)
}

// isZero reports whether the model adds no wait and replaces no sleeping.
func (l Latency) isZero() bool {
	return l.Call == 0 && l.QueryPage == 0 && l.QueryRecord == 0 && l.BulkJob == 0 && l.BulkJobRecord == 0 &&
		l.BulkPoll == 0 && l.BulkPage == 0 && l.BulkMB == 0 && l.Sleep == nil
}

// check says what is wrong with the model, for Start.
func (l Latency) check() error {
	if l.Scale < 0 || math.IsNaN(l.Scale) || math.IsInf(l.Scale, 0) {
		return fmt.Errorf("salesforcetest: Options.Latency.Scale is %v: give a factor of 0 or more (0 means 1; 0.1 makes every wait ten times shorter)", l.Scale)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"Call", l.Call}, {"QueryPage", l.QueryPage}, {"QueryRecord", l.QueryRecord}, {"BulkJob", l.BulkJob},
		{"BulkJobRecord", l.BulkJobRecord}, {"BulkPoll", l.BulkPoll}, {"BulkPage", l.BulkPage}, {"BulkMB", l.BulkMB},
	} {
		if f.d < 0 {
			return fmt.Errorf("salesforcetest: Options.Latency.%s is %v: give a duration of 0 or more", f.name, f.d)
		}
	}
	return nil
}

// scaled multiplies d by Scale, saturating rather than overflowing.
func (l Latency) scaled(d time.Duration) time.Duration {
	if l.Scale == 0 || l.Scale == 1 {
		return d
	}
	f := float64(d) * l.Scale
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(f)
}

// times multiplies a per-unit duration by n units, saturating.
func times(per time.Duration, n float64) time.Duration {
	f := float64(per) * n
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(f)
}

// costKind is which of the model's times a response takes.
type costKind int

const (
	costCall  costKind = iota // Latency.Call: the default of every response
	costQuery                 // a REST query page
	costPoll                  // a Bulk job poll or resultPages listing
	costPage                  // a Bulk results page
)

// cost is what a handler served, for the model: set on the bufWriter by the handlers of query
// pages and Bulk calls; every other response keeps the zero value, a Call.
type cost struct {
	kind    costKind
	records int // costQuery: records of the page
	bytes   int // costPage: bytes of the body as sent
}

// wait returns how long a response of cost c takes, scaled.
func (l Latency) wait(c cost) time.Duration {
	var d time.Duration
	switch c.kind {
	case costQuery:
		d = l.QueryPage + times(l.QueryRecord, float64(c.records))
	case costPoll:
		d = l.BulkPoll
	case costPage:
		d = l.BulkPage + times(l.BulkMB, float64(c.bytes)/1e6)
	default:
		d = l.Call
	}
	if d < 0 { // saturated sums
		d = math.MaxInt64
	}
	return l.scaled(d)
}

// jobTime returns how long a Bulk job matching records takes to complete, scaled.
func (l Latency) jobTime(records int) time.Duration {
	d := l.BulkJob + times(l.BulkJobRecord, float64(records))
	if d < 0 {
		d = math.MaxInt64
	}
	return l.scaled(d)
}

// sleep waits d for a request, through Latency.Sleep when set; it returns the context's error
// when the client went away first. It must be called with no lock held.
func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if f := s.opts.Latency.Sleep; f != nil {
		return f(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// wallNow reads the real-time clock (time.Now unless a test replaced it).
func (s *Server) wallNow() time.Time {
	s.mu.Lock()
	wall := s.wall
	s.mu.Unlock()
	return wall()
}

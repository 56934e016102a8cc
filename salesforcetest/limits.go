package salesforcetest

import (
	"bytes"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// Limits are the limits a real org enforces; the zero value enforces Salesforce's. A negative
// value turns one off.
type Limits struct {
	// QueryCursors is how many REST query cursors the org's API user may have open at once: 0
	// means 10. A query (or queryAll) whose first page is not its last opens a cursor, which
	// stays open until its last page is served (its pages can still be fetched again after
	// that). Every session is the same user, so all share the 10, together with cursors of
	// other integrations (OpenForeignCursors, Faults.ForeignCursorEvery). When one more opens,
	// the oldest by creation order is released: its nextRecordsUrl answers 400
	// INVALID_QUERY_LOCATOR.
	QueryCursors int
	// CursorIdle is how long a query locator may go unused before it expires (400
	// INVALID_QUERY_LOCATOR), measured on the emulator's clock, which Advance moves: 0 means
	// 15 minutes.
	CursorIdle time.Duration
	// URIBytes is the longest request URI (path and query as sent) served: 0 means 16,384. A
	// longer one answers 414 with Salesforce's HTML body; a URI that fits but does not together
	// with the request's headers (len(name)+len(value)+4 each, Host included) answers 431.
	// Applies to every path (REST, Bulk, logins).
	URIBytes int
	// SOQLChars is the longest SOQL statement, in characters, of a REST query (q=) or a Bulk
	// query job: 0 means 100,000. A longer one answers 400 MALFORMED_QUERY "SOQL statements can
	// not be longer than 100000 characters".
	SOQLChars int
	// ConcurrentLongRequests is how many API requests may have been in flight for LongRequest
	// or longer at once: 0 means 25 (a production org). While that many are, a new API request
	// answers 403 REQUEST_LIMIT_EXCEEDED "ConcurrentPerOrgLongTxn Limit exceeded.", not counted
	// as an API call.
	ConcurrentLongRequests int
	// LongRequest is how long a request must have been in flight, in real time (the waits of
	// Faults.Latency and Options.Latency included), to count as long-running: 0 means 20
	// seconds. Latency.Scale does not scale it.
	LongRequest time.Duration
	// LocatorsPerSession makes a query locator valid only with the session (bearer token) that
	// ran the query's first page, as some orgs do: used with another session, it answers 400
	// INVALID_QUERY_LOCATOR. Off by default.
	LocatorsPerSession bool
}

// NoLimits returns Limits with every limit turned off (LocatorsPerSession false).
func NoLimits() Limits {
	return Limits{QueryCursors: -1, CursorIdle: -1, URIBytes: -1, SOQLChars: -1, ConcurrentLongRequests: -1, LongRequest: -1}
}

// Salesforce's limits, the defaults of Limits.
const (
	defaultQueryCursors   = 10
	defaultCursorIdle     = 15 * time.Minute
	defaultURIBytes       = 16384
	defaultSOQLChars      = 100000
	defaultConcurrentLong = 25
	defaultLongRequest    = 20 * time.Second
	maxRequestHeaderBytes = 1 << 20 // net/http's own limit, far above URIBytes
)

// What Salesforce answers when a limit is reached.
const (
	msgConcurrentRequests = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
	msgConcurrentLongTxn  = "ConcurrentPerOrgLongTxn Limit exceeded."
	msgTotalRequests      = "TotalRequests Limit exceeded."
	codeRequestLimit      = "REQUEST_LIMIT_EXCEEDED"
	codeInvalidLocator    = "INVALID_QUERY_LOCATOR"
	msgInvalidLocator     = "invalid query locator"
	contentTypeBadMessage = "text/html;charset=iso-8859-1"
	reasonURITooLong      = "URI Too Long"
	reasonHeadersTooLarge = "Request Header Fields Too Large"
)

// resolved returns l with its zero values replaced by Salesforce's limits; turned-off limits stay
// negative, so a limit applies when its value is positive.
func (l Limits) resolved() Limits {
	if l.QueryCursors == 0 {
		l.QueryCursors = defaultQueryCursors
	}
	if l.CursorIdle == 0 {
		l.CursorIdle = defaultCursorIdle
	}
	if l.URIBytes == 0 {
		l.URIBytes = defaultURIBytes
	}
	if l.SOQLChars == 0 {
		l.SOQLChars = defaultSOQLChars
	}
	if l.ConcurrentLongRequests == 0 {
		l.ConcurrentLongRequests = defaultConcurrentLong
	}
	if l.LongRequest == 0 {
		l.LongRequest = defaultLongRequest
	}
	return l
}

// tooLarge answers 414 or 431 when a request is over Limits.URIBytes, as Salesforce's edge does
// (Jetty's "Bad Message" page), and reports whether it did.
func (s *Server) tooLarge(w *bufWriter, r *http.Request) bool {
	max := s.limits.URIBytes
	if max <= 0 {
		return false
	}
	n := len(r.RequestURI)
	if n > max {
		badMessage(w, http.StatusRequestURITooLong, reasonURITooLong)
		return true
	}
	n += len("Host") + len(r.Host) + 4 // net/http moves Host out of r.Header
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(v) + 4
		}
	}
	if n > max {
		badMessage(w, http.StatusRequestHeaderFieldsTooLarge, reasonHeadersTooLarge)
		return true
	}
	return false
}

// badMessage writes Jetty's error page, which Salesforce's edge sends for requests it cannot take.
func badMessage(w *bufWriter, status int, reason string) {
	w.header.Set("Content-Type", contentTypeBadMessage)
	w.header.Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<h1>Bad Message %d</h1><pre>reason: %s</pre>", status, reason)
}

// soqlTooLong answers 400 MALFORMED_QUERY when a SOQL statement is over Limits.SOQLChars and
// reports whether it did.
func (s *Server) soqlTooLong(w http.ResponseWriter, text string) bool {
	max := s.limits.SOQLChars
	if max <= 0 || len(text) <= max || utf8.RuneCountInString(text) <= max {
		return false
	}
	restError(w, http.StatusBadRequest, "MALFORMED_QUERY", fmt.Sprintf("SOQL statements can not be longer than %d characters", max))
	return true
}

// flight is an API request being served, for the concurrent long-running request limit.
type flight struct{ start time.Time }

// beginFlight records an API request as in flight (real time); endFlight removes it.
func (s *Server) beginFlight() *flight {
	s.mu.Lock()
	fl := &flight{start: s.wall()}
	s.flights[fl] = struct{}{}
	s.mu.Unlock()
	return fl
}

func (s *Server) endFlight(fl *flight) {
	s.mu.Lock()
	delete(s.flights, fl)
	s.mu.Unlock()
}

// concurrencyLimitLocked returns the message of a 403 REQUEST_LIMIT_EXCEEDED for a request
// refused by the concurrent request limits, or "": the real limit on long-running requests
// first, then Faults.ConcurrentLimitRate. s.mu must be held.
func (s *Server) concurrencyLimitLocked(self *flight) string {
	if max, long := s.limits.ConcurrentLongRequests, s.limits.LongRequest; max > 0 && long > 0 {
		now := s.wall()
		n := 0
		for fl := range s.flights {
			if fl != self && now.Sub(fl.start) >= long {
				n++
			}
		}
		if n >= max {
			return msgConcurrentLongTxn
		}
	}
	if rate := s.faults.ConcurrentLimitRate; rate > 0 && s.rng.Float64() < rate {
		s.concurrentHits++
		if s.concurrentHits%2 == 1 {
			return msgConcurrentRequests
		}
		return msgConcurrentLongTxn
	}
	return ""
}

// serveLimits answers GET /limits. DailyApiRequests tracks the calls made; the other entries are
// those of a Developer Edition org. The body is written by hand to keep Salesforce's mixed key
// order (one entry lists Remaining before Max) and its nesting.
func (s *Server) serveLimits(c *reqCtx) {
	bulkUsed, bulkMax := s.bulkJobsUsed()
	s.mu.Lock()
	max := s.dailyMaxLocked()
	remaining := max - s.apiUsed
	s.mu.Unlock()
	if remaining < 0 {
		remaining = 0
	}
	var b bytes.Buffer
	b.WriteString("{")
	entry := func(name string, max, remaining int, sep bool) {
		fmt.Fprintf(&b, "%q:{\"Max\":%d,\"Remaining\":%d}", name, max, remaining)
		if sep {
			b.WriteString(",")
		}
	}
	entry("ConcurrentAsyncGetReportInstances", 200, 200, true)
	entry("ConcurrentSyncReportRuns", 20, 20, true)
	entry("DailyApiRequests", max, remaining, true)
	entry("DailyAsyncApexExecutions", 250000, 250000, true)
	entry("DailyBulkApiRequests", 10000, 10000, true)
	entry("DailyBulkV2QueryFileStorageMB", 976562, 976562, true)
	bulkRemaining := bulkMax - bulkUsed
	if bulkRemaining < 0 {
		bulkRemaining = 0
	}
	entry("DailyBulkV2QueryJobs", bulkMax, bulkRemaining, true)
	entry("DailyDurableStreamingApiEvents", 10000, 10000, true)
	entry("DailyStreamingApiEvents", 10000, 10000, true)
	entry("DataStorageMB", 5, 5, true)
	entry("FileStorageMB", 20, 20, true)
	entry("HourlyDashboardRefreshes", 200, 200, true)
	b.WriteString(`"HourlyODataCallout":{"Remaining":9999,"Max":10000},`)
	entry("MassEmail", 10, 10, true)
	b.WriteString(`"PermissionSets":{"Max":1500,"Remaining":1497,"CreateCustom":{"Max":1000,"Remaining":997}},`)
	entry("SingleEmail", 15, 15, true)
	entry("StreamingApiConcurrentClients", 20, 20, false)
	b.WriteString("}")
	writeRaw(c.w, http.StatusOK, b.Bytes())
}

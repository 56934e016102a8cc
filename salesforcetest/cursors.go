package salesforcetest

import (
	"time"
)

// maxKeptCursors bounds the query locators kept (open ones and finished ones kept for replay),
// so that a client that never finishes its queries, or a long run with CursorIdle off, does not
// grow the emulator without end. Past it, the finished locator unused the longest is forgotten.
const maxKeptCursors = 1000

// cursor is one query locator: one execution of a REST query whose first page was not its last.
// Its pages come from a resultSet (shared by the executions of a cached query). A cursor is open
// (it counts toward Limits.QueryCursors) until its last page is served; it stays usable, for
// replays, until it expires or is released. Cursors of another integration of the same user
// (OpenForeignCursors) have no resultSet and are never in Server.cursors.
type cursor struct {
	id       string // locator id, 01g...; "" for a foreign cursor
	rs       *resultSet
	token    string // the session that ran the first page (Limits.LocatorsPerSession)
	seq      int    // creation order
	open     bool
	lastUsed time.Time // emulator clock
}

// now returns the emulator's clock: real time moved on by every Advance. s.mu must be held.
func (s *Server) nowLocked() time.Time { return s.wall().Add(s.advanced) }

// newCursor gives one execution of a query its locator id; the cursor is registered by
// openCursor once its first page turns out not to be the last.
func (s *Server) newCursor(rs *resultSet, token string) *cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locatorSeq++
	return &cursor{id: id18("01gSf" + base62(s.locatorSeq, 10)), rs: rs, token: token}
}

// openCursor registers a cursor as open, releasing the oldest when more than Limits.QueryCursors
// would be open.
func (s *Server) openCursor(c *cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.openLocked(c)
}

func (s *Server) openLocked(c *cursor) {
	now := s.nowLocked()
	s.expireLocked(now)
	s.cursorSeq++
	c.seq, c.open, c.lastUsed = s.cursorSeq, true, now
	s.open = append(s.open, c)
	if c.id != "" {
		s.cursors[c.id] = c
	}
	for max := s.limits.QueryCursors; max > 0 && len(s.open) > max; {
		oldest := s.open[0]
		s.dropLocked(oldest)
		s.released++
	}
	if n := s.apiCursorsLocked(); n > s.peak {
		s.peak = n
	}
	s.capLocked()
}

// finishCursor marks a cursor whose last page was served: it no longer counts as open, but its
// pages can still be fetched again until it expires.
func (s *Server) finishCursor(c *cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.lastUsed = s.nowLocked()
	if c.open {
		c.open = false
		s.removeOpenLocked(c)
	}
}

// lookupCursor finds the cursor of a locator id for a request made with token and marks it used;
// nil means the locator is unknown, released, expired or (Limits.LocatorsPerSession) another
// session's.
func (s *Server) lookupCursor(id, token string) *cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cursors[id]
	if c == nil {
		return nil
	}
	now := s.nowLocked()
	if s.expiredLocked(c, now) {
		s.dropLocked(c)
		return nil
	}
	if s.limits.LocatorsPerSession && c.token != token {
		return nil
	}
	c.lastUsed = now
	return c
}

func (s *Server) expiredLocked(c *cursor, now time.Time) bool {
	idle := s.limits.CursorIdle
	return idle > 0 && now.Sub(c.lastUsed) >= idle
}

// expireLocked forgets every cursor unused for Limits.CursorIdle.
func (s *Server) expireLocked(now time.Time) {
	if s.limits.CursorIdle <= 0 {
		return
	}
	for _, c := range s.cursors {
		if s.expiredLocked(c, now) {
			s.dropLocked(c)
		}
	}
	for i := 0; i < len(s.open); {
		if c := s.open[i]; s.expiredLocked(c, now) {
			s.dropLocked(c)
			continue
		}
		i++
	}
}

// dropLocked forgets a cursor: its locator answers INVALID_QUERY_LOCATOR from now on.
func (s *Server) dropLocked(c *cursor) {
	if c.id != "" {
		delete(s.cursors, c.id)
	}
	if c.open {
		c.open = false
		s.removeOpenLocked(c)
	}
}

func (s *Server) removeOpenLocked(c *cursor) {
	for i, o := range s.open {
		if o == c {
			s.open = append(s.open[:i], s.open[i+1:]...)
			return
		}
	}
}

// capLocked keeps at most maxKeptCursors locators: finished ones unused the longest go first,
// then (only when Limits.QueryCursors is off) the oldest open ones.
func (s *Server) capLocked() {
	for len(s.cursors) > maxKeptCursors {
		var victim *cursor
		for _, c := range s.cursors {
			if !c.open && (victim == nil || c.lastUsed.Before(victim.lastUsed)) {
				victim = c
			}
		}
		if victim == nil {
			for _, c := range s.open {
				if c.id != "" {
					victim = c
					break
				}
			}
		}
		if victim == nil {
			return
		}
		s.dropLocked(victim)
	}
}

// apiCursorsLocked counts the open cursors of API sessions (not of other integrations).
func (s *Server) apiCursorsLocked() int {
	n := 0
	for _, c := range s.open {
		if c.id != "" {
			n++
		}
	}
	return n
}

// noteQueryRequest counts a REST query request (first page or nextRecordsUrl) and, every
// Faults.ForeignCursorEvery of them, lets another integration open a cursor first.
func (s *Server) noteQueryRequest() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queryRequests++
	if n := s.faults.ForeignCursorEvery; n > 0 && s.queryRequests%n == 0 {
		s.openLocked(&cursor{})
	}
}

// OpenForeignCursors opens n query cursors now, held by another integration of the same user:
// they count toward Limits.QueryCursors and, being the newest, release the oldest open ones. They
// are themselves released by newer cursors and expire after Limits.CursorIdle, like any other.
func (s *Server) OpenForeignCursors(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.openLocked(&cursor{})
	}
}

// OpenCursors returns the number of query cursors open now, other integrations' included.
func (s *Server) OpenCursors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(s.nowLocked())
	return len(s.open)
}

// PeakCursors returns the most query cursors of API sessions (other integrations' not counted)
// that were open at once since the server started or since ResetCalls.
func (s *Server) PeakCursors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// ReleasedCursors returns how many query cursors were released since the server started because
// a newer one opened while Limits.QueryCursors were open.
func (s *Server) ReleasedCursors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released
}

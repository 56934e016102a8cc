package salesforcetest

import (
	"net/http"
	"time"
)

// SetHold makes every REST request call hold after it passed authentication and the limits and
// before its handler runs, while it counts as in flight: tests hold requests there to have them
// long-running at a known moment.
func (s *Server) SetHold(hold func(*http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = hold
}

// SetWall replaces the real-time clock (in-flight request ages, Limits.LongRequest) with now.
func (s *Server) SetWall(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wall = now
}

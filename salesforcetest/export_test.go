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

// JobCounted returns a channel closed once the emulator has counted the rows of a Bulk job (nil
// for an unknown job), so that a test can tell a job that waits for its time from one still
// being counted.
func (s *Server) JobCounted(id string) <-chan struct{} {
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	if job := s.bulk.jobs[id]; job != nil {
		return job.counted
	}
	return nil
}

// SleepContext is the emulator's own sleeping, which Latency.Sleep replaces.
var SleepContext = sleepCtx

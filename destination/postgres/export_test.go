package postgres

import "github.com/sfdlt/sfdlt/destination"

// backendPID returns the Postgres backend process of a session, for tests that kill it.
func backendPID(s destination.Session) int { return s.(*session).pid }

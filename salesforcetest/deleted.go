package salesforcetest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Salesforce's datetime rendering: always milliseconds and a +0000 offset.
const sfDateTime = "2006-01-02T15:04:05.000-0700"

// parseReplicationDate reads the start/end parameters of /deleted and /updated. A '+' in the
// offset that the client did not percent-encode arrives decoded as a space: put it back.
func parseReplicationDate(s string) (time.Time, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "+")
	for _, layout := range []string{time.RFC3339Nano, sfDateTime, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as an ISO 8601 date-time such as 2024-01-31T10:00:00+00:00", s)
}

// serveDeleted answers GET /sobjects/{name}/deleted/?start=&end=.
func (s *Server) serveDeleted(c *reqCtx) {
	o, ok := s.org.Object(c.params["name"])
	if !ok {
		restError(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	q := c.r.URL.Query()
	var bounds [2]time.Time
	for i, name := range []string{"start", "end"} {
		v := q.Get(name)
		if v == "" {
			restError(c.w, http.StatusBadRequest, "MISSING_ARGUMENT", fmt.Sprintf("Missing the required '%s' query parameter", name))
			return
		}
		t, err := parseReplicationDate(v)
		if err != nil {
			restError(c.w, http.StatusBadRequest, "INVALID_REPLICATION_DATE", fmt.Sprintf("The '%s' parameter is invalid: %v", name, err))
			return
		}
		bounds[i] = t
	}
	if !bounds[1].After(bounds[0]) {
		restError(c.w, http.StatusBadRequest, "INVALID_REPLICATION_DATE", "endDate must chronologically follow the startDate")
		return
	}
	recs, earliest, latest, err := s.org.Deleted(o.Name, bounds[0], bounds[1])
	if err != nil {
		restError(c.w, http.StatusBadRequest, "INVALID_REPLICATION_DATE", err.Error())
		return
	}
	if bounds[0].Before(earliest) {
		// The recycle bin only reaches back so far: a window starting earlier cannot be complete.
		restError(c.w, http.StatusBadRequest, "INVALID_REPLICATION_DATE",
			fmt.Sprintf("startDate %s is before the earliest date available %s: start the window later",
				bounds[0].Format(sfDateTime), earliest.UTC().Format(sfDateTime)))
		return
	}
	type deleted struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
	}
	out := make([]deleted, 0, len(recs))
	for _, d := range recs {
		out = append(out, deleted{d.ID, d.DeletedDate.UTC().Format(sfDateTime)})
	}
	writeJSON(c.w, http.StatusOK, struct {
		DeletedRecords        []deleted `json:"deletedRecords"`
		EarliestDateAvailable string    `json:"earliestDateAvailable"`
		LatestDateCovered     string    `json:"latestDateCovered"`
	}{out, earliest.UTC().Format(sfDateTime), latest.UTC().Format(sfDateTime)})
}

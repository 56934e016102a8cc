package client

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// DeleteBulkJobs deletes every job it can, after the caller's ctx was cancelled too, on a
// deadline of its own; a job it cannot delete is reported, and the jobs after it still go.
func TestDeleteBulkJobs(t *testing.T) {
	const (
		ok1, failing, gone, ok2 = "750000000000001AAA", "750000000000002AAA", "750000000000003AAA", "750000000000004AAA"
		malformed               = "750'; DROP"
	)
	var (
		mu      sync.Mutex
		deleted []string // jobs the org deleted
		bad     []string // problems with a request's context
	)
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/data/" {
			// A 404 makes the client check once that the instance offers its API version.
			writeJSON(w, http.StatusOK, `[{"label":"Summer '25","url":"/services/data/v64.0","version":"64.0"}]`)
			return
		}
		id, ok := strings.CutPrefix(r.URL.Path, bulkJobsPath+"/")
		if r.Method != http.MethodDelete || !ok {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			return
		}
		switch id {
		case failing:
			status(http.StatusInternalServerError, "application/json", `[{"message":"An unexpected error occurred","errorCode":"UNKNOWN_EXCEPTION"}]`)(w)
		case gone:
			writeJSON(w, http.StatusNotFound, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)
		default:
			mu.Lock()
			deleted = append(deleted, id)
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	})
	// The transport sees each request's context as the client sends it.
	check := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		deadline, has := r.Context().Deadline()
		switch {
		case r.Context().Err() != nil:
			bad = append(bad, "sent on a done context")
		case !has || time.Until(deadline) > BulkDeleteTimeout:
			bad = append(bad, "no deadline of BulkDeleteTimeout at most")
		}
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})
	c := sessionClient(t, srv, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: check} })

	if errs := c.DeleteBulkJobs(context.Background()); errs != nil || srv.calls.Load() != 0 {
		t.Fatalf("no ids: %v after %d requests, want nil and none", errs, srv.calls.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the load was cancelled after its last commit
	errs := c.DeleteBulkJobs(ctx, ok1, failing, gone, malformed, ok2)

	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(deleted, []string{ok1, ok2}) {
		t.Errorf("deleted %q, want %q: the job after a failure must still go", deleted, []string{ok1, ok2})
	}
	if len(errs) != 2 {
		t.Fatalf("errors %v, want two (the failing job and the malformed id)", errs)
	}
	if !strings.Contains(errs[0].Error(), failing) || !errors.Is(errs[0], ErrServerUnavailable) {
		t.Errorf("first error %v, want one naming %s and matching ErrServerUnavailable", errs[0], failing)
	}
	if !strings.Contains(errs[1].Error(), malformed) {
		t.Errorf("second error %v, want one naming %q", errs[1], malformed)
	}
	if len(bad) > 0 {
		t.Errorf("request contexts: %q", bad)
	}
}

package client

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// APICalls counts every request sent under /services/data/vXX.X/ (retries and replays after a
// re-login included) and nothing else: not logins, not the version list.
func TestAPICalls(t *testing.T) {
	var (
		token  atomic.Value // string: the access token REST calls accept
		logins atomic.Int32
		fail   atomic.Int32 // transient failures still to answer
	)
	token.Store("")
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/services/oauth2/token":
			tok := fmt.Sprintf("access-%d", logins.Add(1))
			token.Store(tok)
			writeJSON(w, http.StatusOK, tokenJSON(s.URL, tok))
		case r.URL.Path == "/services/data/":
			writeJSON(w, http.StatusOK, `[{"label":"Summer '25","url":"/services/data/v64.0","version":"64.0"}]`)
		case !authOK(r, token.Load().(string)):
			invalidSession(w, t)
		case fail.Add(-1) >= 0:
			status(http.StatusServiceUnavailable, "", "")(w)
		default:
			writeJSON(w, http.StatusOK, fixture(t, "camel/limits.json"))
		}
	})
	ctx := context.Background()
	c, err := New(ctx, fastRetry(Config{LoginURL: srv.URL,
		Credentials: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, UserName: testUser, Password: secretPassword}}))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.APICalls(); n != 0 {
		t.Fatalf("%d API calls after the login, want 0", n)
	}
	limits := func() error {
		_, err := c.Limits(ctx)
		return err
	}
	steps := []struct {
		name string
		do   func() error
		add  int // API calls the step adds
	}{
		{"one call", limits, 1},
		{"two transient failures, then success: each attempt counts", func() error {
			fail.Store(2)
			return limits()
		}, 3},
		{"an expired session: the refused call and its replay count, the login does not", func() error {
			token.Store("expired")
			return limits()
		}, 2},
		{"the version list is not an API call", func() error {
			_, err := c.Versions(ctx)
			return err
		}, 0},
		{"Do under the data path", func() error {
			resp, err := c.Do(ctx, http.MethodGet, "limits", nil, nil)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}, 1},
		{"concurrent calls", func() error {
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() { errs <- limits() })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					return err
				}
			}
			return nil
		}, 8},
	}
	want := 0
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want += st.add
		if got := c.APICalls(); got != want {
			t.Errorf("%s: APICalls %d, want %d", st.name, got, want)
		}
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("%d logins, want 2 (one re-login)", n)
	}
	// Every request the org saw is an API call, a login or the one version list.
	if got, want := srv.calls.Load(), int64(c.APICalls())+int64(logins.Load())+1; got != want {
		t.Errorf("the org saw %d requests, want %d (API calls + logins + version list)", got, want)
	}
}

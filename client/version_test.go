package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// versionsJSON lists the versions from through to, as GET /services/data/ does (oldest first).
func versionsJSON(from, to int) string {
	var entries []string
	for v := from; v <= to; v++ {
		entries = append(entries, fmt.Sprintf(`{"label":"Release %d","url":"/services/data/v%d.0","version":"%d.0"}`, v, v, v))
	}
	return "[" + strings.Join(entries, ",") + "]"
}

// TestAPIVersionUnavailable: a client whose API version the instance does not offer reads the
// 404s of its REST calls as such (ErrAPIVersionUnavailable naming the newest version offered,
// never ErrNotFound), looking up the versions list once; a version the instance offers leaves a
// 404 as ErrNotFound.
func TestAPIVersionUnavailable(t *testing.T) {
	tests := []struct {
		name      string
		version   string
		versions  string // the versions list; "" answers 404 to it
		is, isNot error
		says      []string
	}{
		{"newer than the instance", "99.0", versionsJSON(31, 64), ErrAPIVersionUnavailable, ErrNotFound,
			[]string{"99.0", "64.0", "api_version", "31.0 to 64.0", "/services/data/v99.0/sobjects/Opportunity/describe"}},
		{"a sandbox a release behind", "65.0", versionsJSON(31, 64), ErrAPIVersionUnavailable, ErrNotFound,
			[]string{"65.0", "set api_version (Config.APIVersion) to 64.0 or lower"}},
		{"offered: the object is missing", "64.0", versionsJSON(31, 64), ErrNotFound, ErrAPIVersionUnavailable,
			[]string{"NOT_FOUND"}},
		{"versions list unreadable", "99.0", "", ErrNotFound, ErrAPIVersionUnavailable,
			[]string{"NOT_FOUND"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var listed atomic.Int64
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/services/data/" && tt.versions != "" {
					if r.Header.Get("Authorization") != "" {
						t.Error("the versions list was asked with the session")
					}
					listed.Add(1)
					writeJSON(w, 200, tt.versions)
					return
				}
				writeJSON(w, http.StatusNotFound, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)
			})
			var logs logBuffer
			c := sessionClient(t, srv, func(cfg *Config) { cfg.APIVersion, cfg.Logger = tt.version, logs.logger() })
			for i, call := range []func() error{
				func() error { _, err := c.Describe(context.Background(), "Opportunity"); return err },
				func() error { _, err := c.Limits(context.Background()); return err },
			} {
				err := call()
				if !errors.Is(err, tt.is) || errors.Is(err, tt.isNot) {
					t.Fatalf("call %d: got %v; want %v and not %v", i+1, err, tt.is, tt.isNot)
				}
				if i == 0 {
					t.Log(err)
					for _, s := range append(tt.says, srv.URL) {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("the error does not say %q: %v", s, err)
						}
					}
				}
				assertNoSecrets(t, "error", err.Error())
			}
			if tt.versions != "" && listed.Load() != 1 {
				t.Errorf("the versions list was read %d times, want once", listed.Load())
			}
			assertNoSecrets(t, "logs", logs.String())
		})
	}
}

// TestNoVersionCheckWithoutA404: calls that succeed, and 404s outside the versioned path,
// never look at the versions list.
func TestNoVersionCheckWithoutA404(t *testing.T) {
	var listed atomic.Int64
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/services/data/":
			listed.Add(1)
			writeJSON(w, 200, versionsJSON(31, 64))
		case r.URL.Path == "/services/data/v99.0/limits":
			writeJSON(w, 200, fixture(t, "camel/limits.json"))
		default:
			writeJSON(w, http.StatusNotFound, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)
		}
	})
	c := sessionClient(t, srv, func(cfg *Config) { cfg.APIVersion = "99.0" })
	if _, err := c.Limits(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), http.MethodGet, "/services/apexrest/nothing", nil, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("a 404 outside the data path: %v, want ErrNotFound", err)
	}
	if n := listed.Load(); n != 0 {
		t.Errorf("the versions list was read %d times, want never", n)
	}
}

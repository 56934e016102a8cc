package client

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// An org whose metadata changes when changed is set: the global describe and Account's describe
// answer 304 to If-Modified-Since until then.
func metadataServer(t *testing.T, changed *atomic.Bool, describes *atomic.Int64) *server {
	const before, after = "Tue, 01 Dec 2026 10:00:00 GMT", "Wed, 02 Dec 2026 10:00:00 GMT"
	return newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		lm := before
		if changed.Load() {
			lm = after
		}
		if ims := r.Header.Get("If-Modified-Since"); ims != "" && ims == lm {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lm)
		switch {
		case strings.HasSuffix(r.URL.Path, "/sobjects/"):
			writeJSON(w, 200, `{"encoding":"UTF-8","maxBatchSize":200,"sobjects":[{"name":"Account","queryable":true}]}`)
		case strings.HasSuffix(r.URL.Path, "/sobjects/Account/describe"):
			describes.Add(1)
			fields := `{"name":"Id","type":"id"}`
			if changed.Load() {
				fields += `,{"name":"Note__c","type":"string"}`
			}
			writeJSON(w, 200, `{"name":"Account","queryable":true,"fields":[`+fields+`]}`)
		default:
			http.NotFound(w, r)
		}
	})
}

func TestDescribeCacheAcrossClients(t *testing.T) {
	ctx := context.Background()
	var changed atomic.Bool
	var describes atomic.Int64
	srv := metadataServer(t, &changed, &describes)

	// First client: everything fetched, then saved.
	c1 := sessionClient(t, srv)
	if _, err := c1.DescribeGlobal(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Describe(ctx, "Account"); err != nil {
		t.Fatal(err)
	}
	saved, err := c1.SaveDescribeCache()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(saved), secretSession) {
		t.Fatal("the describe cache holds the session")
	}

	// Second client, nothing changed: the global describe's 304 vouches for Account's describe.
	c2 := sessionClient(t, srv)
	if err := c2.LoadDescribeCache(saved); err != nil {
		t.Fatal(err)
	}
	calls := srv.calls.Load()
	if _, err := c2.DescribeGlobal(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := c2.Describe(ctx, "Account")
	if err != nil || len(d.Fields) != 1 {
		t.Fatalf("Describe = %v, %v", d, err)
	}
	if n := srv.calls.Load() - calls; n != 1 {
		t.Errorf("with nothing changed: %d requests, want 1 (the global describe)", n)
	}
	saved, err = c2.SaveDescribeCache()
	if err != nil {
		t.Fatal(err)
	}

	// Third client after a change: the global describe answers 200, Account is described anew.
	changed.Store(true)
	c3 := sessionClient(t, srv)
	if err := c3.LoadDescribeCache(saved); err != nil {
		t.Fatal(err)
	}
	if _, err := c3.DescribeGlobal(ctx); err != nil {
		t.Fatal(err)
	}
	if d, err := c3.Describe(ctx, "Account"); err != nil || len(d.Fields) != 2 {
		t.Fatalf("after a change, Describe = %+v, %v; want the new field", d, err)
	}

	// Without a global describe first, a loaded describe is revalidated, never trusted.
	c4 := sessionClient(t, srv)
	if err := c4.LoadDescribeCache(saved); err != nil {
		t.Fatal(err)
	}
	calls = srv.calls.Load()
	if _, err := c4.Describe(ctx, "Account"); err != nil {
		t.Fatal(err)
	}
	if n := srv.calls.Load() - calls; n != 1 {
		t.Errorf("a describe without the global describe's word: %d requests, want 1 (revalidated)", n)
	}
}

func TestDescribeCacheOfAnotherOrgIgnored(t *testing.T) {
	var changed atomic.Bool
	var describes atomic.Int64
	srv := metadataServer(t, &changed, &describes)
	other := metadataServer(t, &changed, &describes)
	c1 := sessionClient(t, other)
	ctx := context.Background()
	if _, err := c1.DescribeGlobal(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Describe(ctx, "Account"); err != nil {
		t.Fatal(err)
	}
	saved, _ := c1.SaveDescribeCache()
	c2 := sessionClient(t, srv)
	if err := c2.LoadDescribeCache(saved); err != nil {
		t.Fatal(err)
	}
	before := describes.Load()
	if _, err := c2.DescribeGlobal(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Describe(ctx, "Account"); err != nil {
		t.Fatal(err)
	}
	if describes.Load() != before+1 {
		t.Error("another org's cached describe was used")
	}
	if err := c2.LoadDescribeCache([]byte(`{"version":99}`)); err == nil {
		t.Error("a cache of an unknown layout was accepted")
	}
}

// HTTP dates count seconds: an answer whose Last-Modified is within two seconds of its Date
// cannot be revalidated safely (a change later in that second would answer 304), so it is not.
func TestSettledLastModified(t *testing.T) {
	for _, c := range []struct {
		lm, date, want string
	}{
		{"Tue, 01 Dec 2026 10:00:00 GMT", "Tue, 01 Dec 2026 10:00:05 GMT", "Tue, 01 Dec 2026 10:00:00 GMT"},
		{"Tue, 01 Dec 2026 10:00:00 GMT", "Tue, 01 Dec 2026 10:00:01 GMT", ""},
		{"Tue, 01 Dec 2026 10:00:00 GMT", "Tue, 01 Dec 2026 10:00:00 GMT", ""},
		{"Tue, 01 Dec 2026 10:00:00 GMT", "", ""},
		{"", "Tue, 01 Dec 2026 10:00:05 GMT", ""},
		{"yesterday", "Tue, 01 Dec 2026 10:00:05 GMT", ""},
	} {
		resp := &http.Response{Header: http.Header{}}
		if c.lm != "" {
			resp.Header.Set("Last-Modified", c.lm)
		}
		if c.date != "" {
			resp.Header.Set("Date", c.date)
		}
		if got := settled(resp); got != c.want {
			t.Errorf("settled(Last-Modified %q, Date %q) = %q, want %q", c.lm, c.date, got, c.want)
		}
	}
}

package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// get fetches path from srv and checks the status; it returns the body.
func get(t *testing.T, srv *httptest.Server, path string, status int) string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Errorf("GET %s: status %d, want %d\n%s", path, resp.StatusCode, status, b)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
	}
	return string(b)
}

// pipeline returns a pipeline on a DuckDB file in a new directory.
func pipeline(t *testing.T) (*sfdlt.Pipeline, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "web.duckdb")
	p, err := sfdlt.NewPipeline("web", duckdb.New(file), sfdlt.Dataset("web_data"), sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		t.Fatal(err)
	}
	return p, file
}

// TestPagesOfANewPipeline serves a pipeline that never ran: each page says so, and serving it
// creates no database file.
func TestPagesOfANewPipeline(t *testing.T) {
	p, file := pipeline(t)
	srv := httptest.NewServer(New(p, nil))
	t.Cleanup(srv.Close)
	if home := get(t, srv, "/", http.StatusOK); !strings.Contains(home, "No tables yet") || !strings.Contains(home, "No load yet") {
		t.Errorf("the overview of a new pipeline does not say there is nothing yet:\n%s", home)
	}
	get(t, srv, "/table/account", http.StatusNotFound)
	if q := get(t, srv, "/query?sql="+url.QueryEscape("SELECT 1"), http.StatusBadRequest); !strings.Contains(q, "run the pipeline first") {
		t.Errorf("a query on a new pipeline does not say to run it first:\n%s", q)
	}
	get(t, srv, "/query", http.StatusOK)
	get(t, srv, "/assets/style.css", http.StatusOK)
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("serving the page created %s (%v)", file, err)
	}
}

// TestPagesOfALoadedPipeline loads accounts and opportunities from the emulator into DuckDB
// and Postgres and checks the table pages, system tables included, and the SQL page through
// httptest.
func TestPagesOfALoadedPipeline(t *testing.T) {
	for _, dest := range []string{"duckdb", "postgres"} {
		t.Run(dest, func(t *testing.T) { testPagesOfALoadedPipeline(t, dest) })
	}
}

func testPagesOfALoadedPipeline(t *testing.T, dest string) {
	org := salesforcetest.NewServer(salesforcetest.Options{Seed: 3, Counts: map[string]int{"Account": 40, "Opportunity": 75}})
	t.Cleanup(org.Close)
	c := org.Credentials()
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}, sfdlt.LoginURL(org.URL()))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := pipeline(t)
	if dest == "postgres" {
		dsn := destinationtest.PostgresDSN(t)
		dataset := destinationtest.DatasetName(t)
		d := postgres.New(dsn)
		t.Cleanup(func() { d.DropDataset(context.Background(), dataset) })
		if p, err = sfdlt.NewPipeline("web", d, sfdlt.Dataset(dataset), sfdlt.PipelinesDir(filepath.Join(t.TempDir(), "pipelines"))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Run(context.Background(), src.WithResources("account", "opportunity")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(p, nil))
	t.Cleanup(srv.Close)

	for _, c := range []struct {
		path, want, not string
	}{
		{"/table/account", "1–40 of 40", `id="next"`},
		{"/table/opportunity", "1–50 of 75", ""},
		{"/table/opportunity?page=1", "51–75 of 75", `id="next"`},
		{"/table/opportunity?page=9", "none on this page", `id="next"`},
		{"/table/_dlt_loads", "1–1 of 1", ""},
		{"/table/_dlt_pipeline_state", "1–1 of 1", ""},
	} {
		body := get(t, srv, c.path, http.StatusOK)
		if !strings.Contains(body, c.want) {
			t.Errorf("%s lacks %q", c.path, c.want)
		}
		if c.not != "" && strings.Contains(body, c.not) {
			t.Errorf("%s holds %q", c.path, c.not)
		}
	}
	get(t, srv, "/table/opportunity?page=x", http.StatusBadRequest)
	q := get(t, srv, "/query?sql="+url.QueryEscape(`SELECT name FROM "`+p.DatasetName()+`"."account" ORDER BY name LIMIT 3`), http.StatusOK)
	if !strings.Contains(q, "3 row(s)") {
		t.Errorf("the SQL page does not show the 3 rows:\n%s", q)
	}

	// A query in a link from another site is shown, not run; from the page itself it runs.
	sql := `SELECT name FROM "` + p.DatasetName() + `"."account" ORDER BY name LIMIT 3`
	for site, run := range map[string]bool{"cross-site": false, "same-site": false, "same-origin": true, "none": true} {
		req, err := http.NewRequest("GET", srv.URL+"/query?sql="+url.QueryEscape(sql), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Site", site)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		ran, held := strings.Contains(body, "3 row(s)"), strings.Contains(body, "was not run")
		if ran != run || held == run || !strings.Contains(body, "ORDER BY name LIMIT 3</textarea>") {
			t.Errorf("Sec-Fetch-Site %s: ran %v, held %v, want ran %v and the query in the box:\n%s", site, ran, held, run, body)
		}
	}
}

// TestHostCheck refuses requests for any host name but localhost; IP addresses pass.
func TestHostCheck(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8123}
	for host, want := range map[string]int{
		"127.0.0.1:8123":    http.StatusOK,
		"localhost:8123":    http.StatusOK,
		"[::1]:8123":        http.StatusOK,
		"attacker.example":  http.StatusMisdirectedRequest,
		"127.0.0.1.nip.io":  http.StatusMisdirectedRequest,
		"192.168.1.10:8123": http.StatusOK,
		"localhost.example": http.StatusMisdirectedRequest,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		w := httptest.NewRecorder()
		hostCheck(addr, ok).ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("host %s: status %d, want %d", host, w.Code, want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234", -123: "-123"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sfdlt/sfdlt/destination"
)

// docsDir is the repository's docs directory, found before a test changes directory.
var docsDir, _ = filepath.Abs(filepath.Join("..", "..", "docs"))

// browser starts a headless Chromium for the test and returns its context. Without Chromium
// the test skips, except under CI=true where it fails: CI must run the browser tests (.ci/run
// installs Debian's chromium).
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and no Chromium on PATH: CI must run the browser tests; install it (apt-get install chromium)")
		}
		t.Skip("no Chromium on PATH (chromium, chromium-browser, google-chrome); install it (apt-get install chromium) to run the browser tests")
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1360, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	// The first call starts the browser, which lives as long as ctx: it gets no deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// browserWait bounds each browser step: generous, for a slow machine; no step waits for time
// to pass, only for the page to reach a state.
const browserWait = 2 * time.Minute

// do runs browser steps, failing the test on the first error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs a browser action that returns a value, failing the test on an error.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// columnJS returns the texts of the cells of one column (by its header) of a table.
const columnJS = `(() => {
	const heads = [...document.querySelectorAll('%s thead th')].map(th => th.textContent);
	const i = heads.indexOf('%s');
	return [...document.querySelectorAll('%[1]s tbody tr')].map(tr => tr.children[i].textContent);
})()`

// runSQL types query into the SQL box, runs it and waits for its result or its error; it
// returns the error shown ("" when the query ran).
func runSQL(t *testing.T, ctx context.Context, e *webEnv, query string) string {
	t.Helper()
	do(t, ctx, "running "+query,
		chromedp.Navigate(e.url+"query"),
		chromedp.WaitVisible(chromedp.ID("sql")),
		chromedp.SetValue(chromedp.ID("sql"), query),
		chromedp.Click(chromedp.ID("run")),
		chromedp.WaitVisible(chromedp.ID("result")))
	if !read(t, ctx, "looking for an error", chromedp.Evaluate[bool](`!!document.querySelector('#error')`)) {
		return ""
	}
	return read(t, ctx, "reading the error", chromedp.Text(chromedp.ID("error")))
}

// TestShowWebInBrowser drives the page of show --web in headless Chromium, on DuckDB and
// Postgres: the tables and row counts shown are the dataset's, the row browser pages through
// every row once in order, the SQL box runs a SELECT, and the charts and cursors show. With
// SFDLT_UPDATE_DOCS=1 it saves the overview as docs/show-web.png.
func TestShowWebInBrowser(t *testing.T) {
	for _, dest := range []string{"duckdb", "postgres"} {
		t.Run(dest, func(t *testing.T) {
			e := showWeb(t, dest)
			ctx := browser(t) // closed before the page's server stops
			e.run(t)          // a second load, for the charts
			want := e.tables(t)

			do(t, ctx, "opening the overview", chromedp.Navigate(e.url), chromedp.WaitVisible(chromedp.ID("tables")))
			pipeline := read(t, ctx, "reading the pipeline", chromedp.Text(chromedp.ID("pipeline-name")))
			cursors := read(t, ctx, "reading the cursors", chromedp.Text(chromedp.ID("cursors")))
			charts := read(t, ctx, "counting the charts", chromedp.Evaluate[int](`document.querySelectorAll('figure.chart > svg').length`))
			bars := read(t, ctx, "counting the bars", chromedp.Evaluate[int](`document.querySelectorAll('figure.chart > svg rect').length`))
			if pipeline != "salesforce" {
				t.Errorf("the page names pipeline %q, want salesforce", pipeline)
			}
			for _, name := range []string{"opportunity", "contact"} {
				rows := read(t, ctx, "reading the rows of "+name, chromedp.Text(chromedp.CSS(`#tables tr[data-table="`+name+`"] td.rows`)))
				if rows != fmt.Sprint(want[name]) {
					t.Errorf("the page shows %q rows in %s, the dataset holds %d", rows, name, want[name])
				}
			}
			if charts != 3 || bars < 2 {
				t.Errorf("the overview shows %d charts with %d bars, want the loads', the last run's and the run times", charts, bars)
			}
			// Two runs (showWeb's and e.run's), each a bar of the run-time chart, both loaded.
			if runs := read(t, ctx, "counting the runs", chromedp.Evaluate[int](`document.querySelectorAll('#runs figure.chart > svg rect').length`)); runs != 2 {
				t.Errorf("the run-time chart has %d bars, want 2 (two runs)", runs)
			}
			// Opportunities are merged incrementally; contacts are replaced, without a cursor.
			for _, s := range []string{"opportunity", "SystemModstamp"} {
				if !strings.Contains(cursors, s) {
					t.Errorf("the cursors lack %q: %s", s, cursors)
				}
			}
			if dest == "duckdb" {
				png := read(t, ctx, "taking a screenshot", chromedp.FullScreenshot(100))
				if len(png) < 10_000 {
					t.Errorf("the screenshot has %d bytes: is the page blank?", len(png))
				}
				if os.Getenv("SFDLT_UPDATE_DOCS") == "1" {
					if err := os.WriteFile(filepath.Join(docsDir, "show-web.png"), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}

			// The row browser: every opportunity once, in order of the primary key.
			do(t, ctx, "opening the table", chromedp.Click(chromedp.CSS(`a[href="/table/opportunity"]`)), chromedp.WaitVisible(chromedp.ID("rows")))
			var ids []string
			for page := 1; ; page++ {
				what := fmt.Sprintf("reading page %d", page)
				do(t, ctx, what, chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector('#row-range') && document.querySelector('#row-range').textContent.startsWith('%d–')`, len(ids)+1),
					chromedp.WithPollingTimeout(browserWait)))
				got := read(t, ctx, what, chromedp.Evaluate[[]string](fmt.Sprintf(columnJS, "#rows", "id")))
				next := read(t, ctx, what, chromedp.Evaluate[bool](`!!document.querySelector('#next')`))
				ids = append(ids, got...)
				if !next {
					break
				}
				// The link's own address, navigated to: Navigate returns once the page has loaded.
				href := read(t, ctx, "reading the next link", chromedp.Evaluate[string](`document.querySelector('#next').href`))
				do(t, ctx, "paging", chromedp.Navigate(href))
			}
			if len(ids) != webOpportunities || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
				t.Errorf("the row browser showed %d ids (sorted: %v), want the %d opportunities once each in order", len(ids), slices.IsSorted(ids), webOpportunities)
			}

			if msg := runSQL(t, ctx, e, fmt.Sprintf(`SELECT count(*) AS n FROM "%s"."contact"`, e.dataset)); msg != "" {
				t.Fatalf("the SELECT failed: %s", msg)
			}
			n := read(t, ctx, "reading the result", chromedp.Evaluate[[]string](fmt.Sprintf(columnJS, "#result-table", "n")))
			if !slices.Equal(n, []string{fmt.Sprint(want["contact"])}) {
				t.Errorf("SELECT count(*) of contact shows %v, want %d", n, want["contact"])
			}
		})
	}
}

// TestShowWebIsReadOnly types statements that would change the data into the SQL box, on
// DuckDB and Postgres: each fails with an error on the page, and the tables and their rows are
// unchanged afterwards.
func TestShowWebIsReadOnly(t *testing.T) {
	for _, dest := range []string{"duckdb", "postgres"} {
		t.Run(dest, func(t *testing.T) {
			e := showWeb(t, dest)
			ctx := browser(t) // closed before the page's server stops
			before := e.contents(t)
			for _, q := range []string{
				`DROP TABLE "%s"."contact"`,
				`INSERT INTO "%s"."contact" SELECT * FROM "%[1]s"."contact"`,
				`UPDATE "%s"."contact" SET last_name = 'changed'`,
				`DELETE FROM "%s"."opportunity"`,
				`CREATE TABLE "%s"."intruder" AS SELECT 1 AS x`,
			} {
				q = fmt.Sprintf(q, e.dataset)
				msg := runSQL(t, ctx, e, q)
				if !strings.Contains(strings.ToLower(msg), "read-only") && !strings.Contains(strings.ToLower(msg), "read only") {
					t.Errorf("%s: the page shows %q, want an error saying the data is read-only", q, msg)
				}
			}
			if after := e.contents(t); after != before {
				t.Errorf("the dataset changed through the SQL box")
			}
		})
	}
}

// contents reads every row of every table of the dataset, in a stable order, as text.
func (e *webEnv) contents(t *testing.T) string {
	t.Helper()
	r, stats := e.reader(t)
	defer r.Close()
	var b strings.Builder
	for _, s := range stats {
		res, err := r.(destination.Querier).Query(context.Background(), -1, fmt.Sprintf(`SELECT * FROM "%s"."%s" ORDER BY 1, 2, 3`, e.dataset, s.Name))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %v\n%v\n", s.Name, res.Columns, res.Rows)
	}
	return b.String()
}

// TestShowWebShowsNoSecret configures distinctive secrets (Salesforce password, security
// token, client id and secret, private key, refresh token; a Postgres password) and checks that
// no page of show --web holds one: every table's page, the SQL results of the system tables,
// the assets, error pages, a failed run's trace, and the page as Chromium renders it.
func TestShowWebShowsNoSecret(t *testing.T) {
	for _, dest := range []string{"duckdb", "postgres"} {
		t.Run(dest, func(t *testing.T) {
			e := showWeb(t, dest)
			ctx := browser(t) // closed before the page's server stops
			e.secrets = append(e.secrets, cliWrong)
			t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", cliWrong)
			if _, _, err := cliIn(t, e.dir, "", "run", "--destination", dest, "--dataset-name", e.dataset, "--resources", "opportunity"); err == nil {
				t.Fatal("a run with a wrong password succeeded")
			}
			if home := e.get(t, "/", 200); !strings.Contains(home, "Failed") {
				t.Errorf("the overview does not show the failed run")
			}
			for name := range e.tables(t) {
				e.get(t, "/table/"+name, 200)
				e.get(t, sqlPath(fmt.Sprintf(`SELECT * FROM "%s"."%s"`, e.dataset, name)), 200)
			}
			e.get(t, "/assets/style.css", 200)
			e.get(t, "/table/nosuch", 404)
			e.get(t, sqlPath("SELECT nonsense FROM nowhere"), 400)
			for _, path := range []string{"", "query", "table/opportunity"} {
				do(t, ctx, "rendering /"+path, chromedp.Navigate(e.url+path), chromedp.WaitVisible(chromedp.CSS("main")))
				html := read(t, ctx, "reading /"+path, chromedp.OuterHTML(chromedp.CSS("html")))
				if !strings.Contains(html, e.dataset) {
					t.Errorf("/%s as rendered does not name the dataset: is it the page?", path)
				}
				e.noSecret(t, "/"+path+" as rendered", html)
			}
		})
	}
}

// Package web is the local web page of `sfdlt pipeline NAME show --web`: the dataset's tables
// with their columns and row counts, a row browser, a read-only SQL box, the load history as
// charts, the incremental cursors and what the last run skipped or failed. It reads through
// the pipeline's public API (Inspect, Describe, Rows, Query, LastTrace), which opens the
// destination's Reader for each request and closes it before answering: nothing stays open
// between requests, and nothing on the page can change the data. It shows no credential: only
// the destination's Info().Location, which has the password redacted.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/schema"
)

// PageSize is how many rows the row browser shows at a time.
const PageSize = 50

// MaxQueryRows is the most rows the SQL box shows of a result.
const MaxQueryRows = 1000

// QueryTimeout is how long a statement typed into the SQL box may run.
const QueryTimeout = 30 * time.Second

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// handler serves the pages of one pipeline.
type handler struct {
	p      *sfdlt.Pipeline
	pages  map[string]*template.Template
	logger *slog.Logger
}

// New returns the handler of the pipeline's pages. It checks no Host header: Serve adds that.
func New(p *sfdlt.Pipeline, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{p: p, pages: map[string]*template.Template{}, logger: logger}
	for _, page := range []string{"overview", "table", "query"} {
		h.pages[page] = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html"))
	}
	mux := http.NewServeMux()
	assets, _ := fs.Sub(assetFS, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /{$}", h.overview)
	mux.HandleFunc("GET /table/{name}", h.table)
	mux.HandleFunc("GET /query", h.query)
	return mux
}

// Serve serves the pipeline's pages on ln until ctx is done, then shuts the server down,
// letting requests in flight finish for two seconds. Requests for a host name other than
// localhost are refused, so that a web site cannot reach the page through a DNS name of its own
// that resolves to this machine (DNS rebinding); IP addresses are fine.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: hostCheck(ln.Addr(), h), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving the page on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// A browser may keep connections open that it never sends a request on: close them.
		if err := srv.Close(); err != nil {
			return fmt.Errorf("stopping the page on %s: %w", ln.Addr(), err)
		}
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// hostCheck refuses requests whose Host header is a name other than localhost: a web site can
// point a name of its own at this machine (DNS rebinding), never an IP address.
func hostCheck(addr net.Addr, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		host = strings.Trim(host, "[]")
		if host != "localhost" && net.ParseIP(host) == nil {
			http.Error(w, "this page answers only to its IP address ("+addr.String()+") or localhost, not to the name "+host, http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// render writes a page; an error after the first byte can only be logged.
func (h *handler) render(w http.ResponseWriter, status int, page string, data any) {
	var b strings.Builder
	if err := h.pages[page].ExecuteTemplate(&b, "layout", data); err != nil {
		h.logger.Error("rendering the page", "page", page, "error", err)
		http.Error(w, "rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page runs no script of anyone's: no inline script, nothing from elsewhere.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// header is what every page shows on top.
type header struct {
	Title       string
	Pipeline    string
	Dataset     string
	Destination string
	Location    string
	Nav         string // the page's name in the navigation: "overview", "query" or ""
}

func (h *handler) header(title, nav string) header {
	info := h.p.Destination().Info()
	return header{Title: title, Pipeline: h.p.Name(), Dataset: h.p.DatasetName(), Destination: info.Name, Location: info.Location, Nav: nav}
}

// overviewPage is the data of the overview.
type overviewPage struct {
	header
	Err       string
	Tables    []sfdlt.TableDescription
	System    []sfdlt.TableDescription
	Inspect   *sfdlt.Inspection
	Trace     *sfdlt.Trace
	TraceErr  string
	Cursors   []cursor
	How       map[string]string // how each resource's table is loaded
	LoadChart *chart
	StepChart *chart
	RunChart  *chart
	LastRuns  []sfdlt.RunRecord // the newest first, at most 5
}

// cursor is an incremental cursor of a resource, from the pipeline state.
type cursor struct {
	Source, Resource, Field string
	LastValue               any
	AtValue                 int
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	page := overviewPage{header: h.header("Overview", "overview")}
	status := http.StatusOK
	in, err := h.p.Inspect(r.Context(), 20)
	if err == nil {
		var tables []sfdlt.TableDescription
		tables, err = h.p.Describe(r.Context())
		for _, t := range tables {
			if schema.IsSystemTable(t.Name) {
				page.System = append(page.System, t)
			} else {
				page.Tables = append(page.Tables, t)
			}
		}
	}
	if err != nil {
		page.Err = err.Error()
		status = http.StatusServiceUnavailable
	}
	page.Inspect = in
	if in != nil {
		page.How = howLoaded(in.Resources)
		if in.State != nil {
			page.Cursors = cursorsOf(in.State)
		}
	}
	if page.Trace, err = h.p.LastTrace(); err != nil {
		page.TraceErr = err.Error()
	}
	if in != nil {
		page.LoadChart = loadChart(in.Loads, page.Tables)
	}
	page.StepChart = stepChart(page.Trace)
	runs, err := h.p.Runs()
	if err != nil {
		page.TraceErr = err.Error()
	}
	page.RunChart = runChart(runs)
	for i := len(runs) - 1; i >= 0 && len(page.LastRuns) < 5; i-- {
		page.LastRuns = append(page.LastRuns, runs[i])
	}
	h.render(w, status, "overview", page)
}

// tablePage is the data of a table's page: its columns and a page of its rows.
type tablePage struct {
	header
	Err        string
	Table      *sfdlt.TableDescription
	Columns    []string
	Rows       [][]any
	Page       int
	First      int // the number of the first row shown, from 1
	Last       int
	Prev, Next int // the pages before and after; -1 when there is none
	QueryThis  string
}

func (h *handler) table(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	page := tablePage{header: h.header("Table "+name, ""), Prev: -1, Next: -1}
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if r.URL.Query().Get("page") == "" {
		n, err = 0, nil
	}
	if err != nil || n < 0 {
		page.Err = fmt.Sprintf("page %q is not a page number: use 0 or more", r.URL.Query().Get("page"))
		h.render(w, http.StatusBadRequest, "table", page)
		return
	}
	page.Page = n
	page.QueryThis = fmt.Sprintf(`SELECT * FROM "%s"."%s" LIMIT 100`, strings.ReplaceAll(h.p.DatasetName(), `"`, `""`), strings.ReplaceAll(name, `"`, `""`))
	tables, err := h.p.Describe(r.Context(), name)
	if err != nil {
		page.Err = err.Error()
		h.render(w, http.StatusServiceUnavailable, "table", page)
		return
	}
	for i := range tables {
		if tables[i].Name == name {
			page.Table = &tables[i]
		}
	}
	if page.Table == nil {
		page.Err = fmt.Sprintf("dataset %s has no table %q: pick one on the overview", h.p.DatasetName(), name)
		h.render(w, http.StatusNotFound, "table", page)
		return
	}
	res, err := h.p.Rows(r.Context(), name, n*PageSize, PageSize)
	status := http.StatusOK
	switch {
	case errors.Is(err, sfdlt.ErrNoTable):
		page.Err, status = err.Error(), http.StatusNotFound
	case err != nil:
		page.Err, status = err.Error(), http.StatusServiceUnavailable
	default:
		page.Columns, page.Rows = res.Columns, res.Rows
		page.First, page.Last = n*PageSize+1, n*PageSize+len(res.Rows)
		if n > 0 {
			page.Prev = n - 1
		}
		if int64(page.Last) < page.Table.Rows {
			page.Next = n + 1
		}
	}
	h.render(w, status, "table", page)
}

// queryPage is the data of the SQL page.
type queryPage struct {
	header
	SQL       string
	Example   string
	Err       string
	Ran       bool
	Held      bool // a query from another site's link, shown and not run
	Columns   []string
	Rows      [][]any
	Truncated bool
	Max       int
	Took      time.Duration
}

func (h *handler) query(w http.ResponseWriter, r *http.Request) {
	page := queryPage{header: h.header("SQL", "query"), SQL: r.URL.Query().Get("sql"), Max: MaxQueryRows,
		Example: `SELECT * FROM "` + h.p.DatasetName() + `"."_dlt_loads" ORDER BY inserted_at DESC`}
	status := http.StatusOK
	// A link on another site can open this page with a query in its address; the browser says
	// so (Sec-Fetch-Site), and such a query is shown in the box, not run: the person runs it.
	if site := r.Header.Get("Sec-Fetch-Site"); page.SQL != "" && (site == "cross-site" || site == "same-site") {
		page.Held = true
		h.render(w, status, "query", page)
		return
	}
	if strings.TrimSpace(page.SQL) != "" {
		ctx, cancel := context.WithTimeout(r.Context(), QueryTimeout)
		defer cancel()
		start := time.Now()
		res, err := h.p.Query(ctx, page.SQL, MaxQueryRows)
		page.Took = time.Since(start).Round(time.Millisecond)
		page.Ran = true
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			page.Err, status = fmt.Sprintf("the query ran longer than %s and was stopped: narrow it down (a WHERE, a LIMIT)", QueryTimeout), http.StatusBadRequest
		case err != nil:
			page.Err, status = err.Error(), http.StatusBadRequest
		default:
			page.Columns, page.Rows, page.Truncated = res.Columns, res.Rows, res.Truncated
		}
	}
	h.render(w, status, "query", page)
}

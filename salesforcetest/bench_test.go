package salesforcetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// Serving speed of the emulator, so that benchmarks of the client are not limited by it. Each
// iteration reads every page of SELECT <all Opportunity fields> FROM Opportunity with a client
// that does not parse (it only finds the next link), from a server with CachePages on and the
// pages prerendered. Rows default to 200,000; set SFDLT_BENCH_ROWS=1000000 for the full size.
//
// Measured on the 2-core development machine (Intel Xeon, go1.26.8), SFDLT_BENCH_ROWS=1000000,
// every Opportunity field, client and server in one process:
//
//	BenchmarkServeRESTPages-2  1000 pages of 1,000 rows (long text)  1,244,761 rows/s  1,852 MB/s
//	BenchmarkServeBulkPages-2  20 pages of 50,000 rows               2,443,604 rows/s  1,519 MB/s
//
// A CPU profile of these runs is dominated by generating the records while prerendering (about
// 6-8 µs a row for Opportunity, 38% of the samples) and by copying bytes (memmove); rendering
// itself is append-based and costs about 3 µs a row for 58 JSON fields. Without the cache,
// serving is bound by record generation: about 150,000 rows/s per core.

func benchRows(b *testing.B) int {
	if v := os.Getenv("SFDLT_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("SFDLT_BENCH_ROWS=%q is not a positive number", v)
		}
		return n
	}
	return 200_000
}

// benchServer starts a caching emulator with n Opportunities and returns it, a token and the SOQL
// selecting every Opportunity field.
func benchServer(b *testing.B, n int, opts salesforcetest.Options) (*salesforcetest.Server, string, string) {
	b.Helper()
	opts.Seed = 1
	opts.Counts = map[string]int{"Opportunity": n}
	opts.CachePages = true
	s := salesforcetest.NewServer(opts)
	b.Cleanup(s.Close)
	var names []string
	for _, o := range s.Objects() {
		if o.Name != "Opportunity" {
			continue
		}
		for _, f := range o.Fields {
			if f.Type != "address" && f.Type != "location" && f.Type != "base64" && f.Type != "json" {
				names = append(names, f.Name)
			}
		}
	}
	soql := "SELECT " + strings.Join(names, ", ") + " FROM Opportunity"
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/services/oauth2/token", strings.NewReader(form.Encode()))
	req.SetBasicAuth(s.Credentials().ClientID, s.Credentials().ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("login: %v", err)
	}
	return s, tok.AccessToken, soql
}

// benchClient reads bodies as they come: no gzip, connections kept.
var benchClient = &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}

// fetchRaw GETs a URL and returns the body bytes read (into buf) and the response headers.
func fetchRaw(b *testing.B, u, tok string, buf *bytes.Buffer) http.Header {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %.200s", u, resp.StatusCode, buf.Bytes())
	}
	return resp.Header
}

func BenchmarkServeRESTPages(b *testing.B) {
	n := benchRows(b)
	s, tok, soql := benchServer(b, n, salesforcetest.Options{})
	pages, err := s.PrerenderQuery(context.Background(), soql, salesforcetest.PrerenderOptions{Version: "62.0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d rows in %d REST pages", n, pages)
	var buf bytes.Buffer
	first := s.URL() + "/services/data/v62.0/query?q=" + url.QueryEscape(soql)
	marker := []byte(`"nextRecordsUrl":"`)
	var total int64
	b.ResetTimer()
	for range b.N {
		u := first
		for u != "" {
			fetchRaw(b, u, tok, &buf)
			total += int64(buf.Len())
			body := buf.Bytes()
			u = ""
			if i := bytes.Index(body[:min(len(body), 200)], marker); i >= 0 {
				rest := body[i+len(marker):]
				u = s.URL() + string(rest[:bytes.IndexByte(rest, '"')])
			}
		}
	}
	b.StopTimer()
	report(b, n, total)
}

func BenchmarkServeBulkPages(b *testing.B) {
	n := benchRows(b)
	s, tok, soql := benchServer(b, n, salesforcetest.Options{BulkJobPolls: -1})
	pages, err := s.PrerenderBulk(context.Background(), soql, salesforcetest.PrerenderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d rows in %d Bulk pages", n, pages)
	body, _ := json.Marshal(map[string]string{"operation": "query", "query": soql})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/services/data/v62.0/jobs/query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var job struct {
		ID string `json:"id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	fetchRaw(b, s.URL()+"/services/data/v62.0/jobs/query/"+job.ID, tok, &buf)
	if !bytes.Contains(buf.Bytes(), []byte(`"JobComplete"`)) {
		b.Fatalf("job not complete after prerendering: %s", buf.Bytes())
	}
	base := s.URL() + "/services/data/v62.0/jobs/query/" + job.ID + "/results"
	var total int64
	b.ResetTimer()
	for range b.N {
		loc := ""
		for {
			u := base
			if loc != "" {
				u += "?locator=" + loc
			}
			h := fetchRaw(b, u, tok, &buf)
			total += int64(buf.Len())
			if loc = h.Get("Sforce-Locator"); loc == "null" {
				break
			}
		}
	}
	b.StopTimer()
	report(b, n, total)
}

func report(b *testing.B, rows int, bytesRead int64) {
	sec := b.Elapsed().Seconds()
	if sec <= 0 {
		return
	}
	b.ReportMetric(float64(rows)*float64(b.N)/sec, "rows/s")
	b.ReportMetric(float64(bytesRead)/sec/1e6, "MB/s")
	_, _ = io.Discard.Write(nil)
}

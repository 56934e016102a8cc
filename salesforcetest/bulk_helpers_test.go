package salesforcetest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// call makes any REST request with a JSON body (or none) and the token.
func call(t *testing.T, s *salesforcetest.Server, token, method, path string, body any, hdr ...string) response {
	t.Helper()
	if !strings.HasPrefix(path, "/") {
		path = "/services/data/" + apiVer + "/" + path
	}
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

// jobRequest is the body of a job creation.
func jobRequest(op, soql string) map[string]string {
	return map[string]string{"operation": op, "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
}

// createJob creates a query job and returns its decoded info.
func createJob(t *testing.T, s *salesforcetest.Server, tok, op, soql string) map[string]any {
	t.Helper()
	r := call(t, s, tok, http.MethodPost, "jobs/query", jobRequest(op, soql))
	if r.status != http.StatusOK {
		t.Fatalf("creating job %q: %v", soql, r)
	}
	var info map[string]any
	mustJSON(t, r.body, &info)
	return info
}

// waitJob polls a job until it leaves UploadComplete/InProgress and returns the last info and the
// states seen. Completion is driven by polls (and the background count of a small job), so the
// loop needs no sleep; the bound turns a stuck job into a failure.
func waitJob(t *testing.T, s *salesforcetest.Server, tok, id string) (map[string]any, []string) {
	t.Helper()
	var states []string
	for range 100000 {
		r := get(t, s, tok, "jobs/query/"+id)
		if r.status != http.StatusOK {
			t.Fatalf("polling job %s: %v", id, r)
		}
		var info map[string]any
		mustJSON(t, r.body, &info)
		st := info["state"].(string)
		if len(states) == 0 || states[len(states)-1] != st {
			states = append(states, st)
		}
		if st != "UploadComplete" && st != "InProgress" {
			return info, states
		}
	}
	t.Fatalf("job %s never finished: states %v", id, states)
	return nil, nil
}

// runJob creates a job, waits for JobComplete and returns its id and numberRecordsProcessed.
func runJob(t *testing.T, s *salesforcetest.Server, tok, op, soql string) (string, int) {
	t.Helper()
	id := createJob(t, s, tok, op, soql)["id"].(string)
	info, _ := waitJob(t, s, tok, id)
	if info["state"] != "JobComplete" {
		t.Fatalf("job %s ended %v", id, info)
	}
	return id, int(info["numberRecordsProcessed"].(float64))
}

// resultPage is one decoded results response.
type resultPage struct {
	header  []string
	rows    [][]string
	raw     []byte
	n       int    // Sforce-NumberOfRecords
	locator string // Sforce-Locator
}

// fetchResults gets one results page (locator "" for the first) and parses its CSV.
func fetchResults(t *testing.T, s *salesforcetest.Server, tok, id, locator string, maxRecords int) resultPage {
	t.Helper()
	q := url.Values{}
	if locator != "" {
		q.Set("locator", locator)
	}
	if maxRecords > 0 {
		q.Set("maxRecords", strconv.Itoa(maxRecords))
	}
	path := "jobs/query/" + id + "/results"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	r := get(t, s, tok, path)
	if r.status != http.StatusOK {
		t.Fatalf("results of %s at %q: %v", id, locator, r)
	}
	return parseResultPage(t, r, ',')
}

func parseResultPage(t *testing.T, r response, comma rune) resultPage {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "text/csv" {
		t.Fatalf("Content-Type %q, want text/csv", ct)
	}
	body := r.body
	if r.header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.Comma = comma
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("results are not CSV: %v\n%.500s", err, body)
	}
	if len(recs) == 0 {
		t.Fatalf("results without a header row")
	}
	n, err := strconv.Atoi(r.header.Get("Sforce-NumberOfRecords"))
	if err != nil {
		t.Fatalf("Sforce-NumberOfRecords %q: %v", r.header.Get("Sforce-NumberOfRecords"), err)
	}
	return resultPage{header: recs[0], rows: recs[1:], raw: body, n: n, locator: r.header.Get("Sforce-Locator")}
}

// allResults follows the locator chain and returns every page.
func allResults(t *testing.T, s *salesforcetest.Server, tok, id string, maxRecords int) []resultPage {
	t.Helper()
	var pages []resultPage
	loc := ""
	for {
		p := fetchResults(t, s, tok, id, loc, maxRecords)
		pages = append(pages, p)
		if p.locator == "null" {
			return pages
		}
		if p.locator == "" {
			t.Fatalf("page %d has no Sforce-Locator", len(pages)-1)
		}
		loc = p.locator
		if len(pages) > 10000 {
			t.Fatal("locator chain does not end")
		}
	}
}

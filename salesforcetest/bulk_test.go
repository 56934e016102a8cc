package salesforcetest_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestBulkJobLifecycle(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 1, Counts: map[string]int{"Contact": 120}})
	tok := oauthLogin(t, s)
	const soql = "SELECT Id, AccountId, Email, FirstName, LastName FROM Contact"

	r := call(t, s, tok, http.MethodPost, "jobs/query", jobRequest("query", soql))
	if r.status != http.StatusOK {
		t.Fatalf("create: %v", r)
	}
	var created map[string]any
	mustJSON(t, r.body, &created)
	var fixture map[string]any
	mustJSON(t, readFixture(t, "bulk2_query_job_create_response.json"), &fixture)
	if miss := missingKeys(fixture, created); len(miss) > 0 {
		t.Errorf("create response lacks the fixture's keys %v: %s", miss, r.body)
	}
	if _, ok := created["jobType"]; ok {
		t.Errorf("create response has jobType (real ones do not): %s", r.body)
	}
	if created["state"] != "UploadComplete" || created["object"] != "Contact" || created["operation"] != "query" {
		t.Errorf("create response %s", r.body)
	}
	if !bytes.Contains(r.body, []byte(`"apiVersion":62.0`)) {
		t.Errorf("apiVersion is not the JSON number 62.0: %s", r.body)
	}
	id := created["id"].(string)
	if !regexp.MustCompile(`^750[0-9A-Za-z]{15}$`).MatchString(id) {
		t.Errorf("job id %q is not an 18-character 750 id", id)
	}
	for _, k := range []string{"createdDate", "systemModstamp"} {
		if v, _ := created[k].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(v) {
			t.Errorf("%s = %q, want the +0000 datetime form", k, v)
		}
	}

	info, states := waitJob(t, s, tok, id)
	if len(states) != 2 || states[0] != "InProgress" || states[1] != "JobComplete" {
		t.Errorf("states across polls %v, want [InProgress JobComplete]", states)
	}
	mustJSON(t, readFixture(t, "bulk2_query_job_complete_response.json"), &fixture)
	if miss := missingKeys(fixture, info); len(miss) > 0 {
		t.Errorf("poll response lacks the fixture's keys %v", miss)
	}
	for _, k := range []string{"retries", "totalProcessingTime", "numberRecordsProcessed"} {
		if _, ok := info[k].(float64); !ok {
			t.Errorf("poll response %s = %v, want a number", k, info[k])
		}
	}
	if info["jobType"] != "V2Query" || info["numberRecordsProcessed"] != 120.0 {
		t.Errorf("complete job %v", info)
	}
	if _, ok := info["errorMessage"]; ok {
		t.Errorf("errorMessage on a complete job: %v", info)
	}

	r = get(t, s, tok, "jobs/query")
	var list struct {
		Done    bool             `json:"done"`
		Records []map[string]any `json:"records"`
	}
	mustJSON(t, r.body, &list)
	if !list.Done || len(list.Records) != 1 || list.Records[0]["id"] != id {
		t.Errorf("job list %s", r.body)
	}

	// A complete job cannot be aborted; it can be deleted, and is gone afterwards.
	wantRESTError(t, call(t, s, tok, http.MethodPatch, "jobs/query/"+id, map[string]string{"state": "Aborted"}), http.StatusBadRequest, "INVALIDJOBSTATE")
	if r := call(t, s, tok, http.MethodDelete, "jobs/query/"+id, nil); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: %v", r)
	}
	wantRESTError(t, get(t, s, tok, "jobs/query/"+id), http.StatusNotFound, "NOT_FOUND")
	wantRESTError(t, get(t, s, tok, "jobs/query/"+id+"/results"), http.StatusNotFound, "NOT_FOUND")

	// Abort a running job: Aborted, its results refused, then deletable.
	id2 := createJob(t, s, tok, "query", soql)["id"].(string)
	r = call(t, s, tok, http.MethodPatch, "jobs/query/"+id2, map[string]string{"state": "Aborted"})
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"state":"Aborted"`)) {
		t.Fatalf("abort: %v", r)
	}
	if info, _ := waitJob(t, s, tok, id2); info["state"] != "Aborted" {
		t.Fatalf("aborted job polls as %v", info["state"])
	}
	wantRESTError(t, get(t, s, tok, "jobs/query/"+id2+"/results"), http.StatusBadRequest, "INVALIDJOBSTATE")
	wantRESTError(t, call(t, s, tok, http.MethodPatch, "jobs/query/"+id2, map[string]string{"state": "JobComplete"}), http.StatusBadRequest, "INVALIDJOBSTATE")
	if r := call(t, s, tok, http.MethodDelete, "jobs/query/"+id2, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete aborted: %v", r)
	}
	wantRESTError(t, get(t, s, tok, "jobs/query/750Sf0000000000AAA"), http.StatusNotFound, "NOT_FOUND")
}

func TestBulkJobPollsAndEarlyResults(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 1, BulkJobPolls: 3, Counts: map[string]int{"Account": 10}})
	tok := oauthLogin(t, s)
	sawEarly := map[int]bool{}
	for range 2 {
		id := createJob(t, s, tok, "query", "SELECT Id FROM Account")["id"].(string)
		// Results before JobComplete: 412 JOB_NOT_COMPLETE for some jobs, an empty 204 for others.
		r := get(t, s, tok, "jobs/query/"+id+"/results")
		switch r.status {
		case http.StatusPreconditionFailed:
			wantRESTError(t, r, http.StatusPreconditionFailed, "JOB_NOT_COMPLETE")
		case http.StatusNoContent:
			if len(r.body) != 0 {
				t.Errorf("204 with a body %q", r.body)
			}
		default:
			t.Fatalf("early results: %v", r)
		}
		sawEarly[r.status] = true
		polls := 0
		for {
			polls++
			var info map[string]any
			mustJSON(t, get(t, s, tok, "jobs/query/"+id).body, &info)
			if info["state"] == "JobComplete" {
				break
			}
			if info["state"] != "InProgress" || polls > 3 {
				t.Fatalf("poll %d: %v", polls, info)
			}
		}
		if polls != 4 {
			t.Errorf("JobComplete at poll %d, want 4 (BulkJobPolls 3)", polls)
		}
	}
	if !sawEarly[http.StatusPreconditionFailed] || !sawEarly[http.StatusNoContent] {
		t.Errorf("early results answered %v, want both 412 and 204", sawEarly)
	}

	s2 := newServer(t, salesforcetest.Options{BulkJobPolls: -1, Counts: map[string]int{"Account": 10}})
	tok2 := oauthLogin(t, s2)
	id := createJob(t, s2, tok2, "query", "SELECT Id FROM Account")["id"].(string)
	if _, states := waitJob(t, s2, tok2, id); states[0] != "JobComplete" && !(len(states) == 2 && states[0] == "InProgress") {
		t.Errorf("BulkJobPolls -1: states %v", states)
	}
}

func TestBulkRejections(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 1})
	tok := oauthLogin(t, s)
	if err := s.AddField("Account", salesforcetest.Field{Name: "Logo__c", Type: "base64"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddField("Account", salesforcetest.Field{Name: "Meta__c", Type: "json"}, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, op, soql string
		status         int
		code, message  string
	}{
		{"group by", "query", "SELECT Industry FROM Account GROUP BY Industry", 400, "API_ERROR", "GROUP BY not supported in Bulk Query"},
		{"offset", "query", "SELECT Id FROM Account OFFSET 10", 400, "API_ERROR", "OFFSET not supported in Bulk Query"},
		{"typeof", "query", "SELECT TYPEOF What WHEN Account THEN Name END FROM Task", 400, "API_ERROR", "TYPEOF not supported in Bulk Query"},
		{"count()", "query", "SELECT COUNT() FROM Account", 400, "API_ERROR", "Aggregate Functions not supported in Bulk Query"},
		{"aggregate", "query", "SELECT MAX(AnnualRevenue) FROM Account", 400, "API_ERROR", "Aggregate Functions not supported in Bulk Query"},
		{"fields()", "query", "SELECT FIELDS(STANDARD) FROM Account", 400, "API_ERROR", "FIELDS() not supported in Bulk Query"},
		{"subquery", "query", "SELECT Id, (SELECT Id FROM Contacts) FROM Account", 400, "API_ERROR", "Aggregate Relationships not supported in Bulk Query"},
		{"address", "query", "SELECT Id, BillingAddress FROM Account", 400, "API_ERROR", "Selecting compound data not supported in Bulk Query"},
		{"location", "queryAll", "SELECT Id, Location__c FROM Something__c", 400, "API_ERROR", "Selecting compound data not supported in Bulk Query"},
		{"base64", "query", "SELECT Id, Logo__c FROM Account", 400, "API_ERROR", "Selecting compound data not supported in Bulk Query"},
		{"json", "query", "SELECT Id, Meta__c FROM Account", 400, "API_ERROR", "Selecting compound data not supported in Bulk Query"},
		{"unknown field", "query", "SELECT Id, Nope__c FROM Account", 400, "INVALID_FIELD", ""},
		{"unknown object", "query", "SELECT Id FROM Nope__c", 400, "INVALID_TYPE", ""},
		{"syntax", "query", "SELECT Id FROM", 400, "MALFORMED_QUERY", ""},
		{"empty", "query", " ", 400, "MALFORMED_QUERY", ""},
		{"operation", "insert", "SELECT Id FROM Account", 400, "INVALIDJOB", ""},
		{"string with keywords is fine", "query", "SELECT Id FROM Account WHERE Name = 'GROUP BY OFFSET (SELECT'", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, s, tok, http.MethodPost, "jobs/query", jobRequest(tt.op, tt.soql))
			if tt.status == 200 {
				if r.status != 200 {
					t.Fatalf("%v", r)
				}
				return
			}
			wantRESTError(t, r, tt.status, tt.code)
			if tt.message != "" && restErr(t, r)["message"] != tt.message {
				t.Errorf("message %v, want %q", restErr(t, r)["message"], tt.message)
			}
		})
	}
	r := call(t, s, tok, http.MethodPost, "jobs/query", map[string]string{"operation": "query", "query": "SELECT Id FROM Account", "columnDelimiter": "SPACE"})
	wantRESTError(t, r, http.StatusBadRequest, "INVALIDJOB")
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/services/data/v62.0/jobs/query", strings.NewReader("{not json"))
	req.Header.Set("Authorization", "Bearer "+tok)
	wantRESTError(t, do(t, req), http.StatusBadRequest, "JSON_PARSER_ERROR")
	wantRESTError(t, call(t, s, tok, http.MethodPost, "/services/data/v46.0/jobs/query", jobRequest("query", "SELECT Id FROM Account")), http.StatusNotFound, "NOT_FOUND")
}

// TestBulkCSVFormat checks the details of the results CSV against the simple-salesforce fixture's
// shape: a quoted header row in SELECT order, every value quoted, quotes doubled, newlines inside
// quotes, nulls both empty and "", datetimes both with Z and +0000.
func TestBulkCSVFormat(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 3, Counts: map[string]int{"Contact": 300}})
	tok := oauthLogin(t, s)
	tricky := "He said \"hi\",\nthen left"
	if _, err := s.Insert("Contact", map[string]any{"LastName": "Quote", "Description": tricky}); err != nil {
		t.Fatal(err)
	}

	fixture := readFixture(t, "bulk2_query_results.csv")
	fixture = bytes.TrimPrefix(fixture, []byte("\n")) // the dedent artifact, see PROVENANCE.md
	fixHeader := strings.SplitN(string(fixture), "\n", 2)[0]

	const soql = "SELECT Id, AccountId, Email, FirstName, LastName, Description, Birthdate, CreatedDate, SystemModstamp FROM Contact"
	id, n := runJob(t, s, tok, "query", soql)
	pages := allResults(t, s, tok, id, 100)
	if len(pages) != 4 || n != 301 {
		t.Fatalf("%d pages for %d rows, want 4 for 301", len(pages), n)
	}
	wantHeader := []string{"Id", "AccountId", "Email", "FirstName", "LastName", "Description", "Birthdate", "CreatedDate", "SystemModstamp"}
	quotedField := regexp.MustCompile(`^"(?:[^"]|"")*"$`)
	dateRe := regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)
	sawTricky := false
	for i, p := range pages {
		if strings.Join(p.header, ",") != strings.Join(wantHeader, ",") {
			t.Fatalf("page %d header %v, want SELECT order %v", i, p.header, wantHeader)
		}
		lines := strings.SplitN(string(p.raw), "\n", 2)
		if !strings.HasPrefix(lines[0], fixHeader[:len(`"Id","AccountId","Email","FirstName","LastName"`)]) {
			t.Errorf("page %d header line %q is not quoted like the fixture's %q", i, lines[0], fixHeader)
		}
		nullEmpty, nullQuoted, zoneZ, zonePlus := false, false, false, false
		for _, line := range strings.Split(strings.TrimSuffix(lines[1], "\n"), "\n") {
			if strings.Contains(line, ",,") || strings.HasSuffix(line, ",") {
				nullEmpty = true
			}
			if strings.Contains(line, `,"",`) || strings.HasSuffix(line, `,""`) {
				nullQuoted = true
			}
		}
		for _, row := range p.rows {
			for j, v := range row {
				switch wantHeader[j] {
				case "Birthdate":
					if v != "" && !dateRe.MatchString(v) {
						t.Errorf("date %q", v)
					}
				case "CreatedDate", "SystemModstamp":
					switch {
					case regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(v):
						zoneZ = true
					case regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(v):
						zonePlus = true
					default:
						t.Errorf("datetime %q", v)
					}
				case "Description":
					if v == tricky {
						sawTricky = true
					}
				}
			}
		}
		if !nullEmpty || !nullQuoted {
			t.Errorf("page %d: null written empty %v, quoted %v; want both", i, nullEmpty, nullQuoted)
		}
		if (!zoneZ || !zonePlus) && len(p.rows) > 1 {
			t.Errorf("page %d: datetimes with Z %v, with +0000 %v; want both", i, zoneZ, zonePlus)
		}
		// Every non-empty field is quoted: re-split the raw rows on the CSV grammar.
		cr := csv.NewReader(bytes.NewReader(p.raw))
		cr.LazyQuotes = false
		if _, err := cr.ReadAll(); err != nil {
			t.Fatal(err)
		}
		for _, f := range rawFields(p.raw) {
			if f != "" && !quotedField.MatchString(f) {
				t.Fatalf("page %d: unquoted field %q", i, f)
			}
		}
	}
	if !sawTricky {
		t.Error("the value with a quote and a newline did not come back intact")
	}
	if !bytes.Contains(pages[3].raw, []byte(`"He said ""hi"",`+"\n"+`then left"`)) {
		t.Errorf("quotes not doubled or newline not inside the quotes:\n%s", pages[3].raw)
	}
}

// rawFields splits CSV text into its fields as written (quotes kept).
func rawFields(b []byte) []string {
	var out []string
	var cur []byte
	inQ := false
	for _, c := range b {
		switch {
		case c == '"':
			inQ = !inQ
			cur = append(cur, c)
		case !inQ && (c == ',' || c == '\n'):
			out = append(out, string(cur))
			cur = cur[:0]
		default:
			cur = append(cur, c)
		}
	}
	return out
}

// TestBulkLocatorChainMatchesREST reads a job over many pages and compares it with the REST
// query of the same SOQL: same rows, ids and values, each once, counts consistent everywhere.
func TestBulkLocatorChainMatchesREST(t *testing.T) {
	const n = 4321
	s := newServer(t, salesforcetest.Options{Seed: 11, Counts: map[string]int{"Opportunity": n}})
	tok := oauthLogin(t, s)
	const soql = "SELECT Id, Name, StageName, Amount, Probability, CloseDate, IsWon, SystemModstamp FROM Opportunity WHERE Amount > 1000"
	id, processed := runJob(t, s, tok, "query", soql)
	pages := allResults(t, s, tok, id, 250)
	bulk := map[string][]string{}
	var order []string
	sum := 0
	for i, p := range pages {
		if p.n != len(p.rows) {
			t.Fatalf("page %d: Sforce-NumberOfRecords %d, rows %d", i, p.n, len(p.rows))
		}
		if i < len(pages)-1 && p.n != 250 {
			t.Fatalf("page %d has %d rows, want 250", i, p.n)
		}
		sum += p.n
		for _, row := range p.rows {
			if _, dup := bulk[row[0]]; dup {
				t.Fatalf("row %s served twice", row[0])
			}
			bulk[row[0]] = row
			order = append(order, row[0])
		}
	}
	if sum != processed {
		t.Fatalf("Sforce-NumberOfRecords sum %d, numberRecordsProcessed %d", sum, processed)
	}
	restPages := queryAllPages(t, s, tok, "query", soql)
	var restIDs []string
	for _, p := range restPages {
		for _, rec := range p.Records {
			rid := rec["Id"].(string)
			restIDs = append(restIDs, rid)
			row, ok := bulk[rid]
			if !ok {
				t.Fatalf("REST row %s missing from Bulk", rid)
			}
			if got, want := row[1], rec["Name"].(string); got != want {
				t.Errorf("%s Name %q vs REST %q", rid, got, want)
			}
			if got, want := row[2], rec["StageName"].(string); got != want {
				t.Errorf("%s StageName %q vs REST %q", rid, got, want)
			}
			a, err := strconv.ParseFloat(row[3], 64)
			if err != nil || a != rec["Amount"].(float64) {
				t.Errorf("%s Amount %q vs REST %v", rid, row[3], rec["Amount"])
			}
			if row[5] != rec["CloseDate"].(string) || row[6] != strconv.FormatBool(rec["IsWon"].(bool)) {
				t.Errorf("%s CloseDate/IsWon %q %q vs REST %v %v", rid, row[5], row[6], rec["CloseDate"], rec["IsWon"])
			}
			bt := parseSFTime(t, row[7])
			rt := parseSFTime(t, rec["SystemModstamp"].(string))
			if !bt.Equal(rt) {
				t.Errorf("%s SystemModstamp %s vs REST %s", rid, row[7], rec["SystemModstamp"])
			}
		}
	}
	if len(restIDs) != len(order) || restPages[0].TotalSize != processed {
		t.Fatalf("REST has %d rows (totalSize %d), Bulk %d", len(restIDs), restPages[0].TotalSize, len(order))
	}
	if strings.Join(restIDs, ",") != strings.Join(order, ",") {
		t.Error("Bulk rows are not in the order REST returns them")
	}
}

func parseSFTime(t *testing.T, v string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05.000-0700"} {
		if tm, err := time.Parse(layout, v); err == nil {
			return tm
		}
	}
	t.Fatalf("datetime %q in neither form", v)
	return time.Time{}
}

func TestBulkQueryAllShowsDeletedRows(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 5, Counts: map[string]int{"Lead": 200}})
	tok := oauthLogin(t, s)
	id, _ := runJob(t, s, tok, "query", "SELECT Id FROM Lead")
	first := fetchResults(t, s, tok, id, "", 0)
	var gone []string
	for _, row := range first.rows[:7] {
		gone = append(gone, row[0])
	}
	if err := s.Delete("Lead", gone...); err != nil {
		t.Fatal(err)
	}
	_, live := runJob(t, s, tok, "query", "SELECT Id, IsDeleted FROM Lead")
	allID, all := runJob(t, s, tok, "queryAll", "SELECT Id, IsDeleted FROM Lead")
	if live != 193 || all != 200 {
		t.Fatalf("query %d rows, queryAll %d; want 193 and 200", live, all)
	}
	deleted := map[string]bool{}
	for _, p := range allResults(t, s, tok, allID, 0) {
		for _, row := range p.rows {
			if row[1] == "true" {
				deleted[row[0]] = true
			}
		}
	}
	sort.Strings(gone)
	var got []string
	for k := range deleted {
		got = append(got, k)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(gone, ",") {
		t.Errorf("queryAll shows deleted %v, want %v", got, gone)
	}
}

func TestBulkReplayByLocatorAndBadLocators(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 2, BulkPageSize: 300, Counts: map[string]int{"Task": 1000}})
	tok := oauthLogin(t, s)
	id, _ := runJob(t, s, tok, "query", "SELECT Id, Subject, ActivityDate FROM Task")
	p0 := fetchResults(t, s, tok, id, "", 0)
	if p0.n != 300 {
		t.Fatalf("BulkPageSize 300: first page %d rows", p0.n)
	}
	if p0.locator != "MzAw" { // "300": opaque, but the shape real locators have
		t.Errorf("locator %q", p0.locator)
	}
	p1 := fetchResults(t, s, tok, id, p0.locator, 0)
	again := fetchResults(t, s, tok, id, p0.locator, 0)
	if !bytes.Equal(p1.raw, again.raw) || p1.locator != again.locator {
		t.Error("replaying a locator gave a different page")
	}
	for _, loc := range []string{"null", "bm9wZQ", "MTAwMDAw", "-1"} {
		wantRESTError(t, get(t, s, tok, "jobs/query/"+id+"/results?locator="+loc), http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
	}
	wantRESTError(t, get(t, s, tok, "jobs/query/"+id+"/results?maxRecords=0"), http.StatusBadRequest, "INVALID_FIELD")
}

func TestBulkResultPages(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 4, Counts: map[string]int{"Contact": 2600}})
	tok := oauthLogin(t, s)
	id, n := runJob(t, s, tok, "query", "SELECT Id FROM Contact")
	type set struct {
		ResultPages []struct {
			ResultURL string `json:"resultUrl"`
		} `json:"resultPages"`
		Done bool `json:"done"`
	}
	next := "jobs/query/" + id + "/resultPages?maxRecords=100"
	spellings := map[string]bool{}
	seen := map[string]bool{}
	sets := 0
	for next != "" {
		r := get(t, s, tok, next)
		if r.status != http.StatusOK {
			t.Fatalf("resultPages: %v", r)
		}
		var raw map[string]json.RawMessage
		mustJSON(t, r.body, &raw)
		var st set
		mustJSON(t, r.body, &st)
		if len(st.ResultPages) == 0 || len(st.ResultPages) > 5 {
			t.Fatalf("%d resultUrls: %s", len(st.ResultPages), r.body)
		}
		link := ""
		for _, k := range []string{"nextRecordsUrl", "nextRecordUrl"} {
			if v, ok := raw[k]; ok {
				spellings[k] = true
				_ = json.Unmarshal(v, &link)
			}
		}
		if st.Done != (link == "") {
			t.Fatalf("done %v with next link %q", st.Done, link)
		}
		for _, ru := range st.ResultPages {
			req, _ := http.NewRequest(http.MethodGet, s.URL()+ru.ResultURL, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			p := parseResultPage(t, do(t, req), ',')
			for _, row := range p.rows {
				if seen[row[0]] {
					t.Fatalf("row %s in two result pages", row[0])
				}
				seen[row[0]] = true
			}
		}
		next = link
		sets++
	}
	if len(seen) != n || sets != 6 {
		t.Errorf("resultPages gave %d rows in %d sets, want %d in 6", len(seen), sets, n)
	}
	if !spellings["nextRecordsUrl"] || !spellings["nextRecordUrl"] {
		t.Errorf("next-set link spellings seen %v, want both", spellings)
	}
	wantRESTError(t, get(t, s, tok, "/services/data/v57.0/jobs/query/"+id+"/resultPages"), http.StatusNotFound, "NOT_FOUND")
}

func TestBulkGzipSometimes(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 2, Counts: map[string]int{"Account": 250}})
	tok := oauthLogin(t, s)
	id, _ := runJob(t, s, tok, "query", "SELECT Id, Name FROM Account")
	enc := map[string]int{}
	loc := ""
	for {
		path := "jobs/query/" + id + "/results?maxRecords=100"
		if loc != "" {
			path += "&locator=" + loc
		}
		r := get(t, s, tok, path, "Accept-Encoding", "gzip")
		enc[r.header.Get("Content-Encoding")]++
		p := parseResultPage(t, r, ',')
		if loc = p.locator; loc == "null" {
			break
		}
	}
	if enc["gzip"] == 0 || enc[""] == 0 {
		t.Errorf("Content-Encoding per page %v, want gzip for some and none for others", enc)
	}
}

func TestBulkDelimiterAndLineEnding(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 2, Counts: map[string]int{"Account": 20}})
	tok := oauthLogin(t, s)
	body := map[string]string{"operation": "query", "query": "SELECT Id, Name, AnnualRevenue FROM Account", "columnDelimiter": "TAB", "lineEnding": "CRLF"}
	r := call(t, s, tok, http.MethodPost, "jobs/query", body)
	var info map[string]any
	mustJSON(t, r.body, &info)
	if info["columnDelimiter"] != "TAB" || info["lineEnding"] != "CRLF" {
		t.Fatalf("job %s", r.body)
	}
	waitJob(t, s, tok, info["id"].(string))
	rr := get(t, s, tok, "jobs/query/"+info["id"].(string)+"/results")
	if !bytes.HasPrefix(rr.body, []byte("\"Id\"\t\"Name\"\t\"AnnualRevenue\"\r\n")) {
		t.Fatalf("TAB/CRLF results start %q", rr.body[:min(60, len(rr.body))])
	}
	if p := parseResultPage(t, rr, '\t'); len(p.rows) != 20 {
		t.Fatalf("%d rows", len(p.rows))
	}
	if bytes.ContainsAny(rr.body, "eE") && regexp.MustCompile(`"\d+(\.\d+)?[eE]`).Match(rr.body) {
		t.Error("a number written with an exponent")
	}
}

func TestBulkFaults(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 2, Counts: map[string]int{"Account": 30}})
	tok := oauthLogin(t, s)
	const soql = "SELECT Id FROM Account"

	t.Run("fail rate", func(t *testing.T) {
		s.SetFaults(salesforcetest.Faults{BulkJobFailRate: 1})
		t.Cleanup(func() { s.SetFaults(salesforcetest.Faults{}) })
		id := createJob(t, s, tok, "query", soql)["id"].(string)
		info, _ := waitJob(t, s, tok, id)
		if info["state"] != "Failed" || info["errorMessage"] == nil || info["errorMessage"] == "" {
			t.Fatalf("job %v, want Failed with an errorMessage", info)
		}
		wantRESTError(t, get(t, s, tok, "jobs/query/"+id+"/results"), http.StatusBadRequest, "INVALIDJOBSTATE")
	})
	t.Run("stuck", func(t *testing.T) {
		s.SetFaults(salesforcetest.Faults{BulkJobStuck: true})
		t.Cleanup(func() { s.SetFaults(salesforcetest.Faults{}) })
		id := createJob(t, s, tok, "query", soql)["id"].(string)
		for range 50 {
			var info map[string]any
			mustJSON(t, get(t, s, tok, "jobs/query/"+id).body, &info)
			if info["state"] != "InProgress" {
				t.Fatalf("stuck job is %v", info["state"])
			}
		}
		if r := get(t, s, tok, "jobs/query/"+id+"/results"); r.status != http.StatusPreconditionFailed && r.status != http.StatusNoContent {
			t.Fatalf("results of a stuck job: %v", r)
		}
		if r := call(t, s, tok, http.MethodPatch, "jobs/query/"+id, map[string]string{"state": "Aborted"}); r.status != http.StatusOK {
			t.Fatalf("aborting a stuck job: %v", r)
		}
	})
	t.Run("query timeout", func(t *testing.T) {
		s.SetFaults(salesforcetest.Faults{QueryTimeoutAbove: 10})
		t.Cleanup(func() { s.SetFaults(salesforcetest.Faults{}) })
		info, _ := waitJob(t, s, tok, createJob(t, s, tok, "query", soql)["id"].(string))
		if info["state"] != "Failed" || !strings.Contains(info["errorMessage"].(string), "QUERY_TIMEOUT") {
			t.Fatalf("job %v", info)
		}
	})
	t.Run("error rate and call log", func(t *testing.T) {
		s.ResetCalls()
		s.SetFaults(salesforcetest.Faults{ErrorRate: 1, Seed: 9})
		r := call(t, s, tok, http.MethodPost, "jobs/query", jobRequest("query", soql))
		s.SetFaults(salesforcetest.Faults{})
		if r.status != 500 && r.status != 503 && r.status != 420 {
			t.Fatalf("ErrorRate 1 on job creation: %v", r)
		}
		id, _ := runJob(t, s, tok, "query", soql)
		fetchResults(t, s, tok, id, "", 0)
		calls := s.Calls()
		last := calls[len(calls)-1]
		if last.Method != http.MethodGet || !strings.HasSuffix(last.Path, "/jobs/query/"+id+"/results") || last.SOQL != soql {
			t.Errorf("last call %+v", last)
		}
		if calls[1].Method != http.MethodPost || calls[1].SOQL != soql {
			t.Errorf("creation call %+v", calls[1])
		}
	})
	t.Run("session expiry and request limit", func(t *testing.T) {
		s.SetFaults(salesforcetest.Faults{SessionExpiresEvery: 1})
		tok2 := oauthLogin(t, s)
		get(t, s, tok2, "jobs/query")
		wantRESTError(t, get(t, s, tok2, "jobs/query"), http.StatusUnauthorized, "INVALID_SESSION_ID")
		s.SetFaults(salesforcetest.Faults{RequestLimitAfter: 1})
		wantRESTError(t, call(t, s, oauthLogin(t, s), http.MethodPost, "jobs/query", jobRequest("query", soql)), http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED")
		s.SetFaults(salesforcetest.Faults{})
	})
}

func TestBulkJobsLimit(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Faults: salesforcetest.Faults{BulkJobsLimit: 3}, Counts: map[string]int{"Account": 5}})
	tok := oauthLogin(t, s)
	remaining := func() float64 {
		var lim map[string]map[string]any
		mustJSON(t, get(t, s, tok, "limits").body, &lim)
		e := lim["DailyBulkV2QueryJobs"]
		if e["Max"] != 10000.0 {
			t.Fatalf("DailyBulkV2QueryJobs %v", e)
		}
		return e["Remaining"].(float64)
	}
	if got := remaining(); got != 3 {
		t.Fatalf("Remaining %v before any job, want 3 (BulkJobsLimit)", got)
	}
	for i := range 3 {
		createJob(t, s, tok, "query", "SELECT Id FROM Account")
		if got := remaining(); got != float64(2-i) {
			t.Fatalf("Remaining %v after %d jobs", got, i+1)
		}
	}
	r := call(t, s, tok, http.MethodPost, "jobs/query", jobRequest("query", "SELECT Id FROM Account"))
	wantRESTError(t, r, http.StatusBadRequest, "LIMIT_EXCEEDED")
	if msg := restErr(t, r)["message"]; msg != "Max bulk v2 query jobs (10000) per 24 hrs has been reached" {
		t.Errorf("message %v", msg)
	}

	s2 := newServer(t, salesforcetest.Options{Counts: map[string]int{"Account": 5}})
	tok = oauthLogin(t, s2)
	createJob(t, s2, tok, "query", "SELECT Id FROM Account")
	var lim map[string]map[string]any
	mustJSON(t, get(t, s2, tok, "limits").body, &lim)
	if lim["DailyBulkV2QueryJobs"]["Remaining"] != 9999.0 {
		t.Errorf("DailyBulkV2QueryJobs %v after one job", lim["DailyBulkV2QueryJobs"])
	}
}

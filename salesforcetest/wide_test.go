package salesforcetest_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// wideFields returns the describe of Account's wide fields (those not on a plain Account).
func wideFields(t *testing.T, s *salesforcetest.Server, tok string) []map[string]any {
	t.Helper()
	plain := map[string]bool{}
	for _, o := range newServer(t, salesforcetest.Options{}).Objects() {
		if o.Name == "Account" {
			for _, f := range o.Fields {
				plain[f.Name] = true
			}
		}
	}
	r := get(t, s, tok, "sobjects/Account/describe")
	if r.status != http.StatusOK {
		t.Fatalf("describe: %v", r)
	}
	var d struct {
		Fields []map[string]any `json:"fields"`
	}
	mustJSON(t, r.body, &d)
	var out []map[string]any
	for _, f := range d.Fields {
		if !plain[f["name"].(string)] {
			out = append(out, f)
		}
	}
	return out
}

// fieldKind names a describe field's custom field type as Setup does.
func fieldKind(f map[string]any) string {
	typ := f["type"].(string)
	switch {
	case f["calculated"] == true:
		return "Formula"
	case f["compoundFieldName"] != nil:
		return "Geolocation part"
	case typ == "textarea" && f["htmlFormatted"] == true:
		return "Rich Text Area"
	case typ == "textarea" && f["length"].(float64) > 255:
		return "Long Text Area"
	case typ == "double" && f["scale"].(float64) == 0:
		return "Number(18, 0)"
	case typ == "reference":
		return "Lookup(" + f["referenceTo"].([]any)[0].(string) + ")"
	}
	return typ
}

func TestWideObject(t *testing.T) {
	opts := salesforcetest.Options{Seed: 5, Counts: map[string]int{"Account": 60}, Wide: map[string]int{"Account": 800}, BulkJobPolls: -1}
	limited := newServer(t, opts)
	// Two servers of the same seed without the URI limit, to send every field in one query.
	opts.Limits.URIBytes = -1
	a, b := newServer(t, opts), newServer(t, opts)
	tokA, tokB := oauthLogin(t, a), oauthLogin(t, b)

	fields := wideFields(t, a, tokA)
	kinds := map[string]int{}
	var selectable, compound []string
	for _, f := range fields {
		name := f["name"].(string)
		kinds[fieldKind(f)]++
		if f["custom"] != true {
			t.Errorf("%s is not custom", name)
		}
		if strings.HasSuffix(name, "__c") && (len(name) < 20 || len(name) > 35) {
			t.Errorf("%s: %d characters, want 20 to 35", name, len(name))
		}
		if f["type"] == "location" {
			compound = append(compound, name)
			continue
		}
		selectable = append(selectable, name)
	}
	// 800 custom fields, of which each Geolocation adds its two parts to the describe.
	if n := len(fields) - kinds["Geolocation part"]; n != 800 {
		t.Errorf("%d wide custom fields, want 800", n)
	}
	for _, k := range []string{"string", "textarea", "Long Text Area", "Rich Text Area", "picklist", "multipicklist", "email",
		"phone", "url", "boolean", "double", "Number(18, 0)", "currency", "percent", "date", "datetime", "time",
		"Lookup(Account)", "Lookup(User)", "location", "Geolocation part", "encryptedstring", "Formula"} {
		if kinds[k] == 0 {
			t.Errorf("no %s field among %v", k, kinds)
		}
	}
	if kinds["Geolocation part"] != 2*kinds["location"] {
		t.Errorf("%d geolocation parts for %d geolocation fields", kinds["Geolocation part"], kinds["location"])
	}
	for _, c := range compound {
		base := strings.TrimSuffix(c, "__c")
		for _, part := range []string{base + "__Latitude__s", base + "__Longitude__s"} {
			if !contains(selectable, part) {
				t.Errorf("geolocation %s has no part %s", c, part)
			}
		}
	}

	// 600 fields are well over the 16 kB URI limit; by default the org answers 414.
	soql600 := "SELECT " + strings.Join(selectable[:600], ", ") + " FROM Account"
	if u := len("/services/data/v62.0/query?q=" + url.QueryEscape(soql600)); u < 18000 {
		t.Errorf("600 wide fields make a URI of only %d bytes", u)
	}
	if r := get(t, limited, oauthLogin(t, limited), "query?q="+url.QueryEscape(soql600)); r.status != http.StatusRequestURITooLong {
		t.Errorf("600 wide fields: %d, want 414", r.status)
	}

	// Every field, over REST, from two servers of the same seed.
	all := "SELECT Id, " + strings.Join(append(append([]string{}, selectable...), compound...), ", ") + " FROM Account"
	locator := regexp.MustCompile(`01gSf[0-9A-Za-z]{13}`)
	restBody := func(s *salesforcetest.Server, tok string) ([]byte, []map[string]any) {
		var recs []map[string]any
		var raw []byte
		r := get(t, s, tok, "query?q="+url.QueryEscape(all))
		for {
			if r.status != http.StatusOK {
				t.Fatalf("wide query: %v", r)
			}
			raw = append(raw, locator.ReplaceAll(r.body, []byte("L"))...)
			var p queryPage
			mustJSON(t, r.body, &p)
			recs = append(recs, p.Records...)
			if p.NextRecordsURL == nil {
				return raw, recs
			}
			r = get(t, s, tok, *p.NextRecordsURL)
		}
	}
	rawA, recs := restBody(a, tokA)
	rawB, _ := restBody(b, tokB)
	if !bytes.Equal(rawA, rawB) {
		t.Error("two servers of the same seed serve different wide records")
	}
	if len(recs) != 60 {
		t.Fatalf("%d records, want 60", len(recs))
	}
	var nulls, unicode, commas, quotes, newlines int
	for _, rec := range recs {
		for _, name := range selectable {
			v, ok := rec[name]
			if !ok {
				t.Fatalf("record lacks %s", name)
			}
			s, _ := v.(string)
			switch {
			case v == nil:
				nulls++
			case strings.ContainsAny(s, "\n"):
				newlines++
			case strings.Contains(s, `"`):
				quotes++
			case strings.Contains(s, ","):
				commas++
			case strings.IndexFunc(s, func(r rune) bool { return r > 127 }) >= 0:
				unicode++
			}
		}
		for _, c := range compound {
			if loc, ok := rec[c].(map[string]any); ok && (loc["latitude"] == nil || loc["longitude"] == nil) {
				t.Errorf("%s = %v", c, loc)
			}
		}
	}
	if nulls == 0 || unicode == 0 || commas == 0 || quotes == 0 || newlines == 0 {
		t.Errorf("values lack variety: %d nulls, %d unicode, %d commas, %d quotes, %d newlines", nulls, unicode, commas, quotes, newlines)
	}

	// WHERE and ORDER BY on wide fields.
	pick, num := firstOfType(fields, "picklist"), firstOfType(fields, "double")
	q := "SELECT Id, " + pick + ", " + num + " FROM Account WHERE " + pick + " = 'Beta' ORDER BY " + num + " DESC NULLS LAST"
	page := queryAllPages(t, a, tokA, "query", q)[0]
	if len(page.Records) == 0 {
		t.Fatalf("%s: no rows", q)
	}
	prev := 1e300
	for _, rec := range page.Records {
		if rec[pick] != "Beta" {
			t.Fatalf("%s: row with %v", q, rec[pick])
		}
		if x, ok := rec[num].(float64); ok {
			if x > prev {
				t.Fatalf("%s: %v after %v", q, x, prev)
			}
			prev = x
		} else {
			prev = -1e300 // nulls last
		}
	}

	// Bulk: every field but the compound ones, the same CSV from both servers; compound ones refused.
	bulkSOQL := "SELECT Id, " + strings.Join(selectable, ", ") + " FROM Account"
	bulkCSV := func(s *salesforcetest.Server, tok string) []byte {
		id, n := runJob(t, s, tok, "query", bulkSOQL)
		if n != 60 {
			t.Fatalf("Bulk job: %d rows", n)
		}
		var out []byte
		for _, p := range allResults(t, s, tok, id, 0) {
			if len(p.header) != len(selectable)+1 {
				t.Fatalf("Bulk header has %d columns, want %d", len(p.header), len(selectable)+1)
			}
			out = append(out, p.raw...)
		}
		return out
	}
	if !bytes.Equal(bulkCSV(a, tokA), bulkCSV(b, tokB)) {
		t.Error("two servers of the same seed give different Bulk CSV")
	}
	r := call(t, a, tokA, http.MethodPost, "jobs/query", jobRequest("query", "SELECT Id, "+compound[0]+" FROM Account"))
	wantRESTError(t, r, http.StatusBadRequest, "API_ERROR")

	// Update sets a wide field.
	text := firstOfType(fields, "string")
	id := recs[0]["Id"].(string)
	if err := a.Update("Account", []string{id}, map[string]any{text: "changed, \"quoted\"\nline"}); err != nil {
		t.Fatal(err)
	}
	got := queryAllPages(t, a, tokA, "query", "SELECT "+text+" FROM Account WHERE Id = '"+id+"'")[0]
	if len(got.Records) != 1 || got.Records[0][text] != "changed, \"quoted\"\nline" {
		t.Errorf("after Update: %+v", got.Records)
	}
}

func firstOfType(fields []map[string]any, typ string) string {
	var names []string
	for _, f := range fields {
		if f["type"] == typ && f["calculated"] != true && f["compoundFieldName"] == nil {
			names = append(names, f["name"].(string))
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

package salesforcetest_test

import (
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestVersions(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	for _, p := range []string{"/services/data", "/services/data/"} {
		r := get(t, s, "", p)
		if r.status != http.StatusOK || r.header.Get("Sforce-Limit-Info") != "" {
			t.Fatalf("%s: %v %v", p, r, r.header)
		}
		var vs []struct{ Label, URL, Version string }
		mustJSON(t, r.body, &vs)
		if len(vs) != 37 || vs[0].Version != "31.0" || vs[len(vs)-1].Version != "67.0" {
			t.Fatalf("versions %v", vs)
		}
		for i, v := range vs {
			if v.URL != "/services/data/v"+v.Version || v.Label == "" || (i > 0 && vs[i-1].Version >= v.Version) {
				t.Errorf("entry %+v", v)
			}
		}
		for _, want := range []struct{ v, label string }{{"31.0", "Summer '14"}, {"59.0", "Winter '24"}, {"62.0", "Winter '25"}, {"67.0", "Summer '26"}} {
			for _, v := range vs {
				if v.Version == want.v && v.Label != want.label {
					t.Errorf("%s label %q, want %q", v.Version, v.Label, want.label)
				}
			}
		}
	}
	if n := len(s.Calls()); n != 2 {
		t.Errorf("versions calls logged: %d", n)
	}
	tok := soapLogin(t, s)
	if r := get(t, s, tok, "limits"); !strings.HasPrefix(r.header.Get("Sforce-Limit-Info"), "api-usage=1/") {
		t.Errorf("the versions list was counted: %v", r.header.Get("Sforce-Limit-Info"))
	}
}

func TestRESTStatusAndErrorShapes(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	tests := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"no token", "", "limits", 401, "INVALID_SESSION_ID"},
		{"unknown token", "00Dxx!bogus", "limits", 401, "INVALID_SESSION_ID"},
		{"retired version", tok, "/services/data/v30.0/limits", 410, "API_VERSION_RETIRED"},
		{"very old version", tok, "/services/data/v20.0/query?q=SELECT+Id+FROM+Account", 410, "API_VERSION_RETIRED"},
		{"future version", tok, "/services/data/v68.0/limits", 404, "NOT_FOUND"},
		{"malformed version", tok, "/services/data/latest/limits", 404, "NOT_FOUND"},
		{"unknown resource", tok, "nothing/here", 404, "NOT_FOUND"},
		{"unknown object", tok, "sobjects/NoSuch__c/describe", 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, s, tt.token, tt.path)
			wantRESTError(t, r, tt.status, tt.code)
			mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
			if err != nil || mt != "application/json" || params["charset"] != "UTF-8" {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
		})
	}
	// The 401 body is byte-compatible with the recorded one.
	for _, g := range []struct{ token, path, fixture string }{
		{"", "limits", "expired_session_response.json"},
		{tok, "sobjects/NoSuch__c/describe", "sobject_describe_error_response.json"},
	} {
		r := get(t, s, g.token, g.path)
		var got, want any
		mustJSON(t, r.body, &got)
		mustJSON(t, readFixture(t, g.fixture), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: body %s differs from the recording %s", g.path, r.body, readFixture(t, g.fixture))
		}
	}
	// OAuth-style Authorization header.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services/data/v62.0/limits", nil)
	req.Header.Set("Authorization", "OAuth "+tok)
	if r := do(t, req); r.status != http.StatusOK {
		t.Errorf("OAuth scheme: %v", r)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL()+"/services/data/v62.0/limits", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	wantRESTError(t, do(t, req), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

func TestLimitsAndUsageHeader(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	usage := regexp.MustCompile(`^api-usage=(\d+)/(\d+)$`)
	for i := 1; i <= 3; i++ {
		r := get(t, s, tok, "limits")
		m := usage.FindStringSubmatch(r.header.Get("Sforce-Limit-Info"))
		if m == nil || m[1] != strconv.Itoa(i) {
			t.Fatalf("call %d: Sforce-Limit-Info %q", i, r.header.Get("Sforce-Limit-Info"))
		}
		var lim map[string]map[string]any
		mustJSON(t, r.body, &lim)
		d := lim["DailyApiRequests"]
		if d["Max"].(float64) != 15000 || d["Remaining"].(float64) != float64(15000-i) {
			t.Fatalf("DailyApiRequests %v", d)
		}
		if _, ok := lim["DailyBulkApiRequests"]["Max"]; !ok {
			t.Fatal("no DailyBulkApiRequests")
		}
		cc, ok := lim["PermissionSets"]["CreateCustom"].(map[string]any)
		if !ok || cc["Max"] == nil || cc["Remaining"] == nil {
			t.Fatalf("nested PermissionSets.CreateCustom missing: %v", lim["PermissionSets"])
		}
		// Every entry has the shape of the recorded org's entries.
		var rec map[string]map[string]any
		mustJSON(t, readFixture(t, "limits.json"), &rec)
		for name, e := range lim {
			if _, ok := e["Max"].(float64); !ok {
				t.Errorf("%s has no numeric Max", name)
			}
			if _, ok := e["Remaining"].(float64); !ok {
				t.Errorf("%s has no numeric Remaining", name)
			}
		}
		if _, ok := rec["DailyApiRequests"]; !ok {
			t.Fatal("fixture unreadable")
		}
	}
}

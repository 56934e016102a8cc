package salesforcetest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

const apiVer = "v62.0"

func newServer(t *testing.T, opts salesforcetest.Options) *salesforcetest.Server {
	t.Helper()
	s := salesforcetest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("HTTP %d %s", r.status, r.body) }

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// get calls a REST path (absolute, or relative to /services/data/v62.0/) with a token.
func get(t *testing.T, s *salesforcetest.Server, token, path string, hdr ...string) response {
	t.Helper()
	if !strings.HasPrefix(path, "/") {
		path = "/services/data/" + apiVer + "/" + path
	}
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func soapEnvelope(user, pass string) string {
	var u, p bytes.Buffer
	_ = xml.EscapeText(&u, []byte(user))
	_ = xml.EscapeText(&p, []byte(pass))
	return `<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><env:Body><urn:login><urn:username>` +
		u.String() + `</urn:username><urn:password>` + p.String() + `</urn:password></urn:login></env:Body></env:Envelope>`
}

func soapPost(t *testing.T, s *salesforcetest.Server, version, body string, action *string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/services/Soap/u/"+version, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	if action != nil {
		req.Header.Set("SOAPAction", *action)
	}
	return do(t, req)
}

// loginResult holds the fields of a SOAP loginResponse, read by the element paths a client uses.
type loginResult struct {
	MetadataServerURL string `xml:"Body>loginResponse>result>metadataServerUrl"`
	PasswordExpired   bool   `xml:"Body>loginResponse>result>passwordExpired"`
	Sandbox           bool   `xml:"Body>loginResponse>result>sandbox"`
	ServerURL         string `xml:"Body>loginResponse>result>serverUrl"`
	SessionID         string `xml:"Body>loginResponse>result>sessionId"`
	UserID            string `xml:"Body>loginResponse>result>userId"`
	OrgID             string `xml:"Body>loginResponse>result>userInfo>organizationId"`
	SecondsValid      int    `xml:"Body>loginResponse>result>userInfo>sessionSecondsValid"`
	UserName          string `xml:"Body>loginResponse>result>userInfo>userName"`
	UserEmail         string `xml:"Body>loginResponse>result>userInfo>userEmail"`
	TimeZone          string `xml:"Body>loginResponse>result>userInfo>userTimeZone"`
}

// soapFaultBody holds a SOAP fault, read by namespace-free element paths.
type soapFaultBody struct {
	Code    string `xml:"Body>Fault>faultcode"`
	String  string `xml:"Body>Fault>faultstring"`
	ExCode  string `xml:"Body>Fault>detail>LoginFault>exceptionCode"`
	ExMsg   string `xml:"Body>Fault>detail>LoginFault>exceptionMessage"`
	Unknown string `xml:"Body>Fault>detail>UnexpectedErrorFault>exceptionCode"`
}

// soapLogin logs in with SOAP and returns the session id.
func soapLogin(t *testing.T, s *salesforcetest.Server) string {
	t.Helper()
	c := s.Credentials()
	r := soapPost(t, s, "62.0", soapEnvelope(c.UserName, c.Password+c.SecurityToken), nil)
	if r.status != http.StatusOK {
		t.Fatalf("SOAP login: %v", r)
	}
	var res loginResult
	if err := xml.Unmarshal(r.body, &res); err != nil {
		t.Fatalf("SOAP login response: %v", err)
	}
	return res.SessionID
}

func postForm(t *testing.T, s *salesforcetest.Server, form url.Values, basicUser, basicPass string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(url.QueryEscape(basicUser), url.QueryEscape(basicPass))
	}
	return do(t, req)
}

// oauthLogin logs in with the client credentials flow and returns the access token.
func oauthLogin(t *testing.T, s *salesforcetest.Server) string {
	t.Helper()
	c := s.Credentials()
	r := postForm(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("OAuth login: %v", r)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	mustJSON(t, r.body, &tok)
	return tok.AccessToken
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %.300s: %v", b, err)
	}
}

// restErr decodes a REST error array and returns its single entry.
func restErr(t *testing.T, r response) map[string]any {
	t.Helper()
	var errs []map[string]any
	mustJSON(t, r.body, &errs)
	if len(errs) != 1 {
		t.Fatalf("want one error entry, got %s", r.body)
	}
	return errs[0]
}

func wantRESTError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d (%s)", r.status, status, r.body)
	}
	e := restErr(t, r)
	if e["errorCode"] != code {
		t.Fatalf("errorCode = %v, want %s (%s)", e["errorCode"], code, r.body)
	}
	if m, _ := e["message"].(string); m == "" {
		t.Fatalf("error without a message: %s", r.body)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// missingKeys lists the keys of want that got lacks.
func missingKeys(want, got map[string]any) []string {
	var miss []string
	for _, k := range keysOf(want) {
		if _, ok := got[k]; !ok {
			miss = append(miss, k)
		}
	}
	return miss
}

// queryPage is one REST query page.
type queryPage struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL *string          `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// queryAllPages runs a query and follows nextRecordsUrl to the end.
func queryAllPages(t *testing.T, s *salesforcetest.Server, token, resource, soql string, hdr ...string) []queryPage {
	t.Helper()
	r := get(t, s, token, resource+"?q="+url.QueryEscape(soql), hdr...)
	var pages []queryPage
	for {
		if r.status != http.StatusOK {
			t.Fatalf("page %d: %v", len(pages), r)
		}
		var p queryPage
		mustJSON(t, r.body, &p)
		pages = append(pages, p)
		if p.Done {
			if p.NextRecordsURL != nil {
				t.Fatalf("last page has nextRecordsUrl %q", *p.NextRecordsURL)
			}
			return pages
		}
		if p.NextRecordsURL == nil {
			t.Fatalf("page %d: done=false without nextRecordsUrl", len(pages)-1)
		}
		r = get(t, s, token, *p.NextRecordsURL, hdr...)
	}
}

func fmtAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
}

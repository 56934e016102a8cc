package salesforcetest_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestErrorRateMixedAndReproducible(t *testing.T) {
	statuses := func() []int {
		s := newServer(t, salesforcetest.Options{})
		tok := soapLogin(t, s)
		s.SetFaults(salesforcetest.Faults{Seed: 42, ErrorRate: 0.6})
		var out []int
		kinds := map[string]bool{}
		for range 60 {
			r := get(t, s, tok, "limits")
			out = append(out, r.status)
			switch r.status {
			case http.StatusOK:
			case http.StatusInternalServerError:
				wantRESTError(t, r, 500, "UNKNOWN_EXCEPTION")
				kinds["500"] = true
			case http.StatusServiceUnavailable:
				wantRESTError(t, r, 503, "SERVER_UNAVAILABLE")
				kinds["503"] = true
			case 420:
				if len(r.body) == 0 {
					kinds["420 empty"] = true
				} else if strings.Contains(string(r.body), "<html>") {
					kinds["420 html"] = true
				} else {
					t.Errorf("420 body %q", r.body)
				}
			default:
				t.Fatalf("unexpected %v", r)
			}
		}
		if len(kinds) != 4 {
			t.Errorf("error kinds seen: %v", kinds)
		}
		return out
	}
	a, b := statuses(), statuses()
	if !equalInts(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
}

func TestErrorRateOnLogin(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Faults: salesforcetest.Faults{Seed: 1, ErrorRate: 1}})
	c := s.Credentials()
	sawSOAPFault := false
	for range 20 {
		r := soapPost(t, s, "62.0", soapEnvelope(c.UserName, c.Password+c.SecurityToken), nil)
		if r.status == http.StatusOK {
			t.Fatal("login succeeded with ErrorRate 1")
		}
		if r.status == 500 && strings.Contains(string(r.body), "sf:UNKNOWN_EXCEPTION") {
			sawSOAPFault = true
		}
		f := postForm(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "", "")
		if f.status == http.StatusOK {
			t.Fatal("OAuth login succeeded with ErrorRate 1")
		}
	}
	if !sawSOAPFault {
		t.Error("SOAP login's 500 is never a SOAP fault")
	}
}

func TestDropRateCutsBodies(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	s.SetFaults(salesforcetest.Faults{Seed: 5, DropRate: 1})
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id, Name FROM Account"), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept-Encoding", "identity") // keep Content-Length visible
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err) // headers arrive complete
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength <= 0 {
		t.Fatalf("status %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
	}
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read %d of %d bytes, err %v; want unexpected EOF", len(body), resp.ContentLength, err)
	}
	if int64(len(body)) >= resp.ContentLength {
		t.Fatalf("whole body delivered")
	}
}

func TestSessionExpiresEvery(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Faults: salesforcetest.Faults{SessionExpiresEvery: 3}})
	for _, login := range []func(*testing.T, *salesforcetest.Server) string{soapLogin, oauthLogin} {
		tok := login(t, s)
		for i := 1; i <= 3; i++ {
			if r := get(t, s, tok, "limits"); r.status != http.StatusOK {
				t.Fatalf("call %d: %v", i, r)
			}
		}
		wantRESTError(t, get(t, s, tok, "limits"), http.StatusUnauthorized, "INVALID_SESSION_ID")
		wantRESTError(t, get(t, s, tok, "limits"), http.StatusUnauthorized, "INVALID_SESSION_ID")
		fresh := login(t, s)
		if r := get(t, s, fresh, "limits"); r.status != http.StatusOK {
			t.Fatalf("fresh session: %v", r)
		}
	}
}

func TestRequestLimitAfter(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Faults: salesforcetest.Faults{RequestLimitAfter: 5}})
	tok := soapLogin(t, s)
	for i := 1; i <= 5; i++ {
		r := get(t, s, tok, "limits")
		if r.status != http.StatusOK {
			t.Fatalf("call %d: %v", i, r)
		}
		if want := "api-usage=" + string(rune('0'+i)) + "/5"; r.header.Get("Sforce-Limit-Info") != want {
			t.Errorf("Sforce-Limit-Info %q, want %q", r.header.Get("Sforce-Limit-Info"), want)
		}
	}
	for range 3 {
		r := get(t, s, tok, "query?q=SELECT+Id+FROM+Account")
		if r.status != http.StatusForbidden || string(r.body) != `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]` {
			t.Fatalf("over the limit: %v", r)
		}
	}
}

func TestQueryTimeoutAbove(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Counts: map[string]int{"Account": 300}, Faults: salesforcetest.Faults{QueryTimeoutAbove: 100}})
	tok := soapLogin(t, s)
	r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM Account"))
	wantRESTError(t, r, http.StatusBadRequest, "QUERY_TIMEOUT")
	if e := restErr(t, r); e["message"] != "Your query request was running for too long." {
		t.Errorf("message %v", e["message"])
	}
	// A narrower query passes.
	s.SetFaults(salesforcetest.Faults{})
	var first queryPage
	mustJSON(t, get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM Account LIMIT 1")).body, &first)
	s.SetFaults(salesforcetest.Faults{QueryTimeoutAbove: 100})
	if r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM Account WHERE Id = '"+first.Records[0]["Id"].(string)+"'")); r.status != http.StatusOK {
		t.Errorf("narrow query: %v", r)
	}
}

func TestLatency(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Faults: salesforcetest.Faults{Latency: 60 * time.Millisecond}})
	start := time.Now()
	get(t, s, "", "/services/data/")
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("answered after %v, latency 60ms", d)
	}
}

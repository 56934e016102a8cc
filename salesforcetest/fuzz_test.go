package salesforcetest_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// FuzzSOAPLoginEnvelope: whatever the body, the SOAP endpoint answers a well-formed SOAP fault (or
// a login response for the right credentials) and never a session for wrong ones.
func FuzzSOAPLoginEnvelope(f *testing.F) {
	s := salesforcetest.NewServer(salesforcetest.Options{})
	f.Cleanup(s.Close)
	c := s.Credentials()
	f.Add(soapEnvelope(c.UserName, c.Password+c.SecurityToken))
	f.Add(soapEnvelope(c.UserName, c.Password))
	f.Add(`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><login xmlns="urn:partner.soap.sforce.com"><username>a</username></login></Body></Envelope>`)
	f.Add("<<>>")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		r := soapPost(t, s, "62.0", body, nil)
		var res loginResult
		var fault soapFaultBody
		switch r.status {
		case http.StatusOK:
			if err := xml.Unmarshal(r.body, &res); err != nil || res.SessionID == "" {
				t.Fatalf("200 without a session: %s", r.body)
			}
			if !strings.Contains(body, c.Password+c.SecurityToken) && !strings.Contains(body, "&") && !strings.Contains(body, "CDATA") {
				t.Fatalf("login succeeded without the password: %q", body)
			}
		case http.StatusInternalServerError:
			if err := xml.Unmarshal(r.body, &fault); err != nil || fault.Code == "" {
				t.Fatalf("500 without a SOAP fault: %s", r.body)
			}
		default:
			t.Fatalf("status %d", r.status)
		}
	})
}

// FuzzDeletedDates: any start/end answers 200 or a 400 error array, never anything else.
func FuzzDeletedDates(f *testing.F) {
	s := salesforcetest.NewServer(salesforcetest.Options{Counts: map[string]int{"Contact": 5}})
	f.Cleanup(s.Close)
	f.Add("2025-05-30T00:00:00+00:00", "2025-06-01T00:00:00+00:00")
	f.Add("2025-05-30T00:00:00Z", "2025-06-01T00:00:00.000+0000")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, start, end string) {
		tok := soapLogin(t, s)
		r := get(t, s, tok, "sobjects/Contact/deleted/?start="+url.QueryEscape(start)+"&end="+url.QueryEscape(end))
		switch r.status {
		case http.StatusOK:
		case http.StatusBadRequest:
			restErr(t, r)
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}

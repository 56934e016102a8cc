package salesforcetest_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func ptr(s string) *string { return &s }

func TestSOAPLoginSuccessMatchesRecordedShape(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	c := s.Credentials()
	// The recorded response and ours must both answer the same element paths.
	var recorded loginResult
	if err := xml.Unmarshal(readFixture(t, "soap_login_success.xml"), &recorded); err != nil {
		t.Fatal(err)
	}
	if recorded.SessionID == "" || recorded.ServerURL == "" || recorded.SecondsValid != 7200 {
		t.Fatalf("the element paths do not read the recorded fixture: %+v", recorded)
	}
	for _, action := range []*string{ptr("login"), ptr(`""`), ptr(""), nil} {
		r := soapPost(t, s, "62.0", soapEnvelope(strings.ToUpper(c.UserName), c.Password+c.SecurityToken), action)
		if r.status != http.StatusOK {
			t.Fatalf("SOAPAction %v: %v", action, r)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			t.Errorf("Content-Type = %q", ct)
		}
		var got loginResult
		if err := xml.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		wantServer := s.URL() + "/services/Soap/u/62.0/"
		if !strings.HasPrefix(got.ServerURL, wantServer) || !strings.HasPrefix(got.MetadataServerURL, s.URL()+"/services/Soap/m/62.0/") {
			t.Errorf("serverUrl %q / metadataServerUrl %q", got.ServerURL, got.MetadataServerURL)
		}
		if got.PasswordExpired || got.Sandbox || got.SecondsValid != 7200 || got.UserName != c.UserName || got.UserEmail == "" || got.TimeZone == "" {
			t.Errorf("login result %+v", got)
		}
		idRE := regexp.MustCompile(`^[0-9A-Za-z]{18}$`)
		if !strings.HasPrefix(got.OrgID, "00D") || !idRE.MatchString(got.OrgID) || !strings.HasPrefix(got.UserID, "005") || !idRE.MatchString(got.UserID) {
			t.Errorf("ids %q %q", got.OrgID, got.UserID)
		}
		if !strings.HasPrefix(got.SessionID, got.OrgID[:15]+"!") {
			t.Errorf("session id does not look like Salesforce's: %.20s...", got.SessionID)
		}
		if r := get(t, s, got.SessionID, "limits"); r.status != http.StatusOK {
			t.Fatalf("session not usable: %v", r)
		}
	}
}

func TestSOAPLoginFaults(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	c := s.Credentials()
	good := soapEnvelope(c.UserName, c.Password+c.SecurityToken)
	tests := []struct {
		name, version, body string
		faults              salesforcetest.Faults
		code, msgPart       string
	}{
		{"wrong password", "62.0", soapEnvelope(c.UserName, "nope"+c.SecurityToken), salesforcetest.Faults{}, "INVALID_LOGIN", "Invalid username, password"},
		{"unknown user", "62.0", soapEnvelope("x@y.z", c.Password+c.SecurityToken), salesforcetest.Faults{}, "INVALID_LOGIN", "Invalid username"},
		{"token missing", "62.0", soapEnvelope(c.UserName, c.Password), salesforcetest.Faults{}, "LOGIN_MUST_USE_SECURITY_TOKEN", "security token"},
		{"retired in v65", "65.0", good, salesforcetest.Faults{}, "INVALID_OPERATION", "not available in the API version"},
		{"disabled for the org", "62.0", good, salesforcetest.Faults{SOAPLoginDisabled: true}, "INVALID_OPERATION", "disabled"},
		{"unknown version", "99.0", good, salesforcetest.Faults{}, "UNSUPPORTED_API_VERSION", "Api version"},
		{"retired version", "20.0", good, salesforcetest.Faults{}, "UNSUPPORTED_API_VERSION", "Api version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetFaults(tt.faults)
			t.Cleanup(func() { s.SetFaults(salesforcetest.Faults{}) })
			r := soapPost(t, s, tt.version, tt.body, ptr("login"))
			if r.status != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500: %s", r.status, r.body)
			}
			var f soapFaultBody
			if err := xml.Unmarshal(r.body, &f); err != nil {
				t.Fatal(err)
			}
			if f.Code != "sf:"+tt.code || f.ExCode != tt.code || !strings.Contains(f.ExMsg, tt.msgPart) || !strings.HasPrefix(f.String, tt.code+": ") {
				t.Fatalf("fault %+v", f)
			}
			if !strings.Contains(string(r.body), `xmlns:sf="urn:fault.partner.soap.sforce.com"`) {
				t.Errorf("fault namespace missing: %s", r.body)
			}
		})
	}
	// The recorded fault parses with the same paths.
	var rec soapFaultBody
	if err := xml.Unmarshal(readFixture(t, "soap_login_fault_invalid_login.xml"), &rec); err != nil || rec.ExCode != "INVALID_LOGIN" {
		t.Fatalf("recorded fault: %+v %v", rec, err)
	}
	// A malformed envelope is a client fault, never a session.
	r := soapPost(t, s, "62.0", "<not-soap/>", nil)
	if r.status != http.StatusInternalServerError || !strings.Contains(string(r.body), "soapenv:Client") {
		t.Fatalf("malformed envelope: %v", r)
	}
}

func TestPasswordExpiredSession(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Faults: salesforcetest.Faults{PasswordExpired: true}})
	c := s.Credentials()
	r := soapPost(t, s, "62.0", soapEnvelope(c.UserName, c.Password+c.SecurityToken), nil)
	var got loginResult
	if err := xml.Unmarshal(r.body, &got); err != nil || !got.PasswordExpired {
		t.Fatalf("passwordExpired not true: %v %v", r, err)
	}
	wantRESTError(t, get(t, s, got.SessionID, "limits"), http.StatusUnauthorized, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD")
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
	ID          string `json:"id"`
	TokenType   string `json:"token_type"`
	IssuedAt    string `json:"issued_at"`
	Signature   string `json:"signature"`
	Scope       string `json:"scope"`
}

func signJWT(t *testing.T, pemKey string, claims jwt.MapClaims, method jwt.SigningMethod) string {
	t.Helper()
	if method == jwt.SigningMethodHS256 {
		tok, err := jwt.NewWithClaims(method, claims).SignedString([]byte("not-the-key"))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(pemKey))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestOAuthFlows(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	c := s.Credentials()
	exp := time.Now().Add(3 * time.Minute).Unix()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		m := jwt.MapClaims{"iss": c.ClientID, "sub": c.UserName, "aud": "https://login.salesforce.com", "exp": exp}
		if mod != nil {
			mod(m)
		}
		return m
	}
	jwtForm := func(assertion string) url.Values {
		return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	}
	ok := []struct {
		name              string
		form              url.Values
		basicID, basicSec string
		scope             bool
	}{
		{"password", url.Values{"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}, "username": {c.UserName}, "password": {c.Password + c.SecurityToken}}, "", "", false},
		{"client credentials in body", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "", "", false},
		{"client credentials basic", url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret, false},
		{"jwt bearer login host", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(nil), jwt.SigningMethodRS256)), "", "", true},
		{"jwt bearer own url", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(func(m jwt.MapClaims) { m["aud"] = s.URL() }), jwt.SigningMethodRS256)), "", "", true},
		{"jwt bearer test host", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(func(m jwt.MapClaims) { m["aud"] = "https://test.salesforce.com" }), jwt.SigningMethodRS256)), "", "", true},
		{"refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {c.ClientID}, "refresh_token": {c.RefreshToken}}, "", "", true},
		{"refresh token with secret", url.Values{"grant_type": {"refresh_token"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}, "refresh_token": {c.RefreshToken}}, "", "", true},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			r := postForm(t, s, tt.form, tt.basicID, tt.basicSec)
			if r.status != http.StatusOK {
				t.Fatalf("%v", r)
			}
			var raw, recorded map[string]any
			mustJSON(t, r.body, &raw)
			mustJSON(t, readFixture(t, "auth_success_response.json"), &recorded)
			if m := missingKeys(recorded, raw); len(m) > 0 {
				t.Errorf("token response lacks the recorded keys %v", m)
			}
			if _, has := raw["expires_in"]; has {
				t.Error("token response has expires_in")
			}
			if _, isStr := raw["issued_at"].(string); !isStr {
				t.Errorf("issued_at is not a string: %v", raw["issued_at"])
			}
			var tok tokenResponse
			mustJSON(t, r.body, &tok)
			if ms, err := strconv.ParseInt(tok.IssuedAt, 10, 64); err != nil || time.Since(time.UnixMilli(ms)) > time.Minute {
				t.Errorf("issued_at %q", tok.IssuedAt)
			}
			if tok.InstanceURL != s.URL() || tok.TokenType != "Bearer" || tok.Signature == "" || !regexp.MustCompile(`/id/00D\w{15}/005\w{15}$`).MatchString(tok.ID) {
				t.Errorf("token response %s", r.body)
			}
			if (tok.Scope != "") != tt.scope {
				t.Errorf("scope %q", tok.Scope)
			}
			lim := get(t, s, tok.AccessToken, "limits")
			if lim.status != http.StatusOK || !strings.Contains(lim.header.Get("Sforce-Limit-Info"), ";per-app-api-usage=") {
				t.Fatalf("token not usable or no per-app usage: %v %v", lim, lim.header)
			}
		})
	}

	bad := []struct {
		name, err, desc string
		form            url.Values
		basicID         string
	}{
		{"password wrong", "invalid_grant", "authentication failure", url.Values{"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}, "username": {c.UserName}, "password": {"x"}}, ""},
		{"password without token", "invalid_grant", "authentication failure", url.Values{"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}, "username": {c.UserName}, "password": {c.Password}}, ""},
		{"unknown client", "invalid_client_id", "client identifier invalid", url.Values{"grant_type": {"client_credentials"}, "client_id": {"nope"}, "client_secret": {c.ClientSecret}}, ""},
		{"wrong secret", "invalid_client", "invalid client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {"nope"}}, ""},
		{"wrong basic secret", "invalid_client", "invalid client credentials", url.Values{"grant_type": {"client_credentials"}}, c.ClientID},
		{"unsupported grant", "unsupported_grant_type", "grant type not supported", url.Values{"grant_type": {"authorization_code"}}, ""},
		{"missing grant", "unsupported_grant_type", "grant type not supported", url.Values{}, ""},
		{"bad refresh token", "invalid_grant", "expired access/refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {c.ClientID}, "refresh_token": {"nope"}}, ""},
		{"jwt unknown user", "invalid_grant", "user hasn't approved this consumer", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(func(m jwt.MapClaims) { m["sub"] = "who@else.example" }), jwt.SigningMethodRS256)), ""},
		{"jwt bad audience", "invalid_grant", "audience is invalid", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(func(m jwt.MapClaims) { m["aud"] = "https://evil.example" }), jwt.SigningMethodRS256)), ""},
		{"jwt wrong issuer", "invalid_client_id", "client identifier invalid", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(func(m jwt.MapClaims) { m["iss"] = "someone" }), jwt.SigningMethodRS256)), ""},
		{"jwt expired", "invalid_grant", "expired authorization code", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(func(m jwt.MapClaims) { m["exp"] = time.Now().Add(-time.Minute).Unix() }), jwt.SigningMethodRS256)), ""},
		{"jwt too far ahead", "invalid_grant", "expired authorization code", jwtForm(signJWT(t, c.PrivateKeyPEM, claims(func(m jwt.MapClaims) { m["exp"] = time.Now().Add(24 * time.Hour).Unix() }), jwt.SigningMethodRS256)), ""},
		{"jwt HS256", "invalid_grant", "invalid assertion", jwtForm(signJWT(t, "", claims(nil), jwt.SigningMethodHS256)), ""},
		{"jwt garbage", "invalid_grant", "invalid assertion", jwtForm("a.b.c"), ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := postForm(t, s, tt.form, tt.basicID, "wrong")
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var e map[string]string
			mustJSON(t, r.body, &e)
			if e["error"] != tt.err || e["error_description"] != tt.desc || len(e) != 2 {
				t.Fatalf("got %s", r.body)
			}
		})
	}
}

func TestSecretsNotPrinted(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Password: "pw-secret-1", SecurityToken: "tok-secret-2", ClientSecret: "cs-secret-3"})
	c := s.Credentials()
	opts := salesforcetest.Options{Password: "pw-secret-1", SecurityToken: "tok-secret-2", ClientSecret: "cs-secret-3"}
	for _, out := range []string{fmtAll(c), fmtAll(opts)} {
		for _, secret := range []string{"pw-secret-1", "tok-secret-2", "cs-secret-3", c.RefreshToken, "PRIVATE KEY"} {
			if strings.Contains(out, secret) {
				t.Errorf("formatted value leaks a secret: %s", out)
			}
		}
	}
}

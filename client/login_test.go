package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenJSON is a token response in the shape of restforce's recorded one (no token_type, no
// expires_in, issued_at as a string), pointing at the test server.
func tokenJSON(instance, access string) string {
	return fmt.Sprintf(`{"id":"https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P","issued_at":"1278448832702","instance_url":%q,"signature":"0CmxinZir53Yex7nE0TD+zMpvIWYGb/bdJh6XfOH6EQ=","access_token":%q}`, instance, access)
}

// checkForm returns a problem with an OAuth request's form, or "".
type formCheck func(t testing.TB, f url.Values) string

func wantForm(want map[string]string) formCheck {
	return func(_ testing.TB, f url.Values) string {
		for k, v := range want {
			if got := f.Get(k); got != v {
				return fmt.Sprintf("form %s = %q, want %q", k, got, v)
			}
		}
		return ""
	}
}

func TestLoginFlowsSucceed(t *testing.T) {
	tests := []struct {
		name  string
		creds func(instance string) Credentials
		flow  Flow
		form  formCheck // for OAuth flows
	}{
		{
			name: "oauth password",
			creds: func(string) Credentials {
				return Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, UserName: testUser, Password: secretPassword, SecurityToken: secretToken}
			},
			flow: FlowPassword,
			form: wantForm(map[string]string{"grant_type": "password", "client_id": testClientID, "client_secret": secretClientSecret,
				"username": testUser, "password": secretPassword + secretToken}),
		},
		{
			name:  "client credentials",
			creds: func(string) Credentials { return Credentials{ClientID: testClientID, ClientSecret: secretClientSecret} },
			flow:  FlowClientCredentials,
			form:  wantForm(map[string]string{"grant_type": "client_credentials", "client_id": testClientID, "client_secret": secretClientSecret}),
		},
		{
			name:  "refresh token",
			creds: func(string) Credentials { return Credentials{ClientID: testClientID, RefreshToken: secretRefresh} },
			flow:  FlowRefreshToken,
			form:  wantForm(map[string]string{"grant_type": "refresh_token", "client_id": testClientID, "refresh_token": secretRefresh}),
		},
		{
			name: "jwt bearer pkcs1 inline",
			creds: func(string) Credentials {
				return Credentials{ClientID: testClientID, UserName: testUser, PrivateKey: pkcs1PEM(t)}
			},
			flow: FlowJWT,
			form: checkJWT,
		},
		{
			name: "jwt bearer pkcs8 file",
			creds: func(string) Credentials {
				p := filepath.Join(t.TempDir(), "server.key")
				if err := os.WriteFile(p, []byte(pkcs8PEM(t)), 0o600); err != nil {
					t.Fatal(err)
				}
				return Credentials{ClientID: testClientID, UserName: testUser, PrivateKeyFile: p}
			},
			flow: FlowJWT,
			form: checkJWT,
		},
		{
			name: "forced password flow",
			creds: func(string) Credentials {
				return Credentials{Flow: FlowPassword, ClientID: testClientID, UserName: testUser, Password: secretPassword}
			},
			flow: FlowPassword,
			form: wantForm(map[string]string{"grant_type": "password", "password": secretPassword}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/services/oauth2/token":
					mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
					if r.Method != http.MethodPost || mt != "application/x-www-form-urlencoded" {
						t.Errorf("token request %s %s", r.Method, mt)
					}
					if err := r.ParseForm(); err != nil {
						t.Fatal(err)
					}
					if r.URL.RawQuery != "" {
						t.Errorf("token request carries a query (secrets belong in the body): %q", r.URL.RawQuery)
					}
					if p := tt.form(t, r.PostForm); p != "" {
						t.Error(p)
						writeJSON(w, 400, `{"error":"invalid_grant","error_description":"authentication failure"}`)
						return
					}
					writeJSON(w, 200, tokenJSON(s.URL, secretAccess1))
				case "/services/data/v64.0/limits":
					if !authOK(r, secretAccess1) {
						invalidSession(w, t)
						return
					}
					writeJSON(w, 200, fixture(t, "camel/limits.json"))
				default:
					http.NotFound(w, r)
				}
			})
			c, err := New(context.Background(), fastRetry(Config{Credentials: tt.creds(srv.URL), LoginURL: srv.URL}))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.flow != tt.flow {
				t.Errorf("flow = %s, want %s", c.flow, tt.flow)
			}
			if c.InstanceURL() != srv.URL {
				t.Errorf("InstanceURL = %q, want %q", c.InstanceURL(), srv.URL)
			}
			if _, err := c.Limits(context.Background()); err != nil {
				t.Errorf("Limits with the new session: %v", err)
			}
		})
	}
}

// checkJWT verifies a JWT bearer request: RS256, iss, sub, aud, exp within 3 minutes.
func checkJWT(t testing.TB, f url.Values) string {
	if g := f.Get("grant_type"); g != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		return "grant_type " + g
	}
	tok, err := jwt.ParseWithClaims(f.Get("assertion"), &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) {
		return &rsaKey(t).PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(testClientID), jwt.WithSubject(testUser), jwt.WithExpirationRequired())
	if err != nil {
		return "assertion: " + err.Error()
	}
	cl := tok.Claims.(*jwt.RegisteredClaims)
	if len(cl.Audience) != 1 || !strings.HasPrefix(cl.Audience[0], "http://127.0.0.1:") {
		return fmt.Sprintf("aud = %v, want the login URL", cl.Audience)
	}
	if d := time.Until(cl.ExpiresAt.Time); d <= 0 || d > 3*time.Minute+time.Second {
		return fmt.Sprintf("exp in %v, want about 3 minutes", d)
	}
	return ""
}

func TestJWTAudience(t *testing.T) {
	tests := []struct{ domain, loginURL, want string }{
		{"", "", "https://login.salesforce.com"},
		{"login", "", "https://login.salesforce.com"},
		{"test", "", "https://test.salesforce.com"},
		{"acme.my", "", "https://acme.my.salesforce.com"},
		{"", "https://acme.my.site.com/customers", "https://acme.my.site.com/customers"},
	}
	for _, tt := range tests {
		c, err := newClient(Config{Domain: tt.domain, LoginURL: tt.loginURL,
			Credentials: Credentials{ClientID: testClientID, UserName: testUser, PrivateKey: pkcs1PEM(t)}})
		if err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		signed, err := c.jwtAssertion(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var cl jwt.RegisteredClaims
		if _, err := jwt.ParseWithClaims(signed, &cl, func(*jwt.Token) (any, error) { return &rsaKey(t).PublicKey, nil }); err != nil {
			t.Fatal(err)
		}
		if len(cl.Audience) != 1 || cl.Audience[0] != tt.want {
			t.Errorf("domain %q loginURL %q: aud = %v, want %s", tt.domain, tt.loginURL, cl.Audience, tt.want)
		}
	}
}

// soapServer answers SOAP login with body (serverUrl host replaced by the test server) and
// checks the request.
func soapServer(t *testing.T, status int, body func(s *server) string, wantVersion string) *server {
	return newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/data/v"+DefaultAPIVersion+"/limits" || strings.HasSuffix(r.URL.Path, "/limits") {
			if !authOK(r, "12345") {
				invalidSession(w, t)
				return
			}
			writeJSON(w, 200, `{}`)
			return
		}
		if r.URL.Path != "/services/Soap/u/"+wantVersion {
			t.Errorf("SOAP login path %s, want /services/Soap/u/%s", r.URL.Path, wantVersion)
		}
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "text/xml" || !strings.EqualFold(params["charset"], "utf-8") {
			t.Errorf("SOAP Content-Type %q", r.Header.Get("Content-Type"))
		}
		if a := r.Header.Get("SOAPAction"); a != "login" && a != `""` {
			t.Errorf("SOAPAction %q", a)
		}
		var env struct {
			Body struct {
				Login struct {
					XMLName  xml.Name
					UserName string `xml:"username"`
					Password string `xml:"password"`
				} `xml:"urn:partner.soap.sforce.com login"`
			} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
		}
		raw, _ := io.ReadAll(r.Body)
		if err := xml.Unmarshal(raw, &env); err != nil {
			t.Errorf("SOAP request body: %v\n%s", err, raw)
		}
		if env.Body.Login.UserName != testUser+"<&>" || env.Body.Login.Password != secretPassword+secretToken {
			t.Errorf("SOAP login username %q password len %d", env.Body.Login.UserName, len(env.Body.Login.Password))
		}
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(status)
		io.WriteString(w, body(s))
	})
}

func soapCreds() Credentials {
	return Credentials{UserName: testUser + "<&>", Password: secretPassword, SecurityToken: secretToken}
}

func TestSOAPLoginSucceeds(t *testing.T) {
	for _, tt := range []struct{ apiVersion, soapVersion string }{{"", "64.0"}, {"66.0", "64.0"}, {"62.0", "62.0"}, {"v63.0", "63.0"}} {
		t.Run("api "+tt.apiVersion, func(t *testing.T) {
			srv := soapServer(t, 200, func(s *server) string {
				return strings.ReplaceAll(string(fixture(t, "simple-salesforce/soap_login_success.xml")), "https://na15.salesforce.com", s.URL)
			}, tt.soapVersion)
			c, err := New(context.Background(), fastRetry(Config{Credentials: soapCreds(), LoginURL: srv.URL, APIVersion: tt.apiVersion}))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.flow != FlowSOAP || c.InstanceURL() != srv.URL {
				t.Errorf("flow %s instance %s", c.flow, c.InstanceURL())
			}
			if _, err := c.Limits(context.Background()); err != nil {
				t.Errorf("Limits with the SOAP session: %v", err)
			}
		})
	}
}

func TestParseSOAPLoginResponseGolden(t *testing.T) {
	r, err := ParseSOAPLoginResponse(fixture(t, "simple-salesforce/soap_login_success.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if r.SessionID != "12345" || r.ServerURL != "https://na15.salesforce.com/services/Soap/c/29.0/00Di0000000icUB/0DFi00000008UYO" ||
		r.PasswordExpired || r.Sandbox || r.UserID != "005i0000002MUqLAAW" || r.UserInfo.OrganizationID != "00Di0000000icUBEAY" ||
		r.UserInfo.SessionSecondsValid != 7200 || r.UserInfo.UserTimeZone != "America/Los_Angeles" {
		t.Errorf("parsed %+v", r)
	}
	_, err = ParseSOAPLoginResponse(fixture(t, "simple-salesforce/soap_login_fault_invalid_login.xml"))
	var f *SOAPFault
	if !errors.As(err, &f) || f.Code != "INVALID_LOGIN" || f.Message != "Invalid username, password, security token; or user locked out." {
		t.Errorf("fault: %v", err)
	}
	partner := `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result><serverUrl>https://x.my.salesforce.com/services/Soap/u/64.0/00D</serverUrl><sessionId>s</sessionId><passwordExpired>true</passwordExpired></result></loginResponse></soapenv:Body></soapenv:Envelope>`
	if r, err := ParseSOAPLoginResponse([]byte(partner)); err != nil || !r.PasswordExpired || r.SessionID != "s" {
		t.Errorf("partner namespace: %+v %v", r, err)
	}
	wrongNS := strings.ReplaceAll(partner, "urn:partner.soap.sforce.com", "urn:other")
	if _, err := ParseSOAPLoginResponse([]byte(wrongNS)); err == nil {
		t.Error("a loginResponse in an unknown namespace was accepted")
	}
}

func soapFaultXML(faultcode, exceptionCode, message string) string {
	detail := ""
	if exceptionCode != "" {
		detail = `<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>` + exceptionCode + `</sf:exceptionCode><sf:exceptionMessage>` + message + `</sf:exceptionMessage></sf:LoginFault></detail>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>` +
		faultcode + `</faultcode><faultstring>` + faultcode + `: ` + message + `</faultstring>` + detail + `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
}

// loginFailure is one documented login failure and the error it must produce.
type loginFailure struct {
	name     string
	creds    Credentials
	status   int
	body     func(s *server) string
	ctype    string
	is       []error
	code     string
	contains []string // in the error text
	calls    int64    // requests the server must see
}

func loginFailures(t *testing.T) []loginFailure {
	soap := soapCreds()
	pw := Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, UserName: testUser, Password: secretPassword, SecurityToken: secretToken}
	static := func(b string) func(*server) string { return func(*server) string { return b } }
	file := func(n string) func(*server) string { return static(string(fixture(t, n))) }
	return []loginFailure{
		{name: "soap invalid login (recorded fault)", creds: soap, status: 500, body: file("simple-salesforce/soap_login_fault_invalid_login.xml"), ctype: "text/xml",
			is: []error{ErrLogin, ErrInvalidLogin}, code: CodeInvalidLogin, contains: []string{"soap", "127.0.0.1", "Invalid username, password, security token"}, calls: 1},
		{name: "soap sf: prefixed faultcode without detail", creds: soap, status: 500, body: static(soapFaultXML("sf:INVALID_LOGIN", "", "Invalid username")), ctype: "text/xml",
			is: []error{ErrLogin, ErrInvalidLogin}, code: CodeInvalidLogin, calls: 1},
		{name: "soap retired", creds: soap, status: 500, body: static(soapFaultXML("sf:INVALID_OPERATION", "INVALID_OPERATION", "The SOAP Login operation is not available in the API version specified")), ctype: "text/xml",
			is: []error{ErrLogin, ErrSOAPLoginUnavailable}, code: CodeInvalidOperation, contains: []string{"v65", "OAuth"}, calls: 1},
		{name: "soap security token", creds: soap, status: 500, body: static(soapFaultXML("sf:LOGIN_MUST_USE_SECURITY_TOKEN", "LOGIN_MUST_USE_SECURITY_TOKEN", "Invalid username, password, security token; or user locked out. Are you at a new location?")), ctype: "text/xml",
			is: []error{ErrLogin, ErrInvalidLogin}, code: CodeLoginMustUseSecurityToken, contains: []string{"SecurityToken"}, calls: 1},
		{name: "soap password expired", creds: soap, status: 200, ctype: "text/xml", body: func(s *server) string {
			return strings.Replace(strings.ReplaceAll(string(fixture(t, "simple-salesforce/soap_login_success.xml")), "https://na15.salesforce.com", s.URL),
				"<passwordExpired>false</passwordExpired>", "<passwordExpired>true</passwordExpired>", 1)
		}, is: []error{ErrLogin, ErrPasswordExpired}, code: CodePasswordExpired, contains: []string{"expired", "new password"}, calls: 1},
		{name: "soap 500 html keeps failing", creds: soap, status: 500, body: static("<html>maintenance</html>"), ctype: "text/html",
			is: []error{ErrLogin}, contains: []string{"giving up", "text/html"}, calls: 4},
		{name: "soap instance over plain http", creds: soap, status: 200, ctype: "text/xml", body: func(*server) string {
			return strings.ReplaceAll(string(fixture(t, "simple-salesforce/soap_login_success.xml")), "https://na15", "http://na15")
		}, is: []error{ErrLogin}, contains: []string{"http://", "https"}, calls: 1},
		{name: "oauth password invalid (recorded)", creds: pw, status: 400, body: file("restforce/auth_error_response.json"), ctype: "application/json;charset=UTF-8",
			is: []error{ErrLogin, ErrInvalidLogin}, code: "invalid_grant", contains: []string{"password", "authentication failure - Invalid Password"}, calls: 1},
		{name: "jwt not approved (recorded)", creds: Credentials{ClientID: testClientID, UserName: testUser, PrivateKey: pkcs8PEM(t)}, status: 400,
			body: file("simple-salesforce/oauth_error_invalid_grant_not_approved.json"), ctype: "application/json",
			is: []error{ErrLogin, ErrInvalidLogin}, code: "invalid_grant", contains: []string{"jwt", "hasn't approved", "pre-authorize"}, calls: 1},
		{name: "refresh expired (recorded)", creds: Credentials{ClientID: testClientID, RefreshToken: secretRefresh}, status: 400,
			body: file("restforce/refresh_error_response.json"), ctype: "application/json",
			is: []error{ErrLogin, ErrInvalidLogin}, code: "invalid_grant", contains: []string{"refresh_token", "expired access/refresh token", "authorize"}, calls: 1},
		{name: "client credentials on a non-My-Domain host", creds: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret}, status: 400,
			body: static(`{"error":"invalid_grant","error_description":"request not supported on this domain"}`), ctype: "application/json",
			is: []error{ErrLogin}, code: "invalid_grant", contains: []string{"client_credentials", "My Domain", "Domain"}, calls: 1},
		{name: "invalid client id", creds: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret}, status: 400,
			body: static(`{"error":"invalid_client_id","error_description":"client identifier invalid"}`), ctype: "application/json",
			is: []error{ErrLogin, ErrInvalidLogin}, code: "invalid_client_id", contains: []string{"ClientID"}, calls: 1},
		{name: "unsupported grant", creds: pw, status: 400,
			body: static(`{"error":"unsupported_grant_type","error_description":"grant type not supported"}`), ctype: "application/json",
			is: []error{ErrLogin}, code: "unsupported_grant_type", contains: []string{"enable"}, calls: 1},
		{name: "oauth 503 html keeps failing", creds: pw, status: 503, body: static("<html>down</html>"), ctype: "text/html",
			is: []error{ErrLogin}, contains: []string{"giving up", "503"}, calls: 4},
		{name: "token without instance url", creds: pw, status: 200, body: static(`{"access_token":"` + secretAccess1 + `","issued_at":"1"}`), ctype: "application/json",
			is: []error{ErrLogin}, contains: []string{"instance URL"}, calls: 1},
	}
}

func TestLoginFailures(t *testing.T) {
	for _, tt := range loginFailures(t) {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body(s))
			})
			var logs logBuffer
			_, err := New(context.Background(), fastRetry(Config{Credentials: tt.creds, LoginURL: srv.URL, MaxRetries: 3, Logger: logs.logger()}))
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("error is not %v: %v", target, err)
				}
			}
			var le *LoginError
			if !errors.As(err, &le) {
				t.Fatalf("not a *LoginError: %T %v", err, err)
			}
			if le.Host != srv.Listener.Addr().String() {
				t.Errorf("Host = %q", le.Host)
			}
			if tt.code != "" && le.Code != tt.code {
				t.Errorf("Code = %q, want %q", le.Code, tt.code)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q: %v", s, err)
				}
			}
			if got := srv.calls.Load(); got != tt.calls {
				t.Errorf("server saw %d calls, want %d", got, tt.calls)
			}
			assertNoSecrets(t, "login error", err.Error())
			assertNoSecrets(t, "log", logs.String())
		})
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	jwtWith := func(key string) Credentials {
		return Credentials{ClientID: testClientID, UserName: testUser, PrivateKey: key}
	}
	tests := []struct {
		name     string
		cfg      Config
		contains string
	}{
		{"nothing set", Config{}, "no login flow"},
		{"session without instance", Config{Credentials: Credentials{SessionID: secretSession}}, "InstanceURL"},
		{"jwt without user", Config{Credentials: Credentials{ClientID: testClientID, PrivateKey: pkcs1PEM(t)}}, "UserName"},
		{"jwt key and file", Config{Credentials: Credentials{ClientID: testClientID, UserName: testUser, PrivateKey: pkcs1PEM(t), PrivateKeyFile: "x"}}, "not both"},
		{"jwt key not pem", Config{Credentials: jwtWith(secretPassword)}, "no PEM block"},
		{"jwt key a path", Config{Credentials: jwtWith("/etc/server.key")}, "PrivateKeyFile"},
		{"jwt key corrupt", Config{Credentials: jwtWith("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")}, "invalid PKCS#1"},
		{"jwt key not rsa", Config{Credentials: jwtWith(ecPEM)}, "needs an RSA key"},
		{"jwt key encrypted", Config{Credentials: jwtWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")}, "encrypted"},
		{"jwt key certificate", Config{Credentials: jwtWith("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}, "CERTIFICATE"},
		{"jwt key file missing", Config{Credentials: Credentials{ClientID: testClientID, UserName: testUser, PrivateKeyFile: filepath.Join(dir, "nope.key")}}, "reading PrivateKeyFile"},
		{"forced flow missing field", Config{Credentials: Credentials{Flow: FlowRefreshToken, ClientID: testClientID}}, "needs RefreshToken"},
		{"unknown flow", Config{Credentials: Credentials{Flow: "magic", UserName: testUser}}, "unknown flow"},
		{"client credentials on login host", Config{Credentials: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret}}, "My Domain"},
		{"client credentials on test host", Config{Domain: "test", Credentials: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret}}, "My Domain"},
		{"bad api version", Config{APIVersion: "latest", Credentials: soapCreds()}, "APIVersion"},
		{"http login url", Config{LoginURL: "http://login.salesforce.com", Credentials: soapCreds()}, "http://"},
		{"session on http instance", Config{Credentials: Credentials{SessionID: secretSession, InstanceURL: "http://acme.my.salesforce.com"}}, "http://"},
		{"domain with scheme", Config{Domain: "https://acme.my.salesforce.com", Credentials: soapCreds()}, "LoginURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(*server, http.ResponseWriter, *http.Request) {})
			if tt.cfg.LoginURL == "" && tt.cfg.Domain == "" && tt.name != "client credentials on login host" {
				// Any login attempt would reach the test server, which counts it.
				tt.cfg.LoginURL = srv.URL
			}
			_, err := New(context.Background(), tt.cfg)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error lacks %q: %v", tt.contains, err)
			}
			if n := srv.calls.Load(); n != 0 {
				t.Errorf("a config error made %d network calls", n)
			}
			assertNoSecrets(t, "config error", err.Error())
		})
	}
}

func TestFlowSelection(t *testing.T) {
	key := "-----BEGIN RSA PRIVATE KEY-----\n..."
	tests := []struct {
		creds   Credentials
		flow    Flow
		relogin Flow // flow that renews an expired session; "" when none
	}{
		{Credentials{SessionID: "s", InstanceURL: "https://x.my.salesforce.com"}, FlowSession, ""},
		{Credentials{SessionID: "s", InstanceURL: "https://x", RefreshToken: "r", ClientID: "c"}, FlowSession, FlowRefreshToken},
		{Credentials{PrivateKey: key, ClientID: "c", UserName: "u", Password: "p"}, FlowJWT, FlowJWT},
		{Credentials{PrivateKeyFile: "k", ClientID: "c", UserName: "u"}, FlowJWT, FlowJWT},
		{Credentials{RefreshToken: "r", ClientID: "c", ClientSecret: "s"}, FlowRefreshToken, FlowRefreshToken},
		{Credentials{ClientID: "c", ClientSecret: "s"}, FlowClientCredentials, FlowClientCredentials},
		{Credentials{ClientID: "c", ClientSecret: "s", UserName: "u", Password: "p"}, FlowPassword, FlowPassword},
		{Credentials{ClientID: "c", UserName: "u", Password: "p"}, FlowPassword, FlowPassword},
		{Credentials{UserName: "u", Password: "p", SecurityToken: "t"}, FlowSOAP, FlowSOAP},
		{Credentials{UserName: "u", Password: "p"}, FlowSOAP, FlowSOAP},
		{Credentials{Flow: FlowSOAP, UserName: "u", Password: "p", ClientID: "c"}, FlowSOAP, FlowSOAP},
	}
	for _, tt := range tests {
		got, err := tt.creds.flow()
		if err != nil || got != tt.flow {
			t.Errorf("%v: flow %s, %v; want %s", tt.creds, got, err, tt.flow)
		}
		if got != FlowSession {
			continue
		}
		relogin, _ := tt.creds.loginFlow()
		if relogin != tt.relogin {
			t.Errorf("%v: relogin flow %s, want %s", tt.creds, relogin, tt.relogin)
		}
	}
}

func TestNoSecretInStringsOrLogs(t *testing.T) {
	creds := Credentials{UserName: testUser, Password: secretPassword, SecurityToken: secretToken, ClientID: testClientID,
		ClientSecret: secretClientSecret, PrivateKey: pkcs1PEM(t), RefreshToken: secretRefresh, SessionID: secretSession,
		InstanceURL: "https://acme.my.salesforce.com"}
	cfg := Config{Credentials: creds, Domain: "acme.my"}
	for _, s := range []string{creds.String(), creds.GoString(), fmt.Sprint(creds), fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds),
		fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), fmt.Sprintf("%v %+v", &cfg, &cfg)} {
		assertNoSecrets(t, "formatted credentials", s)
	}
	if !strings.Contains(creds.String(), testUser) || !strings.Contains(creds.String(), "[redacted]") {
		t.Errorf("String should name the user and mark secrets as redacted: %s", creds)
	}
	if b, err := json.Marshal(struct{ S string }{creds.String()}); err != nil || strings.Contains(string(b), secretPassword) {
		t.Errorf("json of String: %s %v", b, err)
	}

	// A full session: login, re-login, a query, a failed query; then scan the client's own
	// formatting and every log line.
	var logs logBuffer
	tokens := []string{secretAccess1, secretAccess2}
	var loginCount atomic.Int32
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/services/oauth2/token":
			n := loginCount.Add(1)
			writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"instance_url":%q,"issued_at":"1","refresh_token":%q}`, tokens[min(n-1, 1)], s.URL, secretRefresh+"2"))
		case !authOK(r, secretAccess2):
			invalidSession(w, t)
		case strings.Contains(r.URL.RawQuery, "Bad"):
			writeJSON(w, 400, fixture(t, "restforce/sobject/query_error_response.json"))
		default:
			writeJSON(w, 200, fixture(t, "restforce/sobject/query_success_response.json"))
		}
	})
	c, err := New(context.Background(), fastRetry(Config{LoginURL: srv.URL, Logger: logs.logger(),
		Credentials: Credentials{ClientID: testClientID, ClientSecret: secretClientSecret, RefreshToken: secretRefresh}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Query(context.Background(), "SELECT Id FROM Account") {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range c.Query(context.Background(), "SELECT Bad FROM Account") {
		if err == nil {
			t.Fatal("bad query succeeded")
		}
		assertNoSecrets(t, "query error", err.Error())
	}
	if n := loginCount.Load(); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
	assertNoSecrets(t, "client formatting", fmt.Sprintf("%v %+v %#v %s", c, c, c, c))
	assertNoSecrets(t, "logs", logs.String())
	if !strings.Contains(logs.String(), "logging in again") {
		t.Errorf("the re-login was not logged:\n%s", logs.String())
	}
}

// A SOAP login answered with a transient fault (UNKNOWN_EXCEPTION, SERVER_UNAVAILABLE) is tried
// again; a fault about the credentials is not.
func TestSOAPTransientFaultRetried(t *testing.T) {
	for _, tc := range []struct {
		code  string
		calls int64
		ok    bool
	}{
		{"UNKNOWN_EXCEPTION", 2, true},
		{"SERVER_UNAVAILABLE", 2, true},
		{"INVALID_LOGIN", 1, false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml; charset=utf-8")
				if calls.Add(1) == 1 {
					w.WriteHeader(http.StatusInternalServerError)
					io.WriteString(w, soapFaultXML("sf:"+tc.code, tc.code, "transient or not"))
					return
				}
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result><serverUrl>`+
					"http://"+r.Host+`/services/Soap/u/64.0/00D</serverUrl><sessionId>00Dxx!session</sessionId><passwordExpired>false</passwordExpired></result></loginResponse></soapenv:Body></soapenv:Envelope>`)
			}))
			defer srv.Close()
			_, err := New(context.Background(), Config{LoginURL: srv.URL, APIVersion: "64.0", Credentials: soapCreds(),
				RetryWait: time.Millisecond, MaxRetryWait: 2 * time.Millisecond})
			if (err == nil) != tc.ok || calls.Load() != tc.calls {
				t.Fatalf("err = %v after %d calls; want ok=%v after %d", err, calls.Load(), tc.ok, tc.calls)
			}
		})
	}
}

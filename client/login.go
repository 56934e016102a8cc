package client

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// login obtains a session with flow f and installs it.
func (c *Client) login(ctx context.Context, f Flow) error {
	var (
		s   session
		err error
	)
	switch f {
	case FlowSession:
		s.id = c.creds.SessionID
		s.instanceURL, err = checkBaseURL(c.creds.InstanceURL)
		if err != nil {
			return fmt.Errorf("config: Credentials.InstanceURL: %w", err)
		}
		s.instanceURL = originOf(s.instanceURL)
	case FlowSOAP:
		s, err = c.soapLogin(ctx)
	default:
		s, err = c.oauthLogin(ctx, f)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	s.gen = c.tok.gen + 1
	c.tok = s
	c.mu.Unlock()
	c.log.InfoContext(ctx, "salesforce session ready", "flow", string(f), "login_host", c.loginHost, "instance", s.instanceURL)
	return nil
}

// relogin logs in again unless another goroutine already did since session generation gen was
// seen: many requests failing with INVALID_SESSION_ID at once cause one login.
func (c *Client) relogin(ctx context.Context, gen uint64) error {
	select {
	case c.loginSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.loginSem }()
	if c.current().gen != gen {
		return nil
	}
	c.log.InfoContext(ctx, "salesforce session expired, logging in again", "flow", string(c.reloginFlow))
	return c.login(ctx, c.reloginFlow)
}

// originOf keeps scheme and host of a URL.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// instanceFrom validates an instance URL returned by a login and keeps its origin.
func (c *Client) instanceFrom(f Flow, raw string) (string, error) {
	if raw == "" {
		return "", &LoginError{Flow: f, Host: c.loginHost, Message: "the login response names no instance URL"}
	}
	base, err := checkBaseURL(raw)
	if err != nil {
		return "", &LoginError{Flow: f, Host: c.loginHost, Message: "the login response's instance URL is unusable: " + err.Error()}
	}
	return originOf(base), nil
}

// ---- SOAP ----

const (
	nsSOAPEnv     = "http://schemas.xmlsoap.org/soap/envelope/"
	nsPartner     = "urn:partner.soap.sforce.com"
	nsEnterprise  = "urn:enterprise.soap.sforce.com"
	soapLoginTmpl = `<?xml version="1.0" encoding="UTF-8"?>` +
		`<soapenv:Envelope xmlns:soapenv="` + nsSOAPEnv + `" xmlns:urn="` + nsPartner + `">` +
		`<soapenv:Body><urn:login><urn:username>%s</urn:username><urn:password>%s</urn:password></urn:login></soapenv:Body></soapenv:Envelope>`
)

// soapVersion is the version for SOAP login: APIVersion, but at most 64.0, the last to serve login().
func (c *Client) soapVersion() string {
	if parseVersion(c.apiVersion) > parseVersion(maxSOAPLoginVersion) {
		return maxSOAPLoginVersion
	}
	return c.apiVersion
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// soapEnvelope is the part of a SOAP login response we read. The login response is accepted in
// the partner and the enterprise namespace; elements below it match by local name.
type soapEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Fault      *soapFault     `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
		Partner    *loginResponse `xml:"urn:partner.soap.sforce.com loginResponse"`
		Enterprise *loginResponse `xml:"urn:enterprise.soap.sforce.com loginResponse"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type loginResponse struct {
	Result SOAPLoginResult `xml:"result"`
}

// SOAPLoginResult is the result element of a SOAP loginResponse (the fields sfdlt uses).
type SOAPLoginResult struct {
	MetadataServerURL string `xml:"metadataServerUrl"`
	PasswordExpired   bool   `xml:"passwordExpired"`
	Sandbox           bool   `xml:"sandbox"`
	ServerURL         string `xml:"serverUrl"`
	SessionID         string `xml:"sessionId"`
	UserID            string `xml:"userId"`
	UserInfo          struct {
		OrganizationID      string `xml:"organizationId"`
		OrganizationName    string `xml:"organizationName"`
		SessionSecondsValid int    `xml:"sessionSecondsValid"`
		UserName            string `xml:"userName"`
		UserTimeZone        string `xml:"userTimeZone"`
	} `xml:"userInfo"`
}

type soapFault struct {
	FaultCode   string `xml:"faultcode"`
	FaultString string `xml:"faultstring"`
	Detail      struct {
		Faults []struct {
			XMLName          xml.Name
			ExceptionCode    string `xml:"exceptionCode"`
			ExceptionMessage string `xml:"exceptionMessage"`
		} `xml:",any"`
	} `xml:"detail"`
}

// SOAPFault is a SOAP fault of the login call: Code is the exceptionCode (or the faultcode
// without its namespace prefix), Message the exceptionMessage (or faultstring).
type SOAPFault struct {
	Code, Message string
}

// Error returns code and message.
func (f *SOAPFault) Error() string { return f.Code + ": " + f.Message }

// ParseSOAPLoginResponse parses a SOAP login response body. It returns the result, or a
// *SOAPFault for a fault envelope, or an error for anything else.
func ParseSOAPLoginResponse(body []byte) (*SOAPLoginResult, error) {
	var env soapEnvelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("parsing SOAP login response: %w", err)
	}
	if f := env.Body.Fault; f != nil {
		out := &SOAPFault{Code: f.FaultCode, Message: f.FaultString}
		if i := strings.LastIndexByte(out.Code, ':'); i >= 0 {
			out.Code = out.Code[i+1:]
		}
		for _, d := range f.Detail.Faults {
			if d.ExceptionCode != "" {
				out.Code, out.Message = d.ExceptionCode, d.ExceptionMessage
				break
			}
		}
		if out.Code == "" && out.Message == "" {
			return nil, errors.New("parsing SOAP login response: fault without code or message")
		}
		return nil, out
	}
	r := env.Body.Partner
	if r == nil {
		r = env.Body.Enterprise
	}
	if r == nil {
		return nil, errors.New("parsing SOAP login response: no loginResponse in the partner or enterprise namespace")
	}
	return &r.Result, nil
}

func (c *Client) soapLogin(ctx context.Context) (session, error) {
	endpoint := c.loginURL + "/services/Soap/u/" + c.soapVersion()
	body := fmt.Sprintf(soapLoginTmpl, xmlEscape(c.creds.UserName), xmlEscape(c.creds.Password+c.creds.SecurityToken))
	var result *SOAPLoginResult
	lerr := func(status int, code, msg string) *LoginError {
		return &LoginError{Flow: FlowSOAP, Host: c.loginHost, StatusCode: status, Code: code, Message: msg}
	}
	_, err := c.send(ctx, call{
		method: http.MethodPost, path: endpoint, body: []byte(body),
		header: http.Header{"Content-Type": {"text/xml; charset=UTF-8"}, "Soapaction": {"login"}},
		classify: func(resp *http.Response, b []byte) (action, error) {
			r, perr := ParseSOAPLoginResponse(b)
			var fault *SOAPFault
			switch {
			case errors.As(perr, &fault):
				e := lerr(resp.StatusCode, fault.Code, fault.Message)
				switch fault.Code {
				case CodeInvalidOperation, CodeUnsupportedAPIVersion:
					e.Hint = "SOAP login() is retired from API v65.0 and disabled in orgs created from Winter '26: use an OAuth flow (JWT bearer, client credentials or refresh token)"
				case CodeLoginMustUseSecurityToken:
					e.Hint = "append the user's security token: set SecurityToken (reset it from the user's settings), or allow the client's IP in the org"
				case CodeInvalidLogin:
					e.Hint = "check UserName, Password and SecurityToken, and Domain (use \"test\" for a sandbox)"
				case "UNKNOWN_EXCEPTION", CodeServerUnavailable:
					// Salesforce's side failed (every SOAP fault comes with HTTP 500): try again.
					return actRetry, e
				}
				return actDone, e
			case perr == nil && resp.StatusCode == http.StatusOK:
				result = r
				return actDone, nil
			case retryableStatus(resp.StatusCode):
				return actRetry, lerr(resp.StatusCode, "", describeBody(resp.Header, b))
			case resp.StatusCode == http.StatusOK:
				return actRetry, lerr(resp.StatusCode, "", "unreadable response: "+perr.Error())
			}
			return actDone, lerr(resp.StatusCode, "", describeBody(resp.Header, b))
		},
	})
	if err != nil {
		return session{}, err
	}
	if result.PasswordExpired {
		return session{}, &LoginError{Flow: FlowSOAP, Host: c.loginHost, StatusCode: http.StatusOK, Code: CodePasswordExpired,
			Message: "the user's password has expired", Hint: "log in to Salesforce in a browser as this user and set a new password, then update Password"}
	}
	if result.SessionID == "" {
		return session{}, lerr(http.StatusOK, "", "the login response carries no sessionId")
	}
	inst, err := c.instanceFrom(FlowSOAP, result.ServerURL)
	if err != nil {
		return session{}, err
	}
	return session{id: result.SessionID, instanceURL: inst}, nil
}

// ---- OAuth 2.0 ----

// tokenResponse is an OAuth token answer. issued_at is a string of epoch milliseconds; there is
// no expires_in, so sessions are renewed on INVALID_SESSION_ID, not by a clock.
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	InstanceURL  string          `json:"instance_url"`
	ID           string          `json:"id"`
	TokenType    string          `json:"token_type"`
	IssuedAt     json.RawMessage `json:"issued_at"`
	Signature    string          `json:"signature"`
	Scope        string          `json:"scope"`
	RefreshToken string          `json:"refresh_token"`
}

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func (c *Client) oauthLogin(ctx context.Context, f Flow) (session, error) {
	cr := c.creds
	form := url.Values{}
	switch f {
	case FlowPassword:
		form.Set("grant_type", "password")
		form.Set("client_id", cr.ClientID)
		if cr.ClientSecret != "" {
			form.Set("client_secret", cr.ClientSecret)
		}
		form.Set("username", cr.UserName)
		form.Set("password", cr.Password+cr.SecurityToken)
	case FlowClientCredentials:
		form.Set("grant_type", "client_credentials")
		form.Set("client_id", cr.ClientID)
		form.Set("client_secret", cr.ClientSecret)
	case FlowRefreshToken:
		form.Set("grant_type", "refresh_token")
		form.Set("client_id", cr.ClientID)
		if cr.ClientSecret != "" {
			form.Set("client_secret", cr.ClientSecret)
		}
		c.mu.RLock()
		form.Set("refresh_token", c.creds.RefreshToken)
		c.mu.RUnlock()
	case FlowJWT:
		assertion, err := c.jwtAssertion(time.Now())
		if err != nil {
			return session{}, &LoginError{Flow: f, Host: c.loginHost, Message: "signing the JWT assertion: " + err.Error()}
		}
		form.Set("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
		form.Set("assertion", assertion)
	default:
		return session{}, fmt.Errorf("login: flow %q is not an OAuth flow", f)
	}
	var tr tokenResponse
	_, err := c.send(ctx, call{
		method: http.MethodPost, path: c.loginURL + "/services/oauth2/token", body: []byte(form.Encode()),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}},
		classify: func(resp *http.Response, b []byte) (action, error) {
			return c.oauthClassify(f, resp, b, &tr)
		},
	})
	if err != nil {
		return session{}, err
	}
	if tr.AccessToken == "" {
		return session{}, &LoginError{Flow: f, Host: c.loginHost, StatusCode: http.StatusOK, Message: "the token response carries no access_token"}
	}
	inst, err := c.instanceFrom(f, tr.InstanceURL)
	if err != nil {
		return session{}, err
	}
	if tr.RefreshToken != "" && f == FlowRefreshToken {
		// Refresh token rotation: the old token stops working once a new one is issued.
		c.mu.Lock()
		c.creds.RefreshToken = tr.RefreshToken
		c.mu.Unlock()
	}
	return session{id: tr.AccessToken, instanceURL: inst}, nil
}

func (c *Client) oauthClassify(f Flow, resp *http.Response, b []byte, tr *tokenResponse) (action, error) {
	lerr := &LoginError{Flow: f, Host: c.loginHost, StatusCode: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, tr); err != nil {
			lerr.Message = "unreadable token response: " + err.Error()
			return actRetry, lerr
		}
		return actDone, nil
	}
	var oe oauthError
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if json.Unmarshal(b, &oe) != nil || oe.Error == "" {
		lerr.Message = describeBody(resp.Header, b)
		if mt != "" && mt != "application/json" {
			lerr.Message += " from the token endpoint"
		}
		if retryableStatus(resp.StatusCode) {
			return actRetry, lerr
		}
		return actDone, lerr
	}
	lerr.Code, lerr.Message = oe.Error, oe.ErrorDescription
	desc := strings.ToLower(oe.ErrorDescription)
	switch {
	case strings.Contains(desc, "not supported on this domain"):
		lerr.Hint = "this flow needs your My Domain host: set Domain to your My Domain (such as \"acme.my\") instead of login/test"
	case strings.Contains(desc, "audience is invalid"):
		lerr.Hint = "the JWT audience must be https://login.salesforce.com, https://test.salesforce.com or your community URL: check Domain/LoginURL"
	case strings.Contains(desc, "hasn't approved"):
		lerr.Hint = "pre-authorize the user for the connected app (Admin approved users, with the user's profile or permission set added)"
	case strings.Contains(desc, "expired access/refresh token"):
		lerr.Hint = "the refresh token was revoked or expired: authorize the connected app again to obtain a new one"
	case oe.Error == "invalid_client_id" || oe.Error == "invalid_client":
		lerr.Hint = "check ClientID and ClientSecret (the connected app's consumer key and secret)"
	case oe.Error == "unsupported_grant_type":
		lerr.Hint = "enable this OAuth flow in the connected app (or the org's OAuth settings)"
	case oe.Error == "invalid_grant" && f == FlowPassword:
		lerr.Hint = "check UserName, Password and SecurityToken; the password flow may also be blocked for the org"
	}
	if retryableStatus(resp.StatusCode) {
		return actRetry, lerr
	}
	return actDone, lerr
}

// jwtAudience is the aud claim: the production or sandbox login URL, else the configured URL.
func (c *Client) jwtAudience() string {
	switch c.loginHost {
	case "login.salesforce.com":
		return "https://login.salesforce.com"
	case "test.salesforce.com":
		return "https://test.salesforce.com"
	}
	return c.loginURL
}

// jwtAssertion signs the JWT bearer assertion, valid for 3 minutes.
func (c *Client) jwtAssertion(now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Issuer:    c.creds.ClientID,
		Subject:   c.creds.UserName,
		Audience:  jwt.ClaimStrings{c.jwtAudience()},
		ExpiresAt: jwt.NewNumericDate(now.Add(3 * time.Minute)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(c.key)
}

// loadPrivateKey reads an RSA key in PEM (PKCS#1 or PKCS#8) from inline text or a file.
// Errors describe the key's form, never its content.
func loadPrivateKey(inline, file string) (*rsa.PrivateKey, error) {
	data := []byte(inline)
	src := "PrivateKey"
	if file != "" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("reading PrivateKeyFile: %w", err)
		}
		src = "PrivateKeyFile " + file
	}
	block, _ := pem.Decode(data)
	if block == nil {
		hint := ""
		if file == "" && !strings.Contains(inline, "\n") && len(inline) < 4096 {
			hint = " (to point at a file, use PrivateKeyFile)"
		}
		return nil, fmt.Errorf("%s holds no PEM block: expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----%s", src, hint)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid PKCS#1 RSA key: %w", src, err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid PKCS#8 key: %w", src, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: the key is %T, but Salesforce's JWT bearer flow needs an RSA key (RS256)", src, k)
		}
		return rk, nil
	case "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("%s is encrypted: decrypt it first (openssl pkcs8 -topk8 -nocrypt)", src)
	}
	return nil, fmt.Errorf("%s holds a PEM block of type %q, not a private key: expected PRIVATE KEY or RSA PRIVATE KEY", src, block.Type)
}

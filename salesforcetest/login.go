package salesforcetest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	nsSOAPEnv  = "http://schemas.xmlsoap.org/soap/envelope/"
	nsPartner  = "urn:partner.soap.sforce.com"
	nsFault    = "urn:fault.partner.soap.sforce.com"
	appName    = "sfdlt_emulator"
	invalidMsg = "Invalid username, password, security token; or user locked out."
)

// soapLoginRequest is the login envelope, matched by namespace so that any prefix works.
type soapLoginRequest struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Login *struct {
			Username string `xml:"urn:partner.soap.sforce.com username"`
			Password string `xml:"urn:partner.soap.sforce.com password"`
		} `xml:"urn:partner.soap.sforce.com login"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// serveSOAPLogin answers POST /services/Soap/u/{version}: the partner API's login().
func (s *Server) serveSOAPLogin(w *bufWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		soapClientFault(w, "The SOAP endpoint accepts POST only")
		return
	}
	if a := strings.Trim(strings.TrimSpace(r.Header.Get("SOAPAction")), `"`); a != "" && a != "login" {
		soapClientFault(w, fmt.Sprintf("SOAPAction %q is not served by this emulator: only login is", a))
		return
	}
	verSeg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/services/Soap/u/"), "/")
	ver, ok := parseVersionNumber(verSeg)
	if !ok || ver < minVersion || ver > maxVersion {
		soapFault(w, "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL", "LoginFault")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		soapClientFault(w, "could not read the request body: "+err.Error())
		return
	}
	var req soapLoginRequest
	if err := xml.Unmarshal(body, &req); err != nil || req.Body.Login == nil {
		soapClientFault(w, "Element {urn:partner.soap.sforce.com}login expected in a SOAP 1.1 envelope")
		return
	}
	f := s.currentFaults()
	if ver >= soapLoginRemovedFrom {
		soapFault(w, "INVALID_OPERATION", "The SOAP Login operation is not available in the API version specified", "LoginFault")
		return
	}
	if f.SOAPLoginDisabled {
		soapFault(w, "INVALID_OPERATION", "SOAP login is disabled for this org: use an OAuth flow (JWT bearer or client credentials) instead", "LoginFault")
		return
	}
	switch code := s.checkUser(req.Body.Login.Username, req.Body.Login.Password); code {
	case "":
	case "LOGIN_MUST_USE_SECURITY_TOKEN":
		soapFault(w, code, invalidMsg+" Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company's trusted networks, you must add a security token to your password to log in. To get your new security token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token.", "LoginFault")
		return
	default:
		soapFault(w, code, invalidMsg, "LoginFault")
		return
	}
	sid := s.newSession("", f.PasswordExpired)
	v := fmt.Sprintf("%d.0", ver)
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>`)
	fmt.Fprintf(&b, "<metadataServerUrl>%s/services/Soap/m/%s/%s</metadataServerUrl>", esc(s.url), v, orgID[:15])
	fmt.Fprintf(&b, "<passwordExpired>%t</passwordExpired><sandbox>false</sandbox>", f.PasswordExpired)
	fmt.Fprintf(&b, "<serverUrl>%s/services/Soap/u/%s/%s</serverUrl>", esc(s.url), v, orgID[:15])
	fmt.Fprintf(&b, "<sessionId>%s</sessionId><userId>%s</userId><userInfo>", esc(sid), userID)
	b.WriteString(`<accessibilityMode>false</accessibilityMode><chatterExternal>false</chatterExternal><currencySymbol>$</currencySymbol><orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><orgDefaultCurrencyLocale>en_US</orgDefaultCurrencyLocale><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts>`)
	fmt.Fprintf(&b, "<organizationId>%s</organizationId><organizationMultiCurrency>false</organizationMultiCurrency><organizationName>sfdlt Emulated Org</organizationName>", orgID)
	fmt.Fprintf(&b, "<profileId>%s</profileId><roleId xsi:nil=\"true\"/><sessionSecondsValid>7200</sessionSecondsValid><userDefaultCurrencyIsoCode xsi:nil=\"true\"/>", id18("00eSf00000DLTpR"))
	fmt.Fprintf(&b, "<userEmail>%s</userEmail><userFullName>Demo User</userFullName><userId>%s</userId><userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>", esc(s.opts.UserName), userID)
	fmt.Fprintf(&b, "<userName>%s</userName><userTimeZone>America/Los_Angeles</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin>", esc(s.opts.UserName))
	b.WriteString(`</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

// checkUser checks a user name and password+token and returns "" or the SOAP exception code.
func (s *Server) checkUser(user, pass string) string {
	if !strings.EqualFold(user, s.opts.UserName) {
		return "INVALID_LOGIN"
	}
	switch {
	case hmac.Equal([]byte(pass), []byte(s.opts.Password+s.opts.SecurityToken)):
		return ""
	case hmac.Equal([]byte(pass), []byte(s.opts.Password)):
		return "LOGIN_MUST_USE_SECURITY_TOKEN"
	}
	return "INVALID_LOGIN"
}

// soapFault sends a partner-API fault with HTTP 500, as Salesforce does.
func soapFault(w http.ResponseWriter, code, msg, detail string) {
	var m bytes.Buffer
	_ = xml.EscapeText(&m, []byte(msg))
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="%s" xmlns:sf="%s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:%s</faultcode><faultstring>%s: %s</faultstring><detail><sf:%s xsi:type="sf:%s"><sf:exceptionCode>%s</sf:exceptionCode><sf:exceptionMessage>%s</sf:exceptionMessage></sf:%s></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		nsSOAPEnv, nsFault, code, code, m.String(), detail, detail, code, m.String(), detail)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, body)
}

// soapClientFault is a malformed-request fault (soapenv:Client), without a LoginFault detail.
func soapClientFault(w http.ResponseWriter, msg string) {
	var m bytes.Buffer
	_ = xml.EscapeText(&m, []byte(msg))
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="%s"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>%s</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`, nsSOAPEnv, m.String())
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, body)
}

// oauthError sends an OAuth error object with HTTP 400.
func oauthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}

// JWT audiences accepted besides the server's own URL.
var jwtAudiences = []string{"https://login.salesforce.com", "https://test.salesforce.com"}

// maxJWTLifetime bounds how far in the future a JWT assertion's exp may be.
const maxJWTLifetime = 10 * time.Minute

// serveToken answers POST /services/oauth2/token for the password, client credentials, JWT bearer
// and refresh token grants.
func (s *Server) serveToken(w *bufWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, "invalid_request", "must use HTTP POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	form := r.PostForm
	scope := ""
	switch gt := form.Get("grant_type"); gt {
	case "password":
		if !s.checkClient(w, form.Get("client_id"), form.Get("client_secret"), true) {
			return
		}
		if s.checkUser(form.Get("username"), form.Get("password")) != "" {
			oauthError(w, "invalid_grant", "authentication failure")
			return
		}
	case "client_credentials":
		id, secret := form.Get("client_id"), form.Get("client_secret")
		if bu, bp, ok := r.BasicAuth(); ok {
			id, secret = unescapeForm(bu), unescapeForm(bp)
		}
		if !s.checkClient(w, id, secret, true) {
			return
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if !s.checkJWT(w, form.Get("assertion")) {
			return
		}
		scope = "api"
	case "refresh_token":
		if !s.checkClient(w, form.Get("client_id"), form.Get("client_secret"), form.Has("client_secret")) {
			return
		}
		if !hmac.Equal([]byte(form.Get("refresh_token")), []byte(s.refresh)) {
			oauthError(w, "invalid_grant", "expired access/refresh token")
			return
		}
		scope = "api refresh_token"
	case "":
		oauthError(w, "unsupported_grant_type", "grant type not supported")
		return
	default:
		oauthError(w, "unsupported_grant_type", "grant type not supported")
		return
	}
	tok := s.newSession(appName, false)
	id := fmt.Sprintf("%s/id/%s/%s", s.url, orgID, userID)
	issued := strconv.FormatInt(time.Now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
	mac.Write([]byte(id + issued))
	type tokenResponse struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope,omitempty"`
		InstanceURL string `json:"instance_url"`
		ID          string `json:"id"`
		TokenType   string `json:"token_type"`
		IssuedAt    string `json:"issued_at"`
		Signature   string `json:"signature"`
	}
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok, Scope: scope, InstanceURL: s.url, ID: id, TokenType: "Bearer",
		IssuedAt: issued, Signature: base64.StdEncoding.EncodeToString(mac.Sum(nil)),
	})
}

func unescapeForm(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// checkClient checks a connected app's consumer key and, when needSecret, its secret.
func (s *Server) checkClient(w http.ResponseWriter, id, secret string, needSecret bool) bool {
	if id != s.opts.ClientID {
		oauthError(w, "invalid_client_id", "client identifier invalid")
		return false
	}
	if needSecret && !hmac.Equal([]byte(secret), []byte(s.opts.ClientSecret)) {
		oauthError(w, "invalid_client", "invalid client credentials")
		return false
	}
	return true
}

// checkJWT verifies a JWT bearer assertion: RS256 signed by the server's key pair, iss = consumer
// key, sub = user name, aud = a login host or the server itself, exp soon but not past.
func (s *Server) checkJWT(w http.ResponseWriter, assertion string) bool {
	s.ensureKey()
	if assertion == "" {
		oauthError(w, "invalid_grant", "invalid assertion")
		return false
	}
	claims := jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(assertion, &claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		oauthError(w, "invalid_grant", "invalid assertion")
		return false
	}
	if claims.Issuer != s.opts.ClientID {
		oauthError(w, "invalid_client_id", "client identifier invalid")
		return false
	}
	audOK := false
	for _, a := range claims.Audience {
		a = strings.TrimRight(a, "/")
		if a == s.url || slices.Contains(jwtAudiences, a) {
			audOK = true
		}
	}
	if !audOK {
		oauthError(w, "invalid_grant", "audience is invalid")
		return false
	}
	now := time.Now()
	if claims.ExpiresAt == nil || !claims.ExpiresAt.After(now) || claims.ExpiresAt.After(now.Add(maxJWTLifetime)) {
		oauthError(w, "invalid_grant", "expired authorization code")
		return false
	}
	if !strings.EqualFold(claims.Subject, s.opts.UserName) {
		oauthError(w, "invalid_grant", "user hasn't approved this consumer")
		return false
	}
	return true
}

package client

import (
	"fmt"
	"strings"
)

// Flow names a way to obtain a Salesforce session.
type Flow string

// The login flows. FlowAuto (the zero value) picks one from the credentials that are set; see
// Credentials.
const (
	FlowAuto              Flow = ""
	FlowSession           Flow = "session"            // existing session id + instance URL, no login call
	FlowJWT               Flow = "jwt"                // OAuth 2.0 JWT bearer (private key + client id + user name)
	FlowRefreshToken      Flow = "refresh_token"      // OAuth 2.0 refresh token grant
	FlowClientCredentials Flow = "client_credentials" // OAuth 2.0 client credentials (My Domain only)
	FlowPassword          Flow = "password"           // OAuth 2.0 username-password grant
	FlowSOAP              Flow = "soap"               // SOAP login() with password + security token
)

// Credentials says how to log in to Salesforce. Set the fields of one flow. With Flow left as
// FlowAuto the flow is chosen from what is set, first match wins:
//
//  1. SessionID and InstanceURL: FlowSession (no login call).
//  2. PrivateKey or PrivateKeyFile: FlowJWT (needs ClientID and UserName).
//  3. RefreshToken: FlowRefreshToken (needs ClientID).
//  4. ClientID and ClientSecret without UserName: FlowClientCredentials.
//  5. ClientID, UserName and Password: FlowPassword (OAuth; SecurityToken appended to Password).
//  6. UserName and Password without ClientID: FlowSOAP (SecurityToken appended to Password).
//
// When a session is given together with the credentials of another flow, that other flow is
// used to log in again once the session expires; a bare session cannot be renewed.
//
// String and GoString print which fields are set, never a secret.
type Credentials struct {
	Flow Flow // force a flow instead of choosing it from the fields set

	UserName, Password, SecurityToken string // SOAP login, also the OAuth password grant
	ClientID, ClientSecret            string // OAuth connected app (consumer key and secret)
	PrivateKey                        string // PEM RSA key (PKCS#1 or PKCS#8), for the JWT bearer flow
	PrivateKeyFile                    string // or a path to the PEM file
	RefreshToken                      string
	SessionID, InstanceURL            string // an existing session
}

// String describes the credentials with every secret redacted.
func (c Credentials) String() string {
	parts := []string{"Flow: " + string(c.resolvedFlowOrAuto())}
	add := func(name, v string, secret bool) {
		switch {
		case v == "":
		case secret:
			parts = append(parts, name+": [redacted]")
		default:
			parts = append(parts, fmt.Sprintf("%s: %q", name, v))
		}
	}
	add("UserName", c.UserName, false)
	add("Password", c.Password, true)
	add("SecurityToken", c.SecurityToken, true)
	add("ClientID", c.ClientID, true)
	add("ClientSecret", c.ClientSecret, true)
	add("PrivateKey", c.PrivateKey, true)
	add("PrivateKeyFile", c.PrivateKeyFile, false)
	add("RefreshToken", c.RefreshToken, true)
	add("SessionID", c.SessionID, true)
	add("InstanceURL", c.InstanceURL, false)
	return "client.Credentials{" + strings.Join(parts, ", ") + "}"
}

// GoString is String, so %#v redacts secrets too.
func (c Credentials) GoString() string { return c.String() }

func (c Credentials) resolvedFlowOrAuto() Flow {
	if f, err := c.flow(); err == nil {
		return f
	}
	return "auto"
}

// flow applies the documented rule.
func (c Credentials) flow() (Flow, error) {
	if c.Flow != FlowAuto {
		return c.Flow, c.check(c.Flow)
	}
	if c.SessionID != "" && c.InstanceURL != "" {
		return FlowSession, nil
	}
	f, err := c.loginFlow()
	if err != nil {
		if c.SessionID != "" {
			return "", fmt.Errorf("credentials: a session id needs its InstanceURL (https://yourorg.my.salesforce.com)")
		}
		return "", err
	}
	return f, nil
}

// loginFlow chooses a flow that can actually log in, ignoring any session.
func (c Credentials) loginFlow() (Flow, error) {
	var f Flow
	switch {
	case c.PrivateKey != "" || c.PrivateKeyFile != "":
		f = FlowJWT
	case c.RefreshToken != "":
		f = FlowRefreshToken
	case c.ClientID != "" && c.ClientSecret != "" && c.UserName == "":
		f = FlowClientCredentials
	case c.ClientID != "" && c.UserName != "" && c.Password != "":
		f = FlowPassword
	case c.ClientID == "" && c.UserName != "" && c.Password != "":
		f = FlowSOAP
	default:
		return "", fmt.Errorf("credentials: no login flow can be chosen from the fields set: give one of " +
			"SessionID+InstanceURL, PrivateKey(File)+ClientID+UserName (JWT), RefreshToken+ClientID, " +
			"ClientID+ClientSecret (client credentials), ClientID+UserName+Password (OAuth password), " +
			"or UserName+Password(+SecurityToken) (SOAP)")
	}
	return f, c.check(f)
}

// check verifies that the fields flow f needs are set.
func (c Credentials) check(f Flow) error {
	var missing []string
	need := func(name, v string) {
		if v == "" {
			missing = append(missing, name)
		}
	}
	switch f {
	case FlowSession:
		need("SessionID", c.SessionID)
		need("InstanceURL", c.InstanceURL)
	case FlowJWT:
		if c.PrivateKey == "" && c.PrivateKeyFile == "" {
			missing = append(missing, "PrivateKey or PrivateKeyFile")
		}
		if c.PrivateKey != "" && c.PrivateKeyFile != "" {
			return fmt.Errorf("credentials: set PrivateKey or PrivateKeyFile, not both")
		}
		need("ClientID", c.ClientID)
		need("UserName", c.UserName)
	case FlowRefreshToken:
		need("RefreshToken", c.RefreshToken)
		need("ClientID", c.ClientID)
	case FlowClientCredentials:
		need("ClientID", c.ClientID)
		need("ClientSecret", c.ClientSecret)
	case FlowPassword:
		need("ClientID", c.ClientID)
		need("UserName", c.UserName)
		need("Password", c.Password)
	case FlowSOAP:
		need("UserName", c.UserName)
		need("Password", c.Password)
	default:
		return fmt.Errorf("credentials: unknown flow %q: use one of session, jwt, refresh_token, client_credentials, password, soap", f)
	}
	if len(missing) > 0 {
		return fmt.Errorf("credentials: the %s flow needs %s", f, strings.Join(missing, ", "))
	}
	return nil
}

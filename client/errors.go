package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Error codes Salesforce sends in REST error bodies (errorCode) and SOAP login faults
// (exceptionCode). Callers compare APIError.ErrorCode or LoginError.Code with these, or use
// errors.Is with the sentinels below; never the message text.
const (
	CodeInvalidSessionID          = "INVALID_SESSION_ID"
	CodeRequestLimitExceeded      = "REQUEST_LIMIT_EXCEEDED"
	CodeMalformedQuery            = "MALFORMED_QUERY"
	CodeInvalidField              = "INVALID_FIELD"
	CodeInvalidType               = "INVALID_TYPE"
	CodeInvalidQueryLocator       = "INVALID_QUERY_LOCATOR"
	CodeQueryTimeout              = "QUERY_TIMEOUT"
	CodeNotFound                  = "NOT_FOUND"
	CodeServerUnavailable         = "SERVER_UNAVAILABLE"
	CodeLimitExceeded             = "LIMIT_EXCEEDED"
	CodeAPIError                  = "API_ERROR"
	CodeJobNotComplete            = "JOB_NOT_COMPLETE"
	CodeInvalidLogin              = "INVALID_LOGIN"
	CodeLoginMustUseSecurityToken = "LOGIN_MUST_USE_SECURITY_TOKEN"
	CodeInvalidOperation          = "INVALID_OPERATION"
	CodeUnsupportedAPIVersion     = "UNSUPPORTED_API_VERSION"
	// CodePasswordExpired is the code LoginError carries when SOAP login answered
	// passwordExpired=true (Salesforce itself sends no code for it).
	CodePasswordExpired = "PASSWORD_EXPIRED"
)

// Sentinel errors for states callers act on. APIError and LoginError match them with errors.Is.
var (
	// ErrInvalidSession: the session is expired or invalid and could not be renewed.
	ErrInvalidSession = errors.New("salesforce session expired or invalid")
	// ErrRequestLimitExceeded: the org's rolling 24-hour API request limit is used up
	// (REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded."): stop, retrying is useless. It
	// never matches a concurrent-limit answer (ErrConcurrentLimit), which shares the code.
	ErrRequestLimitExceeded = errors.New("salesforce API request limit exceeded")
	// ErrConcurrentLimit: Salesforce refused the request because too many long-running requests
	// ran in the org at once (REQUEST_LIMIT_EXCEEDED "ConcurrentRequests (Concurrent API
	// Requests) Limit exceeded." or "ConcurrentPerOrgLongTxn Limit exceeded."). It is transient:
	// the client retries such answers for up to Config.ConcurrentLimitWait while lowering its own
	// parallelism, so a caller sees it only once that wait is used up.
	ErrConcurrentLimit = errors.New("salesforce concurrent request limit exceeded")
	// ErrQueryTimeout: the query ran too long on Salesforce's side; retry with a narrower filter.
	ErrQueryTimeout = errors.New("salesforce query timed out")
	// ErrNotFound: the requested resource (object, record, job) does not exist.
	ErrNotFound = errors.New("salesforce resource not found")
	// ErrMalformedQuery: the SOQL statement does not parse.
	ErrMalformedQuery = errors.New("salesforce SOQL query is malformed")
	// ErrInvalidField: a field named in the request does not exist or is not accessible.
	ErrInvalidField = errors.New("salesforce field invalid")
	// ErrInvalidType: an sObject named in the request does not exist or is not accessible.
	ErrInvalidType = errors.New("salesforce object type invalid")
	// ErrInvalidQueryLocator: a query's nextRecordsUrl expired; run the query again.
	ErrInvalidQueryLocator = errors.New("salesforce query locator invalid or expired")
	// ErrServerUnavailable: Salesforce kept answering 5xx, 420, 406 or 429 (or an HTML page where
	// Bulk results were due) after all retries.
	ErrServerUnavailable = errors.New("salesforce unavailable")
	// ErrUnreachable: the request never reached its host: the name does not resolve (not
	// retried) or the host refuses connections (tried twice). The error also unwraps to the
	// network error (*net.DNSError, syscall.ECONNREFUSED). It is never a LoginError.
	ErrUnreachable = errors.New("salesforce host unreachable")
	// ErrAPIVersionRetired: the API version is retired (HTTP 410).
	ErrAPIVersionRetired = errors.New("salesforce API version retired")
	// ErrAPIVersionUnavailable: the instance does not offer the client's API version (newer
	// than its release, such as 99.0): every REST call answers 404. The error names the newest
	// version the instance offers; it does not match ErrNotFound.
	ErrAPIVersionUnavailable = errors.New("salesforce API version not offered by the instance")
	// ErrURITooLong: the request URI or headers were too long (HTTP 414/431): over Salesforce's
	// 16,384 bytes for URI plus headers. Split the SELECT list into several queries.
	ErrURITooLong = errors.New("salesforce request URI too long")
	// ErrLogin matches every LoginError.
	ErrLogin = errors.New("salesforce login failed")
	// ErrInvalidLogin: user name, password, security token, key or client credentials rejected.
	ErrInvalidLogin = errors.New("salesforce rejected the credentials")
	// ErrPasswordExpired: the user's password expired; SOAP login returns a session that can do nothing.
	ErrPasswordExpired = errors.New("salesforce password expired")
	// ErrSOAPLoginUnavailable: SOAP login() is disabled for the org or retired for the API version.
	ErrSOAPLoginUnavailable = errors.New("salesforce SOAP login unavailable")

	// ErrBulkLimitExceeded: Salesforce refused to create a Bulk API 2.0 query job because a limit
	// is reached (10,000 query jobs per 24 hours, LIMIT_EXCEEDED, API_ERROR, or the org's request
	// limit); run the query through REST instead. When the error also matches
	// ErrRequestLimitExceeded, REST will be refused too: stop instead.
	ErrBulkLimitExceeded = errors.New("salesforce bulk query job limit reached")
	// ErrBulkUnsupported: Bulk API 2.0 rejected the query (compound fields, aggregates, OFFSET,
	// INVALIDJOB, MALFORMED_QUERY ...); REST queries accept more SOQL, so fall back to REST.
	ErrBulkUnsupported = errors.New("salesforce bulk query not supported for this query")
	// ErrBulkJobFailed: the Bulk query job ended in state Failed; the error carries its errorMessage.
	ErrBulkJobFailed = errors.New("salesforce bulk query job failed")
	// ErrBulkJobAborted: the Bulk query job was aborted by someone else while it ran.
	ErrBulkJobAborted = errors.New("salesforce bulk query job aborted")
	// ErrBulkJobTimeout: the Bulk query job did not complete within BulkOptions.Timeout; it was aborted.
	ErrBulkJobTimeout = errors.New("salesforce bulk query job timed out")
	// ErrBulkRowCount: the rows received differ from the count Salesforce announced
	// (Sforce-NumberOfRecords or the job's numberRecordsProcessed); the result is incomplete.
	ErrBulkRowCount = errors.New("salesforce bulk query row count mismatch")
)

// APIError is a non-2xx answer of the REST (or Bulk 2.0) API. It carries Salesforce's first
// error entry; callers branch on ErrorCode or with errors.Is, never on Message.
//
// Message and URL hold the whole values, for callers that act on them (a query's URL carries
// its SOQL, tens of kilobytes for a wide SELECT, and Salesforce's message for INVALID_FIELD or
// MALFORMED_QUERY quotes the whole statement); Error shortens both. Print Error, not the fields.
type APIError struct {
	StatusCode int      // HTTP status
	ErrorCode  string   // Salesforce errorCode such as INVALID_FIELD; empty for bodies without one
	Message    string   // Salesforce's message, or a description of a non-JSON body; whole
	Fields     []string // fields named by the error, if any
	Method     string   // HTTP method of the request
	URL        string   // request URL, whole (carries no secret: the session travels in a header)
	// Hint tells the user what to do; set by the client for well-known situations.
	Hint string
}

// Error describes the failed request, Salesforce's code and message, and what to do. A URL or
// message line of more than a few hundred bytes is cut and its length given, so that a wide
// query's error stays readable.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "salesforce %s %s: HTTP %d", e.Method, clip(e.URL, clipURL), e.StatusCode)
	if e.ErrorCode != "" {
		b.WriteString(" " + e.ErrorCode)
	}
	if e.Message != "" {
		b.WriteString(": " + clipMessage(e.Message))
	}
	if len(e.Fields) > 0 {
		b.WriteString(" (fields: " + clip(strings.Join(e.Fields, ", "), clipLine) + ")")
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Is maps the error code (and for some answers the HTTP status) to the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidSession:
		return e.ErrorCode == CodeInvalidSessionID || e.StatusCode == http.StatusUnauthorized
	case ErrRequestLimitExceeded:
		return e.ErrorCode == CodeRequestLimitExceeded && !isConcurrentLimit(e.ErrorCode, e.Message)
	case ErrConcurrentLimit:
		return isConcurrentLimit(e.ErrorCode, e.Message)
	case ErrQueryTimeout:
		return e.ErrorCode == CodeQueryTimeout
	case ErrNotFound:
		return e.ErrorCode == CodeNotFound || (e.ErrorCode == "" && e.StatusCode == http.StatusNotFound)
	case ErrMalformedQuery:
		return e.ErrorCode == CodeMalformedQuery
	case ErrInvalidField:
		return e.ErrorCode == CodeInvalidField
	case ErrInvalidType:
		return e.ErrorCode == CodeInvalidType
	case ErrInvalidQueryLocator:
		return e.ErrorCode == CodeInvalidQueryLocator
	case ErrServerUnavailable:
		return e.ErrorCode == CodeServerUnavailable || retryableStatus(e.StatusCode)
	case ErrAPIVersionRetired:
		return e.StatusCode == http.StatusGone
	case ErrURITooLong:
		return e.StatusCode == http.StatusRequestURITooLong || e.StatusCode == http.StatusRequestHeaderFieldsTooLarge
	}
	return false
}

// LoginError is a failed login: which flow, against which host, and what Salesforce said.
type LoginError struct {
	Flow       Flow   // login flow that failed
	Host       string // login host, such as login.salesforce.com
	StatusCode int    // HTTP status; 0 when the failure was found before or after the exchange
	Code       string // SOAP exceptionCode or OAuth error, such as INVALID_LOGIN or invalid_grant
	Message    string // Salesforce's message (faultstring/exceptionMessage or error_description)
	// Hint tells the user what to do; set for well-known situations.
	Hint string
}

// Error says which login failed where, Salesforce's message, and what to do.
func (e *LoginError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "salesforce %s login at %s failed", e.Flow, e.Host)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Is matches ErrLogin always, and ErrInvalidLogin, ErrPasswordExpired or
// ErrSOAPLoginUnavailable by code.
func (e *LoginError) Is(target error) bool {
	switch target {
	case ErrLogin:
		return true
	case ErrInvalidLogin:
		switch e.Code {
		case CodeInvalidLogin, CodeLoginMustUseSecurityToken, "invalid_grant", "invalid_client", "invalid_client_id", "invalid_client_credentials":
			return true
		}
	case ErrPasswordExpired:
		return e.Code == CodePasswordExpired
	case ErrSOAPLoginUnavailable:
		return e.Flow == FlowSOAP && (e.Code == CodeInvalidOperation || e.Code == CodeUnsupportedAPIVersion)
	}
	return false
}

// errorEntry is one element of a REST error array; Bulk 2.0 and OAuth use objects of similar shape.
type errorEntry struct {
	Message          string   `json:"message"`
	ErrorCode        string   `json:"errorCode"`
	Fields           []string `json:"fields"`
	Error            string   `json:"error"`
	ErrorDescription string   `json:"error_description"`
}

// newAPIError builds an APIError from a response body in any of the shapes Salesforce uses:
// an array of {message,errorCode,fields}, a single such object, or an empty/HTML body from the edge.
func newAPIError(method, rawURL string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, URL: rawURL}
	trimmed := strings.TrimSpace(string(body))
	var entries []errorEntry
	var one errorEntry
	switch {
	case strings.HasPrefix(trimmed, "[") && json.Unmarshal(body, &entries) == nil && len(entries) > 0:
		one = entries[0]
	case strings.HasPrefix(trimmed, "{") && json.Unmarshal(body, &one) == nil:
	default:
		e.Message = describeBody(header, body)
		return e
	}
	e.ErrorCode, e.Message, e.Fields = one.ErrorCode, one.Message, one.Fields
	if e.ErrorCode == "" {
		e.ErrorCode = one.Error
	}
	if e.Message == "" {
		e.Message = one.ErrorDescription
	}
	return e
}

// describeBody summarises a body that is not a Salesforce error document without quoting it:
// edge pages are long HTML and say nothing the status does not.
func describeBody(header http.Header, body []byte) string {
	if len(strings.TrimSpace(string(body))) == 0 {
		return "empty body"
	}
	mt := "unknown content type"
	if ct := header.Get("Content-Type"); ct != "" {
		if parsed, _, err := mime.ParseMediaType(ct); err == nil {
			mt = parsed
		}
	}
	return fmt.Sprintf("non-JSON body (%s, %d bytes)", mt, len(body))
}

// hintFor returns advice for well-known REST failures. resp is the answer (its Request, when
// set, measures a request too long).
func hintFor(e *APIError, resp *http.Response) string {
	switch {
	case e.ErrorCode == CodeQueryTimeout:
		return "the query ran too long on Salesforce: narrow it (smaller date window or Id range) and try again"
	case e.ErrorCode == CodeInvalidQueryLocator:
		return "the query cursor expired or too many cursors are open: run the query again"
	case e.StatusCode == http.StatusGone:
		return "this API version is retired: set APIVersion to a current version such as " + DefaultAPIVersion
	case e.StatusCode == http.StatusRequestURITooLong || e.StatusCode == http.StatusRequestHeaderFieldsTooLarge:
		uri, headers := requestSize(e.URL, resp)
		size := fmt.Sprintf("this request's URI (%s bytes)", groupDigits(uri))
		if headers > 0 {
			size = fmt.Sprintf("this request's URI (%s bytes) with its headers (%s bytes)", groupDigits(uri), groupDigits(headers))
		}
		return size + " exceeded Salesforce's limit of 16,384 bytes for URI plus headers: select fewer fields per query and join the parts by Id, or read with Bulk API 2.0 (sfdlt splits wide queries itself: from sfdlt this is a bug, please report it)"
	}
	return ""
}

// requestSize measures the request URI (path and query) and, when the request is known, its
// header lines, as they count toward Salesforce's limit.
func requestSize(rawURL string, resp *http.Response) (uri, headers int) {
	if resp != nil && resp.Request != nil && resp.Request.URL != nil {
		uri = len(resp.Request.URL.RequestURI())
		for k, vs := range resp.Request.Header {
			for _, v := range vs {
				headers += len(k) + len(": ") + len(v) + len("\r\n")
			}
		}
		return uri, headers
	}
	if u, err := url.Parse(rawURL); err == nil {
		return len(u.RequestURI()), 0
	}
	return len(rawURL), 0
}

// Lengths past which error messages and log lines cut a value (clip).
const (
	clipURL  = 160 // a URL: scheme, host, path and the start of a query
	clipLine = 300 // one line of Salesforce's message: a whole sentence of advice fits
	clipKeep = 160 // what is kept of a message line that is cut
	clipBody = 2000
)

// clip cuts s after about n bytes (at a character boundary) and says how long it was:
// "SELECT Id, Name, ... (25,311 bytes)". Shorter strings come back as they are.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "... (" + groupDigits(len(s)) + " bytes)"
}

// clipMessage shortens Salesforce's message line by line: a line quoting a long SOQL statement
// is cut, and the caret line under it (spaces up to the column of the fault, which the
// "ERROR at Row:1:Column:N" line also gives) is left out when as long; the lines saying what
// is wrong stay whole.
func clipMessage(msg string) string {
	if len(msg) <= clipLine {
		return msg
	}
	lines := strings.Split(msg, "\n")
	out := lines[:0]
	for _, l := range lines {
		if len(l) > clipLine && strings.TrimSpace(l) == "^" {
			continue
		}
		if len(l) > clipLine {
			l = clip(l, clipKeep)
		}
		out = append(out, l)
	}
	return clip(strings.Join(out, "\n"), clipBody)
}

// groupDigits writes n with thousands separators: 25311 -> "25,311".
func groupDigits(n int) string { return english.Sprint(n) }

// english formats numbers as an English reader expects them (x/text knows the grouping).
var english = message.NewPrinter(language.English)

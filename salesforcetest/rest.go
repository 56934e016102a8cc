package salesforcetest

import (
	"fmt"
	"net/http"
	"strings"
)

// session is one issued session id / access token.
type session struct {
	app             string // connected app name for OAuth sessions, "" for SOAP sessions
	calls           int    // authenticated calls made with it (SessionExpiresEvery)
	expired         bool
	passwordExpired bool
}

// newSession issues a session id in Salesforce's shape: the 15-character org id, '!', opaque text.
func (s *Server) newSession(app string, passwordExpired bool) string {
	tok := orgID[:15] + "!AQ" + randomToken(94)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[tok] = &session{app: app, passwordExpired: passwordExpired}
	return tok
}

// reqCtx is what a REST handler gets: the request, the API version, the path parameters and
// the call being logged.
type reqCtx struct {
	w      *bufWriter
	r      *http.Request
	ver    int
	params map[string]string
	call   *Call
	token  string // the session id or access token of the request
}

// route is one REST resource under /services/data/vXX.X/. Patterns are slash-separated segments;
// "{name}" captures one segment. A trailing slash on the request is ignored.
type route struct {
	method  string
	pattern string
	handle  func(s *Server, c *reqCtx)
}

// restRoutes is the REST route table. New resources (such as Bulk API 2.0 query jobs under
// jobs/query) are added here with their handlers in their own files; authentication, API
// counting, limits and faults are applied to every route by serveREST.
func restRoutes() []route {
	return append([]route{
		{http.MethodGet, "", (*Server).serveResources},
		{http.MethodGet, "limits", (*Server).serveLimits},
		{http.MethodGet, "sobjects", (*Server).serveGlobalDescribe},
		{http.MethodGet, "sobjects/{name}/describe", (*Server).serveDescribe},
		{http.MethodGet, "sobjects/{name}/deleted", (*Server).serveDeleted},
		{http.MethodGet, "query", (*Server).serveQuery},
		{http.MethodGet, "queryAll", (*Server).serveQueryAll},
		{http.MethodGet, "query/{locator}", (*Server).serveQueryMore},
		{http.MethodGet, "queryAll/{locator}", (*Server).serveQueryMore},
	}, bulkRoutes()...) // jobs/query: bulk.go
}

// match finds the route for a path below the version and its parameters. found reports that the
// path exists for another method.
func (s *Server) match(method, sub string) (rt *route, params map[string]string, found bool) {
	sub = strings.Trim(sub, "/")
	segs := strings.Split(sub, "/")
	if sub == "" {
		segs = nil
	}
	for i := range s.routes {
		cand := &s.routes[i]
		var pat []string
		if cand.pattern != "" {
			pat = strings.Split(cand.pattern, "/")
		}
		if len(pat) != len(segs) {
			continue
		}
		p := map[string]string{}
		ok := true
		for j, ps := range pat {
			if strings.HasPrefix(ps, "{") {
				if segs[j] == "" {
					ok = false
					break
				}
				p[strings.Trim(ps, "{}")] = segs[j]
			} else if ps != segs[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		found = true
		if cand.method == method || (method == http.MethodHead && cand.method == http.MethodGet) {
			return cand, p, true
		}
	}
	return nil, nil, found
}

// serveREST runs the shared pipeline of every REST call: version, authentication, session expiry,
// the daily limit, the concurrent request limits, API counting, injected errors, then the route's
// handler. fl is the request's flight (Limits.ConcurrentLongRequests).
func (s *Server) serveREST(w *bufWriter, r *http.Request, call *Call, fl *flight) {
	rest := strings.TrimPrefix(r.URL.Path, "/services/data/")
	verSeg, sub, _ := strings.Cut(rest, "/")
	ver, ok := 0, false
	if strings.HasPrefix(verSeg, "v") {
		ver, ok = parseVersionNumber(verSeg[1:])
	}
	if ok && ver <= retiredUpTo {
		restError(w, http.StatusGone, "API_VERSION_RETIRED",
			fmt.Sprintf("API version %d.0 has been retired; use version %d.0 or later", ver, minVersion))
		return
	}
	if !ok || ver > maxVersion || ver < minVersion {
		restError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	sess, token := s.lookupSession(r)
	if sess == nil {
		s.setLimitHeader(w, "")
		restError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}

	s.mu.Lock()
	f := s.faults
	var status int
	var limitMsg string
	switch {
	case sess.expired:
		status = http.StatusUnauthorized
	case f.SessionExpiresEvery > 0 && sess.calls >= f.SessionExpiresEvery:
		sess.expired = true
		status = http.StatusUnauthorized
	case sess.passwordExpired:
		sess.calls++
		status = -1
	case f.RequestLimitAfter > 0 && s.apiUsed >= f.RequestLimitAfter:
		sess.calls++
		status, limitMsg = http.StatusForbidden, msgTotalRequests
	default:
		sess.calls++
		if limitMsg = s.concurrencyLimitLocked(fl); limitMsg != "" {
			status = http.StatusForbidden // transient, and not counted
			break
		}
		s.apiUsed++
		if sess.app != "" {
			s.appUsed[sess.app]++
		}
	}
	s.mu.Unlock()
	s.setLimitHeader(w, sess.app)
	switch status {
	case http.StatusUnauthorized:
		restError(w, status, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	case -1:
		restError(w, http.StatusUnauthorized, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
			"The users password has expired, you must call SetPassword before attempting any other API operations")
		return
	case http.StatusForbidden:
		restError(w, status, codeRequestLimit, limitMsg)
		return
	}
	if s.injectError(w, false) {
		return
	}
	rt, params, found := s.match(r.Method, sub)
	if rt == nil {
		if found {
			methodNotAllowed(w, r.Method)
			return
		}
		restError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		hold(r)
	}
	rt.handle(s, &reqCtx{w: w, r: r, ver: ver, params: params, call: call, token: token})
}

// lookupSession finds the session named by "Authorization: Bearer {token}" (or "OAuth {token}")
// and returns it with the token.
func (s *Server) lookupSession(r *http.Request) (*session, string) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
		return nil, ""
	}
	tok = strings.TrimSpace(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[tok], tok
}

// Limits of the emulated org (the Max of DailyApiRequests follows Faults.RequestLimitAfter).
const (
	dailyAPIMax = 15000
	perAppMax   = 5000
)

// setLimitHeader adds Sforce-Limit-Info, with a per-app part for OAuth sessions.
func (s *Server) setLimitHeader(w http.ResponseWriter, app string) {
	s.mu.Lock()
	used, max := s.apiUsed, s.dailyMaxLocked()
	appUsed := s.appUsed[app]
	s.mu.Unlock()
	v := fmt.Sprintf("api-usage=%d/%d", used, max)
	if app != "" {
		v += fmt.Sprintf(";per-app-api-usage=%d/%d(appName=%s)", appUsed, perAppMax, app)
	}
	w.Header().Set("Sforce-Limit-Info", v)
}

func (s *Server) dailyMaxLocked() int {
	if s.faults.RequestLimitAfter > 0 {
		return s.faults.RequestLimitAfter
	}
	return dailyAPIMax
}

// serveResources answers GET /services/data/vXX.X: the resources of a version.
func (s *Server) serveResources(c *reqCtx) {
	base := fmt.Sprintf("/services/data/v%d.0/", c.ver)
	res := map[string]string{}
	for _, name := range []string{"limits", "sobjects", "query", "queryAll", "jobs"} {
		res[name] = base + name
	}
	writeJSON(c.w, http.StatusOK, res)
}

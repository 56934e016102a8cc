package client

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Usage is the API usage Salesforce reported in the last Sforce-Limit-Info header seen.
type Usage struct {
	Used, Max int64      // api-usage: calls made in the rolling 24 hours, and the org's limit
	PerApp    []AppUsage // per-app-api-usage parts, if any
	Raw       string     // the header as received
	At        time.Time  // when it was received; zero when no header was seen yet
}

// AppUsage is the usage of one connected app (per-app-api-usage=17/250(appName=x)).
type AppUsage struct {
	App       string
	Used, Max int64
}

// Usage returns the last Sforce-Limit-Info seen (zero Usage before any). Safe for concurrent use.
func (c *Client) Usage() Usage {
	u := c.usage.Load()
	if u == nil {
		return Usage{}
	}
	out := *u
	out.PerApp = append([]AppUsage(nil), u.PerApp...)
	return out
}

// apiPathPrefix starts the path of every request that is an API call: the versioned data path
// of REST and Bulk API 2.0 (/services/data/v64.0/...). Logins (/services/oauth2, /services/Soap)
// and the version list (/services/data/) are not.
const apiPathPrefix = "/services/data/v"

// APICalls counts the API calls the client has sent since New: every request under the versioned
// data path (/services/data/vXX.X/), REST and Bulk alike, each retry and each replay after a
// re-login counted, since each is a request on the wire; logins and the version list (Versions)
// are not calls the org's daily limit counts and are left out. Unlike Usage, which is the org's
// total as Salesforce last reported it, this is the client's own share. Safe for concurrent use.
func (c *Client) APICalls() int { return int(c.apiCalls.Load()) }

func (c *Client) recordUsage(h http.Header) {
	v := h.Get("Sforce-Limit-Info")
	if v == "" {
		return
	}
	if u, ok := ParseLimitInfo(v); ok {
		u.At = time.Now()
		c.usage.Store(&u)
	}
}

// ParseLimitInfo parses a Sforce-Limit-Info header such as
// "api-usage=18/5000; per-app-api-usage=17/250(appName=x)". Unknown parts are ignored; ok is
// false when no part could be read.
func ParseLimitInfo(v string) (u Usage, ok bool) {
	u.Raw = v
	for part := range strings.SplitSeq(v, ";") {
		name, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			continue
		}
		app := ""
		if i := strings.IndexByte(val, '('); i >= 0 && strings.HasSuffix(val, ")") {
			inner := val[i+1 : len(val)-1]
			val = val[:i]
			if k, a, f := strings.Cut(inner, "="); f && strings.TrimSpace(k) == "appName" {
				app = strings.TrimSpace(a)
			}
		}
		usedS, maxS, found := strings.Cut(strings.TrimSpace(val), "/")
		if !found {
			continue
		}
		used, err1 := strconv.ParseInt(strings.TrimSpace(usedS), 10, 64)
		limit, err2 := strconv.ParseInt(strings.TrimSpace(maxS), 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "api-usage":
			u.Used, u.Max, ok = used, limit, true
		case "per-app-api-usage":
			u.PerApp = append(u.PerApp, AppUsage{App: app, Used: used, Max: limit})
			ok = true
		}
	}
	return u, ok
}

package client

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// refusedAttempts bounds the attempts of a request whose connections are refused: a host that
// refuses is down or wrong, and a brief restart is covered by a second try. Resets, drops and
// timeouts keep the full MaxRetries budget.
const refusedAttempts = 2

// unreachKind says why a host could not be reached at all.
type unreachKind int

const (
	reachable   unreachKind = iota // not a reachability failure (or one worth the full retry budget)
	noSuchHost                     // DNS answered that the name does not exist
	connRefused                    // the host answered the connection with a refusal
)

func (k unreachKind) String() string {
	switch k {
	case noSuchHost:
		return "no such host"
	case connRefused:
		return "connection refused"
	}
	return "reachable"
}

// classifyUnreachable sorts a transport error. A temporary DNS failure or a lookup timeout is
// not "no such host": the resolver may answer next time, so those stay retryable.
func classifyUnreachable(err error) unreachKind {
	var de *net.DNSError
	switch {
	case errors.As(err, &de):
		if de.IsNotFound && !de.IsTemporary && !de.IsTimeout {
			return noSuchHost
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		return connRefused
	}
	return reachable
}

// unreachableError is a request that never reached its host: the name does not resolve or the
// host refuses connections. Its message names the host only (never the URL, whose query may
// carry a secret on token endpoints) and says what to check. It unwraps to the network error
// (so *net.DNSError, *net.OpError and syscall.ECONNREFUSED still match) and to ErrUnreachable.
type unreachableError struct {
	host     string
	kind     unreachKind
	attempts int
	hint     string
	err      error
}

func (e *unreachableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot reach %s: %s", e.host, e.kind)
	if e.attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.attempts)
	}
	b.WriteString(": " + e.hint)
	return b.String()
}

func (e *unreachableError) Unwrap() []error { return []error{e.err, ErrUnreachable} }

// unreachable builds the error for a request to target that could not reach its host. err is
// the transport error without the *url.Error (transportError's input, unwrapped).
func (c *Client) unreachable(cl call, target string, kind unreachKind, attempts int, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := &unreachableError{kind: kind, attempts: attempts, err: err}
	if proxy, ok := proxyOf(err); ok {
		e.host = strings.TrimSpace("the proxy " + proxy)
		e.hint = "check the proxy setting (HTTPS_PROXY / HTTP_PROXY) and the network"
		return e
	}
	host := "the Salesforce host"
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	e.host = host
	switch {
	case !cl.auth:
		e.hint = "check login_url / domain and the network"
	case c.creds.InstanceURL != "" && strings.EqualFold(hostOf(c.creds.InstanceURL), host):
		e.hint = "check instance_url and the network"
	default:
		e.hint = "check the network (this instance host came from the login response)"
	}
	return e
}

// proxyOf reports whether err is a failure to reach the HTTP proxy rather than the target, and
// names the proxy by the host or address in the error (never the proxy URL, which may carry a
// password).
func proxyOf(err error) (string, bool) {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "proxyconnect" {
		return "", false
	}
	var de *net.DNSError
	if errors.As(oe.Err, &de) && de.Name != "" {
		return de.Name, true
	}
	var inner *net.OpError
	if errors.As(oe.Err, &inner) && inner.Addr != nil {
		return inner.Addr.String(), true
	}
	return "", true
}

func hostOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return u.Host
}

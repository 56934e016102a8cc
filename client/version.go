package client

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// versionError is a REST call answered 404 under /services/data/vXX.X/ by an instance that
// does not offer version XX.X. It matches ErrAPIVersionUnavailable and, on purpose, neither
// ErrNotFound nor the 404's *APIError: callers treat ErrNotFound as "this object or job does not
// exist", which would send the user after the wrong cause.
type versionError struct {
	version  string // the client's API version
	instance string // the instance's base URL
	oldest   string // the oldest and newest versions the instance offers
	newest   string
	call     string // the request that answered 404, such as "GET /services/data/v99.0/sobjects/Account/describe"
	answer   string // what it answered, such as "HTTP 404 NOT_FOUND"
}

func (e *versionError) Error() string {
	return fmt.Sprintf("salesforce API version %s is not offered by %s (%s answered %s): the instance offers %s to %s; set api_version (Config.APIVersion) to %s or lower",
		e.version, e.instance, e.call, e.answer, e.oldest, e.newest, e.newest)
}

func (e *versionError) Is(target error) bool { return target == ErrAPIVersionUnavailable }

// checkVersion explains a 404 to a call under the versioned data path: when the instance does
// not offer the client's API version, it returns a versionError; otherwise (the version is
// offered, or the versions list cannot be read) nil, and the 404 stands as it is.
//
// The check runs here, on the first 404, rather than at login in New: New makes no call for a
// session flow, callers and tests count the calls a client makes (and the emulator its API
// usage), and a version the instance lacks shows itself only as 404s. So a healthy run pays
// nothing; a run with a bad version pays one GET /services/data/ (no session, not counted
// against the API limit) per client, the answer being kept for later 404s.
func (c *Client) checkVersion(ctx context.Context, instance string, notFound *APIError) error {
	select {
	case c.versionSem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-c.versionSem }()
	if c.versionChecked == instance {
		return withCall(c.versionErr, notFound)
	}
	versions, err := c.Versions(ctx)
	if err != nil {
		if ctx.Err() == nil {
			// An instance that cannot list its versions will not list them next time either.
			c.versionChecked, c.versionErr = instance, nil
		}
		c.log.DebugContext(ctx, "salesforce API versions unreadable, 404 left as it is", "error", err)
		return nil
	}
	c.versionChecked, c.versionErr = instance, nil
	var oldest, newest string
	for _, v := range versions {
		if v.Version == c.apiVersion {
			return nil
		}
		f := parseVersion(v.Version)
		if f == 0 {
			continue
		}
		if oldest == "" || f < parseVersion(oldest) {
			oldest = v.Version
		}
		if newest == "" || f > parseVersion(newest) {
			newest = v.Version
		}
	}
	if newest == "" {
		return nil // an empty or unreadable list proves nothing
	}
	c.versionErr = &versionError{version: c.apiVersion, instance: instance, oldest: oldest, newest: newest}
	c.log.WarnContext(ctx, "salesforce API version not offered by the instance", "version", c.apiVersion, "newest", newest)
	return withCall(c.versionErr, notFound)
}

// withCall returns a copy of the cached versionError naming the call at hand.
func withCall(err error, notFound *APIError) error {
	ve, ok := err.(*versionError)
	if !ok {
		return nil
	}
	e := *ve
	e.call = notFound.Method + " " + requestPath(notFound.URL)
	e.answer = strings.TrimSpace(fmt.Sprintf("HTTP %d %s", notFound.StatusCode, notFound.ErrorCode))
	return &e
}

// requestPath is the path of a URL, without host or query (which may hold a whole SOQL).
func requestPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return clip(raw, clipURL)
	}
	return clip(u.Path, clipURL)
}

// underVersion reports whether target is a URL under the client's versioned data path.
func (c *Client) underVersion(target string) bool {
	u, err := url.Parse(target)
	return err == nil && strings.HasPrefix(u.Path, "/services/data/v"+c.apiVersion+"/")
}

package config

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is the type a configuration key expects.
type kind int

const (
	kindString kind = iota
	kindBool
	kindVersion // an API version such as "64.0"; a TOML number is accepted too
	kindInt
	kindDuration // a Go duration such as "15m"
	kindPercent  // a number from 0 to 100
)

// keySpec describes one configuration key.
type keySpec struct {
	name       string
	kind       kind
	secret     bool // never shown; warned about in config.toml
	credential bool // also looked up under a credentials section
}

// maxWhole is the largest whole number a key without a range of its own takes.
const maxWhole = min(1<<40, math.MaxInt)

// hit is a value found by find.
type hit struct {
	raw    any
	path   []string
	origin string
	env    bool
	file   *tomlFile
}

func (h hit) key() string { return strings.Join(h.path, ".") }

func (h hit) name() string { return h.path[len(h.path)-1] }

func envName(path []string) string { return strings.ToUpper(strings.Join(path, "__")) }

// find looks a value up by dlt's rules: the pipeline section first (when scoped), then the
// providers (environment, secrets files, config files), then the paths in the order given.
func (s *state) find(paths [][]string, scoped bool) (hit, bool) {
	for _, ps := range s.passes(paths, scoped) {
		for _, p := range ps {
			name := envName(p)
			if v, ok := s.lookupEnv(name); ok && v != "" {
				return hit{raw: v, path: p, origin: "env " + name, env: true}, true
			}
		}
		for _, secrets := range []bool{true, false} {
			for _, p := range ps {
				for _, f := range s.files {
					if f.secrets != secrets {
						continue
					}
					if v, ok := f.get(p); ok {
						return hit{raw: v, path: p, origin: f.origin(p), file: f}, true
					}
				}
			}
		}
	}
	return hit{}, false
}

// passes returns the paths prefixed with the pipeline name (when scoped), then as given.
func (s *state) passes(paths [][]string, scoped bool) [][][]string {
	if !scoped || s.pipeline == "" {
		return [][][]string{paths}
	}
	pre := make([][]string, len(paths))
	for i, p := range paths {
		pre[i] = append([]string{s.pipeline}, p...)
	}
	return [][][]string{pre, paths}
}

// describe names the type of a TOML value, for messages (never the value itself).
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []any:
		return "a list"
	default:
		return "a date or time"
	}
}

// valueError reports a value of the wrong type, naming key and place; the found value is shown
// only when it is not secret.
func (h hit) valueError(secret bool, expected, fix string) error {
	found := describe(h.raw)
	if s, ok := h.raw.(string); ok {
		if h.env {
			found = "the value"
		}
		if !secret && len(s) <= 40 && !strings.ContainsAny(s, "\n\r") {
			found += fmt.Sprintf(" %q", s)
		}
	}
	return fmt.Errorf("%s: %s: expected %s, found %s: %s", h.origin, h.key(), expected, found, fix)
}

func (h hit) asString(secret bool) (string, error) {
	if s, ok := h.raw.(string); ok {
		return s, nil
	}
	name := h.name()
	fix := fmt.Sprintf(`write it in quotes: %s = "..."`, name)
	if _, ok := h.raw.(map[string]any); ok {
		fix = fmt.Sprintf("%s is a single value, not a section: write %s = \"...\" under its parent section", name, name)
	}
	return "", h.valueError(secret, "a string", fix)
}

func (h hit) asBool() (bool, error) {
	switch v := h.raw.(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "yes", "on":
			return true, nil
		case "false", "0", "no", "off":
			return false, nil
		}
	}
	name := h.name()
	return false, h.valueError(false, "true or false", fmt.Sprintf("write %s = true or %s = false (no quotes)", name, name))
}

var versionPattern = regexp.MustCompile(`^[0-9]{2,3}\.[0-9]$`)

func (h hit) asVersion() (string, error) {
	var v string
	switch x := h.raw.(type) {
	case string:
		v = strings.TrimPrefix(strings.TrimSpace(x), "v")
	case float64:
		v = strconv.FormatFloat(x, 'f', 1, 64)
	case int64:
		v = strconv.FormatInt(x, 10) + ".0"
	}
	if !versionPattern.MatchString(v) {
		return "", h.valueError(false, `a Salesforce API version such as "64.0"`, `write api_version = "64.0"`)
	}
	return v, nil
}

// asInt reads a whole number from lo to hi (both within int).
func (h hit) asInt(lo, hi int) (int, error) {
	var n int64
	var ok bool
	switch x := h.raw.(type) {
	case int64:
		n, ok = x, true
	case string:
		var err error
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		ok = err == nil
	}
	if !ok || n < int64(lo) || n > int64(hi) {
		return 0, h.valueError(false, fmt.Sprintf("a whole number from %d to %d", lo, hi), fmt.Sprintf("write %s = <number> (no quotes)", h.name()))
	}
	return int(n), nil
}

// asDuration reads a Go duration that is not negative.
func (h hit) asDuration() (time.Duration, error) {
	v, err := h.asString(false)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0, h.valueError(false, `a duration such as "15m" or "168h"`, fmt.Sprintf(`write %s = "15m"`, h.name()))
	}
	return d, nil
}

// asPercent reads a number from 0 to 100.
func (h hit) asPercent() (float64, error) {
	var f float64
	var err error
	switch x := h.raw.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		err = errors.New("not a number")
	}
	if err != nil || math.IsNaN(f) || f < 0 || f > 100 {
		return 0, h.valueError(false, "a percentage from 0 to 100", fmt.Sprintf("write %s = 90", h.name()))
	}
	return f, nil
}

// resolve resolves every known setting into typed values, collecting the errors of all
// malformed ones, and the warnings.
func (c *Config) resolve(explicitPipeline string) error {
	s := c.st
	s.found = map[string]found{}
	var errs []error
	errs = append(errs, c.resolvePipeline(explicitPipeline)...)
	errs = append(errs, c.resolveSource()...)
	errs = append(errs, c.resolveDuckDB()...)
	errs = append(errs, c.resolvePostgres()...)
	c.warnUnknown()
	if len(errs) > 0 {
		return fmt.Errorf("the configuration has %d invalid value(s):\n%w", len(errs), errors.Join(errs...))
	}
	return nil
}

// set records where a setting was found and how String shows it, and warns about a secret
// kept in config.toml.
func (c *Config) set(name string, h hit, shown string, secret bool) {
	c.st.found[name] = found{key: h.key(), shown: shown, origin: h.origin, secret: secret}
	if secret && name != "client_id" { // a consumer key is redacted, but may be shared
		c.warnSecretInConfig(h)
	}
}

// warnSecretInConfig warns when a secret was found in config.toml, a file meant to be shared
// (dlt refuses such values; sfdlt uses them and warns).
func (c *Config) warnSecretInConfig(h hit) {
	if h.file != nil && !h.file.secrets {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %s is a secret but is kept in config.toml, a file meant to be shared: move it to %s",
			h.origin, h.key(), filepath.Join(filepath.Dir(h.file.path), "secrets.toml")))
	}
}

// path makes a configured path absolute: ~/ is the home directory, relative paths are taken
// from the working directory.
func (s *state) path(p string) string {
	switch {
	case p == "~":
		return s.homeDir
	case strings.HasPrefix(p, "~/") && s.homeDir != "":
		return filepath.Join(s.homeDir, p[2:])
	case filepath.IsAbs(p):
		return filepath.Clean(p)
	}
	return filepath.Join(s.workDir, p)
}

// lookedAt returns the keys and environment variables of leaf under each prefix.
func lookedAt(prefixes [][]string, leaf string) (keys, env []string) {
	for _, p := range prefixes {
		path := append(slices.Clone(p), leaf)
		keys = append(keys, strings.Join(path, "."))
		env = append(env, envName(path))
	}
	return keys, env
}

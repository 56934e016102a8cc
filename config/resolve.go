package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
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
	kindList     // a list of strings (see asList)
	kindPatterns // a list of glob patterns on object API names, such as ["*__c"]
	// kindObjects is the table of per-object tables [sources.salesforce.objects.<Object>]
	// (see objects.go).
	kindObjects
	// kindResources is the table of per-resource tables [sources.salesforce.resources.<resource>]
	// (see resources.go).
	kindResources
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
	return s.search(paths, scoped, func(f *tomlFile, p []string) ([]string, any, bool) {
		v, ok := f.get(p)
		return p, v, ok
	})
}

// search is find with get reading a path from a file: get returns the path as the file spells
// it, which may differ from the path asked for (see findObjectKey).
func (s *state) search(paths [][]string, scoped bool, get func(f *tomlFile, p []string) ([]string, any, bool)) (hit, bool) {
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
					if at, v, ok := get(f, p); ok {
						return hit{raw: v, path: at, origin: f.origin(at), file: f}, true
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

// asList reads a list of strings: a TOML array of strings, or a string, which in a file is a
// list of one and in an environment variable a comma-separated list (or a JSON array, the
// form dlt reads lists from variables in). Items are trimmed; example is the list the fix shows.
func (h hit) asList(example string) ([]string, error) {
	name := h.name()
	fix := fmt.Sprintf("write %s = %s", name, example)
	if h.env {
		fix = fmt.Sprintf("set %s to a comma-separated list such as %s", strings.TrimPrefix(h.origin, "env "), listEnvExample(example))
	}
	var items []string
	switch v := h.raw.(type) {
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s: %s: expected a list of strings, found a list holding %s: %s", h.origin, h.key(), describe(e), fix)
			}
			items = append(items, s)
		}
	case string:
		items = []string{v}
		if h.env {
			var list []string
			if strings.HasPrefix(strings.TrimSpace(v), "[") && json.Unmarshal([]byte(v), &list) == nil {
				items = list
			} else {
				items = nil
				for part := range strings.SplitSeq(v, ",") {
					if part = strings.TrimSpace(part); part != "" {
						items = append(items, part) // "a,b," is a list of two
					}
				}
			}
		}
	default:
		return nil, h.valueError(false, "a list of strings", fix)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it = strings.TrimSpace(it); it == "" {
			return nil, fmt.Errorf("%s: %s: the list holds an empty string: remove it (%s)", h.origin, h.key(), fix)
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %s: the list is empty: %s, or remove %s to keep the default", h.origin, h.key(), fix, name)
	}
	return out, nil
}

// listEnvExample turns a TOML list such as ["a", "b"] into its environment form, a,b.
func listEnvExample(example string) string {
	var list []string
	if json.Unmarshal([]byte(example), &list) != nil {
		return example
	}
	return strings.Join(list, ",")
}

// asPatterns reads a list of glob patterns on object API names (objects_include,
// objects_exclude), each checked as path.Match reads it.
func (h hit) asPatterns() ([]string, error) {
	const example = `["*__c", "Opportunity*"]`
	patterns, err := h.asList(example)
	if err != nil {
		return nil, err
	}
	for _, p := range patterns {
		if strings.ContainsAny(p, ", \t") {
			fix := fmt.Sprintf("write one string per pattern: %s = %s", h.name(), example)
			if h.env {
				fix = fmt.Sprintf("separate the patterns with commas: %s=%s", strings.TrimPrefix(h.origin, "env "), listEnvExample(example))
			}
			return nil, fmt.Errorf("%s: %s: pattern %q holds a comma or a space, which no object API name has: %s", h.origin, h.key(), p, fix)
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf(`%s: %s: pattern %q is not a valid glob (%v): use * for any characters, ? for one, [abc] or [a-z] for one of a set (close every [), as in "*__c"`,
				h.origin, h.key(), p, err)
		}
	}
	return patterns, nil
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

package sfdlt

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// defaultPipelineName is the pipeline name when neither ConfigOptions nor the configuration
// names one: the name the dlt Salesforce example pipeline uses.
const defaultPipelineName = "salesforce"

// ConfigOptions says where LoadConfig looks. The zero value reads the process's working
// directory, home directory and environment, as dlt does; tests set all three.
type ConfigOptions struct {
	// WorkDir is the directory whose .dlt/ is read first; "" is the process's working directory.
	// Relative paths in the configuration (the DuckDB file, pipelines_dir, private_key_file) are
	// taken relative to it.
	WorkDir string
	// HomeDir is the directory whose .dlt/ is read second; "" is the user's home directory.
	HomeDir string
	// Environ is the environment as os.Environ returns it ("NAME=value" strings). When both
	// Environ and LookupEnv are nil the process environment is used; pass an empty non-nil
	// slice for none.
	Environ []string
	// LookupEnv, when set, is used instead of Environ to read variables (os.LookupEnv has this
	// signature). Unknown SOURCES__SALESFORCE__* variables can then not be reported.
	LookupEnv func(name string) (string, bool)
	// PipelineName, when set, is the pipeline name and wins over pipeline_name in the
	// configuration, as an explicit argument does in dlt.
	PipelineName string
}

// Config is sfdlt's resolved configuration: Salesforce credentials and source settings,
// pipeline settings and destination credentials, each remembering where it came from. Make
// one with LoadConfig. Printing a Config (String, %v, %#v) never shows a secret.
type Config struct {
	// Warnings are problems that do not stop a run: unknown keys (likely typos), a secrets.toml
	// readable by other users, a secret kept in config.toml. The library never prints them.
	Warnings []string

	st *cfgState // behind a pointer so that printing a Config value shows no secret
}

// PipelineSettings are the pipeline settings dlt reads from the top level of config.toml (or
// from the pipeline's own section, [<pipeline_name>]): pipeline_name, dataset_name,
// pipelines_dir, dev_mode and commit_every; env PIPELINE_NAME, DATASET_NAME, PIPELINES_DIR,
// DEV_MODE, COMMIT_EVERY.
type PipelineSettings struct {
	Name         string // never empty: ConfigOptions.PipelineName, pipeline_name, or "salesforce"
	DatasetName  string // "": NewPipeline's default, <pipeline_name>_dataset
	PipelinesDir string // absolute; default <home>/.dlt/pipelines
	DevMode      bool
	// CommitEvery is commit_every (see the CommitEvery option); nil when not set.
	CommitEvery *int
}

// Options turns the settings into options for NewPipeline (the name is NewPipeline's first
// argument).
func (p PipelineSettings) Options() []PipelineOption {
	var opts []PipelineOption
	if p.DatasetName != "" {
		opts = append(opts, Dataset(p.DatasetName))
	}
	if p.PipelinesDir != "" {
		opts = append(opts, PipelinesDir(p.PipelinesDir))
	}
	if p.DevMode {
		opts = append(opts, DevMode(true))
	}
	if p.CommitEvery != nil {
		opts = append(opts, CommitEvery(*p.CommitEvery))
	}
	return opts
}

// MissingConfigError reports a required value found nowhere: which keys were looked for, in
// which environment variables and files, and what to write where.
type MissingConfigError struct {
	What string // what is missing, such as "Salesforce credentials"
	// Keys are the paths looked at, most specific first; "<key>" stands for each of Names.
	Keys []string
	// Names are what "<key>" stands for in Keys (and, upper-cased, "<KEY>" in EnvVars).
	Names []string
	// EnvVars are the environment variables consulted, in the same order as Keys.
	EnvVars []string
	// Pipeline is the pipeline name: each key is first looked up under its section.
	Pipeline string
	Files    []string // the files read or looked for, with full paths
	Fix      string   // what to write where
}

// Error lists everything a user needs to fix the configuration.
func (e *MissingConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "missing %s.\nsfdlt looked at the keys (most specific first): %s", e.What, strings.Join(e.Keys, ", "))
	if len(e.Names) > 0 {
		fmt.Fprintf(&b, "\n  where <key> is one of: %s", strings.Join(e.Names, ", "))
	}
	fmt.Fprintf(&b, "\nin the environment variables: %s", strings.Join(e.EnvVars, ", "))
	if e.Pipeline != "" {
		fmt.Fprintf(&b, "\n  (each key also under the pipeline's own section first: %s.<path>, env %s__<VARIABLE>)",
			e.Pipeline, strings.ToUpper(e.Pipeline))
	}
	b.WriteString("\nthen in the files:")
	for _, f := range e.Files {
		b.WriteString("\n  " + f)
	}
	if e.Fix != "" {
		b.WriteString("\nto fix it, " + e.Fix)
	}
	return b.String()
}

// cfgKind is the type a configuration key expects.
type cfgKind int

const (
	cfgString cfgKind = iota
	cfgBool
	cfgVersion // an API version such as "64.0"; a TOML number is accepted too
	cfgInt
	cfgDuration // a Go duration such as "15m"
	cfgPercent  // a number from 0 to 100
)

// cfgKey describes one key of [sources.salesforce].
type cfgKey struct {
	name       string
	kind       cfgKind
	secret     bool // never shown; warned about in config.toml
	credential bool // also looked up under a credentials section
}

// salesforceKeys are the keys the Salesforce source reads, in the order String shows them.
var salesforceKeys = []cfgKey{
	{name: "user_name", credential: true},
	{name: "password", secret: true, credential: true},
	{name: "security_token", secret: true, credential: true},
	{name: "client_id", secret: true, credential: true},
	{name: "client_secret", secret: true, credential: true},
	{name: "private_key", secret: true, credential: true},
	{name: "private_key_file", credential: true},
	{name: "private_key_path", credential: true},
	{name: "refresh_token", secret: true, credential: true},
	{name: "session_id", secret: true, credential: true},
	{name: "instance_url", credential: true},
	{name: "domain"},
	{name: "login_url"},
	{name: "api_version", kind: cfgVersion},
	{name: "is_production", kind: cfgBool},
	{name: "include_formula_fields", kind: cfgBool},
	{name: "bulk_threshold", kind: cfgInt},
	{name: "hard_deletes", kind: cfgBool},
	{name: "lookback", kind: cfgDuration},
	{name: "max_api_usage_percent", kind: cfgPercent},
	{name: "formula_refresh", kind: cfgDuration},
	{name: "max_query_cursors", kind: cfgInt},
}

// postgresFields are the keys of the table form of destination.postgres.credentials.
var postgresFields = []cfgKey{
	{name: "database"},
	{name: "username"},
	{name: "password", secret: true},
	{name: "host"},
	{name: "port", kind: cfgInt},
	{name: "connect_timeout", kind: cfgInt},
	{name: "sslmode"},
}

// cfgSecretNames are key names whose values are never shown, wherever they appear.
var cfgSecretNames = []string{"password", "security_token", "client_id", "client_secret", "private_key",
	"refresh_token", "session_id", "credentials", "token", "secret", "api_key"}

func cfgIsSecretName(key string) bool {
	key = strings.ToLower(strings.TrimSpace(key))
	for _, s := range cfgSecretNames {
		if strings.Contains(key, s) {
			return true
		}
	}
	return false
}

// cfgFile is one TOML file, read or looked for.
type cfgFile struct {
	path    string
	secrets bool // secrets.toml (may hold secrets) rather than config.toml
	exists  bool
	tree    map[string]any
	lines   map[string]int // cfgJoin(path) -> line of the key
	// lineStarts are the offsets at which lines start, to turn offsets into line numbers.
	lineStarts []int
}

// cfgSetting is a resolved value.
type cfgSetting struct {
	key    string // dotted path it was found at, e.g. sources.salesforce.password
	value  string // bools as "true"/"false"
	origin string // "env NAME", "/path/.dlt/secrets.toml:12" or "default"
	secret bool
}

// cfgState is the inside of a Config.
type cfgState struct {
	workDir, homeDir string
	files            []*cfgFile
	lookupEnv        func(string) (string, bool)
	environ          []string // nil when only lookupEnv is known
	pipeline         string
	values           map[string]cfgSetting // by short name: "password", "pipeline_name", "destination.duckdb.credentials"
	pgPlaceholder    string                // origin of postgres credentials left as sfdlt init wrote them
}

// LoadConfig reads .dlt/secrets.toml and .dlt/config.toml from the working directory and from
// the home directory, and the environment, and resolves every setting sfdlt knows the way dlt
// does. Each key is looked up:
//
//  1. with the pipeline name as its first section ([salesforce.sources.salesforce] for the
//     pipeline "salesforce", env SALESFORCE__SOURCES__SALESFORCE__...), then without it;
//  2. within each of those passes, in the providers in dlt's order: environment variables,
//     then secrets.toml, then config.toml; for the files, the working directory's .dlt/ wins
//     over ~/.dlt/;
//  3. within one provider, from the most specific path to the least:
//     sources.salesforce.credentials.<key>, sources.salesforce.<key>, sources.credentials.<key>,
//     sources.<key>, credentials.<key>, <key> for the credential keys (user_name, password,
//     security_token, client_id, client_secret, private_key, private_key_file or
//     private_key_path, refresh_token, session_id, instance_url); sources.salesforce.<key>,
//     sources.<key>, <key> for domain, login_url, api_version, is_production and
//     include_formula_fields; destination.<name>.credentials, destination.credentials,
//     credentials for destinations.
//
// An environment variable is the path upper-cased and joined by "__":
// sources.salesforce.password is SOURCES__SALESFORCE__PASSWORD. Empty values (an empty
// variable, password = "") count as not set.
//
// Files that do not exist are skipped. LoadConfig fails on unreadable files, TOML syntax errors
// (naming file, line and column) and values of the wrong type (naming key, file and line);
// missing credentials are reported by Credentials and MissingDestinationError, so that commands
// that need none can run. It reads at most four small local files and so takes no context.
func LoadConfig(opts ConfigOptions) (*Config, error) {
	st := &cfgState{workDir: opts.WorkDir, homeDir: opts.HomeDir}
	if st.workDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("loading configuration: cannot find the working directory (%v): set ConfigOptions.WorkDir", err)
		}
		st.workDir = wd
	}
	if st.homeDir == "" {
		if h, err := os.UserHomeDir(); err == nil {
			st.homeDir = h
		}
	}
	st.workDir = cfgAbs(st.workDir)
	if st.homeDir != "" {
		st.homeDir = cfgAbs(st.homeDir)
	}
	switch {
	case opts.LookupEnv != nil:
		st.lookupEnv = opts.LookupEnv
	case opts.Environ != nil:
		st.environ = opts.Environ
		st.lookupEnv = cfgEnvironLookup(opts.Environ)
	default:
		st.environ = os.Environ()
		st.lookupEnv = os.LookupEnv
	}

	c := &Config{st: st}
	var errs []error
	dirs := []string{filepath.Join(st.workDir, ".dlt")}
	if st.homeDir != "" {
		if home := filepath.Join(st.homeDir, ".dlt"); home != dirs[0] {
			dirs = append(dirs, home)
		}
	}
	for _, dir := range dirs {
		for _, name := range []string{"secrets.toml", "config.toml"} {
			f := &cfgFile{path: filepath.Join(dir, name), secrets: name == "secrets.toml"}
			st.files = append(st.files, f)
			data, err := os.ReadFile(f.path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				continue
			case err != nil:
				errs = append(errs, fmt.Errorf("reading %s: %w: check that the file is readable by this user", f.path, err))
				continue
			}
			if err := f.parse(data); err != nil {
				errs = append(errs, err)
				continue
			}
			if f.secrets {
				c.checkMode(f.path)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.resolve(opts.PipelineName); err != nil {
		return nil, err
	}
	return c, nil
}

func cfgAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

func cfgEnvironLookup(environ []string) func(string) (string, bool) {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// checkMode warns when a secrets file can be read by other users.
func (c *Config) checkMode(path string) {
	if runtime.GOOS == "windows" {
		return // permission bits mean nothing there
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	c.Warnings = append(c.Warnings, fmt.Sprintf("%s can be read by other users (mode %04o); it holds secrets: run chmod 600 %s",
		path, fi.Mode().Perm(), path))
}

// parse decodes a TOML file and records the line of every key.
func (f *cfgFile) parse(data []byte) error {
	f.exists = true
	f.tree = map[string]any{}
	if err := toml.Unmarshal(data, &f.tree); err != nil {
		f.tree = nil
		return cfgSyntaxError(f.path, f.secrets, data, err)
	}
	f.lines = map[string]int{}
	f.lineStarts = []int{0}
	for i, c := range data {
		if c == '\n' {
			f.lineStarts = append(f.lineStarts, i+1)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	inArray := false // keys of arrays of tables are not addressable by a path
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table, inArray = cfgKeyParts(e.Key()), false
			f.record(table, e.Key())
		case unstable.ArrayTable:
			inArray = true
		case unstable.KeyValue:
			if !inArray {
				f.recordKeyValue(table, e)
			}
		}
	}
	return nil
}

func (f *cfgFile) recordKeyValue(table []string, kv *unstable.Node) {
	path := append(slices.Clone(table), cfgKeyParts(kv.Key())...)
	f.record(path, kv.Key())
	if v := kv.Value(); v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			if child := it.Node(); child.Kind == unstable.KeyValue {
				f.recordKeyValue(path, child)
			}
		}
	}
}

func (f *cfgFile) record(path []string, key unstable.Iterator) {
	if !key.Next() {
		return
	}
	k := key.Node()
	// The line is the number of line starts at or before the key (Parser.Shape would rescan the
	// document from the top for every key).
	line, _ := slices.BinarySearch(f.lineStarts, int(k.Raw.Offset)+1)
	if _, seen := f.lines[cfgJoin(path)]; !seen {
		f.lines[cfgJoin(path)] = line
	}
}

func cfgKeyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// cfgJoin makes a map key of a path; NUL cannot appear in a TOML key.
func cfgJoin(path []string) string { return strings.Join(path, "\x00") }

// get returns the value at path, if set (an empty string is not set).
func (f *cfgFile) get(path []string) (any, bool) {
	if !f.exists || f.tree == nil {
		return nil, false
	}
	var cur any = f.tree
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	if s, ok := cur.(string); ok && s == "" {
		return nil, false
	}
	return cur, true
}

func (f *cfgFile) origin(path []string) string {
	if line := f.lines[cfgJoin(path)]; line > 0 {
		return fmt.Sprintf("%s:%d", f.path, line)
	}
	return f.path
}

var cfgQuoted = regexp.MustCompile(`"[^"]*"`)

// cfgKnownKey reports whether the key side of a line ends in a key sfdlt reads, so that it is
// safe to show.
func cfgKnownKey(key string) bool {
	parts := strings.Split(strings.TrimSpace(key), ".")
	last := strings.Trim(strings.TrimSpace(parts[len(parts)-1]), `"'`)
	for _, k := range salesforceKeys {
		if k.name == last {
			return true
		}
	}
	for _, k := range postgresFields {
		if k.name == last {
			return true
		}
	}
	return slices.Contains([]string{"credentials", "pipeline_name", "dataset_name", "pipelines_dir", "dev_mode", "commit_every"}, last)
}

// cfgSyntaxError describes a TOML syntax error with file, line, column and the offending line,
// with any value that may be a secret hidden.
func cfgSyntaxError(path string, secrets bool, data []byte, err error) error {
	// The parser's messages can quote bits of the input (a bad number, a bad date): drop them.
	msg := cfgQuoted.ReplaceAllString(strings.TrimPrefix(err.Error(), "toml: "), `"…"`)
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return fmt.Errorf("%s: not valid TOML: %s: fix the file (TOML: key = \"value\" lines under [section] headers)", path, msg)
	}
	line, col := de.Position()
	text := ""
	if lines := strings.Split(string(data), "\n"); line >= 1 && line <= len(lines) {
		text = strings.TrimRight(lines[line-1], "\r")
	}
	shown, whole := cfgQuoteLine(text, secrets)
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: TOML syntax error: %s\n", path, line, col, msg)
	prefix := fmt.Sprintf("  %d | ", line)
	b.WriteString(prefix + shown + "\n")
	if whole && col >= 1 && col <= len(text)+1 {
		b.WriteString(strings.Repeat(" ", len(prefix)-2) + "| " + strings.Repeat(" ", col-1) + "^\n")
	}
	b.WriteString(`fix this line: TOML wants key = "value" lines (strings in quotes) under [section] headers such as [sources.salesforce]`)
	return errors.New(b.String())
}

// cfgQuoteLine returns the line as it may be shown, and whether it is shown whole. In a
// secrets file nothing after an "=" is shown, nor a line that is not a header or key line.
func cfgQuoteLine(line string, secrets bool) (string, bool) {
	t := strings.TrimSpace(line)
	switch {
	case t == "":
		return line, true
	case strings.HasPrefix(t, "["):
		return line, true
	case strings.HasPrefix(t, "#"):
		if secrets {
			return "# (comment not shown: secrets.toml may hold secrets)", false
		}
		return line, true
	}
	if key, _, ok := strings.Cut(line, "="); ok {
		switch {
		case secrets && !cfgKnownKey(key):
			// Perhaps a line inside a multi-line PEM key or a pasted token, which can hold "=".
			return "(line not shown: secrets.toml may hold secrets)", false
		case secrets || cfgIsSecretName(key):
			return strings.TrimRight(key, " \t") + " = (value not shown: it may be a secret)", false
		}
		return line, true
	}
	if secrets {
		return "(line not shown: secrets.toml may hold secrets)", false
	}
	return line, true
}

// hit is a value found by find.
type cfgHit struct {
	raw    any
	path   []string
	origin string
	env    bool
	file   *cfgFile
}

func (h cfgHit) key() string { return strings.Join(h.path, ".") }

func cfgEnvName(path []string) string { return strings.ToUpper(strings.Join(path, "__")) }

// find looks a value up by dlt's rules: the pipeline section first (when scoped), then the
// providers (environment, secrets files, config files), then the paths in the order given.
func (s *cfgState) find(paths [][]string, scoped bool) (cfgHit, bool) {
	for _, ps := range s.passes(paths, scoped) {
		for _, p := range ps {
			name := cfgEnvName(p)
			if v, ok := s.lookupEnv(name); ok && v != "" {
				return cfgHit{raw: v, path: p, origin: "env " + name, env: true}, true
			}
		}
		for _, secrets := range []bool{true, false} {
			for _, p := range ps {
				for _, f := range s.files {
					if f.secrets != secrets {
						continue
					}
					if v, ok := f.get(p); ok {
						return cfgHit{raw: v, path: p, origin: f.origin(p), file: f}, true
					}
				}
			}
		}
	}
	return cfgHit{}, false
}

// passes returns the paths prefixed with the pipeline name (when scoped), then as given.
func (s *cfgState) passes(paths [][]string, scoped bool) [][][]string {
	if !scoped || s.pipeline == "" {
		return [][][]string{paths}
	}
	pre := make([][]string, len(paths))
	for i, p := range paths {
		pre[i] = append([]string{s.pipeline}, p...)
	}
	return [][][]string{pre, paths}
}

// salesforcePaths are the paths of a Salesforce key, most specific first.
func salesforcePaths(k cfgKey) [][]string {
	if k.credential {
		return [][]string{
			{"sources", SourceName, "credentials", k.name}, {"sources", SourceName, k.name},
			{"sources", "credentials", k.name}, {"sources", k.name},
			{"credentials", k.name}, {k.name},
		}
	}
	return [][]string{{"sources", SourceName, k.name}, {"sources", k.name}, {k.name}}
}

// destinationPaths are the paths of a destination's key (credentials, or one of its fields).
func destinationPaths(dest string, key ...string) [][]string {
	return [][]string{
		append([]string{"destination", dest}, key...),
		append([]string{"destination"}, key...),
		key,
	}
}

// cfgDescribe names the type of a TOML value, for messages (never the value itself).
func cfgDescribe(v any) string {
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
func (h cfgHit) valueError(secret bool, expected, fix string) error {
	found := cfgDescribe(h.raw)
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

func (h cfgHit) asString(secret bool) (string, error) {
	if s, ok := h.raw.(string); ok {
		return s, nil
	}
	name := h.path[len(h.path)-1]
	fix := fmt.Sprintf(`write it in quotes: %s = "..."`, name)
	if _, ok := h.raw.(map[string]any); ok {
		fix = fmt.Sprintf("%s is a single value, not a section: write %s = \"...\" under its parent section", name, name)
	}
	return "", h.valueError(secret, "a string", fix)
}

func (h cfgHit) asBool() (bool, error) {
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
	name := h.path[len(h.path)-1]
	return false, h.valueError(false, "true or false", fmt.Sprintf("write %s = true or %s = false (no quotes)", name, name))
}

var cfgVersionPattern = regexp.MustCompile(`^[0-9]{2,3}\.[0-9]$`)

func (h cfgHit) asVersion() (string, error) {
	var v string
	switch x := h.raw.(type) {
	case string:
		v = strings.TrimPrefix(strings.TrimSpace(x), "v")
	case float64:
		v = strconv.FormatFloat(x, 'f', 1, 64)
	case int64:
		v = strconv.FormatInt(x, 10) + ".0"
	}
	if !cfgVersionPattern.MatchString(v) {
		return "", h.valueError(false, `a Salesforce API version such as "64.0"`, `write api_version = "64.0"`)
	}
	return v, nil
}

func (h cfgHit) asInt(lo, hi int64) (int64, error) {
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
	if !ok || n < lo || n > hi {
		name := h.path[len(h.path)-1]
		return 0, h.valueError(false, fmt.Sprintf("a whole number from %d to %d", lo, hi), fmt.Sprintf("write %s = <number> (no quotes)", name))
	}
	return n, nil
}

// resolve resolves every known setting, collecting type errors, and the warnings.
func (c *Config) resolve(explicitPipeline string) error {
	s := c.st
	s.values = map[string]cfgSetting{}
	var errs []error
	set := func(name string, h cfgHit, v string, secret bool) {
		s.values[name] = cfgSetting{key: h.key(), value: v, origin: h.origin, secret: secret}
		if secret && name != "client_id" { // a consumer key is redacted, but may be shared
			c.warnSecretInConfig(h)
		}
	}

	// The pipeline name comes first: it is the first section of every other lookup.
	switch {
	case explicitPipeline != "":
		s.pipeline = explicitPipeline
		s.values["pipeline_name"] = cfgSetting{key: "pipeline_name", value: explicitPipeline, origin: "given by the caller"}
	default:
		s.pipeline = defaultPipelineName
		s.values["pipeline_name"] = cfgSetting{key: "pipeline_name", value: defaultPipelineName, origin: "default"}
		if h, ok := s.find([][]string{{"pipeline_name"}}, false); ok {
			if v, err := h.asString(false); err != nil {
				errs = append(errs, err)
			} else {
				s.pipeline = v
				set("pipeline_name", h, v, false)
			}
		}
	}

	for _, k := range []cfgKey{{name: "dataset_name"}, {name: "pipelines_dir"}, {name: "dev_mode", kind: cfgBool}, {name: "commit_every", kind: cfgInt}} {
		h, ok := s.find([][]string{{k.name}}, true)
		if !ok {
			continue
		}
		if k.kind == cfgInt {
			n, err := h.asInt(0, 1<<40)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			set(k.name, h, strconv.FormatInt(n, 10), false)
			continue
		}
		if k.kind == cfgBool {
			v, err := h.asBool()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			set(k.name, h, strconv.FormatBool(v), false)
			continue
		}
		v, err := h.asString(false)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if k.name == "pipelines_dir" {
			v = s.path(v)
		}
		set(k.name, h, v, false)
	}

	for _, k := range salesforceKeys {
		h, ok := s.find(salesforcePaths(k), true)
		if !ok {
			continue
		}
		var v string
		var err error
		switch k.kind {
		case cfgBool:
			var b bool
			b, err = h.asBool()
			v = strconv.FormatBool(b)
		case cfgVersion:
			v, err = h.asVersion()
		case cfgInt:
			lo, hi := int64(0), int64(1<<40)
			if k.name == "max_query_cursors" {
				lo, hi = 1, salesforceCursorLimit-1 // Salesforce's 10 per user, shared
			}
			var n int64
			n, err = h.asInt(lo, hi)
			v = strconv.FormatInt(n, 10)
		case cfgDuration:
			v, err = h.asString(false)
			if err == nil {
				if d, perr := time.ParseDuration(strings.TrimSpace(v)); perr != nil || d < 0 {
					err = h.valueError(false, `a duration such as "15m" or "168h"`, fmt.Sprintf(`write %s = "15m"`, k.name))
				}
			}
		case cfgPercent:
			var f float64
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
			if err != nil || f < 0 || f > 100 {
				err = h.valueError(false, "a percentage from 0 to 100", fmt.Sprintf("write %s = 90", k.name))
			}
			v = strconv.FormatFloat(f, 'f', -1, 64)
		default:
			v, err = h.asString(k.secret)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch k.name {
		case "private_key":
			if h.env && !strings.Contains(v, "\n") && strings.Contains(v, `\n`) {
				v = strings.ReplaceAll(v, `\n`, "\n") // a PEM squeezed onto one line of an env file
			}
		case "private_key_file", "private_key_path":
			v = s.path(v)
		}
		set(k.name, h, v, k.secret)
	}

	errs = append(errs, c.resolveDuckDB(set)...)
	if h, ok := s.find([][]string{{"destination", "duckdb", "memory_limit"}}, true); ok {
		v, err := h.asString(false)
		switch {
		case err != nil:
			errs = append(errs, err)
		case !duckdbMemory.MatchString(strings.TrimSpace(v)):
			errs = append(errs, fmt.Errorf("%s: %s = %q is not a size: write it as DuckDB does, such as \"256MB\" or \"2GB\"", h.origin, h.key(), v))
		default:
			set("destination.duckdb.memory_limit", h, strings.TrimSpace(v), false)
		}
	}
	errs = append(errs, c.resolvePostgres(set)...)
	c.warnUnknown()
	if len(errs) > 0 {
		return fmt.Errorf("the configuration has %d invalid value(s):\n%w", len(errs), errors.Join(errs...))
	}
	return nil
}

// warnSecretInConfig warns when a secret was found in config.toml, a file meant to be shared
// (dlt refuses such values; sfdlt uses them and warns).
func (c *Config) warnSecretInConfig(h cfgHit) {
	if h.file != nil && !h.file.secrets {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %s is a secret but is kept in config.toml, a file meant to be shared: move it to %s",
			h.origin, h.key(), filepath.Join(filepath.Dir(h.file.path), "secrets.toml")))
	}
}

// path makes a configured path absolute: ~/ is the home directory, relative paths are taken
// from the working directory.
func (s *cfgState) path(p string) string {
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

func (s *cfgState) pipelinesDir() string {
	if v, ok := s.values["pipelines_dir"]; ok {
		return v.value
	}
	if s.homeDir == "" {
		return ""
	}
	return filepath.Join(s.homeDir, ".dlt", "pipelines")
}

// resolveDuckDB resolves destination.duckdb.credentials: a path, a duckdb:/// URL, :memory:,
// :pipeline: (the pipeline's working directory, as in dlt) or a table with database.
func (c *Config) resolveDuckDB(set func(string, cfgHit, string, bool)) []error {
	s := c.st
	const name = "destination.duckdb.credentials"
	h, ok := s.find(destinationPaths("duckdb", "credentials"), true)
	if ok {
		if _, isTable := h.raw.(map[string]any); isTable {
			ok = false // the table form: look for its database field
		}
	}
	if !ok {
		if h, ok = s.find(destinationPaths("duckdb", "credentials", "database"), true); !ok {
			s.values[name] = cfgSetting{key: name, value: filepath.Join(s.workDir, s.pipeline+".duckdb"), origin: "default"}
			return nil
		}
	}
	v, err := h.asString(false)
	if err != nil {
		return []error{err}
	}
	if strings.Contains(v, "://") && !strings.HasPrefix(v, "duckdb:///") {
		if !strings.Contains(cfgJoin(h.path), cfgJoin([]string{"destination", "duckdb"})) {
			// destination.credentials or credentials holding another destination's URL
			s.values[name] = cfgSetting{key: name, value: filepath.Join(s.workDir, s.pipeline+".duckdb"), origin: "default"}
			return nil
		}
		return []error{fmt.Errorf("%s: %s: expected a file path or duckdb:///path, found a URL of another kind: write credentials = \"%s.duckdb\"",
			h.origin, h.key(), s.pipeline)}
	}
	// duckdb:///x is relative and duckdb:////x absolute, as in SQLAlchemy URLs.
	v = strings.TrimPrefix(v, "duckdb:///")
	switch v {
	case ":memory:":
	case ":pipeline:":
		v = filepath.Join(s.pipelinesDir(), s.pipeline, s.pipeline+".duckdb")
	default:
		v = s.path(v)
	}
	set(name, h, v, false)
	return nil
}

// resolvePostgres resolves destination.postgres.credentials: a postgresql:// URL, or the
// table form (database, username, password, host, port, connect_timeout, sslmode, query),
// field by field.
func (c *Config) resolvePostgres(set func(string, cfgHit, string, bool)) []error {
	s := c.st
	const name = "destination.postgres.credentials"
	if h, ok := s.find(destinationPaths("postgres", "credentials"), true); ok {
		if _, isTable := h.raw.(map[string]any); !isTable {
			v, err := h.asString(true)
			if err != nil {
				return []error{err}
			}
			u, err := cfgParsePostgresURL(v)
			if err != nil {
				return []error{fmt.Errorf("%s: %s: %v", h.origin, h.key(), err)}
			}
			set(name, h, u, u != cfgRedactURL(u))
			return nil
		}
	}
	fields := map[string]cfgHit{}
	values := map[string]string{}
	var errs []error
	for _, k := range postgresFields {
		h, ok := s.find(destinationPaths("postgres", "credentials", k.name), true)
		if !ok {
			continue
		}
		fields[k.name] = h
		switch k.kind {
		case cfgInt:
			lo, hi := int64(1), int64(65535)
			if k.name == "connect_timeout" {
				lo, hi = 0, 3600
			}
			n, err := h.asInt(lo, hi)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			values[k.name] = strconv.FormatInt(n, 10)
		default:
			v, err := h.asString(k.secret)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			values[k.name] = v
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if len(fields) == 0 {
		return nil
	}
	var missing []string
	for _, f := range []string{"database", "username", "host"} {
		if values[f] == "" {
			missing = append(missing, f)
		}
	}
	first := fields[cfgFirstKey(fields)]
	if len(missing) > 0 {
		return []error{fmt.Errorf("%s: the postgres credentials table lacks %s: add them under [destination.postgres.credentials] (database, username, password, host, port), or write one URL: credentials = \"postgresql://user:password@host:5432/database\"",
			first.origin, strings.Join(missing, ", "))}
	}
	if values["host"] == "host" && values["password"] == "password" {
		s.pgPlaceholder = first.origin // left as sfdlt init wrote it: treat as not configured
		return nil
	}
	port := values["port"]
	if port == "" {
		port = "5432"
	}
	u := &url.URL{Scheme: "postgresql", Host: net.JoinHostPort(values["host"], port), Path: "/" + values["database"]}
	if values["password"] != "" {
		u.User = url.UserPassword(values["username"], values["password"])
	} else {
		u.User = url.User(values["username"])
	}
	q := url.Values{}
	if h, ok := s.find(destinationPaths("postgres", "credentials", "query"), true); ok {
		if m, ok := h.raw.(map[string]any); ok {
			for k, v := range m {
				if sv, ok := v.(string); ok {
					q.Set(k, sv)
				}
			}
		}
	}
	ct := values["connect_timeout"]
	if ct == "" {
		ct = "15" // dlt's default
	}
	q.Set("connect_timeout", ct)
	if values["sslmode"] != "" {
		q.Set("sslmode", values["sslmode"])
	}
	u.RawQuery = q.Encode()
	origin := first
	if h, ok := fields["password"]; ok {
		origin = h
		c.warnSecretInConfig(h)
	}
	s.values[name] = cfgSetting{key: name, value: u.String(), origin: origin.origin, secret: values["password"] != ""}
	return nil
}

// cfgFirstKey returns the first of postgresFields present in m, so messages are stable.
func cfgFirstKey(m map[string]cfgHit) string {
	for _, k := range postgresFields {
		if _, ok := m[k.name]; ok {
			return k.name
		}
	}
	return ""
}

// cfgParsePostgresURL checks a postgres URL and adds dlt's default connect_timeout. Its
// errors never include the URL, which may hold a password.
func cfgParsePostgresURL(v string) (string, error) {
	const want = `expected a URL such as "postgresql://user:password@host:5432/database" (or the table form [destination.postgres.credentials] with database, username, password, host, port)`
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (u.Scheme != "postgresql" && u.Scheme != "postgres") || u.Host == "" {
		return "", errors.New(want)
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "15")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// cfgRedactURL hides the password of a URL.
func cfgRedactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "(not shown)"
	}
	return u.Redacted()
}

// warnUnknown warns about keys under [sources.salesforce] (and its credentials section)
// that sfdlt does not read, and about SOURCES__SALESFORCE__* variables alike: likely typos.
func (c *Config) warnUnknown() {
	s := c.st
	known := func(k string, credentials bool) bool {
		for _, sk := range salesforceKeys {
			if sk.name == k && (!credentials || sk.credential) {
				return true
			}
		}
		return false
	}
	// suggest returns " (did you mean <key>?)" for the known key nearest to k, if one is near.
	suggest := func(k string, spell func(string) string) string {
		best, bestD := "", 4
		for _, sk := range salesforceKeys {
			if d := cfgDistance(strings.ToLower(k), sk.name); d < bestD {
				best, bestD = sk.name, d
			}
		}
		if best == "" {
			return ""
		}
		return " (did you mean " + spell(best) + "?)"
	}
	asIs := func(k string) string { return k }
	for _, f := range s.files {
		if !f.exists {
			continue
		}
		bases := [][]string{{"sources", SourceName}, {s.pipeline, "sources", SourceName}}
		for _, base := range bases {
			t, ok := f.get(base)
			m, isMap := t.(map[string]any)
			if !ok || !isMap {
				continue
			}
			for _, k := range cfgSortedKeys(m) {
				path := append(slices.Clone(base), k)
				if k == "credentials" {
					cm, ok := m[k].(map[string]any)
					if !ok {
						c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %s should be a section ([%s]) holding user_name, password, security_token: sfdlt ignores it",
							f.origin(path), strings.Join(path, "."), strings.Join(path, ".")))
						continue
					}
					for _, ck := range cfgSortedKeys(cm) {
						if !known(ck, true) {
							cp := append(slices.Clone(path), ck)
							c.Warnings = append(c.Warnings, fmt.Sprintf("%s: unknown key %s%s: sfdlt ignores it",
								f.origin(cp), strings.Join(cp, "."), suggest(ck, asIs)))
						}
					}
					continue
				}
				if !known(k, false) {
					c.Warnings = append(c.Warnings, fmt.Sprintf("%s: unknown key %s%s: sfdlt ignores it",
						f.origin(path), strings.Join(path, "."), suggest(k, asIs)))
				}
			}
		}
		if !f.secrets {
			if t, ok := f.get([]string{"pipeline"}); ok {
				if m, ok := t.(map[string]any); ok {
					for _, k := range []string{"pipeline_name", "dataset_name", "pipelines_dir", "dev_mode", "commit_every"} {
						if _, ok := m[k]; ok {
							c.Warnings = append(c.Warnings, fmt.Sprintf("%s: pipeline.%s is not read: dlt reads %s at the top of config.toml, before any [section]: move it there",
								f.origin([]string{"pipeline", k}), k, k))
						}
					}
				}
			}
		}
	}
	prefix := "SOURCES__" + strings.ToUpper(SourceName) + "__"
	var names []string
	for _, kv := range s.environ {
		if name, _, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		rest := strings.TrimPrefix(name, prefix)
		credentials := false
		if r, ok := strings.CutPrefix(rest, "CREDENTIALS__"); ok {
			rest, credentials = r, true
		}
		if !known(strings.ToLower(rest), credentials) {
			hint := suggest(rest, func(k string) string { return strings.TrimSuffix(name, rest) + strings.ToUpper(k) })
			c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s is not a setting sfdlt reads%s: it is ignored", name, hint))
		}
	}
}

func cfgSortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cfgDistance is the Levenshtein distance, for "did you mean" suggestions.
func cfgDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// value returns a resolved setting's value ("" when not set).
func (c *Config) value(name string) string {
	if c == nil || c.st == nil {
		return ""
	}
	return c.st.values[name].value
}

// Origin tells where the named setting came from ("env SOURCES__SALESFORCE__PASSWORD",
// "/home/me/project/.dlt/secrets.toml:3", "default"), for messages. Names are the short
// Salesforce keys (password, domain, ...), the pipeline settings (pipeline_name, ...) and
// destination.<name>.credentials.
func (c *Config) Origin(name string) (string, bool) {
	if c == nil || c.st == nil {
		return "", false
	}
	v, ok := c.st.values[name]
	return v.origin, ok
}

// Credentials returns the Salesforce credentials. With none configured at all, or with only
// the placeholders sfdlt init writes, it returns a *MissingConfigError that says where it
// looked and what to write where.
func (c *Config) Credentials() (Credentials, error) {
	if c == nil || c.st == nil {
		return Credentials{}, errors.New("no configuration: call LoadConfig first")
	}
	cr := Credentials{
		UserName:      c.value("user_name"),
		Password:      c.value("password"),
		SecurityToken: c.value("security_token"),
		ClientID:      c.value("client_id"),
		ClientSecret:  c.value("client_secret"),
		PrivateKey:    c.value("private_key"),
		PrivateKeyFile: func() string {
			if v := c.value("private_key_file"); v != "" {
				return v
			}
			return c.value("private_key_path")
		}(),
		RefreshToken: c.value("refresh_token"),
		SessionID:    c.value("session_id"),
		InstanceURL:  c.value("instance_url"),
	}
	var placeholders []string
	for _, k := range []string{"user_name", "password", "security_token"} {
		if c.value(k) == k {
			o, _ := c.Origin(k)
			placeholders = append(placeholders, fmt.Sprintf("%s (%s)", k, o))
		}
	}
	if len(placeholders) > 0 {
		e := c.missingCredentials()
		e.What = "Salesforce credentials: " + strings.Join(placeholders, ", ") + " still hold the placeholders sfdlt init wrote"
		e.Fix = "replace the placeholders with your user name, password and security token (delete security_token if your org trusts your IP range)"
		return Credentials{}, e
	}
	if cr == (Credentials{}) || (cr.InstanceURL != "" && cr == Credentials{InstanceURL: cr.InstanceURL}) {
		return Credentials{}, c.missingCredentials()
	}
	oauth := cr.ClientSecret != "" || cr.PrivateKey != "" || cr.PrivateKeyFile != "" || cr.RefreshToken != "" || cr.SessionID != ""
	if !oauth {
		switch {
		case cr.UserName != "" && cr.Password == "":
			o, _ := c.Origin("user_name")
			e := c.missingKey("password")
			e.What = fmt.Sprintf("Salesforce password (the user_name set in %s needs one)", o)
			return Credentials{}, e
		case cr.Password != "" && cr.UserName == "":
			o, _ := c.Origin("password")
			e := c.missingKey("user_name")
			e.What = fmt.Sprintf("Salesforce user_name (the password set in %s needs one)", o)
			return Credentials{}, e
		}
	}
	return cr, nil
}

// files lists the configuration files with full paths, saying which exist.
func (s *cfgState) fileList() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.path
		if !f.exists {
			out[i] += " (not found)"
		}
	}
	return out
}

func (s *cfgState) secretsPath() string { return filepath.Join(s.workDir, ".dlt", "secrets.toml") }

// lookedAt returns the keys and environment variables of leaf under each prefix.
func lookedAt(prefixes [][]string, leaf string) (keys, env []string) {
	for _, p := range prefixes {
		path := append(slices.Clone(p), leaf)
		keys = append(keys, strings.Join(path, "."))
		env = append(env, cfgEnvName(path))
	}
	return keys, env
}

var credentialPrefixes = [][]string{
	{"sources", SourceName, "credentials"}, {"sources", SourceName},
	{"sources", "credentials"}, {"sources"}, {"credentials"}, {},
}

func (c *Config) missingCredentials() *MissingConfigError {
	s := c.st
	var names []string
	for _, k := range salesforceKeys {
		if k.credential {
			names = append(names, k.name)
		}
	}
	keys, env := lookedAt(credentialPrefixes, "<key>")
	return &MissingConfigError{
		What: "Salesforce credentials", Keys: keys, Names: names, EnvVars: env, Pipeline: s.pipeline, Files: s.fileList(),
		Fix: fmt.Sprintf("write your user name, password and security token in %s (then chmod 600 it):\n\n[sources.salesforce]\nuser_name = \"you@example.com\"\npassword = \"...\"\nsecurity_token = \"...\"\n\n"+
			"or set SOURCES__SALESFORCE__USER_NAME, SOURCES__SALESFORCE__PASSWORD and SOURCES__SALESFORCE__SECURITY_TOKEN. "+
			"For OAuth set client_id with private_key_file, refresh_token or client_secret instead. `sfdlt init` writes a template.", s.secretsPath()),
	}
}

func (c *Config) missingKey(key string) *MissingConfigError {
	s := c.st
	keys, env := lookedAt(credentialPrefixes, key)
	return &MissingConfigError{
		What: key, Keys: keys, EnvVars: env, Pipeline: s.pipeline, Files: s.fileList(),
		Fix: fmt.Sprintf("add %s = \"...\" under [sources.salesforce] in %s, or set SOURCES__SALESFORCE__%s", key, s.secretsPath(), strings.ToUpper(key)),
	}
}

// SourceOptions returns the source settings of the configuration (domain, login_url,
// api_version, is_production, include_formula_fields) as options for NewSource.
func (c *Config) SourceOptions() []SourceOption {
	var opts []SourceOption
	if v := c.value("domain"); v != "" {
		opts = append(opts, Domain(v))
	}
	if v := c.value("login_url"); v != "" {
		opts = append(opts, LoginURL(v))
	}
	if v := c.value("api_version"); v != "" {
		opts = append(opts, APIVersion(v))
	}
	if v := c.value("is_production"); v != "" {
		opts = append(opts, Production(v == "true"))
	}
	if v := c.value("include_formula_fields"); v != "" {
		opts = append(opts, FormulaFields(v == "true"))
	}
	if v := c.value("bulk_threshold"); v != "" {
		n, _ := strconv.Atoi(v)
		opts = append(opts, BulkThreshold(n))
	}
	if v := c.value("hard_deletes"); v != "" {
		opts = append(opts, HardDeletes(v == "true"))
	}
	if v := c.value("lookback"); v != "" {
		d, _ := time.ParseDuration(strings.TrimSpace(v))
		opts = append(opts, Lookback(d))
	}
	if v := c.value("max_api_usage_percent"); v != "" {
		f, _ := strconv.ParseFloat(v, 64)
		opts = append(opts, MaxAPIUsagePercent(f))
	}
	if v := c.value("formula_refresh"); v != "" {
		d, _ := time.ParseDuration(strings.TrimSpace(v))
		opts = append(opts, FormulaRefresh(d))
	}
	if v := c.value("max_query_cursors"); v != "" {
		n, _ := strconv.Atoi(v)
		opts = append(opts, MaxQueryCursors(n))
	}
	return opts
}

// NewSourceFromConfig makes the Salesforce source from the configuration's credentials and
// source settings; opts are applied after those of the configuration, so explicit options win.
func NewSourceFromConfig(cfg *Config, opts ...SourceOption) (*Source, error) {
	if cfg == nil {
		return nil, errors.New("NewSourceFromConfig: nil configuration: load one with LoadConfig")
	}
	creds, err := cfg.Credentials()
	if err != nil {
		return nil, err
	}
	return NewSource(creds, append(cfg.SourceOptions(), opts...)...)
}

// Pipeline returns the pipeline settings.
func (c *Config) Pipeline() PipelineSettings {
	if c == nil || c.st == nil {
		return PipelineSettings{Name: defaultPipelineName}
	}
	ps := PipelineSettings{
		Name:         c.st.pipeline,
		DatasetName:  c.value("dataset_name"),
		PipelinesDir: c.st.pipelinesDir(),
		DevMode:      c.value("dev_mode") == "true",
	}
	if v := c.value("commit_every"); v != "" {
		n, _ := strconv.Atoi(v)
		ps.CommitEvery = &n
	}
	return ps
}

// DestinationCredentials returns the credentials of the named destination, where they came
// from, and whether any are configured. For "duckdb" it is the database file, absolute (default
// <pipeline_name>.duckdb in the working directory; ok is then true too); for "postgres" a
// postgresql:// URL, built from the table form when that is used. Other names are looked up
// as destination.<name>.credentials strings. The value may hold a password: do not print it.
func (c *Config) DestinationCredentials(name string) (value, origin string, ok bool) {
	if c == nil || c.st == nil {
		return "", "", false
	}
	key := "destination." + name + ".credentials"
	if v, found := c.st.values[key]; found {
		return v.value, v.origin, true
	}
	if name == "duckdb" || name == "postgres" {
		return "", "", false
	}
	h, found := c.st.find(destinationPaths(name, "credentials"), true)
	if !found {
		return "", "", false
	}
	v, err := h.asString(true)
	if err != nil {
		return "", "", false
	}
	return v, h.origin, true
}

// duckdbMemory is a DuckDB memory size: a number and a unit.
var duckdbMemory = regexp.MustCompile(`(?i)^[0-9]+(\.[0-9]+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)$`)

// DuckDBMemoryLimit returns destination.duckdb.memory_limit (env
// DESTINATION__DUCKDB__MEMORY_LIMIT), DuckDB's memory_limit for sfdlt's connection, or "" when
// not set (DuckDB's default, 80% of RAM). BENCHMARKS.md measures what it does to peak memory.
func (c *Config) DuckDBMemoryLimit() string {
	if c == nil || c.st == nil {
		return ""
	}
	return c.value("destination.duckdb.memory_limit")
}

// MissingDestinationError explains, for a destination whose DestinationCredentials are not
// configured, where sfdlt looked and what to write where.
func (c *Config) MissingDestinationError(name string) error {
	if c == nil || c.st == nil {
		return errors.New("no configuration: call LoadConfig first")
	}
	s := c.st
	prefixes := [][]string{{"destination", name}, {"destination"}, {}}
	keys, env := lookedAt(prefixes, "credentials")
	e := &MissingConfigError{What: name + " credentials", Keys: keys, EnvVars: env, Pipeline: s.pipeline, Files: s.fileList(),
		Fix: fmt.Sprintf("write in %s:\n\n[destination.%s]\ncredentials = \"...\"\n\nor set DESTINATION__%s__CREDENTIALS", s.secretsPath(), name, strings.ToUpper(name))}
	if name == "postgres" {
		var fp [][]string
		for _, p := range prefixes {
			fp = append(fp, append(slices.Clone(p), "credentials"))
		}
		fk, fe := lookedAt(fp, "<key>")
		e.Keys, e.EnvVars = append(e.Keys, fk...), append(e.EnvVars, fe...)
		for _, f := range postgresFields {
			e.Names = append(e.Names, f.name)
		}
		e.Fix = fmt.Sprintf("write in %s either one URL:\n\n[destination.postgres]\ncredentials = \"postgresql://user:password@host:5432/database\"\n\n"+
			"or the table:\n\n[destination.postgres.credentials]\ndatabase = \"...\"\nusername = \"...\"\npassword = \"...\"\nhost = \"...\"\nport = 5432\n\n"+
			"or set DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/database", s.secretsPath())
		if s.pgPlaceholder != "" {
			e.What += fmt.Sprintf(" (%s still holds the placeholders sfdlt init wrote)", s.pgPlaceholder)
		}
	}
	return e
}

// String lists the files read and every resolved setting with its origin; secrets are shown
// as [redacted] and passwords inside URLs as xxxxx.
func (c *Config) String() string {
	if c == nil || c.st == nil {
		return "sfdlt.Config{}"
	}
	s := c.st
	var b strings.Builder
	b.WriteString("sfdlt configuration\nfiles: " + strings.Join(s.fileList(), ", ") + "\n")
	show := func(name string) {
		v, ok := s.values[name]
		if !ok {
			return
		}
		val := strconv.Quote(v.value)
		switch {
		case strings.HasPrefix(name, "destination.") && strings.Contains(v.value, "://"):
			val = strconv.Quote(cfgRedactURL(v.value))
		case v.secret:
			val = "[redacted]"
		}
		fmt.Fprintf(&b, "%s = %s (%s)\n", v.key, val, v.origin)
	}
	for _, k := range []string{"pipeline_name", "dataset_name", "pipelines_dir", "dev_mode", "commit_every"} {
		show(k)
	}
	for _, k := range salesforceKeys {
		show(k.name)
	}
	show("destination.duckdb.credentials")
	show("destination.postgres.credentials")
	return strings.TrimRight(b.String(), "\n")
}

// GoString is String, so that %#v shows no secret either.
func (c *Config) GoString() string { return c.String() }

// InitFiles returns the .dlt/secrets.toml and .dlt/config.toml that `sfdlt init <dest>` writes,
// as dlt init writes them: placeholders to replace for user_name, password and security_token
// (and for the postgres credentials), every other key commented out with its default.
// dest is "duckdb" or "postgres".
func InitFiles(dest string) (secretsTOML, configTOML string, err error) {
	var sec, conf strings.Builder
	sec.WriteString(`# sfdlt secrets: keep this file private (chmod 600) and out of version control.
# Read as dlt reads .dlt/secrets.toml: environment variables such as SOURCES__SALESFORCE__PASSWORD
# win over this file, and this file wins over ~/.dlt/secrets.toml.

[sources.salesforce]
user_name = "user_name" # please set me up!
password = "password" # please set me up!
security_token = "security_token" # please set me up! (Salesforce: Settings > Reset My Security Token)

# Or log in with a connected app (OAuth) instead of a password: set the keys of one flow.
# client_id = ""         # the consumer key; with user_name and private_key_file: JWT bearer flow
# private_key_file = ""  # path to the PEM key (or private_key = the PEM text itself)
# refresh_token = ""     # with client_id (and client_secret): refresh token flow
# client_secret = ""     # with client_id alone: client credentials flow (needs a My Domain)
# session_id = ""        # an existing session, with instance_url; not renewed when it expires
# instance_url = ""      # https://yourorg.my.salesforce.com
`)
	conf.WriteString(`# sfdlt configuration, read as dlt reads .dlt/config.toml. No secrets here: they go to
# secrets.toml. Environment variables win over this file (PIPELINE_NAME, SOURCES__SALESFORCE__DOMAIN).

# Pipeline settings are top-level keys, as in dlt: they must stay above every [section].
# pipeline_name = "salesforce"          # default: salesforce
# dataset_name = "salesforce_data"      # default: <pipeline_name>_dataset
# pipelines_dir = "~/.dlt/pipelines"    # where pipelines keep their local state
# dev_mode = false                      # true: load into a fresh dataset on every run
# commit_every = 250000                 # commit a chunk every this many rows (a stopped run goes on from it); 0: one commit per run

[sources.salesforce]
# domain = "login"                      # "test" for sandboxes, or your My Domain such as "acme.my"
# login_url = ""                        # a full login URL; wins over domain
# api_version = "64.0"
# is_production = true                  # false caps every query at 100 rows (a development setting)
# include_formula_fields = true         # false leaves formula fields out (they can go stale in incremental loads)
# bulk_threshold = 100000               # full loads of at least this many records use Bulk API 2.0; 0 turns Bulk off
# hard_deletes = false                  # true: rows of records deleted in Salesforce are deleted (default: kept with is_deleted = true)
# lookback = "0s"                       # re-read this much before the cursor on every run (stamps that arrive late)
# max_api_usage_percent = 0             # stop cleanly when the org's daily API usage reaches this share (0: off)
# formula_refresh = "0s"                # read incremental resources in full this often, to refresh formula fields (e.g. "168h")
# max_query_cursors = 8                 # REST query cursors a run holds open at once (1-9; Salesforce allows a user 10, shared with its other integrations)
`)
	switch dest {
	case "duckdb":
		conf.WriteString(`
[destination.duckdb]
# credentials = "salesforce.duckdb"     # the database file; default <pipeline_name>.duckdb in this directory
# memory_limit = "256MB"                # DuckDB's memory_limit for sfdlt (default: DuckDB's, 80% of RAM)
`)
	case "postgres":
		sec.WriteString(`
[destination.postgres.credentials]
database = "database" # please set me up!
username = "username" # please set me up!
password = "password" # please set me up!
host = "host" # please set me up!
port = 5432
connect_timeout = 15
# sslmode = "require"
# Or, instead of this table, one URL under [destination.postgres]:
# credentials = "postgresql://username:password@host:5432/database"
`)
	default:
		return "", "", fmt.Errorf("sfdlt init: unknown destination %q: use duckdb or postgres", dest)
	}
	return sec.String(), conf.String(), nil
}

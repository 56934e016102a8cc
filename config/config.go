// Package config resolves sfdlt's configuration the way dlt resolves its own: TOML files
// (.dlt/secrets.toml and .dlt/config.toml in the working directory, then in ~/.dlt/) and
// environment variables (SOURCES__SALESFORCE__USER_NAME), each key looked up from the most
// specific path to the least. Load parses every value once into typed settings (Settings) and
// reports every malformed one; Config.Source, Config.Destination and Config.Pipeline build the
// library's objects from them:
//
//	cfg, err := config.Load(config.Options{})
//	src, err := cfg.Source()
//	dest, err := cfg.Destination("duckdb")
//	p, err := cfg.Pipeline(dest)
//	info, err := p.Run(ctx, src)
//
// Secrets are never shown: not in errors, not in warnings, not when a Config or its Settings
// are printed.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// defaultPipelineName is the pipeline name when neither Options nor the configuration names
// one: the name the dlt Salesforce example pipeline uses.
const defaultPipelineName = "salesforce"

// Options says where Load looks. The zero value reads the process's working directory, home
// directory and environment, as dlt does; tests set all three.
type Options struct {
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
// pipeline settings and destination settings, each remembering where it came from. Make one
// with Load. Printing a Config (String, %v, %#v) never shows a secret.
type Config struct {
	// Warnings are problems that do not stop a run: unknown keys (likely typos), a secrets.toml
	// readable by other users, a secret kept in config.toml. The library never prints them.
	Warnings []string

	st *state // behind a pointer so that printing a Config value shows no secret
}

// Settings are the typed settings of a configuration, as Config.Settings returns them.
type Settings struct {
	Source   SourceSettings
	Pipeline PipelineSettings
	DuckDB   DuckDBSettings
	Postgres PostgresSettings
}

// clone copies the settings, pointers included.
func (s Settings) clone() Settings {
	s.Source.Production = clonePtr(s.Source.Production)
	s.Source.FormulaFields = clonePtr(s.Source.FormulaFields)
	s.Source.BulkThreshold = clonePtr(s.Source.BulkThreshold)
	s.Source.ObjectsInclude = slices.Clone(s.Source.ObjectsInclude)
	s.Source.ObjectsExclude = slices.Clone(s.Source.ObjectsExclude)
	s.Source.Objects = cloneObjects(s.Source.Objects)
	s.Source.Resources = cloneObjects(s.Source.Resources)
	s.Pipeline.CommitEvery = clonePtr(s.Pipeline.CommitEvery)
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// state is the inside of a Config.
type state struct {
	workDir, homeDir string
	files            []*tomlFile
	lookupEnv        func(string) (string, bool)
	environ          []string // nil when only lookupEnv is known
	pipeline         string

	settings Settings
	creds    rawCredentials
	// found records, by short name ("password", "pipeline_name",
	// "destination.duckdb.credentials"), where each setting came from and how String shows it.
	found         map[string]found
	pgPlaceholder string // origin of postgres credentials left as sfdlt init wrote them
}

// found is where a resolved setting came from, and how String shows it.
type found struct {
	key    string // dotted path it was found at, e.g. sources.salesforce.password
	shown  string // the value as String shows it (unquoted); unused when secret
	origin string // "env NAME", "/path/.dlt/secrets.toml:12", "default" or "given by the caller"
	secret bool
}

// Load reads .dlt/secrets.toml and .dlt/config.toml from the working directory and from the
// home directory, and the environment, and resolves every setting sfdlt knows the way dlt
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
//     sources.<key>, <key> for the other source settings (domain, login_url, api_version,
//     is_production, include_formula_fields, all_objects, objects_include, ...);
//     sources.salesforce.objects.<Object>.<key> for an object's hints (write_disposition,
//     primary_key, merge_key, cursor, not_null, columns), the object's API name matched
//     regardless of case; sources.salesforce.resources.<resource>.<key> for the same hints of a
//     standard resource, named as dlt names it (contact); destination.<name>.credentials,
//     destination.credentials, credentials for destinations.
//
// An environment variable is the path upper-cased and joined by "__":
// sources.salesforce.password is SOURCES__SALESFORCE__PASSWORD,
// sources.salesforce.objects.Invoice__c.cursor is SOURCES__SALESFORCE__OBJECTS__INVOICE__C__CURSOR
// (an object or resource named only by variables is found when Load knows the whole environment,
// that is unless only Options.LookupEnv is given). A list (objects_include, primary_key, ...) is a
// TOML array, or a string: in a file a list of one, in a variable a comma-separated list
// ("*__c,Opportunity*") or a JSON array. A table (write_disposition's table form, columns) is, in
// a variable, a JSON object or a TOML inline table, as dlt reads them:
// SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION='{disposition = "merge"}'. Empty values (an empty variable, password = "") count
// as not set.
//
// Files that do not exist are skipped. Load fails on unreadable files, TOML syntax errors
// (naming file, line and column) and values of the wrong type (naming key, file and line);
// missing credentials are reported by Credentials, Source and Destination, so that commands
// that need none can run. It reads at most four small local files and so takes no context.
func Load(opts Options) (*Config, error) {
	st := &state{workDir: opts.WorkDir, homeDir: opts.HomeDir}
	if st.workDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("loading configuration: cannot find the working directory (%v): set Options.WorkDir", err)
		}
		st.workDir = wd
	}
	if st.homeDir == "" {
		if h, err := os.UserHomeDir(); err == nil {
			st.homeDir = h
		}
	}
	st.workDir = absPath(st.workDir)
	if st.homeDir != "" {
		st.homeDir = absPath(st.homeDir)
	}
	switch {
	case opts.LookupEnv != nil:
		st.lookupEnv = opts.LookupEnv
	case opts.Environ != nil:
		st.environ = opts.Environ
		st.lookupEnv = environLookup(opts.Environ)
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
			f := &tomlFile{path: filepath.Join(dir, name), secrets: name == "secrets.toml"}
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

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

func environLookup(environ []string) func(string) (string, bool) {
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

// errNoConfig is what the methods of a Config that Load did not make return.
var errNoConfig = errors.New("no configuration: load one with config.Load")

// Settings returns the typed settings Load resolved: the source's, the pipeline's and the
// destinations'. It is a copy: changing it changes nothing in c. Pass options to Source and
// Pipeline to override a setting.
func (c *Config) Settings() Settings {
	if c == nil || c.st == nil {
		return Settings{Pipeline: PipelineSettings{Name: defaultPipelineName}}
	}
	return c.st.settings.clone()
}

// Origin tells where the named setting came from ("env SOURCES__SALESFORCE__PASSWORD",
// "/home/me/project/.dlt/secrets.toml:3", "default"), for messages. Names are the short
// Salesforce keys (password, domain, ...), objects.<Object>.<key> for an object's hints (the
// object spelled as in Settings().Source.Objects), resources.<resource>.<key> for a resource's,
// the pipeline settings (pipeline_name, ...),
// destination.<name>.credentials and destination.duckdb.memory_limit.
func (c *Config) Origin(name string) (string, bool) {
	if c == nil || c.st == nil {
		return "", false
	}
	v, ok := c.st.found[name]
	return v.origin, ok
}

// String lists the files read and every resolved setting with its origin; secrets are shown
// as [redacted] and passwords inside URLs as xxxxx.
func (c *Config) String() string {
	if c == nil || c.st == nil {
		return "config.Config{}"
	}
	s := c.st
	var b strings.Builder
	b.WriteString("sfdlt configuration\nfiles: " + strings.Join(s.fileList(), ", ") + "\n")
	show := func(name string) {
		v, ok := s.found[name]
		if !ok {
			return
		}
		val := strconv.Quote(v.shown)
		if v.secret {
			val = "[redacted]"
		}
		fmt.Fprintf(&b, "%s = %s (%s)\n", v.key, val, v.origin)
	}
	for _, k := range pipelineKeys {
		show(k.name)
	}
	for _, k := range salesforceKeys {
		tables, setting := s.settings.Source.Objects, objectSetting
		switch k.kind {
		case kindObjects:
		case kindResources:
			tables, setting = s.settings.Source.Resources, resourceSetting
		default:
			show(k.name)
			continue
		}
		for _, table := range slices.Sorted(maps.Keys(tables)) {
			for _, key := range objectKeys {
				show(setting(table, key.name))
			}
		}
	}
	show("destination.duckdb.credentials")
	show("destination.duckdb.memory_limit")
	show("destination.postgres.credentials")
	return strings.TrimRight(b.String(), "\n")
}

// GoString is String, so that %#v shows no secret either.
func (c *Config) GoString() string { return c.String() }

// fileList lists the configuration files with full paths, saying which exist.
func (s *state) fileList() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.path
		if !f.exists {
			out[i] += " (not found)"
		}
	}
	return out
}

func (s *state) secretsPath() string { return filepath.Join(s.workDir, ".dlt", "secrets.toml") }

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

package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/destination/postgres"
)

// DuckDBSettings are the settings of the DuckDB destination under [destination.duckdb].
type DuckDBSettings struct {
	// Path is the database file from credentials (env DESTINATION__DUCKDB__CREDENTIALS): a path,
	// duckdb:///path, :memory: or :pipeline: (the pipeline's working directory, as in dlt), or
	// the table form's database. It is absolute, or ":memory:"; default <pipeline_name>.duckdb
	// in the working directory.
	Path string
	// MemoryLimit is memory_limit (env DESTINATION__DUCKDB__MEMORY_LIMIT), DuckDB's memory_limit
	// for sfdlt's connection, such as "1GB"; "" lets sfdlt manage it (duckdb.DefaultMemoryLimit).
	// BENCHMARKS.md measures what it does to peak memory.
	MemoryLimit string
}

// PostgresSettings are the settings of the Postgres destination: its credentials under
// [destination.postgres] (env DESTINATION__POSTGRES__CREDENTIALS). Printing them, with any
// verb, shows the password as xxxxx.
type PostgresSettings struct {
	// DSN is the credentials as a postgresql:// URL, built from the table form
	// ([destination.postgres.credentials] with database, username, password, host, port,
	// connect_timeout, sslmode) when that is used, with dlt's connect_timeout of 15 seconds
	// unless one is given. "" when not configured. It holds the password: do not print it.
	DSN string
}

// String shows the DSN with its password redacted.
func (p PostgresSettings) String() string {
	return fmt.Sprintf("config.PostgresSettings{DSN: %q}", redactURL(p.DSN))
}

// GoString is String, so that %#v shows no password either.
func (p PostgresSettings) GoString() string { return p.String() }

// Format makes every fmt verb use String, so no verb prints the password.
func (p PostgresSettings) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }

// postgresFields are the keys of the table form of destination.postgres.credentials.
var postgresFields = []keySpec{
	{name: "database"},
	{name: "username"},
	{name: "password", secret: true},
	{name: "host"},
	{name: "port", kind: kindInt},
	{name: "connect_timeout", kind: kindInt},
	{name: "sslmode"},
}

// destinationPaths are the paths of a destination's key (credentials, or one of its fields).
func destinationPaths(dest string, key ...string) [][]string {
	return [][]string{
		append([]string{"destination", dest}, key...),
		append([]string{"destination"}, key...),
		key,
	}
}

// Destination makes the named destination, "duckdb" or "postgres", from its settings. For
// Postgres without credentials it returns a *MissingConfigError saying where sfdlt looked and
// what to write where.
func (c *Config) Destination(name string) (destination.Destination, error) {
	if c == nil || c.st == nil {
		return nil, errNoConfig
	}
	switch name {
	case "duckdb":
		d := c.st.settings.DuckDB
		var opts []duckdb.Option
		if d.MemoryLimit != "" {
			opts = append(opts, duckdb.WithConfig("memory_limit", d.MemoryLimit))
		}
		return duckdb.New(d.Path, opts...), nil
	case "postgres":
		dsn := c.st.settings.Postgres.DSN
		if dsn == "" {
			return nil, c.missingPostgres()
		}
		return postgres.New(dsn), nil
	}
	return nil, fmt.Errorf("unknown destination %q: use duckdb or postgres", name)
}

// missingPostgres explains, when no Postgres credentials are configured, where sfdlt looked
// and what to write where.
func (c *Config) missingPostgres() *MissingConfigError {
	s := c.st
	prefixes := [][]string{{"destination", "postgres"}, {"destination"}, {}}
	keys, env := lookedAt(prefixes, "credentials")
	var fp [][]string
	for _, p := range prefixes {
		fp = append(fp, append(slices.Clone(p), "credentials"))
	}
	fk, fe := lookedAt(fp, "<key>")
	e := &MissingConfigError{What: "postgres credentials", Keys: append(keys, fk...), EnvVars: append(env, fe...),
		Pipeline: s.pipeline, Files: s.fileList(),
		Fix: fmt.Sprintf("write in %s either one URL:\n\n[destination.postgres]\ncredentials = \"postgresql://user:password@host:5432/database\"\n\n"+
			"or the table:\n\n[destination.postgres.credentials]\ndatabase = \"...\"\nusername = \"...\"\npassword = \"...\"\nhost = \"...\"\nport = 5432\n\n"+
			"or set DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/database", s.secretsPath())}
	for _, f := range postgresFields {
		e.Names = append(e.Names, f.name)
	}
	if s.pgPlaceholder != "" {
		e.What += fmt.Sprintf(" (%s still holds the placeholders sfdlt init wrote)", s.pgPlaceholder)
	}
	return e
}

// duckdbMemory is a DuckDB memory size: a number and a unit.
var duckdbMemory = regexp.MustCompile(`(?i)^[0-9]+(\.[0-9]+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)$`)

// resolveDuckDB resolves destination.duckdb.credentials (a path, a duckdb:/// URL, :memory:,
// :pipeline: or a table with database) and destination.duckdb.memory_limit.
func (c *Config) resolveDuckDB() []error {
	s := c.st
	d := &s.settings.DuckDB
	var errs []error
	if err := c.resolveDuckDBPath(); err != nil {
		errs = append(errs, err)
	}
	if h, ok := s.find([][]string{{"destination", "duckdb", "memory_limit"}}, true); ok {
		v, err := h.asString(false)
		switch {
		case err != nil:
			errs = append(errs, err)
		case !duckdbMemory.MatchString(strings.TrimSpace(v)):
			errs = append(errs, fmt.Errorf("%s: %s = %q is not a size: write it as DuckDB does, such as \"256MB\" or \"2GB\"", h.origin, h.key(), v))
		default:
			d.MemoryLimit = strings.TrimSpace(v)
			c.set("destination.duckdb.memory_limit", h, d.MemoryLimit, false)
		}
	}
	return errs
}

func (c *Config) resolveDuckDBPath() error {
	s := c.st
	const name = "destination.duckdb.credentials"
	d := &s.settings.DuckDB
	useDefault := func() {
		d.Path = filepath.Join(s.workDir, s.pipeline+".duckdb")
		s.found[name] = found{key: name, shown: d.Path, origin: "default"}
	}
	h, ok := s.find(destinationPaths("duckdb", "credentials"), true)
	if ok {
		if _, isTable := h.raw.(map[string]any); isTable {
			ok = false // the table form: look for its database field
		}
	}
	if !ok {
		if h, ok = s.find(destinationPaths("duckdb", "credentials", "database"), true); !ok {
			useDefault()
			return nil
		}
	}
	v, err := h.asString(false)
	if err != nil {
		return err
	}
	if strings.Contains(v, "://") && !strings.HasPrefix(v, "duckdb:///") {
		if !strings.Contains(joinPath(h.path), joinPath([]string{"destination", "duckdb"})) {
			useDefault() // destination.credentials or credentials holding another destination's URL
			return nil
		}
		return fmt.Errorf("%s: %s: expected a file path or duckdb:///path, found a URL of another kind: write credentials = \"%s.duckdb\"",
			h.origin, h.key(), s.pipeline)
	}
	// duckdb:///x is relative and duckdb:////x absolute, as in SQLAlchemy URLs.
	v = strings.TrimPrefix(v, "duckdb:///")
	switch v {
	case ":memory:":
	case ":pipeline:":
		v = filepath.Join(s.settings.Pipeline.PipelinesDir, s.pipeline, s.pipeline+".duckdb")
	default:
		v = s.path(v)
	}
	d.Path = v
	c.set(name, h, v, false)
	return nil
}

// resolvePostgres resolves destination.postgres.credentials: a postgresql:// URL, or the
// table form (database, username, password, host, port, connect_timeout, sslmode, query),
// field by field.
func (c *Config) resolvePostgres() []error {
	s := c.st
	const name = "destination.postgres.credentials"
	if h, ok := s.find(destinationPaths("postgres", "credentials"), true); ok {
		if _, isTable := h.raw.(map[string]any); !isTable {
			v, err := h.asString(true)
			if err != nil {
				return []error{err}
			}
			u, err := parsePostgresURL(v)
			if err != nil {
				return []error{fmt.Errorf("%s: %s: %v", h.origin, h.key(), err)}
			}
			s.settings.Postgres.DSN = u
			if u != redactURL(u) {
				c.warnSecretInConfig(h)
			}
			s.found[name] = found{key: h.key(), shown: redactURL(u), origin: h.origin}
			return nil
		}
	}
	fields := map[string]hit{}
	values := map[string]string{}
	var errs []error
	for _, k := range postgresFields {
		h, ok := s.find(destinationPaths("postgres", "credentials", k.name), true)
		if !ok {
			continue
		}
		fields[k.name] = h
		switch k.kind {
		case kindInt:
			lo, hi := 1, 65535
			if k.name == "connect_timeout" {
				lo, hi = 0, 3600
			}
			n, err := h.asInt(lo, hi)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			values[k.name] = strconv.Itoa(n)
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
	first := fields[firstField(fields)]
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
	s.settings.Postgres.DSN = u.String()
	s.found[name] = found{key: name, shown: redactURL(u.String()), origin: origin.origin}
	return nil
}

// firstField returns the first of postgresFields present in m, so messages are stable.
func firstField(m map[string]hit) string {
	for _, k := range postgresFields {
		if _, ok := m[k.name]; ok {
			return k.name
		}
	}
	return ""
}

// parsePostgresURL checks a postgres URL and adds dlt's default connect_timeout. Its errors
// never include the URL, which may hold a password.
func parsePostgresURL(v string) (string, error) {
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

// redactURL hides the password of a URL.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "(not shown)"
	}
	return u.Redacted()
}

package config_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/config"
)

// secretMarker is part of every secret value in testdata/config and in the tests' environments.
const secretMarker = "SEKRET"

// configTree copies testdata/config/<name> (if it exists) to a temporary directory and returns
// the working and home directories in it. secrets.toml files are made private (0600) unless
// keepMode is set, because git does not keep permission bits.
func configTree(t *testing.T, name string, keepMode bool) (work, home string) {
	t.Helper()
	root := t.TempDir()
	work, home = filepath.Join(root, "work"), filepath.Join(root, "home")
	for _, d := range []string{work, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if name == "" {
		return work, home
	}
	src := filepath.Join("testdata", "config", name)
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("no configuration tree %s: %v", src, err)
	}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		dst := filepath.Join(root, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.Name() == "secrets.toml" && !keepMode {
			mode = 0o600
		}
		if err := os.WriteFile(dst, data, mode); err != nil {
			return err
		}
		return os.Chmod(dst, mode) // WriteFile's mode is filtered by the umask
	})
	if err != nil {
		t.Fatal(err)
	}
	return work, home
}

// settingNames are the names Origin knows.
var settingNames = []string{
	"pipeline_name", "dataset_name", "pipelines_dir", "dev_mode", "commit_every", "refresh", "progress",
	"user_name", "password", "security_token", "client_id", "client_secret", "private_key", "private_key_file",
	"private_key_path", "refresh_token", "session_id", "instance_url", "domain", "login_url", "api_version",
	"is_production", "include_formula_fields", "bulk_threshold", "hard_deletes", "lookback",
	"max_api_usage_percent", "formula_refresh", "max_query_cursors", "all_objects", "objects_include", "objects_exclude",
	"destination.duckdb.credentials", "destination.duckdb.memory_limit", "destination.postgres.credentials",
}

// configMessages collects every text a Config, its settings, what it builds and its errors can
// show a user.
func configMessages(c *config.Config, errs ...error) []string {
	var out []string
	for _, err := range errs {
		if err != nil {
			out = append(out, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
		}
	}
	if c != nil {
		out = append(out, c.Warnings...)
		out = append(out, c.String(), c.GoString(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%v %+v", *c, *c))
		cr, err := c.Credentials()
		out = append(out, cr.String(), fmt.Sprintf("%v %+v %#v", cr, cr, cr))
		if err != nil {
			out = append(out, err.Error())
		}
		if src, err := c.Source(); err != nil {
			out = append(out, err.Error())
		} else {
			out = append(out, src.String(), fmt.Sprintf("%v %+v %#v", src, src, src))
		}
		st := c.Settings()
		out = append(out, fmt.Sprintf("%v %+v %#v", st, st, st),
			fmt.Sprintf("%v %+v %#v %s %q %d %x", st.Postgres, st.Postgres, st.Postgres, st.Postgres, st.Postgres, st.Postgres, st.Postgres))
		for _, d := range []string{"duckdb", "postgres", "bigquery"} {
			if dest, err := c.Destination(d); err != nil {
				out = append(out, err.Error())
			} else {
				out = append(out, fmt.Sprintf("%v %+v %#v", dest, dest, dest), dest.Info().Location)
			}
		}
		for _, k := range settingNames {
			o, _ := c.Origin(k)
			out = append(out, o)
		}
	}
	return out
}

// assertNoSecret fails when any message shows a secret.
func assertNoSecret(t *testing.T, msgs []string) {
	t.Helper()
	for _, m := range msgs {
		if strings.Contains(m, secretMarker) {
			t.Errorf("a message shows a secret:\n%s", m)
		}
	}
}

// configGet reads a resolved setting by the names the tests use: the typed settings, or the
// credentials (which must then be complete).
func configGet(t *testing.T, c *config.Config, key string) string {
	t.Helper()
	st := c.Settings()
	boolPtr := func(b *bool) string {
		if b == nil {
			return "<not set>"
		}
		return strconv.FormatBool(*b)
	}
	switch key {
	case "pipeline.name":
		return st.Pipeline.Name
	case "pipeline.dataset_name":
		return st.Pipeline.DatasetName
	case "pipeline.pipelines_dir":
		return st.Pipeline.PipelinesDir
	case "pipeline.dev_mode":
		return strconv.FormatBool(st.Pipeline.DevMode)
	case "destination.duckdb":
		return st.DuckDB.Path
	case "destination.postgres":
		if st.Postgres.DSN == "" {
			return "<not configured>"
		}
		return st.Postgres.DSN
	case "domain":
		return st.Source.Domain
	case "login_url":
		return st.Source.LoginURL
	case "api_version":
		return st.Source.APIVersion
	case "is_production":
		return boolPtr(st.Source.Production)
	case "include_formula_fields":
		return boolPtr(st.Source.FormulaFields)
	}
	cr, err := c.Credentials()
	if err != nil {
		t.Fatalf("reading %s: Credentials: %v", key, err)
	}
	switch key {
	case "user_name":
		return cr.UserName
	case "password":
		return cr.Password
	case "security_token":
		return cr.SecurityToken
	case "client_id":
		return cr.ClientID
	case "private_key_path": // private_key_file's other name
		return cr.PrivateKeyFile
	}
	t.Fatalf("configGet: unknown key %q", key)
	return ""
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		tree     string
		env      []string
		pipeline string // Options.PipelineName
		keepMode bool   // leave secrets.toml as in testdata (0644)

		want     map[string]string // configGet key -> value ($WORK, $HOME replaced)
		origins  map[string]string // Origin name -> origin ($WORK, $HOME replaced)
		loadErr  []string          // Load fails with all of these
		credErr  []string          // Credentials fails with all of these
		warnings []string          // some warning contains each of these
	}{
		{
			name: "the [sources.salesforce] layout of dlt's docs",
			tree: "salesforce_section",
			want: map[string]string{
				"user_name": "ada@example.com", "password": "pw-SEKRET-1", "security_token": "tok-SEKRET-1",
				"domain": "test", "api_version": "62.0", "is_production": "false", "include_formula_fields": "false",
				"destination.duckdb": "$WORK/salesforce.duckdb", "destination.postgres": "<not configured>",
				"pipeline.name": "salesforce", "pipeline.pipelines_dir": "$HOME/.dlt/pipelines",
			},
			origins: map[string]string{
				"user_name": "$WORK/.dlt/secrets.toml:3", "password": "$WORK/.dlt/secrets.toml:4",
				"security_token": "$WORK/.dlt/secrets.toml:5", "is_production": "$WORK/.dlt/config.toml:4",
				"destination.duckdb.credentials": "default",
			},
		},
		{
			name: "the [sources.salesforce.credentials] layout wins over [sources.salesforce]",
			tree: "credentials_section",
			want: map[string]string{"user_name": "grace@example.com", "password": "pw-SEKRET-2", "security_token": "tok-SEKRET-2"},
			origins: map[string]string{
				"user_name": "$WORK/.dlt/secrets.toml:6", "password": "$WORK/.dlt/secrets.toml:7",
			},
		},
		{
			name: "environment variables win over files, in both layouts",
			tree: "env_overrides",
			env: []string{
				"SOURCES__SALESFORCE__PASSWORD=pw-SEKRET-env",
				"SOURCES__SALESFORCE__CREDENTIALS__SECURITY_TOKEN=tok-SEKRET-env",
				"SOURCES__SALESFORCE__IS_PRODUCTION=False",
				"SOURCES__SALESFORCE__USER_NAME=", // empty counts as not set
				"DESTINATION__DUCKDB__CREDENTIALS=duckdb:////tmp/env.duckdb",
			},
			want: map[string]string{
				"user_name": "file@example.com", "password": "pw-SEKRET-env", "security_token": "tok-SEKRET-env",
				"is_production": "false", "destination.duckdb": "/tmp/env.duckdb",
			},
			origins: map[string]string{
				"password":                       "env SOURCES__SALESFORCE__PASSWORD",
				"security_token":                 "env SOURCES__SALESFORCE__CREDENTIALS__SECURITY_TOKEN",
				"user_name":                      "$WORK/.dlt/secrets.toml:2",
				"is_production":                  "env SOURCES__SALESFORCE__IS_PRODUCTION",
				"destination.duckdb.credentials": "env DESTINATION__DUCKDB__CREDENTIALS",
			},
		},
		{
			name: "the working directory's files win over home's, key by key",
			tree: "work_over_home",
			want: map[string]string{
				"user_name": "work@example.com", "password": "pw-SEKRET-home",
				"domain": "work", "login_url": "https://home.my.salesforce.com",
			},
			origins: map[string]string{
				"user_name": "$WORK/.dlt/secrets.toml:2", "password": "$HOME/.dlt/secrets.toml:3",
				"domain": "$WORK/.dlt/config.toml:2", "login_url": "$HOME/.dlt/config.toml:3",
			},
		},
		{
			name: "lookup goes from sources.salesforce.<key> to sources.<key> to <key>",
			tree: "fallback_order",
			want: map[string]string{
				"user_name": "specific@example.com", "password": "pw-SEKRET-top", "security_token": "tok-SEKRET-sources",
				"domain": "acme.my", "api_version": "60.0",
				"destination.duckdb": "$WORK/salesforce.duckdb", "destination.postgres": "<not configured>",
			},
			origins: map[string]string{
				"user_name": "$WORK/.dlt/secrets.toml:8", "password": "$WORK/.dlt/secrets.toml:1",
				"security_token": "$WORK/.dlt/secrets.toml:5", "domain": "$WORK/.dlt/config.toml:4",
			},
		},
		{
			name: "a variable of a less specific path still wins over a file: the environment is asked first",
			tree: "fallback_order",
			env:  []string{"SOURCES__USER_NAME=env@example.com", "API_VERSION=61.0"},
			want: map[string]string{"user_name": "env@example.com", "api_version": "61.0"},
		},
		{
			name: "an inline credentials table and dotted keys have their lines",
			tree: "inline_table",
			want: map[string]string{"user_name": "ada@example.com", "password": "pw-SEKRET-14", "domain": "test"},
			origins: map[string]string{
				"user_name": "$WORK/.dlt/secrets.toml:3", "password": "$WORK/.dlt/secrets.toml:3",
				"domain": "$WORK/.dlt/config.toml:2",
			},
		},
		{
			name: "postgres credentials as a URL get dlt's connect_timeout",
			tree: "postgres_url",
			want: map[string]string{
				"destination.postgres": "postgresql://loader:pg-SEKRET-3@db.example.com:5433/analytics?connect_timeout=15&sslmode=require",
			},
			origins: map[string]string{"destination.postgres.credentials": "$WORK/.dlt/secrets.toml:2"},
		},
		{
			name: "postgres credentials as a table become a URL",
			tree: "postgres_table",
			want: map[string]string{
				"destination.postgres": "postgresql://loader:pg-SEKRET-4@db.example.com:6543/analytics?connect_timeout=30&sslmode=verify-full",
			},
			origins: map[string]string{"destination.postgres.credentials": "$WORK/.dlt/secrets.toml:4"},
		},
		{
			name: "postgres fields from the environment override the table",
			tree: "postgres_table",
			env:  []string{"DESTINATION__POSTGRES__CREDENTIALS__HOST=other.example.com", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD=pg-SEKRET-env"},
			want: map[string]string{
				"destination.postgres": "postgresql://loader:pg-SEKRET-env@other.example.com:6543/analytics?connect_timeout=30&sslmode=verify-full",
			},
			origins: map[string]string{"destination.postgres.credentials": "env DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"},
		},
		{
			name: "a postgres URL in the environment wins over the table",
			tree: "postgres_table",
			env:  []string{"DESTINATION__POSTGRES__CREDENTIALS=postgres://u:pg-SEKRET-envurl@h/db"},
			want: map[string]string{"destination.postgres": "postgres://u:pg-SEKRET-envurl@h/db?connect_timeout=15"},
		},
		{
			name: "dlt's less specific DESTINATION__CREDENTIALS works too",
			env:  []string{"DESTINATION__CREDENTIALS=postgresql://u:pg-SEKRET-generic@h/db?connect_timeout=5"},
			want: map[string]string{
				"destination.postgres": "postgresql://u:pg-SEKRET-generic@h/db?connect_timeout=5",
				"destination.duckdb":   "$WORK/salesforce.duckdb", // not a DuckDB file
			},
		},
		{
			name:    "a TOML syntax error names file, line and column and hides the secret on the line",
			tree:    "syntax_error",
			loadErr: []string{"$WORK/.dlt/secrets.toml:3:", "TOML syntax error", "3 | password = (value not shown"},
		},
		{
			name:    "a TOML syntax error inside a PEM key shows no part of the key",
			tree:    "pem_syntax_error",
			loadErr: []string{"$WORK/.dlt/secrets.toml:7:", "(line not shown: secrets.toml may hold secrets)"},
		},
		{
			name:    "a TOML syntax error in config.toml quotes the line and points at the column",
			tree:    "syntax_error_config",
			loadErr: []string{"$WORK/.dlt/config.toml:3:13: TOML syntax error", "3 | api_version 64.0", "^"},
		},
		{
			name:    "a malformed bool names key, file, line and what is expected",
			tree:    "malformed_bool",
			loadErr: []string{"$WORK/.dlt/config.toml:3: sources.salesforce.is_production: expected true or false", `"maybe"`, "is_production = true"},
		},
		{
			name:    "a malformed bool in the environment names the variable",
			env:     []string{"SOURCES__SALESFORCE__INCLUDE_FORMULA_FIELDS=sometimes"},
			loadErr: []string{"env SOURCES__SALESFORCE__INCLUDE_FORMULA_FIELDS: sources.salesforce.include_formula_fields: expected true or false"},
		},
		{
			name:    "a number where a string is needed says to quote it",
			tree:    "number_for_string",
			loadErr: []string{"$WORK/.dlt/secrets.toml:3: sources.salesforce.password: expected a string, found an integer", `password = "..."`},
		},
		{
			name:    "an invalid api_version",
			env:     []string{"SOURCES__SALESFORCE__API_VERSION=latest"},
			loadErr: []string{"SOURCES__SALESFORCE__API_VERSION", `"64.0"`},
		},
		{
			name: "no credentials at all: the error says where it looked and what to write where",
			credErr: []string{
				"missing Salesforce credentials.",
				"sources.salesforce.credentials.<key>, sources.salesforce.<key>, sources.credentials.<key>, sources.<key>, credentials.<key>, <key>",
				"where <key> is one of: user_name, password, security_token, client_id, client_secret, private_key, private_key_file, private_key_path, refresh_token, session_id, instance_url",
				"\n  $WORK/.dlt/secrets.toml (not found)", "\n  $WORK/.dlt/config.toml (not found)",
				"\n  $HOME/.dlt/secrets.toml (not found)", "\n  $HOME/.dlt/config.toml (not found)",
				"SOURCES__SALESFORCE__CREDENTIALS__<KEY>, SOURCES__SALESFORCE__<KEY>, SOURCES__CREDENTIALS__<KEY>, SOURCES__<KEY>, CREDENTIALS__<KEY>, <KEY>",
				"salesforce.<path>, env SALESFORCE__<VARIABLE>",
				"write your user name, password and security token in $WORK/.dlt/secrets.toml",
				"[sources.salesforce]\nuser_name = ", "sfdlt init",
			},
			want: map[string]string{"destination.duckdb": "$WORK/salesforce.duckdb", "destination.postgres": "<not configured>"},
		},
		{
			name:    "a password without a user name",
			tree:    "password_only",
			credErr: []string{"missing Salesforce user_name (the password set in $WORK/.dlt/secrets.toml:2 needs one)", "SOURCES__SALESFORCE__USER_NAME"},
		},
		{
			name:     "a world-readable secrets.toml is a warning",
			tree:     "world_readable",
			keepMode: true,
			warnings: []string{"$WORK/.dlt/secrets.toml can be read by other users (mode 0644)", "chmod 600 $WORK/.dlt/secrets.toml"},
			want:     map[string]string{"password": "pw-SEKRET-6"},
		},
		{
			name: "unknown keys are warnings with a suggestion",
			tree: "unknown_key",
			env:  []string{"SOURCES__SALESFORCE__PASWORD=pw-SEKRET-envtypo"},
			warnings: []string{
				"$WORK/.dlt/secrets.toml:3: unknown key sources.salesforce.pasword (did you mean password?)",
				"$WORK/.dlt/secrets.toml:7: unknown key sources.salesforce.credentials.securty_token (did you mean security_token?)",
				"environment variable SOURCES__SALESFORCE__PASWORD is not a setting sfdlt reads (did you mean SOURCES__SALESFORCE__PASSWORD?)",
			},
			want: map[string]string{"password": "pw-SEKRET-7"},
		},
		{
			name: "pipeline settings at the top of config.toml, and the pipeline's own section first",
			tree: "pipeline_settings",
			want: map[string]string{
				"pipeline.name": "sf_prod", "pipeline.dataset_name": "salesforce_data",
				"pipeline.pipelines_dir": "$WORK/state/pipelines", "pipeline.dev_mode": "true",
				"domain": "acme.my", "destination.duckdb": "$WORK/sf_prod.duckdb",
			},
			origins:  map[string]string{"pipeline_name": "$WORK/.dlt/config.toml:1", "domain": "$WORK/.dlt/config.toml:10"},
			warnings: []string{"$WORK/.dlt/config.toml:7: pipeline.dataset_name is not read: dlt reads dataset_name at the top of config.toml"},
		},
		{
			name:     "the caller's pipeline name wins and selects the pipeline section",
			tree:     "pipeline_settings",
			pipeline: "other",
			env:      []string{"OTHER__DATASET_NAME=other_data", "PIPELINE_NAME=ignored"},
			want: map[string]string{
				"pipeline.name": "other", "pipeline.dataset_name": "other_data",
				"domain": "loses-to-pipeline-section", "destination.duckdb": "$WORK/other.duckdb",
			},
		},
		{
			name: "a relative duckdb path is taken from the working directory",
			tree: "duckdb_path",
			want: map[string]string{"destination.duckdb": "$WORK/data/sf.duckdb"},
		},
		{
			name: "duckdb :pipeline: is the pipeline's working directory, as in dlt",
			env:  []string{"DESTINATION__DUCKDB__CREDENTIALS=:pipeline:", "PIPELINES_DIR=~/pl"},
			want: map[string]string{"destination.duckdb": "$HOME/pl/salesforce/salesforce.duckdb"},
		},
		{
			name:     "a secret in config.toml is used, with a warning",
			tree:     "secret_in_config",
			want:     map[string]string{"password": "pw-SEKRET-9"},
			warnings: []string{"$WORK/.dlt/config.toml:3: sources.salesforce.password is a secret but is kept in config.toml", "move it to $WORK/.dlt/secrets.toml"},
		},
		{
			name:    "OAuth keys in the credentials section; private_key_path is private_key_file",
			tree:    "oauth_jwt",
			want:    map[string]string{"client_id": "cid-SEKRET-10", "private_key_path": "$WORK/keys/server.key"},
			origins: map[string]string{"private_key_path": "$WORK/.dlt/secrets.toml:4"},
		},
		{
			name:    "a postgres table without host and database",
			tree:    "postgres_partial",
			loadErr: []string{"$WORK/.dlt/secrets.toml:2: the postgres credentials table lacks database, host"},
		},
		{
			name:    "a postgres URL of another scheme",
			tree:    "postgres_bad_url",
			loadErr: []string{"$WORK/.dlt/secrets.toml:2: destination.postgres.credentials: expected a URL such as \"postgresql://"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work, home := configTree(t, tt.tree, tt.keepMode)
			expand := func(s string) string {
				return strings.NewReplacer("$WORK", work, "$HOME", home).Replace(s)
			}
			env := tt.env
			if env == nil {
				env = []string{}
			}
			c, err := config.Load(config.Options{WorkDir: work, HomeDir: home, Environ: env, PipelineName: tt.pipeline})
			var credErr error
			if c != nil {
				_, credErr = c.Credentials()
			}
			assertNoSecret(t, configMessages(c, err, credErr))

			if len(tt.loadErr) > 0 {
				if err == nil {
					t.Fatalf("Load succeeded, want an error with %q", tt.loadErr)
				}
				for _, s := range tt.loadErr {
					if !strings.Contains(err.Error(), expand(s)) {
						t.Errorf("Load error lacks %q:\n%v", expand(s), err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(tt.credErr) > 0 {
				if credErr == nil {
					t.Fatalf("Credentials succeeded, want an error with %q", tt.credErr)
				}
				var missing *config.MissingConfigError
				if !errors.As(credErr, &missing) {
					t.Errorf("Credentials error is %T, want *config.MissingConfigError", credErr)
				}
				for _, s := range tt.credErr {
					if !strings.Contains(credErr.Error(), expand(s)) {
						t.Errorf("Credentials error lacks %q:\n%v", expand(s), credErr)
					}
				}
			}
			for k, want := range tt.want {
				if got := configGet(t, c, k); got != expand(want) {
					t.Errorf("%s = %q, want %q", k, got, expand(want))
				}
			}
			for k, want := range tt.origins {
				if got, _ := c.Origin(k); got != expand(want) {
					t.Errorf("origin of %s = %q, want %q", k, got, expand(want))
				}
			}
			for _, w := range tt.warnings {
				found := false
				for _, got := range c.Warnings {
					found = found || strings.Contains(got, expand(w))
				}
				if !found {
					t.Errorf("no warning contains %q; warnings:\n%s", expand(w), strings.Join(c.Warnings, "\n"))
				}
			}
			if !tt.keepMode {
				for _, w := range c.Warnings {
					if strings.Contains(w, "chmod") {
						t.Errorf("unexpected permission warning: %s", w)
					}
				}
			}
		})
	}
}

func TestConfigSource(t *testing.T) {
	work, home := configTree(t, "salesforce_section", false)
	c, err := config.Load(config.Options{WorkDir: work, HomeDir: home, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	// The configuration says is_production = false, include_formula_fields = false; the
	// explicit option wins for the first only.
	ss := c.Settings().Source
	if ss.Production == nil || *ss.Production || ss.FormulaFields == nil || *ss.FormulaFields {
		t.Errorf("settings: is_production %v include_formula_fields %v, want both set to false", ss.Production, ss.FormulaFields)
	}
	src, err := c.Source(sfdlt.Production(true))
	if err != nil {
		t.Fatal(err)
	}
	if !src.Production() || src.FormulaFields() {
		t.Errorf("production=%v formulas=%v, want true (explicit option) and false (config)", src.Production(), src.FormulaFields())
	}
	if src.Domain() != "test" || src.APIVersion() != "62.0" {
		t.Errorf("domain %q api version %q, want test and 62.0", src.Domain(), src.APIVersion())
	}
	if got := src.Credentials(); got.UserName != "ada@example.com" || got.Password != "pw-SEKRET-1" || got.SecurityToken != "tok-SEKRET-1" {
		t.Errorf("credentials not taken from the configuration: %v", got)
	}

	// Settings returns a copy: changing it changes nothing.
	*ss.Production = true
	if again := c.Settings().Source; again.Production == nil || *again.Production {
		t.Error("changing what Settings returned changed the configuration")
	}

	empty, home2 := configTree(t, "", false)
	c, err = config.Load(config.Options{WorkDir: empty, HomeDir: home2, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	var missing *config.MissingConfigError
	if _, err := c.Source(); !errors.As(err, &missing) {
		t.Errorf("Source without credentials: %v, want a *config.MissingConfigError", err)
	}
	var none *config.Config
	if _, err := none.Source(); err == nil {
		t.Error("Source of a nil configuration succeeded")
	}
}

func TestConfigPipeline(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfigText(t, fmt.Sprintf("pipeline_name = \"x\"\ndataset_name = \"d\"\npipelines_dir = %s\ndev_mode = true\n", strconv.Quote(dir)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Settings().Pipeline, (config.PipelineSettings{Name: "x", DatasetName: "d", PipelinesDir: dir, DevMode: true}); got != want {
		t.Errorf("settings %+v, want %+v", got, want)
	}
	dest, err := c.Destination("duckdb")
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Pipeline(dest)
	if err != nil {
		t.Fatal(err)
	}
	// dev_mode: a fresh dataset, <dataset>_<timestamp>
	if p.Name() != "x" || !regexp.MustCompile(`^d_[0-9]{14}$`).MatchString(p.DatasetName()) || p.Dir() != filepath.Join(dir, "x") {
		t.Errorf("settings not applied: name %q dataset %q dir %q", p.Name(), p.DatasetName(), p.Dir())
	}
	if p, err = c.Pipeline(dest, sfdlt.Dataset("e")); err != nil || !strings.HasPrefix(p.DatasetName(), "e_") {
		t.Errorf("the explicit option does not win: %v, %v", p, err)
	}

	// No settings: sfdlt.NewPipeline's defaults, with the pipelines directory under the home
	// directory Load was given.
	home := t.TempDir()
	c, err = config.Load(config.Options{WorkDir: t.TempDir(), HomeDir: home, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	pipelines := filepath.Join(home, ".dlt", "pipelines")
	if got, want := c.Settings().Pipeline, (config.PipelineSettings{Name: "salesforce", PipelinesDir: pipelines}); got != want {
		t.Errorf("zero settings %+v, want %+v", got, want)
	}
	if p, err = c.Pipeline(dest); err != nil {
		t.Fatal(err)
	}
	if p.Name() != "salesforce" || p.DatasetName() != "salesforce_dataset" || p.Dir() != filepath.Join(pipelines, "salesforce") || p.CommitEvery() != sfdlt.DefaultCommitEvery {
		t.Errorf("zero settings give name %q dataset %q dir %q commit every %d", p.Name(), p.DatasetName(), p.Dir(), p.CommitEvery())
	}
	var none *config.Config
	if _, err := none.Pipeline(dest); err == nil {
		t.Error("Pipeline of a nil configuration succeeded")
	}
}

func TestMissingDestination(t *testing.T) {
	work, home := configTree(t, "", false)
	c, err := config.Load(config.Options{WorkDir: work, HomeDir: home, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Destination("postgres")
	var missing *config.MissingConfigError
	if !errors.As(err, &missing) {
		t.Fatalf("Destination(postgres) without credentials: %v, want a *config.MissingConfigError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"destination.postgres.credentials, destination.credentials, credentials, destination.postgres.credentials.<key>, destination.credentials.<key>, credentials.<key>",
		"where <key> is one of: database, username, password, host, port, connect_timeout, sslmode",
		filepath.Join(work, ".dlt", "secrets.toml") + " (not found)", filepath.Join(home, ".dlt", "config.toml") + " (not found)",
		"DESTINATION__POSTGRES__CREDENTIALS, DESTINATION__CREDENTIALS, CREDENTIALS, DESTINATION__POSTGRES__CREDENTIALS__<KEY>",
		`credentials = "postgresql://user:password@host:5432/database"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if _, err := c.Destination("bigquery"); err == nil || !strings.Contains(err.Error(), "use duckdb or postgres") {
		t.Errorf("Destination(bigquery) = %v, want an error naming the choices", err)
	}
	if d, err := c.Destination("duckdb"); err != nil || d.Info().Location != "duckdb:///"+filepath.ToSlash(filepath.Join(work, "salesforce.duckdb")) {
		t.Errorf("Destination(duckdb) without settings: %v, %v; want the default file in the working directory", d, err)
	}
}

func TestLookupEnv(t *testing.T) {
	work, home := configTree(t, "", false)
	env := map[string]string{"SOURCES__SALESFORCE__SESSION_ID": "sid-SEKRET", "SOURCES__SALESFORCE__INSTANCE_URL": "https://x.my.salesforce.com"}
	c, err := config.Load(config.Options{WorkDir: work, HomeDir: home, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := c.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	if cr.SessionID != "sid-SEKRET" || cr.InstanceURL != "https://x.my.salesforce.com" {
		t.Errorf("credentials %v", cr)
	}
	assertNoSecret(t, configMessages(c))
}

func ExampleLoad() {
	// A project directory with the secrets.toml dlt's Salesforce docs show.
	work, _ := os.MkdirTemp("", "sfdlt-example")
	defer os.RemoveAll(work)
	os.MkdirAll(filepath.Join(work, ".dlt"), 0o700)
	os.WriteFile(filepath.Join(work, ".dlt", "secrets.toml"), []byte(`[sources.salesforce]
user_name = "ada@example.com"
password = "not-shown"
security_token = "not-shown-either"
`), 0o600)

	cfg, err := config.Load(config.Options{
		WorkDir: work,
		HomeDir: work, // in a real program leave HomeDir and Environ empty: ~ and the process environment
		Environ: []string{"SOURCES__SALESFORCE__IS_PRODUCTION=false"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range cfg.Warnings {
		fmt.Println("warning:", w)
	}
	creds, err := cfg.Credentials()
	if err != nil {
		fmt.Println(err)
		return
	}
	origin, _ := cfg.Origin("password")
	fmt.Println(creds.UserName, "password from", strings.TrimPrefix(origin, work))
	production, _ := cfg.Origin("is_production")
	fmt.Println("is_production from", production, "is", *cfg.Settings().Source.Production)
	src, err := cfg.Source()
	fmt.Println(len(src.ResourceNames()), "resources", err)
	dest, err := cfg.Destination("duckdb")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := cfg.Pipeline(dest)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("pipeline", p.Name(), "into dataset", p.DatasetName())
	// Output:
	// ada@example.com password from /.dlt/secrets.toml:3
	// is_production from env SOURCES__SALESFORCE__IS_PRODUCTION is false
	// 15 resources <nil>
	// pipeline salesforce into dataset salesforce_dataset
}

func TestCommitEveryKey(t *testing.T) {
	load := loadConfigText
	c, err := load(t, "commit_every = 1000\n")
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Settings().Pipeline; p.CommitEvery == nil || *p.CommitEvery != 1000 {
		t.Fatalf("commit_every = 1000 read as %v", p.CommitEvery)
	}
	if n := commitEvery(t, c); n != 1000 {
		t.Errorf("the pipeline commits every %d rows", n)
	}
	if c, err = load(t, "commit_every = 1000\n", "COMMIT_EVERY=0"); err != nil {
		t.Fatal(err)
	}
	if p := c.Settings().Pipeline; p.CommitEvery == nil || *p.CommitEvery != 0 || commitEvery(t, c) != 0 {
		t.Errorf("COMMIT_EVERY=0 does not win over the file: %v", p.CommitEvery)
	}
	if c, err = load(t, ""); err != nil || c.Settings().Pipeline.CommitEvery != nil {
		t.Errorf("no commit_every: %v, %v", c.Settings().Pipeline.CommitEvery, err)
	}
	for _, bad := range []string{"commit_every = -5\n", "commit_every = \"lots\"\n"} {
		_, err := load(t, bad)
		if err == nil || !strings.Contains(err.Error(), "commit_every") {
			t.Errorf("%q: %v, want an error naming commit_every", bad, err)
		}
	}
}

func TestRefreshKey(t *testing.T) {
	load := loadConfigText
	c, err := load(t, "refresh = \"drop_data\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Settings().Pipeline.Refresh; got != sfdlt.DropData {
		t.Fatalf("refresh = \"drop_data\" read as %q", got)
	}
	dest, err := c.Destination("duckdb")
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Pipeline(dest)
	if err != nil {
		t.Fatal(err)
	}
	if p.Refresh() != sfdlt.DropData {
		t.Errorf("the pipeline's refresh is %q, want drop_data", p.Refresh())
	}
	if c, err = load(t, "refresh = \"drop_data\"\n", "REFRESH=drop_sources"); err != nil || c.Settings().Pipeline.Refresh != sfdlt.DropSources {
		t.Errorf("REFRESH=drop_sources does not win over the file: %v", err)
	}
	if c, err = load(t, ""); err != nil || c.Settings().Pipeline.Refresh != "" {
		t.Errorf("no refresh: %q, %v", c.Settings().Pipeline.Refresh, err)
	}
	for _, bad := range []string{"refresh = \"drop_everything\"\n", "refresh = true\n"} {
		_, err := load(t, bad)
		if err == nil || !strings.Contains(err.Error(), "refresh") || !strings.Contains(err.Error(), "drop_resources") {
			t.Errorf("%q: %v, want an error naming refresh and its values", bad, err)
		}
	}
}

func TestProgressKey(t *testing.T) {
	load := loadConfigText
	c, err := load(t, "progress = \"log\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Settings().Pipeline.Progress; got != "log" {
		t.Fatalf("progress = \"log\" read as %q", got)
	}
	if c, err = load(t, "progress = \"log\"\n", "PROGRESS=none"); err != nil || c.Settings().Pipeline.Progress != "none" {
		t.Errorf("PROGRESS=none does not win over the file: %v", err)
	}
	if c, err = load(t, "[salesforce]\nprogress = \"bar\"\n"); err != nil || c.Settings().Pipeline.Progress != "bar" {
		t.Errorf("the pipeline's own section: %v", err)
	}
	if c, err = load(t, ""); err != nil || c.Settings().Pipeline.Progress != "" {
		t.Errorf("no progress: %q, %v", c.Settings().Pipeline.Progress, err)
	}
	for _, bad := range []string{"progress = \"tqdm\"\n", "progress = true\n"} {
		_, err := load(t, bad)
		if err == nil || !strings.Contains(err.Error(), "progress") || !strings.Contains(err.Error(), `"bar", "log" or "none"`) || !strings.Contains(err.Error(), "config.toml") {
			t.Errorf("%q: %v, want an error naming progress, its file and its values", bad, err)
		}
	}
}

// commitEvery is what the pipeline the configuration builds commits every.
func commitEvery(t *testing.T, c *config.Config) int {
	t.Helper()
	dest, err := c.Destination("duckdb")
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Pipeline(dest)
	if err != nil {
		t.Fatal(err)
	}
	return p.CommitEvery()
}

func TestDuckDBMemoryLimitKey(t *testing.T) {
	load := loadConfigText
	limit := func(c *config.Config) string { return c.Settings().DuckDB.MemoryLimit }
	c, err := load(t, "[destination.duckdb]\nmemory_limit = \"256MB\"\n")
	if err != nil || limit(c) != "256MB" {
		t.Fatalf("memory_limit = \"256MB\": %q, %v", limit(c), err)
	}
	if c, err = load(t, "[destination.duckdb]\nmemory_limit = \"256MB\"\n", "DESTINATION__DUCKDB__MEMORY_LIMIT=1GB"); err != nil || limit(c) != "1GB" {
		t.Errorf("the variable does not win: %q, %v", limit(c), err)
	}
	if c, err = load(t, ""); err != nil || limit(c) != "" {
		t.Errorf("unset: %q, %v", limit(c), err)
	}
	_, err = load(t, "[destination.duckdb]\nmemory_limit = \"lots\"\n")
	if err == nil || !strings.Contains(err.Error(), "memory_limit") || !strings.Contains(err.Error(), "config.toml:2") {
		t.Errorf("a bad size: %v, want an error naming the key and line", err)
	}
}

func TestMaxQueryCursorsKey(t *testing.T) {
	creds := []string{"SOURCES__SALESFORCE__USER_NAME=ada@example.com", "SOURCES__SALESFORCE__PASSWORD=pw-SEKRET"}
	load := func(t *testing.T, conf string, env ...string) (*config.Config, error) {
		return loadConfigText(t, conf, append(env, creds...)...)
	}
	cursors := func(c *config.Config) int {
		src, err := c.Source()
		if err != nil {
			t.Fatal(err)
		}
		return src.MaxQueryCursors()
	}
	c, err := load(t, "[sources.salesforce]\nmax_query_cursors = 4\n")
	if err != nil {
		t.Fatal(err)
	}
	if n, set := cursors(c), c.Settings().Source.MaxQueryCursors; n != 4 || set != 4 {
		t.Errorf("max_query_cursors = 4 gives %d (setting %d)", n, set)
	}
	if c, err = load(t, "[sources.salesforce]\nmax_query_cursors = 4\n", "SOURCES__SALESFORCE__MAX_QUERY_CURSORS=2"); err != nil || cursors(c) != 2 {
		t.Errorf("the variable does not win over the file: %v", err)
	}
	for _, bad := range []string{"max_query_cursors = 10\n", "max_query_cursors = 0\n", "max_query_cursors = \"many\"\n"} {
		_, err := load(t, "[sources.salesforce]\n"+bad)
		if err == nil || !strings.Contains(err.Error(), "max_query_cursors") || !strings.Contains(err.Error(), "from 1 to 9") {
			t.Errorf("%q: %v, want an error naming max_query_cursors and 1 to 9", bad, err)
		}
	}
}

// loadConfigText loads a configuration whose .dlt/config.toml is conf, with env as the only
// environment variables.
func loadConfigText(t *testing.T, conf string, env ...string) (*config.Config, error) {
	t.Helper()
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, ".dlt"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, ".dlt", "config.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Load(config.Options{WorkDir: work, HomeDir: t.TempDir(), Environ: append([]string{}, env...)})
}

func TestSourceSettings(t *testing.T) {
	c, err := loadConfigText(t, `[sources.salesforce]
domain = "acme.my"
login_url = "https://acme.my.salesforce.com"
api_version = 63
is_production = false
include_formula_fields = "no"
bulk_threshold = 0
hard_deletes = true
lookback = "15m"
max_api_usage_percent = 92.5
formula_refresh = "168h"
max_query_cursors = 3
`)
	if err != nil {
		t.Fatal(err)
	}
	no, zero := false, 0
	want := config.SourceSettings{Domain: "acme.my", LoginURL: "https://acme.my.salesforce.com", APIVersion: "63.0",
		Production: &no, FormulaFields: &no, BulkThreshold: &zero, HardDeletes: true, Lookback: 15 * time.Minute,
		MaxAPIUsagePercent: 92.5, FormulaRefresh: 168 * time.Hour, MaxQueryCursors: 3}
	if got := c.Settings().Source; !reflect.DeepEqual(got, want) {
		t.Errorf("settings\n%+v\nwant\n%+v", got, want)
	}
	for _, line := range []string{`sources.salesforce.lookback = "15m0s" (`, `sources.salesforce.max_api_usage_percent = "92.5" (`,
		`sources.salesforce.bulk_threshold = "0" (`, `sources.salesforce.include_formula_fields = "false" (`} {
		if !strings.Contains(c.String(), line) {
			t.Errorf("String lacks %q:\n%s", line, c)
		}
	}
	if got := (config.SourceSettings{}); !reflect.DeepEqual(mustLoad(t, "").Settings().Source, got) {
		t.Errorf("no settings: %+v, want the zero value", mustLoad(t, "").Settings().Source)
	}

	for _, bad := range []struct{ line, want string }{
		{`lookback = "soon"`, `sources.salesforce.lookback: expected a duration such as "15m" or "168h", found a string "soon"`},
		{`formula_refresh = "-1h"`, `sources.salesforce.formula_refresh: expected a duration`},
		{`lookback = 15`, `sources.salesforce.lookback: expected a string, found an integer`},
		{`max_api_usage_percent = 101`, `sources.salesforce.max_api_usage_percent: expected a percentage from 0 to 100`},
		{`max_api_usage_percent = nan`, `sources.salesforce.max_api_usage_percent: expected a percentage from 0 to 100`},
		{`bulk_threshold = -1`, `sources.salesforce.bulk_threshold: expected a whole number from 0 to`},
		{`bulk_threshold = 1.5`, `sources.salesforce.bulk_threshold: expected a whole number`},
		{`hard_deletes = "sometimes"`, `sources.salesforce.hard_deletes: expected true or false`},
		{`api_version = "latest"`, `sources.salesforce.api_version: expected a Salesforce API version such as "64.0"`},
	} {
		_, err := loadConfigText(t, "[sources.salesforce]\n"+bad.line+"\n")
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "config.toml:2") {
			t.Errorf("%s: %v, want an error at config.toml:2 with %q", bad.line, err, bad.want)
		}
	}
	// Every malformed value is reported, not only the first.
	_, err = loadConfigText(t, "dev_mode = \"perhaps\"\n[sources.salesforce]\nlookback = \"soon\"\nmax_query_cursors = 0\n")
	if err == nil || !strings.Contains(err.Error(), "3 invalid value(s)") {
		t.Errorf("three malformed values: %v, want all three reported", err)
	}
}

func TestPostgresSettingsRedacted(t *testing.T) {
	c := mustLoad(t, "", "DESTINATION__POSTGRES__CREDENTIALS=postgresql://loader:pg-SEKRET@db.example.com/sf")
	p := c.Settings().Postgres
	if p.DSN != "postgresql://loader:pg-SEKRET@db.example.com/sf?connect_timeout=15" {
		t.Errorf("DSN %q", p.DSN)
	}
	shown := fmt.Sprintf("%v|%+v|%#v|%s|%q|%d|%x", p, p, p, p, p, p, p)
	assertNoSecret(t, []string{shown, c.String()})
	if !strings.Contains(shown, "postgresql://loader:xxxxx@db.example.com/sf") ||
		!strings.Contains(c.String(), `destination.postgres.credentials = "postgresql://loader:xxxxx@db.example.com/sf?connect_timeout=15" (env DESTINATION__POSTGRES__CREDENTIALS)`) {
		t.Errorf("the redacted DSN is not shown:\n%s\n%s", shown, c)
	}
}

// mustLoad is loadConfigText that fails the test on an error.
func mustLoad(t *testing.T, conf string, env ...string) *config.Config {
	t.Helper()
	c, err := loadConfigText(t, conf, env...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sfCreds are credentials in the environment, so that the tests can build the source.
var sfCreds = []string{"SOURCES__SALESFORCE__USER_NAME=ada@example.com", "SOURCES__SALESFORCE__PASSWORD=pw-SEKRET"}

// mustSource builds the configuration's source and fails the test if it, or its options, fail.
func mustSource(t *testing.T, c *config.Config) *sfdlt.Source {
	t.Helper()
	src, err := c.Source()
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Err(); err != nil {
		t.Fatalf("the source refuses the configuration's options: %v", err)
	}
	return src
}

func TestAllObjectsKeys(t *testing.T) {
	type lists struct{ include, exclude []string }
	tests := []struct {
		name, conf string
		env        []string
		want       lists
		origin     string // of objects_include, "" for none
	}{
		{name: "toml", conf: "[sources.salesforce]\nall_objects = true\nobjects_include = [\"*__c\", \" Opportunity* \"]\nobjects_exclude = \"*History\"\n",
			want: lists{[]string{"*__c", "Opportunity*"}, []string{"*History"}}, origin: "config.toml:3"},
		{name: "env", env: []string{"SOURCES__SALESFORCE__ALL_OBJECTS=true", "SOURCES__SALESFORCE__OBJECTS_INCLUDE=*__c, Opportunity*,",
			"SOURCES__SALESFORCE__OBJECTS_EXCLUDE=*Share"},
			want: lists{[]string{"*__c", "Opportunity*"}, []string{"*Share"}}, origin: "env SOURCES__SALESFORCE__OBJECTS_INCLUDE"},
		{name: "env JSON array, as dlt writes lists", env: []string{"SOURCES__SALESFORCE__ALL_OBJECTS=1", `SOURCES__SALESFORCE__OBJECTS_INCLUDE=["[A-C]*", "Invoice__c"]`},
			want: lists{include: []string{"[A-C]*", "Invoice__c"}}, origin: "env SOURCES__SALESFORCE__OBJECTS_INCLUDE"},
		{name: "env glob starting with a set", env: []string{"SOURCES__SALESFORCE__ALL_OBJECTS=1", "SOURCES__SALESFORCE__OBJECTS_INCLUDE=[A-C]*,X*"},
			want: lists{include: []string{"[A-C]*", "X*"}}, origin: "env SOURCES__SALESFORCE__OBJECTS_INCLUDE"},
		{name: "env wins", conf: "[sources.salesforce]\nall_objects = true\nobjects_include = [\"A*\", \"B*\"]\nobjects_exclude = [\"*History\"]\n",
			env:  []string{"SOURCES__SALESFORCE__OBJECTS_INCLUDE=C*"},
			want: lists{[]string{"C*"}, []string{"*History"}}, origin: "env SOURCES__SALESFORCE__OBJECTS_INCLUDE"},
		{name: "all objects alone", conf: "[sources.salesforce]\nall_objects = true\n"},
		{name: "pipeline section wins", conf: "[salesforce.sources.salesforce]\nobjects_include = [\"P*\"]\n[sources.salesforce]\nall_objects = true\nobjects_include = [\"Q*\"]\n",
			want: lists{include: []string{"P*"}}, origin: "config.toml:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfigText(t, tt.conf, append(tt.env, sfCreds...)...)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Warnings) > 0 {
				t.Errorf("warnings: %q", c.Warnings)
			}
			ss := c.Settings().Source
			if !ss.AllObjects || !reflect.DeepEqual(ss.ObjectsInclude, tt.want.include) || !reflect.DeepEqual(ss.ObjectsExclude, tt.want.exclude) {
				t.Errorf("all_objects %v include %q exclude %q, want true %q %q", ss.AllObjects, ss.ObjectsInclude, ss.ObjectsExclude, tt.want.include, tt.want.exclude)
			}
			if !mustSource(t, c).AllObjects() {
				t.Error("the source does not load all objects")
			}
			o, ok := c.Origin("objects_include")
			if ok != (tt.origin != "") || !strings.HasSuffix(o, tt.origin) {
				t.Errorf("objects_include comes from %q (%v), want %q", o, ok, tt.origin)
			}
			if len(tt.want.include) > 0 {
				line := fmt.Sprintf("objects_include = %q (", strings.Join(tt.want.include, ","))
				if !strings.Contains(c.String(), line) {
					t.Errorf("String lacks %q:\n%s", line, c)
				}
			}
		})
	}

	// Not set: not loaded, and nothing to narrow.
	c := mustLoad(t, "", sfCreds...)
	if ss := c.Settings().Source; ss.AllObjects || ss.ObjectsInclude != nil || ss.ObjectsExclude != nil || mustSource(t, c).AllObjects() {
		t.Errorf("no keys: %+v", ss)
	}
	// Settings returns a copy.
	c = mustLoad(t, "[sources.salesforce]\nall_objects = true\nobjects_include = [\"A*\"]\n")
	c.Settings().Source.ObjectsInclude[0] = "B*"
	if got := c.Settings().Source.ObjectsInclude; got[0] != "A*" {
		t.Errorf("changing what Settings returned changed the configuration: %q", got)
	}
}

func TestAllObjectsKeyErrors(t *testing.T) {
	for _, bad := range []struct {
		conf string
		env  []string
		want []string // all in the error
	}{
		{conf: "all_objects = true\nobjects_include = [\"[abc\"]\n", want: []string{"config.toml:3",
			`sources.salesforce.objects_include: pattern "[abc" is not a valid glob`, "close every ["}},
		{conf: "all_objects = true\nobjects_exclude = [\"*__c\", \"\\\\\"]\n", want: []string{"config.toml:3",
			`sources.salesforce.objects_exclude: pattern "\\" is not a valid glob`}},
		{conf: "all_objects = true\nobjects_include = \"*__c,Opportunity*\"\n", want: []string{"config.toml:3",
			`pattern "*__c,Opportunity*" holds a comma or a space`, `objects_include = ["*__c", "Opportunity*"]`}},
		{conf: "all_objects = true\nobjects_include = [\"*__c\", 3]\n", want: []string{"config.toml:3",
			"sources.salesforce.objects_include: expected a list of strings, found a list holding an integer"}},
		{conf: "all_objects = true\nobjects_include = []\n", want: []string{"config.toml:3", "sources.salesforce.objects_include: the list is empty"}},
		{conf: "all_objects = true\nobjects_include = [\"\"]\n", want: []string{"sources.salesforce.objects_include: the list holds an empty string"}},
		{conf: "all_objects = true\nobjects_exclude = 7\n", want: []string{"sources.salesforce.objects_exclude: expected a list of strings, found an integer"}},
		{conf: "all_objects = \"all\"\n", want: []string{"sources.salesforce.all_objects: expected true or false"}},
		{env: []string{"SOURCES__SALESFORCE__ALL_OBJECTS=true", "SOURCES__SALESFORCE__OBJECTS_INCLUDE=*__c,Opp[ty*"},
			want: []string{"env SOURCES__SALESFORCE__OBJECTS_INCLUDE: sources.salesforce.objects_include: pattern \"Opp[ty*\" is not a valid glob"}},
		{env: []string{"SOURCES__SALESFORCE__ALL_OBJECTS=true", "SOURCES__SALESFORCE__OBJECTS_INCLUDE=Invoice c"},
			want: []string{`pattern "Invoice c" holds a comma or a space`, "SOURCES__SALESFORCE__OBJECTS_INCLUDE=*__c,Opportunity*"}},
		{env: []string{"SOURCES__SALESFORCE__OBJECTS_INCLUDE= , "}, want: []string{"the list is empty",
			"set SOURCES__SALESFORCE__OBJECTS_INCLUDE to a comma-separated list such as *__c,Opportunity*"}},
	} {
		conf := ""
		if bad.conf != "" {
			conf = "[sources.salesforce]\n" + bad.conf
		}
		_, err := loadConfigText(t, conf, bad.env...)
		for _, want := range bad.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q %q: %v, want an error with %q", bad.conf, bad.env, err, want)
			}
		}
	}
}

// objects_include and objects_exclude narrow a whole-org load: without one the source is refused,
// unless the caller turns it on (the CLI's --all-objects).
func TestPatternsNeedAllObjects(t *testing.T) {
	const creds = "user_name = \"u\"\npassword = \"p\"\nsecurity_token = \"t\"\n"
	for _, bad := range []struct {
		conf string
		env  []string
		want []string
	}{
		{conf: "objects_include = [\"*__c\"]\nobjects_exclude = [\"*History\"]\n", want: []string{"config.toml:2",
			"sources.salesforce.objects_include and sources.salesforce.objects_exclude narrow a whole-org load, but all_objects is not set",
			"add all_objects = true under [sources.salesforce]"}},
		{conf: "all_objects = false\nobjects_exclude = [\"*History\"]\n", want: []string{"config.toml:3",
			"sources.salesforce.objects_exclude narrows a whole-org load, but all_objects is false (", "config.toml:2)", "add all_objects = true"}},
		{conf: "all_objects = true\nobjects_include = [\"*__c\"]\n", env: []string{"SOURCES__SALESFORCE__ALL_OBJECTS=false"},
			want: []string{"all_objects is false (env SOURCES__SALESFORCE__ALL_OBJECTS)"}},
	} {
		c, err := loadConfigText(t, "[sources.salesforce]\n"+bad.conf+creds, bad.env...)
		if err != nil {
			t.Fatalf("%q: Load: %v (the check belongs to Source)", bad.conf, err)
		}
		_, err = c.Source()
		for _, want := range bad.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q %q: %v, want an error with %q", bad.conf, bad.env, err, want)
			}
		}
		src, err := c.Source(sfdlt.AllObjects(true))
		if err != nil || !src.AllObjects() {
			t.Errorf("%q: Source(AllObjects(true)) = %v, want a whole-org source", bad.conf, err)
		}
	}
}

func TestObjectHintsKeys(t *testing.T) {
	const invoice = `[sources.salesforce.objects.Invoice__c]
write_disposition = "merge"
primary_key = "Id"
merge_key = ["Account__c", "Period__c"]
cursor = "LastModifiedDate"
not_null = ["Name", "Amount__c"]

[sources.salesforce.objects.Payment__c]
write_disposition = "Replace"
cursor = "none"
`
	invoiceWant := config.ObjectSettings{WriteDisposition: sfdlt.Merge, PrimaryKey: []string{"Id"}, MergeKey: []string{"Account__c", "Period__c"},
		Cursor: "LastModifiedDate", NotNull: []string{"Name", "Amount__c"}}
	paymentWant := config.ObjectSettings{WriteDisposition: sfdlt.Replace, NoIncremental: true}
	tests := []struct {
		name, conf string
		env        []string
		want       map[string]config.ObjectSettings
		origins    map[string]string // Origin name -> suffix of its origin
	}{
		{name: "toml", conf: invoice, want: map[string]config.ObjectSettings{"Invoice__c": invoiceWant, "Payment__c": paymentWant},
			origins: map[string]string{"objects.Invoice__c.write_disposition": "config.toml:2", "objects.Invoice__c.not_null": "config.toml:6",
				"objects.Payment__c.cursor": "config.toml:10"}},
		{name: "env", env: []string{"SOURCES__SALESFORCE__OBJECTS__INVOICE__C__WRITE_DISPOSITION=append",
			"SOURCES__SALESFORCE__OBJECTS__INVOICE__C__PRIMARY_KEY=Id, Name", "SOURCES__SALESFORCE__OBJECTS__INVOICE__C__CURSOR=CreatedDate",
			`SOURCES__SALESFORCE__OBJECTS__NS__PAYMENT__C__NOT_NULL=["Amount__c"]`, "SOURCES__SALESFORCE__OBJECTS__ACCOUNT__MERGE_KEY=External_Id__c"},
			want: map[string]config.ObjectSettings{
				"INVOICE__C":     {WriteDisposition: sfdlt.Append, PrimaryKey: []string{"Id", "Name"}, Cursor: "CreatedDate"},
				"NS__PAYMENT__C": {NotNull: []string{"Amount__c"}},
				"ACCOUNT":        {MergeKey: []string{"External_Id__c"}},
			},
			origins: map[string]string{"objects.INVOICE__C.cursor": "env SOURCES__SALESFORCE__OBJECTS__INVOICE__C__CURSOR"}},
		{name: "env wins, the object matched regardless of case", conf: invoice,
			env: []string{"SOURCES__SALESFORCE__OBJECTS__INVOICE__C__CURSOR=none", "SOURCES__SALESFORCE__OBJECTS__INVOICE__C__PRIMARY_KEY=Name",
				"SOURCES__SALESFORCE__OBJECTS__PAYMENT__C__CURSOR=SystemModstamp"},
			want: map[string]config.ObjectSettings{
				"Invoice__c": {WriteDisposition: sfdlt.Merge, PrimaryKey: []string{"Name"}, MergeKey: []string{"Account__c", "Period__c"},
					NoIncremental: true, NotNull: []string{"Name", "Amount__c"}},
				"Payment__c": {WriteDisposition: sfdlt.Replace, Cursor: "SystemModstamp"},
			},
			origins: map[string]string{"objects.Invoice__c.cursor": "env SOURCES__SALESFORCE__OBJECTS__INVOICE__C__CURSOR",
				"objects.Invoice__c.write_disposition": "config.toml:2"}},
		{name: "pipeline section wins", conf: "[salesforce.sources.salesforce.objects.invoice__c]\ncursor = \"CreatedDate\"\n" + invoice,
			env: []string{"SALESFORCE__SOURCES__SALESFORCE__OBJECTS__PAYMENT__C__WRITE_DISPOSITION=append"},
			want: map[string]config.ObjectSettings{
				"invoice__c": {WriteDisposition: sfdlt.Merge, PrimaryKey: []string{"Id"}, MergeKey: []string{"Account__c", "Period__c"},
					Cursor: "CreatedDate", NotNull: []string{"Name", "Amount__c"}},
				"Payment__c": {WriteDisposition: sfdlt.Append, NoIncremental: true},
			},
			origins: map[string]string{"objects.invoice__c.cursor": "config.toml:2", "objects.invoice__c.primary_key": "config.toml:5",
				"objects.Payment__c.write_disposition": "env SALESFORCE__SOURCES__SALESFORCE__OBJECTS__PAYMENT__C__WRITE_DISPOSITION"}},
		{name: "merge without a key is the run's to check", conf: "[sources.salesforce.objects.Invoice__c]\nwrite_disposition = \"merge\"\n",
			want: map[string]config.ObjectSettings{"Invoice__c": {WriteDisposition: sfdlt.Merge}}},
		{name: "an empty table sets nothing", conf: "[sources.salesforce.objects.Invoice__c]\n"},
		{name: "inline tables", conf: "[sources.salesforce]\nobjects = { Invoice__c = { cursor = \"none\" } }\n",
			want: map[string]config.ObjectSettings{"Invoice__c": {NoIncremental: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfigText(t, tt.conf, append(tt.env, sfCreds...)...)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Warnings) > 0 {
				t.Errorf("warnings: %q", c.Warnings)
			}
			if got := c.Settings().Source.Objects; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("objects\n%+v\nwant\n%+v", got, tt.want)
			}
			for name, want := range tt.origins {
				if o, _ := c.Origin(name); !strings.HasSuffix(o, want) {
					t.Errorf("%s comes from %q, want %q", name, o, want)
				}
			}
			mustSource(t, c)
		})
	}

	// String shows each hint with its origin; Settings returns a copy.
	c := mustLoad(t, invoice)
	for _, line := range []string{`sources.salesforce.objects.Invoice__c.write_disposition = "merge" (`,
		`sources.salesforce.objects.Invoice__c.merge_key = "Account__c,Period__c" (`, `sources.salesforce.objects.Payment__c.cursor = "none" (`} {
		if !strings.Contains(c.String(), line) {
			t.Errorf("String lacks %q:\n%s", line, c)
		}
	}
	c.Settings().Source.Objects["Invoice__c"].PrimaryKey[0] = "Name"
	if got := c.Settings().Source.Objects["Invoice__c"].PrimaryKey; got[0] != "Id" {
		t.Errorf("changing what Settings returned changed the configuration: %q", got)
	}
}

// TestObjectHintsAcrossFiles: each key is looked up on its own, the working directory's files
// first, with the object's name matched regardless of case.
func TestObjectHintsAcrossFiles(t *testing.T) {
	work, home := configTree(t, "", false)
	for dir, conf := range map[string]string{
		work: "[sources.salesforce.objects.invoice__c]\ncursor = \"CreatedDate\"\n",
		home: "[sources.salesforce.objects.Invoice__c]\ncursor = \"LastModifiedDate\"\nwrite_disposition = \"append\"\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, ".dlt"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".dlt", "config.toml"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := config.Load(config.Options{WorkDir: work, HomeDir: home, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]config.ObjectSettings{"invoice__c": {WriteDisposition: sfdlt.Append, Cursor: "CreatedDate"}}
	if got := c.Settings().Source.Objects; !reflect.DeepEqual(got, want) {
		t.Errorf("objects %+v, want %+v", got, want)
	}
	if o, _ := c.Origin("objects.invoice__c.write_disposition"); o != filepath.Join(home, ".dlt", "config.toml")+":3" {
		t.Errorf("write_disposition comes from %q", o)
	}
}

func TestObjectHintsKeyErrors(t *testing.T) {
	const table = "[sources.salesforce.objects.Invoice__c]\n"
	for _, bad := range []struct {
		conf string
		env  []string
		want []string // all in the error
	}{
		{conf: table + "write_disposition = \"upsert\"\n", want: []string{"config.toml:2",
			`sources.salesforce.objects.Invoice__c.write_disposition: expected "append", "replace" or "merge", found a string "upsert"`}},
		{conf: table + "write_disposition = 1\n", want: []string{`sources.salesforce.objects.Invoice__c.write_disposition: expected "append", "replace" or "merge", or a table such as { disposition = "merge", strategy = "delete-insert" }, found an integer`}},
		{conf: table + "cursor = \"Last Modified\"\n", want: []string{"config.toml:2",
			`sources.salesforce.objects.Invoice__c.cursor: expected a field name such as "LastModifiedDate", or "none" for a full read on every run`}},
		{conf: table + "cursor = \"\"\n"}, // empty: not set
		{conf: table + "primary_key = [\"Id\", 3]\n", want: []string{"config.toml:2",
			"sources.salesforce.objects.Invoice__c.primary_key: expected a list of strings, found a list holding an integer"}},
		{conf: table + "merge_key = \"Account Id\"\n", want: []string{`sources.salesforce.objects.Invoice__c.merge_key: "Account Id" is not a field name`}},
		{conf: table + "not_null = []\n", want: []string{"sources.salesforce.objects.Invoice__c.not_null: the list is empty"}},
		{conf: table + "not_null = true\n", want: []string{"sources.salesforce.objects.Invoice__c.not_null: expected a list of strings, found a boolean"}},
		{conf: "[sources.salesforce.objects.\"Invoice c\"]\ncursor = \"none\"\n", want: []string{"config.toml:1",
			`sources.salesforce.objects.Invoice c: "Invoice c" is not a Salesforce object API name`, "[sources.salesforce.objects.Invoice__c]"}},
		{conf: "[sources.salesforce.objects.1Invoice]\ncursor = \"none\"\n", want: []string{`"1Invoice" is not a Salesforce object API name`}},
		{conf: "[sources.salesforce]\nobjects = [\"Invoice__c\"]\n", want: []string{"config.toml:2",
			"sources.salesforce.objects: expected a table per Salesforce object, found a list", "all_objects = true"}},
		{conf: "[sources.salesforce.objects]\nInvoice__c = \"merge\"\n", want: []string{"config.toml:2",
			"sources.salesforce.objects.Invoice__c: expected a table of the object's hints, found a string",
			"write_disposition, primary_key, merge_key, cursor, not_null"}},
		{conf: table + "cursor = \"none\"\n[sources.salesforce.objects.INVOICE__c]\ncursor = \"none\"\n",
			want: []string{"sources.salesforce.objects.INVOICE__c and sources.salesforce.objects.Invoice__c name the same object"}},
		{env: []string{"SOURCES__SALESFORCE__OBJECTS__INVOICE__C__WRITE_DISPOSITION=upsert"}, want: []string{
			`env SOURCES__SALESFORCE__OBJECTS__INVOICE__C__WRITE_DISPOSITION: sources.salesforce.objects.INVOICE__C.write_disposition: expected "append", "replace" or "merge"`}},
		{env: []string{"SOURCES__SALESFORCE__OBJECTS__INVOICE-C__CURSOR=none"}, want: []string{
			`env SOURCES__SALESFORCE__OBJECTS__INVOICE-C__CURSOR: sources.salesforce.objects.INVOICE-C: "INVOICE-C" is not a Salesforce object API name`}},
		// Every malformed value is reported, not only the first.
		{conf: table + "write_disposition = \"upsert\"\ncursor = \"a b\"\n[sources.salesforce.objects.\"x y\"]\ncursor = \"none\"\n",
			want: []string{"3 invalid value(s)"}},
	} {
		_, err := loadConfigText(t, bad.conf, bad.env...)
		if len(bad.want) == 0 && err != nil {
			t.Errorf("%q: %v", bad.conf, err)
		}
		for _, want := range bad.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q %q: %v, want an error with %q", bad.conf, bad.env, err, want)
			}
		}
	}
}

func TestObjectHintsTypoWarnings(t *testing.T) {
	c := mustLoad(t, `[sources.salesforce.objects.Invoice__c]
curser = "LastModifiedDate"
write_dispositon = "merge"
primary_key = "Id"
[sources.salesforce.object.Payment__c]
cursor = "none"
`, "SOURCES__SALESFORCE__OBJECTS__INVOICE__C__NOTNULL=Name", "SOURCES__SALESFORCE__OBJECTS__CURSOR=none")
	warnings := strings.Join(c.Warnings, "\n")
	for _, want := range []string{
		"config.toml:2: unknown key sources.salesforce.objects.Invoice__c.curser (did you mean cursor?): sfdlt ignores it (an object's hints are write_disposition, primary_key, merge_key, cursor, not_null, columns)",
		"config.toml:3: unknown key sources.salesforce.objects.Invoice__c.write_dispositon (did you mean write_disposition?)",
		"config.toml:5: unknown key sources.salesforce.object (did you mean objects?)",
		"environment variable SOURCES__SALESFORCE__OBJECTS__INVOICE__C__NOTNULL is not a setting sfdlt reads (did you mean SOURCES__SALESFORCE__OBJECTS__INVOICE__C__NOT_NULL?)",
		"environment variable SOURCES__SALESFORCE__OBJECTS__CURSOR is not a setting sfdlt reads: an object's hint is SOURCES__SALESFORCE__OBJECTS__<OBJECT>__<KEY>",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	if len(c.Warnings) != 5 {
		t.Errorf("%d warnings, want 5:\n%s", len(c.Warnings), warnings)
	}
	// What is known is read, what is not is not.
	want := map[string]config.ObjectSettings{"Invoice__c": {PrimaryKey: []string{"Id"}}}
	if got := c.Settings().Source.Objects; !reflect.DeepEqual(got, want) {
		t.Errorf("objects %+v, want %+v", got, want)
	}
}

// highDate is the active record timestamp dlt's docs use.
var highDate = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func TestResourceHintsKeys(t *testing.T) {
	const contact = `[sources.salesforce.resources.contact]
write_disposition = { disposition = "merge", strategy = "delete-insert" }
not_null = ["LastName"]

[sources.salesforce.resources.contact.columns]
Email = { data_type = "text", nullable = false }
lead_source = { dedup_sort = "desc", unique = true }

[sources.salesforce.resources.opportunity]
write_disposition = "replace"
`
	contactWant := config.ResourceSettings{WriteDisposition: sfdlt.Merge, MergeStrategy: "delete-insert", NotNull: []string{"LastName"},
		Columns: map[string]sfdlt.ColumnHint{"Email": {DataType: "text", NotNull: true}, "lead_source": {DedupSort: "desc", Unique: true}}}
	tests := []struct {
		name, conf string
		env        []string
		want       map[string]config.ResourceSettings
		origins    map[string]string // Origin name -> suffix of its origin
		shown      []string          // lines of String
	}{
		{name: "toml", conf: contact,
			want: map[string]config.ResourceSettings{"contact": contactWant, "opportunity": {WriteDisposition: sfdlt.Replace}},
			origins: map[string]string{"resources.contact.write_disposition": "config.toml:2", "resources.contact.columns": "config.toml:5",
				"resources.opportunity.write_disposition": "config.toml:10"},
			shown: []string{`sources.salesforce.resources.contact.write_disposition = "merge, strategy delete-insert" (`,
				`sources.salesforce.resources.contact.columns = "Email: data_type text, nullable false; lead_source: dedup_sort desc, unique true" (`}},
		{name: "env", env: []string{"SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION=merge",
			"SOURCES__SALESFORCE__RESOURCES__LEAD__CURSOR=LastModifiedDate", "SOURCES__SALESFORCE__RESOURCES__LEAD__PRIMARY_KEY=Id",
			`SOURCES__SALESFORCE__RESOURCES__LEAD__COLUMNS={"Email": {"nullable": false, "data_type": "text"}}`,
			`SOURCES__SALESFORCE__RESOURCES__ACCOUNT__WRITE_DISPOSITION={"disposition": "append"}`},
			want: map[string]config.ResourceSettings{
				"contact": {WriteDisposition: sfdlt.Merge},
				"lead":    {PrimaryKey: []string{"Id"}, Cursor: "LastModifiedDate", Columns: map[string]sfdlt.ColumnHint{"Email": {DataType: "text", NotNull: true}}},
				"account": {WriteDisposition: sfdlt.Append},
			},
			origins: map[string]string{"resources.lead.columns": "env SOURCES__SALESFORCE__RESOURCES__LEAD__COLUMNS"},
			shown:   []string{`sources.salesforce.resources.account.write_disposition = "append" (env SOURCES__SALESFORCE__RESOURCES__ACCOUNT__WRITE_DISPOSITION)`}},
		{name: "env TOML literals, as dlt reads them", env: []string{
			`SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION={disposition = "merge", strategy = "delete-insert"}`,
			`SOURCES__SALESFORCE__RESOURCES__CONTACT__COLUMNS=[{name = "Email", nullable = false}]`},
			want: map[string]config.ResourceSettings{"contact": {WriteDisposition: sfdlt.Merge, MergeStrategy: "delete-insert",
				Columns: map[string]sfdlt.ColumnHint{"Email": {NotNull: true}}}}},
		{name: "env wins", conf: contact, env: []string{"SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION=append"},
			want: map[string]config.ResourceSettings{"contact": {WriteDisposition: sfdlt.Append, NotNull: []string{"LastName"}, Columns: contactWant.Columns},
				"opportunity": {WriteDisposition: sfdlt.Replace}},
			origins: map[string]string{"resources.contact.write_disposition": "env SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION",
				"resources.contact.not_null": "config.toml:3"}},
		{name: "pipeline section wins", conf: "[salesforce.sources.salesforce.resources.contact]\ncursor = \"none\"\n" + contact,
			want: map[string]config.ResourceSettings{"contact": {WriteDisposition: sfdlt.Merge, MergeStrategy: "delete-insert", NotNull: []string{"LastName"},
				Columns: contactWant.Columns, NoIncremental: true}, "opportunity": {WriteDisposition: sfdlt.Replace}},
			origins: map[string]string{"resources.contact.cursor": "config.toml:2"}},
		{name: "dlt's list form of columns", conf: "[sources.salesforce.resources.task]\ncolumns = [{ name = \"Subject\", nullable = false }, { name = \"WhoId\", data_type = \"text\" }]\n",
			want:    map[string]config.ResourceSettings{"task": {Columns: map[string]sfdlt.ColumnHint{"Subject": {NotNull: true}, "WhoId": {DataType: "text"}}}},
			origins: map[string]string{"resources.task.columns": "config.toml:2"}},
		{name: "an empty table sets nothing", conf: "[sources.salesforce.resources.contact]\n"},
		{name: "scd2, dlt's keys", conf: "[sources.salesforce.resources.opportunity]\nwrite_disposition = { disposition = \"merge\", strategy = \"scd2\", validity_column_names = [\"valid_from\", \"valid_until\"], active_record_timestamp = 9999-12-31, row_version_column_name = \"SystemModstamp\" }\n",
			want: map[string]config.ResourceSettings{"opportunity": {WriteDisposition: sfdlt.Merge, MergeStrategy: "scd2", SCD2: &sfdlt.SCD2Options{
				ValidityColumnNames: [2]string{"valid_from", "valid_until"}, ActiveRecordTimestamp: &highDate, RowVersionColumnName: "SystemModstamp"}}},
			shown: []string{`sources.salesforce.resources.opportunity.write_disposition = "merge, strategy scd2, validity_column_names [\"valid_from\", \"valid_until\"], active_record_timestamp 9999-12-31T00:00:00Z, row_version_column_name \"SystemModstamp\"" (`}},
		{name: "scd2 with dlt's defaults, from a variable", env: []string{`SOURCES__SALESFORCE__RESOURCES__OPPORTUNITY__WRITE_DISPOSITION={"disposition": "merge", "strategy": "scd2", "active_record_timestamp": "9999-12-31T00:00:00+00:00"}`},
			want: map[string]config.ResourceSettings{"opportunity": {WriteDisposition: sfdlt.Merge, MergeStrategy: "scd2", SCD2: &sfdlt.SCD2Options{ActiveRecordTimestamp: &highDate}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfigText(t, tt.conf, append(tt.env, sfCreds...)...)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Warnings) > 0 {
				t.Errorf("warnings: %q", c.Warnings)
			}
			if got := c.Settings().Source.Resources; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resources\n%+v\nwant\n%+v", got, tt.want)
			}
			for name, want := range tt.origins {
				if o, _ := c.Origin(name); !strings.HasSuffix(o, want) {
					t.Errorf("%s comes from %q, want %q", name, o, want)
				}
			}
			for _, line := range tt.shown {
				if !strings.Contains(c.String(), line) {
					t.Errorf("String lacks %q:\n%s", line, c)
				}
			}
			mustSource(t, c)
		})
	}

	// Settings returns a copy.
	c := mustLoad(t, contact)
	c.Settings().Source.Resources["contact"].Columns["Email"] = sfdlt.ColumnHint{}
	if got := c.Settings().Source.Resources["contact"].Columns["Email"]; !got.NotNull {
		t.Errorf("changing what Settings returned changed the configuration: %+v", got)
	}
}

// TestResourceHintsApplied: Source applies the hints to the standard resources; a resource made
// merge without a key or cursor is merged on Id, incrementally on SystemModstamp, and one made
// replace without a cursor is read in full.
func TestResourceHintsApplied(t *testing.T) {
	type res struct {
		disposition sfdlt.WriteDisposition
		pk          string
		cursor      string // "" not incremental
	}
	for _, tt := range []struct {
		name, conf string
		want       map[string]res
	}{
		{name: "merge alone", conf: "[sources.salesforce.resources.contact]\nwrite_disposition = \"merge\"\n",
			want: map[string]res{"contact": {sfdlt.Merge, "id", "SystemModstamp"}, "lead": {sfdlt.Replace, "", ""}}},
		{name: "merge, table form", conf: "[sources.salesforce.resources.contact]\nwrite_disposition = { disposition = \"merge\" }\n",
			want: map[string]res{"contact": {sfdlt.Merge, "id", "SystemModstamp"}}},
		{name: "merge with its own key and cursor", conf: "[sources.salesforce.resources.lead]\nwrite_disposition = \"merge\"\nprimary_key = [\"Email\"]\ncursor = \"LastModifiedDate\"\n",
			want: map[string]res{"lead": {sfdlt.Merge, "email", "LastModifiedDate"}}},
		{name: "merge read in full", conf: "[sources.salesforce.resources.campaign]\nwrite_disposition = \"merge\"\ncursor = \"none\"\n",
			want: map[string]res{"campaign": {sfdlt.Merge, "id", ""}}},
		{name: "replace reads in full", conf: "[sources.salesforce.resources.opportunity]\nwrite_disposition = \"replace\"\n",
			want: map[string]res{"opportunity": {sfdlt.Replace, "id", ""}, "account": {sfdlt.Merge, "id", "SystemModstamp"}}},
		{name: "append keeps the cursor", conf: "[sources.salesforce.resources.task]\nwrite_disposition = \"append\"\n",
			want: map[string]res{"task": {sfdlt.Append, "id", "SystemModstamp"}}},
		{name: "cursor alone", conf: "[sources.salesforce.resources.event]\ncursor = \"CreatedDate\"\n",
			want: map[string]res{"event": {sfdlt.Merge, "id", "CreatedDate"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := mustSource(t, mustLoad(t, tt.conf, sfCreds...))
			for name, want := range tt.want {
				r, err := src.Resource(name)
				if err != nil {
					t.Fatal(err)
				}
				got := res{r.WriteDisposition(), strings.Join(r.PrimaryKey(), ","), ""}
				if r.Incremental() != nil {
					got.cursor = r.Incremental().CursorPath
				}
				if got != want {
					t.Errorf("%s: %+v, want %+v", name, got, want)
				}
			}
		})
	}
}

func TestResourceHintsKeyErrors(t *testing.T) {
	const table = "[sources.salesforce.resources.contact]\n"
	for _, bad := range []struct {
		conf string
		env  []string
		want []string // all in the error
	}{
		{conf: "[sources.salesforce.resources.contacts]\nwrite_disposition = \"merge\"\n", want: []string{"config.toml:1",
			`sources.salesforce.resources.contacts: "contacts" is not a resource of the salesforce source: its resources are sf_user, user_role, opportunity, opportunity_line_item, opportunity_contact_role, account, contact, lead, campaign, campaign_member, product_2, pricebook_2, pricebook_entry, task, event.`,
			"Any other object, custom ones too, takes its hints in a table named after its API name, such as [sources.salesforce.objects.Invoice__c]"}},
		{conf: "[sources.salesforce.resources.Product2]\ncursor = \"none\"\n", want: []string{`"Product2" is not a resource of the salesforce source (did you mean product_2?)`}},
		{conf: "[sources.salesforce.resources.Contact]\ncursor = \"none\"\n", want: []string{`"Contact" is not a resource of the salesforce source (did you mean contact?)`}},
		{conf: "[sources.salesforce.resources.Invoice__c]\ncursor = \"none\"\n", want: []string{`"Invoice__c" is not a resource`, "[sources.salesforce.objects.Invoice__c]"}},
		{conf: table + "write_disposition = { disposition = \"merge\", strategy = \"scd3\" }\n", want: []string{"config.toml:2",
			`sources.salesforce.resources.contact.write_disposition.strategy: expected one of the merge strategies sfdlt has: "delete-insert", "scd2", found a string "scd3"`}},
		{conf: table + "[sources.salesforce.resources.contact.write_disposition]\ndisposition = \"merge\"\n\nstrategy = \"upsert\"\n", want: []string{"config.toml:5",
			`sources.salesforce.resources.contact.write_disposition.strategy: expected one of the merge strategies sfdlt has: "delete-insert", "scd2", found a string "upsert"`}},
		{conf: table + "write_disposition = { disposition = \"replace\", strategy = \"delete-insert\" }\n", want: []string{"config.toml:2",
			`write_disposition.strategy: a strategy belongs to disposition "merge", and this one is "replace"`}},
		{conf: table + "write_disposition = { strategy = \"delete-insert\" }\n", want: []string{"config.toml:2",
			"sources.salesforce.resources.contact.write_disposition: the table names no disposition"}},
		{conf: table + "write_disposition = { disposition = \"upsert\" }\n", want: []string{
			`sources.salesforce.resources.contact.write_disposition.disposition: expected "append", "replace" or "merge", found a string "upsert"`}},
		{conf: table + "write_disposition = { disposition = \"merge\", validity_column_names = [\"a\", \"b\"] }\n", want: []string{"config.toml:2",
			`sources.salesforce.resources.contact.write_disposition.validity_column_names: write_disposition has no key "validity_column_names" here: validity_column_names is a key of the "scd2" merge strategy: write strategy = "scd2"`}},
		{conf: table + "write_disposition = { disposition = \"merge\", strategy = \"scd2\", validity_column_names = [\"from\"] }\n", want: []string{"config.toml:2",
			`write_disposition.validity_column_names: expected a list of two column names (valid from, valid to)`}},
		{conf: table + "write_disposition = { disposition = \"merge\", strategy = \"scd2\", validity_column_names = [\"From\", \"from\"] }\n", want: []string{
			`write_disposition.validity_column_names: the two validity columns are both "From"`}},
		{conf: table + "write_disposition = { disposition = \"merge\", strategy = \"scd2\", active_record_timestamp = \"someday\" }\n", want: []string{
			`write_disposition.active_record_timestamp: expected a date or timestamp, found a string "someday": write active_record_timestamp = "9999-12-31"`}},
		{conf: table + "write_disposition = { disposition = \"merge\", strategy = \"scd2\", row_version_column_name = 3 }\n", want: []string{
			`write_disposition.row_version_column_name: expected a string`}},
		{conf: table + "write_disposition = [\"merge\"]\n", want: []string{"config.toml:2", `expected "append", "replace" or "merge", or a table such as`}},
		{conf: table + "columns = { Email = { data_type = \"varchar\" } }\n", want: []string{"config.toml:2",
			`sources.salesforce.resources.contact.columns.Email.data_type: expected a dlt data type: text, bigint, double, decimal, bool, timestamp, date, time, json, binary, found a string "varchar"`}},
		{conf: table + "[sources.salesforce.resources.contact.columns.Email]\ndata_type = \"text\"\nnullable = \"perhaps\"\n", want: []string{"config.toml:4",
			"sources.salesforce.resources.contact.columns.Email.nullable: expected true or false"}},
		{conf: table + "columns = { Email = { precision = 10 } }\n", want: []string{
			`sources.salesforce.resources.contact.columns.Email.precision: sfdlt applies no column hint "precision": the hints it applies are data_type, nullable, primary_key, merge_key, unique, hard_delete, dedup_sort`}},
		{conf: table + "columns = { Email = { dedup_sort = \"up\" } }\n", want: []string{`columns.Email.dedup_sort: expected "asc" or "desc"`}},
		{conf: table + "columns = { Email = \"text\" }\n", want: []string{"sources.salesforce.resources.contact.columns.Email: expected a table of the column's hints, found a string"}},
		{conf: table + "columns = { \"E mail\" = { nullable = false } }\n", want: []string{`"E mail" is not a column name`}},
		{conf: table + "columns = { Email = { nullable = false }, email = { unique = true } }\n", want: []string{"Email and email are the same column (email)"}},
		{conf: table + "columns = {}\n", want: []string{"sources.salesforce.resources.contact.columns: no column is given"}},
		{conf: table + "columns = [{ nullable = false }]\n", want: []string{"config.toml:2", "expected a list of tables that each name a column, found a table with no name"}},
		{conf: table + "columns = [\"Email\"]\n", want: []string{"found a list holding a string"}},
		{conf: table + "not_null = [\"Email\"]\ncolumns = { email = { nullable = true } }\n", want: []string{"config.toml:3",
			"sources.salesforce.resources.contact.columns.email.nullable: the column is nullable here, but not_null lists Email"}},
		{conf: table + "cursor = \"none\"\n[sources.salesforce.objects.CONTACT]\nprimary_key = \"Id\"\n", want: []string{"config.toml:2",
			"sources.salesforce.resources.contact and sources.salesforce.objects.CONTACT (", "config.toml:4) both give hints to Contact"}},
		{conf: "[sources.salesforce]\nresources = [\"contact\"]\n", want: []string{"config.toml:2", "sources.salesforce.resources: expected a table per resource, found a list"}},
		{conf: "[sources.salesforce.resources]\ncontact = \"merge\"\n", want: []string{"sources.salesforce.resources.contact: expected a table of the resource's hints, found a string"}},
		{env: []string{"SOURCES__SALESFORCE__RESOURCES__CONTACTS__WRITE_DISPOSITION=merge"}, want: []string{
			`env SOURCES__SALESFORCE__RESOURCES__CONTACTS__WRITE_DISPOSITION: sources.salesforce.resources.contacts: "contacts" is not a resource of the salesforce source`}},
		{env: []string{"SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION={disposition: merge}"}, want: []string{
			"env SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION: sources.salesforce.resources.contact.write_disposition: the value is neither JSON nor a TOML inline table or array",
			`SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION='{ disposition = "merge", strategy = "delete-insert" }'`}},
		{env: []string{`SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION={"disposition": "merge", "strategy": "scd9"}`}, want: []string{
			`env SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION: sources.salesforce.resources.contact.write_disposition.strategy: expected one of the merge strategies sfdlt has: "delete-insert", "scd2", found the value "scd9"`}},
		{env: []string{`SOURCES__SALESFORCE__RESOURCES__CONTACT__COLUMNS={"Email": {"nullable": "no way"}}`}, want: []string{
			"env SOURCES__SALESFORCE__RESOURCES__CONTACT__COLUMNS: sources.salesforce.resources.contact.columns.Email.nullable: expected true or false"}},
		// Every malformed value is reported, not only the first.
		{conf: table + "write_disposition = \"upsert\"\ncolumns = { Email = { x = 1 } }\n[sources.salesforce.resources.leads]\ncursor = \"none\"\n",
			want: []string{"3 invalid value(s)"}},
	} {
		_, err := loadConfigText(t, bad.conf, bad.env...)
		for _, want := range bad.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q %q: %v, want an error with %q", bad.conf, bad.env, err, want)
			}
		}
	}
}

func TestResourceHintsTypoWarnings(t *testing.T) {
	c := mustLoad(t, `[sources.salesforce.resources.contact]
write_dispositon = "merge"
cursor = "none"
[sources.salesforce.resource.lead]
cursor = "none"
`, "SOURCES__SALESFORCE__RESOURCES__CONTACT__PRIMARYKEY=Id", "SOURCES__SALESFORCE__RESOURCES__CONTACT__COLUMNS__EMAIL__NULLABLE=false",
		"SOURCES__SALESFORCE__RESOURCES__CONTACT=merge")
	warnings := strings.Join(c.Warnings, "\n")
	for _, want := range []string{
		"config.toml:2: unknown key sources.salesforce.resources.contact.write_dispositon (did you mean write_disposition?): sfdlt ignores it (a resource's hints are write_disposition, primary_key, merge_key, cursor, not_null, columns)",
		"config.toml:4: unknown key sources.salesforce.resource (did you mean resources?)",
		"environment variable SOURCES__SALESFORCE__RESOURCES__CONTACT__PRIMARYKEY is not a setting sfdlt reads (did you mean SOURCES__SALESFORCE__RESOURCES__CONTACT__PRIMARY_KEY?)",
		`environment variable SOURCES__SALESFORCE__RESOURCES__CONTACT__COLUMNS__EMAIL__NULLABLE is not a setting sfdlt reads: columns is set whole, as a JSON object or a TOML inline table, such as SOURCES__SALESFORCE__RESOURCES__CONTACT__COLUMNS='{ Email = { data_type = "text", nullable = false } }'`,
		"environment variable SOURCES__SALESFORCE__RESOURCES__CONTACT is not a setting sfdlt reads: a resource's hint is SOURCES__SALESFORCE__RESOURCES__<RESOURCE>__<KEY>, such as SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	if len(c.Warnings) != 5 {
		t.Errorf("%d warnings, want 5:\n%s", len(c.Warnings), warnings)
	}
	want := map[string]config.ResourceSettings{"contact": {NoIncremental: true}}
	if got := c.Settings().Source.Resources; !reflect.DeepEqual(got, want) {
		t.Errorf("resources %+v, want %+v", got, want)
	}
}

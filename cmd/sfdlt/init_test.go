package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/config"
)

func TestInitFiles(t *testing.T) {
	for _, dest := range []string{"duckdb", "postgres"} {
		t.Run(dest, func(t *testing.T) {
			secrets, conf, err := initFiles(dest)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"[sources.salesforce]", `user_name = "user_name"`, `password = "password"`,
				`security_token = "security_token"`, "# client_id", "# client_secret", "# private_key_file",
				"# refresh_token", "# session_id", "# instance_url"} {
				if !strings.Contains(secrets, want) {
					t.Errorf("secrets.toml lacks %q", want)
				}
			}
			for _, want := range []string{"# pipeline_name", "# dataset_name", "# pipelines_dir", "# dev_mode", "# domain",
				"# login_url", "# api_version", "# is_production", "# include_formula_fields", "# all_objects",
				"# objects_include", "# objects_exclude", "# [sources.salesforce.objects.Invoice__c]", "# write_disposition",
				"# primary_key", "# merge_key", "# cursor", "# not_null", "# columns", "# [sources.salesforce.resources.contact]"} {
				if !strings.Contains(conf, want) {
					t.Errorf("config.toml lacks %q", want)
				}
			}
			destWant := map[string]string{"duckdb": "[destination.duckdb]", "postgres": "[destination.postgres.credentials]"}[dest]
			if !strings.Contains(secrets+conf, destWant) {
				t.Errorf("templates lack %q", destWant)
			}

			// The templates load, and their placeholders are reported, not used.
			work, home := t.TempDir(), t.TempDir()
			dir := filepath.Join(work, ".dlt")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "secrets.toml"), []byte(secrets), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(config.Options{WorkDir: work, HomeDir: home, Environ: []string{}})
			if err != nil {
				t.Fatalf("the %s templates do not load: %v", dest, err)
			}
			if len(c.Warnings) > 0 {
				t.Errorf("the templates give warnings: %q", c.Warnings)
			}
			// Every key shown commented out loads as it stands, without a warning.
			uncommented := regexp.MustCompile(`(?m)^# ([a-z_]+ = |\[)`).ReplaceAllString(conf, "$1")
			if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(uncommented), 0o644); err != nil {
				t.Fatal(err)
			}
			all, err := config.Load(config.Options{WorkDir: work, HomeDir: home, Environ: []string{}})
			if err != nil {
				t.Fatalf("the %s config.toml with every key uncommented does not load: %v\n%s", dest, err, uncommented)
			}
			if len(all.Warnings) > 0 {
				t.Errorf("the config.toml with every key uncommented gives warnings: %q", all.Warnings)
			}
			src := all.Settings().Source
			want := config.ObjectSettings{WriteDisposition: sfdlt.Merge, PrimaryKey: []string{"Id"}, MergeKey: []string{"Account__c"},
				Cursor: "LastModifiedDate", NotNull: []string{"Name"}, Columns: map[string]sfdlt.ColumnHint{"Amount__c": {DataType: "decimal", NotNull: true}}}
			contact := config.ResourceSettings{WriteDisposition: sfdlt.Merge, MergeStrategy: "delete-insert",
				Columns: map[string]sfdlt.ColumnHint{"last_name": {NotNull: true}, "email": {DataType: "text"}}}
			if !src.AllObjects || len(src.ObjectsInclude) != 2 || len(src.ObjectsExclude) != 2 || !reflect.DeepEqual(src.Objects["Invoice__c"], want) ||
				!reflect.DeepEqual(src.Resources, map[string]config.ResourceSettings{"contact": contact}) {
				t.Errorf("the uncommented template reads as %+v", src)
			}

			_, err = c.Credentials()
			if err == nil || !strings.Contains(err.Error(), "still hold the placeholders sfdlt init wrote") ||
				!strings.Contains(err.Error(), filepath.Join(dir, "secrets.toml")+":6") {
				t.Errorf("placeholders not reported: %v", err)
			}
			if dest == "postgres" {
				if dsn := c.Settings().Postgres.DSN; dsn != "" {
					t.Error("placeholder postgres credentials count as configured")
				}
				_, err := c.Destination("postgres")
				var missing *config.MissingConfigError
				if !errors.As(err, &missing) || !strings.Contains(err.Error(), "still holds the placeholders") {
					t.Errorf("Destination(postgres) does not mention the placeholders: %v", err)
				}
			}
		})
	}
	if _, _, err := initFiles("bigquery"); err == nil || !strings.Contains(err.Error(), "duckdb or postgres") {
		t.Errorf("initFiles(bigquery) = %v, want an error naming the choices", err)
	}
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func newInitCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:       "init [duckdb|postgres]",
		Short:     "Write .dlt/secrets.toml and .dlt/config.toml templates, as 'dlt init salesforce duckdb' does",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"duckdb", "postgres"},
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := "duckdb"
			if len(args) == 1 {
				dest = args[0]
			}
			secrets, config, err := initFiles(dest)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(".dlt", 0o700); err != nil {
				return fmt.Errorf("creating .dlt: %w", err)
			}
			for _, f := range []struct {
				name, body string
				mode       fs.FileMode
			}{{"secrets.toml", secrets, 0o600}, {"config.toml", config, 0o644}} {
				path := filepath.Join(".dlt", f.name)
				flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
				if force {
					flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
				}
				file, err := os.OpenFile(path, flag, f.mode)
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s already exists: edit it, or pass --force to overwrite it", path)
				}
				if err != nil {
					return fmt.Errorf("writing %s: %w", path, err)
				}
				if _, err := file.WriteString(f.body); err != nil {
					file.Close()
					return fmt.Errorf("writing %s: %w", path, err)
				}
				if err := file.Close(); err != nil {
					return fmt.Errorf("writing %s: %w", path, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Fill in the Salesforce credentials in .dlt/secrets.toml, then run: sfdlt run")
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}

// initFiles returns the .dlt/secrets.toml and .dlt/config.toml that `sfdlt init <dest>` writes,
// as dlt init writes them: placeholders to replace for user_name, password and security_token
// (and for the postgres credentials), every other key commented out with its default or an
// example value. The
// config package recognizes the placeholders and reports them as not configured.
// dest is "duckdb" or "postgres".
func initFiles(dest string) (secretsTOML, configTOML string, err error) {
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
# progress = "log"                      # how sfdlt run shows progress: bar, log or none (default: bar on a terminal, log elsewhere)
# refresh = "drop_resources"            # reset before EVERY run: drop_sources, drop_resources or drop_data (see README, "Refresh and drop"); usually left out, and given once with sfdlt run --refresh

[sources.salesforce]
# domain = "login"                      # "test" for sandboxes, or your My Domain such as "acme.my"
# login_url = ""                        # a full login URL; wins over domain
# api_version = "64.0"
# is_production = true                  # false caps every query at 100 rows (a development setting)
# include_formula_fields = true         # false leaves formula fields out (they can go stale in incremental loads)
# bulk_threshold = 10000                # reads of at least this many records use Bulk API 2.0; 0 turns Bulk off
# hard_deletes = false                  # true: rows of records deleted in Salesforce are deleted (default: kept with is_deleted = true)
# lookback = "0s"                       # re-read this much before the cursor on every run (stamps that arrive late)
# max_api_usage_percent = 0             # stop cleanly when the org's daily API usage reaches this share (0: off)
# formula_refresh = "0s"                # read incremental resources in full this often, to refresh formula fields (e.g. "168h")
# max_query_cursors = 8                 # REST query cursors a run holds open at once (1-9; Salesforce allows a user 10, shared with its other integrations)
# all_objects = true                    # load every queryable object of the org, custom ones too, beside the standard resources (default false)
# objects_include = ["*__c", "Opportunity*"]  # with all_objects: only objects whose API names match these globs (case-insensitive)
# objects_exclude = ["*History", "*Share"]    # with all_objects: leave out objects whose API names match these globs

# Hints for one Salesforce object, as dlt's apply_hints: a table named after its API name.
# Environment variables: SOURCES__SALESFORCE__OBJECTS__INVOICE__C__CURSOR and so on.
# [sources.salesforce.objects.Invoice__c]
# write_disposition = "merge"           # "append", "replace" or "merge"; or { disposition = "merge", strategy = "delete-insert" }
# primary_key = "Id"                    # a field, or a list of fields: ["Account__c", "Period__c"]
# merge_key = ["Account__c"]            # dlt's merge_key: rows whose merge key is loaded again are deleted first
# cursor = "LastModifiedDate"           # the field it loads incrementally on; "none" reads it in full on every run
# not_null = ["Name"]                   # columns that must never be null
# columns = { Amount__c = { data_type = "decimal", nullable = false } }  # dlt's columns hint: data_type, nullable, primary_key, merge_key, unique, hard_delete, dedup_sort

# The same hints for one of the 15 standard resources, named as dlt names it (contact, opportunity,
# sf_user, ...). Made merge without primary_key or cursor, a resource is merged on Id,
# incrementally on SystemModstamp, with deletions read through queryAll; made replace without a
# cursor, it is read in full on every run. Environment variables:
# SOURCES__SALESFORCE__RESOURCES__CONTACT__WRITE_DISPOSITION=merge, and a table as JSON or TOML:
# SOURCES__SALESFORCE__RESOURCES__CONTACT__COLUMNS='{"Email": {"nullable": false}}'.
# [sources.salesforce.resources.contact]
# write_disposition = { disposition = "merge", strategy = "delete-insert" }  # or just "merge"
# (history instead: write_disposition = { disposition = "merge", strategy = "scd2" }, optionally with
#  validity_column_names = ["valid_from", "valid_to"], active_record_timestamp = 9999-12-31 and
#  row_version_column_name = "SystemModstamp" in the same table: a row per version of a record)
# [sources.salesforce.resources.contact.columns]
# last_name = { nullable = false }
# email = { data_type = "text" }
`)
	switch dest {
	case "duckdb":
		conf.WriteString(`
[destination.duckdb]
# credentials = "salesforce.duckdb"     # the database file; default <pipeline_name>.duckdb in this directory
# memory_limit = "1GB"                  # DuckDB's memory_limit (default: sfdlt manages it, 128 MiB raised as a load needs)
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

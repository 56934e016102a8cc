package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// sfdlt runs the CLI in-process in dir with a clean HOME, returning stdout, stderr and the error.
func cli(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func cleanEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	os.MkdirAll(home, 0o700)
	t.Setenv("HOME", home)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SOURCES__") || strings.HasPrefix(name, "DESTINATION__") || name == "PIPELINE_NAME" || name == "DATASET_NAME" {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	return dir
}

func TestInitWritesTemplates(t *testing.T) {
	dir := cleanEnv(t)
	out, _, err := cli(t, dir, "init", "duckdb")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, ".dlt/secrets.toml") {
		t.Errorf("output: %s", out)
	}
	st, err := os.Stat(filepath.Join(dir, ".dlt", "secrets.toml"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secrets.toml: %v, mode %v; want 0600", err, st.Mode())
	}
	b, _ := os.ReadFile(filepath.Join(dir, ".dlt", "secrets.toml"))
	for _, key := range []string{"[sources.salesforce]", "user_name", "password", "security_token"} {
		if !strings.Contains(string(b), key) {
			t.Errorf("secrets.toml lacks %s", key)
		}
	}
	if _, _, err := cli(t, dir, "init", "duckdb"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second init: %v, want a refusal naming --force", err)
	}
	if _, _, err := cli(t, dir, "init", "duckdb", "--force"); err != nil {
		t.Errorf("init --force: %v", err)
	}
}

func TestRunAndShowFromEnvironment(t *testing.T) {
	dir := cleanEnv(t)
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 3})
	t.Cleanup(srv.Close)
	c := srv.Credentials()
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__USER_NAME", c.UserName)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", c.Password)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__SECURITY_TOKEN", c.SecurityToken)
	t.Setenv("SOURCES__SALESFORCE__LOGIN_URL", srv.URL())
	t.Setenv("DESTINATION__DUCKDB__CREDENTIALS", filepath.Join(dir, "cli.duckdb"))

	out, errOut, err := cli(t, dir, "run", "--resources", "opportunity,contact", "--dataset-name", "salesforce_data", "--objects", "Something__c")
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{"is LOADED and contains no failed jobs", "opportunity", "contact", "something__c", "cli.duckdb"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "account") {
		t.Errorf("--resources must limit the run to its resources and the --objects:\n%s", out)
	}
	out, _, err = cli(t, dir, "pipeline", "salesforce", "show", "--dataset-name", "salesforce_data")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"opportunity", "800 rows", "_dlt_loads", "SystemModstamp last_value"} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = cli(t, dir, "pipeline", "salesforce", "info", "--dataset-name", "salesforce_data")
	if err != nil || !strings.Contains(out, `"_state_version": 1`) {
		t.Errorf("info: %v\n%s", err, out)
	}
	for _, s := range []string{c.Password, c.SecurityToken} {
		if strings.Contains(out+errOut, s) {
			t.Error("a secret was printed")
		}
	}

	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", "wrong-password")
	_, _, err = cli(t, dir, "run", "--resources", "contact", "--dataset-name", "salesforce_data")
	if err == nil || !strings.Contains(err.Error(), "INVALID_LOGIN") || strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestRunWithoutCredentialsSaysWhatToSet(t *testing.T) {
	dir := cleanEnv(t)
	_, _, err := cli(t, dir, "run")
	if err == nil {
		t.Fatal("run without credentials succeeded")
	}
	for _, want := range []string{"user_name", "secrets.toml", "SOURCES__SALESFORCE__"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the emulated org twice")
	}
	dir := cleanEnv(t)
	out, _, err := cli(t, dir, "demo", "--pipelines-dir", filepath.Join(dir, "pipelines"))
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"1. Full load", "2. Changes in the org", "3. Incremental run", "FROM Opportunity WHERE SystemModstamp >= ", "is LOADED"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, demoFile)); err != nil {
		t.Errorf("the demo database is missing: %v", err)
	}
}

// The benchmark harness is its own command (cmd/sfdlt-bench): the user's binary has no bench
// subcommand and no flag that only the harness used.
func TestNoBenchmarkHarness(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, `unknown command "bench"`},
		{[]string{"run", "--print-peak-rss"}, "unknown flag: --print-peak-rss"},
	} {
		if _, _, err := cli(t, cleanEnv(t), tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sfdlt %s: %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

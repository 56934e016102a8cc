package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// Distinctive secret values: any of them in an output of the CLI is a leak.
const (
	cliPassword     = "pw-SEKRET-1"
	cliToken        = "tok-SEKRET-2"
	cliClientID     = "cid-SEKRET-3"
	cliClientSecret = "cs-SEKRET-4"
	cliWrong        = "pw-SEKRET-WRONG-5"
	cliPGPassword   = "pg-SEKRET-6"
)

// output is what one CLI command printed.
type output struct {
	what             string
	stdout, stderr   string
	err              error
	wantErr, wantOut string // a substring the error / stdout must hold ("" for none)
}

// scanCLI fails the test for every secret printed by any command, and checks each command did
// what it should (so that a silent command cannot pass the scan by printing nothing).
func scanCLI(t *testing.T, secrets []string, outs []output) {
	t.Helper()
	for _, o := range outs {
		errText := ""
		if o.err != nil {
			errText = o.err.Error()
		}
		switch {
		case o.wantErr == "" && o.err != nil:
			t.Errorf("%s failed: %v\n%s\n%s", o.what, o.err, o.stdout, o.stderr)
		case o.wantErr != "" && !strings.Contains(errText, o.wantErr):
			t.Errorf("%s: error %q, want one saying %q", o.what, errText, o.wantErr)
		}
		if o.wantOut != "" && !strings.Contains(o.stdout, o.wantOut) {
			t.Errorf("%s: stdout lacks %q:\n%s", o.what, o.wantOut, o.stdout)
		}
		for name, text := range map[string]string{"stdout": o.stdout, "stderr": o.stderr, "the error": errText} {
			for _, s := range secrets {
				if s != "" && strings.Contains(text, s) {
					i := strings.Index(text, s)
					t.Errorf("%s: %s shows a secret (%.8s…): …%s…", o.what, name, s, text[max(0, i-80):i])
				}
			}
		}
	}
}

func TestSecretsNotPrintedByCLI(t *testing.T) {
	dir := cleanEnv(t)
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 5, Counts: map[string]int{"Opportunity": 40, "Contact": 30, "Account": 20},
		Password: cliPassword, SecurityToken: cliToken, ClientID: cliClientID, ClientSecret: cliClientSecret})
	t.Cleanup(srv.Close)
	c := srv.Credentials()
	secrets := []string{cliPassword, cliToken, cliClientID, cliClientSecret, cliWrong, cliPGPassword, c.RefreshToken,
		salesforcetest.DefaultPassword, salesforcetest.DefaultSecurityToken, salesforcetest.DefaultClientSecret}
	for _, line := range strings.Split(c.PrivateKeyPEM, "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	var outs []output
	run := func(what, wantErr, wantOut string, args ...string) {
		t.Helper()
		stdout, stderr, err := cli(t, dir, args...)
		outs = append(outs, output{what: what, stdout: stdout, stderr: stderr, err: err, wantErr: wantErr, wantOut: wantOut})
	}

	run("init", "", "secrets.toml", "init", "duckdb")
	run("init postgres", "", "secrets.toml", "init", "postgres", "--force")
	if err := os.RemoveAll(filepath.Join(dir, ".dlt")); err != nil {
		t.Fatal(err)
	}

	// Every Salesforce secret in the environment, as a deployment sets them.
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__USER_NAME", c.UserName)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", cliPassword)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__SECURITY_TOKEN", cliToken)
	t.Setenv("SOURCES__SALESFORCE__LOGIN_URL", srv.URL())
	t.Setenv("DESTINATION__DUCKDB__CREDENTIALS", filepath.Join(dir, "cli.duckdb"))
	args := []string{"--resources", "opportunity,contact", "--dataset-name", "salesforce_data"}
	run("run (soap)", "", "is LOADED", append([]string{"run"}, args...)...)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__CLIENT_ID", cliClientID)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__CLIENT_SECRET", cliClientSecret)
	run("run (oauth password)", "", "is LOADED", append([]string{"run"}, args...)...)
	run("pipeline show", "", "opportunity", "pipeline", "salesforce", "show", "--dataset-name", "salesforce_data")
	run("pipeline info", "", `"_state_version"`, "pipeline", "salesforce", "info", "--dataset-name", "salesforce_data")

	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", cliWrong)
	run("run (oauth, wrong password)", "invalid_grant", "", append([]string{"run"}, args...)...)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__CLIENT_ID", "")
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__CLIENT_SECRET", "")
	run("run (soap, wrong password)", "INVALID_LOGIN", "", append([]string{"run"}, args...)...)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", cliPassword)

	// A Postgres password, to a server that is not there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	t.Setenv("DESTINATION__POSTGRES__CREDENTIALS", fmt.Sprintf("postgresql://loader:%s@%s/sf?sslmode=disable&connect_timeout=2", cliPGPassword, closed))
	run("run (postgres unreachable)", "127.0.0.1", "", append([]string{"run", "--destination", "postgres"}, args...)...)
	run("pipeline show (postgres unreachable)", "127.0.0.1", "", "pipeline", "salesforce", "show", "--destination", "postgres")
	run("pipeline info (postgres unreachable)", "127.0.0.1", "", "pipeline", "salesforce", "info", "--destination", "postgres")

	// The same secrets in a secrets.toml other users can read: a warning, no secret.
	for _, name := range []string{"USER_NAME", "PASSWORD", "SECURITY_TOKEN"} {
		t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__"+name, "")
	}
	if err := os.MkdirAll(filepath.Join(dir, ".dlt"), 0o700); err != nil {
		t.Fatal(err)
	}
	secretsPath := filepath.Join(dir, ".dlt", "secrets.toml")
	body := fmt.Sprintf("[sources.salesforce]\nuser_name = %q\npassword = %q\nsecurity_token = %q\n", c.UserName, cliPassword, cliToken)
	if err := os.WriteFile(secretsPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secretsPath, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	run("run (secrets.toml readable by others)", "", "is LOADED", append([]string{"run"}, args...)...)
	if last := outs[len(outs)-1]; !strings.Contains(last.stderr, "chmod 600 "+secretsPath) {
		t.Errorf("no warning naming chmod 600 %s on stderr:\n%s", secretsPath, last.stderr)
	}
	// A TOML syntax error on the password's line: the line is shown, its value not.
	if err := os.WriteFile(secretsPath, []byte(strings.Replace(body, `password = "`+cliPassword+`"`, `password = "`+cliPassword, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	run("run (broken secrets.toml)", "TOML syntax error", "", append([]string{"run"}, args...)...)
	if err := os.Remove(secretsPath); err != nil {
		t.Fatal(err)
	}

	run("demo", "", "is LOADED", "demo", "--pipelines-dir", filepath.Join(dir, "pipelines"))
	scanCLI(t, secrets, outs)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// cliIn is cli with stdin read from in (not a terminal).
func cliIn(t *testing.T, dir, in string, args ...string) (string, string, error) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(in))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestPipelineVerbs runs, against DuckDB and Postgres, what the pipeline command offers beside
// show and info: trace, failed-jobs, schema, drop, and run --refresh; a failed run's trace; and
// that no trace holds a secret.
func TestPipelineVerbs(t *testing.T) {
	for _, dest := range []string{"duckdb", "postgres"} {
		t.Run(dest, func(t *testing.T) { testPipelineVerbs(t, dest) })
	}
}

func testPipelineVerbs(t *testing.T, dest string) {
	dir := cleanEnv(t)
	srv := emulatorEnv(t, "")
	creds := srv.Credentials()
	dataset := "verbs_data"
	tables := func() []string {
		t.Helper()
		out, _, err := cliIn(t, dir, "", "pipeline", "salesforce", "show", "--destination", dest, "--dataset-name", dataset)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, name := range []string{"opportunity", "contact", "something__c"} {
			if strings.Contains(out, "  "+name+" ") {
				names = append(names, name)
			}
		}
		return names
	}
	if dest == "postgres" {
		dsn := destinationtest.PostgresDSN(t)
		dataset = destinationtest.DatasetName(t)
		t.Setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
		t.Cleanup(func() { postgres.New(dsn).DropDataset(context.Background(), dataset) })
	} else {
		t.Setenv("DESTINATION__DUCKDB__CREDENTIALS", filepath.Join(dir, "verbs.duckdb"))
	}
	run := func(args ...string) (string, string, error) {
		return cliIn(t, dir, "", append([]string{"run", "--destination", dest, "--dataset-name", dataset}, args...)...)
	}
	verb := func(in string, args ...string) (string, string, error) {
		return cliIn(t, dir, in, append(append([]string{"pipeline", "salesforce"}, args...), "--destination", dest, "--dataset-name", dataset)...)
	}
	tracePath := filepath.Join(dir, "home", ".dlt", "pipelines", "salesforce", "trace.json")

	if _, _, err := verb("", "trace"); err == nil || !strings.Contains(err.Error(), "has not run on this machine") {
		t.Errorf("trace before any run: %v, want an error saying the pipeline has not run", err)
	}
	if out, errOut, err := run("--resources", "opportunity,contact", "--objects", "Something__c"); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}

	// trace and failed-jobs of a run that loaded everything.
	out, _, err := verb("", "trace")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"loaded everything", "Steps:", "  sync ", "  login ", "  discover ", "  extract ", "  commit ", "1 load(s) committed", "opportunity", "something__c", "Salesforce API calls: "} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if out, _, err = verb("", "failed-jobs"); err != nil || out != "no failed jobs\n" {
		t.Errorf("failed-jobs after a good run: %v %q, want \"no failed jobs\"", err, out)
	}

	// schema, as YAML and as JSON.
	out, errOut, err := verb("", "schema")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "Found schema with name salesforce, version ") {
		t.Errorf("schema's stderr: %q", errOut)
	}
	for _, want := range []string{"\nname: salesforce\n", "\ntables:\n", "\n  opportunity:\n    name: opportunity\n    columns:\n", "    write_disposition: merge\n", "        data_type: timestamp\n"} {
		if !strings.Contains("\n"+out, want) {
			t.Errorf("schema YAML lacks %q:\n%.2000s", want, out)
		}
	}
	out, _, err = verb("", "schema", "--format", "json")
	var sch struct {
		Name   string                     `json:"name"`
		Tables map[string]json.RawMessage `json:"tables"`
	}
	if err != nil || json.Unmarshal([]byte(out), &sch) != nil || sch.Name != "salesforce" || sch.Tables["something__c"] == nil {
		t.Errorf("schema --format json: %v, not the schema:\n%.500s", err, out)
	}
	if _, _, err := verb("", "schema", "--format", "xml"); err == nil || !strings.Contains(err.Error(), "yaml or json") {
		t.Errorf("schema --format xml: %v, want an error naming yaml and json", err)
	}

	// drop: refused without a terminal unless --yes; unknown names listed; then done.
	if _, _, err := verb("y\n", "drop", "something__c"); err == nil || !strings.Contains(err.Error(), "add --yes") {
		t.Errorf("drop without --yes and no terminal: %v, want an error saying to add --yes", err)
	}
	if got := tables(); !slices.Equal(got, []string{"opportunity", "contact", "something__c"}) {
		t.Fatalf("tables after a refused drop: %v", got)
	}
	if _, _, err := verb("", "drop", "nothing", "--yes"); err == nil || !strings.Contains(err.Error(), "nothing") || !strings.Contains(err.Error(), "contact, opportunity, something__c") {
		t.Errorf("drop of an unknown resource: %v, want it named with the pipeline's resources", err)
	}
	if _, _, err := verb("", "drop"); err == nil || !strings.Contains(err.Error(), "name the resources") {
		t.Errorf("drop of nothing: %v", err)
	}
	out, _, err = verb("", "drop", "something__c", "--yes")
	if err != nil || !strings.Contains(out, "drop_resources: dropped tables something__c; wiped the state of something__c") {
		t.Fatalf("drop --yes: %v\n%s", err, out)
	}
	if got := tables(); !slices.Equal(got, []string{"opportunity", "contact"}) {
		t.Errorf("tables after drop: %v, want opportunity and contact", got)
	}
	local, err := os.ReadFile(filepath.Join(dir, "home", ".dlt", "pipelines", "salesforce", "state.json"))
	if err != nil || strings.Contains(string(local), "something__c") {
		t.Errorf("the local state still names something__c after the drop: %v", err)
	}

	// run --refresh drop_data empties contact and loads it again; the load info says so.
	if _, _, err := run("--resources", "contact", "--refresh", "drop_everything"); err == nil || !strings.Contains(err.Error(), "drop_resources") {
		t.Errorf("--refresh drop_everything: %v, want an error naming the modes", err)
	}
	out, _, err = run("--resources", "contact", "--refresh", "drop_data")
	if err != nil || !strings.Contains(out, "Refresh drop_data: deleted the rows of contact; wiped the state of contact") || !strings.Contains(out, "  contact 20\n") {
		t.Errorf("run --refresh drop_data: %v\n%s", err, out)
	}
	if out, _, _ = verb("", "trace"); !strings.Contains(out, "Refresh drop_data") {
		t.Errorf("the trace does not say what the refresh dropped:\n%s", out)
	}

	// A failed run leaves its trace too: failed-jobs says why, the trace which step failed.
	wrong := "wrong-pass-Zq81"
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", wrong)
	if _, _, err := run("--resources", "contact"); err == nil {
		t.Fatal("a run with a wrong password succeeded")
	}
	out, _, err = verb("", "failed-jobs")
	if err != nil || !strings.Contains(out, "The run failed: ") || !strings.Contains(out, "INVALID_LOGIN") {
		t.Errorf("failed-jobs after a failed login: %v\n%s", err, out)
	}
	out, _, _ = verb("", "trace")
	if !strings.Contains(out, "FAILED") || !strings.Contains(out, "  login ") {
		t.Errorf("the trace of a failed run:\n%s", out)
	}
	b, err := os.ReadFile(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{creds.Password, creds.SecurityToken, creds.ClientSecret, wrong} {
		if secret != "" && bytes.Contains(b, []byte(secret)) {
			t.Errorf("trace.json holds a secret (%d characters)", len(secret))
		}
	}
}

func TestFailedJobsListsFailuresAndSkips(t *testing.T) {
	dir := cleanEnv(t)
	emulatorEnvWith(t, "", salesforcetest.Options{Seed: 7, WholeOrg: true, Counts: map[string]int{"Opportunity": 30, "ContentDocumentLink": 10}})
	t.Setenv("DESTINATION__DUCKDB__CREDENTIALS", filepath.Join(dir, "skips.duckdb"))
	if out, errOut, err := cliIn(t, dir, "", "run", "--all-objects", "--objects-include", "ContentDocumentLink"); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
	out, _, err := cliIn(t, dir, "", "pipeline", "salesforce", "failed-jobs")
	if err != nil || !strings.Contains(out, "Skipped object ContentDocumentLink (table content_document_link): ") || !strings.Contains(out, "MALFORMED_QUERY") {
		t.Errorf("failed-jobs after a run that skipped ContentDocumentLink: %v\n%s", err, out)
	}
}

func TestConfirm(t *testing.T) {
	for in, want := range map[string]bool{"y\n": true, "YES\n": true, " yes ": true, "n\n": false, "\n": false, "": false, "yess\n": false} {
		var w bytes.Buffer
		if got := confirm(strings.NewReader(in), &w, "Drop?"); got != want {
			t.Errorf("confirm(%q) = %v, want %v", in, got, want)
		}
		if w.String() != "Drop? [y/N]: " {
			t.Errorf("the question printed: %q", w.String())
		}
	}
}

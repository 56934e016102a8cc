package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// emulatorEnv starts a small emulated org and points the configuration's environment at it,
// with password as the password given.
func emulatorEnv(t *testing.T, password string) *salesforcetest.Server {
	t.Helper()
	return emulatorEnvWith(t, password, salesforcetest.Options{Seed: 7, Counts: map[string]int{"Opportunity": 30, "Contact": 20, "Something__c": 15}})
}

// emulatorEnvWith is emulatorEnv with an org of the given options.
func emulatorEnvWith(t *testing.T, password string, opts salesforcetest.Options) *salesforcetest.Server {
	t.Helper()
	srv := salesforcetest.NewServer(opts)
	t.Cleanup(srv.Close)
	c := srv.Credentials()
	if password == "" {
		password = c.Password
	}
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__USER_NAME", c.UserName)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", password)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__SECURITY_TOKEN", c.SecurityToken)
	t.Setenv("SOURCES__SALESFORCE__LOGIN_URL", srv.URL())
	return srv
}

// tablesIn lists the data tables (not dlt's system tables) of dataset in the DuckDB file.
func tablesIn(t *testing.T, file, dataset string) []string {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the database: %v", err)
	}
	r, err := duckdb.New(file).Read(context.Background(), dataset, "tables_in")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stats, err := r.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range stats {
		if !strings.HasPrefix(st.Name, "_dlt_") && st.Rows > 0 {
			names = append(names, st.Name)
		}
	}
	slices.Sort(names)
	return names
}

// TestRunResourcesAndObjects checks that an object named with --objects is loaded whatever
// --resources says, that --resources may name its table too, and that a name that is neither a
// resource nor an object fails the run, naming it and the valid names.
func TestRunResourcesAndObjects(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    []string // the data tables loaded
		wantErr []string // substrings of the error, when the run must fail
	}{
		{name: "resource and object", args: []string{"--resources", "opportunity", "--objects", "Something__c"},
			want: []string{"opportunity", "something__c"}},
		{name: "the object's table named as a resource", args: []string{"--resources", "something__c", "--objects", "Something__c"},
			want: []string{"something__c"}},
		{name: "both, spaced", args: []string{"--resources", "contact, something__c", "--objects", " Something__c"},
			want: []string{"contact", "something__c"}},
		{name: "a standard object", args: []string{"--resources", "contact", "--objects", "Opportunity"},
			want: []string{"contact", "opportunity"}},
		{name: "objects alone load with all resources", args: []string{"--objects", "Something__c"},
			want: []string{"account", "campaign", "campaign_member", "contact", "event", "lead", "opportunity", "opportunity_contact_role",
				"opportunity_line_item", "pricebook_2", "pricebook_entry", "product_2", "sf_user", "something__c", "task", "user_role"}},
		{name: "unknown resource", args: []string{"--resources", "opportunity,invoices", "--objects", "Something__c"},
			wantErr: []string{`"invoices"`, "--resources", "opportunity, ", "something__c", "--objects"}},
		{name: "object name without --objects", args: []string{"--resources", "Something__c"},
			wantErr: []string{`"Something__c"`, "sf_user", "--objects"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := cleanEnv(t)
			emulatorEnv(t, "")
			file := filepath.Join(dir, "salesforce.duckdb")
			out, errOut, err := cli(t, dir, append([]string{"run", "--dataset-name", "salesforce_data"}, tc.args...)...)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("run succeeded:\n%s", out)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q: %v", w, err)
					}
				}
				if _, err := os.Stat(file); !os.IsNotExist(err) {
					t.Errorf("a failed run left %s: %v", file, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
			}
			if got := tablesIn(t, file, "salesforce_data"); !slices.Equal(got, tc.want) {
				t.Errorf("tables loaded: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFailedRunLeavesNoDatabase checks that a run failing before it loads anything leaves no
// DuckDB file (nor its write-ahead log) in the working directory.
func TestFailedRunLeavesNoDatabase(t *testing.T) {
	cases := []struct {
		name     string
		password string
		args     []string
		wantErr  string
	}{
		{name: "wrong password", password: "wrong-password", args: []string{"--resources", "contact"}, wantErr: "INVALID_LOGIN"},
		{name: "unknown object", args: []string{"--resources", "nothing__c", "--objects", "Nothing__c"}, wantErr: "Nothing__c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := cleanEnv(t)
			emulatorEnv(t, tc.password)
			out, _, err := cli(t, dir, append([]string{"run"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("run: %v, want an error saying %q\n%s", err, tc.wantErr, out)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".duckdb") {
					t.Errorf("the failed run left %s in the working directory", e.Name())
				}
			}
		})
	}
}

// TestRunAllObjects checks sfdlt run --all-objects: every readable object is loaded, the ones
// Salesforce refuses are listed as skipped and the exit status is 0, unless --strict; the
// patterns narrow it; --resources does not mix with it.
func TestRunAllObjects(t *testing.T) {
	dir := cleanEnv(t)
	emulatorEnvWith(t, "", salesforcetest.Options{Seed: 7, WholeOrg: true,
		Counts: map[string]int{"Opportunity": 30, "Meter_Reading__c": 40, "Customer_Profile__c": 5, "OpportunityFieldHistory": 20}})
	file := filepath.Join(dir, "salesforce.duckdb")

	out, errOut, err := cli(t, dir, "run", "--dataset-name", "org", "--all-objects", "--objects-exclude", "*Share,Group*")
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{"Skipped ContentDocumentLink", "MALFORMED_QUERY", "Skipped EventLogFile", "Skipped SetupAuditTrail"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	tables := tablesIn(t, file, "org")
	for _, want := range []string{"meter_reading__c", "opportunity_field_history", "record_type", "sf_user"} {
		if !slices.Contains(tables, want) {
			t.Errorf("no table %s: %v", want, tables)
		}
	}
	for _, left := range []string{"account_share", "group", "group_member", "legacy_invoice__x"} {
		if slices.Contains(tables, left) {
			t.Errorf("table %s loaded: --objects-exclude or the rules should leave it out", left)
		}
	}

	_, _, err = cli(t, dir, "run", "--dataset-name", "org", "--all-objects", "--strict")
	if err == nil || !strings.Contains(err.Error(), "--strict: 3 object(s) were skipped") {
		t.Errorf("--strict with skipped objects: %v, want an error", err)
	}
	_, _, err = cli(t, dir, "run", "--dataset-name", "org", "--all-objects", "--resources", "opportunity")
	if err == nil || !strings.Contains(err.Error(), "choose one") {
		t.Errorf("--resources with --all-objects: %v, want an error", err)
	}
	_, _, err = cli(t, dir, "run", "--dataset-name", "org", "--objects-include", "*__c")
	if err == nil || !strings.Contains(err.Error(), "AllObjects") {
		t.Errorf("--objects-include without --all-objects: %v, want an error", err)
	}
}

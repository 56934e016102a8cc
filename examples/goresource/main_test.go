package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// loadedRows returns the rows a printed LoadInfo says were loaded into table, or -1 when it
// does not list the table.
func loadedRows(t *testing.T, loadInfo, table string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(table) + ` +(\d+)$`).FindStringSubmatch(loadInfo)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRun runs the example against the emulator: the first run loads all tickets with their
// child tables next to the Salesforce accounts, the second only the changed and new tickets
// (the two boundary tickets the helpdesk sends again are dropped), and the merged ticket's
// comments are replaced, not duplicated.
func TestRun(t *testing.T) {
	t.Setenv("SFDLT_EXAMPLE_REAL_ORG", "") // the emulator, whatever the caller's environment
	var out bytes.Buffer
	if err := run(context.Background(), &out, t.TempDir()); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	got := out.String()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("whole output:\n%s", got)
		}
	})
	sections := strings.Split(got, "\n== ")
	if len(sections) != 5 {
		t.Fatalf("want a header and 4 sections, got %d", len(sections))
	}
	accounts := salesforcetest.DefaultCounts()["Account"] + 2 // the example inserts two
	for _, c := range []struct {
		section int
		api     string // what the resource says the helpdesk returned
		rows    map[string]int
	}{
		{1, "3 ticket(s) updated since 0001-01-01T00:00:00Z",
			map[string]int{"support_tickets": 3, "support_tickets__tags": 5, "support_tickets__comments": 4, "account": accounts}},
		{3, "4 ticket(s) updated since 2025-06-02T08:00:00Z",
			map[string]int{"support_tickets": 2, "support_tickets__tags": 3, "support_tickets__comments": 2, "account": 0}},
	} {
		if !strings.Contains(sections[c.section], "(helpdesk API: "+c.api+")") {
			t.Errorf("section %d: the resource did not ask for %q", c.section, c.api)
		}
		for table, want := range c.rows {
			if n := loadedRows(t, sections[c.section], table); n != want {
				t.Errorf("section %d: %s: %d rows loaded, want %d", c.section, table, n, want)
			}
		}
	}
	sql := sections[4]
	for _, want := range []string{
		"customer__contact__email",
		"\n  1          0    Jürgen Weiß   The VAT on invoice 1042 should be 19%.",
		"\n  1          1    Support       Corrected invoice sent.",
		"\n  1          billing, urgent",
		"\n  3          export, bug",
		"\n  4          Helpdesk Customer GmbH",
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("the SQL results lack %q", want)
		}
	}
	// Ticket 1 was merged: one row, with the new status.
	ticket1 := regexp.MustCompile(`(?m)^  1 +Invoice shows the wrong VAT +(\w+) `).FindAllStringSubmatch(sql, -1)
	if len(ticket1) != 1 || ticket1[0][1] != "pending" {
		t.Errorf("ticket 1 rows: %q, want one, pending", ticket1)
	}
	// Ticket 1 has exactly 2 comments: merging it replaced its child rows.
	if n := len(regexp.MustCompile(`(?m)^  1 +\d +\S`).FindAllString(sql[strings.Index(sql, "c._dlt_list_idx AS idx"):], -1)); n != 2 {
		t.Errorf("ticket 1 has %d comment rows, want 2", n)
	}
}

// TestCursorTime reads the cursor values a resource can get: the time.Time of the first run,
// and the strings the state keeps.
func TestCursorTime(t *testing.T) {
	want := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in any
		ok bool
	}{
		{want, true},
		{"2025-06-02T08:00:00.000+0000", true},
		{"2025-06-02T10:00:00+02:00", true},
		{"yesterday", false},
		{42, false},
	} {
		got, err := cursorTime(c.in)
		if (err == nil) != c.ok {
			t.Errorf("cursorTime(%v): error %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && !got.Equal(want) {
			t.Errorf("cursorTime(%v) = %v, want %v", c.in, got, want)
		}
	}
}

// TestRunRealOrgConfig runs the example as it runs against a real org (SFDLT_EXAMPLE_REAL_ORG=1,
// credentials from the configuration), with an emulator standing in for the org.
func TestRunRealOrgConfig(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 2})
	t.Cleanup(srv.Close)
	c := srv.Credentials()
	t.Chdir(t.TempDir())          // no .dlt/ in the working directory...
	t.Setenv("HOME", t.TempDir()) // ...nor in the home directory: only the variables count
	for name, value := range map[string]string{
		"SFDLT_EXAMPLE_REAL_ORG":              "1",
		"SOURCES__SALESFORCE__LOGIN_URL":      srv.URL(),
		"SOURCES__SALESFORCE__USER_NAME":      c.UserName,
		"SOURCES__SALESFORCE__PASSWORD":       c.Password,
		"SOURCES__SALESFORCE__SECURITY_TOKEN": c.SecurityToken,
	} {
		t.Setenv(name, value)
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out, t.TempDir()); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	got := out.String()
	if !strings.Contains(got, "Loading the Salesforce org configured for sfdlt") {
		t.Errorf("the example did not use the configured org:\n%s", got)
	}
	if strings.Contains(got, "Started an emulated Salesforce org") {
		t.Errorf("the example started its own emulator despite SFDLT_EXAMPLE_REAL_ORG=1:\n%s", got)
	}
	if n := loadedRows(t, got, "account"); n != salesforcetest.DefaultCounts()["Account"] {
		t.Errorf("first run loaded %d accounts, want all %d of the org\n%s", n, salesforcetest.DefaultCounts()["Account"], got)
	}
}

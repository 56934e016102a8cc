package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

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

// TestRun runs the walk-through against the emulator and checks that each of the three runs
// loaded what the Python walk-through loads, and that the SQL over the result printed rows.
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
		t.Fatalf("want a header and 4 sections (3 runs, SQL), got %d", len(sections))
	}
	org := salesforcetest.DefaultCounts()
	for _, c := range []struct {
		section int
		rows    map[string]int // table -> rows loaded; -1: not loaded at all
	}{
		{1, map[string]int{"opportunity": org["Opportunity"], "contact": org["Contact"], "task": org["Task"],
			"sf_user": org["User"], "pricebook_entry": org["PricebookEntry"], "account": org["Account"]}},
		// 3 opportunities were closed between runs 1 and 2: only they are merged.
		{2, map[string]int{"opportunity": 3, "contact": org["Contact"], "task": -1, "account": -1}},
		// No task changed: its incremental run loads nothing.
		{3, map[string]int{"contact": org["Contact"], "task": 0, "opportunity": -1}},
	} {
		if !strings.Contains(sections[c.section], "is LOADED and contains no failed jobs") {
			t.Errorf("run %d did not load", c.section)
		}
		for table, want := range c.rows {
			if n := loadedRows(t, sections[c.section], table); n != want {
				t.Errorf("run %d: %s: %d rows loaded, want %d", c.section, table, n, want)
			}
		}
	}
	for _, want := range []string{"salesforce_data._dlt_loads", "stage_name", "Closed Won", "account"} {
		if !strings.Contains(sections[4], want) {
			t.Errorf("the SQL section lacks %q", want)
		}
	}
	// One _dlt_loads row per run, each with status 0 (completed).
	if n := len(regexp.MustCompile(`(?m)^  \d+\.\d{6} +0$`).FindAllString(sections[4], -1)); n != 3 {
		t.Errorf("_dlt_loads lists %d completed loads, want 3", n)
	}
}

// TestSetupIsSharedVerbatim keeps the copies of setup.go in the examples equal, so that a fix
// in one reaches all (each example stays a self-contained program to copy).
func TestSetupIsSharedVerbatim(t *testing.T) {
	want, err := os.ReadFile("setup.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range []string{"customobject", "goresource", "history"} {
		got, err := os.ReadFile(filepath.Join("..", ex, "setup.go"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("examples/%s/setup.go differs from examples/walkthrough/setup.go: copy the one you changed over the others", ex)
		}
	}
}

// TestWorkDir checks the command line: a directory (created when missing), none (a new
// temporary one) or too many.
func TestWorkDir(t *testing.T) {
	base := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"new directory", []string{filepath.Join(base, "a", "b")}, true},
		{"existing directory", []string{base}, true},
		{"temporary", nil, true},
		{"a file in the way", []string{filepath.Join("setup.go", "x")}, false},
		{"too many", []string{base, base}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, err := workDir(c.args)
			if (err == nil) != c.ok {
				t.Fatalf("workDir(%q) = %q, %v; want ok=%v", c.args, dir, err, c.ok)
			}
			if !c.ok {
				return
			}
			if len(c.args) == 0 {
				t.Cleanup(func() { os.RemoveAll(dir) })
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				t.Errorf("workDir(%q) = %q, which is not a directory (%v)", c.args, dir, err)
			}
		})
	}
}

// TestRealOrgSetting reads SFDLT_EXAMPLE_REAL_ORG.
func TestRealOrgSetting(t *testing.T) {
	for _, c := range []struct {
		value    string
		real, ok bool
	}{
		{"", false, true}, {"1", true, true}, {"true", true, true}, {"0", false, true}, {"maybe", false, false},
	} {
		t.Setenv("SFDLT_EXAMPLE_REAL_ORG", c.value)
		real, err := realOrg()
		if real != c.real || (err == nil) != c.ok {
			t.Errorf("SFDLT_EXAMPLE_REAL_ORG=%q: realOrg() = %v, %v; want %v, ok=%v", c.value, real, err, c.real, c.ok)
		}
	}
}

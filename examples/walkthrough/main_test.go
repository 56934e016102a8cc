package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
	for _, c := range []struct {
		section int
		rows    map[string]int // table -> rows loaded; -1: not loaded at all
	}{
		{1, map[string]int{"opportunity": 800, "contact": 600, "task": 2500, "sf_user": 20, "pricebook_entry": 100, "account": 300}},
		// 3 opportunities were closed between runs 1 and 2: only they are merged.
		{2, map[string]int{"opportunity": 3, "contact": 600, "task": -1, "account": -1}},
		// No task changed: its incremental run loads nothing.
		{3, map[string]int{"contact": 600, "task": 0, "opportunity": -1}},
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

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRun runs the walk-through against the emulator and checks that each of the three runs
// loaded what the Python walk-through loads, and that the SQL over the result printed rows.
func TestRun(t *testing.T) {
	t.Setenv("SFDLT_EXAMPLE_REAL_ORG", "") // the emulator, whatever the caller's environment
	var out bytes.Buffer
	if err := run(context.Background(), &out, t.TempDir()); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	got := out.String()
	steps := strings.Split(got, "\n== ")
	if len(steps) != 5 {
		t.Fatalf("want a header and 4 sections (3 runs, SQL), got %d:\n%s", len(steps), got)
	}
	for _, c := range []struct {
		step    int
		want    []string
		notWant []string
	}{
		{1, []string{"LOADED", "opportunity ", "contact ", "task ", "sf_user ", "pricebook_entry "}, nil},
		// 3 opportunities were closed between the runs: only they are merged.
		{2, []string{"LOADED", "opportunity 3\n", "contact "}, []string{"task "}},
		{3, []string{"LOADED", "contact ", "task "}, []string{"opportunity "}},
		{4, []string{"_dlt_loads", "stage_name", "Closed Won", "account"}, nil},
	} {
		for _, w := range c.want {
			if !strings.Contains(steps[c.step], w) {
				t.Errorf("section %d lacks %q:\n%s", c.step, w, steps[c.step])
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(steps[c.step], w) {
				t.Errorf("section %d has %q, which it should not load:\n%s", c.step, w, steps[c.step])
			}
		}
	}
	if t.Failed() {
		t.Logf("whole output:\n%s", got)
	}
}

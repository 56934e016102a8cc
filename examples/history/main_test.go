package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestRun runs the example against the emulator: three runs, then the history: a version per
// record and change, one active version per live record, the changed deal's three stages in
// order, the deleted and restored deal retired and active again.
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
	for _, want := range []string{"  opportunity 800\n", "== 2. Second run", "== 3. Third run"} {
		if !strings.Contains(got, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if n := strings.Count(got, "  opportunity 2\n"); n != 2 {
		t.Errorf("%d later runs loaded 2 opportunity rows, want 2 runs", n)
	}
	history := got[strings.Index(got, "== The history"):]
	if !regexp.MustCompile(`(?m)^  803 +800 +800$`).MatchString(history) {
		t.Error("want 803 versions of 800 records, 800 active")
	}
	stages := regexp.MustCompile(`(?m)^  (Prospecting|Negotiation/Review|Closed Won) +(\S+) +(.+)$`).FindAllStringSubmatch(history, 3)
	if len(stages) != 3 || stages[0][1] != "Prospecting" || stages[1][1] != "Negotiation/Review" || stages[2][1] != "Closed Won" {
		t.Fatalf("the deal's versions: %q", stages)
	}
	// Each version is valid until the next begins; the last is active.
	if stages[0][3] != stages[1][2] || stages[1][3] != stages[2][2] || stages[2][3] != "NULL (active)" {
		t.Errorf("the deal's validity does not chain: %q", stages)
	}
	restored := regexp.MustCompile(`(?m)^  false +(\S+) +(.+)$`).FindAllStringSubmatch(history, -1)
	if len(restored) != 2 || restored[0][2] == "NULL (active)" || restored[1][2] != "NULL (active)" || restored[0][2] == restored[1][1] {
		t.Errorf("the deleted and restored deal: %q; want a retired version and, after a gap, an active one", restored)
	}
}

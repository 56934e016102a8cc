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

// TestRun runs the example against the emulator: the first run loads every readable object and
// lists the refusing ones, the second only what changed and the new custom object.
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
	first, second, dataset := sections[1], sections[3], sections[4]
	for table, want := range map[string]int{"opportunity": 800, "opportunity_field_history": 1500, "meter_reading__c": 2000, "group": 12} {
		if n := loadedRows(t, first, table); n != want {
			t.Errorf("first run: %s %d rows, want %d", table, n, want)
		}
	}
	for _, object := range []string{"ContentDocumentLink", "EventLogFile"} {
		if !strings.Contains(first, "Skipped "+object) {
			t.Errorf("the first run does not list %s as skipped", object)
		}
	}
	if strings.Contains(first, "SetupAuditTrail") {
		t.Error("ObjectsExclude(\"SetupAuditTrail\") did not leave it out")
	}
	for table, want := range map[string]int{"opportunity": 3, "opportunity_field_history": 3, "invoice__c": 3, "meter_reading__c": 0} {
		if n := loadedRows(t, second, table); n != want {
			t.Errorf("second run: %s %d rows, want %d", table, n, want)
		}
	}
	for _, want := range []string{"opportunity_field_history                         1503 rows  append, incremental on CreatedDate",
		"account_share                                      600 rows  merge, incremental on LastModifiedDate", "lead                                               400 rows  replace"} {
		if !strings.Contains(dataset, want) {
			t.Errorf("the dataset section lacks %q", want)
		}
	}
}

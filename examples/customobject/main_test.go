package main

import (
	"bytes"
	"context"
	"fmt"
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

// TestRun runs the example against the emulator: the replace pipeline reloads all of
// Something__c, the merge pipeline only the 4 changed records, and the columns include the
// location components and the formula fields but not the compound field itself.
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
	n := salesforcetest.DefaultCounts()["Something__c"]
	for _, c := range []struct {
		section                int
		replaceRows, mergeRows int
	}{
		{1, n, n},
		// 2 updated, 1 deleted (read by queryAll), 1 inserted; the formula change moves no
		// SystemModstamp, so it brings nothing.
		{3, n, 4},
	} {
		runs := strings.Split(sections[c.section], "Pipeline something_merge")
		if len(runs) != 2 || !strings.Contains(runs[0], "Pipeline something_replace") {
			t.Fatalf("section %d does not show the replace run, then the merge run", c.section)
		}
		if n := loadedRows(t, runs[0], "something__c"); n != c.replaceRows {
			t.Errorf("section %d: replace loaded %d rows, want %d", c.section, n, c.replaceRows)
		}
		if n := loadedRows(t, runs[1], "something__c"); n != c.mergeRows {
			t.Errorf("section %d: merge loaded %d rows, want %d", c.section, n, c.mergeRows)
		}
	}
	sql := sections[4]
	// The first result lists column_name and data_type, one per line.
	columns := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z_0-9]+) {2,}([A-Z].*)$`).FindAllStringSubmatch(sql, -1) {
		columns[m[1]] = m[2]
	}
	for col, typ := range map[string]string{
		"location__latitude__s": "DOUBLE", "location__longitude__s": "DOUBLE", // components of Location__c
		"amount_with_tax__c": "DECIMAL(38,9)", "summary__c": "VARCHAR", "is_big__c": "BOOLEAN", // formulas
		"currency__c": "DECIMAL(38,9)", "system_modstamp": "TIMESTAMP WITH TIME ZONE", "time__c": "TIME",
		"_dlt_load_id": "VARCHAR", "_dlt_id": "VARCHAR",
	} {
		if columns[col] != typ {
			t.Errorf("column %s: type %q, want %q", col, columns[col], typ)
		}
	}
	if _, ok := columns["location__c"]; ok {
		t.Errorf("the compound field Location__c became a column; only its components should")
	}
	for _, want := range []string{
		fmt.Sprintf(`(?m)^  something_replace +%d +0$`, n),                                     // one deleted, one inserted: the deleted record is gone
		fmt.Sprintf(`(?m)^  something_merge +%d +1$`, n+1),                                     // the deleted record is kept, flagged
		`(?m)^  Inserted by the example +48.8583701 +2.2944813 +1234567.89 +1481481.47 +true$`, // location, formulas
		`(?m)^  a01\w+ +v2: `, // the replaced table has the new formula values, the merged one the old
	} {
		if !regexp.MustCompile(want).MatchString(sql) {
			t.Errorf("the SQL results do not match %s", want)
		}
	}
}

package sfdlt_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// TestContactMergedByConfigHints makes contact, a replace resource of dlt's source, a merge
// resource through the configuration alone ([sources.salesforce.resources.contact]), after a run
// that replaced it: the first merge run reads it whole with queryAll into the same table, the next
// reads only what changed (SystemModstamp) and merges it on Id, deletions flagged. The table holds
// exactly the org's records each time, on both destinations.
func TestContactMergedByConfigHints(t *testing.T) {
	forEachDestination(t, map[string]int{"Contact": 700}, testContactMergedByConfigHints)
}

func testContactMergedByConfigHints(t *testing.T, e *env) {
	e.popts = nil // asserts the rows each run writes
	creds := e.srv.Credentials()
	environ := []string{"SOURCES__SALESFORCE__USER_NAME=" + creds.UserName, "SOURCES__SALESFORCE__PASSWORD=" + creds.Password,
		"SOURCES__SALESFORCE__SECURITY_TOKEN=" + creds.SecurityToken, "SOURCES__SALESFORCE__LOGIN_URL=" + e.srv.URL()}
	// not_null and a column's own hints on one column (Name) both hold.
	const columns = `not_null = ["Name"]

[sources.salesforce.resources.contact.columns]
LastName = { nullable = false }
IsEmailBounced = { data_type = "text" }
Name = { data_type = "text" }
`
	source := func() *sfdlt.Source {
		t.Helper()
		src, err := loadTestConfig(t, e.dir, environ).Source()
		if err != nil {
			t.Fatal(err)
		}
		return src.WithResources("contact")
	}

	// 1. As dlt's source has it: replaced, read in full.
	writeDlt(t, e.dir, "config.toml", "[sources.salesforce.resources.contact]\n"+columns)
	e.srv.ResetCalls()
	info := e.run(source())
	if qs := contactReads(e.srv); len(qs) != 1 || strings.Contains(qs[0], "WHERE") {
		t.Fatalf("replace run's SOQL %q, want one full query", qs)
	}
	if got := info.RowCount("contact"); got != 700 {
		t.Fatalf("replace run wrote %d contact rows, want 700", got)
	}
	e.checkTable("contact", "Contact", false)

	// 2. Made merge by the configuration: the whole object once, through queryAll, merged into the
	// table the replace runs wrote.
	writeDlt(t, e.dir, "config.toml", `[sources.salesforce.resources.contact]
write_disposition = { disposition = "merge", strategy = "delete-insert" }
`+columns)
	ids := contactIDs(t, e)
	if err := e.srv.Delete("Contact", ids[0]); err != nil { // deleted before the first merge run
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	info = e.run(source())
	if qs, all := contactReads(e.srv), queryAllCalls(e.srv, "Contact"); len(qs) != 1 || strings.Contains(qs[0], "WHERE") || all != 1 {
		t.Fatalf("first merge run's SOQL %q (%d through queryAll), want one full query through queryAll", qs, all)
	}
	if got := info.RowCount("contact"); got != 700 {
		t.Errorf("first merge run wrote %d contact rows, want 700 (699 live, 1 deleted)", got)
	}
	e.checkTable("contact", "Contact", true)
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if inc, ok := st.Sources["salesforce"].Resources["contact"].Incremental["SystemModstamp"]; !ok || inc.LastValue == nil {
		t.Fatalf("no SystemModstamp cursor kept for contact: %+v", st.Sources["salesforce"].Resources["contact"])
	}

	// 3. Changes, an insert and a delete: only they are read, and merged on Id.
	if err := e.srv.Update("Contact", ids[1:4], map[string]any{"LastName": "Merged-by-hints", "Department": "Changed ✓"}); err != nil {
		t.Fatal(err)
	}
	newID, err := e.srv.Insert("Contact", map[string]any{"LastName": "Inserted", "FirstName": "Nova"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Delete("Contact", ids[5]); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	info = e.run(source())
	if qs := contactReads(e.srv); len(qs) != 1 || !strings.Contains(qs[0], "WHERE SystemModstamp >= ") {
		t.Fatalf("incremental run's SOQL %q, want one query filtered on SystemModstamp >=", qs)
	}
	if got := info.RowCount("contact"); got != 5 {
		t.Errorf("incremental run wrote %d contact rows, want 5 (3 updated, 1 inserted, 1 deleted)", got)
	}
	e.checkTable("contact", "Contact", true)
	for _, c := range []struct {
		query string
		args  []any
		want  int64
	}{
		{`SELECT count(*) FROM {ds}.contact`, nil, 701},
		{`SELECT count(*) FROM {ds}.contact WHERE is_deleted`, nil, 2},
		{`SELECT count(*) FROM {ds}.contact WHERE is_deleted AND id IN ($1, $2)`, []any{ids[0], ids[5]}, 2},
		{`SELECT count(*) FROM {ds}.contact WHERE last_name = 'Merged-by-hints' AND department = 'Changed ✓'`, nil, 3},
		{`SELECT count(*) FROM {ds}.contact WHERE id = $1 AND first_name = 'Nova' AND NOT is_deleted`, []any{newID}, 1},
		{`SELECT count(*) FROM {ds}._dlt_loads`, nil, 3},
	} {
		if got := e.scalar(c.query, c.args...); got != c.want {
			t.Errorf("%s %v = %d, want %d", c.query, c.args, got, c.want)
		}
	}
	// The column hints reached the table: LastName and Name NOT NULL, IsEmailBounced text.
	for col, want := range map[string]string{"last_name": "NO", "name": "NO", "is_email_bounced": "YES", "first_name": "YES"} {
		if got := e.columnInfo("contact", col, "is_nullable"); got != want {
			t.Errorf("contact.%s is_nullable %q, want %q", col, got, want)
		}
	}
	if got := strings.ToLower(e.columnInfo("contact", "is_email_bounced", "data_type")); got != "varchar" && got != "character varying" {
		t.Errorf("contact.is_email_bounced is %s, want text (the data_type hint)", got)
	}

	// 4. Nothing changed: nothing is written.
	if info := e.run(source()); info.RowCount("contact") != 0 {
		t.Errorf("unchanged run wrote %d contact rows", info.RowCount("contact"))
	}
}

// contactIDs lists the ids of the contact table, in order.
func contactIDs(t *testing.T, e *env) []string {
	t.Helper()
	return e.ids("contact", 0)
}

// contactReads lists the queries that read Contact records (first pages; not the COUNT() that
// sizes a read).
func contactReads(srv *salesforcetest.Server) []string {
	var out []string
	for _, q := range queriesOf(srv, "Contact") {
		if !strings.HasPrefix(q, "SELECT COUNT()") {
			out = append(out, q)
		}
	}
	return out
}

// queryAllCalls counts the queryAll calls of object's records the emulator answered (first pages).
func queryAllCalls(srv *salesforcetest.Server, object string) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.Page == 0 && c.Status == 200 && strings.Contains(c.Path, "/queryAll") &&
			strings.Contains(c.SOQL, " FROM "+object) && !strings.HasPrefix(c.SOQL, "SELECT COUNT()") {
			n++
		}
	}
	return n
}

// columnInfo reads a column's property (is_nullable, data_type) from information_schema.
func (e *env) columnInfo(table, column, property string) string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	var v string
	q := fmt.Sprintf(`SELECT %s FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = $1 AND column_name = $2`, property)
	if err := db.QueryRow(e.sql(q), table, column).Scan(&v); err != nil {
		e.t.Fatalf("%s.%s: %v", table, column, err)
	}
	return v
}

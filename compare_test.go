package sfdlt_test

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// dump reads a table as id -> one canonical line of all its data columns (not _dlt_*), so
// tables loaded by different paths or into different destinations can be compared.
func (e *env) dump(table string) map[string]string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	rows, err := db.Query(e.sql(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = $1 ORDER BY column_name`), table)
	if err != nil {
		e.t.Fatal(err)
	}
	var cols, types []string
	for rows.Next() {
		var c, typ string
		rows.Scan(&c, &typ)
		if !strings.HasPrefix(c, "_dlt_") {
			cols = append(cols, `"`+c+`"`)
			types = append(types, strings.ToLower(typ))
		}
	}
	rows.Close()
	if len(cols) == 0 {
		e.t.Fatalf("table %s has no columns in %s", table, e.ds)
	}
	data, err := db.Query(e.sql(fmt.Sprintf(`SELECT %s FROM {ds}.%s`, strings.Join(cols, ", "), table)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer data.Close()
	out := map[string]string{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	idCol := slices.Index(cols, `"id"`)
	for data.Next() {
		if err := data.Scan(ptrs...); err != nil {
			e.t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = cols[i] + "=" + canonDB(v, types[i])
		}
		out[canonDB(vals[idCol], "varchar")] = strings.Join(parts, "|")
	}
	return out
}

// canonDB writes a value read from DuckDB or Postgres in one form per column type.
func canonDB(v any, typ string) string {
	if v == nil {
		return "<null>"
	}
	if b, ok := v.([]byte); ok && typ != "blob" && typ != "bytea" {
		v = string(b)
	}
	switch {
	case strings.HasPrefix(typ, "decimal"), typ == "numeric":
		switch x := v.(type) {
		case duckdbdriver.Decimal:
			return new(big.Rat).SetFrac(x.Value, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Scale)), nil)).RatString()
		case string:
			r, ok := new(big.Rat).SetString(x)
			if ok {
				return r.RatString()
			}
		}
	case strings.HasPrefix(typ, "time") && !strings.HasPrefix(typ, "timestamp"):
		switch x := v.(type) {
		case time.Time:
			return x.Format("15:04:05.000000")
		case string:
			if tm, err := time.Parse("15:04:05.999999", x); err == nil {
				return tm.Format("15:04:05.000000")
			}
		}
	case typ == "date":
		if x, ok := v.(time.Time); ok {
			return x.Format("2006-01-02")
		}
	}
	if x, ok := v.(time.Time); ok {
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

func compareDumps(t *testing.T, what, table string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: table %s has %d rows one way, %d the other", what, table, len(a), len(b))
	}
	for id, row := range a {
		if b[id] != row {
			t.Fatalf("%s: table %s, id %s differs:\n%s\n%s", what, table, id, row, b[id])
		}
	}
}

// The same org loaded through REST and through Bulk API 2.0 gives identical rows.
func TestBulkAndRESTGiveIdenticalRows(t *testing.T) {
	counts := salesforcetest.DefaultCounts()
	counts["Opportunity"] = 3000
	rest := newEnv(t, counts)
	bulk := newEnv(t, counts)
	bulk.srv.Delete("Opportunity", opportunityIDsFromOrg(t, bulk.srv, 2)...) // deleted rows too (queryAll)
	rest.srv.Delete("Opportunity", opportunityIDsFromOrg(t, rest.srv, 2)...)
	tables := []string{"opportunity", "contact", "account", "task", "something__c"}
	rest.run(rest.source(sfdlt.BulkThreshold(0)).AddObject("Something__c").WithResources(tables...))
	bulk.srv.ResetCalls()
	bulk.run(bulk.source(sfdlt.BulkThreshold(1), sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond})).
		AddObject("Something__c").WithResources(tables...))
	jobs := 0
	for _, c := range bulk.srv.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/jobs/query") {
			jobs++
		}
	}
	if jobs != len(tables) {
		t.Fatalf("%d Bulk jobs, want one per resource (%d)", jobs, len(tables))
	}
	for _, table := range tables {
		compareDumps(t, "REST vs Bulk", table, rest.dump(table), bulk.dump(table))
	}
}

// A failed Bulk job falls back to REST with nothing lost or doubled.
func TestBulkFailureFallsBackToREST(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.SetFaults(salesforcetest.Faults{BulkJobFailRate: 1})
	info := e.run(e.source(sfdlt.BulkThreshold(1), sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond})).WithResources("opportunity"))
	e.checkTable("opportunity", "Opportunity", true)
	if len(info.Notes) == 0 || !strings.Contains(info.Notes[0], "REST") {
		t.Fatalf("the load info should say Bulk failed and REST was used: %v", info.Notes)
	}
}

// The same org loaded into DuckDB and into Postgres gives the same rows.
func TestDuckDBAndPostgresGiveSameRows(t *testing.T) {
	duck := newEnvFor(t, "duckdb", nil)
	pg := newEnvFor(t, "postgres", nil)
	duck.run(duck.source().AddObject("Something__c"))
	pg.run(pg.source().AddObject("Something__c"))
	for _, s := range append(standard, struct {
		table, object string
		merge         bool
	}{"something__c", "Something__c", false}) {
		compareDumps(t, "DuckDB vs Postgres", s.table, duck.dump(s.table), pg.dump(s.table))
	}
}

func opportunityIDsFromOrg(t *testing.T, srv *salesforcetest.Server, n int) []string {
	t.Helper()
	c := srv.Credentials()
	cl, err := client.New(t.Context(), client.Config{LoginURL: srv.URL(), Credentials: client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for p, err := range cl.Query(t.Context(), fmt.Sprintf("SELECT Id FROM Opportunity ORDER BY Id LIMIT %d", n)) {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			ids = append(ids, strings.Split(strings.Split(string(r), `"Id":"`)[1], `"`)[0])
		}
	}
	return ids
}

package sfdlt_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/salesforcetest"
	"github.com/sfdlt/sfdlt/schema"
)

// standard lists the 15 resources: table, object, merge.
var standard = []struct {
	table, object string
	merge         bool
}{
	{"sf_user", "User", false}, {"user_role", "UserRole", false}, {"lead", "Lead", false},
	{"contact", "Contact", false}, {"campaign", "Campaign", false}, {"product_2", "Product2", false},
	{"pricebook_2", "Pricebook2", false}, {"pricebook_entry", "PricebookEntry", false},
	{"opportunity", "Opportunity", true}, {"opportunity_line_item", "OpportunityLineItem", true},
	{"opportunity_contact_role", "OpportunityContactRole", true}, {"account", "Account", true},
	{"campaign_member", "CampaignMember", true}, {"task", "Task", true}, {"event", "Event", true},
}

// env is one emulated org and one pipeline loading it into a dataset of DuckDB (a file in a
// temporary directory) or Postgres (a schema of its own, dropped after the test).
type env struct {
	t    *testing.T
	srv  *salesforcetest.Server
	dir  string
	file string
	kind string // "duckdb" or "postgres"
	ds   string // the dataset
	dsn  string // postgres only
	// popts are options every pipeline of the env gets (SFDLT_TEST_COMMIT_EVERY sets CommitEvery).
	popts []sfdlt.PipelineOption
}

// testCommitEvery is the CommitEvery the tests' pipelines use: SFDLT_TEST_COMMIT_EVERY=N runs
// the whole suite with runs committed every N rows (the default leaves the pipeline's default).
func testCommitEvery(t testing.TB) []sfdlt.PipelineOption {
	v := os.Getenv("SFDLT_TEST_COMMIT_EVERY")
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("SFDLT_TEST_COMMIT_EVERY=%q: want a number of rows", v)
	}
	return []sfdlt.PipelineOption{sfdlt.CommitEvery(n)}
}

func newEnv(t *testing.T, counts map[string]int) *env {
	return newEnvFor(t, "duckdb", counts)
}

func newEnvFor(t *testing.T, kind string, counts map[string]int) *env {
	t.Helper()
	return newEnvWith(t, kind, salesforcetest.Options{Seed: 42, Counts: counts})
}

// newEnvWith is newEnvFor with an emulated org of the given options.
func newEnvWith(t *testing.T, kind string, opts salesforcetest.Options) *env {
	t.Helper()
	srv := salesforcetest.NewServer(opts)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	e := &env{t: t, srv: srv, dir: dir, file: filepath.Join(dir, "sf.duckdb"), kind: kind, ds: "salesforce_data", popts: testCommitEvery(t)}
	if kind == "postgres" {
		e.dsn = destinationtest.PostgresDSN(t)
		e.ds = destinationtest.DatasetName(t)
		t.Cleanup(func() {
			if err := postgres.New(e.dsn).DropDataset(context.Background(), e.ds); err != nil {
				t.Errorf("dropping %s: %v", e.ds, err)
			}
		})
	}
	return e
}

// forEachDestination runs a test against DuckDB and against Postgres.
func forEachDestination(t *testing.T, counts map[string]int, f func(t *testing.T, e *env)) {
	for _, kind := range []string{"duckdb", "postgres"} {
		t.Run(kind, func(t *testing.T) { f(t, newEnvFor(t, kind, counts)) })
	}
}

func (e *env) destination() destination.Destination {
	if e.kind == "postgres" {
		return postgres.New(e.dsn)
	}
	return duckdb.New(e.file)
}

func (e *env) source(opts ...sfdlt.SourceOption) *sfdlt.Source {
	e.t.Helper()
	c := e.srv.Credentials()
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken},
		append([]sfdlt.SourceOption{sfdlt.LoginURL(e.srv.URL())}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return src
}

func (e *env) pipeline(opts ...sfdlt.PipelineOption) *sfdlt.Pipeline {
	e.t.Helper()
	p, err := sfdlt.NewPipeline("salesforce", e.destination(), append([]sfdlt.PipelineOption{sfdlt.Dataset(e.ds), sfdlt.PipelinesDir(filepath.Join(e.dir, "pipelines"))}, append(slices.Clone(e.popts), opts...)...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) run(src *sfdlt.Source) *sfdlt.LoadInfo {
	e.t.Helper()
	info, err := e.pipeline().Run(context.Background(), src)
	if err != nil {
		e.t.Fatalf("run failed: %v\n%v", err, info)
	}
	return info
}

// db opens the dataset's database for reading (the pipeline has closed a DuckDB file).
func (e *env) db() *sql.DB {
	e.t.Helper()
	var db *sql.DB
	var err error
	if e.kind == "postgres" {
		db, err = sql.Open("postgres", e.dsn)
	} else {
		db, err = sql.Open("duckdb", e.file+"?access_mode=READ_ONLY")
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

// sql puts the dataset into a query written with {ds}.
func (e *env) sql(query string) string { return strings.ReplaceAll(query, "{ds}", e.ds) }

func (e *env) scalar(query string, args ...any) int64 {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	var n int64
	if err := db.QueryRow(e.sql(query), args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *env) tables() []string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	rows, err := db.Query(e.sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '{ds}' ORDER BY 1`))
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

// checkTable compares a table with the emulator: same ids as the org holds (deleted ones too
// for merge tables) and every selected field's value equal.
func (e *env) checkTable(table, object string, withDeleted bool) {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	want := e.srv.Count(object, withDeleted)
	var n, distinct int
	if err := db.QueryRow(e.sql(fmt.Sprintf(`SELECT count(*), count(DISTINCT id) FROM {ds}."%s"`, table))).Scan(&n, &distinct); err != nil {
		e.t.Fatalf("%s: %v", table, err)
	}
	if n != want || distinct != want {
		e.t.Fatalf("table %s: %d rows, %d distinct ids; the org holds %d", table, n, distinct, want)
	}
	var obj *salesforcetest.Object
	for _, o := range e.srv.Objects() {
		if o.Name == object {
			obj = o
		}
	}
	var fields []*salesforcetest.Field
	var cols []string
	for _, f := range obj.Fields {
		if f.Type == "address" || f.Type == "location" || f.Type == "base64" {
			continue
		}
		fields = append(fields, f)
		cols = append(cols, `"`+schema.NormalizeIdentifier(f.Name)+`"`)
	}
	rows, err := db.Query(e.sql(fmt.Sprintf(`SELECT %s FROM {ds}."%s"`, strings.Join(cols, ", "), table)))
	if err != nil {
		e.t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	checked := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			e.t.Fatal(err)
		}
		id := fmt.Sprint(canon(vals[0], "id"))
		rec, ok := e.srv.Get(object, id)
		if !ok {
			e.t.Fatalf("%s: id %s is not in the org", table, id)
		}
		for i, f := range fields {
			if got, want := canon(vals[i], f.Type), canon(rec.Get(f.Name), f.Type); got != want {
				e.t.Fatalf("%s %s, field %s (%s): loaded %q, the org has %q", table, id, f.Name, f.Type, got, want)
			}
		}
		checked++
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	if checked != want {
		e.t.Fatalf("%s: compared %d rows, want %d", table, checked, want)
	}
}

// canon writes a value from the org or from DuckDB in one form per Salesforce type.
func canon(v any, typ string) string {
	if v == nil || v == "" { // sfdlt loads Salesforce's rare empty strings as null (as Bulk does)
		return "<null>"
	}
	switch x := v.(type) {
	case time.Time:
		switch typ {
		case "date":
			return x.UTC().Format("2006-01-02")
		case "time":
			return x.Format("15:04:05.000")
		}
		return x.UTC().Format(time.RFC3339Nano)
	case time.Duration:
		return time.Time{}.Add(x).Format("15:04:05.000")
	case duckdbdriver.Decimal:
		r := new(big.Rat).SetFrac(x.Value, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Scale)), nil))
		return r.RatString()
	case int64:
		if typ == "double" || typ == "percent" {
			return fmt.Sprint(float64(x))
		}
		return fmt.Sprint(x)
	case float64:
		if typ == "currency" || typ == "anyType" {
			r, _ := new(big.Rat).SetString(fmt.Sprint(x))
			return r.RatString()
		}
		return fmt.Sprint(x)
	case int32:
		return fmt.Sprint(int64(x))
	case []byte:
		return canon(string(x), typ)
	case string:
		switch typ {
		case "time": // Postgres gives a time of day as text
			if tm, err := time.Parse("15:04:05.999999", x); err == nil {
				return tm.Format("15:04:05.000")
			}
		case "double", "percent", "int", "long":
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return fmt.Sprint(f)
			}
		}
	}
	if typ == "currency" || typ == "anyType" { // anyType: a number's JSON text, as Salesforce wrote it
		if r, ok := new(big.Rat).SetString(fmt.Sprint(v)); ok {
			return r.RatString()
		}
	}
	return fmt.Sprint(v)
}

func TestLoadWholeOrg(t *testing.T) {
	forEachDestination(t, nil, testLoadWholeOrg)
}

func testLoadWholeOrg(t *testing.T, e *env) {
	e.popts = nil // asserts one load per run (chunked runs: chunk_test.go)
	src := e.source().AddObject("Something__c")
	info := e.run(src)

	if !info.Loaded || info.LoadID == "" {
		t.Fatalf("load info says not loaded:\n%v", info)
	}
	for _, s := range standard {
		if got, want := info.RowCount(s.table), int64(e.srv.Count(s.object, s.merge)); got != want {
			t.Errorf("load info: %s %d rows, want %d", s.table, got, want)
		}
		e.checkTable(s.table, s.object, s.merge)
	}
	e.checkTable("something__c", "Something__c", false)

	want := []string{"_dlt_loads", "_dlt_pipeline_state", "_dlt_version"}
	for _, s := range standard {
		want = append(want, s.table)
	}
	want = append(want, "something__c")
	slices.Sort(want)
	if got := e.tables(); !slices.Equal(got, want) {
		t.Fatalf("tables = %v\nwant %v", got, want)
	}

	// Types come from describe, names from dlt's naming.
	db := e.db()
	types := map[string]string{}
	rows, err := db.Query(e.sql(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = 'opportunity'`))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c, d string
		rows.Scan(&c, &d)
		types[c] = d
	}
	rows.Close()
	wantTypes := map[string]string{
		"id": "VARCHAR", "system_modstamp": "TIMESTAMP WITH TIME ZONE", "close_date": "DATE",
		"amount": "DECIMAL(38,9)", "probability": "DOUBLE", "is_won": "BOOLEAN", "expected_revenue": "DECIMAL(38,9)",
		"_dlt_load_id": "VARCHAR", "_dlt_id": "VARCHAR", "account_id": "VARCHAR", "is_deleted": "BOOLEAN",
	}
	if e.kind == "postgres" {
		wantTypes = map[string]string{
			"id": "character varying", "system_modstamp": "timestamp with time zone", "close_date": "date",
			"amount": "numeric", "probability": "double precision", "is_won": "boolean", "expected_revenue": "numeric",
			"_dlt_load_id": "character varying", "_dlt_id": "character varying", "account_id": "character varying", "is_deleted": "boolean",
		}
	}
	for col, typ := range wantTypes {
		if types[col] != typ {
			t.Errorf("opportunity.%s is %q, want %s", col, types[col], typ)
		}
	}
	var loads, versions, states int
	db.QueryRow(e.sql(`SELECT count(*) FROM {ds}._dlt_loads WHERE status = 0 AND load_id = $1`), info.LoadID).Scan(&loads)
	db.QueryRow(e.sql(`SELECT count(*) FROM {ds}._dlt_version WHERE schema_name = 'salesforce'`)).Scan(&versions)
	db.QueryRow(e.sql(`SELECT count(*) FROM {ds}._dlt_pipeline_state WHERE pipeline_name = 'salesforce' AND _dlt_load_id = $1`), info.LoadID).Scan(&states)
	if loads != 1 || versions != 1 || states != 1 {
		t.Fatalf("system tables: %d loads, %d versions, %d states; want 1 each", loads, versions, states)
	}
	var wrongLoad int
	db.QueryRow(e.sql(`SELECT count(*) FROM {ds}.opportunity WHERE _dlt_load_id <> $1`), info.LoadID).Scan(&wrongLoad)
	if wrongLoad != 0 {
		t.Fatalf("%d opportunity rows carry another load id", wrongLoad)
	}
	// Compound parents are not columns; their components are.
	if _, ok := types["billing_address"]; ok {
		t.Error("opportunity has no address, but account's compound parent must not be a column either")
	}
	db.Close()
	if e.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = 'account' AND column_name IN ('billing_address', 'shipping_address')`) != 0 {
		t.Error("account has compound address columns")
	}
	if e.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_schema = '{ds}' AND table_name = 'account' AND column_name IN ('billing_city', 'billing_latitude')`) != 2 {
		t.Error("account lacks the address component columns")
	}
	if !strings.Contains(info.String(), "is LOADED and contains no failed jobs") {
		t.Errorf("load info:\n%v", info)
	}
}

// queriesOf returns the SOQL of first pages of queries on an object in the call log.
func queriesOf(srv *salesforcetest.Server, object string) []string {
	var out []string
	for _, c := range srv.Calls() {
		if c.SOQL != "" && c.Page == 0 && c.Status == 200 && (strings.Contains(c.SOQL, " FROM "+object+" ") || strings.HasSuffix(c.SOQL, " FROM "+object)) {
			out = append(out, c.SOQL)
		}
	}
	return out
}

// opportunityIDs returns the first n ids of the opportunity table, in order.
func opportunityIDs(t *testing.T, e *env, n int) []string {
	t.Helper()
	return e.ids("opportunity", n)
}

// ids returns the ids of a table, in order: the first n, or all of them when n is 0.
func (e *env) ids(table string, n int) []string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	q := fmt.Sprintf(`SELECT id FROM {ds}.%s ORDER BY id`, table)
	if n > 0 {
		q += fmt.Sprintf(" LIMIT %d", n)
	}
	rows, err := db.Query(e.sql(q))
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func TestSecondRunMergesChangesIncrementally(t *testing.T) {
	forEachDestination(t, nil, testSecondRun)
}

func testSecondRun(t *testing.T, e *env) {
	e.popts = nil // asserts one load per run (chunked runs: chunk_test.go)
	src := e.source()
	first := e.run(src)
	_ = first

	ids := opportunityIDs(t, e, 10)
	if err := e.srv.Update("Opportunity", ids[:3], map[string]any{"StageName": "Closed Won", "Description": "updated by the test ✓"}); err != nil {
		t.Fatal(err)
	}
	newID, err := e.srv.Insert("Opportunity", map[string]any{"Name": "Inserted, with \"quotes\"", "StageName": "Prospecting", "CloseDate": time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Delete("Opportunity", ids[5]); err != nil {
		t.Fatal(err)
	}
	contact := e.firstID("contact")
	if err := e.srv.Delete("Contact", contact); err != nil {
		t.Fatal(err)
	}
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	boundary := len(st.Sources["salesforce"].Resources["opportunity"].Incremental["SystemModstamp"].UniqueHashes)
	e.srv.ResetCalls()
	second := e.run(src)

	// Only the changed rows are fetched: the boundary records of the first run are read again
	// (closed start) and dropped.
	if got := second.RowCount("opportunity"); got != 5 {
		t.Errorf("second run wrote %d opportunity rows, want 5 (3 updated, 1 inserted, 1 deleted)", got)
	}
	qs := queriesOf(e.srv, "Opportunity")
	if len(qs) != 1 || !strings.Contains(qs[0], "WHERE SystemModstamp >= ") {
		t.Fatalf("second run's opportunity SOQL = %q, want one query filtered on SystemModstamp >=", qs)
	}
	// That query fetched the 5 changed records plus the boundary records of the first run.
	if got := countQuery(t, e.srv, qs[0]); got != 5+boundary {
		t.Errorf("the incremental query returns %d records, want 5 changed + %d at the boundary", got, boundary)
	}
	for _, s := range standard {
		e.checkTable(s.table, s.object, s.merge)
		if s.merge {
			continue
		}
		if got := e.scalar(fmt.Sprintf(`SELECT count(*) FROM {ds}.%s`, s.table)); got != int64(e.srv.Count(s.object, false)) {
			t.Errorf("replace table %s holds %d rows, the org %d", s.table, got, e.srv.Count(s.object, false))
		}
		if qs := queriesOf(e.srv, s.object); len(qs) != 1 || strings.Contains(qs[0], "WHERE") {
			t.Errorf("replace resource %s: SOQL %q, want one full query", s.table, qs)
		}
	}
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1 AND is_deleted`, ids[5]) != 1 {
		t.Error("the deleted opportunity is not marked is_deleted")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1`, newID) != 1 {
		t.Error("the inserted opportunity is missing")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE description = 'updated by the test ✓'`) != 3 {
		t.Error("the updated opportunities do not carry the new values")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.contact WHERE id = $1`, contact) != 0 {
		t.Error("the deleted contact is still in the replace table")
	}
	if e.scalar(`SELECT count(*) FROM {ds}._dlt_loads`) != 2 {
		t.Error("want two loads")
	}

	// A third run with nothing changed loads nothing into the merge tables.
	third := e.run(src)
	for _, s := range standard {
		if s.merge && third.RowCount(s.table) != 0 {
			t.Errorf("unchanged run wrote %d rows to %s", third.RowCount(s.table), s.table)
		}
	}
}

func (e *env) firstID(table string) string {
	e.t.Helper()
	db := e.db()
	defer db.Close()
	var id string
	if err := db.QueryRow(e.sql(fmt.Sprintf(`SELECT min(id) FROM {ds}.%s`, table))).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// Records that share the boundary stamp of the last run, and that become visible only after it
// (a transaction committing late), are loaded by the next run; those already loaded are not
// loaded twice.
func TestBoundaryStampNeitherLostNorDuplicated(t *testing.T) {
	counts := salesforcetest.DefaultCounts()
	counts["Task"] = 5000 // runs of shared stamps straddle the 2,000-row pages
	e := newEnv(t, counts)
	src := e.source().WithResources("task", "opportunity")
	e.run(src)
	e.checkTable("task", "Task", true)

	ids := opportunityIDs(t, e, 6)
	if err := e.srv.Update("Opportunity", ids[:2], map[string]any{"Description": "first"}); err != nil {
		t.Fatal(err)
	}
	boundary, ok := e.srv.Get("Opportunity", ids[0])
	if !ok {
		t.Fatal("updated opportunity not found")
	}
	stamp := boundary.Get("SystemModstamp").(time.Time)
	second := e.run(src)
	if second.RowCount("opportunity") != 2 {
		t.Fatalf("second run: %d rows, want the 2 updated", second.RowCount("opportunity"))
	}
	// Two more records appear with the very same stamp after that run.
	if err := e.srv.UpdateAt("Opportunity", ids[2:4], map[string]any{"Description": "late"}, stamp); err != nil {
		t.Fatal(err)
	}
	third := e.run(src)
	if third.RowCount("opportunity") != 2 {
		t.Fatalf("third run: %d rows, want the 2 late records (and not the 2 already loaded)", third.RowCount("opportunity"))
	}
	e.checkTable("opportunity", "Opportunity", true)
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE description = 'late'`) != 2 {
		t.Fatal("the late records are not loaded")
	}
}

func TestWithResourcesLoadsOnlyThose(t *testing.T) {
	e := newEnv(t, nil)
	e.run(e.source().WithResources("opportunity", "contact"))
	want := []string{"_dlt_loads", "_dlt_pipeline_state", "_dlt_version", "contact", "opportunity"}
	if got := e.tables(); !slices.Equal(got, want) {
		t.Fatalf("tables = %v, want %v", got, want)
	}
	for _, c := range e.srv.Calls() {
		if c.SOQL != "" && !strings.Contains(c.SOQL, "FROM Opportunity") && !strings.Contains(c.SOQL, "FROM Contact") {
			t.Errorf("unexpected query %q", c.SOQL)
		}
	}
	_, err := e.pipeline().Run(context.Background(), e.source().WithResources("opportunity", "opportunities"))
	if err == nil || !strings.Contains(err.Error(), "opportunities") || !strings.Contains(err.Error(), "opportunity_line_item") {
		t.Fatalf("unknown resource: err = %v, want one naming it and listing the valid ones", err)
	}
}

func TestNotNullViolationCommitsNothing(t *testing.T) {
	forEachDestination(t, nil, testNotNull)
}

func testNotNull(t *testing.T, e *env) {
	e.popts = nil // asserts one load per run (chunked runs: chunk_test.go)
	src := e.source().WithResources("contact", "opportunity")
	e.run(src)
	db := e.db()
	var contacts int
	var nullID string
	db.QueryRow(e.sql(`SELECT count(*) FROM {ds}.contact`)).Scan(&contacts)
	if err := db.QueryRow(e.sql(`SELECT min(id) FROM {ds}.contact WHERE email IS NULL`)).Scan(&nullID); err != nil || nullID == "" {
		t.Skipf("the emulated org has no contact without email (%v)", err)
	}
	db.Close()

	// Change an opportunity so the failing run has something to merge too.
	ids := opportunityIDs(t, e, 1)
	if err := e.srv.Update("Opportunity", ids, map[string]any{"Description": "must not arrive"}); err != nil {
		t.Fatal(err)
	}
	failing := e.source().WithResources("opportunity", "contact")
	failing.ApplyHints("contact", sfdlt.Hints{NotNull: []string{"Email"}})
	info, err := e.pipeline().Run(context.Background(), failing)
	if err == nil {
		t.Fatal("a null in a not-null column must fail the load")
	}
	for _, want := range []string{"contact", "email", "Id " + nullID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if info == nil || info.Loaded {
		t.Errorf("load info should say the load failed: %v", info)
	}
	if e.scalar(`SELECT count(*) FROM {ds}._dlt_loads`) != 1 {
		t.Error("the failed load left a _dlt_loads row")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE description = 'must not arrive'`) != 0 {
		t.Error("rows of the failed load were committed")
	}
	if e.scalar(`SELECT count(*) FROM {ds}.contact`) != int64(contacts) {
		t.Error("the replace table changed in a failed load")
	}
	// The next run without the bad hint completes the change.
	e.run(src)
	if e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE description = 'must not arrive'`) != 1 {
		t.Error("the next run did not load the change")
	}
}

func TestNewFieldBecomesColumn(t *testing.T) {
	e := newEnv(t, nil)
	src := e.source().WithResources("contact")
	e.run(src)
	err := e.srv.AddField("Contact", salesforcetest.Field{
		Name: "Loyalty_Tier__c", Label: "Loyalty Tier", Type: "picklist", SoapType: "xsd:string", Length: 255,
		Nillable: true, Custom: true, Filterable: true, Sortable: true, Groupable: true, Createable: true, Updateable: true,
		PicklistValues: []string{"Gold", "Silver"},
	}, func(r *salesforcetest.Record) any {
		if strings.HasSuffix(r.ID(), "A") {
			return "Gold"
		}
		return "Silver"
	})
	if err != nil {
		t.Fatal(err)
	}
	e.run(src)
	e.checkTable("contact", "Contact", false)
	if e.scalar(`SELECT count(*) FROM {ds}.contact WHERE loyalty_tier__c IS NOT NULL`) != int64(e.srv.Count("Contact", false)) {
		t.Fatal("the new field's values are not loaded")
	}
	if e.scalar(`SELECT count(*) FROM {ds}._dlt_version`) != 2 {
		t.Error("the schema change must store a second schema version")
	}
}

func TestStateRestoredFromDestination(t *testing.T) {
	forEachDestination(t, nil, testStateRestored)
}

func testStateRestored(t *testing.T, e *env) {
	src := e.source().WithResources("opportunity")
	e.run(src)
	if err := os.RemoveAll(filepath.Join(e.dir, "pipelines")); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	info := e.run(src)
	if info.RowCount("opportunity") != 0 {
		t.Errorf("with the state restored nothing is new, but %d rows were loaded", info.RowCount("opportunity"))
	}
	if qs := queriesOf(e.srv, "Opportunity"); len(qs) != 1 || !strings.Contains(qs[0], "SystemModstamp >= ") {
		t.Fatalf("SOQL after restoring = %q, want the incremental one", qs)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "pipelines", "salesforce", "state.json")); err != nil {
		t.Errorf("the local state was not written again: %v", err)
	}
	e.checkTable("opportunity", "Opportunity", true)
}

func TestRunErrorsAreClear(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.pipeline().Run(context.Background(), e.source().AddObject("Nothing__c").WithResources("nothing__c"))
	if err == nil || !strings.Contains(err.Error(), "Nothing__c") || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("unknown custom object: %v", err)
	}
	bad := e.srv.Credentials()
	src, _ := sfdlt.NewSource(sfdlt.Credentials{UserName: bad.UserName, Password: "wrong", SecurityToken: bad.SecurityToken}, sfdlt.LoginURL(e.srv.URL()))
	_, err = e.pipeline().Run(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "INVALID_LOGIN") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v", err)
	}
	for _, name := range []string{"", "a/b", "../x"} {
		if _, err := sfdlt.NewPipeline(name, duckdb.New(e.file)); err == nil {
			t.Errorf("pipeline name %q accepted", name)
		}
	}
	if _, err := sfdlt.NewPipeline("ok", duckdb.New(e.file), sfdlt.Dataset("Bad Name")); err == nil || !strings.Contains(err.Error(), "bad_name") {
		t.Errorf("bad dataset name: %v", err)
	}
	if _, err := sfdlt.NewSource(sfdlt.Credentials{}); err == nil {
		t.Error("empty credentials accepted")
	}
}

// countQuery runs a SOQL query (with queryAll) on the emulator and counts the records.
func countQuery(t *testing.T, srv *salesforcetest.Server, soql string) int {
	t.Helper()
	c := srv.Credentials()
	cl, err := client.New(context.Background(), client.Config{LoginURL: srv.URL(), Credentials: client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for page, err := range cl.QueryAll(context.Background(), soql) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Records)
	}
	return n
}

// A query Salesforce times out is read in SystemModstamp windows: nothing lost, nothing doubled.
func TestQueryTimeoutSplitsIntoWindows(t *testing.T) {
	counts := salesforcetest.DefaultCounts()
	counts["Task"] = 3000
	e := newEnv(t, counts)
	e.srv.SetFaults(salesforcetest.Faults{QueryTimeoutAbove: 700})
	info := e.run(e.source(sfdlt.BulkThreshold(0)).WithResources("task", "contact"))
	e.checkTable("task", "Task", true)
	e.checkTable("contact", "Contact", false)
	if len(info.Notes) == 0 || !strings.Contains(strings.Join(info.Notes, " "), "windows") {
		t.Errorf("the load info should say the query was read in windows: %v", info.Notes)
	}
	windows := 0
	for _, c := range e.srv.Calls() {
		if strings.Contains(c.SOQL, "FROM Task WHERE SystemModstamp >= ") && strings.Contains(c.SOQL, "SystemModstamp < ") && c.Page == 0 {
			windows++
		}
	}
	if windows < 5 {
		t.Errorf("only %d window queries: 3,000 rows at most 700 per query need at least 5", windows)
	}
	// The next run is incremental: the windows left a correct cursor.
	e.srv.SetFaults(salesforcetest.Faults{})
	second := e.run(e.source(sfdlt.BulkThreshold(0)).WithResources("task"))
	if second.RowCount("task") != 0 {
		t.Errorf("nothing changed, yet %d task rows were loaded again", second.RowCount("task"))
	}
}

// A first page that Salesforce times out marks a large result: with Bulk allowed, the resource
// tries a Bulk job first, and when the job fails too, REST reads it in windows.
func TestQueryTimeoutTriesBulkFirst(t *testing.T) {
	counts := salesforcetest.DefaultCounts()
	counts["Task"] = 3000
	e := newEnv(t, counts)
	e.srv.SetFaults(salesforcetest.Faults{QueryTimeoutAbove: 700})
	info := e.run(e.source(sfdlt.BulkThreshold(100_000), sfdlt.Bulk(client.BulkOptions{PollInterval: time.Millisecond})).WithResources("task"))
	e.checkTable("task", "Task", true)
	jobs := 0
	for _, c := range e.srv.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/jobs/query") {
			jobs++
		}
	}
	notes := strings.Join(info.Notes, " ")
	if jobs != 1 || !strings.Contains(notes, "Bulk API 2.0 failed") || !strings.Contains(notes, "windows") {
		t.Errorf("want one Bulk job tried, then windows: %d jobs, notes %q", jobs, notes)
	}
}

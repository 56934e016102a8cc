package destinationtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

func decimal(t *testing.T, s string, c schema.Column) schema.DecimalValue {
	t.Helper()
	v, ok := schema.CoerceColumn(s, c)
	if !ok {
		t.Fatalf("CoerceColumn(%q, decimal) failed", s)
	}
	return v.(schema.DecimalValue)
}

// testTypes writes every dlt type, with edge values and NULLs, and reads it back exactly,
// with the column types the table was created with.
func testTypes(t *testing.T, h *harness) {
	cest := time.FixedZone("CEST", 2*3600)
	pst := time.FixedZone("PST", -8*3600)
	long := strings.Repeat("日本語 and ascii 🚀 ", 32*1024/24+1) // > 32 KiB
	dec := col("v_decimal", schema.Decimal)
	dec18 := schema.Column{Name: "v_decimal_18_4", DataType: schema.Decimal, Nullable: true, Precision: 18, Scale: 4}
	cols := []schema.Column{
		notNull("i", schema.Bigint),
		col("v_text", schema.Text), col("v_bigint", schema.Bigint), col("v_double", schema.Double), dec, dec18,
		col("v_bool", schema.Bool), col("v_timestamp", schema.Timestamp), col("v_date", schema.Date),
		col("v_time", schema.Time), col("v_json", schema.JSON), col("v_binary", schema.Binary),
	}
	kilobyte := make([]byte, 1024)
	for i := range kilobyte {
		kilobyte[i] = byte(i * 7)
	}
	// One list of values per column after i; row k takes value k of each, and a last row
	// is all NULL.
	values := [][]any{
		{"", "Zoë ünïcödé 🎉👩‍👩‍👧 ½ — ∑", long, "tab\there\nnew line\r\\back\\slash \"dq\" 'sq' \\N ,;|"},
		{int64(0), int64(math.MaxInt64), int64(math.MinInt64), int64(-42)},
		{0.1, -1e300, math.SmallestNonzeroFloat64, math.MaxFloat64},
		{decimal(t, "12345678901234567890.123456789", dec), decimal(t, "-99999999999999999999999999999.999999999", dec),
			decimal(t, "0.000000001", dec), decimal(t, "-0.5", dec)},
		{decimal(t, "12345678901234.5678", dec18), decimal(t, "-0.0001", dec18), decimal(t, "0", dec18), decimal(t, "99999999999999.9999", dec18)},
		{true, false, true, false},
		{time.Date(2024, 6, 30, 23, 59, 59, 123e6, cest), time.Date(1901, 1, 1, 0, 0, 0, 1000, time.UTC),
			time.Date(2011, 7, 7, 0, 37, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999e6, pst)},
		{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
			time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)},
		{time.Duration(0), 13*time.Hour + 5*time.Minute + 30*time.Second + 250*time.Millisecond,
			24*time.Hour - time.Microsecond, time.Millisecond},
		{json.RawMessage(`{"street":"<Main> & 1st","n":[1,2.5,null,true],"u":"🚀","big":12345678901234567890}`),
			json.RawMessage(`[]`), json.RawMessage(`"s"`), json.RawMessage(`{"a":{"b":{}}}`)},
		{[]byte{0, 1, 2, 255}, []byte{}, []byte("\\\n\t\x00,"), kilobyte},
	}
	var rows, want [][]any
	for k := range 4 {
		row := []any{int64(k)}
		for _, vs := range values {
			row = append(row, vs[k])
		}
		rows = append(rows, row)
		want = append(want, row)
	}
	nulls := make([]any, len(cols))
	nulls[0] = int64(4)
	rows = append(rows, nulls)
	want = append(want, nulls)

	tbl := schema.NewTable("all_types", schema.Append, cols...)
	s := h.open(pipelineName)
	Load(t, s, TableLoad{tbl, [][][]any{rows[:2], rows[2:]}})

	got, back := read(t, h.reader(), "all_types")
	equal(t, "rows", got, renderRows(want))
	equal(t, "columns", columns(back), []string{
		"i bigint not null", "v_text text", "v_bigint bigint", "v_double double", "v_decimal decimal(38,9)",
		"v_decimal_18_4 decimal(18,4)", "v_bool bool", "v_timestamp timestamp", "v_date date", "v_time time",
		"v_json json", "v_binary binary",
	})
}

// testQuotedIdentifiers checks that names are always quoted: reserved words, mixed case,
// spaces and quotes survive as they are.
func testQuotedIdentifiers(t *testing.T, h *harness) {
	tbl := schema.NewTable("user", schema.Merge,
		schema.Column{Name: "select", DataType: schema.Text, PrimaryKey: true},
		col("Mixed Case", schema.Text), col(`with "quote"`, schema.Bigint), col("order", schema.Bool))
	s := h.open(pipelineName)
	Load(t, s, TableLoad{tbl, [][][]any{{{"a", "A", int64(1), true}}}})
	Load(t, s, TableLoad{tbl, [][][]any{{{"a", "A2", int64(2), false}, {"b", "B", nil, nil}}}})
	got, back := read(t, h.reader(), "user")
	equal(t, "rows", got, renderRows([][]any{{"a", "A2", int64(2), false}, {"b", "B", nil, nil}}))
	equal(t, "columns", columns(back), []string{"select text not null", "Mixed Case text", `with "quote" bigint`, "order bool"})
}

// testFreshDataset checks what a session reports of a new dataset: no state, no schema, no
// such table (testReadNew checks what a Reader reports).
func testFreshDataset(t *testing.T, h *harness) {
	s := h.open(pipelineName)
	ctx := t.Context()
	if _, err := s.PipelineState(ctx, pipelineName); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("PipelineState: got %v, want ErrNotFound", err)
	}
	if _, err := s.Schema(ctx, "salesforce"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("Schema: got %v, want ErrNotFound", err)
	}
	if _, _, err := h.reader().ReadTable(ctx, "nothing"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("ReadTable of a missing table: got %v, want ErrNotFound", err)
	}
}

// systemLoad writes one load as the pipeline does: the state row, the schema version row
// (when version > 0) and, when status >= 0, the _dlt_loads row last.
func systemLoad(t *testing.T, s destination.Session, pipeline, loadID string, version, status int64, at time.Time) {
	t.Helper()
	Load(t, s, systemTables(pipeline, loadID, version, status, at)...)
}

// systemTables are the system table rows of systemLoad.
func systemTables(pipeline, loadID string, version, status int64, at time.Time) []TableLoad {
	tables := []TableLoad{{schema.PipelineStateTable(), [][][]any{{{
		version, int64(1), pipeline, "eNqrVgIAAA==" + loadID, at, "hash-" + loadID, loadID, "id-" + loadID,
	}}}}}
	if version > 0 {
		tables = append(tables, TableLoad{schema.VersionTable(), [][][]any{{{
			version, int64(schema.EngineVersion), at, "salesforce", "vhash-" + loadID, `{"name":"salesforce","version":` + loadID + `}`,
		}}}})
	}
	if status >= 0 {
		tables = append(tables, TableLoad{schema.LoadsTable(), [][][]any{{{
			loadID, "salesforce", status, at, "vhash-" + loadID,
		}}}})
	}
	return tables
}

// testSystemTablesAndState checks dlt's system tables as the pipeline writes them and the
// status-0 rule: the state in force is the newest state row of the pipeline whose load has
// a _dlt_loads row with status 0.
func testSystemTablesAndState(t *testing.T, h *harness) {
	s := h.open(pipelineName)
	ctx := t.Context()
	t0 := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

	// A load whose _dlt_loads row is missing did not happen: no state yet.
	systemLoad(t, s, pipelineName, "1751371600.000001", 1, -1, t0)
	if _, err := s.PipelineState(ctx, pipelineName); !errors.Is(err, destination.ErrNotFound) {
		t.Fatalf("PipelineState without a completed load: got %v, want ErrNotFound", err)
	}
	systemLoad(t, s, pipelineName, "1751371611.374621", 2, 0, t0.Add(time.Minute))
	systemLoad(t, s, pipelineName, "1751371700.000000", 3, 1, t0.Add(2*time.Minute)) // status 1: not complete
	systemLoad(t, s, pipelineName, "1751371800.000000", 0, -1, t0.Add(3*time.Minute))
	systemLoad(t, s, "other", "1751371900.000000", 0, 0, t0.Add(4*time.Minute))

	st, err := s.PipelineState(ctx, pipelineName)
	if err != nil {
		t.Fatal(err)
	}
	want := destination.StateRow{Version: 2, EngineVersion: 1, PipelineName: pipelineName, State: "eNqrVgIAAA==1751371611.374621",
		CreatedAt: t0.Add(time.Minute), VersionHash: "hash-1751371611.374621", LoadID: "1751371611.374621"}
	if st.CreatedAt.Equal(want.CreatedAt) {
		st.CreatedAt = want.CreatedAt // same instant, perhaps another location
	}
	if *st != want {
		t.Errorf("PipelineState:\n got %+v\nwant %+v", *st, want)
	}
	if st, err := s.PipelineState(ctx, "other"); err != nil || st.LoadID != "1751371900.000000" {
		t.Errorf("PipelineState(other): %+v, %v", st, err)
	}
	if _, err := s.PipelineState(ctx, "nobody"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("PipelineState of an unknown pipeline: got %v, want ErrNotFound", err)
	}

	sc, err := s.Schema(ctx, "salesforce")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Version != 3 || sc.EngineVersion != schema.EngineVersion || sc.SchemaName != "salesforce" || !sc.InsertedAt.Equal(t0.Add(2*time.Minute)) ||
		sc.VersionHash != "vhash-1751371700.000000" || sc.Schema != `{"name":"salesforce","version":1751371700.000000}` {
		t.Errorf("Schema: got %+v, want version 3", *sc)
	}
	if _, err := s.Schema(ctx, "other_schema"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("Schema of an unknown schema: got %v, want ErrNotFound", err)
	}

	// The tables have dlt's columns, types and nullability.
	r := h.reader()
	for _, tc := range []struct {
		table string
		cols  []string
		rows  int
	}{
		{schema.TableLoads, []string{"load_id text not null", "schema_name text", "status bigint not null",
			"inserted_at timestamp not null", "schema_version_hash text"}, 3},
		{schema.TableVersion, []string{"version bigint not null", "engine_version bigint not null", "inserted_at timestamp not null",
			"schema_name text not null", "version_hash text not null", "schema text not null"}, 3},
		{schema.TablePipelineState, []string{"version bigint not null", "engine_version bigint not null", "pipeline_name text not null",
			"state text not null", "created_at timestamp not null", "version_hash text", "_dlt_load_id text not null", "_dlt_id text not null"}, 5},
	} {
		rows, tbl := read(t, r, tc.table)
		equal(t, tc.table+" columns", columns(tbl), tc.cols)
		if len(rows) != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.table, len(rows), tc.rows)
		}
	}

	if got, want := fmt.Sprint(h.tables()), "[{_dlt_loads 3 false} {_dlt_pipeline_state 5 false} {_dlt_version 3 false}]"; got != want {
		t.Errorf("Tables: got %s, want %s", got, want)
	}
	loads, err := h.openRead(pipelineName).Loads(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(loads) != 2 || loads[0].LoadID != "1751371900.000000" || loads[1].LoadID != "1751371700.000000" || loads[1].Status != 1 ||
		loads[0].SchemaName != "salesforce" || !loads[0].InsertedAt.Equal(t0.Add(4*time.Minute)) || loads[0].SchemaVersionHash != "vhash-1751371900.000000" {
		t.Errorf("Loads: got %+v", loads)
	}
}

// testEvolution checks that a table gets the columns of its first load, columns added
// mid-load (with wider rows after them) and a later load's new columns; old columns stay,
// and columns added to an existing table are nullable.
func testEvolution(t *testing.T, h *harness) {
	s := h.open(pipelineName)
	ctx := t.Context()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	w, err := l.Table(ctx, schema.NewTable("account", schema.Append, notNull("id", schema.Text), col("name", schema.Text)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"1", "a"}}); err != nil {
		t.Fatal(err)
	}
	amount := col("amount__c", schema.Decimal)
	if err := w.AddColumns(ctx, []schema.Column{amount, notNull("Mixed Case", schema.Bool)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"2", "b", decimal(t, "1.5", amount), true}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// A later load has one more column and lacks one the dataset has.
	later := schema.NewTable("account", schema.Append, notNull("id", schema.Text), col("name", schema.Text), amount, col("rating", schema.Bigint))
	Load(t, s, TableLoad{later, [][][]any{{{"3", "c", nil, int64(5)}}}})

	got, back := read(t, h.reader(), "account")
	equal(t, "columns", columns(back), []string{"id text not null", "name text", "amount__c decimal(38,9)", "Mixed Case bool", "rating bigint"})
	equal(t, "rows", got, renderRows([][]any{
		{"1", "a", nil, nil, nil}, {"2", "b", decimal(t, "1.5", amount), true, nil}, {"3", "c", nil, nil, int64(5)},
	}))
}

// testVariantColumns checks a variant column added mid-load for values that did not fit.
func testVariantColumns(t *testing.T, h *harness) {
	s := h.open(pipelineName)
	ctx := t.Context()
	amount := col("amount", schema.Decimal)
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	w, err := l.Table(ctx, schema.NewTable("opportunity", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}, amount))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"1", decimal(t, "10.25", amount)}}); err != nil {
		t.Fatal(err)
	}
	variant := schema.Column{Name: "amount__v_text", DataType: schema.Text, Nullable: true, Variant: true}
	if err := w.AddColumns(ctx, []schema.Column{variant}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"2", nil, "about ten"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, back := read(t, h.reader(), "opportunity")
	equal(t, "columns", columns(back), []string{"id text not null", "amount decimal(38,9)", "amount__v_text text"})
	equal(t, "rows", got, renderRows([][]any{{"1", decimal(t, "10.25", amount), nil}, {"2", nil, "about ten"}}))
}

// testNotNull checks that a NULL in a not-null column fails the load, at Write or at
// Commit, and leaves the dataset as it was.
func testNotNull(t *testing.T, h *harness) {
	s := h.open(pipelineName)
	tbl := schema.NewTable("contact", schema.Append, notNull("id", schema.Text), col("name", schema.Text))
	Load(t, s, TableLoad{tbl, [][][]any{{{"1", "a"}}}})
	before := h.snapshot(s, "contact")
	ctx := t.Context()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	w, err := l.Table(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Write(ctx, [][]any{{"2", "b"}, {nil, "no id"}})
	if err == nil {
		err = w.Close(ctx)
	}
	if err == nil {
		err = l.Commit(ctx)
	}
	if err == nil {
		t.Fatal("a NULL in a not-null column was committed")
	}
	if err := l.Rollback(); err != nil {
		t.Errorf("Rollback: %v", err)
	}
	if after := h.snapshot(s, "contact"); after != before {
		t.Errorf("dataset changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

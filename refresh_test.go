package sfdlt_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination"
)

// refreshCounts keeps the refresh tests' org small.
var refreshCounts = map[string]int{"Opportunity": 120, "Contact": 70}

// rates is a Go resource with a nested list (a child table rates__tags) and a cursor: without
// a reset of its state a second run loads none of its records again.
func rates() *sfdlt.Resource {
	return sfdlt.NewResource("rates", records(
		map[string]any{"n": 1, "currency": "EUR", "tags": []string{"a", "b"}},
		map[string]any{"n": 2, "currency": "USD", "tags": []string{"c", "d"}},
		map[string]any{"n": 3, "currency": "JPY", "tags": []string{"e", "f"}},
	), sfdlt.Disposition(sfdlt.Append), sfdlt.Cursor(sfdlt.NewIncremental("n", nil)))
}

// refreshSource is the org's source with the rates resource, limited to names.
func (e *env) refreshSource(names ...string) *sfdlt.Source {
	e.t.Helper()
	src := e.source()
	src.AddResource(rates())
	return src.WithResources(names...)
}

// exec runs a statement that changes the dataset (the pipeline has closed a DuckDB file).
func (e *env) exec(query string) {
	e.t.Helper()
	var db *sql.DB
	var err error
	if e.kind == "postgres" {
		db, err = sql.Open("postgres", e.dsn)
	} else {
		db, err = sql.Open("duckdb", e.file)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(e.sql(query)); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

// duplicateRow copies one row of table into it again: a row only a drop or a delete of the
// table's rows removes, whatever the run loads.
func (e *env) duplicateRow(table string) {
	e.t.Helper()
	e.exec(fmt.Sprintf(`INSERT INTO {ds}.%s SELECT * FROM {ds}.%s LIMIT 1`, table, table))
}

// count is the number of rows of a table of the dataset.
func (e *env) count(table string) int64 {
	e.t.Helper()
	return e.scalar(fmt.Sprintf(`SELECT count(*) FROM {ds}.%s`, table))
}

// stateResources lists the resources the pipeline's state holds (the local copy, else the
// destination's).
func (e *env) stateResources() []string {
	e.t.Helper()
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	if src := st.Sources[sfdlt.SourceName]; src != nil {
		for name := range src.Resources {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// storedTables lists the data tables of the newest stored schema.
func (e *env) storedTables() []string {
	e.t.Helper()
	row, err := e.pipeline().StoredSchema(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var sch struct {
		Tables map[string]json.RawMessage `json:"tables"`
	}
	if err := json.Unmarshal([]byte(row.Schema), &sch); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for name := range sch.Tables {
		if !strings.HasPrefix(name, "_dlt") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// fullRead reports whether the queries of an object read it in full: a query of its records
// with no condition (a COUNT() may size it first).
func fullRead(qs []string) bool {
	records := 0
	for _, q := range qs {
		if strings.HasPrefix(q, "SELECT COUNT()") {
			continue
		}
		if strings.Contains(q, " WHERE ") {
			return false
		}
		records++
	}
	return records == 1
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func TestRefresh(t *testing.T) {
	forEachDestination(t, refreshCounts, testRefresh)
}

func testRefresh(t *testing.T, e *env) {
	ctx := context.Background()
	e.run(e.refreshSource("opportunity", "contact", "rates"))
	system := []string{"_dlt_loads", "_dlt_pipeline_state", "_dlt_version"}
	all := append(slices.Clone(system), "contact", "opportunity", "rates", "rates__tags")
	if got := e.tables(); !slices.Equal(got, sorted(all)) {
		t.Fatalf("tables after the first run: %v, want %v", got, sorted(all))
	}
	orgContacts := int64(e.srv.Count("Contact", false))

	// drop_resources: opportunity's table is dropped and loaded in full; contact and rates, not
	// selected, keep everything (a duplicated row included). A row of an id the org does not
	// have is one only the drop removes (a merge of the full read would keep it).
	e.exec(`UPDATE {ds}.opportunity SET id = 'stray' WHERE id = (SELECT min(id) FROM {ds}.opportunity)`)
	e.duplicateRow("contact")
	e.srv.ResetCalls()
	p := e.pipeline(sfdlt.Refresh(sfdlt.DropResources))
	info, err := p.Run(ctx, e.refreshSource("opportunity"))
	if err != nil {
		t.Fatalf("drop_resources run: %v\n%v", err, info)
	}
	want := &sfdlt.DropInfo{Mode: sfdlt.DropResources, Tables: []string{"opportunity"}, Resources: []string{"opportunity"}}
	if fmt.Sprint(info.Dropped) != fmt.Sprint(want) || info.Dropped.SourceState || len(info.Dropped.Truncated) > 0 {
		t.Errorf("drop_resources: LoadInfo.Dropped = %+v, want %+v", info.Dropped, want)
	}
	if !strings.Contains(info.String(), "Refresh drop_resources: dropped tables opportunity; wiped the state of opportunity") {
		t.Errorf("the load info does not say what was dropped:\n%s", info)
	}
	if qs := queriesOf(e.srv, "Opportunity"); !fullRead(qs) {
		t.Errorf("after drop_resources opportunity's SOQL = %q, want a full read (its cursor reset)", qs)
	}
	e.checkTable("opportunity", "Opportunity", true) // exactly the org: the stray row is gone
	if got := e.count("contact"); got != orgContacts+1 {
		t.Errorf("contact, not selected, holds %d rows, want its %d and the duplicate", got, orgContacts)
	}
	if got := e.tables(); !slices.Equal(got, sorted(all)) {
		t.Errorf("tables after drop_resources: %v, want %v", got, sorted(all))
	}

	// drop_data: rates and its child table are emptied, keeping the schema, and loaded again in
	// full (with its cursor kept, a run without refresh loads none of them).
	if again := e.run(e.refreshSource("rates")); again.RowCount("rates") != 0 {
		t.Fatalf("a run of rates without refresh loaded %d rows; the test needs its cursor to hold them back", again.RowCount("rates"))
	}
	e.duplicateRow("rates")
	e.duplicateRow("rates__tags")
	versions := e.count("_dlt_version")
	p = e.pipeline(sfdlt.Refresh(sfdlt.DropData))
	if info, err = p.Run(ctx, e.refreshSource("rates")); err != nil {
		t.Fatalf("drop_data run: %v\n%v", err, info)
	}
	want = &sfdlt.DropInfo{Mode: sfdlt.DropData, Truncated: []string{"rates", "rates__tags"}, Resources: []string{"rates"}}
	if fmt.Sprint(info.Dropped) != fmt.Sprint(want) || len(info.Dropped.Tables) > 0 {
		t.Errorf("drop_data: LoadInfo.Dropped = %+v, want %+v", info.Dropped, want)
	}
	if got, got2 := e.count("rates"), e.count("rates__tags"); got != 3 || got2 != 6 {
		t.Errorf("after drop_data rates holds %d rows and rates__tags %d, want 3 and 6", got, got2)
	}
	if got := e.count("_dlt_version"); got != versions {
		t.Errorf("drop_data stored a new schema version (%d versions, was %d): it keeps the tables and the schema", got, versions)
	}
	st, err := e.pipeline().State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Cursor(sfdlt.SourceName, "rates", "n"); c == nil || fmt.Sprint(c.LastValue) != "3" {
		t.Errorf("rates' cursor after drop_data = %+v, want last_value 3 (read again from the start)", c)
	}

	// drop_sources: every table the source loaded is dropped and its whole state wiped; only the
	// selected contact is loaded again.
	e.duplicateRow("contact")
	before := e.stateResources()
	p = e.pipeline(sfdlt.Refresh(sfdlt.DropSources))
	if info, err = p.Run(ctx, e.refreshSource("contact")); err != nil {
		t.Fatalf("drop_sources run: %v\n%v", err, info)
	}
	if got := sorted(info.Dropped.Tables); !slices.Equal(got, []string{"contact", "opportunity", "rates", "rates__tags"}) || !info.Dropped.SourceState ||
		!slices.Equal(info.Dropped.Resources, before) {
		t.Errorf("drop_sources: LoadInfo.Dropped = %+v, want the 4 data tables, the source state and the resources %v", info.Dropped, before)
	}
	if got, want := e.tables(), append(slices.Clone(system), "contact"); !slices.Equal(got, want) {
		t.Errorf("tables after drop_sources: %v, want %v", got, want)
	}
	if got := e.count("contact"); got != orgContacts {
		t.Errorf("contact after drop_sources holds %d rows, want the org's %d", got, orgContacts)
	}
	if got := e.stateResources(); !slices.Equal(got, []string{"contact"}) {
		t.Errorf("state resources after drop_sources: %v, want only contact", got)
	}
	if got := e.storedTables(); !slices.Equal(got, []string{"contact"}) {
		t.Errorf("stored schema's tables after drop_sources: %v, want only contact", got)
	}

	// The next run, without refresh, loads opportunity in full: its state is gone.
	e.srv.ResetCalls()
	e.run(e.refreshSource("opportunity"))
	if qs := queriesOf(e.srv, "Opportunity"); !fullRead(qs) {
		t.Errorf("after drop_sources opportunity's SOQL = %q, want a full read", qs)
	}
	e.checkTable("opportunity", "Opportunity", true)
}

// failingDrop is a destination whose loads fail in the middle of a drop: the first table named
// is dropped (or emptied), then the destination fails.
type failingDrop struct{ destination.Destination }

func (f failingDrop) Open(ctx context.Context, dataset, pipeline string) (destination.Session, error) {
	s, err := f.Destination.Open(ctx, dataset, pipeline)
	if err != nil {
		return nil, err
	}
	return failingDropSession{s}, nil
}

type failingDropSession struct{ destination.Session }

func (s failingDropSession) Begin(ctx context.Context) (destination.Load, error) {
	l, err := s.Session.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return failingDropLoad{l}, nil
}

type failingDropLoad struct{ destination.Load }

var errInjected = errors.New("injected destination failure in the middle of a drop")

func (l failingDropLoad) DropTables(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	if err := l.Load.(destination.Dropper).DropTables(ctx, tables[:1]); err != nil {
		return err
	}
	return errInjected
}

func (l failingDropLoad) TruncateTables(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	if err := l.Load.(destination.Dropper).TruncateTables(ctx, tables[:1]); err != nil {
		return err
	}
	return errInjected
}

// snapshot renders the dataset's tables with their row counts, the stored schema's tables, the
// state's resources and the local state file.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, table := range e.tables() {
		fmt.Fprintf(&b, "%s %d\n", table, e.count(table))
	}
	fmt.Fprintf(&b, "schema %v\nstate %v\n", e.storedTables(), e.stateResources())
	local, err := os.ReadFile(filepath.Join(e.dir, "pipelines", "salesforce", "state.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	b.Write(local)
	return b.String()
}

func TestDropIsAtomic(t *testing.T) {
	forEachDestination(t, refreshCounts, testDropIsAtomic)
}

func testDropIsAtomic(t *testing.T, e *env) {
	ctx := context.Background()
	e.run(e.refreshSource("opportunity", "contact", "rates"))
	before := e.snapshot()
	failing := func(opts ...sfdlt.PipelineOption) *sfdlt.Pipeline {
		p, err := sfdlt.NewPipeline("salesforce", failingDrop{e.destination()}, append([]sfdlt.PipelineOption{
			sfdlt.Dataset(e.ds), sfdlt.PipelinesDir(filepath.Join(e.dir, "pipelines"))}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Pipeline.Drop failing after its first table: nothing changed.
	if _, err := failing().Drop(ctx, "rates", "opportunity"); !errors.Is(err, errInjected) {
		t.Fatalf("Drop on a failing destination: %v, want the injected failure", err)
	}
	if got := e.snapshot(); got != before {
		t.Fatalf("a failed Drop changed the dataset or the state:\n got %s\nwant %s", got, before)
	}
	// A refresh failing the same way: the run fails, nothing changed.
	for _, mode := range []sfdlt.RefreshMode{sfdlt.DropSources, sfdlt.DropData} {
		if _, err := failing(sfdlt.Refresh(mode)).Run(ctx, e.refreshSource("rates", "contact")); !errors.Is(err, errInjected) {
			t.Fatalf("a %s run on a failing destination: %v, want the injected failure", mode, err)
		}
		if got := e.snapshot(); got != before {
			t.Fatalf("a failed %s run changed the dataset or the state:\n got %s\nwant %s", mode, got, before)
		}
	}

	// Unknown resources are named, with the ones the pipeline has.
	_, err := e.pipeline().Drop(ctx, "rates", "nothing")
	if err == nil || !strings.Contains(err.Error(), "nothing") || !strings.Contains(err.Error(), "contact, opportunity, rates") {
		t.Errorf("Drop of an unknown resource: %v, want an error naming it and listing contact, opportunity, rates", err)
	}

	// The real drop: rates and its child table go, with their state, locally too.
	d, err := e.pipeline().Drop(ctx, "rates")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(d); got != "drop_resources: dropped tables rates, rates__tags; wiped the state of rates" {
		t.Errorf("Drop returned %q", got)
	}
	if got, want := e.tables(), []string{"_dlt_loads", "_dlt_pipeline_state", "_dlt_version", "contact", "opportunity"}; !slices.Equal(got, want) {
		t.Errorf("tables after Drop: %v, want %v", got, want)
	}
	if got := e.storedTables(); !slices.Equal(got, []string{"contact", "opportunity"}) {
		t.Errorf("stored schema after Drop: %v", got)
	}
	local, err := os.ReadFile(filepath.Join(e.dir, "pipelines", "salesforce", "state.json"))
	if err != nil || strings.Contains(string(local), `"rates"`) || !strings.Contains(string(local), `"opportunity"`) {
		t.Errorf("the local state still holds rates (or lost opportunity): %v\n%s", err, local)
	}
	// The destination's state agrees (the local file removed, it is restored from there).
	if err := os.Remove(filepath.Join(e.dir, "pipelines", "salesforce", "state.json")); err != nil {
		t.Fatal(err)
	}
	if got := e.stateResources(); !slices.Equal(got, []string{"contact", "opportunity"}) {
		t.Errorf("the destination's state after Drop holds %v, want contact and opportunity", got)
	}
}

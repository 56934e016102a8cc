package sfdlt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/postgres"
)

// truthCounts is the org of the dataset-is-the-truth tests: small, read with REST; Event is
// empty.
var truthCounts = map[string]int{"Opportunity": 240, "Account": 90, "Contact": 130, "Event": 0}

// localStateVersion is the version of the pipeline's local state file.
func (e *env) localStateVersion() int64 {
	e.t.Helper()
	st, err := e.pipeline().State(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(e.dir, "pipelines", "salesforce", "state.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.Contains(string(b), fmt.Sprintf(`"_state_version": %d,`, st.Version)) {
		e.t.Fatalf("the local state file is not the destination's state (version %d):\n%.300s", st.Version, b)
	}
	return st.Version
}

// readIncrementally reports whether every query of object the run made was incremental (and
// there was one at least); false means each read the object in full.
func readIncrementally(t *testing.T, e *env, object string) bool {
	t.Helper()
	qs := queriesOf(e.srv, object)
	inc := 0
	for _, q := range qs {
		if strings.Contains(q, "SystemModstamp >= ") {
			inc++
		}
	}
	if len(qs) == 0 || (inc != 0 && inc != len(qs)) {
		t.Fatalf("queries of %s: %q; want all incremental or all full", object, qs)
	}
	return inc > 0
}

// truthNotes are the notes of a run about the state it set aside or the tables it found
// dropped.
func truthNotes(info *sfdlt.LoadInfo) []string {
	var out []string
	for _, n := range info.Notes {
		if strings.Contains(n, "state") || strings.Contains(n, "missing from dataset") {
			out = append(out, n)
		}
	}
	return out
}

// checkFull checks that a run read the resources in full and that each table holds exactly the
// org's records.
func checkFull(t *testing.T, e *env, info *sfdlt.LoadInfo, resources ...string) {
	t.Helper()
	for _, s := range standard {
		if !slices.Contains(resources, s.table) {
			continue
		}
		if want := int64(e.srv.Count(s.object, s.merge)); info.RowCount(s.table) != want {
			t.Errorf("the run wrote %d rows to %s, want all %d records of the org", info.RowCount(s.table), s.table, want)
		}
		if s.merge && readIncrementally(t, e, s.object) {
			t.Errorf("%s was read incrementally: %q", s.object, queriesOf(e.srv, s.object))
		}
		e.checkTable(s.table, s.object, s.merge)
	}
}

// TestDatasetLostAfterARun: after a first run the dataset is lost (the DuckDB file deleted, the
// Postgres schema dropped) while the local state file stays. The next run loads every resource
// in full, says why, and replaces the local state file; the run after it is incremental again.
func TestDatasetLostAfterARun(t *testing.T) {
	for _, kind := range []string{"duckdb", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnvFor(t, kind, truthCounts)
			e.popts = nil // the state versions count runs
			src := e.source().WithResources("opportunity", "contact")
			e.run(src)
			if err := e.srv.Update("Opportunity", e.liveIDs("opportunity", 1), map[string]any{"StageName": "Closed Won"}); err != nil {
				t.Fatal(err)
			}
			e.run(src) // the local file is at version 2 now
			if v := e.localStateVersion(); v != 2 {
				t.Fatalf("local state version %d after two runs, want 2", v)
			}
			if kind == "postgres" {
				if err := postgres.New(e.dsn).DropDataset(context.Background(), e.ds); err != nil {
					t.Fatal(err)
				}
			} else {
				for _, f := range []string{e.file, e.file + ".wal"} {
					if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			}
			e.srv.ResetCalls()
			info := e.run(src)
			want := fmt.Sprintf("the destination holds no state for pipeline salesforce in dataset %s (the local state file had version 2): loading every resource in full", e.ds)
			if notes := truthNotes(info); len(notes) != 1 || notes[0] != want {
				t.Errorf("notes %q, want %q", notes, want)
			}
			if !strings.Contains(info.String(), want) {
				t.Errorf("the load info does not print the note:\n%v", info)
			}
			checkFull(t, e, info, "opportunity", "contact")
			if v := e.localStateVersion(); v != 1 {
				t.Errorf("the local state file has version %d, want 1: the state this run committed", v)
			}

			e.srv.ResetCalls()
			next := e.run(src)
			if !readIncrementally(t, e, "Opportunity") || next.RowCount("opportunity") != 0 || len(truthNotes(next)) != 0 {
				t.Errorf("the run after: %d opportunity rows, notes %q, queries %q; want an incremental read of nothing and no note",
					next.RowCount("opportunity"), next.Notes, queriesOf(e.srv, "Opportunity"))
			}
		})
	}
}

// TestTableDroppedByHand: a table dropped by hand is reloaded in full, with a note naming it,
// while the other merge resource goes on incrementally.
func TestTableDroppedByHand(t *testing.T) {
	for _, tc := range []struct{ table, object string }{
		{"opportunity", "Opportunity"}, // merge, incremental
		{"contact", "Contact"},         // replace
	} {
		t.Run(tc.table, func(t *testing.T) {
			forEachDestination(t, truthCounts, func(t *testing.T, e *env) {
				src := e.source().WithResources("opportunity", "account", "contact")
				e.run(src)
				accounts := e.liveIDs("account", 3)
				if err := e.srv.Update("Account", accounts, map[string]any{"Description": "changed after the first run"}); err != nil {
					t.Fatal(err)
				}
				e.exec(`DROP TABLE {ds}.` + tc.table)
				e.srv.ResetCalls()
				info := e.run(src)

				want := fmt.Sprintf("table %s is missing from dataset %s, though the pipeline state records resource %s (was it dropped by hand?): loading %s in full",
					tc.table, e.ds, tc.table, tc.table)
				if notes := truthNotes(info); len(notes) != 1 || notes[0] != want {
					t.Errorf("notes %q, want %q", notes, want)
				}
				checkFull(t, e, info, tc.table)
				if tc.table != "opportunity" {
					if !readIncrementally(t, e, "Opportunity") || info.RowCount("opportunity") != 0 {
						t.Errorf("opportunity: %d rows, queries %q; want an incremental read of nothing", info.RowCount("opportunity"), queriesOf(e.srv, "Opportunity"))
					}
					e.checkTable("opportunity", "Opportunity", true)
				}
				if !readIncrementally(t, e, "Account") || info.RowCount("account") != 3 {
					t.Errorf("account: %d rows, queries %q; want an incremental read of the 3 changed", info.RowCount("account"), queriesOf(e.srv, "Account"))
				}
				e.checkTable("account", "Account", true)
				if got := e.scalar(`SELECT count(*) FROM {ds}.account WHERE description = 'changed after the first run'`); got != 3 {
					t.Errorf("%d accounts carry the change, want 3", got)
				}

				e.srv.ResetCalls()
				next := e.run(src)
				if len(truthNotes(next)) != 0 || next.RowCount("opportunity") != 0 || !readIncrementally(t, e, "Opportunity") {
					t.Errorf("the run after: notes %q, %d opportunity rows; want an incremental read of nothing and no note", next.Notes, next.RowCount("opportunity"))
				}
			})
		})
	}
}

// TestStateTableLost: the pipeline state is lost in the dataset while its tables stay (the
// _dlt_pipeline_state table dropped, or its rows deleted), or the newest state row is deleted.
// The next run starts from the destination's state (none: every resource in full) and the
// merge tables end exactly equal to the org, with no duplicates.
func TestStateTableLost(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		full      bool   // every resource is read in full
		note      string // the note, with %s for the dataset
	}{
		{"table dropped", `DROP TABLE {ds}._dlt_pipeline_state`, true,
			"the destination holds no state for pipeline salesforce in dataset %s (the local state file had version 2): loading every resource in full"},
		{"rows deleted", `DELETE FROM {ds}._dlt_pipeline_state`, true,
			"the destination holds no state for pipeline salesforce in dataset %s (the local state file had version 2): loading every resource in full"},
		{"newest row deleted", `DELETE FROM {ds}._dlt_pipeline_state WHERE version = 2`, false,
			"the destination's state of pipeline salesforce in dataset %s (version 1) is older than the local state file's (version 2): using the destination's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachDestination(t, truthCounts, func(t *testing.T, e *env) {
				e.popts = nil // the state versions count runs
				src := e.source().WithResources("opportunity", "account", "contact")
				e.run(src)
				ids := e.liveIDs("opportunity", 6)
				if err := e.srv.Update("Opportunity", ids[:2], map[string]any{"StageName": "Closed Won"}); err != nil {
					t.Fatal(err)
				}
				e.run(src) // version 2, with the two changes
				if err := e.srv.Update("Opportunity", ids[2:4], map[string]any{"Description": "changed after the second run"}); err != nil {
					t.Fatal(err)
				}
				if err := e.srv.Delete("Opportunity", ids[4]); err != nil {
					t.Fatal(err)
				}
				if _, err := e.srv.Insert("Opportunity", map[string]any{"Name": "new after the second run", "StageName": "Prospecting", "CloseDate": time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}); err != nil {
					t.Fatal(err)
				}
				e.exec(tc.sql)
				e.srv.ResetCalls()
				info := e.run(src)

				want := fmt.Sprintf(tc.note, e.ds)
				if notes := truthNotes(info); len(notes) != 1 || notes[0] != want {
					t.Errorf("notes %q, want %q", notes, want)
				}
				if tc.full {
					checkFull(t, e, info, "opportunity", "account", "contact")
				} else {
					// From the first run's cursor: the two changes of the second run and the four since.
					if !readIncrementally(t, e, "Opportunity") || info.RowCount("opportunity") != 6 {
						t.Errorf("opportunity: %d rows, queries %q; want an incremental read of the 6 changed since the first run", info.RowCount("opportunity"), queriesOf(e.srv, "Opportunity"))
					}
				}
				for _, s := range standard {
					if s.table == "opportunity" || s.table == "account" || s.table == "contact" {
						e.checkTable(s.table, s.object, s.merge)
					}
				}
				if got := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE is_deleted`); got != 1 {
					t.Errorf("%d opportunities are flagged deleted, want 1", got)
				}
				if got := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE description = 'changed after the second run'`); got != 2 {
					t.Errorf("%d opportunities carry the change, want 2", got)
				}
				if v, want := e.localStateVersion(), map[bool]int64{true: 1, false: 2}[tc.full]; v != want {
					t.Errorf("the local state file has version %d, want %d: the state this run committed", v, want)
				}
			})
		})
	}
}

// TestNothingLostStaysIncremental: with the dataset as the last run left it, the next run is
// incremental, starts from the local state file, and says nothing about the state (an empty
// object's table is no dropped table either).
func TestNothingLostStaysIncremental(t *testing.T) {
	forEachDestination(t, truthCounts, func(t *testing.T, e *env) {
		src := e.source().WithResources("opportunity", "account", "contact", "event")
		e.run(src)
		ids := e.liveIDs("opportunity", 2)
		if err := e.srv.Update("Opportunity", ids, map[string]any{"StageName": "Closed Won"}); err != nil {
			t.Fatal(err)
		}
		in, err := e.pipeline().Inspect(context.Background(), 1)
		if err != nil || in.StateFrom != "local" {
			t.Fatalf("Inspect: state from %q, %v; want the local file, which agrees with the destination", in.StateFrom, err)
		}
		e.srv.ResetCalls()
		info := e.run(src)
		if len(info.Notes) != 0 {
			t.Errorf("notes %q, want none", info.Notes)
		}
		if !readIncrementally(t, e, "Opportunity") || info.RowCount("opportunity") != 2 {
			t.Errorf("opportunity: %d rows, queries %q; want an incremental read of the 2 changed", info.RowCount("opportunity"), queriesOf(e.srv, "Opportunity"))
		}
		if !readIncrementally(t, e, "Account") || info.RowCount("account") != 0 {
			t.Errorf("account: %d rows, queries %q; want an incremental read of nothing", info.RowCount("account"), queriesOf(e.srv, "Account"))
		}
		for _, s := range standard {
			if s.table == "opportunity" || s.table == "account" || s.table == "contact" {
				e.checkTable(s.table, s.object, s.merge)
			}
		}
	})
}

// TestAppendTableKeptWhenTheStateIsLost: with the state lost, an append table that kept its
// rows gets every record again; the run says so, and the table is what dlt's append makes.
func TestAppendTableKeptWhenTheStateIsLost(t *testing.T) {
	forEachDestination(t, nil, func(t *testing.T, e *env) {
		e.popts = nil
		logged := sfdlt.NewResource("logged", records(map[string]any{"id": 1, "at": 10}, map[string]any{"id": 2, "at": 20}, map[string]any{"id": 3, "at": 30}),
			sfdlt.Disposition(sfdlt.Append), sfdlt.Cursor(sfdlt.NewIncremental("at", nil)))
		src := goSource(t, logged)
		if info := e.run(src); info.RowCount("logged") != 3 {
			t.Fatalf("first run wrote %d rows, want 3", info.RowCount("logged"))
		}
		if info := e.run(src); info.RowCount("logged") != 0 || len(info.Notes) != 0 {
			t.Fatalf("second run wrote %d rows with notes %q, want none", info.RowCount("logged"), info.Notes)
		}
		v := e.localStateVersion() // 1, or 2 when the second run's time (last_run) differs
		e.exec(`DELETE FROM {ds}._dlt_pipeline_state`)
		info := e.run(src)
		want := []string{
			fmt.Sprintf("the destination holds no state for pipeline salesforce in dataset %s (the local state file had version %d): loading every resource in full", e.ds, v),
			"table logged (append) kept its rows, but the destination holds no state of resource logged: this full load appends every record again; drop the table and run again to hold each record once",
		}
		if !slices.Equal(info.Notes, want) {
			t.Errorf("notes %q, want %q", info.Notes, want)
		}
		if info.RowCount("logged") != 3 || e.scalar(`SELECT count(*) FROM {ds}.logged`) != 6 {
			t.Errorf("the run wrote %d rows, the table holds %d; want 3 appended to the 3 kept", info.RowCount("logged"), e.scalar(`SELECT count(*) FROM {ds}.logged`))
		}
	})
}

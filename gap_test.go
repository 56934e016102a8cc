package sfdlt_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt"
)

// ageLastRun makes the local state say the resource's last run was days ago, as if the
// pipeline had not run since.
func ageLastRun(t *testing.T, e *env, resource string, days int) {
	t.Helper()
	path := filepath.Join(e.dir, "pipelines", "salesforce", "state.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st sfdlt.PipelineState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	st.Sources["salesforce"].Resources[resource].LastRun = time.Now().Add(-time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)
	b, _ = json.Marshal(&st)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// After a gap longer than the recycle bin keeps deleted records, deletions queryAll no longer
// shows are taken from the deleted endpoint; where even that cannot cover the gap, the resource
// is reloaded in full, and the run says so.
func TestLongGapDeletions(t *testing.T) {
	for _, tc := range []struct {
		name       string
		hard       bool
		forgetLog  bool
		wantReload bool
	}{
		{"soft deletes, listed", false, false, false},
		{"hard deletes, listed", true, false, false},
		{"not listed any more: reload", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachDestination(t, nil, func(t *testing.T, e *env) {
				src := e.source(sfdlt.HardDeletes(tc.hard)).WithResources("opportunity")
				e.run(src)
				ids := opportunityIDs(t, e, 3)
				if err := e.srv.Delete("Opportunity", ids[0], ids[1]); err != nil {
					t.Fatal(err)
				}
				e.srv.Advance(20 * 24 * time.Hour)
				// 20 days on, the recycle bin is empty: queryAll no longer returns the two.
				if err := e.srv.EmptyRecycleBin("Opportunity", e.srv.Now(), tc.forgetLog); err != nil {
					t.Fatal(err)
				}
				ageLastRun(t, e, "opportunity", 20)
				info := e.run(src)
				notes := strings.Join(info.Notes, " ")
				if tc.wantReload != strings.Contains(notes, "reloaded in full") {
					t.Fatalf("notes %q: want reload %v", notes, tc.wantReload)
				}
				left := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id IN ($1, $2)`, ids[0], ids[1])
				flagged := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id IN ($1, $2) AND is_deleted AND name IS NOT NULL`, ids[0], ids[1])
				switch {
				case tc.hard || tc.wantReload:
					if left != 0 {
						t.Fatalf("%d rows of records deleted in the gap are left", left)
					}
				default:
					if flagged != 2 {
						t.Fatalf("%d of the 2 deleted records are kept with is_deleted = true and their values", flagged)
					}
				}
				if n := e.scalar(`SELECT count(*) FROM {ds}.opportunity WHERE id = $1 AND NOT is_deleted`, ids[2]); n != 1 {
					t.Fatal("a live record was lost")
				}
				// The next run is an ordinary incremental one again.
				next, err := e.pipeline().Run(context.Background(), src)
				if err != nil || next.RowCount("opportunity") != 0 || len(next.Notes) != 0 {
					t.Fatalf("the run after the gap: %v, %d rows, notes %v", err, next.RowCount("opportunity"), next.Notes)
				}
			})
		})
	}
}

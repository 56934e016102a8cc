package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
)

func TestStateRoundTrip(t *testing.T) {
	st := &Pipeline{Version: 3, EngineVersion: EngineVersion, PipelineName: "p", DatasetName: "d"}
	st.SetCursor("salesforce", "opportunity", "SystemModstamp", &Incremental{LastValue: "2024-01-02T03:04:05.000+0000", UniqueHashes: []string{"x"}})
	enc, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	got := back.Cursor("salesforce", "opportunity", "SystemModstamp")
	if got == nil || got.LastValue != "2024-01-02T03:04:05.000+0000" || back.Version != 3 {
		t.Fatalf("round trip lost the cursor: %+v", back)
	}
	if _, err := Decode("not base64!"); err == nil {
		t.Fatal("garbage state must be an error")
	}
	h1, _ := st.ContentHash()
	st.Version = 9
	h2, _ := st.ContentHash()
	if h1 != h2 {
		t.Fatal("the content hash must not depend on the version")
	}
}

func TestBulkToken(t *testing.T) {
	p := BulkPosition{Job: "750xx0000000001AAA", Locator: "MTAwMDA", Rows: 10000}
	got, ok := ParseBulkToken(p.Token())
	if !ok || got != p {
		t.Fatalf("ParseBulkToken(Token()) = %+v, %v; want %+v", got, ok, p)
	}
	for _, tok := range []string{"", "bulk:", "bulk:!!", "other:" + p.Token(), BulkPosition{Locator: "x"}.Token()} {
		if _, ok := ParseBulkToken(tok); ok {
			t.Errorf("ParseBulkToken(%q) = ok, want not a Bulk position", tok)
		}
	}
}

func TestResumeReadsTheFormBeforeTokens(t *testing.T) {
	var st Pipeline
	old := `{"sources":{"salesforce":{"resources":{"task":{"resume":{"replace":true,"load_ids":["1.1"],"bulk_job":"750J","bulk_locator":"LOC","bulk_rows":42}}}}}}`
	if err := unmarshalState([]byte(old), &st); err != nil {
		t.Fatal(err)
	}
	rp := st.Sources["salesforce"].Resources["task"].Resume
	p, ok := ParseBulkToken(rp.Token)
	if !rp.Replace || len(rp.LoadIDs) != 1 || !ok || p != (BulkPosition{Job: "750J", Locator: "LOC", Rows: 42}) {
		t.Fatalf("resume = %+v (bulk %+v, %v)", rp, p, ok)
	}
	b, err := json.Marshal(rp)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "bulk_") {
		t.Fatalf("a resume point is written with its token only, got %s", b)
	}
}

// stored is a destination's state for Restore: row, or ErrNotFound when nil.
type stored struct{ row *destination.StateRow }

func (s stored) PipelineState(context.Context, string) (*destination.StateRow, error) {
	if s.row == nil {
		return nil, fmt.Errorf("state of pipeline: %w", destination.ErrNotFound)
	}
	return s.row, nil
}

// TestRestoreTheDatasetIsTheTruth checks which state a run starts from for each pair of a local
// state file and a destination's state, and what it says when it sets the local file aside.
func TestRestoreTheDatasetIsTheTruth(t *testing.T) {
	mk := func(version int64, dataset, last string) *Pipeline {
		st := &Pipeline{Version: version, EngineVersion: EngineVersion, PipelineName: "p", DatasetName: dataset}
		st.SetCursor("salesforce", "opportunity", "SystemModstamp", &Incremental{LastValue: last})
		st.Resource("salesforce", "task").Resume = &Resume{Token: BulkPosition{Job: "750J", Locator: "L"}.Token()}
		h, err := st.ContentHash()
		if err != nil {
			t.Fatal(err)
		}
		st.VersionHash = h
		return st
	}
	row := func(st *Pipeline) *destination.StateRow {
		enc, err := Encode(st)
		if err != nil {
			t.Fatal(err)
		}
		return &destination.StateRow{Version: st.Version, PipelineName: "p", State: enc}
	}
	for _, tc := range []struct {
		name         string
		local        *Pipeline
		remote       *Pipeline
		from, last   string // the state in force and its cursor ("" for a new state)
		setAside     string // what the note must say; "" for none
		localVersion int64
	}{
		{name: "first run", from: "new"},
		{name: "no state in the destination", local: mk(7, "d", "L7"), from: "new",
			setAside: "the destination holds no state for pipeline p in dataset d (the local state file had version 7): loading every resource in full", localVersion: 7},
		{name: "no local file", remote: mk(3, "d", "R3"), from: "destination", last: "R3"},
		{name: "the destination is newer", local: mk(2, "d", "L2"), remote: mk(3, "d", "R3"), from: "destination", last: "R3", localVersion: 2},
		{name: "both agree", local: mk(3, "d", "X"), remote: mk(3, "d", "X"), from: "local", last: "X", localVersion: 3},
		{name: "the destination is older", local: mk(5, "d", "L5"), remote: mk(3, "d", "R3"), from: "destination", last: "R3",
			setAside: "the destination's state of pipeline p in dataset d (version 3) is older than the local state file's (version 5): using the destination's", localVersion: 5},
		{name: "same version, other contents", local: mk(3, "d", "L3"), remote: mk(3, "d", "R3"), from: "destination", last: "R3",
			setAside: "the destination's state of pipeline p in dataset d (version 3) is not the local state file's of the same version: using the destination's", localVersion: 3},
		{name: "local file of another dataset", local: mk(9, "other", "O9"), from: "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.local != nil {
				if err := WriteLocal(dir, tc.local); err != nil {
					t.Fatal(err)
				}
			}
			var s stored
			if tc.remote != nil {
				s.row = row(tc.remote)
			}
			r, err := Restore(t.Context(), s, dir, "p", "d")
			if err != nil {
				t.Fatal(err)
			}
			if r.From != tc.from || r.SetAside != tc.setAside || r.LocalVersion != tc.localVersion {
				t.Errorf("Restore = from %q, set aside %q, local version %d; want %q, %q, %d", r.From, r.SetAside, r.LocalVersion, tc.from, tc.setAside, tc.localVersion)
			}
			var last any
			if c := r.State.Cursor("salesforce", "opportunity", "SystemModstamp"); c != nil {
				last = c.LastValue
			}
			if tc.last == "" {
				if last != nil || r.State.Version != 0 || len(r.State.Sources) != 0 || r.State.PipelineName != "p" || r.State.DatasetName != "d" {
					t.Errorf("want a new state of p in d, got %+v", r.State)
				}
			} else if last != tc.last {
				t.Errorf("the state in force has last_value %v, want %s", last, tc.last)
			}
		})
	}
}

func TestReset(t *testing.T) {
	st := &Pipeline{}
	st.SetCursor("salesforce", "opportunity", "SystemModstamp", &Incremental{LastValue: "x"})
	rows := int64(12)
	st.Resource("salesforce", "contact").FullReadRows = &rows
	if !st.Reset("salesforce", "opportunity") || st.Cursor("salesforce", "opportunity", "SystemModstamp") != nil {
		t.Fatal("Reset left the cursor")
	}
	if st.Reset("salesforce", "opportunity") || st.Reset("other", "contact") || (*Pipeline)(nil).Reset("salesforce", "contact") {
		t.Error("Reset of a resource with no state must report false")
	}
	if st.Sources["salesforce"].Resources["contact"].FullReadRows != &rows {
		t.Error("Reset touched another resource")
	}
}

package extract

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/internal/state"
)

func TestIncrementalClosedStartDedupsBoundary(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Second)

	// First run: everything is new; the max is t1, shared by b and c.
	inc := newCursor(&Cursor{Path: "SystemModstamp", Initial: nil})
	for _, rec := range []struct {
		v    time.Time
		h    string
		want bool
	}{{t0, "a", true}, {t1, "b", true}, {t1, "c", true}} {
		got, err := inc.Keep(rec.v, rec.h)
		if err != nil || got != rec.want {
			t.Fatalf("first run keep(%v,%s) = %v, %v; want %v", rec.v, rec.h, got, err, rec.want)
		}
	}
	st := inc.state()
	if st.LastValue != "2024-01-02T03:04:06.000+0000" {
		t.Fatalf("last_value = %v, want Salesforce's datetime form", st.LastValue)
	}
	if !reflect.DeepEqual(st.UniqueHashes, hashes("b", "c")) {
		t.Fatalf("unique_hashes = %v, want [b c]", st.UniqueHashes)
	}

	// The state goes through JSON as it would through the destination.
	b, _ := json.Marshal(st)
	var back state.Incremental
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}

	// Second run: the query starts at t1 (closed): b and c come again and are dropped, d shares
	// t1 and is new, e is later.
	inc2 := newCursor(&Cursor{Path: "SystemModstamp", Initial: nil})
	inc2.restore(&back)
	if got, _ := asTime(inc2.LastValue()); !got.Equal(t1) {
		t.Fatalf("LastValue = %v, want %v", inc2.LastValue(), t1)
	}
	t2 := t1.Add(time.Minute)
	for _, rec := range []struct {
		v    time.Time
		h    string
		want bool
	}{{t1, "b", false}, {t1, "c", false}, {t1, "d", true}, {t2, "e", true}, {t0, "old", false}} {
		got, err := inc2.Keep(rec.v, rec.h)
		if err != nil || got != rec.want {
			t.Fatalf("second run keep(%v,%s) = %v, %v; want %v", rec.v, rec.h, got, err, rec.want)
		}
	}
	st2 := inc2.state()
	if st2.LastValue != "2024-01-02T03:05:06.000+0000" || !reflect.DeepEqual(st2.UniqueHashes, hashes("e")) {
		t.Fatalf("state after second run = %+v", st2)
	}

	// A run that only sees more records at the same boundary keeps the union of hashes.
	inc3 := newCursor(&Cursor{Path: "SystemModstamp", Initial: nil})
	inc3.restore(&back)
	if ok, _ := inc3.Keep(t1, "d"); !ok {
		t.Fatal("d should be new")
	}
	if st3 := inc3.state(); !reflect.DeepEqual(st3.UniqueHashes, hashes("b", "c", "d")) {
		t.Fatalf("boundary hashes = %v, want [b c d]", st3.UniqueHashes)
	}

	// A run that sees nothing keeps the state as it was.
	inc4 := newCursor(&Cursor{Path: "SystemModstamp", Initial: nil})
	inc4.restore(&back)
	if st4 := inc4.state(); st4.LastValue != back.LastValue || !reflect.DeepEqual(st4.UniqueHashes, back.UniqueHashes) {
		t.Fatalf("state of an empty run = %+v, want %+v", st4, back)
	}
}

func TestIncrementalNullCursorIsAnError(t *testing.T) {
	inc := newCursor(&Cursor{Path: "updated_at", Initial: nil})
	if _, err := inc.Keep(nil, "x"); err == nil {
		t.Fatal("a record without its cursor value must be an error, not silently dropped")
	}
}

func TestCompareCursor(t *testing.T) {
	cases := []struct {
		a, b any
		want int
	}{
		{"2024-01-02T03:04:05.000+0000", "2024-01-02T03:04:05Z", 0},
		{"2024-01-02T03:04:05.000+0000", time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC), -1},
		{int64(5), json.Number("4.5"), 1},
		{3, 3.0, 0},
		{"b", "a", 1},
	}
	for _, c := range cases {
		got, err := compareCursor(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("compareCursor(%v, %v) = %d, %v; want %d", c.a, c.b, got, err, c.want)
		}
	}
	if _, err := compareCursor(true, 1); err == nil {
		t.Error("comparing a bool with a number should fail")
	}
}

// hashes is the sorted hashes of keys, as the state keeps them.
func hashes(keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = normalize.KeyHash(k)
	}
	slices.Sort(out)
	return out
}

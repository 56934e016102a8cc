package extract

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/internal/state"
)

// cursor is an incremental resource's cursor during one run, as dlt.sources.incremental: the run
// loads only records whose cursor is at or after the largest cursor value of the runs before.
//
// The start of the range is closed (>=), never strict: records sharing the last cursor value
// are read again and dropped when their key is among the hashes kept for that value, so records
// that share a timestamp across runs are neither lost nor duplicated.
type cursor struct {
	// CursorPath is the field holding the cursor, as the source names it ("SystemModstamp").
	CursorPath string
	// InitialValue is where the first run starts (nil: from the beginning).
	InitialValue any

	lastValue    any                 // from the state: the largest value loaded so far
	uniqueHashes map[string]struct{} // keys of the records loaded at lastValue

	// lookback re-reads that much before the last value (time cursors); fullRead ignores the
	// last value for this run (a periodic full read). Both are set by the run.
	lookback time.Duration
	fullRead bool

	// this run: the largest value seen and the keys of the records at it (hashed at the end:
	// hashing every record was a visible cost, profiled)
	maxValue any
	maxKeys  map[string]struct{}
}

func newCursor(c *Cursor) *cursor {
	return &cursor{CursorPath: c.Path, InitialValue: c.Initial}
}

// rangeStart is where this run reads from: the last value, less the lookback for a datetime
// cursor; nil for a full read.
func (i *cursor) rangeStart() any {
	if i.fullRead {
		return nil
	}
	start := i.LastValue()
	if i.lookback > 0 && start != nil {
		if t, ok := asTime(start); ok {
			return t.Add(-i.lookback)
		}
	}
	return start
}

// LastValue is the value this run's range starts at: the largest cursor value of the runs
// before, or the initial value on the first run.
func (i *cursor) LastValue() any {
	if i.lastValue != nil {
		return i.lastValue
	}
	return i.InitialValue
}

// restore loads the cursor's state from the pipeline state.
func (i *cursor) restore(st *state.Incremental) {
	if st == nil {
		return
	}
	i.lastValue = restoredCursor(st.LastValue)
	i.uniqueHashes = make(map[string]struct{}, len(st.UniqueHashes))
	for _, h := range st.UniqueHashes {
		i.uniqueHashes[h] = struct{}{}
	}
}

// Keep decides whether a record with cursor value v and key belongs to this run, and tracks the
// run's largest value. It returns an error when v cannot be compared.
func (i *cursor) Keep(v any, key string) (bool, error) {
	if v == nil {
		return false, fmt.Errorf("cursor field %q is missing or null: every record of an incremental resource needs it", i.CursorPath)
	}
	if start := i.rangeStart(); start != nil {
		c, err := compareCursor(v, start)
		if err != nil {
			return false, err
		}
		if c < 0 {
			return false, nil
		}
		// With a lookback the records at the boundary are re-read on purpose: merging them
		// again changes nothing.
		if c == 0 && i.lastValue != nil && i.lookback == 0 {
			if _, seen := i.uniqueHashes[normalize.KeyHash(key)]; seen {
				return false, nil
			}
		}
	}
	if i.maxValue == nil {
		i.maxValue, i.maxKeys = v, map[string]struct{}{key: {}}
		return true, nil
	}
	c, err := compareCursor(v, i.maxValue)
	if err != nil {
		return false, err
	}
	switch {
	case c > 0:
		i.maxValue = v
		clear(i.maxKeys)
		i.maxKeys[key] = struct{}{}
	case c == 0:
		i.maxKeys[key] = struct{}{}
	}
	return true, nil
}

// state is the cursor's state after this run.
func (i *cursor) state() *state.Incremental {
	st := &state.Incremental{InitialValue: cursorJSON(i.InitialValue), LastValue: cursorJSON(i.lastValue)}
	hashes := i.uniqueHashes
	if i.maxValue != nil {
		c, err := compareCursor(i.maxValue, i.lastValue)
		switch {
		case i.lastValue == nil || err != nil || c > 0:
			st.LastValue, hashes = cursorJSON(i.maxValue), map[string]struct{}{}
			for k := range i.maxKeys {
				hashes[normalize.KeyHash(k)] = struct{}{}
			}
		case c == 0:
			hashes = maps.Clone(i.uniqueHashes)
			if hashes == nil {
				hashes = map[string]struct{}{}
			}
			for k := range i.maxKeys {
				hashes[normalize.KeyHash(k)] = struct{}{}
			}
		}
	}
	st.UniqueHashes = slices.Sorted(maps.Keys(hashes))
	if st.UniqueHashes == nil {
		st.UniqueHashes = []string{}
	}
	return st
}

// restoredCursor turns a datetime cursor that cursorJSON wrote back into a time.Time, so a
// resource reading LastValue gets the type it yielded.
func restoredCursor(v any) any {
	if s, ok := v.(string); ok {
		if t, err := time.Parse(cursorTimeLayout, s); err == nil {
			return t.UTC()
		}
	}
	return v
}

const cursorTimeLayout = "2006-01-02T15:04:05.000-0700"

// cursorJSON is how a cursor value is written into the state: datetimes in Salesforce's own
// format (what the Python source stores), everything else as it is.
func cursorJSON(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(cursorTimeLayout)
	}
	return v
}

// compareCursor orders two cursor values. Datetimes compare as instants whatever their text
// form (values read back from the state are strings); numbers compare exactly.
func compareCursor(a, b any) (int, error) {
	if ta, ok := asTime(a); ok {
		if tb, ok := asTime(b); ok {
			return ta.Compare(tb), nil
		}
	}
	if ra, ok := asRat(a); ok {
		if rb, ok := asRat(b); ok {
			return ra.Cmp(rb), nil
		}
	}
	sa, oka := a.(string)
	sb, okb := b.(string)
	if oka && okb {
		return strings.Compare(sa, sb), nil
	}
	return 0, fmt.Errorf("cannot compare cursor values %v (%T) and %v (%T): keep one type in the cursor field", a, a, b, b)
}

func asTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		t, err := client.ParseDateTime(x)
		if err == nil {
			return t, true
		}
		if t, err := client.ParseDate(x); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func asRat(v any) (*big.Rat, bool) {
	r := new(big.Rat)
	switch x := v.(type) {
	case int:
		return r.SetInt64(int64(x)), true
	case int64:
		return r.SetInt64(x), true
	case int32:
		return r.SetInt64(int64(x)), true
	case float64:
		if r.SetFloat64(x) == nil {
			return nil, false
		}
		return r, true
	case json.Number:
		_, ok := r.SetString(string(x))
		return r, ok
	}
	return nil, false
}

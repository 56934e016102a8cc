package sfdlt

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/sfdlt/sfdlt/client"
)

// Salesforce keeps at most 10 open REST query cursors per user (shared with the user's other
// integrations) and releases the oldest when an 11th opens; a cursor also expires after 15
// minutes unused. A run therefore holds at most MaxQueryCursors of them (the cursor budget), and
// every REST read is ordered by a key ending in Id, so a read whose cursor is lost anyway
// (released by another integration, expired while a slow destination kept it idle, refused after
// a re-login) queries again from just after the last record it handed on: no duplicate, no gap.

// DefaultMaxQueryCursors is how many REST query cursors a run holds open at once unless
// MaxQueryCursors says otherwise: below Salesforce's 10 per user, leaving two for the user's
// other integrations.
const DefaultMaxQueryCursors = 8

// MaxQueryCursors sets how many REST query cursors a run holds open at once (1 to 9; default
// DefaultMaxQueryCursors). Salesforce allows a user 10, shared by every integration logged in as
// that user; resources beyond the budget wait for a slot. A wide object read in parts holds two.
func MaxQueryCursors(n int) SourceOption { return func(s *Source) { s.maxCursors = n } }

// salesforceCursorLimit is Salesforce's limit of open query cursors per user.
const salesforceCursorLimit = 10

// maxLostInARow bounds how often a read goes on after a lost cursor without reading a record in
// between: a cursor lost again and again before its first page is a fault, not competition.
const maxLostInARow = 3

// cursorBudget bounds the REST query cursors a run holds open at once. Slots are granted in the
// order they were asked for, and a read asks for all it needs at once (a wide read two), so
// reads never hold part of what they need while waiting for the rest.
type cursorBudget struct {
	mu      sync.Mutex
	limit   int
	held    int
	waiting []*cursorWaiter
	queued  func() // called (locked) when a read starts to wait; for tests
}

type cursorWaiter struct {
	n     int
	ready chan struct{}
}

func newCursorBudget(limit int) *cursorBudget {
	if limit < 1 {
		limit = DefaultMaxQueryCursors
	}
	return &cursorBudget{limit: limit}
}

// acquire waits for n slots (at most the whole budget) and returns how many it took.
func (b *cursorBudget) acquire(ctx context.Context, n int) (int, error) {
	b.mu.Lock()
	n = max(1, min(n, b.limit))
	if len(b.waiting) == 0 && b.held+n <= b.limit {
		b.held += n
		b.mu.Unlock()
		return n, nil
	}
	w := &cursorWaiter{n: n, ready: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	if b.queued != nil {
		b.queued()
	}
	b.mu.Unlock()
	select {
	case <-w.ready:
		return n, nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case <-w.ready: // granted as the context ended: give the slots back
			b.held -= n
		default:
			for i, o := range b.waiting {
				if o == w {
					b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
					break
				}
			}
		}
		b.grantLocked()
		return 0, ctx.Err()
	}
}

// release gives back n slots.
func (b *cursorBudget) release(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= n
	b.grantLocked()
}

func (b *cursorBudget) grantLocked() {
	for len(b.waiting) > 0 && b.held+b.waiting[0].n <= b.limit {
		w := b.waiting[0]
		b.waiting = b.waiting[1:]
		b.held += w.n
		close(w.ready)
	}
}

// keyCond returns the SOQL condition selecting the records whose key (the values of the order
// fields, in order) compares to key as op says: ">" after it, ">=" from it, "<=" up to it.
// SOQL has no row comparison, so (a, b) > (x, y) is written out: a > x OR (a = x AND b > y).
func keyCond(order []string, key []any, op string) (string, error) {
	if len(order) == 0 || len(order) != len(key) {
		return "", fmt.Errorf("no key to go on from (order %v, key %v)", order, key)
	}
	lits := make([]string, len(key))
	for i, v := range key {
		switch v := v.(type) {
		case string:
			if !validID(v) {
				return "", fmt.Errorf("%s %q is not a Salesforce Id", order[i], v)
			}
			lits[i] = "'" + v + "'" // letters and digits only (validID)
		case time.Time:
			lits[i] = client.FormatDateTime(v)
		default:
			return "", fmt.Errorf("%s is %v, which cannot be a key to go on from (it must be an Id or a datetime, and not null)", order[i], v)
		}
	}
	strict := strings.TrimSuffix(op, "=") // the comparison of all fields but the last
	last := len(order) - 1
	c := order[last] + " " + op + " " + lits[last]
	for i := last - 1; i >= 0; i-- {
		c = "(" + order[i] + " " + strict + " " + lits[i] + " OR (" + order[i] + " = " + lits[i] + " AND " + c + "))"
	}
	if last > 0 {
		// The same bound on the first field alone, which Salesforce's query optimizer can use
		// (an index on SystemModstamp), where it cannot see through the OR.
		c = order[0] + " " + strict + "= " + lits[0] + " AND " + c
	}
	return c, nil
}

// keyed is a REST read ordered by a key: how to find the key of a decoded row.
type keyed struct {
	order []string // the key's fields (the query's ORDER BY)
	cols  []int    // their columns in a row
}

// keyedOf finds the columns of q's order fields among the object's selected fields.
func (o *objectRun) keyedOf(q query) (keyed, error) {
	k := keyed{order: q.order, cols: make([]int, len(q.order))}
	for i, name := range q.order {
		k.cols[i] = -1
		for j, f := range o.fields {
			if strings.EqualFold(f.name, name) {
				k.cols[i] = o.cols[j]
			}
		}
		if k.cols[i] < 0 {
			return keyed{}, fmt.Errorf("querying %s: the read is ordered by %s, which is not selected", o.object, name)
		}
	}
	return k, nil
}

// of returns the key of a decoded row.
func (k keyed) of(row []any) []any {
	key := make([]any, len(k.cols))
	for i, c := range k.cols {
		key[i] = row[c]
	}
	return key
}

// pageFunc handles one page of a keyed read and returns the key of the last record it handed
// on (nil when the page had none). recovered says the page belongs to a query that went on after
// a lost cursor.
type pageFunc func(page *client.Page, recovered bool) ([]any, error)

// readKeyed runs q, ordered by its key, and hands its pages to handle. When Salesforce answers
// INVALID_QUERY_LOCATOR to a nextRecordsUrl (the cursor was released or expired), it queries
// again for the records after the last one handed on, with the same conditions and order (and
// what is left of a LIMIT). A timeout of the first page is returned as errTimedOut.
func (r *run) readKeyed(ctx context.Context, o *objectRun, q query, ahead bool, handle pageFunc) error {
	if len(q.order) == 0 {
		return fmt.Errorf("querying %s: internal error: a REST read without a key order cannot survive a lost cursor", o.object)
	}
	cur, recovered, inARow := q, false, 0
	read := 0      // records handed on, for what is left of a LIMIT
	var last []any // the key of the last record handed on
	for {
		var pages iter.Seq2[*client.Page, error]
		if o.queryAll {
			pages = r.sf.QueryAll(ctx, cur.soql())
		} else {
			pages = r.sf.Query(ctx, cur.soql())
		}
		if ahead {
			pages = prefetch(ctx, pages)
		}
		first, lost := true, false
		for page, err := range pages {
			if err != nil {
				switch {
				case first && !recovered && errors.Is(err, client.ErrQueryTimeout):
					return errTimedOut
				case !first && errors.Is(err, client.ErrInvalidQueryLocator):
					lost = true
				default:
					return fmt.Errorf("querying %s: %w", o.object, err)
				}
				break
			}
			first = false
			key, err := handle(page, recovered)
			if err != nil {
				return err
			}
			read += len(page.Records)
			if key != nil {
				last, inARow = key, 0
			}
		}
		if !lost {
			return nil
		}
		if inARow++; inARow > maxLostInARow {
			return fmt.Errorf("querying %s: Salesforce released the query cursor %d times in a row before a record could be read (another integration of the same user opening many cursors?): %w", o.object, inARow, client.ErrInvalidQueryLocator)
		}
		o.lostCursors++
		r.lostCursors.Add(1)
		r.p.logger.Warn("salesforce released a query cursor; querying again after the last record read", "resource", o.res.name, "object", o.object)
		next := q
		if last != nil {
			cond, err := keyCond(q.order, last, ">")
			if err != nil {
				return fmt.Errorf("querying %s: going on after a lost query cursor: %w", o.object, err)
			}
			next.conds = append(append([]string(nil), q.conds...), cond)
		}
		if q.limit > 0 {
			if read >= q.limit {
				return nil
			}
			next.limit = q.limit - read
		}
		cur, recovered = next, true
	}
}

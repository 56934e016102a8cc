package extract

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
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

// maxLostInARow bounds how often a read goes on after a lost cursor without reading a record in
// between: a cursor lost again and again before its first page is a fault, not competition.
const maxLostInARow = 3

// cursorBudget bounds the REST query cursors a run holds open at once. A read asks for all the
// slots it needs at once (a wide read two), so reads never hold part of what they need while
// waiting for the rest. Reads are ranked, the likely largest resources first (see rankObjects):
// slots go to waiting reads in rank order, and at the start of a run a resource's first read
// keeps a slot for each resource ranked before it that has not asked yet, so the largest
// resources, which decide how long a run takes, never queue behind small ones that were
// described a moment sooner.
type cursorBudget struct {
	mu      sync.Mutex
	limit   int
	held    int
	pending map[int]bool // ranks whose first read has not asked for a slot yet
	waiting []*cursorWaiter
	queued  func() // called (locked) when a read starts to wait; for tests
}

type cursorWaiter struct {
	rank  int
	n     int
	ready chan struct{}
}

func newCursorBudget(limit int) *cursorBudget {
	if limit < 1 {
		limit = 1 // the root package validates the setting; one cursor is never too many
	}
	return &cursorBudget{limit: limit, pending: map[int]bool{}}
}

// expect registers the ranks of the resources that will read: each keeps a slot from lower
// ranked reads until its first read asks (or settle says it never will).
func (b *cursorBudget) expect(ranks ...int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range ranks {
		b.pending[r] = true
	}
}

// settle says the resource of a rank will ask for no (more) first slot.
func (b *cursorBudget) settle(rank int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending[rank] {
		delete(b.pending, rank)
		b.grantLocked()
	}
}

// ahead counts the pending ranks before rank.
func (b *cursorBudget) ahead(rank int) int {
	n := 0
	for r := range b.pending {
		if r < rank {
			n++
		}
	}
	return n
}

// acquire waits for n slots (at most the whole budget) for a read of the given rank and returns
// how many it took.
func (b *cursorBudget) acquire(ctx context.Context, rank, n int) (int, error) {
	b.mu.Lock()
	n = max(1, min(n, b.limit))
	delete(b.pending, rank)
	w := &cursorWaiter{rank: rank, n: n, ready: make(chan struct{})}
	i := len(b.waiting)
	for i > 0 && b.waiting[i-1].rank > rank {
		i--
	}
	b.waiting = slices.Insert(b.waiting, i, w)
	b.grantLocked()
	select {
	case <-w.ready:
		b.mu.Unlock()
		return n, nil
	default:
	}
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
			if i := slices.Index(b.waiting, w); i >= 0 {
				b.waiting = slices.Delete(b.waiting, i, i+1)
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

// grantLocked grants waiting reads in rank order while their slots are free, keeping one for
// each pending resource ranked before them (never all of them: the first waiter always fits once
// enough slots are free).
func (b *cursorBudget) grantLocked() {
	for len(b.waiting) > 0 {
		w := b.waiting[0]
		if b.held+w.n+min(b.ahead(w.rank), b.limit-w.n) > b.limit {
			return
		}
		b.waiting = b.waiting[1:]
		b.held += w.n
		close(w.ready)
	}
}

// objectRank orders Salesforce objects by how large they usually are in an org (activities and
// line items first, reference data last; other objects, custom ones among them, in between), so
// the reads that decide a run's length start first.
func objectRank(object string) int {
	switch object {
	case "Task", "Event", "EmailMessage":
		return 0
	case "OpportunityLineItem", "CampaignMember", "Case", "OpportunityHistory":
		return 1
	case "Contact", "Lead", "Opportunity", "Account", "OpportunityContactRole":
		return 3
	case "PricebookEntry", "Product2", "Campaign", "User", "UserRole", "Pricebook2":
		return 4
	}
	return 2
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
// what is left of a LIMIT). A timeout of the first page is returned as errTimedOut. With ahead,
// the next page is fetched while handle works on the current one; with probe too, only from the
// second page on: the first decides whether the read goes on (see restPages.bulkFrom), and a page
// fetched ahead of a read that stops there would cost a page's time and leave a cursor open.
func (r *Extractor) readKeyed(ctx context.Context, o *objectRun, q query, ahead, probe bool, handle pageFunc) error {
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
			pages = prefetch(ctx, pages, probe && !recovered)
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
		r.cfg.Logger.Warn("salesforce released a query cursor; querying again after the last record read", "resource", o.res.name, "object", o.object)
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

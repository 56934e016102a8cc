package salesforcetest

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
	"github.com/sfdlt/sfdlt/salesforcetest/internal/soql"
)

// markEvery is how many matching rows lie between two seek marks of a rowSource: serving any
// page costs at most this many extra rows generated, and a million-row result keeps about 2,000
// marks (a few dozen bytes each).
const markEvery = 512

// rowSource is a query's result counted up front and readable from any row offset, without
// holding the rows: the counting pass leaves a mark (the cursor position) every markEvery rows,
// and a page is read by seeking a fresh cursor to the mark before it. Bulk result locators and
// the page cache's single-pass rendering are built on it. Only queries whose ORDER BY is not the
// cursor order keep their rows (sorted), as a real org must too.
type rowSource struct {
	q        *soql.Query
	obj      *org.Object
	all      bool
	since    time.Time
	hasStamp bool
	total    int
	marks    []pageKey     // marks[k]: the position after row (k+1)*markEvery-1
	sorted   []*org.Record // non-nil when ORDER BY needs the rows collected and sorted
}

// newRowSource counts the rows of a checked query. It stops with ctx's error when ctx ends (an
// aborted job, a closed server).
func newRowSource(ctx context.Context, o *org.Org, q *soql.Query, obj *org.Object, all bool) (*rowSource, error) {
	return scanRowSource(ctx, o, q, obj, all, nil)
}

// scanRowSource counts the rows of a checked query in one pass over the cursor and, when fn is
// not nil, hands it every row of the result in order as it goes (to render all pages in the same
// pass). OFFSET rows are skipped and LIMIT honoured.
func scanRowSource(ctx context.Context, o *org.Org, q *soql.Query, obj *org.Object, all bool, fn func(r *org.Record) error) (*rowSource, error) {
	src := &rowSource{q: q, obj: obj, all: all}
	if _, ok := obj.Field("SystemModstamp"); ok {
		src.hasStamp = true
		src.since = seekStart(q.Where)
	}
	stream := streamable(q, src.hasStamp)
	cur, err := o.Cursor(obj.Name, all, src.since)
	if err != nil {
		return nil, err
	}
	limit, skip := q.Limit, q.Offset
	var rows []*org.Record
	matched := 0
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r, ok := cur.Next()
		if !ok {
			break
		}
		if !q.Match(r) {
			continue
		}
		if !stream {
			rows = append(rows, r)
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if limit >= 0 && matched >= limit {
			break
		}
		matched++
		if matched%markEvery == 0 {
			src.marks = append(src.marks, src.keyOf(r))
		}
		if fn != nil {
			if err := fn(r); err != nil {
				return nil, err
			}
		}
	}
	if !stream {
		sort.SliceStable(rows, func(i, j int) bool { return q.Compare(rows[i], rows[j]) < 0 })
		rows = rows[min(skip, len(rows)):]
		if limit >= 0 && len(rows) > limit {
			rows = rows[:limit]
		}
		src.sorted = rows
		if src.sorted == nil {
			src.sorted = []*org.Record{}
		}
		matched = len(rows)
		for _, r := range rows {
			if fn != nil {
				if err := fn(r); err != nil {
					return nil, err
				}
			}
		}
	}
	src.total = matched
	return src, nil
}

func (src *rowSource) keyOf(r *org.Record) pageKey {
	k := pageKey{id: r.ID()}
	if src.hasStamp {
		k.stamp, _ = r.Get("SystemModstamp").(time.Time)
	}
	return k
}

// after reports whether r comes after the position k in cursor order.
func (src *rowSource) after(r *org.Record, k pageKey) bool {
	rk := src.keyOf(r)
	if src.hasStamp && !rk.stamp.Equal(k.stamp) {
		return rk.stamp.After(k.stamp)
	}
	return rk.id > k.id
}

// each calls fn for the rows [offset, offset+n) (clipped to the total), in order, and returns how
// many it delivered: fewer than asked only when rows vanished since the count (mutations).
func (src *rowSource) each(ctx context.Context, o *org.Org, offset, n int, fn func(r *org.Record) error) (int, error) {
	if offset < 0 || offset > src.total {
		return 0, fmt.Errorf("row offset %d is outside the result of %d rows", offset, src.total)
	}
	n = min(n, src.total-offset)
	if n <= 0 {
		return 0, nil
	}
	if src.sorted != nil {
		for _, r := range src.sorted[offset : offset+n] {
			if err := fn(r); err != nil {
				return 0, err
			}
		}
		return n, nil
	}
	since, skip := src.since, offset+src.q.Offset
	var key pageKey
	k := offset / markEvery
	if k > 0 {
		key = src.marks[k-1]
		if src.hasStamp {
			since = key.stamp
		}
		skip = offset - k*markEvery
	}
	var cur *org.Cursor
	var err error
	if k > 0 && !src.hasStamp {
		cur, err = o.CursorAfter(src.obj.Name, src.all, key.id) // Id order: seek to the mark
	} else {
		cur, err = o.Cursor(src.obj.Name, src.all, since)
	}
	if err != nil {
		return 0, err
	}
	got := 0
	for got < n {
		if got%4096 == 0 && ctx.Err() != nil {
			return got, ctx.Err()
		}
		r, ok := cur.Next()
		if !ok {
			break
		}
		if k > 0 && !src.after(r, key) {
			continue
		}
		if !src.q.Match(r) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if err := fn(r); err != nil {
			return got, err
		}
		got++
	}
	return got, nil
}

package org

import (
	"sort"
	"time"
)

// Cursor walks an object's records in ascending (SystemModstamp, Id) order. It holds only its
// position; records are generated (or read from the overlay) one at a time. Base records come
// first because every mutation stamps after Base. A Cursor is not safe for concurrent use by
// several goroutines, but mutations may run while it is open: a record changed after the cursor
// passed it shows up again at its new stamp, the way an incremental load would see it.
//
// An object without SystemModstamp (history, share and external objects) is walked in Id order
// instead, changed records in their place: there is no stamp to order by.
type Cursor struct {
	o              *Org
	t              *table
	includeDeleted bool
	since          time.Time

	phase     int // 0: base records, 1: overlay, 2: done
	pos       int // next base index
	started   bool
	lastStamp time.Time
	lastIdx   int
}

// Cursor opens a cursor on object starting at the first record whose SystemModstamp >= since
// (zero since = from the start). Deleted records are skipped unless includeDeleted (queryAll).
func (o *Org) Cursor(object string, includeDeleted bool, since time.Time) (*Cursor, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, err := o.table(object)
	if err != nil {
		return nil, err
	}
	c := &Cursor{o: o, t: t, includeDeleted: includeDeleted, since: since}
	if !since.IsZero() && !t.byID {
		c.pos = t.firstAtOrAfter(since)
	}
	return c, nil
}

// CursorAfter opens a cursor on an object without SystemModstamp (walked in Id order) at the
// first record whose Id is greater than afterID, so that a page deep in a result needs no walk
// from the start. On other objects, and for an Id that is not the object's, it starts at the
// beginning.
func (o *Org) CursorAfter(object string, includeDeleted bool, afterID string) (*Cursor, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, err := o.table(object)
	if err != nil {
		return nil, err
	}
	c := &Cursor{o: o, t: t, includeDeleted: includeDeleted}
	if t.byID {
		if i, ok := o.indexOf(t, afterID); ok {
			c.pos = i + 1
		}
	}
	return c, nil
}

// Next returns the next record, or false when the cursor is exhausted.
func (c *Cursor) Next() (*Record, bool) {
	if c.phase == 2 {
		return nil, false
	}
	c.o.mu.RLock()
	defer c.o.mu.RUnlock()
	t := c.t
	if t.byID {
		return c.nextByID()
	}
	if c.phase == 0 {
		for c.pos < t.n {
			i := c.pos
			c.pos++
			if _, ok := t.overlay[i]; ok {
				continue // changed records come later, at their new stamp
			}
			return c.o.generate(t, i), true
		}
		c.phase = 1
	}
	k := sort.Search(len(t.order), func(j int) bool {
		e := t.order[j]
		if !c.started {
			return !e.stamp.Before(c.since)
		}
		return e.stamp.After(c.lastStamp) || e.stamp.Equal(c.lastStamp) && e.idx > c.lastIdx
	})
	for ; k < len(t.order); k++ {
		e := t.order[k]
		c.started, c.lastStamp, c.lastIdx = true, e.stamp, e.idx
		if e.purged || e.deleted && !c.includeDeleted {
			continue
		}
		return c.o.materialize(t, e.idx), true
	}
	c.phase = 2
	return nil, false
}

// nextByID is Next for objects walked in Id order (Id order is index order); c.o.mu is held.
func (c *Cursor) nextByID() (*Record, bool) {
	t := c.t
	for c.pos < t.n+t.inserted {
		i := c.pos
		c.pos++
		if e, ok := t.overlay[i]; ok {
			if e.purged || e.deleted && !c.includeDeleted {
				continue
			}
			return c.o.materialize(t, i), true
		}
		if i < t.n {
			return c.o.generate(t, i), true
		}
	}
	c.phase = 2
	return nil, false
}

package org

import "time"

// Base records get SystemModstamps that are a non-decreasing function of their index, so a
// cursor can seek by binary search and Id order equals stamp order. Records share a stamp in
// runs, the way bulk imports look in real orgs:
//
//   - around every 2,000th index (the default query page size) a run of 50..1,800 records that
//     straddles the page boundary, so extractors meet ties split across pages;
//   - elsewhere, groups of up to 50 aligned records are either one run or all distinct.
//
// A record's stamp is derived from its run's first index (its leader), so it is O(1) to compute.

const (
	pageRun   = 2000 // distance between the page-straddling runs
	groupSize = 50   // alignment of the ordinary runs
)

// spanBack is how far before Base the oldest generated stamp lies.
const spanBack = 3 * 365 * 24 * time.Hour

// boundaryRun returns the page-straddling run [start, end) of the cell that holds i, or ok false
// for the first cell, which has no page boundary.
func boundaryRun(salt uint64, i int) (start, end int, ok bool) {
	m := (i + pageRun/2) / pageRun
	if m == 0 {
		return 0, 0, false
	}
	b := m * pageRun
	h := hash3(salt, uint64(m), 0xb0)
	before := 25 + int(h%876)
	after := 25 + int((h>>20)%876)
	return b - before, b + after, true
}

// leader returns the first index of the run that holds i.
func leader(salt uint64, i int) int {
	lo := i / groupSize * groupSize
	if s, e, ok := boundaryRun(salt, i); ok {
		if i >= s && i < e {
			return s
		}
		if i >= e && e > lo {
			lo = e
		}
	}
	// A group is one run in 35% of cases; otherwise every record has its own stamp.
	if hash3(salt, uint64(i/groupSize), 0x9a)%100 < 35 {
		return lo
	}
	return i
}

// stampOf returns the SystemModstamp of base record i of a table with n base records.
func (t *table) stampOf(i int) time.Time {
	l := leader(t.salt, i)
	n := t.n
	if n < 1 {
		n = 1
	}
	step := int64(spanBack/time.Millisecond) / int64(n)
	if step < 1 {
		step = 1
	}
	jitter := int64(hash3(t.salt, uint64(l), 0x71) % uint64(step))
	ms := int64(l)*step + jitter
	return t.start.Add(time.Duration(ms) * time.Millisecond)
}

// firstAtOrAfter returns the first base index whose stamp is >= since (n when none).
func (t *table) firstAtOrAfter(since time.Time) int {
	lo, hi := 0, t.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.stampOf(mid).Before(since) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

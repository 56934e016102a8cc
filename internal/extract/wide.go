package extract

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
)

// Wide objects. Salesforce limits a request's URI plus headers to 16,384 bytes, and a REST query
// carries its SOQL in the URI: an object with hundreds of custom fields (up to 800) cannot be
// selected in one query. Such an object is read in parts: the first part (the driver) is the
// read itself, with its conditions, order and cursor; for each page of it, every other part
// selects its fields for the same records (the same conditions, limited to the page's range of
// the read's key), and the parts are joined by Id before decoding finishes. Each part also
// selects the record's version (SystemModstamp, else LastModifiedDate): a record that changed
// between the parts is read again by Id, in all parts, until they agree, so no row is loaded half
// old and half new. Bulk jobs carry their SOQL in the body (100,000 characters at most) and take
// the whole field list when it fits.

const (
	// maxURIBytes is Salesforce's limit for a request's URI and headers together.
	maxURIBytes = 16384
	// uriReserve is kept for what a query's URI does not carry in its SELECT list: the path, the
	// headers (the session id, user agent, query options), and conditions added as the read goes
	// (windows, the key to go on from, the page ranges of parts, lists of Ids read again).
	uriReserve = 4096
	// maxSOQLChars is Salesforce's limit on the length of a SOQL statement (Bulk job bodies too).
	maxSOQLChars = 100_000
	// rereadIDs is how many Ids one query reads again (an IN list that fits uriReserve).
	rereadIDs = 40
	// rereadRounds bounds the reads of records that keep changing while their parts are read.
	rereadRounds = 5
)

// encodedLen is the length of s in a URL query (what a REST query's URI carries).
func encodedLen(s string) int { return len(url.QueryEscape(s)) }

// planParts splits o's fields into parts whose queries fit Salesforce's URI limit, when the
// whole list does not. Every part selects Id and the version field; the first also the fields
// the read is ordered and filtered by, which are part of the object's ordinary fields.
func (o *objectRun) planParts() error {
	o.verCol, o.verField = -1, ""
	for _, name := range []string{SystemModstamp, "LastModifiedDate"} {
		for i, f := range o.fields {
			if f.name == name && o.verCol < 0 {
				o.verCol, o.verField = o.cols[i], f.name
			}
		}
	}
	empty := o.q
	empty.fields = nil
	budget := maxURIBytes - uriReserve - encodedLen(empty.soql())
	all := 0
	for _, f := range o.fields {
		all += encodedLen(f.name + ", ")
	}
	if all <= budget {
		o.parts = nil
		return nil
	}
	if o.idCol < 0 {
		return fmt.Errorf("the Salesforce object %s has too many fields for one query (%d) and no Id to join the parts of its records by", o.object, len(o.fields))
	}
	always := []int{}
	for i, f := range o.fields {
		if f.name == "Id" || f.name == o.verField {
			always = append(always, i)
		}
	}
	base := 0
	for _, i := range always {
		base += encodedLen(o.fields[i].name + ", ")
	}
	var parts [][]int
	cur, size := slices.Clone(always), base
	for i, f := range o.fields {
		if slices.Contains(always, i) {
			continue
		}
		cost := encodedLen(f.name + ", ")
		if size+cost > budget && len(cur) > len(always) {
			parts = append(parts, cur)
			cur, size = slices.Clone(always), base
		}
		cur, size = append(cur, i), size+cost
	}
	parts = append(parts, cur)
	// The driver must select the fields its read is ordered by (SystemModstamp for merge reads;
	// Id and the version are in every part already).
	for _, name := range append(slices.Clone(o.q.order), cursorName(o)) {
		for i, f := range o.fields {
			if f.name == name && !slices.Contains(parts[0], i) {
				for j := 1; j < len(parts); j++ {
					if k := slices.Index(parts[j], i); k >= 0 {
						parts[j] = slices.Delete(parts[j], k, k+1)
					}
				}
				parts[0] = append(parts[0], i)
			}
		}
	}
	o.parts = parts
	return nil
}

// cursorName is the name of o's incremental cursor field ("" without one).
func cursorName(o *objectRun) string {
	if o.res.inc == nil {
		return ""
	}
	return o.res.inc.CursorPath
}

// cursorsNeeded is how many query cursors a REST read of o may hold open at once: a wide read's
// parts follow their own cursors while the driver's stays open.
func (o *objectRun) cursorsNeeded() int {
	if o.parts != nil {
		return 2
	}
	return 1
}

// partNames are the field names of part i (all fields when o is read in one query).
func (o *objectRun) partNames(i int) []string {
	if o.parts == nil {
		names := make([]string, len(o.fields))
		for j, f := range o.fields {
			names[j] = f.name
		}
		return names
	}
	names := make([]string, len(o.parts[i]))
	for j, fi := range o.parts[i] {
		names[j] = o.fields[fi].name
	}
	return names
}

// partQuery is q selecting the fields of part i.
func (o *objectRun) partQuery(q query, i int) query {
	q.fields = o.partNames(i)
	return q
}

// decoder decodes the records of part i into rows.
func (o *objectRun) decoder(i int) *recordDecoder {
	byName := make(map[string]int, len(o.fields))
	for j, f := range o.fields {
		byName[f.name] = o.cols[j]
	}
	return newRecordDecoder(byName, o.types, o.partNames(i)...)
}

// partColumns are the columns part i fills.
func (o *objectRun) partColumns(i int) []int {
	cols := make([]int, len(o.parts[i]))
	for j, fi := range o.parts[i] {
		cols[j] = o.cols[fi]
	}
	return cols
}

// wideRow is one record being assembled from its parts.
type wideRow struct {
	row     []any
	misfits []normalize.Misfit
	seen    int  // parts read into it
	torn    bool // its parts disagree on its version
	reread  bool // read again by Id after it changed between the parts
}

// readWidePage decodes a driver page of a wide object, reads the other parts of its records and
// joins them by Id, reading again the records that changed in between. It returns the rows to
// load, finished (finishRow), and the driver key of the page's last record.
func (r *Extractor) readWidePage(ctx context.Context, o *objectRun, q query, k keyed, dec *recordDecoder, page *client.Page) ([][]any, []any, error) {
	recs := make([]*wideRow, 0, len(page.Records))
	byID := make(map[string]*wideRow, len(page.Records))
	for i, raw := range page.Records {
		w := &wideRow{row: make([]any, len(o.t.Columns)), seen: 1}
		var err error
		if w.misfits, err = dec.decode(raw, w.row, nil); err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		id, _ := w.row[o.idCol].(string)
		if !validID(id) {
			return nil, nil, fmt.Errorf("record %d: Id %v is not a Salesforce Id", i+1, w.row[o.idCol])
		}
		recs = append(recs, w)
		byID[id] = w
	}
	if len(recs) == 0 {
		return nil, nil, nil
	}
	first, last := k.of(recs[0].row), k.of(recs[len(recs)-1].row)
	o.read += len(recs)
	o.lastID, _ = recs[len(recs)-1].row[o.idCol].(string)
	from, err := keyCond(k.order, first, ">=")
	if err != nil {
		return nil, nil, err
	}
	to, err := keyCond(k.order, last, "<=")
	if err != nil {
		return nil, nil, err
	}
	for p := 1; p < len(o.parts); p++ {
		pq := o.partQuery(q, p)
		pq.conds = append(slices.Clone(q.conds), from, to)
		pq.limit = 0
		if err := r.readPart(ctx, o, pq, p, byID, false); err != nil {
			return nil, nil, err
		}
	}
	var torn []string
	for id, w := range byID {
		if w.torn || w.seen != len(o.parts) {
			torn = append(torn, id)
		}
	}
	if len(torn) > 0 {
		slices.Sort(torn)
		fresh, err := r.rereadWide(ctx, o, torn)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range torn {
			w := fresh[id]
			if w == nil {
				delete(byID, id) // gone: deleted, or out of the user's reach
				continue
			}
			w.reread = true
			*byID[id] = *w
		}
	}
	rows := make([][]any, 0, len(recs))
	for _, w := range recs {
		id, _ := w.row[o.idCol].(string)
		if byID[id] == nil {
			continue
		}
		finish := o.w.FinishRow
		if w.reread {
			finish = o.w.FinishRereadRow
		}
		keep, row, err := finish(w.row, w.misfits)
		if err != nil {
			return nil, nil, err
		}
		if keep {
			rows = append(rows, row)
		}
	}
	return rows, last, nil
}

// readPart reads part p of the records in byID (a query over their range) and fills them in,
// marking a record torn when its version differs from the one read before. With add, records not
// in byID yet are added (the first part of records read again by Id).
func (r *Extractor) readPart(ctx context.Context, o *objectRun, pq query, p int, byID map[string]*wideRow, add bool) error {
	dec := o.decoder(p)
	cols := o.partColumns(p)
	scratch := make([]any, len(o.t.Columns))
	var misfits []normalize.Misfit
	pk, err := o.keyedOf(pq)
	if err != nil {
		return err
	}
	err = r.readKeyed(ctx, o, pq, false, false, func(page *client.Page, _ bool) ([]any, error) {
		var last []any
		for i, raw := range page.Records {
			clear(scratch)
			var err error
			if misfits, err = dec.decode(raw, scratch, misfits[:0]); err != nil {
				return nil, fmt.Errorf("part %d of %d, record %d: %w", p+1, len(o.parts), i+1, err)
			}
			last = pk.of(scratch)
			id, _ := scratch[o.idCol].(string)
			w := byID[id]
			switch {
			case w == nil && !add:
				continue // a record that entered the range since the driver's page was read
			case w == nil:
				w = &wideRow{row: make([]any, len(o.t.Columns))}
				if o.verCol >= 0 {
					w.row[o.verCol] = scratch[o.verCol]
				}
				byID[id] = w
			}
			if o.verCol >= 0 && !sameValue(w.row[o.verCol], scratch[o.verCol]) {
				w.torn = true
			}
			for _, c := range cols {
				if c != o.verCol {
					w.row[c] = scratch[c]
				}
			}
			for _, m := range misfits {
				if slices.Contains(cols, m.Col) && m.Col != o.verCol {
					w.misfits = append(w.misfits, m)
				}
			}
			w.seen++
		}
		return last, nil
	})
	if errors.Is(err, errTimedOut) {
		return fmt.Errorf("reading part %d of %d of %s's records: %w", p+1, len(o.parts), o.object, client.ErrQueryTimeout)
	}
	return err
}

// sameValue compares two decoded values of a version field.
func sameValue(a, b any) bool {
	ta, ok1 := a.(time.Time)
	tb, ok2 := b.(time.Time)
	if ok1 && ok2 {
		return ta.Equal(tb)
	}
	return a == b
}

// rereadWide reads the records with the given Ids again, all parts, until every part of each
// agrees on its version. A record no part returns is gone (deleted, or out of the user's reach)
// and is missing from the result.
func (r *Extractor) rereadWide(ctx context.Context, o *objectRun, ids []string) (map[string]*wideRow, error) {
	out := map[string]*wideRow{}
	for round := 1; len(ids) > 0; round++ {
		if round > rereadRounds {
			return nil, fmt.Errorf("records of %s kept changing while their %d parts were read (%d times), among them %s: run again later", o.object, len(o.parts), rereadRounds, ids[0])
		}
		got := map[string]*wideRow{}
		for start := 0; start < len(ids); start += rereadIDs {
			chunk := ids[start:min(start+rereadIDs, len(ids))]
			quoted := make([]string, len(chunk))
			for i, id := range chunk {
				quoted[i] = "'" + id + "'" // validID: letters and digits only
			}
			for p := range o.parts {
				q := query{fields: o.partNames(p), object: o.object, conds: []string{"Id IN (" + strings.Join(quoted, ", ") + ")"}, order: []string{"Id"}}
				if err := r.readPart(ctx, o, q, p, got, p == 0); err != nil {
					return nil, err
				}
			}
		}
		var again []string
		for _, id := range ids {
			w := got[id]
			switch {
			case w == nil:
				// no part returned it: gone
			case w.torn || w.seen != len(o.parts):
				again = append(again, id)
			default:
				out[id] = w
			}
		}
		ids = again
	}
	return out, nil
}

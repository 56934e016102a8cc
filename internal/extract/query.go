package extract

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/client"
)

// The one place SOQL is built: a query is kept in parts (fields, conditions, order, limit) so the
// read strategies can narrow the same range (windows, keyset pages, parts of a wide object, a
// Bulk job without ORDER BY) without writing SOQL of their own.

// devRowCap is the per-query row cap of Production(false), as the Python source's
// IS_PRODUCTION=False.
const devRowCap = 100

// query is a resource's SOQL in parts, so the same range can be counted or cut into windows.
type query struct {
	fields []string // the SELECT list
	object string   // "Opportunity"
	conds  []string // WHERE conditions, ANDed
	// order is the ORDER BY list (nil for none). REST reads are always ordered by a key that
	// ends with Id, so a read whose cursor Salesforce released goes on after its last record.
	order []string
	limit int // 0: none
}

func (q query) soql() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(q.fields, ", "))
	b.WriteString(" FROM ")
	b.WriteString(q.object)
	for i, c := range q.conds {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(c)
	}
	if len(q.order) > 0 {
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(q.order, ", "))
	}
	if q.limit > 0 {
		fmt.Fprintf(&b, " LIMIT %d", q.limit)
	}
	return b.String()
}

// keysetSize is how many records each query of a keyset walk asks for at first; a query that
// still times out asks for half as many, down to minKeysetSize.
const (
	keysetSize    = 2000
	minKeysetSize = 50
)

// afterID narrows the query to the next n records by Id after id ("" from the start).
func (q query) afterID(id string, n int) query {
	k := q
	k.conds = slices.Clone(q.conds)
	if id != "" {
		k.conds = append(k.conds, "Id > '"+id+"'") // an Id read from Salesforce: [A-Za-z0-9] only, checked by the caller
	}
	k.order, k.limit = []string{"Id"}, n
	return k
}

// window narrows the query to SystemModstamp in [from, to).
func (q query) window(from, to time.Time) query {
	w := q
	w.conds = append(slices.Clone(q.conds),
		SystemModstamp+" >= "+client.FormatDateTime(from), SystemModstamp+" < "+client.FormatDateTime(to))
	return w
}

// soql builds the query of a Salesforce resource: its fields, the incremental range with its
// closed start, and the development cap.
func (r *Extractor) soql(res *resource, object string, fields []selectedField) (query, error) {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	q := query{fields: names, object: object}
	if res.inc != nil {
		if !client.ValidAPIName(res.inc.CursorPath) {
			return query{}, fmt.Errorf("cursor field %q is not a Salesforce field name", res.inc.CursorPath)
		}
		if start := res.inc.rangeStart(); start != nil {
			t, ok := asTime(start)
			if !ok {
				return query{}, fmt.Errorf("the cursor %s starts at %v, which is not a datetime: Salesforce cursors must be datetime fields", res.inc.CursorPath, start)
			}
			q.conds = append(q.conds, res.inc.CursorPath+" >= "+client.FormatDateTime(t))
		}
	}
	if !r.src.Production {
		q.limit = devRowCap
	}
	return q, nil
}

// validID reports whether s looks like a Salesforce record Id (15 or 18 letters and digits), so
// it can be put in SOQL quotes as it is.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// bulkQuery is o's query for a Bulk job: every field in one SELECT (the SOQL travels in the
// request body, up to 100,000 characters), and no ORDER BY, which would only slow the job
// (it turns off PK chunking).
func (o *objectRun) bulkQuery() query {
	q := o.q
	q.order = nil
	return q
}

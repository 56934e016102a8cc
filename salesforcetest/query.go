package salesforcetest

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
	"github.com/sfdlt/sfdlt/salesforcetest/internal/soql"
)

// Page sizes of REST queries (Sforce-Query-Options: batchSize=N).
const (
	defaultBatchSize = 2000
	minBatchSize     = 200
	longTextPageSize = 1000 // pages of queries selecting a textarea longer than longTextLength
	longTextLength   = 4096
)

// schema lets soql resolve names against the org's describe. Objects that are not queryable are
// unknown to SOQL, as in a real org.
type schema struct{ org *org.Org }

func (s schema) Object(name string) (string, bool) {
	o, ok := s.org.Object(name)
	if !ok || !o.Queryable {
		return "", false
	}
	if r, ok := s.org.Restriction(o.Name); ok && r.Hidden {
		return "", false // listed queryable, but the user's licence or permissions lack it
	}
	return o.Name, true
}

func (s schema) Field(object, name string) (string, string, bool) {
	o, ok := s.org.Object(object)
	if !ok {
		return "", "", false
	}
	f, ok := o.Field(name)
	if !ok {
		return "", "", false
	}
	return f.Name, f.Type, true
}

// columns returns the select list resolved for rendering, resolving it on first use.
func (rs *resultSet) columns() []column {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.cols == nil {
		rs.cols = columnsOf(rs.obj, rs.q.Fields)
	}
	return rs.cols
}

// sizeHint guesses the bytes of a page of n records from the last page rendered.
func (rs *resultSet) sizeHint(n int) int {
	per := rs.rowBytes.Load()
	if per <= 0 {
		per = 64 + 32*int64(len(rs.q.Fields))
	}
	return int(per)*n + 256
}

// noteSize records the size of a rendered page for sizeHint.
func (rs *resultSet) noteSize(n, size int) {
	if n > 0 {
		rs.rowBytes.Store(int64(size/n + 16))
	}
}

// pageKey is the position after the last record of a page: the (SystemModstamp, Id) the org's
// cursors are ordered by. Seeking a fresh cursor to it replays any page, so a client can re-request
// a nextRecordsUrl whose body it lost.
type pageKey struct {
	stamp time.Time
	id    string
}

// resultSet is one query's server-side state behind its query locators (cursors.go): the checked
// query, its total size (counted before the first page) and what it takes to serve the page at
// any issued offset. A cached result set (Options.CachePages) serves every execution of the same
// query, each with its own locator.
type resultSet struct {
	id       string // the first locator id served from it (seeds Faults.IrregularPages)
	text     string // the SOQL text, for the call log
	q        *soql.Query
	obj      *org.Object
	all      bool // queryAll: deleted rows included
	ver      int
	pageSize int
	total    int
	since    time.Time     // where the first page's cursor starts
	hasStamp bool          // the object has SystemModstamp (cursor order); else ordered by Id
	sorted   []*org.Record // non-nil when ORDER BY needs the rows collected and sorted

	cols     []column             // the select list resolved for rendering
	gen      uint64               // the page cache generation the result set was made in
	rendered map[int]renderedPage // offset -> rendered page, with Options.CachePages (guarded by mu)
	rowBytes atomic.Int64         // bytes per record of the last page rendered, to size the next buffer

	mu    sync.Mutex
	keys  map[int]pageKey // offset -> position after the record before it (streamed results)
	pages map[int]int     // offset -> page number (0 for the first page)
	sizes map[int]int     // offset -> page size served there (stable on replay)
}

// renderedPage is a cached page's records (the JSON between the brackets of "records") and the
// offset after it; the head, which names the locator, is written per request.
type renderedPage struct {
	recs []byte
	next int
}

func (s *Server) serveQuery(c *reqCtx)    { s.runQuery(c, false) }
func (s *Server) serveQueryAll(c *reqCtx) { s.runQuery(c, true) }

// queryError sends a soql error (or any other) as Salesforce does: 400 with the error's code.
func queryError(w http.ResponseWriter, err error) {
	if se, ok := err.(*soql.Error); ok {
		restError(w, http.StatusBadRequest, se.Code, se.Message)
		return
	}
	restError(w, http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
}

func (s *Server) runQuery(c *reqCtx, all bool) {
	s.noteQueryRequest()
	text := c.r.URL.Query().Get("q")
	c.call.SOQL = text
	if strings.TrimSpace(text) == "" {
		restError(c.w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	if s.soqlTooLong(c.w, text) {
		return
	}
	q, err := soql.Parse(text)
	if err != nil {
		queryError(c.w, err)
		return
	}
	q.Now = s.org.Now
	if err := q.Check(schema{s.org}); err != nil {
		queryError(c.w, err)
		return
	}
	obj, ok := s.org.Object(q.From)
	if !ok {
		restError(c.w, http.StatusBadRequest, "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", q.From))
		return
	}
	if refusal, _ := s.queryRefusal(q); refusal != nil {
		queryError(c.w, refusal)
		return
	}
	f := s.currentFaults()
	if f.CountRefused && q.Count {
		restError(c.w, http.StatusBadRequest, "MALFORMED_QUERY", "COUNT() is not supported by this service (Faults.CountRefused)")
		return
	}
	cacheOK := s.opts.CachePages && f.QueryTimeoutAbove == 0 && !f.IrregularPages
	ps := batchSize(c.r)
	if cacheOK {
		if rs := s.cachedResultSet(restKey{text, all, c.ver, ps}); rs != nil {
			s.servePage(c, s.newCursor(rs, c.token), 0)
			return
		}
	}
	gen := s.cacheGen()
	rs := s.newResultSet(text, q, obj, all, c.ver, ps)
	rs.gen = gen
	// QueryTimeoutAbove models work: a query that has to produce more rows than that times
	// out, and a LIMIT bounds what it produces (a keyset walk by Id with LIMIT gets through).
	timeoutAbove := f.QueryTimeoutAbove
	if q.Limit >= 0 && q.Offset+q.Limit <= timeoutAbove {
		timeoutAbove = 0
	}
	matched, err := rs.prepare(s.org, streamable(q, rs.hasStamp), timeoutAbove)
	if err != nil {
		restError(c.w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", "emulator could not read "+obj.Name+": "+err.Error())
		return
	}
	if timeoutAbove > 0 && matched > timeoutAbove {
		restError(c.w, http.StatusBadRequest, "QUERY_TIMEOUT", "Your query request was running for too long.")
		return
	}
	if q.Count {
		c.w.cost = cost{kind: costQuery}
		writeRaw(c.w, http.StatusOK, []byte(fmt.Sprintf(`{"totalSize":%d,"done":true,"records":[]}`, rs.total)))
		return
	}
	cur := s.newCursor(rs, c.token)
	rs.id = cur.id
	if cacheOK {
		rs.rendered = map[int]renderedPage{}
		s.keepResultSetCached(restKey{text, all, c.ver, ps}, rs)
	}
	s.servePage(c, cur, 0)
}

// newResultSet makes the state of one query execution (not yet counted).
func (s *Server) newResultSet(text string, q *soql.Query, obj *org.Object, all bool, ver, pageSize int) *resultSet {
	rs := &resultSet{
		text: text, q: q, obj: obj, all: all, ver: ver,
		pageSize: pageSize, keys: map[int]pageKey{}, pages: map[int]int{0: 0}, sizes: map[int]int{},
	}
	if _, ok := obj.Field("SystemModstamp"); ok {
		rs.hasStamp = true
		rs.since = seekStart(q.Where)
	}
	for _, name := range q.Fields {
		if f, ok := obj.Field(name); ok && f.Type == "textarea" && f.Length > longTextLength && rs.pageSize > longTextPageSize {
			rs.pageSize = longTextPageSize
		}
	}
	return rs
}

// nextURL is the nextRecordsUrl of the page at offset of a cursor.
func (c *cursor) nextURL(offset int) string {
	return "/services/data/v" + strconv.Itoa(c.rs.ver) + ".0/query/" + c.id + "-" + strconv.Itoa(offset)
}

// batchSize reads Sforce-Query-Options: batchSize=N, clamped to 200..2000.
func batchSize(r *http.Request) int {
	n := defaultBatchSize
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		if b, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			n = max(minBatchSize, min(defaultBatchSize, b))
		}
	}
	return n
}

// streamable reports whether the cursor order ((SystemModstamp, Id), or Id for objects without
// SystemModstamp) already is the query's order, so pages can be streamed without collecting rows.
func streamable(q *soql.Query, hasStamp bool) bool {
	ob := q.OrderBy
	switch {
	case len(ob) == 0:
		return true
	case !hasStamp:
		return len(ob) == 1 && ob[0].Field == "Id" && !ob[0].Desc
	case ob[0].Field != "SystemModstamp" || ob[0].Desc:
		return false
	case len(ob) == 1:
		return true
	}
	return len(ob) == 2 && ob[1].Field == "Id" && !ob[1].Desc
}

// seekStart finds a top-level "SystemModstamp >= / > datetime" condition (alone or in an AND) to
// start the cursor there instead of at the beginning.
func seekStart(e soql.Expr) time.Time {
	var best time.Time
	consider := func(x soql.Expr) {
		c, ok := x.(*soql.Comparison)
		if !ok || c.Field != "SystemModstamp" || (c.Op != ">=" && c.Op != ">") || len(c.Values) != 1 || c.Values[0].Kind != soql.DateTimeLiteral {
			return
		}
		if t, ok := parseSOQLDateTime(c.Values[0].Text); ok && t.After(best) {
			best = t
		}
	}
	switch x := e.(type) {
	case *soql.Comparison:
		consider(x)
	case *soql.Logical:
		if x.Op == "AND" {
			for _, t := range x.Terms {
				consider(t)
			}
		}
	}
	return best
}

func parseSOQLDateTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// prepare counts the matching rows (and collects them when they must be sorted), so that every
// page can report the whole totalSize. It stops counting past stopAbove when that is positive:
// the query is going to time out anyway.
func (rs *resultSet) prepare(o *org.Org, stream bool, stopAbove int) (matched int, err error) {
	cur, err := o.Cursor(rs.obj.Name, rs.all, rs.since)
	if err != nil {
		return 0, err
	}
	var rows []*org.Record
	for {
		r, ok := cur.Next()
		if !ok {
			break
		}
		if !rs.q.Match(r) {
			continue
		}
		matched++
		if stopAbove > 0 && matched > stopAbove {
			return matched, nil
		}
		if !stream {
			rows = append(rows, r)
		}
	}
	n := max(0, matched-rs.q.Offset)
	if rs.q.Limit >= 0 {
		n = min(n, rs.q.Limit)
	}
	rs.total = n
	if !stream {
		sort.SliceStable(rows, func(i, j int) bool { return rs.q.Compare(rows[i], rows[j]) < 0 })
		off := min(rs.q.Offset, len(rows))
		rs.sorted = rows[off : off+n]
		if rs.sorted == nil {
			rs.sorted = []*org.Record{}
		}
	}
	return matched, nil
}

// sizeAt decides the size of the page starting at offset; with IrregularPages it varies, seeded
// by the locator and offset so that a replay serves the same page.
func (rs *resultSet) sizeAt(offset int, f Faults) int {
	if n, ok := rs.sizes[offset]; ok {
		return n
	}
	n := rs.pageSize
	if f.IrregularPages {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s/%d", f.Seed, rs.id, offset)
		lo := max(1, rs.pageSize/5)
		n = lo + int(h.Sum64()%uint64(rs.pageSize-lo))
	}
	rs.sizes[offset] = n
	return n
}

// page returns the records of the page starting at offset and the offset after it.
func (rs *resultSet) page(o *org.Org, offset int, f Faults) ([]*org.Record, int, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	n := min(rs.sizeAt(offset, f), rs.total-offset)
	if n <= 0 {
		return nil, offset, nil
	}
	if rs.sorted != nil {
		return rs.sorted[offset : offset+n], offset + n, nil
	}
	since, skip := rs.since, rs.q.Offset
	key, haveKey := rs.keys[offset]
	if offset > 0 {
		if !haveKey {
			return nil, 0, fmt.Errorf("no position recorded for offset %d", offset)
		}
		if rs.hasStamp {
			since = key.stamp
		}
		skip = 0
	}
	var cur *org.Cursor
	var err error
	if offset > 0 && !rs.hasStamp {
		cur, err = o.CursorAfter(rs.obj.Name, rs.all, key.id) // Id order: seek to the key
	} else {
		cur, err = o.Cursor(rs.obj.Name, rs.all, since)
	}
	if err != nil {
		return nil, 0, err
	}
	recs := make([]*org.Record, 0, n)
	for len(recs) < n {
		r, ok := cur.Next()
		if !ok {
			break
		}
		if offset > 0 && !rs.after(r, key) {
			continue
		}
		if !rs.q.Match(r) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		recs = append(recs, r)
	}
	next := offset + len(recs)
	if len(recs) > 0 && next < rs.total {
		rs.keys[next] = rs.keyOf(recs[len(recs)-1])
	}
	if len(recs) < n {
		// Rows vanished since the count (deleted or moved by an update): end the result here
		// rather than promising rows that no longer exist.
		rs.total = next
	}
	return recs, next, nil
}

func (rs *resultSet) keyOf(r *org.Record) pageKey {
	k := pageKey{id: r.ID()}
	if rs.hasStamp {
		k.stamp, _ = r.Get("SystemModstamp").(time.Time)
	}
	return k
}

// after reports whether r comes after the position k in cursor order.
func (rs *resultSet) after(r *org.Record, k pageKey) bool {
	rk := rs.keyOf(r)
	if rs.hasStamp && !rk.stamp.Equal(k.stamp) {
		return rk.stamp.After(k.stamp)
	}
	return rk.id > k.id
}

// servePage serves the page at offset of a cursor, from the page cache or rendered now. The
// first page of a query opens its cursor unless it is the last; serving the last page finishes
// it.
func (s *Server) servePage(c *reqCtx, cur *cursor, offset int) {
	rs := cur.rs
	caching := rs.rendered != nil && rs.gen == s.cacheGen()
	var pg renderedPage
	found := false
	if caching {
		rs.mu.Lock()
		pg, found = rs.rendered[offset]
		rs.mu.Unlock()
	}
	if !found {
		recs, next, err := rs.page(s.org, offset, s.currentFaults())
		if err != nil {
			restError(c.w, http.StatusBadRequest, codeInvalidLocator, msgInvalidLocator)
			return
		}
		pg = renderedPage{recs: renderRecords(rs, recs), next: next}
		if caching {
			rs.mu.Lock()
			rs.rendered[offset] = pg
			rs.mu.Unlock()
		}
	}
	rs.mu.Lock()
	total := rs.total
	done := pg.next >= total
	if !done {
		if _, ok := rs.pages[pg.next]; !ok {
			rs.pages[pg.next] = rs.pages[offset] + 1
		}
	}
	rs.mu.Unlock()
	nextURL := ""
	switch {
	case !done:
		nextURL = cur.nextURL(pg.next)
		if offset == 0 {
			s.openCursor(cur)
		}
	case offset > 0:
		s.finishCursor(cur)
	}
	c.w.header.Set("Content-Type", "application/json;charset=UTF-8")
	c.w.WriteHeader(http.StatusOK)
	c.w.raw = [][]byte{pageHead(total, nextURL), pg.recs, []byte("]}")}
	c.w.cost = cost{kind: costQuery, records: pg.next - offset}
	c.call.Records = pg.next - offset
}

// serveQueryMore answers GET /query/{locator}-{offset}: the page a nextRecordsUrl names.
func (s *Server) serveQueryMore(c *reqCtx) {
	s.noteQueryRequest()
	loc := c.params["locator"]
	i := strings.LastIndexByte(loc, '-')
	var cur *cursor
	offset := 0
	if i > 0 {
		if n, err := strconv.Atoi(loc[i+1:]); err == nil && n > 0 {
			offset = n
			cur = s.lookupCursor(loc[:i], c.token)
		}
	}
	page := -1
	if cur != nil {
		cur.rs.mu.Lock()
		if p, ok := cur.rs.pages[offset]; ok {
			page = p
		}
		cur.rs.mu.Unlock()
	}
	if page < 0 {
		restError(c.w, http.StatusBadRequest, codeInvalidLocator, msgInvalidLocator)
		return
	}
	c.call.SOQL = cur.rs.text
	c.call.Page = page
	s.servePage(c, cur, offset)
}

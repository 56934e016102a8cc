package salesforcetest

import (
	"context"
	"fmt"
	"sync"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
	"github.com/sfdlt/sfdlt/salesforcetest/internal/soql"
)

// pageCache keeps rendered pages when Options.CachePages is on: a page is rendered once per
// (query text, position, size) and then served as bytes. Any change to the org (a mutation, the
// clock moving) empties it, since pages would no longer be what the org holds.
type pageCache struct {
	mu      sync.Mutex
	gen     uint64
	sources map[sourceKey]*rowSource
	bulk    map[bulkPageKey]*bulkPage
	rest    map[restKey]*resultSet
}

type sourceKey struct {
	query string
	all   bool
}

// bulkPageKey names a page by the counted result it comes from (shared by the jobs created from
// the cache), so a page never mixes with a result counted before a change of the org.
type bulkPageKey struct {
	src       *rowSource
	offset, n int
	format    csvFormat
}

type restKey struct {
	query         string
	all           bool
	ver, pageSize int
}

func (pc *pageCache) init() {
	pc.sources = map[sourceKey]*rowSource{}
	pc.bulk = map[bulkPageKey]*bulkPage{}
	pc.rest = map[restKey]*resultSet{}
}

// invalidate empties the cache after the org changed.
func (s *Server) invalidate() {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	s.cache.gen++
	s.cache.init()
}

func (s *Server) cacheGen() uint64 {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.gen
}

func (s *Server) cachedSource(query string, all bool) *rowSource {
	if !s.opts.CachePages {
		return nil
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.sources[sourceKey{query, all}]
}

// keepSource caches a counted result if the org has not changed since gen.
func (s *Server) keepSource(query string, all bool, src *rowSource, gen uint64) {
	if !s.opts.CachePages {
		return
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.gen == gen {
		s.cache.sources[sourceKey{query, all}] = src
	}
}

func (s *Server) cachedBulkPage(k bulkPageKey) *bulkPage {
	if !s.opts.CachePages {
		return nil
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.bulk[k]
}

func (s *Server) keepBulkPage(k bulkPageKey, pg *bulkPage, gen uint64) {
	if !s.opts.CachePages {
		return
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.gen == gen {
		s.cache.bulk[k] = pg
	}
}

// cachedResultSet finds the cached REST result set of a query, or nil. Each execution served from
// it gets its own locator (cursor), so the cache never revives a released or expired one.
func (s *Server) cachedResultSet(k restKey) *resultSet {
	if !s.opts.CachePages {
		return nil
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.rest[k]
}

func (s *Server) keepResultSetCached(k restKey, rs *resultSet) {
	if !s.opts.CachePages {
		return
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.gen == rs.gen {
		s.cache.rest[k] = rs
	}
}

// checkQuery parses and checks SOQL for the Prerender methods.
func (s *Server) checkQuery(text string) (*soql.Query, *org.Object, error) {
	q, err := soql.Parse(text)
	if err != nil {
		return nil, nil, err
	}
	q.Now = s.org.Now
	if err := q.Check(schema{s.org}); err != nil {
		return nil, nil, err
	}
	if q.Count {
		return nil, nil, fmt.Errorf("SELECT COUNT() has a single page")
	}
	obj, ok := s.org.Object(q.From)
	if !ok {
		return nil, nil, fmt.Errorf("sObject type '%s' is not supported", q.From)
	}
	return q, obj, nil
}

// PrerenderOptions describes the requests whose pages PrerenderQuery and PrerenderBulk render:
// pages are cached per query text, API version and page size, so these must be the client's.
type PrerenderOptions struct {
	QueryAll   bool   // GET /queryAll (REST), operation queryAll (Bulk)
	Version    string // API version of the REST URLs, such as "62.0"; "" means the newest served
	BatchSize  int    // REST: the client's Sforce-Query-Options batchSize; 0 means 2,000
	MaxRecords int    // Bulk: the client's maxRecords; 0 means Options.BulkPageSize (or 50,000)
}

// PrerenderQuery renders every REST page of a query up front into the page cache, in one pass over
// the org, so that a benchmark then measures serving bytes only; the query text must be the
// client's exactly. It needs Options.CachePages and returns the number of pages.
func (s *Server) PrerenderQuery(ctx context.Context, soqlText string, o PrerenderOptions) (int, error) {
	queryAll, batchSize := o.QueryAll, o.BatchSize
	ver := maxVersion
	if o.Version != "" {
		v, ok := parseVersionNumber(o.Version)
		if !ok || v < minVersion || v > maxVersion {
			return 0, fmt.Errorf("salesforcetest: PrerenderQuery: API version %q is not served (use %d.0 to %d.0)", o.Version, minVersion, maxVersion)
		}
		ver = v
	}
	if !s.opts.CachePages {
		return 0, fmt.Errorf("salesforcetest: PrerenderQuery needs Options.CachePages: set it when starting the server")
	}
	q, obj, err := s.checkQuery(soqlText)
	if err != nil {
		return 0, fmt.Errorf("salesforcetest: prerendering %q: %w", soqlText, err)
	}
	if batchSize == 0 {
		batchSize = defaultBatchSize
	}
	batchSize = max(minBatchSize, min(defaultBatchSize, batchSize))
	gen := s.cacheGen()
	rs := s.newResultSet(soqlText, q, obj, queryAll, ver, batchSize)
	rs.gen = gen
	cols := rs.columns()
	prefix := recordPrefix(rs.ver, obj.Name)

	// Records of each page are rendered as the cursor passes; the page heads (totalSize, done,
	// nextRecordsUrl) are written when a page is served, with the locator of that execution.
	var bodies [][]byte
	var cur []byte
	inPage, offset := 0, 0
	var last *org.Record
	src, err := scanRowSource(ctx, s.org, q, obj, queryAll, func(r *org.Record) error {
		if inPage == rs.pageSize {
			bodies = append(bodies, cur)
			offset += inPage
			rs.keys[offset] = rs.keyOf(last)
			cur, inPage = nil, 0
		}
		if inPage > 0 {
			cur = append(cur, ',')
		} else {
			cur = make([]byte, 0, rs.sizeHint(rs.pageSize))
		}
		cur = renderRecord(cur, prefix, r, cols)
		inPage++
		last = r
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("salesforcetest: prerendering %q: %w", soqlText, err)
	}
	if len(bodies) > 0 && inPage > 0 && cur != nil {
		rs.noteSize(inPage, len(cur))
	}
	bodies = append(bodies, cur)
	rs.total = src.total
	rs.sorted = src.sorted
	rs.rendered = make(map[int]renderedPage, len(bodies))
	for i, recs := range bodies {
		off := i * rs.pageSize
		next := min(off+rs.pageSize, rs.total)
		if next < rs.total {
			rs.pages[next] = i + 1
		}
		rs.sizes[off] = rs.pageSize
		rs.rendered[off] = renderedPage{recs: recs, next: next}
		bodies[i] = nil
	}
	s.keepResultSetCached(restKey{soqlText, queryAll, rs.ver, batchSize}, rs)
	return len(rs.rendered), nil
}

// PrerenderBulk renders every results page of a Bulk query job on soqlText up front into the page
// cache, in one pass over the org: jobs created afterwards with the same query text complete
// without counting and serve cached pages. Pages are rendered for the COMMA delimiter and LF line
// ending. It needs Options.CachePages and returns the number of pages.
func (s *Server) PrerenderBulk(ctx context.Context, soqlText string, o PrerenderOptions) (int, error) {
	queryAll, maxRecords := o.QueryAll, o.MaxRecords
	if !s.opts.CachePages {
		return 0, fmt.Errorf("salesforcetest: PrerenderBulk needs Options.CachePages: set it when starting the server")
	}
	q, object, msg, err := s.checkBulkSOQL(soqlText)
	if err == nil && msg != "" {
		err = fmt.Errorf("%s", msg)
	}
	if err != nil {
		return 0, fmt.Errorf("salesforcetest: prerendering Bulk query %q: %w", soqlText, err)
	}
	obj, _ := s.org.Object(object)
	n := maxRecords
	if n <= 0 {
		n = s.opts.BulkPageSize
	}
	if n <= 0 {
		n = defaultBulkPageSize
	}
	gen := s.cacheGen()
	cols := columnsOf(obj, q.Fields)
	format := csvFormat{delim: ',', eol: "\n"}
	var header []byte
	for i := range cols {
		if i > 0 {
			header = append(header, ',')
		}
		header = appendCSVQuoted(header, cols[i].name)
	}
	header = append(header, '\n')
	var pages []*bulkPage
	var cur []byte
	row, inPage := 0, 0
	flush := func() {
		pages = append(pages, &bulkPage{body: cur, rows: inPage})
		cur, inPage = nil, 0
	}
	src, err := scanRowSource(ctx, s.org, q, obj, queryAll, func(r *org.Record) error {
		if inPage == n {
			flush()
		}
		if cur == nil {
			per := 24 * len(cols)
			if len(pages) > 0 {
				per = len(pages[0].body)/max(1, pages[0].rows) + 16
			}
			cur = append(make([]byte, 0, per*n), header...)
		}
		zone := "Z"
		if row%2 == 1 {
			zone = "+0000"
		}
		for i := range cols {
			if i > 0 {
				cur = append(cur, ',')
			}
			c := &cols[i]
			cur = appendCSVValue(cur, c.typ, c.value(r), zone, (row+i)%2 == 1)
		}
		cur = append(cur, '\n')
		row++
		inPage++
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("salesforcetest: prerendering Bulk query %q: %w", soqlText, err)
	}
	if cur == nil {
		cur = header
	}
	flush()
	s.keepSource(soqlText, queryAll, src, gen)
	for i, pg := range pages {
		s.keepBulkPage(bulkPageKey{src: src, offset: i * n, n: n, format: format}, pg, gen)
	}
	return len(pages), nil
}

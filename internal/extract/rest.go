package extract

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
)

// The read strategies an object is read with. Each is a type whose read method reads o's range
// into its table (see objectRun); extractObject (object.go) picks them:
//
//   - restPages: the query's pages (REST query/queryAll), one page fetched ahead while the
//     current one is decoded and loaded; a query Salesforce times out goes on as modstampWindows.
//   - modstampWindows: the range cut into SystemModstamp windows, halved while a window's query
//     times out; a window too dense for time to split is walked as an idKeyset.
//   - idKeyset: the range read a few thousand records at a time in Id order.
//   - bulkRead (bulk.go): a Bulk API 2.0 query job, or the one an earlier run left unfinished.
//
// Every REST strategy reads its queries with readREST: within the run's cursor budget, going on
// after the last record read when Salesforce releases a cursor (keyed.go), and in parts joined by
// Id for a wide object (wide.go).

// strategy is one way of reading an object.
type strategy interface {
	read(ctx context.Context, r *Extractor, o *objectRun) error
}

// restPages reads o's query with REST. With bulkFrom > 0, a result of at least that many records
// (or one Salesforce times out) stops at its first page with errUseBulk, before anything is
// written. With timeoutBulk, a result Salesforce times out before its first page does too.
type restPages struct {
	bulkFrom    int
	timeoutBulk bool
}

// modstampWindows reads o's range in [from, to) by SystemModstamp, window by window; depth is how
// often the window was halved.
type modstampWindows struct {
	from, to time.Time
	depth    int
}

// idKeyset reads q keysetSize records at a time, in Id order, each query starting after the
// last Id read.
type idKeyset struct{ q query }

// read reads the object with query (replace) or queryAll (merge: deletions since the last run
// arrive as IsDeleted=true rows, so the mirror records them). A query that Salesforce times out
// (QUERY_TIMEOUT, common on big Task and Event tables) is split into SystemModstamp windows and
// read window by window, never abandoned.
func (s restPages) read(ctx context.Context, r *Extractor, o *objectRun) error {
	err := r.readREST(ctx, o, o.q, s.bulkFrom)
	if errors.Is(err, errTimedOut) && (s.bulkFrom > 0 || s.timeoutBulk) {
		// Too slow for REST (a big table, sorted for chunked commits): a Bulk candidate, and
		// should Bulk fail, REST reads it in windows.
		return errUseBulk
	}
	if !errors.Is(err, errTimedOut) {
		return err
	}
	if !o.hasStamp {
		return fmt.Errorf("querying %s: Salesforce timed out the query, and the object has no SystemModstamp to split it by: %w", o.object, client.ErrQueryTimeout)
	}
	from := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) // before any Salesforce org existed
	if o.res.inc != nil {
		if t, ok := asTime(o.res.inc.LastValue()); ok {
			from = t
		}
	}
	to := r.started.Add(24 * time.Hour) // past any stamp a record can have during the run
	r.note(fmt.Sprintf("%s: Salesforce timed out the query; read it in SystemModstamp windows instead", o.res.name))
	o.positioned = false // windows do not read in Id order
	return modstampWindows{from: from, to: to}.read(ctx, r, o)
}

// errTimedOut marks a query Salesforce timed out before its first page.
var errTimedOut = errors.New("query timed out")

// maxWindowDepth bounds the halving of a timed-out window: 40 halvings of 27 years are
// windows of about a millisecond.
const maxWindowDepth = 40

// read reads the window, halving it whenever its query times out.
func (s modstampWindows) read(ctx context.Context, r *Extractor, o *objectRun) error {
	from, to := s.from, s.to
	err := r.readREST(ctx, o, o.q.window(from, to), 0)
	if !errors.Is(err, errTimedOut) {
		return err
	}
	if s.depth >= maxWindowDepth || to.Sub(from) < 2*time.Millisecond {
		// Too many records share one stamp (a bulk import) for time to split them: walk the
		// window by Id, a page at a time. Until the window is read, the cursor cannot move.
		o.frozen++
		defer func() { o.frozen-- }()
		return idKeyset{q: o.q.window(from, to)}.read(ctx, r, o)
	}
	mid := from.Add(to.Sub(from) / 2).Truncate(time.Millisecond)
	if err := (modstampWindows{from: from, to: mid, depth: s.depth + 1}).read(ctx, r, o); err != nil {
		return err
	}
	return modstampWindows{from: mid, to: to, depth: s.depth + 1}.read(ctx, r, o)
}

// read walks the query by Id.
func (s idKeyset) read(ctx context.Context, r *Extractor, o *objectRun) error {
	q := s.q
	last, size := "", keysetSize
	for {
		o.lastID, o.read = "", 0
		err := r.readREST(ctx, o, q.afterID(last, size), 0)
		if errors.Is(err, errTimedOut) {
			if size /= 2; size >= minKeysetSize {
				continue
			}
			return fmt.Errorf("querying %s: Salesforce times out even on %d records by Id after %q: %w", o.object, minKeysetSize, last, client.ErrQueryTimeout)
		}
		if err != nil {
			return err
		}
		if o.read < size {
			return nil
		}
		if !validID(o.lastID) {
			return fmt.Errorf("querying %s: record Id %q is not a Salesforce Id", o.object, o.lastID)
		}
		last = o.lastID
	}
}

// readREST reads one query's pages into the table, within the run's cursor budget, going on
// after the last record read when Salesforce releases the query's cursor (see readKeyed). A wide
// object is read in parts joined by Id (see readParts).
func (r *Extractor) readREST(ctx context.Context, o *objectRun, q query, bulkFrom int) error {
	k, err := o.keyedOf(q)
	if err != nil {
		return err
	}
	held, err := r.cursors.acquire(ctx, r.ranks[o.res], o.cursorsNeeded())
	if err != nil {
		return err
	}
	var once sync.Once
	release := func() { once.Do(func() { r.cursors.release(held) }) }
	defer release()
	dec := o.decoder(0)
	var misfits []normalize.Misfit
	return r.readKeyed(ctx, o, o.partQuery(q, 0), true, bulkFrom > 0, func(page *client.Page, recovered bool) ([]any, error) {
		if !recovered && bulkFrom > 0 && page.Number == 1 && page.TotalSize >= bulkFrom {
			return nil, errUseBulk
		}
		var rows [][]any
		var last []any
		if o.parts == nil {
			rows = make([][]any, 0, len(page.Records))
			// One allocation for the page's rows, not one per row (they travel together).
			width := len(o.t.Columns)
			block := make([]any, len(page.Records)*width)
			for i, raw := range page.Records {
				row := block[i*width : (i+1)*width : (i+1)*width]
				misfits, err = dec.decode(raw, row, misfits[:0])
				if err != nil {
					return nil, fmt.Errorf("page %d, record %d: %w", page.Number, i+1, err)
				}
				o.read++
				if o.idCol >= 0 {
					if id, ok := row[o.idCol].(string); ok {
						o.lastID = id
					}
				}
				if i == len(page.Records)-1 {
					last = k.of(row)
				}
				keep, row, err := o.w.FinishRow(row, misfits)
				if err != nil {
					return nil, fmt.Errorf("page %d: %w", page.Number, err)
				}
				if keep {
					rows = append(rows, row)
				}
			}
		} else if rows, last, err = r.readWidePage(ctx, o, q, k, dec, page); err != nil {
			return nil, fmt.Errorf("page %d: %w", page.Number, err)
		}
		if page.Done {
			release() // Salesforce closed the cursor with its last page
		}
		if !recovered {
			o.prog.TotalRows = int64(page.TotalSize)
		}
		if err := r.pageDone(ctx, o, rows); err != nil {
			return nil, err
		}
		if !page.Done {
			if err := r.checkQuota(ctx, fmt.Sprintf("page %d of %s", page.Number+1, o.res.name)); err != nil {
				return nil, err
			}
		}
		return last, nil
	})
}

// prefetch runs a page iterator one page ahead in its own goroutine, so the next page is on
// its way while the current one is decoded and loaded. Breaking out of the loop stops it. With
// holdFirst it fetches the second page only once the loop has handled the first and asked for
// more.
func prefetch[T any](ctx context.Context, seq iter.Seq2[T, error], holdFirst bool) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		type item struct {
			v   T
			err error
		}
		ch := make(chan item, 1)
		stop := make(chan struct{})
		done := make(chan struct{})
		goOn := make(chan struct{}) // closed once the loop asks for the second item
		go func() {
			defer close(done)
			defer close(ch)
			held := holdFirst
			for v, err := range seq {
				select {
				case ch <- item{v, err}:
				case <-stop:
					return
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
				if held {
					held = false
					select {
					case <-goOn:
					case <-stop:
						return
					case <-ctx.Done():
						return
					}
				}
			}
		}()
		defer func() {
			close(stop)
			<-done
		}()
		first := true
		for it := range ch {
			if !yield(it.v, it.err) || it.err != nil {
				return
			}
			if first {
				first = false
				close(goOn)
			}
		}
		if err := ctx.Err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

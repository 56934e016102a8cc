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
	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

// devRowCap is the per-query row cap of Production(false), as the Python source's
// IS_PRODUCTION=False.
const devRowCap = 100

// selectedField is one field of a Salesforce resource's SELECT list.
type selectedField struct {
	name   string // Salesforce API name
	column string // table column
	typ    schema.DataType
}

// objectFields chooses the fields to select from a describe: every field but compound parents
// (address, location: their component fields are selected instead), base64 (not selectable in
// bulk queries, and blobs do not belong in a mirror), hidden ones, and formula fields when
// they are left out. Names go through dlt's naming; two fields that normalize to one column are
// an error.
func (r *Extractor) objectFields(res *resource, d *client.SObjectDescribe) ([]selectedField, error) {
	formulas := r.src.Formulas
	if res.formulas != nil {
		formulas = *res.formulas
	}
	var out []selectedField
	seen := map[string]string{}
	exclude := r.src.Exclude[strings.ToLower(d.Name)]
	for lower, name := range exclude {
		if !slices.ContainsFunc(d.Fields, func(f client.Field) bool { return strings.ToLower(f.Name) == lower }) {
			return nil, fmt.Errorf("ExcludeFields(%q, %q): %s has no field %s: check the API name (custom fields end in __c)", d.Name, name, d.Name, name)
		}
	}
	for _, f := range d.Fields {
		switch {
		case exclude[strings.ToLower(f.Name)] != "":
			continue
		case f.Type == "address", f.Type == "location", f.Type == "base64":
			continue
		case f.DeprecatedAndHidden:
			continue
		case f.Calculated && !formulas:
			continue
		}
		if !client.ValidAPIName(f.Name) || f.Name == "" {
			return nil, fmt.Errorf("describe of %s lists a field named %q, which is not a Salesforce API name; it cannot be put in SOQL", d.Name, f.Name)
		}
		typ, err := schema.FromSalesforce(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s.%s: %w", d.Name, f.Name, err)
		}
		col := r.sch.Naming().NormalizeIdentifier(f.Name)
		if other, dup := seen[col]; dup {
			return nil, fmt.Errorf("fields %s.%s and %s.%s both become column %q under dlt's naming: rename one in Salesforce, or leave one out", d.Name, other, d.Name, f.Name, col)
		}
		seen[col] = f.Name
		out = append(out, selectedField{name: f.Name, column: col, typ: typ})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the Salesforce object %s has no field sfdlt can select", d.Name)
	}
	return out, nil
}

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

// objectRun is one Salesforce resource being extracted: its table, query and decoders.
type objectRun struct {
	res    *resource
	object string
	fields []selectedField
	t      *schema.Table
	w      *normalize.Writer
	q      query
	cols   []int // column of each selected field
	types  []schema.DataType
	prog   Progress
	// hasStamp: the object has SystemModstamp, so a timed-out query can be cut into windows.
	hasStamp bool
	queryAll bool                   // read with queryAll (deleted records too)
	deleted  []client.DeletedRecord // deletions of a long gap, applied after the read
	idCol    int                    // the id column, -1 when none
	lastID   string                 // Id of the last record readREST read
	read     int                    // records readREST read (kept or not)

	// How a commit can cut the pass (see load.Mark and CommitEvery):
	// replacePass: a replace committed in chunks (rows merge by Id, the end prunes the rest).
	replacePass bool
	// positioned: the rows arrive in Id order, so the pass can go on after lastID.
	positioned bool
	// ordered: the rows arrive in SystemModstamp order, so the cursor state after each page is
	// where a later run can go on.
	ordered bool
	// frozen > 0 while a query reads in an order that allows no resume point (Id keyset walks).
	frozen int
	// fullPass: the pass reads the resource in full; resumedFull: it goes on from an earlier run.
	fullPass, resumedFull bool
	// reload: a merge resource reloaded in full (a gap longer than Salesforce keeps deletions).
	reload      bool
	passStarted string
	resumeLoads []string // loads an earlier run committed for this replace pass
	// bulkResume is an earlier run's place in a Bulk job's results; resumedJob the job when it
	// could be reattached; bulkPos the place after the last results page read in this run.
	bulkResume *state.Resume
	resumedJob *client.BulkJob
	bulkPos    *state.Resume
	resetLoads bool   // the next mark drops the loads an earlier run committed (the pass starts over)
	readJob    string // a Bulk job read to the end, to delete once its rows are committed

	// parts: a wide object's fields split into queries that fit Salesforce's URI limit (indices
	// into fields; nil when one query selects them all). verCol and verField are the record
	// version compared across parts (SystemModstamp, else LastModifiedDate; -1 and "" for none).
	parts    [][]int
	verCol   int
	verField string
	// lostCursors counts the query cursors Salesforce released or expired under this read.
	lostCursors int
}

// withBulk adds the Bulk results position, when reading one, to a resume point.
func (o *objectRun) withBulk(rp *state.Resume) *state.Resume {
	if o.bulkPos == nil {
		return rp
	}
	if rp == nil {
		rp = &state.Resume{FullRead: o.fullPass, StartedAt: o.passStarted}
	}
	rp.BulkJob, rp.BulkLocator, rp.BulkRows = o.bulkPos.BulkJob, o.bulkPos.BulkLocator, o.bulkPos.BulkRows
	return rp
}

// mark says where the resource stands after the rows flushed so far (done: all of them).
func (o *objectRun) mark(done bool) *load.Mark {
	m := &load.Mark{Resource: o.res.name, Replace: o.replacePass, ResetLoads: o.resetLoads}
	o.resetLoads = false
	inc := o.res.inc
	if inc != nil {
		m.Cursor = inc.CursorPath
	}
	if done {
		m.Safe, m.Done, m.FullRead, m.BulkJob = true, true, o.fullPass, o.readJob
		m.PassStarted = o.passStarted
		if inc != nil {
			m.Inc = inc.state()
		}
		return m
	}
	switch {
	case o.replacePass:
		m.Safe = true
		m.Resume = &state.Resume{Replace: true, QueryAll: o.reload && o.queryAll, FullRead: o.fullPass, StartedAt: o.passStarted}
		if o.positioned && o.frozen == 0 && validID(o.lastID) {
			m.Resume.AfterID = o.lastID
		}
		m.Resume = o.withBulk(m.Resume)
	case o.res.disposition == schema.Merge:
		// Merging rows again is harmless: a commit may always cut a merge. The cursor moves
		// only as far as rows read in its order guarantee everything before it was read.
		m.Safe = true
		if o.ordered && o.frozen == 0 && inc != nil {
			m.Inc = inc.state()
		}
		if o.fullPass && inc != nil && !inc.fullRead {
			m.Resume = &state.Resume{FullRead: true, StartedAt: o.passStarted}
		}
		m.Resume = o.withBulk(m.Resume)
	case o.ordered && o.frozen == 0 && inc != nil:
		// Appending: safe only where the cursor says exactly which rows are in.
		m.Safe, m.Inc = true, inc.state()
	}
	return m
}

// extractObject loads one Salesforce object, through Bulk API 2.0 when the source allows it
// and the range is large, else through REST.
func (r *Extractor) extractObject(ctx context.Context, res *resource) error {
	if err := r.checkQuota(ctx, "reading "+res.name); err != nil {
		return err
	}
	o, err := r.prepareObject(ctx, res)
	if err != nil {
		return err
	}
	if o.bulkResume != nil {
		if err := r.reattachBulk(ctx, o); err != nil {
			return err
		}
	}
	begin := o.mark(false)
	begin.Begin, begin.Loads = true, o.resumeLoads
	if err := o.w.FlushMark(ctx, nil, begin); err != nil {
		return err
	}
	if o.resumedJob != nil {
		err := r.extractBulk(ctx, o)
		if err == nil {
			return r.finishObject(ctx, o)
		}
		if !errors.Is(err, errBulkJobChanged) {
			return err
		}
		// Nothing of the job was written: read the resource anew below.
		r.note(fmt.Sprintf("%s: %v; read it anew", res.name, err))
		r.deleteBulkJobs(ctx, o.resumedJob.Info().ID)
		o.resumedJob, o.bulkPos, o.resetLoads = nil, nil, o.replacePass
	}
	if r.bulkAllowed(o) {
		// The first REST page says how large the result is (totalSize): a large one switches to
		// Bulk before anything is written, a small one goes on with no call wasted.
		err := r.extractREST(ctx, o, r.src.BulkThreshold)
		if err == nil {
			return r.finishObject(ctx, o)
		}
		if !errors.Is(err, errUseBulk) {
			return err
		}
		err = r.extractBulk(ctx, o)
		if err == nil {
			return r.finishObject(ctx, o)
		}
		if o.w.Rows() > 0 || !bulkFallback(err) {
			return err
		}
		// Nothing was written yet: REST reads the same range.
		r.note(fmt.Sprintf("%s: Bulk API 2.0 failed (%v); read with REST instead", res.name, err))
		r.cfg.Logger.Warn("bulk query failed, falling back to REST", "resource", res.name, "error", err)
	}
	if err := r.extractREST(ctx, o, 0); err != nil {
		return err
	}
	return r.finishObject(ctx, o)
}

// pageDone hands a page's rows to the loader and reports the progress (REST and Bulk alike).
func (r *Extractor) pageDone(ctx context.Context, o *objectRun, rows [][]any) error {
	if err := o.w.FlushMark(ctx, rows, o.mark(false)); err != nil {
		return err
	}
	o.prog.Pages++
	o.prog.Rows = o.w.Rows()
	r.report(o.prog)
	return nil
}

// finishObject applies the deletions of a long gap and reports the resource done.
func (r *Extractor) finishObject(ctx context.Context, o *objectRun) error {
	if o.lostCursors > 0 {
		r.note(fmt.Sprintf("%s: Salesforce released or expired its query cursor %d time(s); each time the read went on after the last record read", o.res.name, o.lostCursors))
	}
	if err := r.applyDeletions(ctx, o, o.deleted); err != nil {
		return err
	}
	if err := r.send(ctx, load.Op{Name: o.t.Name, Mark: o.mark(true)}); err != nil {
		return err
	}
	o.prog.Done = true
	r.report(o.prog)
	return nil
}

// prepareObject describes the object and builds its table, query and writer.
func (r *Extractor) prepareObject(ctx context.Context, res *resource) (*objectRun, error) {
	d, err := r.sf.Describe(ctx, res.object)
	if errors.Is(err, client.ErrNotFound) {
		return nil, fmt.Errorf("the Salesforce object %q does not exist in this org (or the user cannot see it): check its API name (custom objects end in __c) and the user's permissions: %w", res.object, err)
	}
	if errors.Is(err, client.ErrAPIVersionUnavailable) {
		return nil, err // it says what to do
	}
	if err != nil {
		// The client's error says which call failed; say what to do.
		return nil, fmt.Errorf("%w (if Salesforce keeps answering this way, run again later; nothing of this run was committed)", err)
	}
	if !d.Queryable {
		return nil, fmt.Errorf("the Salesforce object %s is not queryable: leave it out", d.Name)
	}
	fields, err := r.objectFields(res, d)
	if err != nil {
		return nil, err
	}
	if info := r.cfg.Destination; info.MaxColumns > 0 && len(fields)+len(schema.RootSystemColumns()) > info.MaxColumns {
		sys := len(schema.RootSystemColumns())
		return nil, fmt.Errorf("the Salesforce object %s has %d fields to load, and a %s table holds at most %d columns, %d of them for fields (sfdlt adds %d): leave at least %d fields out with sfdlt.ExcludeFields(%q, ...) (or formula fields with FormulaFields(false)); nothing was read",
			d.Name, len(fields), info.Name, info.MaxColumns, info.MaxColumns-sys, sys, len(fields)+sys-info.MaxColumns, d.Name)
	}
	cols := make([]schema.Column, len(fields))
	for i, f := range fields {
		cols[i] = schema.NewColumn(f.column, f.typ)
	}
	if res.inc != nil && res.inc.CursorPath == SystemModstamp && res.disposition == schema.Merge {
		// Several versions of one record in a run (changed while it was read): keep the newest.
		hint := res.columns[r.sch.Naming().NormalizeIdentifier(SystemModstamp)]
		if hint.DedupSort == "" {
			res.columns[r.sch.Naming().NormalizeIdentifier(SystemModstamp)] = schema.ColumnHint{DedupSort: "desc", NotNull: hint.NotNull}
		}
	}
	if r.src.HardDeletes && res.disposition == schema.Merge {
		for _, f := range fields {
			if f.name == "IsDeleted" {
				h := res.columns[r.sch.Naming().NormalizeIdentifier("IsDeleted")]
				h.HardDelete = true
				res.columns[r.sch.Naming().NormalizeIdentifier("IsDeleted")] = h
			}
		}
	}
	if res.inc != nil {
		res.inc.lookback = r.src.Lookback
		if r.fullRefreshDue(res) {
			res.inc.fullRead = true
			r.note(fmt.Sprintf("%s: read in full to refresh its formula fields (FormulaRefresh %s)", res.name, r.src.FormulaRefresh))
		}
	}
	// queryAll for merge resources: deletions since the last run arrive as IsDeleted rows.
	queryAll := res.disposition == schema.Merge
	rp := r.resumePoint(res)
	var plan gapPlan
	reload := false
	if rp != nil && rp.Replace && res.disposition == schema.Merge && res.inc != nil {
		// A full reload an earlier run began (see planGap) goes on.
		res.disposition, res.inc.fullRead, queryAll, reload = schema.Replace, true, rp.QueryAll, true
	} else {
		if plan, err = r.planGap(ctx, &objectRun{res: res, object: d.Name}); err != nil {
			return nil, err
		}
		if plan.reload {
			// The table is replaced by the org as it is: live records, and with soft deletes the
			// deleted ones still in the recycle bin.
			res.disposition, res.inc.fullRead, queryAll, reload = schema.Replace, true, !r.src.HardDeletes, true
		}
	}
	t, err := r.sch.Evolve(normalize.Observed(res.hints(), cols))
	if err != nil {
		return nil, err
	}
	o := &objectRun{res: res, object: d.Name, fields: fields, t: t, w: r.writer(res, t),
		prog: Progress{Resource: res.name, Table: t.Name, TotalRows: -1}, queryAll: queryAll, deleted: plan.deleted,
		reload: reload, passStarted: r.started.UTC().Format(time.RFC3339)}
	snap := r.sch.Clone(t) // positions are stable: a table only gains columns
	if res.inc != nil && snap.ColumnIndex(r.sch.Naming().NormalizeIdentifier(res.inc.CursorPath)) < 0 {
		return nil, fmt.Errorf("cursor field %s is not a field of %s (or it was left out): choose a datetime field of the object", res.inc.CursorPath, d.Name)
	}
	if o.q, err = r.soql(res, d.Name, fields); err != nil {
		return nil, err
	}
	for _, f := range fields {
		o.hasStamp = o.hasStamp || f.name == SystemModstamp
	}
	o.idCol = snap.ColumnIndex("id")
	r.planChunks(o, rp)
	if len(o.q.order) == 0 && o.idCol >= 0 {
		// Keyed by Id, so a read whose cursor Salesforce releases goes on after its last record.
		o.q.order = []string{"Id"}
	}
	o.cols = make([]int, len(fields))
	o.types = make([]schema.DataType, len(snap.Columns))
	for i, f := range fields {
		c := snap.ColumnIndex(f.column)
		o.cols[i] = c
		o.types[c] = snap.Columns[c].DataType
	}
	if err := o.planParts(); err != nil {
		return nil, err
	}
	if o.parts != nil {
		r.note(fmt.Sprintf("%s: %d fields are too many for one query within Salesforce's 16,384-byte URI limit: read in %d parts joined by Id", res.name, len(fields), len(o.parts)))
	}
	return o, nil
}

// extractREST reads the object with query (replace) or queryAll (merge: deletions since the
// last run arrive as IsDeleted=true rows, so the mirror records them), fetching the next page
// while the current one is decoded and loaded.
// With bulkFrom > 0, a result of at least that many records stops at the first page with
// errUseBulk, before anything is written. A query that Salesforce times out (QUERY_TIMEOUT,
// common on big Task and Event tables) is split into SystemModstamp windows and read window by
// window, never abandoned.
func (r *Extractor) extractREST(ctx context.Context, o *objectRun, bulkFrom int) error {
	err := r.readREST(ctx, o, o.q, bulkFrom)
	if errors.Is(err, errTimedOut) && bulkFrom > 0 {
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
	return r.readWindows(ctx, o, from, to, 0)
}

// errTimedOut marks a query Salesforce timed out before its first page.
var errTimedOut = errors.New("query timed out")

// maxWindowDepth bounds the halving of a timed-out window: 40 halvings of 27 years are
// windows of about a millisecond.
const maxWindowDepth = 40

// readWindows reads [from, to), halving a window whenever its query times out.
func (r *Extractor) readWindows(ctx context.Context, o *objectRun, from, to time.Time, depth int) error {
	err := r.readREST(ctx, o, o.q.window(from, to), 0)
	if !errors.Is(err, errTimedOut) {
		return err
	}
	if depth >= maxWindowDepth || to.Sub(from) < 2*time.Millisecond {
		// Too many records share one stamp (a bulk import) for time to split them: walk the
		// window by Id, a page at a time. Until the window is read, the cursor cannot move.
		o.frozen++
		defer func() { o.frozen-- }()
		return r.readKeyset(ctx, o, o.q.window(from, to))
	}
	mid := from.Add(to.Sub(from) / 2).Truncate(time.Millisecond)
	if err := r.readWindows(ctx, o, from, mid, depth+1); err != nil {
		return err
	}
	return r.readWindows(ctx, o, mid, to, depth+1)
}

// readKeyset reads a query keysetSize records at a time, in Id order, each query starting after
// the last Id read.
func (r *Extractor) readKeyset(ctx context.Context, o *objectRun, q query) error {
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
	return r.readKeyed(ctx, o, o.partQuery(q, 0), true, func(page *client.Page, recovered bool) ([]any, error) {
		if !recovered && bulkFrom > 0 && page.Number == 1 && page.TotalSize >= bulkFrom {
			return nil, errUseBulk
		}
		var rows [][]any
		var last []any
		if o.parts == nil {
			rows = make([][]any, 0, len(page.Records))
			for i, raw := range page.Records {
				row := make([]any, len(o.t.Columns))
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
// its way while the current one is decoded and loaded. Breaking out of the loop stops it.
func prefetch[T any](ctx context.Context, seq iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		type item struct {
			v   T
			err error
		}
		ch := make(chan item, 1)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(ch)
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
			}
		}()
		defer func() {
			close(stop)
			<-done
		}()
		for it := range ch {
			if !yield(it.v, it.err) || it.err != nil {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
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

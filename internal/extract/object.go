package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

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
	bulkResume *state.BulkPosition
	resumedJob *client.BulkJob
	bulkPos    *state.BulkPosition
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
	rp.Token = o.bulkPos.Token()
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
		if !o.ranged() && !o.resumedFull && o.bulkResume == nil {
			n := o.w.Rows()
			m.FullRows = &n
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
	started := time.Now()
	if err := r.checkQuota(ctx, "reading "+res.name); err != nil {
		return err
	}
	o, err := r.prepareObject(ctx, res)
	if err != nil {
		return err
	}
	o.prog.Started = started
	r.report(o.prog)
	if o.bulkResume != nil {
		if err := r.reattachBulk(ctx, o); err != nil {
			return err
		}
	}
	if !res.discovered {
		// The table is part of the load from now on, even if no row comes. A discovered object
		// begins with its first page instead, so one Salesforce refuses to read leaves nothing.
		if err := r.begin(ctx, o); err != nil {
			return err
		}
	}
	if o.resumedJob != nil {
		err := r.readWith(ctx, o, bulkRead{})
		if !errors.Is(err, errBulkJobChanged) {
			return err
		}
		// Nothing of the job was written: read the resource anew below.
		r.note(fmt.Sprintf("%s: %v; read it anew", res.name, err))
		r.DeleteBulkJobs(ctx, o.resumedJob.Info().ID)
		o.resumedJob, o.bulkPos, o.resetLoads = nil, nil, o.replacePass
	}
	if r.bulkAllowed(o) {
		s, err := r.sizeUp(ctx, o)
		if err != nil {
			return err
		}
		if s != nil {
			if err := r.readWith(ctx, o, s); !errors.Is(err, errUseBulk) {
				return err
			}
		}
		err = r.readWith(ctx, o, bulkRead{})
		if err == nil || o.w.Rows() > 0 || !bulkFallback(err) {
			return err
		}
		// Nothing was written yet: REST reads the same range.
		r.note(fmt.Sprintf("%s: Bulk API 2.0 failed (%v); read with REST instead", res.name, err))
		r.cfg.Logger.Warn("bulk query failed, falling back to REST", "resource", res.name, "error", err)
	}
	return r.readWith(ctx, o, restPages{})
}

// sizeUp decides how a read that Bulk may take is read, before anything is written: it returns
// the REST strategy, or nil for Bulk. An incremental range, usually small, and a full read that
// was small at its last full read are sized by their first REST page (totalSize), at no extra
// call: a large result switches to Bulk there, a small one goes on. Any other full read is
// sized by a SELECT COUNT(), one small call that, unlike a first page, leaves no query cursor
// open and takes no page's time; where Salesforce refuses to count, the first page sizes it
// after all.
func (r *Extractor) sizeUp(ctx context.Context, o *objectRun) (strategy, error) {
	byPage := restPages{bulkFrom: r.src.BulkThreshold}
	if o.ranged() && !o.resumedFull {
		return byPage, nil
	}
	if prev := r.prior[o.res.name].FullReadRows; prev != nil && *prev < int64(r.src.BulkThreshold)/2 {
		return byPage, nil
	}
	n, err := r.count(ctx, o)
	switch {
	case errors.Is(err, errTimedOut):
		return nil, nil // too large for Salesforce to count in time: Bulk
	case err != nil && !countRefused(err):
		return nil, err // the page would fail as the count did (network, session, limits)
	case err != nil:
		r.cfg.Logger.Debug("Salesforce refused to count the records; the first REST page says how many", "resource", o.res.name, "error", err)
		return byPage, nil
	case n >= r.src.BulkThreshold:
		o.prog.TotalRows = int64(n)
		return nil, nil
	}
	return restPages{timeoutBulk: true}, nil
}

// ranged reports whether o reads an incremental range (its cursor has a start), not the whole
// object.
func (o *objectRun) ranged() bool {
	return o.res.inc != nil && o.res.inc.rangeStart() != nil
}

// count asks Salesforce how many records o's read returns (SELECT COUNT() with the same
// conditions, through queryAll when the read uses it). A count Salesforce times out is
// errTimedOut.
func (r *Extractor) count(ctx context.Context, o *objectRun) (int, error) {
	q := o.bulkQuery()
	q.fields = []string{"COUNT()"}
	if err := r.checkQuota(ctx, "counting "+o.res.name); err != nil {
		return 0, err
	}
	query := r.sf.Query
	if o.queryAll {
		query = r.sf.QueryAll
	}
	for page, err := range query(ctx, q.soql()) {
		if errors.Is(err, client.ErrQueryTimeout) {
			return 0, errTimedOut
		}
		if err != nil {
			return 0, fmt.Errorf("querying %s (counting its records): %w", o.object, err)
		}
		return page.TotalSize, nil // a count is one page with no records
	}
	return 0, fmt.Errorf("querying %s: Salesforce answered a count with no page", o.object)
}

// countRefused reports whether err is Salesforce refusing a SELECT COUNT() query itself (an
// answer of 400, such as MALFORMED_QUERY from a service that does not take COUNT()), which the
// first REST page can do instead.
func countRefused(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest
}

// readWith reads o with strategy s and, when it read everything, finishes the object.
func (r *Extractor) readWith(ctx context.Context, o *objectRun, s strategy) error {
	if err := s.read(ctx, r, o); err != nil {
		return err
	}
	return r.finishObject(ctx, o)
}

// begin sends the resource's first mark to the loader, once: from then on its table is part of
// the load (a replace with no records empties it) and commits take the resource into account.
func (r *Extractor) begin(ctx context.Context, o *objectRun) error {
	if o.res.begun {
		return nil
	}
	m := o.mark(false)
	m.Begin, m.Loads = true, o.resumeLoads
	if err := o.w.FlushMark(ctx, nil, m); err != nil {
		return err
	}
	o.res.begun = true
	return nil
}

// pageDone hands a page's rows to the loader and reports the progress (REST and Bulk alike).
func (r *Extractor) pageDone(ctx context.Context, o *objectRun, rows [][]any) error {
	if err := r.begin(ctx, o); err != nil {
		return err
	}
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
	if err := r.begin(ctx, o); err != nil {
		return err
	}
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
		return nil, fmt.Errorf("the Salesforce object %s %w: leave it out", d.Name, errNotQueryable)
	}
	fields, err := r.objectFields(res, d)
	if err != nil {
		return nil, err
	}
	changed, err := r.chooseMirror(res, fields)
	if err != nil {
		return nil, err
	}
	if changed && res.inc != nil {
		res.inc.restore(r.prior[res.name].Incremental[res.inc.CursorPath])
	}
	hasIsDeleted := slices.ContainsFunc(fields, func(f selectedField) bool { return f.name == "IsDeleted" })
	if info := r.cfg.Destination; info.MaxColumns > 0 && len(fields)+len(schema.RootSystemColumns()) > info.MaxColumns {
		sys := len(schema.RootSystemColumns())
		return nil, fmt.Errorf("the Salesforce object %s has %d fields to load, and a %s table holds at most %d columns, %d of them for fields (sfdlt adds %d): leave at least %d fields out with sfdlt.ExcludeFields(%q, ...) (or formula fields with FormulaFields(false)); nothing was read",
			d.Name, len(fields), info.Name, info.MaxColumns, info.MaxColumns-sys, sys, len(fields)+sys-info.MaxColumns, d.Name)
	}
	cols := make([]schema.Column, len(fields))
	for i, f := range fields {
		cols[i] = schema.NewColumn(f.column, f.typ)
	}
	if res.inc != nil && modStamp(res.inc.CursorPath) && res.disposition == schema.Merge {
		// Several versions of one record in a run (changed while it was read): keep the newest.
		col := r.sch.Naming().NormalizeIdentifier(res.inc.CursorPath)
		if hint := res.columns[col]; hint.DedupSort == "" {
			res.columns[col] = schema.ColumnHint{DedupSort: "desc", NotNull: hint.NotNull}
		}
	}
	if r.hardDeletes(res) && res.disposition == schema.Merge {
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
	// queryAll for merge resources: deletions since the last run arrive as IsDeleted rows (an
	// object without IsDeleted keeps no deleted records to read).
	queryAll := res.disposition == schema.Merge && hasIsDeleted
	rp := r.resumePoint(res)
	var plan gapPlan
	reload := false
	if res.scd2 != nil && res.disposition == schema.Merge {
		if err := r.prepareSCD2(res, fields); err != nil {
			return nil, err
		}
	}
	if rp != nil && rp.Replace && res.disposition == schema.Merge && res.inc != nil && res.scd2 == nil {
		// A full reload an earlier run began (see planGap) goes on.
		res.disposition, res.inc.fullRead, queryAll, reload = schema.Replace, true, rp.QueryAll, true
	} else {
		if plan, err = r.planGap(ctx, &objectRun{res: res, object: d.Name}); err != nil {
			return nil, err
		}
		if plan.reload && res.scd2 != nil {
			// History is never replaced: the full read merges by scd2 like any other.
			res.inc.fullRead = true
			r.note(fmt.Sprintf("%s (scd2): read in full; records deleted in the gap that Salesforce no longer lists keep their active version", res.name))
		} else if plan.reload {
			// The table is replaced by the org as it is: live records, and with soft deletes the
			// deleted ones still in the recycle bin.
			res.disposition, res.inc.fullRead, queryAll, reload = schema.Replace, true, !r.src.HardDeletes && hasIsDeleted, true
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

// modStamp reports whether a cursor field is a record's modification stamp: a record that
// changes gets a later value (SystemModstamp always; LastModifiedDate on changes made by users).
func modStamp(field string) bool { return field == SystemModstamp || field == "LastModifiedDate" }

// errNotQueryable is an object whose describe says it cannot be queried.
var errNotQueryable = errors.New("is not queryable")

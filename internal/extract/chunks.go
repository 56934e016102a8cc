package extract

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

// Chunked commits (CommitEvery): how each Salesforce resource is read so a commit can cut it and
// a later run can go on from the cut, neither losing nor duplicating a record.
//
//   - Merge resources with a SystemModstamp cursor read in SystemModstamp order (LastModifiedDate
//     likewise where an object has no SystemModstamp; history objects append by CreatedDate, which
//     never changes): after each page,
//     every record before the newest stamp read has been read (a query sees the records as they
//     were when it began; a record changed since gets a later stamp), so the cursor state after
//     the page, with the Ids at its stamp, is exactly where a later run goes on. Reads in no such
//     order (Bulk API, Id keyset walks) leave the committed cursor where it was: merging the rows
//     again later is harmless.
//   - Replace resources read in Id order, each chunk merging its rows by Id; the pass's last
//     chunk deletes the rows none of its loads wrote (destination.Pruner). A later run goes on
//     after the last Id committed, or starts the pass over when the order was lost.
//   - Append resources are cut only where their cursor says exactly which rows are in, and
//     resources written in Go not at all.

// resumePoint returns a copy of the resume point an earlier run left for res, or nil.
func (r *Extractor) resumePoint(res *resource) *state.Resume {
	rp := r.prior[res.name].Resume
	if rp == nil {
		return nil
	}
	c := *rp
	c.LoadIDs = slices.Clone(rp.LoadIDs)
	return &c
}

// planChunks sets how a commit can cut o's pass (see above), going on from rp when an earlier
// run left one.
func (r *Extractor) planChunks(o *objectRun, rp *state.Resume) {
	res := o.res
	o.fullPass = res.inc != nil && (res.inc.fullRead || res.inc.LastValue() == nil)
	if r.cfg.CommitEvery <= 0 {
		return
	}
	if res.disposition == schema.Replace && r.canPrune && o.idCol >= 0 {
		o.replacePass, o.positioned = true, true
		o.q.order = []string{"Id"}
		if rp == nil || !rp.Replace {
			return
		}
		if rp.StartedAt != "" {
			o.passStarted = rp.StartedAt
		}
		o.fullPass = o.fullPass || rp.FullRead
		if p, ok := state.ParseBulkToken(rp.Token); ok {
			o.bulkResume, o.resumeLoads = &p, rp.LoadIDs
			return
		}
		if validID(rp.AfterID) {
			o.resumeLoads = rp.LoadIDs
			o.q.conds = append(o.q.conds, "Id > '"+rp.AfterID+"'") // checked by validID: letters and digits only
			r.note(fmt.Sprintf("%s: went on with the replace an earlier run left unfinished, after Id %s (%d chunk(s) committed before)", res.name, rp.AfterID, len(rp.LoadIDs)))
		} else {
			r.note(fmt.Sprintf("%s: started over the replace an earlier run left unfinished (its rows were not read in Id order)", res.name))
		}
		return
	}
	if p, ok := state.ParseBulkToken(tokenOf(rp)); ok && res.disposition == schema.Merge {
		o.bulkResume = &p
	}
	if res.inc != nil && !res.inc.fullRead && o.idCol >= 0 && orderable(res.inc.CursorPath) && o.selects(res.inc.CursorPath) {
		o.ordered = true
		o.q.order = []string{res.inc.CursorPath, "Id"}
		if rp != nil && rp.FullRead {
			o.fullPass, o.resumedFull = true, true
			if rp.StartedAt != "" {
				o.passStarted = rp.StartedAt
			}
			r.note(fmt.Sprintf("%s: went on with the full read an earlier run left unfinished, from its committed cursor", res.name))
		}
	}
}

// errBulkJobChanged stops reading a reattached Bulk job whose columns are not the ones the
// resource selects now (its object gained or lost fields since the job began).
var errBulkJobChanged = errors.New("the Bulk job an earlier run began selects other fields than the object has now")

// reattachBulk reattaches to the Bulk job an earlier run was reading. When Salesforce no longer
// has it (it keeps jobs 7 days) or it cannot be read on, the resource is read anew, and a
// replace pass starts over.
func (r *Extractor) reattachBulk(ctx context.Context, o *objectRun) error {
	rp := o.bulkResume
	o.bulkResume = nil
	job, err := r.sf.ResumeBulkQuery(ctx, rp.Job, rp.Locator, rp.Rows, r.bulkOptions(o))
	switch {
	case err == nil:
		o.resumedJob = job
		r.note(fmt.Sprintf("%s: went on with Bulk job %s an earlier run left unfinished, after %d rows", o.res.name, rp.Job, rp.Rows))
		return nil
	case errors.Is(err, client.ErrRequestLimitExceeded), ctx.Err() != nil:
		return fmt.Errorf("reattaching Bulk job %s of %s: %w", rp.Job, o.object, err)
	}
	r.note(fmt.Sprintf("%s: could not go on with Bulk job %s an earlier run left unfinished (%v); read it anew", o.res.name, rp.Job, err))
	if o.replacePass {
		o.resumeLoads = nil
	}
	return nil
}

// tokenOf is rp's token ("" for none).
func tokenOf(rp *state.Resume) string {
	if rp == nil {
		return ""
	}
	return rp.Token
}

// orderable reports whether a cursor field orders a read so that a commit can cut it: a
// modification stamp (see modStamp), or CreatedDate (rows that never change).
func orderable(field string) bool { return modStamp(field) || field == "CreatedDate" }

// selects reports whether o's query selects the field.
func (o *objectRun) selects(field string) bool {
	return slices.ContainsFunc(o.fields, func(f selectedField) bool { return f.name == field })
}

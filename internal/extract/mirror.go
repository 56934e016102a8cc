package extract

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/load"
	"github.com/sfdlt/sfdlt/schema"
)

// ErrAPIUsageLimit is returned when MaxAPIUsagePercent stops a run.
var ErrAPIUsageLimit = errors.New("the org's API usage reached max_api_usage_percent")

// checkQuota stops the run when the org's API usage reached the configured share.
func (r *Extractor) checkQuota(ctx context.Context, what string) error {
	limit := r.src.MaxUsagePct
	if limit <= 0 || r.sf == nil {
		return nil
	}
	u := r.sf.Usage()
	if u.Max <= 0 {
		return nil
	}
	pct := float64(u.Used) * 100 / float64(u.Max)
	if pct < limit {
		return nil
	}
	return fmt.Errorf("%w: %d of %d daily API calls used (%.1f%% >= %.1f%%), so the run stopped before %s: run it again when the rolling 24-hour usage is lower, or raise max_api_usage_percent",
		ErrAPIUsageLimit, u.Used, u.Max, pct, limit, what)
}

// fullRefreshDue reports whether a resource's periodic full read is due, and records that a
// full read happens now.
func (r *Extractor) fullRefreshDue(res *resource) bool {
	if r.src.FormulaRefresh <= 0 || res.inc == nil || res.inc.LastValue() == nil {
		return false
	}
	lastFull := r.prior[res.name].LastFullRead
	if lastFull != "" {
		if t, err := time.Parse(time.RFC3339, lastFull); err == nil && r.started.Sub(t) < r.src.FormulaRefresh {
			return false
		}
	}
	return true
}

// recycleBinAge is how long Salesforce keeps deleted records in its recycle bin, where queryAll
// still returns them (about 15 days; a day less to be safe). A merge resource whose cursor is
// older may have missed deletions: the run asks the deleted endpoint about the gap.
const recycleBinAge = 14 * 24 * time.Hour

// deletedLogAge is how far back the deleted endpoint accepts a start.
const deletedLogAge = 30 * 24 * time.Hour

// gapPlan says what a merge resource does about a gap longer than the recycle bin.
type gapPlan struct {
	reload  bool                   // read in full and replace the table
	deleted []client.DeletedRecord // deletions listed over the gap, to apply
}

// planGap checks a merge resource whose cursor is older than the recycle bin: the deletions of
// the gap are listed with the deleted endpoint and applied (a hard delete, or is_deleted = true
// on the row as it was); where the endpoint cannot cover the gap, the resource is reloaded in
// full. Each costs one extra API call, and only after such a gap.
func (r *Extractor) planGap(ctx context.Context, o *objectRun) (gapPlan, error) {
	if o.res.disposition != schema.Merge || o.res.inc == nil || o.res.inc.fullRead {
		return gapPlan{}, nil
	}
	start, ok := asTime(o.res.inc.rangeStart())
	if !ok {
		return gapPlan{}, nil
	}
	// The gap is the time between runs (the recycle bin empties by age), measured on this
	// machine's clock; the deleted endpoint is asked from the cursor on, in the org's time.
	lastRun := r.prior[o.res.name].LastRun
	last, err := time.Parse(time.RFC3339, lastRun)
	if err != nil {
		return gapPlan{}, nil // no earlier run recorded
	}
	gap := r.started.Sub(last)
	if gap < recycleBinAge {
		return gapPlan{}, nil
	}
	canFlag := r.canFlag
	if gap < deletedLogAge {
		// From the cursor (the org's time) to now: Salesforce answers up to its own now, and
		// refuses a start older than its deletion log, which then means a full reload.
		del, err := r.sf.Deleted(ctx, o.object, start, r.started)
		switch {
		case errors.Is(err, client.ErrRequestLimitExceeded):
			return gapPlan{}, err
		case err == nil && !del.EarliestDateAvailable.After(start) && (r.hardDeletes(o.res) || canFlag || len(del.Records) == 0):
			if len(del.Records) > 0 {
				r.note(fmt.Sprintf("%s: %s since the last run, longer than the recycle bin keeps deletions: applied the %d deletion(s) Salesforce lists for the gap",
					o.res.name, gap.Round(time.Hour), len(del.Records)))
			}
			return gapPlan{deleted: del.Records}, nil
		}
	}
	r.note(fmt.Sprintf("%s: %s since the last run, longer than Salesforce keeps a list of deletions: reloaded in full so deleted records do not linger",
		o.res.name, gap.Round(time.Hour)))
	return gapPlan{reload: true}, nil
}

// applyDeletions writes the deletions of a gap: rows that delete their key (HardDeletes), or
// a flag setting is_deleted on the rows as they are.
func (r *Extractor) applyDeletions(ctx context.Context, o *objectRun, deleted []client.DeletedRecord) error {
	if len(deleted) == 0 {
		return nil
	}
	naming := r.sch.Naming()
	isDel := o.t.ColumnIndex(naming.NormalizeIdentifier("IsDeleted"))
	stamp := o.t.ColumnIndex(naming.NormalizeIdentifier(SystemModstamp))
	if !r.hardDeletes(o.res) {
		keys := make([]string, len(deleted))
		for i, d := range deleted {
			keys[i] = d.ID
		}
		if isDel < 0 {
			return fmt.Errorf("%s has no IsDeleted field to mark %d deleted records with", o.object, len(deleted))
		}
		return r.send(ctx, load.Op{Name: o.t.Name, Flag: &load.Flag{Key: "id", Column: o.t.Columns[isDel].Name, Keys: keys}})
	}
	if o.idCol < 0 || isDel < 0 || stamp < 0 {
		return fmt.Errorf("%s lacks Id, IsDeleted or SystemModstamp: cannot apply %d deletions", o.object, len(deleted))
	}
	rows := make([][]any, 0, len(deleted))
	for _, d := range deleted {
		if !validID(d.ID) {
			return fmt.Errorf("the deleted endpoint listed %q, which is not a Salesforce Id", d.ID)
		}
		row := make([]any, len(o.t.Columns))
		row[o.idCol], row[isDel], row[stamp] = d.ID, true, d.DeletedDate.UTC()
		keep, row, err := o.w.FinishRow(row, nil)
		if err != nil {
			return err
		}
		if keep {
			rows = append(rows, row)
		}
	}
	return o.w.Flush(ctx, rows)
}

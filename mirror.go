package sfdlt

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// HardDeletes makes the merge resources delete the rows of records deleted in Salesforce
// (dlt's hard_delete hint on is_deleted). By default such rows stay, with is_deleted = true, so
// nothing is lost.
func HardDeletes(on bool) SourceOption { return func(s *Source) { s.hardDeletes = on } }

// Lookback makes every incremental run re-read the last d before its cursor, for orgs where
// SystemModstamp values can arrive late (a long transaction commits with an earlier stamp).
// Re-read records merge again, which changes nothing when they did not change.
func Lookback(d time.Duration) SourceOption { return func(s *Source) { s.lookback = d } }

// MaxAPIUsagePercent stops a run cleanly (nothing of it is committed) before a resource or
// page would start while the org's API usage, as Salesforce reports it in Sforce-Limit-Info, is
// at or above p percent of its daily limit. 0 turns the guard off (the default).
func MaxAPIUsagePercent(p float64) SourceOption { return func(s *Source) { s.maxUsagePct = p } }

// FormulaRefresh makes an incremental resource read all its records again (a full merge) when
// its last full read is older than every, so formula fields, which change without bumping
// SystemModstamp, are brought up to date. 0 turns it off (the default).
func FormulaRefresh(every time.Duration) SourceOption {
	return func(s *Source) { s.formulaRefresh = every }
}

// ErrAPIUsageLimit is returned when MaxAPIUsagePercent stops a run.
var ErrAPIUsageLimit = errors.New("the org's API usage reached max_api_usage_percent")

// checkQuota stops the run when the org's API usage reached the configured share.
func (r *run) checkQuota(ctx context.Context, what string) error {
	limit := r.src.maxUsagePct
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
	return fmt.Errorf("%w: %d of %d daily API calls used (%.1f%% >= %.1f%%), so the run stopped before %s; nothing of it was committed: run it again when the rolling 24-hour usage is lower, or raise max_api_usage_percent",
		ErrAPIUsageLimit, u.Used, u.Max, pct, limit, what)
}

// fullRefreshDue reports whether a resource's periodic full read is due, and records that a
// full read happens now.
func (r *run) fullRefreshDue(res *Resource) bool {
	if r.src.formulaRefresh <= 0 || res.inc == nil || res.inc.LastValue() == nil {
		return false
	}
	rs := r.state.resource(r.src.name, res.name)
	if rs.LastFullRead != "" {
		if t, err := time.Parse(time.RFC3339, rs.LastFullRead); err == nil && r.started.Sub(t) < r.src.formulaRefresh {
			return false
		}
	}
	return true
}

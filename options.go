package sfdlt

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/engine"
	"github.com/sfdlt/sfdlt/schema"
)

// Options follow one rule: an option is named after the setting it sets, with no prefix
// (Dataset, PrimaryKey, MaxQueryCursors). The two settings that belong to more than one thing
// (Logger: source and pipeline; FormulaFields: source and resource) are one option each that is
// accepted by both.

// SourceOption configures a Source (see NewSource).
type SourceOption interface{ applySource(*Source) }

// PipelineOption configures a Pipeline (see NewPipeline).
type PipelineOption interface{ applyPipeline(*Pipeline) }

// ResourceOption configures a resource made by NewResource or Source.AddObject.
type ResourceOption interface{ applyResource(*Resource) }

type sourceOption func(*Source)

func (f sourceOption) applySource(s *Source) { f(s) }

type pipelineOption func(*Pipeline)

func (f pipelineOption) applyPipeline(p *Pipeline) { f(p) }

type resourceOption func(*Resource)

func (f resourceOption) applyResource(r *Resource) { f(r) }

// LoggerOption is what Logger returns: a SourceOption and a PipelineOption.
type LoggerOption struct{ l *slog.Logger }

func (o LoggerOption) applySource(s *Source)     { s.spec.Client.Logger = o.l }
func (o LoggerOption) applyPipeline(p *Pipeline) { p.logger = o.l }

// Logger sets the logger (nil: no logging). Given to NewPipeline it logs the run (chunks,
// notes); given to NewSource it logs the Salesforce client (retries, waits). Secrets are never
// logged.
func Logger(l *slog.Logger) LoggerOption { return LoggerOption{l} }

// FormulaFieldsOption is what FormulaFields returns: a SourceOption and a ResourceOption.
type FormulaFieldsOption struct{ include bool }

func (o FormulaFieldsOption) applySource(s *Source) { s.spec.Formulas = o.include }
func (o FormulaFieldsOption) applyResource(r *Resource) {
	include := o.include
	r.formulas = &include
}

// FormulaFields says whether Salesforce resources select formula (calculated) fields (true by
// default). Given to NewSource it sets every Salesforce resource's default; given to AddObject it
// sets that resource's, overriding the source's. Salesforce changes formula values without
// bumping SystemModstamp, so incremental resources carry stale formula values for records that
// did not otherwise change (see FormulaRefresh); leave them out when that matters more than
// having them.
func FormulaFields(include bool) FormulaFieldsOption { return FormulaFieldsOption{include} }

// Source options.

// DefaultMaxQueryCursors is how many REST query cursors a run holds open at once unless
// MaxQueryCursors says otherwise: below Salesforce's 10 per user, leaving two for the user's
// other integrations.
const DefaultMaxQueryCursors = 8

// salesforceCursorLimit is Salesforce's limit of open query cursors per user.
const salesforceCursorLimit = 10

// DefaultBulkThreshold is the record count from which a read goes through Bulk API 2.0 instead
// of REST (one job instead of one call per 2,000 records, and CSV instead of JSON). On
// a real org a REST page of 2,000 records takes about 1.5 s per cursor, while a Bulk job takes
// a few seconds plus its records' processing: they break even near 10,000 records (5 pages, 7.5
// s, against a job of about 7 s), and beyond, Bulk is faster and spends fewer API calls (see
// BENCHMARKS.md, "A real org's latency").
const DefaultBulkThreshold = 10_000

// Domain sets where to log in as dlt and simple-salesforce take it: "login" (the default),
// "test" (sandboxes), or a My Domain such as "acme.my" or "acme--uat.sandbox.my".
func Domain(domain string) SourceOption {
	return sourceOption(func(s *Source) { s.spec.Client.Domain = domain })
}

// LoginURL sets the full base URL to log in at (it wins over Domain). Plain http:// is only
// accepted for loopback hosts, such as the emulator.
func LoginURL(url string) SourceOption {
	return sourceOption(func(s *Source) { s.spec.Client.LoginURL = url })
}

// APIVersion sets the Salesforce API version, such as "64.0".
func APIVersion(v string) SourceOption {
	return sourceOption(func(s *Source) { s.spec.Client.APIVersion = v })
}

// Production says whether queries run in full (true, the default). false caps every query at
// 100 rows, as the Python source's IS_PRODUCTION=False does: a development setting.
func Production(on bool) SourceOption {
	return sourceOption(func(s *Source) { s.spec.Production = on })
}

// HTTPClient sets the HTTP client used to talk to Salesforce.
func HTTPClient(c *http.Client) SourceOption {
	return sourceOption(func(s *Source) { s.spec.Client.HTTPClient = c })
}

// ClientConfig lets a caller adjust the Salesforce client's configuration directly (retries,
// waits): f is called on the configuration before each run logs in.
func ClientConfig(f func(*client.Config)) SourceOption {
	return sourceOption(func(s *Source) {
		if f != nil {
			f(&s.spec.Client)
		}
	})
}

// ExcludeFields leaves fields of a Salesforce object out of its resource (standard or added with
// AddObject): they are not selected and get no column. Use it for fields nobody needs, or for an
// object wider than the destination's tables can be (Postgres: 1,600 columns). Names are API
// names (Notes__c); a name the object does not have is an error when the run describes it.
func ExcludeFields(object string, fields ...string) SourceOption {
	return sourceOption(func(s *Source) {
		if s.spec.Exclude == nil {
			s.spec.Exclude = map[string]map[string]string{}
		}
		o := strings.ToLower(object)
		if s.spec.Exclude[o] == nil {
			s.spec.Exclude[o] = map[string]string{}
		}
		for _, f := range fields {
			f = strings.TrimSpace(f)
			s.spec.Exclude[o][strings.ToLower(f)] = f
		}
	})
}

// BulkThreshold sets from how many records a read of a resource goes through Bulk API 2.0
// (default DefaultBulkThreshold); 0 turns Bulk off. A full read is counted first (SELECT
// COUNT()) unless it was small at its last full read; that one, and an incremental run's range
// (usually small), are sized by the totalSize of their first REST page, at no extra call.
func BulkThreshold(n int) SourceOption {
	return sourceOption(func(s *Source) { s.spec.BulkThreshold = n })
}

// Bulk tunes Bulk API 2.0 jobs (poll intervals, timeout, page size); see client.BulkOptions.
// Result pages are read 5 at a time, of 10,000 rows each, unless ParallelPages or MaxRecords
// say otherwise; a negative ParallelPages reads them one after another.
func Bulk(o client.BulkOptions) SourceOption {
	return sourceOption(func(s *Source) { s.spec.BulkOptions = o })
}

// MaxQueryCursors sets how many REST query cursors a run holds open at once (1 to 9; default
// DefaultMaxQueryCursors). Salesforce allows a user 10, shared by every integration logged in as
// that user; resources beyond the budget wait for a slot. A wide object read in parts holds two.
func MaxQueryCursors(n int) SourceOption {
	return sourceOption(func(s *Source) { s.spec.MaxCursors = n })
}

// HardDeletes makes the merge resources delete the rows of records deleted in Salesforce
// (dlt's hard_delete hint on is_deleted). By default such rows stay, with is_deleted = true, so
// nothing is lost.
func HardDeletes(on bool) SourceOption {
	return sourceOption(func(s *Source) { s.spec.HardDeletes = on })
}

// Lookback makes every incremental run re-read the last d before its cursor, for orgs where
// SystemModstamp values can arrive late (a long transaction commits with an earlier stamp).
// Re-read records merge again, which changes nothing when they did not change.
func Lookback(d time.Duration) SourceOption {
	return sourceOption(func(s *Source) { s.spec.Lookback = d })
}

// MaxAPIUsagePercent stops a run cleanly before a resource or page would start while the org's
// API usage, as Salesforce reports it in Sforce-Limit-Info, is at or above p percent of its daily
// limit (what was read before is committed when CommitEvery allows). 0 turns the guard off (the
// default).
func MaxAPIUsagePercent(p float64) SourceOption {
	return sourceOption(func(s *Source) { s.spec.MaxUsagePct = p })
}

// FormulaRefresh makes an incremental resource read all its records again (a full merge) when
// its last full read is older than every, so formula fields, which change without bumping
// SystemModstamp, are brought up to date. 0 turns it off (the default).
func FormulaRefresh(every time.Duration) SourceOption {
	return sourceOption(func(s *Source) { s.spec.FormulaRefresh = every })
}

// AllObjects makes the source load every object of the org, custom ones too, beside its
// resources: each object the global describe lists as queryable and that is ordinary data (not a
// platform or change event, external object or big object), with a disposition and cursor chosen
// from its describe: merge on Id, incremental on SystemModstamp (or LastModifiedDate); append,
// incremental on CreatedDate, for objects whose rows never change (history objects); replace when
// there is no cursor. The standard resources keep their dlt names (User stays sf_user). An object
// Salesforce refuses to read as a whole (a required filter, no access) is skipped and listed in
// LoadInfo.Skipped; the run goes on. ObjectsInclude and ObjectsExclude narrow it, ObjectHints
// overrides what an object gets.
func AllObjects(on bool) SourceOption {
	return sourceOption(func(s *Source) { s.spec.AllObjects = on })
}

// ObjectsInclude limits AllObjects to the objects whose API names match one of the glob patterns
// ("*__c", "Opportunity*"; case-insensitive).
func ObjectsInclude(patterns ...string) SourceOption {
	return sourceOption(func(s *Source) {
		s.spec.ObjectsInclude = append(s.spec.ObjectsInclude, patterns...)
		s.checkPatterns(patterns)
	})
}

// ObjectsExclude leaves the objects whose API names match one of the glob patterns
// ("*History", "*Share"; case-insensitive) out of AllObjects.
func ObjectsExclude(patterns ...string) SourceOption {
	return sourceOption(func(s *Source) {
		s.spec.ObjectsExclude = append(s.spec.ObjectsExclude, patterns...)
		s.checkPatterns(patterns)
	})
}

// ObjectHints overrides what the resource of a Salesforce object gets, as dlt's apply_hints does:
// its write disposition, primary key, merge key, column hints, and cursor (Incremental's
// CursorPath; NoIncremental for a full read every run). It applies to objects AllObjects finds
// and to objects added with AddObject or among the standard resources alike; name the object by
// its API name (Invoice__c).
func ObjectHints(object string, h Hints) SourceOption {
	return sourceOption(func(s *Source) {
		if s.spec.Objects == nil {
			s.spec.Objects = map[string]engine.ObjectHints{}
		}
		// The hints normalize as Resource.ApplyHints does them.
		r := (&Resource{}).ApplyHints(h)
		oh := engine.ObjectHints{Disposition: h.WriteDisposition, NoCursor: h.NoIncremental,
			PrimaryKey: r.primaryKey, MergeKey: r.mergeKey, Columns: r.columns, Strategy: r.strategy}
		if r.scd2 != nil {
			oh.Disposition, oh.SCD2 = Merge, r.scd2Spec()
		}
		if !r.strategy.Valid() {
			s.setErr(fmt.Errorf("ObjectHints(%q): unknown merge strategy %q: use %v", object, r.strategy, schema.MergeStrategies))
		}
		if h.Incremental != nil {
			oh.Cursor = h.Incremental.CursorPath
		}
		if h.WriteDisposition != "" && h.WriteDisposition != Append && h.WriteDisposition != Replace && h.WriteDisposition != Merge {
			s.setErr(fmt.Errorf("ObjectHints(%q): unknown write disposition %q: use append, replace or merge", object, h.WriteDisposition))
		}
		if h.Incremental != nil && !client.ValidAPIName(h.Incremental.CursorPath) {
			s.setErr(fmt.Errorf("ObjectHints(%q): cursor %q is not a Salesforce field name", object, h.Incremental.CursorPath))
		}
		s.spec.Objects[strings.ToLower(object)] = oh
	})
}

// Resource options.

// Disposition sets the resource's write disposition (Append, Replace or Merge).
func Disposition(w WriteDisposition) ResourceOption {
	return resourceOption(func(r *Resource) { r.disposition = w })
}

// PrimaryKey sets the resource's primary key columns.
func PrimaryKey(columns ...string) ResourceOption {
	return resourceOption(func(r *Resource) { r.primaryKey = normalizeNames(columns) })
}

// Cursor makes the resource incremental on inc's cursor (see NewIncremental).
func Cursor(inc *Incremental) ResourceOption {
	return resourceOption(func(r *Resource) { r.inc = inc })
}

// MergeOnSystemModstamp makes a Salesforce resource mirror its object the way the standard
// merge resources do: merge on Id, incremental on SystemModstamp (closed start, boundary
// records deduplicated), deleted records read with queryAll.
func MergeOnSystemModstamp() ResourceOption {
	return resourceOption(func(r *Resource) {
		r.disposition = Merge
		r.primaryKey = []string{"id"}
		r.inc = NewIncremental(SystemModstamp, nil)
	})
}

// SCD2 makes a resource a merge that keeps history, by dlt's scd2 strategy: a row per version
// of a record, valid from the load that brought it (_dlt_valid_from) until the load that
// brought its next version or its deletion (_dlt_valid_to; NULL, or the active record
// timestamp, while it is the record's current version). Salesforce resources are incremental
// reads, so this is dlt's incremental scd2 with Id as merge key: a record absent from a run's
// read is unchanged, a record deleted in Salesforce is retired and keeps no active version. At
// most one settings value (the zero value, dlt's defaults, when none).
func SCD2(opts ...SCD2Options) ResourceOption {
	return resourceOption(func(r *Resource) {
		var o *SCD2Options
		if len(opts) > 0 {
			o = &opts[0]
		}
		r.setStrategy(StrategySCD2, o)
	})
}

// Pipeline options.

// Dataset sets the dataset (a schema in the destination) to load into. The default is
// "<pipeline name>_dataset", as in dlt.
func Dataset(name string) PipelineOption {
	return pipelineOption(func(p *Pipeline) { p.dataset = name })
}

// PipelinesDir sets where pipelines keep their local state; the default is ~/.dlt/pipelines.
func PipelinesDir(dir string) PipelineOption {
	return pipelineOption(func(p *Pipeline) { p.pipelinesDir = dir })
}

// DevMode makes every run load into a fresh dataset named "<dataset>_<timestamp>", starting
// from an empty state, as dlt's dev_mode does.
func DevMode(on bool) PipelineOption { return pipelineOption(func(p *Pipeline) { p.devMode = on }) }

// OnProgress sets a function called as the run goes: per resource, when its read begins (no
// pages yet), after each page and when it ends. Resources are extracted in parallel, but calls are serialized: f needs no locking.
func OnProgress(f func(Progress)) PipelineOption {
	return pipelineOption(func(p *Pipeline) { p.progress = f })
}

// Parallelism sets how many resources a run extracts at once (default DefaultParallelism; 1
// extracts them one after another). Loading into the destination is always one writer.
func Parallelism(n int) PipelineOption {
	return pipelineOption(func(p *Pipeline) { p.parallelism = n })
}

// CommitEvery makes a run commit whenever about n rows were written since its last commit
// (default DefaultCommitEvery). Each commit is a complete dlt load (its own load id, the state
// of each resource as far as it was read, a _dlt_loads row), so a run that dies, is stopped or
// runs out of API calls is picked up by the next run where its last commit left off: merge
// resources from their cursor, replace resources after the last Id read. A commit waits for
// resources written in Go, which cannot be cut. 0 makes every run one single load, committed at
// its end.
func CommitEvery(n int) PipelineOption {
	return pipelineOption(func(p *Pipeline) { p.commitEvery, p.commitSet = n, true })
}

// Deprecated names, kept because published examples use them.

// WithWriteDisposition is Disposition.
//
// Deprecated: use Disposition.
func WithWriteDisposition(w WriteDisposition) ResourceOption { return Disposition(w) }

// WithPrimaryKey is PrimaryKey.
//
// Deprecated: use PrimaryKey.
func WithPrimaryKey(columns ...string) ResourceOption { return PrimaryKey(columns...) }

// WithIncremental is Cursor.
//
// Deprecated: use Cursor.
func WithIncremental(inc *Incremental) ResourceOption { return Cursor(inc) }

package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/internal/state"
	"github.com/sfdlt/sfdlt/schema"
)

// errUseBulk stops a REST read whose first page shows a result large enough for Bulk.
var errUseBulk = errors.New("large result: read it with Bulk API 2.0")

// bulkAllowed says whether a resource may read through Bulk: in production, when Bulk is on.
// Whether it does depends on the size of its read (see sizeUp): an incremental run's range is
// usually small and read with REST, but a large one (a mass update since the last run) is read
// by Bulk like a full load.
func (r *Extractor) bulkAllowed(o *objectRun) bool {
	if !(r.src.BulkThreshold > 0 && r.src.Production) {
		return false
	}
	if n := len(o.bulkQuery().soql()); n > maxSOQLChars {
		r.note(fmt.Sprintf("%s: its SOQL selecting every field is %d characters, more than Bulk API 2.0 takes (%d): read with REST in parts instead", o.res.name, n, maxSOQLChars))
		return false
	}
	return true
}

// bulkFallback reports whether a Bulk failure is one REST can do better: Bulk cannot select
// something, its limits are used up, or the job failed or hung. The org's daily API limit is
// not among them: REST would be refused too.
func bulkFallback(err error) bool {
	if errors.Is(err, client.ErrRequestLimitExceeded) {
		return false
	}
	for _, e := range []error{client.ErrBulkUnsupported, client.ErrBulkLimitExceeded, client.ErrBulkJobFailed, client.ErrBulkJobTimeout, client.ErrBulkJobAborted} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// bulkOptions are the Bulk job options of o: queryAll for merge resources; with chunked
// commits the job is kept when reading stops early, so a later run can read on from the last
// committed page.
func (r *Extractor) bulkOptions(o *objectRun) client.BulkOptions {
	opts := r.src.BulkOptions
	switch {
	case opts.ParallelPages == 0:
		opts.ParallelPages = DefaultBulkParallelPages
	case opts.ParallelPages < 0:
		opts.ParallelPages = 0 // the locator chain, one page after another
	}
	if opts.ParallelPages > 0 && opts.MaxRecords == 0 {
		opts.MaxRecords = DefaultBulkMaxRecords
	}
	opts.Operation = "query"
	if o.queryAll {
		opts.Operation = "queryAll"
	}
	opts.KeepJob = r.cfg.CommitEvery > 0
	// Kept after it is read too: the rows are safe only once committed, so the job is deleted
	// after the commit that completes the resource (see loader.committed).
	opts.KeepReadJob = opts.KeepJob
	return opts
}

// A Bulk job's result pages are read DefaultBulkParallelPages at a time (through /resultPages),
// of DefaultBulkMaxRecords rows each, unless the source's BulkOptions say otherwise. On a real
// org's latency a page waits for its first byte and then streams at network speed, so pages in
// parallel overlap those waits (measured with the emulator's RealOrgLatency: 300,000
// Opportunity rows by Bulk in 49-53 s against 64-78 s one page after another; BENCHMARKS.md).
// Pages in flight are held in memory: 10,000 rows each bound that to some tens of MB.
const (
	DefaultBulkParallelPages = 5
	DefaultBulkMaxRecords    = 10_000
)

// bulkRead reads an object with Bulk API 2.0 (see read).
type bulkRead struct{}

// read reads the object with a Bulk API 2.0 query job (queryAll for merge resources), or
// reads on a job an earlier run began (o.resumedJob), and decodes its CSV rows straight into
// typed rows. After each results page, the place where the next one starts is part of the
// resource's mark, so a commit records it.
func (bulkRead) read(ctx context.Context, r *Extractor, o *objectRun) error {
	// Bulk returns rows in no order a later run could go on from.
	o.ordered, o.positioned = false, false
	job := o.resumedJob
	if job == nil {
		var err error
		if job, err = r.sf.BulkQuery(ctx, o.bulkQuery().soql(), r.bulkOptions(o)); err != nil {
			return fmt.Errorf("bulk query of %s: %w", o.object, err)
		}
	}
	defer func() { o.bulkPos = nil }()
	o.prog.TotalRows = job.Info().NumberRecordsProcessed
	byName := make(map[string]int, len(o.fields))
	selected := make([]string, len(o.fields))
	for i, f := range o.fields {
		byName[f.name] = o.cols[i]
		selected[i] = f.name
	}
	var colOf []int // CSV column -> table column, from each page's header
	var header []string
	var misfits []normalize.Misfit
	for batch, err := range job.Results(ctx) {
		if err != nil {
			return fmt.Errorf("bulk results of %s: %w", o.object, err)
		}
		if !slices.Equal(header, batch.Header) {
			if o.resumedJob != nil && !slices.Equal(batch.Header, selected) {
				return errBulkJobChanged
			}
			header = append(header[:0], batch.Header...)
			colOf = make([]int, len(header))
			for i, h := range header {
				c, ok := byName[h]
				if !ok {
					return fmt.Errorf("bulk results of %s: column %q was not selected", o.object, h)
				}
				colOf[i] = c
			}
		}
		rows := make([][]any, 0, len(batch.Rows))
		for _, rec := range batch.Rows {
			if len(rec) != len(colOf) {
				return fmt.Errorf("bulk results of %s, page %d: a row has %d values for %d columns", o.object, batch.Page, len(rec), len(colOf))
			}
			row := make([]any, len(o.t.Columns))
			misfits = misfits[:0]
			for i, v := range rec {
				c := colOf[i]
				val, ok := convertCSV(v, o.types[c])
				if !ok {
					misfits = append(misfits, normalize.Misfit{Col: c, Value: v})
					continue
				}
				row[c] = val
			}
			keep, row, err := o.w.FinishRow(row, misfits)
			if err != nil {
				return fmt.Errorf("bulk page %d: %w", batch.Page, err)
			}
			if keep {
				rows = append(rows, row)
			}
		}
		pageEnd := batch.PageEnd && batch.Next != ""
		if pageEnd {
			o.bulkPos = &state.BulkPosition{Job: job.Info().ID, Locator: batch.Next, Rows: batch.RowsBefore + int64(len(batch.Rows))}
		}
		if err := r.pageDone(ctx, o, rows); err != nil {
			return err
		}
		if pageEnd {
			if err := r.checkQuota(ctx, fmt.Sprintf("bulk results page %d of %s", batch.Page+1, o.res.name)); err != nil {
				return err
			}
		}
	}
	if r.bulkOptions(o).KeepReadJob {
		o.readJob = job.Info().ID
	}
	return nil
}

// convertCSV converts one Bulk CSV value into the canonical Go value of type t, as convertJSON
// does for REST, so both paths give identical rows. Bulk writes null as an empty value
// (Salesforce stores no empty strings).
func convertCSV(v string, t schema.DataType) (any, bool) {
	if v == "" {
		return nil, true
	}
	switch t {
	case schema.Text:
		return v, true
	case schema.Bool:
		switch v {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	case schema.Bigint:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, true
		}
		return convertJSON([]byte(v), t)
	case schema.Double:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f, true
		}
	case schema.Decimal:
		if d, ok := fastDecimal([]byte(v)); ok {
			return d, true
		}
		return schema.CoerceColumn(json.Number(v), schema.NewColumn("", schema.Decimal))
	case schema.Timestamp:
		if ts, ok := fastDateTime([]byte(v)); ok {
			return ts, true
		}
		if ts, err := client.ParseDateTime(v); err == nil {
			return ts.UTC(), true
		}
	case schema.Date:
		if ts, ok := fastDate([]byte(v)); ok {
			return ts, true
		}
	case schema.Time:
		if ts, err := client.ParseTime(v); err == nil {
			h, m, s := ts.Clock()
			return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(ts.Nanosecond()), true
		}
	default:
		b, _ := json.Marshal(v)
		return convertJSON(b, t)
	}
	return nil, false
}

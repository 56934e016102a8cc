// Command history keeps the history of Salesforce opportunities with dlt's scd2 merge strategy:
// every version of a record is a row, valid from the load that brought it (_dlt_valid_from)
// until the load that brought its next version or its deletion (_dlt_valid_to, NULL while it is
// the current one). Pipeline questions such as "what stage was this deal in last Tuesday" or
// "how long do deals stay in Negotiation" become SQL over one table.
//
// The resource is the standard opportunity resource (merge on Id, incremental on
// SystemModstamp) with the scd2 strategy applied, in Go:
//
//	src.ApplyHints("opportunity", sfdlt.Hints{MergeStrategy: sfdlt.StrategySCD2})
//
// or in .dlt/config.toml, as dlt writes it:
//
//	[sources.salesforce.resources.opportunity]
//	write_disposition = { disposition = "merge", strategy = "scd2" }
//
// Between the runs the emulated org changes: deals move stage, one is deleted and then restored
// from the recycle bin. By default it runs against an emulated org started in this process: no
// credentials, no network. With SFDLT_EXAMPLE_REAL_ORG=1 it loads a real org instead (and changes
// nothing in it).
//
// Usage:
//
//	go run ./examples/history [dir]
//
// The data goes to <dir>/history.duckdb (dataset salesforce_history) and the pipeline's local
// state to <dir>/pipelines; without dir, to a new temporary directory, which is kept. The
// program exits with status 1 on any error.
package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

const exampleName = "history"

// run loads the opportunities three times, with changes in between, and queries their history.
func run(ctx context.Context, out io.Writer, dir string) error {
	sf, err := openOrg(out)
	if err != nil {
		return err
	}
	defer sf.Close()
	src, err := sf.newSource()
	if err != nil {
		return err
	}
	src = src.WithResources("opportunity").ApplyHints("opportunity", sfdlt.Hints{MergeStrategy: sfdlt.StrategySCD2})
	file := filepath.Join(dir, exampleName+".duckdb")
	p, err := sfdlt.NewPipeline("salesforce_history", duckdb.New(file), sfdlt.Dataset("salesforce_history"),
		sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Keeping the history of opportunities in %s\n", file)

	var deal, gone string
	for i, step := range []string{"First run: one version of every opportunity", "Second run: new versions of the changed deals, the deleted one retired", "Third run: the restored deal is active again"} {
		if i > 0 && sf.srv != nil {
			changes, err := changeOrg(ctx, sf.srv, file, i, &deal, &gone)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n== Meanwhile, in the emulated org\n\n")
			for _, c := range changes {
				fmt.Fprintln(out, "  "+c)
			}
		}
		fmt.Fprintf(out, "\n== %d. %s\n\n", i+1, step)
		info, err := p.Run(ctx, src)
		if info != nil {
			fmt.Fprint(out, info)
		}
		if err != nil {
			return err
		}
	}

	fmt.Fprintf(out, "\n== The history\n")
	queries := []string{
		`SELECT count(*) AS versions, count(DISTINCT id) AS records, count(*) FILTER (WHERE _dlt_valid_to IS NULL) AS active FROM salesforce_history.opportunity`,
	}
	if deal != "" {
		queries = append(queries,
			`SELECT stage_name, `+validity+` FROM salesforce_history.opportunity WHERE id = '`+deal+`' ORDER BY _dlt_valid_from`,
			`SELECT is_deleted, `+validity+` FROM salesforce_history.opportunity WHERE id = '`+gone+`' ORDER BY _dlt_valid_from`)
	}
	// The pipeline as it stood after the first run: the versions valid at that load's time.
	queries = append(queries, `SELECT stage_name, count(*) AS deals FROM salesforce_history.opportunity
		WHERE _dlt_valid_from <= (SELECT min(_dlt_valid_from) FROM salesforce_history.opportunity)
		  AND (_dlt_valid_to IS NULL OR _dlt_valid_to > (SELECT min(_dlt_valid_from) FROM salesforce_history.opportunity))
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3`)
	return query(ctx, out, file, queries...)
}

// validity selects the validity columns to the microsecond (the runs here are a fraction of a
// second apart).
const validity = `strftime(_dlt_valid_from, '%H:%M:%S.%f') AS valid_from, coalesce(strftime(_dlt_valid_to, '%H:%M:%S.%f'), 'NULL (active)') AS valid_to`

// changeOrg changes the emulated org before run n (1: the second run): the deal moves stage
// twice over the runs, another deal is deleted and then restored from the recycle bin. It finds
// the deals in the DuckDB file the first run wrote.
func changeOrg(ctx context.Context, srv *salesforcetest.Server, file string, n int, deal, gone *string) ([]string, error) {
	if n == 1 {
		db, err := openDuckDB(file)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, `SELECT min(id) FILTER (WHERE stage_name = 'Prospecting'), max(id) FROM salesforce_history.opportunity`).Scan(deal, gone); err != nil {
			return nil, fmt.Errorf("choosing the deals to change: %w", err)
		}
		if err := srv.Update("Opportunity", []string{*deal}, map[string]any{"StageName": "Negotiation/Review"}); err != nil {
			return nil, err
		}
		if err := srv.Delete("Opportunity", *gone); err != nil {
			return nil, err
		}
		return []string{"deal " + *deal + " moved from Prospecting to Negotiation/Review", "deal " + *gone + " was deleted"}, nil
	}
	if err := srv.Update("Opportunity", []string{*deal}, map[string]any{"StageName": "Closed Won"}); err != nil {
		return nil, err
	}
	if err := srv.Undelete("Opportunity", *gone); err != nil {
		return nil, err
	}
	return []string{"deal " + *deal + " was won", "deal " + *gone + " was restored from the recycle bin"}, nil
}

// Command walkthrough is the Go version of the walk-through of dlt's Salesforce verified
// source (salesforce_pipeline.py): load every resource of the source, then only opportunity and
// contact, then only contact and task, printing each run's LoadInfo as Python prints load_info.
//
// By default it runs against an emulated Salesforce org started in this process
// (salesforcetest.NewServer): no credentials, no network. With SFDLT_EXAMPLE_REAL_ORG=1 it loads
// a real org instead, configured as dlt configures one (config.Load and
// Config.Source: .dlt/secrets.toml, ~/.dlt/secrets.toml or the variables
// SOURCES__SALESFORCE__USER_NAME, __PASSWORD and __SECURITY_TOKEN).
//
// Usage:
//
//	go run ./examples/walkthrough [dir]
//
// The data goes to <dir>/walkthrough.duckdb (dataset salesforce_data) and the pipeline's local
// state to <dir>/pipelines; without dir, to a new temporary directory, which is kept so the file
// can be inspected afterwards. The program exits with status 1 on any error.
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

const exampleName = "walkthrough"

// run does the walk-through, writing into dir.
func run(ctx context.Context, out io.Writer, dir string) error {
	// Python: salesforce_source() (credentials come from .dlt/secrets.toml there, too)
	sf, err := openOrg(out)
	if err != nil {
		return err
	}
	defer sf.Close()
	src, err := sf.newSource()
	if err != nil {
		return err
	}

	// Python: pipeline = dlt.pipeline(pipeline_name="salesforce", destination="duckdb",
	//                                  dataset_name="salesforce_data")
	file := filepath.Join(dir, exampleName+".duckdb")
	p, err := sfdlt.NewPipeline("salesforce", duckdb.New(file),
		sfdlt.Dataset("salesforce_data"), sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Loading into %s\n", file)

	// Python: load_info = pipeline.run(salesforce_source())
	//         print(load_info)
	// All 15 resources: replace tables are loaded in full, merge tables from the beginning
	// (their incremental cursors have no state yet).
	fmt.Fprintf(out, "\n== 1. pipeline.run(salesforce_source())\n\n")
	if err := runAndPrint(ctx, out, p, src); err != nil {
		return err
	}

	if sf.srv != nil {
		// Not in the Python walk-through: someone works in the org, so that the next
		// incremental run has something to pick up (a real org changes by itself).
		ids, err := closeSomeOpportunities(ctx, sf.srv, file)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n(Meanwhile, in the emulated org, opportunities %v were closed.)\n", ids)
	}

	// Python: source = salesforce_source()
	//         load_info = pipeline.run(source.with_resources("opportunity", "contact"))
	// opportunity is incremental: only the records whose SystemModstamp moved since run 1 are
	// read, and merged on Id. contact is a replace resource: reloaded in full.
	fmt.Fprintf(out, "\n== 2. pipeline.run(source.with_resources(\"opportunity\", \"contact\"))\n\n")
	if err := runAndPrint(ctx, out, p, src.WithResources("opportunity", "contact")); err != nil {
		return err
	}

	// Python: load_info = pipeline.run(source.with_resources("contact", "task"))
	// No task changed since run 1, so the incremental task run loads no row.
	fmt.Fprintf(out, "\n== 3. pipeline.run(source.with_resources(\"contact\", \"task\"))\n\n")
	if err := runAndPrint(ctx, out, p, src.WithResources("contact", "task")); err != nil {
		return err
	}

	// Python: pipeline.dataset() or duckdb.connect("salesforce.duckdb")
	fmt.Fprintf(out, "\n== The data, with SQL\n")
	return query(ctx, out, file,
		`SELECT load_id, status FROM salesforce_data._dlt_loads ORDER BY load_id`,
		`SELECT stage_name, count(*) AS opportunities, sum(amount) AS amount
		   FROM salesforce_data.opportunity GROUP BY stage_name ORDER BY opportunities DESC, stage_name LIMIT 5`,
		`SELECT c.last_name, c.first_name, a.name AS account
		   FROM salesforce_data.contact c JOIN salesforce_data.account a ON a.id = c.account_id
		   ORDER BY c.id LIMIT 3`,
	)
}

// runAndPrint runs the pipeline and prints its LoadInfo, also when the run failed.
func runAndPrint(ctx context.Context, out io.Writer, p *sfdlt.Pipeline, src *sfdlt.Source) error {
	info, err := p.Run(ctx, src)
	if info != nil {
		fmt.Fprint(out, info)
	}
	return err
}

// closeSomeOpportunities marks three open opportunities of the emulated org as won and returns
// their ids. It finds them in the DuckDB file that run 1 wrote.
func closeSomeOpportunities(ctx context.Context, srv *salesforcetest.Server, file string) ([]string, error) {
	db, err := openDuckDB(file)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT id FROM salesforce_data.opportunity WHERE NOT is_closed ORDER BY id LIMIT 3`)
	if err != nil {
		return nil, fmt.Errorf("finding open opportunities: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("finding open opportunities: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding open opportunities: %w", err)
	}
	if len(ids) < 3 {
		return nil, fmt.Errorf("the emulated org has only %d open opportunities; the example needs 3", len(ids))
	}
	return ids, srv.Update("Opportunity", ids, map[string]any{"StageName": "Closed Won"})
}

// Command wholeorg loads a whole Salesforce org, custom objects too, the way data teams mirror
// one: sfdlt.AllObjects(true) (sfdlt run --all-objects, all_objects = true) adds every queryable
// object of the org beside the 15 standard resources, each with a disposition and cursor chosen
// from its describe (merge on SystemModstamp or LastModifiedDate; append on CreatedDate for
// history objects; replace without a cursor). Objects Salesforce refuses to read as a whole are
// skipped and listed; events and external objects are left out. A second run after changes in
// the org (updates that add field history, a new custom object) is incremental.
//
// By default it runs against an emulated org with the objects a real enterprise org has
// (salesforcetest.Options.WholeOrg): no credentials, no network. With SFDLT_EXAMPLE_REAL_ORG=1
// it loads a real org instead, configured as dlt configures one (config.Load and Config.Source).
//
// Usage:
//
//	go run ./examples/wholeorg [dir]
//
// The data goes to <dir>/wholeorg.duckdb (dataset salesforce_org) and the pipeline's local state
// to <dir>/pipelines; without dir, to a new temporary directory, which is kept. The program exits
// with status 1 on any error.
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

const exampleName = "wholeorg"

// emulatorOptions is the emulated org: the standard objects and a real org's others.
var emulatorOptions = salesforcetest.Options{Seed: 1, WholeOrg: true,
	Counts: map[string]int{"Customer_Profile__c": 50, "Meter_Reading__c": 2000}}

// run loads the whole org into dir, twice.
func run(ctx context.Context, out io.Writer, dir string) error {
	sf, err := openOrg(out)
	if err != nil {
		return err
	}
	defer sf.Close()
	// Every object of the org but the setup audit trail (a pattern, as an example); the run finds
	// them in the org's global describe when it starts.
	src, err := sf.newSource(sfdlt.AllObjects(true), sfdlt.ObjectsExclude("SetupAuditTrail"))
	if err != nil {
		return err
	}
	file := filepath.Join(dir, exampleName+".duckdb")
	p, err := sfdlt.NewPipeline("salesforce_org", duckdb.New(file), sfdlt.Dataset("salesforce_org"),
		sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Loading the whole org into %s\n", file)

	fmt.Fprintf(out, "\n== 1. First run: every object, from the beginning\n\n")
	if err := runAndPrint(ctx, out, p, src); err != nil {
		return err
	}

	if sf.srv != nil {
		changes, err := changeOrg(ctx, sf.srv, file)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n== 2. Meanwhile, in the emulated org\n\n")
		for _, c := range changes {
			fmt.Fprintln(out, "  "+c)
		}
	}

	fmt.Fprintf(out, "\n== 3. Second run: only what changed, and the new object\n\n")
	if err := runAndPrint(ctx, out, p, src); err != nil {
		return err
	}

	// What sfdlt pipeline salesforce_org show prints: each table, its rows, disposition and cursor.
	in, err := p.Inspect(ctx, 2)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n== 4. The dataset\n\n%s", in)

	return query(ctx, out, file,
		`SELECT field, count(*) AS changes FROM salesforce_org.opportunity_field_history GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`)
}

// runAndPrint runs the pipeline and prints its LoadInfo, also when the run failed.
func runAndPrint(ctx context.Context, out io.Writer, p *sfdlt.Pipeline, src *sfdlt.Source) error {
	info, err := p.Run(ctx, src)
	if info != nil {
		fmt.Fprint(out, info)
	}
	return err
}

// changeOrg changes the emulated org between the runs: opportunities change stage (Salesforce
// tracks the field: history rows appear), and an admin creates a custom object with records. It
// finds the opportunities in the DuckDB file the first run wrote.
func changeOrg(ctx context.Context, srv *salesforcetest.Server, file string) ([]string, error) {
	db, err := openDuckDB(file)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT id FROM salesforce_org.opportunity WHERE stage_name <> 'Closed Won' ORDER BY id LIMIT 3`)
	if err != nil {
		return nil, fmt.Errorf("reading opportunity ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reading opportunity ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading opportunity ids: %w", err)
	}
	if len(ids) < 3 {
		return nil, fmt.Errorf("the emulated org has only %d open opportunities; the example needs 3", len(ids))
	}
	if err := srv.Update("Opportunity", ids, map[string]any{"StageName": "Closed Won"}); err != nil {
		return nil, err
	}
	if err := srv.CreateObject("Invoice__c", "Invoice", salesforcetest.Field{Name: "Amount__c", Type: "currency", Precision: 18, Scale: 2, Nillable: true, Createable: true, Updateable: true}); err != nil {
		return nil, err
	}
	for i := range 3 {
		if _, err := srv.Insert("Invoice__c", map[string]any{"Name": fmt.Sprintf("INV-%03d", i+1), "Amount__c": 100.5 * float64(i+1)}); err != nil {
			return nil, err
		}
	}
	return []string{
		fmt.Sprintf("opportunities %s, %s and %s moved to Closed Won (field history records it)", ids[0], ids[1], ids[2]),
		"an admin created the custom object Invoice__c, with 3 records",
	}, nil
}

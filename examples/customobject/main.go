// Command customobject loads a custom Salesforce object, Something__c, twice: as a replace
// resource (Source.AddObject: the table holds exactly the org's records after every run) and,
// in a second pipeline and dataset, incrementally (sfdlt.MergeOnSystemModstamp: merged on Id,
// only records changed since the last run are read, deleted ones arrive with is_deleted).
// Then it shows, with SQL, the columns created from the object's describe: the components of
// the compound Location__c field and the formula fields among them.
//
// By default it runs against an emulated Salesforce org started in this process
// (salesforcetest.NewServer), whose Something__c has a field of every type: no credentials, no
// network. With SFDLT_EXAMPLE_REAL_ORG=1 it loads a real org instead, configured as dlt
// configures one (config.Load and Config.Source: .dlt/secrets.toml,
// ~/.dlt/secrets.toml or the SOURCES__SALESFORCE__* variables), and the object is
// SFDLT_EXAMPLE_OBJECT (default Something__c).
//
// Usage:
//
//	go run ./examples/customobject [dir]
//
// The data goes to <dir>/customobject.duckdb (datasets something_replace and something_merge)
// and the pipelines' local state to <dir>/pipelines; without dir, to a new temporary
// directory, which is kept. The program exits with status 1 on any error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
	"github.com/sfdlt/sfdlt/schema"
)

const exampleName = "customobject"

// run loads the custom object into dir.
func run(ctx context.Context, out io.Writer, dir string) error {
	sf, err := openOrg(out)
	if err != nil {
		return err
	}
	defer sf.Close()
	object := "Something__c"
	if sf.cfg != nil && os.Getenv("SFDLT_EXAMPLE_OBJECT") != "" {
		object = os.Getenv("SFDLT_EXAMPLE_OBJECT")
	}
	// AddObject names the resource, and its table, after the object in dlt's snake_case.
	table := schema.NormalizeTableName(object) // Something__c -> something__c

	// Replace: Python's @dlt.resource(write_disposition="replace") over the object. Every
	// source has the 15 standard resources too; WithResources loads only the custom one.
	replaceSrc, err := sf.newSource()
	if err != nil {
		return err
	}
	replaceSrc = replaceSrc.AddObject(object).WithResources(table)

	// Merge: a second source, because a source holds one resource per name. Its resource is
	// merged on Id and incremental on SystemModstamp, as the standard opportunity is.
	mergeSrc, err := sf.newSource()
	if err != nil {
		return err
	}
	mergeSrc = mergeSrc.AddObject(object, sfdlt.MergeOnSystemModstamp()).WithResources(table)

	// Two pipelines with their own datasets (and states) in one DuckDB file.
	file := filepath.Join(dir, exampleName+".duckdb")
	dest := duckdb.New(file)
	pipelines := sfdlt.PipelinesDir(filepath.Join(dir, "pipelines"))
	replaceP, err := sfdlt.NewPipeline("something_replace", dest, sfdlt.Dataset("something_replace"), pipelines)
	if err != nil {
		return err
	}
	mergeP, err := sfdlt.NewPipeline("something_merge", dest, sfdlt.Dataset("something_merge"), pipelines)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Loading %s into %s\n", object, file)

	fmt.Fprintf(out, "\n== 1. First runs: %s replaced, then merged (incremental, from the beginning)\n\n", object)
	if err := runAndPrint(ctx, out, replaceP, replaceSrc); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if err := runAndPrint(ctx, out, mergeP, mergeSrc); err != nil {
		return err
	}

	if sf.srv != nil {
		changes, err := changeSomethings(ctx, sf.srv, file)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n== 2. Meanwhile, in the emulated org\n\n")
		for _, c := range changes {
			fmt.Fprintln(out, "  "+c)
		}
	}

	// The replace run reads the whole object again; the merge run reads only the records whose
	// SystemModstamp moved (queryAll, so the deleted record comes too, with is_deleted = true).
	fmt.Fprintf(out, "\n== 3. Second runs: replace reloads everything, merge only what changed\n\n")
	if err := runAndPrint(ctx, out, replaceP, replaceSrc); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if err := runAndPrint(ctx, out, mergeP, mergeSrc); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n== 4. The tables, with SQL\n")
	queries := []string{
		// Every field of describe but the compound Location__c itself, whose components
		// location__latitude__s and location__longitude__s are there instead; formula fields
		// (amount_with_tax__c, summary__c, is_big__c) are included by default.
		fmt.Sprintf(`SELECT column_name, data_type FROM information_schema.columns
		   WHERE table_schema = 'something_merge' AND table_name = '%s' ORDER BY ordinal_position`, table),
		fmt.Sprintf(`SELECT 'something_replace' AS dataset, count(*) AS rows, count(*) FILTER (WHERE is_deleted) AS deleted FROM something_replace.%[1]s
		 UNION ALL SELECT 'something_merge', count(*), count(*) FILTER (WHERE is_deleted) FROM something_merge.%[1]s
		 ORDER BY dataset DESC`, table),
	}
	if sf.srv != nil {
		queries = append(queries,
			// The record inserted in step 2, with its location and formula values.
			`SELECT name, location__latitude__s AS lat, location__longitude__s AS lon, currency__c, amount_with_tax__c, is_big__c
			   FROM something_merge.something__c WHERE external_id__c = 'EXT-EXAMPLE'`,
			// Salesforce changes formula values without bumping SystemModstamp: the merge
			// dataset keeps the old ones for records that did not otherwise change. Leave
			// formulas out with sfdlt.FormulaFields(false), on the source or on AddObject, when
			// stale values matter more than having them.
			`SELECT r.id, r.summary__c AS replaced, m.summary__c AS merged
			   FROM something_replace.something__c r JOIN something_merge.something__c m USING (id)
			   WHERE r.summary__c IS DISTINCT FROM m.summary__c ORDER BY r.id LIMIT 3`,
		)
	}
	return query(ctx, out, file, queries...)
}

// runAndPrint runs the pipeline and prints its LoadInfo, also when the run failed.
func runAndPrint(ctx context.Context, out io.Writer, p *sfdlt.Pipeline, src *sfdlt.Source) error {
	info, err := p.Run(ctx, src)
	if info != nil {
		fmt.Fprint(out, info)
	}
	return err
}

// changeSomethings changes the emulated org's Something__c records as users would: it updates
// two, deletes one, inserts one and changes a formula. It finds the records in the DuckDB file
// the first runs wrote, and says what it did.
func changeSomethings(ctx context.Context, srv *salesforcetest.Server, file string) ([]string, error) {
	db, err := openDuckDB(file)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT id FROM something_merge.something__c ORDER BY id LIMIT 3`)
	if err != nil {
		return nil, fmt.Errorf("reading Something__c ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reading Something__c ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading Something__c ids: %w", err)
	}
	if len(ids) < 3 {
		return nil, fmt.Errorf("the emulated org has only %d Something__c records; the example needs 3", len(ids))
	}
	if err := srv.Update("Something__c", ids[:2], map[string]any{"Text__c": "updated by the example"}); err != nil {
		return nil, err
	}
	if err := srv.Delete("Something__c", ids[2]); err != nil {
		return nil, err
	}
	newID, err := srv.Insert("Something__c", map[string]any{
		"Name": "Inserted by the example", "External_Id__c": "EXT-EXAMPLE", "Currency__c": 1234567.89,
		"Location__Latitude__s": 48.8583701, "Location__Longitude__s": 2.2944813,
	})
	if err != nil {
		return nil, err
	}
	err = srv.SetFormula("Something__c", "Summary__c", func(r *salesforcetest.Record) any {
		name, _ := r.Get("Name").(string)
		return "v2: " + name
	})
	if err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("updated %s and %s (Text__c)", ids[0], ids[1]),
		fmt.Sprintf("deleted %s", ids[2]),
		fmt.Sprintf("inserted %s, with a location and a currency beyond a million (IsBig__c)", newID),
		"changed the formula of Summary__c (no SystemModstamp moves)",
	}, nil
}

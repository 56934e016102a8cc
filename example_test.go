package sfdlt_test

import (
	"context"
	"fmt"
	"iter"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// ExampleNewPipeline makes a pipeline that loads into the dataset crm_data of a DuckDB file. A
// pipeline keeps its state (incremental cursors) under its pipelines directory and in the
// destination; it does no I/O until it runs.
func ExampleNewPipeline() {
	dir, err := os.MkdirTemp("", "sfdlt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	p, err := sfdlt.NewPipeline("salesforce_crm", duckdb.New(filepath.Join(dir, "crm.duckdb")),
		sfdlt.Dataset("crm_data"),
		sfdlt.PipelinesDir(filepath.Join(dir, "pipelines"))) // default: ~/.dlt/pipelines
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Name(), p.DatasetName(), p.Destination().Info().Name)
	// Output:
	// salesforce_crm crm_data duckdb
}

// ExamplePipeline_Run loads accounts and opportunities of an emulated org into DuckDB, twice.
// Both are merged on Id, incrementally on SystemModstamp: the second run finds nothing new.
// For a real org, give NewSource the org's credentials instead (and Domain rather than
// LoginURL).
func ExamplePipeline_Run() {
	org := salesforcetest.NewServer(salesforcetest.Options{Seed: 1,
		Counts: map[string]int{"Account": 40, "Opportunity": 90}})
	defer org.Close()
	login := org.Credentials()
	src, err := sfdlt.NewSource(
		sfdlt.Credentials{UserName: login.UserName, Password: login.Password, SecurityToken: login.SecurityToken},
		sfdlt.LoginURL(org.URL()))
	if err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "sfdlt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := sfdlt.NewPipeline("salesforce_crm", duckdb.New(filepath.Join(dir, "crm.duckdb")),
		sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		info, err := p.Run(ctx, src.WithResources("account", "opportunity"))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("run %d: loaded=%v account=%d opportunity=%d\n",
			run, info.Loaded, info.RowCount("account"), info.RowCount("opportunity"))
	}
	// Output:
	// run 1: loaded=true account=40 opportunity=90
	// run 2: loaded=true account=0 opportunity=0
}

// ExampleNewResource loads records from Go, as a function decorated with @dlt.resource does in
// Python: here tickets of a helpdesk, merged on ticket_id and incremental on updated_at. Nested
// lists become child tables (support_tickets__tags) linked to their parent row. A second run
// gets the same tickets again and loads none of them: their cursor value was loaded already.
func ExampleNewResource() {
	updated := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	tickets := sfdlt.NewResource("support_tickets",
		func(ctx context.Context, inc *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
			// inc.LastValue() is where the last run stopped: ask the remote API from there.
			return func(yield func(map[string]any, error) bool) {
				for id, tags := range [][]string{{"billing"}, {"login", "urgent"}, nil} {
					ticket := map[string]any{"ticket_id": id + 1, "updated_at": updated, "tags": tags}
					if !yield(ticket, nil) {
						return
					}
				}
			}
		},
		sfdlt.Disposition(sfdlt.Merge),
		sfdlt.PrimaryKey("ticket_id"),
		sfdlt.Cursor(sfdlt.NewIncremental("updated_at", nil)))

	// A Go resource rides in a Salesforce source; the run logs in only when a selected
	// resource reads Salesforce.
	org := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	defer org.Close()
	login := org.Credentials()
	src, err := sfdlt.NewSource(
		sfdlt.Credentials{UserName: login.UserName, Password: login.Password, SecurityToken: login.SecurityToken},
		sfdlt.LoginURL(org.URL()))
	if err != nil {
		log.Fatal(err)
	}
	src = src.AddResource(tickets).WithResources("support_tickets")

	dir, err := os.MkdirTemp("", "sfdlt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := sfdlt.NewPipeline("helpdesk", duckdb.New(filepath.Join(dir, "helpdesk.duckdb")),
		sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	info, err := p.Run(ctx, src)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range info.Tables {
		fmt.Println(t.Table, t.Rows)
	}
	if info, err = p.Run(ctx, src); err != nil {
		log.Fatal(err)
	}
	fmt.Println("second run:", info.RowCount("support_tickets"))
	// Output:
	// support_tickets 3
	// support_tickets__tags 3
	// second run: 0
}

// ExampleSource_WithResources picks resources of the source by name, as dlt's with_resources
// does: here two of the 15 standard ones. A name the source does not have is an error, which
// lists the names it has.
func ExampleSource_WithResources() {
	org := salesforcetest.NewServer(salesforcetest.Options{Seed: 1,
		Counts: map[string]int{"Contact": 60, "Lead": 25}})
	defer org.Close()
	login := org.Credentials()
	src, err := sfdlt.NewSource(
		sfdlt.Credentials{UserName: login.UserName, Password: login.Password, SecurityToken: login.SecurityToken},
		sfdlt.LoginURL(org.URL()))
	if err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "sfdlt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := sfdlt.NewPipeline("salesforce_crm", duckdb.New(filepath.Join(dir, "crm.duckdb")),
		sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		log.Fatal(err)
	}
	info, err := p.Run(context.Background(), src.WithResources("contact", "lead"))
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range info.Tables {
		fmt.Println(t.Table, t.Rows)
	}

	fmt.Println(src.WithResources("contacts").Err())
	// Output:
	// contact 60
	// lead 25
	// the salesforce source has no resource "contacts"; it has: sf_user, user_role, opportunity, opportunity_line_item, opportunity_contact_role, account, contact, lead, campaign, campaign_member, product_2, pricebook_2, pricebook_entry, task, event
}

// ExamplePipeline_Query loads opportunities of an emulated org into DuckDB, then reads them
// back with SQL: one statement, run in a read-only transaction (a statement that writes fails),
// as the SQL box of `sfdlt pipeline NAME show --web` runs it.
func ExamplePipeline_Query() {
	org := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, Counts: map[string]int{"Opportunity": 25}})
	defer org.Close()
	login := org.Credentials()
	src, err := sfdlt.NewSource(
		sfdlt.Credentials{UserName: login.UserName, Password: login.Password, SecurityToken: login.SecurityToken},
		sfdlt.LoginURL(org.URL()))
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "sfdlt-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := sfdlt.NewPipeline("salesforce_crm", duckdb.New(filepath.Join(dir, "crm.duckdb")),
		sfdlt.Dataset("crm_data"), sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := p.Run(ctx, src.WithResources("opportunity")); err != nil {
		log.Fatal(err)
	}

	res, err := p.Query(ctx, `SELECT count(*) AS opportunities FROM crm_data.opportunity`, 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Columns[0], res.Rows[0][0])
	_, err = p.Query(ctx, `DELETE FROM crm_data.opportunity`, 10)
	fmt.Println("delete refused:", err != nil)
	// Output:
	// opportunities 25
	// delete refused: true
}

package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sfdlt/sfdlt/client"
)

// ExampleClient_BulkQuery runs a Bulk API 2.0 query job, streams its rows batch by batch, and
// falls back to a REST query when Bulk cannot take the query.
func ExampleClient_BulkQuery() {
	ctx := context.Background()
	c, err := client.New(ctx, client.Config{Credentials: client.Credentials{ /* ... */ }})
	if err != nil {
		log.Fatal(err)
	}
	soql := "SELECT Id, Name, SystemModstamp FROM Opportunity"
	job, err := c.BulkQuery(ctx, soql, client.BulkOptions{MaxRecords: 50000})
	switch {
	case errors.Is(err, client.ErrRequestLimitExceeded):
		log.Fatal(err) // REST would be refused too
	case errors.Is(err, client.ErrBulkLimitExceeded), errors.Is(err, client.ErrBulkUnsupported):
		for page, err := range c.Query(ctx, soql) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(len(page.Records), "records through REST")
		}
		return
	case err != nil:
		log.Fatal(err)
	}
	for batch, err := range job.Results(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		for _, row := range batch.Rows {
			fmt.Println(row[0]) // batch.Header names the columns; "" is null
		}
	}
}

// ExampleClient_ResumeBulkQuery reads a Bulk job page by page, keeping the job (KeepJob) so that
// a run that dies can read it on in the next process from the last page it committed.
func ExampleClient_ResumeBulkQuery() {
	ctx := context.Background()
	c, err := client.New(ctx, client.Config{Credentials: client.Credentials{ /* ... */ }})
	if err != nil {
		log.Fatal(err)
	}
	opts := client.BulkOptions{MaxRecords: 50000, KeepJob: true}
	// saved is what an earlier process committed: job id, locator and rows read before it.
	var saved struct {
		job, locator string
		rows         int64
	}
	var job *client.BulkJob
	if saved.job != "" {
		job, err = c.ResumeBulkQuery(ctx, saved.job, saved.locator, saved.rows, opts)
		if errors.Is(err, client.ErrNotFound) {
			job, err = nil, nil // the job is gone (deleted, or older than 7 days): read anew
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	if job == nil {
		if job, err = c.BulkQuery(ctx, "SELECT Id, Name FROM Account", opts); err != nil {
			log.Fatal(err)
		}
	}
	for batch, err := range job.Results(ctx) {
		if err != nil {
			log.Fatal(err) // the job is kept: the next process reads on from saved
		}
		// ... write batch.Rows ...
		if batch.PageEnd && batch.Next != "" {
			// Commit the rows written so far together with where the next page starts.
			saved.job, saved.locator = job.Info().ID, batch.Next
			saved.rows = batch.RowsBefore + int64(len(batch.Rows))
		}
	}
}

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

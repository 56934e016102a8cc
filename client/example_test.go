package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/sfdlt/sfdlt/client"
)

// ExampleClient_Query logs in with the OAuth client credentials flow and reads a query page by
// page. The org here is a tiny stand-in; point LoginURL (or Domain) at a real one instead.
func ExampleClient_Query() {
	var org *httptest.Server
	org = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Sforce-Limit-Info", "api-usage=42/15000")
		switch r.URL.Path {
		case "/services/oauth2/token":
			fmt.Fprintf(w, `{"access_token":"token","instance_url":%q,"issued_at":"1700000000000"}`, org.URL)
		case "/services/data/v64.0/query":
			fmt.Fprint(w, `{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v64.0/query/01gxx-2","records":[`+
				`{"attributes":{"type":"Account"},"Id":"001000000000001AAA"},{"attributes":{"type":"Account"},"Id":"001000000000002AAA"}]}`)
		case "/services/data/v64.0/query/01gxx-2":
			fmt.Fprint(w, `{"totalSize":3,"done":true,"records":[{"attributes":{"type":"Account"},"Id":"001000000000003AAA"}]}`)
		}
	}))
	defer org.Close()

	ctx := context.Background()
	c, err := client.New(ctx, client.Config{
		LoginURL:    org.URL, // or Domain: "acme.my"
		Credentials: client.Credentials{ClientID: "consumer-key", ClientSecret: "consumer-secret"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for page, err := range c.Query(ctx, "SELECT Id FROM Account", client.BatchSize(2000)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("page %d: %d of %d records, done=%v\n", page.Number, len(page.Records), page.TotalSize, page.Done)
	}
	u := c.Usage()
	fmt.Printf("API usage %d/%d\n", u.Used, u.Max)
	// Output:
	// page 1: 2 of 3 records, done=false
	// page 2: 1 of 3 records, done=true
	// API usage 42/15000
}

// ExampleParseDateTime parses the datetime forms Salesforce sends.
func ExampleParseDateTime() {
	for _, s := range []string{"2011-07-07T00:37:00.000+0000", "2019-01-05T03:41:05.000Z", "2024-01-31T10:00:00+00:00"} {
		t, err := client.ParseDateTime(s)
		fmt.Println(t, err)
	}
	// Output:
	// 2011-07-07 00:37:00 +0000 UTC <nil>
	// 2019-01-05 03:41:05 +0000 UTC <nil>
	// 2024-01-31 10:00:00 +0000 UTC <nil>
}

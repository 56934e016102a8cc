package salesforcetest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// ExampleNewServer logs in with the OAuth password flow and runs a query, as curl would:
//
//	curl -d grant_type=password -d client_id=$ID -d client_secret=$SECRET \
//	     -d username=demo@sfdlt.example -d password=demo-passworddemoSecurityToken $URL/services/oauth2/token
//	curl -H "Authorization: Bearer $TOKEN" "$URL/services/data/v62.0/query?q=SELECT+COUNT()+FROM+Account"
func ExampleNewServer() {
	s := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, Counts: map[string]int{"Account": 3}})
	defer s.Close()
	c := s.Credentials()

	resp, err := http.PostForm(s.URL()+"/services/oauth2/token", url.Values{
		"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
		"username": {c.UserName}, "password": {c.Password + c.SecurityToken},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println("instance is the server:", tok.InstanceURL == s.URL())

	req, _ := http.NewRequest(http.MethodGet, tok.InstanceURL+"/services/data/v62.0/query?q="+url.QueryEscape("SELECT COUNT() FROM Account"), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(resp.Header.Get("Sforce-Limit-Info"))
	fmt.Println(string(body))
	// Output:
	// instance is the server: true
	// 200 OK
	// api-usage=1/15000;per-app-api-usage=1/5000(appName=sfdlt_emulator)
	// {"totalSize":3,"done":true,"records":[]}
}

// ExampleLimits shows the query cursor limit, lowered to 2 for the example: a third query whose
// first page is not its last releases the first cursor, whose nextRecordsUrl then answers
// INVALID_QUERY_LOCATOR. Limits: NoLimits() would turn every limit off.
func ExampleLimits() {
	s := salesforcetest.NewServer(salesforcetest.Options{
		Counts: map[string]int{"Product2": 450},
		Limits: salesforcetest.Limits{QueryCursors: 2},
	})
	defer s.Close()
	c := s.Credentials()
	resp, err := http.PostForm(s.URL()+"/services/oauth2/token", url.Values{
		"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
		"username": {c.UserName}, "password": {c.Password + c.SecurityToken},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Sforce-Query-Options", "batchSize=200")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	var next []string
	for range 3 {
		_, body := get("/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Product2"))
		var page struct {
			NextRecordsURL string `json:"nextRecordsUrl"`
		}
		_ = json.Unmarshal(body, &page)
		next = append(next, page.NextRecordsURL)
	}
	fmt.Println("open:", s.OpenCursors(), "released:", s.ReleasedCursors())
	status, body := get(next[0])
	fmt.Println(status, string(body))
	status, _ = get(next[2])
	fmt.Println(status)
	// Output:
	// open: 2 released: 1
	// 400 [{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}]
	// 200
}

// ExampleOptions_wholeOrg shows what whole-org discovery meets: objects global describe calls
// not queryable, and one it calls queryable that refuses a query without its filter.
func ExampleOptions_wholeOrg() {
	s := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, WholeOrg: true})
	defer s.Close()
	for _, o := range s.Objects() {
		if !o.Queryable {
			fmt.Println("not queryable:", o.Name)
		}
	}
	c := s.Credentials()
	resp, err := http.PostForm(s.URL()+"/services/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM ContentDocumentLink"), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// not queryable: AccountChangeEvent
	// not queryable: OpportunityChangeEvent
	// not queryable: Order_Event__e
	// not queryable: Something__ChangeEvent
	// 400 [{"message":"Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using the IN operator.","errorCode":"MALFORMED_QUERY"}]
}

package salesforcetest_test

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// wholeOrgObjects are the objects Options.WholeOrg adds.
var wholeOrgObjects = []string{
	"AccountChangeEvent", "AccountShare", "ContentDocumentLink", "Customer_Profile__c", "EventLogFile",
	"Group", "GroupMember", "Legacy_Invoice__x", "Meter_Reading__c", "OpportunityChangeEvent",
	"OpportunityFieldHistory", "Order_Event__e", "RecordType", "SetupAuditTrail",
	"Something__ChangeEvent", "Very_Long_Custom_Object_Name_For_Testing__c",
}

func newWholeOrg(t *testing.T, opts salesforcetest.Options) (*salesforcetest.Server, string) {
	t.Helper()
	opts.WholeOrg = true
	s := newServer(t, opts)
	return s, soapLogin(t, s)
}

// globalDescribe returns the sobjects entries of GET sobjects by name, with the response.
func globalDescribe(t *testing.T, s *salesforcetest.Server, tok string, hdr ...string) (map[string]map[string]any, response) {
	t.Helper()
	r := get(t, s, tok, "sobjects", hdr...)
	if r.status != http.StatusOK {
		return nil, r
	}
	var body struct {
		SObjects []map[string]any `json:"sobjects"`
	}
	mustJSON(t, r.body, &body)
	out := map[string]map[string]any{}
	for _, o := range body.SObjects {
		out[o["name"].(string)] = o
	}
	return out, r
}

func TestWholeOrgGlobalDescribe(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1})
	objs, r := globalDescribe(t, s, tok)
	if r.status != http.StatusOK {
		t.Fatal(r)
	}
	var want []string
	for name := range salesforcetest.DefaultCounts() {
		want = append(want, name)
	}
	want = append(want, wholeOrgObjects...)
	sort.Strings(want)
	var got []string
	for name := range objs {
		got = append(got, name)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("global describe lists\n%v\nwant\n%v", got, want)
	}
	keys := []string{"name", "label", "keyPrefix", "custom", "queryable", "replicateable", "retrieveable", "createable",
		"deletable", "layoutable", "searchable", "triggerable", "urls"}
	for name, o := range objs {
		for _, k := range keys {
			if _, ok := o[k]; !ok {
				t.Errorf("%s lacks %s", name, k)
			}
		}
	}
	// keyPrefix "" stands for null.
	cases := []struct {
		name, keyPrefix                                                           string
		custom, queryable, replicateable, createable, deletable, layout, triggers bool
	}{
		{"OpportunityFieldHistory", "017", false, true, false, false, false, false, false},
		{"AccountShare", "00r", false, true, false, true, true, false, false},
		{"Group", "00G", false, true, true, true, true, false, false},
		{"GroupMember", "011", false, true, true, true, true, false, false},
		{"RecordType", "012", false, true, true, false, false, false, false},
		{"ContentDocumentLink", "06A", false, true, true, true, true, false, true},
		{"EventLogFile", "0AT", false, true, true, false, false, false, false},
		{"SetupAuditTrail", "0Ym", false, true, false, false, false, false, false},
		{"Order_Event__e", "e00", true, false, false, true, false, false, true},
		{"AccountChangeEvent", "", false, false, false, false, false, false, true},
		{"OpportunityChangeEvent", "", false, false, false, false, false, false, true},
		{"Something__ChangeEvent", "", true, false, false, false, false, false, true},
		{"Legacy_Invoice__x", "x00", true, true, false, false, false, true, false},
		{"Meter_Reading__c", "a02", true, true, true, true, true, true, true},
		{"Customer_Profile__c", "a03", true, true, true, true, true, true, true},
		{"Very_Long_Custom_Object_Name_For_Testing__c", "a04", true, true, true, true, true, true, true},
	}
	for _, c := range cases {
		o := objs[c.name]
		var prefix any = c.keyPrefix
		if c.keyPrefix == "" {
			prefix = nil
		}
		got := []any{o["keyPrefix"], o["custom"], o["queryable"], o["replicateable"], o["createable"], o["deletable"], o["layoutable"], o["triggerable"]}
		want := []any{prefix, c.custom, c.queryable, c.replicateable, c.createable, c.deletable, c.layout, c.triggers}
		if !slices.Equal(got, want) {
			t.Errorf("%s: keyPrefix, custom, queryable, replicateable, createable, deletable, layoutable, triggerable = %v, want %v", c.name, got, want)
		}
		if urls := o["urls"].(map[string]any); urls["describe"] != "/services/data/v62.0/sobjects/"+c.name+"/describe" {
			t.Errorf("%s urls %v", c.name, urls)
		}
	}
}

func TestWholeOrgGlobalDescribeNotModified(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1})
	_, r := globalDescribe(t, s, tok)
	last := r.header.Get("Last-Modified")
	if _, err := http.ParseTime(last); err != nil {
		t.Fatalf("Last-Modified %q: %v", last, err)
	}
	notModified := func(since string) {
		t.Helper()
		if r := get(t, s, tok, "sobjects", "If-Modified-Since", since); r.status != http.StatusNotModified || len(r.body) != 0 {
			t.Fatalf("If-Modified-Since %s: %v, want 304 without a body", since, r)
		}
	}
	modified := func(since string) (map[string]map[string]any, string) {
		t.Helper()
		objs, r := globalDescribe(t, s, tok, "If-Modified-Since", since)
		if r.status != http.StatusOK {
			t.Fatalf("If-Modified-Since %s after a change: %v, want 200", since, r)
		}
		lm := r.header.Get("Last-Modified")
		if a, _ := http.ParseTime(lm); !a.After(mustParseHTTPTime(t, since)) {
			t.Fatalf("Last-Modified %s is not after %s", lm, since)
		}
		return objs, lm
	}
	notModified(last)

	// Records change; the object list does not.
	id, err := s.Insert("Meter_Reading__c", map[string]any{"Name": "MR-new"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update("Meter_Reading__c", []string{id}, map[string]any{"Unit__c": "kWh"}); err != nil {
		t.Fatal(err)
	}
	notModified(last)

	s.Advance(2 * time.Second) // Last-Modified has whole seconds
	err = s.CreateObject("Invoice__c", "Invoice",
		salesforcetest.Field{Name: "Amount__c", Type: "currency", Precision: 18, Scale: 2, Nillable: true, Createable: true, Updateable: true, Filterable: true, Custom: true},
		salesforcetest.Field{Name: "Due__c", Type: "date", Nillable: true, Createable: true, Updateable: true, Filterable: true, Custom: true})
	if err != nil {
		t.Fatal(err)
	}
	objs, afterCreate := modified(last)
	inv := objs["Invoice__c"]
	if inv == nil || inv["keyPrefix"] != "a05" || inv["custom"] != true || inv["queryable"] != true {
		t.Fatalf("the new object in global describe: %v", inv)
	}
	notModified(afterCreate)
	r = get(t, s, tok, "sobjects/Invoice__c/describe")
	if r.status != http.StatusOK {
		t.Fatal(r)
	}
	if r.header.Get("Last-Modified") != afterCreate {
		t.Errorf("the new object's describe was last modified %s, the list %s", r.header.Get("Last-Modified"), afterCreate)
	}

	s.Advance(2 * time.Second)
	if err := s.DeleteObject("Meter_Reading__c"); err != nil {
		t.Fatal(err)
	}
	objs, afterDelete := modified(afterCreate)
	if objs["Meter_Reading__c"] != nil || objs["Invoice__c"] == nil {
		t.Fatalf("after deleting Meter_Reading__c the list has Meter_Reading__c %v, Invoice__c %v", objs["Meter_Reading__c"] != nil, objs["Invoice__c"] != nil)
	}
	notModified(afterDelete)
	wantRESTError(t, get(t, s, tok, "sobjects/Meter_Reading__c/describe"), http.StatusNotFound, "NOT_FOUND")
	wantRESTError(t, get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM Meter_Reading__c")), http.StatusBadRequest, "INVALID_TYPE")
	// Lookups to the deleted object's records keep their values.
	page := queryAllPages(t, s, tok, "query", "SELECT Id, Related_Meter_Reading_For_Long_Name_Test__c FROM Very_Long_Custom_Object_Name_For_Testing__c")
	linked := 0
	for _, rec := range page[0].Records {
		if v, _ := rec["Related_Meter_Reading_For_Long_Name_Test__c"].(string); strings.HasPrefix(v, "a02") {
			linked++
		}
	}
	if linked == 0 {
		t.Error("lookups to the deleted object's records were emptied")
	}
}

func mustParseHTTPTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := http.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// describeFields returns an object's describe fields by name.
func describeFields(t *testing.T, s *salesforcetest.Server, tok, object string) (map[string]any, map[string]map[string]any) {
	t.Helper()
	r := get(t, s, tok, "sobjects/"+object+"/describe")
	if r.status != http.StatusOK {
		t.Fatalf("describe %s: %v", object, r)
	}
	var d map[string]any
	mustJSON(t, r.body, &d)
	fields := map[string]map[string]any{}
	for _, f := range d["fields"].([]any) {
		fm := f.(map[string]any)
		fields[fm["name"].(string)] = fm
	}
	return d, fields
}

func TestWholeOrgDescribes(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1})
	// Which cursor fields each object has: what a loader picks its incremental cursor from.
	cases := []struct {
		name                                       string
		id, modstamp, lastModified, created, isDel bool
	}{
		{"OpportunityFieldHistory", true, false, false, true, true},
		{"AccountShare", true, false, true, false, true},
		{"Group", true, true, true, true, false},
		{"GroupMember", true, true, false, false, false},
		{"RecordType", true, true, true, true, false},
		{"ContentDocumentLink", true, true, false, false, true},
		{"EventLogFile", true, true, true, true, true},
		{"SetupAuditTrail", true, false, false, true, false},
		{"Order_Event__e", false, false, false, true, false},
		{"AccountChangeEvent", true, true, true, true, false},
		{"Legacy_Invoice__x", true, false, false, false, false},
		{"Meter_Reading__c", true, true, true, true, true},
		{"Customer_Profile__c", true, true, true, true, true},
		{"Very_Long_Custom_Object_Name_For_Testing__c", true, true, true, true, true},
	}
	for _, c := range cases {
		d, fields := describeFields(t, s, tok, c.name)
		has := func(f string) bool { _, ok := fields[f]; return ok }
		got := []bool{has("Id"), has("SystemModstamp"), has("LastModifiedDate"), has("CreatedDate"), has("IsDeleted")}
		want := []bool{c.id, c.modstamp, c.lastModified, c.created, c.isDel}
		if !slices.Equal(got, want) {
			t.Errorf("%s has Id, SystemModstamp, LastModifiedDate, CreatedDate, IsDeleted = %v, want %v", c.name, got, want)
		}
		if d["name"] != c.name {
			t.Errorf("describe of %s names %v", c.name, d["name"])
		}
	}

	_, hist := describeFields(t, s, tok, "OpportunityFieldHistory")
	for _, name := range []string{"OldValue", "NewValue"} {
		f := hist[name]
		if f["type"] != "anyType" || f["soapType"] != "xsd:anyType" || f["filterable"] != false || f["sortable"] != false {
			t.Errorf("OpportunityFieldHistory.%s: type %v soapType %v filterable %v sortable %v", name, f["type"], f["soapType"], f["filterable"], f["sortable"])
		}
	}
	if f := hist["OpportunityId"]; f["referenceTo"].([]any)[0] != "Opportunity" || f["updateable"] != false {
		t.Errorf("OpportunityFieldHistory.OpportunityId: %v", f)
	}

	_, cdl := describeFields(t, s, tok, "ContentDocumentLink")
	if to := cdl["LinkedEntityId"]["referenceTo"].([]any); len(to) < 2 || cdl["LinkedEntityId"]["polymorphicForeignKey"] != true {
		t.Errorf("ContentDocumentLink.LinkedEntityId is not polymorphic: %v", cdl["LinkedEntityId"])
	}

	d, ev := describeFields(t, s, tok, "AccountChangeEvent")
	_, acc := describeFields(t, s, tok, "Account")
	if d["queryable"] != false || ev["ChangeEventHeader"]["type"] != "ComplexValue" || ev["ReplayId"] == nil || ev["BillingAddress"] == nil {
		t.Errorf("AccountChangeEvent: queryable %v, fields %v", d["queryable"], keysOfFields(ev))
	}
	if ev["IsDeleted"] != nil || len(ev) != len(acc)-1+2 {
		t.Errorf("AccountChangeEvent has %d fields, want Account's %d but IsDeleted, plus ReplayId and ChangeEventHeader", len(ev), len(acc))
	}

	d, pe := describeFields(t, s, tok, "Order_Event__e")
	if d["queryable"] != false || d["custom"] != true || pe["ReplayId"] == nil || pe["EventUuid"] == nil || pe["Order_Number__c"] == nil {
		t.Errorf("Order_Event__e: %v %v", d["queryable"], keysOfFields(pe))
	}

	_, long := describeFields(t, s, tok, "Very_Long_Custom_Object_Name_For_Testing__c")
	for _, name := range []string{"Another_Very_Long_Custom_Field_Name_Here__c", "Related_Meter_Reading_For_Long_Name_Test__c"} {
		if long[name] == nil || len(strings.TrimSuffix(name, "__c")) != 40 {
			t.Errorf("no 40-character field %s", name)
		}
	}
	if rel := long["Related_Meter_Reading_For_Long_Name_Test__c"]["relationshipName"]; rel != "Related_Meter_Reading_For_Long_Name_Test__r" {
		t.Errorf("relationshipName %v", rel)
	}

	_, wide := describeFields(t, s, tok, "Customer_Profile__c")
	custom := 0
	for _, f := range wide {
		if f["custom"] == true {
			custom++
		}
	}
	if custom < 500 {
		t.Errorf("Customer_Profile__c has %d custom fields, want 500 or more", custom)
	}
}

func keysOfFields(m map[string]map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// The exact texts refusing objects answer (see the package documentation).
const (
	msgCDL          = "Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using the IN operator."
	msgNotSupported = "sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
)

func TestWholeOrgRefusals(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1})
	ids := func(soql string) []string {
		var out []string
		for _, p := range queryAllPages(t, s, tok, "query", soql) {
			for _, r := range p.Records {
				out = append(out, r["Id"].(string))
			}
		}
		return out
	}
	accounts := ids("SELECT Id FROM Account")
	linksOfAll := queryAllPages(t, s, tok, "query", "SELECT Id, LinkedEntityId FROM ContentDocumentLink WHERE LinkedEntityId IN ('"+strings.Join(accounts, "','")+"')")
	if linksOfAll[0].TotalSize == 0 {
		t.Fatal("no ContentDocumentLink rows for any account")
	}
	acc := linksOfAll[0].Records[0]["LinkedEntityId"].(string)

	notSupported := func(obj string) string { return strings.ReplaceAll(msgNotSupported, "%s", obj) }
	cases := []struct {
		soql, code, msg string // code "" = served
	}{
		{"SELECT Id FROM ContentDocumentLink", "MALFORMED_QUERY", msgCDL},
		{"SELECT COUNT() FROM ContentDocumentLink", "MALFORMED_QUERY", msgCDL},
		{"SELECT Id FROM ContentDocumentLink WHERE ShareType = 'V'", "MALFORMED_QUERY", msgCDL},
		{"SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId != '" + acc + "'", "MALFORMED_QUERY", msgCDL},
		{"SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '" + acc + "' OR ShareType = 'V'", "MALFORMED_QUERY", msgCDL},
		{"SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '" + acc + "'", "", ""},
		{"SELECT Id FROM ContentDocumentLink WHERE ShareType = 'V' AND (LinkedEntityId = '" + acc + "')", "", ""},
		{"SELECT Id FROM ContentDocumentLink WHERE ContentDocumentId IN ('069000000000000AAA', '069000000000001AAA')", "", ""},
		{"SELECT Id FROM EventLogFile", "INVALID_TYPE", notSupported("EventLogFile")},
		{"SELECT Id FROM Order_Event__e", "INVALID_TYPE", notSupported("Order_Event__e")},
		{"SELECT Id FROM AccountChangeEvent", "INVALID_TYPE", notSupported("AccountChangeEvent")},
		{"SELECT Id FROM SetupAuditTrail", "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id"},
		{"SELECT Id FROM SetupAuditTrail WHERE CreatedDate > 2024-01-01T00:00:00Z", "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id"},
		{"SELECT Idd FROM SetupAuditTrail", "INVALID_FIELD", ""}, // fields are checked first
		{"SELECT Id FROM OpportunityFieldHistory WHERE OldValue = 'x'", "INVALID_FIELD", ""},
		{"SELECT Id, ExternalId FROM Legacy_Invoice__x", "", ""},
		{"SELECT Id, Name, Type FROM Group", "", ""},
		{"SELECT Id FROM Group BY Name", "MALFORMED_QUERY", ""},
	}
	for _, c := range cases {
		for _, resource := range []string{"query", "queryAll"} {
			r := get(t, s, tok, resource+"?q="+url.QueryEscape(c.soql))
			if c.code == "" {
				if r.status != http.StatusOK {
					t.Errorf("%s %s: %v, want 200", resource, c.soql, r)
				}
				continue
			}
			if r.status != http.StatusBadRequest {
				t.Errorf("%s %s: %v, want 400 %s", resource, c.soql, r, c.code)
				continue
			}
			e := restErr(t, r)
			msg, _ := e["message"].(string)
			if e["errorCode"] != c.code || c.msg != "" && !strings.HasSuffix(msg, c.msg) {
				t.Errorf("%s %s: %s %q, want %s %q", resource, c.soql, e["errorCode"], msg, c.code, c.msg)
			}
		}
	}
	for _, p := range queryAllPages(t, s, tok, "query", "SELECT Id, LinkedEntityId FROM ContentDocumentLink WHERE LinkedEntityId = '"+acc+"'") {
		for _, r := range p.Records {
			if r["LinkedEntityId"] != acc {
				t.Errorf("filtered by %s, got a link to %v", acc, r["LinkedEntityId"])
			}
		}
	}
}

func TestWholeOrgBulkRefusals(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1})
	// Refused when the query runs: the job is created and ends Failed.
	for _, c := range []struct{ soql, errMsg string }{
		{"SELECT Id FROM ContentDocumentLink", "Failed to process query: MALFORMED_QUERY: " + msgCDL},
		{"SELECT Id, ExternalId FROM Legacy_Invoice__x", "Entity 'Legacy_Invoice__x' is not supported by the Bulk API."},
	} {
		id := createJob(t, s, tok, "query", c.soql)["id"].(string)
		info, _ := waitJob(t, s, tok, id)
		if info["state"] != "Failed" || info["errorMessage"] != c.errMsg {
			t.Errorf("%s: job %v %q, want Failed %q", c.soql, info["state"], info["errorMessage"], c.errMsg)
		}
		wantRESTError(t, get(t, s, tok, "jobs/query/"+id+"/results"), http.StatusBadRequest, "INVALIDJOBSTATE")
	}
	// Refused when the query is compiled: no job.
	for _, c := range []struct{ soql, code string }{
		{"SELECT Id FROM EventLogFile", "INVALID_TYPE"},
		{"SELECT Id FROM Order_Event__e", "INVALID_TYPE"},
		{"SELECT Id FROM SetupAuditTrail", "INSUFFICIENT_ACCESS_OR_READONLY"},
	} {
		wantRESTError(t, call(t, s, tok, http.MethodPost, "jobs/query", jobRequest("query", c.soql)), http.StatusBadRequest, c.code)
	}
	// With its filter, ContentDocumentLink is read by Bulk too.
	accounts := queryAllPages(t, s, tok, "query", "SELECT Id FROM Account")
	var in []string
	for _, r := range accounts[0].Records {
		in = append(in, r["Id"].(string))
	}
	soql := "SELECT Id, LinkedEntityId FROM ContentDocumentLink WHERE LinkedEntityId IN ('" + strings.Join(in, "','") + "')"
	id, n := runJob(t, s, tok, "query", soql)
	if rest := queryAllPages(t, s, tok, "query", soql); n != rest[0].TotalSize || n == 0 {
		t.Errorf("Bulk read %d links, REST %d", n, rest[0].TotalSize)
	}
	allResults(t, s, tok, id, 0)
}

// restIDs reads every page of a query and returns the Ids in the order served.
func restIDs(t *testing.T, s *salesforcetest.Server, tok, resource, soql string, hdr ...string) []string {
	t.Helper()
	var ids []string
	pages := queryAllPages(t, s, tok, resource, soql, hdr...)
	for _, p := range pages {
		for _, r := range p.Records {
			ids = append(ids, r["Id"].(string))
		}
	}
	if len(ids) != pages[0].TotalSize {
		t.Fatalf("%s: %d rows, totalSize %d", soql, len(ids), pages[0].TotalSize)
	}
	return ids
}

// TestWholeOrgIdOrderPaging reads objects without SystemModstamp, which page in Id order, across
// pages, Bulk result locators and changes between two reads.
func TestWholeOrgIdOrderPaging(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 3, Counts: map[string]int{"OpportunityFieldHistory": 2600, "AccountShare": 700}})
	small := []string{"Sforce-Query-Options", "batchSize=200"}
	for _, obj := range []string{"OpportunityFieldHistory", "AccountShare", "Legacy_Invoice__x"} {
		ids := restIDs(t, s, tok, "query", "SELECT Id FROM "+obj, small...)
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) || len(ids) != s.Count(obj, false) {
			t.Errorf("%s: %d ids, sorted %v, want %d distinct in Id order", obj, len(ids), slices.IsSorted(ids), s.Count(obj, false))
		}
	}

	before := restIDs(t, s, tok, "query", "SELECT Id FROM AccountShare", small...)
	// An update keeps an AccountShare row in its place (Id order) and moves its LastModifiedDate.
	since := s.Now()
	if err := s.Update("AccountShare", []string{before[5], before[600]}, map[string]any{"OpportunityAccessLevel": "Edit"}); err != nil {
		t.Fatal(err)
	}
	if after := restIDs(t, s, tok, "query", "SELECT Id FROM AccountShare", small...); !slices.Equal(after, before) {
		t.Error("an update moved AccountShare rows")
	}
	changed := restIDs(t, s, tok, "query", "SELECT Id FROM AccountShare WHERE LastModifiedDate >= "+since.Format("2006-01-02T15:04:05.000Z"))
	if !slices.Equal(changed, []string{before[5], before[600]}) {
		t.Errorf("changed since %s: %v, want %v", since, changed, []string{before[5], before[600]})
	}

	// Bulk pages of an Id-ordered object seek by their marks: every row once, in REST's order.
	rest := restIDs(t, s, tok, "query", "SELECT Id FROM OpportunityFieldHistory", small...)
	id, n := runJob(t, s, tok, "query", "SELECT Id FROM OpportunityFieldHistory")
	var bulk []string
	for _, p := range allResults(t, s, tok, id, 700) {
		for _, row := range p.rows {
			bulk = append(bulk, row[0])
		}
	}
	if n != len(rest) || !slices.Equal(bulk, rest) {
		t.Errorf("Bulk read %d rows (%d processed), REST %d: the orders differ", len(bulk), n, len(rest))
	}

	// A cursor open across a change sees each row once: history rows added meanwhile come after.
	pages := []queryPage{}
	r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM OpportunityFieldHistory"), small...)
	var p queryPage
	mustJSON(t, r.body, &p)
	pages = append(pages, p)
	opp := restIDs(t, s, tok, "query", "SELECT Id FROM Opportunity LIMIT 1")[0]
	if err := s.Update("Opportunity", []string{opp}, map[string]any{"NextStep": "Call back (changed)"}); err != nil {
		t.Fatal(err)
	}
	if s.Count("OpportunityFieldHistory", false) != len(rest)+1 {
		t.Fatalf("the change wrote %d history rows, want 1", s.Count("OpportunityFieldHistory", false)-len(rest))
	}
	for !p.Done {
		r = get(t, s, tok, *p.NextRecordsURL, small...)
		if r.status != http.StatusOK {
			t.Fatal(r)
		}
		p = queryPage{}
		mustJSON(t, r.body, &p)
		pages = append(pages, p)
	}
	seen := map[string]bool{}
	for _, p := range pages {
		for _, r := range p.Records {
			if id := r["Id"].(string); seen[id] {
				t.Fatalf("row %s served twice", id)
			} else {
				seen[id] = true
			}
		}
	}
	if len(seen) != len(rest) {
		t.Errorf("the open cursor served %d rows, %d were there when it opened", len(seen), len(rest))
	}
}

// historyRows returns the OpportunityFieldHistory rows of one opportunity, oldest first.
func historyRows(t *testing.T, s *salesforcetest.Server, tok, opp string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, p := range queryAllPages(t, s, tok, "query", "SELECT Id, OpportunityId, CreatedById, CreatedDate, Field, DataType, OldValue, NewValue, IsDeleted FROM OpportunityFieldHistory WHERE OpportunityId = '"+opp+"'") {
		rows = append(rows, p.Records...)
	}
	return rows
}

func TestWholeOrgFieldHistory(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 5})
	var opp string
	var rec *salesforcetest.Record
	for _, r := range queryAllPages(t, s, tok, "query", "SELECT Id FROM Opportunity WHERE StageName != 'Prospecting' AND Amount != null")[0].Records {
		rec, _ = s.Get("Opportunity", r["Id"].(string))
		if _, ok := rec.Get("Amount").(float64); ok {
			opp = rec.ID()
			break
		}
	}
	before := historyRows(t, s, tok, opp)
	stamp := s.Now()
	closeDate := time.Date(2031, 3, 4, 0, 0, 0, 0, time.UTC)
	err := s.Update("Opportunity", []string{opp}, map[string]any{
		"StageName": "Prospecting", "Amount": 12345.5, "CloseDate": closeDate, // tracked, changed
		"Name": rec.Get("Name"), "Type": rec.Get("Type"), // tracked, unchanged
		"LeadSource": "Web", // not tracked
	})
	if err != nil {
		t.Fatal(err)
	}
	after := historyRows(t, s, tok, opp)
	if len(after) != len(before)+3 || !slices.EqualFunc(after[:len(before)], before, func(a, b map[string]any) bool { return fmtAll(a) == fmtAll(b) }) {
		t.Fatalf("history of %s: %d rows before, %d after, want 3 more and the old ones unchanged", opp, len(before), len(after))
	}
	created := stamp.UTC().Format("2006-01-02T15:04:05.000+0000")
	closed := rec.Get("CloseDate").(time.Time).Format(time.DateOnly)
	want := [][]any{
		{"Amount", "Currency", rec.Get("Amount"), 12345.5},
		{"CloseDate", "DateOnly", closed, "2031-03-04"},
		{"StageName", "DynamicEnum", rec.Get("StageName"), "Prospecting"},
	}
	for i, row := range after[len(before):] {
		got := []any{row["Field"], row["DataType"], row["OldValue"], row["NewValue"]}
		if !slices.Equal(got, want[i]) || row["CreatedDate"] != created || row["OpportunityId"] != opp || row["IsDeleted"] != false {
			t.Errorf("new history row %d: %v, want %v created %s", i, row, want[i], created)
		}
	}
	// The rows are what an append-only load by CreatedDate picks up.
	since := restIDs(t, s, tok, "query", "SELECT Id FROM OpportunityFieldHistory WHERE CreatedDate >= "+stamp.UTC().Format("2006-01-02T15:04:05.000Z"))
	if len(since) != 3 {
		t.Errorf("%d history rows created since the update, want 3", len(since))
	}

	// Writing the same values again changes nothing tracked: no rows.
	count := s.Count("OpportunityFieldHistory", false)
	if err := s.Update("Opportunity", []string{opp}, map[string]any{"StageName": "Prospecting", "Amount": 12345.50}); err != nil {
		t.Fatal(err)
	}
	if n := s.Count("OpportunityFieldHistory", false); n != count {
		t.Errorf("an update without changes wrote %d history rows", n-count)
	}
	// A new opportunity gets a "created" row.
	id, err := s.Insert("Opportunity", map[string]any{"Name": "New deal", "StageName": "Prospecting", "CloseDate": closeDate})
	if err != nil {
		t.Fatal(err)
	}
	rows := historyRows(t, s, tok, id)
	if len(rows) != 1 || rows[0]["Field"] != "created" || rows[0]["OldValue"] != nil || rows[0]["NewValue"] != nil {
		t.Errorf("history of a new opportunity: %v", rows)
	}
	// History rows never change.
	hid := rows[0]["Id"].(string)
	if err := s.Update("OpportunityFieldHistory", []string{hid}, map[string]any{}); err == nil {
		t.Error("updated a history row")
	}
	if err := s.Delete("OpportunityFieldHistory", hid); err == nil {
		t.Error("deleted a history row")
	}
	if _, err := s.Insert("OpportunityFieldHistory", map[string]any{"OpportunityId": id}); err == nil {
		t.Error("inserted a history row")
	}
}

func TestWholeOrgMutations(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1})
	// A custom object: insert, update, delete to the recycle bin (queryAll sees it).
	id, err := s.Insert("Very_Long_Custom_Object_Name_For_Testing__c", map[string]any{
		"Name": "VL-new", "Another_Very_Long_Custom_Field_Name_Here__c": "long, \"quoted\"", "Status__c": "Draft"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update("Very_Long_Custom_Object_Name_For_Testing__c", []string{id}, map[string]any{"Status__c": "Active"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("Very_Long_Custom_Object_Name_For_Testing__c", id); err != nil {
		t.Fatal(err)
	}
	q := "SELECT Id, Status__c, IsDeleted FROM Very_Long_Custom_Object_Name_For_Testing__c WHERE Id = '" + id + "'"
	if p := queryAllPages(t, s, tok, "query", q); p[0].TotalSize != 0 {
		t.Errorf("query sees a deleted record: %v", p[0].Records)
	}
	if p := queryAllPages(t, s, tok, "queryAll", q); p[0].TotalSize != 1 || p[0].Records[0]["IsDeleted"] != true || p[0].Records[0]["Status__c"] != "Active" {
		t.Errorf("queryAll of the deleted record: %v", p[0].Records)
	}

	// Objects without IsDeleted have no recycle bin: a delete is for good.
	groups := restIDs(t, s, tok, "query", "SELECT Id FROM Group")
	if err := s.Delete("Group", groups[3]); err != nil {
		t.Fatal(err)
	}
	if all := restIDs(t, s, tok, "queryAll", "SELECT Id FROM Group"); len(all) != len(groups)-1 || slices.Contains(all, groups[3]) {
		t.Errorf("queryAll after deleting a group: %d rows, still there %v", len(all), slices.Contains(all, groups[3]))
	}
	if err := s.Undelete("Group", groups[3]); err == nil {
		t.Error("undeleted a group, which has no recycle bin")
	}
	members := restIDs(t, s, tok, "query", "SELECT Id FROM GroupMember")
	if err := s.Update("GroupMember", members[:1], map[string]any{}); err == nil {
		t.Error("updated a GroupMember, which cannot be updated")
	}
	if err := s.Delete("GroupMember", members[0]); err != nil {
		t.Fatal(err)
	}
	if s.Count("GroupMember", true) != len(members)-1 {
		t.Errorf("GroupMember counts %d with deleted ones, want %d", s.Count("GroupMember", true), len(members)-1)
	}
	// Read-only objects refuse writes.
	rts := restIDs(t, s, tok, "query", "SELECT Id FROM RecordType")
	if err := s.Update("RecordType", rts[:1], map[string]any{"Description": "x"}); err == nil {
		t.Error("updated a RecordType")
	}
	if _, err := s.Insert("Legacy_Invoice__x", map[string]any{}); err == nil {
		t.Error("inserted into an external object")
	}
}

func TestCreateObject(t *testing.T) {
	for _, whole := range []bool{false, true} {
		s := newServer(t, salesforcetest.Options{Seed: 1, WholeOrg: whole})
		tok := soapLogin(t, s)
		bad := []struct {
			name   string
			fields []salesforcetest.Field
		}{
			{"Invoice", nil},
			{"Very_Long_Custom_Object_Name_For_Testing_X__c", nil}, // 42 characters before __c
			{"Two__Underscores__c", nil},
			{"1Invoice__c", nil},
			{"Something__c", nil}, // exists
			{"Invoice__c", []salesforcetest.Field{{Name: "Amount", Type: "double"}}},
			{"Invoice__c", []salesforcetest.Field{{Name: "Amount__c", Type: "money"}}},
			{"Invoice__c", []salesforcetest.Field{{Name: "Name__c", Type: "string"}, {Name: "name__c", Type: "string"}}},
		}
		for _, b := range bad {
			if err := s.CreateObject(b.name, "", b.fields...); err == nil {
				t.Errorf("CreateObject(%q, %v) succeeded", b.name, b.fields)
			}
		}
		name := "Very_Long_Custom_Object_Name_For_Testin2__c" // 40 characters before __c
		if err := s.CreateObject(name, "", salesforcetest.Field{Name: "Score__c", Type: "double", Precision: 5, Scale: 1, Nillable: true, Createable: true, Updateable: true, Filterable: true}); err != nil {
			t.Fatal(err)
		}
		d, fields := describeFields(t, s, tok, name)
		wantPrefix := "a02"
		if whole {
			wantPrefix = "a05"
		}
		if d["keyPrefix"] != wantPrefix || d["custom"] != true || d["label"] != "Very Long Custom Object Name For Testin2" {
			t.Errorf("whole org %v: keyPrefix %v custom %v label %v", whole, d["keyPrefix"], d["custom"], d["label"])
		}
		for _, f := range []string{"Id", "OwnerId", "IsDeleted", "Name", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp", "Score__c"} {
			if fields[f] == nil {
				t.Errorf("the new object has no %s", f)
			}
		}
		if fields["Score__c"]["soapType"] != "xsd:double" || fields["Score__c"]["custom"] != true {
			t.Errorf("Score__c: %v", fields["Score__c"])
		}
		if p := queryAllPages(t, s, tok, "query", "SELECT Id FROM "+name); p[0].TotalSize != 0 {
			t.Errorf("a new object has %d records", p[0].TotalSize)
		}
		id, err := s.Insert(name, map[string]any{"Name": "first", "Score__c": 4.5})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddField(name, salesforcetest.Field{Name: "Note__c", Type: "string", Length: 20, Nillable: true, Createable: true, Updateable: true, Filterable: true}, nil); err != nil {
			t.Fatal(err)
		}
		p := queryAllPages(t, s, tok, "query", "SELECT Id, Name, Score__c, Note__c, OwnerId FROM "+name)
		if p[0].TotalSize != 1 || p[0].Records[0]["Id"] != id || p[0].Records[0]["Score__c"] != 4.5 || p[0].Records[0]["OwnerId"] == nil {
			t.Errorf("the new object's rows: %v", p[0].Records)
		}
		if err := s.DeleteObject(name); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateObject(name, ""); err == nil {
			t.Error("re-created a deleted object's name")
		}
		if err := s.DeleteObject(name); err == nil {
			t.Error("deleted an object twice")
		}
	}
}

func TestWholeOrgDeterministic(t *testing.T) {
	served := []string{"OpportunityFieldHistory", "AccountShare", "Group", "GroupMember", "RecordType",
		"Legacy_Invoice__x", "Meter_Reading__c", "Customer_Profile__c", "Very_Long_Custom_Object_Name_For_Testing__c"}
	fp := func(seed int64) string {
		return orgFingerprint(t, newServer(t, salesforcetest.Options{Seed: seed, WholeOrg: true}), served)
	}
	a, b, c := fp(7), fp(7), fp(8)
	if a != b {
		t.Errorf("two orgs of seed 7 differ:\n%s\n%s", a, b)
	}
	al, cl := strings.Split(a, "\n"), strings.Split(c, "\n")
	for i := range al {
		if strings.Contains(al[i], " query ") && al[i] == cl[i] {
			t.Errorf("seeds 7 and 8 give the same %s", strings.Fields(al[i])[0])
		}
	}
}

// TestWholeOrgLeavesDefaultObjectsAlone checks that the option adds objects and changes none of
// the default org's rows: every query of the default objects answers byte for byte as without it.
func TestWholeOrgLeavesDefaultObjectsAlone(t *testing.T) {
	var names []string
	for name := range salesforcetest.DefaultCounts() {
		names = append(names, name)
	}
	sort.Strings(names)
	queries := func(whole bool) []string {
		var out []string
		for _, l := range strings.Split(orgFingerprint(t, newServer(t, salesforcetest.Options{Seed: 1, WholeOrg: whole}), names), "\n") {
			if strings.Contains(l, " query") {
				out = append(out, l)
			}
		}
		return out
	}
	off, on := queries(false), queries(true)
	if len(off) < len(names) || !slices.Equal(off, on) {
		t.Errorf("the default objects' rows differ with Options.WholeOrg:\n%v\n%v", off, on)
	}
}

func TestWholeOrgOptions(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1,
		Counts: map[string]int{"meter_reading__c": 12, "Order_Event__e": 5},
		Wide:   map[string]int{"Customer_Profile__c": 0, "Meter_Reading__c": 30}})
	if n := queryAllPages(t, s, tok, "query", "SELECT COUNT() FROM Meter_Reading__c")[0].TotalSize; n != 12 {
		t.Errorf("Meter_Reading__c has %d records, want 12", n)
	}
	if n := s.Count("Order_Event__e", true); n != 0 {
		t.Errorf("a platform event holds %d records", n)
	}
	if _, f := describeFields(t, s, tok, "Customer_Profile__c"); len(f) > 40 {
		t.Errorf("Wide 0 left Customer_Profile__c %d fields", len(f))
	}
	if _, f := describeFields(t, s, tok, "Meter_Reading__c"); len(f) < 40 {
		t.Errorf("Wide 30 gave Meter_Reading__c %d fields", len(f))
	}
	if c := salesforcetest.WholeOrgCounts(); c["Meter_Reading__c"] < 2000 || c["Customer_Profile__c"] == 0 {
		t.Errorf("WholeOrgCounts %v", c)
	}
	if _, err := salesforcetest.Start("127.0.0.1:0", salesforcetest.Options{Wide: map[string]int{"Customer_Profile__c": 10}}); err == nil {
		t.Error("Wide named a whole-org object of an org without them")
	}
	if !strings.Contains(salesforcetest.Options{WholeOrg: true}.String(), "WholeOrg:true") || strings.Contains(salesforcetest.Options{}.String(), "WholeOrg") {
		t.Error("Options.String does not say WholeOrg only when set")
	}
}

// TestWholeOrgLimits checks that a real org's limits hold on the new objects too.
func TestWholeOrgLimits(t *testing.T) {
	s, tok := newWholeOrg(t, salesforcetest.Options{Seed: 1})
	obj, _ := objectNamed(s, "Customer_Profile__c")
	var fields []string
	for _, f := range obj.Fields {
		if f.Type != "location" {
			fields = append(fields, f.Name)
		}
	}
	r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT "+strings.Join(fields, ",")+" FROM Customer_Profile__c"))
	if r.status != http.StatusRequestURITooLong {
		t.Errorf("a SELECT of every field of the wide object: %d, want 414", r.status)
	}

	// Eleven open cursors on Id-ordered history: the first is released.
	small := []string{"Sforce-Query-Options", "batchSize=200"}
	var next []string
	for i := range 11 {
		r := get(t, s, tok, "query?q="+url.QueryEscape("SELECT Id FROM OpportunityFieldHistory LIMIT "+strconv.Itoa(1000+i)), small...)
		var p queryPage
		mustJSON(t, r.body, &p)
		next = append(next, *p.NextRecordsURL)
	}
	wantRESTError(t, get(t, s, tok, next[0], small...), http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
	if r := get(t, s, tok, next[1], small...); r.status != http.StatusOK {
		t.Errorf("the second cursor: %v", r)
	}
	// Fifteen minutes idle and a locator expires.
	s.Advance(16 * time.Minute)
	wantRESTError(t, get(t, s, tok, next[2], small...), http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
}

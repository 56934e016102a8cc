package salesforcetest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestGlobalDescribeShape(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	var rec map[string]any
	mustJSON(t, readFixture(t, "globalObjects.json"), &rec)
	recObj := rec["sobjects"].([]any)[1].(map[string]any) // Account in the recording
	for _, p := range []string{"sobjects", "sobjects/"} {
		r := get(t, s, tok, p)
		if r.status != http.StatusOK {
			t.Fatal(r)
		}
		var got map[string]any
		mustJSON(t, r.body, &got)
		if m := missingKeys(rec, got); len(m) > 0 {
			t.Errorf("global describe lacks %v", m)
		}
		if got["maxBatchSize"].(float64) != 200 || got["encoding"] != "UTF-8" {
			t.Errorf("header fields %v %v", got["maxBatchSize"], got["encoding"])
		}
		objs := got["sobjects"].([]any)
		if len(objs) < 10 {
			t.Fatalf("only %d sobjects", len(objs))
		}
		names := map[string]bool{}
		for _, o := range objs {
			om := o.(map[string]any)
			names[om["name"].(string)] = true
			if m := missingKeys(recObj, om); len(m) > 0 {
				t.Errorf("%s lacks %v", om["name"], m)
			}
			urls := om["urls"].(map[string]any)
			for _, k := range []string{"sobject", "describe", "rowTemplate"} {
				if !strings.HasPrefix(urls[k].(string), "/services/data/v62.0/sobjects/") {
					t.Errorf("%s urls.%s = %v", om["name"], k, urls[k])
				}
			}
		}
		for _, n := range []string{"Account", "Contact", "Opportunity"} {
			if !names[n] {
				t.Errorf("no %s", n)
			}
		}
	}
}

func TestObjectDescribeShapeAndConditionalGet(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	var rec map[string]any
	mustJSON(t, readFixture(t, "describe_sobject.json"), &rec)
	recField := rec["fields"].([]any)[0].(map[string]any)
	r := get(t, s, tok, "sobjects/account/describe/") // any case, trailing slash
	if r.status != http.StatusOK {
		t.Fatal(r)
	}
	var got map[string]any
	mustJSON(t, r.body, &got)
	if m := missingKeys(rec, got); len(m) > 0 {
		t.Errorf("describe lacks %v", m)
	}
	if got["name"] != "Account" {
		t.Errorf("name %v", got["name"])
	}
	soapTypes := map[string]string{"id": "tns:ID", "reference": "tns:ID", "string": "xsd:string", "boolean": "xsd:boolean",
		"int": "xsd:int", "double": "xsd:double", "currency": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime",
		"address": "urn:address", "location": "urn:location", "textarea": "xsd:string", "picklist": "xsd:string"}
	byName := map[string]map[string]any{}
	for _, f := range got["fields"].([]any) {
		fm := f.(map[string]any)
		byName[fm["name"].(string)] = fm
		if m := missingKeys(recField, fm); len(m) > 0 {
			t.Errorf("field %s lacks %v", fm["name"], m)
		}
		if want, ok := soapTypes[fm["type"].(string)]; ok && fm["soapType"] != want {
			t.Errorf("%s: type %v soapType %v", fm["name"], fm["type"], fm["soapType"])
		}
		if pv, ok := fm["picklistValues"].([]any); !ok {
			t.Errorf("%s: picklistValues not a list", fm["name"])
		} else if len(pv) > 0 {
			for _, k := range []string{"active", "defaultValue", "label", "value", "validFor"} {
				if _, ok := pv[0].(map[string]any)[k]; !ok {
					t.Errorf("%s picklist value lacks %s", fm["name"], k)
				}
			}
		}
	}
	if f := byName["BillingAddress"]; f == nil || f["type"] != "address" || f["compoundFieldName"] != nil {
		t.Errorf("BillingAddress %v", f)
	}
	if f := byName["BillingCity"]; f == nil || f["compoundFieldName"] != "BillingAddress" {
		t.Errorf("BillingCity %v", f)
	}
	if f := byName["OwnerId"]; f == nil || f["relationshipName"] != "Owner" || len(f["referenceTo"].([]any)) == 0 {
		t.Errorf("OwnerId %v", f)
	}
	if f := byName["Name"]; f == nil || f["nameField"] != true {
		t.Errorf("Name %v", f)
	}
	if len(got["childRelationships"].([]any)) == 0 {
		t.Error("Account has no child relationships")
	}

	lm := r.header.Get("Last-Modified")
	last, err := http.ParseTime(lm)
	if err != nil {
		t.Fatalf("Last-Modified %q: %v", lm, err)
	}
	tests := []struct {
		name   string
		since  time.Time
		status int
	}{
		{"same instant", last, http.StatusNotModified},
		{"later", last.Add(time.Hour), http.StatusNotModified},
		{"earlier", last.Add(-time.Second), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, s, tok, "sobjects/Account/describe", "If-Modified-Since", tt.since.UTC().Format(http.TimeFormat))
			if r.status != tt.status {
				t.Fatalf("status %d, want %d", r.status, tt.status)
			}
			if tt.status == http.StatusNotModified && len(r.body) != 0 {
				t.Errorf("304 with a body: %q", r.body)
			}
		})
	}
}

func TestAddFieldChangesDescribe(t *testing.T) {
	s := newServer(t, salesforcetest.Options{})
	tok := soapLogin(t, s)
	r := get(t, s, tok, "sobjects/Account/describe")
	lm := r.header.Get("Last-Modified")
	s.Advance(time.Hour)
	err := s.AddField("Account", salesforcetest.Field{Name: "Tier__c", Label: "Tier", Type: "string", SoapType: "xsd:string", Length: 20, ByteLength: 60, Nillable: true, Custom: true, Filterable: true, Sortable: true, Groupable: true, Createable: true, Updateable: true},
		func(r *salesforcetest.Record) any { return "Gold" })
	if err != nil {
		t.Fatal(err)
	}
	r = get(t, s, tok, "sobjects/Account/describe", "If-Modified-Since", lm)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"name":"Tier__c"`) {
		t.Fatalf("describe after AddField: %d", r.status)
	}
	page := queryAllPages(t, s, tok, "query", "SELECT Id, Tier__c FROM Account LIMIT 3")
	if page[0].Records[0]["Tier__c"] != "Gold" {
		t.Errorf("new field value %v", page[0].Records[0])
	}
}

package soql

import (
	"strings"
	"testing"
	"time"
)

// testSchema is object -> field -> describe type, looked up case-insensitively like the org's.
type testSchema map[string]map[string]string

func (s testSchema) Object(name string) (string, bool) {
	for k := range s {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func (s testSchema) Field(object, name string) (string, string, bool) {
	for k, typ := range s[object] {
		if strings.EqualFold(k, name) {
			return k, typ, true
		}
	}
	return "", "", false
}

var schema = testSchema{
	"Account": {
		"Id": "id", "Name": "string", "Description": "textarea", "BillingAddress": "address",
		"Location__c": "location", "Industry": "picklist", "Tags__c": "multipicklist", "IsDeleted": "boolean",
		"NumberOfEmployees": "int", "AnnualRevenue": "currency", "Score__c": "double", "Big__c": "long",
		"Share__c": "percent", "CreatedDate": "datetime", "SystemModstamp": "datetime",
		"LastActivityDate": "date", "OwnerId": "reference", "Opens__c": "time", "Secret__c": "encryptedstring",
		"Logo__c": "base64", "Email__c": "email", "Phone": "phone", "Website": "url", "Kind__c": "combobox",
	},
	"Contact": {"Id": "id", "LastName": "string", "AccountId": "reference"},
}

// rec is a Record over a map keyed by canonical field names.
type rec map[string]any

func (r rec) Get(field string) any { return r[field] }

// checked parses and checks q against schema, failing the test on any error.
func checked(t testing.TB, soql string, now time.Time) *Query {
	t.Helper()
	q, err := Parse(soql)
	if err != nil {
		t.Fatalf("Parse(%q): %v", soql, err)
	}
	q.Now = func() time.Time { return now }
	if err := q.Check(schema); err != nil {
		t.Fatalf("Check(%q): %v", soql, err)
	}
	return q
}

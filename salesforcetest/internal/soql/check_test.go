package soql

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckCanonicalizes(t *testing.T) {
	q := checked(t, "select id, NAME, account.industry from ACCOUNT where isdeleted = false and createddate > 2024-01-01T00:00:00Z order by systemmodstamp, ID", time.Now())
	want := "SELECT Id, Name, Industry FROM Account WHERE IsDeleted = false AND CreatedDate > 2024-01-01T00:00:00Z ORDER BY SystemModstamp ASC NULLS FIRST, Id ASC NULLS FIRST"
	if got := q.String(); got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
	if strings.Join(q.Fields, ",") != "Id,Name,Industry" || q.From != "Account" {
		t.Errorf("Fields=%v From=%q", q.Fields, q.From)
	}
	assertRoundTrip(t, q)
}

func TestCheckAccepts(t *testing.T) {
	for _, soql := range []string{
		"SELECT COUNT() FROM Account",
		"SELECT Id, Description, BillingAddress, Location__c, Logo__c FROM Account",
		"SELECT Id FROM Account WHERE Id = '001000000000001' OR Id = '001000000000001AAA' OR Id = ''",
		"SELECT Id FROM Account WHERE OwnerId IN ('005000000000001AAA', null)",
		"SELECT Id FROM Account WHERE Name LIKE 'A%' AND Industry != null AND Email__c LIKE '%@x.com' AND Phone = '1' AND Website = 'u' AND Kind__c = 'k'",
		"SELECT Id FROM Account WHERE NumberOfEmployees > 10 AND AnnualRevenue <= 1.5 AND Score__c = -2 AND Big__c IN (1, 2) AND Share__c < 50",
		"SELECT Id FROM Account WHERE LastActivityDate = 2024-01-31 AND LastActivityDate > LAST_N_DAYS:30",
		"SELECT Id FROM Account WHERE CreatedDate >= TODAY AND SystemModstamp < 2024-01-31T10:00:00.000-08:00",
		"SELECT Id FROM Account WHERE Tags__c = 'a;b' AND Tags__c INCLUDES ('a', 'b;c') AND Tags__c EXCLUDES ('z')",
		"SELECT Id FROM Account WHERE Opens__c = null AND Opens__c != null",
		"SELECT Id FROM Account WHERE IsDeleted != TRUE",
		"SELECT Id FROM Account ORDER BY Name DESC NULLS LAST, CreatedDate LIMIT 10 OFFSET 2000",
	} {
		q, err := Parse(soql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", soql, err)
		}
		if err := q.Check(schema); err != nil {
			t.Errorf("Check(%q): %v", soql, err)
		}
	}
}

func TestCheckRejects(t *testing.T) {
	const (
		noColumn = ". If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	)
	tests := []struct {
		name     string
		in       string
		code     string
		row, col int // 0: the message has no position block
		text     string
	}{
		{"unknown object", "SELECT Id FROM Foo", CodeInvalidType, 1, 16,
			"sObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown field", "SELECT Id, Foo FROM Account", CodeInvalidField, 1, 12, "No such column 'Foo' on entity 'Account'" + noColumn},
		{"unknown field in where", "SELECT Id FROM account WHERE Bogus__c = 'x'", CodeInvalidField, 1, 30, "No such column 'Bogus__c' on entity 'Account'" + noColumn},
		{"unknown field in order by", "SELECT Id FROM Account ORDER BY Nope", CodeInvalidField, 1, 33, "No such column 'Nope' on entity 'Account'" + noColumn},
		{"relationship", "SELECT Owner.Name FROM Account", CodeInvalidField, 1, 8,
			"Didn't understand relationship 'Owner' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."},
		{"duplicate field", "SELECT Id, Name, id FROM Account", CodeMalformedQuery, 1, 18, "duplicate field selected: Id"},
		{"quoted datetime", "SELECT Id FROM Account WHERE SystemModstamp > '2024-01-01T00:00:00Z'", CodeInvalidField, 1, 47,
			"value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes"},
		{"date for datetime", "SELECT Id FROM Account WHERE CreatedDate > 2024-01-01", CodeInvalidField, 1, 44,
			"value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"},
		{"datetime for date", "SELECT Id FROM Account WHERE LastActivityDate = 2024-01-01T00:00:00Z", CodeInvalidField, 1, 49,
			"value of filter criterion for field 'LastActivityDate' must be of type date and should not be enclosed in quotes"},
		{"number for string", "SELECT Id FROM Account WHERE Name = 5", CodeInvalidField, 1, 37,
			"value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes"},
		{"string for number", "SELECT Id FROM Account WHERE AnnualRevenue > '5'", CodeInvalidField, 1, 46,
			"value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes"},
		{"string for int", "SELECT Id FROM Account WHERE NumberOfEmployees IN (1, '2')", CodeInvalidField, 1, 55,
			"value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes"},
		{"string for boolean", "SELECT Id FROM Account WHERE IsDeleted = 'true'", CodeInvalidField, 1, 42,
			"value of filter criterion for field 'IsDeleted' must be of type boolean and should not be enclosed in quotes"},
		{"number for id", "SELECT Id FROM Account WHERE OwnerId = 5", CodeInvalidField, 1, 40,
			"value of filter criterion for field 'OwnerId' must be of type id and should be enclosed in quotes"},
		{"bad id", "SELECT Id FROM Account WHERE Id = 'abc'", CodeInvalidFilterOperator, 0, 0, "invalid ID field: abc"},
		{"textarea filter", "SELECT Id FROM Account WHERE Description = 'x'", CodeInvalidField, 1, 30, "field 'Description' can not be filtered in a query call"},
		{"textarea null filter", "SELECT Id FROM Account WHERE description = null", CodeInvalidField, 1, 30, "field 'Description' can not be filtered in a query call"},
		{"address filter", "SELECT Id FROM Account WHERE BillingAddress != null", CodeInvalidField, 1, 30, "field 'BillingAddress' can not be filtered in a query call"},
		{"location filter", "SELECT Id FROM Account WHERE Location__c = null", CodeInvalidField, 1, 30, "field 'Location__c' can not be filtered in a query call"},
		{"textarea sort", "SELECT Id FROM Account ORDER BY Description", CodeInvalidField, 1, 33, "field 'Description' can not be sorted in a query call"},
		{"multipicklist sort", "SELECT Id FROM Account ORDER BY Tags__c", CodeInvalidField, 1, 33, "field 'Tags__c' can not be sorted in a query call"},
		{"boolean ordering", "SELECT Id FROM Account WHERE IsDeleted > false", CodeInvalidFilterOperator, 1, 30, "invalid operator on boolean field"},
		{"like on number", "SELECT Id FROM Account WHERE Score__c LIKE '1%'", CodeInvalidFilterOperator, 1, 30, "invalid operator on double field"},
		{"like on id", "SELECT Id FROM Account WHERE Id LIKE '001%'", CodeInvalidFilterOperator, 1, 30, "invalid operator on id field"},
		{"includes on text", "SELECT Id FROM Account WHERE Name INCLUDES ('a')", CodeInvalidFilterOperator, 1, 30, "includes or excludes operator only valid on multipicklist field"},
		{"time literal", "SELECT Id FROM Account WHERE Opens__c = 10", CodeInvalidField, 1, 41,
			"value of filter criterion for field 'Opens__c' must be of type time and should not be enclosed in quotes"},
		{"count order by", "SELECT COUNT() FROM Account ORDER BY Name", CodeMalformedQuery, 1, 38, "Ordered field must be grouped or aggregated: Name"},
		{"offset too big", "SELECT Id FROM Account OFFSET 2001", CodeNumberOutsideValidRange, 0, 0, "Maximum SOQL offset allowed is 2000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			err = q.Check(schema)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%q) = %v, want *Error", tt.in, err)
			}
			if e.Code != tt.code {
				t.Errorf("Code = %q, want %q", e.Code, tt.code)
			}
			if tt.row == 0 {
				if e.Message != tt.text || e.Row != 0 {
					t.Errorf("Message = %q, want %q", e.Message, tt.text)
				}
				return
			}
			assertPositioned(t, tt.in, e, tt.row, tt.col, tt.text)
		})
	}
}

// TestCheckBuiltQuery covers queries assembled in Go: errors then carry no position block.
func TestCheckBuiltQuery(t *testing.T) {
	q := &Query{Fields: []string{"id"}, From: "account", Limit: -1,
		Where: &Comparison{Field: "nAME", Op: "LIKE", Values: []Literal{{Kind: StringLiteral, Value: "a%"}}}}
	if err := q.Check(schema); err != nil {
		t.Fatal(err)
	}
	if got, want := q.String(), "SELECT Id FROM Account WHERE Name LIKE 'a%'"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if !q.Match(rec{"Name": "Acme"}) || q.Match(rec{"Name": "Bob"}) {
		t.Error("LIKE built in Go does not match like the parsed one")
	}
	q = &Query{Fields: []string{"Nope"}, From: "Account", Limit: -1}
	err := q.Check(schema)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidField || strings.HasPrefix(e.Message, "\n") {
		t.Errorf("err = %#v, want a bare INVALID_FIELD", err)
	}
}

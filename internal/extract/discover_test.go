package extract

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sfdlt/sfdlt/client"
)

func TestLeftOutKind(t *testing.T) {
	for _, c := range []struct {
		o    client.SObjectSummary
		want string
	}{
		{client.SObjectSummary{Name: "Account", Queryable: true}, ""},
		{client.SObjectSummary{Name: "Invoice__c", Queryable: true}, ""},
		{client.SObjectSummary{Name: "OpportunityFieldHistory", Queryable: true}, ""},
		{client.SObjectSummary{Name: "Order_Event__e", Queryable: true}, "a platform event"},
		{client.SObjectSummary{Name: "AccountChangeEvent", Queryable: true}, "a change event"},
		{client.SObjectSummary{Name: "Legacy_Invoice__x", Queryable: true}, "an external object"},
		{client.SObjectSummary{Name: "Reading__b", Queryable: true}, "a big object"},
		{client.SObjectSummary{Name: "Account", Queryable: false}, "not queryable"},
		{client.SObjectSummary{Name: "Old__c", Queryable: true, DeprecatedAndHidden: true}, "deprecated and hidden"},
	} {
		if got := leftOutKind(c.o); got != c.want {
			t.Errorf("leftOutKind(%s) = %q, want %q", c.o.Name, got, c.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		name     string
		want     bool
	}{
		{[]string{"*__c"}, "Invoice__c", true},
		{[]string{"*__C"}, "invoice__c", true},
		{[]string{"*History"}, "OpportunityFieldHistory", true},
		{[]string{"*History"}, "Account", false},
		{[]string{"Account", "Contact"}, "contact", true},
		{nil, "Account", false},
	} {
		if got := matchAny(c.patterns, c.name); got != c.want {
			t.Errorf("matchAny(%q, %s) = %v, want %v", c.patterns, c.name, got, c.want)
		}
	}
	if CheckPatterns([]string{"*__c", "[bad"}) == nil {
		t.Error("CheckPatterns accepted a malformed glob")
	}
}

func TestRefusal(t *testing.T) {
	api := func(code, msg string) error {
		return fmt.Errorf("querying X: %w", &client.APIError{StatusCode: 400, ErrorCode: code, Message: msg})
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{api("MALFORMED_QUERY", "Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using the IN operator."), true},
		{api("MALFORMED_QUERY", "unexpected token: FROM"), false},
		{api("INVALID_TYPE", "sObject type 'Secret__c' is not supported."), true},
		{api("INSUFFICIENT_ACCESS", "insufficient access rights on object"), true},
		{api("INVALID_FIELD", "No such column 'Foo' on entity 'Account'"), false},
		{api("QUERY_TIMEOUT", "Your query request was running for too long."), false},
		{fmt.Errorf("the Salesforce object X %w: leave it out", errNotQueryable), true},
		{fmt.Errorf("x: %w", client.ErrRequestLimitExceeded), false},
		{errors.New("connection reset by peer"), false},
		{nil, false},
	} {
		if got := refusal(c.err); got != c.want {
			t.Errorf("refusal(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

package org

import "strings"

// Restriction is how a real org refuses queries of an object that global describe lists as
// queryable: a feature or licence the user lacks, an implementation restriction, an API that does
// not support it. The server turns it into Salesforce's error responses.
type Restriction struct {
	// Hidden: SOQL does not know the object, so every query answers 400 INVALID_TYPE "sObject
	// type 'X' is not supported. ..." at its FROM, as for a feature the user is not licensed for.
	Hidden bool
	// FilterFields are the fields a query must filter with = (one Id) or IN (several) in its WHERE
	// clause, alone or in a top-level AND; a query that does not answers Code and Message.
	FilterFields []string
	// Code and Message answer every query of the object (HTTP 400), or with FilterFields every
	// query without the filter.
	Code, Message string
	// NoBulk: the Bulk API does not support the object; its query jobs end Failed with "Entity
	// 'X' is not supported by the Bulk API.".
	NoBulk bool
}

// Restriction returns how queries of an object are refused; ok is false for an object whose
// queries are served (or that does not exist).
func (o *Org) Restriction(object string) (r Restriction, ok bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, found := o.tables[strings.ToLower(object)]
	if !found || t.restriction == nil {
		return Restriction{}, false
	}
	r = *t.restriction
	r.FilterFields = append([]string(nil), r.FilterFields...)
	return r, true
}

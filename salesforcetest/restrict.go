package salesforcetest

import (
	"slices"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/soql"
)

// queryRefusal returns the error a real org answers for a checked query of an object whose
// queries it refuses (Options.WholeOrg: ContentDocumentLink without its filter, SetupAuditTrail),
// and whether the refusal comes only when the query runs (an implementation restriction: a Bulk
// job is created and ends Failed) rather than when it is compiled (a Bulk job is not created).
// Objects SOQL does not know at all (EventLogFile) are refused by Check, as unknown objects are.
func (s *Server) queryRefusal(q *soql.Query) (refusal *soql.Error, atRun bool) {
	r, ok := s.org.Restriction(q.From)
	if !ok || r.Code == "" {
		return nil, false
	}
	if len(r.FilterFields) == 0 {
		return &soql.Error{Code: r.Code, Message: r.Message}, false
	}
	if filtersByID(q.Where, r.FilterFields) {
		return nil, false
	}
	return &soql.Error{Code: r.Code, Message: r.Message}, true
}

// filtersByID reports whether a checked WHERE clause, or one term of its top-level AND, filters
// one of fields by one Id (=) or several (IN): what ContentDocumentLink requires.
func filtersByID(e soql.Expr, fields []string) bool {
	switch x := e.(type) {
	case *soql.Comparison:
		if !slices.Contains(fields, x.Field) || x.Op != "=" && x.Op != "IN" || len(x.Values) == 0 {
			return false
		}
		for _, v := range x.Values {
			if v.Kind != soql.StringLiteral || v.Value == "" {
				return false
			}
		}
		return true
	case *soql.Logical:
		if x.Op == "AND" {
			for _, t := range x.Terms {
				if filtersByID(t, fields) {
					return true
				}
			}
		}
	}
	return false
}

// restrictedBulk reports whether the org's own restrictions keep the Bulk API from an object
// (Options.WholeOrg: the external object Legacy_Invoice__x).
func (s *Server) restrictedBulk(object string) bool {
	r, ok := s.org.Restriction(object)
	return ok && r.NoBulk
}

package salesforcetest

import (
	"strings"
)

// Bulk API 2.0 refuses some valid SOQL at job creation with 400 and errorCode API_ERROR. The
// compound and parent-to-child messages are those recorded from real orgs (client code matches
// them); the others follow their wording.
const (
	msgBulkCompound      = "Selecting compound data not supported in Bulk Query"
	msgBulkSubquery      = "Aggregate Relationships not supported in Bulk Query"
	msgBulkAggregate     = "Aggregate Functions not supported in Bulk Query"
	msgBulkGroupBy       = "GROUP BY not supported in Bulk Query"
	msgBulkOffset        = "OFFSET not supported in Bulk Query"
	msgBulkTypeOf        = "TYPEOF not supported in Bulk Query"
	msgBulkFieldsFunc    = "FIELDS() not supported in Bulk Query"
	codeBulkAPIError     = "API_ERROR"
	bulkAggregateFuncSet = "COUNT COUNT_DISTINCT SUM AVG MIN MAX"
)

// soqlToken is a word, a punctuation character or a quoted string of a SOQL text.
type soqlToken struct {
	text   string
	quoted bool
}

// scanSOQL splits SOQL into words (letters, digits, _ . :), single characters and string
// literals (with backslash escapes); it never fails, the parser reports real syntax errors.
func scanSOQL(s string) []soqlToken {
	var toks []soqlToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			j := i + 1
			for j < len(s) && s[j] != '\'' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			toks = append(toks, soqlToken{s[i:j], true})
			i = j
		case isSOQLWordByte(c):
			j := i
			for j < len(s) && isSOQLWordByte(s[j]) {
				j++
			}
			toks = append(toks, soqlToken{text: s[i:j]})
			i = j
		default:
			toks = append(toks, soqlToken{text: s[i : i+1]})
			i++
		}
	}
	return toks
}

func isSOQLWordByte(c byte) bool {
	return c == '_' || c == '.' || c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// bulkUnsupported returns the API_ERROR message for SOQL that Bulk API 2.0 refuses by its shape
// (before names are resolved), or "" when the query may go on to the parser.
func bulkUnsupported(text string) string {
	toks := scanSOQL(text)
	is := func(i int, w string) bool {
		return i >= 0 && i < len(toks) && !toks[i].quoted && strings.EqualFold(toks[i].text, w)
	}
	depth := 0
	inSelect := false // inside the top-level select list
	for i, t := range toks {
		if t.quoted {
			continue
		}
		switch {
		case t.text == "(":
			if inSelect && depth == 0 && is(i+1, "SELECT") {
				return msgBulkSubquery
			}
			depth++
		case t.text == ")":
			depth = max(0, depth-1)
		case is(i, "SELECT") && depth == 0 && i == 0:
			inSelect = true
		case is(i, "FROM") && depth == 0:
			inSelect = false
		case is(i, "TYPEOF"):
			return msgBulkTypeOf
		case is(i, "FIELDS") && is(i+1, "("):
			return msgBulkFieldsFunc
		case inSelect && depth == 0 && is(i+1, "(") && isAggregateFunc(t.text):
			return msgBulkAggregate
		case is(i, "GROUP") && is(i+1, "BY"):
			return msgBulkGroupBy
		case depth == 0 && !inSelect && is(i, "OFFSET") && i > 0:
			return msgBulkOffset
		}
	}
	return ""
}

func isAggregateFunc(w string) bool {
	for _, f := range strings.Fields(bulkAggregateFuncSet) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

// bulkUnselectable reports whether Bulk API 2.0 refuses to select a field of this describe type:
// compound address and location fields, and base64 and json fields.
func bulkUnselectable(typ string) bool {
	switch strings.ToLower(typ) {
	case "address", "location", "base64", "json":
		return true
	}
	return false
}

// Package soql parses, checks and evaluates the subset of SOQL that data extractors send, the way a
// Salesforce org does: same accepted syntax, same error codes and message shapes, same comparison
// semantics (case-insensitive text, 15/18-character Ids, SOQL's two-valued null logic).
//
// Use it in three steps: Parse (syntax only), Check (names and literal types against a Schema; this
// also precompiles the literals), then Match and Compare for every record. Match and Compare do not
// allocate and are safe for concurrent use once Check has returned.
package soql

import (
	"time"
)

// Query is one parsed SELECT statement. Check rewrites object and field names to their canonical
// spelling; String prints it back as canonical SOQL.
type Query struct {
	Fields  []string    // select list, canonicalized by Check; empty when Count
	Count   bool        // SELECT COUNT()
	From    string      // object name, canonicalized by Check
	Where   Expr        // nil when absent
	OrderBy []OrderItem // ORDER BY keys, most significant first
	Limit   int         // -1 when absent
	Offset  int         // 0 when absent

	// Now is the clock that relative date literals (TODAY, LAST_N_DAYS:n, ...) are resolved against
	// when Check runs; nil means time.Now. Set it to the emulated org's clock before calling Check.
	Now func() time.Time

	src       string // the text Parse read, for Salesforce-shaped error positions
	fieldPos  []int  // byte offset of each select-list entry in src (-1 when unknown)
	fromPos   int    // byte offset of the object name
	limitPos  int
	offsetPos int
	compiled  *program // set by Check (or lazily by Match for unchecked queries)
}

// OrderItem is one ORDER BY key. SOQL's defaults are ASC NULLS FIRST and DESC NULLS LAST; Parse fills
// NullsLast accordingly when the query does not say.
type OrderItem struct {
	Field     string
	Desc      bool
	NullsLast bool

	pos int
}

// Expr is a WHERE condition: *Logical, *Not or *Comparison. The interface is sealed.
type Expr interface {
	expr()
}

// Logical is a run of conditions joined by one operator, "AND" or "OR". SOQL forbids mixing both at
// one level without parentheses, so a Logical never needs precedence rules.
type Logical struct {
	Op    string // "AND" or "OR"
	Terms []Expr // at least two
}

// Not negates its operand (SOQL's NOT).
type Not struct {
	X Expr
}

// Comparison compares one field with literals. Op is one of = != < <= > >= LIKE IN "NOT IN"
// INCLUDES EXCLUDES; Values holds one literal except for IN, NOT IN, INCLUDES and EXCLUDES.
type Comparison struct {
	Field  string
	Op     string
	Values []Literal

	pos int // byte offset of Field in the source, -1 when unknown
}

func (*Logical) expr()    {}
func (*Not) expr()        {}
func (*Comparison) expr() {}

// LiteralKind says which SOQL literal syntax a Literal was written in.
type LiteralKind int

// The literal kinds. DateKeyword covers the relative date literals such as TODAY and LAST_N_DAYS:7.
const (
	NullLiteral LiteralKind = iota
	BoolLiteral
	NumberLiteral
	StringLiteral
	DateLiteral
	DateTimeLiteral
	DateKeyword
)

// String returns the name of the kind, for messages and tests.
func (k LiteralKind) String() string {
	switch k {
	case NullLiteral:
		return "null"
	case BoolLiteral:
		return "boolean"
	case NumberLiteral:
		return "number"
	case StringLiteral:
		return "string"
	case DateLiteral:
		return "date"
	case DateTimeLiteral:
		return "dateTime"
	case DateKeyword:
		return "date literal"
	}
	return "unknown"
}

// Literal is one value written in a query. Text is the literal exactly as SOQL spells it (a string
// keeps its quotes and escapes); Value is the decoded string of a StringLiteral.
type Literal struct {
	Kind  LiteralKind
	Text  string
	Value string

	pos int
}

// Error is a query rejected the way Salesforce rejects it. Code is the Salesforce errorCode
// (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, INVALID_QUERY_FILTER_OPERATOR or
// NUMBER_OUTSIDE_VALID_RANGE) and Message the text Salesforce sends, including the
// "ERROR at Row:r:Column:c" block when the error has a position in the query.
type Error struct {
	Code, Message string
	// Row and Column locate the error in the query text (1-based); zero when it has no position.
	Row, Column int
}

// Error returns the Salesforce message.
func (e *Error) Error() string { return e.Message }

// Salesforce error codes used by this package.
const (
	CodeMalformedQuery          = "MALFORMED_QUERY"
	CodeInvalidField            = "INVALID_FIELD"
	CodeInvalidType             = "INVALID_TYPE"
	CodeInvalidFilterOperator   = "INVALID_QUERY_FILTER_OPERATOR"
	CodeNumberOutsideValidRange = "NUMBER_OUTSIDE_VALID_RANGE"
)

// Schema resolves names against the org's describe metadata; both lookups are case-insensitive.
type Schema interface {
	// Object returns the canonical name of a queryable object; ok=false answers INVALID_TYPE.
	Object(name string) (canonical string, ok bool)
	// Field returns the canonical name and describe type of a field; ok=false answers INVALID_FIELD.
	Field(object, name string) (canonical string, typ string, ok bool)
}

// Record is one row a query is evaluated against. Get takes a canonical field name and returns the
// value in the representation shared with package org (string, bool, int64, float64, json.Number,
// time.Time, time.Duration or nil).
type Record interface {
	Get(field string) any
}

package soql

import (
	"strings"
	"time"
)

// maxOffset is Salesforce's ceiling on OFFSET.
const maxOffset = 2000

// valueClass is how a field's values compare, derived from its describe type.
type valueClass uint8

const (
	clsAny      valueClass = iota // unchecked query: compare by the value's Go type, text rules for strings
	clsText                       // case-insensitive text
	clsID                         // Ids: 15-character prefix, case-sensitive
	clsMulti                      // multipicklist: a set of values separated by ';'
	clsBool                       //
	clsNumber                     //
	clsDate                       //
	clsDateTime                   //
	clsTime                       //
	clsNoFilter                   // long text, compound, binary: cannot be filtered or sorted
)

// classify maps a describe type to its comparison class and the type name Salesforce's messages use.
func classify(typ string) (valueClass, string) {
	switch strings.ToLower(typ) {
	case "id", "reference":
		return clsID, "id"
	case "string", "picklist", "combobox", "email", "phone", "url":
		return clsText, "string"
	case "multipicklist":
		return clsMulti, "string"
	case "boolean":
		return clsBool, "boolean"
	case "int":
		return clsNumber, "integer"
	case "long":
		return clsNumber, "long"
	case "double", "currency", "percent":
		return clsNumber, "double"
	case "date":
		return clsDate, "date"
	case "datetime":
		return clsDateTime, "dateTime"
	case "time":
		return clsTime, "time"
	case "textarea", "address", "location", "base64", "encryptedstring", "anytype", "complexvalue":
		return clsNoFilter, strings.ToLower(typ)
	}
	return clsText, "string"
}

// Check resolves the object and every field through s (case-insensitively), rewrites them to their
// canonical names, checks each literal against its field's type and precompiles the WHERE and
// ORDER BY clauses for Match and Compare. Relative date literals are resolved against q.Now.
// Errors are *Error with Salesforce's code and message.
func (q *Query) Check(s Schema) error {
	obj, ok := s.Object(q.From)
	if !ok {
		return q.errAt(CodeInvalidType, q.fromPos, "sObject type '"+q.From+"' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.")
	}
	q.From = obj
	seen := make(map[string]bool, len(q.Fields))
	for i, f := range q.Fields {
		pos := posAt(q.fieldPos, i)
		canon, _, err := q.resolve(s, f, pos)
		if err != nil {
			return err
		}
		key := strings.ToLower(canon)
		if seen[key] {
			return q.errAt(CodeMalformedQuery, pos, "duplicate field selected: "+canon)
		}
		seen[key] = true
		q.Fields[i] = canon
	}
	now := time.Now
	if q.Now != nil {
		now = q.Now
	}
	prog := &program{}
	if q.Where != nil {
		n, err := q.compile(s, q.Where, now())
		if err != nil {
			return err
		}
		prog.where = n
	}
	if q.Count && len(q.OrderBy) > 0 {
		return q.errAt(CodeMalformedQuery, q.OrderBy[0].pos, "Ordered field must be grouped or aggregated: "+q.OrderBy[0].Field)
	}
	for i := range q.OrderBy {
		o := &q.OrderBy[i]
		canon, typ, err := q.resolve(s, o.Field, q.posOf(o.pos))
		if err != nil {
			return err
		}
		cls, _ := classify(typ)
		if cls == clsNoFilter || cls == clsMulti {
			return q.errAt(CodeInvalidField, q.posOf(o.pos), "field '"+canon+"' can not be sorted in a query call")
		}
		o.Field = canon
		prog.order = append(prog.order, orderKey{field: canon, desc: o.Desc, nullsLast: o.NullsLast, cls: cls})
	}
	if q.Offset > maxOffset {
		return q.errAt(CodeNumberOutsideValidRange, -1, "Maximum SOQL offset allowed is 2000")
	}
	q.compiled = prog
	return nil
}

// errAt positions an error in the parsed text; queries built in Go (no text) get the bare message.
func (q *Query) errAt(code string, pos int, text string) *Error {
	if q.src == "" {
		pos = -1
	}
	return posError(code, q.src, pos, text)
}

// posOf turns a node's stored offset into one usable with errAt (nodes built in Go have none).
func (q *Query) posOf(pos int) int {
	if q.src == "" {
		return -1
	}
	return pos
}

func posAt(ps []int, i int) int {
	if i < len(ps) {
		return ps[i]
	}
	return -1
}

// resolve looks a field path up. "Account.Name" on Account is the same field as "Name"; other
// relationship paths are not resolved by the emulator and answer as Salesforce does for an
// unknown relationship.
func (q *Query) resolve(s Schema, name string, pos int) (canon, typ string, err error) {
	field := name
	if rel, rest, ok := strings.Cut(name, "."); ok {
		if !strings.EqualFold(rel, q.From) || strings.Contains(rest, ".") || rest == "" {
			return "", "", q.errAt(CodeInvalidField, pos, "Didn't understand relationship '"+rel+"' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.")
		}
		field = rest
	}
	canon, typ, ok := s.Field(q.From, field)
	if !ok {
		return "", "", q.errAt(CodeInvalidField, pos, "No such column '"+field+"' on entity '"+q.From+"'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.")
	}
	return canon, typ, nil
}

// compile type-checks e and turns it into the evaluation tree. s may be nil (unchecked query):
// then fields are not resolved and values compare by their Go type.
func (q *Query) compile(s Schema, e Expr, now time.Time) (*node, error) {
	switch x := e.(type) {
	case *Logical:
		n := &node{kind: nAnd}
		if x.Op == "OR" {
			n.kind = nOr
		}
		for _, t := range x.Terms {
			k, err := q.compile(s, t, now)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
		}
		return n, nil
	case *Not:
		k, err := q.compile(s, x.X, now)
		if err != nil {
			return nil, err
		}
		return &node{kind: nNot, kids: []*node{k}}, nil
	case *Comparison:
		return q.compileComparison(s, x, now)
	}
	return nil, &Error{Code: CodeMalformedQuery, Message: "unsupported condition in WHERE clause"}
}

func (q *Query) compileComparison(s Schema, c *Comparison, now time.Time) (*node, error) {
	n := &node{kind: nCmp, field: c.Field, cls: clsAny}
	op, ok := opCodes[c.Op]
	if !ok {
		return nil, q.errAt(CodeMalformedQuery, q.posOf(c.pos), "unexpected token: '"+c.Op+"'")
	}
	n.op = op
	if len(c.Values) == 0 || len(c.Values) > 1 && op < opIn {
		return nil, q.errAt(CodeMalformedQuery, q.posOf(c.pos), "comparison on '"+c.Field+"' needs exactly one value")
	}
	typeName := ""
	if s != nil {
		canon, typ, err := q.resolve(s, c.Field, q.posOf(c.pos))
		if err != nil {
			return nil, err
		}
		c.Field, n.field = canon, canon
		n.cls, typeName = classify(typ)
		if err := q.checkOperator(c, n.cls, typeName); err != nil {
			return nil, err
		}
	}
	for _, l := range c.Values {
		if s != nil {
			if err := q.checkLiteral(c, n.cls, typeName, l); err != nil {
				return nil, err
			}
		}
		cl, err := compileLiteral(l, n.cls, now)
		if err != nil {
			return nil, q.errAt(CodeMalformedQuery, q.posOf(l.pos), "unexpected token: '"+l.Text+"'")
		}
		n.lits = append(n.lits, cl)
	}
	if op == opLike {
		if c.Values[0].Kind != StringLiteral {
			return nil, q.errAt(CodeMalformedQuery, q.posOf(c.Values[0].pos), "unexpected token: '"+c.Values[0].Text+"'")
		}
		n.like = compileLike(c.Values[0])
	}
	return n, nil
}

// checkOperator rejects operators Salesforce does not allow on the field's type.
func (q *Query) checkOperator(c *Comparison, cls valueClass, typeName string) error {
	pos := q.posOf(c.pos)
	if cls == clsNoFilter {
		return q.errAt(CodeInvalidField, pos, "field '"+c.Field+"' can not be filtered in a query call")
	}
	bad := false
	switch c.Op {
	case "INCLUDES", "EXCLUDES":
		if cls != clsMulti {
			return q.errAt(CodeInvalidFilterOperator, pos, "includes or excludes operator only valid on multipicklist field")
		}
	case "LIKE":
		bad = cls != clsText
	case "<", "<=", ">", ">=":
		bad = cls == clsBool || cls == clsMulti
	case "IN", "NOT IN":
		bad = cls == clsMulti
	}
	if bad {
		return q.errAt(CodeInvalidFilterOperator, pos, "invalid operator on "+fieldKind(cls, typeName)+" field")
	}
	return nil
}

func fieldKind(cls valueClass, typeName string) string {
	if cls == clsMulti {
		return "multipicklist"
	}
	return typeName
}

// checkLiteral rejects a literal of the wrong kind for the field, with Salesforce's message.
func (q *Query) checkLiteral(c *Comparison, cls valueClass, typeName string, l Literal) error {
	if l.Kind == NullLiteral && c.Op != "LIKE" {
		return nil
	}
	ok := false
	quoted := false
	switch cls {
	case clsText, clsMulti:
		ok, quoted = l.Kind == StringLiteral, true
	case clsID:
		ok, quoted = l.Kind == StringLiteral, true
		if ok && !validIDLiteral(l.Value) {
			return &Error{Code: CodeInvalidFilterOperator, Message: "invalid ID field: " + l.Value}
		}
	case clsBool:
		ok = l.Kind == BoolLiteral
	case clsNumber:
		ok = l.Kind == NumberLiteral
	case clsDate:
		ok = l.Kind == DateLiteral || l.Kind == DateKeyword
	case clsDateTime:
		ok = l.Kind == DateTimeLiteral || l.Kind == DateKeyword
	case clsTime:
		ok = false // time literals are not supported by the emulator; null still is
	}
	if ok {
		return nil
	}
	should := "should not"
	if quoted {
		should = "should"
	}
	return q.errAt(CodeInvalidField, q.posOf(l.pos), "value of filter criterion for field '"+c.Field+"' must be of type "+typeName+" and "+should+" be enclosed in quotes")
}

// validIDLiteral accepts what Salesforce accepts as an Id in a filter: 15 or 18 letters and digits,
// or the empty string (which matches null).
func validIDLiteral(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

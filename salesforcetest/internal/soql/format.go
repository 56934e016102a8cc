package soql

import (
	"strconv"
	"strings"
)

// String prints the query as canonical SOQL (upper-case keywords, single spaces, explicit ASC/DESC
// and NULLS, AND/OR groups parenthesized when nested) that Parse reads back to the same query.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.Count {
		b.WriteString("COUNT()")
	} else {
		b.WriteString(strings.Join(q.Fields, ", "))
	}
	b.WriteString(" FROM ")
	b.WriteString(q.From)
	if q.Where != nil {
		b.WriteString(" WHERE ")
		writeExpr(&b, q.Where, false)
	}
	for i, o := range q.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.Field)
		if o.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
		if o.NullsLast {
			b.WriteString(" NULLS LAST")
		} else {
			b.WriteString(" NULLS FIRST")
		}
	}
	if q.Limit >= 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.Itoa(q.Offset))
	}
	return b.String()
}

// writeExpr prints e; nested marks an operand of a Logical or Not, where a Logical needs parentheses.
func writeExpr(b *strings.Builder, e Expr, nested bool) {
	switch x := e.(type) {
	case *Logical:
		if nested {
			b.WriteByte('(')
		}
		for i, t := range x.Terms {
			if i > 0 {
				b.WriteString(" " + x.Op + " ")
			}
			writeExpr(b, t, true)
		}
		if nested {
			b.WriteByte(')')
		}
	case *Not:
		b.WriteString("NOT ")
		writeExpr(b, x.X, true)
	case *Comparison:
		b.WriteString(x.Field)
		b.WriteByte(' ')
		b.WriteString(x.Op)
		b.WriteByte(' ')
		switch x.Op {
		case "IN", "NOT IN", "INCLUDES", "EXCLUDES":
			b.WriteByte('(')
			for i, l := range x.Values {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(l.String())
			}
			b.WriteByte(')')
		default:
			if len(x.Values) > 0 {
				b.WriteString(x.Values[0].String())
			}
		}
	}
}

// String prints the literal in SOQL syntax. A string literal built in Go (Text empty) is quoted
// and escaped from Value.
func (l Literal) String() string {
	if l.Kind == StringLiteral && l.Text == "" {
		return Quote(l.Value)
	}
	return l.Text
}

// Quote returns s as a SOQL string literal, escaping quotes, backslashes and control characters.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteLike returns s as a SOQL string literal for LIKE that matches s literally: % and _ are
// escaped as well.
func QuoteLike(s string) string {
	q := Quote(s)
	q = strings.ReplaceAll(q, "%", `\%`)
	return strings.ReplaceAll(q, "_", `\_`)
}

package soql

import (
	"strconv"
	"strings"
	"time"
)

// Parse reads one SOQL SELECT statement. It checks syntax only; names and literal types are checked
// by Check. Errors are *Error with Code MALFORMED_QUERY and Salesforce's positioned message.
func Parse(soql string) (*Query, error) {
	toks, err := lex(soql)
	if err != nil {
		return nil, err
	}
	p := &parser{src: soql, toks: toks}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return q, nil
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

// peekAt looks n tokens ahead; past the end it answers the final EOF.
func (p *parser) peekAt(n int) token {
	if p.i+n >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	return p.toks[p.i+n]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(t token) error { return unexpected(p.src, t) }

// expect consumes the keyword or punctuation want, or fails on whatever is there.
func (p *parser) expect(want string) error {
	t := p.next()
	if t.kind == tPunct && t.text == want || t.is(want) {
		return nil
	}
	return p.fail(t)
}

// name consumes a field or object name: an identifier that is not a reserved word.
func (p *parser) name() (token, error) {
	t := p.next()
	if t.kind != tIdent || isReserved(t) {
		return t, p.fail(t)
	}
	return t, nil
}

// object consumes the object name after FROM. GROUP is a reserved word, yet Salesforce reads
// "FROM Group" as the standard object Group (and "FROM Group BY" as an error), so it is taken
// as a name here.
func (p *parser) object() (token, error) {
	if t := p.peek(); t.is("GROUP") && !p.peekAt(1).is("BY") {
		return p.next(), nil
	}
	return p.name()
}

func (p *parser) query() (*Query, error) {
	q := &Query{Limit: -1, src: p.src}
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	if p.peek().is("COUNT") && p.peekAt(1).text == "(" && p.peekAt(1).kind == tPunct {
		p.next()
		p.next()
		if t := p.peek(); t.kind != tPunct || t.text != ")" {
			if t.kind == tIdent && !isReserved(t) {
				// COUNT(field) is an aggregate query with an AggregateResult row, a different response
				// shape that the emulator does not produce; say so rather than answer wrongly.
				return nil, posError(CodeMalformedQuery, p.src, t.pos,
					"COUNT("+t.text+") is not supported by the Salesforce emulator: use SELECT COUNT() to count rows")
			}
			return nil, p.fail(t)
		}
		p.next()
		q.Count = true
	} else {
		for {
			t, err := p.name()
			if err != nil {
				return nil, err
			}
			q.Fields = append(q.Fields, t.text)
			q.fieldPos = append(q.fieldPos, t.pos)
			if p.peek().kind == tPunct && p.peek().text == "," {
				p.next()
				continue
			}
			break
		}
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	obj, err := p.object()
	if err != nil {
		return nil, err
	}
	q.From, q.fromPos = obj.text, obj.pos
	if p.peek().is("WHERE") {
		p.next()
		if q.Where, err = p.condition(); err != nil {
			return nil, err
		}
	}
	if p.peek().is("ORDER") {
		p.next()
		if err := p.expect("BY"); err != nil {
			return nil, err
		}
		for {
			t, err := p.name()
			if err != nil {
				return nil, err
			}
			it := OrderItem{Field: t.text, pos: t.pos}
			switch {
			case p.peek().is("ASC"):
				p.next()
			case p.peek().is("DESC"):
				p.next()
				it.Desc = true
			}
			it.NullsLast = it.Desc
			if p.peek().is("NULLS") {
				p.next()
				switch t := p.next(); {
				case t.is("FIRST"):
					it.NullsLast = false
				case t.is("LAST"):
					it.NullsLast = true
				default:
					return nil, p.fail(t)
				}
			}
			q.OrderBy = append(q.OrderBy, it)
			if p.peek().kind == tPunct && p.peek().text == "," {
				p.next()
				continue
			}
			break
		}
	}
	if p.peek().is("LIMIT") {
		p.next()
		if q.Limit, q.limitPos, err = p.count(); err != nil {
			return nil, err
		}
	}
	if p.peek().is("OFFSET") {
		p.next()
		if q.Offset, q.offsetPos, err = p.count(); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.fail(t)
	}
	return q, nil
}

// count reads the non-negative integer of LIMIT or OFFSET.
func (p *parser) count() (int, int, error) {
	t := p.next()
	if t.kind != tNumber || !isDigit(t.text[0]) || strings.Contains(t.text, ".") {
		return 0, 0, p.fail(t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n > 1<<31-1 {
		return 0, 0, p.fail(t)
	}
	return n, t.pos, nil
}

// condition parses a run of conditions joined by AND or by OR. SOQL has no precedence between them:
// mixing both at one level is a syntax error at the first operator that differs.
func (p *parser) condition() (Expr, error) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	terms := []Expr{first}
	op := ""
	for {
		t := p.peek()
		if !t.is("AND") && !t.is("OR") {
			break
		}
		o := strings.ToUpper(t.text)
		if op != "" && o != op {
			return nil, p.fail(t)
		}
		op = o
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, x)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return &Logical{Op: op, Terms: terms}, nil
}

func (p *parser) unary() (Expr, error) {
	t := p.peek()
	switch {
	case t.is("NOT"):
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case t.kind == tPunct && t.text == "(":
		p.next()
		x, err := p.condition()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return x, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Expr, error) {
	f, err := p.name()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Field: f.text, pos: f.pos}
	t := p.next()
	list := false
	switch {
	case t.kind == tPunct && (t.text == "=" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		c.Op = t.text
	case t.kind == tPunct && t.text == "<>":
		c.Op = "!="
	case t.is("LIKE"):
		c.Op = "LIKE"
	case t.is("IN"), t.is("INCLUDES"), t.is("EXCLUDES"):
		c.Op, list = strings.ToUpper(t.text), true
	case t.is("NOT"):
		if u := p.next(); !u.is("IN") {
			return nil, p.fail(u)
		}
		c.Op, list = "NOT IN", true
	default:
		return nil, p.fail(t)
	}
	if !list {
		l, err := p.literal()
		if err != nil {
			return nil, err
		}
		c.Values = []Literal{l}
		return c, nil
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	for {
		l, err := p.literal()
		if err != nil {
			return nil, err
		}
		c.Values = append(c.Values, l)
		if t := p.next(); t.kind == tPunct && t.text == "," {
			continue
		} else if t.kind == tPunct && t.text == ")" {
			break
		} else {
			return nil, p.fail(t)
		}
	}
	return c, nil
}

func (p *parser) literal() (Literal, error) {
	t := p.next()
	l := Literal{Text: t.text, pos: t.pos}
	switch t.kind {
	case tString:
		l.Kind, l.Value = StringLiteral, t.val
		return l, nil
	case tNumber:
		l.Kind = NumberLiteral
		return l, nil
	case tDate:
		if _, err := time.Parse("2006-01-02", t.text); err != nil {
			return l, p.fail(t)
		}
		l.Kind = DateLiteral
		return l, nil
	case tDateTime:
		if _, err := parseDateTime(t.text); err != nil {
			return l, p.fail(t)
		}
		l.Kind = DateTimeLiteral
		return l, nil
	case tIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "NULL":
			l.Kind, l.Text = NullLiteral, "null"
			return l, nil
		case "TRUE", "FALSE":
			l.Kind, l.Text = BoolLiteral, strings.ToLower(up)
			return l, nil
		}
		if validDateKeyword(up) {
			l.Kind, l.Text = DateKeyword, up
			return l, nil
		}
	}
	return l, p.fail(t)
}

// parseDateTime reads a SOQL datetime literal; fractional seconds of any length are accepted and kept
// to the millisecond, as Salesforce stores them.
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC().Truncate(time.Millisecond), nil
}

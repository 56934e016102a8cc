package soql

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// program is a checked query ready to run: literals decoded once so Match allocates nothing.
type program struct {
	where *node
	order []orderKey
}

type orderKey struct {
	field     string
	desc      bool
	nullsLast bool
	cls       valueClass
}

type nodeKind uint8

const (
	nAnd nodeKind = iota
	nOr
	nNot
	nCmp
)

type opCode uint8

// The IN family comes last: compileComparison relies on that order.
const (
	opEq opCode = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opLike
	opIn
	opNotIn
	opIncludes
	opExcludes
)

var opCodes = map[string]opCode{
	"=": opEq, "!=": opNe, "<>": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe, "LIKE": opLike,
	"IN": opIn, "NOT IN": opNotIn, "INCLUDES": opIncludes, "EXCLUDES": opExcludes,
}

type node struct {
	kind  nodeKind
	kids  []*node
	field string
	op    opCode
	cls   valueClass
	lits  []clit
	like  []likeTok
}

// clit is a literal decoded for evaluation.
type clit struct {
	kind     LiteralKind
	s        string // string value; for Id fields its 15-character prefix
	b        bool
	num      numLit
	t        time.Time // date or datetime literal
	from, to time.Time // date keyword range [from, to)
	items    []string  // multipicklist values of the literal
}

func compileLiteral(l Literal, cls valueClass, now time.Time) (clit, error) {
	c := clit{kind: l.Kind}
	switch l.Kind {
	case StringLiteral:
		c.s = l.Value
		if cls == clsID && len(c.s) == 18 {
			c.s = c.s[:15]
		}
		if cls == clsMulti {
			for _, it := range strings.Split(c.s, ";") {
				if it = strings.TrimSpace(it); it != "" {
					c.items = append(c.items, it)
				}
			}
		}
	case BoolLiteral:
		c.b = l.Text == "true"
	case NumberLiteral:
		n, ok := compileNumber(l.Text)
		if !ok {
			return c, &Error{Code: CodeMalformedQuery, Message: "bad number " + l.Text}
		}
		c.num = n
	case DateLiteral:
		t, err := time.Parse("2006-01-02", l.Text)
		if err != nil {
			return c, err
		}
		c.t = t
	case DateTimeLiteral:
		t, err := parseDateTime(l.Text)
		if err != nil {
			return c, err
		}
		c.t = t
	case DateKeyword:
		up := strings.ToUpper(l.Text)
		if !validDateKeyword(up) {
			return c, &Error{Code: CodeMalformedQuery, Message: "bad date literal " + l.Text}
		}
		c.from, c.to = dateRange(up, now)
	}
	return c, nil
}

// program returns the compiled form, compiling an unchecked query on first use. Check first for
// concurrent use and for Salesforce's type rules.
func (q *Query) program() *program {
	if q.compiled != nil {
		return q.compiled
	}
	prog := &program{}
	now := time.Now
	if q.Now != nil {
		now = q.Now
	}
	if q.Where != nil {
		n, err := q.compile(nil, q.Where, now())
		if err != nil {
			// A query that does not compile matches nothing rather than panicking mid-scan.
			n = &node{kind: nOr}
		}
		prog.where = n
	}
	for _, o := range q.OrderBy {
		prog.order = append(prog.order, orderKey{field: o.Field, desc: o.Desc, nullsLast: o.NullsLast})
	}
	q.compiled = prog
	return prog
}

// Match reports whether r satisfies the WHERE clause (true when there is none). It does not
// allocate; call Check first so that names are canonical and literals typed.
func (q *Query) Match(r Record) bool {
	p := q.program()
	if p.where == nil {
		return true
	}
	return p.where.eval(r)
}

func (n *node) eval(r Record) bool {
	switch n.kind {
	case nAnd:
		for _, k := range n.kids {
			if !k.eval(r) {
				return false
			}
		}
		return true
	case nOr:
		for _, k := range n.kids {
			if k.eval(r) {
				return true
			}
		}
		return false
	case nNot:
		return !n.kids[0].eval(r)
	}
	v := r.Get(n.field)
	if s, ok := v.(string); ok && s == "" {
		v = nil // Salesforce stores no empty strings: an empty text is null
	}
	switch n.op {
	case opEq:
		return n.eq(v, &n.lits[0])
	case opNe:
		return !n.eq(v, &n.lits[0])
	case opIn, opNotIn:
		in := false
		for i := range n.lits {
			if n.eq(v, &n.lits[i]) {
				in = true
				break
			}
		}
		return in == (n.op == opIn)
	case opLike:
		s, ok := v.(string)
		return ok && likeMatch(n.like, s)
	case opIncludes, opExcludes:
		s, _ := v.(string)
		hit := false
		for i := range n.lits {
			if s != "" && multiContainsAll(s, n.lits[i].items) {
				hit = true
				break
			}
		}
		return hit == (n.op == opIncludes)
	}
	// Ordering operators: never true for null on either side.
	if v == nil {
		return false
	}
	l := &n.lits[0]
	var c int
	switch l.kind {
	case NullLiteral, BoolLiteral:
		return false
	case DateKeyword:
		t, ok := v.(time.Time)
		if !ok {
			return false
		}
		switch n.op {
		case opLt:
			return t.Before(l.from)
		case opLe:
			return t.Before(l.to)
		case opGt:
			return !t.Before(l.to)
		default:
			return !t.Before(l.from)
		}
	case NumberLiteral:
		var ok bool
		if c, ok = cmpNumber(v, &l.num); !ok {
			return false
		}
	case DateLiteral, DateTimeLiteral:
		t, ok := v.(time.Time)
		if !ok {
			return false
		}
		c = t.Compare(l.t)
	case StringLiteral:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if n.cls == clsID {
			c = strings.Compare(idPrefix(s), l.s)
		} else {
			c = compareFold(s, l.s)
		}
	}
	switch n.op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

// eq is SOQL equality of a record value and one literal. Null equals null (and ” on text fields);
// text compares case-insensitively, Ids by their case-sensitive 15-character prefix.
func (n *node) eq(v any, l *clit) bool {
	if v == nil {
		return l.kind == NullLiteral || l.kind == StringLiteral && l.s == ""
	}
	switch l.kind {
	case NullLiteral:
		return false
	case StringLiteral:
		s, ok := v.(string)
		if !ok {
			return false
		}
		switch n.cls {
		case clsID:
			return idPrefix(s) == l.s
		case clsMulti:
			return multiEqual(s, l.items)
		}
		return strings.EqualFold(s, l.s)
	case BoolLiteral:
		b, ok := v.(bool)
		return ok && b == l.b
	case NumberLiteral:
		c, ok := cmpNumber(v, &l.num)
		return ok && c == 0
	case DateLiteral, DateTimeLiteral:
		t, ok := v.(time.Time)
		return ok && t.Equal(l.t)
	case DateKeyword:
		t, ok := v.(time.Time)
		return ok && !t.Before(l.from) && t.Before(l.to)
	}
	return false
}

// idPrefix is the case-sensitive part of an Id: an 18-character Id only adds a case checksum.
func idPrefix(s string) string {
	if len(s) == 18 {
		return s[:15]
	}
	return s
}

// multiEqual reports whether the multipicklist value v holds exactly the items (in any order).
func multiEqual(v string, items []string) bool {
	count := 0
	for rest := v; rest != ""; {
		var it string
		it, rest, _ = strings.Cut(rest, ";")
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		if !containsFold(items, it) {
			return false
		}
		count++
	}
	return count == len(items)
}

// multiContainsAll reports whether the multipicklist value v holds every one of items.
func multiContainsAll(v string, items []string) bool {
	for _, want := range items {
		found := false
		for rest := v; rest != ""; {
			var it string
			it, rest, _ = strings.Cut(rest, ";")
			if strings.EqualFold(strings.TrimSpace(it), want) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return len(items) > 0
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// compareFold orders two strings case-insensitively without allocating.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		ra, na := rune(a[0]), 1
		if ra >= utf8.RuneSelf {
			ra, na = utf8.DecodeRuneInString(a)
		}
		rb, nb := rune(b[0]), 1
		if rb >= utf8.RuneSelf {
			rb, nb = utf8.DecodeRuneInString(b)
		}
		if ra != rb {
			la, lb := unicode.ToLower(ra), unicode.ToLower(rb)
			if la != lb {
				if la < lb {
					return -1
				}
				return 1
			}
		}
		a, b = a[na:], b[nb:]
	}
	return cmpInt(len(a), len(b))
}

// likeTok is one element of a compiled LIKE pattern.
type likeTok struct {
	kind  uint8 // likeLit, likeOne or likeMany
	lower rune
	upper rune
}

const (
	likeLit uint8 = iota
	likeOne
	likeMany
)

// compileLike turns a LIKE string literal into tokens: unescaped % and _ are wildcards, \% and \_
// are the characters themselves. It reads the literal's source text, where that distinction lives.
func compileLike(l Literal) []likeTok {
	raw := l.Text
	if len(raw) >= 2 && raw[0] == '\'' {
		raw = raw[1 : len(raw)-1]
	} else {
		raw = strings.ReplaceAll(l.Value, `\`, `\\`) // built in Go: only Value, whose wildcards are live
	}
	var toks []likeTok
	lit := func(r rune) {
		toks = append(toks, likeTok{kind: likeLit, lower: unicode.ToLower(r), upper: unicode.ToUpper(r)})
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '%':
			if len(toks) == 0 || toks[len(toks)-1].kind != likeMany {
				toks = append(toks, likeTok{kind: likeMany})
			}
			i++
		case c == '_':
			toks = append(toks, likeTok{kind: likeOne})
			i++
		case c == '\\' && i+1 < len(raw):
			e := raw[i+1]
			i += 2
			switch e {
			case 'n':
				lit('\n')
			case 'r':
				lit('\r')
			case 't':
				lit('\t')
			case 'b':
				lit('\b')
			case 'f':
				lit('\f')
			case 'u':
				if i+4 <= len(raw) && isHex4(raw[i:i+4]) {
					var v rune
					for _, h := range raw[i : i+4] {
						v = v*16 + rune(hexVal(byte(h)))
					}
					lit(v)
					i += 4
				}
			default:
				lit(rune(e))
			}
		default:
			r, n := utf8.DecodeRuneInString(raw[i:])
			lit(r)
			i += n
		}
	}
	return toks
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// likeMatch matches s against a compiled pattern, case-insensitively, with the classic greedy
// wildcard algorithm (backtrack to the last %): linear in practice and allocation-free.
func likeMatch(p []likeTok, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		r, n := utf8.DecodeRuneInString(s[si:])
		if pi < len(p) {
			switch t := p[pi]; t.kind {
			case likeMany:
				starP, starS = pi, si
				pi++
				continue
			case likeOne:
				pi++
				si += n
				continue
			default:
				if r == t.lower || r == t.upper || unicode.ToLower(r) == t.lower {
					pi++
					si += n
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, m := utf8.DecodeRuneInString(s[starS:])
		starS += m
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi].kind == likeMany {
		pi++
	}
	return pi == len(p)
}

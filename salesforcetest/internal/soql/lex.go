package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tDateTime
	tPunct
)

// token is one lexeme. text is the source spelling; val is the decoded value of a string.
type token struct {
	kind tokKind
	text string
	val  string
	pos  int
}

// is reports whether t is the keyword kw (upper case), which SOQL matches case-insensitively.
func (t token) is(kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

// reserved are SOQL's reserved words: they can never be a field or object name.
var reserved = map[string]bool{
	"AND": true, "ASC": true, "DESC": true, "EXCLUDES": true, "FIRST": true, "FROM": true,
	"GROUP": true, "HAVING": true, "IN": true, "INCLUDES": true, "LAST": true, "LIKE": true,
	"LIMIT": true, "NOT": true, "NULL": true, "NULLS": true, "OR": true, "SELECT": true,
	"WHERE": true, "WITH": true,
}

func isReserved(t token) bool {
	return t.kind == tIdent && reserved[strings.ToUpper(t.text)]
}

// lex splits src into tokens, ending with tEOF. Lexical errors carry ANTLR-style texts, as Salesforce's.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, pos: len(src)})
			return toks, nil
		}
		c := src[i]
		start := i
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			// N-day literals carry their count after a colon: LAST_N_DAYS:30.
			if i+1 < len(src) && src[i] == ':' && isDigit(src[i+1]) {
				if _, ok := nDayKeywords[strings.ToUpper(src[start:i])]; ok {
					i++
					for i < len(src) && isDigit(src[i]) {
						i++
					}
				}
			}
			toks = append(toks, token{kind: tIdent, text: src[start:i], pos: start})
		case isDigit(c) || (c == '-' || c == '+') && i+1 < len(src) && isDigit(src[i+1]):
			kind, end := lexNumberOrDate(src, i)
			i = end
			toks = append(toks, token{kind: kind, text: src[start:i], pos: start})
		case c == '\'':
			t, end, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			i = end
			toks = append(toks, t)
		case c == '(' || c == ')' || c == ',' || c == '=':
			i++
			toks = append(toks, token{kind: tPunct, text: src[start:i], pos: start})
		case c == '!' && i+1 < len(src) && src[i+1] == '=':
			i += 2
			toks = append(toks, token{kind: tPunct, text: "!=", pos: start})
		case c == '<' || c == '>':
			i++
			if i < len(src) && (src[i] == '=' || c == '<' && src[i] == '>') {
				i++
			}
			toks = append(toks, token{kind: tPunct, text: src[start:i], pos: start})
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, noViable(src, i, string(r))
		}
	}
}

func noViable(src string, pos int, what string) *Error {
	e := posError(CodeMalformedQuery, src, pos, "")
	e.Message += "line " + strconv.Itoa(e.Row) + ":" + strconv.Itoa(e.Column) + " no viable alternative at character '" + what + "'"
	return e
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '.' }

// lexNumberOrDate reads a number (optionally signed, optionally with a fraction), a date
// (YYYY-MM-DD) or a datetime (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)).
func lexNumberOrDate(src string, i int) (tokKind, int) {
	if digitsAt(src, i, 4) && at(src, i+4, '-') && digitsAt(src, i+5, 2) && at(src, i+7, '-') && digitsAt(src, i+8, 2) {
		end := i + 10
		if (at(src, end, 'T') || at(src, end, 't')) && digitsAt(src, end+1, 2) && at(src, end+3, ':') &&
			digitsAt(src, end+4, 2) && at(src, end+6, ':') && digitsAt(src, end+7, 2) {
			j := end + 9
			if at(src, j, '.') && j+1 < len(src) && isDigit(src[j+1]) {
				j++
				for j < len(src) && isDigit(src[j]) {
					j++
				}
			}
			switch {
			case at(src, j, 'Z') || at(src, j, 'z'):
				return tDateTime, j + 1
			case (at(src, j, '+') || at(src, j, '-')) && digitsAt(src, j+1, 2) && at(src, j+3, ':') && digitsAt(src, j+4, 2):
				return tDateTime, j + 6
			}
		}
		return tDate, end
	}
	j := i
	if src[j] == '-' || src[j] == '+' {
		j++
	}
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if at(src, j, '.') && j+1 < len(src) && isDigit(src[j+1]) {
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	return tNumber, j
}

func at(src string, i int, c byte) bool { return i < len(src) && src[i] == c }

func digitsAt(src string, i, n int) bool {
	if i+n > len(src) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(src[k]) {
			return false
		}
	}
	return true
}

// lexString reads a single-quoted string with SOQL's backslash escapes. \% and \_ stay escaped in
// the decoded value's twin (the token text) so LIKE can tell them from wildcards.
func lexString(src string, i int) (token, int, error) {
	start := i
	i++
	var b strings.Builder
	for {
		if i >= len(src) {
			e := posError(CodeMalformedQuery, src, len(src), "")
			e.Message += "line " + strconv.Itoa(e.Row) + ":" + strconv.Itoa(e.Column) + " mismatched character '<EOF>' expecting '''"
			return token{}, 0, e
		}
		c := src[i]
		switch c {
		case '\'':
			i++
			return token{kind: tString, text: src[start:i], val: b.String(), pos: start}, i, nil
		case '\\':
			if i+1 >= len(src) {
				i++
				continue // reported as unterminated on the next turn
			}
			e := src[i+1]
			switch e {
			case '\'', '"', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '%', '_':
				b.WriteByte(e)
			case 'u':
				if i+6 <= len(src) {
					if v, err := strconv.ParseUint(src[i+2:i+6], 16, 32); err == nil && isHex4(src[i+2:i+6]) {
						b.WriteRune(rune(v))
						i += 6
						continue
					}
				}
				return token{}, 0, illegalEscape(src, start, i)
			default:
				return token{}, 0, illegalEscape(src, start, i)
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s) == 4
}

func illegalEscape(src string, start, at int) *Error {
	// Salesforce quotes the string up to the bad sequence and names the sequence.
	_, size := utf8.DecodeRuneInString(src[at+1:])
	seq := src[at : at+1+size]
	return posError(CodeMalformedQuery, src, start,
		"Invalid string literal "+src[start:at+1+size]+"'. Illegal character sequence '"+seq+"' in string literal.")
}

package soql

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// decimal is an exact decimal number held as digit strings: intPart without leading zeros and
// frac without trailing zeros, so that comparing two decimals needs no arithmetic and no
// allocation. Zero is never negative.
type decimal struct {
	neg     bool
	intPart string
	frac    string
}

// parseDecimal splits a plain decimal numeral ("-0012.500") without allocating; ok=false for
// anything else (exponents, NaN), which callers then compare as float64.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	if s == "" {
		return d, false
	}
	switch s[0] {
	case '-':
		d.neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	ip, fp, hasDot := strings.Cut(s, ".")
	if ip == "" && fp == "" || hasDot && fp == "" && ip == "" {
		return d, false
	}
	for i := 0; i < len(ip); i++ {
		if !isDigit(ip[i]) {
			return d, false
		}
	}
	for i := 0; i < len(fp); i++ {
		if !isDigit(fp[i]) {
			return d, false
		}
	}
	d.intPart = strings.TrimLeft(ip, "0")
	d.frac = strings.TrimRight(fp, "0")
	if d.intPart == "" && d.frac == "" {
		d.neg = false
	}
	return d, true
}

// cmpDecimal compares two decimals: -1, 0 or +1.
func cmpDecimal(a, b decimal) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case len(a.intPart) != len(b.intPart):
		c = cmpInt(len(a.intPart), len(b.intPart))
	case a.intPart != b.intPart:
		c = strings.Compare(a.intPart, b.intPart)
	default:
		// Without trailing zeros, digit strings of fractions order lexicographically.
		c = strings.Compare(a.frac, b.frac)
	}
	if a.neg {
		c = -c
	}
	return c
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	// NaN sorts first and equals nothing but another NaN, so ordering stays total.
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a):
		return -1
	}
	return 1
}

// numLit is a precompiled numeric literal, kept in every form a record value may take.
type numLit struct {
	f     float64
	i     int64
	isInt bool
	dec   decimal
	exact bool // dec is valid
}

func compileNumber(text string) (numLit, bool) {
	var n numLit
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) {
		return n, false
	}
	n.f = f
	if i, err := strconv.ParseInt(strings.TrimPrefix(text, "+"), 10, 64); err == nil {
		n.i, n.isInt = i, true
	}
	n.dec, n.exact = parseDecimal(text)
	return n, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// cmpNumber compares a record value with a numeric literal; ok=false when v is not a number.
func cmpNumber(v any, n *numLit) (int, bool) {
	switch x := v.(type) {
	case int64:
		if n.isInt {
			return cmpInt64(x, n.i), true
		}
		return cmpFloat(float64(x), n.f), true
	case int:
		if n.isInt {
			return cmpInt64(int64(x), n.i), true
		}
		return cmpFloat(float64(x), n.f), true
	case int32:
		if n.isInt {
			return cmpInt64(int64(x), n.i), true
		}
		return cmpFloat(float64(x), n.f), true
	case float64:
		return cmpFloat(x, n.f), true
	case float32:
		return cmpFloat(float64(x), n.f), true
	case json.Number:
		if n.exact {
			if d, ok := parseDecimal(string(x)); ok {
				return cmpDecimal(d, n.dec), true
			}
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !isRangeErr(err) {
			return 0, false
		}
		return cmpFloat(f, n.f), true
	}
	return 0, false
}

// asFloat converts a numeric record value for ordering mixed representations.
func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil || isRangeErr(err)
	}
	return 0, false
}

// cmpNumbers orders two numeric record values exactly where both are integers or both decimals.
func cmpNumbers(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpInt64(x, y), true
		}
	case json.Number:
		if y, ok := b.(json.Number); ok {
			dx, ok1 := parseDecimal(string(x))
			dy, ok2 := parseDecimal(string(y))
			if ok1 && ok2 {
				return cmpDecimal(dx, dy), true
			}
		}
	}
	fa, ok1 := asFloat(a)
	fb, ok2 := asFloat(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return cmpFloat(fa, fb), true
}

package extract

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/schema"
)

// recordDecoder turns Salesforce REST records into table rows in one pass over the JSON: each
// field's value is read straight into the Go value of its column's type, no map per record.
// encoding/json into map[string]any is 3-5x slower here (see DESIGN.md), hence the token walk.
type recordDecoder struct {
	fields map[string]int // Salesforce field name -> column index
	types  []schema.DataType
	dec    *jsontext.Decoder
	rd     bytes.Reader

	// Salesforce writes fields in SELECT order: order holds the quoted names in that order and
	// their columns, so the usual case is one byte comparison per field, no map lookup and no
	// allocation for the name.
	order []orderedField

	text textArena
	unq  []byte // scratch for unquoting escaped strings
}

// textArena makes the strings of decoded text values out of shared blocks: one allocation per
// 64 KB of text instead of one per value. A text value was the most frequent allocation of a
// REST load (about 30 per Opportunity record: profiled), and the garbage collector's work grows
// with their number. A block lives as long as any string made from it: the values of one page
// travel together to the loader, which drops them together.
type textArena struct {
	block []byte
}

const textBlockSize = 64 << 10

// str returns b as a string in the arena.
func (a *textArena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > textBlockSize/4 {
		return string(b) // a long value gets its own allocation, not a share of a block
	}
	if cap(a.block)-len(a.block) < len(b) {
		a.block = make([]byte, 0, textBlockSize)
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	// The bytes are never written again: append only writes past them, and a full block is
	// replaced, not grown.
	return unsafe.String(&a.block[start], len(b))
}

type orderedField struct {
	quoted []byte
	col    int
}

// newRecordDecoder makes a decoder for records whose fields map to columns; select lists the
// fields in the order the query selects them (nil when unknown).
func newRecordDecoder(fields map[string]int, types []schema.DataType, selectOrder ...string) *recordDecoder {
	d := &recordDecoder{fields: fields, types: types}
	for _, name := range selectOrder {
		q, _ := jsontext.AppendQuote(nil, name)
		d.order = append(d.order, orderedField{quoted: q, col: fields[name]})
	}
	// Duplicate names are not checked: the check costs a map insert per field (profiled), and
	// a record with a duplicate field would only overwrite the value.
	d.dec = jsontext.NewDecoder(&d.rd, jsontext.AllowDuplicateNames(true))
	return d
}

// decode fills row (one slot per column, at least len(types)) from one record. Fields the
// decoder does not know (attributes, anything describe did not list) are skipped. Values that do
// not fit their column are returned as misfits, with nil left in the row.
func (d *recordDecoder) decode(raw []byte, row []any, misfits []normalize.Misfit) ([]normalize.Misfit, error) {
	n := len(misfits)
	if out, ok := d.fast(raw, row, misfits); ok {
		return out, nil
	}
	// The general path decides, and reports what is wrong with a record the fast path
	// declined; it sets every field the fast path may have set.
	return d.general(raw, row, misfits[:n])
}

// fast decodes a record in one pass over its bytes for what Salesforce writes: an object of
// fields whose values are strings, numbers, true, false, null or nested objects and arrays
// (attributes, compound fields), without whitespace or escapes in field names. It declines
// (false) anything else, and anything malformed, for general to handle or report. It does the
// work of general at about half its cost (BenchmarkDecodeOpportunityPage): decoding was the
// largest share of a REST load's CPU outside DuckDB.
func (d *recordDecoder) fast(raw []byte, row []any, misfits []normalize.Misfit) ([]normalize.Misfit, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return misfits, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return misfits, skipSpace(raw, i+1) == len(raw)
	}
	next := 0
	var err error
	for {
		// The field's name, quotes included (order holds quoted names).
		if i >= len(raw) || raw[i] != '"' {
			return misfits, false
		}
		end, escaped, ok := scanString(raw, i)
		if !ok || escaped {
			return misfits, false
		}
		name := raw[i:end]
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return misfits, false
		}
		i = skipSpace(raw, i+1)
		start := i
		if i >= len(raw) {
			return misfits, false
		}
		escaped = false
		switch c := raw[i]; {
		case c == '"':
			end, escaped, ok = scanString(raw, i)
		case c == '{' || c == '[':
			end, ok = scanNested(raw, i)
		case c == 'n':
			end, ok = i+4, bytes.HasPrefix(raw[i:], litNull)
		case c == 't':
			end, ok = i+4, bytes.HasPrefix(raw[i:], litTrue)
		case c == 'f':
			end, ok = i+5, bytes.HasPrefix(raw[i:], litFalse)
		default:
			end, ok = scanNumber(raw, i)
		}
		if !ok {
			return misfits, false
		}
		val := raw[start:end]
		// Checked for every field, kept or not, as general's decoder does.
		switch {
		case escaped:
			if d.unq, err = jsontext.AppendUnquote(d.unq[:0], val); err != nil {
				return misfits, false // a bad escape: general reports it
			}
		case val[0] == '{' || val[0] == '[':
			if !jsontext.Value(val).IsValid() {
				return misfits, false
			}
		}
		var col int
		known := false
		if col, known = d.inOrder(name, &next); !known {
			if col, known = d.fields[string(name[1:len(name)-1])]; known {
				next = d.after(col, next)
			}
		}
		if known {
			var v any
			fits := true
			switch {
			case d.types[col] == schema.Text && val[0] == '"' && len(val) > 2 && escaped:
				v = d.text.str(d.unq)
			case d.types[col] == schema.Text && val[0] == '"' && len(val) > 2:
				v = d.text.str(val[1 : len(val)-1])
			default:
				v, fits = convertJSON(jsontext.Value(val), d.types[col])
			}
			if !fits {
				misfits = append(misfits, normalize.Misfit{Col: col, Value: naturalJSON(jsontext.Value(val))})
				v = nil
			}
			row[col] = v
		}
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return misfits, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return misfits, skipSpace(raw, i+1) == len(raw)
		default:
			return misfits, false
		}
	}
}

var (
	litNull  = []byte("null")
	litTrue  = []byte("true")
	litFalse = []byte("false")
)

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString finds the end (just past the closing quote) of the JSON string at b[i]. escaped
// says it holds a backslash escape (not checked here). It declines control characters and
// invalid UTF-8, which JSON forbids.
func scanString(b []byte, i int) (end int, escaped, ok bool) {
	ascii := true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(b[i+1:j]) {
				return 0, false, false
			}
			return j + 1, escaped, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte; a \uXXXX's digits are plain bytes
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			ascii = false
		}
	}
	return 0, false, false
}

// scanNumber finds the end of the JSON number at b[i], checking its grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return 0, false
		}
	}
	return i, true
}

// scanNested finds the end of the object or array at b[i], minding strings. Its contents are
// checked by convertJSON's consumers where a column keeps them (JSON columns are re-read by the
// destination); a field no column keeps is skipped as general skips it.
func scanNested(b []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, _, ok := scanString(b, j)
			if !ok {
				return 0, false
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// inOrder reports the column of the field named quoted (quotes included) when it is the next
// one in SELECT order, and moves next past it: the usual case, one byte comparison.
func (d *recordDecoder) inOrder(quoted []byte, next *int) (int, bool) {
	if *next < len(d.order) && bytes.Equal(quoted, d.order[*next].quoted) {
		*next++
		return d.order[*next-1].col, true
	}
	return 0, false
}

// after is the place in SELECT order after the field of col, to get back in step after a field
// out of order; next when col is not in the order.
func (d *recordDecoder) after(col, next int) int {
	for i, f := range d.order {
		if f.col == col {
			next = i + 1
		}
	}
	return next
}

// general decodes a record with a full JSON decoder.
func (d *recordDecoder) general(raw []byte, row []any, misfits []normalize.Misfit) ([]normalize.Misfit, error) {
	d.rd.Reset(raw)
	d.dec.Reset(&d.rd, jsontext.AllowDuplicateNames(true))
	next := 0
	tok, err := d.dec.ReadToken()
	if err != nil {
		return misfits, fmt.Errorf("record is not JSON: %w", err)
	}
	if tok.Kind() != '{' {
		return misfits, fmt.Errorf("record is a JSON %v, not an object", tok.Kind())
	}
	for d.dec.PeekKind() != '}' {
		nameVal, err := d.dec.ReadValue()
		if err != nil {
			return misfits, fmt.Errorf("reading record: %w", err)
		}
		var col int
		var ok bool
		if col, ok = d.inOrder(nameVal, &next); !ok {
			if col, ok = d.fields[unquote(nameVal)]; ok {
				next = d.after(col, next)
			}
		}
		if !ok {
			name := unquote(nameVal)
			if err := d.dec.SkipValue(); err != nil {
				return misfits, fmt.Errorf("reading record field %q: %w", name, err)
			}
			continue
		}
		val, err := d.dec.ReadValue()
		if err != nil {
			return misfits, fmt.Errorf("reading record field %q: %w", unquote(nameVal), err)
		}
		var v any
		if d.types[col] == schema.Text && len(val) > 2 && val[0] == '"' && bytes.IndexByte(val, '\\') < 0 {
			v, ok = d.text.str(val[1:len(val)-1]), true // convertJSON's common case, without an allocation
		} else {
			v, ok = convertJSON(val, d.types[col])
		}
		if !ok {
			misfits = append(misfits, normalize.Misfit{Col: col, Value: naturalJSON(val)})
			v = nil
		}
		row[col] = v
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return misfits, fmt.Errorf("reading record: %w", err)
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return misfits, fmt.Errorf("reading record: data after its end")
	}
	return misfits, nil
}

// convertJSON converts one JSON value into the canonical Go value of type t. It reports false
// when the value does not fit t. JSON null is nil for every type.
func convertJSON(v jsontext.Value, t schema.DataType) (any, bool) {
	kind := v.Kind()
	if kind == 'n' {
		return nil, true
	}
	switch t {
	case schema.Text:
		switch kind {
		case '"':
			if len(v) == 2 {
				// Salesforce stores no empty strings, and Bulk's CSV cannot tell "" from null:
				// both paths give null so they load identical rows.
				return nil, true
			}
			return unquote(v), true
		case '0':
			return string(v), true
		case 't', 'f':
			return string(v), true
		}
	case schema.Bool:
		switch kind {
		case 't':
			return true, true
		case 'f':
			return false, true
		}
	case schema.Bigint:
		if kind == '0' {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return n, true
			}
			// Salesforce may write an int as 12.0.
			if f, err := strconv.ParseFloat(string(v), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return int64(f), true
			}
		}
	case schema.Double:
		if kind == '0' {
			if f, err := strconv.ParseFloat(string(v), 64); err == nil {
				return f, true
			}
		}
	case schema.Decimal:
		if kind == '0' {
			if d, ok := fastDecimal(v); ok {
				return d, true
			}
			return schema.CoerceColumn(json.Number(v), schema.NewColumn("", schema.Decimal))
		}
	case schema.Timestamp:
		if kind == '"' {
			if ts, ok := fastDateTime(v[1 : len(v)-1]); ok {
				return ts, true
			}
			if ts, err := client.ParseDateTime(unquote(v)); err == nil {
				return ts.UTC(), true
			}
		}
	case schema.Date:
		if kind == '"' {
			if ts, ok := fastDate(v[1 : len(v)-1]); ok {
				return ts, true
			}
			if ts, err := client.ParseDate(unquote(v)); err == nil {
				return ts, true
			}
		}
	case schema.Time:
		if kind == '"' {
			if ts, err := client.ParseTime(unquote(v)); err == nil {
				h, m, s := ts.Clock()
				return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(ts.Nanosecond()), true
			}
		}
	case schema.JSON:
		return json.RawMessage(bytes.Clone(v)), true
	case schema.Binary:
		if kind == '"' {
			if b, err := base64.StdEncoding.DecodeString(unquote(v)); err == nil {
				return b, true
			}
		}
	}
	return nil, false
}

func unquote(v jsontext.Value) string {
	if len(v) >= 2 && bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]) // no escapes: the quotes are all there is to remove
	}
	b, err := jsontext.AppendUnquote(nil, v)
	if err != nil {
		return string(v)
	}
	return string(b)
}

// naturalJSON is a JSON value as the Go value of its own kind, for variant columns.
func naturalJSON(v jsontext.Value) any {
	switch v.Kind() {
	case '"':
		return unquote(v)
	case '0':
		return json.Number(string(v))
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	}
	return json.RawMessage(bytes.Clone(v))
}

// The fast paths below read the forms Salesforce writes (and fall back to the general parsers
// for anything else): together they made decoding several times faster (BenchmarkDecodeOpportunityPage).

// fastDateTime reads "2011-07-07T00:37:00.000+0000" or "...000Z" (UTC offsets only).
func fastDateTime(b []byte) (time.Time, bool) {
	if len(b) != 28 && len(b) != 24 {
		return time.Time{}, false
	}
	if b[10] != 'T' || b[19] != '.' {
		return time.Time{}, false
	}
	if len(b) == 28 && string(b[23:]) != "+0000" || len(b) == 24 && b[23] != 'Z' {
		return time.Time{}, false
	}
	d, ok := fastDate(b[:10])
	if !ok || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	h, ok1 := digits(b[11:13])
	m, ok2 := digits(b[14:16])
	sec, ok3 := digits(b[17:19])
	ms, ok4 := digits(b[20:23])
	if !(ok1 && ok2 && ok3 && ok4) || h > 23 || m > 59 || sec > 59 {
		return time.Time{}, false
	}
	return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond), true
}

// fastDate reads "2010-01-01".
func fastDate(b []byte) (time.Time, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(b[:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !(ok1 && ok2 && ok3) || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 2023-02-30
		return time.Time{}, false
	}
	return t, true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

var bigPow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// fastDecimal reads a plain JSON number ("616590.02", "-3", "400.0") whose value at dlt's
// decimal scale fits in an int64, into a DecimalValue; anything else reports false.
func fastDecimal(b []byte) (schema.DecimalValue, bool) {
	const scale = schema.DefaultDecimalScale
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var mant int64
	frac, seenDot, nd, anyDigit := 0, false, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			anyDigit = true
			if seenDot {
				if frac == scale {
					return schema.DecimalValue{}, false // more digits than the scale keeps: round in the general path
				}
				frac++
			}
			if nd > 0 || c != '0' {
				nd++
			}
			if nd > 18 {
				return schema.DecimalValue{}, false
			}
			mant = mant*10 + int64(c-'0')
		case c == '.' && !seenDot:
			seenDot = true
		default:
			return schema.DecimalValue{}, false // exponent or junk
		}
	}
	if !anyDigit || nd+scale-frac > 18 {
		return schema.DecimalValue{}, false
	}
	mant *= bigPow10[scale-frac]
	if neg {
		mant = -mant
	}
	return schema.DecimalValue{Unscaled: big.NewInt(mant), Scale: scale}, true
}

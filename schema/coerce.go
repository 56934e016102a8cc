package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// DecimalValue is the canonical Go value of a decimal column: Unscaled × 10^-Scale,
// exact (a float would lose cents and digits past 15-17). Coerce produces it at the
// column's scale (9 by default), so a destination writes it as it is: DuckDB's Appender
// takes the unscaled big.Int with width and scale, Postgres COPY takes String().
type DecimalValue struct {
	Unscaled *big.Int
	Scale    int
}

// String formats the value in plain decimal notation with exactly Scale fractional
// digits ("-12.500000000"); the zero DecimalValue is "0".
func (d DecimalValue) String() string {
	if d.Unscaled == nil {
		return "0"
	}
	s := new(big.Int).Abs(d.Unscaled).String()
	sign := ""
	if d.Unscaled.Sign() < 0 {
		sign = "-"
	}
	if d.Scale <= 0 {
		return sign + s + strings.Repeat("0", -d.Scale)
	}
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	return sign + s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
}

// Rat returns the exact value as a big.Rat.
func (d DecimalValue) Rat() *big.Rat {
	if d.Unscaled == nil {
		return new(big.Rat)
	}
	r := new(big.Rat).SetInt(d.Unscaled)
	if d.Scale > 0 {
		return r.Quo(r, new(big.Rat).SetInt(pow10(d.Scale)))
	}
	return r.Mul(r, new(big.Rat).SetInt(pow10(-d.Scale)))
}

// MarshalJSON writes the value as a JSON number with its full precision.
func (d DecimalValue) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

var pow10Cache = func() (c [40]*big.Int) {
	for i := range c {
		c[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
	return c
}()

func pow10(n int) *big.Int {
	if n >= 0 && n < len(pow10Cache) {
		return pow10Cache[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// Coerce converts a decoded value into the canonical Go value of type to, reporting
// whether it could. A value that cannot be coerced belongs in a variant column (see
// Schema.Place). nil is (nil, true) for every type. The canonical values:
//
//	text      string       (numbers in shortest form, bool as true/false, timestamps
//	                        RFC 3339 UTC, json compact, binary base64)
//	bigint    int64        (integral numbers and strings such as "42" or "42.0")
//	double    float64      (numbers, numeric strings; not NaN/Inf from strings)
//	decimal   DecimalValue (exact, rounded half away from zero to scale 9, at most
//	                        38 digits; see CoerceColumn for other precisions)
//	bool      bool         (bool, "true"/"false"/"1"/"0" in any case, 0/1)
//	timestamp time.Time    (UTC; Salesforce's 2011-07-07T00:37:00.000+0000, RFC 3339,
//	                        without zone as UTC, a date as midnight, numbers as Unix s)
//	date      time.Time    (midnight UTC of the value's UTC date)
//	time      time.Duration (since midnight; "13:05:30.000Z", "13:05:30", "13:05")
//	json      json.RawMessage (maps, slices and scalars marshalled; a string holding a
//	                        JSON object or array is taken as that JSON)
//	binary    []byte       (bytes; strings as 0x-hex or standard base64)
//
// Accepted inputs are the values a JSON or CSV decoder yields: string, bool, the int
// and float kinds, json.Number, time.Time, time.Duration, []byte, json.RawMessage,
// DecimalValue, *big.Rat, map[string]any and []any.
func Coerce(v any, to DataType) (any, bool) {
	return CoerceColumn(v, Column{DataType: to})
}

// CoerceColumn is Coerce for a column, using its decimal precision and scale.
func CoerceColumn(v any, c Column) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch c.DataType {
	case Text:
		return toText(v)
	case Bigint:
		return toBigint(v)
	case Double:
		return toDouble(v)
	case Decimal:
		p, s := c.DecimalPrecisionScale()
		return toDecimal(v, p, s)
	case Bool:
		return toBool(v)
	case Timestamp:
		return toTimestamp(v)
	case Date:
		t, ok := toTimestamp(v)
		if !ok {
			return nil, false
		}
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
	case Time:
		return toTime(v)
	case JSON:
		return toJSON(v)
	case Binary:
		return toBinary(v)
	}
	return nil, false
}

// InferType returns the dlt type a value has on its own (dlt's py_type_to_sc_type): the
// type of the variant column it goes to when it does not fit its column. An integral
// json.Number is bigint, any other number double; nil and unknown Go types report false.
func InferType(v any) (DataType, bool) {
	switch x := v.(type) {
	case string:
		return Text, true
	case bool:
		return Bool, true
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return Bigint, true
	case uint, uint64:
		if _, ok := toBigint(x); ok {
			return Bigint, true
		}
		return Decimal, true
	case float32, float64:
		return Double, true
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return Bigint, true
		}
		return Double, true
	case DecimalValue, *big.Rat:
		return Decimal, true
	case time.Time:
		return Timestamp, true
	case time.Duration:
		return Time, true
	case []byte:
		return Binary, true
	case json.RawMessage, map[string]any, []any:
		return JSON, true
	}
	return "", false
}

func toText(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	case DecimalValue:
		return x.String(), true
	case *big.Rat:
		return x.RatString(), true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	case time.Duration:
		return formatClock(x), true
	case []byte:
		return base64.StdEncoding.EncodeToString(x), true
	case json.RawMessage, map[string]any, []any:
		j, ok := toJSON(v)
		if !ok {
			return nil, false
		}
		return string(j.(json.RawMessage)), true
	}
	if i, ok := asInt64(v); ok {
		return strconv.FormatInt(i, 10), true
	}
	if u, ok := v.(uint64); ok {
		return strconv.FormatUint(u, 10), true
	}
	if u, ok := v.(uint); ok {
		return strconv.FormatUint(uint64(u), 10), true
	}
	return nil, false
}

func formatClock(d time.Duration) string {
	h := d / time.Hour
	m := (d % time.Hour) / time.Minute
	s := (d % time.Minute) / time.Second
	out := strconv.Itoa(int(h)/10) + strconv.Itoa(int(h)%10) + ":" + strconv.Itoa(int(m)/10) + strconv.Itoa(int(m)%10) +
		":" + strconv.Itoa(int(s)/10) + strconv.Itoa(int(s)%10)
	if ns := d % time.Second; ns != 0 {
		frac := strconv.FormatInt(int64(ns)+1e9, 10)[1:]
		out += "." + strings.TrimRight(frac, "0")
	}
	return out
}

// asInt64 converts the signed and small unsigned integer kinds.
func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// ratOf reads an exact number from numeric values and decimal strings. Fractions
// ("1/3"), NaN and infinities are not numbers here.
func ratOf(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case string:
		return ratFromString(x)
	case json.Number:
		return ratFromString(string(x))
	case float64:
		return ratFromFloat(x)
	case float32:
		return ratFromFloat(float64(x))
	case DecimalValue:
		return x.Rat(), true
	case *big.Rat:
		if x == nil {
			return nil, false
		}
		return new(big.Rat).Set(x), true
	}
	if i, ok := asInt64(v); ok {
		return new(big.Rat).SetInt64(i), true
	}
	if u, ok := v.(uint64); ok {
		return new(big.Rat).SetInt(new(big.Int).SetUint64(u)), true
	}
	if u, ok := v.(uint); ok {
		return new(big.Rat).SetInt(new(big.Int).SetUint64(uint64(u))), true
	}
	return nil, false
}

func ratFromFloat(f float64) (*big.Rat, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	// The shortest decimal that reads back as f: 0.1 is 0.1, not 0.1000000000000000055...
	return ratFromString(strconv.FormatFloat(f, 'g', -1, 64))
}

// maxNumberLen bounds numeric strings so that a hostile "1e999999999" cannot make
// big.Rat allocate gigabytes.
const maxNumberLen = 400

func ratFromString(s string) (*big.Rat, bool) {
	if s == "" || len(s) > maxNumberLen || strings.ContainsAny(s, "/_ \t\n") {
		return nil, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(s[i+1:])
		if err != nil || exp > 400 || exp < -400 {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func toBigint(v any) (any, bool) {
	if i, ok := asInt64(v); ok {
		return i, true
	}
	switch x := v.(type) {
	case string:
		if i, err := strconv.ParseInt(x, 10, 64); err == nil {
			return i, true
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), true
		}
		return nil, false
	case float32:
		return toBigint(float64(x))
	case bool:
		return nil, false
	}
	r, ok := ratOf(v)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return nil, false
	}
	return r.Num().Int64(), true
}

func toDouble(v any) (any, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case string:
		return parseFiniteFloat(x)
	case json.Number:
		return parseFiniteFloat(string(x))
	case bool:
		return nil, false
	}
	if i, ok := asInt64(v); ok {
		return float64(i), true
	}
	r, ok := ratOf(v)
	if !ok {
		return nil, false
	}
	f, _ := r.Float64()
	if math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}

func parseFiniteFloat(s string) (any, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}

func toDecimal(v any, precision, scale int) (any, bool) {
	if _, isBool := v.(bool); isBool {
		return nil, false
	}
	r, ok := ratOf(v)
	if !ok {
		return nil, false
	}
	// Scale up, then round half away from zero (as Postgres' numeric and DuckDB do).
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(scale)))
	num, den := scaled.Num(), scaled.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Sign() != 0 {
		twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
		if twice.Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	if new(big.Int).Abs(q).Cmp(pow10(precision)) >= 0 {
		return nil, false // more digits than the column holds: a variant, not an overflow
	}
	return DecimalValue{Unscaled: q, Scale: scale}, true
}

func toBool(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
		return nil, false
	case json.Number:
		return toBool(string(x))
	}
	if i, ok := asInt64(v); ok && (i == 0 || i == 1) {
		return i == 1, true
	}
	return nil, false
}

// timestampLayouts are tried in order. Go accepts a fractional second after the seconds
// field even when the layout has none.
var timestampLayouts = []string{
	"2006-01-02T15:04:05Z0700",  // Salesforce: 2011-07-07T00:37:00.000+0000, and Z
	time.RFC3339,                // +00:00
	"2006-01-02 15:04:05Z07:00", // SQL-ish with offset
	"2006-01-02 15:04:05Z0700",  // SQL-ish with compact offset
	"2006-01-02T15:04:05Z07",    // hour-only offset
	"2006-01-02T15:04:05",       // no zone: UTC
	"2006-01-02 15:04:05",       // no zone: UTC
	"2006-01-02T15:04Z07:00",    // no seconds
	"2006-01-02",                // a date: midnight UTC
}

func toTimestamp(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		return parseTimestamp(x)
	case bool, []byte:
		return time.Time{}, false
	}
	r, ok := ratOf(v)
	if !ok {
		return time.Time{}, false
	}
	// Numbers are Unix seconds (dlt accepts them too); keep microsecond precision.
	us := new(big.Rat).Mul(r, new(big.Rat).SetInt64(1e6))
	f, _ := us.Float64()
	if math.Abs(f) > 253402300799e6 { // past year 9999
		return time.Time{}, false
	}
	return time.UnixMicro(int64(math.Round(f))).UTC(), true
}

func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 10 || len(s) > 64 {
		return time.Time{}, false
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

var clockLayouts = []string{"15:04:05Z07:00", "15:04:05Z0700", "15:04:05", "15:04"}

func toTime(v any) (any, bool) {
	switch x := v.(type) {
	case time.Duration:
		if x < 0 || x >= 24*time.Hour {
			return nil, false
		}
		return x, true
	case time.Time:
		u := x.UTC()
		return time.Duration(u.Hour())*time.Hour + time.Duration(u.Minute())*time.Minute +
			time.Duration(u.Second())*time.Second + time.Duration(u.Nanosecond()), true
	case string:
		if len(x) > 40 {
			return nil, false
		}
		for _, layout := range clockLayouts {
			t, err := time.Parse(layout, x)
			if err != nil {
				continue
			}
			_, off := t.Zone()
			d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
				time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()) - time.Duration(off)*time.Second
			d %= 24 * time.Hour
			if d < 0 {
				d += 24 * time.Hour
			}
			return d, true
		}
	}
	return nil, false
}

func toJSON(v any) (any, bool) {
	switch x := v.(type) {
	case json.RawMessage:
		if !json.Valid(x) {
			return nil, false
		}
		return append(json.RawMessage(nil), x...), true
	case string:
		t := strings.TrimSpace(x)
		if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
			return json.RawMessage(t), true
		}
	case []byte:
		return nil, false
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return json.RawMessage(bytes.TrimRight(b.Bytes(), "\n")), true
}

func toBinary(v any) (any, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		if h, ok := strings.CutPrefix(x, "0x"); ok {
			if b, err := hex.DecodeString(h); err == nil {
				return b, true
			}
			return nil, false
		}
		if b, err := base64.StdEncoding.Strict().DecodeString(x); err == nil {
			return b, true
		}
		if b, err := base64.RawStdEncoding.Strict().DecodeString(x); err == nil {
			return b, true
		}
	}
	return nil, false
}

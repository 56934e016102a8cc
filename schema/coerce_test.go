package schema

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustRat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad rat %q", s)
	}
	return r
}

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func TestCoerce(t *testing.T) {
	const no = "<not ok>"
	tests := []struct {
		name string
		in   any
		to   DataType
		want any // no: coercion must fail
	}{
		{"text from string", "abc", Text, "abc"},
		{"text from int", int64(42), Text, "42"},
		{"text from float", 1.5, Text, "1.5"},
		{"text from bool", true, Text, "true"},
		{"text from number", json.Number("300.0"), Text, "300.0"},
		{"text from map", map[string]any{"city": "Paris", "zip": "75001"}, Text, `{"city":"Paris","zip":"75001"}`},
		{"text from time", time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), Text, "2025-01-02T02:04:05Z"},
		{"text from bytes", []byte("hi"), Text, "aGk="},
		{"text from struct", struct{}{}, Text, no},

		{"bigint from int64", int64(7), Bigint, int64(7)},
		{"bigint from int", 7, Bigint, int64(7)},
		{"bigint from string", "123", Bigint, int64(123)},
		{"bigint from integral string", "300.0", Bigint, int64(300)},
		{"bigint from integral float", 400.0, Bigint, int64(400)},
		{"bigint from number", json.Number("-9"), Bigint, int64(-9)},
		{"bigint from text", "abc", Bigint, no},
		{"bigint from fraction", 2.5, Bigint, no},
		{"bigint from fractional string", "2.5", Bigint, no},
		{"bigint overflow", "99999999999999999999", Bigint, no},
		{"bigint from bool", true, Bigint, no},
		{"bigint from huge float", 1e19, Bigint, no},
		{"bigint from uint64 max", uint64(math.MaxUint64), Bigint, no},

		{"double from float", 1.25, Double, 1.25},
		{"double from string", "1e3", Double, 1000.0},
		{"double from int", int64(3), Double, 3.0},
		{"double from number", json.Number("0.1"), Double, 0.1},
		{"double from NaN string", "NaN", Double, no},
		{"double from inf string", "inf", Double, no},
		{"double from text", "x1", Double, no},

		{"bool from bool", false, Bool, false},
		{"bool from string", "TRUE", Bool, true},
		{"bool from 0", "0", Bool, false},
		{"bool from int", int64(1), Bool, true},
		{"bool from 2", int64(2), Bool, no},
		{"bool from yes", "yes", Bool, no},

		{"timestamp salesforce", "2011-07-07T00:37:00.000+0000", Timestamp, utc(2011, 7, 7, 0, 37, 0, 0)},
		{"timestamp salesforce offset", "2011-07-07T00:37:00.123-0200", Timestamp, utc(2011, 7, 7, 2, 37, 0, 123e6)},
		{"timestamp rfc3339", "2025-12-16T10:00:00+01:00", Timestamp, utc(2025, 12, 16, 9, 0, 0, 0)},
		{"timestamp Z", "2025-12-16T10:00:00Z", Timestamp, utc(2025, 12, 16, 10, 0, 0, 0)},
		{"timestamp nanos", "2025-12-16T10:00:00.123456789Z", Timestamp, utc(2025, 12, 16, 10, 0, 0, 123456789)},
		{"timestamp no zone", "2025-12-16 10:00:00", Timestamp, utc(2025, 12, 16, 10, 0, 0, 0)},
		{"timestamp date", "2025-12-16", Timestamp, utc(2025, 12, 16, 0, 0, 0, 0)},
		{"timestamp time.Time", time.Date(2025, 1, 1, 12, 0, 0, 0, time.FixedZone("x", -3600)), Timestamp, utc(2025, 1, 1, 13, 0, 0, 0)},
		{"timestamp unix", int64(1751371611), Timestamp, time.Unix(1751371611, 0).UTC()},
		{"timestamp unix fraction", json.Number("1751371611.374621"), Timestamp, time.UnixMicro(1751371611374621).UTC()},
		{"timestamp garbage", "yesterday", Timestamp, no},
		{"timestamp bad month", "2025-13-01", Timestamp, no},
		{"timestamp bool", true, Timestamp, no},

		{"date", "2025-12-16", Date, utc(2025, 12, 16, 0, 0, 0, 0)},
		{"date from timestamp", "2025-12-16T23:30:00-05:00", Date, utc(2025, 12, 17, 0, 0, 0, 0)},
		{"date garbage", "16/12/2025", Date, no},

		{"time salesforce", "13:05:30.000Z", Time, 13*time.Hour + 5*time.Minute + 30*time.Second},
		{"time plain", "13:05:30", Time, 13*time.Hour + 5*time.Minute + 30*time.Second},
		{"time fraction", "00:00:00.250", Time, 250 * time.Millisecond},
		{"time minutes", "07:15", Time, 7*time.Hour + 15*time.Minute},
		{"time offset", "01:00:00+02:00", Time, 23 * time.Hour},
		{"time duration", 90 * time.Minute, Time, 90 * time.Minute},
		{"time duration too long", 25 * time.Hour, Time, no},
		{"time from time.Time", utc(2025, 1, 1, 8, 30, 0, 0), Time, 8*time.Hour + 30*time.Minute},
		{"time garbage", "25:00:00", Time, no},

		{"json map", map[string]any{"b": 1, "a": "x<y"}, JSON, json.RawMessage(`{"a":"x<y","b":1}`)},
		{"json slice", []any{1, "a"}, JSON, json.RawMessage(`[1,"a"]`)},
		{"json raw", json.RawMessage(`{"street":"1 Main"}`), JSON, json.RawMessage(`{"street":"1 Main"}`)},
		{"json bad raw", json.RawMessage(`{`), JSON, no},
		{"json object string", ` {"a":1}`, JSON, json.RawMessage(`{"a":1}`)},
		{"json plain string", "hello", JSON, json.RawMessage(`"hello"`)},
		{"json number string stays a string", "123", JSON, json.RawMessage(`"123"`)},
		{"json number", json.Number("1.5"), JSON, json.RawMessage(`1.5`)},
		{"json bool", true, JSON, json.RawMessage(`true`)},

		{"binary bytes", []byte{1, 2}, Binary, []byte{1, 2}},
		{"binary base64", "AQI=", Binary, []byte{1, 2}},
		{"binary base64 raw", "AQI", Binary, []byte{1, 2}},
		{"binary hex", "0x0102", Binary, []byte{1, 2}},
		{"binary bad hex", "0xzz", Binary, no},
		{"binary not base64", "not base64!", Binary, no},
		{"binary from int", 1, Binary, no},

		{"unknown type", "x", DataType("varchar"), no},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Coerce(tt.in, tt.to)
			if tt.want == no {
				if ok {
					t.Fatalf("Coerce(%#v, %s) = %#v, want not ok", tt.in, tt.to, got)
				}
				return
			}
			if !ok {
				t.Fatalf("Coerce(%#v, %s) not ok, want %#v", tt.in, tt.to, tt.want)
			}
			if w, isTime := tt.want.(time.Time); isTime {
				g, _ := got.(time.Time)
				if !g.Equal(w) || g.Location() != time.UTC {
					t.Fatalf("Coerce(%#v, %s) = %v, want %v UTC", tt.in, tt.to, got, w)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Coerce(%#v, %s) = %#v (%T), want %#v (%T)", tt.in, tt.to, got, got, tt.want, tt.want)
			}
		})
	}
	for _, dt := range DataTypes {
		if v, ok := Coerce(nil, dt); !ok || v != nil {
			t.Errorf("Coerce(nil, %s) = %v, %v", dt, v, ok)
		}
	}
}

func TestCoerceDecimal(t *testing.T) {
	tests := []struct {
		in   any
		col  Column
		want string // "" = not ok
	}{
		{"300.0", NewColumn("a", Decimal), "300.000000000"},
		{json.Number("400"), NewColumn("a", Decimal), "400.000000000"},
		{0.1, NewColumn("a", Decimal), "0.100000000"},
		{int64(-5), NewColumn("a", Decimal), "-5.000000000"},
		{"0.0000000005", NewColumn("a", Decimal), "0.000000001"},   // half rounds away from zero
		{"-0.0000000005", NewColumn("a", Decimal), "-0.000000001"}, // also for negatives
		{"0.00000000049", NewColumn("a", Decimal), "0.000000000"},
		{"1e3", NewColumn("a", Decimal), "1000.000000000"},
		{"12345678901234567890123456789", NewColumn("a", Decimal), "12345678901234567890123456789.000000000"}, // 29 digits: fits 38,9
		{"123456789012345678901234567890", NewColumn("a", Decimal), ""},                                       // 30: too many
		{"123.456", Column{DataType: Decimal, Precision: 18, Scale: 2}, "123.46"},
		{"1/3", NewColumn("a", Decimal), ""},
		{"abc", NewColumn("a", Decimal), ""},
		{"1e999999999", NewColumn("a", Decimal), ""},
		{math.Inf(1), NewColumn("a", Decimal), ""},
		{true, NewColumn("a", Decimal), ""},
		{DecimalValue{Unscaled: big.NewInt(12345), Scale: 2}, NewColumn("a", Decimal), "123.450000000"},
	}
	for _, tt := range tests {
		got, ok := CoerceColumn(tt.in, tt.col)
		if tt.want == "" {
			if ok {
				t.Errorf("CoerceColumn(%#v) = %v, want not ok", tt.in, got)
			}
			continue
		}
		d, isDec := got.(DecimalValue)
		if !ok || !isDec || d.String() != tt.want {
			t.Errorf("CoerceColumn(%#v) = %v, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
	d := DecimalValue{Unscaled: big.NewInt(-5), Scale: 3}
	if d.String() != "-0.005" || d.Rat().Cmp(big.NewRat(-1, 200)) != 0 {
		t.Errorf("DecimalValue %v / %v", d.String(), d.Rat())
	}
	if (DecimalValue{}).String() != "0" || (DecimalValue{Unscaled: big.NewInt(7), Scale: -2}).String() != "700" {
		t.Error("DecimalValue edge formats")
	}
	if b, _ := json.Marshal(d); string(b) != "-0.005" {
		t.Errorf("DecimalValue JSON = %s", b)
	}
}

func TestInferType(t *testing.T) {
	tests := []struct {
		in   any
		want DataType
	}{
		{"a", Text}, {true, Bool}, {int64(1), Bigint}, {1.5, Double}, {json.Number("3"), Bigint},
		{json.Number("3.5"), Double}, {time.Now(), Timestamp}, {time.Second, Time}, {[]byte{}, Binary},
		{map[string]any{}, JSON}, {[]any{}, JSON}, {DecimalValue{}, Decimal}, {uint64(math.MaxUint64), Decimal},
	}
	for _, tt := range tests {
		if got, ok := InferType(tt.in); !ok || got != tt.want {
			t.Errorf("InferType(%#v) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := InferType(nil); ok {
		t.Error("InferType(nil) ok")
	}
	// A value of its own inferred type always coerces to that type: what Place relies on.
	for _, tt := range tests {
		if _, ok := Coerce(tt.in, tt.want); !ok {
			t.Errorf("Coerce(%#v, InferType) failed", tt.in)
		}
	}
}

func FuzzCoerceString(f *testing.F) {
	for _, s := range []string{"123", "300.0", "1e3", "abc", "2011-07-07T00:37:00.000+0000", "13:05:30.000Z",
		"2025-12-16", "true", "0x0102", "AQI=", `{"a":1}`, "-0.0000000005", "1e400", strings.Repeat("9", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, dt := range DataTypes {
			v, ok := Coerce(s, dt)
			if !ok {
				continue
			}
			// Every accepted value has the canonical Go type of its dlt type...
			// (a date is a time.Time too, which on its own reads as a timestamp).
			if got, _ := InferType(v); got != dt && (dt != Date || got != Timestamp) {
				t.Fatalf("Coerce(%q, %s) = %#v, whose type is %s", s, dt, v, got)
			}
			// ...and coercing it again is the identity.
			again, ok := Coerce(v, dt)
			if !ok {
				t.Fatalf("Coerce(Coerce(%q, %s)) failed", s, dt)
			}
			if dt == Timestamp || dt == Date {
				if !again.(time.Time).Equal(v.(time.Time)) {
					t.Fatalf("%s not stable: %v -> %v", dt, v, again)
				}
				continue
			}
			if dt == Decimal {
				if again.(DecimalValue).String() != v.(DecimalValue).String() {
					t.Fatalf("decimal not stable: %v -> %v", v, again)
				}
				continue
			}
			if !reflect.DeepEqual(again, v) {
				t.Fatalf("%s not stable: %#v -> %#v", dt, v, again)
			}
		}
	})
}

package extract

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/schema"
)

func TestRecordDecoder(t *testing.T) {
	types := []schema.DataType{schema.Text, schema.Timestamp, schema.Date, schema.Time, schema.Bool, schema.Bigint, schema.Double, schema.Decimal, schema.Text}
	fields := map[string]int{"Name": 0, "SystemModstamp": 1, "CloseDate": 2, "Open__c": 3, "IsWon": 4, "Employees": 5, "Probability": 6, "Amount": 7, "Tags": 8}
	dec := newRecordDecoder(fields, types)
	raw := `{"attributes":{"type":"Opportunity","url":"/services/data/v64.0/sobjects/Opportunity/006"},
	 "Name":"Zoë \"quoted\", comma\nnewline 🚀","SystemModstamp":"2011-07-07T00:37:00.000+0000","CloseDate":"2025-12-16",
	 "Open__c":"13:05:30.000Z","IsWon":true,"Employees":12.0,"Probability":400,"Amount":9999999999999999.99,
	 "Tags":null,"Unknown":{"nested":[1,2]}}`
	row := make([]any, len(types))
	misfits, err := dec.decode([]byte(raw), row, nil)
	if err != nil || len(misfits) != 0 {
		t.Fatalf("decode: %v, misfits %v", err, misfits)
	}
	if row[0] != "Zoë \"quoted\", comma\nnewline 🚀" {
		t.Errorf("text = %q", row[0])
	}
	if ts := row[1].(time.Time); !ts.Equal(time.Date(2011, 7, 7, 0, 37, 0, 0, time.UTC)) {
		t.Errorf("timestamp = %v", ts)
	}
	if d := row[2].(time.Time); !d.Equal(time.Date(2025, 12, 16, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date = %v", d)
	}
	if tm := row[3].(time.Duration); tm != 13*time.Hour+5*time.Minute+30*time.Second {
		t.Errorf("time = %v", tm)
	}
	if row[4] != true || row[5] != int64(12) || row[6] != 400.0 {
		t.Errorf("bool/bigint/double = %v %v %v", row[4], row[5], row[6])
	}
	if d := row[7].(schema.DecimalValue); d.String() != "9999999999999999.990000000" {
		t.Errorf("decimal = %s, want exact", d)
	}
	if row[8] != nil {
		t.Errorf("null = %v", row[8])
	}

	// A value of the wrong kind is a misfit for a variant column, not an error.
	row = make([]any, len(types))
	misfits, err = dec.decode([]byte(`{"Employees":"many","IsWon":"yes"}`), row, nil)
	if err != nil || len(misfits) != 2 || misfits[0].Value != "many" {
		t.Fatalf("misfits = %v, err %v", misfits, err)
	}

	for _, bad := range []string{`[1]`, `{"Name":`, `{"Name":"x"`, `nope`} {
		if _, err := dec.decode([]byte(bad), make([]any, len(types)), nil); err == nil {
			t.Errorf("decode(%q) should fail", bad)
		}
	}
}

func FuzzRecordDecoder(f *testing.F) {
	f.Add(`{"Name":"x","Amount":1.5,"When":"2011-07-07T00:37:00.000+0000"}`)
	f.Add(`{"attributes":{},"Name":null}`)
	f.Add(`{"Amount":"NaN"}`)
	types := []schema.DataType{schema.Text, schema.Decimal, schema.Timestamp}
	dec := newRecordDecoder(map[string]int{"Name": 0, "Amount": 1, "When": 2}, types)
	f.Fuzz(func(t *testing.T, raw string) {
		row := make([]any, len(types))
		misfits, err := dec.decode([]byte(raw), row, nil)
		if err != nil {
			return
		}
		if !json.Valid([]byte(raw)) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		for _, m := range misfits {
			if row[m.Col] != nil {
				t.Fatalf("misfit column %d still holds %v", m.Col, row[m.Col])
			}
		}
	})
}

// The fast paths must agree with the general parsers wherever they accept an input.
func FuzzFastPaths(f *testing.F) {
	for _, s := range []string{"616590.02", "-3", "400.0", "0", "-0.5", "9999999999999999.99", "1e5", "0.1234567891",
		"2011-07-07T00:37:00.000+0000", "2019-01-05T03:41:05.000Z", "2023-02-30T00:00:00.000Z", "2010-01-01", "2024-13-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := fastDecimal([]byte(s)); ok {
			want, ok := schema.CoerceColumn(json.Number(s), schema.NewColumn("", schema.Decimal))
			if !ok || want.(schema.DecimalValue).String() != d.String() {
				t.Fatalf("fastDecimal(%q) = %s, general path %v (%v)", s, d, want, ok)
			}
		}
		if ts, ok := fastDateTime([]byte(s)); ok {
			want, err := client.ParseDateTime(s)
			if err != nil || !want.Equal(ts) {
				t.Fatalf("fastDateTime(%q) = %v, ParseDateTime %v (%v)", s, ts, want, err)
			}
		}
		if ts, ok := fastDate([]byte(s)); ok {
			want, err := client.ParseDate(s)
			if err != nil || !want.Equal(ts) {
				t.Fatalf("fastDate(%q) = %v, ParseDate %v (%v)", s, ts, want, err)
			}
		}
	})
}

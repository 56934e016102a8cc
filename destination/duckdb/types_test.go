package duckdb

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/schema"
)

func mustDecimal(t *testing.T, s string) schema.DecimalValue {
	t.Helper()
	v, ok := schema.Coerce(s, schema.Decimal)
	if !ok {
		t.Fatalf("Coerce(%q, decimal) failed", s)
	}
	return v.(schema.DecimalValue)
}

// TestTypesRoundTrip writes every dlt type through the Appender and reads it back exactly.
func TestTypesRoundTrip(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*3600)
	long := strings.Repeat("日本語 and ascii 🚀 ", 32*1024/24+1)
	bigRat, _ := new(big.Rat).SetString("-0.000000001")
	cases := []struct {
		name  string
		col   schema.Column
		read  string // SQL expression reading column v
		in    []any
		want  []any
		dtype string // DuckDB's data_type in information_schema
	}{
		{"text", col("v", schema.Text), "v", []any{"", "plain", "Zoë ünïcödé 🎉👩‍👩‍👧", long, nil},
			[]any{"", "plain", "Zoë ünïcödé 🎉👩‍👩‍👧", long, nil}, "VARCHAR"},
		{"bigint", col("v", schema.Bigint), "v", []any{int64(0), int64(math.MaxInt64), int64(math.MinInt64), int64(-42), nil},
			[]any{int64(0), int64(math.MaxInt64), int64(math.MinInt64), int64(-42), nil}, "BIGINT"},
		{"double", col("v", schema.Double), "v", []any{0.1, -1e300, math.SmallestNonzeroFloat64, nil},
			[]any{0.1, -1e300, math.SmallestNonzeroFloat64, nil}, "DOUBLE"},
		{"decimal", col("v", schema.Decimal), "v::VARCHAR",
			[]any{mustDecimal(t, "12345678901234567890.123456789"), mustDecimal(t, "-99999999999999999999999999999.999999999"),
				mustDecimal(t, "0.1"), bigRat, json.Number("1.0000000005"), "42", nil},
			[]any{"12345678901234567890.123456789", "-99999999999999999999999999999.999999999",
				"0.100000000", "-0.000000001", "1.000000001", "42.000000000", nil}, "DECIMAL(38,9)"},
		{"decimal(10,2)", schema.Column{Name: "v", DataType: schema.Decimal, Nullable: true, Precision: 10, Scale: 2}, "v::VARCHAR",
			[]any{mustDecimal(t, "12.345"), json.Number("-12345678.99")}, []any{"12.35", "-12345678.99"}, "DECIMAL(10,2)"},
		{"bool", col("v", schema.Bool), "v", []any{true, false, nil}, []any{true, false, nil}, "BOOLEAN"},
		{"timestamp", col("v", schema.Timestamp), "v",
			[]any{time.Date(2024, 6, 30, 23, 59, 59, 123e6, berlin), time.Date(1901, 1, 1, 0, 0, 0, 1000, time.UTC),
				time.Date(2011, 7, 7, 0, 37, 0, 0, time.UTC), nil},
			[]any{"2024-06-30T21:59:59.123Z", "1901-01-01T00:00:00.000001Z", "2011-07-07T00:37:00Z", nil}, "TIMESTAMP WITH TIME ZONE"},
		{"date", col("v", schema.Date), "v::VARCHAR",
			[]any{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
				time.Date(1900, 1, 1, 23, 0, 0, 0, berlin), nil},
			[]any{"2024-02-29", "1969-12-31", "1900-01-01", nil}, "DATE"},
		{"time", col("v", schema.Time), "v::VARCHAR",
			[]any{time.Duration(0), 13*time.Hour + 5*time.Minute + 30*time.Second + 250*time.Millisecond, 24*time.Hour - time.Microsecond, nil},
			[]any{"00:00:00", "13:05:30.25", "23:59:59.999999", nil}, "TIME"},
		{"json", col("v", schema.JSON), "v::VARCHAR",
			[]any{json.RawMessage(`{"street":"<Main> & 1st","n":[1,2.5,null],"u":"🚀"}`), json.RawMessage(`[]`), json.RawMessage(`"s"`), nil},
			[]any{`{"street":"<Main> & 1st","n":[1,2.5,null],"u":"🚀"}`, `[]`, `"s"`, nil}, "JSON"},
		{"binary", col("v", schema.Binary), "v", []any{[]byte{0, 1, 2, 255}, []byte{}, nil},
			[]any{[]byte{0, 1, 2, 255}, []byte{}, nil}, "BLOB"},
	}
	d, file := newFile(t)
	s := openSession(t, d, "types")
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("t%d", i)
			tbl := schema.NewTable(name, schema.Append, schema.Column{Name: "i", DataType: schema.Bigint}, tc.col)
			rows := make([][]any, len(tc.in))
			for j, v := range tc.in {
				rows[j] = []any{int64(j), v}
			}
			load(t, s, tableLoad{Table: tbl, Batches: [][][]any{rows}})
			got := query(t, reader(t, file), fmt.Sprintf(`SELECT %s FROM %s.%s ORDER BY i`, tc.read, testDataset, name))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rows, want %d", len(got), len(tc.want))
			}
			for j, w := range tc.want {
				if !reflect.DeepEqual(got[j][0], w) {
					t.Errorf("row %d: got %#v, want %#v", j, trunc(got[j][0]), trunc(w))
				}
			}
			dt := query(t, reader(t, file), fmt.Sprintf(`SELECT data_type FROM information_schema.columns
				WHERE table_schema = '%s' AND table_name = '%s' AND column_name = 'v'`, testDataset, name))
			if dt[0][0] != tc.dtype {
				t.Errorf("column type %v, want %s", dt[0][0], tc.dtype)
			}
		})
	}
}

func trunc(v any) any {
	if s, ok := v.(string); ok && len(s) > 80 {
		return fmt.Sprintf("%s... (%d bytes)", s[:80], len(s))
	}
	return v
}

// TestValueErrors checks that values of the wrong Go type or too wide for their column are
// reported with the table, row and column, rather than stored wrongly.
func TestValueErrors(t *testing.T) {
	cases := []struct {
		name string
		col  schema.Column
		v    any
		want string
	}{
		{"int in text", col("v", schema.Text), int64(1), `column "v" (text): got a int64`},
		{"string in bigint", col("v", schema.Bigint), "1", `want an int64`},
		{"decimal overflow", col("v", schema.Decimal), json.Number("1e30"), "does not fit DECIMAL(38,9)"},
		{"bad decimal", col("v", schema.Decimal), "abc", `"abc" is not a decimal number`},
		{"time past midnight", col("v", schema.Time), 25 * time.Hour, "outside 00:00 to 24:00"},
		{"bad json", col("v", schema.JSON), json.RawMessage(`{`), "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newFile(t)
			s := openSession(t, d, "p")
			ctx := t.Context()
			l, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Rollback()
			w, err := l.Table(ctx, schema.NewTable("t", schema.Append, tc.col))
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write(ctx, [][]any{{tc.v}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write: got %v, want an error containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `salesforce_data.t`) {
				t.Errorf("error %q does not name the table", err)
			}
		})
	}
}

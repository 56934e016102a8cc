package schema

import (
	"errors"
	"testing"
)

func TestFromSalesforce(t *testing.T) {
	tests := []struct {
		field string
		want  DataType
	}{
		{"datetime", Timestamp}, {"date", Date}, {"time", Time}, {"boolean", Bool},
		{"int", Bigint}, {"long", Bigint}, {"double", Double}, {"percent", Double},
		{"currency", Decimal},
		{"id", Text}, {"reference", Text}, {"string", Text}, {"textarea", Text},
		{"picklist", Text}, {"multipicklist", Text}, {"combobox", Text}, {"email", Text},
		{"phone", Text}, {"url", Text}, {"encryptedstring", Text}, {"anyType", Text},
		{"base64", Binary}, {"json", JSON}, {"address", JSON}, {"location", JSON},
		{"DateTime", Timestamp}, {" boolean ", Bool},
		{"someFutureType", Text}, // unknown: text, no error (see FromSalesforce)
	}
	for _, tt := range tests {
		got, err := FromSalesforce(tt.field)
		if err != nil || got != tt.want {
			t.Errorf("FromSalesforce(%q) = %q, %v; want %q", tt.field, got, err, tt.want)
		}
	}
	if KnownSalesforceType("someFutureType") || !KnownSalesforceType("anyType") {
		t.Error("KnownSalesforceType disagrees with the mapping")
	}
	if _, err := FromSalesforce(""); !errors.Is(err, ErrNoFieldType) {
		t.Errorf("FromSalesforce(\"\") error = %v, want ErrNoFieldType", err)
	}
}

func TestDataTypeValues(t *testing.T) {
	// The spellings are dlt's and end up in stored schemas: pin them.
	want := []string{"text", "bigint", "double", "decimal", "bool", "timestamp", "date", "time", "json", "binary"}
	for i, dt := range DataTypes {
		if string(dt) != want[i] || !dt.Valid() {
			t.Errorf("DataTypes[%d] = %q, want valid %q", i, dt, want[i])
		}
	}
	if DataType("complex").Valid() || DataType("").Valid() {
		t.Error("complex and empty must not be valid types")
	}
}

func TestDecimalPrecisionScale(t *testing.T) {
	tests := []struct {
		c    Column
		p, s int
	}{
		{NewColumn("a", Decimal), 38, 9},
		{Column{Precision: 18, Scale: 2}, 18, 2},
		{Column{Precision: 10}, 10, 0},
	}
	for _, tt := range tests {
		if p, s := tt.c.DecimalPrecisionScale(); p != tt.p || s != tt.s {
			t.Errorf("%+v: got %d,%d want %d,%d", tt.c, p, s, tt.p, tt.s)
		}
	}
}

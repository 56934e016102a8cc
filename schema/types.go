package schema

import (
	"errors"
	"fmt"
	"strings"
)

// DataType is a dlt data type, spelled as dlt spells it in a stored schema.
type DataType string

// The dlt data types. Each destination maps them to its own SQL types (see
// dlt-conventions.md): e.g. Decimal is DECIMAL(38,9) in DuckDB and numeric(38,9) in
// Postgres, JSON is JSON in DuckDB and jsonb in Postgres.
const (
	Text      DataType = "text"
	Bigint    DataType = "bigint"
	Double    DataType = "double"
	Decimal   DataType = "decimal"
	Bool      DataType = "bool"
	Timestamp DataType = "timestamp"
	Date      DataType = "date"
	Time      DataType = "time"
	JSON      DataType = "json"
	Binary    DataType = "binary"
)

// DataTypes lists every dlt data type, in a fixed order.
var DataTypes = []DataType{Text, Bigint, Double, Decimal, Bool, Timestamp, Date, Time, JSON, Binary}

// Valid reports whether t is one of the dlt data types.
func (t DataType) Valid() bool {
	switch t {
	case Text, Bigint, Double, Decimal, Bool, Timestamp, Date, Time, JSON, Binary:
		return true
	}
	return false
}

// dlt's default precision and scale of a decimal column when the column gives none.
const (
	DefaultDecimalPrecision = 38
	DefaultDecimalScale     = 9
)

// ErrNoFieldType is returned by FromSalesforce for an empty field type.
var ErrNoFieldType = errors.New("schema: describe field has no type")

// salesforceTypes maps Salesforce describe `type` values (lowercased) to dlt types.
var salesforceTypes = map[string]DataType{
	"datetime": Timestamp,
	"date":     Date,
	"time":     Time,
	"boolean":  Bool,
	"int":      Bigint,
	"long":     Bigint,
	"double":   Double,
	"percent":  Double,
	// currency is money: decimal keeps cents exact where a double would not.
	"currency": Decimal,

	"id":              Text,
	"reference":       Text,
	"string":          Text,
	"textarea":        Text,
	"picklist":        Text,
	"multipicklist":   Text,
	"combobox":        Text,
	"email":           Text,
	"phone":           Text,
	"url":             Text,
	"encryptedstring": Text,
	"anytype":         Text,

	"base64": Binary,
	"json":   JSON,
	// Compound fields arrive as objects; their parts are separate fields too, and Bulk
	// rejects them, so callers normally leave them out of the SELECT.
	"address":  JSON,
	"location": JSON,
}

// FromSalesforce maps a Salesforce describe field `type` (as in describe: "datetime",
// "currency", "anyType"...; case does not matter) to its dlt type: datetime -> timestamp,
// date -> date, time -> time, boolean -> bool, int/long -> bigint, double/percent ->
// double, currency -> decimal, textual types (id, reference, string, textarea, picklist,
// multipicklist, combobox, email, phone, url, encryptedstring) and anyType -> text,
// base64 -> binary, json -> json, address/location (compound) -> json.
//
// A type this package does not know maps to text with no error: Salesforce adds field
// types over time, and failing a whole load over one column is worse than loading its
// values as text (a value that is not a string lands in a variant column). Use
// KnownSalesforceType to warn about it. Only an empty type is an error.
func FromSalesforce(fieldType string) (DataType, error) {
	if strings.TrimSpace(fieldType) == "" {
		return "", fmt.Errorf("%w: pass the field's describe `type` (e.g. \"string\", \"datetime\")", ErrNoFieldType)
	}
	if t, ok := salesforceTypes[strings.ToLower(strings.TrimSpace(fieldType))]; ok {
		return t, nil
	}
	return Text, nil
}

// KnownSalesforceType reports whether FromSalesforce knows fieldType, rather than
// falling back to text.
func KnownSalesforceType(fieldType string) bool {
	_, ok := salesforceTypes[strings.ToLower(strings.TrimSpace(fieldType))]
	return ok
}

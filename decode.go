package sfdlt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/sfdlt/sfdlt/client"
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
}

func newRecordDecoder(fields map[string]int, types []schema.DataType) *recordDecoder {
	d := &recordDecoder{fields: fields, types: types}
	d.dec = jsontext.NewDecoder(&d.rd)
	return d
}

// misfit is a value that does not fit its column's type: the caller routes it to a variant
// column (or fails, under a freeze contract).
type misfit struct {
	col   int
	value any
}

// decode fills row (one slot per column, at least len(types)) from one record. Fields the
// decoder does not know (attributes, anything describe did not list) are skipped. Values that do
// not fit their column are returned as misfits, with nil left in the row.
func (d *recordDecoder) decode(raw []byte, row []any, misfits []misfit) ([]misfit, error) {
	d.rd.Reset(raw)
	d.dec.Reset(&d.rd)
	tok, err := d.dec.ReadToken()
	if err != nil {
		return misfits, fmt.Errorf("record is not JSON: %w", err)
	}
	if tok.Kind() != '{' {
		return misfits, fmt.Errorf("record is a JSON %v, not an object", tok.Kind())
	}
	for d.dec.PeekKind() != '}' {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return misfits, fmt.Errorf("reading record: %w", err)
		}
		name := tok.String()
		col, ok := d.fields[name]
		if !ok {
			if err := d.dec.SkipValue(); err != nil {
				return misfits, fmt.Errorf("reading record field %q: %w", name, err)
			}
			continue
		}
		val, err := d.dec.ReadValue()
		if err != nil {
			return misfits, fmt.Errorf("reading record field %q: %w", name, err)
		}
		v, ok := convertJSON(val, d.types[col])
		if !ok {
			misfits = append(misfits, misfit{col: col, value: naturalJSON(val)})
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
			return schema.CoerceColumn(json.Number(v), schema.NewColumn("", schema.Decimal))
		}
	case schema.Timestamp:
		if kind == '"' {
			if ts, err := client.ParseDateTime(unquote(v)); err == nil {
				return ts.UTC(), true
			}
		}
	case schema.Date:
		if kind == '"' {
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

package salesforcetest

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
)

// csvFormat is a Bulk job's columnDelimiter and lineEnding.
type csvFormat struct {
	delim byte
	eol   string
}

// Bulk API 2.0 column delimiters by name.
var csvDelimiters = map[string]byte{
	"COMMA": ',', "TAB": '\t', "SEMICOLON": ';', "PIPE": '|', "CARET": '^', "BACKQUOTE": '`',
}

// renderCSVPage renders the Bulk result page of n rows at offset: a complete CSV with its own
// header row, every value quoted. Two variants real orgs show are mixed deterministically, both in
// every page: nulls are written empty (,,) or quoted (,"",), and datetimes end in "Z" or "+0000".
// It returns the body and the number of rows written.
func renderCSVPage(ctx context.Context, o *org.Org, src *rowSource, cols []column, offset, n int, f csvFormat) ([]byte, int, error) {
	per := 24 + 24*len(cols)
	b := make([]byte, 0, min(n, src.total-offset)*per+64*len(cols))
	for i := range cols {
		if i > 0 {
			b = append(b, f.delim)
		}
		b = appendCSVQuoted(b, cols[i].name)
	}
	b = append(b, f.eol...)
	row := offset
	got, err := src.each(ctx, o, offset, n, func(r *org.Record) error {
		zone := "Z"
		if row%2 == 1 {
			zone = "+0000"
		}
		for i := range cols {
			if i > 0 {
				b = append(b, f.delim)
			}
			c := &cols[i]
			b = appendCSVValue(b, c.typ, c.value(r), zone, (row+i)%2 == 1)
		}
		b = append(b, f.eol...)
		row++
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return b, got, nil
}

// appendCSVValue writes one value of a Bulk result: quoted text, true/false, yyyy-MM-dd dates,
// datetimes with zone, numbers as plain decimals (never an exponent). A null is empty, or "" when
// quoteNull.
func appendCSVValue(b []byte, typ string, v any, zone string, quoteNull bool) []byte {
	switch x := v.(type) {
	case nil:
		if quoteNull {
			return append(b, '"', '"')
		}
		return b
	case string:
		return appendCSVQuoted(b, x)
	case bool:
		b = append(b, '"')
		b = strconv.AppendBool(b, x)
		return append(b, '"')
	case int64:
		b = append(b, '"')
		b = strconv.AppendInt(b, x, 10)
		return append(b, '"')
	case int:
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(x), 10)
		return append(b, '"')
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b
		}
		b = append(b, '"')
		if typ == "int" || typ == "long" {
			b = strconv.AppendInt(b, int64(x), 10)
		} else {
			b = strconv.AppendFloat(b, x, 'f', -1, 64)
		}
		return append(b, '"')
	case json.Number:
		return appendCSVQuoted(b, string(x))
	case time.Time:
		b = append(b, '"')
		if typ == "date" {
			b = appendDate(b, x)
		} else {
			b = appendDateTime(b, x, zone)
		}
		return append(b, '"')
	case time.Duration:
		b = append(b, '"')
		b = appendTimeOfDay(b, x)
		return append(b, '"')
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return b
		}
		return appendCSVQuoted(b, string(raw))
	}
}

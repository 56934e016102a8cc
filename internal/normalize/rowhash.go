package normalize

import (
	"crypto/sha3"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/schema"
)

// rowHash is an scd2 row's version (its _dlt_id, as dlt's row hash): a hash of the names and
// values of its data columns. Null values are left out, so that a column added to the table
// later (null in every earlier version) changes no record's hash; values are written in a
// canonical form, so the same record read through REST or Bulk hashes alike.
func (w *Writer) rowHash(row []any, l *layout) string {
	h := sha3.NewSHAKE128()
	var buf []byte
	for _, i := range l.data {
		if i >= len(row) || row[i] == nil {
			continue
		}
		buf = append(buf[:0], w.t.Columns[i].Name...)
		buf = append(buf, 0)
		buf = appendCanonical(buf, row[i])
		buf = append(buf, 0xff)
		h.Write(buf)
	}
	sum := make([]byte, 16)
	h.Read(sum)
	return base64.RawStdEncoding.EncodeToString(sum)
}

// appendCanonical appends v, tagged with its kind, in one form per value.
func appendCanonical(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(append(b, 's'), x...)
	case int64:
		return strconv.AppendInt(append(b, 'i'), x, 10)
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
	case bool:
		return strconv.AppendBool(append(b, 'b'), x)
	case time.Time:
		return x.UTC().AppendFormat(append(b, 't'), time.RFC3339Nano)
	case time.Duration:
		return strconv.AppendInt(append(b, 'd'), int64(x), 10)
	case schema.DecimalValue:
		// 10.5 and 10.50 are one value: trailing zeros are left out.
		d := x.String()
		if strings.Contains(d, ".") {
			d = strings.TrimRight(strings.TrimRight(d, "0"), ".")
		}
		return append(append(b, 'n'), d...)
	case json.RawMessage:
		return append(append(b, 'j'), x...)
	case []byte:
		return append(append(b, 'x'), x...)
	}
	return append(append(b, '?'), []byte(jsonish(v))...)
}

// jsonish writes a value of a type the loader does not expect, for the hash only.
func jsonish(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return strconv.Quote(err.Error())
	}
	return string(b)
}

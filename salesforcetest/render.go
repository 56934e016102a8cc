package salesforcetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
)

// renderPage writes a query page: totalSize, done, nextRecordsUrl (omitted on the last page),
// records with their attributes and the selected fields in SELECT order.
func renderPage(rs *resultSet, recs []*org.Record, total int, nextURL string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"totalSize":%d,"done":%t,`, total, nextURL == "")
	if nextURL != "" {
		fmt.Fprintf(&b, `"nextRecordsUrl":%q,`, nextURL)
	}
	b.WriteString(`"records":[`)
	cols := columnsOf(rs.obj, rs.q.Fields)
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		renderRecord(&b, rs.ver, rs.obj.Name, r, cols)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// column is one selected field with what rendering it needs.
type column struct {
	name  string
	typ   string
	parts []compoundPart // address and location fields: their components
}

type compoundPart struct{ key, field string }

// compoundKeys maps a component's suffix to its key in the compound JSON object. Longer suffixes
// come first so that StateCode is not taken for State.
var compoundKeys = []struct{ suffix, key string }{
	{"GeocodeAccuracy", "geocodeAccuracy"}, {"CountryCode", "countryCode"}, {"StateCode", "stateCode"},
	{"PostalCode", "postalCode"}, {"Street", "street"}, {"City", "city"}, {"State", "state"},
	{"Country", "country"}, {"Latitude", "latitude"}, {"Longitude", "longitude"},
}

func columnsOf(obj *org.Object, names []string) []column {
	cols := make([]column, 0, len(names))
	for _, n := range names {
		c := column{name: n}
		if f, ok := obj.Field(n); ok {
			c.name, c.typ = f.Name, f.Type
			if f.Type == "address" || f.Type == "location" {
				for _, part := range obj.Fields {
					if part.CompoundFieldName != f.Name || part.Name == f.Name {
						continue
					}
					base := strings.TrimSuffix(part.Name, "__s")
					for _, k := range compoundKeys {
						if strings.HasSuffix(base, k.suffix) {
							c.parts = append(c.parts, compoundPart{k.key, part.Name})
							break
						}
					}
				}
				sort.Slice(c.parts, func(i, j int) bool { return c.parts[i].key < c.parts[j].key })
			}
		}
		cols = append(cols, c)
	}
	return cols
}

func renderRecord(b *bytes.Buffer, ver int, objName string, r *org.Record, cols []column) {
	id := r.ID()
	fmt.Fprintf(b, `{"attributes":{"type":%q,"url":"/services/data/v%d.0/sobjects/%s/%s"}`, objName, ver, objName, id)
	for _, c := range cols {
		b.WriteByte(',')
		writeString(b, c.name)
		b.WriteByte(':')
		if c.parts != nil || c.typ == "address" || c.typ == "location" {
			renderCompound(b, r, c.parts, id)
			continue
		}
		renderValue(b, c.typ, r.Get(c.name), id)
	}
	b.WriteByte('}')
}

// renderCompound writes an address or location object from its components; null when all are.
func renderCompound(b *bytes.Buffer, r *org.Record, parts []compoundPart, id string) {
	vals := make([]any, len(parts))
	allNil := true
	for i, p := range parts {
		vals[i] = r.Get(p.field)
		if vals[i] != nil {
			allNil = false
		}
	}
	if allNil {
		b.WriteString("null")
		return
	}
	b.WriteByte('{')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "%q:", p.key)
		renderValue(b, "", vals[i], id)
	}
	b.WriteByte('}')
}

// renderValue writes one value as Salesforce does for its describe type.
func renderValue(b *bytes.Buffer, typ string, v any, id string) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		writeNumber(b, typ, x, id)
	case json.Number:
		b.WriteString(x.String())
	case time.Time:
		if typ == "date" {
			fmt.Fprintf(b, `"%s"`, x.UTC().Format("2006-01-02"))
		} else {
			fmt.Fprintf(b, `"%s"`, x.UTC().Format(sfDateTime))
		}
	case time.Duration:
		t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(x)
		fmt.Fprintf(b, `"%s"`, t.Format("15:04:05.000Z"))
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			b.WriteString("null")
			return
		}
		b.Write(raw)
	}
}

// writeNumber writes a double/currency/percent. An integral value is written as "300.0" for some
// records and "400" for others (decided by the record Id), as real orgs do both: clients must
// decode by the describe type, not by the look of the number.
func writeNumber(b *bytes.Buffer, typ string, f float64, id string) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		b.WriteString("null")
		return
	}
	if typ == "int" || typ == "long" {
		b.WriteString(strconv.FormatInt(int64(f), 10))
		return
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		h := fnv.New32a()
		h.Write([]byte(id))
		if h.Sum32()%2 == 0 {
			s += ".0"
		}
	}
	b.WriteString(s)
}

// writeString writes a JSON string without HTML escaping, as Salesforce does.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

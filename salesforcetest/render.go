package salesforcetest

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
)

// pageHead is the start of a query page up to the opening bracket of its records: totalSize,
// done and nextRecordsUrl (omitted on the last page).
func pageHead(total int, nextURL string) []byte {
	b := make([]byte, 0, 64+len(nextURL))
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, nextURL == "")
	b = append(b, ',')
	if nextURL != "" {
		b = append(b, `"nextRecordsUrl":`...)
		b = appendJSONString(b, nextURL)
		b = append(b, ',')
	}
	return append(b, `"records":[`...)
}

// renderRecords writes the records of a query page, comma-separated, with their attributes and
// the selected fields in SELECT order. It appends to one buffer sized from the previous page,
// without fmt or encoding/json: rendering is on the path of every benchmark that reads a million
// rows.
func renderRecords(rs *resultSet, recs []*org.Record) []byte {
	cols := rs.columns()
	b := make([]byte, 0, rs.sizeHint(len(recs)))
	prefix := recordPrefix(rs.ver, rs.obj.Name)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = renderRecord(b, prefix, r, cols)
	}
	rs.noteSize(len(recs), len(b))
	return b
}

// recordPrefix is the constant start of every record's attributes up to its Id:
// {"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/
func recordPrefix(ver int, objName string) []byte {
	b := []byte(`{"attributes":{"type":`)
	b = appendJSONString(b, objName)
	b = append(b, `,"url":"/services/data/v`...)
	b = strconv.AppendInt(b, int64(ver), 10)
	b = append(b, ".0/sobjects/"...)
	b = append(b, objName...)
	return append(b, '/')
}

// column is one selected field with what rendering it needs.
type column struct {
	name  string
	typ   string
	idx   int            // position in records of obj; -1 when unknown
	key   []byte         // `"Name":`, the JSON key with its colon
	parts []compoundPart // address and location fields: their components
	obj   *org.Object    // the describe idx belongs to
}

type compoundPart struct {
	key, field string
	idx        int
}

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
		c := column{name: n, idx: -1, obj: obj}
		if f, ok := obj.Field(n); ok {
			c.name, c.typ = f.Name, f.Type
			c.idx, _ = obj.Index(f.Name)
			if f.Type == "address" || f.Type == "location" {
				c.idx = -1
				for _, part := range obj.Fields {
					if part.CompoundFieldName != f.Name || part.Name == f.Name {
						continue
					}
					base := strings.TrimSuffix(part.Name, "__s")
					for _, k := range compoundKeys {
						if strings.HasSuffix(base, k.suffix) {
							pi, _ := obj.Index(part.Name)
							c.parts = append(c.parts, compoundPart{k.key, part.Name, pi})
							break
						}
					}
				}
				sort.Slice(c.parts, func(i, j int) bool { return c.parts[i].key < c.parts[j].key })
			}
		}
		c.key = appendJSONString(nil, c.name)
		c.key = append(c.key, ':')
		cols = append(cols, c)
	}
	return cols
}

// value reads the column's value from r, by position when r has the describe the column was
// resolved against (always, unless AddField ran in between).
func (c *column) value(r *org.Record) any {
	if c.idx >= 0 && r.Object() == c.obj {
		return r.At(c.idx)
	}
	return r.Get(c.name)
}

func renderRecord(b, prefix []byte, r *org.Record, cols []column) []byte {
	id := r.ID()
	b = append(b, prefix...)
	b = append(b, id...)
	b = append(b, `"}`...)
	idHash := uint32(0)
	hashed := false
	for i := range cols {
		c := &cols[i]
		b = append(b, ',')
		b = append(b, c.key...)
		if c.parts != nil || c.typ == "address" || c.typ == "location" {
			b = renderCompound(b, r, c, id)
			continue
		}
		v := c.value(r)
		if _, ok := v.(float64); ok && !hashed {
			idHash, hashed = idParity(id), true
		}
		b = renderValue(b, c.typ, v, idHash)
	}
	return append(b, '}')
}

// idParity decides, per record, whether integral doubles are written "300.0" or "300".
// It is FNV-1a of the Id, inlined so that it does not allocate.
func idParity(id string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h % 2
}

// renderCompound writes an address or location object from its components; null when all are.
func renderCompound(b []byte, r *org.Record, c *column, id string) []byte {
	allNil := true
	for _, p := range c.parts {
		if r.Get(p.field) != nil {
			allNil = false
			break
		}
	}
	if allNil {
		return append(b, "null"...)
	}
	parity := idParity(id)
	b = append(b, '{')
	for i, p := range c.parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p.key)
		b = append(b, ':')
		b = renderValue(b, "", r.Get(p.field), parity)
	}
	return append(b, '}')
}

// renderValue writes one value as Salesforce does for its describe type. parity is the record's
// idParity (only read for doubles).
func renderValue(b []byte, typ string, v any, parity uint32) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return appendNumber(b, typ, x, parity)
	case json.Number:
		return append(b, x...)
	case time.Time:
		b = append(b, '"')
		if typ == "date" {
			b = appendDate(b, x)
		} else {
			b = appendDateTime(b, x, "+0000")
		}
		return append(b, '"')
	case time.Duration:
		b = append(b, '"')
		b = appendTimeOfDay(b, x)
		return append(b, '"')
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, raw...)
	}
}

// appendNumber writes a double/currency/percent. An integral value is written as "300.0" for some
// records and "400" for others (decided by the record Id), as real orgs do both: clients must
// decode by the describe type, not by the look of the number.
func appendNumber(b []byte, typ string, f float64, parity uint32) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if typ == "int" || typ == "long" {
		return strconv.AppendInt(b, int64(f), 10)
	}
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && parity == 0 {
		b = append(b, ".0"...)
	}
	return b
}

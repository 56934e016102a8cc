package soql

import (
	"time"
)

// Compare orders two records by the ORDER BY clause: negative when a sorts first, 0 when the keys
// tie (or there is no ORDER BY). Nulls go first or last per key as the query says, whatever the
// direction; text orders case-insensitively, Ids by their bytes.
func (q *Query) Compare(a, b Record) int {
	for _, k := range q.program().order {
		va, vb := a.Get(k.field), b.Get(k.field)
		na, nb := isNull(va), isNull(vb)
		switch {
		case na && nb:
			continue
		case na:
			if k.nullsLast {
				return 1
			}
			return -1
		case nb:
			if k.nullsLast {
				return -1
			}
			return 1
		}
		c := compareValues(va, vb, k.cls)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func isNull(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

// compareValues orders two non-null values of one field.
func compareValues(a, b any, cls valueClass) int {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			if cls == clsID {
				return cmpString(x, y)
			}
			return compareFold(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmpInt(boolInt(x), boolInt(y))
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return cmpInt64(int64(x), int64(y))
		}
	}
	if c, ok := cmpNumbers(a, b); ok {
		return c
	}
	// Values of different kinds never meet in a checked query; keep the order total anyway.
	return cmpInt(kindRank(a), kindRank(b))
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func kindRank(v any) int {
	switch v.(type) {
	case bool:
		return 1
	case string:
		return 3
	case time.Time:
		return 4
	case time.Duration:
		return 5
	}
	if _, ok := asFloat(v); ok {
		return 2
	}
	return 6
}

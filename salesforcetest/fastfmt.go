package salesforcetest

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Append-based formatting of the values in query pages and Bulk results. Pages of a million-row
// benchmark are rendered from these, so they avoid fmt, time.Format and encoding/json, and never
// allocate: each appends to the page buffer.

// appendDigits appends n as exactly width decimal digits (n >= 0).
func appendDigits(b []byte, n, width int) []byte {
	var tmp [10]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[:width]...)
}

// appendDate appends t (in UTC) as yyyy-MM-dd.
func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.UTC().Date()
	if y < 0 || y > 9999 {
		return t.UTC().AppendFormat(b, "2006-01-02")
	}
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(m), 2)
	b = append(b, '-')
	return appendDigits(b, d, 2)
}

// appendDateTime appends t (in UTC) as yyyy-MM-ddTHH:mm:ss.SSS followed by zone, which is
// "+0000" (REST, and some Bulk rows) or "Z" (other Bulk rows).
func appendDateTime(b []byte, t time.Time, zone string) []byte {
	t = t.UTC()
	b = appendDate(b, t)
	h, mi, s := t.Clock()
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, s, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/int(time.Millisecond), 3)
	return append(b, zone...)
}

// appendTimeOfDay appends a time field (a duration since midnight) as HH:mm:ss.SSSZ.
func appendTimeOfDay(b []byte, d time.Duration) []byte {
	d %= 24 * time.Hour
	if d < 0 {
		d += 24 * time.Hour
	}
	ms := int(d / time.Millisecond)
	b = appendDigits(b, ms/3_600_000, 2)
	b = append(b, ':')
	b = appendDigits(b, ms/60_000%60, 2)
	b = append(b, ':')
	b = appendDigits(b, ms/1000%60, 2)
	b = append(b, '.')
	b = appendDigits(b, ms%1000, 3)
	return append(b, 'Z')
}

// appendJSONString appends s as a JSON string without HTML escaping, as Salesforce writes it:
// invalid UTF-8 becomes \ufffd, and U+2028/U+2029 are escaped for JavaScript readers.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCSVQuoted appends s between double quotes, doubling the quotes inside, as Bulk API
// results write every value. Newlines stay as they are (inside the quotes).
func appendCSVQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

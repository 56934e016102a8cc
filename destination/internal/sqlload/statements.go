package sqlload

import "strings"

// statements counts the SQL statements in text: the parts between semicolons that hold more
// than blanks and comments. It knows quoted strings and identifiers ('...', "...", a doubled
// quote inside), dollar-quoted strings ($$...$$, $tag$...$tag$) and comments (-- to the end of
// the line, /* ... */), so that a semicolon inside them separates nothing. An unterminated one
// runs to the end of the text.
func statements(text string) int {
	n, content := 0, false
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case c == ';':
			if content {
				n++
			}
			content = false
			i++
		case strings.HasPrefix(text[i:], "--"):
			i = skipPast(text, i+2, "\n")
		case strings.HasPrefix(text[i:], "/*"):
			i = skipPast(text, i+2, "*/")
		case c == '\'' || c == '"':
			content = true
			i = skipQuoted(text, i, c)
		case c == '$':
			content = true
			if tag := dollarTag(text[i:]); tag != "" {
				i = skipPast(text, i+len(tag), tag)
			} else {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		default:
			content = true
			i++
		}
	}
	if content {
		n++
	}
	return n
}

// skipPast returns the index after the first end in text from i, or len(text) when none.
func skipPast(text string, i int, end string) int {
	j := strings.Index(text[i:], end)
	if j < 0 {
		return len(text)
	}
	return i + j + len(end)
}

// skipQuoted returns the index after the quoted string or identifier that starts at i with
// quote q (a doubled q inside is part of it), or len(text) when it does not end.
func skipQuoted(text string, i int, q byte) int {
	for j := i + 1; j < len(text); j++ {
		if text[j] != q {
			continue
		}
		if j+1 < len(text) && text[j+1] == q {
			j++
			continue
		}
		return j + 1
	}
	return len(text)
}

// dollarTag returns the opening tag of a dollar-quoted string at the start of s ("$$" or
// "$name$"), or "" when s starts with another $ (a parameter such as $1).
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1]
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || j > 1 && c >= '0' && c <= '9':
		default:
			return ""
		}
	}
	return ""
}

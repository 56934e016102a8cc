package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Salesforce prints a window of the offending row, not the whole row, when the row is long. The
// widths below reproduce the recorded messages: short rows whole, long ones with about 40
// characters of context before the error and 45 after, cut at whole words.
const (
	snippetWhole  = 80
	snippetBefore = 40
	snippetAfter  = 45
)

// posError builds an error whose message carries Salesforce's position block:
//
//	"\n<row text>\n<spaces>^\nERROR at Row:r:Column:c\n<text>"
//
// pos is a byte offset into src; a negative pos (a query built in Go, not parsed) gives the bare text.
func posError(code, src string, pos int, text string) *Error {
	if pos < 0 || pos > len(src) {
		return &Error{Code: code, Message: text}
	}
	row, lineStart := 1, 0
	for i := 0; i < pos; i++ {
		if src[i] == '\n' {
			row++
			lineStart = i + 1
		}
	}
	lineEnd := strings.IndexByte(src[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src)
	} else {
		lineEnd += lineStart
	}
	line := strings.TrimSuffix(src[lineStart:lineEnd], "\r")
	col := utf8.RuneCountInString(src[lineStart:pos]) + 1
	rel := min(pos-lineStart, len(line)) // an error at a trailing \r points past the trimmed line
	from, to := snippetWindow(line, rel)
	caret := utf8.RuneCountInString(line[from:rel])
	var b strings.Builder
	b.WriteString("\n")
	b.WriteString(line[from:to])
	b.WriteString("\n")
	b.WriteString(strings.Repeat(" ", caret))
	b.WriteString("^\nERROR at Row:")
	b.WriteString(strconv.Itoa(row))
	b.WriteString(":Column:")
	b.WriteString(strconv.Itoa(col))
	b.WriteString("\n")
	b.WriteString(text)
	return &Error{Code: code, Message: b.String(), Row: row, Column: col}
}

// snippetWindow returns the byte range of line shown in an error at byte offset at: the whole line
// when it is short, else whole words within the context widths around at.
func snippetWindow(line string, at int) (from, to int) {
	from, to = 0, len(line)
	if len(line) <= snippetWhole {
		return from, to
	}
	if at > snippetBefore {
		// First word that starts at or after at-snippetBefore (words: runs of name characters).
		limit := at - snippetBefore
		from = at
		for i := limit; i < at; i++ {
			if isWordByte(line[i]) && (i == 0 || !isWordByte(line[i-1])) {
				from = i
				break
			}
		}
	}
	if len(line)-at > snippetAfter {
		// Last word that ends at or before at+snippetAfter; never cut before the error itself.
		limit := at + snippetAfter
		to = limit
		for i := limit; i > at; i-- {
			if isWordByte(line[i-1]) && !isWordByte(line[i]) {
				to = i
				break
			}
		}
		if to < at {
			to = at
		}
		for to < len(line) && !utf8.RuneStart(line[to]) {
			to++
		}
	}
	return from, to
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '\'' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// unexpected is Salesforce's generic syntax error.
func unexpected(src string, t token) *Error {
	text := t.text
	if t.kind == tEOF {
		text = "<EOF>"
	}
	return posError(CodeMalformedQuery, src, t.pos, "unexpected token: '"+text+"'")
}

package soql

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"minimal", "SELECT Id FROM Account", "SELECT Id FROM Account"},
		{"keywords any case and newlines", "select\n\tId ,Name\r\nfrom   Account\nwhere Name='x'\norder by Name", "SELECT Id, Name FROM Account WHERE Name = 'x' ORDER BY Name ASC NULLS FIRST"},
		{"count", "SELECT COUNT() FROM Contact", "SELECT COUNT() FROM Contact"},
		{"count lower case spaced", "select count ( ) from Contact", "SELECT COUNT() FROM Contact"},
		{"order object name", "SELECT Id FROM Order", "SELECT Id FROM Order"},
		{"group object name (a reserved word)", "SELECT Id, Name FROM Group WHERE Type = 'Queue' LIMIT 5", "SELECT Id, Name FROM Group WHERE Type = 'Queue' LIMIT 5"},
		{"ne spellings", "SELECT Id FROM A WHERE x <> 1 AND y != 2", "SELECT Id FROM A WHERE x != 1 AND y != 2"},
		{"all comparison operators", "SELECT Id FROM A WHERE a < 1 AND b <= 2 AND c > 3 AND d >= 4 AND e = 5", "SELECT Id FROM A WHERE a < 1 AND b <= 2 AND c > 3 AND d >= 4 AND e = 5"},
		{"or chain", "SELECT Id FROM A WHERE a = 1 OR b = 2 OR c = 3", "SELECT Id FROM A WHERE a = 1 OR b = 2 OR c = 3"},
		{"parenthesized mix", "SELECT Id FROM A WHERE (a = 1 AND b = 2) OR c = 3", "SELECT Id FROM A WHERE (a = 1 AND b = 2) OR c = 3"},
		{"redundant parens dropped", "SELECT Id FROM A WHERE ((a = 1))", "SELECT Id FROM A WHERE a = 1"},
		{"not", "SELECT Id FROM A WHERE NOT a = 1 AND NOT (b = 2 OR c = 3)", "SELECT Id FROM A WHERE NOT a = 1 AND NOT (b = 2 OR c = 3)"},
		{"in and not in", "SELECT Id FROM A WHERE a IN ('x','y') AND b NOT IN (1, 2.5, null)", "SELECT Id FROM A WHERE a IN ('x', 'y') AND b NOT IN (1, 2.5, null)"},
		{"includes excludes", "SELECT Id FROM A WHERE t includes ('a;b', 'c') OR t EXCLUDES ('d')", "SELECT Id FROM A WHERE t INCLUDES ('a;b', 'c') OR t EXCLUDES ('d')"},
		{"like with escapes", `SELECT Id FROM A WHERE n LIKE 'a\%b\_c%_'`, `SELECT Id FROM A WHERE n LIKE 'a\%b\_c%_'`},
		{"literals", "SELECT Id FROM A WHERE a = NULL AND b = TRUE AND c = False AND d = -12.50 AND e = 007", "SELECT Id FROM A WHERE a = null AND b = true AND c = false AND d = -12.50 AND e = 007"},
		{"string escapes kept", `SELECT Id FROM A WHERE a = 'it\'s \"q\" \\ \n\r\t\b\f \u0041'`, `SELECT Id FROM A WHERE a = 'it\'s \"q\" \\ \n\r\t\b\f \u0041'`},
		{"dates", "SELECT Id FROM A WHERE d = 2024-01-31 AND t > 2024-01-31T10:00:00Z AND u < 2024-01-31T10:00:00.000Z AND v >= 2024-01-31T10:00:00+00:00 AND w <= 2024-01-31T10:00:00.000-08:00",
			"SELECT Id FROM A WHERE d = 2024-01-31 AND t > 2024-01-31T10:00:00Z AND u < 2024-01-31T10:00:00.000Z AND v >= 2024-01-31T10:00:00+00:00 AND w <= 2024-01-31T10:00:00.000-08:00"},
		{"date keywords", "SELECT Id FROM A WHERE a = today AND b = Yesterday AND c = last_n_days:30", "SELECT Id FROM A WHERE a = TODAY AND b = YESTERDAY AND c = LAST_N_DAYS:30"},
		{"order by many", "SELECT Id FROM A ORDER BY a, b DESC, c ASC NULLS LAST, d DESC NULLS FIRST", "SELECT Id FROM A ORDER BY a ASC NULLS FIRST, b DESC NULLS LAST, c ASC NULLS LAST, d DESC NULLS FIRST"},
		{"limit offset", "SELECT Id FROM A LIMIT 10 OFFSET 20", "SELECT Id FROM A LIMIT 10 OFFSET 20"},
		{"limit zero", "SELECT Id FROM A LIMIT 0", "SELECT Id FROM A LIMIT 0"},
		{"relationship path", "SELECT Owner.Name FROM Account", "SELECT Owner.Name FROM Account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			assertRoundTrip(t, q)
		})
	}
}

func TestParseDefaults(t *testing.T) {
	q, err := Parse("SELECT Id FROM A ORDER BY a, b DESC")
	if err != nil {
		t.Fatal(err)
	}
	if q.Limit != -1 || q.Offset != 0 || q.Where != nil || q.Count {
		t.Errorf("defaults: Limit=%d Offset=%d Where=%v Count=%v", q.Limit, q.Offset, q.Where, q.Count)
	}
	want := []OrderItem{{Field: "a"}, {Field: "b", Desc: true, NullsLast: true}}
	for i, w := range want {
		got := q.OrderBy[i]
		if got.Field != w.Field || got.Desc != w.Desc || got.NullsLast != w.NullsLast {
			t.Errorf("OrderBy[%d] = %+v, want %+v", i, got, w)
		}
	}
}

func TestParseTree(t *testing.T) {
	q, err := Parse("SELECT Id FROM A WHERE a = 'x' AND (b IN (1, 2) OR NOT c LIKE 'y%')")
	if err != nil {
		t.Fatal(err)
	}
	and, ok := q.Where.(*Logical)
	if !ok || and.Op != "AND" || len(and.Terms) != 2 {
		t.Fatalf("top = %#v, want AND of two", q.Where)
	}
	c, ok := and.Terms[0].(*Comparison)
	if !ok || c.Field != "a" || c.Op != "=" || c.Values[0].Kind != StringLiteral || c.Values[0].Value != "x" {
		t.Errorf("first term = %#v", and.Terms[0])
	}
	or, ok := and.Terms[1].(*Logical)
	if !ok || or.Op != "OR" {
		t.Fatalf("second term = %#v, want OR", and.Terms[1])
	}
	in := or.Terms[0].(*Comparison)
	if in.Op != "IN" || len(in.Values) != 2 || in.Values[1].Kind != NumberLiteral {
		t.Errorf("IN = %#v", in)
	}
	if _, ok := or.Terms[1].(*Not); !ok {
		t.Errorf("NOT term = %#v", or.Terms[1])
	}
}

func TestParseStringDecoding(t *testing.T) {
	q, err := Parse(`SELECT Id FROM A WHERE a = 'it\'s \"q\" \\ \n\r\t\b\f \u0041\u00e9 é'`)
	if err != nil {
		t.Fatal(err)
	}
	got := q.Where.(*Comparison).Values[0].Value
	if want := "it's \"q\" \\ \n\r\t\b\f Aé é"; got != want {
		t.Errorf("decoded %q, want %q", got, want)
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		row, col int
		text     string // the last line of the message
	}{
		{"FORM", "SELECT Id FORM Account", 1, 11, "unexpected token: 'FORM'"},
		{"trailing comma", "SELECT Id, FROM Account", 1, 12, "unexpected token: 'FROM'"},
		{"empty select", "SELECT FROM Account", 1, 8, "unexpected token: 'FROM'"},
		{"no select", "FIND Id FROM Account", 1, 1, "unexpected token: 'FIND'"},
		{"empty", "", 1, 1, "unexpected token: '<EOF>'"},
		{"missing object", "SELECT Id FROM", 1, 15, "unexpected token: '<EOF>'"},
		{"missing where", "SELECT Id FROM Account WHERE", 1, 29, "unexpected token: '<EOF>'"},
		{"AND then OR", "SELECT Id FROM Account WHERE a = 1 AND b = 2 OR c = 3", 1, 46, "unexpected token: 'OR'"},
		{"OR then AND", "SELECT Id FROM Account WHERE a = 1 OR b = 2 AND c = 3", 1, 45, "unexpected token: 'AND'"},
		{"mix inside parens", "SELECT Id FROM A WHERE (a = 1 OR b = 2 AND c = 3)", 1, 40, "unexpected token: 'AND'"},
		{"unclosed paren", "SELECT Id FROM A WHERE (a = 1", 1, 30, "unexpected token: '<EOF>'"},
		{"not like", "SELECT Id FROM A WHERE a NOT LIKE 'x'", 1, 30, "unexpected token: 'LIKE'"},
		{"missing value", "SELECT Id FROM A WHERE a =", 1, 27, "unexpected token: '<EOF>'"},
		{"identifier value", "SELECT Id FROM A WHERE a = b", 1, 28, "unexpected token: 'b'"},
		{"empty IN", "SELECT Id FROM A WHERE a IN ()", 1, 30, "unexpected token: ')'"},
		{"IN without parens", "SELECT Id FROM A WHERE a IN 'x'", 1, 29, "unexpected token: ''x''"},
		{"double equals", "SELECT Id FROM A WHERE a == 1", 1, 27, "unexpected token: '='"},
		{"reserved field", "SELECT Id FROM A WHERE LIMIT = 1", 1, 24, "unexpected token: 'LIMIT'"},
		{"GROUP BY as the object", "SELECT Id FROM GROUP BY Name", 1, 16, "unexpected token: 'GROUP'"},
		{"limit text", "SELECT Id FROM A LIMIT ten", 1, 24, "unexpected token: 'ten'"},
		{"limit negative", "SELECT Id FROM A LIMIT -1", 1, 24, "unexpected token: '-1'"},
		{"limit decimal", "SELECT Id FROM A LIMIT 1.5", 1, 24, "unexpected token: '1.5'"},
		{"offset before limit", "SELECT Id FROM A OFFSET 1 LIMIT 2", 1, 27, "unexpected token: 'LIMIT'"},
		{"order without by", "SELECT Id FROM A ORDER Name", 1, 24, "unexpected token: 'Name'"},
		{"nulls what", "SELECT Id FROM A ORDER BY Name NULLS MIDDLE", 1, 38, "unexpected token: 'MIDDLE'"},
		{"alias unsupported", "SELECT Id FROM Account a", 1, 24, "unexpected token: 'a'"},
		{"group by", "SELECT Id FROM A GROUP BY Id", 1, 18, "unexpected token: 'GROUP'"},
		{"trailing junk", "SELECT Id FROM A LIMIT 5 5", 1, 26, "unexpected token: '5'"},
		{"bad date", "SELECT Id FROM A WHERE d = 2024-02-30", 1, 28, "unexpected token: '2024-02-30'"},
		{"bad datetime", "SELECT Id FROM A WHERE d > 2024-01-31T25:00:00Z", 1, 28, "unexpected token: '2024-01-31T25:00:00Z'"},
		{"unknown date keyword", "SELECT Id FROM A WHERE d = LAST_N_WEEKS:2", 1, 40, "line 1:40 no viable alternative at character ':'"},
		{"unknown bare keyword", "SELECT Id FROM A WHERE d = LAST_DECADE", 1, 28, "unexpected token: 'LAST_DECADE'"},
		{"count field", "SELECT COUNT(Id) FROM A", 1, 14, "COUNT(Id) is not supported by the Salesforce emulator: use SELECT COUNT() to count rows"},
		{"function field", "SELECT FIELDS(ALL) FROM A", 1, 14, "unexpected token: '('"},
		{"unterminated string", "SELECT Id FROM A WHERE a = 'x", 1, 30, "line 1:30 mismatched character '<EOF>' expecting '''"},
		{"bad character", "SELECT Id FROM A WHERE a = $x", 1, 28, "line 1:28 no viable alternative at character '$'"},
		{"bind variable", "SELECT Id FROM A WHERE a = :x", 1, 28, "line 1:28 no viable alternative at character ':'"},
		{"bad escape", `SELECT Id FROM A WHERE a = 'x\qy'`, 1, 28, `Invalid string literal 'x\q'. Illegal character sequence '\q' in string literal.`},
		{"bad unicode escape", `SELECT Id FROM A WHERE a = '\u00g1'`, 1, 28, `Invalid string literal '\u'. Illegal character sequence '\u' in string literal.`},
		{"second row", "SELECT Id\nFROM Account\nWHERE Name = 'x' OR\n  Foo = 1 AND Bar = 2", 4, 11, "unexpected token: 'AND'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error", tt.in, q.String())
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T, want *Error", err)
			}
			if e.Code != CodeMalformedQuery {
				t.Errorf("Code = %q, want MALFORMED_QUERY", e.Code)
			}
			assertPositioned(t, tt.in, e, tt.row, tt.col, tt.text)
		})
	}
}

// TestErrorMessageShape pins the whole message against Salesforce's recorded shape.
func TestErrorMessageShape(t *testing.T) {
	_, err := Parse("SELECT Id FORM Account")
	want := "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'"
	if err == nil || err.Error() != want {
		t.Fatalf("message = %q, want %q", err, want)
	}
}

// TestErrorSnippetLongRow checks that a long row is cut to a window of whole words around the error,
// as Salesforce does, with the caret still under the token.
func TestErrorSnippetLongRow(t *testing.T) {
	in := "SELECT Id, Name, AccountNumber, LastModifiedById, LastModifiedDate, CreatedById, CreatedDate, SystemModstamp, Industry FORM Account"
	_, err := Parse(in)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	lines := strings.Split(e.Message, "\n")
	snippet, caret := lines[1], lines[2]
	if !strings.Contains(in, snippet) || len(snippet) >= len(in) {
		t.Errorf("snippet %q is not a proper window of the row", snippet)
	}
	if strings.HasPrefix(snippet, " ") || !strings.HasPrefix(snippet[len(caret)-1:], "FORM") {
		t.Errorf("caret %q does not point at FORM in %q", caret, snippet)
	}
	if e.Column != strings.Index(in, "FORM")+1 {
		t.Errorf("Column = %d", e.Column)
	}
}

// assertPositioned checks the Salesforce position block: the row's text (or a window of it), a caret
// under the error column, "ERROR at Row:r:Column:c" and the text.
func assertPositioned(t *testing.T, src string, e *Error, row, col int, text string) {
	t.Helper()
	if e.Row != row || e.Column != col {
		t.Errorf("position = %d:%d, want %d:%d (message %q)", e.Row, e.Column, row, col, e.Message)
	}
	lines := strings.Split(e.Message, "\n")
	if len(lines) < 5 || lines[0] != "" {
		t.Fatalf("message %q is not in Salesforce's shape", e.Message)
	}
	srcRow := strings.Split(src, "\n")[row-1]
	if lines[1] != srcRow {
		t.Errorf("snippet = %q, want row %q", lines[1], srcRow)
	}
	if want := strings.Repeat(" ", col-1) + "^"; lines[2] != want {
		t.Errorf("caret line = %q, want %q", lines[2], want)
	}
	if want := "ERROR at Row:" + strconv.Itoa(row) + ":Column:" + strconv.Itoa(col); lines[3] != want {
		t.Errorf("line 3 = %q, want %q", lines[3], want)
	}
	if got := strings.Join(lines[4:], "\n"); got != text {
		t.Errorf("text = %q, want %q", got, text)
	}
}

// assertRoundTrip checks that String() prints SOQL that Parse reads back to the same text.
func assertRoundTrip(t *testing.T, q *Query) {
	t.Helper()
	s := q.String()
	q2, err := Parse(s)
	if err != nil {
		t.Fatalf("String() = %q does not parse: %v", s, err)
	}
	if s2 := q2.String(); s2 != s {
		t.Fatalf("round trip changed the query:\n%q\n%q", s, s2)
	}
}

package sqlload

import (
	"strings"
	"testing"
)

func TestStatements(t *testing.T) {
	for _, c := range []struct {
		text string
		want int
	}{
		{"", 0},
		{"  ;; ", 0},
		{"-- only a comment", 0},
		{"/* only ; a comment */", 0},
		{"SELECT 1", 1},
		{"SELECT 1;", 1},
		{"SELECT 1; -- done", 1},
		{"SELECT 1; SELECT 2", 2},
		{"SELECT 1;DROP TABLE x", 2},
		{"SELECT ';' AS semi", 1},
		{"SELECT 'it''s; fine'", 1},
		{`SELECT 1 AS "a;b"`, 1},
		{`SELECT 1 AS "a""; DROP TABLE x"`, 1},
		{"SELECT 1 -- ; DROP TABLE x\n", 1},
		{"SELECT 1 -- comment\n; DROP TABLE x", 2},
		{"SELECT /* ; */ 1", 1},
		{"SELECT $$ ; $$", 1},
		{"SELECT $tag$ a;b $tag$", 1},
		{"SELECT $tag$ a;b $tag$; SELECT 2", 2},
		{"SELECT $1; SELECT $2", 2},
		{"SELECT 'unterminated; DROP TABLE x", 1},
	} {
		if got := statements(c.text); got != c.want {
			t.Errorf("statements(%q) = %d, want %d", c.text, got, c.want)
		}
	}
}

// FuzzStatements checks that counting never fails, that a trailing semicolon or blank adds no
// statement, and that a text without a semicolon is at most one statement.
func FuzzStatements(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2", "SELECT 'a;''b'", "SELECT $x$;$x$", "/* ; */ -- ;\n SELECT \"a;\"", "$", "'", "--", "/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := statements(s)
		if n < 0 || n > strings.Count(s, ";")+1 {
			t.Fatalf("statements(%q) = %d", s, n)
		}
		if m := statements(s + ";"); m != n {
			t.Errorf("statements(%q) = %d, but %d with a semicolon after", s, n, m)
		}
		if m := statements(s + " \n"); m != n {
			t.Errorf("statements(%q) = %d, but %d with blanks after", s, n, m)
		}
	})
}

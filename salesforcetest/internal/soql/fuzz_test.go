package soql

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse: Parse never panics, errors are always *Error in Salesforce's shape, and whatever it
// accepts prints (String) to SOQL that parses back to the same text, before and after Check.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT Id FROM Account",
		"SELECT Id FORM Account",
		"select count() from Contact where Name like 'a\\%%' limit 5",
		"SELECT Id, Name FROM Account WHERE (a = 1 OR b != 'x') AND NOT c IN (1, 2.5, null) ORDER BY Name DESC NULLS FIRST, Id LIMIT 10 OFFSET 5",
		"SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-31T10:00:00.000-08:00 AND CreatedDate < LAST_N_DAYS:7 AND LastActivityDate = 2024-01-31",
		"SELECT Id FROM Account WHERE Tags__c INCLUDES ('a;b') AND IsDeleted = FALSE AND Id = '001000000000001'",
		"SELECT Id FROM Account WHERE Name = 'it\\'s \\u0041\\n'",
		"SELECT Id\nFROM Account\nWHERE a = 1 AND\n b = 2 OR c = 3",
		"SELECT Id FROM Account WHERE Name = 'x",
		"SELECT Id FROM Account WHERE Score__c > -1.5e3",
	} {
		f.Add(s)
	}
	records := []Record{
		rec{},
		rec{"Id": "001000000000001AAA", "Name": "Acme", "Score__c": 1.5, "IsDeleted": true, "Tags__c": "a;b",
			"CreatedDate": evalNow, "LastActivityDate": day(2024, 1, 31), "AnnualRevenue": json.Number("1e3")},
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code != CodeMalformedQuery || e.Row < 1 || e.Column < 1 {
				t.Fatalf("Parse(%q) error %#v is not a positioned MALFORMED_QUERY", s, err)
			}
			return
		}
		assertRoundTrip(t, q)
		q.Now = func() time.Time { return evalNow }
		if err := q.Check(schema); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Check(%q) error %T, want *Error", s, err)
			}
			return
		}
		assertRoundTrip(t, q)
		for _, r := range records {
			q.Match(r)
			q.Compare(r, records[0])
		}
	})
}

// FuzzMatch fuzzes the evaluator with random values and literals: a value written as a literal
// matches itself, and NOT is always the exact complement of a condition.
func FuzzMatch(f *testing.F) {
	f.Add("Acme", 1.5, int64(42), "'x'", uint8(0))
	f.Add("a%b_c\\'d", math.Copysign(0, -1), int64(-1), "2024-01-31", uint8(3))
	f.Add("ÜNÏ", 1e300, int64(math.MaxInt64), "LAST_N_DAYS:3", uint8(5))
	f.Add("", 5e-324, int64(0), "null", uint8(7))
	f.Add("x;y", 123456789012345.67, int64(9007199254740993), "2024-01-31T10:00:00-08:00", uint8(11))
	fields := []string{"Name", "Score__c", "Big__c", "CreatedDate", "LastActivityDate", "IsDeleted", "Tags__c", "Id", "AnnualRevenue"}
	ops := []string{"=", "!=", "<", "<=", ">", ">=", "LIKE", "IN", "NOT IN", "INCLUDES", "EXCLUDES"}
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, lit string, sel uint8) {
		r := rec{"Name": s, "Tags__c": s, "Score__c": x, "Big__c": n, "Id": s,
			"AnnualRevenue": json.Number(strconv.FormatFloat(x, 'f', -1, 64)), "IsDeleted": n%2 == 0,
			"CreatedDate": evalNow, "LastActivityDate": day(2024, 1, 31)}
		if utf8.ValidString(s) {
			q := checked(t, "SELECT Id FROM Account WHERE Name = "+Quote(s), evalNow)
			if !q.Match(r) {
				t.Errorf("Name = %s does not match %q", Quote(s), s)
			}
			q = checked(t, "SELECT Id FROM Account WHERE Name LIKE "+QuoteLike(s), evalNow)
			if !q.Match(r) && s != "" {
				t.Errorf("Name LIKE %s does not match %q", QuoteLike(s), s)
			}
		}
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			num := strconv.FormatFloat(x, 'f', -1, 64)
			q := checked(t, "SELECT Id FROM Account WHERE Score__c = "+num+" AND AnnualRevenue = "+num+" AND Score__c >= "+num+" AND NOT Score__c < "+num, evalNow)
			if !q.Match(r) {
				t.Errorf("%s does not match %v", num, x)
			}
		}
		q := checked(t, "SELECT Id FROM Account WHERE Big__c = "+strconv.FormatInt(n, 10)+" AND Big__c <= "+strconv.FormatInt(n, 10), evalNow)
		if !q.Match(r) {
			t.Errorf("Big__c = %d does not match", n)
		}
		// A random literal against a chosen field and operator.
		field, op := fields[int(sel)%len(fields)], ops[int(sel/16)%len(ops)]
		rhs := lit
		if op == "IN" || op == "NOT IN" || op == "INCLUDES" || op == "EXCLUDES" {
			rhs = "(" + lit + ")"
		}
		where := field + " " + op + " " + rhs
		p, err := Parse("SELECT Id FROM Account WHERE " + where)
		if err != nil {
			return
		}
		p.Now = func() time.Time { return evalNow }
		if p.Check(schema) != nil {
			return
		}
		neg := checked(t, "SELECT Id FROM Account WHERE NOT ("+where+")", evalNow)
		for _, rr := range []rec{r, {}} {
			if p.Match(rr) == neg.Match(rr) {
				t.Errorf("%s and its NOT agree on %v", where, rr)
			}
		}
	})
}

package soql

import (
	"encoding/json"
	"testing"
	"time"
)

// evalNow is the clock of the evaluation tests: Wednesday 2024-03-13 15:04:05 UTC.
var evalNow = time.Date(2024, 3, 13, 15, 4, 5, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestMatch(t *testing.T) {
	base := rec{
		"Id": "001000000000001AAA", "Name": "Acme Ünïcode", "Industry": nil, "Tags__c": "Red;Green",
		"IsDeleted": false, "NumberOfEmployees": int64(250), "AnnualRevenue": json.Number("123456789012345.67"),
		"Score__c": 2.5, "Big__c": int64(9007199254740993), "CreatedDate": time.Date(2024, 1, 31, 18, 0, 0, 0, time.UTC),
		"SystemModstamp": evalNow.Add(-time.Hour), "LastActivityDate": day(2024, 3, 12), "OwnerId": "005000000000009",
		"Phone": "", "Email__c": "a_b%c@x.com",
	}
	tests := []struct {
		where string
		want  bool
	}{
		// text
		{"Name = 'acme ünïcode'", true},
		{"Name = 'Acme'", false},
		{"Name != 'ACME ÜNÏCODE'", false},
		{"Name != 'other'", true},
		{"Industry != 'Energy'", true}, // SOQL: null != value is true
		{"Industry = null", true},
		{"Industry != null", false},
		{"Name = null", false},
		{"Phone = null", true}, // Salesforce keeps no empty strings
		{"Phone = ''", true},
		{"Industry IN ('Energy', null)", true},
		{"Industry NOT IN ('Energy')", true},
		{"Name IN ('x', 'ACME ÜNÏCODE')", true},
		{"Name NOT IN ('x', 'ACME ÜNÏCODE')", false},
		{"Name < 'B'", true},
		{"Name > 'acme'", true},
		{"Industry < 'Z'", false}, // ordering with null is false
		{"Industry >= 'A'", false},
		// LIKE
		{"Name LIKE 'acme%'", true},
		{"Name LIKE '%ÜNÏ%'", true},
		{"Name LIKE 'Acme'", false},
		{"Name LIKE 'Acm_ Ünïcode'", true},
		{"Name LIKE '_cme%e'", true},
		{"Name LIKE '%'", true},
		{"Industry LIKE '%'", false},
		{`Email__c LIKE 'a\_b\%c@%'`, true},
		{`Email__c LIKE 'a\_b\%d@%'`, false},
		{`Name LIKE 'a\_me%'`, false},
		{"Email__c LIKE '%.COM'", true},
		// ids
		{"Id = '001000000000001'", true},
		{"Id = '001000000000001AAA'", true},
		{"Id = '001000000000001ZZZ'", true}, // the suffix is only a checksum of the 15
		{"Id = '001000000000001aaa'", true},
		{"Id = '001000000000001'", true},
		{"Id = '00100000000000A'", false},
		{"OwnerId = '005000000000009AAA'", true},
		{"OwnerId IN ('005000000000008', '005000000000009')", true},
		{"OwnerId != ''", true},
		// numbers
		{"NumberOfEmployees = 250", true},
		{"NumberOfEmployees = 250.0", true},
		{"NumberOfEmployees > 249.5", true},
		{"NumberOfEmployees < -1", false},
		{"NumberOfEmployees IN (1, 250)", true},
		{"Score__c = 2.50", true},
		{"Score__c > 2", true},
		{"Score__c <= -2.5", false},
		{"AnnualRevenue = 123456789012345.67", true},
		{"AnnualRevenue > 123456789012345.66", true},  // beyond float64: compared as decimals
		{"AnnualRevenue < 123456789012345.68", true},  //
		{"AnnualRevenue = 123456789012345.670", true}, //
		{"Big__c = 9007199254740993", true},           // beyond float64: compared as int64
		{"Big__c > 9007199254740992", true},
		// booleans
		{"IsDeleted = false", true},
		{"IsDeleted != false", false},
		{"IsDeleted = TRUE", false},
		// dates and datetimes
		{"CreatedDate = 2024-01-31T18:00:00Z", true},
		{"CreatedDate = 2024-01-31T10:00:00.000-08:00", true},
		{"CreatedDate = 2024-01-31T18:00:00.000+00:00", true},
		{"CreatedDate > 2024-01-31T17:59:59Z", true},
		{"CreatedDate >= 2024-01-31T18:00:00.001Z", false},
		{"LastActivityDate = 2024-03-12", true},
		{"LastActivityDate < 2024-03-12", false},
		{"LastActivityDate <= 2024-03-12", true},
		{"LastActivityDate = YESTERDAY", true},
		{"LastActivityDate = TODAY", false},
		{"LastActivityDate < TODAY", true},
		{"LastActivityDate <= YESTERDAY", true},
		{"LastActivityDate > YESTERDAY", false},
		{"LastActivityDate >= YESTERDAY", true},
		{"LastActivityDate = LAST_N_DAYS:1", true},
		{"LastActivityDate = LAST_N_DAYS:0", false},
		{"LastActivityDate = N_DAYS_AGO:1", true},
		{"LastActivityDate = THIS_WEEK", true}, // week of Sunday 2024-03-10
		{"LastActivityDate = LAST_WEEK", false},
		{"LastActivityDate = THIS_MONTH", true},
		{"LastActivityDate = NEXT_N_DAYS:5", false},
		{"SystemModstamp = TODAY", true},
		{"SystemModstamp > YESTERDAY", true},
		{"SystemModstamp = LAST_N_DAYS:30", true},
		{"CreatedDate = LAST_N_DAYS:30", false},
		{"CreatedDate = LAST_90_DAYS", true},
		{"CreatedDate = THIS_YEAR", true},
		{"CreatedDate < LAST_N_DAYS:30", true},
		// multipicklist
		{"Tags__c = 'green;red'", true},
		{"Tags__c = 'Red'", false},
		{"Tags__c != 'Red'", true},
		{"Tags__c INCLUDES ('Red')", true},
		{"Tags__c INCLUDES ('Blue', 'red;green')", true},
		{"Tags__c INCLUDES ('Red;Blue')", false},
		{"Tags__c EXCLUDES ('Blue')", true},
		{"Tags__c EXCLUDES ('Blue', 'Green')", false},
		// logic
		{"NOT Name = 'x'", true},
		{"NOT (Name = 'x' OR IsDeleted = false)", false},
		{"Name = 'x' OR (IsDeleted = false AND Score__c > 2)", true},
		{"Name LIKE 'A%' AND NOT NOT IsDeleted = false", true},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			q := checked(t, "SELECT Id FROM Account WHERE "+tt.where, evalNow)
			if got := q.Match(base); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
			// NOT must always be the exact complement (SOQL has no UNKNOWN).
			n := checked(t, "SELECT Id FROM Account WHERE NOT ("+tt.where+")", evalNow)
			if got := n.Match(base); got == tt.want {
				t.Errorf("NOT (...) Match = %v, want %v", got, !tt.want)
			}
		})
	}
}

func TestMatchNoWhere(t *testing.T) {
	q := checked(t, "SELECT Id FROM Account", evalNow)
	if !q.Match(rec{}) {
		t.Error("a query without WHERE must match every record")
	}
}

// TestMatchUnchecked covers Match on a query that skipped Check: values compare by their Go type.
func TestMatchUnchecked(t *testing.T) {
	q, err := Parse("SELECT Id FROM Account WHERE Name = 'ACME' AND n > 2 AND d = 2024-01-31")
	if err != nil {
		t.Fatal(err)
	}
	if !q.Match(rec{"Name": "acme", "n": 3.0, "d": day(2024, 1, 31)}) {
		t.Error("want a match")
	}
	if q.Match(rec{"Name": "acme", "n": json.Number("2"), "d": day(2024, 1, 31)}) {
		t.Error("want no match")
	}
}

// TestMatchDoesNotAllocate guards the hot path: Match runs for millions of records per query.
func TestMatchDoesNotAllocate(t *testing.T) {
	q := checked(t, "SELECT Id FROM Account WHERE (Name LIKE '%cme%' OR Id IN ('001000000000001', '001000000000002')) AND AnnualRevenue > 10.5 AND CreatedDate < TODAY AND Tags__c INCLUDES ('Red') AND IsDeleted = false", evalNow)
	r := rec{"Id": "001000000000001AAA", "Name": "Acme", "AnnualRevenue": json.Number("11.25"),
		"CreatedDate": day(2024, 1, 1), "Tags__c": "Red;Green", "IsDeleted": false}
	if !q.Match(r) {
		t.Fatal("want a match")
	}
	if n := testing.AllocsPerRun(100, func() { q.Match(r) }); n != 0 {
		t.Errorf("Match allocates %v times per call, want 0", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	q := checked(b, "SELECT Id FROM Account WHERE Name LIKE '%cme%' AND AnnualRevenue > 10.5 AND SystemModstamp >= 2024-01-01T00:00:00Z", evalNow)
	r := rec{"Name": "Acme Corporation", "AnnualRevenue": json.Number("11.25"), "SystemModstamp": evalNow}
	b.ReportAllocs()
	for b.Loop() {
		q.Match(r)
	}
}

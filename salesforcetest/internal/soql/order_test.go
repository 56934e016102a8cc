package soql

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCompareOrders(t *testing.T) {
	records := []rec{
		{"Id": "a", "Name": "bravo", "Score__c": 2.0, "CreatedDate": day(2024, 1, 2), "Industry": "Energy", "AnnualRevenue": json.Number("10.10")},
		{"Id": "b", "Name": "Alpha", "Score__c": nil, "CreatedDate": day(2024, 1, 1), "Industry": nil, "AnnualRevenue": json.Number("10.09")},
		{"Id": "c", "Name": "charlie", "Score__c": 1.0, "CreatedDate": nil, "Industry": "Energy", "AnnualRevenue": nil},
		{"Id": "d", "Name": "ALPHA", "Score__c": 2.0, "CreatedDate": day(2024, 1, 3), "Industry": "", "AnnualRevenue": json.Number("9.999999999999999999")},
	}
	tests := []struct {
		orderBy string
		want    string // Ids in order; ties keep input order (stable sort)
	}{
		{"Name", "bdac"},                // case-insensitive
		{"Name DESC", "cabd"},           //
		{"Score__c", "bcad"},            // ASC: NULLS FIRST by default
		{"Score__c NULLS LAST", "cadb"}, //
		{"Score__c DESC", "adcb"},       // DESC: NULLS LAST by default
		{"Score__c DESC NULLS FIRST", "badc"},
		{"Score__c DESC, Name", "dacb"}, // multi-key: tie on 2.0 broken by Name
		{"Score__c DESC, Name DESC", "adcb"},
		{"CreatedDate", "cbad"},
		{"CreatedDate DESC", "dabc"},
		{"Industry, Id DESC", "dbca"}, // "" is null
		{"AnnualRevenue", "cdba"},     // decimals compared exactly
		{"AnnualRevenue DESC NULLS FIRST", "cabd"},
	}
	for _, tt := range tests {
		t.Run(tt.orderBy, func(t *testing.T) {
			q := checked(t, "SELECT Id FROM Account ORDER BY "+tt.orderBy, evalNow)
			got := slices.Clone(records)
			slices.SortStableFunc(got, func(a, b rec) int { return q.Compare(a, b) })
			var ids strings.Builder
			for _, r := range got {
				ids.WriteString(r["Id"].(string))
			}
			if ids.String() != tt.want {
				t.Errorf("order = %s, want %s", ids.String(), tt.want)
			}
		})
	}
}

func TestCompareProperties(t *testing.T) {
	q := checked(t, "SELECT Id FROM Account ORDER BY SystemModstamp, Id", evalNow)
	a := rec{"Id": "001000000000001AAA", "SystemModstamp": evalNow}
	b := rec{"Id": "001000000000002AAA", "SystemModstamp": evalNow}
	c := rec{"Id": "001000000000000AAA", "SystemModstamp": evalNow.Add(time.Millisecond)}
	if q.Compare(a, a) != 0 {
		t.Error("Compare(a, a) != 0")
	}
	if q.Compare(a, b) >= 0 || q.Compare(b, a) <= 0 {
		t.Error("Id tie-break is not antisymmetric")
	}
	if q.Compare(b, c) >= 0 {
		t.Error("SystemModstamp must dominate Id")
	}
	none := checked(t, "SELECT Id FROM Account", evalNow)
	if none.Compare(a, c) != 0 {
		t.Error("Compare without ORDER BY must be 0")
	}
}

// TestCompareIDsCaseSensitive: Ids sort by bytes, unlike text.
func TestCompareIDsCaseSensitive(t *testing.T) {
	q := checked(t, "SELECT Id FROM Account ORDER BY Id", evalNow)
	upper, lower := rec{"Id": "00100000000000B"}, rec{"Id": "00100000000000a"}
	if q.Compare(upper, lower) >= 0 {
		t.Error("'B' must sort before 'a' in an Id")
	}
	n := checked(t, "SELECT Id FROM Account ORDER BY Name", evalNow)
	if n.Compare(rec{"Name": "B"}, rec{"Name": "a"}) <= 0 {
		t.Error("text must sort case-insensitively")
	}
}

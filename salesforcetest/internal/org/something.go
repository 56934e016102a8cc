package org

import (
	"encoding/json"
	"math/big"
	"strconv"
	"time"
)

var (
	somePicklist = []string{"Alpha", "Beta", "Gamma", "Delta, with comma", "Épsilon", "Zeta \"quoted\""}
	someMulti    = []string{"Red", "Green", "Blue", "Yellow", "Ünïcödé", "Semi-colon free"}
)

// somethingDef is the custom object Something__c: one field of every type an extractor must map,
// with values chosen to hit edge cases.
func somethingDef() objDef {
	o := newObject("Something__c", "Something", "Somethings", "a01")
	s := &schema{}
	s.id()
	s.owner("Group", "User")
	s.isDeleted()
	s.add(fStr("Name", "Something Name", 80).name().req(), func(c *gctx) any {
		if c.r.chance(0.2) {
			return truncRunes(c.r.pick(nastyText)+" #"+strconv.Itoa(c.i), 80)
		}
		return "S-" + pad(c.i, 6)
	})
	s.audit()
	s.viewed()
	s.add(fStr("Text__c", "Text", 255), func(c *gctx) any {
		switch {
		case c.r.chance(0.15):
			return nil
		case c.r.chance(0.05):
			return "" // distinct from null, so loaders must keep it apart
		case c.r.chance(0.4):
			return c.r.pick(nastyText)
		default:
			return truncRunes(text(c), 255)
		}
	})
	s.add(fArea("LongText__c", "Long Text", 32768), func(c *gctx) any {
		switch {
		case c.r.chance(0.2):
			return nil
		case c.r.chance(0.1):
			return longText(c, c.r.between(20000, 32000))
		case c.r.chance(0.2):
			return longText(c, c.r.between(500, 5000))
		default:
			return text(c)
		}
	})
	s.add(fPick("Picklist__c", "Picklist", somePicklist...), gMaybe(0.2, gPick(somePicklist...)))
	s.add(fMulti("MultiPicklist__c", "Multi Picklist", someMulti...), func(c *gctx) any {
		if c.r.chance(0.2) {
			return nil
		}
		var out string
		for _, v := range someMulti {
			if c.r.chance(0.4) {
				if out != "" {
					out += ";"
				}
				out += v
			}
		}
		if out == "" {
			return someMulti[0]
		}
		return out
	})
	s.add(fBool("Checkbox__c", "Checkbox").dflt(), gBool(0.5))
	s.add(fDouble("Number__c", "Number", 18, 0), gMaybe(0.1, func(c *gctx) any {
		switch c.r.intn(4) {
		case 0:
			return -float64(c.r.intn(1000000))
		case 1:
			return 0.0
		default:
			return float64(c.r.u64() % 1e15)
		}
	}))
	s.add(fCurrency("Currency__c", "Currency", 18, 2), gMaybe(0.1, func(c *gctx) any {
		if c.r.chance(0.1) {
			return json.Number(hugeAmounts[c.r.intn(len(hugeAmounts))])
		}
		if c.r.chance(0.15) {
			return -float64(c.r.intn(10000000)) / 100
		}
		return money(c, 10000000, true)
	}))
	s.add(fPercent("Percent__c", "Percent", 5, 2), gMaybe(0.1, func(c *gctx) any { return float64(c.r.intn(20001)-10000) / 100 }))
	s.add(fDate("Date__c", "Date"), gMaybe(0.1, func(c *gctx) any {
		if c.r.chance(0.05) {
			// Far past and far future dates exist in real data (migrations, placeholders).
			return c.r.pick2([]time.Time{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(4000, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)})
		}
		return c.day(c.r.between(-3000, 1000))
	}))
	s.add(fDateTime("DateTime__c", "Date Time"), gMaybe(0.1, func(c *gctx) any { return c.before(5 * 365 * 24 * time.Hour) }))
	s.add(fTime("Time__c", "Time"), gMaybe(0.1, func(c *gctx) any {
		switch c.r.intn(10) {
		case 0:
			return time.Duration(0)
		case 1:
			return 24*time.Hour - time.Millisecond
		default:
			return time.Duration(c.r.intn(86400000)) * time.Millisecond
		}
	}))
	s.add(fEmail("Email__c", "Email"), gMaybe(0.3, func(c *gctx) any { return emailFor(c, c.r.pick(firstNames), c.r.pick(lastNames)) }))
	s.add(fPhone("Phone__c", "Phone"), gPhone)
	s.add(fURL("Url__c", "Url", 255), gMaybe(0.3, func(c *gctx) any {
		return c.r.pick([]string{"https://example.com/a?b=c&d=e", "http://例え.jp/パス", "example.org", "https://example.com/path%20with%20spaces#frag"})
	}))
	s.add(fRef("Account__c", "Account", "Account__r", "Account"), gMaybe(0.3, gRef("Account")))
	s.add(fDouble("Location__Latitude__s", "Location (Latitude)", 10, 7).part("Location__c"), gMaybe(0.3, func(c *gctx) any {
		return float64(c.r.intn(1800000000)-900000000) / 1e7
	}))
	s.add(fDouble("Location__Longitude__s", "Location (Longitude)", 11, 7).part("Location__c"), func(c *gctx) any {
		if c.get("Location__Latitude__s") == nil {
			return nil
		}
		return float64(c.r.intn(3600000000)-1800000000) / 1e7
	})
	s.add(fLocation("Location__c", "Location"), nil)
	s.add(fStr("External_Id__c", "External Id", 50).ext(), func(c *gctx) any { return "EXT-" + strconv.Itoa(c.i) })
	s.add(fCurrency("AmountWithTax__c", "Amount With Tax", 18, 2).formula("Currency__c * 1.2"), nil)
	summary := fStr("Summary__c", "Summary", 1300).formula(`Name & " (" & TEXT(Picklist__c) & ")"`)
	s.add(summary, nil)
	s.add(fBool("IsBig__c", "Is Big").formula("Currency__c > 1000000"), nil)
	return objDef{obj: o, schema: s, formulas: map[string]func(*Record) any{
		"AmountWithTax__c": func(r *Record) any { return mulDiv(r.Get("Currency__c"), 1.2, 1, 2) },
		"Summary__c": func(r *Record) any {
			name, _ := r.Get("Name").(string)
			pick, _ := r.Get("Picklist__c").(string)
			return name + " (" + pick + ")"
		},
		"IsBig__c": func(r *Record) any {
			x, ok := decimal(r.Get("Currency__c"))
			return ok && x.Cmp(big.NewRat(1000000, 1)) > 0
		},
	}}
}

// truncRunes cuts s to at most n runes.
func truncRunes(s string, n int) string {
	k := 0
	for i := range s {
		if k == n {
			return s[:i]
		}
		k++
	}
	return s
}

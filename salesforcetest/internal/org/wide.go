package org

import (
	"strings"
	"time"
)

// Wide objects (Config.Wide): an object given N extra custom fields, the way orgs that grew for
// years look (up to 800 custom fields an object). The fields cycle over every custom field type
// Setup offers; names are long like real ones, so that a few hundred of them push a SELECT list
// past the 16 kB URI limit.

// wideKind is one custom field type: the words its names end with, its describe field and the
// generator of its values.
type wideKind struct {
	words []string
	field func(name, label string) *Field
	gen   genFn
}

var (
	widePrefixes = []string{"Customer", "Account", "Regional", "Partner", "Contract", "Renewal", "Support", "Quarterly",
		"Primary", "Legacy", "Marketing", "Billing", "Strategic", "Global", "Channel", "Executive"}
	wideTopics = []string{"Satisfaction", "Engagement", "Compliance", "Fulfillment", "Territory", "Onboarding", "Retention",
		"Procurement", "Escalation", "Forecast", "Subscription", "Implementation", "Loyalty", "Warranty", "Invoice", "Shipment"}
	wideURLs = []string{"https://example.com/a?b=c&d=e", "http://例え.jp/パス", "example.org",
		"https://portal.example.com/cases/00012345", "https://example.com/path%20with%20spaces#frag"}
	wideRich = []string{`<p>Call back <b>before</b> the renewal.</p>`, `<p>Line one<br>line two</p>`,
		`<ul><li>first, "quoted"</li><li>zweite Zeile: Straße</li></ul>`, "<p>日本語 <i>テキスト</i></p>\n<p>second paragraph</p>",
		`<p><a href="https://example.com/x?a=1&amp;b=2" target="_blank">link</a> &amp; more</p>`,
		`<p><img src="https://example.com/logo.png" alt="logo, small"></img></p>`}
)

// Kinds of wide fields, in the order they cycle. Kinds referenced by others (the formula reads
// the Number, Picklist and Text fields of its cycle; Geolocation has three describe fields) are
// handled in addWide.
const (
	wideText = iota
	wideTextArea
	wideLongText
	wideRichText
	widePicklist
	wideMulti
	wideEmail
	widePhone
	wideURL
	wideCheckbox
	wideNumber
	wideNumber0
	wideCurrency
	widePercent
	wideDate
	wideDateTime
	wideTime
	wideLookup
	wideGeolocation
	wideEncrypted
	wideFormula
	wideKinds
)

func wideKindTable() [wideKinds]wideKind {
	var k [wideKinds]wideKind
	k[wideText] = wideKind{[]string{"Reference", "Code", "Label"}, func(n, l string) *Field { return fStr(n, l, 255) }, func(c *gctx) any {
		switch {
		case c.r.chance(0.15):
			return nil
		case c.r.chance(0.05):
			return ""
		case c.r.chance(0.3):
			return c.r.pick(nastyText)
		}
		return truncRunes(text(c), 255)
	}}
	k[wideTextArea] = wideKind{[]string{"Notes", "Comments"}, func(n, l string) *Field { return fArea(n, l, 255) }, func(c *gctx) any {
		switch {
		case c.r.chance(0.3):
			return nil
		case c.r.chance(0.3):
			return truncRunes(text(c)+"\n"+text(c), 255)
		}
		return truncRunes(text(c), 255)
	}}
	k[wideLongText] = wideKind{[]string{"History", "Narrative"}, func(n, l string) *Field { return fArea(n, l, 32768) }, func(c *gctx) any {
		switch {
		case c.r.chance(0.4):
			return nil
		case c.r.chance(0.03):
			return longText(c, c.r.between(1000, 8000))
		}
		return text(c)
	}}
	k[wideRichText] = wideKind{[]string{"Details", "Overview"}, func(n, l string) *Field {
		f := fArea(n, l, 32768)
		f.HTMLFormatted = true
		return f
	}, gMaybe(sparse(0.4), gPick(wideRich...))}
	k[widePicklist] = wideKind{[]string{"Status", "Tier"}, func(n, l string) *Field { return fPick(n, l, somePicklist...) },
		gMaybe(sparse(0.3), gPick(somePicklist...))}
	k[wideMulti] = wideKind{[]string{"Regions", "Channels"}, func(n, l string) *Field { return fMulti(n, l, someMulti...) }, func(c *gctx) any {
		if c.r.chance(0.3) {
			return nil
		}
		var vs []string
		for _, v := range someMulti {
			if c.r.chance(0.35) {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return someMulti[c.r.intn(len(someMulti))]
		}
		return strings.Join(vs, ";")
	}}
	k[wideEmail] = wideKind{[]string{"Email", "ContactEmail"}, fEmail, gMaybe(sparse(0.3), func(c *gctx) any {
		return emailFor(c, c.r.pick(firstNames), c.r.pick(lastNames))
	})}
	k[widePhone] = wideKind{[]string{"Phone", "Hotline"}, fPhone, gPhone}
	k[wideURL] = wideKind{[]string{"Website", "PortalLink"}, func(n, l string) *Field { return fURL(n, l, 255) }, gMaybe(sparse(0.4), gPick(wideURLs...))}
	k[wideCheckbox] = wideKind{[]string{"Approved", "Flag"}, func(n, l string) *Field { return fBool(n, l).dflt() }, gBool(0.4)}
	k[wideNumber] = wideKind{[]string{"Score", "Rating"}, func(n, l string) *Field { return fDouble(n, l, 18, 2) }, gMaybe(sparse(0.2), func(c *gctx) any {
		return float64(c.r.intn(2_000_000_00)-1_000_000_00) / 100
	})}
	k[wideNumber0] = wideKind{[]string{"Count", "Units"}, func(n, l string) *Field { return fDouble(n, l, 18, 0) }, gMaybe(sparse(0.2), func(c *gctx) any {
		return float64(c.r.intn(1_000_000))
	})}
	k[wideCurrency] = wideKind{[]string{"Amount", "Budget"}, func(n, l string) *Field { return fCurrency(n, l, 18, 2) }, gMaybe(sparse(0.2), func(c *gctx) any {
		return money(c, 10_000_000, true)
	})}
	k[widePercent] = wideKind{[]string{"Rate", "Share"}, func(n, l string) *Field { return fPercent(n, l, 5, 2) }, gMaybe(sparse(0.2), func(c *gctx) any {
		return float64(c.r.intn(20001)-10000) / 100
	})}
	k[wideDate] = wideKind{[]string{"Date", "Deadline"}, fDate, gMaybe(sparse(0.2), func(c *gctx) any {
		if c.r.chance(0.02) {
			return c.r.pick2([]time.Time{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(4000, 12, 31, 0, 0, 0, 0, time.UTC)})
		}
		return c.day(c.r.between(-3000, 1000))
	})}
	k[wideDateTime] = wideKind{[]string{"Timestamp", "SyncedAt"}, fDateTime, gMaybe(sparse(0.2), func(c *gctx) any {
		return c.before(5 * 365 * 24 * time.Hour)
	})}
	k[wideTime] = wideKind{[]string{"Time", "Cutoff"}, fTime, gMaybe(sparse(0.2), func(c *gctx) any {
		return time.Duration(c.r.intn(86_400_000)) * time.Millisecond
	})}
	k[wideEncrypted] = wideKind{[]string{"TaxNumber", "Secret"}, func(n, l string) *Field {
		f := fStr(n, l, 175)
		f.Type = "encryptedstring"
		f.Filterable, f.Sortable, f.Groupable = false, false, false
		return f
	}, gMaybe(sparse(0.3), func(c *gctx) any {
		if c.r.chance(0.2) {
			return truncRunes(c.r.pick(nastyText), 175)
		}
		return c.r.pick([]string{"DE", "FR", "GB", "US"}) + pad(c.r.intn(1_000_000_000), 9)
	})}
	return k
}

// wideName makes the name of wide field k (0-based) of an object: two or three words picked by
// the object and k, the kind's word, and k+1, so that names are unique, 20 to 35 characters
// long, and differ between objects.
func wideName(object string, k int, word string) (base, label string) {
	h := hash3(hashString(object), uint64(k), 0x77)
	p := widePrefixes[h%uint64(len(widePrefixes))]
	t := wideTopics[(h>>16)%uint64(len(wideTopics))]
	num := pad(k+1, 3)
	if len(p)+len(t)+len(word)+len(num)+len("__c") > 35 {
		return t + word + num, t + " " + spaceWords(word) + " " + num
	}
	return p + t + word + num, p + " " + t + " " + spaceWords(word) + " " + num
}

// spaceWords turns "ContactEmail" into "Contact Email".
func spaceWords(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wideFill is the share of records that use a given wide field at all: orgs that grew for years
// fill a fraction of their hundreds of custom fields on any one record (and a row of 800 filled
// fields would not even fit a Postgres table's 8 kB row).
const wideFill = 0.5

// sparse turns a field type's share of nulls into the share for a wide field: null where the
// record does not use the field, and where it does, as often as the type is.
func sparse(pNull float64) float64 { return 1 - (1-pNull)*wideFill }

// wideRand gives a wide field's generator its own random stream, so that its values depend only
// on the seed, the record and the field, not on the fields before it.
func wideRand(k int, g genFn) genFn {
	return func(c *gctx) any {
		saved := c.r
		c.r = newRng(hash3(c.t.salt, uint64(c.i), 0x3<<32|uint64(k)))
		v := g(c)
		c.r = saved
		return v
	}
}

// addWide appends n wide custom fields to an object's schema and their formulas to d.
func addWide(d *objDef, n int) {
	kinds := wideKindTable()
	if d.formulas == nil {
		d.formulas = map[string]func(*Record) any{}
	}
	var cycle [wideKinds]string // names of the current cycle's fields, by kind
	for k := range n {
		kind, round := k%wideKinds, k/wideKinds
		switch kind {
		case wideLookup:
			to, word := "Account", "Account"
			if round%2 == 1 {
				to, word = "User", "Manager"
			}
			base, label := wideName(d.obj.Name, k, word)
			d.schema.add(fRef(base+"__c", label, base+"__r", to), wideRand(k, gMaybe(sparse(0.3), gRef(to))))
		case wideGeolocation:
			base, label := wideName(d.obj.Name, k, []string{"Location", "Site"}[round%2])
			lat, lon := base+"__Latitude__s", base+"__Longitude__s"
			latF, lonF := fDouble(lat, label+" (Latitude)", 10, 7).part(base+"__c"), fDouble(lon, label+" (Longitude)", 11, 7).part(base+"__c")
			latF.Custom, lonF.Custom = true, true // __s parts of a custom field are custom
			d.schema.add(latF, wideRand(k, gMaybe(sparse(0.4), func(c *gctx) any {
				return float64(c.r.intn(1_800_000_000)-900_000_000) / 1e7
			})))
			d.schema.add(lonF, wideRand(k, func(c *gctx) any {
				if c.get(lat) == nil {
					return nil
				}
				return float64(c.r.intn(3_600_000_000)-1_800_000_000) / 1e7
			}))
			d.schema.add(fLocation(base+"__c", label), nil)
		case wideFormula:
			if round%2 == 0 {
				base, label := wideName(d.obj.Name, k, "Index")
				num := cycle[wideNumber]
				d.schema.add(fDouble(base+"__c", label, 18, 2).formula(num+" * 1.1"), nil)
				d.formulas[base+"__c"] = func(r *Record) any { return mulDiv(r.Get(num), 1.1, 1, 2) }
			} else {
				base, label := wideName(d.obj.Name, k, "Caption")
				pick, txt := cycle[widePicklist], cycle[wideText]
				d.schema.add(fStr(base+"__c", label, 1300).formula(`TEXT(`+pick+`) & " / " & `+txt), nil)
				d.formulas[base+"__c"] = func(r *Record) any {
					p, _ := r.Get(pick).(string)
					t, _ := r.Get(txt).(string)
					return p + " / " + t
				}
			}
		default:
			kd := kinds[kind]
			base, label := wideName(d.obj.Name, k, kd.words[round%len(kd.words)])
			cycle[kind] = base + "__c"
			d.schema.add(kd.field(base+"__c", label), wideRand(k, kd.gen))
		}
	}
}

// KnownObject returns the canonical name of an object of the org (any case), whether or not an
// org was built, for validating configuration; wholeOrg says whether the org has the objects of
// Config.WholeOrg.
func KnownObject(name string, wholeOrg bool) (string, bool) {
	for obj := range DefaultCounts() {
		if strings.EqualFold(obj, name) {
			return obj, true
		}
	}
	if wholeOrg {
		for _, obj := range wholeOrgNames {
			if strings.EqualFold(obj, name) {
				return obj, true
			}
		}
	}
	return "", false
}

// wideCount finds an object's entry in Config.Wide, case-insensitively; given is false when
// there is none.
func wideCount(wide map[string]int, object string) (n int, given bool) {
	if n, ok := wide[object]; ok {
		return n, true
	}
	for k, n := range wide {
		if strings.EqualFold(k, object) {
			return n, true
		}
	}
	return 0, false
}

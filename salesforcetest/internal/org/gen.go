package org

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// gctx is the state of one record being generated.
type gctx struct {
	o    *Org
	t    *table
	i    int
	r    rng
	vals []any

	created, lastmod, stamp time.Time

	pl *place // the place of the address being generated (components follow their Street)
}

// get returns an already generated value of the record (fields are generated in describe order).
func (c *gctx) get(name string) any {
	if k, ok := c.t.obj.index(name); ok {
		return c.vals[k]
	}
	return nil
}

func (c *gctx) str(name string) string {
	s, _ := c.get(name).(string)
	return s
}

// refIndex picks a record index of another object, or -1 when it has none.
func (c *gctx) refIndex(object string) int {
	t := c.o.lookup(object)
	if t == nil || t.n == 0 {
		return -1
	}
	return c.r.intn(t.n)
}

// ref returns the Id of a random existing record of object, or nil when it has none.
func (c *gctx) ref(object string) any {
	j := c.refIndex(object)
	if j < 0 {
		return nil
	}
	return c.o.idAny(c.o.lookup(object), j)
}

// refAt returns the Id of record j of object (j must exist).
func (c *gctx) refAt(object string, j int) any {
	t := c.o.lookup(object)
	if t == nil || j < 0 || j >= t.n {
		return nil
	}
	return c.o.idAny(t, j)
}

// user returns a random active user's Id (record owners, creators).
func (c *gctx) user() any { return c.ref("User") }

// day returns midnight UTC of a date offset days from Base.
func (c *gctx) day(offset int) time.Time {
	b := c.o.base
	return time.Date(b.Year(), b.Month(), b.Day()+offset, 0, 0, 0, 0, time.UTC)
}

// before returns a datetime up to maxBack before the record's stamp.
func (c *gctx) before(maxBack time.Duration) time.Time {
	ms := int64(maxBack / time.Millisecond)
	return c.stamp.Add(-time.Duration(c.r.intn(int(ms))) * time.Millisecond)
}

// generate builds base record i of t; o.mu must be held (for reading).
func (o *Org) generate(t *table, i int) *Record {
	obj := t.obj
	vals := make([]any, len(obj.Fields))
	c := &gctx{o: o, t: t, i: i, vals: vals, r: newRng(hash3(t.salt, uint64(i), 0x1))}
	c.stamp = t.stampOf(i)
	c.created, c.lastmod = c.stamp, c.stamp
	tr := newRng(hash3(t.salt, uint64(i), 0x2))
	if !tr.chance(0.4) {
		// Not created by the import that stamped it: created earlier, maybe edited since.
		back := int64(c.stamp.Sub(t.start) / time.Millisecond)
		if limit := int64(400 * 24 * time.Hour / time.Millisecond); back > limit {
			back = limit
		}
		if back > 0 {
			c.created = c.stamp.Add(-time.Duration(int64(tr.u64()%uint64(back))) * time.Millisecond)
			c.lastmod = c.stamp
			if tr.chance(0.5) {
				span := int64(c.stamp.Sub(c.created) / time.Millisecond)
				c.lastmod = c.created.Add(time.Duration(int64(tr.u64()%uint64(span+1))) * time.Millisecond)
			}
		}
	}
	for k, d := range t.defs {
		if d.gen != nil {
			vals[k] = d.gen(c)
		}
	}
	r := &Record{obj: obj, vals: vals}
	for k := len(t.defs); k < len(vals); k++ {
		if fn := t.added[k]; fn != nil {
			vals[k] = fn(r)
		}
	}
	t.applyFormulas(r)
	return r
}

// Generators shared by many objects.

func gID(c *gctx) any          { return c.o.idOf(c.t, c.i) }
func gFalse(*gctx) any         { return false }
func gCreated(c *gctx) any     { return c.created }
func gLastMod(c *gctx) any     { return c.lastmod }
func gStamp(c *gctx) any       { return c.stamp }
func gUser(c *gctx) any        { return c.user() }
func gNil(*gctx) any           { return nil }
func gPhone(c *gctx) any       { return phone(c) }
func gBool(p float64) genFn    { return func(c *gctx) any { return c.r.chance(p) } }
func gRef(object string) genFn { return func(c *gctx) any { return c.ref(object) } }
func gConst(v any) genFn       { return func(*gctx) any { return v } }
func gPick(vs ...string) genFn { return func(c *gctx) any { return c.r.pick(vs) } }

// gMaybe returns null with probability pNull, else g's value.
func gMaybe(pNull float64, g genFn) genFn {
	return func(c *gctx) any {
		if c.r.chance(pNull) {
			return nil
		}
		return g(c)
	}
}

// gViewed is LastViewedDate/LastReferencedDate: mostly null, else between the last change and
// Base (viewing a record does not change its SystemModstamp).
func gViewed(c *gctx) any {
	if c.r.chance(0.7) {
		return nil
	}
	room := int64(c.o.base.Sub(c.stamp) / time.Millisecond)
	if limit := int64(30 * 24 * time.Hour / time.Millisecond); room > limit {
		room = limit
	}
	if room <= 0 {
		return c.stamp
	}
	return c.stamp.Add(time.Duration(int64(c.r.u64()%uint64(room))) * time.Millisecond)
}

// gActivityDate is LastActivityDate.
func gActivityDate(c *gctx) any {
	if c.r.chance(0.5) {
		return nil
	}
	return c.day(-c.r.intn(700))
}

func gDateRange(from, to int) genFn {
	return func(c *gctx) any { return c.day(c.r.between(from, to)) }
}

// money returns an amount with two decimals; a few are huge values that float64 cannot hold
// exactly, kept as json.Number.
func money(c *gctx, max int, allowHuge bool) any {
	switch {
	case allowHuge && c.r.chance(0.02):
		return json.Number(hugeAmounts[c.r.intn(len(hugeAmounts))])
	case c.r.chance(0.3):
		return float64(c.r.intn(max/100+1) * 100) // whole amounts, rendered like 400 or 400.0
	default:
		return float64(c.r.intn(max*100)) / 100
	}
}

var hugeAmounts = []string{"9999999999999999.99", "1234567890123456.78", "-9999999999999999.99", "4503599627370497.01"}

func phone(c *gctx) any {
	if c.r.chance(0.1) {
		return nil
	}
	switch c.r.intn(5) {
	case 0:
		return "+44 20 7946 " + pad(c.r.intn(10000), 4)
	case 1:
		return "+49 (0)30 " + pad(c.r.intn(1000000), 6)
	case 2:
		return "+81-3-" + pad(c.r.intn(10000), 4) + "-" + pad(c.r.intn(10000), 4)
	default:
		return "(" + pad(200+c.r.intn(800), 3) + ") 555-" + pad(c.r.intn(10000), 4)
	}
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// emailFor makes a plausible address from a name; non-ASCII letters are dropped as mail systems
// usually do, so addresses stay ASCII.
func emailFor(c *gctx, first, last string) string {
	var b strings.Builder
	for _, s := range []string{first, ".", last} {
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' {
				b.WriteRune(r)
			}
		}
	}
	local := strings.Trim(b.String(), ".")
	if local == "" {
		local = "user"
	}
	return local + strconv.Itoa(c.i) + "@" + c.r.pick(mailDomains)
}

// text returns a sentence; about one in ten is one of the hard cases real data has.
func text(c *gctx) string {
	if c.r.chance(0.1) {
		return c.r.pick(nastyText)
	}
	n := c.r.between(4, 14)
	var b strings.Builder
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.r.pick(words))
	}
	b.WriteByte('.')
	return b.String()
}

// longText returns a text of about n characters, with newlines between paragraphs.
func longText(c *gctx, n int) string {
	var b strings.Builder
	b.Grow(n + 64)
	for b.Len() < n {
		if b.Len() > 0 {
			if c.r.chance(0.2) {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(text(c))
	}
	s := b.String()
	// Cut on a rune boundary so the text stays valid UTF-8.
	for len(s) > n {
		s = s[:n]
		for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 {
			s = s[:len(s)-1]
		}
		if len(s) > 0 && s[len(s)-1] >= 0xC0 {
			s = s[:len(s)-1]
		}
	}
	return s
}

func gDescription(c *gctx) any {
	switch {
	case c.r.chance(0.4):
		return nil
	case c.r.chance(0.01):
		return longText(c, c.r.between(500, 4000))
	default:
		return text(c)
	}
}

var firstNames = []string{
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
	"José", "Zoë", "François", "Björn", "Ángel", "Chloé", "Søren", "Małgorzata", "Renée", "Jürgen",
	"Siobhán", "Nuño", "Ægir", "Даша", "Αλέξης", "太郎", "美咲", "민준", "Priya", "Oluwaseun",
	"Mohammed", "Fatima", "Wei", "Yuki", "Anne-Marie", "Jean-Luc", "D'Andre", "Mary Kate", "Ísold", "Ōta",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"O'Brien", "D'Angelo", "Müller", "Núñez", "Øvergård", "Łukasiewicz", "van der Berg", "de la Cruz",
	"Smith-Jones", "Nguyễn", "Иванов", "Παπαδόπουλος", "山田", "佐藤", "김", "Al-Farsi", "Ó Briain",
	"McDonald", "Straße", "Çelik", "Šimková", "Dvořák", "Kowalski", "Andersson", "Okafor", "Chen", "Lee",
	"Tanaka", "Rossi", "Dubois",
}

var salutations = []string{"Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."}

var companies = []string{
	"Acme, Inc.", "Globex Corporation", "Initech", "Umbrella Corp", "Stark Industries", "Wayne Enterprises",
	"Müller & Söhne GmbH", "Société Générale d'Électricité", "株式会社サンプル", "北京科技有限公司",
	"\"Quoted\" Holdings", "O'Reilly Auto Parts", "Back\\slash Systems", "Tab\tSeparated Ltd",
	"Rocket 🚀 Labs", "Café Olé S.A.", "Nordisk Ærø A/S", "Zürich Versicherungs-AG", "Łódź Logistics",
	"Smith, Jones & Partners, LLP", "United Oil & Gas Corp.", "Edge Communications", "Burlington Textiles",
	"Pyramid Construction", "Dickenson plc", "Grand Hotels & Resorts", "Express Logistics and Transport",
	"University of Arizona", "GenePoint", "sForce", "Hooli", "Vandelay Industries", "Soylent Corp",
	"Cyberdyne Systems", "Tyrell Corporation", "Oceanic Airlines", "Blue Sun", "Wonka Industries",
}

var companySuffix = []string{"", "", " Group", " Holdings", " International", " Labs", " & Co.", " (EMEA)"}

var words = []string{
	"customer", "renewal", "pipeline", "quarterly", "review", "contract", "pricing", "discount",
	"meeting", "follow-up", "proposal", "budget", "approval", "integration", "onboarding", "support",
	"escalation", "forecast", "upsell", "license", "partner", "demo", "install", "migration",
	"the", "a", "with", "for", "and", "next", "week", "asap", "call", "email", "deal", "signed",
	"naïve", "résumé", "façade", "über", "smörgåsbord", "日本語", "中文", "한국어", "✓", "€100",
}

var nastyText = []string{
	"", // empty string, distinct from null
	"O'Brien said \"hello\"",
	"comma, separated, values",
	"tab\tseparated\tvalues",
	"line one\nline two\nline three",
	"windows\r\nline endings",
	`back\slash \n not a newline \\ double`,
	"emoji 🎉🚀 and flags 🇯🇵🇩🇪",
	"日本語のテキスト、句読点。",
	"中文文本，标点符号。",
	"Ελληνικά και русский текст",
	"  leading and trailing spaces  ",
	"semicolon; pipe | caret ^ tilde ~",
	"<b>html</b> &amp; entities",
	"NULL",
	"null",
	"'single' and \"double\" and `back` quotes",
	"zero\u200bwidth space and nbsp\u00a0here",
	"'; DROP TABLE accounts; --",
	"{\"json\": [1, 2, 3]}",
	"0001234",
	"1e10",
	"Straße ß ẞ İstanbul ı",
}

var mailDomains = []string{"example.com", "example.org", "acme.test", "mail.example.co.uk", "exämple.de"}

var streets = []string{
	"1 Market St", "100 Main Street", "221B Baker Street", "Hauptstraße 5", "10 Downing St",
	"1600 Amphitheatre Pkwy\nBuilding 40", "350 Fifth Avenue\nSuite 7100\nAttn: \"Receiving\"",
	"Rue de l'Église 12", "千代田区丸の内1-1", "Av. Paulista, 1578", "P.O. Box 42",
}

// places are consistent city/state/country tuples: city, state, state code, postal code,
// country, country code, latitude, longitude.
type place struct {
	city, state, stateCode, postal, country, countryCode string
	lat, lon                                             float64
}

var places = []place{
	{"San Francisco", "California", "CA", "94105", "United States", "US", 37.7897, -122.3972},
	{"New York", "New York", "NY", "10001", "United States", "US", 40.7506, -73.9972},
	{"Austin", "Texas", "TX", "78701", "United States", "US", 30.2711, -97.7437},
	{"Chicago", "Illinois", "IL", "60601", "United States", "US", 41.8858, -87.6181},
	{"Toronto", "Ontario", "ON", "M5V 2T6", "Canada", "CA", 43.6426, -79.3871},
	{"London", "", "", "SW1A 2AA", "United Kingdom", "GB", 51.5034, -0.1276},
	{"Berlin", "", "", "10117", "Germany", "DE", 52.5163, 13.3777},
	{"Paris", "", "", "75008", "France", "FR", 48.8738, 2.2950},
	{"Tokyo", "Tokyo", "13", "100-0005", "Japan", "JP", 35.6812, 139.7671},
	{"São Paulo", "São Paulo", "SP", "01310-200", "Brazil", "BR", -23.5614, -46.6559},
	{"Sydney", "New South Wales", "NSW", "2000", "Australia", "AU", -33.8568, 151.2153},
	{"Zürich", "", "", "8001", "Switzerland", "CH", 47.3769, 8.5417},
}

var geoAccuracy = []string{"Address", "NearAddress", "Block", "Street", "ExtendedZip", "Zip", "Neighborhood", "City", "County", "State", "Unknown"}

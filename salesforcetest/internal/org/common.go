package org

import (
	"strconv"
	"strings"
)

// objDef is one object's describe with its generators and formulas.
type objDef struct {
	obj      *Object
	schema   *schema
	formulas map[string]func(*Record) any

	// Whole-org objects (wholeorg.go) only.
	hardDelete    bool         // without IsDeleted, the object has no recycle bin: Delete is for good
	wide          int          // extra custom fields when Config.Wide does not name the object
	noRecords     bool         // events: never any records, whatever the counts say
	changeEventOf string       // a change event copies this object's fields (schema set by New)
	restriction   *Restriction // how queries of the object are refused
}

func newObject(name, label, plural, prefix string) *Object {
	return &Object{
		Name: name, Label: label, LabelPlural: plural, KeyPrefix: prefix,
		Custom:    strings.HasSuffix(name, "__c"),
		Queryable: true, Replicateable: true, Retrieveable: true, Searchable: true,
		Createable: true, Updateable: true, Deletable: true, Layoutable: true, Triggerable: true,
	}
}

// pick adds a picklist field whose values are drawn from its own picklist, null with pNull.
func (s *schema) pick(name, label string, pNull float64, values ...string) {
	s.add(fPick(name, label, values...), gMaybe(pNull, gPick(values...)))
}

func (s *schema) id() { s.add(fID(), gID) }

func (s *schema) isDeleted() { s.add(fBool("IsDeleted", "Deleted").ro(), gFalse) }

func (s *schema) owner(to ...string) {
	if len(to) == 0 {
		to = []string{"User"}
	}
	s.add(fRef("OwnerId", "Owner ID", "Owner", to...).req().dflt(), gUser)
}

// audit adds the five system audit fields every replicable object has.
func (s *schema) audit() {
	s.add(fDateTime("CreatedDate", "Created Date").ro().req().dflt(), gCreated)
	s.add(fRef("CreatedById", "Created By ID", "CreatedBy", "User").ro().req().dflt(), gUser)
	s.lastModified()
}

// lastModified adds LastModifiedDate, LastModifiedById and SystemModstamp.
func (s *schema) lastModified() {
	s.add(fDateTime("LastModifiedDate", "Last Modified Date").ro().req().dflt(), gLastMod)
	s.add(fRef("LastModifiedById", "Last Modified By ID", "LastModifiedBy", "User").ro().req().dflt(), gUser)
	s.add(fDateTime("SystemModstamp", "System Modstamp").ro().req().dflt(), gStamp)
}

func (s *schema) viewed() {
	s.add(fDateTime("LastViewedDate", "Last Viewed Date").ro(), gViewed)
	s.add(fDateTime("LastReferencedDate", "Last Referenced Date").ro(), gViewed)
}

// personName adds the Name compound (Salutation, FirstName, LastName, Name) in describe order.
func (s *schema) personName() {
	s.add(fStr("LastName", "Last Name", 80).part("Name").req(), func(c *gctx) any { return c.r.pick(lastNames) })
	s.add(fStr("FirstName", "First Name", 40).part("Name"), gMaybe(0.05, func(c *gctx) any { return c.r.pick(firstNames) }))
	s.add(fPick("Salutation", "Salutation", salutations...).part("Name"), gMaybe(0.4, gPick(salutations...)))
	s.add(fStr("Name", "Full Name", 121).ro().name(), func(c *gctx) any { return fullName(c.get("FirstName"), c.str("LastName")) })
}

func fullName(first any, last string) string {
	if f, ok := first.(string); ok && f != "" {
		return f + " " + last
	}
	return last
}

// address adds the components of an address compound and the compound itself. prefix is
// "Billing", "Mailing"... or "" (Lead, User), whose compound is just "Address".
func (s *schema) address(prefix, label string, pNull float64) {
	compound := prefix + "Address"
	lbl := func(x string) string { return strings.TrimSpace(label + " " + x) }
	s.add(fArea(prefix+"Street", lbl("Street"), 255).part(compound), func(c *gctx) any {
		if c.r.chance(pNull) {
			c.pl = nil
			return nil
		}
		c.pl = &places[c.r.intn(len(places))]
		return c.r.pick(streets)
	})
	comp := func(name string, f *Field, get func(c *gctx, p *place) any) {
		s.add(f.part(compound), func(c *gctx) any {
			if c.pl == nil {
				return nil
			}
			return get(c, c.pl)
		})
	}
	nz := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	comp("City", fStr(prefix+"City", lbl("City"), 40), func(_ *gctx, p *place) any { return p.city })
	comp("State", fStr(prefix+"State", lbl("State/Province"), 80), func(_ *gctx, p *place) any { return nz(p.state) })
	comp("PostalCode", fStr(prefix+"PostalCode", lbl("Zip/Postal Code"), 20), func(_ *gctx, p *place) any { return p.postal })
	comp("Country", fStr(prefix+"Country", lbl("Country"), 80), func(_ *gctx, p *place) any { return p.country })
	comp("StateCode", fPick(prefix+"StateCode", lbl("State Code"), stateCodes...), func(_ *gctx, p *place) any { return nz(p.stateCode) })
	comp("CountryCode", fPick(prefix+"CountryCode", lbl("Country Code"), countryCodes...), func(_ *gctx, p *place) any { return p.countryCode })
	comp("Latitude", fDouble(prefix+"Latitude", lbl("Latitude"), 18, 15), func(c *gctx, p *place) any {
		if c.r.chance(0.2) {
			return nil
		}
		return p.lat + float64(c.r.intn(2000)-1000)/100000
	})
	comp("Longitude", fDouble(prefix+"Longitude", lbl("Longitude"), 18, 15), func(c *gctx, p *place) any {
		if c.get(prefix+"Latitude") == nil {
			return nil
		}
		return p.lon + float64(c.r.intn(2000)-1000)/100000
	})
	comp("GeocodeAccuracy", fPick(prefix+"GeocodeAccuracy", lbl("Geocode Accuracy"), geoAccuracy...), func(c *gctx, p *place) any {
		if c.get(prefix+"Latitude") == nil {
			return nil
		}
		return c.r.pick(geoAccuracy)
	})
	s.add(fAddress(compound, strings.TrimSpace(label+" Address")), nil)
}

var stateCodes = []string{"CA", "NY", "TX", "IL", "ON", "13", "SP", "NSW"}

var countryCodes = []string{"US", "CA", "GB", "DE", "FR", "JP", "BR", "AU", "CH"}

// codeOf formats a code such as an account number.
func codeOf(prefix string, n int) string { return prefix + strconv.Itoa(n) }

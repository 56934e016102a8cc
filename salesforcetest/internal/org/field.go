package org

import "strings"

// genFn produces one base field value of the record being generated.
type genFn func(c *gctx) any

// fieldDef pairs a describe field with the generator of its base values. A nil gen means the
// field has no stored value (calculated fields, compound parents) or is always null.
type fieldDef struct {
	f   *Field
	gen genFn
}

// schema collects an object's fields in describe order.
type schema struct{ defs []fieldDef }

func (s *schema) add(f *Field, gen genFn) { s.defs = append(s.defs, fieldDef{f: f, gen: gen}) }

// base returns a field with the flags most editable fields share; the constructors below adjust it.
func base(name, label, typ, soap string) *Field {
	return &Field{
		Name: name, Label: label, Type: typ, SoapType: soap,
		Nillable: true, Filterable: true, Sortable: true, Groupable: true,
		Createable: true, Updateable: true,
		Custom: strings.HasSuffix(name, "__c"),
	}
}

func fID() *Field {
	f := base("Id", "Record ID", "id", "tns:ID")
	f.Length, f.ByteLength = 18, 18
	f.Nillable, f.Createable, f.Updateable = false, false, false
	f.IDLookup, f.DefaultedOnCreate = true, true
	return f
}

func fRef(name, label, rel string, to ...string) *Field {
	f := base(name, label, "reference", "tns:ID")
	f.Length, f.ByteLength = 18, 18
	f.RelationshipName = rel
	f.ReferenceTo = to
	return f
}

func fStr(name, label string, n int) *Field {
	f := base(name, label, "string", "xsd:string")
	f.Length, f.ByteLength = n, 3*n
	return f
}

func fArea(name, label string, n int) *Field {
	f := base(name, label, "textarea", "xsd:string")
	f.Length, f.ByteLength = n, 3*n
	if n > 255 {
		// Long text areas can be neither filtered, sorted nor grouped in SOQL.
		f.Filterable, f.Sortable, f.Groupable = false, false, false
	}
	return f
}

func fEmail(name, label string) *Field {
	f := fStr(name, label, 80)
	f.Type = "email"
	return f
}

func fPhone(name, label string) *Field {
	f := fStr(name, label, 40)
	f.Type = "phone"
	return f
}

func fURL(name, label string, n int) *Field {
	f := fStr(name, label, n)
	f.Type = "url"
	return f
}

func fPick(name, label string, values ...string) *Field {
	f := fStr(name, label, 255)
	f.Type = "picklist"
	f.PicklistValues = values
	return f
}

func fCombo(name, label string, values ...string) *Field {
	f := fPick(name, label, values...)
	f.Type = "combobox"
	return f
}

func fMulti(name, label string, values ...string) *Field {
	f := fStr(name, label, 4099)
	f.Type = "multipicklist"
	f.PicklistValues = values
	f.Sortable, f.Groupable = false, false
	return f
}

func fBool(name, label string) *Field {
	f := base(name, label, "boolean", "xsd:boolean")
	f.Nillable = false
	f.DefaultedOnCreate = true
	return f
}

func fInt(name, label string, digits int) *Field {
	f := base(name, label, "int", "xsd:int")
	f.Digits = digits
	return f
}

func fDouble(name, label string, precision, scale int) *Field {
	f := base(name, label, "double", "xsd:double")
	f.Precision, f.Scale = precision, scale
	f.Groupable = false
	return f
}

func fCurrency(name, label string, precision, scale int) *Field {
	f := fDouble(name, label, precision, scale)
	f.Type = "currency"
	return f
}

func fPercent(name, label string, precision, scale int) *Field {
	f := fDouble(name, label, precision, scale)
	f.Type = "percent"
	return f
}

func fDate(name, label string) *Field { return base(name, label, "date", "xsd:date") }

func fDateTime(name, label string) *Field {
	f := base(name, label, "datetime", "xsd:dateTime")
	f.Groupable = false
	return f
}

func fTime(name, label string) *Field {
	f := base(name, label, "time", "xsd:time")
	f.Groupable = false
	return f
}

func fAddress(name, label string) *Field {
	f := base(name, label, "address", "urn:address")
	f.Createable, f.Updateable = false, false
	f.Sortable, f.Groupable = false, false
	return f
}

func fLocation(name, label string) *Field {
	f := base(name, label, "location", "urn:location")
	f.Sortable, f.Groupable = false, false
	return f
}

// ro marks a field the API cannot write (system and derived fields).
func (f *Field) ro() *Field {
	f.Createable, f.Updateable = false, false
	return f
}

// fixed marks a field set when a record is created and never changed after.
func (f *Field) fixed() *Field {
	f.Updateable = false
	return f
}

// req marks a field that may not be null.
func (f *Field) req() *Field {
	f.Nillable = false
	return f
}

// dflt marks a field that gets a value on create when none is given.
func (f *Field) dflt() *Field {
	f.DefaultedOnCreate = true
	return f
}

// part names the compound field the field is a component of.
func (f *Field) part(compound string) *Field {
	f.CompoundFieldName = compound
	return f
}

// name marks the object's name field.
func (f *Field) name() *Field {
	f.NameField = true
	f.IDLookup = true
	return f
}

// formula turns the field into a calculated (formula) field.
func (f *Field) formula(expr string) *Field {
	f.Calculated = true
	f.CalculatedFormula = expr
	f.Createable, f.Updateable = false, false
	return f
}

// ext marks an external id.
func (f *Field) ext() *Field {
	f.ExternalID, f.Unique, f.IDLookup = true, true, true
	return f
}

// fAny is an anyType field (the OldValue and NewValue of field history): its values keep the
// type of the field they come from; it can be neither filtered, sorted nor grouped.
func fAny(name, label string) *Field {
	f := base(name, label, "anyType", "xsd:anyType")
	f.Length, f.ByteLength = 255, 765
	f.Filterable, f.Sortable, f.Groupable = false, false, false
	return f
}

// fBase64 is a file body (base64): not filterable, sortable or groupable.
func fBase64(name, label string) *Field {
	f := base(name, label, "base64", "xsd:base64Binary")
	f.Filterable, f.Sortable, f.Groupable = false, false, false
	return f
}

// fComplex is a change event's ChangeEventHeader: a structured value, never filtered.
func fComplex(name, label, soap string) *Field {
	f := base(name, label, "ComplexValue", soap)
	f.Filterable, f.Sortable, f.Groupable = false, false, false
	f.Nillable = false
	return f
}

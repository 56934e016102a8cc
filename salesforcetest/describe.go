package salesforcetest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
)

// fieldJSON is one describe field with every key a v62 org sends, in Salesforce's (alphabetical)
// order. Keys that the emulated metadata does not model carry the value a plain field has.
type fieldJSON struct {
	Aggregatable                 bool            `json:"aggregatable"`
	AIPredictionField            bool            `json:"aiPredictionField"`
	AutoNumber                   bool            `json:"autoNumber"`
	ByteLength                   int             `json:"byteLength"`
	Calculated                   bool            `json:"calculated"`
	CalculatedFormula            *string         `json:"calculatedFormula"`
	CascadeDelete                bool            `json:"cascadeDelete"`
	CaseSensitive                bool            `json:"caseSensitive"`
	CompoundFieldName            *string         `json:"compoundFieldName"`
	ControllerName               *string         `json:"controllerName"`
	Createable                   bool            `json:"createable"`
	Custom                       bool            `json:"custom"`
	DefaultValue                 any             `json:"defaultValue"`
	DefaultValueFormula          *string         `json:"defaultValueFormula"`
	DefaultedOnCreate            bool            `json:"defaultedOnCreate"`
	DependentPicklist            bool            `json:"dependentPicklist"`
	DeprecatedAndHidden          bool            `json:"deprecatedAndHidden"`
	Digits                       int             `json:"digits"`
	DisplayLocationInDecimal     bool            `json:"displayLocationInDecimal"`
	Encrypted                    bool            `json:"encrypted"`
	ExternalID                   bool            `json:"externalId"`
	ExtraTypeInfo                *string         `json:"extraTypeInfo"`
	Filterable                   bool            `json:"filterable"`
	FilteredLookupInfo           any             `json:"filteredLookupInfo"`
	FormulaTreatNullNumberAsZero bool            `json:"formulaTreatNullNumberAsZero"`
	Groupable                    bool            `json:"groupable"`
	HighScaleNumber              bool            `json:"highScaleNumber"`
	HTMLFormatted                bool            `json:"htmlFormatted"`
	IDLookup                     bool            `json:"idLookup"`
	InlineHelpText               *string         `json:"inlineHelpText"`
	Label                        string          `json:"label"`
	Length                       int             `json:"length"`
	Mask                         *string         `json:"mask"`
	MaskType                     *string         `json:"maskType"`
	Name                         string          `json:"name"`
	NameField                    bool            `json:"nameField"`
	NamePointing                 bool            `json:"namePointing"`
	Nillable                     bool            `json:"nillable"`
	Permissionable               bool            `json:"permissionable"`
	PicklistValues               []picklistValue `json:"picklistValues"`
	PolymorphicForeignKey        bool            `json:"polymorphicForeignKey"`
	Precision                    int             `json:"precision"`
	QueryByDistance              bool            `json:"queryByDistance"`
	ReferenceTargetField         *string         `json:"referenceTargetField"`
	ReferenceTo                  []string        `json:"referenceTo"`
	RelationshipName             *string         `json:"relationshipName"`
	RelationshipOrder            *int            `json:"relationshipOrder"`
	RestrictedDelete             bool            `json:"restrictedDelete"`
	RestrictedPicklist           bool            `json:"restrictedPicklist"`
	Scale                        int             `json:"scale"`
	SearchPrefilterable          bool            `json:"searchPrefilterable"`
	SoapType                     string          `json:"soapType"`
	Sortable                     bool            `json:"sortable"`
	Type                         string          `json:"type"`
	Unique                       bool            `json:"unique"`
	Updateable                   bool            `json:"updateable"`
	WriteRequiresMasterRead      bool            `json:"writeRequiresMasterRead"`
}

type picklistValue struct {
	Active       bool    `json:"active"`
	DefaultValue bool    `json:"defaultValue"`
	Label        string  `json:"label"`
	ValidFor     *string `json:"validFor"`
	Value        string  `json:"value"`
}

func strOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// soapTypes maps a describe type to its soapType when the metadata leaves it empty.
var soapTypes = map[string]string{
	"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int", "long": "xsd:long",
	"double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double", "date": "xsd:date",
	"datetime": "xsd:dateTime", "time": "xsd:time", "base64": "xsd:base64Binary", "anyType": "xsd:anyType",
	"address": "urn:address", "location": "urn:location", "json": "urn:JsonNode",
}

func renderField(f *org.Field) fieldJSON {
	soap := f.SoapType
	if soap == "" {
		soap = soapTypes[f.Type]
		if soap == "" {
			soap = "xsd:string"
		}
	}
	var extra *string
	switch f.Type {
	case "textarea":
		if f.HTMLFormatted {
			extra = strOrNull("richtextarea")
		} else {
			extra = strOrNull("plaintextarea")
		}
	case "url":
		if strings.HasSuffix(f.Name, "PhotoUrl") {
			extra = strOrNull("imageurl")
		}
	}
	pv := make([]picklistValue, 0, len(f.PicklistValues))
	for _, v := range f.PicklistValues {
		pv = append(pv, picklistValue{Active: true, Label: v, Value: v})
	}
	ref := f.ReferenceTo
	if ref == nil {
		ref = []string{}
	}
	var formula *string
	if f.Calculated {
		formula = strOrNull(f.CalculatedFormula)
	}
	var relOrder *int
	if f.Type == "reference" && f.Custom && !f.Nillable {
		zero := 0
		relOrder = &zero // a master-detail field
	}
	return fieldJSON{
		Aggregatable:          f.Groupable || isNumericType(f.Type) || f.Type == "date" || f.Type == "datetime",
		ByteLength:            f.ByteLength,
		Calculated:            f.Calculated,
		CalculatedFormula:     formula,
		CompoundFieldName:     strOrNull(f.CompoundFieldName),
		Createable:            f.Createable,
		Custom:                f.Custom,
		DefaultedOnCreate:     f.DefaultedOnCreate,
		Digits:                f.Digits,
		Encrypted:             f.Type == "encryptedstring",
		ExternalID:            f.ExternalID,
		ExtraTypeInfo:         extra,
		Filterable:            f.Filterable,
		Groupable:             f.Groupable,
		HTMLFormatted:         f.HTMLFormatted,
		IDLookup:              f.IDLookup,
		Label:                 f.Label,
		Length:                f.Length,
		Name:                  f.Name,
		NameField:             f.NameField,
		NamePointing:          len(f.ReferenceTo) > 1,
		Nillable:              f.Nillable,
		Permissionable:        f.Nillable && !f.Calculated && f.Type != "id",
		PicklistValues:        pv,
		PolymorphicForeignKey: len(f.ReferenceTo) > 1,
		Precision:             f.Precision,
		QueryByDistance:       f.Type == "location",
		ReferenceTo:           ref,
		RelationshipName:      strOrNull(f.RelationshipName),
		RelationshipOrder:     relOrder,
		Scale:                 f.Scale,
		SoapType:              soap,
		Sortable:              f.Sortable,
		Type:                  f.Type,
		Unique:                f.Unique,
		Updateable:            f.Updateable,
	}
}

func isNumericType(t string) bool {
	switch t {
	case "int", "long", "double", "currency", "percent":
		return true
	}
	return false
}

// describeURLs is an object's urls block, in the order Salesforce writes it.
type describeURLs struct {
	CompactLayouts  string `json:"compactLayouts,omitempty"`
	RowTemplate     string `json:"rowTemplate"`
	ApprovalLayouts string `json:"approvalLayouts,omitempty"`
	UIDetail        string `json:"uiDetailTemplate,omitempty"`
	UIEdit          string `json:"uiEditTemplate,omitempty"`
	Describe        string `json:"describe"`
	UINewRecord     string `json:"uiNewRecord,omitempty"`
	QuickActions    string `json:"quickActions,omitempty"`
	Layouts         string `json:"layouts,omitempty"`
	SObject         string `json:"sobject"`
}

func (s *Server) objectURLs(ver int, o *org.Object, full bool) describeURLs {
	base := fmt.Sprintf("/services/data/v%d.0/sobjects/%s", ver, o.Name)
	u := describeURLs{RowTemplate: base + "/{ID}", Describe: base + "/describe", SObject: base}
	if full {
		u.CompactLayouts = base + "/describe/compactLayouts"
		u.ApprovalLayouts = base + "/describe/approvalLayouts"
		u.UIDetail = s.url + "/{ID}"
		u.UIEdit = s.url + "/{ID}/e"
		if o.KeyPrefix != "" {
			u.UINewRecord = s.url + "/" + o.KeyPrefix + "/e"
		}
		u.QuickActions = base + "/quickActions"
		u.Layouts = base + "/describe/layouts"
	}
	return u
}

// sobjectSummary is one entry of the global describe (and the object part of a full describe).
type sobjectSummary struct {
	Activateable          bool         `json:"activateable"`
	AssociateEntityType   *string      `json:"associateEntityType"`
	AssociateParentEntity *string      `json:"associateParentEntity"`
	Createable            bool         `json:"createable"`
	Custom                bool         `json:"custom"`
	CustomSetting         bool         `json:"customSetting"`
	DeepCloneable         bool         `json:"deepCloneable"`
	Deletable             bool         `json:"deletable"`
	DeprecatedAndHidden   bool         `json:"deprecatedAndHidden"`
	FeedEnabled           bool         `json:"feedEnabled"`
	HasSubtypes           bool         `json:"hasSubtypes"`
	IsInterface           bool         `json:"isInterface"`
	IsSubtype             bool         `json:"isSubtype"`
	KeyPrefix             *string      `json:"keyPrefix"`
	Label                 string       `json:"label"`
	LabelPlural           string       `json:"labelPlural"`
	Layoutable            bool         `json:"layoutable"`
	Mergeable             bool         `json:"mergeable"`
	MruEnabled            bool         `json:"mruEnabled"`
	Name                  string       `json:"name"`
	Queryable             bool         `json:"queryable"`
	Replicateable         bool         `json:"replicateable"`
	Retrieveable          bool         `json:"retrieveable"`
	Searchable            bool         `json:"searchable"`
	Triggerable           bool         `json:"triggerable"`
	Undeletable           bool         `json:"undeletable"`
	Updateable            bool         `json:"updateable"`
	URLs                  describeURLs `json:"urls"`
}

func (s *Server) summary(ver int, o *org.Object) sobjectSummary {
	return sobjectSummary{
		Createable: o.Createable, Custom: o.Custom, Deletable: o.Deletable,
		FeedEnabled: o.Createable && o.Layoutable && !o.Custom, KeyPrefix: strOrNull(o.KeyPrefix),
		Label: o.Label, LabelPlural: o.LabelPlural, Layoutable: o.Layoutable,
		Mergeable: o.Name == "Account" || o.Name == "Contact" || o.Name == "Lead", MruEnabled: o.Createable && o.Layoutable,
		Name: o.Name, Queryable: o.Queryable, Replicateable: o.Replicateable, Retrieveable: o.Retrieveable,
		Searchable: o.Searchable, Triggerable: o.Triggerable, Undeletable: o.Deletable, Updateable: o.Updateable,
		URLs: s.objectURLs(ver, o, false),
	}
}

// notModified answers 304 when If-Modified-Since is not older than last and reports whether it
// did; it always sends Last-Modified.
func notModified(c *reqCtx, last time.Time) bool {
	last = last.UTC().Truncate(time.Second)
	if !last.IsZero() {
		c.w.Header().Set("Last-Modified", last.Format(http.TimeFormat))
	}
	ims := c.r.Header.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil || last.After(t) {
		return false
	}
	c.w.WriteHeader(http.StatusNotModified)
	return true
}

// serveGlobalDescribe answers GET /sobjects.
func (s *Server) serveGlobalDescribe(c *reqCtx) {
	objs := s.org.Objects()
	// Deleting an object changes the list without changing any describe left in it.
	last := s.org.ListModified()
	list := make([]sobjectSummary, 0, len(objs))
	for _, o := range objs {
		if o.LastModified.After(last) {
			last = o.LastModified
		}
		list = append(list, s.summary(c.ver, o))
	}
	if notModified(c, last) {
		return
	}
	writeJSON(c.w, http.StatusOK, struct {
		Encoding     string           `json:"encoding"`
		MaxBatchSize int              `json:"maxBatchSize"`
		SObjects     []sobjectSummary `json:"sobjects"`
	}{"UTF-8", 200, list})
}

type childRelationship struct {
	CascadeDelete       bool     `json:"cascadeDelete"`
	ChildSObject        string   `json:"childSObject"`
	DeprecatedAndHidden bool     `json:"deprecatedAndHidden"`
	Field               string   `json:"field"`
	JunctionIDListNames []string `json:"junctionIdListNames"`
	JunctionReferenceTo []string `json:"junctionReferenceTo"`
	RelationshipName    *string  `json:"relationshipName"`
	RestrictedDelete    bool     `json:"restrictedDelete"`
}

type recordTypeInfo struct {
	Active                   bool              `json:"active"`
	Available                bool              `json:"available"`
	DefaultRecordTypeMapping bool              `json:"defaultRecordTypeMapping"`
	DeveloperName            string            `json:"developerName"`
	Master                   bool              `json:"master"`
	Name                     string            `json:"name"`
	RecordTypeID             string            `json:"recordTypeId"`
	URLs                     map[string]string `json:"urls"`
}

type scope struct {
	Label string `json:"label"`
	Name  string `json:"name"`
}

// serveDescribe answers GET /sobjects/{name}/describe.
func (s *Server) serveDescribe(c *reqCtx) {
	o, ok := s.org.Object(c.params["name"])
	if !ok {
		restError(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if notModified(c, o.LastModified) {
		return
	}
	fields := make([]fieldJSON, 0, len(o.Fields))
	for _, f := range o.Fields {
		fields = append(fields, renderField(f))
	}
	children := []childRelationship{}
	for _, other := range s.org.Objects() {
		for _, f := range other.Fields {
			if f.Type != "reference" || f.RelationshipName == "" {
				continue
			}
			for _, to := range f.ReferenceTo {
				if to != o.Name {
					continue
				}
				rel := strings.ReplaceAll(other.LabelPlural, " ", "")
				if other.Custom {
					rel = strings.TrimSuffix(other.Name, "__c") + "s__r"
				}
				children = append(children, childRelationship{
					CascadeDelete: f.Custom && !f.Nillable, ChildSObject: other.Name, Field: f.Name,
					JunctionIDListNames: []string{}, JunctionReferenceTo: []string{}, RelationshipName: &rel,
				})
			}
		}
	}
	sum := s.summary(c.ver, o)
	rtID := "012000000000000AAA"
	plural := strings.ToLower(o.LabelPlural)
	writeJSON(c.w, http.StatusOK, struct {
		ActionOverrides       []any               `json:"actionOverrides"`
		Activateable          bool                `json:"activateable"`
		AssociateEntityType   *string             `json:"associateEntityType"`
		AssociateParentEntity *string             `json:"associateParentEntity"`
		ChildRelationships    []childRelationship `json:"childRelationships"`
		CompactLayoutable     bool                `json:"compactLayoutable"`
		Createable            bool                `json:"createable"`
		Custom                bool                `json:"custom"`
		CustomSetting         bool                `json:"customSetting"`
		DeepCloneable         bool                `json:"deepCloneable"`
		DefaultImplementation *string             `json:"defaultImplementation"`
		Deletable             bool                `json:"deletable"`
		DeprecatedAndHidden   bool                `json:"deprecatedAndHidden"`
		ExtendedBy            *string             `json:"extendedBy"`
		ExtendsInterfaces     *string             `json:"extendsInterfaces"`
		FeedEnabled           bool                `json:"feedEnabled"`
		Fields                []fieldJSON         `json:"fields"`
		HasSubtypes           bool                `json:"hasSubtypes"`
		ImplementedBy         *string             `json:"implementedBy"`
		ImplementsInterfaces  *string             `json:"implementsInterfaces"`
		IsInterface           bool                `json:"isInterface"`
		IsSubtype             bool                `json:"isSubtype"`
		KeyPrefix             *string             `json:"keyPrefix"`
		Label                 string              `json:"label"`
		LabelPlural           string              `json:"labelPlural"`
		Layoutable            bool                `json:"layoutable"`
		Listviewable          *bool               `json:"listviewable"`
		LookupLayoutable      *bool               `json:"lookupLayoutable"`
		Mergeable             bool                `json:"mergeable"`
		MruEnabled            bool                `json:"mruEnabled"`
		Name                  string              `json:"name"`
		NamedLayoutInfos      []any               `json:"namedLayoutInfos"`
		NetworkScopeFieldName *string             `json:"networkScopeFieldName"`
		Queryable             bool                `json:"queryable"`
		RecordTypeInfos       []recordTypeInfo    `json:"recordTypeInfos"`
		Replicateable         bool                `json:"replicateable"`
		Retrieveable          bool                `json:"retrieveable"`
		SearchLayoutable      bool                `json:"searchLayoutable"`
		Searchable            bool                `json:"searchable"`
		SObjectDescribeOption string              `json:"sobjectDescribeOption"`
		SupportedScopes       []scope             `json:"supportedScopes"`
		Triggerable           bool                `json:"triggerable"`
		Undeletable           bool                `json:"undeletable"`
		Updateable            bool                `json:"updateable"`
		URLs                  describeURLs        `json:"urls"`
	}{
		ActionOverrides: []any{}, ChildRelationships: children, CompactLayoutable: sum.Layoutable,
		Createable: o.Createable, Custom: o.Custom, Deletable: o.Deletable, FeedEnabled: sum.FeedEnabled,
		Fields: fields, KeyPrefix: sum.KeyPrefix, Label: o.Label, LabelPlural: o.LabelPlural,
		Layoutable: sum.Layoutable, Mergeable: sum.Mergeable, MruEnabled: sum.MruEnabled, Name: o.Name,
		NamedLayoutInfos: []any{}, Queryable: o.Queryable,
		RecordTypeInfos: []recordTypeInfo{{
			Active: true, Available: true, DefaultRecordTypeMapping: true, DeveloperName: "Master", Master: true,
			Name: "Master", RecordTypeID: rtID,
			URLs: map[string]string{"layout": fmt.Sprintf("/services/data/v%d.0/sobjects/%s/describe/layouts/%s", c.ver, o.Name, rtID)},
		}},
		Replicateable: o.Replicateable, Retrieveable: o.Retrieveable, SearchLayoutable: o.Searchable,
		Searchable: o.Searchable, SObjectDescribeOption: "FULL",
		SupportedScopes: []scope{{"All " + plural, "everything"}, {"My " + plural, "mine"}},
		Triggerable:     sum.Triggerable, Undeletable: sum.Undeletable, Updateable: o.Updateable,
		URLs: s.objectURLs(c.ver, o, true),
	})
}

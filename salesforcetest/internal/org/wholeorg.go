package org

import (
	"strconv"
	"strings"
	"time"
)

// The whole org (Config.WholeOrg): objects a real enterprise org lists in global describe beside
// the ones dlt's source loads, chosen for what they teach a loader that discovers every object:
//
//   - OpportunityFieldHistory: no SystemModstamp or LastModifiedDate (CreatedDate only), rows
//     never change; new rows appear when opportunities change (history.go).
//   - AccountShare: LastModifiedDate but no SystemModstamp.
//   - Group, GroupMember, RecordType: standard objects without IsDeleted (GroupMember has
//     SystemModstamp only); their deletes are for good, there is no recycle bin.
//   - ContentDocumentLink: queryable, but only with a filter on ContentDocumentId or
//     LinkedEntityId (Restriction.FilterFields).
//   - EventLogFile: listed queryable, but SOQL does not know it (INVALID_TYPE), as for a user
//     without the Event Monitoring permission; SetupAuditTrail: listed queryable, every query
//     answers INSUFFICIENT_ACCESS_OR_READONLY, as for a user without View Setup and Configuration.
//   - Order_Event__e (a platform event) and AccountChangeEvent, OpportunityChangeEvent,
//     Something__ChangeEvent (change data capture): queryable false, never any records.
//   - Legacy_Invoice__x: an external object, served like any object but without audit fields,
//     IsDeleted or any cursor field, and not supported by the Bulk API.
//   - Meter_Reading__c (large), Customer_Profile__c (wide: 500 extra custom fields) and
//     Very_Long_Custom_Object_Name_For_Testing__c (40 characters before __c, Salesforce's
//     maximum, with 40-character field names): custom objects with every system field.

// wholeOrgNames are the objects wholeOrgDefs makes, for validating configuration without
// building them.
var wholeOrgNames = []string{
	"OpportunityFieldHistory", "AccountShare", "Group", "GroupMember", "RecordType",
	"ContentDocumentLink", "EventLogFile", "SetupAuditTrail", "Order_Event__e", "Legacy_Invoice__x",
	"Meter_Reading__c", "Customer_Profile__c", "Very_Long_Custom_Object_Name_For_Testing__c",
	"AccountChangeEvent", "OpportunityChangeEvent", "Something__ChangeEvent",
}

// WholeOrgCounts returns the record counts of the objects Config.WholeOrg adds (events, which
// never have records, are not listed); Config.Counts overrides them like DefaultCounts.
func WholeOrgCounts() map[string]int {
	return map[string]int{
		"OpportunityFieldHistory": 1500, "AccountShare": 600, "Group": 12, "GroupMember": 60,
		"RecordType": 6, "ContentDocumentLink": 400, "EventLogFile": 30, "SetupAuditTrail": 200,
		"Legacy_Invoice__x": 250, "Meter_Reading__c": 5000, "Customer_Profile__c": 200,
		"Very_Long_Custom_Object_Name_For_Testing__c": 120,
	}
}

// customerProfileWide is the number of extra custom fields Customer_Profile__c has unless
// Config.Wide says otherwise: Enterprise Edition's limit of custom fields per object, and well
// past the URI limit when all are selected.
const customerProfileWide = 500

// Messages of the refusing objects.
const (
	msgContentDocumentLink = "Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using the IN operator."
	msgInsufficientAccess  = "insufficient access rights on object id"
)

// wholeOrgDefs returns the describes of the objects Config.WholeOrg adds. Change events come last:
// New builds their fields from their (already built) parent objects.
func wholeOrgDefs() []objDef {
	defs := []objDef{
		opportunityFieldHistoryDef(), accountShareDef(), groupDef(), groupMemberDef(), recordTypeDef(),
		contentDocumentLinkDef(), eventLogFileDef(), setupAuditTrailDef(), orderEventDef(),
		legacyInvoiceDef(), meterReadingDef(), customerProfileDef(), veryLongNameDef(),
		changeEventDef("Account", "Account Change Event", false),
		changeEventDef("Opportunity", "Opportunity Change Event", false),
		changeEventDef("Something__c", "Something Change Event", true),
	}
	for i := range defs {
		defs[i].hardDelete = true
	}
	return defs
}

// readOnlyObject turns off what the API cannot do with an object (system and log objects).
func readOnlyObject(o *Object) {
	o.Createable, o.Updateable, o.Deletable = false, false, false
	o.Layoutable, o.Triggerable, o.Searchable = false, false, false
}

var historyDataTypes = []string{"Text", "Currency", "DateOnly", "DynamicEnum", "EntityId", "Percent"}

func opportunityFieldHistoryDef() objDef {
	o := newObject("OpportunityFieldHistory", "Opportunity Field History", "Opportunity Field History", "017")
	readOnlyObject(o)
	// Replication (getUpdated, getDeleted) works on SystemModstamp, which history lacks.
	o.Replicateable = false
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fRef("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity").ro().req(), gRef("Opportunity"))
	s.add(fRef("CreatedById", "Created By ID", "CreatedBy", "User").ro().req().dflt(), gUser)
	// The stamp, not an earlier creation: history rows are written once, in Id order.
	s.add(fDateTime("CreatedDate", "Created Date").ro().req().dflt(), gStamp)
	fields := []string{"created"}
	for _, tf := range opportunityTracked {
		fields = append(fields, tf.name)
	}
	s.add(fPick("Field", "Changed Field", fields...).ro().req(), func(c *gctx) any {
		if c.r.chance(0.15) {
			return "created"
		}
		return opportunityTracked[c.r.intn(len(opportunityTracked))].name
	})
	s.add(fPick("DataType", "Data Type", historyDataTypes...).ro(), func(c *gctx) any {
		return trackedDataType(c.str("Field"))
	})
	s.add(fAny("OldValue", "Old Value").ro(), func(c *gctx) any {
		f := c.str("Field")
		if f == "created" || c.r.chance(0.15) {
			return nil
		}
		return historyValue(c, f)
	})
	s.add(fAny("NewValue", "New Value").ro(), func(c *gctx) any {
		f := c.str("Field")
		if f == "created" || c.r.chance(0.05) {
			return nil
		}
		return historyValue(c, f)
	})
	return objDef{obj: o, schema: s}
}

// historyValue is a plausible value of a tracked Opportunity field, as field history keeps it
// (dates as yyyy-MM-dd text).
func historyValue(c *gctx, field string) any {
	switch field {
	case "Amount":
		return money(c, 1000000, false)
	case "CloseDate":
		return c.day(c.r.between(-900, 365)).Format(time.DateOnly)
	case "StageName":
		return c.r.pick(stages)
	case "Probability":
		return float64(stageProb[c.r.intn(len(stageProb))])
	case "OwnerId":
		return c.user()
	case "Name":
		return c.r.pick(companies) + " - " + c.r.pick([]string{"Renewal", "New Business", "Services"})
	case "NextStep":
		return text(c)
	case "Type":
		return c.r.pick(opportunityTypes)
	case "ForecastCategoryName":
		return c.r.pick(stageFcst)
	}
	return nil
}

var opportunityTypes = []string{"Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer"}

var shareCauses = []string{"Owner", "Owner", "Manual", "Rule", "Rule", "ImplicitChild", "Team", "Territory"}

func accountShareDef() objDef {
	o := newObject("AccountShare", "Account Share", "Account Share", "00r")
	o.Searchable, o.Layoutable, o.Triggerable = false, false, false
	o.Replicateable = false // no SystemModstamp
	s := &schema{}
	s.id()
	// Share rows are created with an account and a user or group, and cannot be moved.
	s.add(fRef("AccountId", "Account ID", "Account", "Account").req().fixed(), gRef("Account"))
	s.add(fRef("UserOrGroupId", "User or Group ID", "UserOrGroup", "Group", "User").req().fixed(), func(c *gctx) any {
		if c.r.chance(0.25) {
			return c.ref("Group")
		}
		return c.user()
	})
	cause := func(c *gctx) string { return shareCauses[hash3(c.t.salt, uint64(c.i), 0x5a)%uint64(len(shareCauses))] }
	s.add(fPick("AccountAccessLevel", "Account Access", "Read", "Edit", "All").req(), func(c *gctx) any {
		if cause(c) == "Owner" {
			return "All"
		}
		return c.r.pick([]string{"Read", "Edit"})
	})
	levels := []string{"None", "Read", "Edit"}
	s.add(fPick("OpportunityAccessLevel", "Opportunity Access", levels...).req(), gPick(levels...))
	s.add(fPick("CaseAccessLevel", "Case Access", levels...), gPick(levels...))
	s.add(fPick("ContactAccessLevel", "Contact Access", "None", "Read", "Edit", "ControlledByParent"), gPick("Read", "Edit", "ControlledByParent"))
	s.add(fPick("RowCause", "Row Cause", "Owner", "Manual", "Rule", "ImplicitChild", "ImplicitParent", "Team", "Territory").ro().dflt(),
		func(c *gctx) any { return cause(c) })
	s.add(fDateTime("LastModifiedDate", "Last Modified Date").ro().req().dflt(), gStamp)
	s.add(fRef("LastModifiedById", "Last Modified By ID", "LastModifiedBy", "User").ro().req().dflt(), gUser)
	s.isDeleted()
	return objDef{obj: o, schema: s}
}

var groupTypes = []string{"Regular", "Regular", "Queue", "Role", "RoleAndSubordinates"}

func groupDef() objDef {
	o := newObject("Group", "Group", "Groups", "00G")
	o.Searchable, o.Layoutable, o.Triggerable = false, false, false
	s := &schema{}
	s.id()
	s.add(fStr("Name", "Name", 40).name(), func(c *gctx) any {
		if c.i == 0 {
			return nil // the organization's group has no name
		}
		return []string{"Sales EMEA", "Support Tier 2", "Renewals \"Fast Track\"", "Partner Managers", "営業チーム", "Finance, Legal & Ops"}[c.i%6] + suffixFor(c.i, 6)
	})
	s.add(fStr("DeveloperName", "Developer Name", 80), func(c *gctx) any {
		if c.i == 0 {
			return "AllInternalUsers"
		}
		return "Group_" + strconv.Itoa(c.i)
	})
	s.add(fRef("RelatedId", "Related ID", "Related", "User", "UserRole").ro(), func(c *gctx) any {
		if t := groupType(c); t == "Role" || t == "RoleAndSubordinates" {
			return c.ref("UserRole")
		}
		return nil
	})
	s.add(fPick("Type", "Type", "Regular", "Queue", "Role", "RoleAndSubordinates", "Organization", "AllCustomerPortal").req(),
		func(c *gctx) any { return groupType(c) })
	s.add(fEmail("Email", "Email"), gMaybe(0.7, func(c *gctx) any { return "group" + strconv.Itoa(c.i) + "@example.com" }))
	s.add(fRef("OwnerId", "Owner ID", "Owner", "User", "Organization").req().dflt(), gUser)
	s.add(fBool("DoesSendEmailToMembers", "Send Email to Members"), gBool(0.3))
	s.add(fBool("DoesIncludeBosses", "Include Bosses"), gBool(0.5))
	s.audit()
	return objDef{obj: o, schema: s}
}

// groupType is the Type of group record c: the first is the organization's.
func groupType(c *gctx) string {
	if c.i == 0 {
		return "Organization"
	}
	return groupTypes[hash3(c.t.salt, uint64(c.i), 0x67)%uint64(len(groupTypes))]
}

func groupMemberDef() objDef {
	o := newObject("GroupMember", "Group Member", "Group Members", "011")
	o.Updateable, o.Searchable, o.Layoutable, o.Triggerable = false, false, false, false
	s := &schema{}
	s.id()
	s.add(fRef("GroupId", "Group ID", "Group", "Group").req().fixed(), gRef("Group"))
	s.add(fRef("UserOrGroupId", "User/Group ID", "", "Group", "User").req().fixed(), func(c *gctx) any {
		if c.r.chance(0.15) {
			return c.ref("Group")
		}
		return c.user()
	})
	// GroupMember has neither created nor last-modified fields: SystemModstamp is all there is.
	s.add(fDateTime("SystemModstamp", "System Modstamp").ro().req().dflt(), gStamp)
	return objDef{obj: o, schema: s}
}

func recordTypeDef() objDef {
	o := newObject("RecordType", "Record Type", "Record Types", "012")
	readOnlyObject(o) // record types are metadata: set up in Setup, not through the data API
	s := &schema{}
	names := []string{"Enterprise", "Small Business", "Partner", "Renewal", "Support Case", "Marketing Lead"}
	objects := []string{"Account", "Account", "Account", "Opportunity", "Case", "Lead"}
	s.id()
	s.add(fStr("Name", "Name", 80).name().req(), func(c *gctx) any { return names[c.i%len(names)] + suffixFor(c.i, len(names)) })
	s.add(fStr("DeveloperName", "Record Type Name", 80).req(), func(c *gctx) any {
		return "RT_" + strconv.Itoa(c.i)
	})
	s.add(fStr("NamespacePrefix", "Namespace Prefix", 15).ro(), gNil)
	s.add(fStr("Description", "Description", 255), gMaybe(0.5, func(c *gctx) any { return text(c) }))
	s.add(fRef("BusinessProcessId", "Business Process ID", "", "BusinessProcess"), gNil)
	s.add(fPick("SobjectType", "SObject Type Name", "Account", "Case", "Lead", "Opportunity").req(), func(c *gctx) any { return objects[c.i%len(objects)] })
	s.add(fBool("IsActive", "Active"), gBool(0.9))
	s.audit()
	return objDef{obj: o, schema: s}
}

func contentDocumentLinkDef() objDef {
	o := newObject("ContentDocumentLink", "Content Document Link", "Content Document Link", "06A")
	o.Searchable, o.Layoutable = false, false
	s := &schema{}
	s.id()
	s.add(fRef("LinkedEntityId", "Linked Entity ID", "LinkedEntity", "Account", "Contact", "Lead", "Opportunity", "Something__c", "User").req().fixed(), func(c *gctx) any {
		switch c.r.intn(10) {
		case 0, 1, 2, 3:
			return c.ref("Account")
		case 4, 5:
			return c.ref("Opportunity")
		case 6, 7:
			return c.ref("Contact")
		default:
			return c.user()
		}
	})
	// Documents are not emulated: links point at a pool of document Ids, a few links each.
	s.add(fRef("ContentDocumentId", "ContentDocument ID", "ContentDocument", "ContentDocument").req().fixed(), func(c *gctx) any {
		return makeID("069", c.o.pod, 20_000_000+uint64(c.r.intn(max(1, c.t.n/3))))
	})
	s.isDeleted()
	s.add(fDateTime("SystemModstamp", "System Modstamp").ro().req().dflt(), gStamp)
	s.add(fPick("ShareType", "Share Type", "V", "C", "I").req(), gPick("V", "V", "C", "I"))
	s.add(fPick("Visibility", "Visibility", "AllUsers", "InternalUsers", "SharedUsers"), gPick("AllUsers", "InternalUsers", "SharedUsers"))
	return objDef{obj: o, schema: s, restriction: &Restriction{
		FilterFields: []string{"ContentDocumentId", "LinkedEntityId"},
		Code:         "MALFORMED_QUERY", Message: msgContentDocumentLink,
	}}
}

var logEventTypes = []string{"API", "ApexExecution", "BulkApi2", "Login", "Logout", "Report", "RestApi", "URI"}

func eventLogFileDef() objDef {
	o := newObject("EventLogFile", "Event Log File", "Event Log Files", "0AT")
	readOnlyObject(o)
	s := &schema{}
	s.id()
	s.isDeleted()
	s.audit()
	s.add(fPick("EventType", "Event Type", logEventTypes...).ro().req(), gPick(logEventTypes...))
	s.add(fBase64("LogFile", "Log File").ro().req(), gNil)
	s.add(fDateTime("LogDate", "Log Date").ro().req(), func(c *gctx) any { return c.stamp.Truncate(24 * time.Hour) })
	s.add(fDouble("LogFileLength", "Log File Length", 18, 0).ro().req(), func(c *gctx) any { return float64(1000 + c.r.intn(5000000)) })
	s.add(fStr("LogFileContentType", "Log File Content Type", 255).ro(), gConst("CSV"))
	s.add(fDouble("ApiVersion", "API Version", 18, 1).ro(), gConst(62.0))
	s.add(fInt("Sequence", "Sequence", 9).ro(), gConst(int64(1)))
	s.add(fPick("Interval", "Interval", "Daily", "Hourly").ro(), gPick("Daily", "Hourly"))
	s.add(fArea("LogFileFieldNames", "Log File Field Names", 2000).ro(), gConst("EVENT_TYPE,TIMESTAMP,REQUEST_ID,ORGANIZATION_ID,USER_ID"))
	s.add(fArea("LogFileFieldTypes", "Log File Field Types", 2000).ro(), gConst("String,String,String,Id,Id"))
	// Listed queryable, unknown to SOQL: the user lacks the View Event Log Files permission.
	return objDef{obj: o, schema: s, restriction: &Restriction{Hidden: true}}
}

var auditActions = []string{"changedPassword", "createdCustomField", "changedProfileForUser", "PermSetAssign", "loginasgrantedtoorg", "changedApexClass"}

func setupAuditTrailDef() objDef {
	o := newObject("SetupAuditTrail", "Setup Audit Trail", "Setup Audit Trails", "0Ym")
	readOnlyObject(o)
	o.Replicateable = false // no SystemModstamp
	s := &schema{}
	s.id()
	s.add(fStr("Action", "Action", 255).ro().req(), gPick(auditActions...))
	s.add(fStr("Section", "Section", 255).ro(), gPick("Manage Users", "Customize Accounts", "Apex Class", "Security Controls"))
	s.add(fDateTime("CreatedDate", "Created Date").ro().req().dflt(), gStamp)
	s.add(fRef("CreatedById", "Created By ID", "CreatedBy", "User").ro().dflt(), gUser)
	s.add(fStr("Display", "Display", 1000).ro(), func(c *gctx) any { return "Changed " + c.r.pick(words) + " for " + c.r.pick(firstNames) })
	s.add(fStr("DelegateUser", "Delegate User", 80).ro(), gMaybe(0.9, func(c *gctx) any { return "admin@example.com" }))
	s.add(fStr("ResponsibleNamespacePrefix", "Namespace Prefix", 15).ro(), gNil)
	s.add(fStr("CreatedByContext", "Context", 40).ro(), gNil)
	s.add(fStr("CreatedByIssuer", "Issuer", 40).ro(), gNil)
	// Listed queryable (the describe does not depend on permissions), refused: the user lacks
	// View Setup and Configuration.
	return objDef{obj: o, schema: s, restriction: &Restriction{Code: "INSUFFICIENT_ACCESS_OR_READONLY", Message: msgInsufficientAccess}}
}

// eventObject sets what a platform or change event is: published (or captured), never queried,
// stored, replicated or searched.
func eventObject(o *Object) {
	o.Queryable, o.Replicateable, o.Retrieveable, o.Searchable = false, false, false, false
	o.Updateable, o.Deletable, o.Layoutable = false, false, false
	o.Triggerable = true
}

func orderEventDef() objDef {
	o := newObject("Order_Event__e", "Order Event", "Order Events", "e00")
	eventObject(o)
	o.Custom = true
	s := &schema{}
	// Platform events have no Id: ReplayId orders them in the event bus.
	s.add(fStr("ReplayId", "Replay ID", 255).ro(), nil)
	s.add(fDateTime("CreatedDate", "Created Date").ro().req().dflt(), nil)
	s.add(fRef("CreatedById", "Created By ID", "CreatedBy", "User").ro().req().dflt(), nil)
	s.add(fStr("EventUuid", "Event UUID", 36).ro(), nil)
	s.add(fStr("Order_Number__c", "Order Number", 20), nil)
	s.add(fStr("Status__c", "Status", 40), nil)
	s.add(fDouble("Amount__c", "Amount", 16, 2), nil)
	s.add(fDateTime("Shipped_At__c", "Shipped At"), nil)
	return objDef{obj: o, schema: s, noRecords: true}
}

func changeEventDef(parent, label string, custom bool) objDef {
	name := parent + "ChangeEvent"
	if custom {
		name = strings.TrimSuffix(parent, "__c") + "__ChangeEvent" // Something__c -> Something__ChangeEvent
	}
	o := newObject(name, label, label+"s", "")
	eventObject(o)
	o.Createable = false
	o.Custom = custom
	return objDef{obj: o, changeEventOf: parent, noRecords: true}
}

// changeEventSchema is a change event's fields: Id, ReplayId, ChangeEventHeader, then the stored
// fields of the object it captures (not IsDeleted, not formulas), all read-only.
func changeEventSchema(parent *Object) *schema {
	s := &schema{}
	s.add(fID(), nil)
	s.add(fStr("ReplayId", "Replay ID", 255).ro(), nil)
	s.add(fComplex("ChangeEventHeader", "Change Event Header", "tns:ChangeEventHeader").ro(), nil)
	for _, f := range parent.Fields {
		if f.Name == "Id" || f.Name == "IsDeleted" || f.Calculated {
			continue
		}
		cp := *f
		cp.ReferenceTo = append([]string(nil), f.ReferenceTo...)
		cp.PicklistValues = append([]string(nil), f.PicklistValues...)
		cp.Createable, cp.Updateable = false, false
		cp.Filterable, cp.Sortable, cp.Groupable = false, false, false
		// A change event's lookups have no relationship to follow.
		cp.RelationshipName = ""
		s.add(&cp, nil)
	}
	return s
}

func legacyInvoiceDef() objDef {
	o := newObject("Legacy_Invoice__x", "Legacy Invoice", "Legacy Invoices", "x00")
	o.Custom = true
	o.Createable, o.Updateable, o.Deletable = false, false, false // a read-only OData source
	o.Replicateable, o.Searchable, o.Triggerable = false, false, false
	s := &schema{}
	s.id()
	s.add(fStr("ExternalId", "External ID", 255).ro().ext(), func(c *gctx) any { return "INV-" + pad(c.i+1, 7) })
	s.add(fURL("DisplayUrl", "Display URL", 1000).ro(), func(c *gctx) any {
		return "https://erp.example.com/odata/Invoices('INV-" + pad(c.i+1, 7) + "')"
	})
	s.add(fStr("Invoice_Number__c", "Invoice Number", 30).ro(), func(c *gctx) any { return "2019/" + pad(c.i+1, 5) })
	s.add(fDate("Invoice_Date__c", "Invoice Date").ro(), gDateRange(-3000, -400))
	s.add(fCurrency("Amount__c", "Amount", 16, 2).ro(), gMaybe(0.05, func(c *gctx) any { return money(c, 100000, false) }))
	s.add(fStr("Status__c", "Status", 40).ro(), gPick("Paid", "Open", "Written Off", "Disputed"))
	s.add(fRef("Account__c", "Account", "Account__r", "Account").ro(), gMaybe(0.1, gRef("Account")))
	// Served over REST; Bulk API 2.0 does not support external objects.
	return objDef{obj: o, schema: s, restriction: &Restriction{NoBulk: true}}
}

// customObject starts a custom object's schema with the system fields every custom object has, in
// describe order, and its Name field.
func customObject(name, label, plural, prefix string, nameGen genFn) (*Object, *schema) {
	o := newObject(name, label, plural, prefix)
	s := &schema{}
	s.id()
	s.owner("Group", "User")
	s.isDeleted()
	s.add(fStr("Name", label+" Name", 80).name().req(), nameGen)
	s.audit()
	s.viewed()
	return o, s
}

var meterUnits = []string{"kWh", "m³", "therm", "MWh"}

func meterReadingDef() objDef {
	o, s := customObject("Meter_Reading__c", "Meter Reading", "Meter Readings", "a02", func(c *gctx) any { return "MR-" + pad(c.i+1, 8) })
	s.add(fStr("Meter__c", "Meter", 20).ext(), func(c *gctx) any { return "MTR-" + pad(c.r.intn(2000), 5) })
	s.add(fRef("Account__c", "Account", "Account__r", "Account"), gMaybe(0.05, gRef("Account")))
	s.add(fDouble("Reading_Value__c", "Reading Value", 18, 3), gMaybe(0.02, func(c *gctx) any { return float64(c.r.intn(100000000)) / 1000 }))
	s.add(fPick("Unit__c", "Unit", meterUnits...), gPick(meterUnits...))
	s.add(fDateTime("Read_At__c", "Read At"), func(c *gctx) any { return c.before(30 * 24 * time.Hour) })
	s.add(fBool("Is_Estimated__c", "Estimated").dflt(), gBool(0.1))
	s.add(fArea("Notes__c", "Notes", 255), gMaybe(0.8, func(c *gctx) any { return text(c) }))
	return objDef{obj: o, schema: s}
}

var segments = []string{"Enterprise", "Mid-Market", "SMB", "Public Sector"}

func customerProfileDef() objDef {
	o, s := customObject("Customer_Profile__c", "Customer Profile", "Customer Profiles", "a03", func(c *gctx) any { return "CP-" + pad(c.i+1, 6) })
	s.add(fRef("Account__c", "Account", "Account__r", "Account"), gRef("Account"))
	s.add(fPick("Segment__c", "Segment", segments...), gMaybe(0.1, gPick(segments...)))
	s.add(fDouble("Health_Score__c", "Health Score", 3, 0), gMaybe(0.2, func(c *gctx) any { return float64(c.r.intn(101)) }))
	return objDef{obj: o, schema: s, wide: customerProfileWide}
}

func veryLongNameDef() objDef {
	o, s := customObject("Very_Long_Custom_Object_Name_For_Testing__c", "Very Long Custom Object Name For Testing",
		"Very Long Custom Object Names For Testing", "a04", func(c *gctx) any { return "VL-" + pad(c.i+1, 6) })
	s.add(fStr("Another_Very_Long_Custom_Field_Name_Here__c", "Another Very Long Custom Field Name Here", 255), gMaybe(0.2, func(c *gctx) any { return text(c) }))
	s.add(fRef("Related_Meter_Reading_For_Long_Name_Test__c", "Related Meter Reading For Long Name Test", "Related_Meter_Reading_For_Long_Name_Test__r", "Meter_Reading__c"),
		gMaybe(0.3, gRef("Meter_Reading__c")))
	s.pick("Status__c", "Status", 0.1, "Draft", "Active", "Retired")
	s.add(fCurrency("Amount__c", "Amount", 18, 2), gMaybe(0.2, func(c *gctx) any { return money(c, 100000, true) }))
	return objDef{obj: o, schema: s}
}

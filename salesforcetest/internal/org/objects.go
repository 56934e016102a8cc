package org

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"time"
)

// objectDefs returns fresh describes (with generators) of every object of the org. Field lists,
// types, lengths and flags follow a real Developer Edition org (API v60+) with state and country
// picklists enabled; the custom fields on Account, Contact, Lead and Opportunity are the ones a new
// Developer Edition org ships with.
func objectDefs() []objDef {
	return []objDef{
		accountDef(), contactDef(), leadDef(), userDef(), userRoleDef(), campaignDef(),
		campaignMemberDef(), product2Def(), pricebook2Def(), pricebookEntryDef(), opportunityDef(),
		opportunityLineItemDef(), opportunityContactRoleDef(), taskDef(), eventDef(), somethingDef(),
	}
}

var (
	industries   = []string{"Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation", "Utilities", "Other"}
	leadSources  = []string{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
	ratings      = []string{"Hot", "Warm", "Cold"}
	cleanStatus  = []string{"Matched", "Different", "Acknowledged", "NotFound", "Inactive", "Pending", "SelectMatch", "Skipped"}
	stages       = []string{"Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}
	stageProb    = []int{10, 10, 20, 50, 60, 70, 75, 90, 100, 0}
	stageFcst    = []string{"Pipeline", "Pipeline", "Pipeline", "Pipeline", "Pipeline", "Pipeline", "Pipeline", "Pipeline", "Closed", "Omitted"}
	titles       = []string{"CEO", "CFO", "VP Sales", "SVP, Operations", "Director of IT", "Procurement Manager", "Buyer", "Regional Manager", "Engineer", "Office Manager", "Chef de projet", "Geschäftsführer", "部長"}
	departments  = []string{"Sales", "Finance", "IT", "Operations", "Marketing", "Procurement", "R&D", "Legal"}
	taskSubjects = []string{"Call", "Send Letter", "Send Quote", "Other", "Email: Re: pricing", "Follow up, \"urgent\"", "Lunch w/ client 🍣"}
)

func accountDef() objDef {
	o := newObject("Account", "Account", "Accounts", "001")
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fRef("MasterRecordId", "Master Record ID", "MasterRecord", "Account").ro(), gNil)
	s.add(fStr("Name", "Account Name", 255).name().req(), func(c *gctx) any {
		return c.r.pick(companies) + c.r.pick(companySuffix)
	})
	s.pick("Type", "Account Type", 0.2, "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other")
	s.add(fRef("ParentId", "Parent Account ID", "Parent", "Account"), gMaybe(0.85, gRef("Account")))
	s.address("Billing", "Billing", 0.1)
	s.address("Shipping", "Shipping", 0.4)
	s.add(fPhone("Phone", "Account Phone"), gPhone)
	s.add(fPhone("Fax", "Account Fax"), gMaybe(0.6, gPhone))
	s.add(fStr("AccountNumber", "Account Number", 40), gMaybe(0.3, func(c *gctx) any { return codeOf("CD", 100000+c.r.intn(900000)) }))
	s.add(fURL("Website", "Website", 255), gMaybe(0.3, func(c *gctx) any { return "https://www.example.com/" + strconv.Itoa(c.i) }))
	s.add(fURL("PhotoUrl", "Photo URL", 255).ro(), func(c *gctx) any { return "/services/images/photo/" + c.vals[0].(string) })
	s.add(fStr("Sic", "SIC Code", 20), gMaybe(0.5, func(c *gctx) any { return pad(c.r.intn(10000), 4) }))
	s.pick("Industry", "Industry", 0.2, industries...)
	s.add(fCurrency("AnnualRevenue", "Annual Revenue", 18, 0), gMaybe(0.3, func(c *gctx) any {
		if c.r.chance(0.02) {
			return json.Number("999999999999999999")
		}
		return float64(c.r.intn(100000) * 10000)
	}))
	s.add(fInt("NumberOfEmployees", "Employees", 8), gMaybe(0.3, func(c *gctx) any { return int64(c.r.intn(250000)) }))
	s.pick("Ownership", "Ownership", 0.5, "Public", "Private", "Subsidiary", "Other")
	s.add(fStr("TickerSymbol", "Ticker Symbol", 20), gMaybe(0.8, func(c *gctx) any { return c.r.pick([]string{"ACME", "GLBX", "INIT", "UMBR", "BRK.A"}) }))
	s.add(fArea("Description", "Account Description", 32000), gDescription)
	s.pick("Rating", "Account Rating", 0.4, ratings...)
	s.add(fStr("Site", "Account Site", 80), gMaybe(0.7, gPick("Headquarters", "Branch", "Plant, North", "Remote")))
	s.owner()
	s.audit()
	s.add(fDate("LastActivityDate", "Last Activity").ro(), gActivityDate)
	s.viewed()
	s.add(fStr("Jigsaw", "Data.com Key", 20), gNil)
	s.add(fStr("JigsawCompanyId", "Jigsaw Company ID", 20).ro(), gNil)
	s.pick("CleanStatus", "Clean Status", 0.2, cleanStatus...)
	s.pick("AccountSource", "Account Source", 0.3, leadSources...)
	s.add(fStr("DunsNumber", "D-U-N-S Number", 9), gMaybe(0.6, func(c *gctx) any { return pad(c.r.intn(1000000000), 9) }))
	s.add(fStr("Tradestyle", "Tradestyle", 255), gMaybe(0.8, func(c *gctx) any { return c.r.pick(companies) }))
	s.add(fStr("NaicsCode", "NAICS Code", 8), gMaybe(0.6, func(c *gctx) any { return pad(c.r.intn(1000000), 6) }))
	s.add(fStr("NaicsDesc", "NAICS Description", 120), gMaybe(0.7, gPick("Software Publishers", "Commercial Banking", "Electric Power Generation")))
	s.add(fStr("YearStarted", "Year Started", 4), gMaybe(0.5, func(c *gctx) any { return strconv.Itoa(1850 + c.r.intn(175)) }))
	s.add(fStr("SicDesc", "SIC Description", 80), gMaybe(0.6, gPick("Prepackaged Software", "Electric Services", "Hotels & Motels")))
	s.add(fRef("DandbCompanyId", "D&B Company ID", "DandbCompany", "DandBCompany"), gNil)
	s.add(fRef("OperatingHoursId", "Operating Hour ID", "OperatingHours", "OperatingHours"), gNil)
	s.pick("CustomerPriority__c", "Customer Priority", 0.3, "High", "Low", "Medium")
	s.pick("SLA__c", "SLA", 0.3, "Gold", "Silver", "Platinum", "Bronze")
	s.pick("Active__c", "Active", 0.2, "No", "Yes")
	s.add(fDouble("NumberofLocations__c", "Number of Locations", 3, 0), gMaybe(0.3, func(c *gctx) any { return float64(c.r.intn(1000)) }))
	s.pick("UpsellOpportunity__c", "Upsell Opportunity", 0.3, "Maybe", "No", "Yes")
	s.add(fStr("SLASerialNumber__c", "SLA Serial Number", 10), gMaybe(0.4, func(c *gctx) any { return pad(c.r.intn(100000), 5) }))
	s.add(fDate("SLAExpirationDate__c", "SLA Expiration Date"), gMaybe(0.4, gDateRange(-365, 730)))
	return objDef{obj: o, schema: s}
}

func contactDef() objDef {
	o := newObject("Contact", "Contact", "Contacts", "003")
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fRef("MasterRecordId", "Master Record ID", "MasterRecord", "Contact").ro(), gNil)
	s.add(fRef("AccountId", "Account ID", "Account", "Account"), gMaybe(0.05, gRef("Account")))
	s.personName()
	s.address("Other", "Other", 0.8)
	s.address("Mailing", "Mailing", 0.15)
	s.add(fPhone("Phone", "Business Phone"), gPhone)
	s.add(fPhone("Fax", "Business Fax"), gMaybe(0.8, gPhone))
	s.add(fPhone("MobilePhone", "Mobile Phone"), gMaybe(0.3, gPhone))
	s.add(fPhone("HomePhone", "Home Phone"), gMaybe(0.8, gPhone))
	s.add(fPhone("OtherPhone", "Other Phone"), gMaybe(0.9, gPhone))
	s.add(fPhone("AssistantPhone", "Asst. Phone"), gMaybe(0.9, gPhone))
	s.add(fRef("ReportsToId", "Reports To ID", "ReportsTo", "Contact"), gMaybe(0.8, gRef("Contact")))
	s.add(fEmail("Email", "Email"), gMaybe(0.1, func(c *gctx) any {
		first, _ := c.get("FirstName").(string)
		return emailFor(c, first, c.str("LastName"))
	}))
	s.add(fStr("Title", "Title", 128), gMaybe(0.2, gPick(titles...)))
	s.add(fStr("Department", "Department", 80), gMaybe(0.4, gPick(departments...)))
	s.add(fStr("AssistantName", "Assistant's Name", 40), gMaybe(0.9, func(c *gctx) any { return c.r.pick(firstNames) }))
	s.pick("LeadSource", "Lead Source", 0.3, leadSources...)
	s.add(fDate("Birthdate", "Birthdate"), gMaybe(0.6, gDateRange(-80*365, -18*365)))
	s.add(fArea("Description", "Contact Description", 32000), gDescription)
	s.owner()
	s.audit()
	s.add(fDate("LastActivityDate", "Last Activity").ro(), gActivityDate)
	s.add(fDateTime("LastCURequestDate", "Last Stay-in-Touch Request Date").ro(), gNil)
	s.add(fDateTime("LastCUUpdateDate", "Last Stay-in-Touch Save Date").ro(), gNil)
	s.viewed()
	s.add(fStr("EmailBouncedReason", "Email Bounced Reason", 255), gNil)
	s.add(fDateTime("EmailBouncedDate", "Email Bounced Date"), gNil)
	s.add(fBool("IsEmailBounced", "Is Email Bounced").ro(), gFalse)
	s.add(fURL("PhotoUrl", "Photo URL", 255).ro(), gNil)
	s.add(fStr("Jigsaw", "Data.com Key", 20), gNil)
	s.add(fStr("JigsawContactId", "Jigsaw Contact ID", 20).ro(), gNil)
	s.pick("CleanStatus", "Clean Status", 0.2, cleanStatus...)
	s.add(fRef("IndividualId", "Individual ID", "Individual", "Individual"), gNil)
	s.pick("Level__c", "Level", 0.4, "Secondary", "Tertiary", "Primary")
	s.add(fStr("Languages__c", "Languages", 100), gMaybe(0.5, gPick("English", "English; Spanish", "Deutsch, English", "日本語")))
	return objDef{obj: o, schema: s}
}

func leadDef() objDef {
	o := newObject("Lead", "Lead", "Leads", "00Q")
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fRef("MasterRecordId", "Master Record ID", "MasterRecord", "Lead").ro(), gNil)
	s.personName()
	s.add(fStr("Title", "Title", 128), gMaybe(0.3, gPick(titles...)))
	s.add(fStr("Company", "Company", 255).req(), func(c *gctx) any { return c.r.pick(companies) })
	s.address("", "", 0.2)
	s.add(fPhone("Phone", "Phone"), gPhone)
	s.add(fPhone("MobilePhone", "Mobile Phone"), gMaybe(0.5, gPhone))
	s.add(fPhone("Fax", "Fax"), gMaybe(0.9, gPhone))
	s.add(fEmail("Email", "Email"), gMaybe(0.1, func(c *gctx) any {
		first, _ := c.get("FirstName").(string)
		return emailFor(c, first, c.str("LastName"))
	}))
	s.add(fURL("Website", "Website", 255), gMaybe(0.5, func(c *gctx) any { return "http://lead" + strconv.Itoa(c.i) + ".example.com" }))
	s.add(fURL("PhotoUrl", "Photo URL", 255).ro(), gNil)
	s.add(fArea("Description", "Description", 32000), gDescription)
	s.pick("LeadSource", "Lead Source", 0.2, leadSources...)
	s.add(fPick("Status", "Status", "Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted").req().dflt(),
		gPick("Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"))
	s.pick("Industry", "Industry", 0.3, industries...)
	s.pick("Rating", "Rating", 0.4, ratings...)
	s.add(fCurrency("AnnualRevenue", "Annual Revenue", 18, 0), gMaybe(0.5, func(c *gctx) any { return float64(c.r.intn(50000) * 1000) }))
	s.add(fInt("NumberOfEmployees", "Employees", 8), gMaybe(0.5, func(c *gctx) any { return int64(c.r.intn(10000)) }))
	s.owner("Group", "User")
	s.add(fBool("IsConverted", "Converted").ro(), func(c *gctx) any { return c.str("Status") == "Closed - Converted" })
	s.add(fDate("ConvertedDate", "Converted Date").ro(), func(c *gctx) any {
		if c.get("IsConverted") == true {
			return c.day(-c.r.intn(700))
		}
		return nil
	})
	conv := func(object string) genFn {
		return func(c *gctx) any {
			if c.get("IsConverted") == true {
				return c.ref(object)
			}
			return nil
		}
	}
	s.add(fRef("ConvertedAccountId", "Converted Account ID", "ConvertedAccount", "Account").ro(), conv("Account"))
	s.add(fRef("ConvertedContactId", "Converted Contact ID", "ConvertedContact", "Contact").ro(), conv("Contact"))
	s.add(fRef("ConvertedOpportunityId", "Converted Opportunity ID", "ConvertedOpportunity", "Opportunity").ro(), conv("Opportunity"))
	s.add(fBool("IsUnreadByOwner", "Unread By Owner"), gBool(0.2))
	s.audit()
	s.add(fDate("LastActivityDate", "Last Activity").ro(), gActivityDate)
	s.viewed()
	s.add(fStr("Jigsaw", "Data.com Key", 20), gNil)
	s.add(fStr("JigsawContactId", "Jigsaw Contact ID", 20).ro(), gNil)
	s.pick("CleanStatus", "Clean Status", 0.2, cleanStatus...)
	s.add(fStr("CompanyDunsNumber", "Company D-U-N-S Number", 9), gNil)
	s.add(fRef("DandbCompanyId", "D&B Company ID", "DandbCompany", "DandBCompany"), gNil)
	s.add(fStr("EmailBouncedReason", "Email Bounced Reason", 255), gNil)
	s.add(fDateTime("EmailBouncedDate", "Email Bounced Date"), gNil)
	s.add(fRef("IndividualId", "Individual ID", "Individual", "Individual"), gNil)
	s.add(fStr("SICCode__c", "SIC Code", 15), gMaybe(0.6, func(c *gctx) any { return pad(c.r.intn(10000), 4) }))
	s.pick("ProductInterest__c", "Product Interest", 0.4, "GC1000 series", "GC5000 series", "GC3000 series")
	s.pick("Primary__c", "Primary", 0.4, "No", "Yes")
	s.add(fStr("CurrentGenerators__c", "Current Generator(s)", 100), gMaybe(0.7, gPick("GE, Caterpillar", "Honda", "Cummins; Kohler")))
	s.add(fDouble("NumberofLocations__c", "Number of Locations", 3, 0), gMaybe(0.5, func(c *gctx) any { return float64(c.r.intn(500)) }))
	return objDef{obj: o, schema: s}
}

func userDef() objDef {
	o := newObject("User", "User", "Users", "005")
	o.Deletable = false
	s := &schema{}
	s.id()
	s.add(fStr("Username", "Username", 80).req().ext(), func(c *gctx) any {
		return "user" + strconv.Itoa(c.i) + "@sfdlt-" + pad(int(c.o.seed%100000), 5) + ".example.com"
	})
	s.personName()
	s.add(fStr("CompanyName", "Company Name", 80), gConst("sfdlt Test Org"))
	s.add(fStr("Division", "Division", 80), gMaybe(0.7, gPick("EMEA", "AMER", "APAC")))
	s.add(fStr("Department", "Department", 80), gMaybe(0.3, gPick(departments...)))
	s.add(fStr("Title", "Title", 80), gMaybe(0.3, gPick(titles...)))
	s.address("", "", 0.3)
	s.add(fEmail("Email", "Email").req(), func(c *gctx) any {
		first, _ := c.get("FirstName").(string)
		return emailFor(c, first, c.str("LastName"))
	})
	s.add(fBool("EmailPreferencesAutoBcc", "AutoBcc"), gBool(0.5))
	s.add(fEmail("SenderEmail", "Email Sender Address"), gNil)
	s.add(fStr("SenderName", "Email Sender Name", 80), gNil)
	s.add(fArea("Signature", "Email Signature", 1333), gMaybe(0.5, func(c *gctx) any { return "Best regards,\n" + c.str("Name") }))
	s.add(fPhone("Phone", "Phone"), gPhone)
	s.add(fPhone("Fax", "Fax"), gMaybe(0.9, gPhone))
	s.add(fPhone("MobilePhone", "Mobile"), gMaybe(0.4, gPhone))
	s.add(fStr("Alias", "Alias", 8).req(), func(c *gctx) any { return "u" + strconv.Itoa(c.i) })
	s.add(fStr("CommunityNickname", "Nickname", 40).req(), func(c *gctx) any { return "nick" + strconv.Itoa(c.i) })
	s.add(fBool("IsActive", "Active"), func(c *gctx) any { return c.i == 0 || c.r.chance(0.9) })
	s.add(fPick("TimeZoneSidKey", "Time Zone", "America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo").req(),
		gPick("America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo"))
	s.add(fRef("UserRoleId", "Role ID", "UserRole", "UserRole"), gMaybe(0.2, gRef("UserRole")))
	s.add(fPick("LocaleSidKey", "Locale", "en_US", "en_GB", "de_DE", "ja_JP", "fr_FR").req(), gPick("en_US", "en_GB", "de_DE", "ja_JP", "fr_FR"))
	s.add(fBool("ReceivesInfoEmails", "Info Emails"), gBool(0.3))
	s.add(fPick("EmailEncodingKey", "Email Encoding", "UTF-8", "ISO-8859-1").req(), gConst("UTF-8"))
	// Profiles are not emulated, but ProfileId may not be null: point at a few fixed profile Ids.
	s.add(fRef("ProfileId", "Profile ID", "Profile", "Profile").req(), func(c *gctx) any {
		return makeID("00e", c.o.pod, 1000+uint64(c.r.intn(3)))
	})
	s.add(fPick("UserType", "User Type", "Standard", "PowerPartner", "CsnOnly").ro(), gConst("Standard"))
	s.add(fPick("LanguageLocaleKey", "Language", "en_US", "de", "ja", "fr").req(), gPick("en_US", "de", "ja", "fr"))
	s.add(fStr("EmployeeNumber", "Employee Number", 20), gMaybe(0.5, func(c *gctx) any { return "E" + pad(c.i, 6) }))
	s.add(fRef("DelegatedApproverId", "Delegated Approver ID", "", "Group", "User"), gNil)
	s.add(fRef("ManagerId", "Manager ID", "Manager", "User"), func(c *gctx) any {
		if c.i == 0 || c.r.chance(0.3) {
			return nil
		}
		return c.refAt("User", c.r.intn(c.i))
	})
	s.add(fDateTime("LastLoginDate", "Last Login").ro(), gMaybe(0.2, func(c *gctx) any { return c.before(90 * 24 * time.Hour) }))
	s.add(fDateTime("LastPasswordChangeDate", "Last Password Change or Reset").ro(), gMaybe(0.2, func(c *gctx) any { return c.before(365 * 24 * time.Hour) }))
	s.audit()
	s.add(fInt("NumberOfFailedLogins", "Failed Login Attempts", 9).ro(), func(c *gctx) any { return int64(c.r.intn(3)) })
	s.add(fBool("UserPermissionsMarketingUser", "Marketing User"), gBool(0.3))
	s.add(fBool("UserPermissionsOfflineUser", "Offline User"), gFalse)
	s.add(fBool("UserPermissionsSFContentUser", "Salesforce CRM Content User"), gBool(0.8))
	s.add(fBool("UserPreferencesActivityRemindersPopup", "ActivityRemindersPopup"), gBool(0.9))
	s.add(fRef("ContactId", "Contact ID", "Contact", "Contact"), gNil)
	s.add(fRef("AccountId", "Account ID", "Account", "Account").ro(), gNil)
	s.add(fRef("CallCenterId", "Call Center ID", "", "CallCenter"), gNil)
	s.add(fStr("Extension", "Extension", 40), gNil)
	s.add(fStr("FederationIdentifier", "SAML Federation ID", 512), gNil)
	s.add(fArea("AboutMe", "About Me", 1000), gMaybe(0.7, func(c *gctx) any { return text(c) }))
	s.add(fURL("FullPhotoUrl", "Url for full-sized Photo", 1024).ro(), func(c *gctx) any { return "https://example.my.salesforce.com/profilephoto/005/F" })
	s.add(fURL("SmallPhotoUrl", "Photo", 1024).ro(), func(c *gctx) any { return "https://example.my.salesforce.com/profilephoto/005/T" })
	s.add(fBool("IsExtIndicatorVisible", "Show external indicator").ro(), gFalse)
	s.add(fStr("OutOfOfficeMessage", "Out of office message", 40).ro(), gNil)
	s.add(fURL("MediumPhotoUrl", "Url for medium profile photo", 1024).ro(), func(c *gctx) any { return "https://example.my.salesforce.com/profilephoto/005/M" })
	s.add(fStr("DigestFrequency", "Chatter Email Highlights Frequency", 40).req().dflt(), gConst("D"))
	s.add(fStr("DefaultGroupNotificationFrequency", "Default Notification Frequency when Joining Groups", 40).req().dflt(), gConst("N"))
	s.viewed()
	s.add(fBool("IsProfilePhotoActive", "Has Profile Photo").ro(), gFalse)
	s.add(fRef("IndividualId", "Individual ID", "Individual", "Individual"), gNil)
	return objDef{obj: o, schema: s}
}

func userRoleDef() objDef {
	o := newObject("UserRole", "Role", "Roles", "00E")
	o.Searchable = false
	s := &schema{}
	s.id()
	s.add(fStr("Name", "Name", 80).name().req(), func(c *gctx) any {
		return []string{"CEO", "CFO", "COO", "SVP, Sales & Marketing", "VP, International Sales", "VP, North American Sales", "Director, Direct Sales", "Eastern Sales Team", "Western Sales Team", "Marketing Team", "Customer Support, International", "Installation & Repair Services"}[c.i%12] + suffixFor(c.i, 12)
	})
	s.add(fRef("ParentRoleId", "Parent Role ID", "", "UserRole"), func(c *gctx) any {
		if c.i == 0 {
			return nil
		}
		return c.refAt("UserRole", c.r.intn(c.i))
	})
	s.add(fStr("RollupDescription", "Description", 80), gMaybe(0.5, gPick("Sales", "Support", "Executive")))
	s.add(fPick("OpportunityAccessForAccountOwner", "Opportunity Access for Account Owner", "None", "Read", "Edit").req(), gPick("None", "Read", "Edit"))
	s.add(fPick("CaseAccessForAccountOwner", "Case Access for Account Owner", "None", "Read", "Edit"), gPick("None", "Read", "Edit"))
	s.add(fPick("ContactAccessForAccountOwner", "Contact Access for Account Owner", "None", "Read", "Edit"), gPick("None", "Read", "Edit"))
	s.add(fRef("ForecastUserId", "Forecast Manager ID", "ForecastUser", "User"), gMaybe(0.7, gRef("User")))
	s.add(fBool("MayForecastManagerShare", "May Forecast Manager Share"), gFalse)
	// UserRole has no CreatedDate or CreatedById in real orgs, only the last-modified trio.
	s.lastModified()
	s.add(fStr("DeveloperName", "Developer Name", 80), func(c *gctx) any { return "Role_" + strconv.Itoa(c.i) })
	s.add(fRef("PortalAccountId", "Account ID", "", "Account").ro(), gNil)
	s.add(fPick("PortalType", "Portal Type", "None", "CustomerPortal", "Partner").ro(), gConst("None"))
	s.add(fRef("PortalAccountOwnerId", "Partner Account Owner ID", "", "User").ro(), gNil)
	return objDef{obj: o, schema: s}
}

// suffixFor keeps names unique when an object has more records than the name list.
func suffixFor(i, n int) string {
	if i < n {
		return ""
	}
	return " " + strconv.Itoa(i/n+1)
}

func campaignDef() objDef {
	o := newObject("Campaign", "Campaign", "Campaigns", "701")
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fStr("Name", "Name", 80).name().req(), func(c *gctx) any {
		return c.r.pick([]string{"User Conference", "Webinar: \"What's new\"", "Trade Show, Berlin", "Email blast 📧", "DM Campaign to Top Customers", "International Electrical Engineers Association Trade Show - Mar 4-5", "GC Product Webinar - Jan 7, 2002", "春のキャンペーン"}) + " " + strconv.Itoa(2020+c.r.intn(6))
	})
	s.add(fRef("ParentId", "Parent Campaign ID", "Parent", "Campaign"), func(c *gctx) any {
		if c.i == 0 || c.r.chance(0.7) {
			return nil
		}
		return c.refAt("Campaign", c.r.intn(c.i))
	})
	s.pick("Type", "Type", 0.1, "Conference", "Webinar", "Trade Show", "Public Relations", "Partners", "Referral Program", "Advertisement", "Banner Ads", "Direct Mail", "Email", "Telemarketing", "Other")
	s.pick("Status", "Status", 0.05, "Planned", "In Progress", "Completed", "Aborted")
	s.add(fDate("StartDate", "Start Date"), gMaybe(0.1, gDateRange(-900, 30)))
	s.add(fDate("EndDate", "End Date"), gMaybe(0.1, gDateRange(30, 400)))
	s.add(fCurrency("ExpectedRevenue", "Expected Revenue in Campaign", 18, 0), gMaybe(0.2, func(c *gctx) any { return float64(c.r.intn(1000) * 1000) }))
	s.add(fCurrency("BudgetedCost", "Budgeted Cost in Campaign", 18, 0), gMaybe(0.2, func(c *gctx) any { return float64(c.r.intn(100) * 500) }))
	s.add(fCurrency("ActualCost", "Actual Cost in Campaign", 18, 0), gMaybe(0.3, func(c *gctx) any { return float64(c.r.intn(100) * 450) }))
	s.add(fPercent("ExpectedResponse", "Expected Response (%)", 8, 2), gMaybe(0.3, func(c *gctx) any { return float64(c.r.intn(10000)) / 100 }))
	s.add(fDouble("NumberSent", "Num Sent in Campaign", 18, 0), gMaybe(0.3, func(c *gctx) any { return float64(c.r.intn(100000)) }))
	s.add(fBool("IsActive", "Active"), gBool(0.6))
	s.add(fArea("Description", "Description", 32000), gDescription)
	for _, n := range []struct{ name, label string }{
		{"NumberOfLeads", "Leads in Campaign"}, {"NumberOfConvertedLeads", "Converted Leads in Campaign"},
		{"NumberOfContacts", "Contacts in Campaign"}, {"NumberOfResponses", "Responses in Campaign"},
		{"NumberOfOpportunities", "Opportunities in Campaign"}, {"NumberOfWonOpportunities", "Won Opportunities in Campaign"},
	} {
		s.add(fInt(n.name, n.label, 9).ro().req().dflt(), func(c *gctx) any { return int64(c.r.intn(200)) })
	}
	s.add(fCurrency("AmountAllOpportunities", "Value Opportunities in Campaign", 18, 0).ro().req().dflt(), func(c *gctx) any { return float64(c.r.intn(5000) * 100) })
	s.add(fCurrency("AmountWonOpportunities", "Value Won Opportunities in Campaign", 18, 0).ro().req().dflt(), func(c *gctx) any { return float64(c.r.intn(2000) * 100) })
	s.owner()
	s.audit()
	s.add(fDate("LastActivityDate", "Last Activity").ro(), gActivityDate)
	s.viewed()
	s.add(fRef("CampaignMemberRecordTypeId", "Record Type ID", "CampaignMemberRecordType", "RecordType"), gNil)
	return objDef{obj: o, schema: s}
}

func campaignMemberDef() objDef {
	o := newObject("CampaignMember", "Campaign Member", "Campaign Members", "00v")
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fRef("CampaignId", "Campaign ID", "Campaign", "Campaign").req(), gRef("Campaign"))
	// A member is a lead or a contact, never both.
	s.add(fRef("LeadId", "Lead ID", "Lead", "Lead"), func(c *gctx) any {
		if c.r.chance(0.5) {
			return c.ref("Lead")
		}
		return nil
	})
	s.add(fRef("ContactId", "Contact ID", "Contact", "Contact"), func(c *gctx) any {
		if c.get("LeadId") == nil {
			return c.ref("Contact")
		}
		return nil
	})
	s.add(fPick("Status", "Status", "Planned", "Received", "Responded", "Sent").dflt(), gPick("Planned", "Received", "Responded", "Sent"))
	s.add(fBool("HasResponded", "Responded").ro(), func(c *gctx) any { return c.str("Status") == "Responded" })
	s.audit()
	s.add(fDate("FirstRespondedDate", "First Responded Date").ro(), func(c *gctx) any {
		if c.get("HasResponded") == true {
			return c.day(-c.r.intn(600))
		}
		return nil
	})
	s.add(fPick("Salutation", "Salutation", salutations...).ro(), gMaybe(0.5, gPick(salutations...)))
	// Name comes before its parts in describe order, so all three derive from the index.
	first := func(c *gctx) string { return firstNames[hash3(c.t.salt, uint64(c.i), 0xf1)%uint64(len(firstNames))] }
	last := func(c *gctx) string { return lastNames[hash3(c.t.salt, uint64(c.i), 0xf2)%uint64(len(lastNames))] }
	s.add(fStr("Name", "Name", 121).ro(), func(c *gctx) any { return first(c) + " " + last(c) })
	s.add(fStr("FirstName", "First Name", 40).ro(), func(c *gctx) any { return first(c) })
	s.add(fStr("LastName", "Last Name", 80).ro(), func(c *gctx) any { return last(c) })
	s.add(fStr("Title", "Title", 128).ro(), gMaybe(0.3, gPick(titles...)))
	s.add(fArea("Street", "Street", 255).ro(), gMaybe(0.3, gPick(streets...)))
	s.add(fStr("City", "City", 40).ro(), gMaybe(0.3, func(c *gctx) any { return places[c.r.intn(len(places))].city }))
	s.add(fStr("State", "State", 80).ro(), gNil)
	s.add(fStr("PostalCode", "Zip", 20).ro(), gNil)
	s.add(fStr("Country", "Country", 80).ro(), gNil)
	s.add(fEmail("Email", "Email").ro(), gMaybe(0.2, func(c *gctx) any { return emailFor(c, c.str("FirstName"), c.str("LastName")) }))
	s.add(fPhone("Phone", "Phone").ro(), gPhone)
	s.add(fPhone("Fax", "Fax").ro(), gNil)
	s.add(fPhone("MobilePhone", "Mobile").ro(), gMaybe(0.5, gPhone))
	s.add(fArea("Description", "Description", 32000).ro(), gMaybe(0.8, func(c *gctx) any { return text(c) }))
	s.add(fBool("DoNotCall", "Do Not Call").ro(), gBool(0.1))
	s.add(fBool("HasOptedOutOfEmail", "Email Opt Out").ro(), gBool(0.1))
	s.add(fBool("HasOptedOutOfFax", "Fax Opt Out").ro(), gBool(0.05))
	s.add(fPick("LeadSource", "Lead Source", leadSources...).ro(), gMaybe(0.4, gPick(leadSources...)))
	s.add(fStr("CompanyOrAccount", "Company (Account)", 255).ro(), func(c *gctx) any { return c.r.pick(companies) })
	s.add(fStr("Type", "Type", 40).ro(), func(c *gctx) any {
		if c.get("LeadId") != nil {
			return "Lead"
		}
		return "Contact"
	})
	s.add(fRef("LeadOrContactId", "Contact or Lead ID", "", "Contact", "Lead").ro(), func(c *gctx) any {
		if v := c.get("LeadId"); v != nil {
			return v
		}
		return c.get("ContactId")
	})
	s.add(fRef("LeadOrContactOwnerId", "Lead or Contact Owner ID", "", "Group", "User").ro(), gUser)
	return objDef{obj: o, schema: s}
}

func product2Def() objDef {
	o := newObject("Product2", "Product", "Products", "01t")
	s := &schema{}
	s.id()
	s.add(fStr("Name", "Product Name", 255).name().req(), func(c *gctx) any { return productName(c.i) })
	s.add(fStr("ProductCode", "Product Code", 255), gMaybe(0.1, func(c *gctx) any { return "GC" + pad(c.i, 5) }))
	s.add(fArea("Description", "Product Description", 4000), gMaybe(0.3, func(c *gctx) any { return text(c) }))
	s.add(fBool("IsActive", "Active"), gBool(0.85))
	s.audit()
	s.pick("Family", "Product Family", 0.3, "None", "Hardware", "Software", "Services")
	s.add(fRef("ExternalDataSourceId", "External Data Source ID", "ExternalDataSource", "ExternalDataSource"), gNil)
	s.add(fStr("ExternalId", "External ID", 255), gNil)
	s.add(fURL("DisplayUrl", "Display URL", 1000), gNil)
	s.pick("QuantityUnitOfMeasure", "Quantity Unit Of Measure", 0.5, "Each", "Hour", "Kilogram")
	s.isDeleted()
	s.add(fBool("IsArchived", "Archived").ro(), gFalse)
	s.viewed()
	s.add(fStr("StockKeepingUnit", "Product SKU", 180), gMaybe(0.5, func(c *gctx) any { return "SKU-" + pad(c.i, 6) }))
	return objDef{obj: o, schema: s}
}

var productNames = []string{"GenWatt Diesel 1000kW", "GenWatt Diesel 10kW", "GenWatt Diesel 200kW", "GenWatt Propane 100kW", "GenWatt Propane 1500kW", "GenWatt Gasoline 300kW", "Installation: Industrial - High", "Installation: Portable", "SLA: Gold", "SLA: Silver", "SLA: Platinum", "SLA: Bronze", "Café \"Premium\" Pack", "ケーブル 10m"}

// productName is a pure function of the index so that entries and line items can name their
// product without generating it.
func productName(i int) string {
	return productNames[i%len(productNames)] + suffixFor(i, len(productNames))
}

func pricebook2Def() objDef {
	o := newObject("Pricebook2", "Price Book", "Price Books", "01s")
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fStr("Name", "Price Book Name", 255).name().req(), func(c *gctx) any {
		if c.i == 0 {
			return "Standard Price Book"
		}
		return "Price Book " + strconv.Itoa(c.i) + " (EUR, \"Partner\")"
	})
	s.audit()
	s.viewed()
	s.add(fBool("IsActive", "Active"), gConst(true))
	s.add(fBool("IsArchived", "Archived").ro(), gFalse)
	s.add(fStr("Description", "Description", 255), gMaybe(0.5, func(c *gctx) any { return text(c) }))
	s.add(fBool("IsStandard", "Is Standard Price Book").ro(), func(c *gctx) any { return c.i == 0 })
	return objDef{obj: o, schema: s}
}

// entryProduct maps a price book entry index to its (price book, product): the first round
// covers every product in the standard price book, as Salesforce requires.
func (o *Org) entryProduct(j int) (pricebook, product int) {
	np := o.tables["product2"].n
	nb := o.tables["pricebook2"].n
	if np == 0 || nb == 0 {
		return -1, -1
	}
	return (j / np) % nb, j % np
}

func pricebookEntryDef() objDef {
	o := newObject("PricebookEntry", "Price Book Entry", "Price Book Entries", "01u")
	s := &schema{}
	s.id()
	s.add(fStr("Name", "Product Name", 255).ro(), func(c *gctx) any {
		_, p := c.o.entryProduct(c.i)
		if p < 0 {
			return nil
		}
		return productName(p)
	})
	s.add(fRef("Pricebook2Id", "Price Book ID", "Pricebook2", "Pricebook2").req(), func(c *gctx) any {
		b, _ := c.o.entryProduct(c.i)
		return c.refAt("Pricebook2", b)
	})
	s.add(fRef("Product2Id", "Product ID", "Product2", "Product2").req(), func(c *gctx) any {
		_, p := c.o.entryProduct(c.i)
		return c.refAt("Product2", p)
	})
	s.add(fCurrency("UnitPrice", "List Price", 16, 2).req(), func(c *gctx) any { return money(c, 100000, false) })
	s.add(fBool("IsActive", "Active"), gBool(0.9))
	s.add(fBool("UseStandardPrice", "Use Standard Price"), gBool(0.2))
	s.audit()
	s.add(fStr("ProductCode", "Product Code", 255).ro(), func(c *gctx) any {
		_, p := c.o.entryProduct(c.i)
		return "GC" + pad(p, 5)
	})
	s.isDeleted()
	s.add(fBool("IsArchived", "Archived").ro(), gFalse)
	return objDef{obj: o, schema: s}
}

func opportunityDef() objDef {
	o := newObject("Opportunity", "Opportunity", "Opportunities", "006")
	s := &schema{}
	s.id()
	s.isDeleted()
	s.add(fRef("AccountId", "Account ID", "Account", "Account"), gMaybe(0.05, gRef("Account")))
	s.add(fBool("IsPrivate", "Private"), gBool(0.05))
	s.add(fStr("Name", "Name", 120).name().req(), func(c *gctx) any {
		return c.r.pick(companies) + " - " + c.r.pick([]string{"Renewal", "Add-On Business", "New Business", "Upsell, Q" + strconv.Itoa(1+c.r.intn(4)), "Services"})
	})
	s.add(fArea("Description", "Description", 32000), gDescription)
	s.add(fPick("StageName", "Stage", stages...).req(), func(c *gctx) any { return stages[c.r.intn(len(stages))] })
	s.add(fCurrency("Amount", "Amount", 18, 2), gMaybe(0.05, func(c *gctx) any {
		if c.r.chance(0.02) {
			return -float64(c.r.intn(100000)) / 100 // credit notes
		}
		return money(c, 1000000, true)
	}))
	s.add(fPercent("Probability", "Probability (%)", 3, 0), func(c *gctx) any { return float64(stageProb[stageIdx(c.str("StageName"))]) })
	s.add(fCurrency("ExpectedRevenue", "Expected Amount", 18, 2).formula("Amount * Probability / 100"), nil)
	s.add(fDouble("TotalOpportunityQuantity", "Quantity", 18, 2), gMaybe(0.6, func(c *gctx) any { return float64(c.r.intn(100000)) / 100 }))
	s.add(fDate("CloseDate", "Close Date").req(), gDateRange(-900, 365))
	s.pick("Type", "Opportunity Type", 0.2, "Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer")
	s.add(fStr("NextStep", "Next Step", 255), gMaybe(0.6, func(c *gctx) any { return text(c) }))
	s.pick("LeadSource", "Lead Source", 0.3, leadSources...)
	s.add(fBool("IsClosed", "Closed").ro(), func(c *gctx) any { return stageIdx(c.str("StageName")) >= 8 })
	s.add(fBool("IsWon", "Won").ro(), func(c *gctx) any { return c.str("StageName") == "Closed Won" })
	s.add(fPick("ForecastCategory", "Forecast Category", "Omitted", "Pipeline", "BestCase", "MostLikely", "Forecast", "Closed").ro(), func(c *gctx) any { return stageFcst[stageIdx(c.str("StageName"))] })
	s.add(fPick("ForecastCategoryName", "Forecast Category", "Omitted", "Pipeline", "Best Case", "Commit", "Closed"), func(c *gctx) any { return stageFcst[stageIdx(c.str("StageName"))] })
	s.add(fRef("CampaignId", "Campaign ID", "Campaign", "Campaign"), gMaybe(0.7, gRef("Campaign")))
	s.add(fBool("HasOpportunityLineItem", "Has Line Item").ro(), gBool(0.7))
	s.add(fRef("Pricebook2Id", "Price Book ID", "Pricebook2", "Pricebook2"), gMaybe(0.3, gRef("Pricebook2")))
	s.owner()
	s.audit()
	s.add(fDate("LastActivityDate", "Last Activity").ro(), gActivityDate)
	s.add(fInt("PushCount", "Push Count", 9).ro(), func(c *gctx) any { return int64(c.r.intn(4)) })
	s.add(fDateTime("LastStageChangeDate", "Last Stage Change Date").ro(), gMaybe(0.3, func(c *gctx) any { return c.lastmod }))
	s.add(fInt("FiscalQuarter", "Fiscal Quarter", 9).ro(), func(c *gctx) any { return int64((int(dateOf(c, "CloseDate").Month())-1)/3 + 1) })
	s.add(fInt("FiscalYear", "Fiscal Year", 9).ro(), func(c *gctx) any { return int64(dateOf(c, "CloseDate").Year()) })
	s.add(fStr("Fiscal", "Fiscal Period", 6).ro(), func(c *gctx) any {
		return strconv.Itoa(int(c.get("FiscalYear").(int64))) + " " + strconv.Itoa(int(c.get("FiscalQuarter").(int64)))
	})
	s.add(fRef("ContactId", "Contact ID", "Contact", "Contact"), gMaybe(0.6, gRef("Contact")))
	s.viewed()
	s.add(fBool("HasOpenActivity", "Has Open Activity").ro(), gBool(0.3))
	s.add(fBool("HasOverdueTask", "Has Overdue Task").ro(), gBool(0.1))
	s.add(fRef("LastAmountChangedHistoryId", "Opportunity History ID", "LastAmountChangedHistory", "OpportunityHistory").ro(), gNil)
	s.add(fRef("LastCloseDateChangedHistoryId", "Opportunity History ID", "LastCloseDateChangedHistory", "OpportunityHistory").ro(), gNil)
	s.pick("DeliveryInstallationStatus__c", "Delivery/Installation Status", 0.4, "In progress", "Yet to begin", "Completed")
	s.add(fStr("TrackingNumber__c", "Tracking Number", 12), gMaybe(0.6, func(c *gctx) any { return pad(c.r.intn(1000000000), 12) }))
	s.add(fStr("OrderNumber__c", "Order Number", 8), gMaybe(0.6, func(c *gctx) any { return pad(c.r.intn(100000000), 8) }))
	s.add(fStr("CurrentGenerators__c", "Current Generator(s)", 100), gMaybe(0.7, gPick("John Deere", "Mitsubishi", "Hawkpower, Fujitsu")))
	s.add(fStr("MainCompetitors__c", "Main Competitor(s)", 100), gMaybe(0.6, gPick("John Deere", "Mitsubishi", "Hawkpower", "Caterpillar & \"Others\"")))
	return objDef{obj: o, schema: s, formulas: map[string]func(*Record) any{
		"ExpectedRevenue": func(r *Record) any { return mulDiv(r.Get("Amount"), r.Get("Probability"), 100, 2) },
	}}
}

func stageIdx(stage string) int {
	for i, s := range stages {
		if s == stage {
			return i
		}
	}
	return 0
}

func dateOf(c *gctx, name string) time.Time {
	t, _ := c.get(name).(time.Time)
	return t
}

// decimal returns a number value (float64, int64 or json.Number) as an exact rational.
func decimal(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case float64:
		r := new(big.Rat)
		if _, ok := r.SetString(strconv.FormatFloat(x, 'f', -1, 64)); ok {
			return r, true
		}
	case int64:
		return new(big.Rat).SetInt64(x), true
	case json.Number:
		return new(big.Rat).SetString(string(x))
	}
	return nil, false
}

// mulDiv returns a*b/div rounded to scale decimals, exactly: a float64 when it is representable
// without loss, else a json.Number. Null operands give null, as in a formula.
func mulDiv(a, b any, div int64, scale int) any {
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok && math.Abs(fa*fb) < 1e12 {
			// Small enough that float64 rounding cannot reach the kept decimals: skip big.Rat,
			// which dominates generation time otherwise.
			p := math.Pow10(scale)
			return math.Round(fa*fb/float64(div)*p) / p
		}
	}
	x, ok1 := decimal(a)
	y, ok2 := decimal(b)
	if !ok1 || !ok2 {
		return nil
	}
	z := new(big.Rat).Mul(x, y)
	z.Quo(z, new(big.Rat).SetInt64(div))
	return number(z, scale)
}

// number renders an exact value rounded to scale decimals as float64 when that round-trips, else
// as json.Number.
func number(z *big.Rat, scale int) any {
	s := z.FloatString(scale)
	f, err := strconv.ParseFloat(s, 64)
	if err == nil {
		if back := strconv.FormatFloat(f, 'f', scale, 64); back == s {
			return f
		}
	}
	return json.Number(s)
}

func opportunityLineItemDef() objDef {
	o := newObject("OpportunityLineItem", "Opportunity Product", "Opportunity Product", "00k")
	o.Searchable = false
	s := &schema{}
	s.id()
	s.add(fRef("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity").req(), gRef("Opportunity"))
	s.add(fInt("SortOrder", "Sort Order", 9), gMaybe(0.5, func(c *gctx) any { return int64(c.r.intn(10)) }))
	entry := func(c *gctx) int {
		t := c.o.tables["pricebookentry"]
		if t.n == 0 {
			return -1
		}
		// The same entry for the whole record: a hash of the index, not the stream.
		return int(hash3(c.t.salt, uint64(c.i), 0xe1) % uint64(t.n))
	}
	s.add(fRef("PricebookEntryId", "Price Book Entry ID", "PricebookEntry", "PricebookEntry"), func(c *gctx) any { return c.refAt("PricebookEntry", entry(c)) })
	s.add(fRef("Product2Id", "Product ID", "Product2", "Product2"), func(c *gctx) any {
		j := entry(c)
		if j < 0 {
			return nil
		}
		_, p := c.o.entryProduct(j)
		return c.refAt("Product2", p)
	})
	s.add(fStr("ProductCode", "Product Code", 255).ro(), func(c *gctx) any {
		j := entry(c)
		if j < 0 {
			return nil
		}
		_, p := c.o.entryProduct(j)
		return "GC" + pad(p, 5)
	})
	s.add(fStr("Name", "Opportunity Product Name", 376).ro(), func(c *gctx) any {
		j := entry(c)
		if j < 0 {
			return nil
		}
		_, p := c.o.entryProduct(j)
		return productName(p)
	})
	s.add(fDouble("Quantity", "Quantity", 12, 2).req(), func(c *gctx) any { return float64(1 + c.r.intn(50)) })
	s.add(fCurrency("UnitPrice", "Sales Price", 18, 2), func(c *gctx) any { return money(c, 50000, false) })
	s.add(fCurrency("TotalPrice", "Total Price", 16, 2), func(c *gctx) any { return mulDiv(c.get("Quantity"), c.get("UnitPrice"), 1, 2) })
	s.add(fCurrency("ListPrice", "List Price", 18, 2).ro(), func(c *gctx) any { return c.get("UnitPrice") })
	s.add(fDate("ServiceDate", "Date"), gMaybe(0.6, gDateRange(-700, 200)))
	s.add(fStr("Description", "Line Description", 255), gMaybe(0.6, func(c *gctx) any { return text(c) }))
	s.audit()
	s.isDeleted()
	s.viewed()
	return objDef{obj: o, schema: s}
}

func opportunityContactRoleDef() objDef {
	o := newObject("OpportunityContactRole", "Opportunity Contact Role", "Opportunity Contact Role", "00K")
	o.Searchable = false
	s := &schema{}
	s.id()
	s.add(fRef("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity").req(), gRef("Opportunity"))
	s.add(fRef("ContactId", "Contact ID", "Contact", "Contact").req(), gRef("Contact"))
	s.pick("Role", "Role", 0.2, "Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator", "Executive Sponsor", "Influencer", "Technical Buyer", "Other")
	s.add(fBool("IsPrimary", "Primary"), gBool(0.3))
	s.audit()
	s.isDeleted()
	return objDef{obj: o, schema: s}
}

// activity adds the fields Task and Event share up to the owner.
func activityWho(c *gctx) any {
	switch {
	case c.r.chance(0.2):
		return nil
	case c.r.chance(0.7):
		return c.ref("Contact")
	default:
		return c.ref("Lead")
	}
}

func activityWhat(c *gctx) any {
	if c.get("WhoId") != nil {
		if id, _ := c.get("WhoId").(string); len(id) > 3 && id[:3] == "00Q" {
			return nil // a task on a lead cannot have a What
		}
	}
	switch c.r.intn(5) {
	case 0:
		return nil
	case 1:
		return c.ref("Opportunity")
	case 2:
		return c.ref("Campaign")
	case 3:
		return c.ref("Something__c")
	default:
		return c.ref("Account")
	}
}

var whatTo = []string{"Account", "Asset", "Campaign", "Case", "Contract", "Opportunity", "Order", "Product2", "Something__c"}

func taskDef() objDef {
	o := newObject("Task", "Task", "Tasks", "00T")
	s := &schema{}
	s.id()
	s.add(fRef("WhoId", "Name ID", "Who", "Contact", "Lead"), activityWho)
	s.add(fRef("WhatId", "Related To ID", "What", whatTo...), activityWhat)
	s.add(fCombo("Subject", "Subject", taskSubjects...), gMaybe(0.05, gPick(taskSubjects...)))
	s.add(fDate("ActivityDate", "Due Date Only"), gMaybe(0.2, gDateRange(-900, 60)))
	s.add(fPick("Status", "Status", "Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred").req().dflt(), gPick("Not Started", "In Progress", "Completed", "Completed", "Waiting on someone else", "Deferred"))
	s.add(fPick("Priority", "Priority", "High", "Normal", "Low").req().dflt(), gPick("High", "Normal", "Normal", "Low"))
	s.add(fBool("IsHighPriority", "High Priority").ro(), func(c *gctx) any { return c.str("Priority") == "High" })
	s.owner("Group", "User")
	s.add(fArea("Description", "Description", 32000), gDescription)
	s.isDeleted()
	s.add(fRef("AccountId", "Account ID", "Account", "Account").ro(), func(c *gctx) any {
		if id, _ := c.get("WhatId").(string); len(id) > 3 && id[:3] == "001" {
			return id
		}
		return nil
	})
	s.add(fBool("IsClosed", "Closed").ro(), func(c *gctx) any { return c.str("Status") == "Completed" })
	s.audit()
	s.add(fBool("IsArchived", "Archived").ro(), gFalse)
	s.add(fInt("CallDurationInSeconds", "Call Duration", 8), gMaybe(0.8, func(c *gctx) any { return int64(c.r.intn(3600)) }))
	s.pick("CallType", "Call Type", 0.8, "Internal", "Inbound", "Outbound")
	s.add(fStr("CallDisposition", "Call Result", 255), gNil)
	s.add(fStr("CallObject", "Call Object Identifier", 255), gNil)
	s.add(fDateTime("ReminderDateTime", "Reminder Date/Time"), gMaybe(0.8, func(c *gctx) any { return c.before(30 * 24 * time.Hour) }))
	s.add(fBool("IsReminderSet", "Reminder Set"), func(c *gctx) any { return c.get("ReminderDateTime") != nil })
	s.add(fRef("RecurrenceActivityId", "Recurrence Activity ID", "", "Task").ro(), gNil)
	s.add(fBool("IsRecurrence", "Create Recurring Series of Tasks"), gFalse)
	s.add(fPick("TaskSubtype", "Task Subtype", "Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"), gPick("Task", "Email", "Call"))
	s.add(fDateTime("CompletedDateTime", "Completed Date/Time").ro(), func(c *gctx) any {
		if c.get("IsClosed") == true {
			return c.lastmod
		}
		return nil
	})
	s.add(fInt("WhoCount", "Relation Count", 9).ro(), func(c *gctx) any { return boolCount(c.get("WhoId") != nil) })
	s.add(fInt("WhatCount", "Related To Count", 9).ro(), func(c *gctx) any { return boolCount(c.get("WhatId") != nil) })
	return objDef{obj: o, schema: s}
}

func boolCount(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func eventDef() objDef {
	o := newObject("Event", "Event", "Events", "00U")
	s := &schema{}
	s.id()
	s.add(fRef("WhoId", "Name ID", "Who", "Contact", "Lead"), activityWho)
	s.add(fRef("WhatId", "Related To ID", "What", whatTo...), activityWhat)
	s.add(fCombo("Subject", "Subject", "Call", "Email", "Meeting", "Send Letter/Quote", "Other"), gPick("Call", "Email", "Meeting", "Meeting", "Send Letter/Quote", "Other", "Déjeuner d'affaires", "会議"))
	s.add(fStr("Location", "Location", 255), gMaybe(0.5, func(c *gctx) any { return places[c.r.intn(len(places))].city + ", Room " + strconv.Itoa(c.r.intn(500)) }))
	s.add(fBool("IsAllDayEvent", "All-Day Event"), gBool(0.1))
	s.add(fDateTime("ActivityDateTime", "Due Date Time"), func(c *gctx) any {
		if c.get("IsAllDayEvent") == true {
			return nil
		}
		return c.before(800 * 24 * time.Hour).Truncate(15 * time.Minute)
	})
	s.add(fDate("ActivityDate", "Due Date Only"), func(c *gctx) any {
		if t, ok := c.get("ActivityDateTime").(time.Time); ok {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
		return c.day(-c.r.intn(800))
	})
	s.add(fInt("DurationInMinutes", "Duration", 8), func(c *gctx) any {
		if c.get("IsAllDayEvent") == true {
			return int64(1440)
		}
		return int64(15 * (1 + c.r.intn(12)))
	})
	s.add(fDateTime("StartDateTime", "Start Date Time"), func(c *gctx) any {
		if t, ok := c.get("ActivityDateTime").(time.Time); ok {
			return t
		}
		return dateOf(c, "ActivityDate")
	})
	s.add(fDateTime("EndDateTime", "End Date Time"), func(c *gctx) any {
		return dateOf(c, "StartDateTime").Add(time.Duration(c.get("DurationInMinutes").(int64)) * time.Minute)
	})
	s.add(fDate("EndDate", "End Date Only").ro(), func(c *gctx) any {
		t := dateOf(c, "EndDateTime")
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	})
	s.add(fArea("Description", "Description", 32000), gDescription)
	s.add(fRef("AccountId", "Account ID", "Account", "Account").ro(), func(c *gctx) any {
		if id, _ := c.get("WhatId").(string); len(id) > 3 && id[:3] == "001" {
			return id
		}
		return nil
	})
	s.owner("Calendar", "User")
	s.add(fBool("IsPrivate", "Private"), gBool(0.05))
	s.add(fPick("ShowAs", "Show Time As", "Busy", "OutOfOffice", "Free").dflt(), gPick("Busy", "Busy", "OutOfOffice", "Free"))
	s.isDeleted()
	s.add(fBool("IsChild", "Is Child").ro(), gFalse)
	s.add(fBool("IsGroupEvent", "Is Group Event").ro(), gBool(0.1))
	s.add(fPick("GroupEventType", "Group Event Type", "0", "1", "2", "3").ro(), func(c *gctx) any {
		if c.get("IsGroupEvent") == true {
			return "1"
		}
		return "0"
	})
	s.audit()
	s.add(fBool("IsArchived", "Archived").ro(), gFalse)
	s.add(fRef("RecurrenceActivityId", "Recurrence Activity ID", "", "Event").ro(), gNil)
	s.add(fBool("IsRecurrence", "Create Recurring Series of Events"), gFalse)
	s.add(fDateTime("ReminderDateTime", "Reminder Date/Time"), gMaybe(0.7, func(c *gctx) any { return dateOf(c, "StartDateTime").Add(-15 * time.Minute) }))
	s.add(fBool("IsReminderSet", "Reminder Set"), func(c *gctx) any { return c.get("ReminderDateTime") != nil })
	s.add(fPick("EventSubtype", "Event Subtype", "Event"), gConst("Event"))
	s.add(fBool("IsRecurrence2", "Repeat"), gFalse)
	s.add(fInt("WhoCount", "Relation Count", 9).ro(), func(c *gctx) any { return boolCount(c.get("WhoId") != nil) })
	s.add(fInt("WhatCount", "Related To Count", 9).ro(), func(c *gctx) any { return boolCount(c.get("WhatId") != nil) })
	return objDef{obj: o, schema: s}
}

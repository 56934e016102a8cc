package sfdlt

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/engine"
	"github.com/sfdlt/sfdlt/schema"
)

// Credentials are the Salesforce credentials of a source: user name, password and security
// token as dlt's Salesforce source takes them, or any OAuth flow or session the client supports
// (see client.Credentials for how the flow is chosen).
type Credentials = client.Credentials

// SourceName is the name of the Salesforce source, its schema and its state section, as in dlt.
const SourceName = "salesforce"

// SystemModstamp is the cursor field of the incremental Salesforce resources. It changes on
// every change of a record, including changes made by automation (LastModifiedDate does not).
const SystemModstamp = "SystemModstamp"

// The standard resources, in the order dlt's Salesforce source defines them.
var standardResources = []struct {
	name, object string
	incremental  bool
}{
	{"sf_user", "User", false},
	{"user_role", "UserRole", false},
	{"opportunity", "Opportunity", true},
	{"opportunity_line_item", "OpportunityLineItem", true},
	{"opportunity_contact_role", "OpportunityContactRole", true},
	{"account", "Account", true},
	{"contact", "Contact", false},
	{"lead", "Lead", false},
	{"campaign", "Campaign", false},
	{"campaign_member", "CampaignMember", true},
	{"product_2", "Product2", false},
	{"pricebook_2", "Pricebook2", false},
	{"pricebook_entry", "PricebookEntry", false},
	{"task", "Task", true},
	{"event", "Event", true},
}

// StandardResource is one of the 15 standard resources NewSource makes: its name (also its
// table's), the Salesforce object it reads, and whether it is merged on Id, incrementally on
// SystemModstamp (else it is replaced on every run).
type StandardResource struct {
	Name, Object string
	Merge        bool
}

// StandardResources lists the standard resources NewSource makes, in the order dlt's Salesforce
// source defines them, so that configuration can check resource names without a source.
func StandardResources() []StandardResource {
	out := make([]StandardResource, len(standardResources))
	for i, std := range standardResources {
		out[i] = StandardResource{Name: std.name, Object: std.object, Merge: std.incremental}
	}
	return out
}

// Source is the Salesforce source: an org to log in to and the resources to load from it. It
// does no I/O until a pipeline runs it. A Source is not modified by a run and may be reused.
type Source struct {
	// spec holds the source's settings as the engine takes them.
	spec      engine.Source
	resources []*Resource
	selected  []string // nil: all
	err       error
}

// NewSource makes the Salesforce source with the 15 standard resources of dlt's Salesforce
// source: sf_user, user_role, lead, contact, campaign, product_2, pricebook_2 and
// pricebook_entry are replaced on every run; opportunity, opportunity_line_item,
// opportunity_contact_role, account, campaign_member, task and event are merged on Id,
// incrementally on SystemModstamp. It does not log in: a pipeline run does.
func NewSource(creds Credentials, opts ...SourceOption) (*Source, error) {
	s := &Source{spec: engine.Source{Name: SourceName, Production: true, Formulas: true, BulkThreshold: DefaultBulkThreshold}}
	s.spec.Client.Credentials = creds
	for _, o := range opts {
		o.applySource(s)
	}
	if s.spec.MaxCursors == 0 {
		s.spec.MaxCursors = DefaultMaxQueryCursors
	}
	if s.spec.MaxCursors < 1 || s.spec.MaxCursors >= salesforceCursorLimit {
		return nil, fmt.Errorf("MaxQueryCursors(%d): use 1 to %d: Salesforce keeps at most %d query cursors open per user, shared with the user's other integrations", s.spec.MaxCursors, salesforceCursorLimit-1, salesforceCursorLimit)
	}
	if (len(s.spec.ObjectsInclude) > 0 || len(s.spec.ObjectsExclude) > 0) && !s.spec.AllObjects {
		s.setErr(fmt.Errorf("ObjectsInclude and ObjectsExclude narrow a whole-org load: add sfdlt.AllObjects(true) (all_objects = true, sfdlt run --all-objects), or leave the patterns out"))
	}
	if creds == (Credentials{}) {
		return nil, fmt.Errorf("salesforce source: no credentials given: set user_name, password and security_token (or an OAuth client id with a key, secret or refresh token, or a session id and instance URL)")
	}
	for _, std := range standardResources {
		r := &Resource{name: std.name, object: std.object, disposition: Replace}
		if std.incremental {
			MergeOnSystemModstamp().applyResource(r)
		}
		s.resources = append(s.resources, r)
	}
	return s, nil
}

// AddObject adds any Salesforce object, standard or custom, as a resource. Its table is the
// object's name in dlt's snake_case (Something__c -> something__c). By default it is replaced on
// every run; MergeOnSystemModstamp makes it incremental. Adding a name twice is an error
// reported by the run.
func (s *Source) AddObject(object string, opts ...ResourceOption) *Source {
	r := &Resource{name: schema.NormalizeTableName(object), object: object, disposition: Replace}
	for _, o := range opts {
		o.applyResource(r)
	}
	return s.AddResource(r)
}

// AddResource adds a resource (such as one made by NewResource) to the source.
func (s *Source) AddResource(r *Resource) *Source {
	if r == nil {
		s.setErr(fmt.Errorf("AddResource: nil resource"))
		return s
	}
	if _, err := s.Resource(r.name); err == nil {
		s.setErr(fmt.Errorf("the source already has a resource named %q: give the new one another name", r.name))
		return s
	}
	if !client.ValidAPIName(r.object) {
		s.setErr(fmt.Errorf("%q is not a Salesforce object API name: use letters, digits and underscores as in describe (for example Something__c)", r.object))
		return s
	}
	s.resources = append(s.resources, r)
	return s
}

// Resource returns the named resource, so its hints can be changed.
func (s *Source) Resource(name string) (*Resource, error) {
	for _, r := range s.resources {
		if r.name == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("the salesforce source has no resource %q; it has: %s", name, strings.Join(s.ResourceNames(), ", "))
}

// ResourceNames lists the names of all resources of the source, selected or not.
func (s *Source) ResourceNames() []string {
	names := make([]string, len(s.resources))
	for i, r := range s.resources {
		names[i] = r.name
	}
	return names
}

// WithResources returns a copy of the source that loads only the named resources, as dlt's
// with_resources does. The copy has its own resources: hints applied to it do not change s. An
// unknown name makes the run fail with an error listing the valid ones.
func (s *Source) WithResources(names ...string) *Source {
	c := *s
	c.resources = make([]*Resource, len(s.resources))
	for i, r := range s.resources {
		c.resources[i] = r.clone()
	}
	c.selected = nil
	for _, n := range names {
		if _, err := s.Resource(n); err != nil {
			c.setErr(err)
			continue
		}
		if !slices.Contains(c.selected, n) {
			c.selected = append(c.selected, n)
		}
	}
	if len(names) == 0 {
		c.setErr(fmt.Errorf("WithResources: no resource named; the salesforce source has: %s", strings.Join(s.ResourceNames(), ", ")))
	}
	return &c
}

// ApplyHints applies hints to the named resource (see Resource.ApplyHints).
func (s *Source) ApplyHints(resource string, h Hints) *Source {
	r, err := s.Resource(resource)
	if err != nil {
		s.setErr(err)
		return s
	}
	r.ApplyHints(h)
	return s
}

// String describes the source without its credentials' secrets.
func (s Source) String() string {
	return fmt.Sprintf("sfdlt.Source{name: %s, login: %s, credentials: %v, resources: %v}", s.spec.Name, s.loginTarget(), s.spec.Client.Credentials, s.ResourceNames())
}

// GoString is String: %#v must not print the secrets either.
func (s Source) GoString() string { return s.String() }

// Format makes every fmt verb use String, so no verb prints the unexported configuration.
func (s Source) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

func (s Source) loginTarget() string {
	switch {
	case s.spec.Client.LoginURL != "":
		return s.spec.Client.LoginURL
	case s.spec.Client.Domain != "":
		return s.spec.Client.Domain
	}
	return "login"
}

// Credentials are the credentials the source logs in with. They hold secrets: print them
// (their String redacts the secrets), never their fields.
func (s *Source) Credentials() Credentials { return s.spec.Client.Credentials }

// Domain is where the source logs in, as the Domain option set it ("" is "login").
func (s *Source) Domain() string { return s.spec.Client.Domain }

// LoginURL is the full login URL the LoginURL option set ("": none, Domain decides).
func (s *Source) LoginURL() string { return s.spec.Client.LoginURL }

// APIVersion is the Salesforce API version the APIVersion option set ("": the client's default).
func (s *Source) APIVersion() string { return s.spec.Client.APIVersion }

// Production reports whether queries run in full (see the Production option).
func (s *Source) Production() bool { return s.spec.Production }

// FormulaFields reports whether Salesforce resources select formula fields unless a resource
// says otherwise (see the FormulaFields option).
func (s *Source) FormulaFields() bool { return s.spec.Formulas }

// AllObjects reports whether the source loads every object of the org (see the AllObjects option).
func (s *Source) AllObjects() bool { return s.spec.AllObjects }

// MaxQueryCursors is how many REST query cursors a run holds open at once (see the
// MaxQueryCursors option).
func (s *Source) MaxQueryCursors() int { return s.spec.MaxCursors }

// Err reports the first error made while building the source (an unknown resource name, a
// duplicate resource); a run returns it too.
func (s *Source) Err() error { return s.err }

func (s *Source) setErr(err error) {
	if s.err == nil {
		s.err = err
	}
}

// selectedResources returns copies of the resources a run loads, in the source's order.
func (s *Source) selectedResources() []*Resource {
	var out []*Resource
	for _, r := range s.resources {
		if s.selected == nil || slices.Contains(s.selected, r.name) {
			out = append(out, r.clone())
		}
	}
	return out
}

// checkPatterns records an error for a malformed object pattern.
func (s *Source) checkPatterns(patterns []string) {
	if err := engine.CheckPatterns(patterns); err != nil {
		s.setErr(err)
	}
}

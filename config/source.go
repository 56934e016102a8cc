package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt"
)

// SourceSettings are the settings of the Salesforce source under [sources.salesforce] (env
// SOURCES__SALESFORCE__<KEY>), besides the credentials. A zero field is not set: the source's
// default applies.
type SourceSettings struct {
	Domain     string // domain: "login", "test" or a My Domain such as "acme.my"
	LoginURL   string // login_url: a full login URL; wins over Domain
	APIVersion string // api_version, such as "64.0"
	// Production is is_production (default true); false caps every query at 100 rows.
	Production *bool
	// FormulaFields is include_formula_fields (default true).
	FormulaFields *bool
	// BulkThreshold is bulk_threshold (default sfdlt.DefaultBulkThreshold; 0 turns Bulk off).
	BulkThreshold *int
	HardDeletes   bool          // hard_deletes
	Lookback      time.Duration // lookback
	// MaxAPIUsagePercent is max_api_usage_percent, from 0 to 100 (0: the guard is off).
	MaxAPIUsagePercent float64
	FormulaRefresh     time.Duration // formula_refresh
	// MaxQueryCursors is max_query_cursors, from 1 to 9 (0: sfdlt.DefaultMaxQueryCursors).
	MaxQueryCursors int
	// AllObjects is all_objects: load every object of the org beside the standard resources
	// (see sfdlt.AllObjects).
	AllObjects bool
	// ObjectsInclude and ObjectsExclude are objects_include and objects_exclude: glob patterns on
	// object API names that narrow AllObjects (see sfdlt.ObjectsInclude); nil when not set.
	// Source refuses them without all_objects = true (or the CLI's --all-objects).
	ObjectsInclude, ObjectsExclude []string
	// Objects are the hints of [sources.salesforce.objects.<Object>] tables, by object API name
	// as the configuration spells it (upper case for an object named only by environment
	// variables: Salesforce matches names regardless of case); nil when there are none.
	Objects map[string]ObjectSettings
	// Resources are the hints of [sources.salesforce.resources.<resource>] tables, by the name
	// of one of the 15 standard resources (contact, opportunity, ...); nil when there are none.
	Resources map[string]ResourceSettings
}

// sourceName is the second section of the source's keys: sources.salesforce.
const sourceName = sfdlt.SourceName

// salesforceCursorLimit is how many query cursors Salesforce keeps open per user; sfdlt takes
// at most one less (sfdlt.NewSource checks the same), leaving one to the user's other
// integrations.
const salesforceCursorLimit = 10

// salesforceKeys are the keys the Salesforce source reads, in the order String shows them.
var salesforceKeys = []keySpec{
	{name: "user_name", credential: true},
	{name: "password", secret: true, credential: true},
	{name: "security_token", secret: true, credential: true},
	{name: "client_id", secret: true, credential: true},
	{name: "client_secret", secret: true, credential: true},
	{name: "private_key", secret: true, credential: true},
	{name: "private_key_file", credential: true},
	{name: "private_key_path", credential: true},
	{name: "refresh_token", secret: true, credential: true},
	{name: "session_id", secret: true, credential: true},
	{name: "instance_url", credential: true},
	{name: "domain"},
	{name: "login_url"},
	{name: "api_version", kind: kindVersion},
	{name: "is_production", kind: kindBool},
	{name: "include_formula_fields", kind: kindBool},
	{name: "bulk_threshold", kind: kindInt},
	{name: "hard_deletes", kind: kindBool},
	{name: "lookback", kind: kindDuration},
	{name: "max_api_usage_percent", kind: kindPercent},
	{name: "formula_refresh", kind: kindDuration},
	{name: "max_query_cursors", kind: kindInt},
	{name: "all_objects", kind: kindBool},
	{name: "objects_include", kind: kindPatterns},
	{name: "objects_exclude", kind: kindPatterns},
	{name: "objects", kind: kindObjects},
	{name: "resources", kind: kindResources}, // after objects: a resource's object may not have both
}

// salesforcePaths are the paths of a Salesforce key, most specific first.
func salesforcePaths(k keySpec) [][]string {
	if k.credential {
		return [][]string{
			{"sources", sourceName, "credentials", k.name}, {"sources", sourceName, k.name},
			{"sources", "credentials", k.name}, {"sources", k.name},
			{"credentials", k.name}, {k.name},
		}
	}
	return [][]string{{"sources", sourceName, k.name}, {"sources", k.name}, {k.name}}
}

var credentialPrefixes = [][]string{
	{"sources", sourceName, "credentials"}, {"sources", sourceName},
	{"sources", "credentials"}, {"sources"}, {"credentials"}, {},
}

// rawCredentials are the credential keys as configured, before Credentials checks them.
type rawCredentials struct {
	sfdlt.Credentials
	privateKeyPath string // private_key_path: private_key_file's other name
}

// resolveSource resolves the Salesforce keys: the credentials and the source settings.
func (c *Config) resolveSource() []error {
	s := c.st
	src := &s.settings.Source
	cr := &s.creds
	var errs []error
	for _, k := range salesforceKeys {
		switch k.kind {
		case kindObjects:
			errs = append(errs, c.resolveObjects()...)
			continue
		case kindResources:
			errs = append(errs, c.resolveResources()...)
			continue
		}
		h, ok := s.find(salesforcePaths(k), true)
		if !ok {
			continue
		}
		var shown string
		var err error
		switch k.kind {
		case kindBool:
			var b bool
			if b, err = h.asBool(); err == nil {
				shown = strconv.FormatBool(b)
				switch k.name {
				case "is_production":
					src.Production = &b
				case "include_formula_fields":
					src.FormulaFields = &b
				case "hard_deletes":
					src.HardDeletes = b
				case "all_objects":
					src.AllObjects = b
				}
			}
		case kindVersion:
			src.APIVersion, err = h.asVersion()
			shown = src.APIVersion
		case kindInt:
			lo, hi := 0, maxWhole
			if k.name == "max_query_cursors" {
				lo, hi = 1, salesforceCursorLimit-1
			}
			var n int
			if n, err = h.asInt(lo, hi); err == nil {
				shown = strconv.Itoa(n)
				switch k.name {
				case "bulk_threshold":
					src.BulkThreshold = &n
				case "max_query_cursors":
					src.MaxQueryCursors = n
				}
			}
		case kindDuration:
			var d time.Duration
			if d, err = h.asDuration(); err == nil {
				shown = d.String()
				switch k.name {
				case "lookback":
					src.Lookback = d
				case "formula_refresh":
					src.FormulaRefresh = d
				}
			}
		case kindPercent:
			src.MaxAPIUsagePercent, err = h.asPercent()
			shown = strconv.FormatFloat(src.MaxAPIUsagePercent, 'f', -1, 64)
		case kindPatterns:
			var patterns []string
			if patterns, err = h.asPatterns(); err == nil {
				shown = strings.Join(patterns, ",")
				switch k.name {
				case "objects_include":
					src.ObjectsInclude = patterns
				case "objects_exclude":
					src.ObjectsExclude = patterns
				}
			}
		default:
			var v string
			if v, err = h.asString(k.secret); err == nil {
				v = c.setString(cr, src, k.name, h, v)
				if !k.secret {
					shown = v
				}
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.set(k.name, h, shown, k.secret)
	}
	return errs
}

// checkAllObjects refuses objects_include and objects_exclude without all_objects = true: they
// narrow a whole-org load, and would otherwise be ignored without a word. Source checks it once
// the options are all applied, so the CLI's --all-objects counts too.
func (c *Config) checkAllObjects() error {
	s := c.st
	if s.settings.Source.AllObjects {
		return nil
	}
	var set []string
	var first found
	for _, name := range []string{"objects_include", "objects_exclude"} {
		if f, ok := s.found[name]; ok {
			if set == nil {
				first = f
			}
			set = append(set, f.key)
		}
	}
	if set == nil {
		return nil
	}
	off := "all_objects is not set"
	if f, ok := s.found["all_objects"]; ok {
		off = fmt.Sprintf("all_objects is false (%s)", f.origin)
	}
	keys, verb := strings.Join(set, " and "), "narrows"
	if len(set) > 1 {
		verb = "narrow"
	}
	return fmt.Errorf("%s: %s %s a whole-org load, but %s: add all_objects = true under [sources.salesforce] (or set SOURCES__SALESFORCE__ALL_OBJECTS=true), or remove %s",
		first.origin, keys, verb, off, keys)
}

// setString stores the string key name and returns it as stored: paths made absolute, a
// private key unfolded.
func (c *Config) setString(cr *rawCredentials, src *SourceSettings, name string, h hit, v string) string {
	switch name {
	case "user_name":
		cr.UserName = v
	case "password":
		cr.Password = v
	case "security_token":
		cr.SecurityToken = v
	case "client_id":
		cr.ClientID = v
	case "client_secret":
		cr.ClientSecret = v
	case "private_key":
		if h.env && !strings.Contains(v, "\n") && strings.Contains(v, `\n`) {
			v = strings.ReplaceAll(v, `\n`, "\n") // a PEM squeezed onto one line of an env file
		}
		cr.PrivateKey = v
	case "private_key_file":
		v = c.st.path(v)
		cr.PrivateKeyFile = v
	case "private_key_path":
		v = c.st.path(v)
		cr.privateKeyPath = v
	case "refresh_token":
		cr.RefreshToken = v
	case "session_id":
		cr.SessionID = v
	case "instance_url":
		cr.InstanceURL = v
	case "domain":
		src.Domain = v
	case "login_url":
		src.LoginURL = v
	}
	return v
}

// options turns the settings into options for sfdlt.NewSource.
func (ss SourceSettings) options() []sfdlt.SourceOption {
	var opts []sfdlt.SourceOption
	if ss.Domain != "" {
		opts = append(opts, sfdlt.Domain(ss.Domain))
	}
	if ss.LoginURL != "" {
		opts = append(opts, sfdlt.LoginURL(ss.LoginURL))
	}
	if ss.APIVersion != "" {
		opts = append(opts, sfdlt.APIVersion(ss.APIVersion))
	}
	if ss.Production != nil {
		opts = append(opts, sfdlt.Production(*ss.Production))
	}
	if ss.FormulaFields != nil {
		opts = append(opts, sfdlt.FormulaFields(*ss.FormulaFields))
	}
	if ss.BulkThreshold != nil {
		opts = append(opts, sfdlt.BulkThreshold(*ss.BulkThreshold))
	}
	if ss.HardDeletes {
		opts = append(opts, sfdlt.HardDeletes(true))
	}
	if ss.Lookback != 0 {
		opts = append(opts, sfdlt.Lookback(ss.Lookback))
	}
	if ss.MaxAPIUsagePercent != 0 {
		opts = append(opts, sfdlt.MaxAPIUsagePercent(ss.MaxAPIUsagePercent))
	}
	if ss.FormulaRefresh != 0 {
		opts = append(opts, sfdlt.FormulaRefresh(ss.FormulaRefresh))
	}
	if ss.MaxQueryCursors != 0 {
		opts = append(opts, sfdlt.MaxQueryCursors(ss.MaxQueryCursors))
	}
	if ss.AllObjects {
		opts = append(opts, sfdlt.AllObjects(true))
	}
	if len(ss.ObjectsInclude) > 0 {
		opts = append(opts, sfdlt.ObjectsInclude(ss.ObjectsInclude...))
	}
	if len(ss.ObjectsExclude) > 0 {
		opts = append(opts, sfdlt.ObjectsExclude(ss.ObjectsExclude...))
	}
	return append(opts, objectOptions(ss.Objects)...)
}

// Source makes the Salesforce source from the configuration's credentials and source
// settings. extra options are applied after those of the configuration, so explicit options
// win. Without credentials it returns the *MissingConfigError of Credentials.
func (c *Config) Source(extra ...sfdlt.SourceOption) (*sfdlt.Source, error) {
	creds, err := c.Credentials()
	if err != nil {
		return nil, err
	}
	src, err := sfdlt.NewSource(creds, append(c.st.settings.Source.options(), extra...)...)
	if err != nil {
		return nil, err
	}
	applyResources(src, c.st.settings.Source.Resources)
	if !src.AllObjects() {
		if err := c.checkAllObjects(); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// Credentials returns the Salesforce credentials. With none configured at all, or with only
// the placeholders sfdlt init writes, it returns a *MissingConfigError that says where it
// looked and what to write where.
func (c *Config) Credentials() (sfdlt.Credentials, error) {
	if c == nil || c.st == nil {
		return sfdlt.Credentials{}, errNoConfig
	}
	cr := c.st.creds.Credentials
	if cr.PrivateKeyFile == "" {
		cr.PrivateKeyFile = c.st.creds.privateKeyPath
	}
	var placeholders []string
	for _, p := range []struct{ key, value string }{
		{"user_name", cr.UserName}, {"password", cr.Password}, {"security_token", cr.SecurityToken},
	} {
		if p.value == p.key {
			o, _ := c.Origin(p.key)
			placeholders = append(placeholders, fmt.Sprintf("%s (%s)", p.key, o))
		}
	}
	if len(placeholders) > 0 {
		e := c.missingCredentials()
		e.What = "Salesforce credentials: " + strings.Join(placeholders, ", ") + " still hold the placeholders sfdlt init wrote"
		e.Fix = "replace the placeholders with your user name, password and security token (delete security_token if your org trusts your IP range)"
		return sfdlt.Credentials{}, e
	}
	if cr == (sfdlt.Credentials{}) || (cr.InstanceURL != "" && cr == sfdlt.Credentials{InstanceURL: cr.InstanceURL}) {
		return sfdlt.Credentials{}, c.missingCredentials()
	}
	oauth := cr.ClientSecret != "" || cr.PrivateKey != "" || cr.PrivateKeyFile != "" || cr.RefreshToken != "" || cr.SessionID != ""
	if !oauth {
		switch {
		case cr.UserName != "" && cr.Password == "":
			o, _ := c.Origin("user_name")
			e := c.missingKey("password")
			e.What = fmt.Sprintf("Salesforce password (the user_name set in %s needs one)", o)
			return sfdlt.Credentials{}, e
		case cr.Password != "" && cr.UserName == "":
			o, _ := c.Origin("password")
			e := c.missingKey("user_name")
			e.What = fmt.Sprintf("Salesforce user_name (the password set in %s needs one)", o)
			return sfdlt.Credentials{}, e
		}
	}
	return cr, nil
}

func (c *Config) missingCredentials() *MissingConfigError {
	s := c.st
	var names []string
	for _, k := range salesforceKeys {
		if k.credential {
			names = append(names, k.name)
		}
	}
	keys, env := lookedAt(credentialPrefixes, "<key>")
	return &MissingConfigError{
		What: "Salesforce credentials", Keys: keys, Names: names, EnvVars: env, Pipeline: s.pipeline, Files: s.fileList(),
		Fix: fmt.Sprintf("write your user name, password and security token in %s (then chmod 600 it):\n\n[sources.salesforce]\nuser_name = \"you@example.com\"\npassword = \"...\"\nsecurity_token = \"...\"\n\n"+
			"or set SOURCES__SALESFORCE__USER_NAME, SOURCES__SALESFORCE__PASSWORD and SOURCES__SALESFORCE__SECURITY_TOKEN. "+
			"For OAuth set client_id with private_key_file, refresh_token or client_secret instead. `sfdlt init` writes a template.", s.secretsPath()),
	}
}

func (c *Config) missingKey(key string) *MissingConfigError {
	s := c.st
	keys, env := lookedAt(credentialPrefixes, key)
	return &MissingConfigError{
		What: key, Keys: keys, EnvVars: env, Pipeline: s.pipeline, Files: s.fileList(),
		Fix: fmt.Sprintf("add %s = \"...\" under [sources.salesforce] in %s, or set SOURCES__SALESFORCE__%s", key, s.secretsPath(), strings.ToUpper(key)),
	}
}

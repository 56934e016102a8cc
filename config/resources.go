package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sfdlt/sfdlt"
)

// ResourceSettings are the hints of one of the source's standard resources, as dlt's
// apply_hints sets them, from its table [sources.salesforce.resources.<resource>] (env
// SOURCES__SALESFORCE__RESOURCES__<RESOURCE>__<KEY>): the keys of an object's table, the same
// type. Config.Source applies them with sfdlt.Source.ApplyHints, so that a resource made merge
// without a key or cursor is merged on Id, incrementally on SystemModstamp, and one made
// replace without a cursor is read in full (see resourceHints).
type ResourceSettings = ObjectSettings

// resourcesPath is where the resources' tables are: sources.salesforce.resources (and, as for
// every key, under the pipeline's section first).
var resourcesPath = []string{"sources", sourceName, "resources"}

// resourceSetting names a resource's key for Origin and String: resources.<resource>.<key>.
func resourceSetting(resource, key string) string { return "resources." + resource + "." + key }

// resourceHints turns a standard resource's settings into the hints Source.ApplyHints takes.
// A Salesforce resource made merge is worth it only with a key and a cursor: without them it is
// merged on Id, incrementally on SystemModstamp (as the standard merge resources are, reading
// deletions with queryAll). One made replace reads in full unless a cursor is named (a replace
// of only the records changed since the last run would empty the table of the others).
func resourceHints(o ResourceSettings) sfdlt.Hints {
	h := o.hints()
	switch o.WriteDisposition {
	case sfdlt.Merge:
		if len(o.PrimaryKey) == 0 && len(o.MergeKey) == 0 {
			h.PrimaryKey = []string{"Id"}
		}
		if o.Cursor == "" && !o.NoIncremental {
			h.Incremental = sfdlt.NewIncremental(sfdlt.SystemModstamp, nil)
		}
	case sfdlt.Replace:
		if o.Cursor == "" {
			h.NoIncremental = true
		}
	}
	return h
}

// applyResources applies the resources' settings to src, in name order.
func applyResources(src *sfdlt.Source, m map[string]ResourceSettings) {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		src.ApplyHints(name, resourceHints(m[name]))
	}
}

// resolveResources resolves the resources' tables into SourceSettings.Resources. Each key is
// looked up as any other (the environment wins). A resource given hints both here and as its
// object in [sources.salesforce.objects.<Object>] is an error: the two would override each other.
func (c *Config) resolveResources() []error {
	s := c.st
	names, errs := c.resourceNames()
	for _, name := range names {
		o, set, es := c.resolveHints(func(key string) (hit, bool) {
			return s.find([][]string{append(slices.Clone(resourcesPath), name, key)}, true)
		}, func(key string) string { return resourceSetting(name, key) })
		errs = append(errs, es...)
		if !set {
			continue
		}
		if s.settings.Source.Resources == nil {
			s.settings.Source.Resources = map[string]ResourceSettings{}
		}
		s.settings.Source.Resources[name] = o
		object := standardObject(name)
		for other := range s.settings.Source.Objects {
			if strings.EqualFold(other, object) {
				errs = append(errs, fmt.Errorf("%s: %s.%s and %s.%s (%s) both give hints to %s: keep one of the two tables (a standard resource's hints belong in [%s.%s])",
					c.firstOrigin(resourceSetting, name), strings.Join(resourcesPath, "."), name, strings.Join(objectsPath, "."), other,
					c.firstOrigin(objectSetting, other), object, strings.Join(resourcesPath, "."), name))
			}
		}
	}
	return errs
}

// firstOrigin is the origin of the first key set of a table of hints.
func (c *Config) firstOrigin(setting func(table, key string) string, table string) string {
	for _, k := range objectKeys {
		if f, ok := c.st.found[setting(table, k.name)]; ok {
			return f.origin
		}
	}
	return ""
}

// standardObject is the object of the standard resource name, "" when there is none.
func standardObject(name string) string {
	for _, r := range sfdlt.StandardResources() {
		if r.Name == name {
			return r.Object
		}
	}
	return ""
}

// unknownResource explains that name is not a standard resource: it lists them, suggests the
// one meant when name is its object or differs only in case, and says where other objects'
// hints go.
func unknownResource(origin, key, name string) error {
	var names []string
	meant := ""
	for _, r := range sfdlt.StandardResources() {
		names = append(names, r.Name)
		if strings.EqualFold(name, r.Name) || strings.EqualFold(name, r.Object) {
			meant = fmt.Sprintf(" (did you mean %s?)", r.Name)
		}
	}
	return fmt.Errorf("%s: %s: %q is not a resource of the salesforce source%s: its resources are %s. Any other object, custom ones too, takes its hints in a table named after its API name, such as [%s.Invoice__c] (load it with all_objects = true or sfdlt run --objects Invoice__c)",
		origin, key, name, meant, strings.Join(names, ", "), strings.Join(objectsPath, "."))
}

// resourceNames lists the resources that have a table in the files or variables in the
// environment (when Load knows the whole environment), each once, in the order found. A table
// is named exactly as its resource (dlt's resource names are lower case); a variable's name is
// upper case, and lower-cased. It reports what is not a table and names that are not standard
// resources.
func (c *Config) resourceNames() ([]string, []error) {
	s := c.st
	var names []string
	var errs []error
	add := func(name, origin, key string) {
		if standardObject(name) == "" {
			errs = append(errs, unknownResource(origin, key, name))
			return
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	errs = append(errs, s.hintTables(resourcesPath, func(f *tomlFile, base []string, v any) error {
		return fmt.Errorf("%s: %s: expected a table per resource, found %s: write [%s.contact] with %s",
			f.origin(base), strings.Join(base, "."), describe(v), strings.Join(base, "."), objectKeyNames())
	}, "resource", func(f *tomlFile, _, path []string, name string) {
		add(name, f.origin(path), strings.Join(path, "."))
	})...)
	for _, v := range s.resourceVariables() {
		if v.key != "" {
			add(strings.ToLower(v.table), "env "+v.name, strings.Join(append(slices.Clone(resourcesPath), strings.ToLower(v.table)), "."))
		}
	}
	return names, errs
}

// resourceVariables lists the non-empty variables of resources' keys, sorted by name. Resource
// names never hold "__", so the resource is what precedes the first "__" (and a key such as
// COLUMNS__EMAIL, which is no key, is reported by warnUnknown).
func (s *state) resourceVariables() []hintVariable {
	return s.hintVariables(resourcesPath, func(rest string) int { return strings.Index(rest, "__") })
}

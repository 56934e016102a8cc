package config

import (
	"fmt"
	"slices"
	"strings"
)

// warnUnknown warns about keys under [sources.salesforce] (and its credentials section)
// that sfdlt does not read, and about SOURCES__SALESFORCE__* variables alike: likely typos.
func (c *Config) warnUnknown() {
	s := c.st
	known := func(k string, credentials bool) bool {
		for _, sk := range salesforceKeys {
			if sk.name == k && (!credentials || sk.credential) {
				return true
			}
		}
		return false
	}
	// suggest returns " (did you mean <key>?)" for the key of keys nearest to k, if one is near.
	suggest := func(keys []keySpec, k string, spell func(string) string) string {
		best, bestD := "", 4
		for _, sk := range keys {
			if d := distance(strings.ToLower(k), sk.name); d < bestD {
				best, bestD = sk.name, d
			}
		}
		if best == "" {
			return ""
		}
		return " (did you mean " + spell(best) + "?)"
	}
	asIs := func(k string) string { return k }
	for _, f := range s.files {
		if !f.exists {
			continue
		}
		bases := [][]string{{"sources", sourceName}, {s.pipeline, "sources", sourceName}}
		for _, base := range bases {
			t, ok := f.get(base)
			m, isMap := t.(map[string]any)
			if !ok || !isMap {
				continue
			}
			for _, k := range sortedKeys(m) {
				path := append(slices.Clone(base), k)
				if k == "credentials" {
					cm, ok := m[k].(map[string]any)
					if !ok {
						c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %s should be a section ([%s]) holding user_name, password, security_token: sfdlt ignores it",
							f.origin(path), strings.Join(path, "."), strings.Join(path, ".")))
						continue
					}
					for _, ck := range sortedKeys(cm) {
						if !known(ck, true) {
							cp := append(slices.Clone(path), ck)
							c.Warnings = append(c.Warnings, fmt.Sprintf("%s: unknown key %s%s: sfdlt ignores it",
								f.origin(cp), strings.Join(cp, "."), suggest(salesforceKeys, ck, asIs)))
						}
					}
					continue
				}
				if k == "objects" || k == "resources" {
					whose := map[string]string{"objects": "an object's", "resources": "a resource's"}[k]
					c.warnUnknownHintKeys(f, path, m[k], whose, func(k string) string { return suggest(objectKeys, k, asIs) })
					continue
				}
				if !known(k, false) {
					c.Warnings = append(c.Warnings, fmt.Sprintf("%s: unknown key %s%s: sfdlt ignores it",
						f.origin(path), strings.Join(path, "."), suggest(salesforceKeys, k, asIs)))
				}
			}
		}
		if !f.secrets {
			if t, ok := f.get([]string{"pipeline"}); ok {
				if m, ok := t.(map[string]any); ok {
					for _, pk := range pipelineKeys {
						k := pk.name
						if _, ok := m[k]; ok {
							c.Warnings = append(c.Warnings, fmt.Sprintf("%s: pipeline.%s is not read: dlt reads %s at the top of config.toml, before any [section]: move it there",
								f.origin([]string{"pipeline", k}), k, k))
						}
					}
				}
			}
		}
	}
	prefix := "SOURCES__" + strings.ToUpper(sourceName) + "__"
	var names []string
	for _, kv := range s.environ {
		if name, _, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		rest := strings.TrimPrefix(name, prefix)
		if strings.HasPrefix(rest, "OBJECTS__") || strings.HasPrefix(rest, "RESOURCES__") {
			continue // an object's or a resource's hint: below
		}
		credentials := false
		if r, ok := strings.CutPrefix(rest, "CREDENTIALS__"); ok {
			rest, credentials = r, true
		}
		if !known(strings.ToLower(rest), credentials) {
			hint := suggest(salesforceKeys, rest, func(k string) string { return strings.TrimSuffix(name, rest) + strings.ToUpper(k) })
			c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s is not a setting sfdlt reads%s: it is ignored", name, hint))
		}
	}
	for _, v := range s.objectVariables() {
		c.warnUnknownHintVariable(v, "an object's hint is %s<OBJECT>__<KEY>, such as %sINVOICE__C__CURSOR", suggest)
	}
	for _, v := range s.resourceVariables() {
		c.warnUnknownHintVariable(v, "a resource's hint is %s<RESOURCE>__<KEY>, such as %sCONTACT__WRITE_DISPOSITION", suggest)
	}
}

// warnUnknownHintVariable warns about a variable of an object's or a resource's hints that names
// no hint; form says what one looks like (with the variables' prefix for each %s).
func (c *Config) warnUnknownHintVariable(v hintVariable, form string, suggest func([]keySpec, string, func(string) string) string) {
	prefix := strings.TrimSuffix(v.name, v.table)
	switch {
	case v.key == "":
		c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s is not a setting sfdlt reads: "+form+": it is ignored", v.name, prefix, prefix))
	case isObjectKey(v.key):
	case tableExamples[strings.SplitN(v.key, "__", 2)[0]] != "":
		// COLUMNS__EMAIL__NULLABLE: the keys of a table are not variables of their own.
		k := strings.SplitN(v.key, "__", 2)[0]
		whole := v.name[:len(v.name)-len(v.key)] + strings.ToUpper(k)
		c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s is not a setting sfdlt reads: %s is set whole, as a JSON object or a TOML inline table, such as %s='%s': it is ignored",
			v.name, k, whole, tableExamples[k]))
	default:
		hint := suggest(objectKeys, v.key, func(k string) string { return v.name[:len(v.name)-len(v.key)] + strings.ToUpper(k) })
		c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s is not a setting sfdlt reads%s: it is ignored", v.name, hint))
	}
}

// warnUnknownHintKeys warns about keys of the objects' or resources' tables under path that are
// not hints sfdlt reads; whose says whose hints they are ("an object's"), suggest names the
// nearest hint. What is not a table is an error of resolve.
func (c *Config) warnUnknownHintKeys(f *tomlFile, path []string, tables any, whose string, suggest func(string) string) {
	m, _ := tables.(map[string]any)
	for _, table := range sortedKeys(m) {
		t, _ := m[table].(map[string]any)
		for _, k := range sortedKeys(t) {
			if !isObjectKey(k) {
				kp := append(slices.Clone(path), table, k)
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s: unknown key %s%s: sfdlt ignores it (%s hints are %s)",
					f.origin(kp), strings.Join(kp, "."), suggest(k), whose, objectKeyNames()))
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// distance is the Levenshtein distance, for "did you mean" suggestions.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

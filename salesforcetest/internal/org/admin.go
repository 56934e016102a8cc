package org

import (
	"strings"
	"time"
)

// Changes to the object list, as an admin makes them in Setup between two loads.

// maxCustomNameLength is Salesforce's limit on an object's or field's API name before __c.
const maxCustomNameLength = 40

// ListModified returns when the object list last changed (CreateObject, DeleteObject); before
// any change it is the time every describe was last modified.
func (o *Org) ListModified() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.listModified
}

// CreateObject adds an empty custom object, as an admin creating one in Setup: the system fields
// every custom object has (Id, OwnerId, IsDeleted, Name, CreatedDate, CreatedById,
// LastModifiedDate, LastModifiedById, SystemModstamp, LastViewedDate, LastReferencedDate) and
// fields, each a custom field (name ending in __c). Its describe and the object list take a new
// stamp as their last modification; records are added with Insert. The name must end in __c, be
// at most 40 characters before it, and not be one the org has or had (a deleted object keeps its
// name until it is erased).
func (o *Org) CreateObject(name, label string, fields ...Field) error {
	if err := checkCustomName(name, "object"); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	key := strings.ToLower(name)
	if _, exists := o.tables[key]; exists || o.removed[key] {
		return errorf("DUPLICATE_DEVELOPER_NAME", "the org has or had an object named %s: choose another name (a deleted object keeps its name until it is erased)", name)
	}
	for n := range o.canon {
		if strings.EqualFold(n, name) {
			return errorf("DUPLICATE_DEVELOPER_NAME", "the org had an object named %s: choose another name", n)
		}
	}
	if label == "" {
		label = strings.ReplaceAll(strings.TrimSuffix(name, "__c"), "_", " ")
	}
	obj, s := customObject(name, label, label+"s", o.nextCustomPrefix(), nil)
	for _, f := range fields {
		if err := checkCustomName(f.Name, "field"); err != nil {
			return errorf("INVALID_FIELD", "%s: %s", name, err.Error())
		}
		nf, err := prepareField(name, f)
		if err != nil {
			return err
		}
		nf.Custom = true // its name ends in __c
		for _, d := range s.defs {
			if strings.EqualFold(d.f.Name, nf.Name) {
				return errorf("DUPLICATE_DEVELOPER_NAME", "%s: two fields are named %s: choose another name", name, nf.Name)
			}
		}
		s.add(nf, nil)
	}
	stamp := o.tick()
	o.addTable(objDef{obj: obj, schema: s}, 0, stamp)
	o.listModified = stamp
	return nil
}

// DeleteObject removes an object from the org, as an admin deleting a custom object (or, for a
// standard object, as the user losing access to it): it leaves global describe, its describe
// answers NOT_FOUND and its queries INVALID_TYPE. The object list takes a new stamp. Records of
// other objects keep their values, lookups to its records included.
func (o *Org) DeleteObject(name string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, err := o.table(name)
	if err != nil {
		return err
	}
	key := strings.ToLower(t.obj.Name)
	delete(o.tables, key)
	o.removed[key] = true
	for i, x := range o.sorted {
		if x == t {
			o.sorted = append(o.sorted[:i], o.sorted[i+1:]...)
			break
		}
	}
	o.listModified = o.tick()
	return nil
}

// nextCustomPrefix returns the first custom object key prefix (a01, a02, ... a0z, a10, ...) no
// object of the org has or had; o.mu must be held.
func (o *Org) nextCustomPrefix() string {
	used := map[string]bool{}
	for _, t := range o.canon {
		used[t.prefix] = true
	}
	for k := 1; ; k++ {
		p := "a" + string(base62[k/62%62]) + string(base62[k%62])
		if !used[p] {
			return p
		}
	}
}

// checkCustomName checks a custom object or field API name as Setup does: letters, digits and
// single underscores, starting with a letter, at most 40 characters, then __c.
func checkCustomName(name, what string) error {
	base, ok := strings.CutSuffix(name, "__c")
	switch {
	case !ok:
		return errorf("INVALID_NAME", "custom %s name %q must end in __c", what, name)
	case base == "" || len(base) > maxCustomNameLength:
		return errorf("INVALID_NAME", "custom %s name %q must have 1 to %d characters before __c", what, name, maxCustomNameLength)
	case !(base[0] >= 'a' && base[0] <= 'z' || base[0] >= 'A' && base[0] <= 'Z'):
		return errorf("INVALID_NAME", "custom %s name %q must start with a letter", what, name)
	case strings.Contains(base, "__") || strings.HasSuffix(base, "_"):
		return errorf("INVALID_NAME", "custom %s name %q may not contain two underscores in a row or end with one before __c", what, name)
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return errorf("INVALID_NAME", "custom %s name %q may hold only letters, digits and underscores", what, name)
		}
	}
	return nil
}

// prepareField completes a field given by a caller (AddField, CreateObject): its soapType from
// its type, a label, and copies of its slices so that the caller's Field stays theirs.
func prepareField(object string, f Field) (*Field, error) {
	if f.Name == "" {
		return nil, errorf("INVALID_FIELD", "%s: the new field has no name: set Field.Name", object)
	}
	if f.SoapType == "" {
		f.SoapType = soapTypeFor(f.Type)
	}
	if f.SoapType == "" {
		return nil, errorf("INVALID_TYPE", "%s.%s: unknown field type %q: use a describe type such as string, double or datetime", object, f.Name, f.Type)
	}
	if f.Label == "" {
		f.Label = strings.TrimSuffix(f.Name, "__c")
	}
	nf := f
	nf.ReferenceTo = append([]string(nil), f.ReferenceTo...)
	nf.PicklistValues = append([]string(nil), f.PicklistValues...)
	return &nf, nil
}

package org

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"time"
	"unicode/utf8"
)

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// apiUser is the Id mutations record as their creator and modifier: the first user, as if the
// integration ran as the org's admin.
func (o *Org) apiUser() any {
	t := o.tables["user"]
	if t == nil || t.n == 0 {
		return nil
	}
	return o.idOf(t, 0)
}

// normalize checks that v is the Go type the convention prescribes for f's describe type and
// returns it in canonical form (UTC, millisecond precision, int64).
func normalize(obj *Object, f *Field, v any) (any, error) {
	wrong := func() error {
		return errorf("INVALID_TYPE_ON_FIELD_IN_RECORD", "%s.%s: value of Go type %T does not fit field type %s: pass %s",
			obj.Name, f.Name, v, f.Type, goTypeFor(f.Type))
	}
	if v == nil {
		if !f.Nillable {
			return nil, errorf("REQUIRED_FIELD_MISSING", "%s.%s may not be null: pass a %s value", obj.Name, f.Name, goTypeFor(f.Type))
		}
		return nil, nil
	}
	switch f.Type {
	case "id", "reference":
		s, ok := v.(string)
		if !ok {
			return nil, wrong()
		}
		id, err := To18(s)
		if err != nil {
			return nil, errorf("MALFORMED_ID", "%s.%s: %v", obj.Name, f.Name, err)
		}
		return id, nil
	case "string", "textarea", "picklist", "multipicklist", "combobox", "email", "phone", "url", "encryptedstring", "base64":
		s, ok := v.(string)
		if !ok {
			return nil, wrong()
		}
		if f.Length > 0 && utf8.RuneCountInString(s) > f.Length {
			return nil, errorf("STRING_TOO_LONG", "%s.%s: value has %d characters, the field holds at most %d: shorten it",
				obj.Name, f.Name, utf8.RuneCountInString(s), f.Length)
		}
		return s, nil
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, wrong()
		}
		return v, nil
	case "int", "long":
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		}
		return nil, wrong()
	case "double", "currency", "percent":
		switch x := v.(type) {
		case float64:
			return x, nil
		case json.Number:
			if _, ok := new(big.Rat).SetString(string(x)); !ok {
				return nil, errorf("INVALID_TYPE_ON_FIELD_IN_RECORD", "%s.%s: %q is not a decimal number", obj.Name, f.Name, string(x))
			}
			return x, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		}
		return nil, wrong()
	case "datetime":
		t, ok := v.(time.Time)
		if !ok {
			return nil, wrong()
		}
		return t.UTC().Truncate(time.Millisecond), nil
	case "date":
		t, ok := v.(time.Time)
		if !ok {
			return nil, wrong()
		}
		t = t.UTC()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	case "time":
		d, ok := v.(time.Duration)
		if !ok {
			return nil, wrong()
		}
		if d < 0 || d >= 24*time.Hour {
			return nil, errorf("INVALID_TYPE_ON_FIELD_IN_RECORD", "%s.%s: time %v is outside a day: pass a duration since midnight in [0, 24h)", obj.Name, f.Name, d)
		}
		return d.Truncate(time.Millisecond), nil
	}
	return nil, errorf("INVALID_FIELD_FOR_INSERT_UPDATE", "%s.%s has type %s, which has no stored value: write its component fields", obj.Name, f.Name, f.Type)
}

// goTypeFor names the Go type the value convention uses for a describe type.
func goTypeFor(typ string) string {
	switch typ {
	case "boolean":
		return "bool"
	case "int", "long":
		return "int64"
	case "double", "currency", "percent":
		return "float64 or json.Number"
	case "datetime", "date":
		return "time.Time"
	case "time":
		return "time.Duration"
	case "address", "location":
		return "nothing (compound field)"
	}
	return "string"
}

// resolveValues validates values against obj for an insert (create) or update and returns them
// keyed by field index.
func resolveValues(obj *Object, values map[string]any, create bool) (map[int]any, error) {
	out := make(map[int]any, len(values))
	for name, v := range values {
		i, ok := obj.index(name)
		if !ok {
			return nil, errorf("INVALID_FIELD", "No such column '%s' on sobject of type %s: use a field the describe lists", name, obj.Name)
		}
		f := obj.Fields[i]
		if create && !f.Createable || !create && !f.Updateable {
			verb := "updated"
			if create {
				verb = "set on insert"
			}
			return nil, errorf("INVALID_FIELD_FOR_INSERT_UPDATE", "%s.%s cannot be %s (read-only, calculated or system field): leave it out", obj.Name, f.Name, verb)
		}
		nv, err := normalize(obj, f, v)
		if err != nil {
			return nil, err
		}
		out[i] = nv
	}
	return out, nil
}

// personName keeps a Name compound in step with its parts after a write.
func personName(r *Record) {
	f, ok := r.obj.Field("Name")
	if !ok || f.Createable {
		return
	}
	if lf, ok := r.obj.Field("LastName"); !ok || lf.CompoundFieldName != "Name" {
		return
	}
	last, _ := r.Get("LastName").(string)
	r.set("Name", fullName(r.Get("FirstName"), last))
}

// resolveIDs maps ids to indexes of t, deduplicated and sorted (Id order).
func (o *Org) resolveIDs(t *table, ids []string) ([]int, error) {
	if len(ids) == 0 {
		return nil, errorf("MISSING_ARGUMENT", "%s: no ids given: pass at least one record Id", t.obj.Name)
	}
	seen := map[int]bool{}
	var out []int
	for _, id := range ids {
		i, ok := o.indexOf(t, id)
		if !ok {
			if _, err := To18(id); err != nil {
				return nil, errorf("MALFORMED_ID", "%s: %v", t.obj.Name, err)
			}
			return nil, errorf("NOT_FOUND", "%s: no record with Id %s: use an Id the org returned", t.obj.Name, id)
		}
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out, nil
}

// store puts a record's new state into the overlay at stamp; o.mu must be held for writing.
func (t *table) store(i int, r *Record, stamp time.Time) *entry {
	e, ok := t.overlay[i]
	if ok {
		t.unorder(e)
	} else {
		e = &entry{idx: i}
		t.overlay[i] = e
	}
	e.vals, e.stamp = r.vals, stamp
	// Stamps of mutations only grow, so appending keeps order sorted by (stamp, index) as long
	// as each mutation stores its records in index order.
	t.order = append(t.order, e)
	return e
}

func (t *table) unorder(e *entry) {
	k := sort.Search(len(t.order), func(j int) bool {
		x := t.order[j]
		return x.stamp.After(e.stamp) || x.stamp.Equal(e.stamp) && x.idx >= e.idx
	})
	if k < len(t.order) && t.order[k] == e {
		t.order = append(t.order[:k], t.order[k+1:]...)
	}
}

// Insert creates a record from values (field name -> value per the value convention) and returns
// its new Id, which sorts after every existing Id. The record's CreatedDate, LastModifiedDate and
// SystemModstamp are one new stamp of the logical clock.
func (o *Org) Insert(object string, values map[string]any) (id string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, err := o.table(object)
	if err != nil {
		return "", err
	}
	obj := t.obj
	if !obj.Createable {
		return "", errorf("INVALID_OPERATION", "%s records cannot be created through the API", obj.Name)
	}
	if t.event {
		return "", errorf("INVALID_OPERATION", "%s is an event: a real org publishes it to the event bus and stores no record; the emulator has no event bus", obj.Name)
	}
	vals, err := resolveValues(obj, values, true)
	if err != nil {
		return "", err
	}
	for i, f := range obj.Fields {
		if _, given := vals[i]; !given && !f.Nillable && f.Createable && !f.DefaultedOnCreate && f.Type != "boolean" && !f.Calculated {
			return "", errorf("REQUIRED_FIELD_MISSING", "Required fields are missing: [%s]: give %s.%s a value", f.Name, obj.Name, f.Name)
		}
	}
	idx := t.n + t.inserted
	stamp := o.tick()
	r := &Record{obj: obj, vals: make([]any, len(obj.Fields))}
	for i, f := range obj.Fields {
		if f.Type == "boolean" && !f.Calculated {
			r.vals[i] = false
		}
	}
	for i, v := range vals {
		r.vals[i] = v
	}
	id = o.idOf(t, idx)
	r.set("Id", id)
	for _, name := range []string{"CreatedDate", "LastModifiedDate", "SystemModstamp"} {
		r.set(name, stamp)
	}
	for _, name := range []string{"CreatedById", "LastModifiedById"} {
		r.set(name, o.apiUser())
	}
	if i, ok := obj.index("OwnerId"); ok && r.vals[i] == nil {
		r.vals[i] = o.apiUser()
	}
	personName(r)
	t.inserted++
	t.store(idx, r, stamp)
	if h, ht := o.historyOf(t); ht != nil {
		o.addHistoryRow(h, ht, id, "created", trackedDataType("created"), nil, nil, stamp)
	}
	return id, nil
}

// Update writes values to every record in ids. All of them get ONE new stamp as their
// LastModifiedDate and SystemModstamp, so a bulk update produces ties as in a real org. Nothing
// is written unless every id and value is valid.
func (o *Org) Update(object string, ids []string, values map[string]any) error {
	return o.update(object, ids, values, time.Time{})
}

// UpdateAt is Update with a given stamp instead of a new one: a change that commits late, after
// other changes with later stamps were already visible, as a long Salesforce transaction does.
// Extractors whose cursor range is strict, or that never look back, lose such changes. The
// stamp must not be in the org's future.
func (o *Org) UpdateAt(object string, ids []string, values map[string]any, stamp time.Time) error {
	if stamp.IsZero() {
		return errorf("MISSING_ARGUMENT", "UpdateAt needs a stamp")
	}
	return o.update(object, ids, values, stamp.UTC().Truncate(time.Millisecond))
}

func (o *Org) update(object string, ids []string, values map[string]any, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !at.IsZero() && !at.Before(o.clock) {
		return errorf("INVALID_OPERATION", "UpdateAt stamp %s is not before the org's clock %s", at.Format(time.RFC3339), o.clock.Format(time.RFC3339))
	}
	t, err := o.table(object)
	if err != nil {
		return err
	}
	if !t.obj.Updateable {
		return errorf("INVALID_OPERATION", "%s records cannot be updated through the API", t.obj.Name)
	}
	vals, err := resolveValues(t.obj, values, false)
	if err != nil {
		return err
	}
	idxs, err := o.resolveIDs(t, ids)
	if err != nil {
		return err
	}
	for _, i := range idxs {
		if e := t.overlay[i]; e != nil && e.deleted {
			return errorf("ENTITY_IS_DELETED", "%s %s is deleted: undelete it before updating", t.obj.Name, o.idOf(t, i))
		}
	}
	stamp := at
	if stamp.IsZero() {
		stamp = o.tick()
	}
	h, ht := o.historyOf(t)
	for _, i := range idxs {
		r := o.materialize(t, i)
		var before []any
		if ht != nil {
			before = h.trackedValues(r)
		}
		for k, v := range vals {
			r.vals[k] = v
		}
		r.set("LastModifiedDate", stamp)
		r.set("SystemModstamp", stamp)
		r.set("LastModifiedById", o.apiUser())
		personName(r)
		t.store(i, r, stamp)
		if ht != nil {
			o.recordChanges(h, ht, r, before, stamp)
		}
	}
	return nil
}

// Delete moves records to the recycle bin: IsDeleted becomes true and SystemModstamp takes one
// new stamp (LastModifiedDate is kept). Deleted records are visible only to cursors with
// includeDeleted and to Deleted. A whole-org object without IsDeleted has no recycle bin: its
// deleted records are gone at once, also for includeDeleted.
func (o *Org) Delete(object string, ids ...string) error {
	return o.setDeleted(object, ids, true)
}

// Undelete restores records from the recycle bin, with one new SystemModstamp.
func (o *Org) Undelete(object string, ids ...string) error {
	return o.setDeleted(object, ids, false)
}

func (o *Org) setDeleted(object string, ids []string, del bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, err := o.table(object)
	if err != nil {
		return err
	}
	if !t.obj.Deletable {
		if t.obj.Name == "User" {
			return errorf("INVALID_OPERATION", "%s records cannot be deleted or undeleted: deactivate them instead", t.obj.Name)
		}
		return errorf("INVALID_OPERATION", "%s records cannot be deleted or undeleted through the API", t.obj.Name)
	}
	idxs, err := o.resolveIDs(t, ids)
	if err != nil {
		return err
	}
	for _, i := range idxs {
		e := t.overlay[i]
		isDel := e != nil && e.deleted
		if del && isDel {
			return errorf("ENTITY_IS_DELETED", "%s %s is already deleted", t.obj.Name, o.idOf(t, i))
		}
		if !del && !isDel {
			return errorf("UNDELETE_FAILED", "%s %s is not in the recycle bin: only deleted records can be undeleted", t.obj.Name, o.idOf(t, i))
		}
		if !del && e.purged {
			return errorf("UNDELETE_FAILED", "%s %s was deleted for good (emptied from the recycle bin, or an object without one): it cannot be undeleted", t.obj.Name, o.idOf(t, i))
		}
	}
	stamp := o.tick()
	for _, i := range idxs {
		r := o.materialize(t, i)
		r.set("IsDeleted", del)
		r.set("SystemModstamp", stamp)
		e := t.store(i, r, stamp)
		e.deleted = del
		if del {
			e.deletedAt = stamp
			t.deleted++
			if t.hardDelete {
				e.purged = true // no recycle bin: gone for good, also for queryAll
				t.purged++
			}
		} else {
			e.deletedAt = time.Time{}
			t.deleted--
		}
	}
	return nil
}

// AddField appends a field to an object's describe, as an admin adding a custom field would, and
// moves the object's LastModified to a new stamp. value gives each record's value (nil value
// means all null); it must be a pure function of the record because base records call it every
// time they are generated. A calculated field's value is its formula, recomputed on every read.
// Records' SystemModstamps do not change.
func (o *Org) AddField(object string, f Field, value func(r *Record) any) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, err := o.table(object)
	if err != nil {
		return err
	}
	if _, exists := t.obj.index(f.Name); exists && f.Name != "" {
		return errorf("DUPLICATE_DEVELOPER_NAME", "%s already has a field named %s: choose another name", t.obj.Name, f.Name)
	}
	nf, err := prepareField(t.obj.Name, f)
	if err != nil {
		return err
	}
	obj := *t.obj
	obj.Fields = append(append([]*Field(nil), t.obj.Fields...), nf)
	obj.reindex()
	obj.LastModified = o.tick()
	t.obj = &obj
	idx := len(obj.Fields) - 1
	if value == nil {
		value = func(*Record) any { return nil }
	}
	if nf.Calculated {
		t.formulas = append(t.formulas, formula{idx: idx, fn: value})
		return nil
	}
	t.added[idx] = value
	for _, e := range t.order {
		r := &Record{obj: &obj, vals: append(e.vals[:len(e.vals):len(e.vals)], nil)}
		t.applyFormulas(r)
		r.vals[idx] = value(r)
		e.vals = r.vals
	}
	return nil
}

// soapTypeFor maps a describe type to its soapType.
func soapTypeFor(typ string) string {
	switch typ {
	case "id", "reference":
		return "tns:ID"
	case "string", "textarea", "picklist", "multipicklist", "combobox", "email", "phone", "url", "encryptedstring":
		return "xsd:string"
	case "boolean":
		return "xsd:boolean"
	case "int":
		return "xsd:int"
	case "long":
		return "xsd:long"
	case "double", "currency", "percent":
		return "xsd:double"
	case "date":
		return "xsd:date"
	case "datetime":
		return "xsd:dateTime"
	case "time":
		return "xsd:time"
	case "base64":
		return "xsd:base64Binary"
	case "address":
		return "urn:address"
	case "location":
		return "urn:location"
	case "anyType":
		return "xsd:anyType"
	case "json":
		return "urn:JsonNode"
	}
	return ""
}

// SetFormula replaces a calculated field's formula: every record's value changes at once without
// touching SystemModstamp or LastModifiedDate, which is exactly what incremental loads miss in
// real orgs.
func (o *Org) SetFormula(object, field string, value func(r *Record) any) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, err := o.table(object)
	if err != nil {
		return err
	}
	i, ok := t.obj.index(field)
	if !ok {
		return errorf("INVALID_FIELD", "No such column '%s' on sobject of type %s", field, t.obj.Name)
	}
	if !t.obj.Fields[i].Calculated {
		return errorf("INVALID_FIELD", "%s.%s is not a formula field: use Update to change stored values", t.obj.Name, t.obj.Fields[i].Name)
	}
	if value == nil {
		value = func(*Record) any { return nil }
	}
	for k := range t.formulas {
		if t.formulas[k].idx == i {
			t.formulas[k].fn = value
			return nil
		}
	}
	t.formulas = append(t.formulas, formula{idx: i, fn: value})
	sort.Slice(t.formulas, func(a, b int) bool { return t.formulas[a].idx < t.formulas[b].idx })
	return nil
}

// Deleted lists records deleted in [start, end] (inclusive) and still in the recycle bin, by
// deletion time and Id, as GET /sobjects/{object}/deleted does. earliest is the earliest time
// for which deletions are known (the oldest generated stamp); latest is the end of the window
// actually covered: end, or Now when end lies in the future.
func (o *Org) Deleted(object string, start, end time.Time) (records []DeletedRecord, earliest, latest time.Time, err error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, err := o.table(object)
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	if end.Before(start) {
		return nil, time.Time{}, time.Time{}, errorf("INVALID_REPLICATION_DATE", "%s: end %s is before start %s: swap them", object, end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	if !t.obj.Replicateable {
		return nil, time.Time{}, time.Time{}, errorf("INVALID_TYPE", "%s is not replicable: its deletions cannot be listed", t.obj.Name)
	}
	latest = end
	if latest.After(o.clock) {
		latest = o.clock
	}
	records = []DeletedRecord{}
	for _, e := range t.order {
		if e.deleted && !e.deletedAt.Before(start) && !e.deletedAt.After(latest) && !e.deletedAt.Before(t.forgotten) {
			records = append(records, DeletedRecord{ID: o.idOf(t, e.idx), DeletedDate: e.deletedAt})
		}
	}
	earliest = t.start
	if t.forgotten.After(earliest) {
		earliest = t.forgotten
	}
	return records, earliest, latest, nil
}

// EmptyRecycleBin removes for good the records of object deleted before before, as Salesforce
// does once they are about 15 days in the recycle bin (or when a user empties it): queryAll no
// longer returns them. With forgetLog the deletion log forgets them too (Deleted's
// earliestDateAvailable moves to before), as it does after its retention.
func (o *Org) EmptyRecycleBin(object string, before time.Time, forgetLog bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, err := o.table(object)
	if err != nil {
		return err
	}
	for _, e := range t.order {
		if e.deleted && !e.purged && e.deletedAt.Before(before) {
			e.purged = true
			t.purged++
		}
	}
	if forgetLog && before.After(t.forgotten) {
		t.forgotten = before
	}
	return nil
}

package org

import (
	"strings"
	"time"
)

// Field history tracking (Config.WholeOrg): Salesforce writes one OpportunityFieldHistory row per
// tracked field an update changes, and a "created" row when an opportunity is created. History
// rows are written once, with the change's stamp as their CreatedDate, and never change.

// historySpec is one object's field history: the history object and which fields it tracks.
type historySpec struct {
	history     string // the history object's canonical name
	parentField string // its reference to the tracked record
	tracked     []trackedField
}

// trackedField is a field under history tracking and the DataType its history rows carry.
type trackedField struct{ name, dataType string }

// opportunityTracked are the Opportunity fields the emulated org tracks (Setup allows 20).
var opportunityTracked = []trackedField{
	{"Amount", "Currency"}, {"CloseDate", "DateOnly"}, {"StageName", "DynamicEnum"},
	{"Probability", "Percent"}, {"OwnerId", "EntityId"}, {"Name", "Text"}, {"NextStep", "Text"},
	{"Type", "DynamicEnum"}, {"ForecastCategoryName", "DynamicEnum"},
}

// trackedDataType is the DataType of a history row about field ("created" rows are Text).
func trackedDataType(field string) string {
	for _, tf := range opportunityTracked {
		if tf.name == field {
			return tf.dataType
		}
	}
	return "Text"
}

// trackHistory turns on field history tracking of Opportunity.
func (o *Org) trackHistory() {
	o.history["Opportunity"] = &historySpec{history: "OpportunityFieldHistory", parentField: "OpportunityId", tracked: opportunityTracked}
}

// historyOf returns the field history of table t, or nil when t is not tracked or its history
// object was deleted; o.mu must be held.
func (o *Org) historyOf(t *table) (*historySpec, *table) {
	h := o.history[t.obj.Name]
	if h == nil {
		return nil, nil
	}
	ht := o.canon[h.history]
	if ht == nil || o.removed[strings.ToLower(h.history)] {
		return nil, nil
	}
	return h, ht
}

// trackedValues reads the tracked fields of a record, to compare them after a change.
func (h *historySpec) trackedValues(r *Record) []any {
	vals := make([]any, len(h.tracked))
	for i, tf := range h.tracked {
		vals[i] = r.Get(tf.name)
	}
	return vals
}

// recordChanges writes a history row for each tracked field whose value differs between before
// and r; o.mu must be held for writing.
func (o *Org) recordChanges(h *historySpec, ht *table, r *Record, before []any, stamp time.Time) {
	for i, tf := range h.tracked {
		now := r.Get(tf.name)
		if sameValue(before[i], now) {
			continue
		}
		o.addHistoryRow(h, ht, r.ID(), tf.name, tf.dataType, historyForm(before[i]), historyForm(now), stamp)
	}
}

// addHistoryRow appends one history row; o.mu must be held for writing.
func (o *Org) addHistoryRow(h *historySpec, ht *table, parentID, field, dataType string, old, now any, stamp time.Time) {
	idx := ht.n + ht.inserted
	r := &Record{obj: ht.obj, vals: make([]any, len(ht.obj.Fields))}
	r.set("Id", o.idOf(ht, idx))
	r.set("IsDeleted", false)
	r.set(h.parentField, parentID)
	r.set("CreatedById", o.apiUser())
	r.set("CreatedDate", stamp)
	r.set("Field", field)
	r.set("DataType", dataType)
	r.set("OldValue", old)
	r.set("NewValue", now)
	ht.inserted++
	ht.store(idx, r, stamp)
}

// historyForm is a value as field history keeps it (anyType): dates as yyyy-MM-dd text, the rest
// as they are.
func historyForm(v any) any {
	if t, ok := v.(time.Time); ok {
		if t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
			return t.Format(time.DateOnly)
		}
		return t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return v
}

// sameValue reports whether two field values are equal: times by instant, numbers by value.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	if x, ok := decimal(a); ok {
		y, ok := decimal(b)
		return ok && x.Cmp(y) == 0
	}
	if _, ok := decimal(b); ok {
		return false
	}
	return a == b
}

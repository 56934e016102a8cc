package org

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultBase is the org's "now" when Config.Base is zero: every generated stamp is at or before it.
var DefaultBase = time.Date(2025, time.June, 2, 9, 30, 0, 0, time.UTC)

// Config configures New. The zero value is a usable org.
type Config struct {
	Seed   int64          // same seed, same records
	Counts map[string]int // object name -> live record count; missing objects get DefaultCounts
	Base   time.Time      // zero -> DefaultBase; all generated stamps are <= Base
	// Wide maps an object name to a number of extra custom fields of every type (see wide.go),
	// appended to its describe after its own fields.
	Wide map[string]int
	// WholeOrg adds the objects of wholeorg.go (history, share, restricted, event, external and
	// more custom objects) to the ones dlt's source loads; their counts default to WholeOrgCounts.
	WholeOrg bool
}

// DefaultCounts returns the record counts used for objects missing from Config.Counts: small
// enough that loading the whole org in a test takes about a second, big enough that the larger
// objects need several 2,000-record query pages.
func DefaultCounts() map[string]int {
	return map[string]int{
		"User": 20, "UserRole": 8, "Account": 300, "Contact": 600, "Lead": 400,
		"Campaign": 20, "CampaignMember": 600, "Product2": 50, "Pricebook2": 3,
		"PricebookEntry": 100, "Opportunity": 800, "OpportunityLineItem": 1600,
		"OpportunityContactRole": 500, "Task": 2500, "Event": 1200, "Something__c": 150,
	}
}

// Org is one emulated org: describes, generated base records and the overlay of mutations. All
// methods are safe for concurrent use.
type Org struct {
	seed uint64
	pod  string // the instance part of every Id
	base time.Time

	mu     sync.RWMutex
	clock  time.Time         // the logical clock; the next mutation's stamp
	tables map[string]*table // lower-case object name -> table
	canon  map[string]*table // canonical object name -> table, for generators (no lower-casing); keeps deleted objects
	sorted []*table          // by object name

	listModified time.Time               // the last change of the object list (CreateObject, DeleteObject)
	removed      map[string]bool         // lower-case names of objects DeleteObject removed
	history      map[string]*historySpec // canonical parent object name -> its field history (history.go)
}

// table is one object's state. n, salt, prefix, offset, start and defs never change after New, so
// generators of other tables read them without a lock.
type table struct {
	obj    *Object // current describe; replaced (never modified) by AddField
	defs   []fieldDef
	n      int
	salt   uint64
	prefix string
	offset uint64
	start  time.Time

	added    map[int]func(*Record) any // non-calculated fields added by AddField
	formulas []formula                 // calculated fields, in field order

	// byID: the object has no SystemModstamp, so cursors walk it in Id order (cursor.go).
	byID bool
	// hardDelete: the object has no IsDeleted (and no recycle bin): Delete removes records for
	// good. Only whole-org objects set it; UserRole keeps the soft delete it always had.
	hardDelete  bool
	restriction *Restriction // how queries of the object are refused (restrict.go); nil: never
	event       bool         // a platform or change event: never any records

	ids []any // boxed Ids of base records of small tables, so lookups do not allocate

	overlay  map[int]*entry // index -> stored record (changed, deleted or inserted)
	order    []*entry       // overlay sorted by (stamp, index)
	inserted int
	deleted  int // deleted records, purged ones included
	purged   int // deleted records emptied from the recycle bin: gone for good
	// forgotten: deletions before this are no longer listed by Deleted (the deletion log's
	// retention); zero when nothing was forgotten.
	forgotten time.Time
}

// entry is a record held in memory because a mutation touched it.
type entry struct {
	idx       int
	vals      []any
	stamp     time.Time
	deleted   bool
	deletedAt time.Time
	purged    bool // emptied from the recycle bin: queryAll no longer sees it
}

// Record is one record: the describe it was materialized with and one value per field, following
// the value convention of the emulator (see the package soql). A Record is a snapshot: later
// mutations do not change it.
type Record struct {
	obj  *Object
	vals []any
}

// Object returns the describe the record was materialized with.
func (r *Record) Object() *Object { return r.obj }

// Get returns the value of a field, by canonical or any-case name; unknown fields and compound
// parents (address, location) give nil.
func (r *Record) Get(field string) any {
	i, ok := r.obj.index(field)
	if !ok || i >= len(r.vals) {
		return nil
	}
	return r.vals[i]
}

// ID returns the record's 18-character Id.
func (r *Record) ID() string {
	s, _ := r.vals[0].(string)
	return s
}

// Deleted reports whether the record is in the recycle bin (IsDeleted is true).
func (r *Record) Deleted() bool {
	b, _ := r.Get("IsDeleted").(bool)
	return b
}

func (r *Record) set(field string, v any) {
	if i, ok := r.obj.index(field); ok {
		r.vals[i] = v
	}
}

// Field returns the field named name, case-insensitively.
func (o *Object) Field(name string) (*Field, bool) {
	i, ok := o.index(name)
	if !ok {
		return nil, false
	}
	return o.Fields[i], true
}

func (o *Object) index(name string) (int, bool) {
	if o.byName == nil {
		for i, f := range o.Fields {
			if strings.EqualFold(f.Name, name) {
				return i, true
			}
		}
		return 0, false
	}
	if i, ok := o.byName[name]; ok {
		return i, true
	}
	i, ok := o.byName[strings.ToLower(name)]
	return i, ok
}

func (o *Object) reindex() {
	o.byName = make(map[string]int, 2*len(o.Fields))
	for i, f := range o.Fields {
		o.byName[f.Name] = i
		o.byName[strings.ToLower(f.Name)] = i
	}
}

// pods are instance parts seen in real Ids; the seed picks one per org.
var pods = []string{"5g", "8d", "2w", "3t", "4x", "6A", "7Q", "1H", "0X", "9k"}

// New builds an org from cfg. Nothing is generated until records are read.
func New(cfg Config) *Org {
	b := cfg.Base
	if b.IsZero() {
		b = DefaultBase
	}
	b = b.UTC().Truncate(time.Millisecond)
	seed := mix64(uint64(cfg.Seed) ^ 0x5f0e5a1e)
	o := &Org{
		seed:    seed,
		pod:     pods[seed%uint64(len(pods))],
		base:    b,
		clock:   b.Add(time.Second),
		tables:  map[string]*table{},
		canon:   map[string]*table{},
		removed: map[string]bool{},
		history: map[string]*historySpec{},
		// Describes last changed well before the data; AddField, CreateObject and DeleteObject
		// move this forward.
		listModified: b.Add(-spanBack - 24*time.Hour),
	}
	counts := DefaultCounts()
	defs := objectDefs()
	if cfg.WholeOrg {
		for k, v := range WholeOrgCounts() {
			counts[k] = v
		}
		defs = append(defs, wholeOrgDefs()...)
	}
	for k, v := range cfg.Counts {
		for name := range counts {
			if strings.EqualFold(name, k) {
				k = name
			}
		}
		counts[k] = v
	}
	for _, d := range defs {
		if d.changeEventOf != "" {
			d.schema = changeEventSchema(o.canon[d.changeEventOf].obj)
		}
		n, given := wideCount(cfg.Wide, d.obj.Name)
		if !given {
			n = d.wide
		}
		if n > 0 {
			addWide(&d, n)
		}
		count := counts[d.obj.Name]
		if d.noRecords {
			count = 0
		}
		o.addTable(d, count, o.listModified)
	}
	if cfg.WholeOrg {
		o.trackHistory()
	}
	return o
}

// addTable publishes an object with n base records; o.mu must be held for writing (or the org
// not yet shared).
func (o *Org) addTable(d objDef, n int, lastModified time.Time) *table {
	obj := d.obj
	s := d.schema
	obj.Fields = make([]*Field, len(s.defs))
	for i, fd := range s.defs {
		obj.Fields[i] = fd.f
	}
	obj.reindex()
	obj.LastModified = lastModified
	if n < 0 {
		n = 0
	}
	salt := hash3(o.seed, hashString(obj.Name), 0x0b)
	t := &table{
		obj: obj, defs: s.defs, n: n, salt: salt, prefix: obj.KeyPrefix,
		// Counters start somewhere in the middle, as in a used org.
		offset:      10_000_000 + salt%900_000_000,
		start:       o.base.Add(-spanBack),
		added:       map[int]func(*Record) any{},
		overlay:     map[int]*entry{},
		restriction: d.restriction,
	}
	_, hasStamp := obj.Field("SystemModstamp")
	_, hasDeleted := obj.Field("IsDeleted")
	t.byID = !hasStamp
	t.hardDelete = d.hardDelete && !hasDeleted
	t.event = d.noRecords
	for i, fd := range s.defs {
		if fn := d.formulas[fd.f.Name]; fd.f.Calculated && fn != nil {
			t.formulas = append(t.formulas, formula{idx: i, fn: fn})
		}
	}
	if n <= idCacheMax {
		t.ids = make([]any, n)
		for i := range t.ids {
			t.ids[i] = o.idOf(t, i)
		}
	}
	o.tables[strings.ToLower(obj.Name)] = t
	o.canon[obj.Name] = t
	k := sort.Search(len(o.sorted), func(i int) bool { return o.sorted[i].obj.Name >= obj.Name })
	o.sorted = append(o.sorted, nil)
	copy(o.sorted[k+1:], o.sorted[k:])
	o.sorted[k] = t
	return t
}

// Objects returns every object's describe, sorted by name.
func (o *Org) Objects() []*Object {
	o.mu.RLock()
	defer o.mu.RUnlock()
	out := make([]*Object, len(o.sorted))
	for i, t := range o.sorted {
		out[i] = t.obj
	}
	return out
}

// Object returns an object's describe by name, case-insensitively.
func (o *Org) Object(name string) (*Object, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, ok := o.tables[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return t.obj, true
}

// Base returns the time at or before which every generated stamp lies.
func (o *Org) Base() time.Time { return o.base }

// Now returns the org's logical clock: it starts one second after Base, and every mutation takes
// the current clock as its stamp and then moves the clock one second on, so a mutation's stamp
// is >= Now() before the call and < Now() after it.
func (o *Org) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.clock
}

// Advance moves the logical clock forward by d; negative durations are ignored because stamps
// must never go back.
func (o *Org) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	o.mu.Lock()
	o.clock = o.clock.Add(d).Truncate(time.Millisecond)
	o.mu.Unlock()
}

// tick returns the stamp of a mutation and advances the clock; o.mu must be held for writing.
func (o *Org) tick() time.Time {
	s := o.clock
	o.clock = o.clock.Add(time.Second)
	return s
}

// Count returns the number of records of an object, with or without those in the recycle bin;
// unknown objects count 0.
func (o *Org) Count(object string, includeDeleted bool) int {
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, ok := o.tables[strings.ToLower(object)]
	if !ok {
		return 0
	}
	n := t.n + t.inserted
	if includeDeleted {
		n -= t.purged
	} else {
		n -= t.deleted
	}
	return n
}

// Get returns one record by its 15- or 18-character Id, deleted ones included (check
// Record.Deleted).
func (o *Org) Get(object, id string) (*Record, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, ok := o.tables[strings.ToLower(object)]
	if !ok {
		return nil, false
	}
	i, ok := o.indexOf(t, id)
	if !ok {
		return nil, false
	}
	if e := t.overlay[i]; e != nil && e.purged {
		return nil, false
	}
	return o.materialize(t, i), true
}

// indexOf maps an Id to a record index of t.
func (o *Org) indexOf(t *table, id string) (int, bool) {
	c, ok := parseCounter(id, t.prefix, o.pod)
	if !ok || c < t.offset {
		return 0, false
	}
	i := c - t.offset
	if i >= uint64(t.n+t.inserted) {
		return 0, false
	}
	return int(i), true
}

// idCacheMax is the largest table whose Ids are precomputed: lookups point mostly at small
// parent tables (users, accounts), and boxing a fresh string per lookup dominated generation.
const idCacheMax = 20000

// idAny returns the Id of base record i of t as an interface value.
func (o *Org) idAny(t *table, i int) any {
	if i < len(t.ids) {
		return t.ids[i]
	}
	return o.idOf(t, i)
}

// lookup finds a table by canonical or any-case name.
func (o *Org) lookup(object string) *table {
	if t, ok := o.canon[object]; ok {
		return t
	}
	return o.tables[strings.ToLower(object)]
}

// idOf returns the Id of record i of t.
func (o *Org) idOf(t *table, i int) string { return makeID(t.prefix, o.pod, t.offset+uint64(i)) }

// table returns the table of an object or a NOT_FOUND error.
func (o *Org) table(object string) (*table, error) {
	t, ok := o.tables[strings.ToLower(object)]
	if !ok {
		return nil, &Error{Code: "NOT_FOUND", Message: fmt.Sprintf("sObject type '%s' is not supported in this org: use one of the objects Objects() lists", object)}
	}
	return t, nil
}

// materialize returns record i of t; o.mu must be held.
func (o *Org) materialize(t *table, i int) *Record {
	if e, ok := t.overlay[i]; ok {
		vals := make([]any, len(t.obj.Fields))
		copy(vals, e.vals)
		r := &Record{obj: t.obj, vals: vals}
		t.applyFormulas(r)
		return r
	}
	return o.generate(t, i)
}

// formula computes a calculated field when a record is read, as Salesforce does: formula values
// are never stored, so changing one does not touch SystemModstamp.
type formula struct {
	idx int
	fn  func(*Record) any
}

func (t *table) applyFormulas(r *Record) {
	for _, f := range t.formulas {
		if f.idx < len(r.vals) {
			r.vals[f.idx] = f.fn(r)
		}
	}
}

// Error is a failure the server reports with a Salesforce error code (NOT_FOUND, INVALID_FIELD,
// INVALID_TYPE, ENTITY_IS_DELETED, REQUIRED_FIELD_MISSING, INVALID_FIELD_FOR_INSERT_UPDATE,
// INVALID_ID_FIELD, UNDELETE_FAILED).
type Error struct {
	Code    string
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Index returns the position of a field (by canonical or any-case name) in the record values of
// records materialized with this describe, for callers that read many records by position.
func (o *Object) Index(name string) (int, bool) { return o.index(name) }

// At returns the value at position i (see Object.Index), or nil when i is out of range. It is
// Get without the name lookup, for renderers that read every field of millions of records.
func (r *Record) At(i int) any {
	if i < 0 || i >= len(r.vals) {
		return nil
	}
	return r.vals[i]
}

package salesforcetest

import (
	"fmt"
	"time"
)

// Objects returns the org's objects (their describes), sorted by name.
func (s *Server) Objects() []*Object { return s.org.Objects() }

// Now returns the org's logical clock: the time stamps of mutations and the "now" of /deleted.
func (s *Server) Now() time.Time { return s.org.Now() }

// Advance moves the emulator's clocks forward by d, as if that much time passed: the org's logical
// clock (stamps of mutations, the "now" of SOQL date literals and of /deleted) and the clock query
// locators idle on (Limits.CursorIdle), so that a test expires a cursor without waiting 15
// minutes. Both move together, as in a real org, where a load resumed a day later finds newer
// stamps and no old cursor. Bulk job delays and Limits.LongRequest stay in real time. Negative
// durations are ignored.
func (s *Server) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	s.org.Advance(d)
	s.mu.Lock()
	s.advanced += d
	s.mu.Unlock()
	s.invalidate() // relative date literals (TODAY, LAST_N_DAYS) moved
}

// Count returns the number of records of an object, counting deleted ones when includeDeleted.
func (s *Server) Count(object string, includeDeleted bool) int {
	return s.org.Count(object, includeDeleted)
}

// Get returns one record by object name and Id.
func (s *Server) Get(object, id string) (*Record, bool) { return s.org.Get(object, id) }

// Insert adds a record with the given field values and returns its Id.
func (s *Server) Insert(object string, values map[string]any) (string, error) {
	defer s.invalidate()
	id, err := s.org.Insert(object, values)
	if err != nil {
		return "", fmt.Errorf("salesforcetest: inserting into %s: %w", object, err)
	}
	return id, nil
}

// Update sets field values on records; they all get one new SystemModstamp and LastModifiedDate.
func (s *Server) Update(object string, ids []string, values map[string]any) error {
	defer s.invalidate()
	if err := s.org.Update(object, ids, values); err != nil {
		return fmt.Errorf("salesforcetest: updating %d %s record(s): %w", len(ids), object, err)
	}
	return nil
}

// UpdateAt is Update with the given SystemModstamp instead of a new one: a change that commits
// late, after changes with later stamps were already visible (a long Salesforce transaction).
// The stamp must be before Now.
func (s *Server) UpdateAt(object string, ids []string, values map[string]any, stamp time.Time) error {
	defer s.invalidate()
	return s.org.UpdateAt(object, ids, values, stamp)
}

// Delete moves records to the recycle bin: query hides them, queryAll shows them with IsDeleted.
// Records of the whole-org objects without IsDeleted (Group, GroupMember, ...) have no recycle
// bin and are removed for good.
func (s *Server) Delete(object string, ids ...string) error {
	defer s.invalidate()
	if err := s.org.Delete(object, ids...); err != nil {
		return fmt.Errorf("salesforcetest: deleting %d %s record(s): %w", len(ids), object, err)
	}
	return nil
}

// EmptyRecycleBin removes for good the records of object deleted before before, as Salesforce
// does after about 15 days in the recycle bin: queryAll no longer returns them. With forgetLog
// the deleted endpoint forgets them too (its earliestDateAvailable moves to before).
func (s *Server) EmptyRecycleBin(object string, before time.Time, forgetLog bool) error {
	defer s.invalidate()
	if err := s.org.EmptyRecycleBin(object, before, forgetLog); err != nil {
		return fmt.Errorf("salesforcetest: emptying the recycle bin of %s: %w", object, err)
	}
	return nil
}

// Undelete restores records from the recycle bin.
func (s *Server) Undelete(object string, ids ...string) error {
	defer s.invalidate()
	if err := s.org.Undelete(object, ids...); err != nil {
		return fmt.Errorf("salesforcetest: undeleting %d %s record(s): %w", len(ids), object, err)
	}
	return nil
}

// AddField adds a field (for example a new custom field) to an object; value computes its value
// per record. The object's describe changes and its Last-Modified moves on.
func (s *Server) AddField(object string, f Field, value func(r *Record) any) error {
	defer s.invalidate()
	if err := s.org.AddField(object, f, value); err != nil {
		return fmt.Errorf("salesforcetest: adding field %s to %s: %w", f.Name, object, err)
	}
	return nil
}

// SetFormula changes the values of a calculated field without touching SystemModstamp, as a
// formula change does in a real org.
func (s *Server) SetFormula(object, field string, value func(r *Record) any) error {
	defer s.invalidate()
	if err := s.org.SetFormula(object, field, value); err != nil {
		return fmt.Errorf("salesforcetest: changing formula %s.%s: %w", object, field, err)
	}
	return nil
}

// Deleted lists the records of an object deleted in [start, end], like GET /sobjects/X/deleted.
func (s *Server) Deleted(object string, start, end time.Time) (records []DeletedRecord, earliest, latest time.Time, err error) {
	records, earliest, latest, err = s.org.Deleted(object, start, end)
	if err != nil {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("salesforcetest: listing deleted %s records: %w", object, err)
	}
	return records, earliest, latest, nil
}

// CreateObject adds an empty custom object to the org, as an admin creating one in Setup between
// two loads: the system fields every custom object has (Id, OwnerId, IsDeleted, Name,
// CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, LastViewedDate,
// LastReferencedDate) and fields (custom fields, names ending in __c). It appears in global
// describe, whose Last-Modified moves on; add records with Insert (Name is required). The name
// must end in __c with at most 40 characters before it, and must not be one the org has or had.
func (s *Server) CreateObject(name, label string, fields ...Field) error {
	defer s.invalidate()
	if err := s.org.CreateObject(name, label, fields...); err != nil {
		return fmt.Errorf("salesforcetest: creating object %s: %w", name, err)
	}
	return nil
}

// DeleteObject removes an object from the org, as an admin deleting a custom object (or, for a
// standard object, as the user losing access to it): it leaves global describe, whose
// Last-Modified moves on, its describe answers 404 NOT_FOUND and its queries 400 INVALID_TYPE.
// Other objects' records keep their values, lookups to its records included. Its name cannot be
// used again by CreateObject.
func (s *Server) DeleteObject(name string) error {
	defer s.invalidate()
	if err := s.org.DeleteObject(name); err != nil {
		return fmt.Errorf("salesforcetest: deleting object %s: %w", name, err)
	}
	return nil
}

package schema

import (
	"fmt"
	"time"
)

// MergeStrategy is how a merge table is merged, dlt's `x-merge-strategy` table hint.
type MergeStrategy string

// The merge strategies sfdlt has.
const (
	// DeleteInsert is dlt's default merge: rows of the table with a staged key are deleted,
	// the staged rows (deduplicated by primary key) inserted.
	DeleteInsert MergeStrategy = "delete-insert"
	// SCD2 keeps history (a slowly changing dimension of type 2): a row per version of a
	// record, each with the time it became valid and the time it was retired; a changed or
	// deleted record's active row is retired, never deleted or updated otherwise.
	SCD2 MergeStrategy = "scd2"
)

// MergeStrategies lists the merge strategies, for messages.
var MergeStrategies = []MergeStrategy{DeleteInsert, SCD2}

// Valid reports whether s is a merge strategy sfdlt has; "" (the default, delete-insert) is.
func (s MergeStrategy) Valid() bool { return s == "" || s == DeleteInsert || s == SCD2 }

// The default names of the validity columns of an scd2 table, as in dlt.
const (
	ColumnValidFrom = "_dlt_valid_from"
	ColumnValidTo   = "_dlt_valid_to"
)

// SCD2Columns are the validity columns of an scd2 table: from and to (dlt's
// validity_column_names; "" takes dlt's default), timestamps, nullable, since staged rows have
// no values for them. active is dlt's active_record_timestamp: the value of the "to" column of
// an active row, nil for NULL.
func SCD2Columns(from, to string, active *time.Time) []Column {
	if from == "" {
		from = ColumnValidFrom
	}
	if to == "" {
		to = ColumnValidTo
	}
	f := NewColumn(from, Timestamp)
	f.ValidFrom = true
	t := NewColumn(to, Timestamp)
	t.ValidTo = true
	if active != nil {
		a := active.UTC()
		t.ActiveRecordTimestamp = &a
	}
	return []Column{f, t}
}

// ValidityColumns returns the names of the table's validity columns (the columns with the
// ValidFrom and ValidTo hints), "" where there is none.
func (t *Table) ValidityColumns() (from, to string) {
	for i := range t.Columns {
		switch c := &t.Columns[i]; {
		case c.ValidFrom && from == "":
			from = c.Name
		case c.ValidTo && to == "":
			to = c.Name
		}
	}
	return from, to
}

// RowVersionColumn returns the name of the column that identifies a version of a record in an
// scd2 table (the RowVersion hint, dlt's x-row-version): `_dlt_id` holding a hash of the row
// unless the resource names a column of its own; "" when no column has the hint.
func (t *Table) RowVersionColumn() string {
	for i := range t.Columns {
		if t.Columns[i].RowVersion {
			return t.Columns[i].Name
		}
	}
	return ""
}

// ActiveRecordTimestamp returns the value the "valid to" column of an active row holds: nil
// for NULL (dlt's default).
func (t *Table) ActiveRecordTimestamp() *time.Time {
	_, to := t.ValidityColumns()
	if c := t.Column(to); c != nil && c.ActiveRecordTimestamp != nil {
		a := *c.ActiveRecordTimestamp
		return &a
	}
	return nil
}

// CheckSCD2 reports what keeps t from being merged as scd2: it needs both validity columns
// and a row version column, and its validity columns must be timestamps.
func (t *Table) CheckSCD2() error {
	from, to := t.ValidityColumns()
	switch {
	case from == "" || to == "":
		return fmt.Errorf("scd2 table %q needs its validity columns (hints x-valid-from and x-valid-to; see schema.SCD2Columns)", t.Name)
	case from == to:
		return fmt.Errorf("scd2 table %q: its validity columns are both %q; give two different names", t.Name, from)
	case t.RowVersionColumn() == "":
		return fmt.Errorf("scd2 table %q has no row version column (hint x-row-version, on %s or a column of the resource's)", t.Name, ColumnID)
	}
	for _, name := range []string{from, to} {
		if c := t.Column(name); c.DataType != "" && c.DataType != Timestamp {
			return fmt.Errorf("scd2 table %q: validity column %q has type %s; it must be a timestamp (rename the column that holds other data, or choose other validity_column_names)", t.Name, name, c.DataType)
		}
	}
	return nil
}

// ParseActiveRecordTimestamp reads an active_record_timestamp as dlt takes it: a date
// ("9999-12-31", midnight UTC) or a timestamp in RFC 3339 ("9999-12-31T00:00:00Z"; one
// without a zone is UTC).
func ParseActiveRecordTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("active_record_timestamp %q is not a date (9999-12-31) or an RFC 3339 timestamp (9999-12-31T00:00:00Z)", s)
}

// SCD2Options are the settings of dlt's scd2 merge strategy, as dlt's write_disposition
// dictionary holds them. The zero value is dlt's defaults.
type SCD2Options struct {
	// ValidityColumnNames are the names of the "valid from" and "valid to" columns (dlt's
	// validity_column_names); "" takes the default, _dlt_valid_from and _dlt_valid_to.
	ValidityColumnNames [2]string
	// ActiveRecordTimestamp is the "valid to" of an active row (dlt's active_record_timestamp);
	// nil: NULL. A high timestamp (9999-12-31) lets queries use BETWEEN.
	ActiveRecordTimestamp *time.Time
	// RowVersionColumnName names a column of the resource that identifies a version of a
	// record (dlt's row_version_column_name), such as system_modstamp; "": a hash of the row's
	// values, kept in _dlt_id.
	RowVersionColumnName string
}

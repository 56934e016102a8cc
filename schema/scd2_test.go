package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// An scd2 table's hints are stored as dlt stores them and read back unchanged, from sfdlt's
// JSON and from dlt's (dates as dlt writes an active_record_timestamp).
func TestSCD2HintsRoundTrip(t *testing.T) {
	high := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	tbl := NewTable("opportunity", Merge, Column{Name: "id", DataType: Text, PrimaryKey: true, MergeKey: true})
	tbl.MergeStrategy = SCD2
	tbl.Columns = append(tbl.Columns, SCD2Columns("", "", &high)...)
	id := IDColumn()
	id.RowVersion, id.Unique, id.RowKey = true, false, false
	tbl.Columns = append(tbl.Columns, LoadIDColumn(), id)
	s := New("salesforce")
	if _, err := s.Update(tbl); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"x-merge-strategy":"scd2"`, `"x-valid-from":true`, `"x-valid-to":true`, `"x-active-record-timestamp":"9999-12-31T00:00:00Z"`, `"x-row-version":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("stored schema lacks %s:\n%s", want, b)
		}
	}
	var back Schema
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got := back.Table("opportunity")
	if got.MergeStrategy != SCD2 || !reflect.DeepEqual(got.Columns, s.Table("opportunity").Columns) {
		t.Fatalf("round trip: %+v, want %+v", got, s.Table("opportunity"))
	}
	if from, to := got.ValidityColumns(); from != ColumnValidFrom || to != ColumnValidTo || got.RowVersionColumn() != ColumnID {
		t.Fatalf("validity %s, %s, version %s", from, to, got.RowVersionColumn())
	}
	if a := got.ActiveRecordTimestamp(); a == nil || !a.Equal(high) {
		t.Fatalf("active record timestamp %v", a)
	}

	var dlt Table
	doc := `{"name": "t", "write_disposition": "merge", "x-merge-strategy": "scd2", "columns": {
		"valid_from": {"name": "valid_from", "data_type": "timestamp", "nullable": true, "x-valid-from": true},
		"valid_to": {"name": "valid_to", "data_type": "timestamp", "nullable": true, "x-valid-to": true, "x-active-record-timestamp": null},
		"row_hash": {"name": "row_hash", "data_type": "text", "nullable": false, "x-row-version": true}}}`
	p, err := unmarshalTable("t", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	dlt = *p
	if err := dlt.CheckSCD2(); err != nil || dlt.ActiveRecordTimestamp() != nil || dlt.RowVersionColumn() != "row_hash" {
		t.Fatalf("dlt's scd2 table: %v, active %v, version %q", err, dlt.ActiveRecordTimestamp(), dlt.RowVersionColumn())
	}
	if _, err := unmarshalTable("t", []byte(`{"x-merge-strategy": "insert-only"}`)); err == nil || !strings.Contains(err.Error(), "upgrade sfdlt") {
		t.Fatalf("an unknown strategy: %v", err)
	}
}

func TestParseActiveRecordTimestamp(t *testing.T) {
	want := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"9999-12-31", "9999-12-31T00:00:00Z", "9999-12-31T00:00:00+00:00", "9999-12-31 00:00:00", "9999-12-31T01:00:00+01:00"} {
		got, err := ParseActiveRecordTimestamp(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v, %v", s, got, err)
		}
	}
	if _, err := ParseActiveRecordTimestamp("someday"); err == nil || !strings.Contains(err.Error(), "9999-12-31") {
		t.Errorf("a bad value: %v", err)
	}
}

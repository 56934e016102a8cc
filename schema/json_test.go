package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// exampleSchema is a schema as the Salesforce pipeline builds it.
func exampleSchema(t *testing.T) *Schema {
	t.Helper()
	s := New("salesforce")
	if err := s.AddTable(PipelineStateTable()); err != nil {
		t.Fatal(err)
	}
	opp := NewTable("opportunity", Merge)
	id := NewColumn("id", Text)
	id.PrimaryKey, id.Nullable = true, false
	stamp := NewColumn("system_modstamp", Timestamp)
	stamp.DedupSort = Desc
	deleted := NewColumn("is_deleted", Bool)
	deleted.HardDelete = true
	amount := NewColumn("amount", Decimal)
	opp.Columns = append(opp.Columns, id, NewColumn("name", Text), amount, stamp, deleted,
		NewColumn("close_date", Date), NewColumn("probability", Double), NewColumn("account__c", Text))
	opp.Columns = append(opp.Columns, RootSystemColumns()...)
	if _, err := s.Update(opp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(NewNestedTable("opportunity__line_items", "opportunity",
		append([]Column{NewColumn("quantity", Double)}, NestedSystemColumns(true)...)...)); err != nil {
		t.Fatal(err)
	}
	frozen := Contract{Columns: Freeze}
	s.Table("opportunity").SchemaContract = &frozen
	s.Bump()
	return s
}

func TestSchemaJSONGolden(t *testing.T) {
	s := exampleSchema(t)
	got, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	const path = "testdata/schema.golden.json"
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./schema -run Golden -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("stored schema differs from %s (rerun with -update if intended):\n%s", path, got)
	}
	// The parts dlt reads, checked by value rather than by bytes.
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["engine_version"] != float64(11) || doc["name"] != "salesforce" || doc["version"] != float64(s.Version) {
		t.Errorf("header = %v %v %v", doc["engine_version"], doc["name"], doc["version"])
	}
	norm := doc["normalizers"].(map[string]any)
	if norm["names"] != "snake_case" || norm["json"].(map[string]any)["module"] != "dlt.common.normalizers.json.relational" {
		t.Errorf("normalizers = %v", norm)
	}
	col := doc["tables"].(map[string]any)["opportunity"].(map[string]any)["columns"].(map[string]any)["id"].(map[string]any)
	if !reflect.DeepEqual(col, map[string]any{"name": "id", "data_type": "text", "nullable": false, "primary_key": true}) {
		t.Errorf("id column = %v", col)
	}
	name := doc["tables"].(map[string]any)["opportunity"].(map[string]any)["columns"].(map[string]any)["name"].(map[string]any)
	if _, has := name["primary_key"]; has {
		t.Error("a false hint was written; dlt omits hints at their default")
	}
}

func TestSchemaJSONRoundTrip(t *testing.T) {
	s := exampleSchema(t)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Schema
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Hash() != s.Hash() || back.VersionHash != s.VersionHash || back.Version != s.Version {
		t.Errorf("round trip changed the schema: hash %q -> %q", s.Hash(), back.Hash())
	}
	var names []string
	for _, tb := range back.Tables {
		names = append(names, tb.Name)
	}
	if !reflect.DeepEqual(names, []string{"_dlt_version", "_dlt_loads", "_dlt_pipeline_state", "opportunity", "opportunity__line_items"}) {
		t.Errorf("table order = %v", names)
	}
	if got := back.Table("opportunity").ColumnNames(); !reflect.DeepEqual(got, s.Table("opportunity").ColumnNames()) {
		t.Errorf("column order = %v", got)
	}
	for i, c := range s.Table("opportunity").Columns {
		if got := back.Table("opportunity").Columns[i]; !reflect.DeepEqual(got, c) {
			t.Errorf("column %d = %+v, want %+v", i, got, c)
		}
	}
	if c := back.Table("opportunity").SchemaContract; c == nil || c.Columns != Freeze {
		t.Errorf("contract = %+v", c)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("second marshal differs:\n%s\n%s", b, b2)
	}
}

func TestUnmarshalDltSchema(t *testing.T) {
	// A stored schema in the shape dlt writes, with properties sfdlt does not model.
	const doc = `{
	  "version": 3, "version_hash": "abc=", "engine_version": 9, "name": "salesforce",
	  "tables": {
	    "_dlt_loads": {"columns": {"load_id": {"name": "load_id", "data_type": "text", "nullable": false}}, "write_disposition": "skip", "name": "_dlt_loads"},
	    "account": {"columns": {
	        "z_last": {"name": "z_last", "data_type": "text"},
	        "id": {"name": "id", "data_type": "text", "nullable": false, "primary_key": true, "x-custom": 1},
	        "extra": {"name": "extra", "data_type": "complex", "nullable": true, "timezone": false},
	        "pending": {"name": "pending", "merge_key": true, "precision": null}
	      },
	      "write_disposition": "merge", "resource": "account", "x-normalizer": {"seen-data": true},
	      "schema_contract": "freeze"}
	  },
	  "settings": {"detections": ["iso_timestamp"], "schema_contract": {"data_type": "discard_value"}, "future": 1},
	  "normalizers": {"names": "snake_case", "json": {"module": "dlt.common.normalizers.json.relational"}},
	  "previous_hashes": ["old="],
	  "imported_version_hash": "imp="
	}`
	var s Schema
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatal(err)
	}
	acc := s.Table("account")
	if got := acc.ColumnNames(); !reflect.DeepEqual(got, []string{"z_last", "id", "extra", "pending"}) {
		t.Errorf("column order = %v, want document order", got)
	}
	if c := acc.Column("z_last"); !c.Nullable {
		t.Error("a missing nullable must read as true")
	}
	if c := acc.Column("extra"); c.DataType != JSON || string(c.Extra["timezone"]) != "false" {
		t.Errorf("complex column = %+v", c)
	}
	if c := acc.Column("pending"); c.Complete() || !c.MergeKey {
		t.Errorf("incomplete column = %+v", c)
	}
	if acc.SchemaContract == nil || *acc.SchemaContract != ContractAll(Freeze) {
		t.Errorf("table contract = %+v", acc.SchemaContract)
	}
	if s.Contract("account") != ContractAll(Freeze) {
		t.Errorf("effective contract = %+v", s.Contract("account"))
	}
	if s.Contract("other") != (Contract{Tables: Evolve, Columns: Evolve, DataType: DiscardValue}) {
		t.Errorf("schema-wide contract = %+v", s.Contract("other"))
	}
	out, err := json.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"x-normalizer":{"seen-data":true}`, `"x-custom":1`, `"future":1`,
		`"imported_version_hash":"imp="`, `"engine_version":11`, `"previous_hashes":["old="]`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("written schema lacks %s:\n%s", want, out)
		}
	}
	// imported_version_hash is not content.
	h := s.Hash()
	s.Extra["imported_version_hash"] = json.RawMessage(`"other="`)
	if s.Hash() != h {
		t.Error("imported_version_hash changed the hash")
	}
}

func TestUnmarshalErrors(t *testing.T) {
	for _, doc := range []string{
		`[]`,
		`{"tables": []}`,
		`{"tables": {"a": {"columns": {"c": {"data_type": "varchar"}}}}}`,
		`{"tables": {"a": {"schema_contract": "maybe"}}}`,
		`{"version": "x"}`,
	} {
		var s Schema
		if err := json.Unmarshal([]byte(doc), &s); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", doc)
		}
	}
}

package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type colSpec struct {
	name     string
	typ      DataType
	nullable bool
}

func specs(t *Table) []colSpec {
	out := make([]colSpec, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = colSpec{c.Name, c.DataType, c.Nullable}
	}
	return out
}

func TestSystemTables(t *testing.T) {
	// Exactly dlt-conventions.md and dlt's utils.py: names, order, types, nullability.
	tests := []struct {
		table *Table
		wd    WriteDisposition
		want  []colSpec
	}{
		{LoadsTable(), Skip, []colSpec{
			{"load_id", Text, false}, {"schema_name", Text, true}, {"status", Bigint, false},
			{"inserted_at", Timestamp, false}, {"schema_version_hash", Text, true}}},
		{VersionTable(), Skip, []colSpec{
			{"version", Bigint, false}, {"engine_version", Bigint, false}, {"inserted_at", Timestamp, false},
			{"schema_name", Text, false}, {"version_hash", Text, false}, {"schema", Text, false}}},
		{PipelineStateTable(), Append, []colSpec{
			{"version", Bigint, false}, {"engine_version", Bigint, false}, {"pipeline_name", Text, false},
			{"state", Text, false}, {"created_at", Timestamp, false}, {"version_hash", Text, true},
			{"_dlt_load_id", Text, false}, {"_dlt_id", Text, false}}},
	}
	for _, tt := range tests {
		if got := specs(tt.table); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s columns = %v, want %v", tt.table.Name, got, tt.want)
		}
		if tt.table.WriteDisposition != tt.wd || tt.table.Resource != tt.table.Name || !IsSystemTable(tt.table.Name) {
			t.Errorf("%s: disposition %q resource %q", tt.table.Name, tt.table.WriteDisposition, tt.table.Resource)
		}
	}
	if id := IDColumn(); id.Nullable || !id.Unique || !id.RowKey || id.DataType != Text {
		t.Errorf("IDColumn = %+v", id)
	}
	nested := NestedSystemColumns(true)
	if len(nested) != 4 || nested[3].Name != ColumnRootID || !nested[3].RootKey || nested[1].DataType != Bigint {
		t.Errorf("NestedSystemColumns(true) = %+v", nested)
	}
	if len(NestedSystemColumns(false)) != 3 {
		t.Error("a nested table of a non-merge root has no _dlt_root_id")
	}
}

func TestTableColumns(t *testing.T) {
	tb := NewTable("account", Merge, NewColumn("id", Text), NewColumn("name", Text))
	if err := tb.AddColumn(NewColumn("amount", Decimal)); err != nil {
		t.Fatal(err)
	}
	if got := tb.ColumnNames(); !reflect.DeepEqual(got, []string{"id", "name", "amount"}) {
		t.Errorf("order = %v", got)
	}
	if err := tb.AddColumn(NewColumn("name", Text)); err == nil {
		t.Error("duplicate column accepted")
	}
	if err := tb.AddColumn(NewColumn("x", "varchar")); err == nil || !strings.Contains(err.Error(), "varchar") {
		t.Errorf("bad type error = %v", err)
	}
	tb.Column("id").PrimaryKey = true
	if got := tb.PrimaryKey(); !reflect.DeepEqual(got, []string{"id"}) {
		t.Errorf("PrimaryKey = %v", got)
	}
	// Direct edits of Columns are seen by the index.
	tb.Columns[1].Name = "full_name"
	if tb.Column("name") != nil || tb.Column("full_name") == nil {
		t.Error("index did not follow a rename")
	}
	tb.Columns = append(tb.Columns[:0], tb.Columns[2], tb.Columns[0])
	if c := tb.Column("id"); c == nil || c != &tb.Columns[1] {
		t.Error("index did not follow a reorder")
	}
	cl := tb.Clone()
	cl.Columns[0].Name = "changed"
	if tb.Columns[0].Name == "changed" {
		t.Error("Clone shares columns")
	}
}

func TestSchemaTables(t *testing.T) {
	s := New("salesforce")
	if s.Version != 1 || s.VersionHash == "" || len(s.Tables) != 2 {
		t.Fatalf("New: version %d hash %q tables %d", s.Version, s.VersionHash, len(s.Tables))
	}
	if err := s.AddTable(NewTable("opportunity", Merge, NewColumn("id", Text))); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTable(NewNestedTable("opportunity__items", "opportunity", NestedSystemColumns(true)...)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*Table{
		NewTable("opportunity", Append),
		NewNestedTable("x__y", "x"),
		NewTable("z", "upsert"),
		NewTable("dup", Append, NewColumn("a", Text), NewColumn("a", Text)),
		{},
	} {
		if err := s.AddTable(bad); err == nil {
			t.Errorf("AddTable(%+v) accepted", bad)
		}
	}
	if got := s.WriteDisposition("opportunity__items"); got != Merge {
		t.Errorf("nested write disposition = %q, want the root's merge", got)
	}
	if r := s.RootTable("opportunity__items"); r == nil || r.Name != "opportunity" {
		t.Errorf("RootTable = %v", r)
	}
	if n := s.NestedTables("opportunity"); len(n) != 1 || n[0].Name != "opportunity__items" {
		t.Errorf("NestedTables = %v", n)
	}
	if d := s.DataTables(); len(d) != 2 {
		t.Errorf("DataTables = %d tables", len(d))
	}
}

func TestBump(t *testing.T) {
	s := New("salesforce")
	h1 := s.VersionHash
	if s.Bump() || s.Version != 1 || s.VersionHash != h1 {
		t.Fatal("Bump changed an unchanged schema")
	}
	if err := s.AddTable(NewTable("account", Merge, NewColumn("id", Text), NewColumn("name", Text))); err != nil {
		t.Fatal(err)
	}
	if !s.Bump() || s.Version != 2 || s.VersionHash == h1 || !reflect.DeepEqual(s.PreviousHashes, []string{h1}) {
		t.Fatalf("Bump after a change: version %d hash %q previous %v", s.Version, s.VersionHash, s.PreviousHashes)
	}
	h2 := s.VersionHash
	// Same content in a fresh schema: same hash (determinism).
	s2 := New("salesforce")
	_ = s2.AddTable(NewTable("account", Merge, NewColumn("id", Text), NewColumn("name", Text)))
	if s2.Hash() != h2 {
		t.Error("same content, different hash")
	}
	// Column order is content.
	s3 := New("salesforce")
	_ = s3.AddTable(NewTable("account", Merge, NewColumn("name", Text), NewColumn("id", Text)))
	if s3.Hash() == h2 {
		t.Error("column order does not change the hash")
	}
	// A hint is content.
	s.Table("account").Column("id").PrimaryKey = true
	if !s.Bump() || s.Version != 3 {
		t.Error("a new hint did not bump the version")
	}
	for range 15 {
		s.Table("account").Description += "x"
		s.Bump()
	}
	if len(s.PreviousHashes) != 10 {
		t.Errorf("previous hashes = %d, want 10", len(s.PreviousHashes))
	}
}

func TestUpdateEvolve(t *testing.T) {
	s := New("salesforce")
	u, err := s.Update(NewTable("account", Merge, NewColumn("id", Text), NewColumn("name", Text), NewColumn("id", Text)))
	if err != nil || !u.NewTable || len(u.Added) != 2 || u.Table != s.Table("account") {
		t.Fatalf("new table: %+v, %v", u, err)
	}
	u, err = s.Update(NewTable("account", Merge, NewColumn("id", Text), NewColumn("rating", Text), NewColumn("score", Double)))
	if err != nil || u.NewTable || !reflect.DeepEqual(names(u.Added), []string{"rating", "score"}) {
		t.Fatalf("new columns: %+v, %v", u, err)
	}
	// Another type for an existing column: a variant column.
	u, err = s.Update(NewTable("account", Merge, NewColumn("score", Text)))
	if err != nil || !reflect.DeepEqual(names(u.Added), []string{"score__v_text"}) || !u.Added[0].Variant {
		t.Fatalf("variant: %+v, %v", u, err)
	}
	// Seen again: nothing to add.
	if u, err = s.Update(NewTable("account", Merge, NewColumn("score", Text))); err != nil || u.Changed() {
		t.Fatalf("repeat: %+v, %v", u, err)
	}
	if got := s.Table("account").ColumnNames(); !reflect.DeepEqual(got, []string{"id", "name", "rating", "score", "score__v_text"}) {
		t.Errorf("columns = %v", got)
	}
	if _, err := s.Update(NewTable("account", Merge, NewColumn("bad", ""))); err == nil {
		t.Error("a column without a type was accepted")
	}
}

func names(cols []Column) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Name)
	}
	return out
}

func TestUpdateContracts(t *testing.T) {
	base := func(c Contract) *Schema {
		t.Helper()
		s := New("salesforce")
		if _, err := s.Update(NewTable("account", Merge, NewColumn("id", Text), NewColumn("amount", Decimal))); err != nil {
			t.Fatal(err)
		}
		s.Table("account").SchemaContract = &c
		s.Settings.SchemaContract = &c
		return s
	}
	newCol := NewTable("account", Merge, NewColumn("id", Text), NewColumn("rating", Text))
	newType := NewTable("account", Merge, NewColumn("amount", Text))
	newTable := NewTable("contact", Merge, NewColumn("id", Text))
	nested := NewNestedTable("account__tags", "account", NewColumn("value", Text))

	tests := []struct {
		name       string
		contract   Contract
		observed   *Table
		wantErr    string // entity of the ContractError
		wantRow    bool
		wantDrop   []string
		wantAdded  []string
		wantNewTbl bool
	}{
		{"freeze columns", Contract{Columns: Freeze}, newCol, "columns", false, nil, nil, false},
		{"discard_value columns", Contract{Columns: DiscardValue}, newCol, "", false, []string{"rating"}, nil, false},
		{"discard_row columns", Contract{Columns: DiscardRow}, newCol, "", true, nil, nil, false},
		{"freeze data_type", Contract{DataType: Freeze}, newType, "data_type", false, nil, nil, false},
		{"discard_value data_type", Contract{DataType: DiscardValue}, newType, "", false, []string{"amount"}, nil, false},
		{"discard_row data_type", Contract{DataType: DiscardRow}, newType, "", true, nil, nil, false},
		{"evolve data_type", Contract{Columns: Freeze}, newType, "", false, nil, []string{"amount__v_text"}, false},
		{"freeze tables", Contract{Tables: Freeze}, newTable, "tables", false, nil, nil, false},
		{"discard tables", Contract{Tables: DiscardValue}, newTable, "", true, nil, nil, false},
		{"frozen tables still evolve columns", Contract{Tables: Freeze}, newCol, "", false, nil, []string{"rating"}, false},
		{"nested table follows columns mode", Contract{Tables: Freeze}, nested, "", false, nil, []string{"value"}, true},
		{"nested table frozen by columns", Contract{Columns: Freeze}, nested, "tables", false, nil, nil, false},
		{"all frozen", ContractAll(Freeze), newCol, "columns", false, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base(tt.contract)
			u, err := s.Update(tt.observed)
			if tt.wantErr != "" {
				var ce *ContractError
				if !errors.As(err, &ce) || ce.Entity != tt.wantErr || !errors.Is(err, ErrContractViolation) {
					t.Fatalf("error = %v, want a %s ContractError", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.observed.Name) || !strings.Contains(err.Error(), "set the contract") {
					t.Errorf("error %q does not name the table and the fix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.DiscardRow != tt.wantRow || !reflect.DeepEqual(u.DiscardColumns, tt.wantDrop) ||
				!reflect.DeepEqual(names(u.Added), tt.wantAdded) || u.NewTable != tt.wantNewTbl {
				t.Errorf("update = %+v", u)
			}
		})
	}
}

func TestUpdateCompletesIncompleteColumn(t *testing.T) {
	s := New("salesforce")
	tb := NewTable("account", Merge)
	tb.Columns = append(tb.Columns, Column{Name: "id", Nullable: false, PrimaryKey: true}) // hints only
	s.Tables = append(s.Tables, tb)
	u, err := s.Update(NewTable("account", Merge, NewColumn("id", Text)))
	if err != nil || len(u.Added) != 1 {
		t.Fatalf("%+v %v", u, err)
	}
	if c := s.Table("account").Column("id"); c.DataType != Text || !c.PrimaryKey || c.Nullable {
		t.Errorf("completed column = %+v, want text with its hints kept", c)
	}
}

func TestPlace(t *testing.T) {
	s := New("salesforce")
	if _, err := s.Update(NewTable("opportunity", Merge, NewColumn("amount", Decimal), NewColumn("n", Bigint))); err != nil {
		t.Fatal(err)
	}
	tb := s.Table("opportunity")
	p, err := s.Place(tb, "amount", "300.5")
	if err != nil || p.Column != "amount" || p.Value.(DecimalValue).String() != "300.500000000" || p.Added != nil {
		t.Fatalf("fits: %+v %v", p, err)
	}
	p, err = s.Place(tb, "amount", "n/a")
	if err != nil || p.Column != "amount__v_text" || p.Value != "n/a" || p.Added == nil || !p.Added.Variant {
		t.Fatalf("variant: %+v %v", p, err)
	}
	p, err = s.Place(tb, "amount", "also text")
	if err != nil || p.Column != "amount__v_text" || p.Added != nil {
		t.Fatalf("variant again: %+v %v", p, err)
	}
	p, err = s.Place(tb, "n", 2.5)
	if err != nil || p.Column != "n__v_double" || p.Value != 2.5 {
		t.Fatalf("double into bigint: %+v %v", p, err)
	}
	// A decimal too large for 38,9 keeps its digits as text.
	big := "1" + strings.Repeat("0", 40)
	if p, err = s.Place(tb, "amount", DecimalValue{}); err != nil || p.Column != "amount" {
		t.Fatalf("zero decimal: %+v %v", p, err)
	}
	if p, err = s.Place(tb, "amount", mustRat(t, big)); err != nil || p.Column != "amount__v_text" {
		t.Fatalf("overflow: %+v %v", p, err)
	}
	if p, err = s.Place(tb, "amount", nil); err != nil || p.Column != "amount" || p.Value != nil {
		t.Fatalf("nil: %+v %v", p, err)
	}
	if _, err = s.Place(tb, "missing", 1); err == nil {
		t.Error("placing into a missing column succeeded")
	}
	for _, m := range []Mode{Freeze, DiscardRow, DiscardValue} {
		s.Settings.SchemaContract = &Contract{DataType: m}
		p, err := s.Place(tb, "n", true)
		switch m {
		case Freeze:
			if !errors.Is(err, ErrContractViolation) {
				t.Errorf("freeze: %+v %v", p, err)
			}
		case DiscardRow:
			if err != nil || !p.DiscardRow {
				t.Errorf("discard_row: %+v %v", p, err)
			}
		case DiscardValue:
			if err != nil || p.Column != "" || p.DiscardRow {
				t.Errorf("discard_value: %+v %v", p, err)
			}
		}
	}
	if tb.Column("n__v_bool") != nil {
		t.Error("a contract that forbids variants created one")
	}
}

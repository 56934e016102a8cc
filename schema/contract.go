package schema

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Mode is a schema contract mode: what happens when data would change the schema.
type Mode string

// The contract modes, as dlt names them.
const (
	// Evolve (the default) lets the schema change: new tables, new columns, variant
	// columns for values of another type.
	Evolve Mode = "evolve"
	// Freeze stops the load with a *ContractError.
	Freeze Mode = "freeze"
	// DiscardRow drops the whole row that would change the schema.
	DiscardRow Mode = "discard_row"
	// DiscardValue drops only the value that would change the schema (for a new table:
	// the row).
	DiscardValue Mode = "discard_value"
)

// Valid reports whether m is a contract mode or "" (inherit).
func (m Mode) Valid() bool {
	switch m {
	case "", Evolve, Freeze, DiscardRow, DiscardValue:
		return true
	}
	return false
}

// Contract is dlt's schema contract: one mode per entity. "" inherits (from the schema,
// then Evolve).
type Contract struct {
	Tables   Mode // creating a new table
	Columns  Mode // adding a column to an existing table
	DataType Mode // a value that needs a variant column (a new data type in a column)
}

// ContractAll returns a contract with the same mode for every entity (dlt's shorthand
// `schema_contract="freeze"`).
func ContractAll(m Mode) Contract { return Contract{Tables: m, Columns: m, DataType: m} }

// Or fills the entities c leaves unset from fallback.
func (c Contract) Or(fallback Contract) Contract {
	if c.Tables == "" {
		c.Tables = fallback.Tables
	}
	if c.Columns == "" {
		c.Columns = fallback.Columns
	}
	if c.DataType == "" {
		c.DataType = fallback.DataType
	}
	return c
}

// resolved fills unset entities with Evolve.
func (c Contract) resolved() Contract { return c.Or(ContractAll(Evolve)) }

// MarshalJSON writes the contract as dlt does: a single mode string when all three
// entities share it, else an object of the entities that are set.
func (c Contract) MarshalJSON() ([]byte, error) {
	if c.Tables != "" && c.Tables == c.Columns && c.Columns == c.DataType {
		return json.Marshal(string(c.Tables))
	}
	m := map[string]Mode{}
	if c.Tables != "" {
		m["tables"] = c.Tables
	}
	if c.Columns != "" {
		m["columns"] = c.Columns
	}
	if c.DataType != "" {
		m["data_type"] = c.DataType
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads either form dlt accepts: a mode string or an object.
func (c *Contract) UnmarshalJSON(b []byte) error {
	var all Mode
	if err := json.Unmarshal(b, &all); err == nil {
		*c = ContractAll(all)
		return c.validate()
	}
	var m struct {
		Tables   Mode `json:"tables"`
		Columns  Mode `json:"columns"`
		DataType Mode `json:"data_type"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("schema: schema_contract must be a mode or an object of modes: %w", err)
	}
	*c = Contract(m)
	return c.validate()
}

func (c Contract) validate() error {
	for _, m := range []Mode{c.Tables, c.Columns, c.DataType} {
		if !m.Valid() {
			return fmt.Errorf("schema: unknown schema contract mode %q; use evolve, freeze, discard_row or discard_value", m)
		}
	}
	return nil
}

// ErrContractViolation is matched (errors.Is) by every *ContractError.
var ErrContractViolation = errors.New("schema contract violation")

// ContractError reports data that a frozen schema contract does not allow.
type ContractError struct {
	Entity string // "tables", "columns" or "data_type"
	Table  string
	Column string // the new column, or the column whose type did not fit
	// DataType is the type of the new column or of the value that did not fit;
	// ColumnType the type of the existing column (data_type only).
	DataType   DataType
	ColumnType DataType
}

// Error says what the contract forbade and how to allow it.
func (e *ContractError) Error() string {
	switch e.Entity {
	case "tables":
		return fmt.Sprintf("schema contract: table %q does not exist and new tables are frozen; "+
			"set the contract's tables mode to evolve (or discard_row) or create the table first", e.Table)
	case "columns":
		return fmt.Sprintf("schema contract: table %q has no column %q (%s) and its columns are frozen; "+
			"set the contract's columns mode to evolve (or discard_value/discard_row) or add the column first",
			e.Table, e.Column, e.DataType)
	default:
		return fmt.Sprintf("schema contract: table %q column %q is %s, a %s value needs a variant column and data types are frozen; "+
			"set the contract's data_type mode to evolve (or discard_value/discard_row) or fix the value at the source",
			e.Table, e.Column, e.ColumnType, e.DataType)
	}
}

// Is makes errors.Is(err, ErrContractViolation) true.
func (e *ContractError) Is(target error) bool { return target == ErrContractViolation }

// Update is what merging observed columns into a schema did and what the caller must do
// with the rows that carried them.
type Update struct {
	// Table is the schema's table after the update (nil when the table was not created).
	Table *Table
	// NewTable is true when the update created the table.
	NewTable bool
	// Added lists the columns (including variant columns) added, in order; a
	// destination adds them with ALTER TABLE.
	Added []Column
	// DiscardRow is true when the contract says to drop the rows that carried the
	// observed columns.
	DiscardRow bool
	// DiscardColumns lists observed columns whose values must be dropped.
	DiscardColumns []string
}

// Changed reports whether the schema changed.
func (u Update) Changed() bool { return u.NewTable || len(u.Added) > 0 }

// Contract returns the contract in force for the named table: the table's own, then the
// schema's settings, then Evolve for whatever is still unset.
func (s *Schema) Contract(table string) Contract {
	var c Contract
	if t := s.Table(table); t != nil && t.SchemaContract != nil {
		c = *t.SchemaContract
	}
	if s.Settings.SchemaContract != nil {
		c = c.Or(*s.Settings.SchemaContract)
	}
	return c.resolved()
}

// Update merges observed (a table with the columns seen in the data or declared by
// describe, normalized) into the schema under the contract in force, dlt's
// update_table with apply_schema_contract:
//
//   - a missing table is created with all observed columns when the tables mode (the
//     columns mode for a nested table) is evolve; freeze returns a *ContractError;
//     discard_row/discard_value set DiscardRow.
//   - a missing column is appended (in observed order) under the columns mode; freeze
//     errors, discard_value lists it in DiscardColumns, discard_row sets DiscardRow.
//   - a column observed with another data type than the table has gets the variant
//     column `<col>__v_<type>` under the data_type mode, the same way.
//
// Hints of existing columns are left as they are. A table's contract comes from the
// schema's table, or from observed.SchemaContract for a new table. Update does not bump
// the version: call Bump once the batch is merged.
func (s *Schema) Update(observed *Table) (Update, error) {
	if observed == nil || observed.Name == "" {
		return Update{}, errors.New("schema: Update needs a table with a name; normalize the resource name first")
	}
	for _, c := range observed.Columns {
		if c.Name == "" || !c.DataType.Valid() {
			return Update{}, fmt.Errorf("schema: table %q: observed column %q has data type %q; give every column a name and one of %v",
				observed.Name, c.Name, c.DataType, DataTypes)
		}
	}
	existing := s.Table(observed.Name)
	if existing == nil {
		c := s.Contract(observed.Name)
		if observed.SchemaContract != nil {
			c = observed.SchemaContract.Or(c)
		}
		mode := c.Tables
		if observed.IsNested() {
			// A nested table is a new field of its parent: dlt applies the columns mode.
			mode = c.Columns
		}
		switch mode {
		case Freeze:
			return Update{}, &ContractError{Entity: "tables", Table: observed.Name}
		case DiscardRow, DiscardValue:
			return Update{DiscardRow: true}, nil
		}
		t := observed.Clone()
		cols := t.Columns
		t.Columns = make([]Column, 0, len(cols))
		seen := make(map[string]bool, len(cols))
		for _, col := range cols {
			if !seen[col.Name] {
				seen[col.Name] = true
				t.Columns = append(t.Columns, col)
			}
		}
		if err := s.AddTable(t); err != nil {
			return Update{}, err
		}
		added := append([]Column(nil), t.Columns...)
		return Update{Table: t, NewTable: true, Added: added}, nil
	}

	c := s.Contract(existing.Name)
	u := Update{Table: existing}
	for _, col := range observed.Columns {
		have := existing.Column(col.Name)
		var mode Mode
		var add Column
		switch {
		case have == nil || have.DataType == "":
			// An incomplete column (hints only, read from a stored schema) is not in
			// the destination yet: completing it is adding it.
			mode, add = c.Columns, col
		case have.DataType != col.DataType:
			mode = c.DataType
			add = NewColumn(s.Naming.VariantName(col.Name, col.DataType), col.DataType)
			add.Variant = true
			if existing.Column(add.Name) != nil {
				continue
			}
		default:
			continue
		}
		switch mode {
		case Freeze:
			e := &ContractError{Entity: "columns", Table: existing.Name, Column: col.Name, DataType: col.DataType}
			if have != nil && have.DataType != "" {
				e.Entity, e.ColumnType = "data_type", have.DataType
			}
			return u, e
		case DiscardRow:
			u.DiscardRow = true
		case DiscardValue:
			u.DiscardColumns = append(u.DiscardColumns, col.Name)
		default:
			if have != nil && have.DataType == "" {
				have.DataType = col.DataType
				u.Added = append(u.Added, *have)
				continue
			}
			if err := existing.AddColumn(add); err != nil {
				return u, err
			}
			u.Added = append(u.Added, add)
		}
	}
	return u, nil
}

// Placement says where one value of a row goes.
type Placement struct {
	// Column is the column that receives Value; "" when the value is dropped.
	Column string
	// Value is the value coerced to Column's type (see Coerce).
	Value any
	// Added is the variant column this call created, or nil.
	Added *Column
	// DiscardRow is true when the contract says to drop the whole row.
	DiscardRow bool
}

// Place decides where value v of column (an existing column of table t) goes: into the
// column when Coerce accepts it for the column's type, else into the variant column
// `<column>__v_<type of v>`, created on demand under the data_type contract (freeze:
// *ContractError; discard_value: dropped; discard_row: DiscardRow). A nil value stays in
// its column (nullability is the destination's or the caller's check).
func (s *Schema) Place(t *Table, column string, v any) (Placement, error) {
	col := t.Column(column)
	if col == nil {
		return Placement{}, fmt.Errorf("schema: table %q has no column %q; merge the row's columns with Update before placing values", t.Name, column)
	}
	if v == nil {
		return Placement{Column: column}, nil
	}
	if out, ok := CoerceColumn(v, *col); ok {
		return Placement{Column: column, Value: out}, nil
	}
	vt, ok := InferType(v)
	if !ok || vt == col.DataType {
		// The value has the column's type but does not fit it (a decimal too large
		// for its precision, say): keep it as text rather than lose it.
		vt = Text
	}
	name := s.Naming.VariantName(column, vt)
	if vc := t.Column(name); vc != nil {
		out, ok := CoerceColumn(v, *vc)
		if !ok {
			return Placement{}, fmt.Errorf("schema: table %q: value of column %q fits neither %s nor its variant %q; report this as a bug", t.Name, column, col.DataType, name)
		}
		return Placement{Column: name, Value: out}, nil
	}
	switch s.Contract(t.Name).DataType {
	case Freeze:
		return Placement{}, &ContractError{Entity: "data_type", Table: t.Name, Column: column, DataType: vt, ColumnType: col.DataType}
	case DiscardRow:
		return Placement{DiscardRow: true}, nil
	case DiscardValue:
		return Placement{}, nil
	}
	vc := NewColumn(name, vt)
	vc.Variant = true
	out, ok := CoerceColumn(v, vc)
	if !ok {
		return Placement{}, fmt.Errorf("schema: table %q: value of column %q (%T) has no dlt type; convert it before placing it", t.Name, column, v)
	}
	if err := t.AddColumn(vc); err != nil {
		return Placement{}, err
	}
	return Placement{Column: name, Value: out, Added: &vc}, nil
}

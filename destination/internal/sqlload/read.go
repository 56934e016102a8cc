package sqlload

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// ReadTable returns the columns of a table of the dataset as the database has them (name,
// dlt data type, nullability; precision and scale for decimals) and all its rows, in no
// particular order, as the canonical Go values Write takes (see schema.Coerce). A missing
// table is destination.ErrNotFound. It holds the whole table in memory: it is meant for
// tests (destinationtest reads loads back through it) and small system tables.
func (s *Session) ReadTable(ctx context.Context, table string) (*schema.Table, [][]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, nil, err
	}
	t, err := s.describe(ctx, table)
	if err != nil {
		return nil, nil, err
	}
	sel := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		sel[i] = s.d.Quote(c.Name)
		if c.DataType == schema.Decimal || c.DataType == schema.JSON {
			// Drivers return these in their own types (DuckDB decodes JSON into maps, which
			// loses big numbers and key order); as text they read alike everywhere.
			sel[i] = "CAST(" + sel[i] + " AS VARCHAR)"
		}
	}
	rows, err := s.conn.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+s.table(table))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s.%s: %w", s.dataset, table, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(t.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, fmt.Errorf("reading %s.%s: %w", s.dataset, table, err)
		}
		for i, c := range t.Columns {
			v, err := canonical(vals[i], c)
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s.%s: row %d, column %q: %w", s.dataset, table, len(out), c.Name, err)
			}
			vals[i] = v
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading %s.%s: %w", s.dataset, table, err)
	}
	return t, out, nil
}

// describe reads the columns of a table of the dataset from information_schema.
func (s *Session) describe(ctx context.Context, table string) (*schema.Table, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT column_name, data_type, is_nullable, numeric_precision, numeric_scale
		FROM information_schema.columns
		WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2
		ORDER BY ordinal_position`, s.dataset, table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s.%s: %w", s.dataset, table, err)
	}
	defer rows.Close()
	t := &schema.Table{Name: table}
	for rows.Next() {
		var name, sqlType, nullable string
		var precision, scale sql.NullInt64
		if err := rows.Scan(&name, &sqlType, &nullable, &precision, &scale); err != nil {
			return nil, fmt.Errorf("reading the columns of %s.%s: %w", s.dataset, table, err)
		}
		dt, err := dataTypeOf(sqlType)
		if err != nil {
			return nil, fmt.Errorf("%s.%s column %q: %w", s.dataset, table, name, err)
		}
		c := schema.Column{Name: name, DataType: dt, Nullable: strings.EqualFold(nullable, "YES")}
		if dt == schema.Decimal {
			c.Precision, c.Scale = int(precision.Int64), int(scale.Int64)
		}
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the columns of %s.%s: %w", s.dataset, table, err)
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s.%s: %w", s.dataset, table, destination.ErrNotFound)
	}
	return t, nil
}

// dataTypeOf maps information_schema's data_type, as DuckDB or Postgres spell it, back to
// the dlt type the column was created for.
func dataTypeOf(sqlType string) (schema.DataType, error) {
	t := strings.ToLower(sqlType)
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "varchar", "character varying", "text":
		return schema.Text, nil
	case "bigint", "integer", "smallint", "tinyint", "int8", "int4":
		return schema.Bigint, nil
	case "double", "double precision", "real", "float":
		return schema.Double, nil
	case "decimal", "numeric":
		return schema.Decimal, nil
	case "boolean":
		return schema.Bool, nil
	case "timestamp with time zone", "timestamp without time zone", "timestamp":
		return schema.Timestamp, nil
	case "date":
		return schema.Date, nil
	case "time", "time without time zone":
		return schema.Time, nil
	case "json", "jsonb":
		return schema.JSON, nil
	case "blob", "bytea":
		return schema.Binary, nil
	}
	return "", fmt.Errorf("SQL type %q is not one sqlload creates; read the table with SQL instead", sqlType)
}

// canonical turns what a driver scanned into the canonical Go value of column c.
func canonical(v any, c schema.Column) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok && c.DataType != schema.Binary {
		v = string(b)
	}
	switch c.DataType {
	case schema.Text:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case schema.Bigint:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case int8:
			return int64(x), nil
		case int:
			return int64(x), nil
		}
	case schema.Double:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
	case schema.Decimal:
		if s, ok := v.(string); ok {
			if d, ok := schema.CoerceColumn(s, c); ok {
				return d, nil
			}
		}
	case schema.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case schema.Timestamp:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
	case schema.Date:
		if t, ok := v.(time.Time); ok {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		}
	case schema.Time:
		switch x := v.(type) {
		case time.Time:
			h, m, s := x.Clock()
			return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(x.Nanosecond()), nil
		case string:
			if d, ok := schema.Coerce(x, schema.Time); ok {
				return d, nil
			}
		}
	case schema.JSON:
		if s, ok := v.(string); ok {
			return json.RawMessage(s), nil
		}
	case schema.Binary:
		if b, ok := v.([]byte); ok {
			return append([]byte{}, b...), nil
		}
	}
	return nil, fmt.Errorf("the driver returned a %T for a %s column", v, c.DataType)
}

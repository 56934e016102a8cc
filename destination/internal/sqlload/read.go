package sqlload

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

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
	return s.reads().readTable(ctx, table)
}

// reads are the queries that read a dataset, in one place for both of their users: a
// Session runs them on its connection (inside its open load, if any), a Reader in its
// read-only transaction. Scans into structs go through sqlx, by the db tags of the
// destination's row types: a column the SQL and the struct do not agree on is an error.
type reads struct {
	q       Querier
	d       Dialect
	dataset string
	// nowait says to ask the dialect's ReadLocker before reading a table, so that a read does
	// not wait for a load that changes the table. A Reader sets it; a Session, whose own load
	// holds such locks, does not.
	nowait bool
}

func (r reads) table(name string) string { return r.d.Quote(r.dataset) + "." + r.d.Quote(name) }

// tableExists reports whether table exists in the dataset.
func (r reads) tableExists(ctx context.Context, table string) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, r.q, &n, `SELECT count(*) FROM information_schema.tables
		WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2`, r.dataset, table); err != nil {
		return false, fmt.Errorf("looking up table %s.%s: %w", r.dataset, table, err)
	}
	return n > 0, nil
}

// readable reports whether table can be read now: false when a running load is changing it
// (see ReadLocker), which only a Reader asks.
func (r reads) readable(ctx context.Context, table string) (bool, error) {
	lk, ok := r.d.(ReadLocker)
	if !r.nowait || !ok {
		return true, nil
	}
	free, err := lk.TryReadLock(ctx, r.q, r.dataset, table)
	if err != nil {
		return false, fmt.Errorf("locking %s.%s for reading: %w", r.dataset, table, err)
	}
	return free, nil
}

// systemTable checks that a system table exists and can be read: destination.ErrNotFound
// (wrapped, with what) when it does not exist.
func (r reads) systemTable(ctx context.Context, table, what string) error {
	ok, err := r.tableExists(ctx, table)
	if err != nil || !ok {
		return notFound(err, "%s: dataset %q has no %s table", what, r.dataset, table)
	}
	if free, err := r.readable(ctx, table); err != nil || !free {
		return busy(err, r.dataset, table)
	}
	return nil
}

// busy says why a table could not be read: err, or a running load changing it.
func busy(err error, dataset, table string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%s.%s is being changed by a running load (a new column), which holds it until it commits; try again when that load has committed", dataset, table)
}

// schema returns the newest row of _dlt_version for the named schema (dlt orders by
// inserted_at), or destination.ErrNotFound.
func (r reads) schema(ctx context.Context, name string) (*destination.SchemaRow, error) {
	if err := r.systemTable(ctx, schema.TableVersion, fmt.Sprintf("schema %q", name)); err != nil {
		return nil, err
	}
	var row destination.SchemaRow
	err := sqlx.GetContext(ctx, r.q, &row, `SELECT version, engine_version, inserted_at, schema_name, version_hash, `+r.d.Quote("schema")+`
		FROM `+r.table(schema.TableVersion)+` WHERE schema_name = $1
		ORDER BY inserted_at DESC, version DESC LIMIT 1`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(nil, "schema %q: no version stored in dataset %q", name, r.dataset)
	}
	if err != nil {
		return nil, fmt.Errorf("reading schema %q from %s.%s: %w", name, r.dataset, schema.TableVersion, err)
	}
	return &row, nil
}

// pipelineState returns the state in force for the pipeline: its newest _dlt_pipeline_state
// row (by load id, as dlt orders) whose load has a _dlt_loads row with status 0.
func (r reads) pipelineState(ctx context.Context, pipeline string) (*destination.StateRow, error) {
	for _, t := range []string{schema.TablePipelineState, schema.TableLoads} {
		if err := r.systemTable(ctx, t, fmt.Sprintf("state of pipeline %q", pipeline)); err != nil {
			return nil, err
		}
	}
	var row destination.StateRow
	err := sqlx.GetContext(ctx, r.q, &row, `SELECT s.version, s.engine_version, s.pipeline_name, s.state, s.created_at,
			COALESCE(s.version_hash, '') AS version_hash, s._dlt_load_id
		FROM `+r.table(schema.TablePipelineState)+` AS s
		WHERE s.pipeline_name = $1 AND EXISTS (
			SELECT 1 FROM `+r.table(schema.TableLoads)+` AS l WHERE l.load_id = s._dlt_load_id AND l.status = $2)
		ORDER BY s._dlt_load_id DESC, s.created_at DESC, s.version DESC LIMIT 1`, pipeline, schema.LoadStatusComplete)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(nil, "state of pipeline %q: no completed load in dataset %q", pipeline, r.dataset)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state of pipeline %q from %s.%s: %w", pipeline, r.dataset, schema.TablePipelineState, err)
	}
	return &row, nil
}

func notFound(err error, format string, args ...any) error {
	if err != nil {
		return fmt.Errorf(format+": %w", append(args, err)...)
	}
	return fmt.Errorf(format+": %w", append(args, destination.ErrNotFound)...)
}

// tables lists the dataset's tables with their row counts, by name; a table that a running
// load is changing is Busy rather than waited for.
func (r reads) tables(ctx context.Context) ([]destination.TableStats, error) {
	names, err := r.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	stats := make([]destination.TableStats, len(names))
	for i, name := range names {
		stats[i].Name = name
		free, err := r.readable(ctx, name)
		if err != nil {
			return nil, err
		}
		if !free {
			stats[i].Busy = true
			continue
		}
		if err := sqlx.GetContext(ctx, r.q, &stats[i].Rows, "SELECT count(*) FROM "+r.table(name)); err != nil {
			return nil, fmt.Errorf("counting the rows of %s.%s: %w", r.dataset, name, err)
		}
	}
	return stats, nil
}

// tableNames lists the names of the dataset's tables, in order; none for a dataset that does
// not exist.
func (r reads) tableNames(ctx context.Context) ([]string, error) {
	var names []string
	if err := sqlx.SelectContext(ctx, r.q, &names, `SELECT table_name FROM information_schema.tables
		WHERE table_catalog = current_database() AND table_schema = $1 AND table_type = 'BASE TABLE'
		ORDER BY table_name`, r.dataset); err != nil {
		return nil, fmt.Errorf("listing the tables of dataset %q: %w", r.dataset, err)
	}
	return names, nil
}

// loads returns up to limit rows of _dlt_loads, newest first; none for a fresh dataset.
func (r reads) loads(ctx context.Context, limit int) ([]destination.LoadRow, error) {
	if err := r.systemTable(ctx, schema.TableLoads, "loads"); err != nil {
		if errors.Is(err, destination.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	var loads []destination.LoadRow
	if err := sqlx.SelectContext(ctx, r.q, &loads, `SELECT load_id, COALESCE(schema_name, '') AS schema_name, status, inserted_at,
			COALESCE(schema_version_hash, '') AS schema_version_hash
		FROM `+r.table(schema.TableLoads)+` ORDER BY inserted_at DESC, load_id DESC LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("reading %s.%s: %w", r.dataset, schema.TableLoads, err)
	}
	return loads, nil
}

// readTable is Session.ReadTable.
func (r reads) readTable(ctx context.Context, table string) (*schema.Table, [][]any, error) {
	t, err := r.describe(ctx, table)
	if err != nil {
		return nil, nil, err
	}
	if free, err := r.readable(ctx, table); err != nil || !free {
		return nil, nil, busy(err, r.dataset, table)
	}
	sel := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		sel[i] = r.d.Quote(c.Name)
		if c.DataType == schema.Decimal || c.DataType == schema.JSON {
			// Drivers return these in their own types (DuckDB decodes JSON into maps, which
			// loses big numbers and key order); as text they read alike everywhere.
			sel[i] = "CAST(" + sel[i] + " AS VARCHAR)"
		}
	}
	rows, err := r.q.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+r.table(table))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s.%s: %w", r.dataset, table, err)
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
			return nil, nil, fmt.Errorf("reading %s.%s: %w", r.dataset, table, err)
		}
		for i, c := range t.Columns {
			v, err := canonical(vals[i], c)
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s.%s: row %d, column %q: %w", r.dataset, table, len(out), c.Name, err)
			}
			vals[i] = v
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading %s.%s: %w", r.dataset, table, err)
	}
	return t, out, nil
}

// describe reads the columns of a table of the dataset from information_schema.
func (r reads) describe(ctx context.Context, table string) (*schema.Table, error) {
	var cols []struct {
		Name      string        `db:"column_name"`
		SQLType   string        `db:"data_type"`
		Nullable  string        `db:"is_nullable"`
		Precision sql.NullInt64 `db:"numeric_precision"`
		Scale     sql.NullInt64 `db:"numeric_scale"`
	}
	if err := sqlx.SelectContext(ctx, r.q, &cols, `SELECT column_name, data_type, is_nullable, numeric_precision, numeric_scale
		FROM information_schema.columns
		WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2
		ORDER BY ordinal_position`, r.dataset, table); err != nil {
		return nil, fmt.Errorf("reading the columns of %s.%s: %w", r.dataset, table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s.%s: %w", r.dataset, table, destination.ErrNotFound)
	}
	t := &schema.Table{Name: table}
	for _, col := range cols {
		dt, err := dataTypeOf(col.SQLType)
		if err != nil {
			return nil, fmt.Errorf("%s.%s column %q: %w", r.dataset, table, col.Name, err)
		}
		c := schema.Column{Name: col.Name, DataType: dt, Nullable: strings.EqualFold(col.Nullable, "YES")}
		if dt == schema.Decimal {
			c.Precision, c.Scale = int(col.Precision.Int64), int(col.Scale.Int64)
		}
		t.Columns = append(t.Columns, c)
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

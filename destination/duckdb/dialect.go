package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/sfdlt/sfdlt/schema"
)

// dialect is DuckDB's sqlload.Dialect. Each session has its own: it remembers which tables
// take rows through the direct table Appender (see Append).
type dialect struct {
	mem    *memoryGuard // nil: memory_limit is the user's
	mu     sync.Mutex
	direct map[[2]string]map[string]bool // dataset, table -> column -> its type is ColumnType's
}

// Quote doubles embedded quotes, as SQL does.
func (*dialect) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// ColumnType maps dlt types to DuckDB's as dlt's DuckDB destination does.
func (*dialect) ColumnType(c schema.Column) string {
	switch c.DataType {
	case schema.Bigint:
		return "BIGINT"
	case schema.Double:
		return "DOUBLE"
	case schema.Decimal:
		p, s := c.DecimalPrecisionScale()
		return fmt.Sprintf("DECIMAL(%d,%d)", p, s)
	case schema.Bool:
		return "BOOLEAN"
	case schema.Timestamp:
		return "TIMESTAMP WITH TIME ZONE"
	case schema.Date:
		return "DATE"
	case schema.Time:
		return "TIME"
	case schema.JSON:
		return "JSON"
	case schema.Binary:
		return "BLOB"
	}
	return "VARCHAR"
}

// appendType is the type of a column in the Appender's batch. JSON travels as VARCHAR and is
// cast by the INSERT: the driver's JSON path re-marshals values with encoding/json, which
// would rewrite <, > and & in the stored text as \u003c escapes.
func appendType(c schema.Column) (duckdb.TypeInfo, error) {
	var t duckdb.Type
	switch c.DataType {
	case schema.Bigint:
		t = duckdb.TYPE_BIGINT
	case schema.Double:
		t = duckdb.TYPE_DOUBLE
	case schema.Decimal:
		p, s := c.DecimalPrecisionScale()
		if p < 1 || p > 38 || s < 0 || s > p {
			return nil, fmt.Errorf("column %q: DECIMAL(%d,%d) is out of DuckDB's range; use a precision of 1 to 38 and a scale of 0 to the precision", c.Name, p, s)
		}
		return duckdb.NewDecimalInfo(uint8(p), uint8(s))
	case schema.Bool:
		t = duckdb.TYPE_BOOLEAN
	case schema.Timestamp:
		t = duckdb.TYPE_TIMESTAMP_TZ
	case schema.Date:
		t = duckdb.TYPE_DATE
	case schema.Time:
		t = duckdb.TYPE_TIME
	case schema.Binary:
		t = duckdb.TYPE_BLOB
	default: // text, json
		t = duckdb.TYPE_VARCHAR
	}
	return duckdb.NewTypeInfo(t)
}

// Append loads rows through an Appender on the session's connection: it joins the open
// transaction, and it names the target columns, so a table with other columns or another
// column order (made by an earlier run, or by dlt) takes the rows too. The Appender is closed
// (flushed) before Append returns, so the next statement on the connection sees the rows.
//
// Two Appenders: the table Appender writes the rows straight into the table, while a query
// Appender gathers them and then runs INSERT INTO t SELECT * FROM appended_data, a second
// pass over every value (measured: the table Appender loads the 48-column Opportunity about
// 15% faster). The table Appender takes values in the table's own column types, so it is used
// only when every column has exactly the type ColumnType gives and none is JSON: the driver
// writes JSON columns through encoding/json, which would rewrite <, > and & in the stored
// text as \u003c escapes. Any other table (a JSON column, or a column dlt or an older run
// made with another type) goes through the query Appender, whose INSERT casts.
func (d *dialect) Append(ctx context.Context, conn *sql.Conn, dataset, table string, cols []schema.Column, rows [][]any) error {
	direct, err := d.takesDirect(ctx, conn, dataset, table, cols)
	if err != nil {
		return err
	}
	if err := d.mem.appending(ctx, conn, dataset+"."+table, len(rows), len(cols)); err != nil {
		return err
	}
	types := make([]duckdb.TypeInfo, len(cols))
	names := make([]string, len(cols))
	raw := make([]string, len(cols))
	convs := make([]converter, len(cols))
	for i, c := range cols {
		t, err := appendType(c)
		if err != nil {
			return err
		}
		types[i], names[i], raw[i], convs[i] = t, d.Quote(c.Name), c.Name, converterFor(c)
	}
	query := "INSERT INTO " + d.Quote(dataset) + "." + d.Quote(table) + " (" + strings.Join(names, ", ") + ") SELECT * FROM appended_data"
	return conn.Raw(func(dc any) (err error) {
		drv, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("duckdb: connection is a %T, not a driver.Conn", dc)
		}
		var a *duckdb.Appender
		if direct {
			a, err = duckdb.NewAppenderWithColumns(drv, "", dataset, table, raw)
		} else {
			a, err = duckdb.NewQueryAppender(drv, query, "", types, nil)
		}
		if err != nil {
			return fmt.Errorf("opening the appender: %w", err)
		}
		defer func() {
			if err != nil {
				// Drop what is buffered: the load is rolled back anyway, and Close would flush it.
				err = errors.Join(err, a.Clear(), a.Close())
				return
			}
			if cerr := a.CloseWithCancel(ctx); cerr != nil {
				err = fmt.Errorf("flushing the appender: %w", cerr)
			}
		}()
		vals := make([]driver.Value, len(cols))
		for r, row := range rows {
			if r%2048 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			for i, v := range row {
				cv, err := convs[i](v)
				if err != nil {
					return fmt.Errorf("row %d, column %q (%s): %w", r, cols[i].Name, cols[i].DataType, err)
				}
				vals[i] = cv
			}
			if err := a.AppendRow(vals...); err != nil {
				return fmt.Errorf("row %d: %w", r, err)
			}
		}
		return nil
	})
}

// takesDirect reports whether rows of cols may go through the table Appender (see Append).
// The answer per column is remembered for the session: sfdlt never changes the type of an
// existing column, and a column added later is looked up when it first comes.
func (d *dialect) takesDirect(ctx context.Context, conn *sql.Conn, dataset, table string, cols []schema.Column) (bool, error) {
	for _, c := range cols {
		if c.DataType == schema.JSON {
			return false, nil
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := [2]string{dataset, table}
	known := d.direct[key]
	for _, c := range cols {
		if _, ok := known[c.Name]; !ok {
			known = nil // a column not seen yet: look the table up again
			break
		}
	}
	if known == nil {
		rows, err := conn.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2`, dataset, table)
		if err != nil {
			return false, fmt.Errorf("reading the column types of %s.%s: %w", dataset, table, err)
		}
		defer rows.Close()
		have := map[string]string{}
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				return false, fmt.Errorf("reading the column types of %s.%s: %w", dataset, table, err)
			}
			have[name] = typ
		}
		if err := rows.Err(); err != nil {
			return false, fmt.Errorf("reading the column types of %s.%s: %w", dataset, table, err)
		}
		known = map[string]bool{}
		for _, c := range cols {
			known[c.Name] = strings.EqualFold(have[c.Name], d.ColumnType(c))
		}
		if d.direct == nil {
			d.direct = map[[2]string]map[string]bool{}
		}
		d.direct[key] = known
	}
	for _, c := range cols {
		if !known[c.Name] {
			return false, nil
		}
	}
	return true, nil
}

// converter turns a canonical Go value into what the Appender takes for the column.
type converter func(v any) (driver.Value, error)

func wrongType(v any, want string) error {
	return fmt.Errorf("got a %T, want %s; coerce values with schema.CoerceColumn", v, want)
}

func converterFor(c schema.Column) converter {
	switch c.DataType {
	case schema.Text:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil, string:
				return x, nil
			}
			return nil, wrongType(v, "a string")
		}
	case schema.Bigint:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil, int64:
				return x, nil
			case int:
				return int64(x), nil
			case int32:
				return int64(x), nil
			}
			return nil, wrongType(v, "an int64")
		}
	case schema.Double:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil, float64:
				return x, nil
			case float32:
				return float64(x), nil
			case int64:
				return float64(x), nil
			}
			return nil, wrongType(v, "a float64")
		}
	case schema.Decimal:
		p, s := c.DecimalPrecisionScale()
		return func(v any) (driver.Value, error) { return decimalValue(v, p, s) }
	case schema.Bool:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil, bool:
				return x, nil
			}
			return nil, wrongType(v, "a bool")
		}
	case schema.Timestamp:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil, time.Time:
				return x, nil
			}
			return nil, wrongType(v, "a time.Time")
		}
	case schema.Date:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil:
				return nil, nil
			case time.Time:
				// The driver counts days as Unix seconds / 86400: give it midnight UTC of the
				// date the value names, whatever its location.
				y, m, d := x.Date()
				return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
			}
			return nil, wrongType(v, "a time.Time")
		}
	case schema.Time:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil:
				return nil, nil
			case time.Duration:
				if x < 0 || x >= 24*time.Hour {
					return nil, fmt.Errorf("time of day %v is outside 00:00 to 24:00", x)
				}
				// The driver takes the clock of a time.Time.
				return time.Unix(0, 0).UTC().Add(x), nil
			case time.Time:
				return x, nil
			}
			return nil, wrongType(v, "a time.Duration (time of day)")
		}
	case schema.JSON:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil, string:
				return x, nil
			case json.RawMessage:
				return string(x), nil
			case []byte:
				return string(x), nil
			}
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("encoding %T as JSON: %w", v, err)
			}
			return string(b), nil
		}
	case schema.Binary:
		return func(v any) (driver.Value, error) {
			switch x := v.(type) {
			case nil, []byte:
				return x, nil
			case string:
				return []byte(x), nil
			}
			return nil, wrongType(v, "a []byte")
		}
	}
	return func(v any) (driver.Value, error) {
		return nil, fmt.Errorf("unknown data type %q; use one of %v", c.DataType, schema.DataTypes)
	}
}

// powers of ten up to DuckDB's widest decimal, computed once: the digit check runs per value.
var powersOf10 = func() (p [39]*big.Int) {
	for i := range p {
		p[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
	return p
}()

func pow10(n int) *big.Int {
	if n >= 0 && n < len(powersOf10) {
		return powersOf10[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// decimalValue returns the exact unscaled value at the column's scale, which is what the
// Appender stores (it takes duckdb.Decimal's Value as is and ignores its Scale). Values with
// more fractional digits are rounded half away from zero, as a DuckDB cast does; values with
// more digits than the precision are an error, never silently truncated.
func decimalValue(v any, precision, scale int) (driver.Value, error) {
	if v == nil {
		return nil, nil
	}
	var r *big.Rat
	switch x := v.(type) {
	case schema.DecimalValue:
		if x.Unscaled == nil {
			return nil, errors.New("schema.DecimalValue has a nil Unscaled")
		}
		if x.Scale == scale {
			return checkDigits(x.Unscaled, precision, scale, v)
		}
		r = x.Rat()
	case *big.Rat:
		if x == nil {
			return nil, nil
		}
		r = x
	case duckdb.Decimal:
		if x.Value == nil {
			return nil, errors.New("duckdb.Decimal has a nil Value")
		}
		if int(x.Scale) == scale {
			return checkDigits(x.Value, precision, scale, v)
		}
		r = new(big.Rat).SetFrac(x.Value, pow10(int(x.Scale)))
	case int64:
		r = new(big.Rat).SetInt64(x)
	case int:
		r = new(big.Rat).SetInt64(int64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v is not a decimal number", x)
		}
		r = new(big.Rat).SetFloat64(x)
	case string:
		return decimalText(x, precision, scale, v)
	case json.Number:
		return decimalText(string(x), precision, scale, v)
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		if err != nil {
			return nil, fmt.Errorf("formatting %T: %w", v, err)
		}
		return decimalText(string(b), precision, scale, v)
	case fmt.Stringer:
		return decimalText(x.String(), precision, scale, v)
	default:
		return nil, wrongType(v, "a schema.DecimalValue")
	}
	return checkDigits(roundScaled(r, scale), precision, scale, v)
}

func decimalText(s string, precision, scale int, v any) (driver.Value, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	return checkDigits(roundScaled(r, scale), precision, scale, v)
}

// roundScaled returns r × 10^scale rounded half away from zero.
func roundScaled(r *big.Rat, scale int) *big.Int {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(scale)))
	num, den := scaled.Num(), scaled.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Sign() != 0 && new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func checkDigits(unscaled *big.Int, precision, scale int, v any) (driver.Value, error) {
	if unscaled.CmpAbs(pow10(precision)) >= 0 {
		return nil, fmt.Errorf("%v has more than %d digits before the point and does not fit DECIMAL(%d,%d); widen the column or let the value go to a variant column",
			v, precision-scale, precision, scale)
	}
	return duckdb.Decimal{Width: uint8(precision), Scale: uint8(scale), Value: unscaled}, nil
}

// PrepareCommit makes room for the commit (sqlload.CommitPreparer): merges write the staging
// table's rows into their targets, and DuckDB writes out what the transaction holds.
func (d *dialect) PrepareCommit(ctx context.Context, conn *sql.Conn, widest int) error {
	return d.mem.ensure(ctx, conn, widest, commitPerColumn)
}

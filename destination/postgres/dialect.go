package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/sfdlt/sfdlt/destination"

	"github.com/sfdlt/sfdlt/destination/internal/sqlload"
	"github.com/sfdlt/sfdlt/schema"
)

// dialect is Postgres' sqlload.Dialect.
type dialect struct{}

var (
	_ sqlload.Dialect           = dialect{}
	_ sqlload.IdentifierLimiter = dialect{}
	_ sqlload.DDLLocker         = dialect{}
	_ sqlload.ReadLocker        = dialect{}
)

// Quote quotes an identifier, doubling embedded quotes.
func (dialect) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// MaxIdentifierLength is Postgres' NAMEDATALEN - 1: it keeps the first 63 bytes of a longer
// name without a word, so sqlload refuses such names instead.
func (dialect) MaxIdentifierLength() int { return schema.PostgresMaxIdentifierLength }

// LockDDL serializes schema changes in one dataset until the transaction ends: two loads
// (of different pipelines) creating the same table at once would otherwise fail on
// pg_type's unique index when the first commits.
func (dialect) LockDDL(ctx context.Context, conn *sql.Conn, dataset string) error {
	_, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("ddl", dataset, ""))
	return err
}

// TryReadLock takes the lock a read of dataset.table needs (ACCESS SHARE) without waiting: a
// load that added a column holds the table in ACCESS EXCLUSIVE mode until it commits.
// Postgres ends a transaction whose statement failed, so the attempt runs in a savepoint.
func (dialect) TryReadLock(ctx context.Context, q sqlload.Querier, dataset, table string) (bool, error) {
	if _, err := q.ExecContext(ctx, "SAVEPOINT sfdlt_read_lock"); err != nil {
		return false, err
	}
	quote := dialect{}.Quote
	_, err := q.ExecContext(ctx, "LOCK TABLE "+quote(dataset)+"."+quote(table)+" IN ACCESS SHARE MODE NOWAIT")
	if err != nil {
		if pq.As(err, pqerror.LockNotAvailable) == nil {
			return false, err
		}
		_, err := q.ExecContext(ctx, "ROLLBACK TO SAVEPOINT sfdlt_read_lock")
		return false, err
	}
	_, err = q.ExecContext(ctx, "RELEASE SAVEPOINT sfdlt_read_lock")
	return err == nil, err
}

// ColumnType maps dlt types to Postgres' as dlt's Postgres destination does.
func (dialect) ColumnType(c schema.Column) string {
	switch c.DataType {
	case schema.Text:
		if c.Precision > 0 {
			return fmt.Sprintf("varchar(%d)", c.Precision)
		}
		return "varchar"
	case schema.Bigint:
		return "bigint"
	case schema.Double:
		return "double precision"
	case schema.Decimal:
		p, s := c.DecimalPrecisionScale()
		return fmt.Sprintf("numeric(%d,%d)", p, s)
	case schema.Bool:
		return "boolean"
	case schema.Timestamp:
		return "timestamp with time zone"
	case schema.Date:
		return "date"
	case schema.Time:
		return "time without time zone"
	case schema.JSON:
		return "jsonb"
	case schema.Binary:
		return "bytea"
	}
	return "varchar"
}

// copyChunk is how much COPY text Append gathers before handing it to the driver.
const copyChunk = 64 << 10

// copyData is lib/pq's COPY statement: CopyData sends raw lines of COPY text.
type copyData interface {
	CopyData(ctx context.Context, lines string) (driver.Result, error)
}

// Append loads rows with COPY ... FROM STDIN on the session's connection, inside the
// load's transaction. The statement is written here rather than with pq.CopyInSchema,
// which lib/pq deprecates as a mere query builder. Rows are encoded into COPY's text format
// here and sent in chunks through lib/pq's CopyData: going through database/sql row by row
// costs a third of the throughput in argument conversion. Each value is checked as it is
// encoded, so a bad one is reported with its row and column, not as a line of the stream.
func (d dialect) Append(ctx context.Context, conn *sql.Conn, dataset, table string, cols []schema.Column, rows [][]any) error {
	names := make([]string, len(cols))
	encs := make([]encoder, len(cols))
	for i, c := range cols {
		names[i], encs[i] = d.Quote(c.Name), encoderFor(c)
	}
	q := "COPY " + d.Quote(dataset) + "." + d.Quote(table) + " (" + strings.Join(names, ", ") + ") FROM STDIN"
	return conn.Raw(func(dc any) (err error) {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("postgres: connection is a %T, not lib/pq's", dc)
		}
		st, err := pc.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("starting COPY: %w", explain(err))
		}
		defer func() {
			// Closing ends the COPY and reports what the server found in the stream.
			if cerr := st.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("COPY: %w", explain(cerr))
			}
		}()
		cd, ok := st.(copyData)
		if !ok {
			return fmt.Errorf("postgres: lib/pq's COPY statement is a %T without CopyData", st)
		}
		buf := make([]byte, 0, copyChunk+4096)
		flush := func() error {
			if len(buf) == 0 {
				return nil
			}
			// CopyData ends the chunk with the last row's newline.
			_, err := cd.CopyData(ctx, string(buf[:len(buf)-1]))
			buf = buf[:0]
			if err != nil {
				return fmt.Errorf("COPY: %w", explain(err))
			}
			return nil
		}
		for r, row := range rows {
			for i, v := range row {
				if i > 0 {
					buf = append(buf, '\t')
				}
				if v == nil {
					buf = append(buf, `\N`...)
					continue
				}
				if buf, err = encs[i](buf, v); err != nil {
					return fmt.Errorf("row %d, column %q (%s): %w", r, cols[i].Name, cols[i].DataType, err)
				}
			}
			buf = append(buf, '\n')
			if len(buf) >= copyChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
}

// explain adds the server's detail and position (e.g. `COPY t, line 3, column v`) to a
// Postgres error; lib/pq's message has only the headline.
func explain(err error) error {
	var pe *pq.Error
	if !errors.As(err, &pe) {
		return err
	}
	if pe.Code == "54000" && strings.Contains(pe.Message, "row is too big") {
		// program_limit_exceeded: the row's values that cannot move out of line (short ones,
		// numbers, timestamps) take more than a page.
		return fmt.Errorf("%w: %w: Postgres keeps a row's short values in one 8 kB page, and this table has too many filled columns for it; leave columns out", destination.ErrRowTooLarge, err)
	}
	var extra []string
	if pe.Detail != "" {
		extra = append(extra, pe.Detail)
	}
	if pe.Where != "" {
		extra = append(extra, pe.Where)
	}
	if len(extra) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(extra, "; "))
}

// encoder appends the COPY text form of a non-nil canonical Go value to buf.
type encoder func(buf []byte, v any) ([]byte, error)

func wrongType(v any, want string) error {
	return fmt.Errorf("got a %T, want %s; coerce values with schema.CoerceColumn", v, want)
}

// checkText refuses what Postgres text cannot hold. A NUL byte is an error, not stripped:
// sfdlt does not change data behind the user's back, and the error says where it is.
func checkText(s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Errorf("the text has a NUL byte (\\x00) at byte %d, which Postgres text cannot store; remove it at the source, or load the field as binary", i)
	}
	if !utf8.ValidString(s) {
		return errors.New("the text is not valid UTF-8, which Postgres refuses; fix the encoding at the source, or load the field as binary")
	}
	return nil
}

// appendEscaped appends s escaped for COPY's text format.
func appendEscaped(buf []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\n\r\t") {
		return append(buf, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// appendDate appends the date of t (in t's own location) as Postgres reads it.
func appendDate(buf []byte, t time.Time) []byte {
	buf, bc := appendYMD(buf, t)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendYMD appends the date of t as YYYY-MM-DD, reporting whether it is BC (the year
// before 1 AD is 1 BC: Go's year 0).
func appendYMD(buf []byte, t time.Time) ([]byte, bool) {
	y, m, d := t.Date()
	bc := y < 1
	if bc {
		y = 1 - y
	}
	buf = appendPadded(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPadded(buf, int(m), 2)
	buf = append(buf, '-')
	return appendPadded(buf, d, 2), bc
}

func appendPadded(buf []byte, n, width int) []byte {
	for w, p := width-1, 10; w > 0; w, p = w-1, p*10 {
		if n < p {
			buf = append(buf, strings.Repeat("0", w)...)
			break
		}
	}
	return strconv.AppendInt(buf, int64(n), 10)
}

// appendTimestamp appends t in UTC, to the microsecond Postgres keeps.
func appendTimestamp(buf []byte, t time.Time) []byte {
	t = t.UTC()
	buf, bc := appendYMD(buf, t)
	buf = append(buf, ' ')
	buf = appendClock(buf, t.Sub(t.Truncate(24*time.Hour)))
	buf = append(buf, "+00"...)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendClock appends a time of day as HH:MM:SS.ffffff.
func appendClock(buf []byte, d time.Duration) []byte {
	buf = appendPadded(buf, int(d/time.Hour), 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, int(d%time.Hour/time.Minute), 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, int(d%time.Minute/time.Second), 2)
	buf = append(buf, '.')
	return appendPadded(buf, int(d%time.Second/time.Microsecond), 6)
}

func encoderFor(c schema.Column) encoder {
	switch c.DataType {
	case schema.Text:
		return func(buf []byte, v any) ([]byte, error) {
			s, ok := v.(string)
			if !ok {
				return buf, wrongType(v, "a string")
			}
			if err := checkText(s); err != nil {
				return buf, err
			}
			return appendEscaped(buf, s), nil
		}
	case schema.Bigint:
		return func(buf []byte, v any) ([]byte, error) {
			switch x := v.(type) {
			case int64:
				return strconv.AppendInt(buf, x, 10), nil
			case int:
				return strconv.AppendInt(buf, int64(x), 10), nil
			case int32:
				return strconv.AppendInt(buf, int64(x), 10), nil
			}
			return buf, wrongType(v, "an int64")
		}
	case schema.Double:
		return func(buf []byte, v any) ([]byte, error) {
			var f float64
			switch x := v.(type) {
			case float64:
				f = x
			case float32:
				f = float64(x)
			case int64:
				f = float64(x)
			default:
				return buf, wrongType(v, "a float64")
			}
			switch {
			case math.IsNaN(f):
				return append(buf, "NaN"...), nil
			case math.IsInf(f, 1):
				return append(buf, "Infinity"...), nil
			case math.IsInf(f, -1):
				return append(buf, "-Infinity"...), nil
			}
			return strconv.AppendFloat(buf, f, 'g', -1, 64), nil
		}
	case schema.Decimal:
		p, s := c.DecimalPrecisionScale()
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
		return func(buf []byte, v any) ([]byte, error) {
			t, err := decimalText(v, p, s, limit)
			return append(buf, t...), err
		}
	case schema.Bool:
		return func(buf []byte, v any) ([]byte, error) {
			b, ok := v.(bool)
			if !ok {
				return buf, wrongType(v, "a bool")
			}
			if b {
				return append(buf, 't'), nil
			}
			return append(buf, 'f'), nil
		}
	case schema.Timestamp:
		return func(buf []byte, v any) ([]byte, error) {
			t, ok := v.(time.Time)
			if !ok {
				return buf, wrongType(v, "a time.Time")
			}
			return appendTimestamp(buf, t), nil
		}
	case schema.Date:
		return func(buf []byte, v any) ([]byte, error) {
			t, ok := v.(time.Time)
			if !ok {
				return buf, wrongType(v, "a time.Time")
			}
			// The date the value names, whatever its location.
			return appendDate(buf, t), nil
		}
	case schema.Time:
		return func(buf []byte, v any) ([]byte, error) {
			switch x := v.(type) {
			case time.Duration:
				if x < 0 || x >= 24*time.Hour {
					return buf, fmt.Errorf("time of day %v is outside 00:00 to 24:00", x)
				}
				return appendClock(buf, x), nil
			case time.Time:
				h, m, s := x.Clock()
				return appendClock(buf, time.Duration(h)*time.Hour+time.Duration(m)*time.Minute+time.Duration(s)*time.Second+time.Duration(x.Nanosecond())), nil
			}
			return buf, wrongType(v, "a time.Duration (time of day)")
		}
	case schema.JSON:
		return func(buf []byte, v any) ([]byte, error) {
			var b []byte
			switch x := v.(type) {
			case json.RawMessage:
				b = x
			case string:
				b = []byte(x)
			case []byte:
				b = x
			default:
				m, err := json.Marshal(v)
				if err != nil {
					return buf, fmt.Errorf("encoding %T as JSON: %w", v, err)
				}
				b = m
			}
			if !json.Valid(b) {
				return buf, errors.New("the value is not valid JSON")
			}
			if bytes.Contains(b, []byte(`\u0000`)) {
				return buf, errors.New(`the JSON holds \u0000, which Postgres jsonb cannot store; remove it at the source`)
			}
			return appendEscaped(buf, string(b)), nil
		}
	case schema.Binary:
		return func(buf []byte, v any) ([]byte, error) {
			var b []byte
			switch x := v.(type) {
			case []byte:
				b = x
			case string:
				b = []byte(x)
			default:
				return buf, wrongType(v, "a []byte")
			}
			// bytea's hex form, its backslash escaped for COPY.
			buf = append(buf, `\\x`...)
			return hex.AppendEncode(buf, b), nil
		}
	}
	return func(buf []byte, v any) ([]byte, error) {
		return buf, fmt.Errorf("unknown data type %q; use one of %v", c.DataType, schema.DataTypes)
	}
}

// decimalText returns the value as numeric text, refusing values with more digits before
// the point than the column holds (Postgres would fail the whole COPY with "numeric field
// overflow" and no column name). Extra fractional digits are rounded by Postgres, half away
// from zero, as schema.Coerce rounds.
func decimalText(v any, precision, scale int, limit *big.Int) (string, error) {
	var r *big.Rat
	switch x := v.(type) {
	case schema.DecimalValue:
		if x.Unscaled == nil {
			return "", errors.New("schema.DecimalValue has a nil Unscaled")
		}
		if x.Scale == scale {
			if x.Unscaled.CmpAbs(limit) >= 0 {
				return "", overflow(v, precision, scale)
			}
			return x.String(), nil
		}
		r = x.Rat()
	case *big.Rat:
		if x == nil {
			return "", errors.New("a nil *big.Rat; pass nil for NULL")
		}
		r = x
	case int64:
		r = new(big.Rat).SetInt64(x)
	case int:
		r = new(big.Rat).SetInt64(int64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("%v is not a decimal number", x)
		}
		r = new(big.Rat).SetFloat64(x)
	case string, json.Number:
		s := fmt.Sprint(x)
		var ok bool
		if r, ok = new(big.Rat).SetString(strings.TrimSpace(s)); !ok {
			return "", fmt.Errorf("%q is not a decimal number", s)
		}
	default:
		return "", wrongType(v, "a schema.DecimalValue")
	}
	d, ok := schema.CoerceColumn(r, schema.Column{DataType: schema.Decimal, Precision: precision, Scale: scale})
	if !ok {
		return "", overflow(v, precision, scale)
	}
	dv := d.(schema.DecimalValue)
	if dv.Unscaled.CmpAbs(limit) >= 0 {
		return "", overflow(v, precision, scale)
	}
	return dv.String(), nil
}

func overflow(v any, precision, scale int) error {
	return fmt.Errorf("%v has more than %d digits before the point and does not fit numeric(%d,%d); widen the column or let the value go to a variant column",
		v, precision-scale, precision, scale)
}

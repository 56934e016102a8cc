// Package sqlload implements destination.Session, Load and TableWriter once for every SQL
// database reached through database/sql. What differs between databases (identifier quoting,
// type names, the bulk path) sits behind Dialect; everything else (DDL, write dispositions,
// merge, system tables, transactions) lives here, so DuckDB and Postgres behave alike.
//
// A Session owns one dedicated connection. A Load is one transaction on it, opened with a
// plain BEGIN so that a dialect's bulk path (DuckDB's Appender on the raw connection,
// Postgres COPY) joins that transaction: a Rollback removes the bulk-loaded rows too.
//
// A Reader (destination.Reader) runs the same reading queries as a Session, in a read-only
// transaction the destination begins its own way, with no lock. The reads scan into the
// destination's row types with sqlx, by their db tags.
package sqlload

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sfdlt/sfdlt/schema"
)

// Dialect is what one SQL database does its own way. Statements built here use $1-style
// placeholders, information_schema and standard SQL (window functions, EXISTS), which
// every supported database understands.
type Dialect interface {
	// Quote quotes an identifier (a schema, table or column name) so that it is taken
	// literally, whatever its case or characters.
	Quote(ident string) string
	// ColumnType returns the SQL type of a column, e.g. "DECIMAL(38,9)" for a decimal
	// column without precision.
	ColumnType(c schema.Column) string
	// Append bulk-loads rows into dataset.table inside the transaction open on conn. cols
	// name the table's columns the rows fill, in row order; every row has len(cols) values,
	// canonical Go values as schema.CoerceColumn makes them (nil for NULL). Append must not
	// leave anything pending on conn when it returns: the next statement may be any other.
	Append(ctx context.Context, conn *sql.Conn, dataset, table string, cols []schema.Column, rows [][]any) error
}

// CommitPreparer is an optional interface of Dialect: PrepareCommit runs on the load's
// connection before Commit merges and commits, with the column count of the widest table the
// load wrote (DuckDB makes room in memory there).
type CommitPreparer interface {
	PrepareCommit(ctx context.Context, conn *sql.Conn, widest int) error
}

// StagingDataset is the dataset that holds merge staging tables, named as dlt names it.
func StagingDataset(dataset string) string { return dataset + "_staging" }

// IdentifierLimiter is an optional interface of Dialect for databases that cut longer
// identifiers silently (Postgres keeps the first 63 bytes): sqlload refuses such names with
// a clear error instead, since two long names cut alike would silently become one table or
// column.
type IdentifierLimiter interface {
	// MaxIdentifierLength is the longest identifier the database keeps whole, in bytes.
	MaxIdentifierLength() int
}

// DDLLocker is an optional interface of Dialect for databases where two transactions
// creating the same table or schema at once fail rather than wait (Postgres: the second
// CREATE ... IF NOT EXISTS hits a unique index once the first commits). Different pipelines
// share a dataset's system tables, so their first loads can race there. sqlload calls
// LockDDL inside the load's transaction before it creates or alters anything in dataset
// and then looks again at what exists; the lock should last until the transaction ends.
type DDLLocker interface {
	LockDDL(ctx context.Context, conn *sql.Conn, dataset string) error
}

// checkIdentifier refuses a name that the database would cut (see IdentifierLimiter).
func checkIdentifier(d Dialect, kind, name string) error {
	lim, ok := d.(IdentifierLimiter)
	if !ok {
		return nil
	}
	if limit := lim.MaxIdentifierLength(); limit > 0 && len(name) > limit {
		return fmt.Errorf("sqlload: %s name %q is %d bytes long, but the database keeps only %d and would cut it silently; use a shorter name (schema.Naming with MaxLength %d shortens names deterministically)",
			kind, name, len(name), limit, limit)
	}
	return nil
}

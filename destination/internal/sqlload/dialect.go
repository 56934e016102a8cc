// Package sqlload implements destination.Session, Load and TableWriter once for every SQL
// database reached through database/sql. What differs between databases (identifier quoting,
// type names, the bulk path) sits behind Dialect; everything else (DDL, write dispositions,
// merge, system tables, transactions) lives here, so DuckDB and Postgres behave alike.
//
// A Session owns one dedicated connection. A Load is one transaction on it, opened with a
// plain BEGIN so that a dialect's bulk path (DuckDB's Appender on the raw connection,
// Postgres COPY) joins that transaction: a Rollback removes the bulk-loaded rows too.
package sqlload

import (
	"context"
	"database/sql"

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

// StagingDataset is the dataset that holds merge staging tables, named as dlt names it.
func StagingDataset(dataset string) string { return dataset + "_staging" }

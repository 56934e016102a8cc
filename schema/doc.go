// Package schema holds the rules that decide what a dlt dataset looks like, so that
// every other part of sfdlt applies them the same way: dlt's snake_case naming
// convention (with its deterministic shortening), the dlt data types and how
// Salesforce describe types map onto them, tables and columns with dlt's hints,
// schema evolution under schema contracts (including variant columns), coercion of
// decoded values into each type's canonical Go value, and the schema's JSON exactly
// as dlt stores it in the `_dlt_version.schema` column.
//
// The package is pure: it does no I/O and imports no other sfdlt package. A Schema
// and its Tables are plain values that are not safe for concurrent use; a pipeline
// owns one schema and evolves it from one goroutine.
package schema

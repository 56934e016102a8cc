package schema

// ColumnHint adjusts one column of a resource's table, as dlt's column hints do.
type ColumnHint struct {
	// DataType overrides the type taken from describe or inferred from values ("" keeps it).
	DataType DataType
	// NotNull makes a null in this column fail the load (dlt's nullable=false).
	NotNull bool
	// PrimaryKey, MergeKey, Unique, HardDelete are dlt's hints of the same names.
	PrimaryKey, MergeKey, Unique, HardDelete bool
	// DedupSort is "asc" or "desc": which of several staged rows with one key a merge keeps
	// (the last by this order); "" for none.
	DedupSort string
}

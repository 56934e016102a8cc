// Package destination defines what sfdlt loads into: a narrow interface in the spirit of
// database/sql/driver. A destination knows datasets, tables and rows; it knows nothing of
// Salesforce. The pipeline drives it; users can write their own and check it with
// destination/destinationtest.
//
// Everything one pipeline run writes goes through one Load: the data tables, then the system
// tables _dlt_version, _dlt_pipeline_state and, last, _dlt_loads. A Load is atomic: after Commit
// every table shows the run's rows, after Rollback (or a crash at any point) none of them.
//
// What only looks goes through a Reader (Destination.Read): it takes no lock and changes
// nothing, so `sfdlt pipeline show` works while a run of the same pipeline is loading.
package destination

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfdlt/sfdlt/schema"
)

// ErrNotFound is returned by the Schema and PipelineState methods of Session and Reader when the
// dataset holds no such row (a new dataset, or a pipeline that never completed a load into it).
var ErrNotFound = errors.New("destination: not found")

// ErrLocked is returned by Destination.Open when another run of the same pipeline holds the
// dataset. Wait for it to finish; two runs writing one dataset at once could corrupt the state.
// Destination.Read returns it where the database lets nobody read while a run writes (a DuckDB
// file that another process is loading).
var ErrLocked = errors.New("destination: pipeline is already running")

// ErrRowTooLarge is returned (wrapped) when a destination cannot store a row because the row
// is too large (Postgres stores at most about 8 kB of a row's short values in one row: a table of
// hundreds of filled columns can exceed it). Leave columns out, or load into a destination
// without that limit.
var ErrRowTooLarge = errors.New("destination: row too large")

// Info says what a destination is and where it keeps data.
type Info struct {
	// Name is the destination type as dlt names it: "duckdb", "postgres".
	Name string
	// Location says where the data lives, with any password redacted; it is safe to print.
	Location string
	// MaxIdentifierLength is the longest table or column name the destination takes, in bytes
	// (Postgres: 63); 0 means no practical limit. Longer names are shortened by schema.Naming.
	MaxIdentifierLength int
	// MaxColumns is the most columns a table can have (Postgres: 1,600); 0 means no practical
	// limit. A resource with more is refused before anything is read.
	MaxColumns int
}

// Destination opens sessions on datasets. Implementations must be safe for concurrent use.
type Destination interface {
	// Info describes the destination; it does no I/O.
	Info() Info
	// Open connects to the dataset (a schema in SQL databases), creating it when missing. The
	// pipeline name is used to keep two runs of one pipeline from writing at once (ErrLocked).
	Open(ctx context.Context, dataset, pipeline string) (Session, error)
	// Read opens the dataset for reading only, on behalf of the pipeline (a destination may
	// derive its location from the name, as DuckDB's default file <pipeline>.duckdb). It takes
	// no lock and creates nothing (no dataset, table or file): it works while a Session of the
	// same pipeline is loading, and a dataset that does not exist reads as empty.
	Read(ctx context.Context, dataset, pipeline string) (Reader, error)
}

// SchemaRow is one row of _dlt_version. The db tags name its columns.
type SchemaRow struct {
	Version       int64     `db:"version"`
	EngineVersion int64     `db:"engine_version"`
	InsertedAt    time.Time `db:"inserted_at"`
	SchemaName    string    `db:"schema_name"`
	VersionHash   string    `db:"version_hash"`
	Schema        string    `db:"schema"` // the schema as JSON
}

// StateRow is one row of _dlt_pipeline_state. The db tags name its columns.
type StateRow struct {
	Version       int64     `db:"version"`
	EngineVersion int64     `db:"engine_version"`
	PipelineName  string    `db:"pipeline_name"`
	State         string    `db:"state"` // the state JSON, zlib-compressed and base64-encoded, as dlt stores it
	CreatedAt     time.Time `db:"created_at"`
	VersionHash   string    `db:"version_hash"`
	LoadID        string    `db:"_dlt_load_id"`
}

// Session is a connection to one dataset.
type Session interface {
	// Schema returns the newest stored version of the named schema, or ErrNotFound.
	Schema(ctx context.Context, name string) (*SchemaRow, error)
	// PipelineState returns the state in force for the pipeline: its newest _dlt_pipeline_state
	// row whose load has a _dlt_loads row with status 0; ErrNotFound when there is none.
	PipelineState(ctx context.Context, pipeline string) (*StateRow, error)
	// Begin starts a load. Only one load may be open on a session at a time.
	Begin(ctx context.Context) (Load, error)
	// Close releases the connection (and the pipeline lock).
	Close() error
}

// Load is one atomic load into the dataset.
type Load interface {
	// Table prepares t for writing: it creates the table, or adds the columns t has and the
	// dataset lacks (existing columns are never changed or dropped), and returns a writer.
	// Each table is opened at most once per load.
	Table(ctx context.Context, t *schema.Table) (TableWriter, error)
	// Commit makes everything written visible at once.
	Commit(ctx context.Context) error
	// Rollback discards the load. It is safe to call after Commit (it then does nothing).
	Rollback() error
}

// TableWriter streams rows into one table of a load.
type TableWriter interface {
	// Write appends rows. Each row holds one value per column of the table as last given
	// (Table or AddColumns), in that order, as canonical Go values (see schema.Coerce): nil,
	// string, int64, float64, bool, time.Time, time.Duration (time of day), schema.DecimalValue,
	// json.RawMessage, []byte.
	Write(ctx context.Context, rows [][]any) error
	// AddColumns adds columns to the table mid-load (schema evolution); rows written after it
	// carry values for them at the end of each row.
	AddColumns(ctx context.Context, cols []schema.Column) error
	// Close applies the table's write disposition: append keeps the rows; replace leaves the
	// table holding exactly the rows written in this load; merge deduplicates the written rows by
	// primary key (keeping the one first by the dedup_sort column, when one has the hint),
	// deletes the table's rows whose key was written and inserts the written rows, but a row
	// whose hard_delete column is true (or non-null for other types) only deletes its key. A
	// merge table whose MergeStrategy is schema.SCD2 keeps history instead, as dlt's scd2: at
	// the table's Boundary, the active rows (validity "to" NULL, or the active record
	// timestamp) that no written row continues are retired (those of written merge keys only,
	// when the table has a merge key), and the written rows that are no active version yet
	// (compared by the row version column, with the merge key) are inserted as active; nested
	// rows are insert only. The conformance suite's SCD2 cases define it.
	Close(ctx context.Context) error
}

// Reader reads a dataset without changing it, for `sfdlt pipeline show` and Pipeline.State.
// It sees one consistent snapshot of what was committed, taken no later than its first read:
// a load that commits meanwhile shows in the next Reader. It is safe for concurrent use (its
// calls run one at a time); Close ends the read.
type Reader interface {
	// Schema returns the newest stored version of the named schema, or ErrNotFound.
	Schema(ctx context.Context, name string) (*SchemaRow, error)
	// PipelineState returns the state in force for the pipeline, by the rule of
	// Session.PipelineState; ErrNotFound when there is none.
	PipelineState(ctx context.Context, pipeline string) (*StateRow, error)
	// Tables lists the dataset's tables with their row counts, by name; none for a dataset
	// that does not exist.
	Tables(ctx context.Context) ([]TableStats, error)
	// Loads returns up to limit rows of _dlt_loads, newest first; none for a new dataset.
	Loads(ctx context.Context, limit int) ([]LoadRow, error)
	// Close ends the read and releases what it held.
	Close() error
}

// TableStats is a table of the dataset and its row count.
type TableStats struct {
	Name string
	Rows int64
	// Busy is true when a running load is changing the table's columns, so its rows could not
	// be counted without waiting for that load to commit (Postgres locks such a table); Rows
	// is 0 then.
	Busy bool
}

// LoadRow is one row of _dlt_loads. The db tags name its columns.
type LoadRow struct {
	LoadID            string    `db:"load_id"`
	SchemaName        string    `db:"schema_name"`
	Status            int64     `db:"status"`
	InsertedAt        time.Time `db:"inserted_at"`
	SchemaVersionHash string    `db:"schema_version_hash"`
}

// Flagger is an optional interface of Load: Flag sets the boolean column flag to true on the
// rows of table whose key column holds one of keys, after the load's merges and inside its
// transaction. sfdlt uses it to mark records that Salesforce deleted and no longer returns
// (emptied from its recycle bin) as is_deleted = true, keeping their last values.
type Flagger interface {
	Flag(ctx context.Context, table, keyColumn, flag string, keys []string) error
}

// Pruner is an optional interface of Load: Prune deletes the rows of table whose _dlt_load_id
// is not one of keep (rows with no load id included; an empty keep deletes every row). It
// runs after the load's merges and Flag calls, inside its transaction, so the rows this load
// merged survive when its own load id is in keep, and a rollback undoes it. sfdlt uses it to
// finish a replace committed in chunks (one load per chunk, each merging its rows by primary
// key): once the last chunk is written, the rows no chunk wrote are records that no longer
// exist. Only table itself is pruned, not its nested tables (<table>__<field>, linked by
// _dlt_root_id or _dlt_parent_id): Salesforce objects have none. Pruning a table that is
// neither in the dataset nor open in the load is an error.
type Pruner interface {
	Prune(ctx context.Context, table string, keep []string) error
}

// Dropper is an optional interface of Load, for dlt's refresh and `pipeline drop`: DropTables
// drops tables of the dataset and TruncateTables deletes every row of tables, keeping them and
// their columns. Both run at once, inside the load's transaction: a Rollback (or a crash before
// Commit) brings back the tables and rows as they were, and readers see them until the load
// commits. A table that does not exist is no error (there is nothing to drop or empty). A
// dropped table can then be created again in the same load (Table), with other columns. Naming
// a table already open in the load is an error: drop or empty tables before writing them.
type Dropper interface {
	DropTables(ctx context.Context, tables []string) error
	TruncateTables(ctx context.Context, tables []string) error
}

// TableLister is an optional interface of Session: TableNames lists the names of the dataset's
// tables (none when the dataset holds none), as the session sees them, in one query. sfdlt asks
// it at the start of a run, to reload in full the resources whose tables were dropped by hand
// while the pipeline state still records them.
type TableLister interface {
	TableNames(ctx context.Context) ([]string, error)
}

// EmptyReader returns the Reader of a dataset that nothing was loaded into: no state, no
// schema (ErrNotFound, saying where), no tables, no loads. A destination returns it where
// there is nothing to read and opening anything would create it, as a DuckDB file that does
// not exist yet; where names that place in messages, e.g. "no DuckDB file /data/sf.duckdb".
func EmptyReader(where string) Reader { return emptyReader(where) }

type emptyReader string

func (e emptyReader) Schema(_ context.Context, name string) (*SchemaRow, error) {
	return nil, fmt.Errorf("schema %q: %s, nothing was loaded yet: %w", name, string(e), ErrNotFound)
}

func (e emptyReader) PipelineState(_ context.Context, pipeline string) (*StateRow, error) {
	return nil, fmt.Errorf("state of pipeline %q: %s, nothing was loaded yet: %w", pipeline, string(e), ErrNotFound)
}

func (emptyReader) Tables(context.Context) ([]TableStats, error)  { return nil, nil }
func (emptyReader) Loads(context.Context, int) ([]LoadRow, error) { return nil, nil }
func (emptyReader) Close() error                                  { return nil }

// Querier is an optional interface of Reader, for `sfdlt pipeline NAME show --web`: Query runs
// one SQL statement, with args for its $1, $2... placeholders, inside the Reader's read-only
// transaction, and returns its columns and at most maxRows rows (Truncated says there were
// more; a negative maxRows returns every row, for results known to be small). The database refuses any write; a text holding more than one statement is refused
// too. Cancel ctx (or give it a deadline) to stop a long query.
type Querier interface {
	Query(ctx context.Context, maxRows int, query string, args ...any) (*QueryResult, error)
}

// QueryResult is what Querier.Query returns: the result's column names and rows, each row one
// value per column as the database driver returns it (nil for NULL).
type QueryResult struct {
	Columns []string
	Rows    [][]any
	// Truncated is true when the statement returned more rows than were asked for.
	Truncated bool
}

package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// DefaultMemoryLimit is the DuckDB memory_limit sfdlt starts from unless
// WithConfig("memory_limit", ...) sets one. DuckDB's own default, 80% of RAM, lets its buffer
// pool keep every block a load writes, so the process grew with the table (about 720 MiB of
// peak RSS after a million 48-column rows, more after five million). A load needs little of
// that cache, but the rows of its open transaction stay in memory until they fill a row group
// or commit (DuckDB cannot spill them): a wide table needs about 256 KiB per column, and a
// load touching hundreds of tables some tens of KiB per column of each. So sfdlt raises the
// limit while a load needs it (see memoryGuard) and lowers it again after each commit, which
// also evicts the cached blocks: memory follows what a chunk needs, never the table's size.
const DefaultMemoryLimit = "128MiB"

const (
	defaultMemoryFloor = 128 << 20
	// appendPerColumn is what sfdlt keeps free for each column of a table it appends to:
	// DuckDB's transient segment of a column is a 256 KiB block. commitPerColumn is what it
	// keeps free for each column of the widest table at commit, where merges write the staging
	// table's rows into the target and the checkpoint compresses them, all columns of a row
	// group at once (measured: committing a merge of a 906-column table needs more than 847
	// MiB beyond what the transaction holds before it, and fewer than 1.2 GB in all).
	appendPerColumn = 2 * 256 << 10
	commitPerColumn = 6 * 256 << 10
	// memoryMargin is kept free beyond that, for DuckDB's own work at commit.
	memoryMargin = 64 << 20
)

// memoryGuard manages a database's memory_limit when the user did not set one: before appends
// (as cells says) and before each commit it makes the limit at least what the open
// transactions hold in memory (duckdb_memory(), all but the evictable cache of the tables'
// blocks) plus room for the table being written (the widest, at commit), and after each commit
// it sets the limit back to the floor.
// One guard serves every session on a file (the limit is the database's).
type memoryGuard struct {
	mu    sync.Mutex
	floor int64
	set   int64 // the limit in force
	// cells counts the values appended to each table since its memory was last looked at: it
	// is looked at on a table's first append after a commit and again once recheckCells more
	// values came (reading duckdb_memory() on every append cost 5% of a narrow table's load:
	// profiled), and before each commit.
	cells map[string]int
}

// recheckCells values (rows times columns) a table's memory is looked at again: about 40,000
// rows of a 50-column table, 2,200 of a 900-column one, some tens of MB of text.
const recheckCells = 2_000_000

func newMemoryGuard() *memoryGuard {
	return &memoryGuard{floor: defaultMemoryFloor, set: defaultMemoryFloor, cells: map[string]int{}}
}

// appending is ensure before appending rows of width columns to table (dataset.table), when the
// table's memory is due to be looked at (see cells).
func (g *memoryGuard) appending(ctx context.Context, conn *sql.Conn, table string, rows, width int) error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	n, seen := g.cells[table]
	due := !seen || n >= recheckCells
	if due {
		n = 0
	}
	g.cells[table] = n + rows*width
	g.mu.Unlock()
	if !due {
		return nil
	}
	return g.ensure(ctx, conn, width, appendPerColumn)
}

// ensure raises the limit, if needed, for width columns needing perColumn bytes each on conn.
func (g *memoryGuard) ensure(ctx context.Context, conn *sql.Conn, width int, perColumn int64) error {
	if g == nil {
		return nil
	}
	var held int64
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory() WHERE tag <> 'BASE_TABLE'`).Scan(&held); err != nil {
		return fmt.Errorf("reading DuckDB's memory use: %w", err)
	}
	need := max(g.floor, held+int64(width)*perColumn+memoryMargin)
	g.mu.Lock()
	defer g.mu.Unlock()
	if need <= g.set {
		return nil
	}
	mib := (need + 1<<20 - 1) >> 20
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET memory_limit = '%dMiB'", mib)); err != nil {
		return fmt.Errorf("raising DuckDB's memory_limit to %d MiB for a table of %d columns: %w; set destination.duckdb.memory_limit", mib, width, err)
	}
	g.set = mib << 20
	return nil
}

// committed lowers the limit to the floor after a commit, which also evicts the blocks DuckDB
// cached beyond it. db is the database's handle (no transaction is open on the session then).
func (g *memoryGuard) committed(db *sql.DB) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// Lowering fails only when DuckDB cannot evict enough (another session's transaction
	// holds it): the limit then stays where it is until the next commit.
	if _, err := db.Exec(fmt.Sprintf("SET memory_limit = '%dMiB'", g.floor>>20)); err == nil {
		g.set = g.floor
	}
	clear(g.cells)
}

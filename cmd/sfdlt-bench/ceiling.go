package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/destination/duckdb"
)

// duckdbFile is a DuckDB file of the benchmark with the configuration its destination is made
// with, so that the harness's own SQL on the file (the destinations' own writes) runs on the
// settings the pipeline had. The configuration is empty: DuckDB's defaults, what a user gets.
type duckdbFile struct {
	path   string
	config map[string]string // duckdb.WithConfig's name and value
}

// destination is the pipeline's destination on the file.
func (f duckdbFile) destination() *duckdb.Destination {
	var opts []duckdb.Option
	for k, v := range f.config {
		opts = append(opts, duckdb.WithConfig(k, v))
	}
	return duckdb.New(f.path, opts...)
}

// open opens the file as the destination opens it: the path with the configuration as DSN
// parameters (destination/duckdb's openFile), on the driver it registers. The destination lends
// no handle of its own to run SQL on, so this is a second handle with the same settings, opened
// once the pipeline's has closed (DuckDB lets one handle write a file).
func (f duckdbFile) open() (*sql.DB, error) {
	dsn := f.path
	if len(f.config) > 0 {
		q := url.Values{}
		for k, v := range f.config {
			q.Set(k, v)
		}
		dsn += "?" + q.Encode()
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", f.path, err)
	}
	return db, nil
}

// The destinations' own writes of the rows a pipeline loaded: the ceilings a loader into them has.
const (
	ownWriteCTAS   = "CREATE TABLE ... AS SELECT (a new table)"
	ownWriteInsert = "INSERT ... SELECT into an empty table of the same shape"
)

// ownWriter is a destination whose own writes ownWrites times.
type ownWriter struct {
	name string  // "DuckDB", "Postgres"
	db   *sql.DB // on the pipeline's database, with the pipeline's settings
	// duckdb: CHECKPOINT in the timing, so the rows are on disk as a load leaves them (a load's
	// commit makes them durable in the WAL, a checkpoint in the file); the DuckDB work runs in
	// this process, whose CPU is the work's. Otherwise (Postgres) the work is the connection's
	// backend's, whose CPU is read from /proc when the server is on this machine (local).
	duckdb bool
	local  bool
}

// ownWrites times the destination writing the rows of bench.opportunity (as a REST run loaded
// them) itself, the two ways a database writes rows it already has: into a new table (CREATE
// TABLE ... AS SELECT) and into an existing empty table of the same columns (INSERT ... SELECT),
// which is what a loader does into the table a pipeline made. The copies are dropped after.
func ownWrites(ctx context.Context, w ownWriter) ([]benchResult, error) {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: connecting for its own writes: %w", w.name, err)
	}
	defer conn.Close()
	var rows int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM bench.opportunity`).Scan(&rows); err != nil {
		return nil, fmt.Errorf("%s: counting the loaded rows: %w", w.name, err)
	}
	exec := func(what string, stmts ...string) error {
		for _, s := range stmts {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %s: %s: %w", w.name, what, s, err)
			}
		}
		return nil
	}
	settle := []string{} // untimed, before each timing: nothing of the last step left to write
	timedEnd := []string{}
	empty := `CREATE TABLE bench.same_shape AS SELECT * FROM bench.opportunity WITH NO DATA`
	if w.duckdb {
		settle = []string{`CHECKPOINT`}
		timedEnd = []string{`CHECKPOINT`}
		empty = `CREATE TABLE bench.same_shape AS SELECT * FROM bench.opportunity LIMIT 0` // DuckDB has no WITH NO DATA
	}
	var out []benchResult
	for _, s := range []struct {
		name, prepare, write, drop string
	}{
		{ownWriteCTAS, `DROP TABLE IF EXISTS bench.own_write`, `CREATE TABLE bench.own_write AS SELECT * FROM bench.opportunity`, `DROP TABLE bench.own_write`},
		{ownWriteInsert, `DROP TABLE IF EXISTS bench.same_shape`, `INSERT INTO bench.same_shape SELECT * FROM bench.opportunity`, `DROP TABLE bench.same_shape`},
	} {
		prepare := []string{s.prepare}
		if s.name == ownWriteInsert {
			prepare = append(prepare, empty)
		}
		if err := exec("preparing "+s.name, append(prepare, settle...)...); err != nil {
			return nil, err
		}
		// The garbage of the run before is collected first, so that this process's CPU during
		// the timing is DuckDB's work, not Go's collector finishing the pipeline's heap.
		runtime.GC()
		cpu, err := w.cpuReader(ctx, conn)
		if err != nil {
			return nil, err
		}
		cpu0, err := cpu()
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if err := exec(s.name, append([]string{s.write}, timedEnd...)...); err != nil {
			return nil, err
		}
		elapsed := time.Since(start)
		cpu1, err := cpu()
		if err != nil {
			return nil, err
		}
		if err := exec("dropping the copy", append([]string{s.drop}, settle...)...); err != nil {
			return nil, err
		}
		res := benchResult{name: s.name, rows: rows, elapsed: elapsed}
		if w.duckdb {
			res.cpu = cpuCost{cpu1 - cpu0, true}
		} else {
			res.pgCPU = cpuCost{cpu1 - cpu0, w.local}
		}
		out = append(out, res)
	}
	return out, nil
}

// cpuReader returns what reads the CPU time of the work on conn: this process's for DuckDB,
// the connection's backend's for a Postgres on this machine (nothing for one elsewhere).
func (w ownWriter) cpuReader(ctx context.Context, conn *sql.Conn) (func() (time.Duration, error), error) {
	switch {
	case w.duckdb:
		return processCPU, nil
	case !w.local:
		return func() (time.Duration, error) { return 0, nil }, nil
	}
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		return nil, fmt.Errorf("%s: finding the connection's backend: %w", w.name, err)
	}
	return func() (time.Duration, error) { return procCPU(pid) }, nil
}

// ceilingTable formats the destinations' own writes against the end-to-end runs into them.
func ceilingTable(writes map[string][]benchResult, runs []benchResult) string {
	var b strings.Builder
	b.WriteString("| destination | own write | rows/s | seconds | CPU s / 1M rows | REST end to end: ratio | Bulk end to end: ratio |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, dest := range []string{"DuckDB", "Postgres"} {
		for _, w := range writes[dest] {
			cpu, whose := w.cpu, "sfdlt-bench, in-process"
			if dest == "Postgres" {
				cpu, whose = w.pgCPU, "the backend"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.2f | %s (%s) |", dest, w.name, thousands(w.rate()), w.elapsed.Seconds(), cpu.perMillion(w.rows), whose)
			for _, read := range []string{"REST", "Bulk"} {
				ratio := "-"
				for _, r := range runs {
					if r.name == read+" -> "+dest {
						ratio = fmt.Sprintf("%s rows/s: %.2f", thousands(r.rate()), r.rate()/w.rate())
					}
				}
				fmt.Fprintf(&b, " %s |", ratio)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Package duckdb is sfdlt's DuckDB destination: a dataset is a schema in a DuckDB file, laid
// out as dlt's DuckDB destination lays it out. Rows are bulk-loaded with DuckDB's Appender
// inside the load's transaction, so a load is atomic, replace included.
//
// DuckDB lets one process at a time write a file. Within a process, every Destination on the
// same file shares one database handle; a second run of the same pipeline on the file gets
// destination.ErrLocked, and so does any run while another process holds the file.
//
// Read reads through that shared handle while this process has the file open, and opens the
// file read-only otherwise. DuckDB lets no process read a file that another process is
// writing: Read then fails with destination.ErrLocked, and works again once that run ends.
package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jmoiron/sqlx"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/internal/sqlload"
)

// Destination loads into a DuckDB file. It is safe for concurrent use.
type Destination struct {
	path   string
	config map[string]string

	mu       sync.Mutex
	resolved string // the file of the latest Open, for Info
}

var _ destination.Destination = (*Destination)(nil)

// Option configures a Destination.
type Option func(*Destination)

// WithConfig sets a DuckDB configuration option for the database, e.g.
// WithConfig("memory_limit", "2GB") or WithConfig("threads", "4"). It applies when the file
// is first opened in the process; later Destinations on the same file share that handle.
// Without memory_limit, sfdlt manages it (see DefaultMemoryLimit).
func WithConfig(name, value string) Option {
	return func(d *Destination) { d.config[name] = value }
}

// New returns a destination that writes to the DuckDB file at path, created when missing
// (and removed again if no load is committed into it; see Open).
// An empty path means `<pipeline name>.duckdb` in the working directory (dlt's default),
// resolved at Open; a relative path is taken from the working directory at Open. A dlt
// credentials string `duckdb:///path/to/file.duckdb` is accepted too.
func New(path string, opts ...Option) *Destination {
	if p, ok := strings.CutPrefix(path, "duckdb:///"); ok {
		path = p
	}
	d := &Destination{path: path, config: map[string]string{}}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Info describes the destination. Location is the file as dlt prints it
// (duckdb:////abs/path/file.duckdb): the file of the latest Open, or the configured path.
func (d *Destination) Info() destination.Info {
	d.mu.Lock()
	loc := d.resolved
	d.mu.Unlock()
	if loc == "" {
		loc = d.path
		if loc == "" {
			loc = "<pipeline_name>.duckdb"
		} else if abs, err := filepath.Abs(loc); err == nil {
			loc = abs
		}
	}
	return destination.Info{Name: "duckdb", Location: "duckdb:///" + filepath.ToSlash(loc)}
}

func (d *Destination) file(pipeline string) (string, error) {
	p := d.path
	if p == "" {
		if pipeline == "" {
			return "", errors.New("duckdb: no file and no pipeline name; pass a path to duckdb.New or name the pipeline (the file defaults to <pipeline_name>.duckdb)")
		}
		p = pipeline + ".duckdb"
	}
	if p == ":memory:" {
		return p, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("duckdb: resolving %q: %w; pass an absolute path", p, err)
	}
	return abs, nil
}

// checkCatalog refuses a dataset (or its staging dataset) named as the file's database:
// DuckDB calls the database of x.duckdb "x", and a schema "x" beside it makes every x.table
// ambiguous ("Ambiguous reference to catalog or schema"), so nothing could be loaded or read.
func checkCatalog(file, dataset string) error {
	base := filepath.Base(file)
	catalog := strings.TrimSuffix(base, filepath.Ext(base))
	for _, schema := range []string{dataset, sqlload.StagingDataset(dataset)} {
		if strings.EqualFold(schema, catalog) {
			return fmt.Errorf("duckdb: the dataset %q (or its staging schema %q) has the name DuckDB gives the database in %s (%q), "+
				"and DuckDB cannot tell a schema from a database of the same name: choose another dataset name (for example %s) "+
				"or another file name (destination.duckdb.credentials)", dataset, sqlload.StagingDataset(dataset), base, catalog, catalog+"_data")
		}
	}
	return nil
}

// Open opens the dataset (a schema of the file), creating the file and the schema when
// missing. While the session is open, another Open of the same pipeline on the same file
// fails with destination.ErrLocked. A file that Open created is removed again when the last
// session on it closes without having committed a load, so a run that fails before loading
// leaves nothing behind; a file that existed is always kept.
func (d *Destination) Open(ctx context.Context, dataset, pipeline string) (destination.Session, error) {
	file, err := d.file(pipeline)
	if err != nil {
		return nil, err
	}
	if err := checkCatalog(file, dataset); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.resolved = file
	d.mu.Unlock()

	unlock, err := lockPipeline(file, pipeline)
	if err != nil {
		return nil, err
	}
	h, release, err := openShared(file, d.config)
	if err != nil {
		unlock()
		return nil, err
	}
	s, err := sqlload.Open(ctx, sqlx.NewDb(h.db, "duckdb"), &dialect{mem: h.mem}, dataset, sqlload.Options{
		AfterCommit: func() {
			h.committed.Store(true)
			h.mem.committed(h.db)
		},
		AfterClose: func() error {
			unlock()
			return release()
		},
	})
	if err != nil {
		return nil, fmt.Errorf("duckdb %s: %w", file, err)
	}
	return s, nil
}

// Read opens the dataset for reading without a lock: in a read-only transaction on the
// handle this process already has on the file (a run loading it), or else on the file opened
// read-only, which DuckDB never writes to, with enable_external_access off (a query through
// the Reader, see destination.Querier, reaches no other file). A file that does not exist
// reads as empty and is not created. While the Reader is open on a read-only handle, loads
// into the file wait: Open fails with destination.ErrLocked, as it does when another process
// reads the file.
func (d *Destination) Read(ctx context.Context, dataset, pipeline string) (destination.Reader, error) {
	if dataset == "" {
		return nil, errors.New("duckdb: empty dataset name; pass the dataset (schema) to read, e.g. \"salesforce_data\"")
	}
	file, err := d.file(pipeline)
	if err != nil {
		return nil, err
	}
	if err := checkCatalog(file, dataset); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.resolved = file
	d.mu.Unlock()

	h, release, err := readShared(file, d.config)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return destination.EmptyReader("no DuckDB file " + file), nil
	}
	conn, err := sqlx.NewDb(h.db, "duckdb").Connx(ctx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("duckdb %s: connecting: %w", file, err), release())
	}
	// READ ONLY: DuckDB refuses any write in the transaction, also on a handle opened for loading.
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION READ ONLY"); err != nil {
		return nil, errors.Join(fmt.Errorf("duckdb %s: starting a read-only transaction: %w", file, err), conn.Close(), release())
	}
	return sqlload.NewReader(conn, &dialect{}, dataset, func() error {
		_, err := conn.ExecContext(context.Background(), "ROLLBACK")
		return errors.Join(err, conn.Close(), release())
	}), nil
}

// locks holds the pipelines loading in this process, by file and pipeline name.
var locks = struct {
	sync.Mutex
	held map[[2]string]bool
}{held: map[[2]string]bool{}}

func lockPipeline(file, pipeline string) (unlock func(), err error) {
	key := [2]string{file, pipeline}
	locks.Lock()
	defer locks.Unlock()
	if locks.held[key] {
		return nil, fmt.Errorf("%w: pipeline %q is already loading into %s in this process; wait for that run to finish (its session to close)",
			destination.ErrLocked, pipeline, file)
	}
	locks.held[key] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			locks.Lock()
			delete(locks.held, key)
			locks.Unlock()
		})
	}, nil
}

// shared is a database handle open in this process, shared by every session and Reader on
// the file: DuckDB (its instance cache) refuses a handle on a file with another configuration
// than the one open, read-only included.
type shared struct {
	db   *sql.DB
	refs int // guarded by handles
	// readOnly is true for a handle that Read opened: no session may load through it.
	readOnly bool
	// created lists the files that opening the database made (the database file and its
	// write-ahead log, where they did not exist before). The last release removes them when no
	// load committed through the handle, so a run that fails before loading anything (a
	// failed login, an object the org does not have) leaves no empty database behind. Files
	// that existed are never removed.
	created   []string
	committed atomic.Bool
	// mem manages memory_limit when the configuration does not set it; nil otherwise.
	mem *memoryGuard
}

var handles = struct {
	sync.Mutex
	open map[string]*shared
}{open: map[string]*shared{}}

// openShared returns the file's handle, opening it when no session holds it. release closes
// it after the last session is done, so other processes can use the file again.
func openShared(file string, config map[string]string) (*shared, func() error, error) {
	handles.Lock()
	defer handles.Unlock()
	h := handles.open[file]
	if h != nil && h.readOnly {
		return nil, nil, fmt.Errorf("%w: the DuckDB file %s is open read-only in this process (a destination.Reader, such as pipeline show, is reading it); load when it has closed",
			destination.ErrLocked, file)
	}
	if h == nil {
		created := missing(file)
		db, err := openFile(file, config, false)
		if err != nil {
			if !errors.Is(err, destination.ErrLocked) {
				// Whatever DuckDB made before failing is ours and empty. A locked file is
				// another process's, even if it appeared after the check.
				err = errors.Join(err, remove(created))
			}
			return nil, nil, err
		}
		h = &shared{db: db, created: created}
		if _, set := config["memory_limit"]; !set {
			h.mem = newMemoryGuard()
		}
		handles.open[file] = h
	}
	return h, h.releaser(file), nil
}

// readShared returns the file's handle for a Reader: the one this process has open, or the
// file opened read-only; nil when the file does not exist (nothing to read, and opening it
// read-only creates nothing).
func readShared(file string, config map[string]string) (*shared, func() error, error) {
	handles.Lock()
	defer handles.Unlock()
	h := handles.open[file]
	if h == nil {
		if file == ":memory:" || !exists(file) {
			return nil, nil, nil
		}
		db, err := openFile(file, config, true)
		if errors.Is(err, errNoFile) {
			return nil, nil, nil // removed since the check
		}
		if err != nil {
			return nil, nil, err
		}
		h = &shared{db: db, readOnly: true}
		handles.open[file] = h
	}
	return h, h.releaser(file), nil
}

// exists reports whether file exists (or cannot be looked at, which opening it will report).
func exists(file string) bool {
	_, err := os.Lstat(file)
	return !errors.Is(err, os.ErrNotExist)
}

// releaser counts one more user of h and returns its release (see openShared).
func (h *shared) releaser(file string) func() error {
	h.refs++
	var once sync.Once
	return func() (err error) {
		once.Do(func() {
			handles.Lock()
			defer handles.Unlock()
			h.refs--
			if h.refs > 0 {
				return
			}
			delete(handles.open, file)
			if cerr := h.db.Close(); cerr != nil {
				err = fmt.Errorf("duckdb: closing %s: %w", file, cerr)
				return
			}
			if !h.committed.Load() {
				err = remove(h.created)
			}
		})
		return err
	}
}

// missing returns those of the database file and its write-ahead log that do not exist yet.
func missing(file string) []string {
	if file == ":memory:" {
		return nil
	}
	var paths []string
	for _, p := range []string{file, file + ".wal"} {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			paths = append(paths, p)
		}
	}
	return paths
}

// remove deletes the files this process created and did not load into.
func remove(paths []string) error {
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("duckdb: removing %s, created by this run and left empty: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// openFile opens a database handle on file, read-only (so that DuckDB writes nothing to the
// file, and lets other processes read it too) when readOnly is true.
func openFile(file string, config map[string]string, readOnly bool) (*sql.DB, error) {
	if file != ":memory:" {
		dir := filepath.Dir(file)
		switch st, err := os.Stat(dir); {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("duckdb: the directory %s of the database file does not exist; create it or pass another path", dir)
		case err != nil:
			return nil, fmt.Errorf("duckdb: checking the directory of %s: %w; pass a path in a directory you can write", file, err)
		case !st.IsDir():
			return nil, fmt.Errorf("duckdb: %s is not a directory, so %s cannot be created there; pass another path", dir, file)
		}
	}
	dsn := file
	if file == ":memory:" {
		dsn = ""
	}
	q := url.Values{}
	for k, v := range config {
		q.Set(k, v)
	}
	if _, set := config["memory_limit"]; !set {
		q.Set("memory_limit", DefaultMemoryLimit)
	}
	if readOnly {
		q.Set("access_mode", "READ_ONLY")
		// A reader reads the file and nothing else: SQL typed into `show --web` cannot read
		// or write other files (read_csv, COPY, ATTACH) nor install extensions. DuckDB lets no
		// one switch it back on while the database is open.
		q.Set("enable_external_access", "false")
	}
	if len(q) > 0 {
		dsn += "?" + q.Encode()
	}
	c, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, translateOpenError(file, err, readOnly)
	}
	return sql.OpenDB(c), nil
}

// errNoFile is translateOpenError's answer when a file opened read-only does not exist.
var errNoFile = errors.New("duckdb: no such database file")

// translateOpenError names the cause users can act on; DuckDB reports these cases only in
// its message text.
func translateOpenError(file string, err error, readOnly bool) error {
	msg := err.Error()
	switch {
	case readOnly && (strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock")):
		return fmt.Errorf("%w: the DuckDB file %s is in use by a running pipeline in another process, and DuckDB lets no other process read a file while one writes it; try again when that run has finished: %v",
			destination.ErrLocked, file, err)
	case strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock"):
		return fmt.Errorf("%w: the DuckDB file %s is open in another process (DuckDB allows one writing process per file); wait for it to finish or close it: %v",
			destination.ErrLocked, file, err)
	case readOnly && strings.Contains(msg, "database does not exist"):
		return fmt.Errorf("%w: %s", errNoFile, file)
	case readOnly && (strings.Contains(msg, "Permission denied") || strings.Contains(msg, "Cannot open file")):
		return fmt.Errorf("duckdb: cannot open %s for reading: %w; check that this user may read the file", file, err)
	case strings.Contains(msg, "Permission denied") || strings.Contains(msg, "Read-only file system") || strings.Contains(msg, "Cannot open file"):
		return fmt.Errorf("duckdb: cannot create or open %s: %w; make the directory %s writable for this user or pass a path in a writable directory",
			file, err, filepath.Dir(file))
	}
	return fmt.Errorf("duckdb: opening %s: %w", file, err)
}

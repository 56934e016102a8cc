package sqlload

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sfdlt/sfdlt/destination"
)

// Session is a destination.Session on one dedicated connection of a database/sql pool.
type Session struct {
	d       Dialect
	dataset string
	opts    Options

	mu     sync.Mutex
	conn   *sqlx.Conn
	load   *Load
	closed bool
}

var (
	_ destination.Session     = (*Session)(nil)
	_ destination.TableLister = (*Session)(nil)
)

// Options are what a destination hooks into a session's life.
type Options struct {
	// BeforeClose, when not nil, runs at Close on the session's connection before the
	// connection is returned; a destination releases a lock the connection holds there.
	BeforeClose func(ctx context.Context, conn *sql.Conn) error
	// AfterClose, when not nil, runs once at Close after the connection is returned (a
	// destination frees its pipeline lock or pool there); OpenConn runs it too when it fails.
	AfterClose func() error
	// AfterCommit, when not nil, runs after each load of the session commits; a destination
	// learns there that its dataset now holds something worth keeping.
	AfterCommit func()
}

// Open takes a connection from db for the session and creates the dataset when it is
// missing. Open runs opts.AfterClose too when it fails.
func Open(ctx context.Context, db *sqlx.DB, d Dialect, dataset string, opts Options) (*Session, error) {
	if err := checkIdentifier(d, "dataset", dataset); err != nil {
		return nil, closeAll(err, nil, opts)
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, closeAll(fmt.Errorf("connecting to dataset %q: %w", dataset, err), nil, opts)
	}
	return OpenConn(ctx, conn, d, dataset, opts)
}

// OpenConn is Open on a connection the destination has already taken (and perhaps locked
// with): the session owns conn from now on and closes it at Close, or before returning an
// error.
func OpenConn(ctx context.Context, conn *sqlx.Conn, d Dialect, dataset string, opts Options) (*Session, error) {
	if dataset == "" {
		return nil, closeAll(errors.New("sqlload: empty dataset name; pass the dataset (schema) to load into, e.g. \"salesforce_data\""), conn, opts)
	}
	if err := checkIdentifier(d, "dataset", dataset); err != nil {
		return nil, closeAll(err, conn, opts)
	}
	s := &Session{d: d, dataset: dataset, opts: opts, conn: conn}
	if err := s.createSchema(ctx, dataset); err != nil {
		return nil, closeAll(fmt.Errorf("creating dataset %q: %w; check that the user may create schemas", dataset, err), conn, opts)
	}
	return s, nil
}

// closeAll gives up a session that failed to open: it runs the close hooks and returns
// err with whatever they reported.
func closeAll(err error, conn *sqlx.Conn, opts Options) error {
	errs := []error{err}
	if conn != nil {
		if opts.BeforeClose != nil {
			errs = append(errs, opts.BeforeClose(context.Background(), conn.Conn))
		}
		errs = append(errs, conn.Close())
	}
	if opts.AfterClose != nil {
		errs = append(errs, opts.AfterClose())
	}
	return errors.Join(errs...)
}

// createSchema creates the schema when it is missing. Two sessions creating the same schema
// at once may both miss it and one then fails on a unique index (Postgres does): the schema
// exists then, which is all that was asked.
func (s *Session) createSchema(ctx context.Context, name string) error {
	_, err := s.conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+s.d.Quote(name))
	if err == nil {
		return nil
	}
	if ok, lookErr := s.schemaExists(ctx, name); lookErr == nil && ok {
		return nil
	}
	return err
}

func (s *Session) schemaExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.schemata
		WHERE catalog_name = current_database() AND schema_name = $1`, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("looking up schema %q: %w", name, err)
	}
	return n > 0, nil
}

// Dataset returns the name of the session's dataset.
func (s *Session) Dataset() string { return s.dataset }

func (s *Session) ready() error {
	if s.closed {
		return errors.New("sqlload: session is closed; open a new one")
	}
	return nil
}

// Begin starts a load: one transaction on the session's connection.
func (s *Session) Begin(ctx context.Context) (destination.Load, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	if s.load != nil && !s.load.finished() {
		return nil, errors.New("sqlload: a load is already open on this session; commit or roll it back first")
	}
	if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, fmt.Errorf("starting load in dataset %q: %w", s.dataset, err)
	}
	// The boundary of the load's scd2 merges, unless a table brings its own: microseconds, as
	// both databases keep timestamps.
	l := &Load{s: s, beginCtx: ctx, tables: map[string]*writer{}, began: time.Now().UTC().Truncate(time.Microsecond)}
	s.load = l
	return l, nil
}

// Close rolls back an open load, runs the destination's hooks and returns the connection.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.load != nil {
		errs = append(errs, s.load.rollbackLocked())
	}
	if s.opts.BeforeClose != nil {
		errs = append(errs, s.opts.BeforeClose(context.Background(), s.conn.Conn))
	}
	// ErrConnDone: database/sql closed the connection already, when the driver found it
	// broken (a killed backend); there is nothing left to return.
	if err := s.conn.Close(); !errors.Is(err, sql.ErrConnDone) {
		errs = append(errs, err)
	}
	if s.opts.AfterClose != nil {
		errs = append(errs, s.opts.AfterClose())
	}
	return errors.Join(errs...)
}

// columns returns the names of the columns dataset.table has; empty when it does not exist.
func (s *Session) columns(ctx context.Context, dataset, table string) (map[string]bool, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2`, dataset, table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s.%s: %w", dataset, table, err)
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("reading the columns of %s.%s: %w", dataset, table, err)
		}
		cols[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the columns of %s.%s: %w", dataset, table, err)
	}
	return cols, nil
}

// Schema returns the newest row of _dlt_version for the named schema (dlt orders by
// inserted_at), or destination.ErrNotFound.
func (s *Session) Schema(ctx context.Context, name string) (*destination.SchemaRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	return s.reads().schema(ctx, name)
}

// PipelineState returns the state in force for the pipeline: its newest _dlt_pipeline_state
// row (by load id, as dlt orders) whose load has a _dlt_loads row with status 0.
func (s *Session) PipelineState(ctx context.Context, pipeline string) (*destination.StateRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	return s.reads().pipelineState(ctx, pipeline)
}

// TableNames lists the names of the dataset's tables, in order (destination.TableLister).
func (s *Session) TableNames(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	return s.reads().tableNames(ctx)
}

// reads runs the dataset's queries on the session's connection.
func (s *Session) reads() reads { return reads{q: s.conn, d: s.d, dataset: s.dataset} }

// isEmpty reports whether dataset.table holds no rows, as the session's transaction sees it.
func (s *Session) isEmpty(ctx context.Context, dataset, table string) (bool, error) {
	var found bool
	if err := s.conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+s.d.Quote(dataset)+"."+s.d.Quote(table)+")").Scan(&found); err != nil {
		return false, fmt.Errorf("looking for rows in %s.%s: %w", dataset, table, err)
	}
	return !found, nil
}

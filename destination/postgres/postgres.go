// Package postgres is sfdlt's Postgres destination: a dataset is a Postgres schema, laid out
// as dlt's Postgres destination lays it out (merge staging in `<dataset>_staging`). Rows are
// bulk-loaded with COPY inside the load's transaction, so a load is atomic, replace
// included: a reader sees the old rows until Commit, then exactly the new ones.
//
// A session holds one connection for its whole life; its loads are transactions on it, and
// it holds a Postgres advisory lock keyed on dataset and pipeline name, so a second run of
// the same pipeline into the same dataset fails fast with destination.ErrLocked, wherever
// it runs. Other pipelines and datasets load side by side. The lock lives as long as the
// connection: a run that dies loses it at once.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/internal/sqlload"
	"github.com/sfdlt/sfdlt/schema"
)

// Destination loads into one Postgres database. It is safe for concurrent use. Its String
// and GoString show the location with the password redacted.
type Destination struct {
	dsn      string
	location string // postgres://user:***@host:port/db
	host     string // host:port, for messages
	password string // only to scrub it from driver messages
	appName  string
	parseErr error
}

var _ destination.Destination = (*Destination)(nil)

// Option configures a Destination.
type Option func(*Destination)

// WithApplicationName sets the application_name the sessions show in pg_stat_activity
// (default "sfdlt", unless the DSN or PGAPPNAME sets one). The pipeline name is appended.
func WithApplicationName(name string) Option {
	return func(d *Destination) { d.appName = name }
}

// New returns a destination on the Postgres database named by dsn, a URL
// `postgres://user:password@host:port/database?sslmode=disable` (`postgresql://` works
// too; query parameters are libpq's). New does no I/O: a malformed DSN is reported by Open.
func New(dsn string, opts ...Option) *Destination {
	d := &Destination{dsn: dsn, appName: "sfdlt"}
	for _, o := range opts {
		o(d)
	}
	d.parseErr = d.parse()
	return d
}

// parse checks the DSN and fills location and host. Its errors never quote the DSN, which
// may hold the password.
func (d *Destination) parse() error {
	u, err := url.Parse(d.dsn)
	if err != nil || u.Scheme == "" {
		d.location = "postgres://<malformed DSN>"
		return errors.New("postgres: the DSN is not a URL; write it as postgres://user:password@host:5432/database?sslmode=disable (percent-encode special characters in the password)")
	}
	if u.User != nil {
		d.password, _ = u.User.Password()
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "5432"
	}
	d.host = net.JoinHostPort(host, port)
	loc := "postgres://"
	if u.User != nil {
		loc += u.User.Username()
		if _, ok := u.User.Password(); ok {
			loc += ":***"
		}
		loc += "@"
	}
	d.location = loc + d.host + u.Path
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("postgres: the DSN for %s has scheme %q; write it as postgres://user:password@host:5432/database", d.host, u.Scheme)
	}
	if strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("postgres: the DSN for %s names no database; add it as the path, e.g. postgres://user@%s/mydb", d.host, d.host)
	}
	return nil
}

// maxColumns is Postgres's limit on the columns of a table.
const maxColumns = 1600

// Info describes the destination; Location has the password redacted.
func (d *Destination) Info() destination.Info {
	return destination.Info{Name: "postgres", Location: d.location, MaxIdentifierLength: schema.PostgresMaxIdentifierLength, MaxColumns: maxColumns}
}

// String returns the location with the password redacted. Its receiver is a value so
// that a Destination printed by value shows no password either.
func (d Destination) String() string { return d.location }

// GoString is String, so that %#v cannot print the password either.
func (d Destination) GoString() string { return "postgres.Destination(" + d.location + ")" }

// scrub removes the password from a message of the driver or the network, should one ever
// quote it, and prefixes what the user must know.
func (d *Destination) scrub(err error) error {
	if err == nil || d.password == "" || !strings.Contains(err.Error(), d.password) {
		return err
	}
	// The chain is dropped: any error in it could print the password.
	return errors.New(strings.ReplaceAll(err.Error(), d.password, "***"))
}

// connect opens a pool of one connection for a session.
func (d *Destination) connect() (*sqlx.DB, error) {
	if d.parseErr != nil {
		return nil, d.parseErr
	}
	cfg, err := pq.NewConfig(d.dsn)
	if err != nil {
		return nil, d.scrub(fmt.Errorf("postgres: the DSN for %s is not valid: %w; see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS", d.host, err))
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = d.appName
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, d.scrub(fmt.Errorf("postgres: the DSN for %s is not valid: %w", d.host, err))
	}
	db := sqlx.NewDb(sql.OpenDB(c), "postgres")
	// A session is one connection: its loads are transactions on it and it holds the lock.
	db.SetMaxOpenConns(1)
	return db, nil
}

// connectError says why connecting failed in terms a user can act on.
func (d *Destination) connectError(err error) error {
	var hint string
	switch e := pq.As(err, pqerror.InvalidPassword, pqerror.InvalidAuthorizationSpecification, pqerror.InvalidCatalogName); {
	case e == nil:
		hint = "check that Postgres runs there and accepts TCP connections, and the host, port and sslmode in the DSN"
	case e.Code == pqerror.InvalidCatalogName:
		hint = "create the database (CREATE DATABASE) or fix its name in the DSN"
	default:
		hint = "check the user and password in the DSN and the server's pg_hba.conf"
	}
	return d.scrub(fmt.Errorf("postgres: cannot connect to %s: %w; %s", d.host, err, hint))
}

// lockKey is the advisory lock key of a pipeline on a dataset. Advisory locks are per
// database, so the database needs no part in it.
func lockKey(kind, dataset, pipeline string) int64 {
	h := fnv.New64a()
	h.Write([]byte("sfdlt\x00" + kind + "\x00" + dataset + "\x00" + pipeline))
	return int64(h.Sum64())
}

// Open connects, takes the pipeline's lock on the dataset and creates the dataset (a
// schema) when missing. A second Open of the same pipeline and dataset, from this process
// or any other, fails with destination.ErrLocked until the first session closes.
func (d *Destination) Open(ctx context.Context, dataset, pipeline string) (destination.Session, error) {
	if dataset == "" {
		return nil, errors.New("postgres: empty dataset name; pass the dataset (schema) to load into, e.g. \"salesforce_data\"")
	}
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		db.Close()
		return nil, d.connectError(err)
	}
	fail := func(err error) (destination.Session, error) {
		conn.Close()
		db.Close()
		return nil, d.scrub(err)
	}
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		return fail(d.connectError(err))
	}
	if pipeline != "" {
		// Shows which pipeline a backend serves in pg_stat_activity; failing is harmless.
		_, _ = conn.ExecContext(ctx, "SELECT set_config('application_name', current_setting('application_name') || ' ' || $1, false)", pipeline)
	}
	key := lockKey("pipeline", dataset, pipeline)
	var got bool
	// A run whose process just died still holds the lock until Postgres notices the closed
	// connection, which takes moments: try again for a short while before calling it running.
	for deadline := time.Now().Add(lockWait); ; {
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
			return fail(fmt.Errorf("postgres %s: taking the lock of pipeline %q on dataset %q: %w", d.host, pipeline, dataset, err))
		}
		if got || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !got {
		return fail(fmt.Errorf("%w: pipeline %q is already loading into dataset %q on %s (it holds advisory lock %d); wait for that run to finish",
			destination.ErrLocked, pipeline, dataset, d.location, key))
	}
	s, err := sqlload.OpenConn(ctx, conn, dialect{}, dataset, sqlload.Options{
		BeforeClose: func(ctx context.Context, conn *sql.Conn) error {
			// On a broken connection this fails, and the server has freed the lock with the
			// backend; AfterClose closes the connection for good either way.
			_, _ = conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", key)
			return nil
		},
		AfterClose: db.Close,
	})
	if err != nil {
		return nil, d.scrub(fmt.Errorf("postgres %s: %w", d.location, err))
	}
	return &session{Session: s, pid: pid}, nil
}

// Read opens the dataset for reading in a read-only transaction on a connection of its own,
// at REPEATABLE READ so that everything the Reader returns comes from one snapshot. It
// takes no lock (a run of the pipeline may be loading meanwhile) and creates nothing: Postgres
// refuses any write in the transaction, and a dataset that does not exist reads as empty. A
// table that a running load is adding columns to is reported Busy instead of waited for.
func (d *Destination) Read(ctx context.Context, dataset, pipeline string) (destination.Reader, error) {
	if dataset == "" {
		return nil, errors.New("postgres: empty dataset name; pass the dataset (schema) to read, e.g. \"salesforce_data\"")
	}
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		db.Close()
		return nil, d.connectError(err)
	}
	return sqlload.NewReader(tx, dialect{}, dataset, func() error {
		// Rollback fails only on a broken connection, which ends the transaction too.
		_ = tx.Rollback()
		return db.Close()
	}), nil
}

// lockWait is how long Open waits for the pipeline lock before reporting ErrLocked.
const lockWait = 2 * time.Second

// session is a sqlload session that knows its backend, for tests that kill it.
type session struct {
	*sqlload.Session
	pid int
}

// DropDataset drops the dataset and its staging dataset with everything in them (DROP
// SCHEMA ... CASCADE), e.g. to reset a pipeline or clean up after a test. A missing dataset
// is no error.
func (d *Destination) DropDataset(ctx context.Context, dataset string) error {
	db, err := d.connect()
	if err != nil {
		return err
	}
	defer db.Close()
	q := dialect{}.Quote
	for _, s := range []string{dataset, sqlload.StagingDataset(dataset)} {
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+q(s)+" CASCADE"); err != nil {
			if pq.As(err) == nil {
				return d.connectError(err)
			}
			return d.scrub(fmt.Errorf("postgres %s: dropping dataset %q: %w", d.location, s, err))
		}
	}
	return nil
}

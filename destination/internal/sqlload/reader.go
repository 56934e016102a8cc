package sqlload

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/sfdlt/sfdlt/destination"
)

// Querier is what reads run on: a read-only transaction (*sqlx.Tx) or a connection inside
// one (*sqlx.Conn).
type Querier interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// ReadLocker is an optional interface of Dialect for databases where a load that changes a
// table's columns keeps every reader of the table waiting until the load commits (Postgres:
// ALTER TABLE holds an ACCESS EXCLUSIVE lock). A Reader calls TryReadLock in its transaction
// before it reads a table: false means that a running load holds the table, and the Reader
// reports it busy rather than wait for that load, which may take minutes. TryReadLock must
// leave the transaction usable either way, and the lock it takes lasts until the
// transaction ends.
type ReadLocker interface {
	TryReadLock(ctx context.Context, q Querier, dataset, table string) (bool, error)
}

// Reader is a destination.Reader on a transaction that the destination has begun read-only.
type Reader struct {
	mu     sync.Mutex
	r      reads
	end    func() error
	closed bool
}

var (
	_ destination.Reader  = (*Reader)(nil)
	_ destination.Querier = (*Reader)(nil)
)

// NewReader returns a Reader of dataset that runs its queries on q, a transaction the
// destination began read-only (so that the database itself refuses any write), and calls end
// at Close to end that transaction and release what the destination holds for it.
func NewReader(q Querier, d Dialect, dataset string, end func() error) *Reader {
	return &Reader{r: reads{q: q, d: d, dataset: dataset, nowait: true}, end: end}
}

func (r *Reader) ready() error {
	if r.closed {
		return errors.New("sqlload: reader is closed; open a new one")
	}
	return nil
}

// Schema returns the newest row of _dlt_version for the named schema, or
// destination.ErrNotFound.
func (r *Reader) Schema(ctx context.Context, name string) (*destination.SchemaRow, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.ready(); err != nil {
		return nil, err
	}
	return r.r.schema(ctx, name)
}

// PipelineState returns the state in force for the pipeline (see Session.PipelineState), or
// destination.ErrNotFound.
func (r *Reader) PipelineState(ctx context.Context, pipeline string) (*destination.StateRow, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.ready(); err != nil {
		return nil, err
	}
	return r.r.pipelineState(ctx, pipeline)
}

// Tables lists the dataset's tables with their row counts, by name.
func (r *Reader) Tables(ctx context.Context) ([]destination.TableStats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.ready(); err != nil {
		return nil, err
	}
	return r.r.tables(ctx)
}

// Loads returns up to limit rows of _dlt_loads, newest first; none for a fresh dataset.
func (r *Reader) Loads(ctx context.Context, limit int) ([]destination.LoadRow, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.ready(); err != nil {
		return nil, err
	}
	return r.r.loads(ctx, limit)
}

// Close ends the read transaction (see NewReader). A second Close does nothing.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.end()
}

// preparer is what Query prepares its statement with: *sqlx.Tx and *sqlx.Conn are both.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// Query runs one statement in the reader's read-only transaction (see destination.Querier).
// A text of several statements is refused (counted first, for a clear message; then the
// database's own prepare refuses it), so nothing can follow a statement that ends the
// transaction; transaction control is refused with a message too.
func (r *Reader) Query(ctx context.Context, maxRows int, query string, args ...any) (*destination.QueryResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.ready(); err != nil {
		return nil, err
	}
	switch n := statements(query); {
	case n == 0:
		return nil, errors.New("the query holds no statement, only blanks or comments: write one, e.g. SELECT 1")
	case n > 1:
		return nil, fmt.Errorf("the query holds %d statements: run one at a time (leave out the others and the semicolons between them)", n)
	}
	if verb := transactionControl(query); verb != "" {
		return nil, fmt.Errorf("%s is transaction control, and each query runs alone in a read-only transaction of its own: leave it out", verb)
	}
	p, ok := r.r.q.(preparer)
	if !ok {
		return nil, fmt.Errorf("sqlload: the reader's %T cannot prepare statements", r.r.q)
	}
	// database/sql prepares with the driver's PrepareContext, which duckdb-go lets run every
	// statement of a text but the last; the driver's plain Prepare refuses a text of several
	// statements (and lib/pq's, on a transaction, refuses them anyway). Should the count above
	// ever miss one, this is what keeps it from running.
	if raw, ok := r.r.q.(interface{ Raw(func(any) error) error }); ok {
		err := raw.Raw(func(dc any) error {
			c, ok := dc.(driver.Conn)
			if !ok {
				return nil
			}
			st, err := c.Prepare(query)
			if err != nil {
				return err
			}
			return st.Close()
		})
		if err != nil {
			return nil, err
		}
	}
	stmt, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &destination.QueryResult{Columns: cols}
	for rows.Next() {
		if len(res.Rows) == maxRows {
			res.Truncated = true
			break
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, rows.Close()
}

// leadingWords finds a statement's first two words, after any comments.
var leadingWords = regexp.MustCompile(`^(?s:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z_]+)(?:\s+([A-Za-z_]+))?`)

// transactionControl returns the verb of a statement that would end or change the reader's
// transaction (COMMIT, ROLLBACK, SET TRANSACTION...); "" for any other statement. It keeps
// messages clear; what guarantees read-only is the transaction and the single statement.
func transactionControl(query string) string {
	m := leadingWords.FindStringSubmatch(query)
	if m == nil {
		return ""
	}
	verb, next := strings.ToUpper(m[1]), strings.ToUpper(m[2])
	switch verb {
	case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE":
		return verb
	case "SET", "RESET":
		if next == "TRANSACTION" || next == "SESSION" {
			return verb + " " + next
		}
	}
	return ""
}

package sqlload

import (
	"context"
	"errors"
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

var _ destination.Reader = (*Reader)(nil)

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

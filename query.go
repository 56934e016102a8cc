package sfdlt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// TableDescription is a table of the dataset as `sfdlt pipeline NAME show --web` shows it:
// its row count, its columns and how many of its rows each load wrote.
type TableDescription struct {
	Name string
	// Parent is the parent table of a nested table, "" for a root table or a system table.
	Parent string
	Rows   int64
	// Busy is true when a running load is changing the table's columns (see
	// destination.TableStats); nothing else is read of it then.
	Busy    bool
	Columns []ColumnDescription
	// LoadRows counts the table's rows by the load that wrote them (_dlt_load_id), oldest
	// load first; none for a table without that column.
	LoadRows []LoadRows
}

// NewestLoad is the newest load that wrote rows still in the table, "" when none did.
func (t *TableDescription) NewestLoad() string {
	if len(t.LoadRows) == 0 {
		return ""
	}
	return t.LoadRows[len(t.LoadRows)-1].LoadID
}

// LoadRows is how many rows of a table one load wrote (that are still there: a later merge
// replaces rows, and their load id with them).
type LoadRows struct {
	LoadID string
	Rows   int64
}

// ColumnDescription is a column of a table: its dlt data type from the stored schema ("" for a
// column the schema does not know, such as a system table's) and its type in the destination
// ("" for a column the schema has and the table does not have yet).
type ColumnDescription struct {
	Name            string
	DataType        schema.DataType
	DestinationType string
	PrimaryKey      bool
	Nullable        bool
}

// ErrNoQuery is returned (wrapped) by Describe, Rows and Query when the destination's Reader
// cannot run SQL (it does not implement destination.Querier) on a dataset that has tables.
var ErrNoQuery = errors.New("the destination cannot run queries")

// ErrNoTable is returned (wrapped) by Rows for a table that is neither in the stored schema
// nor in the dataset.
var ErrNoTable = errors.New("no such table")

// read opens the dataset's Reader and calls f with it and its Querier (nil when the Reader is
// none); the Reader is closed when f returns, and an error closing it is f's error when f
// returned none. Everything that only looks at the dataset goes through it.
func (p *Pipeline) read(ctx context.Context, f func(r destination.Reader, q destination.Querier) error) (err error) {
	r, err := p.dest.Read(ctx, p.dataset, p.name)
	if err != nil {
		return fmt.Errorf("reading dataset %q: %w", p.dataset, err)
	}
	defer func() {
		if cerr := r.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("reading dataset %q: %w", p.dataset, cerr)
		}
	}()
	q, _ := r.(destination.Querier)
	return f(r, q)
}

// querier returns q, or why there is none: a dataset that nothing was loaded into yet (the
// Reader of a DuckDB file that does not exist cannot run SQL), or a destination whose Reader
// does not implement destination.Querier.
func (p *Pipeline) querier(ctx context.Context, r destination.Reader, q destination.Querier) (destination.Querier, error) {
	if q != nil {
		return q, nil
	}
	if stats, err := r.Tables(ctx); err == nil && len(stats) == 0 {
		return nil, fmt.Errorf("dataset %q on %s holds no tables yet, so there is nothing to query: run the pipeline first", p.dataset, p.dest.Info().Location)
	}
	return nil, fmt.Errorf("%w: the %s destination's reader (%T) does not implement destination.Querier", ErrNoQuery, p.dest.Info().Name, r)
}

// storedSchema reads the newest stored schema through r; nil when nothing was loaded yet.
func (p *Pipeline) storedSchema(ctx context.Context, r destination.Reader) (*schema.Schema, error) {
	row, err := r.Schema(ctx, SourceName)
	switch {
	case errors.Is(err, destination.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the stored schema of %q: %w", p.dataset, err)
	}
	var sch schema.Schema
	if err := sch.UnmarshalJSON([]byte(row.Schema)); err != nil {
		return nil, fmt.Errorf("the stored schema of %q (version %d) cannot be read: %w", p.dataset, row.Version, err)
	}
	return &sch, nil
}

// Describe lists the dataset's tables (system tables included), or those of them named, with
// their row counts, their columns (dlt and destination types) and their rows per load, read as
// Inspect reads: no lock, nothing created. A name that is no table of the dataset is left out.
// It needs a destination whose Reader implements destination.Querier.
func (p *Pipeline) Describe(ctx context.Context, names ...string) (tables []TableDescription, err error) {
	err = p.read(ctx, func(r destination.Reader, q destination.Querier) error {
		stats, err := r.Tables(ctx)
		if err != nil {
			return fmt.Errorf("listing the tables of %q: %w", p.dataset, err)
		}
		if len(names) > 0 {
			stats = slices.DeleteFunc(stats, func(s destination.TableStats) bool { return !slices.Contains(names, s.Name) })
		}
		if len(stats) == 0 {
			return nil
		}
		if q, err = p.querier(ctx, r, q); err != nil {
			return err
		}
		sch, err := p.storedSchema(ctx, r)
		if err != nil {
			return err
		}
		// Counting a table's rows by load reads the whole table (seconds for tens of millions of
		// rows): the counts are kept while the dataset's newest load and the table's row count
		// stay the same, which no load leaves as they were.
		var newest string
		if loads, err := r.Loads(ctx, 1); err == nil && len(loads) > 0 {
			newest = loads[0].LoadID + "@" + loads[0].InsertedAt.UTC().Format(time.RFC3339Nano)
		}
		res, err := q.Query(ctx, -1, "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position", p.dataset)
		if err != nil {
			return fmt.Errorf("reading the columns of the tables of %q: %w", p.dataset, err)
		}
		cols := map[string][]ColumnDescription{}
		for _, row := range res.Rows {
			t, c := text(row[0]), text(row[1])
			cols[t] = append(cols[t], ColumnDescription{Name: c, DestinationType: text(row[2]), Nullable: true})
		}
		for _, st := range stats {
			td := TableDescription{Name: st.Name, Rows: st.Rows, Busy: st.Busy, Columns: cols[st.Name]}
			if sch != nil {
				if t := sch.Table(st.Name); t != nil {
					td.Parent = t.Parent
					td.Columns = mergeColumns(t.Columns, td.Columns)
				}
			}
			if !st.Busy && slices.ContainsFunc(td.Columns, func(c ColumnDescription) bool { return c.Name == "_dlt_load_id" && c.DestinationType != "" }) {
				key := loadCountKey{table: st.Name, rows: st.Rows, newest: newest}
				if td.LoadRows = p.counts.get(key); td.LoadRows == nil {
					res, err := q.Query(ctx, -1, "SELECT _dlt_load_id, count(*) FROM "+p.quoteTable(st.Name)+" GROUP BY _dlt_load_id ORDER BY _dlt_load_id")
					if err != nil {
						return fmt.Errorf("counting the rows of %s by load: %w", st.Name, err)
					}
					for _, row := range res.Rows {
						n, _ := strconv.ParseInt(text(row[1]), 10, 64)
						td.LoadRows = append(td.LoadRows, LoadRows{LoadID: text(row[0]), Rows: n})
					}
					p.counts.put(key, td.LoadRows)
				}
			}
			tables = append(tables, td)
		}
		return nil
	})
	return tables, err
}

// loadCounts keeps Describe's rows per load of each table, for as long as its key holds.
type loadCounts struct {
	mu   sync.Mutex
	rows map[loadCountKey][]LoadRows
}

// loadCountKey is what counts of a table stay true for: its row count and the dataset's
// newest load ("" when there is none: nothing is kept then).
type loadCountKey struct {
	table  string
	rows   int64
	newest string
}

func (c *loadCounts) get(k loadCountKey) []LoadRows {
	if c == nil || k.newest == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.rows[k]) // the caller's to change
}

func (c *loadCounts) put(k loadCountKey, rows []LoadRows) {
	if c == nil || k.newest == "" || rows == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil {
		c.rows = map[loadCountKey][]LoadRows{}
	}
	for old := range c.rows {
		if old.table == k.table { // one entry per table: the newest
			delete(c.rows, old)
		}
	}
	c.rows[k] = slices.Clone(rows)
}

// mergeColumns joins a table's columns in the stored schema with those in the destination
// (name and type), in the schema's order, then the destination's columns the schema lacks.
func mergeColumns(stored []schema.Column, dest []ColumnDescription) []ColumnDescription {
	out := make([]ColumnDescription, 0, max(len(stored), len(dest)))
	for _, c := range stored {
		cd := ColumnDescription{Name: c.Name, DataType: c.DataType, PrimaryKey: c.PrimaryKey, Nullable: c.Nullable}
		if i := slices.IndexFunc(dest, func(d ColumnDescription) bool { return d.Name == c.Name }); i >= 0 {
			cd.DestinationType = dest[i].DestinationType
		}
		out = append(out, cd)
	}
	for _, d := range dest {
		if !slices.ContainsFunc(out, func(c ColumnDescription) bool { return c.Name == d.Name }) {
			out = append(out, d)
		}
	}
	return out
}

// Rows returns a page of a table's rows: at most limit rows from offset, ordered by the
// table's primary key (from the stored schema) and then _dlt_id, so that pages do not
// overlap. The table must be one of the dataset's (ErrNoTable otherwise): its name is never
// put into SQL unchecked.
func (p *Pipeline) Rows(ctx context.Context, table string, offset, limit int) (page *destination.QueryResult, err error) {
	if offset < 0 || limit <= 0 {
		return nil, fmt.Errorf("rows of %s: offset %d and limit %d: the offset must be 0 or more and the limit more than 0", table, offset, limit)
	}
	err = p.read(ctx, func(r destination.Reader, q destination.Querier) error {
		stats, err := r.Tables(ctx)
		if err != nil {
			return fmt.Errorf("listing the tables of %q: %w", p.dataset, err)
		}
		i := slices.IndexFunc(stats, func(s destination.TableStats) bool { return s.Name == table })
		switch {
		case i < 0:
			return fmt.Errorf("%w %q in dataset %q: pick one of the tables listed on the overview", ErrNoTable, table, p.dataset)
		case stats[i].Busy:
			// Reading it would wait for that load to commit, which may take minutes.
			return fmt.Errorf("a running load is changing the columns of %s in dataset %q: try again once it has committed", table, p.dataset)
		}
		if q, err = p.querier(ctx, r, q); err != nil {
			return err
		}
		res, err := q.Query(ctx, -1, "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2", p.dataset, table)
		if err != nil {
			return fmt.Errorf("reading the columns of %s: %w", table, err)
		}
		has := map[string]bool{}
		for _, row := range res.Rows {
			has[text(row[0])] = true
		}
		var order []string
		sch, err := p.storedSchema(ctx, r)
		if err != nil {
			return err
		}
		if sch != nil {
			if t := sch.Table(table); t != nil {
				for _, c := range t.Columns {
					if c.PrimaryKey && has[c.Name] {
						order = append(order, quoteIdent(c.Name))
					}
				}
			}
		}
		if has["_dlt_id"] {
			order = append(order, quoteIdent("_dlt_id"))
		}
		if len(order) == 0 {
			// A system table: by every column, which orders its rows as well as they can be.
			for i := range len(has) {
				order = append(order, strconv.Itoa(i+1))
			}
		}
		sql := fmt.Sprintf("SELECT * FROM %s ORDER BY %s LIMIT %d OFFSET %d", p.quoteTable(table), strings.Join(order, ", "), limit, offset)
		page, err = q.Query(ctx, limit, sql)
		if err != nil {
			return fmt.Errorf("reading rows of %s: %w", table, err)
		}
		return nil
	})
	return page, err
}

// Query runs one SQL statement on the dataset, read-only: the destination runs it in a
// read-only transaction (see destination.Querier), so a statement that writes fails, and a
// text of several statements is refused. It returns at most maxRows rows. Give ctx a deadline
// to bound the time a statement may take.
func (p *Pipeline) Query(ctx context.Context, sql string, maxRows int) (res *destination.QueryResult, err error) {
	if strings.TrimSpace(sql) == "" {
		return nil, errors.New("the query is empty: write one SQL statement, e.g. SELECT * FROM " + p.quoteTable("_dlt_loads"))
	}
	err = p.read(ctx, func(r destination.Reader, q destination.Querier) error {
		q, err := p.querier(ctx, r, q)
		if err != nil {
			return err
		}
		res, err = q.Query(ctx, maxRows, sql)
		return err
	})
	return res, err
}

// quoteTable is the dataset-qualified, quoted name of a table; both DuckDB and Postgres
// quote identifiers with double quotes.
func (p *Pipeline) quoteTable(table string) string {
	return quoteIdent(p.dataset) + "." + quoteIdent(table)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// text renders a value a driver returned for a text or integer column.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

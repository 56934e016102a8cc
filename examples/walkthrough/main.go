// Command walkthrough is the Go version of the walk-through of dlt's Salesforce verified
// source (salesforce_pipeline.py): load every resource of the source, then only opportunity and
// contact, then only contact and task, printing each run's LoadInfo as Python prints load_info.
//
// By default it runs against an emulated Salesforce org started in this process
// (salesforcetest.NewServer): no credentials, no network. With SFDLT_EXAMPLE_REAL_ORG=1 it loads
// a real org instead, configured as dlt configures one (sfdlt.LoadConfig: .dlt/secrets.toml,
// ~/.dlt/secrets.toml or SOURCES__SALESFORCE__USER_NAME, __PASSWORD, __SECURITY_TOKEN).
//
// Usage:
//
//	go run ./examples/walkthrough [dir]
//
// The data goes to <dir>/walkthrough.duckdb (dataset salesforce_data) and the pipeline's local
// state to <dir>/pipelines; without dir, to a new temporary directory, which is kept so the file
// can be inspected afterwards.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver, to query the result

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := workDir(os.Args[1:])
	if err == nil {
		err = run(ctx, os.Stdout, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough:", err)
		os.Exit(1)
	}
}

// workDir is the directory named on the command line, or a new temporary one.
func workDir(args []string) (string, error) {
	switch len(args) {
	case 0:
		dir, err := os.MkdirTemp("", "sfdlt-walkthrough-")
		if err != nil {
			return "", fmt.Errorf("creating a temporary directory: %w; pass a directory as the first argument", err)
		}
		return dir, nil
	case 1:
		if err := os.MkdirAll(args[0], 0o755); err != nil {
			return "", fmt.Errorf("creating %s: %w; pass a directory you can write", args[0], err)
		}
		return args[0], nil
	}
	return "", fmt.Errorf("too many arguments %q: pass at most one directory", args)
}

// run does the walk-through, writing into dir.
func run(ctx context.Context, out io.Writer, dir string) error {
	src, srv, err := newSource(out)
	if err != nil {
		return err
	}
	if srv != nil {
		defer srv.Close()
	}

	// Python: pipeline = dlt.pipeline(pipeline_name="salesforce", destination="duckdb",
	//                                  dataset_name="salesforce_data")
	file := filepath.Join(dir, "walkthrough.duckdb")
	p, err := sfdlt.NewPipeline("salesforce", duckdb.New(file),
		sfdlt.Dataset("salesforce_data"), sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Loading into %s\n", file)

	// Python: load_info = pipeline.run(salesforce_source()); print(load_info)
	// Every one of the 15 resources: replace tables are loaded in full, merge tables from the
	// beginning (their incremental cursors have no state yet).
	fmt.Fprintf(out, "\n== 1. pipeline.run(salesforce_source())\n\n")
	if err := runAndPrint(ctx, out, p, src); err != nil {
		return err
	}

	if srv != nil {
		// Not in the Python walk-through: someone works in the org, so that the next
		// incremental run has something to pick up (a real org changes by itself).
		if err := closeSomeOpportunities(ctx, srv, file); err != nil {
			return err
		}
		fmt.Fprintf(out, "\n(In the emulated org, 3 opportunities were just closed.)\n")
	}

	// Python: source = salesforce_source()
	//         load_info = pipeline.run(source.with_resources("opportunity", "contact"))
	// opportunity is incremental: only records whose SystemModstamp moved since run 1 are
	// read and merged on Id. contact is a replace resource: reloaded in full.
	fmt.Fprintf(out, "\n== 2. pipeline.run(source.with_resources(\"opportunity\", \"contact\"))\n\n")
	if err := runAndPrint(ctx, out, p, src.WithResources("opportunity", "contact")); err != nil {
		return err
	}

	// Python: load_info = pipeline.run(source.with_resources("contact", "task"))
	// task has not changed since run 1, so its incremental run loads nothing new.
	fmt.Fprintf(out, "\n== 3. pipeline.run(source.with_resources(\"contact\", \"task\"))\n\n")
	if err := runAndPrint(ctx, out, p, src.WithResources("contact", "task")); err != nil {
		return err
	}

	// The DuckDB file is only opened here, after the runs: within one process the pipeline
	// shares one handle per file and closes it when a run ends.
	fmt.Fprintf(out, "\n== The data, with SQL\n")
	return query(ctx, out, file,
		`SELECT load_id, status, schema_version_hash FROM salesforce_data._dlt_loads ORDER BY load_id`,
		`SELECT stage_name, count(*) AS opportunities, sum(amount) AS amount
		   FROM salesforce_data.opportunity GROUP BY stage_name ORDER BY opportunities DESC, stage_name LIMIT 5`,
		`SELECT c.last_name, c.first_name, a.name AS account
		   FROM salesforce_data.contact c JOIN salesforce_data.account a ON a.id = c.account_id
		   ORDER BY c.id LIMIT 3`,
	)
}

// runAndPrint runs the pipeline and prints its LoadInfo, also when the run failed.
func runAndPrint(ctx context.Context, out io.Writer, p *sfdlt.Pipeline, src *sfdlt.Source) error {
	info, err := p.Run(ctx, src)
	if info != nil {
		fmt.Fprint(out, info)
	}
	return err
}

// newSource returns the Salesforce source: a real org when SFDLT_EXAMPLE_REAL_ORG is set to a
// true value, otherwise an emulated org started in this process (srv, for the caller to close).
func newSource(out io.Writer) (src *sfdlt.Source, srv *salesforcetest.Server, err error) {
	real, err := realOrg()
	if err != nil {
		return nil, nil, err
	}
	if real {
		cfg, err := sfdlt.LoadConfig(sfdlt.ConfigOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("reading the Salesforce configuration (SFDLT_EXAMPLE_REAL_ORG is set): %w", err)
		}
		for _, w := range cfg.Warnings {
			fmt.Fprintln(out, "configuration warning:", w)
		}
		src, err := sfdlt.NewSourceFromConfig(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("SFDLT_EXAMPLE_REAL_ORG is set: %w", err)
		}
		fmt.Fprintln(out, "Loading the Salesforce org configured for sfdlt (SFDLT_EXAMPLE_REAL_ORG is set)")
		return src, nil, nil
	}
	srv = salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	c := srv.Credentials()
	src, err = sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken},
		sfdlt.LoginURL(srv.URL()))
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	fmt.Fprintf(out, "Started an emulated Salesforce org at %s (set SFDLT_EXAMPLE_REAL_ORG=1 to load your own org)\n", srv.URL())
	return src, srv, nil
}

// realOrg reads SFDLT_EXAMPLE_REAL_ORG.
func realOrg() (bool, error) {
	v := os.Getenv("SFDLT_EXAMPLE_REAL_ORG")
	if v == "" {
		return false, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("SFDLT_EXAMPLE_REAL_ORG=%q: set it to 1 to load a real org, or unset it for the emulator", v)
	}
	return on, nil
}

// closeSomeOpportunities marks three open opportunities of the emulated org as won. It finds
// them in the DuckDB file run 1 wrote.
func closeSomeOpportunities(ctx context.Context, srv *salesforcetest.Server, file string) error {
	db, err := sql.Open("duckdb", file+"?access_mode=READ_ONLY")
	if err != nil {
		return fmt.Errorf("opening %s: %w", file, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT id FROM salesforce_data.opportunity WHERE NOT is_closed ORDER BY id LIMIT 3`)
	if err != nil {
		return fmt.Errorf("finding open opportunities: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("finding open opportunities: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("finding open opportunities: %w", err)
	}
	if len(ids) < 3 {
		return fmt.Errorf("the emulated org has only %d open opportunities; the example needs 3", len(ids))
	}
	return srv.Update("Opportunity", ids, map[string]any{"StageName": "Closed Won"})
}

// query opens the DuckDB file read-only and prints the result of each query.
func query(ctx context.Context, out io.Writer, file string, queries ...string) error {
	db, err := sql.Open("duckdb", file+"?access_mode=READ_ONLY")
	if err != nil {
		return fmt.Errorf("opening %s: %w", file, err)
	}
	defer db.Close()
	for _, q := range queries {
		if err := printQuery(ctx, out, db, q); err != nil {
			return err
		}
	}
	return nil
}

// printQuery prints a query and its rows as a small text table.
func printQuery(ctx context.Context, out io.Writer, db *sql.DB, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("querying %s: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	table := [][]string{cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("reading the result of %s: %w", q, err)
		}
		line := make([]string, len(cols))
		for i, v := range vals {
			line[i] = cell(v)
		}
		table = append(table, line)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the result of %s: %w", q, err)
	}
	fmt.Fprintf(out, "\n%s\n", strings.Join(strings.Fields(q), " "))
	widths := make([]int, len(cols))
	for _, line := range table {
		for i, c := range line {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, line := range table {
		for i, c := range line {
			fmt.Fprintf(out, "  %-*s", widths[i], c)
		}
		fmt.Fprintln(out)
	}
	return nil
}

// cell formats one value for printing.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		return string(x)
	}
	s := fmt.Sprint(v)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return s
}

package main

// This file is the same in every example but for exampleName: it picks the org (emulated or
// real), the directory to write into, and prints SQL results. The example itself is main.go.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver, to query the result

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/config"
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
		fmt.Fprintf(os.Stderr, "%s: %v\n", exampleName, err)
		os.Exit(1)
	}
}

// workDir is the directory named on the command line (created when missing), or a new
// temporary one, which is kept so that the DuckDB file can be inspected afterwards.
func workDir(args []string) (string, error) {
	switch len(args) {
	case 0:
		dir, err := os.MkdirTemp("", "sfdlt-"+exampleName+"-")
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

// org is the Salesforce org an example loads: the one configured for sfdlt (as dlt configures
// one: .dlt/secrets.toml, ~/.dlt/secrets.toml or SOURCES__SALESFORCE__* variables) when
// SFDLT_EXAMPLE_REAL_ORG is set to a true value, otherwise an emulated org started in this
// process.
type org struct {
	srv *salesforcetest.Server // the emulated org; nil for a real org
	cfg *config.Config         // the configuration of a real org; nil for the emulator
}

// openOrg starts the emulated org or reads the real org's configuration. Close it when done.
func openOrg(out io.Writer) (*org, error) {
	real, err := realOrg()
	if err != nil {
		return nil, err
	}
	if real {
		cfg, err := config.Load(config.Options{})
		if err != nil {
			return nil, fmt.Errorf("reading the Salesforce configuration (SFDLT_EXAMPLE_REAL_ORG is set): %w", err)
		}
		for _, w := range cfg.Warnings {
			fmt.Fprintln(out, "configuration warning:", w)
		}
		if _, err := cfg.Credentials(); err != nil {
			return nil, fmt.Errorf("SFDLT_EXAMPLE_REAL_ORG is set, but: %w", err)
		}
		fmt.Fprintln(out, "Loading the Salesforce org configured for sfdlt (SFDLT_EXAMPLE_REAL_ORG is set)")
		return &org{cfg: cfg}, nil
	}
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	fmt.Fprintf(out, "Started an emulated Salesforce org at %s (set SFDLT_EXAMPLE_REAL_ORG=1 to load your own org)\n", srv.URL())
	return &org{srv: srv}, nil
}

// newSource makes a Salesforce source (the 15 standard resources of dlt's source) on the org.
func (o *org) newSource() (*sfdlt.Source, error) {
	if o.cfg != nil {
		src, err := o.cfg.Source()
		if err != nil {
			return nil, fmt.Errorf("SFDLT_EXAMPLE_REAL_ORG is set, but: %w", err)
		}
		return src, nil
	}
	c := o.srv.Credentials()
	return sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken},
		sfdlt.LoginURL(o.srv.URL()))
}

// Close stops the emulated org.
func (o *org) Close() {
	if o.srv != nil {
		o.srv.Close()
	}
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

// openDuckDB opens the DuckDB file read-only. Call it only after a pipeline run has returned
// (and close it before the next run): within one process, the pipeline shares one handle per
// file and closes it when the run ends.
func openDuckDB(file string) (*sql.DB, error) {
	db, err := sql.Open("duckdb", file+"?access_mode=READ_ONLY")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", file, err)
	}
	return db, nil
}

// query opens the DuckDB file and prints the result of each query.
func query(ctx context.Context, out io.Writer, file string, queries ...string) error {
	db, err := openDuckDB(file)
	if err != nil {
		return err
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
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
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
		var b strings.Builder
		for i, c := range line {
			fmt.Fprintf(&b, "  %-*s", widths[i], c)
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
	}
	return nil
}

// cell formats one value for printing, cut to 40 characters.
func cell(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		s = x.UTC().Format(time.RFC3339)
	case []byte:
		s = string(x)
	default:
		s = fmt.Sprint(v)
	}
	s = strings.Join(strings.Fields(s), " ") // newlines in text values would break the table
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return s
}

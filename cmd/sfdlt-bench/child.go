package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// The harness starts its own executable as a child process for what must not share its
// process: the emulator whose serving the throughput steps measure, and the pipeline whose
// peak RSS step 3 measures. childEnv, set in the child's environment, names the child's role;
// the child's arguments are the role's flags. Users never run these roles.
const (
	childEnv = "SFDLT_BENCH_CHILD"

	roleEmulator = "emulator" // serves an org of --opportunities Opportunity rows, pages cached unless --cache-pages=false
	rolePipeline = "pipeline" // loads Opportunity by REST or Bulk into DuckDB or Postgres and reports its peak RSS
)

// What the children print on stdout for the harness to read.
const (
	listeningPrefix = "listening on "
	peakRSSPrefix   = "peak RSS: "
)

// newChildCmd returns the command of a child role.
func newChildCmd(role string) (*cobra.Command, error) {
	var cmd *cobra.Command
	switch role {
	case roleEmulator:
		cmd = newEmulatorChildCmd()
	case rolePipeline:
		cmd = newPipelineChildCmd()
	default:
		return nil, fmt.Errorf("%s=%q names no child role (%s, %s): unset it to run the benchmark", childEnv, role, roleEmulator, rolePipeline)
	}
	cmd.Args = cobra.NoArgs
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd, nil
}

// emulatorOptions is the org of the throughput and peak-RSS steps: the default org with n
// Opportunity rows, with cache its rendered pages kept so that rendering is measured once, in
// the warm-up.
func emulatorOptions(n int, cache bool) salesforcetest.Options {
	return salesforcetest.Options{Seed: 1, Counts: map[string]int{"Opportunity": n}, CachePages: cache}
}

// newEmulatorChildCmd serves the emulated org until interrupted or until its stdin (a pipe from
// the harness) closes, so that it never outlives the harness.
func newEmulatorChildCmd() *cobra.Command {
	var n int
	var cache bool
	cmd := &cobra.Command{
		Use: roleEmulator,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := salesforcetest.Start("127.0.0.1:0", emulatorOptions(n, cache))
			if err != nil {
				return err
			}
			defer srv.Close()
			if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s%s\n", listeningPrefix, srv.URL()); err != nil {
				return fmt.Errorf("telling the harness the emulator's URL: %w", err)
			}
			closed := make(chan error, 1)
			go func() {
				_, err := io.Copy(io.Discard, cmd.InOrStdin())
				closed <- err
			}()
			select {
			case <-cmd.Context().Done():
				return nil
			case err := <-closed:
				if err != nil {
					return fmt.Errorf("reading the harness's pipe: %w", err)
				}
				return nil
			}
		},
	}
	cmd.Flags().IntVar(&n, "opportunities", 0, "Opportunity rows of the emulated org")
	cmd.Flags().BoolVar(&cache, "cache-pages", true, "keep the rendered pages")
	return cmd
}

// The pipeline child's read paths and destinations (its --read and --dest).
const (
	readREST       = "rest"
	readBulk       = "bulk"
	destDuckDB     = "duckdb"
	destPostgres   = "postgres"
	rowsLoadedText = "rows loaded: "
)

// newPipelineChildCmd loads Opportunity from the emulator at --login-url, by REST or Bulk, into
// a DuckDB file in --dir or a Postgres dataset, as `sfdlt run --resources opportunity` does with
// such a configuration: sfdlt's default settings but the choice of read path, which is what a
// user gets. It prints the rows loaded and its peak RSS.
func newPipelineChildCmd() *cobra.Command {
	var loginURL, dir, read, dest, dsn, dataset string
	cmd := &cobra.Command{
		Use: rolePipeline,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var threshold int
			switch read {
			case readREST:
				threshold = 0 // Bulk off
			case readBulk:
				threshold = 1 // Bulk from the first row, whatever the size
			default:
				return fmt.Errorf("--read %q: give %s or %s", read, readREST, readBulk)
			}
			var d destination.Destination
			switch dest {
			case destDuckDB:
				d = duckdb.New(filepath.Join(dir, "rss.duckdb"))
			case destPostgres:
				if dsn == "" {
					return fmt.Errorf("--dest %s needs --postgres DSN", destPostgres)
				}
				d = postgres.New(dsn)
			default:
				return fmt.Errorf("--dest %q: give %s or %s", dest, destDuckDB, destPostgres)
			}
			src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: salesforcetest.DefaultUserName, Password: salesforcetest.DefaultPassword,
				SecurityToken: salesforcetest.DefaultSecurityToken}, sfdlt.LoginURL(loginURL), sfdlt.BulkThreshold(threshold))
			if err != nil {
				return err
			}
			p, err := sfdlt.NewPipeline("rss", d, sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")), sfdlt.Dataset(dataset))
			if err != nil {
				return err
			}
			info, err := p.Run(cmd.Context(), src.WithResources("opportunity"))
			if err != nil {
				return err
			}
			var rows int64
			for _, t := range info.Tables {
				rows += t.Rows
			}
			kb, err := peakRSSOfSelf()
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s%d\n%s%d KiB\n", rowsLoadedText, rows, peakRSSPrefix, kb); err != nil {
				return fmt.Errorf("telling the harness the peak RSS: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&loginURL, "login-url", "", "the emulator's URL")
	f.StringVar(&dir, "dir", "", "directory for the DuckDB file and the pipeline's state")
	f.StringVar(&read, "read", readREST, "read path: rest or bulk")
	f.StringVar(&dest, "dest", destDuckDB, "destination: duckdb or postgres")
	f.StringVar(&dsn, "postgres", "", "Postgres DSN, with --dest postgres")
	f.StringVar(&dataset, "dataset", "bench", "dataset (schema) to load into")
	return cmd
}

// peakRSSOfSelf returns this process's peak resident set size in KiB: VmHWM, not getrusage's
// ru_maxrss, because Linux carries ru_maxrss over from the parent across exec, so a child of a
// big process would report the parent's peak.
func peakRSSOfSelf() (int64, error) { return procStatusKiB("self", "VmHWM") }

package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// The harness starts its own executable as a child process for what must not share its
// process: the emulator whose serving the throughput steps measure, and the pipeline whose
// peak RSS step 3 measures. childEnv, set in the child's environment, names the child's role;
// the child's arguments are the role's flags. Users never run these roles.
const (
	childEnv = "SFDLT_BENCH_CHILD"

	roleEmulator = "emulator" // serves an org of --opportunities Opportunity rows, pages cached
	rolePipeline = "pipeline" // loads Opportunity by REST into DuckDB and reports its peak RSS
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
// Opportunity rows, its rendered pages kept so that rendering is measured once, in the warm-up.
func emulatorOptions(n int) salesforcetest.Options {
	return salesforcetest.Options{Seed: 1, Counts: map[string]int{"Opportunity": n}, CachePages: true}
}

// newEmulatorChildCmd serves the emulated org until interrupted or until its stdin (a pipe from
// the harness) closes, so that it never outlives the harness.
func newEmulatorChildCmd() *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use: roleEmulator,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := salesforcetest.Start("127.0.0.1:0", emulatorOptions(n))
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
	return cmd
}

// newPipelineChildCmd loads Opportunity from the emulator at --login-url by REST into a DuckDB
// file in --dir, as `sfdlt run --resources opportunity` does with such a configuration, and
// prints its peak RSS.
func newPipelineChildCmd() *cobra.Command {
	var loginURL, dir string
	cmd := &cobra.Command{
		Use: rolePipeline,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: salesforcetest.DefaultUserName, Password: salesforcetest.DefaultPassword,
				SecurityToken: salesforcetest.DefaultSecurityToken}, sfdlt.LoginURL(loginURL), sfdlt.BulkThreshold(0))
			if err != nil {
				return err
			}
			p, err := sfdlt.NewPipeline("rss", duckdb.New(filepath.Join(dir, "rss.duckdb")),
				sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")), sfdlt.Dataset("bench"))
			if err != nil {
				return err
			}
			if _, err := p.Run(cmd.Context(), src.WithResources("opportunity")); err != nil {
				return err
			}
			kb, err := peakRSSOfSelf()
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s%d KiB\n", peakRSSPrefix, kb); err != nil {
				return fmt.Errorf("telling the harness the peak RSS: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&loginURL, "login-url", "", "the emulator's URL")
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the DuckDB file and the pipeline's state")
	return cmd
}

// peakRSSOfSelf returns this process's peak resident set size in KiB: VmHWM, not getrusage's
// ru_maxrss, because Linux carries ru_maxrss over from the parent across exec, so a child of a
// big process would report the parent's peak.
func peakRSSOfSelf() (int64, error) { return procStatusKiB("self", "VmHWM") }

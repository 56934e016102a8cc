// Command sfdlt loads Salesforce into DuckDB or Postgres the way dlt's Salesforce source does,
// and runs an emulated Salesforce org for trying it out.
//
//	sfdlt demo                      # emulated org -> ./salesforce_demo.duckdb, no credentials
//	sfdlt init duckdb               # write .dlt/secrets.toml and .dlt/config.toml templates
//	sfdlt run --resources opportunity,contact
//	sfdlt pipeline salesforce show
//	sfdlt emulator --addr 127.0.0.1:8085
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sfdlt:", err)
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(int(ee))
		}
		os.Exit(1)
	}
}

// exitError carries a specific exit status.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "sfdlt",
		Short:         "Load Salesforce into DuckDB or Postgres, the way dlt's Salesforce source does",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var cpuProfile string
	var stopProfile func()
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (for go tool pprof)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	root.AddCommand(newDemoCmd(), newRunCmd(), newInitCmd(), newPipelineCmd(), newEmulatorCmd())
	return root
}

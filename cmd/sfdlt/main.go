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
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// interrupted is closed on SIGINT or SIGTERM.
func interrupted() <-chan struct{} {
	ch := make(chan struct{})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		close(ch)
	}()
	return ch
}

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
	var printRSS bool
	root.PersistentFlags().BoolVar(&printRSS, "print-peak-rss", false, "print the process's peak resident set size on stderr at the end (for benchmarks)")
	_ = root.PersistentFlags().MarkHidden("print-peak-rss")
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
	root.PersistentPostRun = func(cmd *cobra.Command, _ []string) {
		if stopProfile != nil {
			stopProfile()
		}
		if printRSS {
			// VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent
			// across exec, so a child started by a big process would report the parent's peak.
			if b, err := os.ReadFile("/proc/self/status"); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						fmt.Fprintf(cmd.ErrOrStderr(), "peak RSS: %s KiB\n", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
					}
				}
			}
		}
	}
	root.AddCommand(newDemoCmd(), newRunCmd(), newInitCmd(), newPipelineCmd(), newEmulatorCmd(), newBenchCmd())
	return root
}

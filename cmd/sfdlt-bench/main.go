// Command sfdlt-bench measures sfdlt's throughput, memory and API calls against the Salesforce
// emulator and prints the tables of BENCHMARKS.md. It is the project's benchmark harness, kept
// out of the sfdlt binary that users install:
//
//	go run ./cmd/sfdlt-bench --rows 1000000 --out bench.md
//	go run ./cmd/sfdlt-bench --rows 1000000 --rss-rows 5000000
//	go run ./cmd/sfdlt-bench --rows 20000 --quick
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func main() { os.Exit(run(os.Args[1:])) }

// run executes the command line and returns the exit status. The harness starts child
// processes of its own executable with childEnv set (child.go); the tests' TestMain calls run
// for them, so that the test binary stands in for sfdlt-bench.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRootCmd()
	if role, ok := os.LookupEnv(childEnv); ok {
		var err error
		if cmd, err = newChildCmd(role); err != nil {
			fmt.Fprintln(os.Stderr, "sfdlt-bench:", err)
			return 1
		}
	}
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sfdlt-bench:", err)
		return 1
	}
	return 0
}

func newRootCmd() *cobra.Command {
	var c benchConfig
	var out string
	cmd := &cobra.Command{
		Use:   "sfdlt-bench",
		Short: "Measure throughput, memory and API calls against the emulator, and print BENCHMARKS.md's table",
		Long: `Measure, in one run on this machine:
 1. the limits: the emulator's raw serving rate (a client that does not parse), the REST (JSON) and
    Bulk (CSV) extraction+decoding rates (into a destination that keeps nothing), and the DuckDB
    Appender and Postgres COPY rates for the same decoded rows;
 2. end to end: Opportunity rows (all fields) emulator -> DuckDB and -> Postgres, by REST and by Bulk;
 3. peak RSS of a pipeline process (REST and Bulk, into DuckDB and into Postgres) at --rss-small,
    --rows and, with --rss-rows, a larger size;
 4. with --latency added to every request: all 15 resources against the longest one alone;
 5. API calls of a full load, of an incremental run after 1% of the rows changed, and after none;
 6. with --real-org-rows: a first load and an hourly incremental at a real org's latency, against
    the least time Salesforce's limits and that latency allow.
For steps 1 and 2 the emulator runs in its own process with its pages cached, and the raw
clients replay the exact requests of the pipeline's warm-up (query text, API version, page size,
CSV format), so that they measure serving, not rendering; the report says whether the emulator
served each read path at least 3 times as fast as that path's fastest end-to-end run, and the CPU
seconds it spent. Linux only: the CPU and memory of the other processes are read from /proc.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := c.check(); err != nil {
				return err
			}
			if c.dir, err = os.MkdirTemp("", "sfdlt-bench-"); err != nil {
				return fmt.Errorf("making a work directory: %w; set TMPDIR to a writable directory", err)
			}
			defer func() {
				if rerr := os.RemoveAll(c.dir); rerr != nil {
					err = errors.Join(err, fmt.Errorf("removing the work directory: %w; remove %s yourself", rerr, c.dir))
				}
			}()
			report, err := runBench(cmd.Context(), cmd.ErrOrStderr(), c)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprint(cmd.OutOrStdout(), report); err != nil {
				return fmt.Errorf("printing the report: %w", err)
			}
			if out != "" {
				if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
					return fmt.Errorf("writing the report to --out: %w", err)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&c.rows, "rows", 1_000_000, "Opportunity rows of the end-to-end runs")
	f.IntVar(&c.rssSmall, "rss-small", 100_000, "rows of the small peak-RSS runs")
	f.IntVar(&c.rssRows, "rss-rows", 0, "also measure peak RSS at this many rows (more than --rows, e.g. 5000000), for the growth from --rows; 0 leaves it out")
	f.StringVar(&c.postgresDSN, "postgres", defaultBenchDSN(), "Postgres DSN for the Postgres runs (\"\" skips them)")
	f.DurationVar(&c.latency, "latency", 100*time.Millisecond, "latency added to every request in step 4")
	f.BoolVar(&c.quick, "quick", false, "a short smoke run: no child-process peak-RSS runs")
	f.IntVar(&c.realOrgRows, "real-org-rows", 0, "also run step 6: a first load of this many records over the 15 resources and an hourly incremental at a real org's latency (e.g. 5000000); 0 leaves it out")
	f.Float64Var(&c.realOrgScale, "real-org-scale", 1, "step 6's latencies as a share of a real org's (salesforcetest.RealOrgLatency): 1 is real, 0.1 ten times shorter")
	f.BoolVar(&c.onlyRealOrg, "only-real-org", false, "run step 6 alone (with --real-org-rows)")
	f.StringVar(&out, "out", "", "also write the report to this file")
	return cmd
}

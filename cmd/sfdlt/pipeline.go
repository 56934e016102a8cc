package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func newPipelineCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "pipeline <name> show|info",
		Short: "Show a pipeline's tables, row counts, last loads and incremental state",
		Long: `show: the dataset's tables with row counts, the last loads and the incremental state.
info: the pipeline's state as JSON, and where it is kept.`,
		Args:      cobra.ExactArgs(2),
		ValidArgs: []string{"show", "info"},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.pipelineName = args[0]
			cfg, err := loadConfig(cmd.ErrOrStderr(), f.pipelineName)
			if err != nil {
				return err
			}
			p, err := newPipeline(cfg, f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch args[1] {
			case "show":
				in, err := p.Inspect(cmd.Context(), 10)
				if err != nil {
					return err
				}
				fmt.Fprint(out, in)
			case "info":
				st, err := p.State(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "pipeline %s: local state in %s, dataset %s on %s\n", p.Name(), p.Dir(), p.DatasetName(), p.Destination().Info().Location)
				b, _ := json.MarshalIndent(st, "", "  ")
				fmt.Fprintln(out, string(b))
			default:
				return fmt.Errorf("unknown pipeline command %q: use show or info", args[1])
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.destination, "destination", "duckdb", "destination: duckdb or postgres")
	fl.StringVar(&f.dataset, "dataset-name", "", "dataset (default: from the configuration)")
	return cmd
}

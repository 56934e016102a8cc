package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"
	// go.yaml.in/yaml/v3 is the YAML organization's continuation of gopkg.in/yaml.v3 (archived
	// in 2025), the same API, kept up: `pipeline schema` prints the stored schema as YAML, as
	// dlt does, and its yaml.Node keeps the schema's key order, which a map would lose.
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/internal/web"
)

// pipelineOps are the pipeline command's operations.
var pipelineOps = []string{"show", "info", "schema", "trace", "failed-jobs", "drop"}

func newPipelineCmd() *cobra.Command {
	var f runFlags
	var yes bool
	var format string
	var webPage bool
	var addr string
	cmd := &cobra.Command{
		Use:   "pipeline <name> show|info|schema|trace|failed-jobs|drop [resource...]",
		Short: "Inspect a pipeline (tables, state, schema, last run) or drop resources from it",
		Long: `show: the dataset's tables with row counts, the last loads and the incremental state.
  show --web [--addr 127.0.0.1:PORT]: serve a local page instead and print its address first
  (http://127.0.0.1:PORT/; the default --addr picks a free port on 127.0.0.1). The page shows
  the tables with their columns (dlt and destination types) and newest load, a row browser, a
  read-only SQL box, the load history as charts, the incremental cursors and what the last run
  skipped or failed; never a credential. It serves until interrupted (ctrl-C). Each request
  reads the dataset read-only and lets go of it before answering, so runs can load meanwhile
  (a DuckDB file waits only while a request is being answered).
info: the pipeline's state as JSON, and where it is kept.
schema: the stored schema (the newest _dlt_version row), as YAML (--format json for JSON).
trace: the last run on this machine: its steps with their times, rows per table, API calls,
  errors, notes and skipped objects (kept in <pipelines_dir>/<name>/trace.json by every run).
failed-jobs: what failed in the last run (resources and their errors, the run's error, objects
  skipped with Salesforce's reason), or "no failed jobs".
drop RESOURCE...: drop the resources' tables (with their nested tables) and wipe their state, in
  one transaction with the new schema version and state; the next run loads them in full. Asks
  for confirmation on a terminal; elsewhere it needs --yes.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return fmt.Errorf("name the pipeline and the operation, e.g. sfdlt pipeline salesforce show (operations: %s)", strings.Join(pipelineOps, ", "))
			}
			op := args[1]
			switch {
			case op == "drop" && len(args) < 3:
				return errors.New("name the resources to drop, e.g. sfdlt pipeline salesforce drop opportunity contact (sfdlt pipeline NAME show lists them)")
			case op != "drop" && len(args) > 2:
				return fmt.Errorf("%s takes no further arguments, got %q", op, args[2:])
			case op != "show" && (cmd.Flags().Changed("web") || cmd.Flags().Changed("addr")):
				return fmt.Errorf("--web and --addr go with show, not %s: sfdlt pipeline %s show --web", op, args[0])
			case cmd.Flags().Changed("addr") && !webPage:
				return errors.New("--addr is where the page of show --web is served: add --web")
			}
			return nil
		},
		ValidArgs: pipelineOps,
		RunE: func(cmd *cobra.Command, args []string) error {
			op := args[1]
			if !contains(pipelineOps, op) {
				return fmt.Errorf("unknown pipeline operation %q: use %s", op, strings.Join(pipelineOps, ", "))
			}
			if op == "schema" && format != "yaml" && format != "json" {
				return fmt.Errorf("--format %q: use yaml or json", format)
			}
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
			switch op {
			case "show":
				if webPage {
					return serveWeb(cmd, p, addr)
				}
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
			case "schema":
				row, err := p.StoredSchema(cmd.Context())
				if err != nil {
					return fmt.Errorf("%w (run the pipeline first, or check --dataset-name and --destination)", err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Found schema with name %s, version %d (%s)\n", row.SchemaName, row.Version, row.VersionHash)
				return printSchema(out, row.Schema, format)
			case "trace", "failed-jobs":
				tr, err := p.LastTrace()
				if err != nil {
					return err
				}
				if tr == nil {
					return fmt.Errorf("pipeline %s has no trace in %s: it has not run on this machine (every run of sfdlt run leaves one)", p.Name(), p.Dir())
				}
				if op == "trace" {
					fmt.Fprint(out, tr)
				} else {
					fmt.Fprint(out, tr.FailedJobs())
				}
			case "drop":
				return dropResources(cmd, p, args[2:], yes)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.destination, "destination", "duckdb", "destination: duckdb or postgres")
	fl.StringVar(&f.dataset, "dataset-name", "", "dataset (default: from the configuration)")
	fl.BoolVar(&yes, "yes", false, "drop: do not ask for confirmation (needed when stdin is not a terminal)")
	fl.StringVar(&format, "format", "yaml", "schema: yaml or json")
	fl.BoolVar(&webPage, "web", false, "show: serve a local web page of the data instead of printing (until ctrl-C)")
	fl.StringVar(&addr, "addr", "127.0.0.1:0", "show --web: the host:port to serve on (port 0: a free one)")
	return cmd
}

// serveWeb serves the pipeline's page on addr until the command's context is done (ctrl-C),
// after printing its address as the first line of stdout.
func serveWeb(cmd *cobra.Command, p *sfdlt.Pipeline, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("show --web: cannot listen on %s: %w; pass another --addr (e.g. 127.0.0.1:0 for a free port)", addr, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "http://%s/\n", ln.Addr())
	fmt.Fprintf(cmd.ErrOrStderr(), "Serving pipeline %s, dataset %s on %s; press ctrl-C to stop\n", p.Name(), p.DatasetName(), p.Destination().Info().Location)
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	return web.Serve(cmd.Context(), ln, web.New(p, logger))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dropResources drops the resources after a confirmation: asked on a terminal, --yes elsewhere.
func dropResources(cmd *cobra.Command, p *sfdlt.Pipeline, resources []string, yes bool) error {
	if !yes {
		in := cmd.InOrStdin()
		if !isTerminal(in) {
			return errors.New("drop deletes tables and state and asks for confirmation, but stdin is not a terminal: add --yes to drop without asking")
		}
		question := fmt.Sprintf("About to drop the tables (with their nested tables) and the state of %s from dataset %s on %s. Proceed?",
			strings.Join(resources, ", "), p.DatasetName(), p.Destination().Info().Location)
		if !confirm(in, cmd.ErrOrStderr(), question) {
			return errors.New("drop cancelled: nothing was dropped")
		}
	}
	d, err := p.Drop(cmd.Context(), resources...)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Pipeline %s, dataset %s: %s\n", p.Name(), p.DatasetName(), d)
	return nil
}

// isTerminal reports whether r is a terminal (not merely a character device: /dev/null is one).
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks question on w and reads the answer from r: only y or yes (any case) agrees.
func confirm(r io.Reader, w io.Writer, question string) bool {
	fmt.Fprintf(w, "%s [y/N]: ", question)
	line, _ := bufio.NewReader(r).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// printSchema prints a stored schema (JSON) as YAML, in its own key order, or as indented JSON.
func printSchema(w io.Writer, schemaJSON, format string) error {
	if format == "json" {
		var b bytes.Buffer
		if err := json.Indent(&b, []byte(schemaJSON), "", "  "); err != nil {
			return fmt.Errorf("the stored schema is not valid JSON: %w", err)
		}
		b.WriteString("\n")
		_, err := b.WriteTo(w)
		return err
	}
	// JSON is YAML: parsed into nodes it keeps its key order; with the JSON styles (flow
	// mappings, quoted strings) cleared, the encoder writes block YAML and quotes only the
	// strings that need it ("true", "1.5").
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(schemaJSON), &n); err != nil {
		return fmt.Errorf("the stored schema is not valid JSON: %w", err)
	}
	var plain func(*yaml.Node)
	plain = func(n *yaml.Node) {
		n.Style = 0
		for _, c := range n.Content {
			plain(c)
		}
	}
	plain(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("printing the schema as YAML: %w", err)
	}
	return enc.Close()
}

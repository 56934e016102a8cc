package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

const (
	demoPipeline = "salesforce_demo"
	demoFile     = "salesforce_demo.duckdb"
	demoDataset  = "salesforce_data"
)

func newDemoCmd() *cobra.Command {
	var pipelinesDir, progress string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Load an emulated Salesforce org into ./salesforce_demo.duckdb, change it, and load it again incrementally",
		Long: `Start an emulated Salesforce org in this process (no credentials, no network), load all of
its objects into ./salesforce_demo.duckdb (dataset salesforce_data), then change some records in
the org and run again to show the incremental merge. Each demo starts afresh: it replaces
./salesforce_demo.duckdb and the salesforce_demo pipeline's local state.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), pipelinesDir, progress)
		},
	}
	cmd.Flags().StringVar(&progress, "progress", "", "how the runs show their progress on stderr: bar, log or none (default: bar on a terminal, log elsewhere)")
	cmd.Flags().StringVar(&pipelinesDir, "pipelines-dir", "", "where the demo pipeline keeps its local state (default ~/.dlt/pipelines)")
	return cmd
}

func runDemo(ctx context.Context, out, errOut io.Writer, pipelinesDir, progress string) error {
	mode, note, err := chooseProgress(progress, "", isTerminal(errOut))
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(errOut, note)
	}
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	defer srv.Close()
	c := srv.Credentials()
	fmt.Fprintf(out, "Started an emulated Salesforce org at %s (user %s)\n", srv.URL(), c.UserName)

	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken},
		sfdlt.LoginURL(srv.URL()))
	if err != nil {
		return err
	}
	src.AddObject("Something__c")

	var display progressDisplay = noDisplay{}
	opts := []sfdlt.PipelineOption{sfdlt.Dataset(demoDataset), sfdlt.OnProgress(func(ev sfdlt.Progress) { display.report(ev) })}
	if pipelinesDir != "" {
		opts = append(opts, sfdlt.PipelinesDir(pipelinesDir))
	}
	abs, err := filepath.Abs(demoFile)
	if err != nil {
		return err
	}
	p, err := sfdlt.NewPipeline(demoPipeline, duckdb.New(abs), opts...)
	if err != nil {
		return err
	}
	// Start afresh: a previous demo's state would not match this new emulated org.
	for _, path := range []string{abs, abs + ".wal", p.Dir()} {
		if err := os.RemoveAll(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("starting the demo afresh: removing %s: %w", path, err)
		}
	}

	fmt.Fprintf(out, "\n== 1. Full load of all resources into %s\n\n", abs)
	run := func() (*sfdlt.LoadInfo, error) {
		display = newProgressDisplay(mode, errOut, time.Now)
		info, err := p.Run(ctx, src)
		display.stop(err != nil)
		return info, err
	}
	info, err := run()
	if err != nil {
		return err
	}
	fmt.Fprint(out, info)
	if err := demoShow(ctx, out, p); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n== 2. Changes in the org\n\n")
	changed, err := demoChanges(ctx, srv)
	if err != nil {
		return err
	}
	for _, line := range changed {
		fmt.Fprintln(out, "  "+line)
	}

	fmt.Fprintf(out, "\n== 3. Incremental run: merge tables get only what changed, replace tables are reloaded\n\n")
	srv.ResetCalls()
	info, err = run()
	if err != nil {
		return err
	}
	fmt.Fprint(out, info)
	for _, call := range srv.Calls() {
		if i := strings.Index(call.SOQL, " FROM Opportunity WHERE "); i >= 0 && call.Page == 0 {
			fmt.Fprintf(out, "Opportunity was read with: SELECT ...%s\n", call.SOQL[i:])
		}
	}
	if err := demoShow(ctx, out, p); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nQuery it: duckdb %s \"SELECT stage_name, count(*) FROM %s.opportunity GROUP BY 1\"\n", demoFile, demoDataset)
	return nil
}

func demoShow(ctx context.Context, out io.Writer, p *sfdlt.Pipeline) error {
	in, err := p.Inspect(ctx, 5)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n$ sfdlt pipeline %s show\n", demoPipeline)
	fmt.Fprint(out, in)
	return nil
}

// demoChanges updates, inserts and deletes a few records, as users of the org would.
func demoChanges(ctx context.Context, srv *salesforcetest.Server) ([]string, error) {
	opps, err := firstIDs(ctx, srv, "Opportunity", 5)
	if err != nil {
		return nil, err
	}
	if err := srv.Update("Opportunity", opps[:4], map[string]any{"StageName": "Closed Won", "NextStep": "Signed in the demo"}); err != nil {
		return nil, err
	}
	if err := srv.Delete("Opportunity", opps[4]); err != nil {
		return nil, err
	}
	newID, err := srv.Insert("Account", map[string]any{"Name": "Demo Corp, \"new\" ✓"})
	if err != nil {
		return nil, err
	}
	contacts, err := firstIDs(ctx, srv, "Contact", 1)
	if err != nil {
		return nil, err
	}
	if err := srv.Delete("Contact", contacts[0]); err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("updated 4 opportunities (StageName = Closed Won): %v", opps[:4]),
		fmt.Sprintf("deleted opportunity %s (merge table: kept, with is_deleted = true)", opps[4]),
		fmt.Sprintf("inserted account %s", newID),
		fmt.Sprintf("deleted contact %s (replace table: gone after the reload)", contacts[0]),
	}, nil
}

// firstIDs asks the emulated org for the first n ids of an object, through the Salesforce client.
func firstIDs(ctx context.Context, srv *salesforcetest.Server, object string, n int) ([]string, error) {
	c := srv.Credentials()
	cl, err := client.New(ctx, client.Config{LoginURL: srv.URL(), Credentials: client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}})
	if err != nil {
		return nil, err
	}
	var ids []string
	for page, err := range cl.Query(ctx, fmt.Sprintf("SELECT Id FROM %s ORDER BY Id LIMIT %d", object, n)) {
		if err != nil {
			return nil, err
		}
		for _, raw := range page.Records {
			var rec struct{ Id string }
			if err := json.Unmarshal(raw, &rec); err != nil {
				return nil, err
			}
			ids = append(ids, rec.Id)
		}
	}
	if len(ids) < n {
		return nil, fmt.Errorf("the emulated org has only %d %s records", len(ids), object)
	}
	return ids, nil
}

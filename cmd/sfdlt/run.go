package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/config"
	"github.com/sfdlt/sfdlt/schema"
)

// runFlags are the flags shared by run and pipeline.
type runFlags struct {
	pipelineName string
	destination  string
	dataset      string
	resources    []string
	objects      []string
	devMode      bool
	allObjects   bool
	include      []string
	exclude      []string
	strict       bool
	refresh      string
	progress     string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Load Salesforce into the destination, configured by .dlt/secrets.toml and .dlt/config.toml",
		Long: `Load the Salesforce source into the destination. Credentials and settings come from
.dlt/secrets.toml and .dlt/config.toml in the working directory, then ~/.dlt/, and environment
variables such as SOURCES__SALESFORCE__PASSWORD win over both (see 'sfdlt init').
With --all-objects every object of the org is loaded, custom ones too (see README, "The whole
org"); an object Salesforce refuses to read as a whole is skipped and listed, and the run goes on.
The exit status is 0 only when everything loaded (skipped objects count as loaded unless --strict).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPipeline(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.pipelineName, "pipeline-name", "", "pipeline name (default: pipeline_name from the configuration, else salesforce)")
	fl.StringVar(&f.destination, "destination", "duckdb", "destination: duckdb or postgres")
	fl.StringVar(&f.dataset, "dataset-name", "", "dataset to load into (default: dataset_name from the configuration, else <pipeline_name>_dataset)")
	fl.StringSliceVar(&f.resources, "resources", nil, "load only these resources (tables, e.g. opportunity,contact) and the --objects, comma-separated (default: all)")
	fl.StringSliceVar(&f.objects, "objects", nil, "also load these Salesforce objects (custom ones too), comma-separated, e.g. Something__c")
	fl.BoolVar(&f.devMode, "dev-mode", false, "load into a fresh dataset named <dataset>_<timestamp>, from an empty state")
	fl.BoolVar(&f.allObjects, "all-objects", false, "load every queryable object of the org, custom ones too, beside the standard resources (all_objects)")
	fl.StringSliceVar(&f.include, "objects-include", nil, "with --all-objects, only objects whose API names match these globs, e.g. '*__c' (added to objects_include)")
	fl.StringSliceVar(&f.exclude, "objects-exclude", nil, "with --all-objects, leave out objects whose API names match these globs, e.g. '*History' (added to objects_exclude)")
	fl.BoolVar(&f.strict, "strict", false, "exit with status 1 when --all-objects skipped an object Salesforce refused to read")
	fl.StringVar(&f.progress, "progress", "", "how the run shows its progress on stderr: bar (a bar per resource, on a terminal), log (a line per resource every few seconds) or none (default: progress from the configuration, else bar on a terminal and log elsewhere)")
	fl.StringVar(&f.refresh, "refresh", "", "reset before loading, as dlt's refresh: drop_sources (every table and the state of the source), drop_resources (the selected resources' tables and state) or drop_data (their rows and state, keeping the tables)")
	return cmd
}

// loadConfig reads the configuration and prints its warnings.
func loadConfig(stderr io.Writer, pipelineName string) (*config.Config, error) {
	cfg, err := config.Load(config.Options{PipelineName: pipelineName})
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return cfg, nil
}

// newPipeline builds the pipeline and its destination from the configuration and the flags
// (flags win).
func newPipeline(cfg *config.Config, f runFlags, extra ...sfdlt.PipelineOption) (*sfdlt.Pipeline, error) {
	dest, err := cfg.Destination(f.destination)
	if err != nil {
		return nil, err
	}
	var opts []sfdlt.PipelineOption
	if f.dataset != "" {
		opts = append(opts, sfdlt.Dataset(f.dataset))
	}
	if f.devMode {
		opts = append(opts, sfdlt.DevMode(true))
	}
	if f.refresh != "" {
		opts = append(opts, sfdlt.Refresh(sfdlt.RefreshMode(f.refresh)))
	}
	return cfg.Pipeline(dest, append(opts, extra...)...)
}

func runPipeline(ctx context.Context, stdout, stderr io.Writer, f runFlags) error {
	switch sfdlt.RefreshMode(f.refresh) {
	case "", sfdlt.DropSources, sfdlt.DropResources, sfdlt.DropData:
	default:
		return fmt.Errorf("--refresh %q: use %s, %s or %s", f.refresh, sfdlt.DropSources, sfdlt.DropResources, sfdlt.DropData)
	}
	cfg, err := loadConfig(stderr, f.pipelineName)
	if err != nil {
		return err
	}
	var extra []sfdlt.SourceOption
	if f.allObjects {
		extra = append(extra, sfdlt.AllObjects(true))
	}
	if len(f.include) > 0 {
		extra = append(extra, sfdlt.ObjectsInclude(f.include...))
	}
	if len(f.exclude) > 0 {
		extra = append(extra, sfdlt.ObjectsExclude(f.exclude...))
	}
	src, err := cfg.Source(extra...)
	if err != nil {
		return err
	}
	if err := src.Err(); err != nil {
		return err
	}
	if len(f.resources) > 0 && src.AllObjects() {
		return errors.New("--resources limits the run to named resources, --all-objects loads every object: choose one (narrow --all-objects with --objects-include and --objects-exclude)")
	}
	if src, err = selectResources(src, f.resources, f.objects); err != nil {
		return err
	}
	mode, note, err := chooseProgress(f.progress, cfg.Settings().Pipeline.Progress, isTerminal(stderr))
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(stderr, note)
	}
	// The display is made by the run (its clock starts with it) and stopped before the summary.
	var display progressDisplay = noDisplay{}
	p, err := newPipeline(cfg, f, sfdlt.OnProgress(func(ev sfdlt.Progress) { display.report(ev) }))
	if err != nil {
		return err
	}
	display = newProgressDisplay(mode, stderr, time.Now)
	info, err := p.Run(ctx, src)
	display.stop(err != nil)
	if info != nil {
		fmt.Fprint(stdout, info)
	}
	if err == nil && f.strict && info != nil && len(info.Skipped) > 0 {
		return fmt.Errorf("--strict: %d object(s) were skipped (listed above); the rest is loaded and committed", len(info.Skipped))
	}
	return err
}

// selectResources adds the objects to src and, when resources are named, limits the run to
// them and the objects: an object named with --objects is always loaded, and --resources may
// name its table as well. A standard object (--objects Opportunity) is loaded by its standard
// resource.
func selectResources(src *sfdlt.Source, resources, objects []string) (*sfdlt.Source, error) {
	var tables []string
	for _, o := range objects {
		o = strings.TrimSpace(o)
		table := schema.NormalizeTableName(o)
		// API names are case-insensitive in Salesforce.
		if r, err := src.Resource(table); err != nil || !strings.EqualFold(r.Object(), o) {
			src.AddObject(o)
		}
		tables = append(tables, table)
	}
	if err := src.Err(); err != nil {
		return nil, fmt.Errorf("--objects: %w", err)
	}
	if len(resources) == 0 {
		return src, nil
	}
	names := make([]string, 0, len(resources)+len(tables))
	for _, r := range resources {
		names = append(names, strings.TrimSpace(r))
	}
	src = src.WithResources(append(names, tables...)...)
	if err := src.Err(); err != nil {
		return nil, fmt.Errorf("--resources: %w; name any other Salesforce object, custom ones too, with --objects (e.g. --objects Invoice__c)", err)
	}
	return src, nil
}

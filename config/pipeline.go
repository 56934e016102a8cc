package config

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination"
)

// PipelineSettings are the pipeline settings dlt reads from the top level of config.toml (or
// from the pipeline's own section, [<pipeline_name>]): pipeline_name, dataset_name,
// pipelines_dir, dev_mode, commit_every, refresh and progress; env PIPELINE_NAME, DATASET_NAME,
// PIPELINES_DIR, DEV_MODE, COMMIT_EVERY, REFRESH, PROGRESS.
type PipelineSettings struct {
	Name        string // never empty: Options.PipelineName, pipeline_name, or "salesforce"
	DatasetName string // "": sfdlt.NewPipeline's default, <pipeline_name>_dataset
	// PipelinesDir is absolute; default <home>/.dlt/pipelines ("" when there is no home
	// directory: sfdlt.NewPipeline then looks for one and fails without).
	PipelinesDir string
	DevMode      bool
	// CommitEvery is commit_every (see sfdlt.CommitEvery); nil when not set, which is
	// sfdlt.DefaultCommitEvery.
	CommitEvery *int
	// Refresh is refresh, dlt's pipeline setting (see sfdlt.Refresh): what every run of the
	// pipeline resets before it loads; "" for nothing.
	Refresh sfdlt.RefreshMode
	// Progress is progress: how `sfdlt run` shows its progress (bar, log or none; "" lets the
	// CLI choose: bars on a terminal, log lines elsewhere). The library shows none: see
	// sfdlt.OnProgress.
	Progress string
}

// pipelineKeys are the pipeline settings, in the order String shows them.
var pipelineKeys = []keySpec{
	{name: "pipeline_name"}, {name: "dataset_name"}, {name: "pipelines_dir"},
	{name: "dev_mode", kind: kindBool}, {name: "commit_every", kind: kindInt}, {name: "refresh"},
	{name: "progress"},
}

// options turns the settings into options for sfdlt.NewPipeline (the name is its first
// argument).
func (p PipelineSettings) options() []sfdlt.PipelineOption {
	var opts []sfdlt.PipelineOption
	if p.DatasetName != "" {
		opts = append(opts, sfdlt.Dataset(p.DatasetName))
	}
	if p.PipelinesDir != "" {
		opts = append(opts, sfdlt.PipelinesDir(p.PipelinesDir))
	}
	if p.DevMode {
		opts = append(opts, sfdlt.DevMode(true))
	}
	if p.CommitEvery != nil {
		opts = append(opts, sfdlt.CommitEvery(*p.CommitEvery))
	}
	if p.Refresh != "" {
		opts = append(opts, sfdlt.Refresh(p.Refresh))
	}
	return opts
}

// Pipeline makes the pipeline the configuration describes (its name, dataset, pipelines
// directory, dev mode, commit_every), loading into dest (see Destination). extra options are
// applied after those of the configuration, so explicit options win.
func (c *Config) Pipeline(dest destination.Destination, extra ...sfdlt.PipelineOption) (*sfdlt.Pipeline, error) {
	if c == nil || c.st == nil {
		return nil, errNoConfig
	}
	p := c.st.settings.Pipeline
	return sfdlt.NewPipeline(p.Name, dest, append(p.options(), extra...)...)
}

// resolvePipeline resolves the pipeline settings. The pipeline name comes first: it is the
// first section of every other lookup.
func (c *Config) resolvePipeline(explicit string) []error {
	s := c.st
	p := &s.settings.Pipeline
	var errs []error
	switch {
	case explicit != "":
		p.Name = explicit
		s.found["pipeline_name"] = found{key: "pipeline_name", shown: explicit, origin: "given by the caller"}
	default:
		p.Name = defaultPipelineName
		s.found["pipeline_name"] = found{key: "pipeline_name", shown: defaultPipelineName, origin: "default"}
		if h, ok := s.find([][]string{{"pipeline_name"}}, false); ok {
			if v, err := h.asString(false); err != nil {
				errs = append(errs, err)
			} else {
				p.Name = v
				c.set("pipeline_name", h, v, false)
			}
		}
	}
	s.pipeline = p.Name

	for _, k := range pipelineKeys[1:] {
		h, ok := s.find([][]string{{k.name}}, true)
		if !ok {
			continue
		}
		var shown string
		var err error
		switch k.name {
		case "dataset_name":
			p.DatasetName, err = h.asString(false)
			shown = p.DatasetName
		case "pipelines_dir":
			var v string
			if v, err = h.asString(false); err == nil {
				p.PipelinesDir = s.path(v)
				shown = p.PipelinesDir
			}
		case "dev_mode":
			p.DevMode, err = h.asBool()
			shown = strconv.FormatBool(p.DevMode)
		case "refresh":
			v, _ := h.raw.(string)
			switch mode := sfdlt.RefreshMode(strings.TrimSpace(v)); mode {
			case sfdlt.DropSources, sfdlt.DropResources, sfdlt.DropData:
				p.Refresh, shown = mode, string(mode)
			default:
				err = h.valueError(false, fmt.Sprintf("%q, %q or %q", sfdlt.DropSources, sfdlt.DropResources, sfdlt.DropData),
					`write refresh = "drop_resources" (or leave it out: runs then reset nothing)`)
			}
		case "progress":
			v, _ := h.raw.(string)
			switch v = strings.TrimSpace(v); v {
			case "bar", "log", "none":
				p.Progress, shown = v, v
			default:
				err = h.valueError(false, `"bar", "log" or "none"`,
					`write progress = "log" (or leave it out: bars on a terminal, log lines elsewhere)`)
			}
		case "commit_every":
			var n int
			if n, err = h.asInt(0, maxWhole); err == nil {
				p.CommitEvery = &n
				shown = strconv.Itoa(n)
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.set(k.name, h, shown, false)
	}
	if p.PipelinesDir == "" && s.homeDir != "" {
		p.PipelinesDir = filepath.Join(s.homeDir, ".dlt", "pipelines")
	}
	return errs
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sfdlt/sfdlt/destination/postgres"
)

// rssPath is a read path and a destination of the peak-RSS runs.
type rssPath struct {
	read, dest string // the pipeline child's --read and --dest
}

func (p rssPath) String() string {
	return map[string]string{readREST: "REST", readBulk: "Bulk"}[p.read] + " -> " + map[string]string{destDuckDB: "DuckDB", destPostgres: "Postgres"}[p.dest]
}

// rssPaths are the paths whose peak RSS step 3 measures: both read paths into each destination.
func rssPaths(postgresDSN string) []rssPath {
	paths := []rssPath{{readREST, destDuckDB}, {readBulk, destDuckDB}}
	if postgresDSN != "" {
		paths = append(paths, rssPath{readREST, destPostgres}, rssPath{readBulk, destPostgres})
	}
	return paths
}

// The memory target: a pipeline's peak RSS at most rssTargetMiB at 1M rows, growing by
// less than rssTargetGrowth from 1M to 5M rows.
const (
	rssTargetMiB    = 400
	rssTargetGrowth = 0.20
)

var (
	peakRSSLine    = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(peakRSSPrefix) + `(\d+) KiB$`)
	rowsLoadedLine = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(rowsLoadedText) + `(\d+)$`)
)

// peakRSS loads the n Opportunity rows of the emulator at emURL along path in a child process
// (rolePipeline) and returns the child's peak resident set size in KiB. Into Postgres it loads a
// dataset of its own, dropped before and after.
func peakRSS(ctx context.Context, emURL, dir, postgresDSN string, path rssPath, n int) (kib int64, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("finding sfdlt-bench's own executable to start the pipeline process: %w", err)
	}
	work := filepath.Join(dir, fmt.Sprintf("rss_%s_%s_%d", path.read, path.dest, n))
	if err := os.MkdirAll(work, 0o700); err != nil {
		return 0, fmt.Errorf("making the pipeline process's directory: %w", err)
	}
	args := []string{"--login-url", emURL, "--dir", work, "--read", path.read, "--dest", path.dest}
	if path.dest == destPostgres {
		const dataset = "bench_rss"
		args = append(args, "--postgres", postgresDSN, "--dataset", dataset)
		pg := postgres.New(postgresDSN)
		if err := dropDataset(ctx, pg, dataset); err != nil {
			return 0, err
		}
		defer func() {
			if derr := dropDataset(context.WithoutCancel(ctx), pg, dataset); derr != nil && err == nil {
				err = derr
			}
		}()
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+rolePipeline)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("the pipeline process (%s) failed: %w%s", path, err, childOutput(out.String()))
	}
	// The child reports its own peak: the rusage Wait returns can be the maximum over all of
	// this process's children.
	m := peakRSSLine.FindStringSubmatch(out.String())
	r := rowsLoadedLine.FindStringSubmatch(out.String())
	if m == nil || r == nil {
		return 0, fmt.Errorf("the pipeline process (%s) reported no peak RSS or no rows%s", path, childOutput(out.String()))
	}
	if r[1] != strconv.Itoa(n) {
		return 0, fmt.Errorf("the pipeline process (%s) loaded %s rows of the emulator's %d%s", path, r[1], n, childOutput(out.String()))
	}
	return strconv.ParseInt(m[1], 10, 64)
}

// rssTable formats the peak RSS of each path at each size (ascending) with its growth from the
// size before, and whether the path meets the target at rows (--rows) and, when measured, from
// there to next (--rss-rows; 0 when not measured).
func rssTable(paths []rssPath, sizes []int, rows, next int, kib map[rssPath]map[int]int64) string {
	var b strings.Builder
	b.WriteString("| path |")
	sep := "|---|"
	for i, n := range sizes {
		fmt.Fprintf(&b, " %s rows |", thousands(float64(n)))
		sep += "---:|"
		if i > 0 {
			b.WriteString(" growth |")
			sep += "---:|"
		}
	}
	b.WriteString(" target met |\n" + sep + "---|\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "| %s |", p)
		for i, n := range sizes {
			fmt.Fprintf(&b, " %d MiB |", kib[p][n]/1024)
			if i > 0 {
				fmt.Fprintf(&b, " %+.0f%% |", growth(kib[p][sizes[i-1]], kib[p][n])*100)
			}
		}
		met := yesNo(kib[p][rows] <= rssTargetMiB*1024)
		switch {
		case next > 0:
			met = yesNo(kib[p][rows] <= rssTargetMiB*1024 && growth(kib[p][rows], kib[p][next]) < rssTargetGrowth)
		case kib[p][rows] <= rssTargetMiB*1024:
			met = "yes at --rows; growth not measured (--rss-rows)"
		}
		fmt.Fprintf(&b, " %s |\n", met)
	}
	fmt.Fprintf(&b, "\nTarget (issue 15): at most %d MiB at 1,000,000 rows and less than %.0f%% growth from 1,000,000 to 5,000,000 rows; checked here at --rows (%s)",
		rssTargetMiB, rssTargetGrowth*100, thousands(float64(rows)))
	if next > 0 {
		fmt.Fprintf(&b, " and from there to --rss-rows (%s).\n", thousands(float64(next)))
	} else {
		b.WriteString("; the growth needs --rss-rows (e.g. 5000000).\n")
	}
	return b.String()
}

func growth(from, to int64) float64 { return float64(to)/float64(from) - 1 }

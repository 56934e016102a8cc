package main

import (
	"fmt"
	"strings"
)

// The perfect pipeline: the best rate a run could reach if its stages overlapped fully, given
// what each stage costs in CPU per row (measured in the same run, each stage alone) and the
// machine's cores. With c_i the CPU seconds per row of stage i and n the cores:
//
//	perfect = min(n / sum(c_i), 1 / c_s for each single-stream stage s)
//
// All stages share the n cores (the emulator runs on this machine too), and a stage that cannot
// use more than one core can go no faster than one core lets it. The single streams: the load
// (one loader writes a load) and the fetch + decode + normalize of one object (its pages are
// decoded in one goroutine, one after another, REST and Bulk alike). The serving is not: the
// emulator answers requests on all cores. The CPU of a single stream is measured for the whole
// process, the garbage collector's work beside it on other cores included, so 1 / c_s is lower
// than the stream's true bound: where it binds, the perfect figure is on the low side.

// stage is one stage of a path, with its CPU cost.
type stage struct {
	name   string
	cpu    float64 // CPU seconds per row
	single bool    // cannot run on more than one core
}

// perfectRate is the perfect pipeline's rate in rows per second, and what bounds it: "all
// cores" or a single-stream stage's name.
func perfectRate(cores int, stages []stage) (rate float64, bound string) {
	var sum float64
	for _, s := range stages {
		sum += s.cpu
	}
	if sum <= 0 {
		return 0, "no CPU measured"
	}
	rate, bound = float64(cores)/sum, "all cores"
	for _, s := range stages {
		if r := 1 / s.cpu; s.single && s.cpu > 0 && r < rate {
			rate, bound = r, s.name+", one core"
		}
	}
	return rate, bound
}

// perfectPath is an end-to-end path with the stages it goes through.
type perfectPath struct {
	run    benchResult
	stages []stage // serving, fetch + decode + normalize, load
	note   string  // why the figure is missing, when a stage was not measured
}

// perfectTable formats the perfect figure of each path against its end-to-end run.
func perfectTable(cores int, paths []perfectPath) string {
	var b strings.Builder
	above := false // a path faster than its perfect figure
	fmt.Fprintf(&b, "| path | serving (emulator) CPU s / 1M rows | fetch + decode + normalize (sfdlt) | load | perfect rows/s | bound by | end to end rows/s | ratio | target >= 0.7 |\n|---|---:|---:|---:|---:|---|---:|---:|---|\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "| %s |", p.run.name)
		for _, s := range p.stages {
			fmt.Fprintf(&b, " %.1f |", s.cpu*1e6)
		}
		if p.note != "" {
			fmt.Fprintf(&b, " - | %s | %s | - | - |\n", p.note, thousands(p.run.rate()))
			continue
		}
		rate, bound := perfectRate(cores, p.stages)
		if rate == 0 {
			fmt.Fprintf(&b, " - | %s | %s | - | - |\n", bound, thousands(p.run.rate()))
			continue
		}
		ratio := p.run.rate() / rate
		fmt.Fprintf(&b, " %s | %s | %s | %.2f | %s |\n", thousands(rate), bound, thousands(p.run.rate()), ratio, yesNo(ratio >= 0.7))
		above = above || ratio > 1
	}
	if above {
		b.WriteString("\nA ratio above 1: a stage cost more CPU per row in its run alone than within the end-to-end run, which is noise between runs (other work on the machine, " +
			"the garbage collector's timing); compare the ratios of runs that have none above 1.\n")
	}
	return b.String()
}

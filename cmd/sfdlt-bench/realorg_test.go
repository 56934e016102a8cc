package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// TestRealOrgRunsReport runs both real-org cases on a tiny org with a hundredth of a real org's
// latency and checks the report's shape, never its times.
func TestRealOrgRunsReport(t *testing.T) {
	var log strings.Builder
	report, err := realOrgRuns(context.Background(), &log, t.TempDir(), 0.01, 3000)
	if err != nil {
		t.Fatalf("realOrgRuns: %v\nprogress:\n%s", err, log.String())
	}
	for _, want := range []string{
		"### Real-org latency: the times a user should expect",
		"scaled by 0.01",
		"Org: 3,000 rows over the 15 resources",
		"#### a. First load of a 3,000-row org at real-org latency",
		"#### b. Hourly incremental of 15 resources at real-org latency",
		"| wall time |",
		"| rows/s |",
		"| Salesforce API calls |",
		"| CPU (sfdlt and the emulator) |",
		"| bound |",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report has no %q:\n%s", want, report)
		}
	}
	bounds := regexp.MustCompile(`(?m)^Bound: [0-9.]+ s at scale 0\.01 \([0-9.]+ s at real latency\).*\*\*Ratio bound/actual: [0-9.]+\*\*`).FindAllString(report, -1)
	if len(bounds) != 2 {
		t.Errorf("%d bound lines with a ratio, want 2 (one per run):\n%s", len(bounds), report)
	}
	for _, obj := range []string{"Opportunity", "Task", "Pricebook2", "User"} {
		if n := strings.Count(report, "\n| "+obj+" |"); n != 2 {
			t.Errorf("%s has %d rows in the per-object tables, want 2", obj, n)
		}
	}
	if !strings.Contains(log.String(), "hourly incremental") {
		t.Errorf("no progress line for the incremental run:\n%s", log.String())
	}
}

func TestRealOrgRunsChecksArguments(t *testing.T) {
	for _, tc := range []struct {
		scale float64
		rows  int
		want  string
	}{
		{0, 3000, "scale 0: give a positive factor"},
		{-1, 3000, "scale -1: give a positive factor"},
		{0.1, 3, "3 rows: give at least 15, one per resource"},
	} {
		_, err := realOrgRuns(context.Background(), &strings.Builder{}, t.TempDir(), tc.scale, tc.rows)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("scale %v, rows %d: error %v, want %q", tc.scale, tc.rows, err, tc.want)
		}
	}
}

// TestRealOrgBound checks the bound's formula on shapes whose answer is known.
func TestRealOrgBound(t *testing.T) {
	l := salesforcetest.RealOrgLatency()
	const call = 150 * time.Millisecond
	one := func(n, perPage int, bpr float64) []shape {
		return []shape{{object: "A", records: n, perPage: perPage, bytesPerRow: bpr}}
	}
	for _, tc := range []struct {
		name  string
		objs  []shape
		scale float64
		want  time.Duration
		bulk  []string
	}{
		// One page of 2,000 records: 1.5 s after login and describe.
		{"one REST page", one(2000, 2000, 500), 1, 2*call + 1500*time.Millisecond, nil},
		// 20 pages of 2,000: 10 cursors read them in 2 rounds of 1.5 s; Bulk takes 5 s and more.
		{"REST on 10 cursors", one(40_000, 2000, 500), 1, 2*call + 3000*time.Millisecond, nil},
		// Pages of 1,000 (long text): 40 pages, 3 s more of QueryPage, over 10 cursors.
		{"pages of 1,000", one(40_000, 1000, 500), 1, 2*call + 3300*time.Millisecond, nil},
		// 1M records: REST 500 pages / 10 = 75 s; Bulk: 150 ms create + 45 s + 150 ms poll +
		// min(0.5 + 400 MB at 10 MB/s, 0.15 + 0.5 + 40/5 s) = 45.3 + 8.65 s.
		{"Bulk for a million", one(1_000_000, 2000, 400), 1, 2*call + 53950*time.Millisecond, []string{"A"}},
		// The same at scale 0.1: a tenth.
		{"scaled", one(1_000_000, 2000, 400), 0.1, (2*call + 53950*time.Millisecond) / 10, []string{"A"}},
		// A big object by Bulk while the small ones share the cursors.
		{"split", []shape{{"Big", 1_000_000, 2000, 400}, {"S1", 2000, 2000, 0}, {"S2", 2000, 2000, 0}}, 1, 2*call + 53950*time.Millisecond, []string{"Big"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.Scale = tc.scale
			got := realOrgBound(l, tc.objs)
			if d := got.total - tc.want; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("bound %v, want %v", got.total, tc.want)
			}
			if strings.Join(got.bulk, ",") != strings.Join(tc.bulk, ",") {
				t.Errorf("Bulk for %v, want %v", got.bulk, tc.bulk)
			}
		})
	}
}

// TestRealOrgSfdltWay checks the model of sfdlt's way on shapes whose answer is known.
func TestRealOrgSfdltWay(t *testing.T) {
	l := salesforcetest.RealOrgLatency()
	const call = 150 * time.Millisecond
	// Nine one-page objects on 8 cursors: the ninth waits for the first page to end.
	var nine []shape
	for i := range 9 {
		nine = append(nine, shape{object: fmt.Sprint(i), records: 2000, perPage: 2000})
	}
	total, ends := sfdltWay(l, nine, make([]bool, 9))
	if want := 2*call + 3*time.Second; !near(total, want) || !near(ends[8], want) || !near(ends[0], 2*call+1500*time.Millisecond) {
		t.Errorf("nine pages on 8 cursors: %v, ends %v; want %v, the last waiting for a cursor", total, ends, want)
	}
	// A Bulk read of 1M rows of 400 bytes: counted (150 ms, no cursor), then created, it
	// completes 45 s after the creation's answer (150 ms), seen by the poll arriving 46.58 s
	// after the creation was sent (waits of 1 s while a quarter of the time run is less, then a
	// quarter of it, each poll's answer 150 ms: polls at
	// 1.15, 2.3, 3.45, 4.6, 5.86, 7.44, 9.41, 11.88, 14.96, 18.81, 23.63, 29.65, 37.18, 46.58
	// s), whose answer takes 150 ms; then 100 pages of 10,000 rows (4 MB, 0.9 s each), 5 at a
	// time: 20 rounds, 18 s.
	total, _ = sfdltWay(l, []shape{{"Big", 1_000_000, 2000, 400}}, []bool{true})
	if want := 2*call + call + 46581790*time.Microsecond + call + 18*time.Second; total-want > time.Millisecond || want-total > time.Millisecond {
		t.Errorf("Bulk read of a million rows: %v, want %v", total, want)
	}
}

// near reports whether two computed durations agree to a microsecond.
func near(a, b time.Duration) bool { return a-b < time.Microsecond && b-a < time.Microsecond }

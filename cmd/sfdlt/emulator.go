package main

import (
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func newEmulatorCmd() *cobra.Command {
	var (
		addr     string
		seed     int64
		scale    float64
		opts     salesforcetest.Options
		counts   map[string]int
		wide     map[string]int
		noLimits bool
		latency  time.Duration
		realOrg  float64
	)
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run an emulated Salesforce org (REST, SOAP and OAuth logins) until interrupted",
		Long: `Run an emulated Salesforce org on a local address. It serves the login endpoints
(SOAP login, OAuth 2.0 password, client credentials, JWT bearer, refresh token), the REST
versions list, describe, limits, query, queryAll and deleted endpoints and Bulk API 2.0 query
jobs, with a synthetic org of the 15 objects dlt's Salesforce source loads plus Something__c.
Point any Salesforce client, or curl, at the URL it prints.

Like a real org, it enforces Salesforce's limits: 10 open query cursors per user (the oldest is
released when one more opens, and its nextRecordsUrl answers INVALID_QUERY_LOCATOR), query
locators expiring after 15 minutes unused, request URIs of at most 16,384 bytes (414, or 431 with
the headers), SOQL of at most 100,000 characters, and 25 concurrent requests running 20 seconds or
more (403 REQUEST_LIMIT_EXCEEDED). --no-limits turns them all off.

--wide gives an object that many extra custom fields of every type (text, long and rich text,
picklists, numbers, currency, percent, dates, times, lookups, geolocations, encrypted text and
formulas), with long names like a real org's: --wide Account=800 makes a SELECT of every field far
longer than the URI limit, to test how a client splits wide objects.

--whole-org adds the objects a real org has beyond those (see salesforcetest.Options.WholeOrg),
to try whole-org loads: sfdlt run --all-objects.

--real-org-latency 1 answers as slowly as a real org (salesforcetest.RealOrgLatency: a REST page
of 2,000 records in 1.5 s, Bulk jobs that take seconds to minutes, result pages at network
speed); 0.1 makes every wait ten times shorter.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if scale <= 0 || math.IsInf(scale, 0) || math.IsNaN(scale) {
				return fmt.Errorf("--scale must be a positive number, not %v", scale)
			}
			opts.Seed = seed
			opts.Counts = scaledCounts(scale, opts.WholeOrg)
			known := salesforcetest.DefaultCounts()
			if opts.WholeOrg {
				maps.Copy(known, salesforcetest.WholeOrgCounts())
			}
			for obj, n := range counts {
				if _, ok := known[obj]; !ok {
					return fmt.Errorf("--count %s=%d: the emulated org has no object %s", obj, n, obj)
				}
				if n < 0 {
					return fmt.Errorf("--count %s=%d: counts cannot be negative", obj, n)
				}
				opts.Counts[obj] = n
			}
			opts.Wide = map[string]int{}
			for obj, n := range wide {
				if _, ok := known[obj]; !ok {
					return fmt.Errorf("--wide %s=%d: the emulated org has no object %s", obj, n, obj)
				}
				if n < 0 {
					return fmt.Errorf("--wide %s=%d: a number of fields cannot be negative", obj, n)
				}
				opts.Wide[obj] = n
			}
			if noLimits {
				opts.Limits = salesforcetest.NoLimits()
			}
			if realOrg < 0 || math.IsInf(realOrg, 0) || math.IsNaN(realOrg) {
				return fmt.Errorf("--real-org-latency %v: give a factor of 0 or more (1 is a real org's latency, 0 none)", realOrg)
			}
			if realOrg > 0 {
				opts.Latency = salesforcetest.RealOrgLatency()
				opts.Latency.Scale = realOrg
			}
			opts.Faults.Latency = latency
			srv, err := salesforcetest.Start(addr, opts)
			if err != nil {
				return err
			}
			defer srv.Close()
			c := srv.Credentials()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Salesforce emulator listening on %s\n", srv.URL())
			fmt.Fprintf(out, "  user name:       %s\n  password:        %s\n  security token:  %s\n", c.UserName, c.Password, c.SecurityToken)
			fmt.Fprintf(out, "  client id:       %s\n  client secret:   %s\n", c.ClientID, c.ClientSecret)
			fmt.Fprintf(out, "Try: curl %s/services/data/\n", srv.URL())
			fmt.Fprintln(out, "Press Ctrl-C to stop.")
			<-cmd.Context().Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8085", "address to listen on")
	f.Int64Var(&seed, "seed", 1, "seed of the generated data (equal seeds give equal orgs)")
	f.Float64Var(&scale, "scale", 1, "multiplies the default record count of every object")
	f.StringToIntVar(&counts, "count", nil, "record count of one object, e.g. --count Opportunity=1000000 (repeatable; wins over --scale)")
	f.StringToIntVar(&wide, "wide", nil, "extra custom fields of every type on an object, e.g. --wide Account=800 (repeatable or comma-separated)")
	f.BoolVar(&opts.WholeOrg, "whole-org", false, "add the objects a real org has beyond the standard ones (field history, shares, filter- and permission-restricted objects, events, an external object, large, wide and long-named custom objects), for sfdlt run --all-objects")
	f.BoolVar(&noLimits, "no-limits", false, "turn off every limit a real org enforces (query cursors, locator idle time, URI and SOQL length, concurrent long requests)")
	f.BoolVar(&opts.CachePages, "cache-pages", false, "keep rendered pages in memory and serve them again as bytes (for benchmarks)")
	f.DurationVar(&latency, "latency", 0, "added to every request, e.g. 100ms")
	f.Float64Var(&realOrg, "real-org-latency", 0, "answer with a real org's latencies multiplied by this factor (1: a real org's, 0.1: ten times shorter, 0: none)")
	f.StringVar(&opts.UserName, "user-name", "", "user name the emulator accepts (default "+salesforcetest.DefaultUserName+")")
	f.StringVar(&opts.Password, "password", "", "password it accepts (default "+salesforcetest.DefaultPassword+")")
	f.StringVar(&opts.SecurityToken, "security-token", "", "security token it accepts (default "+salesforcetest.DefaultSecurityToken+")")
	f.StringVar(&opts.ClientID, "client-id", "", "OAuth client id it accepts (default "+salesforcetest.DefaultClientID+")")
	f.StringVar(&opts.ClientSecret, "client-secret", "", "OAuth client secret it accepts (default "+salesforcetest.DefaultClientSecret+")")
	return cmd
}

// scaledCounts multiplies the emulator's default counts (at least one record per object), with
// the whole org's objects when wholeOrg.
func scaledCounts(scale float64, wholeOrg bool) map[string]int {
	counts := salesforcetest.DefaultCounts()
	if wholeOrg {
		maps.Copy(counts, salesforcetest.WholeOrgCounts())
	}
	for k, v := range counts {
		counts[k] = max(1, int(math.Round(float64(v)*scale)))
	}
	return counts
}

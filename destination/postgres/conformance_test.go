package postgres

import (
	"testing"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// TestConformance runs the destination conformance suite, each subtest in its own schema.
func TestConformance(t *testing.T) {
	destinationtest.Run(t, func(t *testing.T) destinationtest.Target {
		d, ds := target(t)
		return destinationtest.Target{Destination: d, Dataset: ds}
	})
}

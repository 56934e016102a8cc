package duckdb

import (
	"path/filepath"
	"testing"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// TestConformance runs the destination conformance suite, each subtest on a fresh file.
func TestConformance(t *testing.T) {
	destinationtest.Run(t, func(t *testing.T) destinationtest.Target {
		return destinationtest.Target{Destination: New(filepath.Join(t.TempDir(), "conformance.duckdb")), Dataset: testDataset}
	})
}

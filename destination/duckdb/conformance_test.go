package duckdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// TestConformance runs the destination conformance suite, each subtest on a fresh file.
func TestConformance(t *testing.T) {
	destinationtest.Run(t, func(t *testing.T) destinationtest.Target {
		file := filepath.Join(t.TempDir(), "conformance.duckdb")
		return destinationtest.Target{Destination: New(file), Dataset: testDataset, Exists: func(context.Context) (bool, error) {
			return exists(file) || exists(file+".wal"), nil
		}}
	})
}

// TestOptionalInterfaces checks that the loads implement the optional interfaces sfdlt uses,
// so that the conformance suite tests them rather than skipping them.
func TestOptionalInterfaces(t *testing.T) {
	d, _ := newFile(t)
	l, err := openSession(t, d, "p").Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if _, ok := l.(destination.Flagger); !ok {
		t.Errorf("the load is a %T, which does not implement destination.Flagger", l)
	}
	if _, ok := l.(destination.Pruner); !ok {
		t.Errorf("the load is a %T, which does not implement destination.Pruner", l)
	}
}

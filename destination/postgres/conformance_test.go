package postgres

import (
	"context"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/destination/internal/sqlload"
)

// TestConformance runs the destination conformance suite, each subtest in its own schema.
func TestConformance(t *testing.T) {
	destinationtest.Run(t, func(t *testing.T) destinationtest.Target {
		d, ds := target(t)
		db := admin(t)
		return destinationtest.Target{Destination: d, Dataset: ds, Exists: func(ctx context.Context) (bool, error) {
			var n int
			err := db.GetContext(ctx, &n, "SELECT count(*) FROM pg_namespace WHERE nspname IN ($1, $2)", ds, sqlload.StagingDataset(ds))
			return n > 0, err
		}}
	})
}

// TestOptionalInterfaces checks that the loads implement the optional interfaces sfdlt uses,
// so that the conformance suite tests them rather than skipping them.
func TestOptionalInterfaces(t *testing.T) {
	d, ds := target(t)
	s, err := d.Open(t.Context(), ds, "p")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Begin(t.Context())
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

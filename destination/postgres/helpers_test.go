package postgres

import (
	"context"
	"testing"

	"github.com/sfdlt/sfdlt/destination/destinationtest"
)

// target returns the test Postgres (or skips) and a dataset unique to t, dropped with its
// staging dataset at the end of the test.
func target(t *testing.T) (*Destination, string) {
	t.Helper()
	d := New(destinationtest.PostgresDSN(t))
	ds := destinationtest.DatasetName(t)
	t.Cleanup(func() {
		if err := d.DropDataset(context.Background(), ds); err != nil {
			t.Errorf("dropping dataset %s: %v", ds, err)
		}
	})
	return d, ds
}

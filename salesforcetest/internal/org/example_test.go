package org_test

import (
	"fmt"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/org"
)

// Example shows an incremental read: everything changed at or after a point of the org's clock.
func Example() {
	o := org.New(org.Config{Seed: 1, Counts: map[string]int{"Account": 5}})
	c, _ := o.Cursor("Account", false, time.Time{})
	first, _ := c.Next()

	since := o.Now()
	_ = o.Update("Account", []string{first.ID()}, map[string]any{"Rating": "Hot"})

	c, _ = o.Cursor("Account", false, since)
	for r, ok := c.Next(); ok; r, ok = c.Next() {
		fmt.Println(r.ID() == first.ID(), r.Get("Rating"), r.Get("SystemModstamp").(time.Time).Equal(since))
	}
	// Output: true Hot true
}

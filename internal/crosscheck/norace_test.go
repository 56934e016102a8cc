//go:build !race

package crosscheck

// opportunityRows is the size of the paging tests' table: 50 full pages (see race_test.go).
const opportunityRows = 100_000

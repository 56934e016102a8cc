//go:build race

package crosscheck

// opportunityRows under the race detector, which slows both ends several times over: 10 full
// pages take the same paths as 50, and keep `go test -race -count=3` of this package within
// the default 10-minute timeout on a busy machine.
const opportunityRows = 20_000

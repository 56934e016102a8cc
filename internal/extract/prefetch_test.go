package extract

import (
	"context"
	"iter"
	"slices"
	"sync/atomic"
	"testing"
)

// countingSeq yields 1..n and counts the items it was asked for.
func countingSeq(n int, pulled *atomic.Int32) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := 1; i <= n; i++ {
			pulled.Add(1)
			if !yield(i, nil) {
				return
			}
		}
	}
}

// A probing read that stops at its first page fetches no page ahead: at a real org's latency
// that page would cost a page's time and leave a query cursor open.
func TestPrefetchHoldFirst(t *testing.T) {
	var pulled atomic.Int32
	for v, err := range prefetch(context.Background(), countingSeq(5, &pulled), true) {
		if err != nil || v != 1 {
			t.Fatalf("first item %d, %v", v, err)
		}
		break
	}
	if n := pulled.Load(); n != 1 {
		t.Fatalf("the source was asked for %d items after the loop stopped at the first; want 1", n)
	}

	// Read on, every item comes, in order, with or without the hold.
	for _, hold := range []bool{true, false} {
		pulled.Store(0)
		var got []int
		for v, err := range prefetch(context.Background(), countingSeq(5, &pulled), hold) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if !slices.Equal(got, []int{1, 2, 3, 4, 5}) || pulled.Load() != 5 {
			t.Fatalf("hold %v: got %v (pulled %d)", hold, got, pulled.Load())
		}
	}
}

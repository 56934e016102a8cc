package extract

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestKeyCond(t *testing.T) {
	stamp := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	cases := []struct {
		order []string
		key   []any
		op    string
		want  string
	}{
		{[]string{"Id"}, []any{"001Sf00000ABCDEFGH"}, ">", "Id > '001Sf00000ABCDEFGH'"},
		{[]string{"Id"}, []any{"001Sf00000ABCDEFGH"}, "<=", "Id <= '001Sf00000ABCDEFGH'"},
		{[]string{"SystemModstamp", "Id"}, []any{stamp, "001Sf00000ABCDEFGH"}, ">",
			"SystemModstamp >= 2024-05-06T07:08:09.123+00:00 AND (SystemModstamp > 2024-05-06T07:08:09.123+00:00 OR (SystemModstamp = 2024-05-06T07:08:09.123+00:00 AND Id > '001Sf00000ABCDEFGH'))"},
		{[]string{"SystemModstamp", "Id"}, []any{stamp.Truncate(time.Second), "001Sf00000ABCDEFGH"}, ">=",
			"SystemModstamp >= 2024-05-06T07:08:09Z AND (SystemModstamp > 2024-05-06T07:08:09Z OR (SystemModstamp = 2024-05-06T07:08:09Z AND Id >= '001Sf00000ABCDEFGH'))"},
		{[]string{"SystemModstamp", "Id"}, []any{stamp.Truncate(time.Second), "001Sf00000ABCDEFGH"}, "<=",
			"SystemModstamp <= 2024-05-06T07:08:09Z AND (SystemModstamp < 2024-05-06T07:08:09Z OR (SystemModstamp = 2024-05-06T07:08:09Z AND Id <= '001Sf00000ABCDEFGH'))"},
	}
	for _, tc := range cases {
		got, err := keyCond(tc.order, tc.key, tc.op)
		if err != nil || got != tc.want {
			t.Errorf("keyCond(%v, %v, %q) = %q, %v\nwant %q", tc.order, tc.key, tc.op, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		order []string
		key   []any
	}{
		{[]string{"Id"}, []any{"x' OR Name != '"}},
		{[]string{"SystemModstamp", "Id"}, []any{nil, "001Sf00000ABCDEFGH"}},
		{[]string{"Id"}, []any{"001Sf00000ABCDEFGH", "extra"}},
		{nil, nil},
	} {
		if got, err := keyCond(bad.order, bad.key, ">"); err == nil {
			t.Errorf("keyCond(%v, %v) = %q, want an error", bad.order, bad.key, got)
		}
	}
}

func TestCursorBudget(t *testing.T) {
	ctx := context.Background()
	queued := make(chan struct{}, 8)
	b := newCursorBudget(3)
	b.queued = func() { queued <- struct{}{} }
	if n, err := b.acquire(ctx, 5, 2); n != 2 || err != nil {
		t.Fatalf("acquire 2 of 3: %d, %v", n, err)
	}
	if n, _ := b.acquire(ctx, 6, 1); n != 1 {
		t.Fatalf("acquire the last slot: %d", n)
	}
	// Full: a wide read (2) of rank 7 waits; a narrow one (1) of rank 8 waits behind it.
	order := make(chan string, 2)
	go func() {
		n, _ := b.acquire(ctx, 7, 2)
		order <- "wide"
		b.release(n)
	}()
	<-queued
	go func() {
		n, _ := b.acquire(ctx, 8, 1)
		order <- "narrow"
		b.release(n)
	}()
	<-queued
	b.release(1) // one free: not enough for the wide read, and the narrow one waits its turn
	select {
	case who := <-order:
		t.Fatalf("%s got a slot before the read ranked before it", who)
	default:
	}
	b.release(2) // now both fit, and both go on
	if first, second := <-order, <-order; first == second {
		t.Errorf("granted %s twice", first)
	}
	b.mu.Lock()
	if b.held != 0 || len(b.waiting) != 0 {
		t.Errorf("%d slots still held, %d reads waiting", b.held, len(b.waiting))
	}
	b.mu.Unlock()

	// At the start of a run, a resource's first read keeps a slot for each resource ranked
	// before it that has not asked yet: the largest (rank 0) is never shut out by small ones.
	r := newCursorBudget(2)
	r.queued = func() { queued <- struct{}{} }
	r.expect(0, 1, 2)
	if n, _ := r.acquire(ctx, 2, 1); n != 1 { // ranks 0 and 1 pending: one slot kept for them
		t.Fatalf("rank 2 took %d", n)
	}
	got := make(chan int, 2)
	go func() { r.acquire(ctx, 1, 1); got <- 1 }()
	<-queued // rank 1 waits: the last slot is kept for rank 0
	if n, _ := r.acquire(ctx, 0, 1); n != 1 {
		t.Fatalf("rank 0 took %d", n)
	}
	select {
	case <-got:
		t.Fatal("rank 1 got a slot while the budget was full")
	default:
	}
	r.release(1)
	if rank := <-got; rank != 1 {
		t.Fatalf("got rank %d", rank)
	}
	// A resource that will not read gives its kept slot back.
	s := newCursorBudget(2)
	s.queued = func() { queued <- struct{}{} }
	s.expect(0, 1)
	if n, _ := s.acquire(ctx, 9, 1); n != 1 { // one slot, one kept for ranks 0 and 1
		t.Fatalf("rank 9 took %d", n)
	}
	go func() { s.acquire(ctx, 1, 1); got <- 1 }()
	<-queued
	s.settle(0)
	if rank := <-got; rank != 1 {
		t.Fatalf("got rank %d", rank)
	}

	// A weight above the budget takes the whole budget; a cancelled wait leaves nothing behind.
	small := newCursorBudget(1)
	small.queued = func() { queued <- struct{}{} }
	if n, _ := small.acquire(ctx, 0, 2); n != 1 {
		t.Errorf("a wide read under a budget of 1 took %d slots", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := small.acquire(cctx, 1, 1); done <- err }()
	<-queued
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait returned %v", err)
	}
	small.release(1)
	if n, err := small.acquire(ctx, 2, 1); n != 1 || err != nil || small.held != 1 || len(small.waiting) != 0 {
		t.Errorf("after a cancelled wait: acquired %d (%v), %d held, %d waiting", n, err, small.held, len(small.waiting))
	}
}

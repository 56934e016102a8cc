package sfdlt

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
	queued := make(chan struct{}, 4)
	b := newCursorBudget(3)
	b.queued = func() { queued <- struct{}{} }
	if n, err := b.acquire(ctx, 2); n != 2 || err != nil {
		t.Fatalf("acquire 2 of 3: %d, %v", n, err)
	}
	if n, _ := b.acquire(ctx, 1); n != 1 {
		t.Fatalf("acquire the last slot: %d", n)
	}
	// Full: a wide read (2) asks first, a narrow one (1) after it; slots go in order.
	order := make(chan string, 2)
	go func() {
		n, _ := b.acquire(ctx, 2)
		order <- "wide"
		b.release(n)
	}()
	<-queued
	go func() {
		n, _ := b.acquire(ctx, 1)
		order <- "narrow"
		b.release(n)
	}()
	<-queued
	b.release(1) // one free: not enough for the wide read, and the narrow one waits its turn
	select {
	case who := <-order:
		t.Fatalf("%s got a slot before the read that asked first", who)
	default:
	}
	b.release(2) // now both fit, and both go on
	if first, second := <-order, <-order; first == second {
		t.Errorf("granted %s twice", first)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held != 0 || len(b.waiting) != 0 {
		t.Errorf("%d slots still held", b.held)
	}

	// A weight above the budget takes the whole budget; a cancelled wait gives nothing back twice.
	small := newCursorBudget(1)
	small.queued = func() { queued <- struct{}{} }
	if n, _ := small.acquire(ctx, 2); n != 1 {
		t.Errorf("a wide read under a budget of 1 took %d slots", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := small.acquire(cctx, 1); done <- err }()
	<-queued
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait returned %v", err)
	}
	small.release(1)
	if n, err := small.acquire(ctx, 1); n != 1 || err != nil || small.held != 1 || len(small.waiting) != 0 {
		t.Errorf("after a cancelled wait: acquired %d (%v), %d held, %d waiting", n, err, small.held, len(small.waiting))
	}
}

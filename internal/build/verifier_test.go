package build

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlotsResize: a smaller limit holds new acquirers back until holders release below it; a larger
// one lets waiters in at once; a waiter's context ends its wait.
func TestSlotsResize(t *testing.T) {
	t.Parallel()
	s := newSlots(2)
	ctx := context.Background()
	for range 2 {
		if err := s.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s.setLimit(1)
	var got atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		if s.Acquire(ctx) == nil {
			got.Store(true)
		}
	}()
	s.Release() // 1 held, limit 1: the waiter stays out
	time.Sleep(20 * time.Millisecond)
	if got.Load() {
		t.Fatal("acquired with the limit reached")
	}
	s.setLimit(2) // now it fits
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter was not woken by a larger limit")
	}
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error)
	go func() { errc <- s.Acquire(cctx) }()
	cancel()
	if err := <-errc; err == nil {
		t.Error("a canceled acquire succeeded")
	}
}

// TestVerifierLeavesACoreToResolutions: while any resolution runs, the checks inflate on one core fewer
// (at least one); when the last ends they get every core back.
func TestVerifierLeavesACoreToResolutions(t *testing.T) {
	t.Parallel()
	v := newVerifier(context.Background(), nil)
	defer v.close()
	n := runtime.GOMAXPROCS(0)
	limit := func() int {
		v.cpu.mu.Lock()
		defer v.cpu.mu.Unlock()
		return v.cpu.limit
	}
	if limit() != n {
		t.Fatalf("limit %d before any resolution, want %d", limit(), n)
	}
	a, b := v.resolving(), v.resolving()
	if want := max(1, n-1); limit() != want {
		t.Errorf("limit %d while resolving, want %d", limit(), want)
	}
	a()
	a() // idempotent
	if want := max(1, n-1); limit() != want {
		t.Errorf("limit %d with one resolution left, want %d", limit(), want)
	}
	b()
	if limit() != n {
		t.Errorf("limit %d after the resolutions, want %d", limit(), n)
	}
}

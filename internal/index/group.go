package index

import (
	"context"
	"sync"
)

// group runs one call per key and caches its result: concurrent callers share the call, later callers
// get the result. The call runs on its own context, canceled only when every waiting caller has given
// up, so one caller's cancellation never fails another's lookup (and a canceled call is not cached).
type group[T any] struct {
	mu      sync.Mutex
	m       map[string]*flight[T]
	running sync.WaitGroup // calls still running, abandoned ones included
}

type flight[T any] struct {
	done    chan struct{}
	val     T
	err     error
	waiters int
	cancel  context.CancelFunc
}

func (g *group[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*flight[T]{}
	}
	f, ok := g.m[key]
	if !ok {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight[T]{done: make(chan struct{}), cancel: cancel}
		g.m[key] = f
		g.running.Add(1)
		go func() {
			defer g.running.Done()
			defer cancel()
			v, err := fn(fctx)
			g.mu.Lock()
			f.val, f.err = v, err
			close(f.done)
			g.mu.Unlock()
		}()
	}
	select {
	case <-f.done:
		g.mu.Unlock()
		return f.val, f.err
	default:
	}
	f.waiters++
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			select {
			case <-f.done:
			default:
				f.cancel()
				if g.m[key] == f {
					delete(g.m, key)
				}
			}
		}
		g.mu.Unlock()
		var zero T
		return zero, ctx.Err()
	}
}

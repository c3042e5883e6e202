package build

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
)

// verifier inflates each wheel once to check every entry's CRC-32 and true size (a wheel may declare
// 1 KiB and inflate to gigabytes), in the background: the fetcher starts a check as each wheel arrives,
// the layer zip is written meanwhile from the compressed bytes, and the zip is only renamed into place
// once every check of its wheels has passed. The verdict is remembered in the cache by sha256.
type verifier struct {
	cache  *fetch.Cache
	ctx    context.Context // the build's: checks outlive the fetch that started them
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	tasks map[string]*verifyTask // by sha256
}

type verifyTask struct {
	done chan struct{}
	err  error
}

func newVerifier(ctx context.Context, cache *fetch.Cache) *verifier {
	ctx, cancel := context.WithCancel(ctx)
	return &verifier{cache: cache, ctx: ctx, cancel: cancel, sem: make(chan struct{}, runtime.GOMAXPROCS(0)), tasks: map[string]*verifyTask{}}
}

// close stops the checks nobody waits for any more (those of a target that failed) and returns once
// none runs, so a build leaves nothing behind writing to the cache.
func (v *verifier) close() {
	v.cancel()
	v.wg.Wait()
}

// start begins checking a cached wheel unless the cache or an earlier start already did; it never
// blocks, so it can serve as the fetcher's Check.
func (v *verifier) start(_ context.Context, r fetch.Request, path, sha string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tasks[sha] != nil {
		return nil
	}
	t := &verifyTask{done: make(chan struct{})}
	v.tasks[sha] = t
	if v.cache.Verified(sha) {
		close(t.done)
		return nil
	}
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		defer close(t.done)
		select {
		case v.sem <- struct{}{}:
			defer func() { <-v.sem }()
		case <-v.ctx.Done():
			t.err = v.ctx.Err()
			return
		}
		t.err = v.check(r, path, sha)
	}()
	return nil
}

func (v *verifier) check(r fetch.Request, path, sha string) error {
	m, a, err := openWheel(path, r.File.Filename, true)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Package, err)
	}
	defer m.Close()
	if err := a.Verify(v.ctx); err != nil {
		return fmt.Errorf("%s: %w", r.Package, err)
	}
	return v.cache.MarkVerified(sha)
}

// wait returns the first failure among the checks of these cached wheel paths, once all are done.
// A path never started (not expected) is checked now.
func (v *verifier) wait(ctx context.Context, paths []string, reqs []fetch.Request) error {
	for i, p := range paths {
		sha := strings.TrimSuffix(p[strings.LastIndexAny(p, `/\`)+1:], ".whl")
		v.start(ctx, reqs[i], p, sha)
		v.mu.Lock()
		t := v.tasks[sha]
		v.mu.Unlock()
		select {
		case <-t.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if t.err != nil {
			return t.err
		}
	}
	return nil
}

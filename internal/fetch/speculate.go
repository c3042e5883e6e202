package fetch

import (
	"context"
	"strings"
	"sync"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// speculation downloads, while a resolution is still deciding, the wheels it is likely to pick, so
// that downloading and checking them overlaps the resolution instead of following it.
type speculation struct {
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	projects map[string]bool
	stopped  bool
}

// Speculate makes Metadata start downloading the wheel it is asked about, in the background, for the
// first wheel of each project it is asked about: the candidate a resolution tries first is the one it
// keeps unless it backtracks, so at most one wheel per project is fetched in vain. The downloads go
// through Fetch (shared bound, one download per wheel, Check run on arrival), so the Fetch that
// follows the resolution finds them done or joins them. stop cancels what is still running and waits
// for it; call it before dropping the Fetcher.
func (f *Fetcher) Speculate(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	s := &speculation{ctx: ctx, cancel: cancel, projects: map[string]bool{}}
	f.mu.Lock()
	f.spec = s
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.spec = nil
		f.mu.Unlock()
		s.mu.Lock()
		s.stopped = true // no download starts after this
		s.mu.Unlock()
		cancel()
		s.wg.Wait()
	}
}

// speculate starts the background download of file if speculation is on, the wheel is not cached and
// no wheel of its project was started before. Failures are left to the Fetch that needs the wheel.
func (f *Fetcher) speculate(file index.File) {
	f.mu.Lock()
	s := f.spec
	f.mu.Unlock()
	sha := strings.ToLower(file.Hashes["sha256"])
	if s == nil || sha == "" || f.Cache.HasWheel(sha) {
		return
	}
	wn, err := wheel.ParseFilename(file.Filename)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.projects[wn.Name] {
		return
	}
	s.projects[wn.Name] = true
	s.wg.Go(func() {
		r := Request{Package: file.Filename, File: file}
		p, err := f.one(s.ctx, r) // not Fetch: no progress line for a guess
		if err == nil && f.Check != nil {
			_ = f.Check(s.ctx, r, p, sha)
		}
	})
}

package build

import (
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// job is one layer for one target; err is a failure found before building (a bad requirements file).
type job struct {
	lb  *layerBuild
	t   target.Target
	err error
	// shared, when set, builds one zip for all its targets (layout shared); notes are added to the
	// target's layer (why it did not get a shared zip).
	shared *sharedPlan
	notes  []string
}

// jobs is how many targets are built at once: resolutions wait on the network and the zip writes on
// the disk, so even one core gains from two at a time; verification has its own bound (the CPUs) and
// downloads theirs (the fetcher's).
func (b *builder) jobs() int {
	if b.plan.Jobs > 0 {
		return b.plan.Jobs
	}
	return max(2, runtime.GOMAXPROCS(0))
}

// runJobs builds every job, at most b.jobs() at a time, and returns their layers in job order.
func (b *builder) runJobs(ctx context.Context, jobs []job) []report.Layer {
	out := make([]report.Layer, len(jobs))
	sem := make(chan struct{}, b.jobs())
	var wg sync.WaitGroup
	for i, j := range jobs {
		if j.err != nil {
			out[i] = j.lb.failed(j.t, j.err)
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if j.shared != nil {
				out[i] = j.lb.buildShared(ctx, j.shared) // slim.go
				return
			}
			out[i] = j.lb.build(ctx, j.t)
		})
	}
	wg.Wait()
	return out
}

// lockedWriter lets targets built at once share a writer (a buffer in tests) line by line.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// shareWriters makes the writers the targets' builds use safe to share.
func shareWriters(env *Env) {
	env.Stderr = &lockedWriter{w: env.Stderr}
	if env.Verbose != nil {
		env.Verbose = &lockedWriter{w: env.Verbose}
	}
}

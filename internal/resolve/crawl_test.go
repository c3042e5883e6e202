package resolve_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// slowSource answers like memSource, each request after a fixed latency, and records when each started
// and ended.
type slowSource struct {
	*memSource
	latency time.Duration
	mu      sync.Mutex
	log     [][2]time.Time
}

func (s *slowSource) wait(ctx context.Context) func() {
	start := time.Now()
	select {
	case <-time.After(s.latency):
	case <-ctx.Done():
	}
	return func() {
		s.mu.Lock()
		s.log = append(s.log, [2]time.Time{start, time.Now()})
		s.mu.Unlock()
	}
}

func (s *slowSource) Project(ctx context.Context, name string) (index.Project, error) {
	defer s.wait(ctx)()
	return s.memSource.Project(ctx, name)
}

func (s *slowSource) Metadata(ctx context.Context, f index.File) ([]byte, error) {
	defer s.wait(ctx)()
	return s.memSource.Metadata(ctx, f)
}

// rounds is the longest chain of requests each sent after the one before it was answered.
func (s *slowSource) rounds() int {
	s.mu.Lock()
	log := append([][2]time.Time(nil), s.log...)
	s.mu.Unlock()
	sort.Slice(log, func(i, j int) bool { return log[i][1].Before(log[j][1]) })
	depth := make([]int, len(log))
	best := 0
	for i := range log {
		depth[i] = 1
		for j := range i {
			if !log[j][1].After(log[i][0]) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		best = max(best, depth[i])
	}
	return best
}

// TestColdResolutionRoundTrips: with nothing cached, the resolver's prefetch walks the graph one
// dependency level per two round trips (the page, then the metadata of the version it will likely
// pick), however wide the levels are and however many packages ask for the same dependency with
// different specifiers: a request waiting for another one's page holds no slot of the bound.
func TestColdResolutionRoundTrips(t *testing.T) {
	t.Parallel()
	const width = 30 // within the bound of 32 concurrent requests, well beyond the old 8
	var specs []wheeltest.Spec
	var roots []string
	for i := range width {
		p, q, r := fmt.Sprintf("p%02d", i), fmt.Sprintf("q%02d", i), fmt.Sprintf("r%02d", i)
		roots = append(roots, p)
		specs = append(specs,
			wheeltest.Spec{Name: p, Version: "1.0", Requires: []string{q, fmt.Sprintf("shared>=1.%d", i)}},
			wheeltest.Spec{Name: q, Version: "1.0", Requires: []string{r, "shared"}},
			wheeltest.Spec{Name: r, Version: "1.0"})
	}
	specs = append(specs, wheeltest.Spec{Name: "shared", Version: "2.0"})
	// Latency well above scheduling delays on a loaded machine, so rounds are counted right (at 60 ms a
	// machine at load 7 counted a spurious round now and then).
	src := &slowSource{memSource: newSource(specs...), latency: 100 * time.Millisecond}
	got := resolveOK(t, src, reqs(t, roots...), resolve.Options{})
	if len(got) != 3*width+1 {
		t.Fatalf("resolved %d packages, want %d", len(got), 3*width+1)
	}
	// Three levels: p (page, metadata), q and shared (page, metadata), r (page, metadata): 6 rounds, and
	// one of slack for a stalled scheduler. Holding slots across requests took 31.
	if r := src.rounds(); r > 7 {
		t.Errorf("a cold resolution of a 3-level graph took %d sequential round trips, want at most 7 (6 and one of slack)", r)
	}
	for f, n := range src.asked {
		if n != 1 {
			t.Errorf("metadata of %s fetched %d times", f, n)
		}
	}
}

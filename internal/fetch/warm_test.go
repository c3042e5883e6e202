package fetch

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// source is the engine's resolver source: pages from the index, metadata through the fetcher's cache.
type source struct {
	*index.Client
	f *Fetcher
}

func (s source) Metadata(ctx context.Context, f index.File) ([]byte, error) {
	return s.f.Metadata(ctx, f)
}

// chain is a dependency graph five levels deep with some breadth: a resolver without help needs one
// round trip per level.
var chain = []wheeltest.Spec{
	{Name: "app", Version: "1.0", Requires: []string{"lvl1", "side1"}},
	{Name: "lvl1", Version: "1.0", Requires: []string{"lvl2", "side2"}},
	{Name: "lvl2", Version: "2.0", Requires: []string{"lvl3"}},
	{Name: "lvl3", Version: "3.0", Requires: []string{"lvl4", "side3"}},
	{Name: "lvl4", Version: "4.0"},
	{Name: "side1", Version: "1.0"},
	{Name: "side2", Version: "1.0"},
	{Name: "side3", Version: "1.0"},
}

// warmBuild resolves "app" with a new client and fetcher on cache dir, recalling and remembering the
// pages used when recall is set, and returns the client's stats.
func warmBuild(t *testing.T, srv *indextest.Server, dir string, recall bool, mode index.CacheMode) index.Stats {
	t.Helper()
	cache, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := index.New([]string{srv.URL}, index.WithNetrc(""), index.WithRetries(1, 0),
		index.WithHTTPCache(cache.HTTPDir()), index.WithCacheMode(mode))
	if err != nil {
		t.Fatal(err)
	}
	const key = "requirements.txt: app"
	ctx := context.Background()
	if recall {
		wait := c.Recall(ctx, key) // the wave starts now, alongside the resolution
		defer wait()
	}
	q, err := pep508.ParseRequirement("app")
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.Parse("python3.12", "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.Resolve(ctx, source{c, &Fetcher{Cache: cache, Source: c}}, []resolve.Requirement{{Requirement: q, Origin: "requirements.txt:1"}},
		resolve.Options{Target: tg})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != len(chain) {
		t.Fatalf("resolved %d packages, want %d", len(res.Packages), len(chain))
	}
	if recall {
		c.Remember(key)
	}
	if err := c.Flush(); err != nil { // as a build does when it ends
		t.Fatal(err)
	}
	if err := cache.Flush(); err != nil { // as the engine does once its resolutions are done
		t.Fatal(err)
	}
	return c.Stats()
}

// TestWarmResolutionRoundTrips: a second resolution of the same inputs makes no request while the pages
// are fresh; once they are stale it sends only conditional requests, answered 304, all in one wave
// instead of one round trip per dependency level.
func TestWarmResolutionRoundTrips(t *testing.T) {
	t.Parallel()
	const latency = 60 * time.Millisecond // well above scheduling delays on a loaded machine, so rounds are counted right
	t.Run("fresh", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, chain, indextest.CacheControl("max-age=600"), indextest.Latency(latency))
		dir := t.TempDir()
		warmBuild(t, srv, dir, true, index.CacheDefault)
		srv.ResetLog()
		if st := warmBuild(t, srv, dir, true, index.CacheDefault); st.Requests != 0 || srv.Count("/", nil) != 0 {
			t.Errorf("warm build with fresh pages: %+v, server log %+v", st, srv.Log())
		}
	})
	t.Run("stale", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, chain, indextest.CacheControl("max-age=0"), indextest.Latency(latency))
		dir := t.TempDir()
		warmBuild(t, srv, dir, true, index.CacheDefault)
		cold := srv.Rounds()
		srv.ResetLog()
		st := warmBuild(t, srv, dir, true, index.CacheDefault)
		n, cond, nm := srv.Count("/", nil), srv.Count("/", func(r indextest.Request) bool { return r.Conditional }), srv.Count("/", func(r indextest.Request) bool { return r.Status == 304 })
		if n != len(chain) || cond != n || nm != n {
			t.Errorf("warm build with stale pages: %d requests, %d conditional, %d answered 304; want %d of each: %+v", n, cond, nm, len(chain), srv.Log())
		}
		if r := srv.Rounds(); r > 2 {
			t.Errorf("warm build with stale pages took %d sequential round trips, want at most 2", r)
		}
		if st.Bytes != 0 {
			t.Errorf("warm build downloaded %d bytes", st.Bytes)
		}
		// Without the recalled wave the same build walks the levels one round trip at a time: the wave is
		// what saves them.
		srv.ResetLog()
		warmBuild(t, srv, dir, false, index.CacheDefault)
		if r := srv.Rounds(); r < 4 {
			t.Errorf("without recall: %d rounds; the test's graph no longer shows what recall saves", r)
		}
		t.Logf("round trips: cold %d, warm without recall %d, warm with recall ≤2", cold, srv.Rounds())
	})
	t.Run("offline", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, chain, indextest.CacheControl("max-age=0"))
		dir := t.TempDir()
		warmBuild(t, srv, dir, true, index.CacheDefault)
		srv.ResetLog()
		warmBuild(t, srv, dir, true, index.CacheOffline)
		if n := srv.Count("/", nil); n != 0 {
			t.Errorf("offline resolution sent %d requests", n)
		}
		// The resolution read metadata files only: the wheels themselves are missing, and say so.
		cache, _ := OpenCache(dir)
		c, _ := index.New([]string{srv.URL}, index.WithNetrc(""), index.WithHTTPCache(cache.HTTPDir()), index.WithCacheMode(index.CacheOffline))
		p, err := c.Project(context.Background(), "lvl4")
		if err != nil {
			t.Fatal(err)
		}
		_, err = (&Fetcher{Cache: cache, Source: c}).Fetch(context.Background(), []Request{{Package: "lvl4 4.0", File: p.Files[0]}})
		if !errors.Is(err, index.ErrOffline) || !strings.Contains(err.Error(), "lvl4 4.0") || !strings.Contains(err.Error(), "not in the cache") {
			t.Errorf("offline fetch of a missing wheel: err = %v", err)
		}
		if n := srv.Count("/", nil); n != 0 {
			t.Errorf("offline fetch sent %d requests", n)
		}
	})
}

// TestSpeculate: while speculating, asking for a wheel's metadata starts its download (the first wheel
// of each project only); the Fetch that follows joins it or finds it done, so the wheel is requested
// once; after stop nothing starts.
func TestSpeculate(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, chain)
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := index.New([]string{srv.URL}, index.WithNetrc(""), index.WithRetries(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Cache: cache, Source: c}
	ctx := context.Background()
	stop := f.Speculate(ctx)
	p, err := c.Project(ctx, "lvl4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Metadata(ctx, p.Files[0]); err != nil {
		t.Fatal(err)
	}
	other := p.Files[0]
	other.Filename = "lvl4-5.0-py3-none-any.whl" // another wheel of the same project: not speculated
	other.URL += "-other"
	other.Hashes = map[string]string{"sha256": strings.Repeat("0", 64)}
	f.speculate(other)
	if _, err := f.Fetch(ctx, []Request{{Package: "lvl4 4.0", File: p.Files[0]}}); err != nil {
		t.Fatal(err)
	}
	stop()
	whl := "/files/" + p.Files[0].Filename
	if n := srv.Count(whl, func(r indextest.Request) bool { return r.Path == whl }); n != 1 || f.Downloaded.Load() != 1 {
		t.Errorf("the wheel was requested %d times and downloaded %d times, want once", n, f.Downloaded.Load())
	}
	if !f.DownloadedHere(p.Files[0].Hashes["sha256"]) {
		t.Error("DownloadedHere is false for the speculated wheel")
	}
	if n := srv.Count("/files/lvl4-5.0", nil); n != 0 {
		t.Errorf("a second wheel of the project was speculated")
	}
	srv.ResetLog()
	p2, err := c.Project(ctx, "side3")
	if err != nil {
		t.Fatal(err)
	}
	f.speculate(p2.Files[0]) // stopped: nothing starts
	if n := srv.Count("/files/", nil); n != 0 {
		t.Errorf("speculation after stop sent %d requests", n)
	}
}

package build

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// noise is incompressible filler, so a wheel is as big on the wire as on disk.
func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func bigWheels() []wheeltest.Spec {
	blob := []wheeltest.File{{Name: "heavy/_data.bin", Data: noise(700 << 10)}}
	return []wheeltest.Spec{
		{Name: "heavy", Version: "2.0", Requires: []string{"light>=1"}, Files: blob},
		{Name: "heavy", Version: "1.0", Files: blob},
		{Name: "light", Version: "1.0"},
	}
}

func resolveWith(t *testing.T, indexURL, cacheDir string) (*resolve.Result, *fetch.Fetcher) {
	t.Helper()
	c, err := index.New([]string{indexURL}, index.WithNetrc(""))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := fetch.OpenCache(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	f := &fetch.Fetcher{Cache: cache, Source: c}
	q, _ := pep508.ParseRequirement("heavy")
	tg, _ := target.Parse("python3.12", "x86_64")
	res, err := resolve.Resolve(context.Background(), resolverSource{c, f}, []resolve.Requirement{{Requirement: q, Origin: "requirements.txt:1"}},
		resolve.Options{Target: tg})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 2 || res.Packages[0].Version.String() != "2.0" {
		t.Fatalf("resolved %v", res.Packages)
	}
	if err := cache.Flush(); err != nil { // as the engine does once its resolutions are done
		t.Fatal(err)
	}
	return res, f
}

// TestMetadataByRanges: with no PEP 658 file, a big wheel's METADATA is read with range requests, not
// by downloading it; the next run reads it from the cache.
func TestMetadataByRanges(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, bigWheels(), indextest.NoMetadata())
	cache := t.TempDir()
	_, f := resolveWith(t, srv.URL, cache)
	if n := f.Downloaded.Load(); n != 1 {
		t.Errorf("%d wheels downloaded whole, want 1 (light, which is small)", n)
	}
	before := srv.Requests("/files/")
	_, f = resolveWith(t, srv.URL, cache)
	if n := srv.Requests("/files/") - before; n != 0 || f.Downloaded.Load() != 0 {
		t.Errorf("a second resolution made %d file requests, want 0 (metadata cached)", n)
	}
}

// TestMetadataRangesRefused: a server that ignores ranges costs a whole download, which the cache keeps
// for the build.
func TestMetadataRangesRefused(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, bigWheels(), indextest.NoMetadata(), indextest.HTMLOnly())
	u, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(plain.Close)
	cache := t.TempDir()
	res, f := resolveWith(t, plain.URL+"/simple/", cache)
	// light is smaller than the first range asked for, so its whole answer serves.
	if n := f.Downloaded.Load(); n != 1 {
		t.Errorf("%d wheels downloaded, want 1 (heavy 2.0, whole, after the range was refused)", n)
	}
	if !f.Cache.HasWheel(res.Packages[0].File.Hashes["sha256"]) {
		t.Error("the wheel downloaded for its metadata is not in the cache")
	}
}

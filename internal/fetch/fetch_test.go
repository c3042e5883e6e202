package fetch

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

var spec = wheeltest.Spec{Name: "alpha", Version: "1.0"}

func setup(t *testing.T, opts ...indextest.Option) (*indextest.Server, *index.Client, index.File) {
	t.Helper()
	srv := indextest.New(t, []wheeltest.Spec{spec}, opts...)
	c, err := index.New([]string{srv.URL}, index.WithNetrc(""), index.WithRetries(3, 0))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Project(context.Background(), "alpha")
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, p.Files[0]
}

func newFetcher(t *testing.T, c *index.Client) *Fetcher {
	t.Helper()
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Fetcher{Cache: cache, Source: c}
}

func TestFetchCachesByHash(t *testing.T) {
	srv, c, f := setup(t)
	fe := newFetcher(t, c)
	var checked atomic.Int32
	fe.Check = func(_ context.Context, r Request, path, sha string) error {
		checked.Add(1)
		if sha != srv.SHA256(spec.Filename()) {
			t.Errorf("Check got sha %s", sha)
		}
		return nil
	}
	for i := range 2 {
		paths, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(paths[0])
		if string(b) != string(srv.File(spec.Filename())) {
			t.Fatalf("run %d: cached bytes differ from the served file", i)
		}
	}
	if n := fe.Downloaded.Load(); n != 1 {
		t.Errorf("downloaded %d times, want 1 (the second fetch is a cache hit)", n)
	}
	if checked.Load() != 2 {
		t.Errorf("Check ran %d times, want once per fetched wheel", checked.Load())
	}
}

func TestFetchRetriedDownloadHashesOnlyTheLastAttempt(t *testing.T) {
	_, _, f := setup(t)
	// Ask for the file through a server that fails the first attempts of every path.
	flaky, fc, _ := setup(t, indextest.FailFirst(2, 503))
	f.URL = flaky.FileURL(spec.Filename())
	fe := newFetcher(t, fc)
	if _, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f}}); err != nil {
		t.Fatalf("a download that succeeds on retry must pass its hash check: %v", err)
	}
}

func TestFetchHashMismatch(t *testing.T) {
	_, c, f := setup(t)
	bad := f
	bad.Hashes = map[string]string{"sha256": strings.Repeat("a", 64)}
	fe := newFetcher(t, c)
	_, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: bad}})
	var hm *HashMismatchError
	if !errors.As(err, &hm) || hm.Package != "alpha 1.0" || !strings.Contains(err.Error(), "the index expects sha256:aaaa") {
		t.Fatalf("want a HashMismatchError naming the package and the index, got %v", err)
	}
	// Nothing under the wheel's name, under the name the index gave, nor a temporary file left behind.
	if entries, err := os.ReadDir(filepath.Dir(fe.Cache.WheelPath(bad.Hashes["sha256"]))); err != nil || len(entries) != 0 {
		t.Errorf("a mismatching download must not enter the cache: %v, %v", entries, err)
	}
}

func TestFetchUserHashes(t *testing.T) {
	srv, c, f := setup(t)
	data := srv.File(spec.Filename())
	s512 := sha512.Sum512(data)
	for _, tc := range []struct {
		name   string
		hashes []string
		ok     bool
	}{
		{"matching sha256", []string{"sha256:" + srv.SHA256(spec.Filename())}, true},
		{"one of several", []string{"sha256:" + strings.Repeat("b", 64), "sha256:" + srv.SHA256(spec.Filename())}, true},
		{"sha512 only", []string{"sha512:" + hex.EncodeToString(s512[:])}, true},
		{"wrong sha256", []string{"sha256:" + strings.Repeat("b", 64)}, false},
		{"wrong sha512", []string{"sha512:" + strings.Repeat("c", 128)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe := newFetcher(t, c)
			for range 2 { // cold, then from the cache: both must apply the user's hashes
				_, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f, Hashes: tc.hashes, Origin: "requirements.txt:4"}})
				if tc.ok && err != nil {
					t.Fatal(err)
				}
				if !tc.ok && (err == nil || !strings.Contains(err.Error(), "requirements.txt:4")) {
					t.Fatalf("want a mismatch naming requirements.txt:4, got %v", err)
				}
			}
		})
	}
}

func TestMetadataFromCacheAndIndex(t *testing.T) {
	srv, c, f := setup(t)
	fe := newFetcher(t, c)
	for range 2 {
		b, err := fe.Metadata(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(spec.Metadata()) {
			t.Fatalf("metadata = %q", b)
		}
	}
	if n := srv.Requests("/files/" + spec.Filename() + ".metadata"); n != 1 {
		t.Errorf("metadata fetched %d times, want 1 (then cached by the wheel's sha256)", n)
	}
}

func TestMetadataWithoutPEP658ReadsTheWheel(t *testing.T) {
	srv, c, f := setup(t, indextest.NoMetadata())
	fe := newFetcher(t, c)
	b, err := fe.Metadata(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(spec.Metadata()) {
		t.Fatalf("metadata = %q", b)
	}
	if !fe.Cache.HasWheel(srv.SHA256(spec.Filename())) {
		t.Error("the wheel read for its metadata must stay in the cache for the build")
	}
}

func TestReadAheadFile(t *testing.T) {
	p := t.TempDir() + "/f"
	data := make([]byte, 3*readAheadWindow+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	os.WriteFile(p, data, 0o644)
	r, err := OpenReadAhead(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range []struct{ off, n int }{{0, 30}, {10, 100}, {readAheadWindow - 5, 10}, {len(data) - 10, 10}, {5, readAheadWindow}, {len(data) - 3, 8}} {
		buf := make([]byte, c.n)
		n, err := r.ReadAt(buf, int64(c.off))
		want := data[c.off:min(c.off+c.n, len(data))]
		if n != len(want) || string(buf[:n]) != string(want) || (n < c.n) != (err != nil) {
			t.Errorf("ReadAt(%d, %d) = %d, %v", c.off, c.n, n, err)
		}
	}
}

// removingSource removes the cache's folder while a download runs, as a user cleaning the cache during
// a build does.
type removingSource struct {
	Source
	dir string
}

func (s removingSource) Download(ctx context.Context, f index.File, dst io.WriteSeeker) (int64, error) {
	n, err := s.Source.Download(ctx, f, dst)
	os.RemoveAll(s.dir)
	return n, err
}

// TestFetchCacheRemovedMidBuild: a cache folder removed before or during a download is made again, and
// the download lands in it, whether downloads use nameless files (Linux) or named temporary ones.
func TestFetchCacheRemovedMidBuild(t *testing.T) {
	srv, c, f := setup(t)
	for _, during := range []bool{false, true} {
		dir := t.TempDir()
		cache, err := OpenCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		fe := &Fetcher{Cache: cache, Source: c}
		if during {
			fe.Source = removingSource{Source: c, dir: dir}
		} else if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		paths, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f}})
		if err != nil {
			t.Fatalf("cache removed (during the download: %v): %v", during, err)
		}
		if b, err := os.ReadFile(paths[0]); err != nil || string(b) != string(srv.File(spec.Filename())) {
			t.Fatalf("cache removed (during the download: %v): cached file %v", during, err)
		}
	}
}

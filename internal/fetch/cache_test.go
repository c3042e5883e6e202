package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/cachepack"
)

// TestCacheLayout: a fetched, checked wheel with its metadata leaves two files in the cache, the wheel
// and its record, in one private folder under the layout version; a new Cache on the folder reads both
// facts back.
func TestCacheLayout(t *testing.T) {
	_, c, f := setup(t)
	dir := t.TempDir()
	cache, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	fe := &Fetcher{Cache: cache, Source: c, Check: func(_ context.Context, _ Request, _, sha string) error {
		return cache.MarkVerified(sha) // what the engine's verifier does once the wheel's entries check out
	}}
	meta, err := fe.Metadata(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cache.Flush(); err != nil {
		t.Fatal(err)
	}
	sha := f.Hashes["sha256"]
	var got []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		fi, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want, rel = 0o700, rel+"/"
		}
		if p != dir && fi.Mode().Perm()&^want != 0 {
			t.Errorf("%s: mode %v, want at most %v", rel, fi.Mode().Perm(), want)
		}
		got = append(got, filepath.ToSlash(rel))
		return nil
	})
	if len(got) != 6 || !strings.HasPrefix(got[3], "v2/records/") || !strings.HasSuffix(got[3], ".pack") {
		t.Errorf("cache holds %v, want ./, v2/, v2/records/, one pack of records, v2/wheels/, the wheel", got)
	} else if want := []string{"./", "v2/", "v2/records/", got[3], "v2/wheels/", "v2/wheels/" + sha + ".whl"}; !slices.Equal(got, want) {
		t.Errorf("cache holds %v, want %v", got, want)
	}
	if paths[0] != cache.WheelPath(sha) {
		t.Errorf("wheel at %s, want %s", paths[0], cache.WheelPath(sha))
	}
	again, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := again.Metadata(sha); !ok || !bytes.Equal(m, meta) || !again.Verified(sha) || !again.HasWheel(sha) {
		t.Errorf("a new Cache reads metadata %v (%q), verified %v, wheel %v", ok, m, again.Verified(sha), again.HasWheel(sha))
	}
}

// TestCacheOldLayoutIgnored: the files of the first layout are not read, whatever they say.
func TestCacheOldLayoutIgnored(t *testing.T) {
	dir := t.TempDir()
	sha := strings.Repeat("ab", 32)
	for _, p := range []string{"wheels/sha256/ab/" + sha + ".whl", "metadata/ab/" + sha, "verified/ab/" + sha} {
		p = filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("Metadata-Version: 2.1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cache, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.Metadata(sha); ok || cache.Verified(sha) || cache.HasWheel(sha) {
		t.Error("the cache read a file of the old layout")
	}
}

// TestCacheRecordMerge: a build extends the records earlier builds wrote, keeping their facts; metadata
// alone never makes a wheel verified; a build that learns nothing writes nothing; a damaged pack is a
// miss.
func TestCacheRecordMerge(t *testing.T) {
	dir := t.TempDir()
	sha := strings.Repeat("cd", 32)
	a, _ := OpenCache(dir)
	b, _ := OpenCache(dir)
	meta := []byte("Metadata-Version: 2.1\nName: alpha\n")
	a.PutMetadata(sha, meta)
	if m, ok := a.Metadata(sha); !ok || !bytes.Equal(m, meta) {
		t.Errorf("metadata not yet flushed is not read back: %q", m)
	}
	if _, ok := b.Metadata(sha); ok {
		t.Error("another cache read metadata never written")
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if c, _ := OpenCache(dir); c.Verified(sha) {
		t.Error("a record of metadata says the wheel is verified")
	}
	other := strings.Repeat("ef", 32)
	b.MarkVerified(other) // b knows no metadata of it
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	c, _ := OpenCache(dir)
	c.PutMetadata(other, meta)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	d, _ := OpenCache(dir)
	if m, ok := d.Metadata(other); !ok || !bytes.Equal(m, meta) || !d.Verified(other) {
		t.Errorf("records of two builds: metadata %q (%v), verified %v; want both", m, ok, d.Verified(other))
	}
	if m, ok := d.Metadata(sha); !ok || !bytes.Equal(m, meta) || d.Verified(sha) {
		t.Errorf("first wheel: metadata %q (%v), verified %v", m, ok, d.Verified(sha))
	}
	d.PutMetadata(sha, meta) // known already
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(dir, "v2", "records", "*.pack"))
	if len(packs) != 3 {
		t.Errorf("%d packs after three builds that learned something and one that did not, want 3", len(packs))
	}
	for _, p := range packs {
		data, _ := os.ReadFile(p)
		os.WriteFile(p, data[:len(data)-1], 0o600)
	}
	e, _ := OpenCache(dir)
	if _, ok := e.Metadata(other); ok || e.Verified(other) {
		t.Error("a truncated pack was read")
	}
}

// TestCachePacksMerge: many builds' packs are merged without losing a fact, and a cache that read a pack
// merged away since still reads it.
func TestCachePacksMerge(t *testing.T) {
	dir := t.TempDir()
	var shas []string
	var early *Cache // read the first pack's index before the merge removed it
	for i := range 20 {
		c, _ := OpenCache(dir)
		sha := fmt.Sprintf("%064x", i)
		shas = append(shas, sha)
		c.PutMetadata(sha, []byte(sha[60:]))
		if i%2 == 0 {
			c.MarkVerified(sha)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			early, _ = OpenCache(dir)
			if !early.Verified(sha) {
				t.Fatal("the first pack is not read")
			}
		}
	}
	if packs, _ := filepath.Glob(filepath.Join(dir, "v2", "records", "*.pack")); len(packs) >= 20 {
		t.Errorf("%d packs after 20 builds: none merged", len(packs))
	}
	if m, ok := early.Metadata(shas[0]); !ok || string(m) != shas[0][60:] {
		t.Errorf("a cache that read a pack merged away since: metadata %q (%v)", m, ok)
	}
	c, _ := OpenCache(dir)
	for i, sha := range shas {
		if m, ok := c.Metadata(sha); !ok || string(m) != sha[60:] || c.Verified(sha) != (i%2 == 0) {
			t.Errorf("wheel %d: metadata %q (%v), verified %v", i, m, ok, c.Verified(sha))
		}
	}
}

// TestCacheConcurrentFlushes: builds flushing into one cache at once, merges included, lose no fact and
// invent none.
func TestCacheConcurrentFlushes(t *testing.T) {
	dir := t.TempDir()
	const builds, rounds = 4, 6
	var wg sync.WaitGroup
	for b := range builds {
		wg.Go(func() {
			for r := range rounds {
				c, err := OpenCache(dir)
				if err != nil {
					t.Error(err)
					return
				}
				sha := fmt.Sprintf("%060x%02x%02x", 0, b, r)
				c.PutMetadata(sha, []byte(sha))
				if r%2 == 0 {
					c.MarkVerified(sha)
				}
				if err := c.Flush(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	c, _ := OpenCache(dir)
	for b := range builds {
		for r := range rounds {
			sha := fmt.Sprintf("%060x%02x%02x", 0, b, r)
			if m, ok := c.Metadata(sha); !ok || string(m) != sha || c.Verified(sha) != (r%2 == 0) {
				t.Errorf("build %d round %d: metadata %q (%v), verified %v", b, r, m, ok, c.Verified(sha))
			}
		}
	}
}

// TestCacheDamagedWheelDownloadedAgain: a cached wheel whose bytes no longer hash to its name (cut short
// or changed in place, as by a cache restored over a damaged one) is downloaded again, not used; one
// the cache verified as it still is needs no reading.
func TestCacheDamagedWheelDownloadedAgain(t *testing.T) {
	srv, c, f := setup(t)
	sha := f.Hashes["sha256"]
	for _, damage := range []string{"none", "truncated", "flipped"} {
		dir := t.TempDir()
		cache, _ := OpenCache(dir)
		fe := &Fetcher{Cache: cache, Source: c, Check: func(_ context.Context, _ Request, _, sha string) error {
			return cache.MarkVerified(sha)
		}}
		if _, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f}}); err != nil {
			t.Fatal(err)
		}
		if err := cache.Flush(); err != nil {
			t.Fatal(err)
		}
		p := cache.WheelPath(sha)
		b, _ := os.ReadFile(p)
		switch damage {
		case "truncated":
			b = b[:len(b)/2]
		case "flipped":
			b[len(b)/2] ^= 0xff
		}
		if damage != "none" {
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		again, _ := OpenCache(dir)
		if damage != "none" && again.Verified(sha) {
			t.Errorf("%s: a wheel changed since its check is still verified", damage)
		}
		fe = &Fetcher{Cache: again, Source: c}
		paths, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f}})
		if err != nil {
			t.Fatalf("%s: %v", damage, err)
		}
		if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, srv.File(spec.Filename())) {
			t.Errorf("%s: the cache serves bytes that are not the wheel's", damage)
		}
		want := int64(1)
		if damage == "none" {
			want = 0
		}
		if n := fe.Downloaded.Load(); n != want {
			t.Errorf("%s: downloaded %d times, want %d", damage, n, want)
		}
	}
}

// TestCacheRecordBeforeStamps: a record written before verdicts had stamps (a flags byte and the
// METADATA) keeps its METADATA, and its verdict is renewed by the next check rather than trusted.
func TestCacheRecordBeforeStamps(t *testing.T) {
	dir := t.TempDir()
	sha := strings.Repeat("ab", 32)
	meta := []byte("Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n")
	os.MkdirAll(filepath.Join(dir, "v2", "records"), 0o700)
	old := cachepack.Format(map[string][]byte{sha: append([]byte{recordVerified | recordMetadata}, meta...)})
	if err := os.WriteFile(filepath.Join(dir, "v2", "records", "00000000000000000001-1.pack"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := c.Metadata(sha); !ok || !bytes.Equal(m, meta) {
		t.Errorf("METADATA of an old record: %q (%v), want %q", m, ok, meta)
	}
	if c.Verified(sha) {
		t.Error("an old record's verdict is trusted for whatever file is there now")
	}
	c.MarkVerified(sha)
	if m, _ := c.Metadata(sha); !c.Verified(sha) || !bytes.Equal(m, meta) {
		t.Errorf("after a check: verified %v, METADATA %q", c.Verified(sha), m)
	}
}

// TestCacheVerdictSurvivesARestore: a cache saved and restored by a tar that keeps whole seconds (the
// file's modification time loses its nanoseconds) keeps its verdicts; a file restored with another time
// or size is checked again.
func TestCacheVerdictSurvivesARestore(t *testing.T) {
	_, c, f := setup(t)
	sha := f.Hashes["sha256"]
	dir := t.TempDir()
	cache, _ := OpenCache(dir)
	fe := &Fetcher{Cache: cache, Source: c, Check: func(_ context.Context, _ Request, _, sha string) error {
		return cache.MarkVerified(sha)
	}}
	if _, err := fe.Fetch(context.Background(), []Request{{Package: "alpha 1.0", File: f}}); err != nil {
		t.Fatal(err)
	}
	if err := cache.Flush(); err != nil {
		t.Fatal(err)
	}
	p := cache.WheelPath(sha)
	checked := time.Unix(1_700_000_000, 123_456_789)
	for _, tc := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"as checked", checked, true},
		{"whole seconds", checked.Truncate(time.Second), true},
		{"another second", checked.Truncate(time.Second).Add(time.Second), false},
		{"other nanoseconds", checked.Add(time.Millisecond), false},
	} {
		// The verdict is about the file as it was checked: stamp it at a known time first.
		if err := os.Chtimes(p, checked, checked); err != nil {
			t.Fatal(err)
		}
		c2, _ := OpenCache(dir)
		if err := c2.MarkVerified(sha); err != nil {
			t.Fatal(err)
		}
		if err := c2.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, tc.at, tc.at); err != nil {
			t.Fatal(err)
		}
		if got := mustOpen(t, dir).Verified(sha); got != tc.want {
			t.Errorf("%s: verified %v, want %v", tc.name, got, tc.want)
		}
	}
}

func mustOpen(t *testing.T, dir string) *Cache {
	t.Helper()
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

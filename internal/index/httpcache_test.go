package index_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// clock is a settable time for freshness tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lookup asks for the pages of names and the metadata of each page's first file, as a resolution does,
// as if the index gave no sha256 of the wheels: metadata files are only kept in the HTTP cache then.
func lookup(t *testing.T, c *index.Client, names ...string) []index.Project {
	t.Helper()
	var out []index.Project
	for _, n := range names {
		p, err := c.Project(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		f := p.Files[0]
		f.Hashes = nil
		if _, err := c.Metadata(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	flush(t, c)
	return out
}

// flush writes what c's HTTP cache learned, as a build does when it ends: the next client reads it.
func flush(t *testing.T, c *index.Client) {
	t.Helper()
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
}

// packs lists the files the HTTP cache holds in dir.
func packs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func conditional(r indextest.Request) bool   { return r.Conditional }
func notModified(r indextest.Request) bool   { return r.Status == 304 }
func unconditional(r indextest.Request) bool { return !r.Conditional }

// TestCacheFreshCostsNoRequest: a second client on the same cache makes no request while the pages and
// metadata files are fresh (max-age, as PyPI sends), and sees the same projects.
func TestCacheFreshCostsNoRequest(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six, attrsB}, indextest.CacheControl("max-age=600, public"))
	dir := t.TempDir()
	clk := &clock{t: time.Now()}
	first := lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithNow(clk.now)), "six", "attrs")
	if n := s.Count("/", nil); n != 4 {
		t.Fatalf("first client: %d requests, want 4", n)
	}
	s.ResetLog()
	clk.advance(599 * time.Second)
	c := newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithNow(clk.now))
	second := lookup(t, c, "six", "attrs")
	if n := s.Count("/", nil); n != 0 {
		t.Errorf("second client: %d requests, want none: %+v", n, s.Log())
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("cached projects differ:\n%+v\n%+v", first, second)
	}
	if st := c.Stats(); st.Requests != 0 || st.Cached != 4 || st.Bytes != 0 {
		t.Errorf("stats = %+v, want 4 cached and nothing else", st)
	}
	// With the wheel's sha256 the caller keeps the metadata by content: the HTTP cache does not.
	for range 2 {
		if _, err := newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithNow(clk.now)).Metadata(context.Background(), second[0].Files[0]); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Count("/files/", nil); n != 2 {
		t.Errorf("metadata of a hashed wheel: %d requests, want 2 (not kept)", n)
	}
}

// TestCacheStaleRevalidates: once max-age has passed (or with no-cache, or no freshness at all) a page
// costs a conditional request, answered 304, and the cached body is used; with Last-Modified alone the
// request is If-Modified-Since.
func TestCacheStaleRevalidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  []indextest.Option
		after time.Duration
	}{
		{"max-age passed", []indextest.Option{indextest.CacheControl("max-age=600")}, 601 * time.Second},
		{"no-cache", []indextest.Option{indextest.CacheControl("no-cache")}, 0},
		{"no freshness", nil, 0},
		{"last-modified only", []indextest.Option{indextest.CacheControl("max-age=0"), indextest.NoETag()}, 0},
		// The stored ETag was read back under a key http.Header.Get does not find ("ETag", not "Etag"),
		// so an index that sends no Last-Modified was fetched whole every time.
		{"etag only", []indextest.Option{indextest.CacheControl("max-age=0"), indextest.NoLastModified()}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := indextest.New(t, []wheeltest.Spec{six, attrsB}, tc.opts...)
			dir := t.TempDir()
			clk := &clock{t: time.Now()}
			first := lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithNow(clk.now)), "six", "attrs")
			s.ResetLog()
			clk.advance(tc.after)
			c := newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithNow(clk.now))
			second := lookup(t, c, "six", "attrs")
			if n, cond, nm := s.Count("/", nil), s.Count("/", conditional), s.Count("/", notModified); n != 4 || cond != 4 || nm != 4 {
				t.Errorf("%d requests, %d conditional, %d answered 304; want 4 of each: %+v", n, cond, nm, s.Log())
			}
			if !reflect.DeepEqual(first, second) {
				t.Errorf("revalidated projects differ:\n%+v\n%+v", first, second)
			}
			if st := c.Stats(); st.Requests != 4 || st.Revalidated != 4 || st.Bytes != 0 {
				t.Errorf("stats = %+v", st)
			}
			// A 304 restarts the entry's age: with max-age the next client needs nothing.
			if tc.after > 0 {
				s.ResetLog()
				lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithNow(clk.now)), "six", "attrs")
				if n := s.Count("/", nil); n != 0 {
					t.Errorf("after revalidation: %d requests, want none", n)
				}
			}
		})
	}
}

// TestCacheChangedPage: a stale page that changed on the server comes back whole (200), and the cache
// keeps the new one.
func TestCacheChangedPage(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{attrsA}, indextest.CacheControl("max-age=0"))
	dir := t.TempDir()
	lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "attrs")
	s.Add(t, attrsB)
	s.ResetLog()
	p := lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "attrs")[0]
	if len(p.Files) != 2 {
		t.Fatalf("files after the release: %+v", p.Files)
	}
	if n := s.Count("/simple/", func(r indextest.Request) bool { return r.Conditional && r.Status == 200 }); n != 1 {
		t.Errorf("changed page: %d conditional requests answered 200, want 1: %+v", n, s.Log())
	}
	s.ResetLog()
	p = lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "attrs")[0]
	if len(p.Files) != 2 || s.Count("/simple/", notModified) != 1 {
		t.Errorf("the new page was not kept: %+v, %+v", p.Files, s.Log())
	}
}

// TestCacheRefresh: refresh mode revalidates fresh entries too.
func TestCacheRefresh(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six}, indextest.CacheControl("max-age=600"))
	dir := t.TempDir()
	lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "six")
	s.ResetLog()
	lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithCacheMode(index.CacheRefresh)), "six")
	if n, nm := s.Count("/", nil), s.Count("/", notModified); n != 2 || nm != 2 {
		t.Errorf("refresh: %d requests, %d answered 304; want 2 and 2", n, nm)
	}
}

// TestCacheNoStore: a no-store response is never written, so every client asks again, unconditionally.
func TestCacheNoStore(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six}, indextest.CacheControl("no-store"))
	dir := t.TempDir()
	for range 2 {
		s.ResetLog()
		lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "six")
		if n, u := s.Count("/", nil), s.Count("/", unconditional); n != 2 || u != 2 {
			t.Errorf("%d requests, %d unconditional; want 2 and 2", n, u)
		}
	}
	for _, p := range packs(t, dir) {
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("six-")) || bytes.Contains(b, []byte("<a ")) {
			t.Errorf("a no-store response was written to %s:\n%s", p, b)
		}
	}
	// Offline, the page is missing, and the message says why running once online will not help.
	_, err := newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithCacheMode(index.CacheOffline)).Project(context.Background(), "six")
	var oe *index.OfflineError
	if !errors.As(err, &oe) || !oe.NoStore || !strings.Contains(err.Error(), "no-store") || strings.Contains(err.Error(), "run once without --offline") {
		t.Errorf("offline, no-store page: err = %v, want an OfflineError saying the index forbids keeping it", err)
	}
}

// TestCacheOffline: offline mode answers from the cache however stale, makes no request, and names
// what is missing: a page never fetched, a wheel never downloaded.
func TestCacheOffline(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six, attrsB}, indextest.CacheControl("max-age=0"))
	dir := t.TempDir()
	lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "six")
	s.ResetLog()
	c := newClient(t, []string{s.URL}, index.WithHTTPCache(dir), index.WithCacheMode(index.CacheOffline))
	p := lookup(t, c, "six")[0]

	_, err := c.Project(context.Background(), "attrs")
	var oe *index.OfflineError
	if !errors.As(err, &oe) || oe.NoStore || !errors.Is(err, index.ErrOffline) || !strings.Contains(err.Error(), s.URL+"attrs/") || !strings.Contains(err.Error(), "run once without --offline") {
		t.Errorf("missing page: err = %v, want an OfflineError naming %sattrs/", err, s.URL)
	}
	_, err = c.Download(context.Background(), p.Files[0], &seekBuffer{})
	if !errors.Is(err, index.ErrOffline) || !strings.Contains(err.Error(), p.Files[0].Filename) || strings.Contains(err.Error(), "attempts") {
		t.Errorf("missing wheel: err = %v, want ErrOffline naming %s, not retried", err, p.Files[0].Filename)
	}
	if n := s.Count("/", nil); n != 0 {
		t.Errorf("offline mode sent %d requests", n)
	}
	// Without a cache directory, offline refuses everything.
	bare := newClient(t, []string{s.URL}, index.WithCacheMode(index.CacheOffline))
	if _, err := bare.Project(context.Background(), "six"); !errors.Is(err, index.ErrOffline) {
		t.Errorf("offline without a cache: err = %v", err)
	}
}

// TestCacheNotFound: a 404 with a max-age is cached like a page; the project stays not found.
func TestCacheNotFound(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six}, indextest.CacheControl("max-age=600"))
	dir := t.TempDir()
	for i := range 2 {
		c := newClient(t, []string{s.URL}, index.WithHTTPCache(dir))
		_, err := c.Project(context.Background(), "nope")
		var nf *index.NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("client %d: err = %v, want NotFoundError", i, err)
		}
		flush(t, c)
	}
	// http.NotFound sends no Cache-Control of ours: the 404 is kept but stale, so asked again.
	if n := s.Count("/simple/nope/", nil); n != 2 {
		t.Errorf("404 requested %d times, want 2 (no freshness on the 404)", n)
	}
}

// TestCacheCorruptEntry: a damaged entry is a miss, never a wrong page.
func TestCacheCorruptEntry(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six}, indextest.CacheControl("max-age=600"))
	dir := t.TempDir()
	lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "six")
	for _, p := range packs(t, dir) {
		b, _ := os.ReadFile(p)
		os.WriteFile(p, b[:len(b)-1], 0o644)
	}
	s.ResetLog()
	lookup(t, newClient(t, []string{s.URL}, index.WithHTTPCache(dir)), "six")
	if n, u := s.Count("/", nil), s.Count("/", unconditional); n != 2 || u != 2 {
		t.Errorf("%d requests, %d unconditional; want 2 and 2", n, u)
	}
}

// TestRecallRevalidatesInOneWave: the pages a client used, remembered under a key, are revalidated by
// the next client's Recall all at once, before anyone asks for them.
func TestRecallRevalidatesInOneWave(t *testing.T) {
	t.Parallel()
	var specs []wheeltest.Spec
	var names []string
	for i := range 12 {
		n := "pkg" + string(rune('a'+i))
		names = append(names, n)
		specs = append(specs, wheeltest.Spec{Name: n, Version: "1.0"})
	}
	s := indextest.New(t, specs, indextest.CacheControl("max-age=0"), indextest.Latency(100*time.Millisecond))
	dir := t.TempDir()
	c := newClient(t, []string{s.URL}, index.WithHTTPCache(dir))
	for _, n := range names {
		if _, err := c.Project(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	c.Remember("requirements.txt sha")
	flush(t, c)
	s.ResetLog()
	c = newClient(t, []string{s.URL}, index.WithHTTPCache(dir))
	c.Recall(context.Background(), "requirements.txt sha")()
	if n, nm, r := s.Count("/simple/", nil), s.Count("/simple/", notModified), s.Rounds(); n != 12 || nm != 12 || r != 1 {
		t.Errorf("recall: %d requests, %d answered 304, %d rounds; want 12, 12, 1", n, nm, r)
	}
	s.ResetLog()
	for _, n := range names { // one after the other, as a resolver deciding level by level would
		if _, err := c.Project(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Count("/", nil); n != 0 {
		t.Errorf("after recall: %d requests, want none", n)
	}
	if got := c.ProjectsUsed(); !reflect.DeepEqual(got, names) {
		t.Errorf("ProjectsUsed = %v", got)
	}
	// Another key recalls nothing.
	s.ResetLog()
	newClient(t, []string{s.URL}, index.WithHTTPCache(dir)).Recall(context.Background(), "other")()
	if n := s.Count("/", nil); n != 0 {
		t.Errorf("unknown key: %d requests", n)
	}
}

// TestRememberSkipsUnchanged: a warm build that recalled a key and used the same projects, from fresh
// pages, writes nothing to the cache (a new file costs a create); one that used others writes the new
// record.
func TestRememberSkipsUnchanged(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six, attrsB}, indextest.CacheControl("max-age=600"))
	dir := t.TempDir()
	const key = "requirements.txt: six"
	use := func(names ...string) int {
		t.Helper()
		c := newClient(t, []string{s.URL}, index.WithHTTPCache(dir))
		c.Recall(context.Background(), key)()
		for _, n := range names {
			if _, err := c.Project(context.Background(), n); err != nil {
				t.Fatal(err)
			}
		}
		c.Remember(key)
		flush(t, c)
		return len(packs(t, dir))
	}
	first := use("six")
	if again := use("six"); again != first {
		t.Errorf("the same projects used again from fresh pages wrote %d files", again-first)
	}
	if other := use("six", "attrs"); other != first+1 {
		t.Errorf("other projects used: %d files written, want 1", other-first)
	}
	s.ResetLog()
	c := newClient(t, []string{s.URL}, index.WithHTTPCache(dir))
	c.Recall(context.Background(), key)()
	if n := s.Count("/", nil); n != 0 || !reflect.DeepEqual(c.ProjectsUsed(), []string{"attrs", "six"}) {
		t.Errorf("recall after the new record: %d requests, projects %v", n, c.ProjectsUsed())
	}
}

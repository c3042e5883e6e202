package indextest_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

func TestCachingHeaders(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, wheels, indextest.CacheControl("max-age=600"))
	r := do(t, s.URL+"six/", nil)
	etag, lm := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "max-age=600" || etag == "" || lm == "" {
		t.Fatalf("%d %v", r.StatusCode, r.Header)
	}
	if r := do(t, s.URL+"six/", map[string]string{"If-None-Match": etag}); r.StatusCode != 304 {
		t.Errorf("If-None-Match: %d, want 304", r.StatusCode)
	}
	if r := do(t, s.URL+"six/", map[string]string{"If-Modified-Since": lm}); r.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d, want 304", r.StatusCode)
	}
	s.Add(t, wheeltest.Spec{Name: "six", Version: "1.17.0"})
	r = do(t, s.URL+"six/", map[string]string{"If-None-Match": etag})
	if b, _ := io.ReadAll(r.Body); r.StatusCode != 200 || r.Header.Get("ETag") == etag || !strings.Contains(string(b), "six-1.17.0") {
		t.Errorf("after Add: %d, ETag %s, body %s", r.StatusCode, r.Header.Get("ETag"), b)
	}
	if r := do(t, s.URL+"six/", map[string]string{"If-Modified-Since": lm}); r.StatusCode != 200 {
		t.Errorf("If-Modified-Since after Add: %d, want 200", r.StatusCode)
	}
	if n := s.Count("/simple/six/", func(r indextest.Request) bool { return r.Conditional && r.Status == 304 }); n != 2 {
		t.Errorf("Count of 304s = %d, want 2: %+v", n, s.Log())
	}
}

func TestRounds(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, wheels, indextest.Latency(30*time.Millisecond))
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { do(t, s.URL+"six/", nil) })
	}
	wg.Wait()
	if r := s.Rounds(); r != 1 {
		t.Errorf("parallel requests: %d rounds, want 1", r)
	}
	do(t, s.URL+"six/", nil)
	do(t, s.URL+"six/", nil)
	if r := s.Rounds(); r != 3 {
		t.Errorf("then two in a row: %d rounds, want 3", r)
	}
	s.ResetLog()
	if r := s.Rounds(); r != 0 || len(s.Log()) != 0 {
		t.Errorf("after ResetLog: %d rounds", r)
	}
}

func TestNewStatic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	indextest.WriteDir(t, dir, wheels)
	s := indextest.NewStatic(t, dir, indextest.CacheControl("no-cache"))
	r := do(t, s.URL+"six/", nil)
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || !strings.Contains(string(b), "six-1.16.0-py3-none-any.whl") || r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("%d %v %s", r.StatusCode, r.Header, b)
	}
	if r := do(t, s.URL+"six/", map[string]string{"If-None-Match": r.Header.Get("ETag")}); r.StatusCode != 304 {
		t.Errorf("conditional: %d", r.StatusCode)
	}
	files := strings.TrimSuffix(s.URL, "simple/") + "files/"
	whl := files + "six-1.16.0-py3-none-any.whl"
	if r := do(t, whl, map[string]string{"Range": "bytes=0-1"}); r.StatusCode != http.StatusPartialContent {
		t.Errorf("range: %d", r.StatusCode)
	}
	if r := do(t, whl+".metadata", nil); r.StatusCode != 200 {
		t.Errorf("metadata: %d", r.StatusCode)
	}
	if r := do(t, s.URL+"nope/", nil); r.StatusCode != 404 {
		t.Errorf("missing: %d", r.StatusCode)
	}
}

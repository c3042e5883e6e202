package index_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

var (
	six     = wheeltest.Spec{Name: "six", Version: "1.16.0", Tag: "py2.py3-none-any", RequiresPython: ">=2.7, !=3.0.*"}
	attrsA  = wheeltest.Spec{Name: "attrs", Version: "23.1.0", RequiresPython: ">=3.7"}
	attrsB  = wheeltest.Spec{Name: "attrs", Version: "23.2.0", RequiresPython: ">=3.8,<4", Requires: []string{"importlib-metadata; python_version < '3.8'"}}
	zopeInt = wheeltest.Spec{Name: "zope.interface", Version: "6.1", Tag: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"}
)

// recorder is a sleep that returns at once and remembers what it was asked to wait.
type recorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.d = append(r.d, d)
	return ctx.Err()
}

func (r *recorder) waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.d...)
}

// newClient is a client that ignores the host's netrc and never really sleeps.
func newClient(t *testing.T, urls []string, opts ...index.Option) *index.Client {
	t.Helper()
	rec := &recorder{}
	base := []index.Option{index.WithNetrc(""), index.WithRetries(4, time.Millisecond), index.WithSleep(rec.sleep)}
	c, err := index.New(urls, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJSONAndHTMLParseToSameProject(t *testing.T) {
	t.Parallel()
	wheels := []wheeltest.Spec{attrsA, attrsB, six}
	opts := []indextest.Option{indextest.Yank(attrsA.Filename(), "broken build")}
	js := indextest.New(t, wheels, opts...)
	hs := indextest.New(t, wheels, append(opts, indextest.HTMLOnly())...)
	ctx := context.Background()

	pj, err := newClient(t, []string{js.URL}).Project(ctx, "Attrs")
	if err != nil {
		t.Fatal(err)
	}
	ph, err := newClient(t, []string{hs.URL}).Project(ctx, "attrs")
	if err != nil {
		t.Fatal(err)
	}
	if len(pj.Files) != 2 {
		t.Fatalf("JSON: got %d files, want 2: %+v", len(pj.Files), pj.Files)
	}
	for i, f := range pj.Files {
		if f.Size != int64(len(js.File(f.Filename))) {
			t.Errorf("JSON size of %s = %d, want %d", f.Filename, f.Size, len(js.File(f.Filename)))
		}
		pj.Files[i].Size = 0 // PEP 503 HTML has no size
		// The servers differ only in their address.
		pj.Files[i].URL = strings.Replace(f.URL, strings.TrimSuffix(js.URL, "simple/"), "", 1)
		pj.Files[i].MetadataURL = strings.Replace(f.MetadataURL, strings.TrimSuffix(js.URL, "simple/"), "", 1)
		pj.Files[i].Index = ""
	}
	for i, f := range ph.Files {
		ph.Files[i].URL = strings.Replace(f.URL, strings.TrimSuffix(hs.URL, "simple/"), "", 1)
		ph.Files[i].MetadataURL = strings.Replace(f.MetadataURL, strings.TrimSuffix(hs.URL, "simple/"), "", 1)
		ph.Files[i].Index = ""
	}
	if !reflect.DeepEqual(pj, ph) {
		t.Errorf("JSON and HTML differ:\nJSON %+v\nHTML %+v", pj, ph)
	}

	want := index.File{
		Filename:       attrsB.Filename(),
		URL:            "files/" + attrsB.Filename(),
		Hashes:         map[string]string{"sha256": js.SHA256(attrsB.Filename())},
		RequiresPython: ">=3.8,<4",
		MetadataURL:    "files/" + attrsB.Filename() + ".metadata",
		MetadataHashes: map[string]string{"sha256": sha(attrsB.Metadata())},
	}
	if !reflect.DeepEqual(ph.Files[1], want) {
		t.Errorf("file = %+v\nwant   %+v", ph.Files[1], want)
	}
	if f := ph.Files[0]; !f.Yanked || f.YankedReason != "broken build" {
		t.Errorf("yank of %s lost: %+v", f.Filename, f)
	}
	if ph.Name != "attrs" {
		t.Errorf("name = %q", ph.Name)
	}
}

func TestProjectFieldsAndIndex(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{zopeInt})
	c := newClient(t, []string{s.URL})
	p, err := c.Project(context.Background(), "Zope_Interface")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "zope-interface" || len(p.Files) != 1 {
		t.Fatalf("got %+v", p)
	}
	f := p.Files[0]
	if f.URL != s.FileURL(zopeInt.Filename()) || f.Index != s.URL || f.MetadataURL != f.URL+".metadata" {
		t.Errorf("got %+v", f)
	}
}

func TestRequiresPythonUnescaped(t *testing.T) {
	t.Parallel()
	w := wheeltest.Spec{Name: "pkg", Version: "1.0", RequiresPython: ">=3.8, <4, !=3.9.*"}
	s := indextest.New(t, []wheeltest.Spec{w}, indextest.HTMLOnly())
	page := get(t, s.URL+"pkg/", "")
	if !strings.Contains(page, `data-requires-python="&gt;=3.8, &lt;4, !=3.9.*"`) {
		t.Fatalf("the test index does not escape as PEP 503 servers do:\n%s", page)
	}
	p, err := newClient(t, []string{s.URL}).Project(context.Background(), "pkg")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Files[0].RequiresPython; got != ">=3.8, <4, !=3.9.*" {
		t.Errorf("RequiresPython = %q", got)
	}
}

func TestYankedForms(t *testing.T) {
	t.Parallel()
	a := wheeltest.Spec{Name: "pkg", Version: "1.0"}
	b := wheeltest.Spec{Name: "pkg", Version: "1.1"}
	cc := wheeltest.Spec{Name: "pkg", Version: "1.2"}
	opts := []indextest.Option{indextest.Yank(a.Filename(), ""), indextest.Yank(b.Filename(), "CVE-2099-1")}
	for _, htmlOnly := range []bool{false, true} {
		o := opts
		if htmlOnly {
			o = append(o, indextest.HTMLOnly())
		}
		s := indextest.New(t, []wheeltest.Spec{a, b, cc}, o...)
		p, err := newClient(t, []string{s.URL}).Project(context.Background(), "pkg")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][2]string{}
		for _, f := range p.Files {
			got[f.Filename] = [2]string{fmt.Sprint(f.Yanked), f.YankedReason}
		}
		want := map[string][2]string{
			a.Filename():  {"true", ""},
			b.Filename():  {"true", "CVE-2099-1"},
			cc.Filename(): {"false", ""},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("htmlOnly=%v: got %v, want %v", htmlOnly, got, want)
		}
	}
}

func TestOddShapes(t *testing.T) {
	t.Parallel()
	const whl = "pkg-1.0-py3-none-any.whl"
	tests := []struct {
		name, ctype, body string
		check             func(t *testing.T, base string, p index.Project)
	}{{
		name:  "html base href and absolute and relative links",
		ctype: "text/html",
		body: `<html><head></head><body>
<a href="pkg-1.0-py3-none-any.whl#sha256=ABCDEF" data-dist-info-metadata="true">x</a>
<a href="https://files.example/p/pkg-1.0.tar.gz#md5=00ff" data-requires-python="&gt;=3.7" data-yanked="">pkg-1.0.tar.gz</a>
<a name="anchor-without-href">nothing</a>
<base href="/elsewhere/">
</body></html>`,
		check: func(t *testing.T, base string, p index.Project) {
			if len(p.Files) != 2 {
				t.Fatalf("files: %+v", p.Files)
			}
			f := p.Files[0]
			if f.URL != base+"/elsewhere/"+whl || f.Hashes["sha256"] != "abcdef" || f.MetadataURL != f.URL+".metadata" || f.MetadataHashes != nil {
				t.Errorf("first: %+v", f)
			}
			g := p.Files[1]
			if g.URL != "https://files.example/p/pkg-1.0.tar.gz" || g.Hashes["md5"] != "00ff" || g.RequiresPython != ">=3.7" || !g.Yanked || g.MetadataURL != "" {
				t.Errorf("second: %+v", g)
			}
		},
	}, {
		name:  "html data-core-metadata wins and false means none",
		ctype: "application/vnd.pypi.simple.v1+html",
		body: `<meta name="pypi:repository-version" content="1.3">
<a href="/f/a-1-py3-none-any.whl" data-core-metadata="sha256=AA" data-dist-info-metadata="sha256=bb">a</a>
<a href="/f/b-1-py3-none-any.whl" data-core-metadata="false">b</a>`,
		check: func(t *testing.T, base string, p index.Project) {
			if got := p.Files[0].MetadataHashes; !reflect.DeepEqual(got, map[string]string{"sha256": "aa"}) {
				t.Errorf("metadata hashes %v", got)
			}
			if p.Files[1].MetadataURL != "" {
				t.Errorf("false advertised metadata: %+v", p.Files[1])
			}
		},
	}, {
		name:  "json relative urls, yanked bool, core-metadata bool, old key, size",
		ctype: "application/vnd.pypi.simple.v1+json",
		body: `{"meta":{"api-version":"1.0"},"name":"pkg","files":[
{"filename":"pkg-1.0-py3-none-any.whl","url":"../../f/pkg-1.0-py3-none-any.whl","hashes":{"sha256":"AB"},"requires-python":null,"core-metadata":true,"yanked":true,"size":12},
{"filename":"pkg-1.1-py3-none-any.whl","url":"https://u:p@files.example/pkg-1.1-py3-none-any.whl#sha256=cd","hashes":{},"dist-info-metadata":{"sha256":"EF"},"yanked":"bad","size":null},
{"filename":"pkg-1.2.tar.gz","url":"/f/pkg-1.2.tar.gz","hashes":{"sha256":"01"},"data-dist-info-metadata":{"sha256":"02"},"yanked":false,"size":"7"}
]}`,
		check: func(t *testing.T, base string, p index.Project) {
			a, b, c := p.Files[0], p.Files[1], p.Files[2]
			if a.URL != base+"/f/"+whl || !a.Yanked || a.YankedReason != "" || a.MetadataURL == "" || a.MetadataHashes != nil || a.Size != 12 || a.Hashes["sha256"] != "ab" {
				t.Errorf("a: %+v", a)
			}
			if b.URL != "https://files.example/pkg-1.1-py3-none-any.whl" || b.Hashes["sha256"] != "cd" || b.YankedReason != "bad" || b.MetadataHashes["sha256"] != "ef" ||
				b.MetadataURL != "https://files.example/pkg-1.1-py3-none-any.whl.metadata" {
				t.Errorf("b: %+v", b)
			}
			if c.Yanked || c.MetadataHashes["sha256"] != "02" || c.Size != 7 {
				t.Errorf("c: %+v", c)
			}
		},
	}, {
		name:  "static server with no content type",
		ctype: "",
		body:  `<a href="x/` + whl + `">` + whl + `</a>`,
		check: func(t *testing.T, base string, p index.Project) {
			if p.Files[0].URL != base+"/simple/pkg/x/"+whl {
				t.Errorf("%+v", p.Files[0])
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/simple/pkg/" {
					http.NotFound(w, r)
					return
				}
				w.Header()["Content-Type"] = nil // keep net/http from sniffing
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p, err := newClient(t, []string{srv.URL + "/simple"}).Project(context.Background(), "pkg")
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, srv.URL, p)
		})
	}
}

func TestUnsupportedAPIVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ctype, body string }{
		{"application/vnd.pypi.simple.v1+json", `{"meta":{"api-version":"2.0"},"name":"pkg","files":[]}`},
		{"text/html", `<meta name="pypi:repository-version" content="2.0"><a href="a.whl">a</a>`},
		{"application/vnd.pypi.simple.v2+json", `{}`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tc.ctype)
			io.WriteString(w, tc.body)
		}))
		_, err := newClient(t, []string{srv.URL + "/simple/"}).Project(context.Background(), "pkg")
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), `fetching project "pkg"`) {
			t.Errorf("%s %s: err = %v", tc.ctype, tc.body, err)
		}
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := indextest.New(t, []wheeltest.Spec{attrsB})
	c := newClient(t, []string{s.URL})
	p, err := c.Project(ctx, "attrs")
	if err != nil {
		t.Fatal(err)
	}
	md, err := c.Metadata(ctx, p.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md, attrsB.Metadata()) {
		t.Errorf("metadata = %q", md)
	}
	if _, err := c.Metadata(ctx, p.Files[0]); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests("/files/"); n != 1 {
		t.Errorf("metadata fetched %d times, want 1 (cached)", n)
	}

	bad := p.Files[0]
	bad.MetadataURL += "?other" // a different cache key, same content
	bad.MetadataHashes = map[string]string{"sha256": strings.Repeat("0", 64)}
	if _, err := c.Metadata(ctx, bad); !errors.Is(err, index.ErrHashMismatch) {
		t.Errorf("mismatch: err = %v", err)
	}

	none := indextest.New(t, []wheeltest.Spec{attrsB}, indextest.NoMetadata())
	c2 := newClient(t, []string{none.URL})
	p2, err := c2.Project(ctx, "attrs")
	if err != nil {
		t.Fatal(err)
	}
	if p2.Files[0].MetadataURL != "" {
		t.Errorf("NoMetadata still advertised: %+v", p2.Files[0])
	}
	if _, err := c2.Metadata(ctx, p2.Files[0]); !errors.Is(err, index.ErrNoMetadata) {
		t.Errorf("err = %v, want ErrNoMetadata", err)
	}
	// Advertised but not served: also ErrNoMetadata, so callers fall back to the wheel.
	ghost := p2.Files[0]
	ghost.MetadataURL = ghost.URL + ".metadata"
	if _, err := c2.Metadata(ctx, ghost); !errors.Is(err, index.ErrNoMetadata) {
		t.Errorf("err = %v, want ErrNoMetadata", err)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six}, indextest.FailFirst(3, http.StatusServiceUnavailable))
	rec := &recorder{}
	c := newClient(t, []string{s.URL}, index.WithRetries(4, 100*time.Millisecond), index.WithSleep(rec.sleep))
	ctx := context.Background()
	p, err := c.Project(ctx, "six")
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Requests("/simple/six/"); n != 4 {
		t.Errorf("requests = %d, want 4", n)
	}
	w := rec.waits()
	if len(w) != 3 {
		t.Fatalf("waits = %v", w)
	}
	for i, d := range w { // 100ms, 200ms, 400ms, each with up to half of it as jitter
		lo := 100 * time.Millisecond << i / 2
		if d < lo || d > 2*lo {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, d, lo, 2*lo)
		}
	}

	var buf seekBuffer
	if _, err := c.Download(ctx, p.Files[0], &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.b, s.File(six.Filename())) {
		t.Error("downloaded bytes differ")
	}
	if n := s.Requests("/files/"); n != 4 {
		t.Errorf("file requests = %d, want 4", n)
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six}, indextest.FailFirst(10, http.StatusBadGateway))
	c := newClient(t, []string{s.URL}, index.WithRetries(3, time.Millisecond))
	_, err := c.Project(context.Background(), "six")
	var herr *index.HTTPError
	if !errors.As(err, &herr) || herr.StatusCode != 502 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") || !strings.Contains(err.Error(), `fetching project "six" from `+s.URL) {
		t.Errorf("err = %v", err)
	}
	if n := s.Requests("/simple/six/"); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusBadRequest, http.StatusUnauthorized} {
		s := indextest.New(t, []wheeltest.Spec{six}, indextest.FailFirst(5, status))
		_, err := newClient(t, []string{s.URL}).Project(context.Background(), "six")
		var herr *index.HTTPError
		if !errors.As(err, &herr) || herr.StatusCode != status {
			t.Errorf("%d: err = %v", status, err)
		}
		if n := s.Requests("/"); n != 1 {
			t.Errorf("%d: requests = %d, want 1", status, n)
		}
	}
	s := indextest.New(t, []wheeltest.Spec{six})
	_, err := newClient(t, []string{s.URL}).Project(context.Background(), "nonesuch")
	var nf *index.NotFoundError
	if !errors.As(err, &nf) || nf.Name != "nonesuch" || !reflect.DeepEqual(nf.Indexes, []string{s.URL}) {
		t.Errorf("err = %v", err)
	}
	if n := s.Requests("/"); n != 1 {
		t.Errorf("404: requests = %d, want 1", n)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{"86400", 30 * time.Second}, // capped
		{time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), 30 * time.Second},
	} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", tc.header)
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<a href="/f/pkg-1.0-py3-none-any.whl">x</a>`)
		}))
		rec := &recorder{}
		_, err := newClient(t, []string{srv.URL}, index.WithSleep(rec.sleep)).Project(context.Background(), "pkg")
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if w := rec.waits(); len(w) != 1 || w[0] != tc.want {
			t.Errorf("Retry-After %s: waits = %v, want [%v]", tc.header, w, tc.want)
		}
	}
}

// hijackFirst closes the connection without answering on the first n requests.
func hijackFirst(n int32, next http.Handler) (http.Handler, *atomic.Int32) {
	var count atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		next.ServeHTTP(w, r)
	}), &count
}

func TestConnectionResetRetried(t *testing.T) {
	t.Parallel()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<a href="/f/pkg-1.0-py3-none-any.whl">x</a>`)
	})
	h, count := hijackFirst(2, page)
	srv := httptest.NewServer(h)
	defer srv.Close()
	p, err := newClient(t, []string{srv.URL}).Project(context.Background(), "pkg")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 1 || count.Load() != 3 {
		t.Errorf("files %d, requests %d", len(p.Files), count.Load())
	}
}

// TestDownloadRestartsAfterCutBody checks that a body cut mid-way is retried from the start and the
// destination truncated, so no bytes of the failed attempt survive.
func TestDownloadRestartsAfterCutBody(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte("0123456789"), 1000)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
			w.Write(bytes.Repeat([]byte("X"), 5000))
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		w.Write(payload)
	}))
	defer srv.Close()
	c := newClient(t, []string{srv.URL})
	dst, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dst.WriteString("prefix:") // Download writes from the current offset
	got, err := c.Download(context.Background(), index.File{Filename: "pkg.whl", URL: srv.URL + "/pkg.whl", Size: int64(len(payload))}, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got != int64(len(payload)) || n.Load() != 2 {
		t.Errorf("wrote %d bytes in %d requests", got, n.Load())
	}
	b, _ := os.ReadFile(dst.Name())
	if string(b) != "prefix:"+string(payload) {
		t.Errorf("file holds %d bytes, starting %q", len(b), b[:20])
	}
}

func TestDownloadSizeMismatch(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{six})
	c := newClient(t, []string{s.URL})
	p, err := c.Project(context.Background(), "six")
	if err != nil {
		t.Fatal(err)
	}
	f := p.Files[0]
	f.Size++
	if _, err := c.Download(context.Background(), f, &seekBuffer{}); err == nil || !strings.Contains(err.Error(), "index says") {
		t.Errorf("err = %v", err)
	}
}

// TestDownloadEndless: a server that streams a wheel without end (never stalling) is cut off after the
// size the index gives, or after the cap when it gives none, and not retried; it filled the disk.
func TestDownloadEndless(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		chunk := bytes.Repeat([]byte("x"), 4096)
		for range 1 << 14 { // 64 MiB, "endless" for the test
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	defer index.SetMaxDownloadBytes(1 << 20)()
	c := newClient(t, []string{srv.URL})
	for _, tc := range []struct {
		size int64
		want string
	}{
		{1000, "more than the 1000 bytes the index says"},
		{0, "more than 1048576 bytes"},
	} {
		requests.Store(0)
		f := index.File{Filename: "evil-1.0-py3-none-any.whl", URL: srv.URL + "/evil-1.0-py3-none-any.whl", Size: tc.size}
		var dst seekBuffer
		n, err := c.Download(context.Background(), f, &dst)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), f.Filename) {
			t.Errorf("size %d: err = %v, want %q", tc.size, err, tc.want)
		}
		if limit := max(tc.size, 1<<20); n > limit+1 || requests.Load() != 1 {
			t.Errorf("size %d: wrote %d bytes in %d requests", tc.size, n, requests.Load())
		}
	}
}

func TestBodyCap(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, []wheeltest.Spec{attrsA, attrsB})
	c := newClient(t, []string{s.URL}, index.WithMaxPageBytes(200))
	_, err := c.Project(context.Background(), "attrs")
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit of 200 bytes") {
		t.Fatalf("err = %v", err)
	}
	if n := s.Requests("/simple/"); n != 1 {
		t.Errorf("requests = %d, want 1 (an oversized page is not retried)", n)
	}

	// Without Content-Length (chunked), the cap still holds.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for range 100 {
			io.WriteString(w, "<p>padding padding padding</p>\n")
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	_, err = newClient(t, []string{srv.URL}, index.WithMaxPageBytes(1000)).Project(context.Background(), "pkg")
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("chunked: err = %v", err)
	}
}

const user, secret = "deploy-user", "s3cr3t-t0ken"

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{secret, user} {
		if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), s) {
			t.Errorf("error text leaks %q: %v", s, err)
		}
	}
}

func withUserinfo(t *testing.T, raw, user, pass string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, pass)
	return u.String()
}

func exercise(t *testing.T, c *index.Client) error {
	t.Helper()
	ctx := context.Background()
	p, err := c.Project(ctx, "six")
	if err != nil {
		return err
	}
	if _, err := c.Metadata(ctx, p.Files[0]); err != nil {
		return err
	}
	_, err = c.Download(ctx, p.Files[0], &seekBuffer{})
	return err
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	for _, htmlOnly := range []bool{false, true} { // JSON lists absolute, HTML relative file URLs
		opts := []indextest.Option{indextest.BasicAuth(user, secret)}
		if htmlOnly {
			opts = append(opts, indextest.HTMLOnly())
		}
		s := indextest.New(t, []wheeltest.Spec{six}, opts...)

		t.Run(fmt.Sprintf("url/html=%v", htmlOnly), func(t *testing.T) {
			c := newClient(t, []string{withUserinfo(t, s.URL, user, secret)})
			if err := exercise(t, c); err != nil {
				t.Fatal(err)
			}
			if got := c.Indexes(); got[0] != s.URL {
				t.Errorf("Indexes() = %v: credentials should be stripped", got)
			}
		})
		t.Run(fmt.Sprintf("netrc/html=%v", htmlOnly), func(t *testing.T) {
			host := strings.TrimPrefix(strings.TrimSuffix(s.URL, ":"+port(t, s.URL)+"/simple/"), "http://")
			netrc := filepath.Join(t.TempDir(), "netrc")
			os.WriteFile(netrc, fmt.Appendf(nil, "# comment\nmachine other.example login x password y\nmachine %s\n  login %s\n  password %s\n", host, user, secret), 0o600)
			c := newClient(t, []string{s.URL}, index.WithNetrc(netrc))
			if err := exercise(t, c); err != nil {
				t.Fatal(err)
			}
		})
		t.Run(fmt.Sprintf("netrc from env/html=%v", htmlOnly), func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, ".netrc"), fmt.Appendf(nil, "default login %s password %s\n", user, secret), 0o600)
			env := map[string]string{"HOME": dir}
			rec := &recorder{}
			c, err := index.New([]string{s.URL}, index.WithGetenv(func(k string) string { return env[k] }), index.WithSleep(rec.sleep))
			if err != nil {
				t.Fatal(err)
			}
			if err := exercise(t, c); err != nil {
				t.Fatal(err)
			}
		})
		t.Run(fmt.Sprintf("wrong/html=%v", htmlOnly), func(t *testing.T) {
			c := newClient(t, []string{withUserinfo(t, s.URL, user, "wrong-"+secret)})
			err := exercise(t, c)
			var herr *index.HTTPError
			if !errors.As(err, &herr) || herr.StatusCode != 401 || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("err = %v", err)
			}
			assertNoSecret(t, err)
		})
		t.Run(fmt.Sprintf("none/html=%v", htmlOnly), func(t *testing.T) {
			err := exercise(t, newClient(t, []string{s.URL}))
			if err == nil || !strings.Contains(err.Error(), "no credentials configured") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func port(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// TestCredentialsNeverInErrors drives every error path it can with credentials in the URL.
func TestCredentialsNeverInErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := indextest.New(t, []wheeltest.Spec{six}, indextest.BasicAuth(user, secret), indextest.FailFirst(100, 500))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	cases := map[string][]string{
		"5xx":          {withUserinfo(t, s.URL, user, secret)},
		"refused":      {withUserinfo(t, closed.URL+"/simple/", user, secret)},
		"extra 5xx":    {withUserinfo(t, closed.URL+"/simple/", user, secret), withUserinfo(t, s.URL, user, secret)},
		"bad scheme":   {"ftp://" + user + ":" + secret + "@host/simple/"},
		"unparseable":  {"http://" + user + ":" + secret + "@host:port/simple/"},
		"bad password": {"http://" + user + ":" + secret + "%zz@host/simple/"},
	}
	for name, urls := range cases {
		c, err := index.New(urls, index.WithNetrc(""), index.WithRetries(2, time.Millisecond))
		assertNoSecret(t, err)
		if err != nil {
			continue
		}
		_, err = c.Project(ctx, "six")
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		assertNoSecret(t, err)
		f := index.File{Filename: "x.whl", URL: closed.URL + "/x.whl", MetadataURL: closed.URL + "/x.whl.metadata"}
		_, err = c.Metadata(ctx, f)
		assertNoSecret(t, err)
		_, err = c.Download(ctx, f, &seekBuffer{})
		assertNoSecret(t, err)
	}
	// A page that lists file URLs with credentials: they are used, and never shown.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/simple/pkg/" {
			io.WriteString(w, `<a href="http://`+user+`:`+secret+`@`+r.Host+`/f/pkg-1.0-py3-none-any.whl">x</a>`)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != secret {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "wheel")
	}))
	defer srv.Close()
	c := newClient(t, []string{srv.URL + "/simple/"})
	p, err := c.Project(ctx, "pkg")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprint(p), secret) {
		t.Errorf("project leaks credentials: %+v", p)
	}
	var buf seekBuffer
	if _, err := c.Download(ctx, p.Files[0], &buf); err != nil || string(buf.b) != "wheel" {
		t.Errorf("download with learned credentials: %q, %v", buf.b, err)
	}
}

func TestLocalIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	simple := indextest.WriteDir(t, dir, []wheeltest.Spec{attrsA, attrsB, six}, indextest.Yank(six.Filename(), ""))
	// The same pages a live server sends as HTML.
	live := indextest.New(t, []wheeltest.Spec{attrsA, attrsB, six}, indextest.Yank(six.Filename(), ""), indextest.HTMLOnly())
	wantPage := get(t, live.URL+"attrs/", "")
	if b, _ := os.ReadFile(filepath.Join(simple, "attrs", "index.html")); string(b) != wantPage {
		t.Errorf("static page differs from served page:\n%s\n---\n%s", b, wantPage)
	}

	rel, err := filepath.Rel(mustGetwd(t), simple)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{simple, "file://" + simple, rel} {
		t.Run(u, func(t *testing.T) {
			c := newClient(t, []string{u})
			p, err := c.Project(ctx, "ATTRS")
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Files) != 2 {
				t.Fatalf("files: %+v", p.Files)
			}
			f := p.Files[1]
			if f.URL != "file://"+filepath.Join(dir, "files", attrsB.Filename()) || f.RequiresPython != ">=3.8,<4" || f.Index != "file://"+simple+"/" {
				t.Errorf("file: %+v", f)
			}
			md, err := c.Metadata(ctx, f)
			if err != nil || !bytes.Equal(md, attrsB.Metadata()) {
				t.Errorf("metadata %q, %v", md, err)
			}
			var buf seekBuffer
			if _, err := c.Download(ctx, f, &buf); err != nil || sha(buf.b) != f.Hashes["sha256"] {
				t.Errorf("download: %v", err)
			}
			p, err = c.Project(ctx, "six")
			if err != nil || !p.Files[0].Yanked {
				t.Errorf("six: %+v, %v", p, err)
			}
			_, err = c.Project(ctx, "nonesuch")
			var nf *index.NotFoundError
			if !errors.As(err, &nf) {
				t.Errorf("err = %v", err)
			}
		})
	}
	if _, err := index.New([]string{filepath.Join(dir, "missing")}, index.WithNetrc("")); err == nil {
		t.Error("missing directory accepted")
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestExtraIndexMerging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mine := wheeltest.Spec{Name: "attrs", Version: "99.0+internal"}
	primary := indextest.New(t, []wheeltest.Spec{attrsA, six})
	extra := indextest.New(t, []wheeltest.Spec{mine, zopeInt}, indextest.HTMLOnly())
	c := newClient(t, []string{primary.URL, extra.URL})
	p, err := c.Project(ctx, "attrs")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range p.Files {
		got = append(got, f.Filename+" "+f.Index)
	}
	want := []string{attrsA.Filename() + " " + primary.URL, mine.Filename() + " " + extra.URL}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// Missing on one index only is fine, either way round.
	for _, name := range []string{"six", "zope-interface"} {
		if p, err := c.Project(ctx, name); err != nil || len(p.Files) != 1 {
			t.Errorf("%s: %+v, %v", name, p, err)
		}
	}
	_, err = c.Project(ctx, "nonesuch")
	var nf *index.NotFoundError
	if !errors.As(err, &nf) || !reflect.DeepEqual(nf.Indexes, []string{primary.URL, extra.URL}) {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(err.Error(), `"nonesuch" not found on `+primary.URL+", "+extra.URL) {
		t.Errorf("message: %v", err)
	}

	// A failing extra index fails the lookup: its files might have changed the resolution.
	broken := indextest.New(t, nil, indextest.FailFirst(100, http.StatusForbidden))
	_, err = newClient(t, []string{primary.URL, broken.URL}).Project(ctx, "six")
	var herr *index.HTTPError
	if !errors.As(err, &herr) || herr.StatusCode != 403 {
		t.Errorf("err = %v", err)
	}
}

func TestConcurrentProjectOneRequest(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		<-release
		io.WriteString(w, `<a href="/f/pkg-1.0-py3-none-any.whl">x</a>`)
	}))
	defer srv.Close()
	c := newClient(t, []string{srv.URL})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			name := []string{"pkg", "PKG", "Pkg"}[i%3]
			p, err := c.Project(context.Background(), name)
			if err == nil && len(p.Files) != 1 {
				err = fmt.Errorf("files %v", p.Files)
			}
			errs <- err
		})
	}
	time.Sleep(50 * time.Millisecond) // let the callers pile up on the one request
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Project(context.Background(), "pkg"); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

// TestCancelledCallerDoesNotFailOthers: a shared request survives one caller giving up, and a request
// every caller gave up on is not cached.
func TestCancelledCallerDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-release
		}
		io.WriteString(w, `<a href="/f/pkg-1.0-py3-none-any.whl">x</a>`)
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, []string{srv.URL})

	ctx1, cancel1 := context.WithCancel(context.Background())
	done1 := make(chan error)
	go func() { _, err := c.Project(ctx1, "pkg"); done1 <- err }()
	for n.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel1()
	if err := <-done1; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// The only waiter left, so the request was abandoned; a new caller starts afresh.
	p, err := c.Project(context.Background(), "pkg")
	if err != nil || len(p.Files) != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	if n.Load() != 2 {
		t.Errorf("requests = %d, want 2", n.Load())
	}
}

func TestURLsFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got := index.URLsFromEnv(env(nil)); !reflect.DeepEqual(got, []string{index.PyPI}) {
		t.Errorf("empty: %v", got)
	}
	got := index.URLsFromEnv(env(map[string]string{
		"PIP_INDEX_URL":       " https://a.example/simple ",
		"PIP_EXTRA_INDEX_URL": "https://b.example/simple\n  https://c.example/simple\t",
	}))
	want := []string{"https://a.example/simple", "https://b.example/simple", "https://c.example/simple"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	if got := index.URLsFromEnv(env(map[string]string{"PIP_EXTRA_INDEX_URL": "https://b.example/"})); got[0] != index.PyPI || len(got) != 2 {
		t.Errorf("extra only: %v", got)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://pypi.org/simple/":                   "https://pypi.org/simple/",
		"https://user:pw@host.example/simple/":       "https://***@host.example/simple/",
		"https://token@host.example:8443/simple/":    "https://***@host.example:8443/simple/",
		"https://us%40er:p%2Fw@host/x":               "https://***@host/x",
		"http://user:pass@host:port/x":               "http://***@host:port/x",
		"http://user:pa ss%zz@host/x?q=1":            "http://***@host/x?q=1",
		"/local/dir":                                 "/local/dir",
		"user:pw@host/path":                          "***@host/path",
		"file:///tmp/simple/":                        "file:///tmp/simple/",
		"https://host/a@b":                           "https://host/a@b",
		"https://u:p@host.example/simple/#sha256=ab": "https://***@host.example/simple/#sha256=ab",
	} {
		if got := index.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		urls []string
		opts []index.Option
	}{
		"no urls":        {nil, nil},
		"empty url":      {[]string{" "}, nil},
		"zero attempts":  {[]string{index.PyPI}, []index.Option{index.WithRetries(0, time.Second)}},
		"negative delay": {[]string{index.PyPI}, []index.Option{index.WithRetries(2, -time.Second)}},
		"zero cap":       {[]string{index.PyPI}, []index.Option{index.WithMaxPageBytes(0)}},
		"missing netrc":  {[]string{index.PyPI}, []index.Option{index.WithNetrc("/nonexistent/netrc")}},
		"no host":        {[]string{"https:///simple/"}, nil},
	} {
		if _, err := index.New(tc.urls, append([]index.Option{index.WithNetrc("")}, tc.opts...)...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := index.New([]string{index.PyPI}, index.WithNetrc(""), index.WithHTTPClient(&http.Client{})); err != nil {
		t.Error(err)
	}
	if _, err := newClient(t, []string{index.PyPI}).Project(context.Background(), "../etc"); err == nil {
		t.Error("bad name accepted")
	}
}

func TestUserAgentAndAccept(t *testing.T) {
	t.Parallel()
	var ua, accept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua, accept = r.Header.Get("User-Agent"), r.Header.Get("Accept")
		http.NotFound(w, r)
	}))
	defer srv.Close()
	newClient(t, []string{srv.URL}, index.WithUserAgent("test-agent/1")).Project(context.Background(), "pkg")
	if ua != "test-agent/1" || accept != "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01" {
		t.Errorf("User-Agent %q, Accept %q", ua, accept)
	}
}

func TestStalledBodyRetried(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	done := make(chan struct{})
	defer close(done)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "<a ")
			w.(http.Flusher).Flush()
			select {
			case <-done:
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, `<a href="/f/pkg-1.0-py3-none-any.whl">x</a>`)
	}))
	defer srv.Close()
	c := newClient(t, []string{srv.URL}, index.WithStallTimeout(100*time.Millisecond))
	p, err := c.Project(context.Background(), "pkg")
	if err != nil || len(p.Files) != 1 || n.Load() != 2 {
		t.Fatalf("%+v, %v, %d requests", p, err, n.Load())
	}
}

// get fetches a page the way a browser would, for comparing what servers send.
func get(t *testing.T, u, accept string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// seekBuffer is an in-memory io.WriteSeeker with Truncate, like an *os.File.
type seekBuffer struct {
	b   []byte
	off int64
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if need := s.off + int64(len(p)); need > int64(len(s.b)) {
		s.b = append(s.b, make([]byte, need-int64(len(s.b)))...)
	}
	copy(s.b[s.off:], p)
	s.off += int64(len(p))
	return len(p), nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		s.off = off
	case io.SeekCurrent:
		s.off += off
	case io.SeekEnd:
		s.off = int64(len(s.b)) + off
	}
	return s.off, nil
}

func (s *seekBuffer) Truncate(n int64) error {
	s.b = s.b[:n]
	return nil
}

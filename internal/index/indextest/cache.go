package indextest

// Caching headers, latency, a static directory, and a log of what was asked: what tests of the HTTP
// cache and of round trips need.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// epoch is the Last-Modified of pages until Add changes them.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// CacheControl sends this Cache-Control header with every page and metadata file ("max-age=600", as
// PyPI does; "no-cache"; "no-store"). Default: none.
func CacheControl(v string) Option { return func(s *Server) { s.cacheControl = v } }

// NoETag sends Last-Modified without an ETag, so revalidation must use If-Modified-Since. Default: pages
// and metadata files carry both.
func NoETag() Option { return func(s *Server) { s.noETag = true } }

// NoLastModified sends an ETag without Last-Modified, so revalidation must use If-None-Match. Default:
// pages and metadata files carry both.
func NoLastModified() Option { return func(s *Server) { s.noLastModified = true } }

// Latency delays every answer by d, as a distant index would. Default: none.
func Latency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// Request is one request as the server saw it.
type Request struct {
	Path string
	// Conditional is true when it carried If-None-Match or If-Modified-Since.
	Conditional bool
	Status      int
	Start, End  time.Time
}

// Log returns every request so far, in arrival order (a request still being answered has a zero End).
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetLog forgets the requests so far (Requests, Log, Rounds start again).
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.requests = nil, nil
	s.logGen++
}

// Rounds is the number of sequential round trips the requests so far took: the longest chain of
// requests each of which arrived after the one before it was answered. Requests sent together count
// once; a request that could only be sent after another's answer adds one.
func (s *Server) Rounds() int {
	log := s.Log()
	sort.Slice(log, func(i, j int) bool { return log[i].End.Before(log[j].End) })
	depth := make([]int, len(log))
	best := 0
	for i := range log {
		depth[i] = 1
		for j := range i {
			if !log[j].End.IsZero() && !log[j].End.After(log[i].Start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		best = max(best, depth[i])
	}
	return best
}

// Count returns how many requests so far had a path starting with pathPrefix and satisfied match (nil:
// all of them).
func (s *Server) Count(pathPrefix string, match func(Request) bool) int {
	n := 0
	for _, r := range s.Log() {
		if strings.HasPrefix(r.Path, pathPrefix) && (match == nil || match(r)) {
			n++
		}
	}
	return n
}

// Add lists more wheels while the server runs, as a new release does; the pages change, and so do their
// ETag and Last-Modified.
func (s *Server) Add(t testing.TB, wheels ...wheeltest.Spec) {
	t.Helper()
	all := built(wheels)
	s.data.Lock()
	defer s.data.Unlock()
	if err := s.add(all); err != nil {
		t.Fatal(err)
	}
	s.modified = s.modified.Add(time.Hour)
}

// NewStatic serves a static PEP 503 index directory — the layout Write and repack-wheels.py produce:
// dir/simple/<name>/index.html and dir/files/… — over HTTP with the options' caching headers and
// latency (FailFirst and BasicAuth apply too). URL is its /simple/.
func NewStatic(t testing.TB, dir string, opts ...Option) *Server {
	t.Helper()
	s := &Server{failures: map[string]int{}, modified: epoch}
	for _, o := range opts {
		o(s)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.static = abs
	s.start(t)
	return s
}

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	p := path.Clean(r.URL.Path)
	if strings.Contains(p, "..") {
		http.NotFound(w, r)
		return
	}
	file := filepath.Join(s.static, filepath.FromSlash(p))
	if strings.HasSuffix(r.URL.Path, "/") {
		file = filepath.Join(file, "index.html")
	}
	if strings.HasPrefix(p, "/files/") && !strings.HasSuffix(p, ".metadata") {
		f, err := os.Open(file)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, path.Base(p), time.Time{}, f) // handles Range
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := "application/octet-stream"
	if strings.HasSuffix(file, ".html") {
		ct = "text/html; charset=utf-8"
	}
	s.writeCacheable(w, r, ct, b)
}

// writeCacheable answers with body and its validators, or 304 when the request's validators match.
func (s *Server) writeCacheable(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	h := w.Header()
	if s.cacheControl != "" {
		h.Set("Cache-Control", s.cacheControl)
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	modified := s.modified
	if !s.noETag {
		h.Set("ETag", etag)
	}
	if !s.noLastModified {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	notModified := false
	if inm := r.Header.Get("If-None-Match"); inm != "" && !s.noETag {
		for _, v := range strings.Split(inm, ",") {
			if v = strings.TrimPrefix(strings.TrimSpace(v), "W/"); v == etag || v == "*" {
				notModified = true
			}
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && !s.noLastModified {
		if t, err := http.ParseTime(ims); err == nil && !modified.After(t) {
			notModified = true
		}
	}
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom passes a file's bytes on to the connection's own ReadFrom (sendfile), as a real file server
// or CDN does: a benchmark's server then costs the client under test no CPU copying wheels.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return io.Copy(w.ResponseWriter, r)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// record logs r and returns the writer to answer it with and the function that closes its log entry.
func (s *Server) record(rw http.ResponseWriter, r *http.Request) (http.ResponseWriter, func()) {
	s.mu.Lock()
	i, gen := len(s.log), s.logGen
	s.log = append(s.log, Request{
		Path:        r.URL.Path,
		Conditional: r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "",
		Start:       time.Now(),
	})
	s.mu.Unlock()
	w := &statusWriter{ResponseWriter: rw}
	return w, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if gen == s.logGen {
			s.log[i].Status, s.log[i].End = w.status, time.Now()
		}
	}
}

// Package indextest serves real wheels (built with wheeltest) over the real simple-index protocols — PEP
// 691 JSON, PEP 503 HTML, PEP 658 metadata, ranged downloads — in process, or writes them as a static
// PEP 503 directory, so that no test needs the network.
package indextest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// Server is an in-process index. Its zero value is not usable; call New.
type Server struct {
	// URL is the index URL to give a client, ending in "/simple/".
	URL string

	htmlOnly   bool
	noMetadata bool
	yanks      map[string]string // filename → reason
	failFirst  int
	failStatus int
	user, pass string
	extras     []entry

	// cache.go: caching headers, latency, and what was asked.
	cacheControl   string
	noETag         bool
	noLastModified bool
	latency        time.Duration
	static         string // NewStatic: the directory served

	data     sync.RWMutex        // guards projects, files and modified (Add changes them)
	projects map[string][]*entry // normalized name → files sorted by filename
	files    map[string]*entry   // by filename
	modified time.Time           // Last-Modified of every page

	mu       sync.Mutex
	requests []string       // paths, in arrival order
	log      []Request      // every request, in arrival order
	logGen   int            // ResetLog's count, so a request answered after it is not logged
	failures map[string]int // path → failures served
	srv      *httptest.Server
}

type entry struct {
	project        string // normalized
	filename       string
	version        string
	data           []byte
	sha256         string
	metadata       []byte // nil when not served
	metadataSHA256 string
	requiresPython string
	yanked         bool
	reason         string
}

// Option configures a Server (or Write).
type Option func(*Server)

// HTMLOnly serves PEP 503 HTML whatever the client accepts, as a static file server would.
func HTMLOnly() Option { return func(s *Server) { s.htmlOnly = true } }

// NoMetadata neither advertises nor serves PEP 658 metadata files.
func NoMetadata() Option { return func(s *Server) { s.noMetadata = true } }

// Yank marks filename as yanked (PEP 592); an empty reason is a yank without one.
func Yank(filename, reason string) Option {
	return func(s *Server) {
		if s.yanks == nil {
			s.yanks = map[string]string{}
		}
		s.yanks[filename] = reason
	}
}

// FailFirst answers the first n requests of every path with status, for retry tests. Not used by Write.
func FailFirst(n int, status int) Option {
	return func(s *Server) { s.failFirst, s.failStatus = n, status }
}

// BasicAuth requires HTTP Basic credentials on every request. Not used by Write.
func BasicAuth(user, pass string) Option { return func(s *Server) { s.user, s.pass = user, pass } }

// ExtraFile lists a file that is not built from a Spec (an sdist, a broken wheel) under project.
func ExtraFile(project, filename string, data []byte, requiresPython string) Option {
	return func(s *Server) {
		s.extras = append(s.extras, entry{
			project:        normalize(project),
			filename:       filename,
			version:        versionOf(filename),
			data:           data,
			requiresPython: requiresPython,
		})
	}
}

var sepRE = regexp.MustCompile(`[-_.]+`)

func normalize(name string) string { return strings.ToLower(sepRE.ReplaceAllString(name, "-")) }

// versionOf guesses the version from a distribution file name, for PEP 700's "versions".
func versionOf(filename string) string {
	base := filename
	for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"} {
		if strings.HasSuffix(base, ext) {
			base = strings.TrimSuffix(base, ext)
			if ext == ".whl" {
				parts := strings.Split(base, "-")
				if len(parts) >= 2 {
					return parts[1]
				}
			}
			break
		}
	}
	if i := strings.LastIndex(base, "-"); i >= 0 {
		return base[i+1:]
	}
	return ""
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// configure applies opts and builds every file.
func configure(wheels []wheeltest.Spec, opts []Option) (*Server, error) {
	s := &Server{projects: map[string][]*entry{}, files: map[string]*entry{}, failures: map[string]int{}, modified: epoch}
	for _, o := range opts {
		o(s)
	}
	all := append(built(wheels), s.extras...)
	if err := s.add(all); err != nil {
		return nil, err
	}
	for f := range s.yanks {
		if _, ok := s.files[f]; !ok {
			return nil, fmt.Errorf("indextest: Yank(%q): no such file", f)
		}
	}
	return s, nil
}

func built(wheels []wheeltest.Spec) []entry {
	all := make([]entry, 0, len(wheels))
	for _, w := range wheels {
		all = append(all, entry{
			project:        normalize(w.Name),
			filename:       w.Filename(),
			version:        w.Version,
			data:           wheeltest.Build(w),
			metadata:       w.Metadata(),
			requiresPython: w.RequiresPython,
		})
	}
	return all
}

// add lists more files; the caller holds s.data or owns s.
func (s *Server) add(all []entry) error {
	for i := range all {
		e := &all[i]
		if _, dup := s.files[e.filename]; dup {
			return fmt.Errorf("indextest: file %s listed twice", e.filename)
		}
		if strings.ContainsAny(e.filename, "/\\") || e.filename == "" {
			return fmt.Errorf("indextest: bad file name %q", e.filename)
		}
		e.sha256 = sum(e.data)
		if s.noMetadata {
			e.metadata = nil
		}
		if e.metadata != nil {
			e.metadataSHA256 = sum(e.metadata)
		}
		if reason, ok := s.yanks[e.filename]; ok {
			e.yanked, e.reason = true, reason
		}
		s.files[e.filename] = e
		s.projects[e.project] = append(s.projects[e.project], e)
		slices.SortFunc(s.projects[e.project], func(a, b *entry) int { return strings.Compare(a.filename, b.filename) })
	}
	return nil
}

// New starts a server for wheels; t.Cleanup closes it.
func New(t testing.TB, wheels []wheeltest.Spec, opts ...Option) *Server {
	t.Helper()
	s, err := configure(wheels, opts)
	if err != nil {
		t.Fatal(err)
	}
	s.start(t)
	return s
}

func (s *Server) start(t testing.TB) {
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/simple/"
}

// Requests counts the requests so far whose path starts with pathPrefix ("/files/", "/simple/six/").
func (s *Server) Requests(pathPrefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.requests {
		if strings.HasPrefix(p, pathPrefix) {
			n++
		}
	}
	return n
}

// FileURL is the download URL of filename.
func (s *Server) FileURL(filename string) string {
	return s.srv.URL + "/files/" + url.PathEscape(filename)
}

// File returns the bytes served for filename, nil if there is no such file.
func (s *Server) File(filename string) []byte {
	s.data.RLock()
	defer s.data.RUnlock()
	if e, ok := s.files[filename]; ok {
		return e.data
	}
	return nil
}

// SHA256 is the hex sha256 of the file the index lists as filename.
func (s *Server) SHA256(filename string) string {
	s.data.RLock()
	defer s.data.RUnlock()
	if e, ok := s.files[filename]; ok {
		return e.sha256
	}
	return ""
}

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	w, finish := s.record(rw, r)
	defer finish()
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.Path)
	fail := s.failures[r.URL.Path] < s.failFirst
	if fail {
		s.failures[r.URL.Path]++
	}
	s.mu.Unlock()
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	if fail {
		http.Error(w, http.StatusText(s.failStatus), s.failStatus)
		return
	}
	if s.user != "" || s.pass != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.user || p != s.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="indextest"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	if s.static != "" {
		s.serveStatic(w, r)
		return
	}
	s.data.RLock()
	defer s.data.RUnlock()
	p := r.URL.Path
	switch {
	case p == "/simple/":
		s.serveRoot(w, r)
	case strings.HasPrefix(p, "/simple/"):
		name, rest, _ := strings.Cut(strings.TrimPrefix(p, "/simple/"), "/")
		if rest != "" {
			http.NotFound(w, r)
			return
		}
		if norm := normalize(name); norm != name || !strings.HasSuffix(p, "/") {
			// PEP 503: redirect to the normalized name, with the trailing slash.
			http.Redirect(w, r, "/simple/"+norm+"/", http.StatusMovedPermanently)
			return
		}
		es, ok := s.projects[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.serveProject(w, r, name, es)
	case strings.HasPrefix(p, "/files/"):
		fn := strings.TrimPrefix(p, "/files/")
		if e, ok := s.files[fn]; ok {
			http.ServeContent(w, r, fn, time.Time{}, bytes.NewReader(e.data)) // handles Range
			return
		}
		if base, ok := strings.CutSuffix(fn, ".metadata"); ok {
			if e, ok := s.files[base]; ok && e.metadata != nil {
				s.writeCacheable(w, r, "application/octet-stream", e.metadata)
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

const (
	typeJSON = "application/vnd.pypi.simple.v1+json"
	typeHTML = "application/vnd.pypi.simple.v1+html"
)

// negotiate picks the response type from Accept as PEP 691 describes; "" means 406.
func (s *Server) negotiate(accept string) string {
	if s.htmlOnly || strings.TrimSpace(accept) == "" {
		return "text/html"
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, f := range fields[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok && k == "q" {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					q = x
				}
			}
		}
		var t string
		switch mt {
		case typeJSON, "application/vnd.pypi.simple.latest+json":
			t = typeJSON
		case typeHTML, "application/vnd.pypi.simple.latest+html":
			t = typeHTML
		case "text/html", "*/*", "text/*":
			t = "text/html"
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = t, q
		}
	}
	return best
}

func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(s.projects))
	for n := range s.projects {
		names = append(names, n)
	}
	sort.Strings(names)
	w.Header().Set("Vary", "Accept")
	switch t := s.negotiate(r.Header.Get("Accept")); t {
	case typeJSON:
		type proj struct {
			Name string `json:"name"`
		}
		out := struct {
			Meta     map[string]string `json:"meta"`
			Projects []proj            `json:"projects"`
		}{Meta: map[string]string{"api-version": "1.1"}, Projects: []proj{}}
		for _, n := range names {
			out.Projects = append(out.Projects, proj{n})
		}
		s.writeJSON(w, r, out)
	case "":
		http.Error(w, "not acceptable", http.StatusNotAcceptable)
	default:
		s.writeCacheable(w, r, t+"; charset=utf-8", rootHTML(names))
	}
}

func (s *Server) serveProject(w http.ResponseWriter, r *http.Request, name string, es []*entry) {
	w.Header().Set("Vary", "Accept")
	switch t := s.negotiate(r.Header.Get("Accept")); t {
	case typeJSON:
		s.writeJSON(w, r, s.projectJSON(name, es))
	case "":
		http.Error(w, "not acceptable", http.StatusNotAcceptable)
	default:
		s.writeCacheable(w, r, t+"; charset=utf-8", projectHTML(es))
	}
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.writeCacheable(w, r, typeJSON, b)
}

// projectJSON is a PEP 691 v1.1 page: absolute URLs as PyPI serves them, PEP 714 and the older metadata
// key both, yanked as a reason string when there is one.
func (s *Server) projectJSON(name string, es []*entry) any {
	type file struct {
		Filename         string            `json:"filename"`
		URL              string            `json:"url"`
		Hashes           map[string]string `json:"hashes"`
		RequiresPython   *string           `json:"requires-python"`
		CoreMetadata     any               `json:"core-metadata"`
		DistInfoMetadata any               `json:"dist-info-metadata"`
		Yanked           any               `json:"yanked"`
		Size             int               `json:"size"`
	}
	out := struct {
		Meta     map[string]string `json:"meta"`
		Name     string            `json:"name"`
		Files    []file            `json:"files"`
		Versions []string          `json:"versions"`
	}{Meta: map[string]string{"api-version": "1.1"}, Name: name, Files: []file{}, Versions: []string{}}
	for _, e := range es {
		f := file{
			Filename:         e.filename,
			URL:              s.FileURL(e.filename),
			Hashes:           map[string]string{"sha256": e.sha256},
			CoreMetadata:     false,
			DistInfoMetadata: false,
			Yanked:           false,
			Size:             len(e.data),
		}
		if e.requiresPython != "" {
			rp := e.requiresPython
			f.RequiresPython = &rp
		}
		if e.metadata != nil {
			h := map[string]string{"sha256": e.metadataSHA256}
			f.CoreMetadata, f.DistInfoMetadata = h, h
		}
		if e.yanked {
			f.Yanked = true
			if e.reason != "" {
				f.Yanked = e.reason
			}
		}
		out.Files = append(out.Files, f)
		if e.version != "" && !slices.Contains(out.Versions, e.version) {
			out.Versions = append(out.Versions, e.version)
		}
	}
	return out
}

func rootHTML(names []string) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Simple index</title></head><body>\n")
	for _, n := range names {
		fmt.Fprintf(&b, "<a href=\"%s/\">%s</a>\n", html.EscapeString(n), html.EscapeString(n))
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

// projectHTML is a PEP 503 page in the shape repack-wheels.py writes: relative links with a sha256
// fragment, escaped data-requires-python, both metadata attributes, data-yanked with or without a value.
func projectHTML(es []*entry) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links</title></head><body>\n")
	for _, e := range es {
		href := "../../files/" + url.PathEscape(e.filename) + "#sha256=" + e.sha256
		fmt.Fprintf(&b, "<a href=\"%s\"", html.EscapeString(href))
		if e.requiresPython != "" {
			fmt.Fprintf(&b, " data-requires-python=\"%s\"", html.EscapeString(e.requiresPython))
		}
		if e.metadata != nil {
			fmt.Fprintf(&b, " data-dist-info-metadata=\"sha256=%s\" data-core-metadata=\"sha256=%s\"", e.metadataSHA256, e.metadataSHA256)
		}
		if e.yanked {
			if e.reason == "" {
				b.WriteString(" data-yanked")
			} else {
				fmt.Fprintf(&b, " data-yanked=\"%s\"", html.EscapeString(e.reason))
			}
		}
		fmt.Fprintf(&b, ">%s</a><br>\n", html.EscapeString(e.filename))
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

// Write lays out wheels as a static PEP 503 index under dir, the shape of repack-wheels.py:
// dir/simple/index.html, dir/simple/<name>/index.html, dir/files/<wheel> and <wheel>.metadata. The output
// is deterministic, so it can be committed as testdata. Options that need a live server (FailFirst,
// BasicAuth, HTMLOnly) have no effect.
func Write(dir string, wheels []wheeltest.Spec, opts ...Option) error {
	s, err := configure(wheels, opts)
	if err != nil {
		return err
	}
	files := filepath.Join(dir, "files")
	for _, d := range []string{files, filepath.Join(dir, "simple")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("writing index: %w", err)
		}
	}
	names := make([]string, 0, len(s.projects))
	for n, es := range s.projects {
		names = append(names, n)
		for _, e := range es {
			if err := os.WriteFile(filepath.Join(files, e.filename), e.data, 0o644); err != nil {
				return fmt.Errorf("writing index: %w", err)
			}
			if e.metadata != nil {
				if err := os.WriteFile(filepath.Join(files, e.filename+".metadata"), e.metadata, 0o644); err != nil {
					return fmt.Errorf("writing index: %w", err)
				}
			}
		}
		pdir := filepath.Join(dir, "simple", n)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return fmt.Errorf("writing index: %w", err)
		}
		if err := os.WriteFile(filepath.Join(pdir, "index.html"), projectHTML(es), 0o644); err != nil {
			return fmt.Errorf("writing index: %w", err)
		}
	}
	sort.Strings(names)
	if err := os.WriteFile(filepath.Join(dir, "simple", "index.html"), rootHTML(names), 0o644); err != nil {
		return fmt.Errorf("writing index: %w", err)
	}
	return nil
}

// WriteDir is Write for tests: it fails t on error and returns the index directory, dir/simple.
func WriteDir(t testing.TB, dir string, wheels []wheeltest.Spec, opts ...Option) string {
	t.Helper()
	if err := Write(dir, wheels, opts...); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "simple")
}

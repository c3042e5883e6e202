package oci

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// writeZip writes a layer zip the way the engine does (layer.Write over verified wheels) and returns
// its path.
func writeZip(t testing.TB, dir, arch string, specs ...wheeltest.Spec) string {
	t.Helper()
	var ins []layer.Input
	for _, s := range specs {
		data := wheeltest.Build(s)
		a, err := wheel.Open(bytes.NewReader(data), int64(len(data)), s.Filename(), wheel.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Verify(t.Context()); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, layer.Input{Name: s.Name, Version: s.Version, Wheel: s.Filename(), Archive: a})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "layer-"+arch+".zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := layer.Write(f, ins, layer.Options{Prefix: "python/lib/python3.12/site-packages/"}); err != nil {
		t.Fatal(err)
	}
	return p
}

// specs are two packages, one with an executable file, a nested tree and a path over 100 bytes (a
// tar name that needs USTAR's prefix field).
func specs(arch string) []wheeltest.Spec {
	long := "deep/" + strings.Repeat("a", 60) + "/" + strings.Repeat("b", 60) + "/mod.py"
	return []wheeltest.Spec{
		{Name: "alpha", Version: "1.0", Files: []wheeltest.File{
			{Name: "alpha/__init__.py", Data: []byte("A = 1\n")},
			{Name: "alpha/bin/tool", Data: []byte("#!/bin/sh\necho " + arch + "\n"), Mode: 0o755},
			{Name: "alpha/" + long, Data: []byte("x = 2\n")},
		}},
		{Name: "beta", Version: "2.0", Files: []wheeltest.File{
			{Name: "beta/__init__.py", Data: bytes.Repeat([]byte("b = 'beta'\n"), 500)},
		}},
	}
}

// layers writes one zip per arch under dir.
func layers(t testing.TB, dir string, arches ...string) []Layer {
	var ls []Layer
	for _, a := range arches {
		ls = append(ls, Layer{Name: "api", Runtime: "python3.12", Arch: a, Zip: writeZip(t, dir, a, specs(a)...)})
	}
	return ls
}

var meta = Meta{Source: "https://github.com/acme/app", Revision: "0123456789abcdef0123456789abcdef01234567", Created: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}

// recorder counts a registry's requests and can refuse some.
type recorder struct {
	h  http.Handler
	mu sync.Mutex
	// reqs are "METHOD path" of every request.
	reqs []string
	// refuse, when set, answers a request with its status instead of passing it on (0: pass).
	refuse func(r *http.Request, writes int) int
	writes int
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, r.Method+" "+r.URL.Path)
	if isWrite(r) {
		rc.writes++
	}
	st := 0
	if rc.refuse != nil {
		st = rc.refuse(r, rc.writes)
	}
	rc.mu.Unlock()
	if st != 0 {
		if st == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		io.WriteString(w, `{"errors":[{"code":"DENIED","message":"permission_denied: write_package"}]}`)
		return
	}
	rc.h.ServeHTTP(w, r)
}

func isWrite(r *http.Request) bool {
	return r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete
}

func (rc *recorder) count(pred func(string) bool) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, r := range rc.reqs {
		if pred(r) {
			n++
		}
	}
	return n
}

func (rc *recorder) reset() {
	rc.mu.Lock()
	rc.reqs, rc.writes = nil, 0
	rc.mu.Unlock()
}

// newRegistry starts an in-process registry behind a recorder and returns the repository to use.
func newRegistry(t testing.TB) (*recorder, string) {
	rec := &recorder{h: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, strings.TrimPrefix(srv.URL, "http://") + "/acme/layers"
}

// tarFile is one tar entry as read back.
type tarFile struct {
	hdr  *tar.Header
	data []byte
}

// readLayer reads an image's only layer as a tar.
func readLayer(t testing.TB, img v1.Image) []tarFile {
	t.Helper()
	ls, err := img.Layers()
	if err != nil || len(ls) != 1 {
		t.Fatalf("layers: %v, %d", err, len(ls))
	}
	rc, err := ls[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return readTar(t, rc)
}

func readTar(t testing.TB, r io.Reader) []tarFile {
	t.Helper()
	tr := tar.NewReader(r)
	var out []tarFile
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarFile{h, b})
	}
}

// zipFiles reads a zip's files: name → (data, mode).
func zipFiles(t testing.TB, p string) map[string]tarFile {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]tarFile{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = tarFile{&tar.Header{Mode: int64(f.Mode().Perm())}, b}
	}
	return out
}

func b64(t testing.TB, hexSum string) string {
	raw, err := hex.DecodeString(hexSum)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

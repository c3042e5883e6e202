package layertar

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// FuzzWriteTar feeds arbitrary zips to the zip → tar conversion: it must not panic, and whatever it
// accepts must come out as a tar of clean paths under opt/, parents first, files with the zip's bytes.
func FuzzWriteTar(f *testing.F) {
	f.Add(engineZip(f))
	for _, names := range [][]string{{"a/", "a/b"}, {"a", "a/b"}, {"../x"}, {"/abs"}, {"a//b"}, {"a", "a"}, {}} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, n := range names {
			w, _ := zw.Create(n)
			io.WriteString(w, "data "+n)
		}
		zw.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, f := range zr.File {
			if f.UncompressedSize64 > 1<<20 {
				return // keep runs fast; sizes are not what this target explores
			}
		}
		var out bytes.Buffer
		if err := WriteTar(&out, zr); err != nil {
			return
		}
		files := map[string][]byte{}
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "/") || zf.Mode().IsDir() {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				t.Fatalf("accepted %q but it does not open: %v", zf.Name, err)
			}
			files[zf.Name], _ = io.ReadAll(rc)
			rc.Close()
		}
		seen := map[string]bool{}
		tr := tar.NewReader(&out)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("reading back: %v", err)
			}
			n := strings.TrimSuffix(h.Name, "/")
			if !strings.HasPrefix(h.Name, "opt/") || path.Clean(n) != n || seen[n] {
				t.Fatalf("bad or repeated name %q", h.Name)
			}
			if n != "opt" && !seen[path.Dir(n)] {
				t.Fatalf("%q before its parent", h.Name)
			}
			seen[n] = true
			if h.Typeflag == tar.TypeReg {
				data, _ := io.ReadAll(tr)
				want, ok := files[strings.TrimPrefix(n, "opt/")]
				if !ok || !bytes.Equal(data, want) {
					t.Fatalf("%q: not the zip's bytes", h.Name)
				}
				delete(files, strings.TrimPrefix(n, "opt/"))
			}
		}
		if len(files) != 0 {
			t.Fatalf("files missing from the tar: %v", files)
		}
	})
}

// engineZip is a layer zip as the engine writes it (layer.Write over verified wheels), with an executable
// file and a path too long for a plain USTAR name.
func engineZip(t testing.TB) []byte {
	t.Helper()
	long := "deep/" + strings.Repeat("a", 60) + "/" + strings.Repeat("b", 60) + "/mod.py"
	var ins []layer.Input
	for _, s := range []wheeltest.Spec{
		{Name: "alpha", Version: "1.0", Files: []wheeltest.File{
			{Name: "alpha/__init__.py", Data: []byte("A = 1\n")},
			{Name: "alpha/bin/tool", Data: []byte("#!/bin/sh\n"), Mode: 0o755},
			{Name: "alpha/" + long, Data: []byte("x = 2\n")},
		}},
		{Name: "beta", Version: "2.0"},
	} {
		data := wheeltest.Build(s)
		a, err := wheel.Open(bytes.NewReader(data), int64(len(data)), s.Filename(), wheel.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Verify(context.Background()); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, layer.Input{Name: s.Name, Version: s.Version, Wheel: s.Filename(), Archive: a})
	}
	var buf bytes.Buffer
	if _, err := layer.Write(&buf, ins, layer.Options{Prefix: "python/lib/python3.12/site-packages/"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

package layer

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/wheel"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

const prefix = "python/lib/python3.12/site-packages/"

// input opens and verifies a wheel's bytes as a layer input.
func input(t testing.TB, spec wheeltest.Spec, data []byte) Input {
	t.Helper()
	a, err := wheel.Open(bytes.NewReader(data), int64(len(data)), spec.Filename(), wheel.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	return Input{Name: wheel.NormalizeName(spec.Name), Version: spec.Version, Wheel: spec.Filename(), Archive: a}
}

func build(t testing.TB, spec wheeltest.Spec) Input {
	t.Helper()
	return input(t, spec, wheeltest.Build(spec))
}

func write(t testing.TB, inputs []Input) ([]byte, Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Write(&buf, inputs, Options{Prefix: prefix})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes(), res
}

// contents returns name → content of every file in a zip, via archive/zip (which checks CRCs).
func contents(t testing.TB, data []byte) (map[string]string, []*zip.File) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		m[f.Name] = string(b)
	}
	return m, zr.File
}

var (
	fooSpec = wheeltest.Spec{Name: "Foo", Version: "1.0", Files: []wheeltest.File{
		{Name: "foo/__init__.py", Data: []byte("from .core import *\n")},
		{Name: "foo/core.py", Data: bytes.Repeat([]byte("def f(): return 42\n"), 100)},
		{Name: "foo/bin/tool", Data: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
		{Name: "foo/ünïcode.txt", Data: []byte("utf-8 names\n")},
		{Name: "foo/empty.py"},
	}}
	barSpec = wheeltest.Spec{Name: "bar_baz", Version: "2.0", Tag: "cp312-cp312-manylinux_2_17_x86_64", Files: []wheeltest.File{
		{Name: "bar_baz/__init__.py", Data: []byte("")},
		{Name: "bar_baz/__pycache__/__init__.cpython-312.pyc", Data: []byte("stale")},
		{Name: "bar_baz-2.0.data/platlib/_bar_native.so", Data: []byte("\x7fELF...")},
		{Name: "bar_baz-2.0.data/scripts/bar", Data: []byte("#!python\n")},
	}}
)

func TestWriteLayout(t *testing.T) {
	t.Parallel()
	foo, bar := build(t, fooSpec), build(t, barSpec)
	data, res := write(t, []Input{foo, bar})
	got, files := contents(t, data)

	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	want := []string{
		prefix + "_bar_native.so",
		prefix + "bar_baz-2.0.dist-info/METADATA",
		prefix + "bar_baz-2.0.dist-info/RECORD",
		prefix + "bar_baz-2.0.dist-info/WHEEL",
		prefix + "bar_baz/__init__.py",
		prefix + "foo/__init__.py",
		prefix + "foo/bin/tool",
		prefix + "foo/core.py",
		prefix + "foo/empty.py",
		prefix + "foo/ünïcode.txt",
		prefix + "Foo-1.0.dist-info/METADATA",
		prefix + "Foo-1.0.dist-info/RECORD",
		prefix + "Foo-1.0.dist-info/WHEEL",
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("entries:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}

	// Every file equals the wheel's, read through archive/zip on both sides.
	for _, spec := range []wheeltest.Spec{fooSpec, barSpec} {
		src, _ := contents(t, wheeltest.Build(spec))
		for name, content := range src {
			dst := prefix + strings.TrimPrefix(name, "bar_baz-2.0.data/platlib/")
			if strings.Contains(name, "/scripts/") || strings.Contains(name, "__pycache__") || strings.HasSuffix(name, "/RECORD") && spec.Name == "bar_baz" {
				continue
			}
			if got[dst] != content {
				t.Errorf("%s: content differs from the wheel's %s", dst, name)
			}
		}
	}
	if rec := got[prefix+"bar_baz-2.0.dist-info/RECORD"]; !strings.Contains(rec, "\n_bar_native.so,sha256=") || strings.Contains(rec, "scripts") || strings.Contains(rec, ".pyc") {
		t.Errorf("bar's RECORD was not rewritten:\n%s", rec)
	}

	for _, f := range files {
		wantMode := "-rw-r--r--"
		if strings.HasSuffix(f.Name, "foo/bin/tool") {
			wantMode = "-rwxr-xr-x"
		}
		if f.Mode().String() != wantMode {
			t.Errorf("%s: mode %s; want %s", f.Name, f.Mode(), wantMode)
		}
		if !f.Modified.Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) && !f.Modified.IsZero() || f.ModifiedDate != 0x21 || f.ModifiedTime != 0 {
			t.Errorf("%s: modified %v (%#x %#x)", f.Name, f.Modified, f.ModifiedDate, f.ModifiedTime)
		}
		if len(f.Extra) != 0 || f.Comment != "" || f.Flags&0x8 != 0 {
			t.Errorf("%s: extra %x, comment %q, flags %#x", f.Name, f.Extra, f.Comment, f.Flags)
		}
		if strings.HasSuffix(f.Name, "/") {
			t.Errorf("directory entry %s", f.Name)
		}
	}

	wantDropped := []DroppedFile{
		{"bar-baz", wheel.Dropped{Path: "bar_baz-2.0.data/scripts/bar", Reason: "scripts", Size: 9}},
		{"bar-baz", wheel.Dropped{Path: "bar_baz/__pycache__/__init__.cpython-312.pyc", Reason: "bytecode", Size: 5, Installed: "bar_baz/__pycache__/__init__.cpython-312.pyc"}},
	}
	for i := range res.Dropped {
		res.Dropped[i].Compressed = 0 // depends on the compressor
	}
	if !reflect.DeepEqual(res.Dropped, wantDropped) {
		t.Errorf("Dropped = %+v\nwant %+v", res.Dropped, wantDropped)
	}
	if len(res.Conflicts) != 0 {
		t.Errorf("Conflicts = %+v", res.Conflicts)
	}
	checkSizes(t, data, res)
	if res.Packages[0].Name != "bar-baz" || res.Packages[1].Name != "foo" || res.Packages[1].Files != 8 || res.Packages[0].Files != 5 {
		t.Errorf("Packages = %+v", res.Packages)
	}
}

// checkSizes checks that the accounting adds up to what was written.
func checkSizes(t *testing.T, data []byte, res Result) {
	t.Helper()
	if res.ZippedBytes != int64(len(data)) {
		t.Errorf("ZippedBytes = %d; wrote %d", res.ZippedBytes, len(data))
	}
	var zipped, unzipped int64
	files := 0
	for _, p := range res.Packages {
		zipped += p.ZippedBytes
		unzipped += p.UnzippedBytes
		files += p.Files
	}
	_, zfiles := contents(t, data)
	var realUnzipped int64
	for _, f := range zfiles {
		realUnzipped += int64(f.UncompressedSize64)
	}
	end := int64(22)
	if len(zfiles) >= 65535 {
		end += 76
	}
	if zipped+end != res.ZippedBytes || unzipped != res.UnzippedBytes || unzipped != realUnzipped || files != res.Files || files != len(zfiles) {
		t.Errorf("sizes do not add up: packages %d+%d zipped, %d unzipped (real %d), %d files (real %d); result %+v",
			zipped, end, unzipped, realUnzipped, files, len(zfiles), res)
	}
}

// rewrap rebuilds a wheel with the same compressed bytes but different zip metadata: timestamps, extra
// fields, comments, "made by", data descriptors and entry order.
func rewrap(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	zw.SetComment("rebuilt")
	files := slices.Clone(zr.File)
	slices.Reverse(files)
	for i, f := range files {
		fh := f.FileHeader
		fh.Modified = time.Date(2024, 6, 7, 8, 9, 10, 0, time.UTC)
		fh.ModifiedDate, fh.ModifiedTime = 0x58c7, 0x4143
		fh.Extra = []byte{0xfe, 0xca, 4, 0, byte(i), 2, 3, 4} // an unknown extra field
		fh.Comment = fmt.Sprint("entry ", i)
		fh.CreatorVersion = 0<<8 | 63 // made by MS-DOS
		fh.ExternalAttrs |= 0o020 << 16
		fh.Flags |= 0x8 // data descriptor
		raw, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestWriteDeterministic(t *testing.T) {
	t.Parallel()
	foo, bar := build(t, fooSpec), build(t, barSpec)
	a, _ := write(t, []Input{foo, bar})
	b, _ := write(t, []Input{bar, foo})
	if !bytes.Equal(a, b) {
		t.Fatal("input order changed the zip")
	}
	foo2 := input(t, fooSpec, rewrap(t, wheeltest.Build(fooSpec)))
	bar2 := input(t, barSpec, rewrap(t, wheeltest.Build(barSpec)))
	c, _ := write(t, []Input{bar2, foo2})
	if !bytes.Equal(a, c) {
		t.Fatal("the wheels' zip metadata (timestamps, extras, comments, order) leaked into the layer")
	}
	// Writing the same archives twice gives the same bytes too (nothing is consumed).
	d, _ := write(t, []Input{foo, bar})
	if !bytes.Equal(a, d) {
		t.Fatal("second Write differs")
	}
}

func TestWriteConflicts(t *testing.T) {
	t.Parallel()
	ns := func(name, body string) wheeltest.Spec {
		return wheeltest.Spec{Name: name, Version: "1", Files: []wheeltest.File{
			{Name: "google/__init__.py", Data: []byte("__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n")},
			{Name: "google/shared.py", Data: []byte(body)},
			{Name: "google/" + name + "/__init__.py", Data: []byte(name)},
		}}
	}
	z1, z2 := ns("zeta", "zeta's"), ns("alpha", "alpha's")
	data, res := write(t, []Input{build(t, z1), build(t, z2)})
	want := []Conflict{
		{Path: prefix + "google/__init__.py", Packages: []string{"alpha", "zeta"}, Identical: true},
		{Path: prefix + "google/shared.py", Packages: []string{"alpha", "zeta"}, Identical: false},
	}
	if !reflect.DeepEqual(res.Conflicts, want) {
		t.Fatalf("Conflicts = %+v\nwant %+v", res.Conflicts, want)
	}
	got, _ := contents(t, data)
	if got[prefix+"google/shared.py"] != "alpha's" {
		t.Errorf("shared.py = %q; want the first package's", got[prefix+"google/shared.py"])
	}
	checkSizes(t, data, res)
	if res.Packages[0].Files != 6 || res.Packages[1].Files != 4 {
		t.Errorf("the loser's skipped files were counted: %+v", res.Packages)
	}
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	foo := build(t, fooSpec)
	unverifiedData := wheeltest.Build(barSpec)
	a, err := wheel.Open(bytes.NewReader(unverifiedData), int64(len(unverifiedData)), barSpec.Filename(), wheel.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	clashA := build(t, wheeltest.Spec{Name: "a", Version: "1", Files: []wheeltest.File{{Name: "x", Data: []byte("file")}}})
	clashB := build(t, wheeltest.Spec{Name: "b", Version: "1", Files: []wheeltest.File{{Name: "x/y.py", Data: []byte("inside")}}})
	tests := []struct {
		name   string
		inputs []Input
		prefix string
		want   string
	}{
		{"no prefix", []Input{foo}, "", "prefix"},
		{"no slash", []Input{foo}, "python", "prefix"},
		{"absolute", []Input{foo}, "/opt/python/", "clean relative"},
		{"dotdot", []Input{foo}, "../python/", "clean relative"},
		{"unclean", []Input{foo}, "python//lib/", "clean relative"},
		{"backslash", []Input{foo}, `python\lib/`, "backslash"},
		{"unverified", []Input{foo, {Name: "bar-baz", Wheel: barSpec.Filename(), Archive: a}}, prefix, "not verified"},
		{"twice", []Input{foo, foo}, prefix, "given twice"},
		{"no archive", []Input{{Name: "x", Wheel: "x.whl"}}, prefix, "no archive"},
		{"file/dir clash", []Input{clashA, clashB}, prefix, `is inside "python/lib/python3.12/site-packages/x", a file from a-1-py3-none-any.whl`},
	}
	for _, tt := range tests {
		_, err := Write(io.Discard, tt.inputs, Options{Prefix: tt.prefix})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Write error = %v; want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestWriteEmpty(t *testing.T) {
	t.Parallel()
	data, res := write(t, nil)
	if res.Files != 0 || len(data) != 22 || res.ZippedBytes != 22 {
		t.Fatalf("empty layer: %d bytes, %+v", len(data), res)
	}
}

// TestWriteZip64 writes more than 65535 entries, which needs the zip64 end records.
func TestWriteZip64(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 70,000 entries")
	}
	t.Parallel()
	var inputs []Input
	for w := range 2 {
		spec := wheeltest.Spec{Name: fmt.Sprint("p", w), Version: "1", Store: true}
		for i := range 35_000 {
			spec.Files = append(spec.Files, wheeltest.File{Name: fmt.Sprintf("p%d/m%05d.py", w, i), Data: []byte{byte(i)}})
		}
		inputs = append(inputs, build(t, spec))
	}
	data, res := write(t, inputs)
	if res.Files != 70_006 {
		t.Fatalf("Files = %d", res.Files)
	}
	checkSizes(t, data, res)
}

func BenchmarkWrite(b *testing.B) {
	var inputs []Input
	for w := range 4 {
		spec := wheeltest.Spec{Name: fmt.Sprint("pkg", w), Version: "1"}
		for i := range 1000 {
			// Source-like text of a few KiB, compressible like real .py files.
			body := strings.Repeat(fmt.Sprintf("def f%d(x):\n    return x * %d  # %d\n", i, i*w, i), 40+i%80)
			spec.Files = append(spec.Files, wheeltest.File{Name: fmt.Sprintf("pkg%d/sub%d/mod%d.py", w, i%10, i), Data: []byte(body)})
		}
		inputs = append(inputs, build(b, spec))
	}
	res, err := Write(io.Discard, inputs, Options{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(res.ZippedBytes)
	b.ReportMetric(float64(res.Files), "entries")
	b.ReportMetric(float64(res.UnzippedBytes)/1e6, "unzipped-MB")
	b.ResetTimer()
	for b.Loop() {
		if _, err := Write(io.Discard, inputs, Options{Prefix: prefix}); err != nil {
			b.Fatal(err)
		}
	}
}

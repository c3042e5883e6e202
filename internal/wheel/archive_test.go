package wheel

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

func open(t testing.TB, data []byte, name string, lim Limits) (*Archive, error) {
	t.Helper()
	return Open(bytes.NewReader(data), int64(len(data)), name, lim)
}

func mustOpen(t testing.TB, data []byte, name string) *Archive {
	t.Helper()
	a, err := open(t, data, name, Limits{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return a
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		zip    []byte
		entry  string // the entry the error must name ("" = whole archive)
		reason string
	}{
		{"absolute", fooWheel(file("/etc/passwd", "x")), "/etc/passwd", "absolute path"},
		{"drive letter", fooWheel(file("C:/x", "x")), "C:/x", "drive letter"},
		{"dotdot", fooWheel(file("../../x", "x")), "../../x", `".."`},
		{"dotdot inside", fooWheel(file("foo/../../x", "x")), "foo/../../x", `".."`},
		{"dot", fooWheel(file("./foo/x", "x")), "./foo/x", `"."`},
		{"empty element", fooWheel(file("foo//x", "x")), "foo//x", "empty path element"},
		{"backslash", fooWheel(file(`foo\..\x`, "x")), `foo\..\x`, "backslash"},
		{"NUL", fooWheel(file("foo/x\x00.py", "x")), "foo/x\x00.py", "NUL"},
		{"newline", fooWheel(file("foo/x\n.py", "x")), "foo/x\n.py", "control character"},
		{"empty name", fooWheel(file("", "x")), "", "empty name"},
		{"not UTF-8", fooWheel(file("foo/\xff.py", "x")), "foo/\xff.py", "UTF-8"},
		{"symlink", fooWheel(rawEntry{name: "foo/link", content: []byte("/etc/passwd"), attrs: 0o120777 << 16}), "foo/link", "symlink"},
		{"fifo", fooWheel(rawEntry{name: "foo/fifo", content: []byte{}, attrs: 0o010644 << 16}), "foo/fifo", "special file"},
		{"duplicate", fooWheel(file("foo/a.py", "1"), file("foo/a.py", "2")), "foo/a.py", "duplicate"},
		{"trailing slash", fooWheel(file("foo/a", "1"), dir("foo/a/")), "foo/a/", "trailing slash"},
		{"file as dir", fooWheel(file("foo", "1"), file("foo/a.py", "2")), "foo/a.py", `inside "foo"`},
		{"encrypted", fooWheel(rawEntry{name: "foo/a.py", content: []byte("x"), method: 8, flags: 1}), "foo/a.py", "encrypted"},
		{"lzma", fooWheel(rawEntry{name: "foo/a.py", content: []byte("x"), method: 14}), "foo/a.py", "compression method 14"},
		{"dir with data", fooWheel(rawEntry{name: "foo/", content: []byte("x"), attrs: 0o040755 << 16}), "foo/", "directory entry with data"},
		{"stored size mismatch", fooWheel(rawEntry{name: "foo/a", content: []byte("xx"), usize: u32(1)}), "foo/a", "stored entry"},
		{"compressed larger than wheel", fooWheel(rawEntry{name: "foo/a", content: []byte("x"), method: 8, csize: u32(1 << 30)}), "foo/a", "larger than the wheel"},
		{"no dist-info", rawZip(file("foo/__init__.py", "")), "", "no .dist-info"},
		{"two dist-infos", fooWheel(file("bar-1.0.dist-info/METADATA", "Name: bar\nVersion: 1.0\n")), "", "several .dist-info"},
		{"no METADATA", rawZip(file("foo-1.0.dist-info/WHEEL", "")), "foo-1.0.dist-info/", "no METADATA"},
		{"wrong project", rawZip(file("bar-1.0.dist-info/METADATA", "")), "bar-1.0.dist-info/", `project "foo"`},
	}
	for _, tt := range tests {
		_, err := open(t, tt.zip, fooName, Limits{})
		var ue *UnsafeEntryError
		if !errors.As(err, &ue) {
			t.Errorf("%s: Open error = %v; want *UnsafeEntryError", tt.name, err)
			continue
		}
		if ue.Wheel != fooName || ue.Entry != tt.entry || !strings.Contains(ue.Reason, tt.reason) {
			t.Errorf("%s: got %+v; want entry %q, reason containing %q", tt.name, ue, tt.entry, tt.reason)
		}
		if !strings.Contains(err.Error(), fooName) || (tt.entry != "" && !strings.Contains(err.Error(), strconv.Quote(tt.entry))) {
			t.Errorf("%s: message %q does not name the wheel and entry", tt.name, err)
		}
	}
}

func TestOpenLimits(t *testing.T) {
	t.Parallel()
	big := fooWheel(file("foo/big", strings.Repeat("x", 2000)), file("foo/big2", strings.Repeat("x", 2000)))
	tests := []struct {
		name  string
		zip   []byte
		lim   Limits
		entry string
		what  string
	}{
		{"entries", big, Limits{MaxEntries: 3}, "", "entries"},
		{"entry size", big, Limits{MaxEntrySize: 1999}, "foo/big", "entry size"},
		{"total size", big, Limits{MaxTotalSize: 3000}, "foo/big2", "total size"},
		{"declared 4 GiB", fooWheel(rawEntry{name: "foo/a", content: []byte("x"), method: 8, usize: u32(1<<32 - 1)}), Limits{}, "foo/a", "entry size"},
	}
	for _, tt := range tests {
		_, err := open(t, tt.zip, fooName, tt.lim)
		var le *LimitError
		if !errors.As(err, &le) || le.Entry != tt.entry || le.What != tt.what || le.Wheel != fooName {
			t.Errorf("%s: Open error = %#v; want *LimitError for entry %q, %s", tt.name, err, tt.entry, tt.what)
		}
	}
	if _, err := open(t, big, fooName, Limits{MaxEntries: 4, MaxEntrySize: 2000, MaxTotalSize: 4000 + 200}); err != nil {
		t.Errorf("Open at the limits: %v", err)
	}
}

func TestOpenNotZip(t *testing.T) {
	t.Parallel()
	_, err := open(t, []byte("not a zip"), fooName, Limits{})
	if err == nil || !strings.Contains(err.Error(), fooName) {
		t.Fatalf("Open(garbage) = %v; want an error naming the wheel", err)
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	spec := wheeltest.Spec{Name: "foo", Version: "1.0", Requires: []string{"bar"}}
	a := mustOpen(t, wheeltest.Build(spec), spec.Filename())
	got, err := a.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, spec.Metadata()) {
		t.Errorf("Metadata() = %q; want %q", got, spec.Metadata())
	}
	if a.DistInfo() != "foo-1.0.dist-info" || a.Name() != spec.Filename() {
		t.Errorf("DistInfo, Name = %q, %q", a.DistInfo(), a.Name())
	}
	// A corrupt METADATA is caught on the way in.
	a = mustOpen(t, rawZip(rawEntry{name: "foo-1.0.dist-info/METADATA", content: []byte("Name: foo\n"), method: 8, crc: u32(1)},
		file("foo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")), fooName)
	var ce *CorruptEntryError
	if _, err := a.Metadata(); !errors.As(err, &ce) {
		t.Errorf("Metadata() of a corrupt entry = %v; want *CorruptEntryError", err)
	}
}

func TestInstall(t *testing.T) {
	t.Parallel()
	spec := wheeltest.Spec{Name: "foo", Version: "1.0", Files: []wheeltest.File{
		{Name: "foo/__init__.py", Data: []byte("x = 1\n")},
		{Name: "foo/__pycache__/__init__.cpython-312.pyc", Data: []byte("bytecode")},
		{Name: "foo/old.pyc", Data: []byte("bc")},
		{Name: "foo/tool.sh", Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		{Name: "foo-1.0.data/purelib/foo_pure.py", Data: []byte("pure\n")},
		{Name: "foo-1.0.data/platlib/foo_native.so", Data: []byte("\x7fELF")},
		{Name: "foo-1.0.data/scripts/foo-cli", Data: []byte("#!python\n")},
		{Name: "foo-1.0.data/headers/foo.h", Data: []byte("int x;")},
		{Name: "foo-1.0.data/data/share/foo/x.txt", Data: []byte("data!")},
	}}
	a := mustOpen(t, wheeltest.Build(spec), spec.Filename())
	entries, dropped, err := a.Install()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, e.Path)
	}
	wantPaths := []string{
		"foo-1.0.dist-info/METADATA", "foo-1.0.dist-info/RECORD", "foo-1.0.dist-info/WHEEL",
		"foo/__init__.py", "foo/tool.sh", "foo_native.so", "foo_pure.py",
	}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("paths = %q\nwant %q", paths, wantPaths)
	}
	wantDropped := []Dropped{
		{Path: "foo-1.0.data/data/share/foo/x.txt", Reason: "data", Size: 5},
		{Path: "foo-1.0.data/headers/foo.h", Reason: "headers", Size: 6},
		{Path: "foo-1.0.data/scripts/foo-cli", Reason: "scripts", Size: 9},
		{Path: "foo/__pycache__/__init__.cpython-312.pyc", Reason: "bytecode", Size: 8, Installed: "foo/__pycache__/__init__.cpython-312.pyc"},
		{Path: "foo/old.pyc", Reason: "bytecode", Size: 2, Installed: "foo/old.pyc"},
	}
	for i := range dropped {
		if dropped[i].Compressed <= 0 {
			t.Errorf("dropped %s: compressed size %d", dropped[i].Path, dropped[i].Compressed)
		}
		dropped[i].Compressed = 0
	}
	if !reflect.DeepEqual(dropped, wantDropped) {
		t.Errorf("dropped = %+v\nwant %+v", dropped, wantDropped)
	}
	for _, e := range entries {
		switch e.Path {
		case "foo-1.0.dist-info/RECORD":
			if e.File != nil || e.Data == nil {
				t.Fatalf("RECORD was not rewritten: %+v", e)
			}
			rec := string(e.Data)
			for _, want := range []string{"\nfoo_pure.py,sha256=", "\nfoo_native.so,sha256=", "\nfoo/__init__.py,sha256=", "foo-1.0.dist-info/RECORD,,\n"} {
				if !strings.Contains("\n"+rec, want) {
					t.Errorf("RECORD lacks %q:\n%s", want, rec)
				}
			}
			for _, unwanted := range []string{".data/", ".pyc", "__pycache__"} {
				if strings.Contains(rec, unwanted) {
					t.Errorf("RECORD still lists %q:\n%s", unwanted, rec)
				}
			}
			if e.Size() != int64(len(e.Data)) || e.CRC32() == 0 {
				t.Errorf("RECORD Size/CRC32 = %d/%x", e.Size(), e.CRC32())
			}
		case "foo/tool.sh":
			if !e.Executable() {
				t.Errorf("%s: not executable", e.Path)
			}
		default:
			if e.Executable() {
				t.Errorf("%s: executable", e.Path)
			}
		}
	}

	// Without anything to map or drop, RECORD is the wheel's own.
	plain := wheeltest.Spec{Name: "bar", Version: "2"}
	entries, dropped, err = mustOpen(t, wheeltest.Build(plain), plain.Filename()).Install()
	if err != nil || len(dropped) != 0 {
		t.Fatalf("Install = %v, %v", dropped, err)
	}
	for _, e := range entries {
		if e.File == nil {
			t.Errorf("%s was made up, not copied", e.Path)
		}
	}
}

func TestInstallRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		zip    []byte
		entry  string
		reason string
	}{
		{"unknown scheme", fooWheel(file("foo-1.0.data/lib/x.py", "")), "foo-1.0.data/lib/x.py", `unknown .data scheme "lib"`},
		{"file in .data", fooWheel(file("foo-1.0.data/x.py", "")), "foo-1.0.data/x.py", "directly inside"},
		{"purelib collides", fooWheel(file("foo/a.py", "1"), file("foo-1.0.data/purelib/foo/a.py", "2")), "foo-1.0.data/purelib/foo/a.py", `installs to "foo/a.py", as entry "foo/a.py" does`},
		{"purelib file as dir", fooWheel(file("foo/a.py", "1"), file("foo-1.0.data/purelib/foo", "2")), "foo/a.py", "installs inside a file"},
	}
	for _, tt := range tests {
		_, _, err := mustOpen(t, tt.zip, fooName).Install()
		var ue *UnsafeEntryError
		if !errors.As(err, &ue) || ue.Entry != tt.entry || !strings.Contains(ue.Reason, tt.reason) {
			t.Errorf("%s: Install error = %v; want entry %q, reason containing %q", tt.name, err, tt.entry, tt.reason)
		}
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func TestVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, store := range []bool{false, true} {
		spec := wheeltest.Spec{Name: "foo", Version: "1.0", Store: store, Files: []wheeltest.File{
			{Name: "foo/__init__.py", Data: bytes.Repeat([]byte("print('hello')\n"), 10_000)},
			{Name: "foo/empty.py"},
		}}
		a := mustOpen(t, wheeltest.Build(spec), spec.Filename())
		if a.Verified() {
			t.Fatal("Verified before Verify")
		}
		if err := a.Verify(ctx); err != nil {
			t.Fatalf("Verify(store=%v): %v", store, err)
		}
		if !a.Verified() {
			t.Fatal("not Verified after Verify")
		}
	}

	// 16 MiB of zeros deflate to ~16 KiB; the header says 1 KiB.
	zeros := make([]byte, 16<<20)
	bomb := fooWheel(rawEntry{name: "foo/bomb", content: zeros, method: 8, usize: u32(1024)})
	bombSize := len(bomb)
	tests := []struct {
		name   string
		zip    []byte
		entry  string
		reason string
	}{
		{"crc", fooWheel(rawEntry{name: "foo/a.py", content: []byte("hello"), method: 8, crc: u32(0xdeadbeef)}), "foo/a.py", "CRC-32"},
		{"stored crc", fooWheel(rawEntry{name: "foo/a.py", content: []byte("hello"), crc: u32(0xdeadbeef)}), "foo/a.py", "CRC-32"},
		{"bomb", bomb, "foo/bomb", "longer than the declared 1024 bytes"},
		{"short", fooWheel(rawEntry{name: "foo/a.py", content: []byte("hello"), method: 8, usize: u32(6)}), "foo/a.py", "data is 5 bytes, header declares 6"},
		{"bad deflate", fooWheel(rawEntry{name: "foo/a.py", content: []byte("hello"), method: 8, data: []byte{0xff, 0xff, 0xff}}), "foo/a.py", "inflating"},
		{"truncated deflate", fooWheel(rawEntry{name: "foo/a.py", content: bytes.Repeat([]byte("abc"), 1000), method: 8, data: deflate(bytes.Repeat([]byte("abc"), 1000))[:5]}), "foo/a.py", "inflating"},
	}
	for _, tt := range tests {
		r := &countingReaderAt{r: bytes.NewReader(tt.zip)}
		a, err := Open(r, int64(len(tt.zip)), fooName, Limits{})
		if err != nil {
			t.Fatalf("%s: Open: %v", tt.name, err)
		}
		r.n.Store(0)
		err = a.Verify(ctx)
		var ce *CorruptEntryError
		if !errors.As(err, &ce) || ce.Entry != tt.entry || ce.Wheel != fooName || !strings.Contains(ce.Reason, tt.reason) {
			t.Errorf("%s: Verify error = %v; want *CorruptEntryError for %q containing %q", tt.name, err, tt.entry, tt.reason)
		}
		if a.Verified() {
			t.Errorf("%s: Verified after a failure", tt.name)
		}
		if tt.name == "bomb" && r.n.Load() > 256<<10 {
			t.Errorf("bomb: Verify read %d of %d bytes; it must stop soon after the declared size", r.n.Load(), bombSize)
		}
	}
}

func TestVerifyOverlap(t *testing.T) {
	t.Parallel()
	z := fooWheel(file("foo/a", strings.Repeat("a", 100)), rawEntry{name: "foo/b", content: []byte(strings.Repeat("a", 100)), method: 8, sameDataAs: 3})
	err := mustOpen(t, z, fooName).Verify(context.Background())
	var ue *UnsafeEntryError
	if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "overlaps") {
		t.Fatalf("Verify = %v; want an overlap error", err)
	}
}

func TestVerifyCancel(t *testing.T) {
	t.Parallel()
	spec := wheeltest.Spec{Name: "foo", Version: "1.0"}
	a := mustOpen(t, wheeltest.Build(spec), spec.Filename())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Verify(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify(cancelled) = %v; want context.Canceled", err)
	}
	if a.Verified() {
		t.Fatal("Verified after cancellation")
	}
}

// TestVerifyManyEntries runs the parallel path with more entries than workers.
func TestVerifyManyEntries(t *testing.T) {
	t.Parallel()
	var files []wheeltest.File
	for i := range 200 {
		files = append(files, wheeltest.File{Name: "foo/m" + strconv.Itoa(i) + ".py", Data: bytes.Repeat([]byte{byte(i)}, i*3)})
	}
	spec := wheeltest.Spec{Name: "foo", Version: "1.0", Files: files}
	data := wheeltest.Build(spec)
	a := mustOpen(t, data, spec.Filename())
	if err := a.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Same archive through archive/zip for a cross-check of what Verify accepted.
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if len(zr.File) != 203 {
		t.Fatalf("%d entries", len(zr.File))
	}
}

func TestExecutableNeedsRegularFile(t *testing.T) {
	t.Parallel()
	var h zip.FileHeader
	h.SetMode(0o755)
	if !(Entry{File: &zip.File{FileHeader: h}}).Executable() {
		t.Error("0755 regular file not executable")
	}
	h.ExternalAttrs = 0o755 << 16 // permission bits without a file type: pip says not executable
	if (Entry{File: &zip.File{FileHeader: h}}).Executable() {
		t.Error("typeless mode executable")
	}
	h.SetMode(fs.ModeDir | 0o755)
	if (Entry{File: &zip.File{FileHeader: h}}).Executable() {
		t.Error("directory executable")
	}
}

func BenchmarkVerify(b *testing.B) {
	spec := wheeltest.Spec{Name: "pkg", Version: "1"}
	var total int64
	for i := range 1000 {
		body := strings.Repeat("def f(x):\n    return x * "+strconv.Itoa(i)+"\n", 40+i%80)
		spec.Files = append(spec.Files, wheeltest.File{Name: "pkg/mod" + strconv.Itoa(i) + ".py", Data: []byte(body)})
		total += int64(len(body))
	}
	data := wheeltest.Build(spec)
	b.SetBytes(total)
	for b.Loop() {
		a, err := open(b, data, spec.Filename(), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Verify(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

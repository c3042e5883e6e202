package wheel

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{
		"foo-1.0-py3-none-any.whl", "foo-1.0-1000abc-py2.py3-none-any.whl",
		"pyvirtualcam-0.13.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
		"foo_bár-1.0-py3-none-any.whl", "foo-1!2.0rc1.post1.dev2+local.7-py3-none-any.whl", "foo-1.0--none-any.whl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fn string) {
		w, err := ParseFilename(fn)
		if err != nil {
			return
		}
		if w.Raw != fn || w.Name == "" || w.Name != NormalizeName(w.Name) || !ValidVersion(w.Version) {
			t.Fatalf("ParseFilename(%q) = %+v", fn, w)
		}
		if len(w.Tags) == 0 || len(w.Tags) > maxTags {
			t.Fatalf("ParseFilename(%q): %d tags", fn, len(w.Tags))
		}
		for _, tag := range w.Tags {
			again, err := ParseTags(tag.String())
			if err != nil || len(again) != 1 || again[0] != tag {
				t.Fatalf("tag %v does not round-trip: %v, %v", tag, again, err)
			}
		}
		w.BuildNumber()
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nRequires-Dist: bar;\n extra == 'x'\n\nbody"))
	f.Add(wheeltest.Spec{Name: "a", Version: "1", Requires: []string{"b"}, Extras: []string{"c"}, RequiresPython: ">=3"}.Metadata())
	f.Add([]byte("\ufeffName: foo\r\nVersion: 1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		if m.Name == "" || m.Version == "" || strings.TrimSpace(m.Name) != m.Name {
			t.Fatalf("ParseMetadata(%q) = %+v", data, m)
		}
	})
}

// FuzzOpen feeds arbitrary bytes to the wheel reader with small limits, so that no input can make one run
// read or allocate much: Open, Install, Metadata and Verify must return errors, never panic.
func FuzzOpen(f *testing.F) {
	for _, spec := range []wheeltest.Spec{
		{Name: "foo", Version: "1.0"},
		{Name: "foo", Version: "1.0", Store: true, Files: []wheeltest.File{
			{Name: "foo/__init__.py", Data: []byte("x = 1\n"), Mode: 0o755},
			{Name: "foo-1.0.data/purelib/bar.py", Data: []byte("y\n")},
			{Name: "foo-1.0.data/scripts/foo", Data: []byte("#!python\n")},
			{Name: "foo/__pycache__/a.pyc", Data: []byte("bc")},
		}},
	} {
		f.Add(wheeltest.Build(spec))
	}
	f.Add(fooWheel(rawEntry{name: "foo/bomb", content: make([]byte, 1<<16), method: 8, usize: u32(100)}))
	f.Add(fooWheel(file("foo/a", "aaaa"), rawEntry{name: "foo/b", content: []byte("aaaa"), method: 8, sameDataAs: 3}))
	f.Add(fooWheel(file("../x", "x")))
	atOpen, atVerify := hostileWheels()
	for _, h := range append(atOpen, atVerify...) {
		f.Add(h.zip)
	}
	f.Add(fooWheel(with(file("foo/a.py", "x"), func(e *rawEntry) { e.descriptor = true })))
	f.Add(fooWheelWith(rawOptions{zip64: true}, file("foo/a.py", "x")))
	f.Add(wheelWith(nil, file("foo/a.py", "x")))
	f.Add(wheelWith(str("Wheel-Version: 2.0\nRoot-Is-Purelib: true\n")))
	f.Add(wheelWith(str("Wheel-Version: 1.1\nRoot-Is-Purelib: false\n")))
	lim := Limits{MaxEntries: 1000, MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Open(bytes.NewReader(data), int64(len(data)), fooName, lim)
		if err != nil {
			return
		}
		if _, err := a.Metadata(); err != nil {
			return
		}
		entries, _, err := a.Install()
		if err != nil {
			return
		}
		if err := a.Verify(context.Background()); err != nil {
			return
		}
		for _, e := range entries {
			if reason := checkPath(e.Path); reason != "" || strings.HasSuffix(e.Path, "/") {
				t.Fatalf("Install produced unsafe path %q: %s", e.Path, reason)
			}
		}
	})
}

func FuzzParseWheelFile(f *testing.F) {
	for _, s := range []string{
		"Wheel-Version: 1.0\nGenerator: bdist_wheel (0.43.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		"Wheel-Version: 1.9\r\nRoot-Is-Purelib: False\r\n", "Wheel-Version: 2.0\n", "Wheel-Version: 1.\n",
		"\ufeffWheel-Version: 1\n continued\nTag: a\nTag: b\n\nbody", "Root-Is-Purelib: maybe\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWheelFile(data)
		if err != nil {
			return
		}
		major, _, _ := strings.Cut(w.Version, ".")
		if n, err := strconv.Atoi(major); err != nil || n > 1 {
			t.Fatalf("ParseWheelFile(%q) = %+v", data, w)
		}
	})
}

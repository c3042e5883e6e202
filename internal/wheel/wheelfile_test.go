package wheel

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseWheelFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		want     WheelInfo
		warnings []string // substrings, in order
		err      string
	}{
		{in: "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.43.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
			want: WheelInfo{Version: "1.0", RootIsPurelib: true, Generator: "bdist_wheel (0.43.0)", Tags: []string{"py3-none-any"}}},
		{in: "Wheel-Version: 1.0\r\nRoot-Is-Purelib: false\r\nTag: cp312-cp312-manylinux_2_17_x86_64\r\nTag: cp312-cp312-manylinux2014_x86_64\r\n",
			want: WheelInfo{Version: "1.0", Tags: []string{"cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"}}},
		{in: "wheel-version: 1\nroot-is-purelib: TRUE\n", want: WheelInfo{Version: "1", RootIsPurelib: true}},
		{in: "Wheel-Version: 1.9\nRoot-Is-Purelib: true\n", want: WheelInfo{Version: "1.9", RootIsPurelib: true}, warnings: []string{"Wheel-Version 1.9 is newer than 1.0"}},
		{in: "Wheel-Version: 1.0\n", want: WheelInfo{Version: "1.0"}, warnings: []string{"no Root-Is-Purelib"}},
		{in: "Wheel-Version: 0.9\nRoot-Is-Purelib: true\n", want: WheelInfo{Version: "0.9", RootIsPurelib: true}},
		{in: "Wheel-Version: 2.0\nRoot-Is-Purelib: true\n", err: "Wheel-Version 2.0 is not supported"},
		{in: "Wheel-Version: 10.0\nRoot-Is-Purelib: true\n", err: "Wheel-Version 10.0 is not supported"},
		{in: "Root-Is-Purelib: true\n", err: "no Wheel-Version"},
		{in: "", err: "no Wheel-Version"},
		{in: "Wheel-Version: one\n", err: `Wheel-Version "one" is not a version`},
		{in: "Wheel-Version: 1.\n", err: "is not a version"},
		{in: "Wheel-Version: +1.0\n", err: "is not a version"},
		{in: "Wheel-Version: 1.0\nWheel-Version: 2.0\n", err: "Wheel-Version given twice"},
		{in: "Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n", err: `Root-Is-Purelib "yes" is neither true nor false`},
		{in: "Wheel-Version: 1.0\ngarbage\n", err: "line 2"},
		{in: "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n\nWheel-Version: 9.0\n", want: WheelInfo{Version: "1.0", RootIsPurelib: true}},
	}
	for _, tt := range tests {
		got, err := ParseWheelFile([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseWheelFile(%q) error = %v; want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseWheelFile(%q): %v", tt.in, err)
			continue
		}
		warnings := got.Warnings
		got.Warnings = nil
		if got.Version != tt.want.Version || got.RootIsPurelib != tt.want.RootIsPurelib || got.Generator != tt.want.Generator || !slices.Equal(got.Tags, tt.want.Tags) {
			t.Errorf("ParseWheelFile(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
		if len(warnings) != len(tt.warnings) {
			t.Errorf("ParseWheelFile(%q) warnings = %q; want %q", tt.in, warnings, tt.warnings)
			continue
		}
		for i := range warnings {
			if !strings.Contains(warnings[i], tt.warnings[i]) {
				t.Errorf("ParseWheelFile(%q) warning %q; want %q", tt.in, warnings[i], tt.warnings[i])
			}
		}
	}
}

const fooMetadata = "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n\n"

// wheelWith is foo's wheel with the given WHEEL file (none when wheelFile is nil).
func wheelWith(wheelFile *string, entries ...rawEntry) []byte {
	es := []rawEntry{file("foo-1.0.dist-info/METADATA", fooMetadata)}
	if wheelFile != nil {
		es = append(es, file("foo-1.0.dist-info/WHEEL", *wheelFile))
	}
	return rawZip(append(es, entries...)...)
}

func TestOpenWheelFile(t *testing.T) {
	t.Parallel()
	refused := []struct {
		name, entry, reason string
		zip                 []byte
	}{
		{"no WHEEL", "foo-1.0.dist-info/", "no WHEEL file", wheelWith(nil, file("foo/__init__.py", ""))},
		{"major 2", "foo-1.0.dist-info/WHEEL", "Wheel-Version 2.0 is not supported", wheelWith(str("Wheel-Version: 2.0\nRoot-Is-Purelib: true\n"))},
		{"no version", "foo-1.0.dist-info/WHEEL", "no Wheel-Version", wheelWith(str("Root-Is-Purelib: true\n"))},
		{"bad purelib", "foo-1.0.dist-info/WHEEL", "Root-Is-Purelib", wheelWith(str("Wheel-Version: 1.0\nRoot-Is-Purelib: maybe\n"))},
		{"WHEEL elsewhere", "foo-1.0.dist-info/", "no WHEEL file", wheelWith(nil, file("foo/WHEEL", "Wheel-Version: 1.0\n"))},
	}
	for _, tt := range refused {
		_, err := open(t, tt.zip, fooName, Limits{})
		var ue *UnsafeEntryError
		if !errors.As(err, &ue) || ue.Wheel != fooName || ue.Entry != tt.entry || !strings.Contains(ue.Reason, tt.reason) {
			t.Errorf("%s: Open = %v; want the wheel, entry %q and %q", tt.name, err, tt.entry, tt.reason)
		}
	}

	// A newer minor version opens, with a warning naming the wheel.
	a := mustOpen(t, wheelWith(str("Wheel-Version: 1.9\nRoot-Is-Purelib: true\n")), fooName)
	if w := a.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], fooName+": ") || !strings.Contains(w[0], "Wheel-Version 1.9") {
		t.Errorf("Warnings() = %q; want one naming %s and Wheel-Version 1.9", w, fooName)
	}
	if a.WheelInfo().Version != "1.9" {
		t.Errorf("WheelInfo() = %+v", a.WheelInfo())
	}
	if w := mustOpen(t, fooWheel(), fooName).Warnings(); len(w) != 0 {
		t.Errorf("Warnings() of a 1.0 wheel = %q", w)
	}
}

// TestRootIsPurelib: a platlib wheel (Root-Is-Purelib: false) installs its root, and its .data/purelib and
// .data/platlib trees, into site-packages just as a purelib wheel does: pip puts root files in platlib
// then, and in a layer purelib and platlib are both site-packages.
func TestRootIsPurelib(t *testing.T) {
	t.Parallel()
	paths := func(root string) ([]string, WheelInfo) {
		z := wheelWith(str("Wheel-Version: 1.0\nRoot-Is-Purelib: "+root+"\n"),
			file("foo/__init__.py", "x"), file("foo-1.0.data/purelib/pure.py", "p"), file("foo-1.0.data/platlib/plat.so", "s"))
		a := mustOpen(t, z, fooName)
		entries, _, err := a.Install()
		if err != nil {
			t.Fatalf("Install(Root-Is-Purelib: %s): %v", root, err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Path)
		}
		return out, a.WheelInfo()
	}
	pure, pi := paths("true")
	plat, li := paths("false")
	if !pi.RootIsPurelib || li.RootIsPurelib {
		t.Errorf("RootIsPurelib = %v, %v; want true, false", pi.RootIsPurelib, li.RootIsPurelib)
	}
	want := []string{"foo-1.0.dist-info/METADATA", "foo-1.0.dist-info/WHEEL", "foo/__init__.py", "plat.so", "pure.py"}
	if !slices.Equal(pure, want) || !slices.Equal(plat, want) {
		t.Errorf("installed paths: purelib %q, platlib %q; want %q for both", pure, plat, want)
	}
}

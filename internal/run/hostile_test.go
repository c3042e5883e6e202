package run

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestHostileWheelsRefused runs build end to end on wheels whose zip or WHEEL file is hostile: each is
// refused naming the wheel and what is wrong, no zip is written, and nothing lands outside --out and
// --cache-dir. A newer minor Wheel-Version builds, with a warning in the report.
func TestHostileWheelsRefused(t *testing.T) {
	t.Parallel()
	newer := wheeltest.Spec{Name: "newer", Version: "1.0", WheelVersion: "1.9"}
	future := wheeltest.Spec{Name: "future", Version: "1.0", WheelVersion: "2.0"}
	// Two readers, two archives: the local header names another file than the central directory.
	twofaced := wheeltest.Build(wheeltest.Spec{Name: "twofaced", Version: "1.0"})
	name := []byte("twofaced/__init__.py")
	if !bytes.Equal(twofaced[30:30+len(name)], name) {
		t.Fatalf("the first entry is not %s", name)
	}
	copy(twofaced[30:], "twofaced/__init__.pz")
	srv := indextest.New(t, []wheeltest.Spec{newer, future},
		indextest.ExtraFile("twofaced", "twofaced-1.0-py3-none-any.whl", twofaced, ""))

	r := buildWith(t, srv, "newer\n", "python3.12", "x86_64")
	mustOK(t, r)
	if w := r.report.Layers[0].Warnings; !slices.ContainsFunc(w, func(s string) bool {
		return strings.Contains(s, "newer-1.0-py3-none-any.whl: Wheel-Version 1.9 is newer than 1.0")
	}) {
		t.Errorf("no warning for Wheel-Version 1.9: %q", w)
	}

	for _, c := range []struct {
		reqs string
		want []string
	}{
		{"future\n", []string{"future-1.0-py3-none-any.whl", "Wheel-Version 2.0 is not supported"}},
		{"twofaced\n", []string{"twofaced-1.0-py3-none-any.whl", `"twofaced/__init__.py"`, `local header names "twofaced/__init__.pz"`}},
	} {
		r := buildWith(t, srv, c.reqs, "python3.12", "x86_64")
		if r.code != exitcode.Failed || len(r.report.Layers) != 1 || r.report.Layers[0].Error == nil {
			t.Fatalf("%s: exit %d\n%s%s", c.reqs, r.code, r.stdout, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.report.Layers[0].Error.Message, w) || !strings.Contains(r.stdout, w) {
				t.Errorf("%s: message %q (and the terminal) should say %q", strings.TrimSpace(c.reqs), r.report.Layers[0].Error.Message, w)
			}
		}
		root := filepath.Dir(r.out)
		entries, _ := os.ReadDir(root)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"app", "cache", "dist"}) {
			t.Errorf("%s: the build wrote %v beside --out and --cache-dir", c.reqs, names)
		}
		if zips, _ := filepath.Glob(filepath.Join(r.out, "*.zip")); len(zips) != 0 {
			t.Errorf("%s: a zip was written: %v", c.reqs, zips)
		}
	}
}

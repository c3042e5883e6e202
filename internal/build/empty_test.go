package build

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestEmptyLayerWarns: a requirements file that installs nothing for the target — empty, comments
// only, markers all false, every package excluded — still builds (exit 0 is the caller's), but the
// report's warnings say the layer is empty and name the file, so the terminal, the comment and the
// summary all show it. A layer with packages gets no such warning.
func TestEmptyLayerWarns(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{{Name: "stable", Version: "1.0"}})
	for _, tc := range []struct {
		name, reqs string
		exclude    []string
		want       string // "" for no warning
	}{
		{"empty", "", nil, "no requirement, or none whose marker holds for the target"},
		{"comments", "# nothing yet\n\n", nil, "no requirement, or none whose marker holds for the target"},
		{"markers false", "stable; sys_platform == \"win32\"\nstable; python_version < \"3.8\"\n", nil, "no requirement, or none whose marker holds for the target"},
		{"all excluded", "stable\n", []string{"stable"}, "exclude-packages left out every package"},
		{"packages", "stable\n", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "dist")
			p := planFor(t, srv.URL, out, tc.reqs, tgt(t, "python3.12", "x86_64"))
			p.Layers[0].ExcludePackages = tc.exclude
			rep := Build(context.Background(), Env{}, p)
			l := rep.Layers[0]
			if l.Error != nil || rep.Failed() {
				t.Fatalf("failed: %+v", l.Error)
			}
			i := slices.IndexFunc(l.Warnings, func(w string) bool { return strings.Contains(w, "the layer is empty") })
			if tc.want == "" {
				if i >= 0 {
					t.Errorf("a layer with packages warned: %q", l.Warnings[i])
				}
				return
			}
			want := "the layer is empty: " + p.Layers[0].Requirements[0] + " installs nothing for python3.12 x86_64 (" + tc.want + ")"
			if i < 0 || l.Warnings[i] != want {
				t.Errorf("warnings %q, want %q", l.Warnings, want)
			}
		})
	}
}

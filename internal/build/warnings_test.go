package build

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestWarningsOnStderr: a layer's warnings reach the terminal, naming the layer and target, not only
// report.json — a user running build saw nothing of a wheel of a newer Wheel-Version.
func TestWarningsOnStderr(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{{Name: "newer", Version: "1.0", WheelVersion: "1.9"}})
	var stderr strings.Builder
	out := filepath.Join(t.TempDir(), "dist")
	rep := Build(context.Background(), Env{Stderr: &stderr}, planFor(t, srv.URL, out, "newer\n", tgt(t, "python3.12", "x86_64")))
	if rep.Failed() || len(rep.Layers[0].Warnings) == 0 {
		t.Fatalf("want a built layer with a warning: %+v", rep.Layers)
	}
	want := "warning: app (python3.12 x86_64): " + rep.Layers[0].Warnings[0]
	if !strings.Contains(stderr.String(), want) || !strings.Contains(want, "Wheel-Version 1.9") {
		t.Errorf("stderr:\n%s\nwant a line %q", stderr.String(), want)
	}
}

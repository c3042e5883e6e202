package run

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestWarningsOnStderr: build and report print every layer warning on standard error with its layer
// and target (a wheel of a newer Wheel-Version warned only in report.json); --quiet prints none.
func TestWarningsOnStderr(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{{Name: "newer", Version: "1.0", WheelVersion: "1.9"}})
	dir := t.TempDir()
	req := writeReq(t, dir, "newer\n")
	want := "warning: app (python3.12 x86_64): newer-1.0-py3-none-any.whl: Wheel-Version 1.9 is newer than 1.0"
	for _, args := range [][]string{
		{"build", "--out", filepath.Join(dir, "dist")},
		{"report", "--json", filepath.Join(dir, "r.json")},
	} {
		args = append(args, "-r", req, "--runtime", "python3.12", "--index-url", srv.URL, "--cache-dir", filepath.Join(dir, "cache"))
		code, _, stderr := mainOut(args...)
		if code != exitcode.OK || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant a line %q", args[0], code, stderr, want)
		}
		if code, _, stderr := mainOut(append(args, "--quiet")...); code != exitcode.OK || stderr != "" {
			t.Errorf("%s --quiet: exit %d, stderr %q", args[0], code, stderr)
		}
	}
}

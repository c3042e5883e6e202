package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/build"
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
		{"report", "--json", filepath.Join(dir, "r.json"), "--out", filepath.Join(dir, "dist")},
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

// TestBadTimeoutIsUsageError: a LAMBDA_LAYERS_HTTP_TIMEOUT that is not a number of seconds is a usage
// error (exit 2) before anything runs, as a bad flag is; it was a failed layer (exit 1) in report.json.
func TestBadTimeoutIsUsageError(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "dist")
	var o, e strings.Builder
	code := Main(context.Background(), build.Env{Stdout: &o, Stderr: &e, Getenv: func(k string) string {
		if k == "LAMBDA_LAYERS_HTTP_TIMEOUT" {
			return "soon"
		}
		return ""
	}}, []string{"build", "-r", demoDir + "/requirements.txt", "--runtime", "python3.12", "--index-url", demoDir + "/index/simple", "--out", out})
	if code != exitcode.Usage || !strings.Contains(e.String(), `LAMBDA_LAYERS_HTTP_TIMEOUT="soon": want a number of seconds`) {
		t.Errorf("exit %d, stderr:\n%s", code, e.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
}

// TestLongNameIsUsageError: a --name whose published name (NAME-py312-x86_64) cannot fit a Lambda layer
// ARN even in the shortest region is refused before anything is built, saying how long it may be; the
// longest name that fits is accepted.
func TestLongNameIsUsageError(t *testing.T) {
	t.Parallel()
	// arn:aws:lambda:us-east-1:123456789012:layer: is 44 characters, -py312-x86_64 13: 140-44-13 = 83.
	for _, tc := range []struct {
		name string
		code int
		want string
	}{
		{strings.Repeat("n", 84), exitcode.Usage, "pass a --name of at most 83 characters"},
		{"bad name", exitcode.Usage, "pass --name bad-name"},
		{strings.Repeat("n", 83), exitcode.OK, ""},
	} {
		out := filepath.Join(t.TempDir(), "dist")
		var o, e strings.Builder
		code := Main(context.Background(), build.Env{Stdout: &o, Stderr: &e, Getenv: func(string) string { return "" }},
			[]string{"build", "-r", demoDir + "/requirements.txt", "--runtime", "python3.12", "--arch", "x86_64", "--index-url", demoDir + "/index/simple",
				"--out", out, "--name", tc.name, "--cache-dir", t.TempDir()})
		if code != tc.code || !strings.Contains(e.String(), tc.want) {
			t.Errorf("--name %s: exit %d, want %d saying %q; stderr:\n%s", tc.name, code, tc.code, tc.want, e.String())
		}
		if _, err := os.Stat(out); tc.code != exitcode.OK && err == nil {
			t.Errorf("--name %s: %s was written", tc.name, out)
		}
	}
}

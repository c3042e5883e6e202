package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestBuildSlimFlags: --exclude-package, --exclude and --layout do what the config's keys do, and bad
// values are usage errors before anything is fetched.
func TestBuildSlimFlags(t *testing.T) {
	t.Parallel()
	withTests := func(mod string) []wheeltest.File {
		return []wheeltest.File{{Name: mod + "/__init__.py", Data: []byte("")}, {Name: mod + "/tests/test_x.py", Data: []byte("def test(): pass\n")}}
	}
	srv := indextest.New(t, []wheeltest.Spec{
		{Name: "boto3", Version: "1.35.0", Requires: []string{"jmespath"}, Files: withTests("boto3")},
		{Name: "jmespath", Version: "1.0.1", Files: withTests("jmespath")},
		{Name: "hello", Version: "1.0", Files: withTests("hello")},
	})
	dir := t.TempDir()
	req := filepath.Join(dir, "app", "requirements.txt")
	os.MkdirAll(filepath.Dir(req), 0o755)
	os.WriteFile(req, []byte("hello\nboto3\n"), 0o644)
	out := filepath.Join(dir, "dist")
	r := runMain(t, nil, "build", "-r", req, "--runtime", "python3.12,python3.13", "--index-url", srv.URL, "--out", out,
		"--cache-dir", filepath.Join(dir, "cache"), "--exclude-package", "boto3", "--exclude", "**/tests/**", "--layout", "shared")
	mustOK(t, r)
	if len(r.report.Layers) != 1 {
		t.Fatalf("%d layers, want one shared zip", len(r.report.Layers))
	}
	l := r.report.Layers[0]
	if l.Layout != "shared" || len(l.Packages) != 1 || l.Packages[0].Name != "hello" || len(l.ExcludedPackages) != 2 || l.Excluded[0].Files != 1 || l.Excluded[0].Origin != "--exclude" {
		t.Errorf("layer %+v", l)
	}
	if _, err := os.Stat(filepath.Join(out, "app-python3-x86_64.cdx.json")); err != nil {
		t.Error(err)
	}
	if !strings.Contains(r.stdout, "python3.12+3.13 x86_64") {
		t.Errorf("table:\n%s", r.stdout)
	}
	for _, bad := range [][]string{{"--layout", "one"}, {"--exclude-package", "boto3==1"}, {"--exclude", "**"}, {"--exclude", "[x"}} {
		args := append([]string{"build", "-r", req, "--runtime", "python3.12", "--index-url", srv.URL, "--out", out}, bad...)
		if r := runMain(t, nil, args...); r.code != exitcode.Usage || !strings.Contains(r.stderr, bad[0]) {
			t.Errorf("%v: exit %d\n%s", bad, r.code, r.stderr)
		}
	}
}

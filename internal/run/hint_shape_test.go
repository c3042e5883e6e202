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

// TestErrorHintShape: every error the command line prints says what to do in one shape, uv's — the
// failure on its line, then "  hint: …" on a line of its own — never "(hint: …)" inside the message
// nor a bare indented line; and once, not a generic hint under a precise one. The table walks the
// error paths: flags (usage errors), requirements and pyproject.toml problems (in the build's table,
// in --quiet's failure lines, from lock), an index that wants credentials.
func TestErrorHintShape(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vcs := write("vcs/requirements.txt", "pkg @ git+https://example.com/pkg.git\n")
	option := write("option/requirements.txt", "stable\n--frobnicate\n")
	pyproj := write("py/pyproject.toml", "[project]\nname = \"x\"\ndependencies = []\n")
	good := write("good/requirements.txt", "stable\n")
	auth := indextest.New(t, []wheeltest.Spec{{Name: "stable", Version: "1.0"}}, indextest.BasicAuth("user", "secret"))
	cache := func() []string { return []string{"--cache-dir", t.TempDir()} }

	for _, tc := range []struct {
		name string
		args []string
		want string // the hint expected, after "\n  hint: "
	}{
		{"unknown option", []string{"build", "--requirment", "x.txt"}, "did you mean --requirement?"},
		{"no runtime", []string{"build", "-r", good}, "pass --runtime python3.12"},
		{"bad --fail-on", []string{"report", "-r", good, "--runtime", "python3.12", "--fail-on", "sometimes"}, "see 'lambda-layers report -h'"},
		{"missing file", []string{"lock", "-r", filepath.Join(dir, "nope.txt"), "--runtime", "python3.12"}, "check the path"},
		{"vcs build", []string{"build", "-r", vcs, "--runtime", "python3.12", "--out", filepath.Join(dir, "d1")}, "pin a released version"},
		{"vcs build quiet", []string{"build", "-q", "-r", vcs, "--runtime", "python3.12", "--out", filepath.Join(dir, "d2")}, "pin a released version"},
		{"vcs lock", []string{"lock", "-r", vcs, "--runtime", "python3.12"}, "pin a released version"},
		{"unknown option in a file", []string{"lock", "-r", option, "--runtime", "python3.12"}, "fix that line"},
		{"unknown extra", []string{"lock", "-r", pyproj, "--runtime", "python3.12", "--extra", "slow"}, "the file declares no extras"},
		{"index wants credentials", []string{"lock", "-r", good, "--runtime", "python3.12", "--index-url", auth.URL}, "no credentials configured for 127.0.0.1"},
		{"index wants credentials, build", []string{"build", "-r", good, "--runtime", "python3.12", "--index-url", auth.URL, "--out", filepath.Join(dir, "d3")}, "no credentials configured for 127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := mainOut(append(tc.args, cache()...)...)
			out := stdout + stderr
			if code == exitcode.OK {
				t.Fatalf("exit 0\n%s", out)
			}
			if strings.Contains(out, "(hint") {
				t.Errorf("an inline (hint: …):\n%s", out)
			}
			if n := strings.Count(stderr, "hint:"); strings.Contains(stderr, "failed") && n > 1 || !strings.Contains(stderr, "failed") && n != 1 && stderr != "" {
				t.Errorf("%d hints on standard error, want one:\n%s", n, stderr)
			}
			if !strings.Contains(out, "\n  hint: "+tc.want) {
				t.Errorf("no \"\\n  hint: %s\":\n%s", tc.want, out)
			}
			for _, line := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "  hint: ") && !strings.HasPrefix(line, "    ") {
					t.Errorf("an indented line that is not a hint: %q\n%s", line, stderr)
				}
			}
		})
	}
}

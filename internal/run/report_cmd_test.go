package run

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/gitrev/gitrevtest"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

func writeReq(t *testing.T, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, "app", "requirements.txt")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReportPolicyExitCodes: budgets from flags, the warn threshold and fail-on decide exit 3; the
// files are written either way.
func TestReportPolicyExitCodes(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	dir := t.TempDir()
	req := writeReq(t, dir, "newlib\ntinyjson==1.2.0\n") // about 35 KB unzipped
	cache := filepath.Join(dir, "cache")
	build := []string{"-r", req, "--runtime", "python3.12", "--index-url", srv.URL, "--out", filepath.Join(dir, "dist"), "--cache-dir", cache}
	for _, c := range []struct {
		name  string
		flags []string
		code  int
		state string
	}{
		{"within", nil, exitcode.OK, "✅ ok"},
		{"over budget", []string{"--budget-unzipped", "20KB"}, exitcode.Quota, "❌ over budget 20.0 KB unzipped"},
		{"over budget, never", []string{"--budget-unzipped", "20KB", "--fail-on", "never"}, exitcode.OK, "❌ over budget"},
		{"near budget", []string{"--budget-unzipped", "40KB"}, exitcode.OK, "⚠️ 87% of budget 40.0 KB unzipped"},
		{"near budget, fail on warn", []string{"--budget-unzipped", "40KB", "--fail-on", "warn"}, exitcode.Quota, "⚠️"},
		{"warn threshold", []string{"--budget-unzipped", "40KB", "--warn", "95", "--fail-on", "warn"}, exitcode.OK, "✅ ok"},
		{"zipped budget", []string{"--budget-zipped", "0.001MB"}, exitcode.Quota, "❌ over budget 1.0 KB zipped"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			r := runReport(t, nil, out, append(append([]string{}, build...), c.flags...)...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d\n%s", r.code, c.code, r)
			}
			if !strings.Contains(r.markdown, c.state) {
				t.Errorf("comment lacks %q:\n%s", c.state, r.markdown)
			}
			if len(r.report.Layers) != 1 || r.report.Policy == nil {
				t.Errorf("report.json must be written with the policy: %+v", r.report)
			}
			if c.code == exitcode.Quota && !strings.Contains(r.markdown, "**This check fails**") {
				t.Errorf("a failing check must say so:\n%s", r.markdown)
			}
		})
	}
}

// TestReportFromFile renders an existing report.json without building, with its stored policy, and
// compares two reports with --base-from.
func TestReportFromFile(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	head := runReport(t, nil, filepath.Join(dir, "head"), "-r", writeReq(t, filepath.Join(dir, "h"), "newlib\ntinyjson==1.2.0\n"),
		"--runtime", "python3.12", "--index-url", srv.URL, "--out", filepath.Join(dir, "dist-h"), "--cache-dir", cache,
		"--budget-unzipped", "20KB", "--name", "app")
	base := runReport(t, nil, filepath.Join(dir, "base"), "-r", writeReq(t, filepath.Join(dir, "b"), "oldlib\ntinyjson==1.0.0\n"),
		"--runtime", "python3.12", "--index-url", srv.URL, "--out", filepath.Join(dir, "dist-b"), "--cache-dir", cache, "--name", "app")
	if head.code != exitcode.Quota || base.code != exitcode.OK {
		t.Fatalf("head %s\nbase %s", head, base)
	}
	downloads := srv.Requests("/")
	r := runReport(t, nil, filepath.Join(dir, "render"), "--from", filepath.Join(dir, "head", "report.json"),
		"--base-from", filepath.Join(dir, "base", "report.json"))
	if srv.Requests("/") != downloads {
		t.Error("--from must not build")
	}
	if r.code != exitcode.Quota {
		t.Errorf("the stored budget still applies: %s", r)
	}
	d := r.report.Diff
	if d == nil || len(d.Layers) != 1 || len(d.Layers[0].Changes) != 4 {
		t.Fatalf("diff: %+v", d)
	}
	if !strings.Contains(r.markdown, "| ➖ | oldlib |") || !strings.Contains(r.markdown, "❌ over budget 20.0 KB unzipped") {
		t.Errorf("comment:\n%s", r.markdown)
	}
	// Flags override the stored policy.
	r = runReport(t, nil, filepath.Join(dir, "render2"), "--from", filepath.Join(dir, "head", "report.json"), "--fail-on", "never")
	if r.code != exitcode.OK || r.report.Diff != nil {
		t.Errorf("fail-on never, no base: %s %+v", r, r.report.Diff)
	}
	// The comment can go to standard output; the table then goes to standard error.
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), build.Env{Stdout: &stdout, Stderr: &stderr},
		[]string{"report", "--from", filepath.Join(dir, "head", "report.json"), "--markdown", "-", "--fail-on", "never"})
	if code != exitcode.OK || !strings.HasPrefix(stdout.String(), markdown.Marker) || !strings.Contains(stderr.String(), "LAYER") {
		t.Errorf("--markdown -: exit %d\nstdout %q\nstderr %q", code, stdout.String(), stderr.String())
	}
}

// TestReportShowsFailures: a failed build is exit 1, and the comment says what failed and where.
func TestReportShowsFailures(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{{Name: "numpyish", Version: "2.1.0", Tag: "cp312-cp312-manylinux_2_39_aarch64"}})
	dir := t.TempDir()
	req := writeReq(t, dir, "# comment\n\nnumpyish\n")
	r := runReport(t, nil, dir, "-r", req, "--runtime", "python3.12", "--arch", "arm64", "--index-url", srv.URL,
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	if r.code != exitcode.Failed {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{"### 📦 Lambda layers — ❌ failed to build", "💥 build failed", "#### 💥 Failed to build",
		"requirements.txt:3", "package `numpyish`", "no wheel for python3.12 on arm64"} {
		if !strings.Contains(r.markdown, want) {
			t.Errorf("comment lacks %q:\n%s", want, r.markdown)
		}
	}
	if !strings.Contains(r.summary, "numpyish") || !strings.Contains(r.stdout, "FAILED") {
		t.Errorf("summary/table lack the failure")
	}
	// With the repository known, the position is a link to the line.
	r = runReport(t, map[string]string{"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/svc", "GITHUB_SHA": "0123456789abcdef"},
		t.TempDir(), "-r", req, "--runtime", "python3.12", "--arch", "arm64", "--index-url", srv.URL,
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	if !strings.Contains(r.markdown, "https://github.com/acme/svc/blob/0123456789abcdef/") && !strings.Contains(r.markdown, "requirements.txt:3`") {
		t.Errorf("position:\n%s", r.markdown)
	}
}

func TestReportUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "no requirements file"},
		{[]string{"report", "-r", "x.txt"}, "no runtime"},
		{[]string{"report", "-r", "x.txt", "--runtime", "python3.12", "--budget-zipped", "lots"}, "is not a size"},
		{[]string{"report", "-r", "x.txt", "--runtime", "python3.12", "--warn", "180"}, "percentage"},
		{[]string{"report", "-r", "x.txt", "--runtime", "python3.12", "--fail-on", "sometimes"}, "exceeded"},
		{[]string{"report", "--from", "r.json", "-r", "x.txt"}, "not both"},
		{[]string{"report", "--from", "r.json", "--base", "main"}, "--base-from"},
		{[]string{"report", "-r", "x.txt", "--base", "main", "--base-from", "b.json"}, "not both"},
		{[]string{"report", "-r", "x.txt", "--runtime", "python3.12", "extra"}, "unexpected argument"},
		{[]string{"report", "--top", "0", "--from", "r.json"}, "--top"},
		{[]string{"report", "--from", "r.json", "--json", "-", "--markdown", "-"}, "--json - and --markdown - both write to standard output"},
		{[]string{"report", "--from", "r.json", "--markdown", "-", "--summary", "-"}, "--markdown - and --summary - both write to standard output"},
	} {
		var stderr bytes.Buffer
		code := Main(context.Background(), build.Env{Stderr: &stderr}, c.args)
		if code != exitcode.Usage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
	var stderr bytes.Buffer
	if code := Main(context.Background(), build.Env{Stderr: &stderr}, []string{"report", "--from", filepath.Join(t.TempDir(), "nope.json")}); code != exitcode.Failed {
		t.Errorf("a missing --from file: exit %d", code)
	}
	var stdout bytes.Buffer
	if code := Main(context.Background(), build.Env{Stdout: &stdout}, []string{"report", "-h"}); code != exitcode.OK || !strings.Contains(stdout.String(), "--base REF") {
		t.Errorf("-h: exit %d %q", code, stdout.String())
	}
}

// TestReportNotAGitRepository: --base outside a repository is a usage error, said before anything
// is built (and with --quiet too), with what to do.
func TestReportNotAGitRepository(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	dir := t.TempDir()
	r := runReport(t, nil, dir, "-r", writeReq(t, dir, "stable\n"), "--runtime", "python3.12", "--index-url", srv.URL,
		"--base", "main", "--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"), "--quiet")
	if r.code != exitcode.Usage || r.stdout != "" || !strings.HasPrefix(r.stderr, "lambda-layers report: --base main: ") ||
		!strings.Contains(r.stderr, "not a git repository") ||
		!strings.HasSuffix(r.stderr, "\n  hint: run in the git working tree that holds the requirements files, or pass --repo DIR\n") {
		t.Errorf("%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil || srv.Requests("/") != 0 {
		t.Errorf("something was built: %v, %d requests", err, srv.Requests("/"))
	}
}

// TestReportNoSuchBase: a --base the repository does not have (a typo) is a usage error naming the
// revision, printed with --quiet too, with what to do: a revision that exists, or fetch it.
func TestReportNoSuchBase(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	g := gitrevtest.New(t)
	g.Commit("head", map[string]string{"app/requirements.txt": "stable\n"})
	work := t.TempDir()
	r := runReport(t, nil, work, "-r", filepath.Join(g.Dir, "app", "requirements.txt"), "--runtime", "python3.12", "--index-url", srv.URL,
		"--base", "nosuchref", "--out", filepath.Join(work, "dist"), "--cache-dir", filepath.Join(work, "cache"), "--quiet")
	want := "lambda-layers report: --base nosuchref: no such revision in this repository\n" +
		"  hint: pass a branch, tag or commit this repository has (git branch -a lists the branches), or fetch it first: `git fetch --no-tags --depth=1 origin nosuchref`\n"
	if r.code != exitcode.Usage || r.stdout != "" || r.stderr != want {
		t.Errorf("%s\nwant stderr:\n%s", r, want)
	}
	if _, err := os.Stat(filepath.Join(work, "dist")); err == nil || srv.Requests("/") != 0 {
		t.Errorf("something was built: %v, %d requests", err, srv.Requests("/"))
	}
}

// TestReportEmptyLayer: an empty requirements file builds an empty layer with exit 0 — --fail-on warn
// is about sizes near a limit, not warnings — and the warning naming the file reaches the terminal,
// the comment and the summary.
func TestReportEmptyLayer(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	dir := t.TempDir()
	req := writeReq(t, dir, "# nothing yet\n")
	r := runReport(t, nil, dir, "-r", req, "--runtime", "python3.12", "--index-url", srv.URL, "--fail-on", "warn",
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	want := "the layer is empty: " + req + " installs nothing for python3.12 x86_64"
	if r.code != exitcode.OK || !strings.Contains(r.stderr, "warning: app (python3.12 x86_64): "+want) ||
		!strings.Contains(r.markdown, want) || !strings.Contains(r.summary, want) {
		t.Errorf("%s\ncomment:\n%s\nsummary:\n%s", r, r.markdown, r.summary)
	}
}

package run

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	gmtext "github.com/yuin/goldmark/text"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/gitrev/gitrevtest"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// reportRun is one in-process run of `lambda-layers report`.
type reportRun struct {
	code           int
	stdout, stderr string
	report         report.Report
	markdown       string
	summary        string
}

// runReport runs Main with args, a fixed clock, and --json/--markdown/--summary into dir.
func runReport(t *testing.T, env map[string]string, dir string, args ...string) reportRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	js, md, sum := filepath.Join(dir, "report.json"), filepath.Join(dir, "comment.md"), filepath.Join(dir, "summary.md")
	all := append([]string{"report"}, args...)
	all = append(all, "--json", js, "--markdown", md, "--summary", sum)
	code := Main(context.Background(), build.Env{
		Getenv: func(k string) string { return env[k] },
		Stdout: &stdout, Stderr: &stderr,
		Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) },
	}, all)
	r := reportRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if b, err := os.ReadFile(js); err == nil {
		if err := json.Unmarshal(b, &r.report); err != nil {
			t.Fatalf("report.json does not parse: %v", err)
		}
	}
	b, _ := os.ReadFile(md)
	r.markdown = string(b)
	b, _ = os.ReadFile(sum)
	r.summary = string(b)
	return r
}

func (r reportRun) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// reportWheels: tinyjson is upgraded (and grows), newlib is added (bringing helper), oldlib is removed,
// stable stays.
func reportWheels() []wheeltest.Spec {
	blob := func(name string, n int) []wheeltest.File {
		return []wheeltest.File{{Name: name + "/__init__.py", Data: bytes.Repeat([]byte("# padding\n"), n)}}
	}
	return []wheeltest.Spec{
		{Name: "tinyjson", Version: "1.0.0", Files: blob("tinyjson", 100)},
		{Name: "tinyjson", Version: "1.2.0", Files: blob("tinyjson", 400)},
		{Name: "newlib", Version: "2.0", Requires: []string{"helper>=1"}, Files: blob("newlib", 3000)},
		{Name: "helper", Version: "1.1", Files: blob("helper", 50)},
		{Name: "oldlib", Version: "1.0", Files: blob("oldlib", 2000)},
		{Name: "stable", Version: "3.0", Files: blob("stable", 10)},
	}
}

// wheelDownloads counts the requests for a wheel itself (not its PEP 658 metadata).
func wheelDownloads(srv *indextest.Server, filename string) int {
	return srv.Requests("/files/"+filename) - srv.Requests("/files/"+filename+".metadata")
}

// TestReportAgainstBase builds the head and the base of a real git repository (two commits: one
// package upgraded, one added, one removed) with the real report command.
func TestReportAgainstBase(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	g := gitrevtest.New(t)
	base := g.Commit("base", map[string]string{"app/requirements.txt": "tinyjson==1.0.0\noldlib\nstable\n"})
	g.Commit("head", map[string]string{"app/requirements.txt": "tinyjson==1.2.0\nnewlib\nstable\n"})
	req := filepath.Join(g.Dir, "app", "requirements.txt")
	work := t.TempDir()
	cache := filepath.Join(work, "cache")

	r := runReport(t, nil, work, "-r", req, "--runtime", "python3.12", "--arch", "x86_64,arm64", "--index-url", srv.URL,
		"--base", "HEAD~1", "--out", filepath.Join(work, "dist"), "--cache-dir", cache)
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	d := r.report.Diff
	if d == nil || d.BaseSHA != base || d.BaseRef != "HEAD~1" || d.Unavailable != "" || len(d.Layers) != 2 {
		t.Fatalf("diff: %+v", d)
	}
	for _, ld := range d.Layers {
		if ld.Status != report.LayerChanged {
			t.Errorf("%s %s: status %s", ld.Name, ld.Architecture, ld.Status)
		}
		got := map[string]report.PackageChange{}
		for _, c := range ld.Changes {
			got[c.Name] = c
		}
		if c := got["tinyjson"]; c.Kind != report.ChangeUpgraded || c.BaseVersion != "1.0.0" || c.HeadVersion != "1.2.0" || c.UnzippedDelta != 3000 {
			t.Errorf("tinyjson: %+v (300 more lines of 10 bytes)", c)
		}
		if c := got["newlib"]; c.Kind != report.ChangeAdded || c.HeadVersion != "2.0" || c.UnzippedDelta <= 30000 {
			t.Errorf("newlib: %+v", c)
		}
		if c := got["helper"]; c.Kind != report.ChangeAdded || c.Cause != "newlib" {
			t.Errorf("helper came with newlib: %+v", c)
		}
		if c := got["oldlib"]; c.Kind != report.ChangeRemoved || c.BaseVersion != "1.0" || c.UnzippedDelta >= -20000 {
			t.Errorf("oldlib: %+v", c)
		}
		if _, ok := got["stable"]; ok || len(got) != 4 {
			t.Errorf("changes: %v", got)
		}
		var sum int64
		for _, c := range ld.Changes {
			sum += c.UnzippedDelta
		}
		if sum != ld.UnzippedDelta {
			t.Errorf("the packages' deltas (%d) must add up to the layer's (%d)", sum, ld.UnzippedDelta)
		}
	}
	// The base reused the cache: stable, in both, was downloaded once for the two builds and two targets.
	if n := wheelDownloads(srv, "stable-3.0-py3-none-any.whl"); n != 1 {
		t.Errorf("stable's wheel was downloaded %d times, want 1", n)
	}
	// The comment: the marker, a row per target with its delta, the changes, parsed as GitHub would.
	if !strings.HasPrefix(r.markdown, markdown.Marker+"\n") {
		t.Errorf("comment does not start with the marker:\n%s", r.markdown)
	}
	rows := gfmTableRows(t, r.markdown)
	if len(rows) < 3 || len(rows[0]) != 7 || rows[1][0] != "app" || rows[2][1] != "python3.12 · arm64" || !strings.HasPrefix(rows[1][5], "+") {
		t.Errorf("layer table: %q", rows)
	}
	for _, want := range []string{"`newlib` 2.0 added, with `helper`", "`oldlib` 1.0 removed", "`tinyjson` 1.0.0 → 1.2.0 (+2.9 KB)",
		"against `HEAD~1` at `" + base[:7] + "`"} {
		if !strings.Contains(r.markdown, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
	if !strings.Contains(r.stdout, "Δ UNZIPPED") || !strings.Contains(r.stdout, "↑ tinyjson 1.0.0 → 1.2.0") {
		t.Errorf("terminal table: %s", r.stdout)
	}
	if !strings.Contains(r.summary, "| ➖ | oldlib | 1.0 | — |") {
		t.Errorf("summary lacks the removed package:\n%s", r.summary)
	}
	reportGolden(t, "report/base.md", r.markdown)

	// Again, warm: no wheel is downloaded at all, for the head or the base.
	before := srv.Requests("/files/")
	metaBefore := 0
	for _, w := range reportWheels() {
		metaBefore += srv.Requests("/files/" + w.Filename() + ".metadata")
	}
	again := runReport(t, nil, t.TempDir(), "-r", req, "--runtime", "python3.12", "--arch", "x86_64,arm64", "--index-url", srv.URL,
		"--base", "HEAD~1", "--out", filepath.Join(work, "dist2"), "--cache-dir", cache)
	if again.code != exitcode.OK {
		t.Fatalf("%s", again)
	}
	metaAfter := 0
	for _, w := range reportWheels() {
		metaAfter += srv.Requests("/files/" + w.Filename() + ".metadata")
	}
	if n := srv.Requests("/files/") - before - (metaAfter - metaBefore); n != 0 {
		t.Errorf("a warm report with --base downloaded %d wheels, want 0", n)
	}
}

// TestReportShallowClone: without the base commit the report still comes, and says what to fetch;
// after that fetch (the clone stays shallow) the comparison works.
func TestReportShallowClone(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	g := gitrevtest.New(t)
	base := g.Commit("base", map[string]string{"app/requirements.txt": "tinyjson==1.0.0\n"})
	g.Commit("middle", map[string]string{"README": "x\n"})
	g.Commit("head", map[string]string{"app/requirements.txt": "tinyjson==1.2.0\n"})
	clone := g.ShallowClone(1)
	req := filepath.Join(clone.Dir, "app", "requirements.txt")
	work := t.TempDir()
	args := []string{"-r", req, "--runtime", "python3.12", "--index-url", srv.URL, "--base", base,
		"--out", filepath.Join(work, "dist"), "--cache-dir", filepath.Join(work, "cache")}

	r := runReport(t, nil, work, args...)
	if r.code != exitcode.OK {
		t.Fatalf("a missing base must not fail the report: %s", r)
	}
	fetch := "git fetch --no-tags --depth=1 origin " + base
	for _, out := range []string{r.stderr, r.markdown, r.report.Diff.Unavailable} {
		if !strings.Contains(out, "fetch-depth: 0") || !strings.Contains(out, fetch) {
			t.Errorf("must say what to add (fetch-depth: 0, or %s):\n%s", fetch, out)
		}
	}
	if !strings.Contains(r.markdown, "No comparison with the base") || len(r.report.Layers) != 1 || r.report.Layers[0].Error != nil {
		t.Errorf("the head is still reported:\n%s", r.markdown)
	}

	gitrevtest.Run(t, clone.Dir, strings.Fields(strings.TrimPrefix(fetch, "git "))...)
	r = runReport(t, nil, work, args...)
	if r.code != exitcode.OK || r.report.Diff == nil || r.report.Diff.Unavailable != "" || r.report.Diff.BaseSHA != base {
		t.Fatalf("after the fetch: %s\n%+v", r, r.report.Diff)
	}
	if c := r.report.Diff.Layers[0].Changes; len(c) != 1 || c[0].Kind != report.ChangeUpgraded {
		t.Errorf("changes: %+v", c)
	}
	if shallow := gitrevtest.Run(t, clone.Dir, "rev-parse", "--is-shallow-repository"); shallow != "true" {
		t.Errorf("the clone should still be shallow: %s", shallow)
	}
}

// TestReportNewRequirementsFile: a layer whose requirements file the base does not have is new;
// an included file added since the base is left out of the base build rather than failing it.
func TestReportNewRequirementsFile(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, reportWheels())
	g := gitrevtest.New(t)
	g.Commit("base", map[string]string{"README": "x\n", "api/requirements.txt": "stable\n",
		"inc/requirements.txt": "-r ../shared/common.txt\n", "shared/common.txt": "oldlib\n"})
	g.Commit("head", map[string]string{"app/requirements.txt": "stable\n", "api/extra.txt": "tinyjson\n", "shared/common.txt": "stable\n"})
	work := t.TempDir()
	r := runReport(t, nil, work, "-r", filepath.Join(g.Dir, "app", "requirements.txt"), "--runtime", "python3.12",
		"--index-url", srv.URL, "--base", "main~1", "--out", filepath.Join(work, "dist"), "--cache-dir", filepath.Join(work, "cache"))
	if r.code != exitcode.OK || r.report.Diff == nil || r.report.Diff.Layers[0].Status != report.LayerNew {
		t.Fatalf("%s\n%+v", r, r.report.Diff)
	}
	if !strings.Contains(r.markdown, "| new |") {
		t.Errorf("the row must say new:\n%s", r.markdown)
	}
	work2 := t.TempDir()
	r = runReport(t, nil, work2, "-r", filepath.Join(g.Dir, "api", "requirements.txt"), "-r", filepath.Join(g.Dir, "api", "extra.txt"),
		"--runtime", "python3.12", "--index-url", srv.URL, "--base", "main~1", "--out", filepath.Join(work2, "dist"), "--cache-dir", filepath.Join(work, "cache"))
	ld := r.report.Diff.Layers[0]
	if r.code != exitcode.OK || ld.Status != report.LayerChanged || len(ld.Changes) != 1 || ld.Changes[0].Name != "tinyjson" || ld.Changes[0].Kind != report.ChangeAdded {
		t.Errorf("extra.txt is new since the base: %s\n%+v", r, ld)
	}
	// Files included with -r are read at the base revision too.
	work3 := t.TempDir()
	r = runReport(t, nil, work3, "-r", filepath.Join(g.Dir, "inc", "requirements.txt"), "--runtime", "python3.12", "--index-url", srv.URL,
		"--base", "main~1", "--out", filepath.Join(work3, "dist"), "--cache-dir", filepath.Join(work, "cache"))
	kinds := map[string]string{}
	for _, c := range r.report.Diff.Layers[0].Changes {
		kinds[c.Name] = c.Kind
	}
	if r.code != exitcode.OK || kinds["oldlib"] != report.ChangeRemoved || kinds["stable"] != report.ChangeAdded || len(kinds) != 2 {
		t.Errorf("the include changed from oldlib to stable: %s\n%v", r, kinds)
	}
}

// gfmTableRows parses md with goldmark's GFM and returns the first table's header and rows as text.
func gfmTableRows(t *testing.T, md string) [][]string {
	t.Helper()
	src := []byte(md)
	root := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(gmtext.NewReader(src))
	var rows [][]string
	ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Kind() != extast.KindTable {
			return ast.WalkContinue, nil
		}
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				var b strings.Builder
				ast.Walk(c, func(x ast.Node, entering bool) (ast.WalkStatus, error) {
					if t, ok := x.(*ast.Text); ok && entering {
						b.Write(t.Segment.Value(src))
					}
					return ast.WalkContinue, nil
				})
				cells = append(cells, strings.TrimSpace(b.String()))
			}
			rows = append(rows, cells)
		}
		return ast.WalkStop, nil
	})
	return rows
}

// reportGolden compares got with testdata/name, or rewrites it with -update.
func reportGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/run -run TestReport -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s is stale; run go test ./internal/run -run TestReport -update and review the diff.\ngot:\n%s", path, got)
	}
}

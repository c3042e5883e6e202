package run

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/gitrev/gitrevtest"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/lockfile/locktest"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// `report --base` reads the base revision's uv.lock; what a lock change brought is explained with the
// lock's chain (delta came with alpha).
func TestReportBaseReadsLock(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, locktest.Wheels())
	head, err := os.ReadFile(filepath.Join(locktest.Dir(), "uv", "uv.lock"))
	if err != nil {
		t.Fatal(err)
	}
	base := strings.Replace(string(head), "dependencies = [\n    { name = \"alpha\" },\n    { name = \"beta\"", "dependencies = [\n    { name = \"beta\"", 1)
	if base == string(head) {
		t.Fatal("the test lock changed shape")
	}
	g := gitrevtest.New(t)
	g.Commit("base", map[string]string{"app/uv.lock": base})
	g.Commit("head", map[string]string{"app/uv.lock": string(head)})
	work := t.TempDir()
	r := runReportWith(t, &http.Client{Transport: locktest.Redirect(srv.URL, nil)}, work, "-r", filepath.Join(g.Dir, "app", "uv.lock"), "--runtime", "python3.11",
		"--index-url", srv.URL, "--base", "HEAD~1", "--out", filepath.Join(work, "dist"), "--cache-dir", filepath.Join(work, "cache"))
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	d := r.report.Diff
	if d == nil || len(d.Layers) != 1 {
		t.Fatalf("diff %+v", d)
	}
	got := map[string]report.PackageChange{}
	for _, c := range d.Layers[0].Changes {
		got[c.Name] = c
	}
	if c := got["alpha"]; c.Kind != report.ChangeAdded {
		t.Errorf("alpha: %+v", c)
	}
	if c := got["delta"]; c.Kind != report.ChangeAdded || c.Cause != "alpha" {
		t.Errorf("delta came with alpha: %+v", c)
	}
	if len(got) != 2 {
		t.Errorf("changes %v", got)
	}
	if srv.Requests("/simple/") != 0 {
		t.Errorf("%d index pages read for two uv.lock builds", srv.Requests("/simple/"))
	}
	if !strings.Contains(r.markdown, "alpha") {
		t.Errorf("the comment does not name alpha:\n%s", r.markdown)
	}
}

// runReportWith is runReport with an HTTP client (for the locks' download host).
func runReportWith(t *testing.T, hc *http.Client, dir string, args ...string) reportRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	js, md := filepath.Join(dir, "report.json"), filepath.Join(dir, "comment.md")
	all := append([]string{"report"}, args...)
	all = append(all, "--json", js, "--markdown", md)
	code := Main(context.Background(), build.Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, HTTPClient: hc}, all)
	r := reportRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if b, err := os.ReadFile(js); err == nil {
		if err := json.Unmarshal(b, &r.report); err != nil {
			t.Fatalf("report.json does not parse: %v", err)
		}
	}
	b, _ := os.ReadFile(md)
	r.markdown = string(b)
	return r
}

package action

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github/githubtest"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// TestCommentLogShowsURL: after the comment is posted or updated, the log shows its URL; when the API
// returns none, the log says so rather than printing nothing.
func TestCommentLogShowsURL(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	head := strings.Repeat("b", 40)
	art := filepath.Join(ws.dir, "artifact")
	writeLeg := func(unzipped int64) {
		os.MkdirAll(art, 0o755)
		rep := &report.Report{Layers: []report.Layer{{Name: "data", Runtime: "python3.12", Architecture: "x86_64", ZippedBytes: 1000, UnzippedBytes: unzipped,
			Packages: []report.Package{}, Quotas: report.Quotas(1000, unzipped, 0)}}}
		rep.WriteFile(filepath.Join(art, "report.json"))
		writeJSONFile(filepath.Join(art, "pr.json"), prInfo{Number: 43, Repository: "acme/orders-service", HeadSHA: head, BaseSHA: strings.Repeat("a", 40)})
	}
	gh := githubtest.New(t)
	gh.SetPull(43, head)
	env := map[string]string{
		"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": "../../testdata/action/events/workflow_run.json",
		"GITHUB_API_URL": gh.URL, "INPUT_GITHUB-TOKEN": "tok", "INPUT_OUT": "artifact",
	}
	writeLeg(3000)
	r := runAction(t, ws, env)
	cs := gh.Comments(43)
	if r.code != exitcode.OK || len(cs) != 1 {
		t.Fatalf("%s", r)
	}
	url := fmt.Sprintf("https://github.com/acme/repo/pull/43#issuecomment-%d", cs[0].ID)
	if !strings.Contains(r.stderr, "report comment created on #43: "+url+"\n") {
		t.Errorf("the log does not show the new comment's URL %s:\n%s", url, r.stderr)
	}

	writeLeg(4000) // a new body: the comment is updated
	r = runAction(t, ws, env)
	if r.code != exitcode.OK || !strings.Contains(r.stderr, "report comment updated on #43: "+url+"\n") {
		t.Errorf("the log does not show the updated comment's URL:\n%s", r)
	}

	gh.SetNoHTMLURL(true)
	writeLeg(5000)
	r = runAction(t, ws, env)
	want := fmt.Sprintf("report comment updated on #43: comment %d (the GitHub API returned no URL for it)\n", cs[0].ID)
	if r.code != exitcode.OK || !strings.Contains(r.stderr, want) {
		t.Errorf("without html_url the log should say %q:\n%s", want, r)
	}
}

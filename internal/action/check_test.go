package action

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/github/githubtest"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
)

// checkRepo is a repository whose data layer grows over its 100 KB zipped budget between base and head.
func checkRepo(t *testing.T) (ws *workspace, base, head string) {
	t.Helper()
	ws = newWorkspace(t)
	ws.write(
		"lambda-layers.yml", `layers:
  - name: data
    requirements: [layers/data/requirements.txt]
    runtimes: [python3.12]
    budget: {zipped: 100KB}
  - name: web
    requirements: [layers/web/requirements.txt]
    runtimes: [python3.12]
`,
		"layers/data/requirements.txt", "tinyjson==1.0.0\n",
		"layers/web/requirements.txt", "hello==1.0\n",
	)
	base = ws.commit("base")
	ws.write("layers/data/requirements.txt", "tinyjson==1.2.0\nbigdata==2.0\n")
	head = ws.commit("add bigdata")
	return ws, base, head
}

// prEnv is a pull_request run's environment (event file: pull_request.json or pull_request_fork.json).
func prEnv(t *testing.T, gh *githubtest.Server, index, event, base, head string, extra ...string) map[string]string {
	env := map[string]string{
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile(t, event, base, head),
		"GITHUB_API_URL": gh.URL, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242",
		"GITHUB_SHA":         strings.Repeat("c", 40), // the merge commit: never where the check goes
		"INPUT_GITHUB-TOKEN": "tok", "INPUT_INDEX-URL": index,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// TestCheckConclusionPerPolicy: the check run's conclusion follows fail-on as the exit code does, its
// title names the worst finding, and its annotation sits on the layer's config line.
func TestCheckConclusionPerPolicy(t *testing.T) {
	t.Parallel()
	ws, base, head := checkRepo(t)
	idx := actionIndex(t)
	for i, tc := range []struct {
		failOn     string
		code       int
		conclusion string
	}{
		{"", exitcode.Quota, "failure"},   // exceeded: the budget fails it
		{"quota", exitcode.OK, "neutral"}, // Lambda's limits only: over a budget is a warning
		{"never", exitcode.OK, "neutral"},
	} {
		gh := githubtest.New(t)
		r := runAction(t, ws, prEnv(t, gh, idx.URL, "pull_request.json", base, head, "INPUT_FAIL-ON", tc.failOn,
			"GITHUB_RUN_ID", fmt.Sprint(100+i)))
		if r.code != tc.code {
			t.Errorf("fail-on %q: exit %d, want %d\n%s", tc.failOn, r.code, tc.code, r)
		}
		crs := gh.CheckRuns()
		if len(crs) != 1 {
			t.Fatalf("fail-on %q: %d check runs\n%s", tc.failOn, len(crs), r)
		}
		cr := crs[0]
		if cr.Name != "lambda-layers" || cr.HeadSHA != head || cr.Status != "completed" || cr.Conclusion != tc.conclusion ||
			cr.Title != "data: over budget, 162.3 KB of 100.0 KB zipped" || cr.ExternalID != fmt.Sprint(100+i) ||
			cr.DetailsURL != fmt.Sprintf("https://github.com/acme/orders-service/actions/runs/%d", 100+i) {
			t.Errorf("fail-on %q: check run %+v", tc.failOn, cr)
		}
		if !strings.HasPrefix(cr.Summary, "### 📦 Lambda layers") || !strings.Contains(cr.Summary, "bigdata") {
			t.Errorf("fail-on %q: the summary is not the report:\n%s", tc.failOn, cr.Summary)
		}
		level := map[string]string{"failure": "failure", "neutral": "failure"}[tc.conclusion] // the budget is exceeded either way
		if len(cr.Annotations) != 1 || cr.Annotations[0].Path != "lambda-layers.yml" || cr.Annotations[0].StartLine != 2 || cr.Annotations[0].Level != level {
			t.Errorf("fail-on %q: annotations %+v", tc.failOn, cr.Annotations)
		}
		if !strings.Contains(r.summary, "**Status check** `lambda-layers`: check run created on `"+head[:12]+"`: `"+tc.conclusion+"`") {
			t.Errorf("fail-on %q: the job summary does not say what was posted:\n%s", tc.failOn, r.summary)
		}
	}

	// Within limits: success; the check-name input names it; a second post in the same workflow run
	// updates that check run.
	ws.write("layers/data/requirements.txt", "tinyjson==1.2.0\n")
	head2 := ws.commit("drop bigdata")
	gh := githubtest.New(t)
	for range 2 {
		r := runAction(t, ws, prEnv(t, gh, idx.URL, "pull_request.json", base, head2, "INPUT_CHECK-NAME", "layers / size"))
		if r.code != exitcode.OK {
			t.Fatalf("%s", r)
		}
	}
	crs := gh.CheckRuns()
	if len(crs) != 1 || crs[0].Name != "layers / size" || crs[0].Conclusion != "success" || crs[0].HeadSHA != head2 ||
		crs[0].Title != "all 2 layers within limits; the largest, data, 437 B unzipped" {
		t.Errorf("within limits: %+v", crs)
	}
	if reqs := gh.CheckRunRequests(); len(reqs) != 2 || reqs[0].Method != "POST" || reqs[1].Method != "PATCH" {
		t.Errorf("requests %+v", reqs)
	}
}

// TestCheckAnnotationsAllSent: 120 lines at fault are 120 annotations, sent in three requests (the
// Checks API takes 50 at a time), where workflow commands would show 10.
func TestCheckAnnotationsAllSent(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	var req strings.Builder
	for i := range 120 {
		fmt.Fprintf(&req, "-e ./local-package-%d\n", i)
	}
	ws.write("layers/web/requirements.txt", req.String())
	head := ws.commit("editable requirements")
	gh := githubtest.New(t)
	r := runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request.json", head, head,
		"INPUT_REQUIREMENTS", "layers/*/requirements.txt", "INPUT_RUNTIMES", "python3.12"))
	if r.code != exitcode.Failed {
		t.Fatalf("%s", r)
	}
	crs := gh.CheckRuns()
	if len(crs) != 1 || crs[0].Conclusion != "failure" || len(crs[0].Annotations) != 120 {
		t.Fatalf("check runs: %d, %+v", len(crs), crs)
	}
	reqs := gh.CheckRunRequests()
	if len(reqs) != 3 || reqs[0].Method != "POST" || reqs[0].Annotations != 50 || reqs[1].Annotations != 50 || reqs[2].Annotations != 20 {
		t.Errorf("requests: %+v", reqs)
	}
	for i, a := range crs[0].Annotations {
		if a.Path != "layers/web/requirements.txt" || a.StartLine != i+1 || a.Level != "failure" {
			t.Errorf("annotation %d: %+v", i, a)
			break
		}
	}
	if !strings.HasPrefix(crs[0].Title, "web: build failed: layers/web/requirements.txt:1:") {
		t.Errorf("title %q", crs[0].Title)
	}
	if n := strings.Count(r.stdout, "::error "); n > 2*github.PerStepLimit {
		t.Errorf("%d workflow-command annotations", n)
	}
}

// TestCheckReadOnlyTokenWarns: a fork's pull_request run may not write checks or statuses: the run
// warns, naming the permission, and exits with the report's code.
func TestCheckReadOnlyTokenWarns(t *testing.T) {
	t.Parallel()
	ws, base, head := checkRepo(t)
	gh := githubtest.New(t)
	gh.SetForbidden(true)
	r := runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request_fork.json", base, head))
	if r.code != exitcode.Quota { // over budget under fail-on exceeded: the report's code
		t.Fatalf("exit %d, want %d\n%s", r.code, exitcode.Quota, r)
	}
	if len(gh.CheckRuns())+len(gh.Statuses()) != 0 {
		t.Error("something was posted")
	}
	if !strings.Contains(r.stdout, "::warning title=lambda-layers::neither a check run nor a commit status was posted: GitHub answered 403") ||
		!strings.Contains(r.stdout, "`checks: write`") || !strings.Contains(r.stdout, "workflow_run job of the fork-safe pair") {
		t.Errorf("no warning naming the permission:\n%s", r.stdout)
	}
	if !strings.Contains(r.summary, "**Status check** `lambda-layers`: neither a check run nor a commit status was posted") || !strings.Contains(r.summary, "checks: write") {
		t.Errorf("the summary does not say why no check was posted:\n%s", r.summary)
	}
	if strings.Contains(r.stdout, "::error title=lambda-layers::") {
		t.Errorf("the refusal became an error:\n%s", r.stdout)
	}
}

// TestCheckStatusFallback: without checks: write but with statuses: write, a commit status carries the
// verdict, linking to the run.
func TestCheckStatusFallback(t *testing.T) {
	t.Parallel()
	ws, base, head := checkRepo(t)
	gh := githubtest.New(t)
	gh.Deny(githubtest.PermChecks)
	r := runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request.json", base, head))
	if r.code != exitcode.Quota {
		t.Fatalf("%s", r)
	}
	sts := gh.Statuses()
	if len(sts) != 1 || len(gh.CheckRuns()) != 0 {
		t.Fatalf("statuses %+v, check runs %+v", sts, gh.CheckRuns())
	}
	want := githubtest.Status{Repo: "acme/orders-service", SHA: head, State: "failure", Context: "lambda-layers",
		Description: "data: over budget, 162.3 KB of 100.0 KB zipped", TargetURL: "https://github.com/acme/orders-service/actions/runs/4242"}
	if sts[0] != want {
		t.Errorf("status %+v\nwant   %+v", sts[0], want)
	}
	if !strings.Contains(r.summary, "commit status posted on `"+head[:12]+"` instead of a check run") || !strings.Contains(r.summary, "checks: write") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if len(gh.Comments(42)) != 1 {
		t.Error("the comment was not posted")
	}
}

// TestCheckForkSafePair: the fork's pull_request run (read-only, comment: false) posts nothing; the
// workflow_run job posts the check on the pull request's head from the artifact, with the
// annotations the first run found and the conclusion its policy gave.
func TestCheckForkSafePair(t *testing.T) {
	t.Parallel()
	ws, base, head := checkRepo(t)
	gh := githubtest.New(t)
	gh.SetForbidden(true)
	r := runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request_fork.json", base, head,
		"INPUT_MODE", "report", "INPUT_COMMENT", "false", "INPUT_OUT", "artifact"))
	if r.code != exitcode.Quota || len(gh.CheckRunRequests()) != 0 || gh.Requests("POST ") != 0 {
		t.Fatalf("the build run: %s", r)
	}
	if !strings.Contains(r.summary, "not posted by this job — `comment` is false") {
		t.Errorf("the build run's summary does not say who posts the check:\n%s", r.summary)
	}
	var pr prInfo
	data, _ := os.ReadFile(filepath.Join(ws.dir, "artifact", "pr.json"))
	if err := json.Unmarshal(data, &pr); err != nil || pr.HeadSHA != head || len(pr.Annotations) != 1 {
		t.Fatalf("pr.json: %s, %v", data, err)
	}

	// The workflow_run job: in the base repository's context, with a token that may write.
	gh.SetForbidden(false)
	gh.SetPull(43, head)
	r = runAction(t, ws, map[string]string{
		"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": eventFile(t, "workflow_run.json", base, head),
		"GITHUB_SHA":     strings.Repeat("d", 40), // the default branch's commit: not the pull request's
		"GITHUB_API_URL": gh.URL, "GITHUB_RUN_ID": "777", "INPUT_GITHUB-TOKEN": "tok", "INPUT_OUT": "artifact",
	})
	if r.code != exitcode.OK {
		t.Fatalf("the comment run: %s", r)
	}
	crs := gh.CheckRuns()
	if len(crs) != 1 {
		t.Fatalf("%d check runs\n%s", len(crs), r)
	}
	cr := crs[0]
	if cr.HeadSHA != head || cr.Conclusion != "failure" || cr.Title != "data: over budget, 162.3 KB of 100.0 KB zipped" || cr.ExternalID != "777" ||
		len(cr.Annotations) != 1 || cr.Annotations[0].Path != "lambda-layers.yml" || cr.Annotations[0].StartLine != 2 {
		t.Errorf("check run %+v", cr)
	}
	if len(gh.Comments(43)) != 1 {
		t.Error("no comment")
	}
}

// TestCheckMatrixPostsOnce: matrix legs (report, comment: false) post nothing; the job that merges
// their reports posts exactly one check run for all of them.
func TestCheckMatrixPostsOnce(t *testing.T) {
	t.Parallel()
	ws, base, head := checkRepo(t)
	ws.write("lambda-layers.yml", `layers:
  - name: data
    requirements: [layers/data/requirements.txt]
    runtimes: [python3.12]
    architectures: [x86_64, arm64]
    budget: {zipped: 100KB}
  - name: web
    requirements: [layers/web/requirements.txt]
    runtimes: [python3.12]
`)
	head = ws.commit("two architectures")
	gh := githubtest.New(t)
	idx := actionIndex(t).URL
	legs := [][2]string{{"data", "x86_64"}, {"data", "arm64"}, {"web", "x86_64"}}
	for _, leg := range legs {
		r := runAction(t, ws, prEnv(t, gh, idx, "pull_request.json", base, head, "INPUT_MODE", "report", "INPUT_COMMENT", "false",
			"INPUT_LAYER", leg[0], "INPUT_RUNTIMES", "python3.12", "INPUT_ARCHITECTURES", leg[1],
			"INPUT_OUT", "reports/"+leg[0]+"-"+leg[1]))
		if r.code != exitcode.OK && r.code != exitcode.Quota {
			t.Fatalf("leg %v: %s", leg, r)
		}
	}
	if n := len(gh.CheckRunRequests()) + len(gh.Statuses()) + gh.Requests("POST "); n != 0 {
		t.Fatalf("the legs posted %d things", n)
	}
	r := runAction(t, ws, prEnv(t, gh, idx, "pull_request.json", base, head, "INPUT_MODE", "comment", "INPUT_OUT", "reports"))
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	crs := gh.CheckRuns()
	if len(crs) != 1 || len(gh.CheckRunRequests()) != 1 || len(gh.Comments(42)) != 1 {
		t.Fatalf("%d check runs in %d requests, %d comments", len(crs), len(gh.CheckRunRequests()), len(gh.Comments(42)))
	}
	cr := crs[0]
	if cr.HeadSHA != head || cr.Conclusion != "failure" || !strings.HasPrefix(cr.Title, "data (python3.12 ") || !strings.HasSuffix(cr.Title, "(+1 more)") ||
		len(cr.Annotations) != 2 || !strings.Contains(cr.Summary, "arm64") || !strings.Contains(cr.Summary, "`web`") {
		t.Errorf("check run %+v", cr)
	}
}

// TestCheckSummaryCutToTheLimit: a report too long for a check run is cut to 65,535 characters the way
// the comment is, least important parts first: the layer over its budget keeps its row.
func TestCheckSummaryCutToTheLimit(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	head := strings.Repeat("b", 40)
	rep := &report.Report{Layers: []report.Layer{}}
	for i := range 400 {
		l := report.Layer{Name: fmt.Sprintf("layer-%03d", i), Runtime: "python3.12", Architecture: "x86_64", Packages: []report.Package{}}
		for j := range 30 {
			l.Packages = append(l.Packages, report.Package{Name: fmt.Sprintf("package-%03d-%02d", i, j), Version: "1.0.0",
				Wheel: fmt.Sprintf("package_%03d_%02d-1.0.0-py3-none-any.whl", i, j), ZippedBytes: 40 << 10, UnzippedBytes: 100 << 10, Files: 10})
			l.ZippedBytes += 40 << 10
			l.UnzippedBytes += 100 << 10
		}
		rep.Layers = append(rep.Layers, l)
	}
	policy := report.Policy{Budgets: map[string]report.Budget{"layer-399": {ZippedBytes: 1 << 20}}}
	report.Evaluate(rep, policy)
	dir := filepath.Join(ws.dir, "reports")
	os.MkdirAll(dir, 0o755)
	if err := rep.WriteFile(filepath.Join(dir, "report.json")); err != nil {
		t.Fatal(err)
	}
	writeJSONFile(filepath.Join(dir, "pr.json"), prInfo{Number: 42, Repository: "acme/orders-service", HeadSHA: head})
	gh := githubtest.New(t)
	r := runAction(t, ws, map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_API_URL": gh.URL,
		"INPUT_GITHUB-TOKEN": "tok", "INPUT_MODE": "comment", "INPUT_OUT": "reports"})
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	crs := gh.CheckRuns()
	if len(crs) != 1 {
		t.Fatalf("%d check runs\n%s", len(crs), r)
	}
	s := crs[0].Summary
	if n := utf8.RuneCountInString(s); n > github.MaxCheckSummaryChars || n < github.MaxCheckSummaryChars/2 {
		t.Errorf("summary of %d characters", n)
	}
	if !strings.Contains(s, "Shortened to fit the Checks API's limit of 65,535 characters") || !strings.Contains(s, "| `layer-399` |") ||
		strings.Contains(s, markdown.Marker) {
		t.Errorf("summary:\n%s", s[:2000])
	}
	if crs[0].Conclusion != "failure" || crs[0].Title != "layer-399: over budget, 1.2 of 1 MB zipped" {
		t.Errorf("%s: %s", crs[0].Conclusion, crs[0].Title)
	}
}

// TestCheckOff: status-check: false posts nothing and says so.
func TestCheckOff(t *testing.T) {
	t.Parallel()
	ws, base, head := checkRepo(t)
	gh := githubtest.New(t)
	r := runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request.json", base, head, "INPUT_STATUS-CHECK", "false"))
	if r.code != exitcode.Quota || len(gh.CheckRunRequests())+len(gh.Statuses()) != 0 || !strings.Contains(r.summary, "`status-check` is false") {
		t.Errorf("%s", r)
	}
	r = runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request.json", base, head, "INPUT_STATUS-CHECK", "sometimes"))
	if r.code != exitcode.Usage || !strings.Contains(r.stdout, "status-check") {
		t.Errorf("a bad status-check: %s", r)
	}
}

// TestCheckFailsWhenTheConfigIsWrong: a pull request whose config cannot be read gets a failing check
// with the problem at its line, not a check that never arrives.
func TestCheckFailsWhenTheConfigIsWrong(t *testing.T) {
	t.Parallel()
	ws, base, _ := checkRepo(t)
	ws.write("lambda-layers.yml", "layers:\n  - name: data\n    requirments: [layers/data/requirements.txt]\n    runtimes: [python3.12]\n")
	head := ws.commit("a typo")
	gh := githubtest.New(t)
	r := runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request.json", base, head, "GITHUB_JOB", "layers"))
	if r.code != exitcode.Usage {
		t.Fatalf("%s", r)
	}
	crs := gh.CheckRuns()
	if len(crs) != 1 || crs[0].HeadSHA != head || crs[0].Conclusion != "failure" || crs[0].ExternalID != "4242/layers" ||
		!strings.HasPrefix(crs[0].Title, "lambda-layers failed: the configuration has 2 problems: lambda-layers.yml:2:5: layer \"data\" needs requirements") {
		t.Fatalf("check runs %+v\n%s", crs, r)
	}
	if a := crs[0].Annotations; len(a) != 2 || a[0].Path != "lambda-layers.yml" || a[0].StartLine != 2 || a[1].StartLine != 3 || a[1].Level != "failure" {
		t.Errorf("annotations %+v", a)
	}
	if !strings.Contains(crs[0].Summary, "the configuration has 2 problems") || !strings.Contains(r.summary, "check run created") {
		t.Errorf("check summary:\n%s\njob summary:\n%s", crs[0].Summary, r.summary)
	}
	// Not on a push in build mode: no check is expected there.
	gh2 := githubtest.New(t)
	r = runAction(t, ws, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_API_URL": gh2.URL, "INPUT_GITHUB-TOKEN": "tok"})
	if r.code != exitcode.Usage || len(gh2.CheckRunRequests()) != 0 {
		t.Errorf("push: %s", r)
	}
}

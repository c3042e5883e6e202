package action

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/github/githubtest"
	"github.com/lambda-layers/lambda-layers/internal/publish/mototest"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// actionResult is one in-process run of the action.
type actionResult struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
}

func (r actionResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s\nsummary:\n%s", r.code, r.stdout, r.stderr, r.summary)
}

// runAction runs Main with the workspace ws and env (INPUT_* etc.).
func runAction(t *testing.T, ws *workspace, env map[string]string) actionResult {
	t.Helper()
	return runActionWith(t, ws, env, nil)
}

func runActionWith(t *testing.T, ws *workspace, env map[string]string, client *http.Client) actionResult {
	t.Helper()
	files := t.TempDir()
	full := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws.dir, "HOME": ws.home, "GITHUB_REPOSITORY": "acme/orders-service",
		"GITHUB_OUTPUT": filepath.Join(files, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(files, "summary"),
	}
	for k, v := range env {
		full[k] = v
	}
	var stdout, stderr bytes.Buffer
	cache := filepath.Join(ws.home, "cache")
	code := Main(context.Background(), build.Env{
		Getenv: func(k string) string { return full[k] }, Stdout: &stdout, Stderr: &stderr,
		UserCacheDir: func() (string, error) { return cache, nil }, HTTPClient: client,
	})
	r := actionResult{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: map[string]string{}}
	if _, err := os.Stat(full["GITHUB_OUTPUT"]); err == nil {
		r.outputs = readOutputs(t, full["GITHUB_OUTPUT"])
	}
	sum, _ := os.ReadFile(full["GITHUB_STEP_SUMMARY"])
	r.summary = string(sum)
	return r
}

func TestActionConfigErrorsAreAnnotated(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	ws.write(".github/lambda-layers.yml", "layers:\n  - name: data\n    requirments: [r.txt]\n    runtimes: [python3.12]\n")
	r := runAction(t, ws, map[string]string{"GITHUB_EVENT_NAME": "push"})
	if r.code != exitcode.Usage {
		t.Fatalf("%s", r)
	}
	if !strings.Contains(r.stdout, "::error file=.github/lambda-layers.yml,line=3,title=lambda-layers config::unknown key \"requirments\" in a layer: did you mean \"requirements\"?") {
		t.Errorf("no annotation on the line:\n%s", r.stdout)
	}
	if !strings.Contains(r.summary, "requirments") || !strings.Contains(r.summary, ".github/lambda-layers.yml:3") {
		t.Errorf("summary:\n%s", r.summary)
	}

	r = runAction(t, ws, map[string]string{"INPUT_MODE": "deploy", "INPUT_COMMENT": "yes"})
	if r.code != exitcode.Usage || !strings.Contains(r.stdout, "input mode") || !strings.Contains(r.stdout, "input comment") {
		t.Errorf("bad inputs: %s", r)
	}
}

func TestActionWithoutCommandFiles(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	var stdout, stderr bytes.Buffer
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws.dir, "HOME": ws.home, "INPUT_MODE": "plan",
		"INPUT_REQUIREMENTS": "*.txt", "INPUT_RUNTIMES": "python3.12"}
	ws.write("requirements.txt", "six\n")
	code := Main(context.Background(), build.Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr})
	if code != exitcode.OK || !strings.Contains(stderr.String(), "GITHUB_OUTPUT") {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
}

// TestActionPlan: the changed layers are those whose requirements (or included files) or config entry
// changed; the matrix has their legs.
func TestActionPlan(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	cfg := `runtimes: [python3.12]
layers:
  - name: a
    requirements: [a/requirements.txt]
  - name: b
    requirements: [b/requirements.txt]
    architectures: [x86_64, arm64]
  - name: c
    requirements: [c/requirements.txt]
  - name: d
    requirements: [d/requirements.txt]
`
	ws.write("lambda-layers.yml", cfg,
		"a/requirements.txt", "six\n", "b/requirements.txt", "-r ../common/base.txt\n", "common/base.txt", "six\n",
		"c/requirements.txt", "six\n", "d/requirements.txt", "six\n", "README.md", "hi\n")
	base := ws.commit("base")
	ws.write("common/base.txt", "six==1.16.0\n", "README.md", "changed\n",
		"lambda-layers.yml", strings.Replace(cfg, "  - name: c\n    requirements: [c/requirements.txt]\n", "  - name: c\n    requirements: [c/requirements.txt]\n    budget: {zipped: 10MB}\n", 1)+
			"  - name: e\n    requirements: [d/requirements.txt]\n")
	head := ws.commit("head")

	env := map[string]string{"INPUT_MODE": "plan", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile(t, "pull_request.json", base, head)}
	r := runAction(t, ws, env)
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	var changed []string
	mustJSON(t, "changed", r.outputs["changed"], &changed)
	if strings.Join(changed, ",") != "b,c,e" {
		t.Errorf("changed = %v, want b (an included file), c (its config entry), e (new)\n%s", changed, r.summary)
	}
	var m struct {
		Include []leg `json:"include"`
	}
	mustJSON(t, "matrix", r.outputs["matrix"], &m)
	want := []leg{{"b", "python3.12", "x86_64"}, {"b", "python3.12", "arm64"}, {"c", "python3.12", "x86_64"}, {"e", "python3.12", "x86_64"}}
	if fmt.Sprint(m.Include) != fmt.Sprint(want) {
		t.Errorf("matrix = %v, want %v", m.Include, want)
	}
	if !strings.Contains(r.summary, "common/base.txt changed") {
		t.Errorf("the summary does not say why:\n%s", r.summary)
	}
	if os.Getenv("E2E_DEBUG") != "" {
		t.Log(r)
	}

	// A matrix leg narrows the config to its layer and target.
	r = runAction(t, ws, map[string]string{"INPUT_MODE": "plan", "INPUT_LAYER": "b", "INPUT_ARCHITECTURES": "arm64"})
	mustJSON(t, "matrix", r.outputs["matrix"], &m)
	if r.code != exitcode.OK || fmt.Sprint(m.Include) != fmt.Sprint([]leg{{"b", "python3.12", "arm64"}}) {
		t.Errorf("leg: %v\n%s", m.Include, r)
	}

	// Without a base, every layer has changed; base-ref names one.
	r = runAction(t, ws, map[string]string{"INPUT_MODE": "plan", "GITHUB_EVENT_NAME": "workflow_dispatch"})
	mustJSON(t, "changed", r.outputs["changed"], &changed)
	if len(changed) != 5 {
		t.Errorf("no base: changed = %v", changed)
	}
	r = runAction(t, ws, map[string]string{"INPUT_MODE": "plan", "INPUT_BASE-REF": base})
	mustJSON(t, "changed", r.outputs["changed"], &changed)
	if strings.Join(changed, ",") != "b,c,e" {
		t.Errorf("base-ref: changed = %v", changed)
	}
	r = runAction(t, ws, map[string]string{"INPUT_MODE": "plan", "INPUT_BASE-REF": "no-such-branch"})
	mustJSON(t, "changed", r.outputs["changed"], &changed)
	if len(changed) != 5 || !strings.Contains(r.stdout, "fetch-depth: 0") {
		t.Errorf("a missing base: changed = %v\n%s", changed, r.stdout)
	}
}

func TestActionPlanCutsAt256Legs(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	var b strings.Builder
	b.WriteString("runtimes: [python3.9, python3.10, python3.11, python3.12, python3.13, python3.14]\narchitectures: [x86_64, arm64]\nlayers:\n")
	for i := 0; i < 22; i++ { // 22 × 12 = 264 legs
		fmt.Fprintf(&b, "  - {name: l%02d, requirements: r.txt}\n", i)
	}
	ws.write("lambda-layers.yml", b.String(), "r.txt", "six\n")
	r := runAction(t, ws, map[string]string{"INPUT_MODE": "plan"})
	var m struct {
		Include []leg `json:"include"`
	}
	mustJSON(t, "matrix", r.outputs["matrix"], &m)
	if r.code != exitcode.OK || len(m.Include) != 256 || !strings.Contains(r.stdout, "264 matrix legs") || !strings.Contains(r.summary, "cut") {
		t.Errorf("%d legs\n%s", len(m.Include), r)
	}
}

// TestActionCommentMode: a workflow_run job posts the reports of a pull_request run's matrix legs as
// one comment, after checking that the artifact is for the run's commit and the PR is still there.
func TestActionCommentMode(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	head := strings.Repeat("b", 40)
	art := filepath.Join(ws.dir, "lambda-layers-report")
	for i, name := range []string{"data", "web"} {
		dir := filepath.Join(art, fmt.Sprintf("leg%d", i))
		os.MkdirAll(dir, 0o755)
		rep := &report.Report{Layers: []report.Layer{{Name: name, Runtime: "python3.12", Architecture: "x86_64", ZippedBytes: 1000, UnzippedBytes: 3000,
			Packages: []report.Package{}, Quotas: report.Quotas(1000, 3000, 0)}}}
		rep.WriteFile(filepath.Join(dir, "report.json"))
		writeJSONFile(filepath.Join(dir, "pr.json"), prInfo{Number: 43, Repository: "acme/orders-service", HeadSHA: head, BaseSHA: strings.Repeat("a", 40)})
	}
	gh := githubtest.New(t)
	gh.SetPull(43, head)
	env := map[string]string{
		"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": "../../testdata/action/events/workflow_run.json",
		"GITHUB_API_URL": gh.URL, "INPUT_GITHUB-TOKEN": "tok", "INPUT_OUT": "lambda-layers-report",
	}
	r := runAction(t, ws, env) // mode auto: workflow_run → comment
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	cs := gh.Comments(43)
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, github.Marker) || !strings.Contains(cs[0].Body, "data") || !strings.Contains(cs[0].Body, "web") {
		t.Errorf("comments = %+v", cs)
	}
	if r.outputs["comment-body"] != cs[0].Body {
		t.Error("the comment-body output is not the comment")
	}

	// The pull request moved on: no stale comment.
	gh.SetPull(43, strings.Repeat("d", 40))
	before := gh.Requests("PATCH ")
	r = runAction(t, ws, env)
	if r.code != exitcode.OK || gh.Requests("PATCH ") != before || !strings.Contains(r.stdout, "moved on") {
		t.Errorf("moved on: %s", r)
	}

	// An artifact for another commit than the run's is refused.
	writeJSONFile(filepath.Join(art, "leg1", "pr.json"), prInfo{Number: 7, HeadSHA: strings.Repeat("e", 40)})
	r = runAction(t, ws, env)
	if r.code != exitcode.Failed || !strings.Contains(r.stdout, "different pull requests") {
		t.Errorf("mismatched artifacts: %s", r)
	}
	os.RemoveAll(filepath.Join(art, "leg1"))
	writeJSONFile(filepath.Join(art, "leg0", "pr.json"), prInfo{Number: 7, HeadSHA: strings.Repeat("e", 40)})
	r = runAction(t, ws, env)
	if r.code != exitcode.Failed || !strings.Contains(r.stdout, "workflow run was for") {
		t.Errorf("another commit: %s", r)
	}
}

// TestActionPublishOnPushToDefaultBranch: mode auto publishes on a push to the default branch, through
// moto; the published output lists the new versions, and an unchanged layer is not published again.
func TestActionPublishOnPushToDefaultBranch(t *testing.T) {
	t.Parallel()
	srv := mototest.Shared(t)
	acct := mototest.NewAccount()
	client := &http.Client{Transport: mototest.Transport(acct, nil)}
	ws := newWorkspace(t)
	idx := actionIndex(t)
	ws.write("lambda-layers.yml", "layers:\n  - {name: api, requirements: layers/api/requirements.txt, runtimes: python3.12}\naws: {regions: [us-east-1]}\n",
		"layers/api/requirements.txt", "hello==1.0\n")
	env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json", "INPUT_INDEX-URL": idx.URL}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		env[k] = srv.Getenv("us-east-1")(k)
	}
	r := runActionWith(t, ws, env, client)
	var published []string
	mustJSON(t, "published", r.outputs["published"], &published)
	want := "arn:aws:lambda:us-east-1:" + acct + ":layer:api-py312-x86_64:1"
	if r.code != exitcode.OK || len(published) != 1 || published[0] != want || !strings.Contains(r.summary, "published") {
		t.Fatalf("published = %v, want [%s]\n%s", published, want, r)
	}
	r = runActionWith(t, ws, env, client)
	mustJSON(t, "published", r.outputs["published"], &published)
	if r.code != exitcode.OK || len(published) != 0 {
		t.Errorf("an unchanged layer was published again: %v\n%s", published, r)
	}
	ws.write("layers/api/requirements.txt", "hello==1.0\ntinyjson==1.2.0\n")
	env["INPUT_DRY-RUN"] = "true"
	r = runActionWith(t, ws, env, client)
	mustJSON(t, "published", r.outputs["published"], &published)
	if r.code != exitcode.OK || len(published) != 0 || !strings.Contains(r.summary, "dry run") {
		t.Errorf("dry run: %v\n%s", published, r)
	}
	// Without a region anywhere, publishing says where to set one.
	delete(env, "AWS_REGION")
	ws.write("lambda-layers.yml", "layers:\n  - {name: api, requirements: layers/api/requirements.txt, runtimes: python3.12}\n")
	r = runActionWith(t, ws, env, client)
	if r.code != exitcode.Failed || !strings.Contains(r.summary, "aws-region") {
		t.Errorf("no region: %s", r)
	}
}

func TestActionBuildModeOutputs(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	idx := actionIndex(t)
	ws.write("requirements.txt", "x86only==1.0\n")
	r := runAction(t, ws, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json",
		"GITHUB_REF": "refs/heads/feature", "INPUT_REQUIREMENTS": "requirements.txt", "INPUT_RUNTIMES": "python3.12",
		"INPUT_ARCHITECTURES": "x86_64,arm64", "INPUT_INDEX-URL": idx.URL})
	// push.json is a push to main, the default branch: auto publishes, which is not available yet;
	// the build still ran and said which target failed.
	var layers []layerOutput
	mustJSON(t, "layers", r.outputs["layers"], &layers)
	if len(layers) != 2 || layers[0].Error != "" || layers[1].Error == "" || layers[0].Name != "orders-service" {
		t.Errorf("layers = %+v\n%s", layers, r)
	}
	if r.code != exitcode.Failed || !strings.Contains(r.stdout, "::error file=requirements.txt") {
		t.Errorf("no wheel for arm64: %s", r)
	}
	data, err := os.ReadFile(filepath.Join(ws.dir, r.outputs["report-json"]))
	var rep report.Report
	if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Layers) != 2 {
		t.Errorf("report-json %q: %v", r.outputs["report-json"], err)
	}
}

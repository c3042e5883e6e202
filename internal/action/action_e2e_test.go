package action

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/github/githubtest"
)

// buildBinary builds the real binary into a temporary folder, as the Dockerfile does.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lambda-layers")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/lambda-layers/lambda-layers/internal/version.Version=v0.0.0-e2e", "-o", bin, "github.com/lambda-layers/lambda-layers")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runnerRun is one run of the binary the way GitHub's runner starts a container action.
type runnerRun struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
}

func runAsRunner(t *testing.T, bin string, ws *workspace, env map[string]string) runnerRun {
	t.Helper()
	files := t.TempDir() // /github/file_commands
	outFile, sumFile := filepath.Join(files, "set_output"), filepath.Join(files, "step_summary")
	for _, f := range []string{outFile, sumFile} {
		os.WriteFile(f, nil, 0o644)
	}
	cmd := exec.Command(bin)
	cmd.Dir = ws.dir // the container's cwd is the workspace
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + ws.home, "GIT_CONFIG_NOSYSTEM=1",
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_WORKSPACE=" + ws.dir,
		"GITHUB_REPOSITORY=acme/orders-service", "GITHUB_SHA=cccccccccccccccccccccccccccccccccccccccc",
		"GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + sumFile,
		"RUNNER_OS=Linux", "RUNNER_TEMP=" + t.TempDir(),
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	t.Logf("run took %s", time.Since(began).Round(time.Millisecond))
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	sum, _ := os.ReadFile(sumFile)
	return runnerRun{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: readOutputs(t, outFile), summary: string(sum)}
}

func (r runnerRun) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr + "\nsummary:\n" + r.summary
}

func ourComments(gh *githubtest.Server, pr int) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range gh.Comments(pr) {
		if strings.HasPrefix(c.Body, github.Marker) {
			out = append(out, c)
		}
	}
	return out
}

// TestActionEndToEnd runs the built binary as GitHub's runner runs the container action, on a
// pull_request event, against an in-process GitHub API and package index.
func TestActionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	start := time.Now() // the build's time depends on the cache; the runs' must stay small
	idx := actionIndex(t)
	gh := githubtest.New(t)
	gh.Token = "ghs_e2e"
	gh.MaxPageSize = 10
	for i := 0; i < 25; i++ {
		gh.AddComment(42, "reviewer", "a comment that is not ours")
	}

	ws := newWorkspace(t)
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
	base := ws.commit("base")
	ws.write("layers/data/requirements.txt", "tinyjson==1.2.0\n")
	head := ws.commit("bump tinyjson")

	env := func(event string, extra ...string) map[string]string {
		m := map[string]string{
			"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
			"GITHUB_API_URL":     gh.URL,
			"INPUT_GITHUB-TOKEN": "ghs_e2e", "INPUT_MODE": "auto", "INPUT_COMMENT": "true",
			"INPUT_INDEX-URL": idx.URL, "INPUT_OUT": "dist/lambda-layers",
			// Inputs action.yml declares are all passed, empty when the workflow sets none.
			"INPUT_CONFIG": "", "INPUT_REQUIREMENTS": "", "INPUT_RUNTIMES": "", "INPUT_ARCHITECTURES": "", "INPUT_LAYER": "",
			"INPUT_FAIL-ON": "", "INPUT_BASE-REF": "", "INPUT_AWS-REGION": "", "INPUT_DRY-RUN": "false",
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}

	// 1. The pull request's first run: a comment is created; the outputs are JSON.
	r := runAsRunner(t, bin, ws, env(eventFile(t, "pull_request.json", base, head)))
	if r.code != exitcode.OK {
		t.Fatalf("first run: %s", r)
	}
	ours := ourComments(gh, 42)
	if len(ours) != 1 || !strings.Contains(ours[0].Body, "tinyjson") && !strings.Contains(ours[0].Body, "data") {
		t.Fatalf("after the first run, our comments = %+v\n%s", ours, r)
	}
	var layers []layerOutput
	mustJSON(t, "layers", r.outputs["layers"], &layers)
	if len(layers) != 2 || layers[0].Name != "data" || layers[0].LayerName != "data-py312-x86_64" || layers[0].ZippedBytes == 0 || layers[0].Error != "" {
		t.Errorf("layers output = %+v", layers)
	}
	var m struct {
		Include []leg `json:"include"`
	}
	mustJSON(t, "matrix", r.outputs["matrix"], &m)
	if len(m.Include) != 2 || m.Include[0] != (leg{"data", "python3.12", "x86_64"}) {
		t.Errorf("matrix output = %+v", m)
	}
	var changed, published []string
	mustJSON(t, "changed", r.outputs["changed"], &changed)
	mustJSON(t, "published", r.outputs["published"], &published)
	if strings.Join(changed, ",") != "data" || len(published) != 0 {
		t.Errorf("changed = %v, published = %v", changed, published)
	}
	if r.outputs["report-json"] != "dist/lambda-layers/report.json" {
		t.Errorf("report-json = %q", r.outputs["report-json"])
	}
	if _, err := os.Stat(filepath.Join(ws.dir, r.outputs["report-json"])); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(r.outputs["comment-body"], github.Marker) || r.outputs["comment-body"] != ours[0].Body {
		t.Errorf("comment-body output is not the comment:\n%s", r.outputs["comment-body"])
	}
	if !strings.Contains(r.summary, "data") || !strings.Contains(r.summary, "python3.12") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if cfg, _ := os.ReadFile(filepath.Join(ws.home, ".gitconfig")); !strings.Contains(string(cfg), "directory = "+ws.dir) {
		t.Errorf("safe.directory not set for the workspace; ~/.gitconfig:\n%s", cfg)
	}
	if gh.Requests("POST /repos/acme/orders-service/issues/") != 1 {
		t.Errorf("%d comments created", gh.Requests("POST /repos/acme/orders-service/issues/"))
	}
	// The status check: one check run on the pull request's head (not GITHUB_SHA's merge commit).
	if crs := gh.CheckRuns(); len(crs) != 1 || crs[0].Name != "lambda-layers" || crs[0].HeadSHA != head || crs[0].Conclusion != "success" ||
		!strings.HasPrefix(crs[0].Title, "all 2 layers within limits") || !strings.Contains(crs[0].Summary, "tinyjson") {
		t.Errorf("check runs after the first run: %+v", crs)
	}

	// 2. A new push to the pull request: the same comment is updated, not duplicated. The data layer
	// is now over its budget, and fail-on (default: exceeded) fails the step with exit 3.
	ws.write("layers/data/requirements.txt", "tinyjson==1.2.0\nbigdata==2.0\n")
	head2 := ws.commit("add bigdata")
	gh.AddComment(42, "reviewer", "more discussion after our comment")
	r = runAsRunner(t, bin, ws, env(eventFile(t, "pull_request.json", base, head2)))
	if r.code != exitcode.Quota {
		t.Errorf("over budget with fail-on exceeded: %s", r)
	}
	ours2 := ourComments(gh, 42)
	if len(ours2) != 1 || ours2[0].ID != ours[0].ID || ours2[0].Body == ours[0].Body || gh.Requests("PATCH /repos/acme/orders-service/issues/") != 1 ||
		gh.Requests("POST /repos/acme/orders-service/issues/") != 1 {
		t.Errorf("second run: comments %+v, %d PATCH, %d POST", ours2, gh.Requests("PATCH /repos/acme/orders-service/issues/"), gh.Requests("POST /repos/acme/orders-service/issues/"))
	}
	// Its check run fails, says why in its title, and annotates the layer's config line.
	if crs := gh.CheckRuns(); len(crs) != 2 || crs[1].HeadSHA != head2 || crs[1].Conclusion != "failure" ||
		crs[1].Title != "data: over budget, 162.3 KB of 100.0 KB zipped" || len(crs[1].Annotations) == 0 ||
		crs[1].Annotations[0] != (githubtest.Annotation{Path: "lambda-layers.yml", StartLine: 2, EndLine: 2, Level: "failure",
			Title: "data (python3.12 x86_64)", Message: crs[1].Annotations[0].Message}) {
		t.Errorf("check runs after the second run: %+v", crs[len(crs)-1])
	}
	if !strings.Contains(r.stdout, "::error file=lambda-layers.yml,line=2,") {
		t.Errorf("no annotation on the layer's config line:\n%s", r.stdout)
	}

	// fail-on quota (Lambda's limits only) lets the same build pass.
	r = runAsRunner(t, bin, ws, env(eventFile(t, "pull_request.json", base, head2), "INPUT_FAIL-ON", "quota"))
	if r.code != exitcode.OK {
		t.Errorf("fail-on quota: %s", r)
	}

	// 3. A fork's pull request: the token is read-only and GitHub answers 403. The build passes, the
	// summary says why there is no comment, and the body is an output.
	gh.SetForbidden(true)
	r = runAsRunner(t, bin, ws, env(eventFile(t, "pull_request_fork.json", base, head2), "INPUT_FAIL-ON", "never"))
	if r.code != exitcode.OK || !strings.Contains(r.summary, "403") || !strings.HasPrefix(r.outputs["comment-body"], github.Marker) {
		t.Errorf("403: %s", r)
	}
	// Nor may it post the check: a warning naming the permission, not a failure.
	if !strings.Contains(r.stdout, "::warning title=lambda-layers::neither a check run nor a commit status was posted") ||
		!strings.Contains(r.summary, "checks: write") || len(gh.CheckRuns()) != 3 { // the fail-on quota run posted the third
		t.Errorf("the fork's check: %s", r)
	}
	gh.SetForbidden(false)

	// 4. A broken requirements line: the step fails, and the comment, the summary and an annotation
	// on the line say what and where.
	ws.write("layers/web/requirements.txt", "hello==1.0\n-e ./local-package\n")
	head3 := ws.commit("an editable requirement")
	r = runAsRunner(t, bin, ws, env(eventFile(t, "pull_request.json", base, head3), "INPUT_FAIL-ON", "never"))
	if r.code != exitcode.Failed {
		t.Errorf("a broken requirements file: %s", r)
	}
	if !strings.Contains(r.stdout, "::error file=layers/web/requirements.txt,line=2,") {
		t.Errorf("no annotation on the line at fault:\n%s", r.stdout)
	}
	if !strings.Contains(r.summary, "layers/web/requirements.txt") {
		t.Errorf("the summary does not say where:\n%s", r.summary)
	}
	if ours := ourComments(gh, 42); len(ours) != 1 || !strings.Contains(ours[0].Body, "layers/web/requirements.txt") {
		t.Errorf("the comment does not say what failed: %+v", ours)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the runs took %s; keep them under a minute", d)
	}
	if os.Getenv("E2E_DEBUG") != "" {
		t.Log(r)
	}
}

package action

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/codeartifact/codeartifacttest"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/lockfile/locktest"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// A config with a pyproject.toml layer (extras and groups from the config) and a uv.lock layer,
// built from a CodeArtifact repository: the layers hold the expected sets, and the token is in no
// output, log, report or summary.
func TestActionLocksAndCodeArtifact(t *testing.T) {
	t.Parallel()
	idx := indextest.New(t, locktest.Wheels())
	ca := codeartifacttest.New(t, idx.URL)
	ws := newWorkspace(t)
	uvLock, err := os.ReadFile(filepath.Join(locktest.Dir(), "uv", "uv.lock"))
	if err != nil {
		t.Fatal(err)
	}
	pyproject, err := os.ReadFile(filepath.Join(locktest.Dir(), "..", "..", "pyproject", "testdata", "pyproject.toml"))
	if err != nil {
		t.Fatal(err)
	}
	ws.write(
		"lambda-layers.yml", `index:
  codeartifact: {domain: acme, repository: pypi-store, owner: "123456789012", region: eu-west-1}
runtimes: [python3.13]
architectures: [x86_64, arm64]
layers:
  - name: app
    requirements: [app/pyproject.toml]
    extras: [all]
    groups: [dev]
  - name: locked
    requirements: [locked/uv.lock]
`,
		"app/pyproject.toml", string(pyproject),
		"locked/uv.lock", string(uvLock),
	)
	ws.commit("layers from a pyproject and a uv.lock")
	env := map[string]string{
		"INPUT_MODE": "build", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL_CODEARTIFACT": ca.URL,
	}
	r := runActionWith(t, ws, env, &http.Client{Transport: locktest.Redirect(idx.URL, nil)})
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	data, err := os.ReadFile(filepath.Join(ws.dir, "dist", "lambda-layers", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.Layers {
		var names []string
		for _, p := range l.Packages {
			names = append(names, p.Name)
		}
		got := strings.Join(names, " ")
		want := map[string]string{
			"app x86_64":    "alpha delta devtool epsilon lintkit",
			"app arm64":     "alpha delta devtool epsilon gamma lintkit",
			"locked x86_64": "alpha delta",
			"locked arm64":  "alpha delta gamma",
		}[l.Name+" "+l.Architecture]
		if got != want {
			t.Errorf("%s %s %s: %s, want %s", l.Name, l.Runtime, l.Architecture, got, want)
		}
	}
	if len(ca.Tokens()) == 0 {
		t.Fatal("no token was fetched")
	}
	for _, tok := range ca.Tokens() {
		for what, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "summary": r.summary, "report.json": string(data), "outputs": strings.Join(mapValues(r.outputs), "\n")} {
			if strings.Contains(s, tok) {
				t.Errorf("the CodeArtifact token appears in %s", what)
			}
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Plan mode: a change to a layer's lock file or pyproject.toml is a change of that layer.
func TestActionPlanLockAndPyproject(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	ws.write("lambda-layers.yml", `runtimes: [python3.12]
layers:
  - name: locked
    requirements: [locked/uv.lock]
  - name: py
    requirements: [py/pyproject.toml]
  - name: plain
    requirements: [plain/requirements.txt]
`, "locked/uv.lock", "version = 1\n", "py/pyproject.toml", "[project]\nname = \"py\"\ndependencies = []\n", "plain/requirements.txt", "six\n")
	base := ws.commit("base")
	ws.write("locked/uv.lock", "version = 1\nrevision = 3\n", "py/pyproject.toml", "[project]\nname = \"py\"\ndependencies = [\"six\"]\n")
	head := ws.commit("head")
	r := runAction(t, ws, map[string]string{"INPUT_MODE": "plan", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile(t, "pull_request.json", base, head)})
	if r.code != exitcode.OK {
		t.Fatalf("%s", r)
	}
	var changed []string
	mustJSON(t, "changed", r.outputs["changed"], &changed)
	if strings.Join(changed, ",") != "locked,py" {
		t.Errorf("changed = %v, want locked,py\n%s", changed, r.summary)
	}
	if !strings.Contains(r.summary, "locked/uv.lock changed") {
		t.Errorf("the summary does not name the lock:\n%s", r.summary)
	}
}

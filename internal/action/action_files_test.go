package action

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/github"
)

const repoRoot = "../.."

// actionMeta is action.yml.
type actionMeta struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
	Branding struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
}

func readActionMeta(t *testing.T) actionMeta {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var m actionMeta
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestActionInputsDeclaredReadDocumented: every input of action.yml is read by the code and
// documented in the README's action section and docs/action.md; every input the code reads is
// declared. The same for outputs.
func TestActionInputsDeclaredReadDocumented(t *testing.T) {
	m := readActionMeta(t)
	if got, want := keys(m.Inputs), sorted(actionInputs); !slices.Equal(got, want) {
		t.Errorf("action.yml inputs %v, code's %v", got, want)
	}
	if got, want := keys(m.Outputs), sorted(actionOutputs); !slices.Equal(got, want) {
		t.Errorf("action.yml outputs %v, code's %v", got, want)
	}
	// What readInputs asks for is what the code reads.
	var asked []string
	readInputs(func(name string) string { asked = append(asked, name); return "" })
	if got, want := sorted(asked), sorted(actionInputs); !slices.Equal(got, want) {
		t.Errorf("readInputs reads %v, action.yml declares %v", got, want)
	}
	// Nothing else in the package reads an input behind readInputs' back.
	files, _ := filepath.Glob("*.go")
	inputRE := regexp.MustCompile(`\.Input\(|"INPUT_`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "action_inputs.go" {
			continue
		}
		data, _ := os.ReadFile(f)
		if inputRE.Match(data) {
			t.Errorf("%s reads an input directly: read it in readInputs", f)
		}
	}
	// Defaults in action.yml are the code's.
	def := func(name string) string {
		if d := m.Inputs[name].Default; d != nil {
			return *d
		}
		return ""
	}
	if def("check-name") != github.DefaultCheckName || def("status-check") != "" {
		t.Errorf("action.yml: check-name defaults to %q (code: %q), status-check to %q (the code's default depends on comment)", def("check-name"), github.DefaultCheckName, def("status-check"))
	}
	if def("out") != defaultOut || def("mode") != modeAuto || def("comment") != "true" || def("dry-run") != "false" || def("github-token") != "${{ github.token }}" {
		t.Errorf("action.yml defaults differ from the code's: out=%q mode=%q comment=%q dry-run=%q github-token=%q",
			def("out"), def("mode"), def("comment"), def("dry-run"), def("github-token"))
	}
	for name, in := range m.Inputs {
		if in.Required {
			t.Errorf("input %s is required: GitHub does not enforce it, so the code checks instead and action.yml says false", name)
		}
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	for _, mode := range actionModes {
		if !strings.Contains(m.Inputs["mode"].Description, mode) {
			t.Errorf("the mode input's description does not name %s", mode)
		}
	}
	if len(m.Description) > 125 {
		t.Errorf("description is %d characters; the Marketplace takes 125", len(m.Description))
	}
	if m.Runs.Using != "docker" || m.Runs.Image != "Dockerfile" || m.Branding.Icon == "" || m.Branding.Color == "" {
		t.Errorf("runs/branding: %+v %+v", m.Runs, m.Branding)
	}

	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section, ok := between(string(readme), "<!-- action:begin -->", "<!-- action:end -->")
	if !ok {
		t.Fatal("README.md has no <!-- action:begin --> … <!-- action:end --> section")
	}
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "action.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(slices.Clone(actionInputs), actionOutputs...) {
		for where, text := range map[string]string{"README.md": section, "docs/action.md": string(doc)} {
			if !strings.Contains(text, "`"+name+"`") {
				t.Errorf("%s does not document `%s`", where, name)
			}
		}
	}
}

func between(s, begin, end string) (string, bool) {
	i := strings.Index(s, begin)
	j := strings.Index(s, end)
	if i < 0 || j < i {
		return "", false
	}
	return s[i+len(begin) : j], true
}

// TestWorkflowsLint runs actionlint over the repository's workflows and the documented examples. The
// examples use the published action (lambda-layers/lambda-layers@v1); they are linted against this
// checkout's action.yml (uses: ./), so an input they pass that the action does not declare is an error.
func TestWorkflowsLint(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	linter, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{WorkingDir: root})
	if err != nil {
		t.Fatal(err)
	}
	workflows, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	examples, _ := filepath.Glob(filepath.Join(root, "docs", "examples", "*.yml"))
	if len(workflows) < 3 || len(examples) < 5 {
		t.Fatalf("found %d workflows and %d examples", len(workflows), len(examples))
	}
	lint := func(path string, content []byte) {
		errs, err := linter.Lint(path, content, project)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, e := range errs {
			t.Errorf("%s:%d:%d: %s [%s]", filepath.Base(path), e.Line, e.Column, e.Message, e.Kind)
		}
	}
	for _, f := range workflows {
		data, _ := os.ReadFile(f)
		lint(f, data)
	}
	for _, f := range examples {
		data, _ := os.ReadFile(f)
		if !bytes.Contains(data, []byte("uses: lambda-layers/lambda-layers@v1")) {
			t.Errorf("%s does not use the action", f)
		}
		lint(f, bytes.ReplaceAll(data, []byte("lambda-layers/lambda-layers@v1"), []byte("./")))
	}

	for _, f := range append(workflows, examples...) {
		data, _ := os.ReadFile(f)
		checkPermissions(t, filepath.Base(f), data)
	}

	// The linter does check the local action's inputs (or the test above proves nothing).
	bad := []byte("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./\n        with:\n          no-such-input: 1\n")
	errs, err := linter.Lint(filepath.Join(root, ".github", "workflows", "bad.yml"), bad, project)
	if err != nil || len(errs) == 0 {
		t.Errorf("an undeclared input passed actionlint: %v %v", errs, err)
	}
}

// TestDocsConfigExample: the config example in docs/action.md parses and names real keys.
func TestDocsConfigExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "action.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(# lambda-layers.yml.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("docs/action.md has no ```yaml block starting with # lambda-layers.yml")
	}
	for _, b := range blocks {
		if _, err := config.Parse("docs/action.md", b[1]); err != nil {
			t.Errorf("the documented config does not parse:\n%v", err)
		}
	}
}

// dockerInstruction is one instruction of a Dockerfile, continuation lines joined.
type dockerInstruction struct {
	Cmd, Args string
	Stage     int
}

func parseDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []dockerInstruction
	stage := -1
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, dockerInstruction{Cmd: cmd, Args: strings.TrimSpace(args), Stage: stage})
	}
	for sc.Scan() {
		line := sc.Text()
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") && cur.Len() == 0 {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return out
}

// TestDockerfile: multi-stage, a static trimmed build with the version linked in, and a final image
// as GitHub's container actions need it: root (no USER), no WORKDIR, an ENTRYPOINT.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	var froms []dockerInstruction
	last := 0
	for _, in := range ins {
		if in.Cmd == "FROM" {
			froms = append(froms, in)
			last = in.Stage
		}
	}
	if len(froms) < 2 {
		t.Fatalf("not multi-stage: %d FROM", len(froms))
	}
	if !strings.Contains(froms[0].Args, "golang:") || !strings.Contains(strings.ToLower(froms[0].Args), " as build") {
		t.Errorf("the first stage should be the Go builder named build: FROM %s", froms[0].Args)
	}
	var build, final strings.Builder
	var entrypoint string
	for _, in := range ins {
		switch in.Cmd {
		case "USER", "WORKDIR":
			t.Errorf("%s %s: GitHub's container actions run as root in the workspace; drop it", in.Cmd, in.Args)
		}
		if in.Stage == last {
			final.WriteString(in.Cmd + " " + in.Args + "\n")
			if in.Cmd == "ENTRYPOINT" {
				entrypoint = in.Args
			}
		} else {
			build.WriteString(in.Cmd + " " + in.Args + "\n")
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-ldflags", "-X github.com/lambda-layers/lambda-layers/internal/version.Version=", "go build"} {
		if !strings.Contains(build.String(), want) {
			t.Errorf("the build stage lacks %q", want)
		}
	}
	if !strings.HasPrefix(entrypoint, "[") || !strings.Contains(entrypoint, "lambda-layers") {
		t.Errorf("ENTRYPOINT %q: want the binary, in exec form (so the runner's arguments reach it)", entrypoint)
	}
	for _, want := range []string{"ca-certificates", "COPY --from=build", "git"} {
		if !strings.Contains(final.String(), want) {
			t.Errorf("the final stage lacks %q", want)
		}
	}
	if strings.Contains(final.String(), "golang") {
		t.Error("the final stage carries the Go toolchain")
	}

	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ignore), "\n") {
		switch strings.TrimSpace(line) {
		case "go.mod", "go.sum", "main.go", "internal", "*.go", "**/*.go":
			t.Errorf(".dockerignore leaves out %s, which the build needs", line)
		}
	}
}

// workflowFile is the part of a workflow checkPermissions reads.
type workflowFile struct {
	On          yaml.Node `yaml:"on"`
	Permissions yaml.Node `yaml:"permissions"`
	Jobs        map[string]struct {
		Permissions yaml.Node `yaml:"permissions"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// checkPermissions: every job whose step of the action may post the status check (docs/action.md, The
// status check) asks for checks: write, and one that may comment for pull-requests: write; a job's
// permissions replace the workflow's.
func checkPermissions(t *testing.T, name string, data []byte) {
	t.Helper()
	var wf workflowFile
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var events []string
	switch wf.On.Kind {
	case yaml.ScalarNode:
		events = []string{wf.On.Value}
	case yaml.SequenceNode:
		for _, n := range wf.On.Content {
			events = append(events, n.Value)
		}
	case yaml.MappingNode:
		for i := 0; i < len(wf.On.Content); i += 2 {
			events = append(events, wf.On.Content[i].Value)
		}
	}
	onPR := slices.Contains(events, "pull_request") || slices.Contains(events, "pull_request_target")
	grants := func(n yaml.Node, perm string) bool {
		switch n.Kind {
		case 0:
			return true // no permissions key: the repository's default token (write-all in the worst case)
		case yaml.ScalarNode:
			return n.Value == "write-all"
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == perm && n.Content[i+1].Value == "write" {
					return true
				}
			}
		}
		return false
	}
	for job, j := range wf.Jobs {
		perms := wf.Permissions
		if j.Permissions.Kind != 0 {
			perms = j.Permissions
		}
		for _, st := range j.Steps {
			if st.Uses != "./" && !strings.HasPrefix(st.Uses, "lambda-layers/lambda-layers@") {
				continue
			}
			mode := st.With["mode"]
			if mode == "" {
				mode = modeAuto
			}
			maybe := func(v string) bool { return v != "false" } // "", true or an expression
			reports := mode == modeReport || mode == modeAuto && onPR || strings.Contains(mode, "${{")
			comments := mode == modeComment || reports && maybe(st.With["comment"])
			checks := maybe(st.With["status-check"]) &&
				(mode == modeComment || reports && (maybe(st.With["comment"]) || st.With["status-check"] == "true"))
			if checks && !grants(perms, "checks") {
				t.Errorf("%s: job %s posts the status check but its permissions lack checks: write", name, job)
			}
			if comments && !grants(perms, "pull-requests") {
				t.Errorf("%s: job %s comments but its permissions lack pull-requests: write", name, job)
			}
		}
	}
}

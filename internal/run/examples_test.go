package run

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/publish/mototest"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
)

// ran is one command line run by TestHelpExamples, in its workspace.
type ran struct {
	code           int
	stdout, stderr string
	dir            string // the workspace: a folder "deps" holding the demo's requirements.txt
	again          func(extra ...string) ran
}

func (r ran) String() string {
	return "exit " + string(rune('0'+r.code)) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

func (r ran) file(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, rel))
	if err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	return string(b)
}

func (r ran) report(t *testing.T, rel string) report.Report {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal([]byte(r.file(t, rel)), &rep); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return rep
}

func (r ran) ok(t *testing.T) {
	t.Helper()
	if r.code != exitcode.OK {
		t.Fatalf("want exit 0\n%s", r)
	}
}

// moto is the AWS the publish examples talk to, with the account and the Lambda client of a check;
// registry is the host that stands in for ghcr.io.
type moto struct {
	srv      *mototest.Server
	account  string
	registry string
}

func (m moto) lambda(region string) *lambda.Client {
	return lambda.NewFromConfig(aws.Config{
		Region: region, BaseEndpoint: aws.String(m.srv.URL), HTTPClient: &http.Client{Transport: mototest.Transport(m.account, nil)},
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

func (m moto) versions(t *testing.T, region, layer string) []ltypes.LayerVersionsListItem {
	t.Helper()
	out, err := m.lambda(region).ListLayerVersions(t.Context(), &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)})
	if err != nil {
		t.Fatal(err)
	}
	return out.LayerVersions
}

// exampleChecks says, for every example in the help, what it must have done: the text above it
// made true. An example without a check fails TestHelpExamples, so a new example comes with one.
func exampleChecks(m *moto) map[string]func(t *testing.T, r ran) {
	return map[string]func(t *testing.T, r ran){
		// build
		"lambda-layers build -r requirements.txt --runtime python3.12 --arch x86_64,arm64": func(t *testing.T, r ran) {
			r.ok(t)
			for _, arch := range []string{"x86_64", "arm64"} {
				r.file(t, "dist/deps-python3.12-"+arch+".zip")
			}
			if rep := r.report(t, "dist/report.json"); len(rep.Layers) != 2 {
				t.Errorf("report.json has %d layers, want 2", len(rep.Layers))
			}
			if !strings.Contains(r.stdout, "deps             python3.12 arm64 ") {
				t.Errorf("no table row for arm64:\n%s", r)
			}
		},
		"lambda-layers build -r requirements.txt --runtime python3.12 --name deps --out build": func(t *testing.T, r ran) {
			r.ok(t)
			r.file(t, "build/deps-python3.12-x86_64.zip")
			if rep := r.report(t, "build/report.json"); len(rep.Layers) != 1 || rep.Layers[0].Name != "deps" {
				t.Errorf("build/report.json: %+v", rep.Layers)
			}
		},
		"lambda-layers build -r requirements.txt --runtime python3.12 --json - --quiet": func(t *testing.T, r ran) {
			r.ok(t)
			var rep report.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Layers) != 1 || r.stderr != "" {
				t.Errorf("standard output is not report.json alone (%v), or standard error is not empty:\n%s", err, r)
			}
			if bad := r.again("--runtime", "python3.8"); bad.code != exitcode.Usage || bad.stdout != "" || !strings.Contains(bad.stderr, "unknown runtime") {
				t.Errorf("errors still go to standard error:\n%s", bad)
			}
		},
		// lock
		"lambda-layers lock -r requirements.txt --runtime python3.12": func(t *testing.T, r ran) {
			r.ok(t)
			for _, want := range []string{"hello-lambda==1.0.0 \\\n    --hash=sha256:", "tinyjson==1.2.0 \\\n", "fastcrc==1.0.0 \\\n"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the lock on standard output lacks %q:\n%s", want, r)
				}
			}
		},
		"lambda-layers lock -r requirements.txt --runtime python3.12 --arch x86_64,arm64 -o locks/": func(t *testing.T, r ran) {
			r.ok(t)
			x86, arm := r.file(t, "locks/requirements-python3.12-x86_64.txt"), r.file(t, "locks/requirements-python3.12-arm64.txt")
			if !strings.Contains(x86, "fastcrc==1.0.0") || x86 == arm {
				t.Errorf("the locks do not differ by architecture:\n%s\n%s", x86, arm)
			}
		},
		"lambda-layers lock -r pyproject.toml --runtime python3.12 --arch arm64 --format pylock -o locks/": func(t *testing.T, r ran) {
			r.ok(t)
			l := r.file(t, "locks/pylock.py312-arm64.toml")
			for _, want := range []string{`lock-version = "1.0"`, `name = "hello-lambda"`, "fastcrc-1.0.0-cp312-cp312-manylinux_2_28_aarch64.whl"} {
				if !strings.Contains(l, want) {
					t.Errorf("locks/pylock.py312-arm64.toml lacks %q:\n%s", want, l)
				}
			}
		},
		"lambda-layers build -r locks/requirements-python3.12-x86_64.txt --runtime python3.12 --name deps": func(t *testing.T, r ran) {
			r.ok(t)
			r.file(t, "dist/deps-python3.12-x86_64.zip")
			if v := r.again("--verbose"); !strings.Contains(v.stderr, "pins of the lock, no resolution") {
				t.Errorf("a build from the lock resolved:\n%s", v)
			}
		},
		// report
		"lambda-layers report -r requirements.txt --runtime python3.12 --budget-zipped 40MB": func(t *testing.T, r ran) {
			r.ok(t)
			if over := r.again("--budget-zipped", "1KB"); over.code != exitcode.Quota || !strings.Contains(over.stdout, "EXCEEDED: over budget") {
				t.Errorf("over the budget, want exit 3:\n%s", over)
			}
		},
		"lambda-layers report -r requirements.txt --runtime python3.12 --base main --markdown comment.md": func(t *testing.T, r ran) {
			r.ok(t)
			c := r.file(t, "comment.md")
			if !strings.HasPrefix(c, markdown.Marker) || !strings.Contains(c, "colorlog") || !strings.Contains(c, "main") {
				t.Errorf("comment.md does not compare with main (colorlog was added since):\n%s", c)
			}
		},
		"lambda-layers report --from dist/report.json --markdown -": func(t *testing.T, r ran) {
			r.ok(t)
			if !strings.HasPrefix(r.stdout, markdown.Marker) || !strings.Contains(r.stderr, "LAYER") {
				t.Errorf("want the comment on standard output and the table on standard error:\n%s", r)
			}
		},
		// publish
		"lambda-layers publish --report dist/report.json --region us-east-1 --dry-run": func(t *testing.T, r ran) {
			r.ok(t)
			if !strings.Contains(r.stdout, "dry run: nothing is written") || len(m.versions(t, "us-east-1", "deps-py312-x86_64")) != 0 {
				t.Errorf("the dry run wrote, or did not say so:\n%s", r)
			}
		},
		"lambda-layers publish --region us-east-1,eu-west-1 --share-account 123456789012": func(t *testing.T, r ran) {
			r.ok(t)
			for _, region := range []string{"us-east-1", "eu-west-1"} {
				vs := m.versions(t, region, "deps-py312-x86_64")
				if len(vs) != 1 {
					t.Fatalf("%s: %d versions", region, len(vs))
				}
				pol, err := m.lambda(region).GetLayerVersionPolicy(t.Context(), &lambda.GetLayerVersionPolicyInput{
					LayerName: aws.String("deps-py312-x86_64"), VersionNumber: aws.Int64(vs[0].Version)})
				if err != nil || !strings.Contains(aws.ToString(pol.Policy), "123456789012") {
					t.Errorf("%s: the account may not use the layer: %v %v", region, err, pol)
				}
			}
		},
		"lambda-layers publish --region us-east-1 --function deps=my-function": func(t *testing.T, r ran) {
			r.ok(t)
			fn, err := m.lambda("us-east-1").GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("my-function")})
			if err != nil {
				t.Fatal(err)
			}
			var arns []string
			for _, l := range fn.Layers {
				arns = append(arns, aws.ToString(l.Arn))
			}
			if got := strings.Join(arns, " "); !strings.Contains(got, ":layer:other:1") || !strings.Contains(got, ":layer:deps-py312-x86_64:") {
				t.Errorf("my-function's layers: %s\n%s", got, r)
			}
		},
		"lambda-layers publish --oci ghcr.io/acme/layers": func(t *testing.T, r ran) {
			r.ok(t)
			ref, err := name.ParseReference(m.registry + "/acme/layers:deps-python3.12")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := remote.Head(ref); err != nil {
				t.Errorf("no image deps-python3.12 was pushed: %v\n%s", err, r)
			}
		},
		// version, completion, help
		"lambda-layers version": func(t *testing.T, r ran) {
			r.ok(t)
			if !strings.HasPrefix(r.stdout, "lambda-layers ") || !strings.Contains(r.stdout, "\ngo:       go1.") || !strings.Contains(r.stdout, "\nrevision: ") {
				t.Errorf("version:\n%s", r)
			}
		},
		"lambda-layers --version": func(t *testing.T, r ran) {
			r.ok(t)
			if _, v, _ := mainOut("version"); r.stdout != v {
				t.Errorf("--version differs from version:\n%s", r)
			}
		},
		"lambda-layers help": func(t *testing.T, r ran) {
			r.ok(t)
			if _, h, _ := mainOut("-h"); r.stdout != h || !strings.Contains(r.stdout, "\nCommands:\n  build ") {
				t.Errorf("help differs from -h, or lists no commands:\n%s", r)
			}
		},
		"source <(lambda-layers completion bash)": func(t *testing.T, r ran) {
			r.ok(t)
			script := filepath.Join(t.TempDir(), "lambda-layers.bash")
			os.WriteFile(script, []byte(r.stdout), 0o644)
			out, err := exec.Command("bash", "-c", "source "+script+" && complete -p lambda-layers").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "__start_lambda-layers lambda-layers") {
				t.Errorf("sourcing the bash script does not register the completion: %v\n%s", err, out)
			}
		},
		`lambda-layers completion zsh > "${fpath[1]}/_lambda-layers"`: func(t *testing.T, r ran) {
			r.ok(t)
			if !strings.HasPrefix(r.stdout, "#compdef lambda-layers") {
				t.Errorf("not a zsh completion function:\n%.200s", r.stdout)
			}
		},
		"lambda-layers completion fish > ~/.config/fish/completions/lambda-layers.fish": func(t *testing.T, r ran) {
			r.ok(t)
			if !strings.Contains(r.stdout, "complete -c lambda-layers") {
				t.Errorf("not a fish completion script:\n%.200s", r.stdout)
			}
		},
		"lambda-layers help build": func(t *testing.T, r ran) {
			r.ok(t)
			if !strings.HasPrefix(r.stdout, "Build a layer zip") || r.stdout != mustHelp(t, "build") {
				t.Errorf("help build differs from build -h:\n%s", r)
			}
		},
	}
}

func mustHelp(t *testing.T, cmd string) string {
	t.Helper()
	_, out, _ := mainOut(cmd, "-h")
	return out
}

// commandLine is the lambda-layers part of an example: "source <(lambda-layers completion bash)" runs
// "completion bash"; a redirection ends it.
func commandLine(t *testing.T, line string) []string {
	t.Helper()
	_, cmd, ok := strings.Cut(line, "lambda-layers ")
	if !ok {
		t.Fatalf("example %q does not run lambda-layers", line)
	}
	cmd, _, _ = strings.Cut(cmd, ")")
	cmd, _, _ = strings.Cut(cmd, " >")
	var args []string
	for _, f := range strings.Fields(cmd) {
		args = append(args, strings.Trim(f, `'"`))
	}
	return args
}

// TestHelpExamples runs every example of every command's help, in help order, in one workspace —
// a folder "deps" holding the demo's requirements.txt and a pyproject.toml of the same, a git repository whose main branch lacks the
// colorlog added since, PIP_INDEX_URL pointing at the demo index, AWS at moto with a function
// my-function, an in-process registry standing in for ghcr.io — and checks each did what its text says.
func TestHelpExamples(t *testing.T) {
	srv := mototest.Shared(t)
	m := &moto{srv: srv, account: mototest.NewAccount()}
	checks := exampleChecks(m)

	index, err := filepath.Abs(filepath.Join(demoDir, "index", "simple"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "deps")
	os.MkdirAll(dir, 0o755)
	reqs, err := os.ReadFile(filepath.Join(demoDir, "requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "requirements.txt"), reqs, 0o644)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "requirements.txt"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "demo"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	os.WriteFile(filepath.Join(dir, "requirements.txt"), append(reqs, "colorlog\n"...), 0o644)
	os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[project]\nname = \"deps\"\nversion = \"1.0\"\ndependencies = [\"hello-lambda>=1.0\", \"tinyjson~=1.0\"]\n"), 0o644)

	// my-function, with a layer of its own that the roll-out must keep.
	lc := m.lambda("us-east-1")
	other, err := lc.PublishLayerVersion(t.Context(), &lambda.PublishLayerVersionInput{LayerName: aws.String("other"), Content: &ltypes.LayerVersionContentInput{ZipFile: mustZip(t)}})
	if err != nil {
		t.Fatal(err)
	}
	role, err := srv.CreateRole(t.Context(), m.account, "fn-role")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("my-function"), Role: aws.String(role), Runtime: "python3.12", Handler: aws.String("app.handler"),
		Layers: []string{aws.ToString(other.LayerVersionArn)}, Code: &ltypes.FunctionCode{ZipFile: mustZip(t)},
	}); err != nil {
		t.Fatal(err)
	}

	t.Chdir(dir)
	awsEnv := srv.Getenv("us-east-1")
	cache := t.TempDir()
	env := build.Env{
		Getenv: func(k string) string {
			if k == "PIP_INDEX_URL" {
				return index
			}
			return awsEnv(k)
		},
		UserCacheDir: func() (string, error) { return cache, nil },
		HTTPClient:   &http.Client{Transport: mototest.Transport(m.account, nil)},
	}
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	m.registry = strings.TrimPrefix(reg.URL, "http://")
	run := func(args ...string) ran {
		args = slices.Clone(args)
		for i, a := range args {
			if rest, ok := strings.CutPrefix(a, "ghcr.io/"); ok {
				args[i] = m.registry + "/" + rest
			}
		}
		var stdout, stderr bytes.Buffer
		e := env
		e.Stdout, e.Stderr = &stdout, &stderr
		code := Main(context.Background(), e, args)
		return ran{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: dir}
	}

	a := newApp(context.Background(), build.Env{})
	order := []*cobra.Command{}
	for _, c := range a.root.Commands() {
		order = append(order, c)
	}
	order = append(order, a.root)
	done := map[string]bool{}
	for _, c := range order {
		for _, e := range a.docs[c].examples {
			if done[e.line] {
				continue
			}
			done[e.line] = true
			check := checks[e.line]
			if check == nil {
				t.Errorf("%s: the example %q has no check in exampleChecks", c.Name(), e.line)
				continue
			}
			args := commandLine(t, e.line)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := run(args...)
				r.again = func(extra ...string) ran { return run(append(append([]string{}, args...), extra...)...) }
				check(t, r)
			})
		}
	}
	for line := range checks {
		if !done[line] {
			t.Errorf("exampleChecks has a check for %q, which no help shows", line)
		}
	}
}

// TestREADMECommands runs each command line of README.md's shell blocks ("go run . …" runs the
// binary; `go test ./...` is this very suite and is left out), from the repository's root with --out
// in a temporary folder, and checks it succeeds and writes what the README says it writes.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	inShell := false
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "```sh"):
			inShell = true
		case strings.HasPrefix(l, "```"):
			inShell = false
		case inShell && strings.HasPrefix(l, "go run . "):
			lines = append(lines, strings.TrimPrefix(l, "go run . "))
		case inShell && (strings.HasPrefix(l, "lambda-layers ")):
			lines = append(lines, strings.TrimPrefix(l, "lambda-layers "))
		case inShell && l != "" && !strings.HasPrefix(l, "#") && l != "go test ./...":
			t.Errorf("README shell line %q is neither run here nor known", l)
		}
	}
	if len(lines) == 0 {
		t.Fatal("README has no command line to run")
	}
	for _, line := range lines {
		args := strings.Fields(line)
		out := t.TempDir()
		for i := range args {
			if strings.HasPrefix(args[i], "testdata/") {
				args[i] = "../../" + args[i]
			}
			if i > 0 && args[i-1] == "--out" {
				args[i] = out
			}
		}
		args = append(args, "--cache-dir", t.TempDir())
		code, stdout, stderr := mainOut(args...)
		if code != exitcode.OK {
			t.Errorf("%s: exit %d\n%s%s", line, code, stdout, stderr)
			continue
		}
		// "The first writes dist/demo-python3.12-x86_64.zip, dist/demo-python3.12-arm64.zip and
		// dist/report.json, and prints a table."
		if strings.Contains(line, "--out dist") {
			for _, f := range []string{"demo-python3.12-x86_64.zip", "demo-python3.12-arm64.zip", "report.json"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("%s: %v", line, err)
				}
			}
			if !strings.Contains(stdout, "LAYER") {
				t.Errorf("%s: no table:\n%s", line, stdout)
			}
		}
	}
}

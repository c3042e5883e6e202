package run

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
)

// TestUsageErrors checks the shape of every kind of command-line mistake: "lambda-layers CMD: what
// and the input at fault", then what to do on the next line, exit 2, nothing on standard output.
func TestUsageErrorShape(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args      []string
		what, fix string
	}{
		{[]string{"bild"}, `lambda-layers: unknown command "bild"`, "did you mean 'lambda-layers build'?"},
		{[]string{"buld", "-r", "x.txt"}, `lambda-layers: unknown command "buld"`, "did you mean 'lambda-layers build'?"},
		{[]string{"-q", "lokc"}, `lambda-layers: unknown command "lokc"`, "did you mean 'lambda-layers lock'?"},
		{[]string{"frobnicate"}, `lambda-layers: unknown command "frobnicate"`, "the commands are build, lock, report, publish, version, completion"},
		{[]string{"help", "bild"}, `lambda-layers help: unknown command "bild"`, "did you mean 'lambda-layers build'?"},
		{[]string{"help", "build", "now"}, `lambda-layers help: unexpected argument "now"`, "write lambda-layers help build"},
		{[]string{"build", "--requirment", "x.txt"}, "lambda-layers build: unknown option --requirment", "did you mean --requirement?"},
		{[]string{"build", "--runtimes", "python3.12"}, "lambda-layers build: unknown option --runtimes", "did you mean --runtime?"},
		{[]string{"lock", "--ouput-file", "x"}, "lambda-layers lock: unknown option --ouput-file", "did you mean --output-file?"},
		{[]string{"publish", "--regoin", "us-east-1"}, "lambda-layers publish: unknown option --regoin", "did you mean --region?"},
		{[]string{"report", "--budget-zip", "1MB"}, "lambda-layers report: unknown option --budget-zip", "did you mean --budget-zipped?"},
		{[]string{"build", "-x"}, "lambda-layers build: unknown option -x", "'lambda-layers build -h' lists the options"},
		{[]string{"build", "-runtime", "python3.12"}, "lambda-layers build: unknown option -runtime", "write --runtime (long options take two dashes)"},
		{[]string{"build", "--runtime"}, "lambda-layers build: --runtime needs a value", "write --runtime RUNTIME[,…]"},
		{[]string{"report", "--top", "x"}, "lambda-layers report: --top x: not a whole number", "write --top N"},
		{[]string{"build", "requirements.txt"}, `lambda-layers build: unexpected argument "requirements.txt"`, "pass requirements files with -r: lambda-layers build -r requirements.txt"},
		{[]string{"build", "--runtime", "python3.12"}, "lambda-layers build: no requirements file", "pass -r requirements.txt"},
		{[]string{"build", "-r", "x.txt"}, "lambda-layers build: no runtime", "pass --runtime python3.12"},
		{[]string{"lock", "-r", "x.txt", "--runtime", "python3.8"}, `lambda-layers lock: unknown runtime "python3.8": valid runtimes are python3.9`, "pass --runtime python3.12"},
		{[]string{"lock", "-r", "x.txt", "--runtime", "python3.12", "--arch", "x86_64,arm64"}, "lambda-layers lock: 2 targets need 2 lock files, and standard output holds one", "pass -o locks/ or -o 'requirements-{target}.txt'"},
		{[]string{"completion", "tcsh"}, "lambda-layers completion: unknown shell tcsh", "write one of: lambda-layers completion bash|zsh|fish"},
		{[]string{"publish", "--report", "r.json", "--function", "fn"}, "lambda-layers publish: --function fn: no layer or no function", "write --function LAYER=FUNCTION"},
	} {
		code, stdout, stderr := mainOut(c.args...)
		lines := strings.SplitN(strings.TrimRight(stderr, "\n"), "\n", 2)
		if code != exitcode.Usage || stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], c.what) ||
			!strings.HasPrefix(lines[1], "  ") || !strings.Contains(lines[1], c.fix) {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and\n%s…\n  …%s…", c.args, code, stdout, stderr, c.what, c.fix)
		}
	}
}

func TestNoArguments(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := mainOut()
	if code != exitcode.Usage || stdout != "" || !strings.Contains(stderr, "Commands:\n  build") {
		t.Errorf("no arguments: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}

func TestVersion(t *testing.T) {
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-05T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, true
	}
	defer func() { readBuildInfo = debug.ReadBuildInfo }()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, _ := mainOut(args...)
		want := "lambda-layers v1.4.0\ngo:       go1.26.8 "
		if code != exitcode.OK || !strings.HasPrefix(stdout, want) ||
			!strings.Contains(stdout, "\nrevision: 0123456789abcdef0123456789abcdef01234567 (2026-12-05T10:00:00Z)\n") ||
			!strings.Contains(stdout, "\nmodified: true") {
			t.Errorf("%v: exit %d\n%s", args, code, stdout)
		}
	}
	readBuildInfo = func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{GoVersion: "go1.26.8"}, true }
	if _, stdout, _ := mainOut("version"); !strings.Contains(stdout, "revision: unknown (built without VCS stamping") {
		t.Errorf("no VCS info:\n%s", stdout)
	}
}

// TestCompletion asks the binary's completion entry point (what the shell scripts call) for
// commands, options, runtimes and architectures, and checks each script names its shell.
func TestCompletion(t *testing.T) {
	t.Parallel()
	complete := func(args ...string) []string {
		t.Helper()
		_, stdout, _ := mainOut(append([]string{"__complete"}, args...)...)
		var out []string
		for l := range strings.SplitSeq(stdout, "\n") {
			if l != "" && !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
				name, _, _ := strings.Cut(l, "\t")
				out = append(out, name)
			}
		}
		return out
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{""}, "build lock report publish version completion help"},
		{[]string{"bu"}, "build"},
		{[]string{"build", "--ru"}, "--runtime"},
		{[]string{"build", "--runtime", ""}, "python3.9 python3.10 python3.11 python3.12 python3.13 python3.14"},
		{[]string{"build", "--runtime", "python3.1"}, "python3.10 python3.11 python3.12 python3.13 python3.14"},
		{[]string{"build", "--runtime", "python3.12,python3.1"}, "python3.12,python3.10 python3.12,python3.11 python3.12,python3.13 python3.12,python3.14"},
		{[]string{"lock", "--arch", ""}, "x86_64 arm64"},
		{[]string{"report", "--arch", "x86_64,"}, "x86_64,arm64"},
		{[]string{"report", "--fail-on", ""}, "exceeded warn never"},
		{[]string{"lock", "--format", ""}, "pip pylock"},
		{[]string{"completion", ""}, "bash zsh fish"},
		{[]string{"help", "p"}, "publish"},
	} {
		if got := strings.Join(complete(c.args...), " "); got != c.want {
			t.Errorf("complete %q: %q, want %q", c.args, got, c.want)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, stdout, stderr := mainOut("completion", shell)
		if code != exitcode.OK || !strings.Contains(stdout, "lambda-layers") || !strings.Contains(stdout, shell) || stderr != "" {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(stdout), stderr)
		}
	}
}

// TestTableColour builds the demo with standard output a terminal or not, and NO_COLOR set or not:
// colour only on a terminal without NO_COLOR.
func TestTableColour(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	for _, c := range []struct {
		tty     bool
		noColor string
		want    bool
	}{{true, "", true}, {true, "1", false}, {false, "", false}} {
		var stdout, stderr bytes.Buffer
		env := map[string]string{"NO_COLOR": c.noColor}
		code := Main(context.Background(), build.Env{
			Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr, StdoutIsTerminal: c.tty,
		}, []string{"build", "-r", demoDir + "/requirements.txt", "--runtime", "python3.12", "--index-url", demoDir + "/index/simple",
			"--out", t.TempDir(), "--cache-dir", cache})
		if code != exitcode.OK {
			t.Fatalf("exit %d\n%s", code, stderr.String())
		}
		if got := strings.Contains(stdout.String(), "\x1b[32mok\x1b[0m"); got != c.want {
			t.Errorf("terminal %v, NO_COLOR=%q: colour %v, want %v\n%s", c.tty, c.noColor, got, c.want, stdout.String())
		}
	}
}

// TestQuietVerboseJSON: --quiet prints nothing on success; --verbose says per target what is fetched
// and why with the time of each phase; --json - puts report.json alone on standard output.
func TestQuietVerboseJSON(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	run := func(extra ...string) (int, string, string) {
		args := append([]string{"build", "-r", demoDir + "/requirements.txt", "--runtime", "python3.12",
			"--index-url", demoDir + "/index/simple", "--out", t.TempDir(), "--cache-dir", cache}, extra...)
		return mainOut(args...)
	}
	if code, stdout, stderr := run("--quiet"); code != exitcode.OK || stdout != "" || stderr != "" {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	including := filepath.Join(t.TempDir(), "including.txt")
	if err := os.WriteFile(including, []byte("-r nope.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := run("--quiet", "-r", including); code != exitcode.Failed || stdout != "" ||
		!strings.HasPrefix(stderr, "lambda-layers build: demo (python3.12 x86_64) failed: ") || !strings.Contains(stderr, "including.txt:1: cannot read") {
		t.Errorf("--quiet with a failure: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	// Exit 3 is not all --quiet says: which layer is over what, and its biggest packages.
	code, stdout, stderr := mainOut("report", "-r", demoDir+"/requirements.txt", "--runtime", "python3.12", "--index-url", demoDir+"/index/simple",
		"--cache-dir", cache, "--out", t.TempDir(), "--json", filepath.Join(t.TempDir(), "r.json"), "--budget-unzipped", "1KB", "--quiet")
	if code != exitcode.Quota || stdout != "" || !strings.HasPrefix(stderr, "lambda-layers report: demo (python3.12 x86_64) is over the budget of 1.0 KB unzipped; its biggest packages: fastcrc 1.0.0") {
		t.Errorf("--quiet over a budget: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run("--verbose")
	for _, want := range []string{
		"demo python3.12 x86_64: resolved 3 packages against " + demoDir + "/index/simple [",
		"demo python3.12 x86_64:   hello-lambda 1.0.0: hello_lambda-1.0.0-py3-none-any.whl, cached (required by " + demoDir + "/requirements.txt:3)",
		"demo python3.12 x86_64:   fastcrc 1.0.0: fastcrc-1.0.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl, cached (required by hello-lambda 1.0.0)",
		"demo python3.12 x86_64: fetched 3 wheels, 3 of them from the cache in " + cache + " [",
		"demo python3.12 x86_64: verified the wheels and wrote ",
	} {
		if code != exitcode.OK || !strings.Contains(stderr, want) {
			t.Errorf("--verbose: exit %d, stderr lacks %q:\n%s", code, want, stderr)
		}
	}
	if !strings.Contains(stdout, "LAYER") {
		t.Errorf("--verbose: no table on standard output:\n%s", stdout)
	}
	// lock --verbose names each package, where it comes from and why, as build does.
	code, _, stderr = mainOut("lock", "-r", demoDir+"/requirements.txt", "--runtime", "python3.12", "--index-url", demoDir+"/index/simple",
		"--cache-dir", cache, "-o", filepath.Join(t.TempDir(), "lock.txt"), "--verbose")
	for _, want := range []string{
		"python3.12 x86_64: resolved 3 packages [",
		"python3.12 x86_64:   fastcrc 1.0.0 from file://",
		"(required by hello-lambda 1.0.0): 1 wheel the target loads, best fastcrc-1.0.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"python3.12 x86_64: hashed and wrote ",
	} {
		if code != exitcode.OK || !strings.Contains(stderr, want) {
			t.Errorf("lock --verbose: exit %d, stderr lacks %q:\n%s", code, want, stderr)
		}
	}
	code, stdout, stderr = run("--json", "-")
	var rep struct{ Layers []struct{ Name string } }
	if err := json.Unmarshal([]byte(stdout), &rep); code != exitcode.OK || err != nil || len(rep.Layers) != 1 || !strings.Contains(stderr, "LAYER") {
		t.Errorf("--json -: exit %d, %v, stdout:\n%s\nstderr:\n%s", code, err, stdout, stderr)
	}
}

// TestVersionOfBuiltBinary builds the binary with VCS stamping and checks that `version` reports the
// checkout's commit and whether the tree has changes, as git says them.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	git := func(args ...string) (string, error) {
		out, err := exec.Command("git", append([]string{"-C", "../.."}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	head, err := git("rev-parse", "HEAD")
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	if gitDir, _ := git("rev-parse", "--git-dir"); !strings.HasSuffix(gitDir, ".git") {
		t.Skipf("a git worktree (%s): go build stamps only a checkout whose .git is a folder", gitDir)
	}
	status, err := git("status", "--porcelain")
	if err != nil {
		t.Fatal(err)
	}
	bin := builtBinary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "modified: false"
	if status != "" {
		want = "modified: true"
	}
	if !strings.Contains(string(out), "\nrevision: "+head+" (") || !strings.Contains(string(out), want) {
		t.Errorf("version of a binary built at %s (git status %q):\n%s", head, status, out)
	}
	if v, _ := exec.Command(bin, "--version").Output(); string(v) != string(out) {
		t.Errorf("--version differs from version:\n%s", v)
	}
}

// TestFailureHints: failures that do not say what to do get a hint — a requirements file that is not
// there (a usage error of every command that takes -r, before anything is built; inside a file, in
// the build's report), an index that does not answer.
func TestFailureHints(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.txt")
	for _, cmd := range []string{"build", "lock", "report"} {
		out := []string{"--out", filepath.Join(dir, "dist")}
		if cmd == "lock" {
			out = []string{"-o", filepath.Join(dir, "dist")}
		}
		code, stdout, stderr := mainOut(append([]string{cmd, "-r", missing, "--runtime", "python3.12", "--cache-dir", t.TempDir(), "--quiet"}, out...)...)
		if code != exitcode.Usage || stdout != "" || stderr != "lambda-layers "+cmd+": -r "+missing+": no such file\n  hint: check the path, or create the file\n" {
			t.Errorf("%s of a missing file: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
			t.Errorf("%s of a missing file wrote %s", cmd, filepath.Join(dir, "dist"))
		}
		code, _, stderr = mainOut(append([]string{cmd, "-r", dir, "--runtime", "python3.12", "--cache-dir", t.TempDir()}, out...)...)
		if code != exitcode.Usage || !strings.Contains(stderr, "-r "+dir+" is a folder\n  hint: pass the requirements or lock file in it, e.g. -r "+filepath.Join(dir, "requirements.txt")) {
			t.Errorf("%s of a folder: exit %d\n%s", cmd, code, stderr)
		}
	}
	including := filepath.Join(dir, "including.txt")
	if err := os.WriteFile(including, []byte("-r nope.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := mainOut("build", "-r", including, "--runtime", "python3.12", "--out", filepath.Join(dir, "out"), "--cache-dir", t.TempDir())
	if code != exitcode.Failed || !strings.Contains(stdout, "including.txt:1: cannot read "+missing) || !strings.Contains(stdout, "\n  hint: paths in -r and -c are relative to the file that names them") {
		t.Errorf("build of a file including a missing file: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = mainOut("lock", "-r", demoDir+"/requirements.txt", "--runtime", "python3.12", "--index-url", "http://127.0.0.1:1/simple/", "--cache-dir", t.TempDir())
	if code != exitcode.Failed || !strings.Contains(stderr, "127.0.0.1:1") || !strings.Contains(stderr, "\n  hint: the index did not answer") {
		t.Errorf("lock against an index that does not answer: exit %d\n%s", code, stderr)
	}
}

var built struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}

// builtBinary is the program built once for this test binary (with VCS stamping), as
// DIR/lambda-layers.
func builtBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "lambda-layers-bin-")
		if built.err == nil {
			built.out, built.err = exec.Command("go", "build", "-buildvcs=true", "-o", filepath.Join(built.dir, "lambda-layers"), "../..").CombinedOutput()
		}
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return filepath.Join(built.dir, "lambda-layers")
}

// removeBuilt removes the binary builtBinary made (TestMain, in oracle_test.go, calls it).
func removeBuilt() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// TestBashCompletionEndToEnd sources the bash script in a real bash, with the built binary on PATH,
// and asks it to complete as a user's Tab would: commands, runtimes in a list, architectures.
func TestBashCompletionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const lib = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("no bash-completion here: %v", err)
	}
	t.Parallel()
	bin := builtBinary(t)
	for _, c := range []struct{ line, want string }{
		{"lambda-layers b", "build"},
		{"lambda-layers build --runtime python3.1", "python3.10 python3.11 python3.12 python3.13 python3.14"},
		{"lambda-layers lock --arch ", "x86_64 arm64"},
		{"lambda-layers report --fail-on ", "exceeded warn never"},
		{"lambda-layers completion ", "bash zsh fish"},
	} {
		words := strings.Fields(c.line)
		if strings.HasSuffix(c.line, " ") {
			words = append(words, "")
		}
		script := "source " + lib + "; source <(lambda-layers completion bash)\n" +
			"COMP_WORDS=(" + quoteWords(words) + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) +
			"; COMP_LINE=" + quoteWords([]string{c.line}) + "; COMP_POINT=${#COMP_LINE}\n" +
			"__start_lambda-layers 2>/dev/null; echo \"${COMPREPLY[*]}\""
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
			t.Errorf("%q<Tab>: %q (%v), want %q", c.line, got, err, c.want)
		}
	}
}

func quoteWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

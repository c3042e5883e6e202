package oracletest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// EnvRequire, when set (as CI sets it), turns every skip for a missing oracle into a failure.
const EnvRequire = "LAMBDA_LAYERS_REQUIRE_ORACLE"

// PinnedFile is where the corpus's packages are pinned, relative to the repository root. CI installs it
// (pip install -r) before the tests; .ci/run checks it is installed.
const PinnedFile = "testdata/corpus/requirements.txt"

// Python returns python3.11 with pip, skipping when absent — or failing when EnvRequire is set.
func Python(t testing.TB) string {
	t.Helper()
	skip := t.Skipf
	if os.Getenv(EnvRequire) != "" {
		skip = t.Fatalf
	}
	py, err := exec.LookPath("python3.11")
	if err != nil {
		skip("python3.11 not found (the pip oracle)")
		return ""
	}
	if out, err := exec.Command(py, "-m", "pip", "--version").CombinedOutput(); err != nil {
		skip("pip for python3.11 not usable: %v %s", err, out)
		return ""
	}
	return py
}

var (
	once      sync.Once
	corpusDir string
	corpusErr error
)

// Corpus builds the corpus once per test binary from py's site-packages and returns its file:// simple
// URL and its files folder. It fails when a pinned package is not installed, saying how to install them.
func Corpus(t testing.TB, py string) (indexURL, files string) {
	t.Helper()
	once.Do(func() {
		corpusDir, corpusErr = buildFrom(py)
	})
	if corpusErr != nil {
		t.Fatalf("building the pip oracle's corpus: %v", corpusErr)
	}
	return "file://" + filepath.Join(corpusDir, "simple") + "/", filepath.Join(corpusDir, "files")
}

// Cleanup removes the corpus; call it from TestMain after m.Run.
func Cleanup() {
	if corpusDir != "" {
		os.RemoveAll(corpusDir)
	}
}

func buildFrom(py string) (string, error) {
	sp, err := exec.Command(py, "-c", "import site; print(site.getsitepackages()[0])").Output()
	if err != nil {
		return "", fmt.Errorf("finding python3.11's site-packages: %w", err)
	}
	dir, err := os.MkdirTemp("", "lambda-layers-corpus-")
	if err != nil {
		return "", err
	}
	built, err := BuildCorpus(strings.TrimSpace(string(sp)), dir)
	if err != nil {
		return dir, err
	}
	pinned, pinnedPath, err := Pinned()
	if err != nil {
		return dir, err
	}
	have := map[string]bool{}
	for _, whl := range built {
		name, rest, _ := strings.Cut(whl, "-")
		version, _, _ := strings.Cut(rest, "-")
		have[Normalize(name)+"=="+version] = true
	}
	var missing []string
	for _, p := range pinned {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return dir, fmt.Errorf("python3.11 lacks pinned packages %s; install them with: python3.11 -m pip install -r %s", strings.Join(missing, ", "), pinnedPath)
	}
	return dir, nil
}

// Pinned returns the pinned "name==version" lines of PinnedFile (names normalized, extras dropped) and
// the file's path.
func Pinned() ([]string, string, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, "", err
	}
	p := filepath.Join(root, filepath.FromSlash(PinnedFile))
	f, err := os.Open(p)
	if err != nil {
		return nil, p, fmt.Errorf("reading the pinned corpus: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		name, version, ok := strings.Cut(line, "==")
		if !ok {
			return nil, p, fmt.Errorf("%s:%d: %q is not pinned with ==", p, n, line)
		}
		if i := strings.IndexByte(name, '['); i >= 0 {
			name = name[:i]
		}
		out = append(out, Normalize(strings.TrimSpace(name))+"=="+strings.TrimSpace(version))
	}
	return out, p, sc.Err()
}

// repoRoot is the nearest folder above the working directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

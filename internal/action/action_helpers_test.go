package action

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// workspace is a real git repository standing in for /github/workspace.
type workspace struct {
	t    testing.TB
	dir  string
	home string // HOME for git's global config (safe.directory) and the wheel cache
	git  github.Git
}

func newWorkspace(t testing.TB) *workspace {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	w := &workspace{t: t, dir: t.TempDir(), home: t.TempDir()}
	w.git = github.Git{Dir: w.dir, Env: append(os.Environ(), "HOME="+w.home, "XDG_CONFIG_HOME="+w.home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")}
	w.run("init", "-q", "-b", "main")
	return w
}

func (w *workspace) run(args ...string) string {
	w.t.Helper()
	out, err := w.git.Run(context.Background(), args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// write writes files (path, content pairs; "" content deletes) relative to the workspace.
func (w *workspace) write(files ...string) {
	w.t.Helper()
	for i := 0; i+1 < len(files); i += 2 {
		p := filepath.Join(w.dir, filepath.FromSlash(files[i]))
		if files[i+1] == "" {
			os.Remove(p)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
}

// commit commits everything and returns the commit's sha.
func (w *workspace) commit(msg string) string {
	w.t.Helper()
	w.run("add", "-A")
	w.run("commit", "-q", "--allow-empty", "-m", msg)
	return w.run("rev-parse", "HEAD")
}

// eventFile writes a payload from testdata/action/events with its commits replaced: the real
// payload's base (a…a) and head (b…b) become base and head.
func eventFile(t testing.TB, name, base, head string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../testdata/action/events", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(data), strings.Repeat("a", 40), base)
	s = strings.ReplaceAll(s, strings.Repeat("b", 40), head)
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// incompressible is n bytes that deflate cannot shrink (so budgets are easy to cross in tests).
func incompressible(n int) []byte {
	out := make([]byte, 0, n+32)
	sum := sha256.Sum256([]byte("seed"))
	for len(out) < n {
		sum = sha256.Sum256(sum[:])
		out = append(out, sum[:]...)
	}
	return out[:n]
}

// actionIndex serves the wheels the action tests use.
func actionIndex(t testing.TB) *indextest.Server {
	return indextest.New(t, []wheeltest.Spec{
		{Name: "tinyjson", Version: "1.0.0"},
		{Name: "tinyjson", Version: "1.2.0"},
		{Name: "hello", Version: "1.0"},
		{Name: "bigdata", Version: "2.0", Files: []wheeltest.File{{Name: "bigdata/blob.bin", Data: incompressible(160 << 10)}}},
		{Name: "x86only", Version: "1.0", Tag: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"},
	})
}

// readOutputs parses a GITHUB_OUTPUT file (name<<DELIMITER … DELIMITER, or name=value).
func readOutputs(t testing.TB, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out
}

func mustJSON(t testing.TB, name, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("output %s does not parse as JSON: %v\n%s", name, err, s)
	}
}

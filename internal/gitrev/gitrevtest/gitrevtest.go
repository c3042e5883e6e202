// Package gitrevtest makes real git repositories in a test's temporary directory, with fixed
// authors and dates so that commit hashes are the same on every run.
package gitrevtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a git working tree under t.TempDir().
type Repo struct {
	Dir     string
	t       testing.TB
	commits int
}

// Env is the environment the helpers run git with: no user or system config, a fixed identity.
func Env() []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
}

// New makes an empty repository with the branch main. It skips the test when git is missing.
func New(t testing.TB) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &Repo{Dir: t.TempDir(), t: t}
	r.Git("init", "-q", "-b", "main")
	return r
}

// Git runs git in the repository and returns its trimmed output; a failure fails the test.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return Run(r.t, r.Dir, args...)
}

// Run runs git in dir with the helpers' environment.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Commit writes files (path → content; "" deletes the file), commits them all and returns the new
// commit's hash. Each commit is dated one day after the previous one.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	for path, content := range files {
		p := filepath.Join(r.Dir, filepath.FromSlash(path))
		if content == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.commits++
	date := "2026-11-" + pad2(r.commits) + "T12:00:00Z"
	r.Git("add", "-A")
	cmd := exec.Command("git", "-C", r.Dir, "commit", "-q", "--allow-empty", "-m", msg)
	cmd.Env = append(Env(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git commit: %v\n%s", err, out)
	}
	return r.Git("rev-parse", "HEAD")
}

func pad2(n int) string {
	n = n%28 + 1
	if n < 10 {
		return "0" + string(rune('0'+n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// ShallowClone clones the repository with --depth=depth into a new temporary directory, over
// file:// as a CI checkout would over https.
func (r *Repo) ShallowClone(depth int) *Repo {
	r.t.Helper()
	dst := filepath.Join(r.t.TempDir(), "clone")
	Run(r.t, r.Dir, "clone", "-q", "--no-local", "--depth="+itoa(depth), "--branch", "main", "file://"+r.Dir, dst)
	return &Repo{Dir: dst, t: r.t}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

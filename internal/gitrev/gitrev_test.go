package gitrev

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/gitrev/gitrevtest"
)

func TestReadFileAtRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitrevtest.New(t)
	first := g.Commit("one", map[string]string{"app/requirements.txt": "six==1.15\n", "app/old.txt": "old\n"})
	g.Commit("two", map[string]string{"app/requirements.txt": "six==1.16\n", "app/old.txt": "", "app/new.txt": "new\n"})
	os.WriteFile(filepath.Join(g.Dir, "app/requirements.txt"), []byte("uncommitted\n"), 0o644)

	r, err := Open(ctx, filepath.Join(g.Dir, "app"), WithEnv(gitrevtest.Env()...))
	if err != nil {
		t.Fatal(err)
	}
	req := filepath.Join(g.Dir, "app", "requirements.txt")
	for rev, want := range map[string]string{first: "six==1.15\n", "HEAD~1": "six==1.15\n", "HEAD": "six==1.16\n", "main": "six==1.16\n"} {
		c, err := r.Commit(ctx, rev)
		if err != nil {
			t.Fatalf("Commit(%s): %v", rev, err)
		}
		b, err := r.ReadFile(ctx, c, req)
		if err != nil || string(b) != want {
			t.Errorf("at %s: %q, %v; want %q", rev, b, err, want)
		}
	}
	// A file that exists only at the old revision, by a path that no longer exists on disk.
	if b, err := r.ReadFile(ctx, first, filepath.Join(g.Dir, "app", "old.txt")); err != nil || string(b) != "old\n" {
		t.Errorf("old.txt at the first commit: %q, %v", b, err)
	}
	// A file the revision does not have.
	_, err = r.ReadFile(ctx, first, filepath.Join(g.Dir, "app", "new.txt"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("new.txt at the first commit: %v, want fs.ErrNotExist", err)
	}
	// A path outside the repository.
	if _, err := r.ReadFile(ctx, first, filepath.Join(t.TempDir(), "x.txt")); err == nil || !strings.Contains(err.Error(), "outside the git repository") {
		t.Errorf("outside: %v", err)
	}
	// The same repository through a symbolic link.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(g.Dir, link); err == nil {
		b, err := r.ReadFile(ctx, first, filepath.Join(link, "app", "requirements.txt"))
		if err != nil || string(b) != "six==1.15\n" {
			t.Errorf("through a symlink: %q, %v", b, err)
		}
	}
	// Reader has os.ReadFile's shape, for Plan.ReadFile.
	if b, err := r.Reader(ctx, first)(req); err != nil || string(b) != "six==1.15\n" {
		t.Errorf("Reader: %q, %v", b, err)
	}
}

func TestShallowCloneSaysWhatToFetch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitrevtest.New(t)
	base := g.Commit("base", map[string]string{"requirements.txt": "six==1.15\n"})
	g.Commit("middle", map[string]string{"requirements.txt": "six==1.16\n"})
	g.Commit("head", map[string]string{"requirements.txt": "six==1.17\n"})
	clone := g.ShallowClone(1)

	r, err := Open(ctx, clone.Dir, WithEnv(gitrevtest.Env()...))
	if err != nil {
		t.Fatal(err)
	}
	if sh, err := r.Shallow(ctx); err != nil || !sh {
		t.Fatalf("Shallow = %v, %v", sh, err)
	}
	_, err = r.Commit(ctx, base)
	var missing *MissingRevisionError
	if !errors.As(err, &missing) || !missing.Shallow {
		t.Fatalf("Commit(base) in a shallow clone: %v, want a *MissingRevisionError", err)
	}
	for _, want := range []string{`fetch-depth: 0`, "git fetch --no-tags --depth=1 origin " + base, "shallow"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	fetch := missing.Fetch
	_, err = r.Commit(ctx, "HEAD~2")
	if !errors.As(err, &missing) || missing.FetchDepth != 3 || missing.Fetch != "git fetch --deepen=2" || !strings.Contains(err.Error(), "fetch-depth: 3") {
		t.Errorf("HEAD~2: %v (%+v)", err, missing)
	}
	// Doing what the message says makes the base readable, in a clone that stays shallow.
	gitrevtest.Run(t, clone.Dir, strings.Fields(strings.TrimPrefix(fetch, "git "))...)
	c, err := r.Commit(ctx, base)
	if err != nil {
		t.Fatalf("after %s: %v", fetch, err)
	}
	if b, err := r.ReadFile(ctx, c, filepath.Join(clone.Dir, "requirements.txt")); err != nil || string(b) != "six==1.15\n" {
		t.Errorf("base in the shallow clone: %q, %v", b, err)
	}
	if sh, _ := r.Shallow(ctx); !sh {
		t.Error("the clone should still be shallow")
	}
	// actions/checkout leaves only origin/main: "main" finds it.
	if _, err := r.Commit(ctx, "main"); err != nil {
		t.Errorf("main: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitrevtest.New(t)
	g.Commit("one", map[string]string{"a.txt": "a\n"})
	r, err := Open(ctx, g.Dir, WithEnv(gitrevtest.Env()...))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Commit(ctx, "no-such-branch")
	var missing *MissingRevisionError
	if !errors.As(err, &missing) || missing.Shallow || !strings.Contains(err.Error(), "not in this repository") {
		t.Errorf("unknown branch: %v", err)
	}
	for _, bad := range []string{"", "--all", "-h"} {
		if _, err := r.Commit(ctx, bad); err == nil || errors.As(err, &missing) {
			t.Errorf("Commit(%q) = %v, want a plain error", bad, err)
		}
	}
	if _, err := Open(ctx, t.TempDir(), WithEnv(gitrevtest.Env()...)); err == nil || !strings.Contains(err.Error(), "finding the git repository") {
		t.Errorf("not a repository: %v", err)
	}
	if _, err := Open(ctx, g.Dir, WithGit(filepath.Join(t.TempDir(), "no-git"))); err == nil {
		t.Error("a missing git binary must be an error")
	}
}

// TestUnsafeDirectoryNamesTheRepository: git refusing a repository another user owns is an
// UnsafeDirectoryError naming the repository's top level — the folder safe.directory must list — even
// when opened from a folder inside it; adding that folder, as the error says, lets git in.
func TestUnsafeDirectoryNamesTheRepository(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitrevtest.New(t)
	g.Commit("one", map[string]string{"app/requirements.txt": "six\n"})
	other := append(gitrevtest.Env(), "GIT_TEST_ASSUME_DIFFERENT_OWNER=1") // as a repository of another user
	_, err := Open(ctx, filepath.Join(g.Dir, "app"), WithEnv(other...))
	var unsafe *UnsafeDirectoryError
	if !errors.As(err, &unsafe) {
		t.Fatalf("Open = %v, want an UnsafeDirectoryError", err)
	}
	top, _ := filepath.EvalSymlinks(g.Dir)
	if d, _ := filepath.EvalSymlinks(unsafe.Dir); d != top {
		t.Errorf("the error names %s, want the repository's top level %s: %v", unsafe.Dir, g.Dir, err)
	}
	global := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(global, []byte("[safe]\n\tdirectory = "+unsafe.Dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, filepath.Join(g.Dir, "app"), WithEnv(append(other, "GIT_CONFIG_GLOBAL="+global)...)); err != nil {
		t.Errorf("with safe.directory %s as the error says: %v", unsafe.Dir, err)
	}
}

// Package gitrev reads files as they are at a git revision, through the git command and without a
// checkout, and says what to fetch when a shallow clone lacks the revision.
package gitrev

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Repo is a git working tree. Its zero value is not usable; call Open.
type Repo struct {
	// Root is the top of the working tree, as git reports it (symbolic links resolved).
	Root string
	git  string
	env  []string
	cwd  string
}

// Option configures Open.
type Option func(*Repo)

// WithGit runs git from path instead of looking it up on PATH.
func WithGit(path string) Option { return func(r *Repo) { r.git = path } }

// WithEnv adds variables ("K=V") to git's environment, after the process's own.
func WithEnv(env ...string) Option { return func(r *Repo) { r.env = append(r.env, env...) } }

// Error is a git command that failed, with what git said.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *Error) Unwrap() error { return e.Err }

// UnsafeDirectoryError is git refusing a repository owned by another user, as in a container
// action where the workspace belongs to the runner's user.
type UnsafeDirectoryError struct {
	Dir string
	Err error
}

func (e *UnsafeDirectoryError) Error() string {
	return fmt.Sprintf("git refuses %s, which another user owns; run `git config --global --add safe.directory %s` first", e.Dir, e.Dir)
}

func (e *UnsafeDirectoryError) Unwrap() error { return e.Err }

// MissingRevisionError is a revision that is not in the clone: in a shallow clone (actions/checkout's
// default fetches one commit), the base of a pull request usually is not.
type MissingRevisionError struct {
	Rev     string
	Shallow bool
	// Fetch is a command that brings the revision in.
	Fetch string
	// FetchDepth is the actions/checkout fetch-depth that would include it; 0 means the whole history.
	FetchDepth int
}

func (e *MissingRevisionError) Error() string {
	if !e.Shallow {
		return fmt.Sprintf("revision %q is not in this repository: check its name, or fetch it with %q", e.Rev, e.Fetch)
	}
	depth := "0"
	if e.FetchDepth > 0 {
		depth = strconv.Itoa(e.FetchDepth)
	}
	return fmt.Sprintf("revision %q is not in this clone, which is shallow (fetched with a limited depth); "+
		"set \"fetch-depth: %s\" on actions/checkout, or run %q before lambda-layers", e.Rev, depth, e.Fetch)
}

// Open finds the git working tree that holds dir ("" is the current directory).
func Open(ctx context.Context, dir string, opts ...Option) (*Repo, error) {
	r := &Repo{git: "git"}
	for _, o := range opts {
		o(r)
	}
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("finding the git repository of %s: %w", dir, err)
	}
	r.cwd = abs
	out, err := r.run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) && strings.Contains(ge.Stderr, "safe.directory") {
			return nil, &UnsafeDirectoryError{Dir: unsafeRepository(ge.Stderr, abs), Err: err}
		}
		return nil, fmt.Errorf("finding the git repository of %s: %w", dir, err)
	}
	r.Root = strings.TrimSpace(string(out))
	if r.Root == "" {
		return nil, fmt.Errorf("finding the git repository of %s: %s is not in a working tree", dir, abs)
	}
	return r, nil
}

// unsafeRepository is the folder git's own advice names when it refuses a repository ("git config
// --global --add safe.directory /github/workspace"): the top level, which safe.directory must list, not
// the folder inside it that was opened. Without that advice (another git's wording), dir.
func unsafeRepository(stderr, dir string) string {
	const advice = "--add safe.directory "
	i := strings.LastIndex(stderr, advice)
	if i < 0 {
		return dir
	}
	line, _, _ := strings.Cut(stderr[i+len(advice):], "\n")
	if line = strings.TrimSpace(line); line == "" {
		return dir
	}
	return line
}

func (r *Repo) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, r.git, append([]string{"-C", r.cwd}, args...)...)
	// Messages in English (some are matched), no prompt for credentials, no pager.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANGUAGE=", "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat")
	cmd.Env = append(cmd.Env, r.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("reading files at another revision needs git on PATH: %w", err)
		}
		return nil, &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Shallow reports whether the clone is shallow.
func (r *Repo) Shallow(ctx context.Context) (bool, error) {
	out, err := r.run(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

var ancestorRE = regexp.MustCompile(`^(?:HEAD|@)((?:~\d*|\^\d*)+)$`)

// Commit resolves rev to a full commit hash. A revision the clone lacks is a *MissingRevisionError
// saying what to fetch. A branch name that exists only as origin/NAME (as after actions/checkout)
// resolves to that.
func (r *Repo) Commit(ctx context.Context, rev string) (string, error) {
	if rev == "" || strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("resolving revision %q: not a revision", rev)
	}
	candidates := []string{rev}
	if !strings.Contains(rev, "/") && !ancestorRE.MatchString(rev) && !isHex(rev) {
		candidates = append(candidates, "refs/remotes/origin/"+rev)
	}
	for _, c := range candidates {
		out, err := r.run(ctx, "rev-parse", "--verify", "--quiet", c+"^{commit}")
		if err == nil {
			return strings.TrimSpace(string(out)), nil
		}
		var ge *Error
		if !errors.As(err, &ge) {
			return "", err
		}
		if s := strings.TrimSpace(ge.Stderr); s != "" && !strings.Contains(s, "Needed a single revision") {
			return "", fmt.Errorf("resolving revision %q: %w", rev, err)
		}
	}
	shallow, err := r.Shallow(ctx)
	if err != nil {
		return "", fmt.Errorf("resolving revision %q: %w", rev, err)
	}
	e := &MissingRevisionError{Rev: rev, Shallow: shallow}
	if m := ancestorRE.FindStringSubmatch(rev); m != nil {
		n := ancestorDepth(m[1])
		e.Fetch = "git fetch --deepen=" + strconv.Itoa(n)
		e.FetchDepth = n + 1
	} else {
		e.Fetch = "git fetch --no-tags --depth=1 origin " + strings.TrimPrefix(rev, "origin/")
	}
	return "", e
}

// ancestorDepth is how many commits back "~2^" and the like reach along first parents, at most.
func ancestorDepth(s string) int {
	n := 0
	for _, m := range regexp.MustCompile(`[~^]\d*`).FindAllString(s, -1) {
		k := 1
		if len(m) > 1 {
			k, _ = strconv.Atoi(m[1:])
			if m[0] == '^' { // ^2 is the second parent, one commit back
				k = min(k, 1)
			}
		}
		n += k
	}
	return n
}

func isHex(s string) bool {
	if len(s) < 7 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Rel turns path (absolute, or relative to the current directory) into a slash-separated path
// relative to the top of the working tree, resolving symbolic links in the part of it that exists.
func (r *Repo) Rel(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	// The file may not exist in the working tree (it may only exist at the other revision): resolve
	// the longest existing parent.
	dir, rest := abs, ""
	for {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			abs = filepath.Join(real, rest)
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
	root := r.Root
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the git repository %s", path, r.Root)
	}
	return filepath.ToSlash(rel), nil
}

// ReadFile reads path (absolute, or relative to the current directory) as it is at commit. A file
// the revision does not have is an error that matches fs.ErrNotExist.
//
// It runs `git cat-file blob COMMIT:PATH`, the plumbing under `git show COMMIT:PATH`: the bytes as
// committed, with no textconv filter or pager in the way.
func (r *Repo) ReadFile(ctx context.Context, commit, path string) ([]byte, error) {
	rel, err := r.Rel(path)
	if err != nil {
		return nil, err
	}
	out, err := r.run(ctx, "cat-file", "blob", commit+":"+rel)
	if err == nil {
		return out, nil
	}
	var ge *Error
	if !errors.As(err, &ge) {
		return nil, err
	}
	// Tell a missing file from other failures without parsing git's message.
	if _, lerr := r.run(ctx, "cat-file", "-e", commit+"^{commit}"); lerr == nil {
		if list, lerr := r.run(ctx, "ls-tree", "--name-only", commit, "--", rel); lerr == nil && len(bytes.TrimSpace(list)) == 0 {
			return nil, &fs.PathError{Op: "read", Path: path + " at " + Short(commit), Err: fs.ErrNotExist}
		}
	}
	return nil, fmt.Errorf("reading %s at %s: %w", path, Short(commit), err)
}

// Reader is ReadFile at commit, in the shape of os.ReadFile.
func (r *Repo) Reader(ctx context.Context, commit string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) { return r.ReadFile(ctx, commit, path) }
}

// Short is a commit id cut to 12 characters for messages; anything else (a branch, a tag) as it is.
func Short(s string) string {
	if len(s) > 12 && isHex(s) {
		return s[:12]
	}
	return s
}

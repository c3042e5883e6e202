package github

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// Git runs git in a repository. Env nil means the process's environment.
type Git struct {
	Dir string
	Env []string
}

// Run runs git with args and returns its standard output.
func (g Git) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = g.Dir
	cmd.Env = g.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.String(), nil
}

// TrustDirectory adds dir to git's safe.directory list in the global config, as a container action
// must: the workspace is owned by the runner's user, not the container's root, and git refuses to
// work in it otherwise. It changes nothing when dir (or "*") is already trusted.
func (g Git) TrustDirectory(ctx context.Context, dir string) error {
	out, _ := g.Run(ctx, "config", "--global", "--get-all", "safe.directory") // exit 1 when unset
	if slices.ContainsFunc(strings.Split(out, "\n"), func(s string) bool {
		s = strings.TrimSpace(s)
		return s == dir || s == "*"
	}) {
		return nil
	}
	if _, err := g.Run(ctx, "config", "--global", "--add", "safe.directory", dir); err != nil {
		return fmt.Errorf("trusting %s for git: %w", dir, err)
	}
	return nil
}

// Changed lists the files that differ between two commits (renames count for both names).
func (g Git) Changed(ctx context.Context, base, head string) ([]string, error) {
	out, err := g.Run(ctx, "diff", "--name-only", "--no-renames", "-z", base, head, "--")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// Show returns a file's content at a commit; path is relative to the repository root.
func (g Git) Show(ctx context.Context, rev, path string) ([]byte, error) {
	out, err := g.Run(ctx, "show", rev+":"+path)
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// HasCommit reports whether rev names a commit present in the clone (a shallow clone may lack it).
func (g Git) HasCommit(ctx context.Context, rev string) bool {
	_, err := g.Run(ctx, "cat-file", "-e", rev+"^{commit}")
	return err == nil
}

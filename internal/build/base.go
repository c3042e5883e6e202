package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lambda-layers/lambda-layers/internal/gitrev"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// BuildWithBase builds plan from the working tree and, when base is a git revision, builds the same
// layers and targets again with the requirements files as they are at that revision (read with git,
// no checkout; the wheel cache is shared, so the base costs little more than resolving). repoDir is
// the git working tree; "" means the one holding the plan's first requirements file.
//
// cur is never nil. err is about the base only (not a git repository, the revision missing from a
// shallow clone: a *gitrev.MissingRevisionError that says what to fetch); the head is built anyway.
// A layer whose requirements files are all missing at the base is new: the base report leaves it out.
func BuildWithBase(ctx context.Context, env Env, plan Plan, base, repoDir string) (cur, baseRep *report.Report, err error) {
	cur, baseRep, _, err = BuildHeadAndBase(ctx, env, plan, base, repoDir)
	return cur, baseRep, err
}

// DiffWithBase is the comparison to render: Compare's, or one that says why there is none when
// BuildWithBase returned an error. ref names the base as the user did.
func DiffWithBase(cur, base *report.Report, ref string, err error) *report.Diff {
	if err != nil {
		return &report.Diff{BaseRef: ref, Unavailable: err.Error(), Layers: []report.LayerDiff{}}
	}
	d := report.Compare(cur, base)
	if d != nil {
		d.BaseRef = ref
	}
	return d
}

// CheckBase finds the git revision base in the repository BuildWithBase would read it from, without
// building anything: a command line that names a base can refuse one that is not there before any
// work (the error is BuildWithBase's: a *gitrev.MissingRevisionError when the revision is missing).
func CheckBase(ctx context.Context, plan Plan, base, repoDir string) error {
	_, _, err := openBase(ctx, plan, base, repoDir)
	return err
}

// BaseInfo is what BuildHeadAndBase learnt of the repository: its working tree's top and HEAD
// commit, when git was used.
type BaseInfo struct {
	Root, Head string
}

// BuildHeadAndBase is BuildWithBase, also returning what it learnt of the repository.
func BuildHeadAndBase(ctx context.Context, env Env, plan Plan, base, repoDir string) (cur, baseRep *report.Report, info BaseInfo, err error) {
	env.Defaults()
	var repo *gitrev.Repo
	var commit string
	if base != "" {
		repo, commit, err = openBase(ctx, plan, base, repoDir)
		if repo != nil {
			info.Root = repo.Root
			info.Head, _ = repo.Commit(ctx, "HEAD")
		}
	}
	cur = Build(ctx, env, plan)
	if base == "" || err != nil {
		return cur, nil, info, err
	}
	bp := plan
	bp.ReadFile = repo.Reader(ctx, commit)
	bp.Layers = nil
	for _, lp := range plan.Layers {
		var files []string
		for _, f := range lp.Requirements {
			if _, err := bp.ReadFile(f); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			files = append(files, f) // read errors other than a missing file fail that layer's base build, visibly
		}
		if len(files) > 0 {
			lp.Requirements = files
			bp.Layers = append(bp.Layers, lp)
		}
	}
	tmp, err := os.MkdirTemp("", "lambda-layers-base-")
	if err != nil {
		return cur, nil, info, fmt.Errorf("building the base: %w", err)
	}
	defer os.RemoveAll(tmp)
	bp.Out = tmp
	fmt.Fprintf(env.Stderr, "comparing with %s (%s)\n", base, shortCommit(commit))
	benv := env
	benv.Stderr, benv.StderrIsTerminal = io.Discard, false // the head's build already said what there is to say
	baseRep = Build(ctx, benv, bp)
	baseRep.Revision = commit
	for i := range baseRep.Layers {
		baseRep.Layers[i].Zip = "" // in a directory that is gone
	}
	return cur, baseRep, info, nil
}

func openBase(ctx context.Context, plan Plan, base, repoDir string) (*gitrev.Repo, string, error) {
	if repoDir == "" {
		repoDir = "."
		if len(plan.Layers) > 0 && len(plan.Layers[0].Requirements) > 0 {
			repoDir = filepath.Dir(plan.Layers[0].Requirements[0])
		}
	}
	repo, err := gitrev.Open(ctx, repoDir)
	if err != nil {
		return nil, "", fmt.Errorf("reading the base %q: %w", base, err)
	}
	commit, err := repo.Commit(ctx, base)
	if err != nil {
		var missing *gitrev.MissingRevisionError
		if errors.As(err, &missing) {
			return repo, "", err
		}
		return repo, "", fmt.Errorf("reading the base %q: %w", base, err)
	}
	return repo, commit, nil
}

func shortCommit(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

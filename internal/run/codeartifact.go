package run

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/codeartifact"
	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/pyproject"
)

// useCodeArtifact makes a CodeArtifact repository ("DOMAIN/REPOSITORY") the plan's index: its URL
// goes into the plan, its token into env's HTTP client (never into a URL, so nothing prints it).
func useCodeArtifact(ctx context.Context, env *build.Env, plan *build.Plan, repo codeartifact.Repository) error {
	x, err := codeartifact.Open(ctx, repo, codeartifact.Options{Getenv: env.Getenv, Now: env.Now})
	if err != nil {
		return err
	}
	u, err := x.URL(ctx)
	if err != nil {
		return err
	}
	plan.IndexURL = u
	env.HTTPClient = x.HTTPClient(env.HTTPClient)
	return nil
}

// codeArtifactFlag applies --codeartifact, when given, to env and plan; the error is for the user.
func (o *buildOptions) codeArtifactFlag(ctx context.Context, env *build.Env, plan *build.Plan) error {
	if o.codeartifact == "" {
		return nil
	}
	repo, err := codeartifact.ParseRepository(o.codeartifact)
	if err != nil {
		return err
	}
	return useCodeArtifact(ctx, env, plan, repo)
}

// checkInputFlags refuses, as usage errors before anything is built, a --codeartifact that is
// not DOMAIN/REPOSITORY, a --name Lambda would refuse, and --extra or --group with no pyproject.toml or lock file to apply them
// to (they were ignored); -1 when the flags are fine.
func (a *app) checkInputFlags(cmd *cobra.Command, o *buildOptions) int {
	if _, err := index.TimeoutFromEnv(a.env.Getenv); err != nil {
		return a.usageFail(cmd, "set "+index.EnvHTTPTimeout+" to a number of seconds, or unset it (default 30)", "%v", err)
	}
	if o.codeartifact != "" {
		if _, err := codeartifact.ParseRepository(o.codeartifact); err != nil {
			return a.usageFail(cmd, "write --codeartifact DOMAIN/REPOSITORY, e.g. --codeartifact acme/pypi-store", "--codeartifact %v", err)
		}
	}
	if o.name != "" && config.LayerName(o.name) != o.name {
		return a.usageFail(cmd, fmt.Sprintf("pass --name %s", config.LayerName(o.name)), "--name %q: a layer name may only hold letters, digits, - and _ (Lambda's rule)", o.name)
	}
	if len(o.extras)+len(o.groups) > 0 && !slices.ContainsFunc(o.reqFiles, func(f string) bool {
		return pyproject.IsPyproject(f) || lockfile.Detect(f) != ""
	}) {
		flag := "--extra"
		if len(o.extras) == 0 {
			flag = "--group"
		}
		return a.usageFail(cmd, "pass the pyproject.toml or lock file that declares it with -r; a requirements file has no extras or groups (write pkg[extra] in it)",
			"%s applies to a pyproject.toml or lock file, and -r gives none", flag)
	}
	return -1
}

// checkInputFiles refuses, as usage errors before anything is built, an -r file that is not there or
// is a folder; -1 when every one is a file. It comes after the checks of the flags themselves.
func (a *app) checkInputFiles(cmd *cobra.Command, o *buildOptions) int {
	for _, f := range o.reqFiles {
		if code := a.checkInputFile(cmd, "-r", f); code >= 0 {
			return code
		}
	}
	return -1
}

// checkInputFile refuses, as a usage error, an input file the user named that is not there or is a
// folder: the mistake is in the command line, not in the build; -1 when it is a file.
func (a *app) checkInputFile(cmd *cobra.Command, flag, path string) int {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return a.usageFail(cmd, fmt.Sprintf("pass the requirements or lock file in it, e.g. %s %s", flag, filepath.Join(path, "requirements.txt")),
			"%s %s is a folder", flag, path)
	case errors.Is(err, fs.ErrNotExist):
		where := "the folder you run in"
		if wd, werr := os.Getwd(); werr == nil {
			where += " (" + wd + ")"
		}
		fix := "check the path; relative paths are from " + where
		if filepath.IsAbs(path) {
			fix = "check the path, or create the file"
		}
		return a.usageFail(cmd, fix, "%s %s: no such file", flag, path)
	case err != nil:
		return a.usageFail(cmd, "check that this user may read it", "%s %s: %v", flag, path, errors.Unwrap(err))
	}
	return -1
}

// codeArtifactFail prints why --codeartifact could not be used, with what to do: credentials when
// there are none, else the names and permissions.
func (a *app) codeArtifactFail(cmd *cobra.Command, repo string, err error) int {
	var nc *codeartifact.NoCredentialsError
	if errors.As(err, &nc) {
		return a.failf(cmd, codeartifact.NoCredentialsHint, "--codeartifact %s: %v", repo, nc)
	}
	return a.failf(cmd, "check the domain and repository names and the AWS credentials (codeartifact:GetAuthorizationToken, GetRepositoryEndpoint)", "--codeartifact: %v", err)
}

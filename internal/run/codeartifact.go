package run

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/codeartifact"
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

// checkCodeArtifactFlag refuses a --codeartifact that is not DOMAIN/REPOSITORY as a usage error,
// before anything is built; -1 when it is fine or not given.
func (a *app) checkCodeArtifactFlag(cmd *cobra.Command, o *buildOptions) int {
	if o.codeartifact == "" {
		return -1
	}
	if _, err := codeartifact.ParseRepository(o.codeartifact); err != nil {
		return a.usageFail(cmd, "write --codeartifact DOMAIN/REPOSITORY, e.g. --codeartifact acme/pypi-store", "--codeartifact %v", err)
	}
	return -1
}

package action

import (
	"context"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

// renderInfo is what the comment and summary say beyond the report.
type renderInfo struct {
	headSHA, baseSHA, baseRef string
	repoURL                   string // https://github.com/owner/repo: positions become links
	duration                  time.Duration
}

func (ri renderInfo) options(maxChars int) markdown.Options {
	return markdown.Options{HeadSHA: ri.headSHA, BaseSHA: ri.baseSHA, BaseRef: ri.baseRef, Version: version.Version,
		Duration: ri.duration, RepoURL: ri.repoURL, MaxChars: maxChars}
}

// commentBody is the pull request comment: it starts with the marker and fits GitHub's limit.
func commentBody(cur *report.Report, d *report.Diff, ri renderInfo) string {
	return github.Body(github.Marker, markdown.Comment(cur, d, ri.options(0)))
}

// summaryBody is the job summary's report, leaving room in the 1 MiB for the notes around it.
func summaryBody(cur *report.Report, d *report.Diff, ri renderInfo) string {
	return markdown.Summary(cur, d, ri.options(900_000))
}

// buildWithBase builds plan at the work tree and at base (read through git in repoDir); cur is never
// nil, and err is about the base only.
func buildWithBase(ctx context.Context, env build.Env, plan build.Plan, base, repoDir string) (cur, baseRep *report.Report, err error) {
	return build.BuildWithBase(ctx, env, plan, base, repoDir)
}

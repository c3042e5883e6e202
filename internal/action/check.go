package action

import (
	"context"
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/gitrev"
	"github.com/lambda-layers/lambda-layers/internal/mdtext"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
)

// wantsCheck says whether this run posts the status check, and why not when it does not. By default
// the job that posts the report posts the check: a report job with comment: false (a matrix leg, the
// fork-safe build) leaves both to the comment-mode job, which sees every leg's report.
func (r *actionRun) wantsCheck() (bool, string) {
	switch r.opts.statusCheck {
	case "false":
		return false, "`status-check` is false"
	case "true":
		return true, ""
	}
	if r.mode == modeReport && !r.opts.comment {
		return false, "`comment` is false, so the job that posts the report (`mode: comment`) posts the check too; set `status-check: true` to post it from here"
	}
	return true, ""
}

// postCheck posts the status check for cur, judged under policy, on the commit sha, with the
// annotations that sit on a file, and says in the summary what was posted or why nothing was. Nothing
// here changes the run's exit code: GitHub's refusals are warnings.
func (r *actionRun) postCheck(ctx context.Context, cur *report.Report, d *report.Diff, policy report.Policy, ri renderInfo, sha string, anns []github.Annotation) {
	name := r.opts.checkName
	r.checked = true
	if ok, why := r.wantsCheck(); !ok {
		fmt.Fprintf(&r.summary, "\n**Status check** `%s`: not posted by this job — %s.\n", mdEscape(name), why)
		return
	}
	if sha == "" {
		r.warnf("the status check was not posted: no commit to post it on (no pull request head, push or GITHUB_SHA)")
		fmt.Fprintf(&r.summary, "\n**Status check** `%s`: not posted — no commit to post it on.\n", mdEscape(name))
		return
	}
	v := report.CheckVerdict(cur, policy)
	o := ri.options(github.MaxCheckSummaryChars)
	o.LimitName = "the Checks API's limit of 65,535 characters"
	summary := strings.TrimPrefix(markdown.Comment(cur, d, o), markdown.Marker+"\n")
	r.sendCheck(ctx, sha, v, summary, anns)
}

// checkFailedRun posts a failing status check when a report-mode run on a pull request ended before
// it had a report to judge (the config is wrong, the tool failed): a required check must not wait
// for ever, nor pass.
func (r *actionRun) checkFailedRun(ctx context.Context, code int) {
	if r.checked || code == exitcode.OK || r.event == nil || r.failure == "" {
		return
	}
	mode := r.mode
	if mode == "" && r.event.IsPullRequest() && (r.opts.mode == modeAuto || r.opts.mode == modeReport) {
		mode = modeReport // the inputs were wrong before the mode was chosen
	}
	if mode != modeReport || (r.opts.statusCheck != "" && r.opts.statusCheck != "true" && r.opts.statusCheck != "false") {
		return
	}
	r.mode = mode
	if ok, _ := r.wantsCheck(); !ok {
		return
	}
	sha := r.headSHA()
	if sha == "" {
		return
	}
	v := report.Verdict{Conclusion: report.ConclusionFailure, Title: "lambda-layers failed: " + r.failure}
	r.sendCheck(ctx, sha, v, r.summary.String(), fileAnnotations(r.annotations))
}

// sendCheck posts the verdict as the status check on sha and says in the summary what was posted or
// why nothing was.
func (r *actionRun) sendCheck(ctx context.Context, sha string, v report.Verdict, summary string, anns []github.Annotation) {
	r.checked = true
	name := r.opts.checkName
	s, err := r.sticky()
	if err != nil {
		r.warnf("the status check was not posted: %v", err)
		fmt.Fprintf(&r.summary, "\n> [!WARNING]\n> **Status check** `%s` not posted: %s\n", mdEscape(name), mdEscape(err.Error()))
		return
	}
	checks := github.Checks{Client: s.Client, Owner: s.Owner, Repo: s.Repo, Now: r.env.Now}
	res, err := checks.Post(ctx, github.CheckRun{Name: name, HeadSHA: sha, Conclusion: v.Conclusion, Title: v.Title, Summary: summary,
		DetailsURL: r.runURL(), ExternalID: r.externalID(), Annotations: anns})
	verdict := fmt.Sprintf("`%s` — %s", v.Conclusion, mdEscape(v.Title))
	switch {
	case err != nil:
		r.warnf("the status check was not posted: %v", err)
		fmt.Fprintf(&r.summary, "\n> [!WARNING]\n> **Status check** `%s` not posted: %s\n", mdEscape(name), mdEscape(err.Error()))
	case res.Posted == github.PostedCheckRun:
		fmt.Fprintf(r.env.Stderr, "status check %s: check run %s on %s (%s, %s): %s\n", name, res.Action, gitrev.Short(sha), v.Conclusion,
			mdtext.Plural(res.Annotations, "annotation", "annotations"), urlOrNone(res.URL))
		fmt.Fprintf(&r.summary, "\n**Status check** `%s`: check run %s on `%s`: %s; %s.\n", mdEscape(name), res.Action, gitrev.Short(sha), verdict,
			mdtext.Plural(res.Annotations, "annotation", "annotations"))
		if res.Warning != "" {
			r.warnf("%s", res.Warning)
			fmt.Fprintf(&r.summary, "\n> [!WARNING]\n> %s\n", mdEscape(res.Warning))
		}
	case res.Posted == github.PostedStatus:
		r.warnf("%s", res.Warning)
		fmt.Fprintf(&r.summary, "\n**Status check** `%s`: commit status posted on `%s` instead of a check run: %s.\n\n> [!WARNING]\n> %s\n",
			mdEscape(name), gitrev.Short(sha), verdict, mdEscape(res.Warning))
	default:
		msg := res.Warning
		if res.Forbidden && (r.event.Fork() || r.mode == modeComment) {
			msg += ". " + forkCheckHint
		}
		r.warnf("%s", msg)
		fmt.Fprintf(&r.summary, "\n> [!WARNING]\n> **Status check** `%s`: %s\n", mdEscape(name), mdEscape(msg))
	}
}

// externalID identifies this job of this workflow run (re-runs included): a second post from it
// updates its check run rather than adding one, while two jobs of one run keep theirs apart.
func (r *actionRun) externalID() string {
	id := r.env.Getenv("GITHUB_RUN_ID")
	if job := r.env.Getenv("GITHUB_JOB"); id != "" && job != "" {
		return id + "/" + job
	}
	return id
}

// forkCheckHint says where a fork's pull request gets its check from.
const forkCheckHint = "A pull request from a fork gets a read-only token: the workflow_run job of the fork-safe pair " +
	"(mode: comment, with checks: write) posts the check on its head commit instead (docs/action.md, The status check). " +
	"The step's exit code is the report's either way"

// runURL is the workflow run's page: the check's details and the status's target.
func (r *actionRun) runURL() string {
	id := r.env.Getenv("GITHUB_RUN_ID")
	if id == "" {
		return ""
	}
	if repo := r.repoURL(); repo != "" {
		return repo + "/actions/runs/" + id
	}
	return ""
}

// fileAnnotations are the annotations that sit on a file: what a check run (and pr.json) carries.
func fileAnnotations(as []github.Annotation) []github.Annotation {
	var out []github.Annotation
	for _, a := range as {
		if a.File != "" {
			out = append(out, a)
		}
	}
	return out
}

// urlOrNone is a URL for a log, or says the API returned none.
func urlOrNone(u string) string {
	if u == "" {
		return "(the GitHub API returned no URL)"
	}
	return u
}

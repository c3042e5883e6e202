package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/gitrev"
	"github.com/lambda-layers/lambda-layers/internal/mdtext"
	"github.com/lambda-layers/lambda-layers/internal/outfile"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// prInfo is pr.json: which pull request and commits a report is for. It travels with the report in
// the artifact of the fork-safe pattern, since a workflow_run job cannot otherwise tell.
type prInfo struct {
	Number     int    `json:"number"`
	Repository string `json:"repository"`
	HeadSHA    string `json:"head_sha"`
	BaseSHA    string `json:"base_sha,omitempty"`
	BaseRef    string `json:"base_ref,omitempty"`
	// Annotations are the run's findings on file lines, for the check run the comment job posts.
	Annotations []github.Annotation `json:"annotations,omitempty"`
}

func (r *actionRun) render() renderInfo {
	ri := renderInfo{headSHA: r.headSHA(), baseSHA: r.event.BaseSHA(), baseRef: r.opts.baseRef, repoURL: r.repoURL(),
		duration: r.env.Now().Sub(r.start)}
	if pr := r.event.PullRequest; pr != nil && ri.baseRef == "" {
		ri.baseRef = pr.Base.Ref
	}
	return ri
}

// repoURL is the repository's web address, for links to file lines.
func (r *actionRun) repoURL() string {
	server := r.env.Getenv("GITHUB_SERVER_URL")
	if server == "" {
		server = "https://github.com"
	}
	if repo := r.repository(); repo != "" {
		return strings.TrimSuffix(server, "/") + "/" + repo
	}
	return ""
}

// summarize adds the report to the job summary.
func (r *actionRun) summarize(cur *report.Report, d *report.Diff, baseSHA string) {
	ri := r.render()
	if baseSHA != "" {
		ri.baseSHA = baseSHA
	}
	r.summary.WriteString(summaryBody(cur, d, ri))
}

// reportOn writes the comment body (comment.md, pr.json, the comment-body output), the summary,
// posts the comment on the pull request when there is one and the comment input allows, and posts
// the status check (judged under policy) on the commit built.
func (r *actionRun) reportOn(ctx context.Context, cur *report.Report, d *report.Diff, baseSHA string, policy report.Policy) {
	ri := r.render()
	if baseSHA != "" {
		ri.baseSHA = baseSHA
	}
	body := commentBody(cur, d, ri)
	r.summary.WriteString(summaryBody(cur, d, ri))
	r.outputs["comment-body"] = body
	out := r.outDir()
	if err := outfile.WriteFile(filepath.Join(out, "comment.md"), []byte(body)); err != nil {
		r.warnf("writing comment.md: %v", err)
	}
	anns := fileAnnotations(r.annotations)
	r.commentOn(ctx, body, ri, anns)
	r.postCheck(ctx, cur, d, policy, ri, ri.headSHA, anns)
}

// commentOn writes pr.json and posts the comment when the event is a pull request's.
func (r *actionRun) commentOn(ctx context.Context, body string, ri renderInfo, anns []github.Annotation) {
	number := r.event.PRNumber()
	if number == 0 {
		return
	}
	pr := prInfo{Number: number, Repository: r.repository(), HeadSHA: ri.headSHA, BaseSHA: ri.baseSHA, BaseRef: ri.baseRef, Annotations: anns}
	if err := writeJSONFile(filepath.Join(r.outDir(), "pr.json"), pr); err != nil {
		r.warnf("writing pr.json: %v", err)
	}
	if !r.opts.comment {
		return
	}
	err := r.postComment(ctx, number, body)
	switch {
	case err == nil:
	case github.IsForbidden(err):
		msg := "The token may not comment on this pull request (GitHub answers 403: a pull request from a fork gets a read-only token). " +
			"The report is in this summary and in the comment-body output; to comment anyway, use the two-workflow pattern of docs/action.md (workflow_run with mode: comment)."
		r.notef("%s", msg)
		r.summary.WriteString("\n> [!NOTE]\n> " + msg + "\n")
	default:
		r.warnf("the report comment was not posted: %v", err)
		r.summary.WriteString("\n> [!WARNING]\n> The report comment was not posted: " + mdEscape(err.Error()) + "\n")
	}
}

func (r *actionRun) repository() string {
	if full := r.env.Getenv("GITHUB_REPOSITORY"); full != "" {
		return full
	}
	return r.event.Repository.FullName
}

// sticky is the sticky comment's client for the github-token input; the caller sets Number.
func (r *actionRun) sticky() (github.Sticky, error) {
	token := r.opts.token
	if token == "" {
		token = r.env.Getenv("GITHUB_TOKEN")
	}
	if token == "" {
		return github.Sticky{}, errors.New("no github-token: pass github-token: ${{ github.token }} (containers do not get GITHUB_TOKEN)")
	}
	owner, repo, err := github.SplitRepo(r.repository())
	if err != nil {
		return github.Sticky{}, err
	}
	c, err := github.NewClient(token, r.env.Getenv("GITHUB_API_URL"), r.env.HTTPClient)
	if err != nil {
		return github.Sticky{}, err
	}
	return github.Sticky{Client: c, Owner: owner, Repo: repo}, nil
}

// postComment creates or updates the sticky report comment.
func (r *actionRun) postComment(ctx context.Context, number int, body string) error {
	s, err := r.sticky()
	if err != nil {
		return err
	}
	s.Number = number
	res, err := s.Upsert(ctx, body)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stderr, "report comment %s: %s\n", res.Action, res.Where())
	if res.Removed > 0 {
		fmt.Fprintf(r.env.Stderr, "removed %s\n", mdtext.Plural(res.Removed, "duplicate report comment", "duplicate report comments"))
	}
	return nil
}

// commentMode posts a report an earlier run produced (the out input names the folder the artifact
// was downloaded to): the fork-safe pattern's second workflow, or the last job of a matrix.
func (r *actionRun) commentMode(ctx context.Context) int {
	dir := r.outDir()
	cur, base, prs, err := readArtifacts(dir)
	if err != nil {
		return r.fatal(exitcode.Failed, "reading the reports to comment", err)
	}
	if len(prs) == 0 {
		return r.fatal(exitcode.Failed, "reading the reports to comment", fmt.Errorf("no pr.json under %s: the pull_request run writes it next to report.json in mode report", r.rel(dir)))
	}
	pr := prs[0]
	for _, p := range prs[1:] {
		if p.Number != pr.Number || p.HeadSHA != pr.HeadSHA {
			return r.fatal(exitcode.Failed, "reading the reports to comment", fmt.Errorf("the reports are for different pull requests or commits (#%d at %s, #%d at %s)", pr.Number, gitrev.Short(pr.HeadSHA), p.Number, gitrev.Short(p.HeadSHA)))
		}
	}
	if pr.Number <= 0 {
		return r.fatal(exitcode.Failed, "reading pr.json", fmt.Errorf("no pull request number"))
	}
	if pr.Repository != "" && r.repository() != "" && pr.Repository != r.repository() {
		return r.fatal(exitcode.Failed, "reading pr.json", fmt.Errorf("the report is for %s, not %s", pr.Repository, r.repository()))
	}
	s, err := r.sticky()
	if err != nil {
		return r.fatal(exitcode.Failed, "commenting", err)
	}
	s.Number = pr.Number
	// The artifact comes from a run of the pull request's own code: trust its PR number only when
	// the run it came from, and the pull request itself, are at the same commit.
	if wr := r.event.WorkflowRun; wr != nil {
		if pr.HeadSHA != wr.HeadSHA {
			return r.fatal(exitcode.Failed, "checking pr.json", fmt.Errorf("it is for commit %s, but the workflow run was for %s", gitrev.Short(pr.HeadSHA), gitrev.Short(wr.HeadSHA)))
		}
		head, err := github.PullRequestHead(ctx, s.Client, s.Owner, s.Repo, pr.Number)
		if err != nil {
			return r.fatal(exitcode.Failed, "checking the pull request", err)
		}
		if head != pr.HeadSHA {
			r.notef("pull request #%d has moved on to %s since this report (for %s): not commenting; the newer run will", pr.Number, gitrev.Short(head), gitrev.Short(pr.HeadSHA))
			return exitcode.OK
		}
	}
	// The policy the legs were built with (report.json keeps it), so the check's conclusion is the
	// one their exit codes had.
	var policy report.Policy
	if cur.Policy != nil {
		policy = *cur.Policy
		report.Evaluate(cur, policy) // merged legs: functions span the legs' layers
	}
	d := report.Compare(cur, base)
	ri := renderInfo{headSHA: pr.HeadSHA, baseSHA: pr.BaseSHA, baseRef: pr.BaseRef, repoURL: r.repoURL(), duration: r.env.Now().Sub(r.start)}
	body := commentBody(cur, d, ri)
	r.outputs["comment-body"] = body
	r.summary.WriteString(summaryBody(cur, d, ri))
	var anns []github.Annotation
	for _, p := range prs {
		anns = append(anns, p.Annotations...)
	}
	r.postCheck(ctx, cur, d, policy, ri, pr.HeadSHA, anns)
	res, err := s.Upsert(ctx, body)
	if err != nil {
		if github.IsForbidden(err) {
			err = fmt.Errorf("%w (the commenting job needs permissions: pull-requests: write)", err)
		}
		return r.fatal(exitcode.Failed, "commenting", err)
	}
	fmt.Fprintf(r.env.Stderr, "report comment %s on #%d: %s\n", res.Action, pr.Number, res.Where())
	return exitcode.OK
}

// readArtifacts reads every report.json, base-report.json and pr.json under dir (one set per matrix
// leg) and merges the reports, in path order.
func readArtifacts(dir string) (cur, base *report.Report, prs []prInfo, err error) {
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch d.Name() {
		case "report.json", "base-report.json", "pr.json":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, nil, err
		}
		if filepath.Base(f) == "pr.json" {
			var p prInfo
			if err := json.Unmarshal(data, &p); err != nil {
				return nil, nil, nil, fmt.Errorf("reading %s: %w", f, err)
			}
			prs = append(prs, p)
			continue
		}
		var rep report.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			return nil, nil, nil, fmt.Errorf("reading %s: %w", f, err)
		}
		target := &cur
		if filepath.Base(f) == "base-report.json" {
			target = &base
		}
		if *target == nil {
			*target = &report.Report{Layers: []report.Layer{}, Policy: rep.Policy, Revision: rep.Revision}
		}
		(*target).Layers = append((*target).Layers, rep.Layers...)
	}
	if cur == nil {
		return nil, nil, nil, fmt.Errorf("no report.json under %s", dir)
	}
	return cur, base, prs, nil
}

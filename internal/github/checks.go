package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v90/github"

	"github.com/lambda-layers/lambda-layers/internal/mdtext"
)

// DefaultCheckName names the check run (and the commit status's context) unless told otherwise: the
// name branch protection requires.
const DefaultCheckName = "lambda-layers"

// Limits of the Checks API and commit statuses.
const (
	MaxCheckSummaryChars  = 65_535 // a check run's output.summary
	AnnotationsPerRequest = 50     // a create or update takes at most this many annotations
	MaxStatusDescription  = 140    // a commit status's description, in characters
	maxAnnotationTitle    = 255
	maxAnnotationMessage  = 64 << 10
)

// What Post posted.
const (
	PostedCheckRun = "check run"
	PostedStatus   = "commit status"
)

// CheckRun is what a commit's status check says: posted as a completed check run, or as a commit
// status when the token may not write checks.
type CheckRun struct {
	Name       string // "" means DefaultCheckName
	HeadSHA    string
	Conclusion string // success, neutral or failure (report.Conclusion*)
	Title      string // one line: the verdict
	Summary    string // Markdown; cut to MaxCheckSummaryChars if longer
	// DetailsURL is the workflow run's page: the check run's details link and the status's target.
	DetailsURL string
	// ExternalID identifies the workflow run: posting again with the same one updates that check run
	// (adding only annotations it lacks) instead of adding a second.
	ExternalID  string
	Annotations []Annotation // those without a file are left out: a check run annotates files
}

// CheckResult says what Post did.
type CheckResult struct {
	Posted string // PostedCheckRun, PostedStatus, or "" when neither could be
	Action string // "created" or "updated"
	ID     int64
	URL    string
	// Annotations were sent in AnnotationRequests requests; Skipped had no file to sit on.
	Annotations, AnnotationRequests, Skipped int
	// Forbidden is set when GitHub answered 403 to the check run: the token lacks checks: write (or
	// is read-only, as for a pull request from a fork).
	Forbidden bool
	// Warning says why nothing, only a status, or not every annotation was posted, naming the
	// permission to add. It is a finding for the run's summary, never a reason to fail the run.
	Warning string
}

// Checks posts status checks to one repository.
type Checks struct {
	Client      *gh.Client
	Owner, Repo string
	// Now stamps the check run's completion; nil means time.Now.
	Now func() time.Time
}

// Post creates (or, within one workflow run, updates) a completed check run on run.HeadSHA with the
// verdict, the summary and every annotation, 50 a request: the first batch with the create, the rest
// with updates. When GitHub answers 403 (no checks: write) it posts a commit status instead. Answers
// of 403, 404 and 422 are not errors: they come back as the result's Warning. The error is for
// anything else (the network, GitHub's own failures).
func (c Checks) Post(ctx context.Context, run CheckRun) (CheckResult, error) {
	if run.Name == "" {
		run.Name = DefaultCheckName
	}
	run.Title = oneLineTitle(run.Title, run.Name)
	run.Summary = cutSummary(run.Summary, MaxCheckSummaryChars)
	anns, skipped := checkAnnotations(run.Annotations)
	res := CheckResult{Skipped: skipped}

	existing := c.findExisting(ctx, run)
	if existing != nil {
		anns = c.withoutPosted(ctx, existing.GetID(), anns)
	}
	first, rest := split(anns, AnnotationsPerRequest)
	output := func(batch []*gh.CheckRunAnnotation) *gh.CheckRunOutput {
		return &gh.CheckRunOutput{Title: gh.Ptr(run.Title), Summary: gh.Ptr(run.Summary), Annotations: batch}
	}
	clock := c.Now
	if clock == nil {
		clock = time.Now
	}
	now := &gh.Timestamp{Time: clock()}
	var cr *gh.CheckRun
	var err error
	if existing != nil {
		res.Action = "updated"
		cr, _, err = c.Client.Checks.UpdateCheckRun(ctx, c.Owner, c.Repo, existing.GetID(), gh.UpdateCheckRunOptions{
			Name: run.Name, DetailsURL: optional(run.DetailsURL), ExternalID: optional(run.ExternalID),
			Status: gh.Ptr("completed"), Conclusion: gh.Ptr(run.Conclusion), CompletedAt: now, Output: output(first)})
	} else {
		res.Action = "created"
		cr, _, err = c.Client.Checks.CreateCheckRun(ctx, c.Owner, c.Repo, gh.CreateCheckRunOptions{
			Name: run.Name, HeadSHA: run.HeadSHA, DetailsURL: optional(run.DetailsURL), ExternalID: optional(run.ExternalID),
			Status: gh.Ptr("completed"), Conclusion: gh.Ptr(run.Conclusion), CompletedAt: now, Output: output(first)})
	}
	if err != nil {
		code, msg, ok := apiError(err)
		switch {
		case ok && code == http.StatusForbidden:
			res.Forbidden = true
			return c.postStatus(ctx, run, res, msg)
		case ok && code == http.StatusNotFound:
			res.Warning = fmt.Sprintf("no %s was posted: GitHub answered 404 (%s) for %s/%s — the token cannot reach the repository; give the workflow's token `checks: write`", PostedCheckRun, msg, c.Owner, c.Repo)
			return res, nil
		case ok && code == http.StatusUnprocessableEntity:
			res.Warning = fmt.Sprintf("GitHub refused the %s on %s (422: %s)", PostedCheckRun, mdtext.ShortSHA(run.HeadSHA), msg)
			return res, nil
		}
		return res, fmt.Errorf("posting the %s check run on %s/%s@%s: %w", run.Name, c.Owner, c.Repo, mdtext.ShortSHA(run.HeadSHA), err)
	}
	res.Posted, res.ID, res.URL = PostedCheckRun, cr.GetID(), cr.GetHTMLURL()
	if len(first) > 0 {
		res.Annotations, res.AnnotationRequests = len(first), 1
	}
	for len(rest) > 0 {
		var batch []*gh.CheckRunAnnotation
		batch, rest = split(rest, AnnotationsPerRequest)
		_, _, err := c.Client.Checks.UpdateCheckRun(ctx, c.Owner, c.Repo, res.ID, gh.UpdateCheckRunOptions{Name: run.Name, Output: output(batch)})
		if err != nil {
			left := len(batch) + len(rest)
			if code, msg, ok := apiError(err); ok && (code == http.StatusForbidden || code == http.StatusNotFound || code == http.StatusUnprocessableEntity) {
				res.Warning = fmt.Sprintf("%d of %d annotations were not added to the check run: GitHub answered %d (%s)", left, len(anns), code, msg)
				return res, nil
			}
			return res, fmt.Errorf("adding %d annotations to check run %d on %s/%s: %w", left, res.ID, c.Owner, c.Repo, err)
		}
		res.Annotations += len(batch)
		res.AnnotationRequests++
	}
	return res, nil
}

// postStatus is the fallback for a token without checks: write: a commit status with the verdict.
func (c Checks) postStatus(ctx context.Context, run CheckRun, res CheckResult, checksMsg string) (CheckResult, error) {
	state := "success"
	if run.Conclusion == "failure" {
		state = "failure"
	}
	st, _, err := c.Client.Repositories.CreateStatus(ctx, c.Owner, c.Repo, run.HeadSHA, gh.RepoStatus{
		State: gh.Ptr(state), Context: gh.Ptr(run.Name), Description: gh.Ptr(clipRunes(run.Title, MaxStatusDescription)),
		TargetURL: optional(run.DetailsURL)})
	if err == nil {
		res.Posted, res.ID, res.URL = PostedStatus, st.GetID(), st.GetTargetURL()
		res.Warning = fmt.Sprintf("the token may not write checks (GitHub answered 403: %s), so a commit status was posted instead, without the report and annotations: add `checks: write` to the workflow's permissions", checksMsg)
		return res, nil
	}
	code, msg, ok := apiError(err)
	switch {
	case ok && code == http.StatusForbidden:
		res.Warning = fmt.Sprintf("neither a check run nor a commit status was posted: GitHub answered 403 to both (%s) — add `checks: write` (or at least `statuses: write`) to the workflow's permissions", msg)
		return res, nil
	case ok && (code == http.StatusNotFound || code == http.StatusUnprocessableEntity):
		res.Warning = fmt.Sprintf("neither a check run nor a commit status was posted: GitHub answered 403 to the check run (add `checks: write` to the workflow's permissions) and %d to the status (%s)", code, msg)
		return res, nil
	}
	return res, fmt.Errorf("posting the %s commit status on %s/%s@%s: %w", run.Name, c.Owner, c.Repo, mdtext.ShortSHA(run.HeadSHA), err)
}

// findExisting is this workflow run's check run of the same name on the commit, if an earlier step
// posted one. A token that may not list check runs just means none is found.
func (c Checks) findExisting(ctx context.Context, run CheckRun) *gh.CheckRun {
	if run.ExternalID == "" {
		return nil
	}
	opt := &gh.ListCheckRunsOptions{CheckName: gh.Ptr(run.Name), Filter: gh.Ptr("all"), ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.Client.Checks.ListCheckRunsForRef(ctx, c.Owner, c.Repo, run.HeadSHA, opt)
		if err != nil {
			return nil
		}
		for _, cr := range list.CheckRuns {
			if cr.GetName() == run.Name && cr.GetExternalID() == run.ExternalID {
				return cr
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return nil
}

// withoutPosted drops the annotations the check run already has: GitHub appends annotations on every
// update, so sending them again would show them twice.
func (c Checks) withoutPosted(ctx context.Context, id int64, anns []*gh.CheckRunAnnotation) []*gh.CheckRunAnnotation {
	have := map[string]bool{}
	opt := &gh.ListOptions{PerPage: 100}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.Client.Checks.ListCheckRunAnnotations(ctx, c.Owner, c.Repo, id, opt)
		if err != nil {
			break
		}
		for _, a := range list {
			have[annotationKey(a)] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	var out []*gh.CheckRunAnnotation
	for _, a := range anns {
		if !have[annotationKey(a)] {
			out = append(out, a)
		}
	}
	return out
}

func annotationKey(a *gh.CheckRunAnnotation) string {
	return fmt.Sprintf("%s\x00%d\x00%s\x00%s\x00%s", a.GetPath(), a.GetStartLine(), a.GetAnnotationLevel(), a.GetTitle(), a.GetMessage())
}

// checkAnnotations turns annotations into the Checks API's, once each; those without a file are
// counted as skipped. A whole-file annotation sits on line 1.
func checkAnnotations(as []Annotation) (out []*gh.CheckRunAnnotation, skipped int) {
	seen := map[Annotation]bool{}
	for _, a := range as {
		if seen[a] {
			continue
		}
		seen[a] = true
		path := strings.TrimPrefix(a.File, "./")
		if path == "" {
			skipped++
			continue
		}
		level := "notice"
		switch a.Level {
		case "error":
			level = "failure"
		case "warning":
			level = "warning"
		}
		line := max(a.Line, 1)
		msg := a.Message
		if strings.TrimSpace(msg) == "" {
			msg = a.Title
		}
		ca := &gh.CheckRunAnnotation{Path: gh.Ptr(path), StartLine: gh.Ptr(line), EndLine: gh.Ptr(line),
			AnnotationLevel: gh.Ptr(level), Message: gh.Ptr(clipBytes(msg, maxAnnotationMessage))}
		if a.Title != "" {
			ca.Title = gh.Ptr(clipBytes(a.Title, maxAnnotationTitle))
		}
		out = append(out, ca)
	}
	return out, skipped
}

func split(as []*gh.CheckRunAnnotation, n int) (head, rest []*gh.CheckRunAnnotation) {
	if len(as) <= n {
		return as, nil
	}
	return as[:n], as[n:]
}

// cutSummary keeps s within limit characters, cutting at a line end and saying so. The report's
// Markdown already fits by leaving out the least important parts first; this is the backstop.
func cutSummary(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	const note = "\n\n… cut to fit the Checks API's limit: the job summary and report.json have everything.\n"
	end := 0
	for range limit - utf8.RuneCountInString(note) {
		_, n := utf8.DecodeRuneInString(s[end:])
		end += n
	}
	cut := s[:end]
	if i := strings.LastIndexByte(cut, '\n'); i > 0 {
		cut = cut[:i]
	}
	return cut + note
}

// oneLineTitle is the title's first line, or the check's name when it has none.
func oneLineTitle(title, name string) string {
	title, _, _ = strings.Cut(strings.TrimSpace(title), "\n")
	if title = strings.TrimSpace(title); title == "" {
		return name
	}
	return title
}

// clipBytes shortens s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// clipRunes shortens s to at most n characters, ending with "…" when it cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// apiError is GitHub's status code and message for an error answer.
func apiError(err error) (code int, msg string, ok bool) {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return 0, "", false
	}
	msg = er.Message
	if msg == "" {
		msg = http.StatusText(er.Response.StatusCode)
	}
	return er.Response.StatusCode, msg, true
}

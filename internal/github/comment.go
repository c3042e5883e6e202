package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v90/github"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
)

// Marker starts every report comment; the sticky comment is found by it. The report package writes it.
const Marker = markdown.Marker

// MaxCommentChars is GitHub's limit on a comment body.
const MaxCommentChars = markdown.MaxCommentChars

// maxPages bounds the comment listing (100 a page): a pull request with more than 10,000 comments
// gets a new report comment rather than an endless walk.
const maxPages = 100

// NewClient makes a REST client for apiURL (GITHUB_API_URL; "" means api.github.com) with token.
// hc nil means a client with a 30 s timeout.
func NewClient(token, apiURL string, hc *http.Client) (*gh.Client, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	opts := []gh.ClientOptionsFunc{gh.WithHTTPClient(hc), gh.WithUserAgent("lambda-layers")}
	if token != "" {
		opts = append(opts, gh.WithAuthToken(token))
	}
	if apiURL != "" {
		opts = append(opts, gh.WithURLs(&apiURL, nil))
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("making the GitHub client for %s: %w", apiURL, err)
	}
	return c, nil
}

// IsForbidden reports whether err is GitHub's 403 answer: a read-only token (pull requests from
// forks, Dependabot) or missing permissions. Rate limits are not this (they have their own types).
func IsForbidden(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden
}

// Sticky keeps one report comment per pull request up to date.
type Sticky struct {
	Client      *gh.Client
	Owner, Repo string
	Number      int
	// Marker identifies our comment: a comment is ours when its body starts with it. "" means Marker.
	Marker string
}

// CommentResult says what Upsert did.
type CommentResult struct {
	Action  string // "created", "updated" or "unchanged"
	ID      int64
	URL     string // the comment's html_url; "" when the API returned none (see Where)
	Removed int    // duplicates of ours deleted
}

// Upsert makes the pull request carry exactly one comment of ours with body: it updates the oldest
// one in place (skipping the call when the body is unchanged), or creates it; after creating, it
// lists again and deletes duplicates a concurrent run may have made, keeping the oldest.
func (s Sticky) Upsert(ctx context.Context, body string) (CommentResult, error) {
	marker := s.Marker
	if marker == "" {
		marker = Marker
	}
	body = Body(marker, body)
	ours, err := s.list(ctx, marker)
	if err != nil {
		return CommentResult{}, err
	}
	var res CommentResult
	if len(ours) == 0 {
		c, _, err := s.Client.Issues.CreateComment(ctx, s.Owner, s.Repo, s.Number, &gh.IssueComment{Body: &body})
		if err != nil {
			return res, fmt.Errorf("commenting on %s/%s#%d: %w", s.Owner, s.Repo, s.Number, err)
		}
		res = CommentResult{Action: "created", ID: c.GetID(), URL: c.GetHTMLURL()}
		if ours, err = s.list(ctx, marker); err != nil {
			return res, err
		}
		if !containsID(ours, c.GetID()) {
			ours = append(ours, c) // a listing that lags behind the write
		}
		sortOldestFirst(ours)
	}
	keep := ours[0]
	removed, err := s.removeDuplicates(ctx, keep, ours[1:])
	res.Removed = removed
	if err != nil {
		return res, err
	}
	if res.Action == "created" {
		if keep.GetID() == res.ID {
			return res, nil
		}
		res.Action = "" // a concurrent run's older comment stays; ours was the duplicate
	}
	res.ID, res.URL = keep.GetID(), keep.GetHTMLURL()
	if keep.GetBody() == body {
		if res.Action == "" {
			res.Action = "unchanged"
		}
		return res, nil
	}
	edited, _, err := s.Client.Issues.EditComment(ctx, s.Owner, s.Repo, keep.GetID(), &gh.IssueComment{Body: &body})
	if err != nil {
		return res, fmt.Errorf("updating comment %d on %s/%s#%d: %w", keep.GetID(), s.Owner, s.Repo, s.Number, err)
	}
	if u := edited.GetHTMLURL(); u != "" {
		res.URL = u
	}
	if res.Action == "" {
		res.Action = "updated"
	}
	return res, nil
}

// Where says where the comment is, for a log: its URL, or that the API returned none.
func (r CommentResult) Where() string {
	switch {
	case r.URL != "":
		return r.URL
	case r.ID != 0:
		return fmt.Sprintf("comment %d (the GitHub API returned no URL for it)", r.ID)
	}
	return "(the GitHub API returned no URL for it)"
}

// removeDuplicates deletes the other comments of ours written by the same account as keep; a
// comment someone else wrote with our marker is left alone.
func (s Sticky) removeDuplicates(ctx context.Context, keep *gh.IssueComment, rest []*gh.IssueComment) (int, error) {
	n := 0
	for _, c := range rest {
		if c.GetUser().GetLogin() != keep.GetUser().GetLogin() {
			continue
		}
		_, err := s.Client.Issues.DeleteComment(ctx, s.Owner, s.Repo, c.GetID())
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			continue // a concurrent run deleted it first
		}
		if err != nil {
			return n, fmt.Errorf("deleting duplicate comment %d on %s/%s#%d: %w", c.GetID(), s.Owner, s.Repo, s.Number, err)
		}
		n++
	}
	return n, nil
}

// list returns our comments over all pages, oldest first.
func (s Sticky) list(ctx context.Context, marker string) ([]*gh.IssueComment, error) {
	var ours []*gh.IssueComment
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		cs, resp, err := s.Client.Issues.ListComments(ctx, s.Owner, s.Repo, s.Number, opt)
		if err != nil {
			return nil, fmt.Errorf("listing comments on %s/%s#%d: %w", s.Owner, s.Repo, s.Number, err)
		}
		for _, c := range cs {
			if strings.HasPrefix(strings.TrimSpace(c.GetBody()), marker) {
				ours = append(ours, c)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	sortOldestFirst(ours)
	return ours, nil
}

func sortOldestFirst(cs []*gh.IssueComment) {
	sort.SliceStable(cs, func(i, j int) bool {
		ti, tj := cs[i].GetCreatedAt().Time, cs[j].GetCreatedAt().Time
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return cs[i].GetID() < cs[j].GetID()
	})
}

func containsID(cs []*gh.IssueComment, id int64) bool {
	for _, c := range cs {
		if c.GetID() == id {
			return true
		}
	}
	return false
}

// Body makes a comment body that starts with marker and fits GitHub's limit, cutting at a line
// end and saying so when it must.
func Body(marker, body string) string {
	if !strings.HasPrefix(body, marker) {
		body = marker + "\n" + body
	}
	if len(body) <= MaxCommentChars {
		return body
	}
	const note = "\n\n… cut to fit GitHub's comment limit: the job summary and report.json have everything.\n"
	cut := body[:MaxCommentChars-len(note)]
	if i := strings.LastIndexByte(cut, '\n'); i > len(marker) {
		cut = cut[:i]
	}
	return cut + note
}

// PullRequestHead returns the current head commit of a pull request.
func PullRequestHead(ctx context.Context, c *gh.Client, owner, repo string, number int) (string, error) {
	pr, _, err := c.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return "", fmt.Errorf("reading %s/%s#%d: %w", owner, repo, number, err)
	}
	return pr.GetHead().GetSHA(), nil
}

// SplitRepo splits GITHUB_REPOSITORY ("owner/name").
func SplitRepo(full string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(full, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q is not owner/name", full)
	}
	return owner, name, nil
}

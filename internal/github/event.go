// Package github is the GitHub side of the action: the event that started the run, the sticky
// pull-request comment, the status check (a check run, or a commit status), annotations, step outputs
// and the job summary. It posts what it is given and decides nothing about the report.
package github

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Event is the part of a webhook payload (GITHUB_EVENT_PATH) the action uses.
type Event struct {
	Name   string `json:"-"` // GITHUB_EVENT_NAME: pull_request, push, workflow_dispatch, workflow_run…
	Action string `json:"action"`
	Number int    `json:"number"`

	PullRequest *PullRequest `json:"pull_request"`

	// push
	Ref    string `json:"ref"`
	Before string `json:"before"`
	After  string `json:"after"`

	WorkflowRun *WorkflowRun `json:"workflow_run"`
	Repository  Repository   `json:"repository"`
}

// PullRequest is a pull request as in its events.
type PullRequest struct {
	Number int    `json:"number"`
	State  string `json:"state"`
	Head   Branch `json:"head"`
	Base   Branch `json:"base"`
}

// Branch is a pull request's head or base.
type Branch struct {
	Ref  string     `json:"ref"`
	SHA  string     `json:"sha"`
	Repo Repository `json:"repo"`
}

// Repository names a repository.
type Repository struct {
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
}

// WorkflowRun is the run a workflow_run event is about.
type WorkflowRun struct {
	ID           int64           `json:"id"`
	Event        string          `json:"event"`
	HeadSHA      string          `json:"head_sha"`
	Conclusion   string          `json:"conclusion"`
	PullRequests []WorkflowRunPR `json:"pull_requests"`
	HeadRepo     Repository      `json:"head_repository"`
	Repository   Repository      `json:"repository"`
}

// WorkflowRunPR is a pull request a workflow run belongs to (empty for pull requests from forks).
type WorkflowRunPR struct {
	Number int    `json:"number"`
	Head   Branch `json:"head"`
}

// ZeroSHA is what push events carry as "before" when a branch is created.
const ZeroSHA = "0000000000000000000000000000000000000000"

// ParseEvent decodes a payload; name is GITHUB_EVENT_NAME.
func ParseEvent(name string, data []byte) (*Event, error) {
	e := &Event{Name: name}
	if len(strings.TrimSpace(string(data))) == 0 {
		return e, nil
	}
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decoding the %s event: %w", name, err)
	}
	return e, nil
}

// IsPullRequest reports whether the event is about a pull request's code.
func (e *Event) IsPullRequest() bool {
	return (e.Name == "pull_request" || e.Name == "pull_request_target") && e.PullRequest != nil
}

// PRNumber is the pull request's number, 0 when the event has none.
func (e *Event) PRNumber() int {
	if e.PullRequest != nil {
		return e.PullRequest.Number
	}
	return 0
}

// Fork reports whether a pull request comes from another repository (its token is read-only).
func (e *Event) Fork() bool {
	return e.PullRequest != nil && e.PullRequest.Head.Repo.FullName != "" &&
		e.PullRequest.Head.Repo.FullName != e.PullRequest.Base.Repo.FullName
}

// Branch is the branch a push went to ("" when it is not a branch push).
func (e *Event) Branch() string {
	b, ok := strings.CutPrefix(e.Ref, "refs/heads/")
	if !ok {
		return ""
	}
	return b
}

// PushToDefaultBranch reports whether the event is a push to the repository's default branch.
func (e *Event) PushToDefaultBranch() bool {
	return e.Name == "push" && e.Branch() != "" && e.Branch() == e.Repository.DefaultBranch
}

// HeadSHA is the commit the event is about: a pull request's head (GITHUB_SHA is its merge
// commit), a push's after, a workflow run's head; else fallback (GITHUB_SHA).
func (e *Event) HeadSHA(fallback string) string {
	switch {
	case e.PullRequest != nil && e.PullRequest.Head.SHA != "":
		return e.PullRequest.Head.SHA
	case e.WorkflowRun != nil && e.WorkflowRun.HeadSHA != "":
		return e.WorkflowRun.HeadSHA
	case e.After != "" && e.After != ZeroSHA:
		return e.After
	}
	return fallback
}

// BaseSHA is what to compare with: a pull request's base, a push's before; "" when there is none
// (a new branch, a manual run).
func (e *Event) BaseSHA() string {
	switch {
	case e.PullRequest != nil:
		return e.PullRequest.Base.SHA
	case e.Before != "" && e.Before != ZeroSHA:
		return e.Before
	}
	return ""
}

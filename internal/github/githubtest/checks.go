package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Permissions of a workflow's token that Deny can take away (for writes).
const (
	PermChecks       = "checks"
	PermStatuses     = "statuses"
	PermPullRequests = "pull-requests" // issue comments on pull requests, too
)

// Limits of the Checks API and commit statuses, enforced with 422 as GitHub does.
const (
	MaxCheckText          = 65_535 // output.summary and output.text, in characters
	MaxAnnotationsPerCall = 50
	MaxAnnotationTitle    = 255
	MaxAnnotationMessage  = 64 << 10
	MaxStatusDescription  = 140 // characters
)

// Deny makes writes that need one of perms answer 403 "Resource not accessible by integration", as
// GitHub does when the workflow's permissions leave them out.
func (s *Server) Deny(perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range perms {
		s.denied[p] = true
	}
}

// permission is what a write to path needs.
func permission(path string) string {
	switch {
	case strings.Contains(path, "/check-runs"):
		return PermChecks
	case strings.Contains(path, "/statuses/"):
		return PermStatuses
	case strings.Contains(path, "/issues/"), strings.Contains(path, "/pulls"):
		return PermPullRequests
	}
	return ""
}

// CheckRun is a check run as stored: the state after every request.
type CheckRun struct {
	ID                                int64
	Repo                              string // owner/name
	Name, HeadSHA, Status, Conclusion string
	ExternalID, DetailsURL            string
	Title, Summary, Text              string
	Annotations                       []Annotation
}

// Annotation is a check run annotation as sent.
type Annotation struct {
	Path               string `json:"path"`
	StartLine, EndLine int
	Level              string
	Title, Message     string
}

// CheckRunRequest records one write to the Checks API.
type CheckRunRequest struct {
	Method       string // POST (create) or PATCH (update)
	ID           int64
	Annotations  int // in this request
	SummaryChars int
	Conclusion   string
}

// Status is a commit status as sent.
type Status struct {
	Repo, SHA                              string
	State, Context, Description, TargetURL string
}

// CheckRuns returns copies of the check runs, in order of creation.
func (s *Server) CheckRuns() []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckRun, 0, len(s.checkRuns))
	for _, c := range s.checkRuns {
		cp := *c
		cp.Annotations = append([]Annotation(nil), c.Annotations...)
		out = append(out, cp)
	}
	return out
}

// CheckRunRequests returns the successful writes to the Checks API, in order.
func (s *Server) CheckRunRequests() []CheckRunRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CheckRunRequest(nil), s.checkReqs...)
}

// Statuses returns the commit statuses posted, in order.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.statuses...)
}

// AddCheckRun stores a check run as if an earlier step had created it, and returns its id.
func (s *Server) AddCheckRun(c CheckRun) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	c.ID = s.nextID
	s.checkRuns = append(s.checkRuns, &c)
	return c.ID
}

var (
	checkRunsRE   = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/check-runs$`)
	checkRunRE    = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/check-runs/([0-9]+)$`)
	annotationsRE = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/check-runs/([0-9]+)/annotations$`)
	refRunsRE     = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/commits/([^/]+)/check-runs$`)
	statusRE      = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/statuses/([^/]+)$`)
	shaRE         = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// checkRunIn is the body of a create or update.
type checkRunIn struct {
	Name        *string `json:"name"`
	HeadSHA     *string `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title       *string `json:"title"`
		Summary     *string `json:"summary"`
		Text        *string `json:"text"`
		Annotations []struct {
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
			EndLine   int    `json:"end_line"`
			Level     string `json:"annotation_level"`
			Message   string `json:"message"`
			Title     string `json:"title"`
		} `json:"annotations"`
	} `json:"output"`
}

// serveChecks answers the Checks API and commit statuses; it reports whether the path was one of
// theirs. The caller holds the lock.
func (s *Server) serveChecks(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	switch m := checkRunsRE.FindStringSubmatch(p); {
	case m != nil && r.Method == http.MethodPost:
		s.writeCheckRun(w, r, m[1], nil)
		return true
	case m != nil:
		fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return true
	}
	if m := checkRunRE.FindStringSubmatch(p); m != nil {
		c := s.checkRun(m[1], int64(atoi(m[2])))
		switch {
		case c == nil:
			fail(w, http.StatusNotFound, "Not Found")
		case r.Method == http.MethodPatch:
			s.writeCheckRun(w, r, m[1], c)
		case r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, s.apiCheckRun(c))
		default:
			fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		}
		return true
	}
	if m := annotationsRE.FindStringSubmatch(p); m != nil && r.Method == http.MethodGet {
		c := s.checkRun(m[1], int64(atoi(m[2])))
		if c == nil {
			fail(w, http.StatusNotFound, "Not Found")
			return true
		}
		per := atoi(r.URL.Query().Get("per_page"))
		if per <= 0 {
			per = 30
		}
		per = min(per, s.MaxPageSize)
		page := max(atoi(r.URL.Query().Get("page")), 1)
		from, to := min((page-1)*per, len(c.Annotations)), min(page*per, len(c.Annotations))
		out := []map[string]any{}
		for _, a := range c.Annotations[from:to] {
			out = append(out, map[string]any{"path": a.Path, "start_line": a.StartLine, "end_line": a.EndLine,
				"annotation_level": a.Level, "title": a.Title, "message": a.Message})
		}
		if to < len(c.Annotations) {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d&per_page=%d>; rel="next"`, s.URL, p, page+1, per))
		}
		writeJSON(w, http.StatusOK, out)
		return true
	}
	if m := refRunsRE.FindStringSubmatch(p); m != nil && r.Method == http.MethodGet {
		name := r.URL.Query().Get("check_name")
		runs := []any{}
		for _, c := range s.checkRuns {
			if c.Repo == m[1] && c.HeadSHA == m[2] && (name == "" || c.Name == name) {
				runs = append(runs, s.apiCheckRun(c))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"total_count": len(runs), "check_runs": runs})
		return true
	}
	if m := statusRE.FindStringSubmatch(p); m != nil && r.Method == http.MethodPost {
		var in struct {
			State       string `json:"state"`
			TargetURL   string `json:"target_url"`
			Description string `json:"description"`
			Context     string `json:"context"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fail(w, http.StatusBadRequest, "Problems parsing JSON")
			return true
		}
		switch {
		case !shaRE.MatchString(m[2]):
			fail(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+m[2])
		case in.State != "error" && in.State != "failure" && in.State != "pending" && in.State != "success":
			fail(w, http.StatusUnprocessableEntity, "Validation Failed: state")
		case utf8.RuneCountInString(in.Description) > MaxStatusDescription:
			fail(w, http.StatusUnprocessableEntity, "Validation Failed: description is too long (maximum is 140 characters)")
		default:
			if in.Context == "" {
				in.Context = "default"
			}
			s.statuses = append(s.statuses, Status{Repo: m[1], SHA: m[2], State: in.State, Context: in.Context, Description: in.Description, TargetURL: in.TargetURL})
			s.nextID++
			writeJSON(w, http.StatusCreated, map[string]any{"id": s.nextID, "state": in.State, "context": in.Context,
				"description": in.Description, "target_url": in.TargetURL})
		}
		return true
	}
	return false
}

func (s *Server) checkRun(repo string, id int64) *CheckRun {
	for _, c := range s.checkRuns {
		if c.ID == id && c.Repo == repo {
			return c
		}
	}
	return nil
}

// writeCheckRun creates (c nil) or updates a check run, validating as GitHub does: annotations are
// appended on each update, at most 50 a request.
func (s *Server) writeCheckRun(w http.ResponseWriter, r *http.Request, repo string, c *CheckRun) {
	var in checkRunIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	invalid := func(msg string) { fail(w, http.StatusUnprocessableEntity, "Validation Failed: "+msg) }
	if c == nil {
		switch {
		case in.Name == nil || *in.Name == "":
			invalid("name is missing")
			return
		case in.HeadSHA == nil || !shaRE.MatchString(*in.HeadSHA):
			fail(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+deref(in.HeadSHA))
			return
		}
	}
	status, conclusion := "queued", ""
	if c != nil {
		status, conclusion = c.Status, c.Conclusion
	}
	if in.Status != nil {
		status = *in.Status
	}
	if in.Conclusion != nil {
		conclusion = *in.Conclusion
		if in.Status == nil {
			status = "completed"
		}
	}
	switch {
	case status != "queued" && status != "in_progress" && status != "completed":
		invalid("status")
		return
	case status == "completed" && conclusion == "":
		invalid("conclusion is required when status is completed")
		return
	case conclusion != "" && !strings.Contains(" action_required cancelled failure neutral success skipped stale timed_out ", " "+conclusion+" "):
		invalid("conclusion")
		return
	}
	var add []Annotation
	if o := in.Output; o != nil {
		switch {
		case o.Title == nil || o.Summary == nil:
			invalid("output needs title and summary")
			return
		case utf8.RuneCountInString(*o.Summary) > MaxCheckText || utf8.RuneCountInString(deref(o.Text)) > MaxCheckText:
			invalid("output.summary is too long (maximum is 65535 characters)")
			return
		case len(o.Annotations) > MaxAnnotationsPerCall:
			invalid("only 50 annotations can be sent per request")
			return
		}
		for _, a := range o.Annotations {
			switch {
			case a.Path == "" || a.StartLine < 1 || a.EndLine < a.StartLine || a.Message == "":
				invalid("annotation needs path, start_line, end_line and message")
				return
			case a.Level != "notice" && a.Level != "warning" && a.Level != "failure":
				invalid("annotation_level")
				return
			case len(a.Title) > MaxAnnotationTitle || len(a.Message) > MaxAnnotationMessage:
				invalid("annotation title or message is too long")
				return
			}
			add = append(add, Annotation{Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine, Level: a.Level, Title: a.Title, Message: a.Message})
		}
	}
	created := c == nil
	if created {
		s.nextID++
		c = &CheckRun{ID: s.nextID, Repo: repo, HeadSHA: *in.HeadSHA}
		s.checkRuns = append(s.checkRuns, c)
	}
	if in.Name != nil && *in.Name != "" {
		c.Name = *in.Name
	}
	c.Status, c.Conclusion = status, conclusion
	if in.ExternalID != nil {
		c.ExternalID = *in.ExternalID
	}
	if in.DetailsURL != nil {
		c.DetailsURL = *in.DetailsURL
	}
	if o := in.Output; o != nil {
		c.Title, c.Summary, c.Text = *o.Title, *o.Summary, deref(o.Text)
		c.Annotations = append(c.Annotations, add...)
	}
	req := CheckRunRequest{Method: r.Method, ID: c.ID, Annotations: len(add), Conclusion: conclusion}
	if in.Output != nil {
		req.SummaryChars = utf8.RuneCountInString(*in.Output.Summary)
	}
	s.checkReqs = append(s.checkReqs, req)
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, s.apiCheckRun(c))
}

func (s *Server) apiCheckRun(c *CheckRun) map[string]any {
	html := fmt.Sprintf("https://github.com/%s/runs/%d", c.Repo, c.ID)
	out := map[string]any{"id": c.ID, "name": c.Name, "head_sha": c.HeadSHA, "status": c.Status,
		"external_id": c.ExternalID, "details_url": c.DetailsURL, "html_url": html,
		"output": map[string]any{"title": c.Title, "summary": c.Summary, "annotations_count": len(c.Annotations)},
		"app":    map[string]any{"slug": "github-actions"}}
	if c.Conclusion != "" {
		out["conclusion"] = c.Conclusion
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

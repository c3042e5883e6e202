// Package githubtest serves the part of GitHub's REST API the action uses — issue comments with
// Link-header pagination, pull requests, check runs and commit statuses — in process, recording what
// it is sent, with modes that answer writes with 403 as GitHub does for a read-only token or one
// without a permission, so no test needs the network.
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bot is the login comments are created under, as with GITHUB_TOKEN.
const Bot = "github-actions[bot]"

// Comment is an issue comment as stored.
type Comment struct {
	ID        int64
	Issue     int
	Login     string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Server is an in-process GitHub API. Create it with New.
type Server struct {
	// URL is the API root to give a client (GITHUB_API_URL), without a trailing slash.
	URL string
	// MaxPageSize caps per_page, so that tests see several pages with few comments (GitHub: 100).
	MaxPageSize int
	// Token, when set, is the bearer token every request must carry.
	Token string

	mu        sync.Mutex
	forbidden bool
	denied    map[string]bool // permissions the token lacks for writes
	checkRuns []*CheckRun
	checkReqs []CheckRunRequest
	statuses  []Status
	comments  []*Comment
	pulls     map[int]string // number → head sha
	nextID    int64
	clock     time.Time
	requests  []string
	afterPost func(s *Server, created *Comment)
	noURL     bool
}

// New starts a server; t.Cleanup closes it.
func New(t testing.TB) *Server {
	s := &Server{MaxPageSize: 100, pulls: map[int]string{}, denied: map[string]bool{}, nextID: 1000, clock: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// SetForbidden makes writes answer 403 "Resource not accessible by integration", as for a pull
// request from a fork.
func (s *Server) SetForbidden(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden = v
}

// SetNoHTMLURL makes comments come back without an html_url, as a proxy or an older GitHub Enterprise
// may answer.
func (s *Server) SetNoHTMLURL(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noURL = v
}

// SetPull records a pull request's head commit.
func (s *Server) SetPull(number int, headSHA string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pulls[number] = headSHA
}

// AfterCreate runs f after each comment is created (outside the lock), e.g. to play a concurrent run.
func (s *Server) AfterCreate(f func(s *Server, created *Comment)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterPost = f
}

// AddComment stores a comment as if login had written it, and returns it.
func (s *Server) AddComment(issue int, login, body string) *Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(issue, login, body)
}

// AddCommentAt stores a comment created at a given time (a concurrent run's, say).
func (s *Server) AddCommentAt(issue int, login, body string, at time.Time) *Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.add(issue, login, body)
	c.CreatedAt, c.UpdatedAt = at, at
	return c
}

func (s *Server) add(issue int, login, body string) *Comment {
	s.nextID++
	s.clock = s.clock.Add(time.Second)
	c := &Comment{ID: s.nextID, Issue: issue, Login: login, Body: body, CreatedAt: s.clock, UpdatedAt: s.clock}
	s.comments = append(s.comments, c)
	return c
}

// Comments returns a copy of issue's comments, oldest first.
func (s *Server) Comments(issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Requests counts requests whose "METHOD /path" starts with prefix, e.g. "PATCH /repos/".
func (s *Server) Requests(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

var (
	listRE    = regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/([0-9]+)/comments$`)
	commentRE = regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/comments/([0-9]+)$`)
	pullRE    = regexp.MustCompile(`^/repos/[^/]+/[^/]+/pulls/([0-9]+)$`)
)

type apiComment struct {
	ID        int64   `json:"id"`
	Body      string  `json:"body"`
	User      apiUser `json:"user"`
	HTMLURL   string  `json:"html_url"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

type apiUser struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

func (s *Server) api(c *Comment) apiComment {
	typ := "User"
	if strings.HasSuffix(c.Login, "[bot]") {
		typ = "Bot"
	}
	a := apiComment{ID: c.ID, Body: c.Body, User: apiUser{Login: c.Login, Type: typ},
		HTMLURL:   fmt.Sprintf("https://github.com/acme/repo/pull/%d#issuecomment-%d", c.Issue, c.ID),
		CreatedAt: c.CreatedAt.Format(time.RFC3339), UpdatedAt: c.UpdatedAt.Format(time.RFC3339)}
	if s.noURL {
		a.HTMLURL = ""
	}
	return a
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.mu.Unlock()
		fail(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	write := r.Method != http.MethodGet
	if write && (s.forbidden || s.denied[permission(r.URL.Path)]) {
		s.mu.Unlock()
		fail(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	if s.serveChecks(w, r) {
		s.mu.Unlock()
		return
	}
	var created *Comment
	after := s.afterPost
	func() {
		defer s.mu.Unlock()
		switch m := listRE.FindStringSubmatch(r.URL.Path); {
		case m != nil && r.Method == http.MethodGet:
			s.list(w, r, atoi(m[1]))
			return
		case m != nil && r.Method == http.MethodPost:
			var in struct {
				Body string `json:"body"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
				fail(w, http.StatusUnprocessableEntity, "Validation Failed")
				return
			}
			created = s.add(atoi(m[1]), Bot, in.Body)
			writeJSON(w, http.StatusCreated, s.api(created))
			return
		}
		if m := commentRE.FindStringSubmatch(r.URL.Path); m != nil {
			id := int64(atoi(m[1]))
			i := s.index(id)
			if i < 0 {
				fail(w, http.StatusNotFound, "Not Found")
				return
			}
			switch r.Method {
			case http.MethodPatch:
				var in struct {
					Body string `json:"body"`
				}
				json.NewDecoder(r.Body).Decode(&in)
				s.clock = s.clock.Add(time.Second)
				s.comments[i].Body, s.comments[i].UpdatedAt = in.Body, s.clock
				writeJSON(w, http.StatusOK, s.api(s.comments[i]))
			case http.MethodDelete:
				s.comments = append(s.comments[:i], s.comments[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
			case http.MethodGet:
				writeJSON(w, http.StatusOK, s.api(s.comments[i]))
			default:
				fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			}
			return
		}
		if m := pullRE.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
			sha, ok := s.pulls[atoi(m[1])]
			if !ok {
				fail(w, http.StatusNotFound, "Not Found")
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"number": atoi(m[1]), "state": "open", "head": map[string]any{"sha": sha}})
			return
		}
		fail(w, http.StatusNotFound, "Not Found")
	}()
	if created != nil && after != nil {
		after(s, created)
	}
}

func (s *Server) index(id int64) int {
	for i, c := range s.comments {
		if c.ID == id {
			return i
		}
	}
	return -1
}

// list answers one page, with GitHub's Link header for the others.
func (s *Server) list(w http.ResponseWriter, r *http.Request, issue int) {
	per := atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, s.MaxPageSize)
	page := max(atoi(r.URL.Query().Get("page")), 1)
	var all []*Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			all = append(all, c)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	last := max((len(all)+per-1)/per, 1)
	from, to := min((page-1)*per, len(all)), min(page*per, len(all))
	out := []apiComment{}
	for _, c := range all[from:to] {
		out = append(out, s.api(c))
	}
	link := func(p int, rel string) string {
		return fmt.Sprintf(`<%s%s?page=%d&per_page=%d>; rel="%s"`, s.URL, r.URL.Path, p, per, rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, out)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

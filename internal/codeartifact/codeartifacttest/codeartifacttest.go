// Package codeartifacttest is an in-process AWS CodeArtifact for tests: it answers
// GetAuthorizationToken and GetRepositoryEndpoint as the service's REST-JSON API does (moto has no
// CodeArtifact), and serves one PyPI repository, in front of a simple index, that requires the
// current token as HTTP Basic password for user "aws".
package codeartifacttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the fake service. Domain and Repository are the names it answers for.
type Server struct {
	URL                string
	Domain, Repository string
	// Lifetime is how long a token lasts (default 12h); Now is the service's clock.
	Lifetime time.Duration
	Now      func() time.Time

	mu      sync.Mutex
	tokens  []string
	valid   map[string]bool
	denied  int // index requests refused
	srv     *httptest.Server
	backend *url.URL
}

// New serves the repository in front of the simple index at indexURL (ending in "/simple/").
func New(t testing.TB, indexURL string) *Server {
	t.Helper()
	u, err := url.Parse(strings.TrimSuffix(indexURL, "simple/"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Domain: "acme", Repository: "pypi-store", Lifetime: 12 * time.Hour, Now: time.Now, valid: map[string]bool{}, backend: u}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// Tokens are the tokens issued so far, oldest first.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// Revoke makes every token issued so far invalid.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.valid = map[string]bool{}
}

// Denied counts the index requests refused for a missing or invalid token.
func (s *Server) Denied() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.denied
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/authorization-token":
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			apiError(w, http.StatusForbidden, "AccessDeniedException", "request not signed")
			return
		}
		if q.Get("domain") != s.Domain {
			apiError(w, http.StatusNotFound, "ResourceNotFoundException", "no domain "+q.Get("domain"))
			return
		}
		s.mu.Lock()
		tok := fmt.Sprintf("eyJ2ZXIiOjEsImlzdSI6%06d-secret-token", len(s.tokens)+1)
		s.tokens = append(s.tokens, tok)
		s.valid[tok] = true
		exp := s.Now().Add(s.Lifetime)
		s.mu.Unlock()
		writeJSON(w, map[string]any{"authorizationToken": tok, "expiration": float64(exp.Unix())})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/repository/endpoint":
		if q.Get("domain") != s.Domain || q.Get("repository") != s.Repository || q.Get("format") != "pypi" {
			apiError(w, http.StatusNotFound, "ResourceNotFoundException", "no such repository or format")
			return
		}
		writeJSON(w, map[string]any{"repositoryEndpoint": s.URL + "/pypi/" + s.Repository + "/"})
	case strings.HasPrefix(r.URL.Path, "/pypi/"+s.Repository+"/"):
		user, pass, ok := r.BasicAuth()
		s.mu.Lock()
		good := ok && user == "aws" && s.valid[pass]
		if !good {
			s.denied++
		}
		s.mu.Unlock()
		if !good {
			w.Header().Set("WWW-Authenticate", `Basic realm="codeartifact"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		p := httputil.NewSingleHostReverseProxy(s.backend)
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/pypi/"+s.Repository)
		r2.Header.Del("Authorization")
		p.ServeHTTP(w, r2)
	default:
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", r.Method+" "+r.URL.Path)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

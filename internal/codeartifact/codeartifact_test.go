package codeartifact

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/codeartifact/codeartifacttest"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T) (*codeartifacttest.Server, *Index, *clock, *http.Client) {
	idx := indextest.New(t, []wheeltest.Spec{{Name: "six", Version: "1.16.0"}})
	srv := codeartifacttest.New(t, idx.URL)
	clk := &clock{t: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}
	srv.Now, srv.Lifetime = clk.now, 30*time.Minute
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_CODEARTIFACT": srv.URL}
	x, err := Open(context.Background(), Repository{Domain: "acme", Repository: "pypi-store", Owner: "123456789012"}, Options{Getenv: func(k string) string { return env[k] }, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return srv, x, clk, &http.Client{Transport: x.Transport(nil)}
}

func get(t *testing.T, c *http.Client, u string) int {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestTokenAndRefresh(t *testing.T) {
	srv, x, clk, hc := setup(t)
	u, err := x.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/pypi/pypi-store/simple/"; u != want {
		t.Errorf("URL %s, want %s", u, want)
	}
	if code := get(t, hc, u+"six/"); code != 200 {
		t.Fatalf("index page: %d", code)
	}
	get(t, hc, u+"six/")
	if x.Fetched != 1 {
		t.Errorf("%d tokens fetched for two requests, want 1", x.Fetched)
	}
	clk.add(26 * time.Minute) // within RefreshBefore of the 30-minute expiry
	if code := get(t, hc, u+"six/"); code != 200 || x.Fetched != 2 {
		t.Errorf("after 26 minutes: status %d, %d tokens fetched, want a new one", code, x.Fetched)
	}
	srv.Revoke() // expired early on the service's side
	if code := get(t, hc, u+"six/"); code != 200 || x.Fetched != 3 {
		t.Errorf("after a revocation: status %d, %d tokens fetched", code, x.Fetched)
	}
	if srv.Denied() != 1 {
		t.Errorf("%d requests denied, want 1 (the one with the revoked token)", srv.Denied())
	}
	// Other hosts get no token.
	other := indextest.New(t, nil)
	var seen string
	hc2 := &http.Client{Transport: x.Transport(roundTripper(func(r *http.Request) (*http.Response, error) {
		seen = r.Header.Get("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	}))}
	get(t, hc2, other.URL)
	if seen != "" {
		t.Errorf("another host got Authorization %q", seen)
	}
}

func TestErrorsHoldNoToken(t *testing.T) {
	srv, _, _, _ := setup(t)
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": srv.URL}
	x, err := Open(context.Background(), Repository{Domain: "nope", Repository: "pypi-store"}, Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = x.URL(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nope/pypi-store") {
		t.Errorf("error %v", err)
	}
}

func TestParseRepository(t *testing.T) {
	if r, err := ParseRepository("acme/pypi-store"); err != nil || r.Domain != "acme" || r.Repository != "pypi-store" {
		t.Errorf("%+v %v", r, err)
	}
	for _, bad := range []string{"acme", "/x", "a/", "a/b/c"} {
		if _, err := ParseRepository(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func FuzzParseRepository(f *testing.F) {
	for _, s := range []string{"acme/pypi-store", "a/b/c", "/x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRepository(s)
		if err == nil && r.String() != s {
			t.Errorf("%q read as %q", s, r)
		}
	})
}

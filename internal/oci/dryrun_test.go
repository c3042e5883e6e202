package oci

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func writes(rec *recorder) int {
	return rec.count(func(r string) bool { return !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") })
}

// TestDryRunAsksTheRegistry: a dry run writes nothing and says what a push would do — everything to
// push into an empty registry, nothing once it holds the same zips, and the same refusal as a push when
// an immutable tag names other content.
func TestDryRunAsksTheRegistry(t *testing.T) {
	rec, repo := newRegistry(t)
	sets := func() []*Set { return buildSets(t, layers(t, t.TempDir(), "x86_64", "arm64"), meta) }
	planned, err := Plan(repo, sets())
	if err != nil {
		t.Fatal(err)
	}
	got, warning, err := DryRun(t.Context(), repo, sets(), anon)
	if err != nil || warning != "" {
		t.Fatalf("empty registry: %v, warning %q", err, warning)
	}
	if len(got) != len(planned) {
		t.Fatalf("%d results, Plan has %d", len(got), len(planned))
	}
	for i, p := range got {
		if p.Unchanged || p.Digest != planned[i].Digest || p.Reference != planned[i].Reference {
			t.Errorf("empty registry: %+v, want to push %+v", p, planned[i])
		}
	}
	if n := writes(rec); n != 0 {
		t.Fatalf("a dry run made %d writes: %q", n, rec.reqs)
	}
	pushed, err := Push(t.Context(), repo, sets(), anon)
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	got, _, err = DryRun(t.Context(), repo, sets(), anon)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		if !p.Unchanged || p.Digest != pushed[i].Digest {
			t.Errorf("after the push: %+v, want unchanged %+v", p, pushed[i])
		}
	}
	if n := writes(rec); n != 0 {
		t.Errorf("a dry run made %d writes", n)
	}
	var b strings.Builder
	Table(&b, got, true)
	if strings.Contains(b.String(), "would push") || !strings.Contains(b.String(), "unchanged") {
		t.Errorf("table after the push:\n%s", b.String())
	}

	// An immutable tag that names other content: the dry run fails as the push would.
	_, repo2 := newRegistry(t)
	s := sets()
	_, immutable := s[0].Images[0].Tags()
	other, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mustRef(t, repo2+":"+immutable), other); err != nil {
		t.Fatal(err)
	}
	_, _, err = DryRun(t.Context(), repo2, s, anon)
	if !errors.As(err, new(*TagConflictError)) || !strings.Contains(err.Error(), immutable) {
		t.Errorf("tag with other content: err = %v", err)
	}
}

// TestDryRunWithoutTheRegistry: a registry that cannot be asked leaves the dry run its plan, every
// image to push, with a warning that says why.
func TestDryRunWithoutTheRegistry(t *testing.T) {
	srv := httptest.NewServer(nil)
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // nothing listens there any more
	repo := host + "/acme/layers"
	got, warning, err := DryRun(t.Context(), repo, buildSets(t, layers(t, t.TempDir(), "x86_64"), meta), anon)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].Unchanged || !strings.Contains(warning, "could not ask "+repo) {
		t.Errorf("results %+v, warning %q", got, warning)
	}
}

package oci

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// The engine's zips, built with a cold cache, a warm one and another cold one, give images with the
// same digests: the images inherit the zips' reproducibility.
func TestDigestsSameAcrossCacheStates(t *testing.T) {
	idx := indextest.New(t, []wheeltest.Spec{
		{Name: "hello", Version: "1.0", Files: []wheeltest.File{{Name: "hello/__init__.py", Data: []byte("x = 1\n")}, {Name: "hello/run", Data: []byte("#!/bin/sh\n"), Mode: 0o755}}},
		{Name: "tinyjson", Version: "1.2.0"},
	})
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(req, []byte("hello==1.0\ntinyjson\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := target.ParseList([]string{"python3.12"}, []string{"x86_64", "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	cacheA, cacheB := filepath.Join(dir, "cache-a"), filepath.Join(dir, "cache-b")
	var digests []string
	for i, cache := range []string{cacheA, cacheA, cacheB} {
		out := filepath.Join(dir, "out", string(rune('0'+i)))
		rep := build.Build(t.Context(), build.Env{}, build.Plan{
			Layers:   []build.LayerPlan{{Name: "api", Requirements: []string{req}, Targets: ts}},
			IndexURL: idx.URL, Out: out, CacheDir: cache,
		})
		ls, err := FromReport(rep)
		if err != nil {
			t.Fatal(err)
		}
		sets := buildSets(t, ls, meta)
		plan, err := Plan("example.com/acme/layers", sets)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan) != 3 {
			t.Fatalf("plan %+v", plan)
		}
		s := ""
		for _, p := range plan {
			s += p.Arch + " " + p.Digest + "\n"
		}
		digests = append(digests, s)
		for _, img := range sets[0].Images {
			checkTree(t, img.Image, img.Zip)
		}
	}
	if digests[0] != digests[1] || digests[0] != digests[2] {
		t.Errorf("digests differ across cache states:\ncold:\n%swarm:\n%sother cold:\n%s", digests[0], digests[1], digests[2])
	}
}

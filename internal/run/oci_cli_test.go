package run

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
)

func TestBuildOCILayout(t *testing.T) {
	t.Parallel()
	out, dir := t.TempDir(), filepath.Join(t.TempDir(), "oci")
	r := runMain(t, nil, "build", "-r", demoDir+"/requirements.txt", "--runtime", "python3.12", "--arch", "x86_64,arm64",
		"--index-url", demoDir+"/index/simple", "--out", out, "--cache-dir", t.TempDir(), "--oci-layout", dir)
	mustOK(t, r)
	if !strings.Contains(r.stdout, "oci layout: "+dir) {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	tags := map[string]bool{}
	for _, d := range im.Manifests {
		tags[d.Annotations["org.opencontainers.image.ref.name"]] = true
	}
	for _, want := range []string{"demo-python3.12", "demo-python3.12-x86_64", "demo-python3.12-arm64"} {
		if !tags[want] {
			t.Errorf("layout has no %s: %v", want, tags)
		}
	}
}

// A layer that fails to build leaves no layout, and the command says so (python3.13 has no wheel of
// the demo's fastcrc).
func TestBuildOCILayoutNotWrittenOnFailure(t *testing.T) {
	t.Parallel()
	out, dir := t.TempDir(), filepath.Join(t.TempDir(), "oci")
	r := runMain(t, nil, "build", "-r", demoDir+"/requirements.txt", "--runtime", "python3.12,python3.13",
		"--index-url", demoDir+"/index/simple", "--out", out, "--cache-dir", t.TempDir(), "--oci-layout", dir)
	if r.code != exitcode.Failed || !strings.Contains(r.stderr, "oci layout: "+dir+" not written: a layer failed to build") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if _, err := layout.FromPath(dir); err == nil {
		t.Errorf("a layout was written at %s", dir)
	}
}

// publish --oci without --region pushes images and makes no AWS call (no AWS configuration exists
// here, so one would fail); --dry-run writes nothing; a bad repository is a usage error.
func TestPublishOCIOnly(t *testing.T) {
	t.Parallel()
	var writes atomic.Int32
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writes.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/layers"
	reportPath := buildDemo(t)

	r := runMain(t, nil, "publish", "--report", reportPath, "--oci", repo, "--dry-run")
	if r.code != exitcode.OK || writes.Load() != 0 || !strings.Contains(r.stdout, "would push") {
		t.Fatalf("dry run: %d writes\n%+v", writes.Load(), r)
	}
	r = runMain(t, nil, "publish", "--report", reportPath, "--oci", repo)
	if r.code != exitcode.OK || writes.Load() == 0 || !strings.Contains(r.stdout, repo+":demo-python3.12 ") {
		t.Fatalf("push: %+v", r)
	}
	ref, _ := name.ParseReference(repo + ":demo-python3.12")
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatal(err)
	}
	// Now the registry holds them: a dry run asks it, and says nothing would change.
	before := writes.Load()
	r = runMain(t, nil, "publish", "--report", reportPath, "--oci", repo, "--dry-run")
	if r.code != exitcode.OK || writes.Load() != before || strings.Contains(r.stdout, "would push") || !strings.Contains(r.stdout, "unchanged") {
		t.Fatalf("dry run after the push: %d writes\n%+v", writes.Load()-before, r)
	}
	r = runMain(t, nil, "publish", "--report", reportPath, "--oci", "layers")
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, "names no registry") {
		t.Errorf("bad repository: %+v", r)
	}
}

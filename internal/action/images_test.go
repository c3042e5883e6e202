package action

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/oci"
	"github.com/lambda-layers/lambda-layers/internal/publish/mototest"
)

// testRegistry is an in-process registry that counts writes and can refuse them.
type testRegistry struct {
	h      http.Handler
	mu     sync.Mutex
	writes int
	refuse int // status for every write; 0 passes them on
}

func (g *testRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	g.mu.Lock()
	if write {
		g.writes++
	}
	refuse := g.refuse
	g.mu.Unlock()
	if write && refuse != 0 {
		w.WriteHeader(refuse)
		io.WriteString(w, `{"errors":[{"code":"DENIED","message":"denied"}]}`)
		return
	}
	g.h.ServeHTTP(w, r)
}

func newTestRegistry(t *testing.T) (*testRegistry, string) {
	g := &testRegistry{h: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, strings.TrimPrefix(srv.URL, "http://") + "/acme/layers"
}

func images(t *testing.T, r actionResult) []oci.Pushed {
	t.Helper()
	var out []oci.Pushed
	mustJSON(t, "images", r.outputs["images"], &out)
	return out
}

// With only oci configured, publish mode pushes the images and makes no AWS call (there is no AWS
// configuration at all: a call would fail); again with the same requirements, nothing is written; a dry
// run lists what it would push and writes nothing.
func TestActionPushesImagesOnly(t *testing.T) {
	t.Parallel()
	reg, repo := newTestRegistry(t)
	ws := newWorkspace(t)
	idx := actionIndex(t)
	ws.write("lambda-layers.yml", "runtimes: python3.12\narchitectures: [x86_64, arm64]\noci: {repository: "+repo+"}\nlayers:\n  - {name: api, requirements: layers/api/requirements.txt}\n",
		"layers/api/requirements.txt", "hello==1.0\n")
	head := ws.commit("layers")
	env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": eventFile(t, "push.json", strings.Repeat("0", 40), head), "INPUT_INDEX-URL": idx.URL,
		"GITHUB_SHA": head, "GITHUB_SERVER_URL": "https://github.com"}
	r := runAction(t, ws, env)
	got := images(t, r)
	if r.code != exitcode.OK || len(got) != 3 || got[2].Arch != "index" || got[2].Reference != repo+":api-python3.12" || r.outputs["published"] != "[]" {
		t.Fatalf("images = %+v\n%s", got, r)
	}
	if !strings.Contains(r.summary, "#### Images") || !strings.Contains(r.summary, got[2].Reference) || strings.Contains(r.stderr, "aws") {
		t.Errorf("summary:\n%s", r)
	}
	ref, _ := name.ParseReference(got[2].Reference)
	idxImg, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := idxImg.Digest(); d.String() != got[2].Digest {
		t.Errorf("registry has %s, output says %s", d, got[2].Digest)
	}
	if err := validate.Index(idxImg); err != nil {
		t.Fatal(err)
	}
	im, _ := idxImg.IndexManifest()
	if im.Annotations["org.opencontainers.image.revision"] != head || im.Annotations["org.opencontainers.image.source"] != "https://github.com/acme/orders-service" ||
		im.Annotations["org.opencontainers.image.created"] == "" {
		t.Errorf("annotations %v", im.Annotations)
	}

	reg.mu.Lock()
	reg.writes = 0
	reg.mu.Unlock()
	r = runAction(t, ws, env)
	again := images(t, r)
	if r.code != exitcode.OK || reg.writes != 0 || len(again) != 3 || !again[0].Unchanged || !again[2].Unchanged || again[2].Digest != got[2].Digest {
		t.Errorf("second run: %d writes, %+v\n%s", reg.writes, again, r)
	}

	ws.write("layers/api/requirements.txt", "hello==1.0\ntinyjson==1.2.0\n")
	env["INPUT_DRY-RUN"] = "true"
	r = runAction(t, ws, env)
	dry := images(t, r)
	if r.code != exitcode.OK || reg.writes != 0 || len(dry) != 3 || dry[2].Digest == got[2].Digest || !strings.Contains(r.summary, "dry run") {
		t.Errorf("dry run: %d writes, %+v\n%s", reg.writes, dry, r)
	}
}

// A registry that refuses fails the step with the repository named.
func TestActionImagesRefused(t *testing.T) {
	t.Parallel()
	reg, repo := newTestRegistry(t)
	reg.refuse = http.StatusForbidden
	ws := newWorkspace(t)
	idx := actionIndex(t)
	ws.write("lambda-layers.yml", "runtimes: python3.12\noci: {repository: "+repo+"}\nlayers:\n  - {name: api, requirements: requirements.txt}\n",
		"requirements.txt", "hello==1.0\n")
	r := runAction(t, ws, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json", "INPUT_INDEX-URL": idx.URL})
	if r.code != exitcode.Failed || !strings.Contains(r.summary, "pushing images") || !strings.Contains(r.summary, repo) || !strings.Contains(r.summary, "403") {
		t.Errorf("refused: %s", r)
	}
	var got []oci.Pushed
	if err := json.Unmarshal([]byte(r.outputs["images"]), &got); err != nil || len(got) != 0 {
		t.Errorf("images = %q", r.outputs["images"])
	}
}

// With aws and oci both configured, publish mode does both.
func TestActionPublishesAndPushes(t *testing.T) {
	t.Parallel()
	srv := mototest.Shared(t)
	acct := mototest.NewAccount()
	client := &http.Client{Transport: mototest.Transport(acct, nil)}
	_, repo := newTestRegistry(t)
	ws := newWorkspace(t)
	idx := actionIndex(t)
	ws.write("lambda-layers.yml", "runtimes: python3.12\noci: {repository: "+repo+"}\naws: {regions: [us-east-1]}\nlayers:\n  - {name: api, requirements: requirements.txt}\n",
		"requirements.txt", "hello==1.0\n")
	env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json", "INPUT_INDEX-URL": idx.URL}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		env[k] = srv.Getenv("us-east-1")(k)
	}
	r := runActionWith(t, ws, env, client)
	var published []string
	mustJSON(t, "published", r.outputs["published"], &published)
	got := images(t, r)
	if r.code != exitcode.OK || len(published) != 1 || len(got) != 1 || got[0].Arch != "x86_64" || got[0].Reference != repo+":api-python3.12" {
		t.Errorf("published %v, images %+v\n%s", published, got, r)
	}
}

// A matrix leg (the architectures input narrowing a layer built for two) pushes only its architecture's
// tags, and says so.
func TestActionMatrixLegPushesArchTagsOnly(t *testing.T) {
	t.Parallel()
	_, repo := newTestRegistry(t)
	ws := newWorkspace(t)
	idx := actionIndex(t)
	ws.write("lambda-layers.yml", "runtimes: python3.12\narchitectures: [x86_64, arm64]\noci: {repository: "+repo+"}\nlayers:\n  - {name: api, requirements: requirements.txt}\n",
		"requirements.txt", "hello==1.0\n")
	r := runAction(t, ws, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json",
		"INPUT_INDEX-URL": idx.URL, "INPUT_ARCHITECTURES": "arm64"})
	got := images(t, r)
	if r.code != exitcode.OK || len(got) != 1 || got[0].Reference != repo+":api-python3.12-arm64" || !strings.Contains(r.stderr, "only the architecture tags") {
		t.Fatalf("images %+v\n%s", got, r)
	}
	if _, err := remote.Head(mustParse(t, repo+":api-python3.12")); err == nil {
		t.Error("a matrix leg set the layer-wide tag")
	}
}

func mustParse(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

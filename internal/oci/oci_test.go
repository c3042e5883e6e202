package oci

import (
	"archive/tar"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/lambda-layers/lambda-layers/internal/oci/layertar"
)

var anon = Options{Keychain: authn.NewMultiKeychain()}

func buildSets(t testing.TB, ls []Layer, m Meta) []*Set {
	t.Helper()
	sets, err := Build(ls, m)
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// checkTree asserts that the image's layer is exactly the zip's tree under opt/: the same files with the
// same bytes and modes, every parent directory once, nothing that varies by machine.
func checkTree(t *testing.T, img v1.Image, zipPath string) {
	t.Helper()
	want := zipFiles(t, zipPath)
	got := readLayer(t, img)
	dirs := map[string]bool{}
	var names []string
	for _, f := range got {
		h := f.hdr
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(layertar.Epoch) ||
			!h.AccessTime.IsZero() || !h.ChangeTime.IsZero() || len(h.PAXRecords) != 0 || h.Devmajor != 0 {
			t.Errorf("%s: header varies: %+v", h.Name, h)
		}
		if !strings.HasPrefix(h.Name, "opt/") {
			t.Errorf("%s is outside opt/", h.Name)
		}
		if parent := path.Dir(strings.TrimSuffix(h.Name, "/")) + "/"; h.Name != "opt/" && !dirs[parent] {
			t.Errorf("%s comes before its directory %s", h.Name, parent)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if h.Mode != 0o755 {
				t.Errorf("%s: mode %o", h.Name, h.Mode)
			}
			dirs[h.Name] = true
		case tar.TypeReg:
			z, ok := want[strings.TrimPrefix(h.Name, "opt/")]
			if !ok {
				t.Errorf("%s is not in the zip", h.Name)
				continue
			}
			delete(want, strings.TrimPrefix(h.Name, "opt/"))
			if string(z.data) != string(f.data) {
				t.Errorf("%s: bytes differ from the zip's", h.Name)
			}
			if h.Mode != z.hdr.Mode || (h.Mode != 0o644 && h.Mode != 0o755) {
				t.Errorf("%s: mode %o, zip %o", h.Name, h.Mode, z.hdr.Mode)
			}
		default:
			t.Errorf("%s: type %c", h.Name, h.Typeflag)
		}
	}
	for n := range want {
		t.Errorf("%s is missing from the image", n)
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries not sorted: %q", names)
	}
}

func TestPushPullBothArches(t *testing.T) {
	rec, repo := newRegistry(t)
	ls := layers(t, t.TempDir(), "arm64", "x86_64")
	sets := buildSets(t, ls, meta)
	got, err := Push(t.Context(), repo, sets, anon)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Plan(repo, sets)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Push returned\n%v\nPlan said\n%v", got, want)
	}
	if len(got) != 3 || got[0].Arch != "x86_64" || got[1].Arch != "arm64" || got[2].Arch != "index" {
		t.Fatalf("pushed %+v", got)
	}
	if got[2].Reference != repo+":api-python3.12" || !strings.HasPrefix(got[2].Tags[1], "api-python3.12-") || len(got[2].Tags[1]) != len("api-python3.12-")+12 {
		t.Errorf("index %+v", got[2])
	}
	if rec.count(func(r string) bool { return strings.HasPrefix(r, "POST ") }) == 0 {
		t.Error("no blob upload seen")
	}

	ref, _ := name.ParseReference(got[2].Reference)
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatalf("validate.Index: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex || len(im.Manifests) != 2 ||
		im.Manifests[0].Platform.String() != "linux/amd64" || im.Manifests[1].Platform.String() != "linux/arm64" {
		t.Fatalf("index manifest %+v", im)
	}
	if im.Annotations["org.opencontainers.image.revision"] != meta.Revision || im.Annotations["org.opencontainers.image.created"] != "2026-11-30T12:00:00Z" ||
		im.Annotations["org.opencontainers.image.source"] != meta.Source || im.Annotations[KeyLayer] != "api" || im.Annotations[KeyRuntime] != "python3.12" {
		t.Errorf("index annotations %v", im.Annotations)
	}
	for i, l := range []Layer{ls[1], ls[0]} { // x86_64, arm64
		img, err := idx.Image(im.Manifests[i].Digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Fatalf("validate.Image %s: %v", l.Arch, err)
		}
		checkTree(t, img, l.Zip)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Platform().String() != im.Manifests[i].Platform.String() || cf.Created.Time.Format("2006-01-02T15:04:05Z") != "2026-11-30T12:00:00Z" {
			t.Errorf("%s config: %+v", l.Arch, cf)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		sum, _ := fileSHA256(l.Zip)
		for _, kv := range [][2]string{{KeyCodeSHA256, b64(t, sum)}, {KeyLayer, "api"}, {KeyRuntime, "python3.12"}, {"org.opencontainers.image.revision", meta.Revision}} {
			if m.Annotations[kv[0]] != kv[1] || cf.Config.Labels[kv[0]] != kv[1] {
				t.Errorf("%s: %s = %q (annotation), %q (label), want %q", l.Arch, kv[0], m.Annotations[kv[0]], cf.Config.Labels[kv[0]], kv[1])
			}
		}
		// The arch tags name the same image.
		byTag, err := remote.Head(mustRef(t, repo+":api-python3.12-"+l.Arch+"-"+sum[:12]))
		if err != nil || byTag.Digest != im.Manifests[i].Digest {
			t.Errorf("arch tag: %v %v", byTag, err)
		}
	}
}

func TestSingleArchTagsTheImage(t *testing.T) {
	_, repo := newRegistry(t)
	ls := layers(t, t.TempDir(), "arm64")
	sets := buildSets(t, ls, Meta{})
	if sets[0].Index != nil {
		t.Fatal("an index for one architecture")
	}
	got, err := Push(t.Context(), repo, sets, anon)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := fileSHA256(ls[0].Zip)
	wantTags := []string{"api-python3.12", "api-python3.12-" + sum[:12], "api-python3.12-arm64", "api-python3.12-arm64-" + sum[:12]}
	if len(got) != 1 || got[0].Arch != "arm64" || got[0].Reference != repo+":api-python3.12" || !slices.Equal(got[0].Tags, wantTags) {
		t.Fatalf("pushed %+v", got)
	}
	tags, err := remote.List(mustRef(t, repo+":x").Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(wantTags)
	if !slices.Equal(tags, wantTags) {
		t.Errorf("tags %q, want %q", tags, wantTags)
	}
	for _, tag := range tags {
		d, err := remote.Head(mustRef(t, repo+":"+tag))
		if err != nil || d.Digest.String() != got[0].Digest {
			t.Errorf("%s: %v %v", tag, d, err)
		}
	}
	img, err := remote.Image(mustRef(t, got[0].Reference))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	checkTree(t, img, ls[0].Zip)
	cf, _ := img.ConfigFile()
	if cf.Created.Unix() != 0 || cf.Config.Labels["org.opencontainers.image.created"] != "" {
		t.Errorf("no commit time: created %v, labels %v", cf.Created, cf.Config.Labels)
	}
}

// The same zips give the same digests whatever else differs (paths, a rebuild of the zip); another
// commit changes the manifests but not the layer blob.
func TestDeterministic(t *testing.T) {
	a := buildSets(t, layers(t, t.TempDir(), "x86_64", "arm64"), meta)
	b := buildSets(t, layers(t, t.TempDir(), "arm64", "x86_64"), meta)
	for i := range a {
		da, _ := a[i].Digest()
		db, _ := b[i].Digest()
		if da != db {
			t.Errorf("set digests differ: %s %s", da, db)
		}
	}
	other := meta
	other.Revision = "fedcba9876543210fedcba9876543210fedcba98"
	c := buildSets(t, layers(t, t.TempDir(), "x86_64"), other)
	la, _ := a[0].Images[0].Layers()
	lc, _ := c[0].Images[0].Layers()
	dla, _ := la[0].Digest()
	dlc, _ := lc[0].Digest()
	ma, _ := a[0].Images[0].Digest()
	mc, _ := c[0].Images[0].Digest()
	if dla != dlc || ma == mc {
		t.Errorf("another commit: layer %s vs %s (want equal), manifest %s vs %s (want different)", dla, dlc, ma, mc)
	}
}

// A second push of the same zips makes no write at all; a push from another commit with the same zips
// keeps the first push's manifests and uploads nothing.
func TestSecondPushUploadsNothing(t *testing.T) {
	rec, repo := newRegistry(t)
	dir := t.TempDir()
	first, err := Push(t.Context(), repo, buildSets(t, layers(t, dir, "x86_64", "arm64"), meta), anon)
	if err != nil {
		t.Fatal(err)
	}
	other := meta
	other.Revision = "fedcba9876543210fedcba9876543210fedcba98"
	for _, m := range []Meta{meta, other} {
		rec.reset()
		sets := buildSets(t, layers(t, t.TempDir(), "x86_64", "arm64"), m)
		again, err := Push(t.Context(), repo, sets, anon)
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range sets[0].Images {
			if img.Image.(*lazyImage).img != nil {
				t.Errorf("revision %s: the %s layer was compressed though the registry had it", m.Revision[:7], img.Arch)
			}
		}
		if n := rec.count(func(r string) bool { return !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") }); n != 0 {
			t.Errorf("revision %s: %d writes on a second push: %q", m.Revision[:7], n, rec.reqs)
		}
		for i := range again {
			if again[i].Digest != first[i].Digest || !again[i].Unchanged {
				t.Errorf("revision %s: %+v, first %+v", m.Revision[:7], again[i], first[i])
			}
		}
	}
}

// New content moves the moving tags and leaves the old immutable ones; only the new blobs go up.
func TestChangedContentMovesTags(t *testing.T) {
	rec, repo := newRegistry(t)
	first, err := Push(t.Context(), repo, buildSets(t, layers(t, t.TempDir(), "x86_64"), meta), anon)
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	s := specs("x86_64")
	s[1].Version = "2.1"
	zip := writeZip(t, t.TempDir(), "x86_64", s...)
	second, err := Push(t.Context(), repo, buildSets(t, []Layer{{Name: "api", Runtime: "python3.12", Arch: "x86_64", Zip: zip}}, meta), anon)
	if err != nil {
		t.Fatal(err)
	}
	if second[0].Digest == first[0].Digest || second[0].Unchanged {
		t.Fatalf("%+v", second[0])
	}
	for _, ref := range []string{second[0].Reference, repo + ":api-python3.12-x86_64"} {
		if d, err := remote.Head(mustRef(t, ref)); err != nil || d.Digest.String() != second[0].Digest {
			t.Errorf("%s: %v %v", ref, d, err)
		}
	}
	if d, err := remote.Head(mustRef(t, repo+":"+first[0].Tags[1])); err != nil || d.Digest.String() != first[0].Digest {
		t.Errorf("old immutable tag: %v %v", d, err)
	}
	// One layer and one config blob: two uploads.
	if n := rec.count(func(r string) bool { return strings.HasPrefix(r, "POST ") }); n != 2 {
		t.Errorf("%d uploads started, want 2: %q", n, rec.reqs)
	}
}

func TestAuthFailure(t *testing.T) {
	for _, st := range []int{http.StatusForbidden, http.StatusUnauthorized} {
		t.Run(fmt.Sprint(st), func(t *testing.T) {
			rec, repo := newRegistry(t)
			rec.refuse = func(r *http.Request, _ int) int {
				if isWrite(r) {
					return st
				}
				return 0
			}
			_, err := Push(t.Context(), repo, buildSets(t, layers(t, t.TempDir(), "x86_64", "arm64"), meta), anon)
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Status != st || ae.Repository != repo {
				t.Fatalf("err = %v", err)
			}
			if msg := err.Error(); !strings.Contains(msg, repo) || !strings.Contains(msg, fmt.Sprint(st)) || !strings.Contains(msg, "docker login") {
				t.Errorf("message: %s", msg)
			}
			checkNoDangling(t, repo)
		})
	}
	msg := (&AuthError{Repository: "ghcr.io/acme/layers", Status: 403}).Error()
	if !strings.Contains(msg, "ghcr.io/acme/layers") || !strings.Contains(msg, "packages: write") {
		t.Errorf("ghcr message: %s", msg)
	}
}

// Whichever write the registry refuses, every tag left names a complete image or index.
func TestNoTagNamesAMissingManifest(t *testing.T) {
	rec, repo := newRegistry(t)
	ls := layers(t, t.TempDir(), "x86_64", "arm64")
	if _, err := Push(t.Context(), repo, buildSets(t, ls, meta), anon); err != nil {
		t.Fatal(err)
	}
	total := rec.writes
	t.Logf("a full push makes %d writes; refusing each in turn", total)
	for k := 1; k <= total; k++ {
		rec, repo := newRegistry(t)
		rec.refuse = func(r *http.Request, writes int) int {
			if isWrite(r) && writes == k {
				return http.StatusForbidden
			}
			return 0
		}
		if _, err := Push(t.Context(), repo, buildSets(t, ls, meta), anon); err == nil {
			t.Fatalf("write %d of %d refused, and Push succeeded", k, total)
		}
		checkNoDangling(t, repo)
	}
}

// checkNoDangling validates everything every tag in repo names.
func checkNoDangling(t *testing.T, repo string) {
	t.Helper()
	r, _ := name.NewRepository(repo)
	tags, err := remote.List(r)
	if err != nil {
		return // no repository: nothing tagged
	}
	for _, tag := range tags {
		d, err := remote.Get(r.Tag(tag))
		if err != nil {
			t.Errorf("tag %s: %v", tag, err)
			continue
		}
		if d.MediaType.IsIndex() {
			idx, err := d.ImageIndex()
			if err == nil {
				err = validate.Index(idx)
			}
			if err != nil {
				t.Errorf("tag %s: %v", tag, err)
			}
			continue
		}
		img, err := d.Image()
		if err == nil {
			err = validate.Image(img)
		}
		if err != nil {
			t.Errorf("tag %s: %v", tag, err)
		}
	}
}

func TestLayout(t *testing.T) {
	ls := layers(t, t.TempDir(), "x86_64", "arm64")
	sets := buildSets(t, ls, meta)
	dir := t.TempDir()
	if err := WriteLayout(dir, sets); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	refs := map[string]v1.Hash{}
	for _, d := range im.Manifests {
		refs[d.Annotations[refName]] = d.Digest
	}
	plan, _ := Plan("example.com/acme/layers", sets)
	for _, p := range plan {
		for _, tag := range p.Tags {
			if refs[tag].String() != p.Digest {
				t.Errorf("layout %s = %s, want %s", tag, refs[tag], p.Digest)
			}
		}
	}
	if len(refs) != 6 {
		t.Errorf("layout names %d tags: %v", len(refs), refs)
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	ls := layers(t, dir, "x86_64")
	for _, tc := range []struct {
		l    Layer
		want string
	}{
		{Layer{Name: "api", Runtime: "python3.12", Arch: "ppc64le", Zip: ls[0].Zip}, "architecture"},
		{Layer{Name: "api", Runtime: "python3.12", Arch: "x86_64", Zip: ls[0].Zip, SHA256: strings.Repeat("0", 64)}, "changed since the report"},
		{Layer{Name: "api", Runtime: "python3.12", Arch: "x86_64", Zip: dir + "/nope.zip"}, "opening layer zip"},
		{Layer{Name: strings.Repeat("n", 120), Runtime: "python3.12", Arch: "x86_64", Zip: ls[0].Zip}, "not a valid image tag"},
	} {
		if _, err := Build([]Layer{tc.l}, meta); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.l, err, tc.want)
		}
	}
	if _, err := Build([]Layer{ls[0], ls[0]}, meta); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}
}

// An immutable tag that names something else (pushed by another tool) is refused, not moved or kept.
func TestImmutableTagWithOtherContent(t *testing.T) {
	_, repo := newRegistry(t)
	ls := layers(t, t.TempDir(), "x86_64")
	sets := buildSets(t, ls, meta)
	_, immutable := sets[0].Images[0].Tags()
	other, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mustRef(t, repo+":"+immutable), other); err != nil {
		t.Fatal(err)
	}
	_, err = Push(t.Context(), repo, sets, anon)
	if err == nil || !strings.Contains(err.Error(), "already names other content") || !strings.Contains(err.Error(), immutable) {
		t.Fatalf("err = %v", err)
	}
	if _, err := remote.Head(mustRef(t, repo+":api-python3.12-x86_64")); err == nil {
		t.Error("the moving tag was set anyway")
	}
}

// A run that builds one architecture of a layer built for two elsewhere (a matrix leg) pushes only that
// architecture's tags: the layer-wide tag keeps naming the index.
func TestPartialPushesOnlyArchTags(t *testing.T) {
	_, repo := newRegistry(t)
	both, err := Push(t.Context(), repo, buildSets(t, layers(t, t.TempDir(), "x86_64", "arm64"), meta), anon)
	if err != nil {
		t.Fatal(err)
	}
	s := specs("arm64")
	s[1].Version = "2.1"
	leg := []Layer{{Name: "api", Runtime: "python3.12", Arch: "arm64", Zip: writeZip(t, t.TempDir(), "arm64", s...), Partial: true}}
	sets := buildSets(t, leg, meta)
	plan, _ := Plan(repo, sets)
	got, err := Push(t.Context(), repo, sets, anon)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Arch != "arm64" || got[0].Reference != repo+":api-python3.12-arm64" || len(got[0].Tags) != 2 || fmt.Sprint(got) != fmt.Sprint(plan) {
		t.Fatalf("pushed %+v, plan %+v", got, plan)
	}
	if d, err := remote.Head(mustRef(t, repo+":api-python3.12")); err != nil || d.Digest.String() != both[2].Digest {
		t.Errorf("the layer-wide tag moved: %v %v", d, err)
	}
	if d, err := remote.Head(mustRef(t, repo+":api-python3.12-arm64")); err != nil || d.Digest.String() != got[0].Digest {
		t.Errorf("the arm64 tag: %v %v", d, err)
	}
}

package resolve_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// memSource is an index in memory: projects from wheeltest specs, metadata from the same specs.
type memSource struct {
	projects map[string][]index.File
	meta     map[string][]byte
	calls    atomic.Int64
	mu       sync.Mutex
	asked    map[string]int
}

func newSource(specs ...wheeltest.Spec) *memSource {
	s := &memSource{projects: map[string][]index.File{}, meta: map[string][]byte{}, asked: map[string]int{}}
	for _, sp := range specs {
		sum := sha256.Sum256(wheeltest.Build(sp))
		f := index.File{Filename: sp.Filename(), URL: "https://files.example/" + sp.Filename(),
			Hashes: map[string]string{"sha256": hex.EncodeToString(sum[:])}, RequiresPython: sp.RequiresPython}
		k := pep508.NormalizeName(sp.Name)
		s.projects[k] = append(s.projects[k], f)
		s.meta[f.URL] = sp.Metadata()
	}
	return s
}

func (s *memSource) Project(_ context.Context, name string) (index.Project, error) {
	files, ok := s.projects[name]
	if !ok {
		return index.Project{}, &index.NotFoundError{Name: name, Indexes: []string{"https://pypi.example/simple/"}}
	}
	return index.Project{Name: name, Files: slices.Clone(files)}, nil
}

func (s *memSource) Metadata(_ context.Context, f index.File) ([]byte, error) {
	s.calls.Add(1)
	s.mu.Lock()
	s.asked[f.Filename]++
	s.mu.Unlock()
	if b, ok := s.meta[f.URL]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("no metadata for %s", f.Filename)
}

func reqs(t *testing.T, lines ...string) []resolve.Requirement {
	t.Helper()
	var out []resolve.Requirement
	for i, l := range lines {
		q, err := pep508.ParseRequirement(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resolve.Requirement{Requirement: q, Origin: fmt.Sprintf("requirements.txt:%d", i+1)})
	}
	return out
}

func tgt(t *testing.T, rt, arch string) target.Target {
	t.Helper()
	x, err := target.Parse(rt, arch)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func resolveOK(t *testing.T, src resolve.Source, rs []resolve.Requirement, opts resolve.Options) map[string]string {
	t.Helper()
	if opts.Target.Name == "" {
		opts.Target = tgt(t, "python3.12", "x86_64")
	}
	res, err := resolve.Resolve(context.Background(), src, rs, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range res.Packages {
		got[p.Name] = p.Version.String()
	}
	return got
}

func TestBacktracksToAnOlderParent(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "a", Version: "2.0", Requires: []string{"c>=2"}},
		wheeltest.Spec{Name: "a", Version: "1.0", Requires: []string{"c<2"}},
		wheeltest.Spec{Name: "b", Version: "1.0", Requires: []string{"c<2"}},
		wheeltest.Spec{Name: "c", Version: "1.5"},
		wheeltest.Spec{Name: "c", Version: "2.5"},
	)
	got := resolveOK(t, src, reqs(t, "a", "b"), resolve.Options{})
	if fmt.Sprint(got) != "map[a:1.0 b:1.0 c:1.5]" {
		t.Errorf("got %v", got)
	}
}

func TestConstraintsRestrictButNeverAdd(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "a", Version: "1.0", Requires: []string{"c"}},
		wheeltest.Spec{Name: "c", Version: "1.0"},
		wheeltest.Spec{Name: "c", Version: "2.0"},
		wheeltest.Spec{Name: "d", Version: "1.0"},
	)
	got := resolveOK(t, src, reqs(t, "a"), resolve.Options{Constraints: reqs(t, "c<2", "d==1.0")})
	if fmt.Sprint(got) != "map[a:1.0 c:1.0]" {
		t.Errorf("got %v, want c held below 2 and no d", got)
	}
}

func TestHashesChooseTheFile(t *testing.T) {
	t.Parallel()
	pure := wheeltest.Spec{Name: "lib", Version: "1.0"}
	native := wheeltest.Spec{Name: "lib", Version: "1.0", Tag: "cp312-cp312-manylinux_2_17_x86_64"}
	src := newSource(pure, native)
	sum := sha256.Sum256(wheeltest.Build(pure))
	rs := reqs(t, "lib==1.0")
	rs[0].Hashes = []string{"sha256:" + hex.EncodeToString(sum[:])}
	res, err := resolve.Resolve(context.Background(), src, rs, resolve.Options{Target: tgt(t, "python3.12", "x86_64")})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Packages[0].File.Filename; f != pure.Filename() {
		t.Errorf("chose %s; the user's hash names %s", f, pure.Filename())
	}
	res, _ = resolve.Resolve(context.Background(), src, reqs(t, "lib==1.0"), resolve.Options{Target: tgt(t, "python3.12", "x86_64")})
	if f := res.Packages[0].File.Filename; f != native.Filename() {
		t.Errorf("without hashes chose %s, want the native wheel (better tag)", f)
	}
}

func TestExtrasAreUnioned(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "web", Version: "1.0", Extras: []string{"socks", "Fast_JSON"}, Requires: []string{
			`pysocks ; extra == "socks"`, `orjson ; extra == "fast-json"`, "certifi"}},
		wheeltest.Spec{Name: "plugin", Version: "1.0", Requires: []string{"web[fast.json]"}},
		wheeltest.Spec{Name: "pysocks", Version: "1.7"},
		wheeltest.Spec{Name: "orjson", Version: "3.0"},
		wheeltest.Spec{Name: "certifi", Version: "1"},
	)
	res, err := resolve.Resolve(context.Background(), src, reqs(t, "web[SOCKS]", "plugin"), resolve.Options{Target: tgt(t, "python3.12", "x86_64")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range res.Packages {
		names = append(names, p.Name)
		if p.Name == "web" && fmt.Sprint(p.Extras) != "[fast-json socks]" {
			t.Errorf("web extras %v, want both, normalized (PEP 685)", p.Extras)
		}
	}
	if fmt.Sprint(names) != "[certifi orjson plugin pysocks web]" {
		t.Errorf("got %v", names)
	}
}

func TestSkipsVersionsWithoutAWheel(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "fast", Version: "3.0", Tag: "cp312-cp312-manylinux_2_39_x86_64"},
		wheeltest.Spec{Name: "fast", Version: "2.0", Tag: "cp312-cp312-musllinux_1_2_x86_64"},
		wheeltest.Spec{Name: "fast", Version: "1.0", Tag: "cp312-cp312-manylinux2014_x86_64"},
	)
	if got := resolveOK(t, src, reqs(t, "fast"), resolve.Options{}); got["fast"] != "1.0" {
		t.Errorf("got %v, want 1.0 (3.0 needs glibc 2.39, 2.0 is musl)", got)
	}
}

func TestRequiresPythonFromMetadataBacktracks(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "m", Version: "2.0", ExtraMetadata: "Requires-Python: >=3.13\n"},
		wheeltest.Spec{Name: "m", Version: "1.0"},
	)
	if got := resolveOK(t, src, reqs(t, "m"), resolve.Options{}); got["m"] != "1.0" {
		t.Errorf("got %v: the index did not say, METADATA did", got)
	}
}

func TestPrereleasesOnlyWhenAskedOrAlone(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "p", Version: "1.0"}, wheeltest.Spec{Name: "p", Version: "2.0b1"},
		wheeltest.Spec{Name: "only", Version: "0.1a1"},
	)
	if got := resolveOK(t, src, reqs(t, "p", "only"), resolve.Options{}); fmt.Sprint(got) != "map[only:0.1a1 p:1.0]" {
		t.Errorf("got %v", got)
	}
	if got := resolveOK(t, src, reqs(t, "p>=2.0b1"), resolve.Options{}); got["p"] != "2.0b1" {
		t.Errorf("got %v", got)
	}
	if got := resolveOK(t, src, reqs(t, "p"), resolve.Options{Pre: true}); got["p"] != "2.0b1" {
		t.Errorf("--pre: got %v", got)
	}
}

func TestDeterministicUnderConcurrency(t *testing.T) {
	t.Parallel()
	var specs []wheeltest.Spec
	for i := range 30 {
		for v := 1; v <= 3; v++ {
			var deps []string
			for j := i + 1; j < 30 && j < i+4; j++ {
				deps = append(deps, fmt.Sprintf("p%d>=%d", j, (i+v)%3+1))
			}
			specs = append(specs, wheeltest.Spec{Name: fmt.Sprintf("p%d", i), Version: fmt.Sprintf("%d.0", v), Requires: deps})
		}
	}
	src := newSource(specs...)
	var first string
	for range 10 {
		got := fmt.Sprint(resolveOK(t, src, reqs(t, "p0", "p5<3", "p9"), resolve.Options{Concurrency: 16}))
		if first == "" {
			first = got
		} else if got != first {
			t.Fatalf("resolution changed between runs:\n%s\n%s", first, got)
		}
	}
}

func TestMetadataFetchedOncePerFile(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "a", Version: "1.0", Requires: []string{"c", "b"}},
		wheeltest.Spec{Name: "b", Version: "1.0", Requires: []string{"c"}},
		wheeltest.Spec{Name: "c", Version: "1.0"},
	)
	resolveOK(t, src, reqs(t, "a", "b", "c"), resolve.Options{})
	for f, n := range src.asked {
		if n != 1 {
			t.Errorf("metadata of %s fetched %d times", f, n)
		}
	}
}

func TestErrorsAreTyped(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "a", Version: "1.0", Requires: []string{"c==1.0"}},
		wheeltest.Spec{Name: "b", Version: "1.0", Requires: []string{"c==2.0"}},
		wheeltest.Spec{Name: "c", Version: "1.0"}, wheeltest.Spec{Name: "c", Version: "2.0"},
	)
	opts := resolve.Options{Target: tgt(t, "python3.12", "x86_64")}
	_, err := resolve.Resolve(context.Background(), src, reqs(t, "a", "b"), opts)
	var ce *resolve.ConflictError
	if !errors.As(err, &ce) || ce.Package != "c" || len(ce.Demands) != 2 || ce.Root != "requirements.txt:1" {
		t.Errorf("want a ConflictError on c with both demands, got %#v", err)
	}
	_, err = resolve.Resolve(context.Background(), src, reqs(t, "nope"), opts)
	var nv *resolve.NoVersionError
	if !errors.As(err, &nv) || nv.NotFound == "" || nv.Root != "requirements.txt:1" {
		t.Errorf("want a NoVersionError for a missing project, got %v", err)
	}
}

func TestPinnedAndVerify(t *testing.T) {
	t.Parallel()
	a := wheeltest.Spec{Name: "a", Version: "1.0", Requires: []string{"b>=2", `c ; python_version < "3.10"`}}
	b := wheeltest.Spec{Name: "b", Version: "2.1"}
	src := newSource(a, b, wheeltest.Spec{Name: "b", Version: "3.0"})
	hash := func(s wheeltest.Spec) string {
		sum := sha256.Sum256(wheeltest.Build(s))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	rs := reqs(t, "a==1.0", "b==2.1")
	rs[0].Hashes, rs[1].Hashes = []string{hash(a)}, []string{hash(b)}
	opts := resolve.Options{Target: tgt(t, "python3.12", "x86_64")}
	res, err := resolve.Pinned(context.Background(), src, rs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := src.calls.Load(); n != 0 {
		t.Errorf("Pinned read %d metadata files, want none", n)
	}
	for _, p := range res.Packages {
		md, _ := wheel.ParseMetadata(src.meta[p.File.URL])
		p.Metadata = &md
	}
	if err := resolve.Verify(res, opts.Target); err != nil {
		t.Errorf("a complete lock: %v", err)
	}
	res.Packages = res.Packages[:1] // drop b
	err = resolve.Verify(res, opts.Target)
	var ie *resolve.IncompleteError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "requires b>=2, which is not pinned") {
		t.Errorf("want b reported missing, got %v", err)
	}
	_, err = resolve.Pinned(context.Background(), src, reqs(t, "a>=1"), opts)
	if err == nil {
		t.Error("Pinned accepted an unpinned requirement")
	}
}

// When the newest version loads on no Lambda runtime at all (its wheels need glibc 2.39), the hint
// names an older allowed version and the runtimes that load it.
func TestNoVersionHintOlderRelease(t *testing.T) {
	t.Parallel()
	src := newSource(
		wheeltest.Spec{Name: "fastcrc", Version: "1.0.0", Tag: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"},
		wheeltest.Spec{Name: "fastcrc", Version: "1.1.0", Tag: "cp312-cp312-manylinux_2_39_x86_64"},
	)
	_, err := resolve.Resolve(context.Background(), src, reqs(t, "fastcrc"), resolve.Options{Target: tgt(t, "python3.13", "x86_64")})
	var nv *resolve.NoVersionError
	if !errors.As(err, &nv) || nv.Hint != "fastcrc 1.0.0 loads on python3.12 x86_64" {
		t.Errorf("want a hint naming fastcrc 1.0.0 on python3.12, got %v", err)
	}
}

// TestMetadataOfAnotherProject: a wheel whose metadata names another project (or version) than its
// file name is refused with that reason; the explanation said "its own requirements cannot be met (see
// above)" with nothing above.
func TestMetadataOfAnotherProject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		meta wheeltest.Spec
		want string
	}{
		{wheeltest.Spec{Name: "other", Version: "1.0"}, "evil 1.0: its metadata names other, not evil"},
		{wheeltest.Spec{Name: "evil", Version: "2.0"}, "evil 1.0: its metadata says version 2.0"},
	} {
		src := newSource(wheeltest.Spec{Name: "evil", Version: "1.0"})
		src.meta["https://files.example/evil-1.0-py3-none-any.whl"] = tc.meta.Metadata()
		_, err := resolve.Resolve(context.Background(), src, reqs(t, "evil"), resolve.Options{Target: tgt(t, "python3.12", "x86_64")})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "see above") {
			t.Errorf("metadata of %s %s: got %v, want %q", tc.meta.Name, tc.meta.Version, err, tc.want)
		}
	}
}

// TestConstraintsOverManyLines: a package's -c lines are intersected, specifiers and hashes alike, as
// if they were one line.
func TestConstraintsOverManyLines(t *testing.T) {
	t.Parallel()
	var specs []wheeltest.Spec
	for _, v := range []string{"1.0", "1.1", "1.2", "2.0"} {
		specs = append(specs, wheeltest.Spec{Name: "c", Version: v})
	}
	src := newSource(specs...)
	hash := func(v string) string {
		sum := sha256.Sum256(wheeltest.Build(wheeltest.Spec{Name: "c", Version: v}))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	got := resolveOK(t, src, reqs(t, "c"), resolve.Options{Constraints: reqs(t, "c>=1.0", "c<2", "c!=1.2", "C >= 1.0")})
	if fmt.Sprint(got) != "map[c:1.1]" {
		t.Errorf("got %v, want c 1.1 (>=1.0, <2, !=1.2)", got)
	}

	cons := reqs(t, "c<2", "c", "c")
	cons[1].Hashes = []string{hash("1.0"), hash("1.1")}
	cons[2].Hashes = []string{hash("1.0"), hash("2.0")}
	res, err := resolve.Resolve(context.Background(), src, reqs(t, "c"), resolve.Options{Target: tgt(t, "python3.12", "x86_64"), Constraints: cons})
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Packages[0]; p.Version.String() != "1.0" || fmt.Sprint(p.Hashes) != fmt.Sprint([]string{hash("1.0")}) {
		t.Errorf("got %s %v, want c 1.0 with the one hash both lines allow", p.Version, p.Hashes)
	}
}

package run

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// result is one in-process run of the binary's Main.
type result struct {
	code           int
	stdout, stderr string
	report         report.Report
	out            string
}

func runMain(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), build.Env{
		Getenv: func(k string) string { return env[k] },
		Stdout: &stdout, Stderr: &stderr,
	}, args)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for i, a := range args {
		if a == "--out" && i+1 < len(args) {
			r.out = args[i+1]
		}
	}
	if b, err := os.ReadFile(filepath.Join(r.out, "report.json")); err == nil {
		if err := json.Unmarshal(b, &r.report); err != nil {
			t.Fatalf("report.json does not parse: %v", err)
		}
	}
	return r
}

// buildWith writes a requirements file and builds it against srv for the targets.
func buildWith(t *testing.T, srv *indextest.Server, reqs, runtimes, archs string, extra ...string) result {
	t.Helper()
	dir := t.TempDir()
	req := filepath.Join(dir, "app", "requirements.txt")
	os.MkdirAll(filepath.Dir(req), 0o755)
	if err := os.WriteFile(req, []byte(reqs), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"build", "-r", req, "--runtime", runtimes, "--arch", archs,
		"--index-url", srv.URL, "--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache")}
	return runMain(t, nil, append(args, extra...)...)
}

func versions(l report.Layer) map[string]string {
	m := map[string]string{}
	for _, p := range l.Packages {
		m[p.Name] = p.Version
	}
	return m
}

func wheelOf(l report.Layer, name string) string {
	for _, p := range l.Packages {
		if p.Name == name {
			return p.Wheel
		}
	}
	return ""
}

func mustOK(t *testing.T, r result) {
	t.Helper()
	if r.code != exitcode.OK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nreport: %+v", r.code, r.stdout, r.stderr, r.report)
	}
}

func TestGlibcChoicePerRuntime(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{
		{Name: "fastlib", Version: "1.0", Tag: "cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"},
		{Name: "fastlib", Version: "2.0", Tag: "cp39-abi3-manylinux_2_28_x86_64"},
	})
	r := buildWith(t, srv, "fastlib\n", "python3.11,python3.12", "x86_64")
	mustOK(t, r)
	if got := versions(r.report.Layers[0])["fastlib"]; got != "1.0" {
		t.Errorf("python3.11 (glibc 2.26) chose fastlib %s, want 1.0 (2.0 has only manylinux_2_28)", got)
	}
	if got := versions(r.report.Layers[1])["fastlib"]; got != "2.0" {
		t.Errorf("python3.12 (glibc 2.34) chose fastlib %s, want 2.0", got)
	}
}

func TestArchAndABI3(t *testing.T) {
	t.Parallel()
	x86 := wheeltest.Spec{Name: "native", Version: "1.0", Tag: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
		Files: []wheeltest.File{{Name: "native/_impl.so", Data: []byte("x86_64 code")}}}
	arm := x86
	arm.Tag = "cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64"
	arm.Files = []wheeltest.File{{Name: "native/_impl.so", Data: []byte("aarch64 code")}}
	abi3 := wheeltest.Spec{Name: "stable", Version: "3.0", Tag: "cp38-abi3-manylinux2014_aarch64"}
	srv := indextest.New(t, []wheeltest.Spec{x86, arm, abi3,
		{Name: "stable", Version: "3.0", Tag: "cp38-abi3-manylinux2014_x86_64"},
		{Name: "stable", Version: "3.0", Tag: "cp38-abi3-musllinux_1_2_aarch64"}})
	r := buildWith(t, srv, "native\nstable\n", "python3.12", "x86_64,arm64")
	mustOK(t, r)
	for i, want := range []string{"x86_64 code", "aarch64 code"} {
		l := r.report.Layers[i]
		got := readZipFile(t, l.Zip, "python/lib/python3.12/site-packages/native/_impl.so")
		if got != want {
			t.Errorf("%s: native/_impl.so = %q, want %q", l.Architecture, got, want)
		}
		if w := wheelOf(l, "stable"); !strings.Contains(w, "cp38-abi3-manylinux2014_"+map[int]string{0: "x86_64", 1: "aarch64"}[i]) {
			t.Errorf("%s: stable wheel = %s, want the abi3 manylinux2014 one", l.Architecture, w)
		}
	}
}

func TestRequiresPythonAndYanked(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{
		{Name: "modern", Version: "1.0"},
		{Name: "modern", Version: "2.0", RequiresPython: ">=3.13"},
		{Name: "yankme", Version: "1.0"},
		{Name: "yankme", Version: "2.0"},
		{Name: "fresh", Version: "1.0"},
		{Name: "fresh", Version: "1.1rc1"},
	}, indextest.Yank("yankme-2.0-py3-none-any.whl", "broken"))
	r := buildWith(t, srv, "modern\nyankme\nfresh\n", "python3.12,python3.13", "x86_64")
	mustOK(t, r)
	if v := versions(r.report.Layers[0]); v["modern"] != "1.0" || v["yankme"] != "1.0" || v["fresh"] != "1.0" {
		t.Errorf("python3.12 chose %v, want modern 1.0 (2.0 requires 3.13), yankme 1.0 (2.0 yanked), fresh 1.0 (no pre-releases)", v)
	}
	if v := versions(r.report.Layers[1]); v["modern"] != "2.0" {
		t.Errorf("python3.13 chose modern %s, want 2.0", v["modern"])
	}
	r = buildWith(t, srv, "yankme==2.0\nfresh>=1.1rc1\n", "python3.12", "x86_64")
	mustOK(t, r)
	if v := versions(r.report.Layers[0]); v["yankme"] != "2.0" || v["fresh"] != "1.1rc1" {
		t.Errorf("an exact pin takes a yanked release and a pre-release specifier allows pre-releases; got %v", v)
	}
	// PEP 592: an installer that selects a yanked file warns, with the reason (as pip and uv do).
	if w := strings.Join(r.report.Layers[0].Warnings, "\n"); !strings.Contains(w, "yankme 2.0 is yanked (broken)") || !strings.Contains(w, "requirements.txt:1") {
		t.Errorf("no warning names the yanked release, its reason and the pin that chose it: %q", w)
	}
}

func TestDependenciesMarkersAndExtras(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{
		{Name: "App", Version: "1.0", Extras: []string{"fast"}, Requires: []string{
			"base-dep>=1",
			`arm-only ; platform_machine == "aarch64"`,
			`old-py ; python_version < "3.12"`,
			`speedups ; extra == "fast"`,
		}},
		{Name: "base_dep", Version: "1.5"},
		{Name: "arm-only", Version: "1.0"},
		{Name: "old-py", Version: "1.0"},
		{Name: "speedups", Version: "1.0"},
	})
	r := buildWith(t, srv, "app[Fast]\n", "python3.11,python3.12", "arm64")
	mustOK(t, r)
	v311, v312 := versions(r.report.Layers[0]), versions(r.report.Layers[1])
	for _, n := range []string{"app", "base-dep", "arm-only", "speedups", "old-py"} {
		if v311[n] == "" {
			t.Errorf("python3.11 arm64 is missing %s: %v", n, v311)
		}
	}
	if v312["old-py"] != "" {
		t.Errorf("python3.12 must not get old-py (marker python_version < 3.12 is evaluated for the target): %v", v312)
	}
	r = buildWith(t, srv, "app\n", "python3.12", "x86_64")
	mustOK(t, r)
	if v := versions(r.report.Layers[0]); v["arm-only"] != "" || v["speedups"] != "" {
		t.Errorf("x86_64 without the extra must get neither arm-only nor speedups: %v", v)
	}
}

func TestFailuresNamePackageAndPlace(t *testing.T) {
	t.Parallel()
	good := wheeltest.Spec{Name: "good", Version: "1.0"}
	slip := wheeltest.Spec{Name: "slip", Version: "1.0", Files: []wheeltest.File{{Name: "../../evil.py", Data: []byte("x")}}}
	needsSdist := wheeltest.Spec{Name: "needs-sdist", Version: "1.0", Requires: []string{"sdistonly"}}
	armOnly := wheeltest.Spec{Name: "numpyish", Version: "2.1.0", Tag: "cp311-cp311-manylinux_2_28_aarch64"}
	srv := indextest.New(t, []wheeltest.Spec{good, slip, needsSdist, armOnly},
		indextest.ExtraFile("sdistonly", "sdistonly-1.0.tar.gz", []byte("not really"), ""))
	goodSHA := sha256hex(wheeltest.Build(good))
	for _, c := range []struct {
		name, reqs, arch string
		want             []string
		pkg              string
		line             int
	}{
		{"hash mismatch", "good==1.0 --hash=sha256:" + strings.Repeat("0", 64) + "\n", "x86_64",
			[]string{"good 1.0", "hash mismatch", "requirements.txt:1", goodSHA}, "good 1.0", 1},
		{"zip slip", "good\nslip\n", "x86_64", []string{"slip", "../../evil.py"}, "", 0},
		{"sdist only", "good\nneeds-sdist\n", "x86_64", []string{"sdistonly 1.0: only an sdist (sdistonly-1.0.tar.gz)"}, "sdistonly", 2},
		{"no wheel for glibc", "\n\nnumpyish\n", "arm64",
			[]string{"requirements.txt:3: no version of numpyish can be installed on python3.11 arm64", "numpyish 2.1.0: no wheel for python3.11 on arm64 (glibc ≤ 2.26); files offer manylinux_2_28_aarch64"}, "numpyish", 3},
		{"missing package", "nosuchthing>=1\n", "x86_64", []string{"requirements.txt:1", "nosuchthing"}, "nosuchthing", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := buildWith(t, srv, c.reqs, "python3.11", c.arch)
			if r.code != exitcode.Failed {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, exitcode.Failed, r.stdout, r.stderr)
			}
			if len(r.report.Layers) != 1 || r.report.Layers[0].Error == nil {
				t.Fatalf("report must carry the failure: %+v", r.report)
			}
			f := r.report.Layers[0].Error
			for _, w := range c.want {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message %q lacks %q", f.Message, w)
				}
				if !strings.Contains(r.stdout, w) {
					t.Errorf("terminal output lacks %q:\n%s", w, r.stdout)
				}
			}
			if c.pkg != "" && f.Package != c.pkg {
				t.Errorf("package = %q, want %q", f.Package, c.pkg)
			}
			if c.line != 0 && (f.Line != c.line || !strings.HasSuffix(f.File, "requirements.txt")) {
				t.Errorf("position = %s:%d, want requirements.txt:%d", f.File, f.Line, c.line)
			}
		})
	}
}

func TestZipLayoutAndReproducible(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{
		{Name: "alpha", Version: "1.0", Requires: []string{"beta"}, Files: []wheeltest.File{
			{Name: "alpha/__init__.py", Data: []byte("A = 1\n")},
			{Name: "alpha/__pycache__/__init__.cpython-312.pyc", Data: []byte("stale")},
			{Name: "alpha-1.0.data/purelib/alpha_extra.py", Data: []byte("E = 1\n")},
			{Name: "alpha-1.0.data/scripts/alpha-cli", Data: []byte("#!python\n"), Mode: 0o755},
		}},
		{Name: "beta", Version: "2.0"},
	})
	dir := t.TempDir()
	req := filepath.Join(dir, "data", "requirements.txt")
	os.MkdirAll(filepath.Dir(req), 0o755)
	os.WriteFile(req, []byte("alpha\n"), 0o644)
	build := func(out, cache string) result {
		return runMain(t, nil, "build", "-r", req, "--runtime", "python3.12", "--index-url", srv.URL,
			"--out", filepath.Join(dir, out), "--cache-dir", filepath.Join(dir, cache))
	}
	cold := build("out1", "cacheA")
	mustOK(t, cold)
	l := cold.report.Layers[0]
	if l.Name != "data" || filepath.Base(l.Zip) != "data-python3.12-x86_64.zip" {
		t.Errorf("name %q zip %q: the default name is the requirements file's folder", l.Name, l.Zip)
	}
	names := zipNames(t, l.Zip)
	want := []string{
		"python/lib/python3.12/site-packages/alpha-1.0.dist-info/METADATA",
		"python/lib/python3.12/site-packages/alpha/__init__.py",
		"python/lib/python3.12/site-packages/alpha_extra.py",
		"python/lib/python3.12/site-packages/beta/__init__.py",
	}
	for _, w := range want {
		if !contains(names, w) {
			t.Errorf("zip lacks %s; has %v", w, names)
		}
	}
	for _, n := range names {
		if strings.Contains(n, "__pycache__") || strings.HasSuffix(n, ".pyc") || strings.Contains(n, "alpha-cli") || strings.Contains(n, ".data/") {
			t.Errorf("zip must not hold %s", n)
		}
	}
	if len(l.Dropped) == 0 {
		t.Error("the report must list dropped files (scripts, bytecode)")
	}
	downloads := srv.Requests("/files/")
	warm := build("out2", "cacheA")
	mustOK(t, warm)
	if got := srv.Requests("/files/") - downloads; got != 0 {
		t.Errorf("a warm build made %d file requests, want 0", got)
	}
	other := build("out3", "cacheB")
	mustOK(t, other)
	a, _ := os.ReadFile(l.Zip)
	for _, r := range []result{warm, other} {
		b, _ := os.ReadFile(r.report.Layers[0].Zip)
		if !bytes.Equal(a, b) || r.report.Layers[0].SHA256 != l.SHA256 {
			t.Errorf("builds with different cache states differ: %s vs %s", l.SHA256, r.report.Layers[0].SHA256)
		}
	}
	if l.CodeSHA256 == "" || len(l.Quotas) != 2 || l.Quotas[0].Name != "zipped-direct-upload" || l.Quotas[1].Name != "unzipped" {
		t.Errorf("report contract fields missing: %+v", l)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"build"},
		{"build", "-r", "x.txt"},
		{"build", "-r", "x.txt", "--runtime", "python3.8"},
		{"build", "-r", "x.txt", "--runtime", "python3.12", "--arch", "sparc"},
		{"build", "-r", "x.txt", "--runtime", "python3.12", "--refresh", "--offline"},
		{"frobnicate"},
	} {
		r := runMain(t, nil, args...)
		if r.code != exitcode.Usage || r.stderr == "" {
			t.Errorf("%v: exit %d stderr %q, want exit 2 with a message", args, r.code, r.stderr)
		}
	}
}

func readZipFile(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	var b bytes.Buffer
	b.ReadFrom(f)
	return b.String()
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestLocalWheelPath(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{{Name: "dep", Version: "1.0"}})
	dir := t.TempDir()
	local := wheeltest.Spec{Name: "inhouse", Version: "0.3", Requires: []string{"dep"}}
	os.MkdirAll(filepath.Join(dir, "app", "wheels"), 0o755)
	os.WriteFile(filepath.Join(dir, "app", "wheels", local.Filename()), wheeltest.Build(local), 0o644)
	req := filepath.Join(dir, "app", "requirements.txt")
	os.WriteFile(req, []byte("./wheels/"+local.Filename()+"\n"), 0o644)
	r := runMain(t, nil, "build", "-r", req, "--runtime", "python3.12", "--index-url", srv.URL,
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	mustOK(t, r)
	if v := versions(r.report.Layers[0]); v["inhouse"] != "0.3" || v["dep"] != "1.0" {
		t.Errorf("got %v, want the local wheel and its dependency from the index", v)
	}
}

// A wheel whose entry does not inflate to its CRC fails the build, and no zip is left behind even
// though the zip is written while verification runs.
func TestCorruptWheelPublishesNoZip(t *testing.T) {
	t.Parallel()
	spec := wheeltest.Spec{Name: "corrupt", Version: "1.0", Store: true,
		Files: []wheeltest.File{{Name: "corrupt/data.txt", Data: []byte("payload: CORRUPTME")}}}
	data := wheeltest.Build(spec)
	i := bytes.Index(data, []byte("CORRUPTME"))
	if i < 0 {
		t.Fatal("stored payload not found")
	}
	data[i] ^= 0x20 // same size, different CRC
	srv := indextest.New(t, []wheeltest.Spec{{Name: "fine", Version: "1.0"}},
		indextest.ExtraFile("corrupt", spec.Filename(), data, ""))
	r := buildWith(t, srv, "fine\ncorrupt\n", "python3.12", "x86_64")
	if r.code != exitcode.Failed {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitcode.Failed, r.stdout)
	}
	msg := r.report.Layers[0].Error.Message
	if !strings.Contains(msg, "corrupt/data.txt") || !strings.Contains(msg, "CRC") {
		t.Errorf("the failure must name the entry and the CRC: %q", msg)
	}
	zips, _ := filepath.Glob(filepath.Join(r.out, "*.zip"))
	left, _ := filepath.Glob(filepath.Join(r.out, ".layer-*"))
	if len(zips)+len(left) != 0 {
		t.Errorf("a failed verification must leave no zip: %v %v", zips, left)
	}
}

// TestDamagedCacheGivesTheColdZip: a cached wheel changed in place after a build (cut short, or a byte
// flipped as a bad restore of the cache folder leaves it) is downloaded again: the next build's zip is
// byte for byte the cold build's, never one made of the damaged bytes.
func TestDamagedCacheGivesTheColdZip(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{{Name: "alpha", Version: "1.0", Store: true,
		Files: []wheeltest.File{{Name: "alpha/data.txt", Data: bytes.Repeat([]byte("payload "), 512)}}}})
	dir := t.TempDir()
	req := writeReq(t, dir, "alpha\n")
	cache := filepath.Join(dir, "cache")
	build := func(out string) result {
		return runMain(t, nil, "build", "-r", req, "--runtime", "python3.12", "--index-url", srv.URL,
			"--out", filepath.Join(dir, out), "--cache-dir", cache)
	}
	cold := build("cold")
	mustOK(t, cold)
	wheels, _ := filepath.Glob(filepath.Join(cache, "v2", "wheels", "*.whl"))
	if len(wheels) != 1 {
		t.Fatalf("cache holds %v, want one wheel", wheels)
	}
	for _, damage := range []string{"flipped", "truncated"} {
		b, err := os.ReadFile(wheels[0])
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.Index(b, []byte("payload")); damage == "flipped" {
			b[i] ^= 0x20
		} else {
			b = b[:len(b)-100]
		}
		if err := os.WriteFile(wheels[0], b, 0o600); err != nil {
			t.Fatal(err)
		}
		r := build(damage)
		mustOK(t, r)
		if got, want := r.report.Layers[0].SHA256, cold.report.Layers[0].SHA256; got != want {
			t.Errorf("%s cached wheel: zip sha256 %s, the cold build's %s", damage, got, want)
		}
	}
}

package run

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// lockWheels: extras, a dependency shared by two packages, a version per architecture, a wheel per
// glibc level, and a package only one target needs.
func lockWheels() []wheeltest.Spec {
	x86 := "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"
	arm := "cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64"
	return []wheeltest.Spec{
		{Name: "web", Version: "3.0", Extras: []string{"socks"}, Requires: []string{"urllib3>=2", "certifi", `pysocks ; extra == "socks"`}},
		{Name: "cloud", Version: "1.35.0", Requires: []string{"urllib3<3,>=1.25", `armhelper ; platform_machine == "aarch64"`}},
		{Name: "urllib3", Version: "2.2.1"},
		{Name: "urllib3", Version: "3.0.0"},
		{Name: "certifi", Version: "2024.2.2"},
		{Name: "pysocks", Version: "1.7.1"},
		{Name: "armhelper", Version: "0.1"},
		{Name: "speed", Version: "2.0", Tag: x86},
		{Name: "speed", Version: "2.0", Tag: arm},
		{Name: "speed", Version: "2.0", Tag: "cp312-cp312-manylinux_2_28_x86_64"},
	}
}

const lockInput = `# the application's direct requirements
web[socks]>=2
cloud
speed
`

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLockWritesPinnedHashedFile(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, lockWheels())
	dir := t.TempDir()
	in := filepath.Join(dir, "app", "requirements.in")
	writeFile(t, in, lockInput)
	out := filepath.Join(dir, "app", "requirements.txt")
	r := runMain(t, nil, "lock", "-r", in, "--runtime", "python3.12", "--arch", "x86_64", "--index-url", srv.URL,
		"-o", out, "--cache-dir", filepath.Join(dir, "cache"))
	if r.code != exitcode.OK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(strings.ReplaceAll(string(b), dir, "DIR"), srv.URL, "INDEX/simple/")
	golden(t, filepath.Join("testdata", "lock", "python3.12-x86_64.txt"), got)

	// pip's own format: every requirement pinned with == and hashed, nothing else.
	set, err := requirements.Parse([]string{out}, requirements.ParseOptions{})
	if err != nil {
		t.Fatalf("the lock does not parse: %v", err)
	}
	var names []string
	for _, q := range set.Requirements {
		if _, ok := q.Specifier.Pin(); !ok || len(q.Hashes) == 0 {
			t.Errorf("%s:%d is not pinned and hashed: %s", q.File, q.Line, q.Text)
		}
		names = append(names, q.Key())
	}
	if want := []string{"certifi", "cloud", "pysocks", "speed", "urllib3", "web"}; !slices.Equal(names, want) {
		t.Errorf("locked %v, want %v (sorted; no armhelper on x86_64)", names, want)
	}
}

func TestLockManyTargets(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, lockWheels())
	dir := t.TempDir()
	in := filepath.Join(dir, "app", "requirements.in")
	writeFile(t, in, lockInput)
	lock := func(o string, extra ...string) result {
		args := append([]string{"lock", "-r", in, "--runtime", "python3.11,python3.12", "--arch", "x86_64,arm64",
			"--index-url", srv.URL, "--cache-dir", filepath.Join(dir, "cache")}, extra...)
		if o != "" {
			args = append(args, "-o", o)
		}
		return runMain(t, nil, args...)
	}
	// speed has only cp312 wheels: python3.11 fails, the others are written.
	r := lock(filepath.Join(dir, "locks") + "/")
	if r.code != exitcode.Failed || !strings.Contains(r.stderr, "no version of speed can be installed on python3.11 x86_64") {
		t.Errorf("exit %d, want python3.11 to fail on speed:\n%s", r.code, r.stderr)
	}
	for _, k := range []string{"python3.12-x86_64", "python3.12-arm64"} {
		if _, err := os.Stat(filepath.Join(dir, "locks", "requirements-"+k+".txt")); err != nil {
			t.Errorf("-o DIR/: %v", err)
		}
	}
	arm, _ := os.ReadFile(filepath.Join(dir, "locks", "requirements-python3.12-arm64.txt"))
	if !strings.Contains(string(arm), "armhelper==0.1") || !strings.Contains(string(arm), "# via cloud") {
		t.Errorf("the arm64 lock lacks armhelper (via cloud):\n%s", arm)
	}
	r = runMain(t, nil, "lock", "-r", in, "--runtime", "python3.12", "--arch", "x86_64,arm64", "--index-url", srv.URL,
		"--cache-dir", filepath.Join(dir, "cache"), "-o", filepath.Join(dir, "p", "lock-{target}.txt"))
	if r.code != exitcode.OK {
		t.Fatalf("{target}: exit %d\n%s", r.code, r.stderr)
	}
	for _, k := range []string{"python3.12-x86_64", "python3.12-arm64"} {
		if _, err := os.Stat(filepath.Join(dir, "p", "lock-"+k+".txt")); err != nil {
			t.Errorf("-o with {target}: %v", err)
		}
	}
	for _, o := range []string{filepath.Join(dir, "one.txt"), ""} {
		if r := lock(o); r.code != exitcode.Usage || !strings.Contains(r.stderr, "{target}") {
			t.Errorf("-o %q for 4 targets: exit %d, want a usage error naming {target}:\n%s", o, r.code, r.stderr)
		}
	}
	for _, args := range [][]string{{"lock"}, {"lock", "-r", in}, {"lock", "-r", in, "--runtime", "python2.7"}} {
		if r := runMain(t, nil, args...); r.code != exitcode.Usage || r.stderr == "" {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
}

// TestBuildFromLock: building from the lock takes no resolution and no metadata, and makes the same zip
// as building from the unpinned file.
func TestBuildFromLock(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, lockWheels())
	dir := t.TempDir()
	in := filepath.Join(dir, "app", "requirements.in")
	writeFile(t, in, lockInput)
	for _, arch := range []string{"x86_64", "arm64"} {
		lockFile := filepath.Join(dir, "app", "requirements-"+arch+".txt")
		cache := filepath.Join(dir, "cache-"+arch)
		if r := runMain(t, nil, "lock", "-r", in, "--runtime", "python3.12", "--arch", arch, "--index-url", srv.URL,
			"-o", lockFile, "--cache-dir", cache); r.code != exitcode.OK {
			t.Fatalf("lock: %s", r.stderr)
		}
		direct := runMain(t, nil, "build", "-r", in, "--runtime", "python3.12", "--arch", arch, "--index-url", srv.URL,
			"--out", filepath.Join(dir, "direct-"+arch), "--cache-dir", cache)
		mustOK(t, direct)
		metaBefore := countSuffix(srv, ".metadata")
		locked := runMain(t, nil, "build", "-r", lockFile, "--runtime", "python3.12", "--arch", arch, "--index-url", srv.URL,
			"--out", filepath.Join(dir, "locked-"+arch), "--cache-dir", cache)
		mustOK(t, locked)
		if n := countSuffix(srv, ".metadata") - metaBefore; n != 0 {
			t.Errorf("%s: building from the lock fetched %d metadata files, want 0", arch, n)
		}
		if a, b := direct.report.Layers[0].SHA256, locked.report.Layers[0].SHA256; a != b {
			t.Errorf("%s: the zip from the lock (%s) differs from the resolved one (%s)", arch, b, a)
		}
		if !slices.Equal(pins(direct), pins(locked)) {
			t.Errorf("%s: %v vs %v", arch, pins(direct), pins(locked))
		}
	}
}

func countSuffix(srv *indextest.Server, suffix string) int {
	n := 0
	for _, w := range lockWheels() {
		if srv.Requests("/files/"+w.Filename()+suffix) > 0 {
			n += srv.Requests("/files/" + w.Filename() + suffix)
		}
	}
	return n
}

// TestLockPipInstallsIt: pip, in hash-checking mode, installs exactly what a corpus lock for python3.11
// x86_64 (the host) lists.
func TestLockPipInstallsIt(t *testing.T) {
	py := needOracle(t)
	indexURL, _ := corpus(t, py)
	dir := t.TempDir()
	in := writeReqs(t, dir, diffRequirements)
	lockFile := filepath.Join(dir, "corpus", "requirements.lock")
	r := runMain(t, nil, "lock", "-r", in, "--runtime", "python3.11", "--index-url", indexURL, "-o", lockFile,
		"--cache-dir", filepath.Join(dir, "cache"))
	if r.code != exitcode.OK {
		t.Fatalf("lock: %s", r.stderr)
	}
	set, err := requirements.Parse([]string{lockFile}, requirements.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, q := range set.Requirements {
		v, _ := q.Specifier.Pin()
		ours = append(ours, q.Key()+"=="+v)
	}
	pipDir := filepath.Join(dir, "pip")
	args := []string{"-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-cache-dir", "--no-compile",
		"--target", pipDir, "--index-url", indexURL, "--only-binary=:all:", "--require-hashes",
		"--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "-r", lockFile}
	for _, p := range manylinuxUpTo(26) {
		args = append(args, "--platform", p)
	}
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(), "PIP_ROOT_USER_ACTION=ignore")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pip install --require-hashes: %v\n%s", err, out)
	}
	var theirs []string
	metas, _ := filepath.Glob(filepath.Join(pipDir, "*.dist-info", "METADATA"))
	for _, m := range metas {
		b, _ := os.ReadFile(m)
		theirs = append(theirs, normalize(header(b, "Name"))+"=="+header(b, "Version"))
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) {
		t.Errorf("pip installed another set from the lock\n ours only: %v\n pip only:  %v", minus(ours, theirs), minus(theirs, ours))
	}
	t.Logf("pip installed the %d packages of the lock with --require-hashes", len(theirs))
}

// TestLockLocalWheel: a wheel given by path stays a URL requirement in the lock, hashed, and builds.
func TestLockLocalWheel(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{{Name: "dep", Version: "1.0"}})
	dir := t.TempDir()
	local := wheeltest.Spec{Name: "inhouse", Version: "0.3", Requires: []string{"dep"}}
	writeFile(t, filepath.Join(dir, "app", "wheels", local.Filename()), string(wheeltest.Build(local)))
	in := filepath.Join(dir, "app", "requirements.in")
	writeFile(t, in, "./wheels/"+local.Filename()+"\n")
	lockFile := filepath.Join(dir, "app", "requirements.txt")
	if r := runMain(t, nil, "lock", "-r", in, "--runtime", "python3.12", "--index-url", srv.URL, "-o", lockFile,
		"--cache-dir", filepath.Join(dir, "cache")); r.code != exitcode.OK {
		t.Fatalf("lock: %s", r.stderr)
	}
	b, _ := os.ReadFile(lockFile)
	if !strings.Contains(string(b), "inhouse @ file://") || !strings.Contains(string(b), "--hash=sha256:"+sha256hex(wheeltest.Build(local))) {
		t.Errorf("the lock must keep the wheel's URL and hash:\n%s", b)
	}
	r := runMain(t, nil, "build", "-r", lockFile, "--runtime", "python3.12", "--index-url", srv.URL,
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	mustOK(t, r)
	if got := pins(r); !slices.Equal(got, []string{"dep==1.0", "inhouse==0.3"}) {
		t.Errorf("built %v", got)
	}
}

// lock refuses, before resolving anything, an output that build would read as another kind of
// file (inputs are told apart by name) and an input that is a lock already.
func TestLockOutputNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	req := filepath.Join(demoDir, "requirements.txt")
	uvLock := filepath.Join(dir, "uv.lock")
	writeFile(t, uvLock, "version = 1\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-r", req, "--format", "pylock", "-o", filepath.Join(dir, "x.toml")}, "pylock.toml or pylock.NAME.toml"},
		{[]string{"-r", req, "--format", "pylock", "--arch", "x86_64,arm64", "-o", filepath.Join(dir, "pylock-{target}.toml")}, "pylock.toml or pylock.NAME.toml"},
		{[]string{"-r", req, "--format", "pylock", "--arch", "x86_64,arm64"}, "-o 'pylock.{target}.toml'"},
		{[]string{"-r", req, "-o", filepath.Join(dir, "poetry.lock")}, "as a poetry.lock, not a requirements file"},
		{[]string{"-r", uvLock}, "is a lock file already"},
	} {
		r := runMain(t, nil, append([]string{"lock", "--runtime", "python3.12", "--offline", "--cache-dir", filepath.Join(dir, "cache")}, tc.args...)...)
		if r.code != exitcode.Usage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("lock %v: exit %d, want %d and %q in:\n%s", tc.args, r.code, exitcode.Usage, tc.want, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a refused lock wrote files: %v", entries)
	}
}

// TestLockPrintsResolutionWarnings: lock says on standard error what build says of the same resolution
// — a newer version skipped for want of a wheel the target loads, a yanked release taken by an exact
// pin — naming the target; --quiet prints none.
func TestLockPrintsResolutionWarnings(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, []wheeltest.Spec{
		{Name: "native", Version: "1.0", Tag: "cp312-cp312-manylinux_2_17_x86_64"},
		{Name: "native", Version: "1.1", Tag: "cp312-cp312-manylinux_2_39_x86_64"},
		{Name: "old", Version: "1.0"},
		{Name: "old", Version: "2.0"},
	}, indextest.Yank("old-2.0-py3-none-any.whl", "broken"))
	dir := t.TempDir()
	in := filepath.Join(dir, "app", "requirements.in")
	writeFile(t, in, "native\nold==2.0\n")
	args := []string{"lock", "-r", in, "--runtime", "python3.12", "--index-url", srv.URL,
		"-o", filepath.Join(dir, "lock.txt"), "--cache-dir", filepath.Join(dir, "cache")}
	r := runMain(t, nil, args...)
	if r.code != exitcode.OK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"warning: python3.12 x86_64: native 1.0 is installed, not the newer 1.1",
		"warning: python3.12 x86_64: old 2.0 is yanked (broken)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r := runMain(t, nil, append(args, "--quiet")...); r.code != exitcode.OK || r.stderr != "" {
		t.Errorf("--quiet: exit %d, stderr %q", r.code, r.stderr)
	}
}

package run

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// markerWheels is an index whose dependencies hang on markers. pip evaluates markers for the machine it
// runs on (python3.11 x86_64 here) even with --python-version and --platform (pypa/pip#11664), so for
// any other Lambda target it is the wrong oracle: the answers below are written by hand.
func markerWheels() []wheeltest.Spec {
	return []wheeltest.Spec{
		{Name: "app", Version: "1.0", Extras: []string{"fast"}, Requires: []string{
			`newdep ; python_version >= "3.12"`,
			`tomli ; python_version < "3.11"`,
			`armdep ; platform_machine == "aarch64"`,
			`x86dep ; platform_machine == "x86_64"`,
			`macdep ; sys_platform == "darwin"`,
			`windep ; platform_system == "Windows"`,
			`pypydep ; implementation_name == "pypy"`,
			`patchdep ; python_full_version >= "3.11.1"`,
			`speedups ; extra == "fast" and platform_machine == "aarch64"`,
			`lib`,
		}},
		{Name: "newdep", Version: "1.0"}, {Name: "tomli", Version: "2.0"}, {Name: "armdep", Version: "1.0"},
		{Name: "x86dep", Version: "1.0"}, {Name: "macdep", Version: "1.0"}, {Name: "windep", Version: "1.0"},
		{Name: "pypydep", Version: "1.0"}, {Name: "patchdep", Version: "1.0"}, {Name: "speedups", Version: "1.0"},
		{Name: "lib", Version: "1.0"},
		{Name: "lib", Version: "2.0", RequiresPython: ">=3.12"},
		{Name: "numpyish", Version: "1.26.4"},
		{Name: "numpyish", Version: "2.1.0", RequiresPython: ">=3.10"},
	}
}

const markerRequirements = `app[fast]
numpyish==1.26.4 ; python_version < "3.12"
numpyish>=2 ; python_version >= "3.12"
`

func TestMarkersForTheTarget(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, markerWheels())
	for _, c := range []struct {
		runtime, arch string
		want          []string
	}{
		{"python3.9", "x86_64", []string{"app==1.0", "lib==1.0", "numpyish==1.26.4", "tomli==2.0", "x86dep==1.0"}},
		{"python3.11", "x86_64", []string{"app==1.0", "lib==1.0", "numpyish==1.26.4", "x86dep==1.0"}},
		{"python3.11", "arm64", []string{"app==1.0", "armdep==1.0", "lib==1.0", "numpyish==1.26.4", "speedups==1.0"}},
		{"python3.12", "x86_64", []string{"app==1.0", "lib==2.0", "newdep==1.0", "numpyish==2.1.0", "patchdep==1.0", "x86dep==1.0"}},
		{"python3.13", "arm64", []string{"app==1.0", "armdep==1.0", "lib==2.0", "newdep==1.0", "numpyish==2.1.0", "patchdep==1.0", "speedups==1.0"}},
	} {
		t.Run(c.runtime+"-"+c.arch, func(t *testing.T) {
			t.Parallel()
			r := buildWith(t, srv, markerRequirements, c.runtime, c.arch)
			mustOK(t, r)
			if got := pins(r); !slices.Equal(got, c.want) {
				t.Errorf("got %v\nwant %v", got, c.want)
			}
		})
	}
}

// TestMarkersPipOnTheHost: on the host's own target pip is a fair oracle, and agrees.
func TestMarkersPipOnTheHost(t *testing.T) {
	py := needOracle(t)
	dir := t.TempDir()
	idx := indextest.WriteDir(t, filepath.Join(dir, "index"), markerWheels())
	req := filepath.Join(dir, "app", "requirements.txt")
	os.MkdirAll(filepath.Dir(req), 0o755)
	os.WriteFile(req, []byte(markerRequirements), 0o644)
	args := []string{"-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", "--disable-pip-version-check", "--no-cache-dir",
		"--ignore-installed", "--index-url", "file://" + idx + "/", "--only-binary=:all:", "--python-version", "3.11",
		"--implementation", "cp", "--abi", "cp311", "--target", filepath.Join(dir, "t"), "-r", req}
	for _, p := range manylinuxUpTo(26) {
		args = append(args, "--platform", p)
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		t.Fatalf("pip: %v\n%s", err, out)
	}
	var rep struct {
		Install []struct {
			Metadata struct{ Name, Version string }
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("pip's report: %v\n%s", err, out)
	}
	var theirs []string
	for _, i := range rep.Install {
		theirs = append(theirs, normalize(i.Metadata.Name)+"=="+i.Metadata.Version)
	}
	slices.Sort(theirs)
	r := runMain(t, nil, "build", "-r", req, "--runtime", "python3.11", "--index-url", idx, "--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	mustOK(t, r)
	// Even here pip reads one marker from the host: python_full_version is the host's 3.11.x, where
	// the target's is 3.11.0 unless set (FACTS). patchdep shows it.
	hostPatch := slices.Contains(theirs, "patchdep==1.0")
	theirs = slices.DeleteFunc(theirs, func(s string) bool { return s == "patchdep==1.0" })
	if ours := pins(r); !slices.Equal(ours, theirs) {
		t.Errorf("python3.11 x86_64: ours %v, pip %v", ours, theirs)
	}
	t.Logf("pip agrees on python3.11 x86_64; it took patchdep from the host's patch version: %v", hostPatch)
}

func pins(r result) []string {
	var out []string
	for _, p := range r.report.Layers[0].Packages {
		out = append(out, p.Name+"=="+p.Version)
	}
	slices.Sort(out)
	return out
}

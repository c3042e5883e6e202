package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
)

// `lock --format pylock` writes a PEP 751 file per target; building from it reads no index page and
// gives the same zip, byte for byte, as building from the pip-format lock.
func TestLockPylockRoundTrip(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, lockWheels())
	dir := t.TempDir()
	in := filepath.Join(dir, "app", "requirements.in")
	writeFile(t, in, lockInput)
	cache := filepath.Join(dir, "cache")
	common := []string{"-r", in, "--runtime", "python3.12", "--arch", "x86_64,arm64", "--index-url", srv.URL, "--cache-dir", cache}
	if r := runMain(t, nil, append([]string{"lock", "--format", "pylock", "-o", filepath.Join(dir, "locks") + "/"}, common...)...); r.code != exitcode.OK {
		t.Fatalf("lock --format pylock: %s", r.stderr)
	}
	if r := runMain(t, nil, append([]string{"lock", "-o", filepath.Join(dir, "pip") + "/"}, common...)...); r.code != exitcode.OK {
		t.Fatalf("lock: %s", r.stderr)
	}
	for _, arch := range []string{"x86_64", "arm64"} {
		pylock := filepath.Join(dir, "locks", "pylock.py312-"+arch+".toml")
		data, err := os.ReadFile(pylock)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`lock-version = "1.0"`, "environments = [", `requires-python = "==3.12.*"`, "created-by = ", "[[packages.wheels]]", "size = ", "hashes = { sha256 = "} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s lacks %q:\n%s", pylock, want, data)
			}
		}
		pages := srv.Requests("/simple/")
		fromPylock := runMain(t, nil, "build", "-r", pylock, "--runtime", "python3.12", "--arch", arch, "--index-url", srv.URL,
			"--out", filepath.Join(dir, "out-pylock-"+arch), "--cache-dir", cache)
		mustOK(t, fromPylock)
		if n := srv.Requests("/simple/") - pages; n != 0 {
			t.Errorf("%s: building from pylock read %d index pages, want 0", arch, n)
		}
		fromPip := runMain(t, nil, "build", "-r", filepath.Join(dir, "pip", "requirements-python3.12-"+arch+".txt"), "--runtime", "python3.12", "--arch", arch,
			"--index-url", srv.URL, "--out", filepath.Join(dir, "out-pip-"+arch), "--cache-dir", cache)
		mustOK(t, fromPip)
		a, b := fromPylock.report.Layers[0], fromPip.report.Layers[0]
		za, _ := os.ReadFile(a.Zip)
		zb, _ := os.ReadFile(b.Zip)
		if a.SHA256 != b.SHA256 || len(za) == 0 || string(za) != string(zb) {
			t.Errorf("%s: zip from pylock %s differs from the pip lock's %s", arch, a.SHA256, b.SHA256)
		}
		// The pylock for the other architecture is refused for this one, with the lock's line.
		other := filepath.Join(dir, "locks", "pylock.py312-"+map[string]string{"x86_64": "arm64", "arm64": "x86_64"}[arch]+".toml")
		bad := runMain(t, nil, "build", "-r", other, "--runtime", "python3.12", "--arch", arch, "--index-url", srv.URL,
			"--out", filepath.Join(dir, "out-bad-"+arch), "--cache-dir", cache)
		if bad.code == exitcode.OK || bad.report.Layers[0].Error == nil || bad.report.Layers[0].Error.Line == 0 {
			t.Errorf("%s: a pylock for another architecture built: %+v", arch, bad.report.Layers)
		}
	}
}

// A pylock.toml locked from a folder index names its wheels by path; build reads them from there,
// with the lock's hashes, without --index-url (it used to look them up on PyPI), and the zip equals
// the one built from the requirements against that folder.
func TestLockPylockFolderIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	idx, req := filepath.Join(demoDir, "index", "simple"), filepath.Join(demoDir, "requirements.txt")
	cache := filepath.Join(dir, "cache")
	lock := filepath.Join(dir, "locks", "pylock.toml")
	mustOK(t, runMain(t, nil, "lock", "-r", req, "--runtime", "python3.12", "--format", "pylock", "--index-url", idx, "--cache-dir", cache, "-o", lock))
	if data, _ := os.ReadFile(lock); !strings.Contains(string(data), "path = ") {
		t.Fatalf("the lock of a folder index names no path:\n%s", data)
	}
	fromLock := runMain(t, nil, "build", "-r", lock, "--runtime", "python3.12", "--name", "demo", "--out", filepath.Join(dir, "a"), "--cache-dir", filepath.Join(dir, "cold"))
	mustOK(t, fromLock)
	fromReqs := runMain(t, nil, "build", "-r", req, "--runtime", "python3.12", "--name", "demo", "--index-url", idx, "--out", filepath.Join(dir, "b"), "--cache-dir", cache)
	mustOK(t, fromReqs)
	if a, b := fromLock.report.Layers[0].SHA256, fromReqs.report.Layers[0].SHA256; a == "" || a != b {
		t.Errorf("zip from the folder-index pylock %s, from the requirements %s", a, b)
	}
}

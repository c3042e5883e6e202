package oracletest

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

func write(t *testing.T, p, s string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
}

// fakeSitePackages is a site-packages folder as pip leaves it: payload, scripts outside, bytecode and
// installer files listed in RECORD.
func fakeSitePackages(t *testing.T) string {
	sp := filepath.Join(t.TempDir(), "site-packages")
	di := "My_Pkg-1.2.dist-info"
	write(t, filepath.Join(sp, "my_pkg/__init__.py"), "x = 1\n", 0o644)
	write(t, filepath.Join(sp, "my_pkg/tool.sh"), "#!/bin/sh\n", 0o755)
	write(t, filepath.Join(sp, "my_pkg/__pycache__/__init__.cpython-311.pyc"), "bc", 0o644)
	write(t, filepath.Join(sp, di, "METADATA"), "Metadata-Version: 2.1\nName: My.Pkg\nVersion: 1.2\nRequires-Python: >=3.8,<4\n\nbody\n", 0o644)
	write(t, filepath.Join(sp, di, "WHEEL"), "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n", 0o644)
	write(t, filepath.Join(sp, di, "INSTALLER"), "pip\n", 0o644)
	write(t, filepath.Join(sp, di, "RECORD"), strings.Join([]string{
		"my_pkg/__init__.py,sha256=x,6", "my_pkg/tool.sh,,", "my_pkg/__pycache__/__init__.cpython-311.pyc,,",
		"../../../bin/my-tool,,", di + "/METADATA,,", di + "/WHEEL,,", di + "/INSTALLER,,", di + "/RECORD,,", "my_pkg/gone.py,,",
	}, "\n")+"\n", 0o644)
	write(t, filepath.Join(sp, "other-1.0.dist-info/METADATA"), "Name: other\nVersion: 1.0\n", 0o644) // no RECORD: skipped
	return sp
}

func TestBuildCorpus(t *testing.T) {
	t.Parallel()
	sp := fakeSitePackages(t)
	out := t.TempDir()
	built, err := BuildCorpus(sp, out)
	if err != nil {
		t.Fatal(err)
	}
	const whl = "My_Pkg-1.2-py2.py3-none-any.whl"
	if !slices.Equal(built, []string{whl}) {
		t.Fatalf("built %v", built)
	}
	data, err := os.ReadFile(filepath.Join(out, "files", whl))
	if err != nil {
		t.Fatal(err)
	}
	// Our own wheel reader accepts it, layout and WHEEL file included, and every entry verifies.
	a, err := wheel.Open(bytes.NewReader(data), int64(len(data)), whl, wheel.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "my_pkg/tool.sh" && f.Mode().Perm() != 0o755 {
			t.Errorf("tool.sh mode %v; want 0755", f.Mode())
		}
	}
	want := []string{"my_pkg/__init__.py", "my_pkg/tool.sh", "My_Pkg-1.2.dist-info/METADATA", "My_Pkg-1.2.dist-info/WHEEL", "My_Pkg-1.2.dist-info/RECORD"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q; want %q", names, want)
	}

	// The index serves it with its metadata file and Requires-Python, as a PEP 503 client reads it.
	c, err := index.New([]string{filepath.Join(out, "simple")}, index.WithNetrc(""))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Project(context.Background(), "my-pkg")
	if err != nil || len(p.Files) != 1 {
		t.Fatalf("Project: %+v, %v", p, err)
	}
	f := p.Files[0]
	if f.Filename != whl || f.RequiresPython != ">=3.8,<4" || f.Hashes["sha256"] != sha256Hex(data) || f.MetadataHashes["sha256"] == "" {
		t.Errorf("index file %+v", f)
	}
	md, err := c.Metadata(context.Background(), f)
	if err != nil || !strings.Contains(string(md), "Name: My.Pkg") {
		t.Errorf("metadata %q, %v", md, err)
	}

	// Only the named projects, and the index still covers every wheel in files/.
	if built, err := BuildCorpus(sp, out, "nothing-here"); err != nil || len(built) != 0 {
		t.Errorf("BuildCorpus(only nothing-here) = %v, %v", built, err)
	}
	if _, err := os.Stat(filepath.Join(out, "simple", "my-pkg", "index.html")); err != nil {
		t.Errorf("index lost my-pkg: %v", err)
	}
}

// TestSameAsSharedTool: where ../shared/tools/repack-wheels.py sits beside the repository (it is
// optional), both builders make wheels with the same entries and contents from python3.11's packages.
func TestSameAsSharedTool(t *testing.T) {
	tool, _ := filepath.Abs("../../../shared/tools/repack-wheels.py")
	if _, err := os.Stat(tool); err != nil {
		t.Skip("../shared/tools/repack-wheels.py is not beside the repository (it is optional)")
	}
	py, err := exec.LookPath("python3.11")
	if err != nil {
		t.Skip("python3.11 not found")
	}
	sp, err := exec.Command(py, "-c", "import site; print(site.getsitepackages()[0])").Output()
	if err != nil {
		t.Fatal(err)
	}
	site := strings.TrimSpace(string(sp))
	names := []string{"six", "attrs", "PyYAML", "cryptography", "moto"}
	theirs, ours := t.TempDir(), t.TempDir()
	if out, err := exec.Command(py, append([]string{tool, site, theirs}, names...)...).CombinedOutput(); err != nil {
		t.Fatalf("repack-wheels.py: %v\n%s", err, out)
	}
	built, err := BuildCorpus(site, ours, names...)
	if err != nil {
		t.Fatal(err)
	}
	if len(built) != len(names) {
		t.Fatalf("built %v", built)
	}
	for _, whl := range built {
		a, b := entries(t, filepath.Join(theirs, "files", whl)), entries(t, filepath.Join(ours, "files", whl))
		if len(a) != len(b) || len(a) < 3 {
			t.Errorf("%s: %d entries from the shared tool, %d from ours", whl, len(a), len(b))
		}
		for name, content := range a {
			if strings.Contains(name, "/RECORD|") {
				continue // both list the same files; quoting and the entry's mode may differ
			}
			if b[name] != content {
				t.Errorf("%s: %s differs", whl, name)
			}
		}
		for _, f := range []string{whl + ".metadata"} {
			x, _ := os.ReadFile(filepath.Join(theirs, "files", f))
			y, _ := os.ReadFile(filepath.Join(ours, "files", f))
			if !bytes.Equal(x, y) {
				t.Errorf("%s differs", f)
			}
		}
	}
}

func entries(t *testing.T, p string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		out[f.Name+"|"+f.Mode().String()] = b.String()
	}
	return out
}

package oracletest

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Unzip extracts a layer zip into dir the way Lambda does into /opt.
func Unzip(t testing.TB, zipPath, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode().Perm())
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(w, rc)
		rc.Close()
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// importScript imports each module named after the site-packages folder and reports, as JSON, the
// ones that failed and any module loaded from another site-packages folder than the layer's.
const importScript = `import importlib, sys, json
sys.path.insert(0, sys.argv[1])
bad = {}
for m in sys.argv[2:]:
    try:
        importlib.import_module(m)
    except BaseException as e:
        bad[m] = type(e).__name__ + ": " + str(e)
stray = sorted(n for n, mod in sys.modules.items() if getattr(mod, "__file__", None) and "site-packages" in mod.__file__ and not mod.__file__.startswith(sys.argv[1]))
print(json.dumps({"bad": bad, "stray": stray}))`

// Imports imports mods under `py -I -S` (no user or site folders) with only sitePackages added to
// sys.path, and returns the modules that failed (with their error) and the modules that were loaded
// from a site-packages folder other than sitePackages.
func Imports(t testing.TB, py, sitePackages string, mods []string) (bad map[string]string, stray []string) {
	t.Helper()
	cmd := exec.Command(py, append([]string{"-I", "-S", "-c", importScript, sitePackages}, mods...)...)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var res struct {
		Bad   map[string]string `json:"bad"`
		Stray []string          `json:"stray"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python printed %q: %v", out, err)
	}
	return res.Bad, res.Stray
}

package run

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestCLIOutputModes: every file build, report and lock write is 0644 and every folder they make 0755,
// under any umask (the next workflow step may run as another user), while the cache stays private (0700
// folders, 0600 files). The umask is process-wide: this test does not run in parallel.
func TestCLIOutputModes(t *testing.T) {
	srv := indextest.New(t, []wheeltest.Spec{{Name: "six", Version: "1.16.0"}, {Name: "tinyjson", Version: "1.0.0"}})
	for _, umask := range []int{0o077, 0o022} {
		dir := t.TempDir()
		req := filepath.Join(dir, "layer", "requirements.txt")
		os.MkdirAll(filepath.Dir(req), 0o755)
		os.WriteFile(req, []byte("six\ntinyjson\n"), 0o644)
		out, cache := filepath.Join(dir, "dist", "nested"), filepath.Join(dir, "cache")
		old := syscall.Umask(umask)
		// --json and --oci-layout into folders that do not exist yet: both are made 0755 (--json failed with
		// "no such file"; the layout's index.json was 0777 less the umask and a blob 0600).
		jsonOut := filepath.Join(dir, "json", "report.json")
		mustOK(t, runMain(t, nil, "build", "-r", req, "--runtime", "python3.12", "--index-url", srv.URL, "--out", out, "--cache-dir", cache,
			"--json", jsonOut, "--oci-layout", filepath.Join(dir, "oci", "layout")))
		mustOK(t, runMain(t, nil, "report", "--from", jsonOut,
			"--markdown", filepath.Join(dir, "md", "comment.md"), "--summary", filepath.Join(dir, "md", "summary.md"), "--json", filepath.Join(dir, "md", "report.json")))
		mustOK(t, runMain(t, nil, "lock", "-r", req, "--runtime", "python3.12", "--index-url", srv.URL, "-o", filepath.Join(dir, "locks", "requirements.lock"), "--cache-dir", cache))
		syscall.Umask(old)

		n := 0
		for _, root := range []string{filepath.Join(dir, "dist"), filepath.Join(dir, "json"), filepath.Join(dir, "md"), filepath.Join(dir, "locks"), filepath.Join(dir, "oci")} {
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					t.Fatal(err)
				}
				fi, _ := d.Info()
				want := fs.FileMode(0o644)
				switch {
				case d.IsDir():
					want = 0o755
				case !strings.Contains(p, string(filepath.Separator)+"oci"+string(filepath.Separator)):
					n++ // the layout's blobs are not counted
				}
				if fi.Mode().Perm() != want {
					t.Errorf("umask %03o: %s: mode %v; want %v", umask, p, fi.Mode().Perm(), want)
				}
				return nil
			})
		}
		if n != 7 { // the zip, its SBOM, report.json, comment.md, summary.md, report.json again, the lock
			t.Errorf("umask %03o: %d files written", umask, n)
		}
		filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := d.Info()
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm()&^want != 0 {
				t.Errorf("umask %03o: cache %s: mode %v; want at most %v", umask, p, fi.Mode().Perm(), want)
			}
			return nil
		})
	}
}

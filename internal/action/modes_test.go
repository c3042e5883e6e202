package action

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/github/githubtest"
)

// TestActionOutputModes: the container action runs as root and the steps after it (upload-artifact in
// the fork-safe pair) as the runner's user, so everything the action writes to its output folder is
// 0644 and its folders 0755 — even under a umask of 077 — while the cache stays private (0700 folders,
// 0600 files). The pull request report writes the layers' zips, report.json, base-report.json, comment.md
// and pr.json. The umask is process-wide: this test does not run in parallel.
func TestActionOutputModes(t *testing.T) {
	ws, base, head := checkRepo(t)
	gh := githubtest.New(t)
	idx := actionIndex(t).URL
	for _, umask := range []int{0o077, 0o022} {
		os.RemoveAll(filepath.Join(ws.home, "cache"))
		outDir := fmt.Sprintf("out%03o/artifact", umask)
		old := syscall.Umask(umask)
		r := runAction(t, ws, prEnv(t, gh, idx, "pull_request.json", base, head, "INPUT_MODE", "report", "INPUT_OUT", outDir))
		syscall.Umask(old)
		if r.code != 3 { // the data layer is over its budget: fail-on exceeded
			t.Fatalf("umask %03o: %s", umask, r)
		}
		out := filepath.Join(ws.dir, filepath.Dir(outDir))
		seen := map[string]bool{}
		filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := d.Info()
			want := fs.FileMode(0o644)
			if d.IsDir() {
				want = 0o755
			}
			if fi.Mode().Perm() != want {
				t.Errorf("umask %03o: %s: mode %v; want %v", umask, p, fi.Mode().Perm(), want)
			}
			seen[filepath.Base(p)] = true
			return nil
		})
		for _, name := range []string{"report.json", "base-report.json", "comment.md", "pr.json"} {
			if !seen[name] {
				t.Errorf("umask %03o: the action did not write %s (saw %v)", umask, name, seen)
			}
		}
		if zips, _ := filepath.Glob(filepath.Join(ws.dir, outDir, "*.zip")); len(zips) == 0 {
			t.Errorf("umask %03o: no layer zip in the output folder", umask)
		}
		checkPrivate(t, filepath.Join(ws.home, "cache"))
	}
}

// checkPrivate asserts the cache's folders are 0700 and its files 0600.
func checkPrivate(t *testing.T, cache string) {
	t.Helper()
	n := 0
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
			t.Errorf("cache %s: mode %v; want at most %v", p, fi.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 3 {
		t.Errorf("the cache %s holds %d entries", cache, n)
	}
}

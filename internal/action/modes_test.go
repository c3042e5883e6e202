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

// TestActionHandsOutputsToWorkspaceOwner: running as root (as the container does) in a workspace the
// runner's user owns, what the action writes in the workspace — the out folder, the folders made above
// it, a cache-dir — ends up that user's, so a self-hosted runner's next checkout can delete it.
func TestActionHandsOutputsToWorkspaceOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give files away; the action does nothing when not root")
	}
	ws, base, head := checkRepo(t)
	const uid, gid = 1001, 1001
	if err := os.Chown(ws.dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New(t)
	r := runAction(t, ws, prEnv(t, gh, actionIndex(t).URL, "pull_request.json", base, head,
		"INPUT_MODE", "report", "INPUT_OUT", "out/artifact", "INPUT_CACHE-DIR", ".lambda-layers-cache"))
	if r.code != 3 { // the data layer is over its budget: fail-on exceeded
		t.Fatalf("%s", r)
	}
	seen := 0
	for _, top := range []string{"out", ".lambda-layers-cache"} {
		filepath.WalkDir(filepath.Join(ws.dir, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			seen++
			if o, ok := ownerOf(p); !ok || o != (owner{uid, gid}) {
				t.Errorf("%s is owned by %+v, want the workspace's owner %d:%d", p, o, uid, gid)
			}
			return nil
		})
	}
	if seen < 10 {
		t.Errorf("only %d paths written", seen)
	}
	if o, _ := ownerOf(filepath.Join(ws.home)); o.uid == uid {
		t.Error("a folder outside the workspace was given away")
	}
}

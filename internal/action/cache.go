package action

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// cacheDir is the cache-dir input made absolute under the workspace; "" keeps the engine's default,
// $HOME/.cache/lambda-layers in the container.
func (r *actionRun) cacheDir() string {
	d := r.opts.cacheDir
	if d == "" || filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(r.root, filepath.FromSlash(d))
}

// shareCache makes a cache-dir the action was given readable by the runner's user: the container runs
// as root, and the actions/cache step that saves the folder after the job runs as that user, so files
// the cache keeps private (0600) would be left out of the saved cache. It also shows the folder as the
// workflow names it.
func (r *actionRun) shareCache(rep *report.Report) {
	dir := r.cacheDir()
	if dir == "" || rep.Cache == nil {
		return
	}
	rep.Cache.Dir = r.rel(rep.Cache.Dir)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file that vanished meanwhile (another build's temporary file) is no matter
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		want := info.Mode().Perm() | 0o444
		if d.IsDir() {
			want |= 0o111
		}
		if want != info.Mode().Perm() {
			return os.Chmod(p, want)
		}
		return nil
	})
	if err != nil {
		r.warnf("making the cache folder readable for actions/cache: %v", err)
	}
}

// handOver gives what the action wrote in the workspace — the out folder and a cache-dir inside it,
// with the folders made above them — to the workspace's owner. The container runs as root and the
// workspace belongs to the runner's user: on a self-hosted runner, the next job's checkout (git clean
// as that user) could not delete root's files from a folder root owns. Nothing outside the workspace
// is touched, and nothing when not root or when root owns the workspace.
func (r *actionRun) handOver() {
	if r.root == "" || os.Geteuid() != 0 {
		return
	}
	owner, ok := ownerOf(r.root)
	if !ok || owner.uid == 0 {
		return
	}
	for _, dir := range []string{r.outDir(), r.cacheDir()} {
		rel, err := filepath.Rel(r.root, dir)
		if dir == "" || err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		// The folders between the workspace and dir, which the action may have made.
		for p := filepath.Dir(dir); p != r.root && strings.HasPrefix(p, r.root+string(filepath.Separator)); p = filepath.Dir(p) {
			if err := owner.give(p); err != nil {
				r.warnf("giving %s to the workspace's owner: %v", r.rel(p), err)
			}
		}
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // gone meanwhile, or never made: nothing to give
			}
			return owner.give(p)
		})
		if err != nil {
			r.warnf("giving %s to the workspace's owner: %v", r.rel(dir), err)
		}
	}
}

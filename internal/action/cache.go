package action

import (
	"io/fs"
	"os"
	"path/filepath"

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

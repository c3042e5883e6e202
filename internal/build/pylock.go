package build

import (
	"fmt"
	"io"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

// writePylock writes a resolution as a PEP 751 lock for the target: every package with the wheels
// the target loads (URL, size, hashes), environments and requires-python naming the target, so that
// build reads it back without resolving and without reading an index page.
func (l *Locker) writePylock(w io.Writer, res *resolve.Result, t target.Target, command string) error {
	d := lockfile.PylockDoc{
		Header: []string{
			fmt.Sprintf("This file was written by lambda-layers for %s (%s) with:", t, t.Summary()),
			"  " + command,
		},
		Environments:   []string{lockfile.TargetEnvironment(t.PythonVersion(), t.WheelArch())},
		RequiresPython: fmt.Sprintf("==%s.*", t.PythonVersion()),
		CreatedBy:      "lambda-layers " + version.Version,
	}
	for _, p := range res.Packages {
		pp := lockfile.PylockPackage{Name: p.Name, Version: p.Version.String(), RequiredBy: p.RequiredBy}
		files := p.Files
		if len(files) == 0 {
			files = []index.File{p.File}
		}
		for _, f := range files {
			if f.Hashes["sha256"] == "" {
				continue
			}
			w := lockfile.Wheel{Filename: f.Filename, URL: f.URL, Size: f.Size, Hashes: map[string]string{"sha256": f.Hashes["sha256"]}}
			if !isHTTP(f.URL) { // a folder index: build reads the file there (else finds it on the index by name and hash)
				w.URL, w.Path = "", strings.TrimPrefix(f.URL, "file://")
			}
			pp.Wheels = append(pp.Wheels, w)
			if pp.Index == "" && isHTTP(f.Index) && !strings.Contains(f.Index, "***") {
				pp.Index = f.Index
			}
		}
		d.Packages = append(d.Packages, pp)
	}
	return lockfile.WritePylock(w, d)
}

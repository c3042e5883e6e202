package build

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/pyproject"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// inputs are a layer's requirements as read: a requirements set (from requirements files and
// pyproject.toml files), or one lock file.
type inputs struct {
	set  *requirements.Set
	lock lockfile.Lock
}

// readInputs reads a layer's files by their names: a lock file (uv.lock, poetry.lock, Pipfile.lock,
// pylock.toml) is the layer's only input and is not resolved; a pyproject.toml adds its declared
// requirements for the layer's extras and groups; anything else is a requirements file.
func readInputs(lp LayerPlan, getenv func(string) string, readFile func(string) ([]byte, error)) (inputs, error) {
	if readFile == nil {
		readFile = requirements.ReadFile
	}
	var locks, pyprojects, reqFiles []string
	for _, f := range lp.Requirements {
		switch {
		case lockfile.Detect(f) != "":
			locks = append(locks, f)
		case pyproject.IsPyproject(f):
			pyprojects = append(pyprojects, f)
		default:
			reqFiles = append(reqFiles, f)
		}
	}
	if len(locks) > 0 {
		if len(lp.Requirements) > 1 {
			return inputs{}, &requirements.Error{File: locks[0], Msg: fmt.Sprintf("a lock file is the layer's only input, but the layer also lists %s",
				strings.Join(without(lp.Requirements, locks[0]), ", ")), Hint: "give each lock its own layer, or lock everything into one file"}
		}
		data, err := readFile(locks[0])
		if err != nil {
			return inputs{}, &requirements.Error{File: locks[0], Msg: "cannot read the lock file", Err: err}
		}
		l, err := lockfile.Parse(locks[0], data)
		if err != nil {
			return inputs{}, err
		}
		if pf, ok := l.(*lockfile.PipfileLock); ok {
			pf.Getenv = getenv
		}
		if pl, ok := l.(*lockfile.PoetryLock); ok && pl.Legacy() {
			// An older poetry.lock is walked from the project's requirements, in the pyproject.toml
			// beside it; without one, Select says what to do.
			pp := filepath.Join(filepath.Dir(locks[0]), "pyproject.toml")
			if data, err := readFile(pp); err == nil {
				reqs, err := pyproject.Parse(pp, data, pyproject.Options{Extras: lp.Extras, Groups: lp.Groups})
				if err != nil {
					return inputs{}, err
				}
				roots := make([]lockfile.Root, len(reqs))
				for i, r := range reqs {
					roots[i] = lockfile.Root{Requirement: r.Requirement, Origin: fmt.Sprintf("%s:%d", r.File, r.Line)}
				}
				pl.SetRoots(roots)
			}
		}
		set := &requirements.Set{Files: []string{locks[0]}}
		if idx := l.Indexes(); len(idx) > 0 {
			if lockfile.Detect(locks[0]) == lockfile.Poetry {
				set.Options.ExtraIndexURLs = idx // Poetry's own default is PyPI
			} else {
				set.Options.IndexURL, set.Options.ExtraIndexURLs = idx[0], idx[1:]
			}
		}
		return inputs{set: set, lock: l}, nil
	}
	set := &requirements.Set{}
	if len(reqFiles) > 0 {
		s, err := requirements.Parse(reqFiles, requirements.ParseOptions{Getenv: getenv, ReadFile: readFile})
		if err != nil {
			return inputs{}, err
		}
		set = s
	}
	for _, f := range pyprojects {
		data, err := readFile(f)
		if err != nil {
			return inputs{}, &requirements.Error{File: f, Msg: "cannot read pyproject.toml", Err: err}
		}
		reqs, err := pyproject.Parse(f, data, pyproject.Options{Extras: lp.Extras, Groups: lp.Groups})
		if err != nil {
			return inputs{}, err
		}
		set.Requirements = append(set.Requirements, reqs...)
		set.Files = append(set.Files, f)
		if spec, line := pyproject.RequiresPython(data); spec != "" {
			set.Pythons = append(set.Pythons, requirements.Python{File: f, Line: line, Spec: spec})
		}
	}
	return inputs{set: set}, nil
}

func without(s []string, v string) []string {
	var out []string
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// fromLock takes a lock's packages for the target without resolving: the wheel the lock lists with a
// URL is downloaded from there (no index page is read); a package the lock lists by file name or hash
// only (poetry.lock, Pipfile.lock) is found on the index by name, version and hash. Every hash is
// checked as the wheel is downloaded, and the wheels' metadata afterwards (verifyPinned).
func (b *layerBuild) fromLock(ctx context.Context, t target.Target) (resolved, error) {
	sel, err := b.lock.Select(t, lockfile.Options{Extras: b.extras, Groups: b.groups})
	if err != nil {
		return resolved{}, err
	}
	res := &resolve.Result{Warnings: sel.Notes}
	var viaIndex []resolve.Requirement
	byName := map[string]lockfile.Package{}
	for _, p := range sel.Packages {
		v, err := pep440.Parse(p.Version)
		if err != nil {
			return resolved{}, &lockfile.Error{File: p.File, Line: p.Line, Package: p.Name, Msg: fmt.Sprintf("version %q: %v", p.Version, err)}
		}
		local := localWheels(p)
		if len(p.Wheels) > 0 && isHTTP(p.Wheels[0].URL) || len(local) > 0 {
			var files []index.File
			for _, w := range p.Wheels {
				files = append(files, index.File{Filename: w.Filename, URL: w.URL, Hashes: w.Hashes, Size: w.Size, Index: index.Redact(p.Index)})
			}
			if len(local) > 0 {
				files = local
			}
			wf, err := wheel.ParseFilename(files[0].Filename)
			if err != nil {
				return resolved{}, &lockfile.Error{File: p.File, Line: p.Wheels[0].Line, Package: p.Name, Msg: err.Error()}
			}
			res.Packages = append(res.Packages, &resolve.Package{
				Name: p.Name, Version: v, File: files[0], Wheel: wf, Files: files,
				RequiredBy: lockRequiredBy(p), Hashes: hashList(p.Wheels[0].Hashes), HashOrigin: fmt.Sprintf("%s:%d", p.File, p.Wheels[0].Line),
			})
			continue
		}
		hashes := p.Hashes
		if len(p.Wheels) > 0 { // the files the target loads, by name: only their hashes may match
			hashes = nil
			for _, w := range p.Wheels {
				hashes = append(hashes, hashList(w.Hashes)...)
			}
		}
		q, err := pep508.ParseRequirement(p.Name + "==" + p.Version)
		if err != nil {
			return resolved{}, &lockfile.Error{File: p.File, Line: p.Line, Package: p.Name, Msg: err.Error()}
		}
		viaIndex = append(viaIndex, resolve.Requirement{Requirement: q, Origin: p.Origin(), Hashes: hashes})
		byName[p.Name] = p
	}
	if len(viaIndex) > 0 {
		pr, err := resolve.Pinned(ctx, resolverSource{b.client, b.fetcher}, viaIndex, resolve.Options{Target: t, Pre: true})
		if err != nil {
			return resolved{}, resolveErr(t, err)
		}
		for _, pkg := range pr.Packages {
			if p, ok := byName[pkg.Name]; ok {
				pkg.RequiredBy = lockRequiredBy(p)
			}
			res.Packages = append(res.Packages, pkg)
		}
		res.Warnings = append(res.Warnings, pr.Warnings...)
	}
	sort.Slice(res.Packages, func(i, j int) bool { return res.Packages[i].Name < res.Packages[j].Name })
	return resolved{res, true}, nil
}

// localWheels are the wheels a lock names by a local path (PEP 751's path, which lock writes for a
// folder index) that are there: relative to the lock's folder, or absolute. They are read from
// that file, with the lock's hashes, so that a pylock.toml written from a folder index builds
// without --index-url. Empty when the lock gives URLs, or the first wheel's file is not there (then
// the wheel is found on the index by name and hash). Only .whl files named as the lock says are read.
func localWheels(p lockfile.Package) []index.File {
	var out []index.File
	for _, w := range p.Wheels {
		if w.URL != "" || w.Path == "" || !strings.HasSuffix(w.Path, ".whl") || filepath.Base(w.Path) != w.Filename {
			return out
		}
		path := w.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(p.File), path)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return out
		}
		if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() {
			return out
		}
		out = append(out, index.File{Filename: w.Filename, URL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), Hashes: w.Hashes, Size: w.Size})
	}
	return out
}

// checkPython refuses a target whose Python a pyproject.toml's requires-python excludes, as a lock's
// requires-python is (uv and pip refuse to install such a project too).
func checkPython(set *requirements.Set, t target.Target) error {
	for _, p := range set.Pythons {
		ok, hint, err := lockfile.SatisfiesPython(p.Spec, t)
		if err != nil {
			return &requirements.Error{File: p.File, Line: p.Line, Msg: fmt.Sprintf("requires-python %q: %v", p.Spec, err)}
		}
		if !ok {
			return &requirements.Error{File: p.File, Line: p.Line, Msg: fmt.Sprintf("the project's requires-python %q excludes %s", p.Spec, t.Name), Hint: hint}
		}
	}
	return nil
}

// lockRequiredBy is what the report shows as the package's reason: the package that required it in
// the lock's graph ("alpha 1.0"), or the lock's line when the project itself did (or the lock does not
// say).
func lockRequiredBy(p lockfile.Package) []string {
	if n := len(p.Via); n >= 2 {
		return []string{p.Via[n-1]}
	}
	return []string{p.Origin()}
}

func hashList(h map[string]string) []string {
	var out []string
	for alg, hex := range h {
		out = append(out, alg+":"+hex)
	}
	sort.Strings(out)
	return out
}

func isHTTP(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// lockHashOrigin names the lock's line in a hash mismatch on a file whose hash came from the lock
// (the fetcher takes the hashes of a file it is given as the index's).
func lockHashOrigin(err error, reqs []fetch.Request) {
	var hm *fetch.HashMismatchError
	if !errors.As(err, &hm) || hm.Origin != "" {
		return
	}
	for _, r := range reqs {
		if r.Package == hm.Package {
			hm.Origin = r.Origin
		}
	}
}

// ReadRequirements reads what `lock` resolves: requirements files and pyproject.toml files (with the
// plan's extras and groups). A lock file is refused: it is already locked.
func ReadRequirements(lp LayerPlan, getenv func(string) string, readFile func(string) ([]byte, error)) (*requirements.Set, error) {
	for _, f := range lp.Requirements {
		if lockfile.Detect(f) != "" {
			return nil, &requirements.Error{File: f, Msg: "is a lock file already", Hint: "build installs it as it is; lock reads requirements files and pyproject.toml"}
		}
	}
	in, err := readInputs(lp, getenv, readFile)
	if err != nil {
		return nil, err
	}
	return in.set, nil
}

package resolve

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// candidate is one version of a project and its best wheel for the target.
type candidate struct {
	version pep440.Version
	file    index.File // zero when no file of this version loads on the target
	wheel   wheel.Filename
	yanked  bool   // every loadable file of this version is yanked
	reason  string // why no file loads, when file is zero
}

func (r *resolver) project(ctx context.Context, key string) *projectCache {
	r.mu.Lock()
	pc := r.projects[key]
	if pc == nil {
		pc = &projectCache{}
		r.projects[key] = pc
	}
	r.mu.Unlock()
	pc.once.Do(func() {
		p, err := r.src.Project(ctx, key)
		if err != nil {
			pc.err = err
			return
		}
		pc.cands, pc.other = candidates(key, p.Files, r.opts.Target)
	})
	return pc
}

type versionFiles struct {
	version pep440.Version
	wheels  []wheelFile
	sdists  []string
}

type wheelFile struct {
	file index.File
	name wheel.Filename
}

// candidates groups a project's files by version, newest first, and picks each version's best wheel.
func candidates(key string, files []index.File, t target.Target) ([]candidate, []string) {
	byVersion := map[string]*versionFiles{}
	var other []string
	get := func(v pep440.Version) *versionFiles {
		k := v.String()
		if byVersion[k] == nil {
			byVersion[k] = &versionFiles{version: v}
		}
		return byVersion[k]
	}
	for _, f := range files {
		switch {
		case strings.HasSuffix(f.Filename, ".whl"):
			wn, err := wheel.ParseFilename(f.Filename)
			if err != nil || wn.Name != key {
				other = append(other, fmt.Sprintf("%s: not a valid wheel name for %s", f.Filename, key))
				continue
			}
			v, err := pep440.Parse(wn.Version)
			if err != nil {
				other = append(other, fmt.Sprintf("%s: invalid version %q", f.Filename, wn.Version))
				continue
			}
			vf := get(v)
			vf.wheels = append(vf.wheels, wheelFile{f, wn})
		default:
			if v, ok := sdistVersion(key, f.Filename); ok {
				vf := get(v)
				vf.sdists = append(vf.sdists, f.Filename)
			}
		}
	}
	out := make([]candidate, 0, len(byVersion))
	py := pep440.MustParse(t.PythonFullVersion())
	for _, vf := range byVersion {
		out = append(out, bestFile(vf, t, py))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version.Compare(out[j].version) > 0 })
	return out, other
}

func bestFile(vf *versionFiles, t target.Target, py pep440.Version) candidate {
	c := candidate{version: vf.version}
	bestRank, bestYanked := -1, true
	var needPython []string
	var offered []string
	for _, w := range vf.wheels {
		if w.file.RequiresPython != "" {
			if s, err := pep440.ParseSpecifiers(w.file.RequiresPython); err == nil && !s.Allows(py) {
				needPython = appendUnique(needPython, w.file.RequiresPython)
				continue
			}
		}
		rank := -1
		for _, tag := range w.name.Tags {
			if rk, ok := t.Rank(tag.String()); ok && (rank < 0 || rk < rank) {
				rank = rk
			}
		}
		if rank < 0 {
			offered = append(offered, tagsOf(w.name)...)
			continue
		}
		// A non-yanked file beats a yanked one; then tag preference; then the higher build tag.
		better := c.file.Filename == "" ||
			(bestYanked && !w.file.Yanked) ||
			(bestYanked == w.file.Yanked && (rank < bestRank || rank == bestRank && buildNum(w.name.Build) > buildNum(c.wheel.Build)))
		if better {
			c.file, c.wheel, bestRank, bestYanked = w.file, w.name, rank, w.file.Yanked
		}
	}
	if c.file.Filename != "" {
		c.yanked = bestYanked
		return c
	}
	switch {
	case len(offered) > 0:
		c.reason = noWheelReason(t, offered)
	case len(needPython) > 0:
		c.reason = fmt.Sprintf("requires Python %s (the target has %s)", strings.Join(needPython, " or "), t.PythonVersion())
	case len(vf.sdists) > 0:
		c.reason = fmt.Sprintf("only an sdist (%s); lambda-layers installs wheels only", vf.sdists[0])
	default:
		c.reason = "no files"
	}
	return c
}

func buildNum(b string) int {
	n := 0
	for _, r := range b {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func tagsOf(n wheel.Filename) []string {
	out := make([]string, len(n.Tags))
	for i, t := range n.Tags {
		out[i] = t.String()
	}
	return out
}

// noWheelReason explains why no wheel of a version loads, naming what the files do offer: the
// platforms of wheels built for this Python, or else the Pythons they were built for.
func noWheelReason(t target.Target, offered []string) string {
	interp := map[string]bool{"cp3" + fmt.Sprint(t.Minor): true, "py3": true, "py3" + fmt.Sprint(t.Minor): true}
	var plats, pythons []string
	for _, tag := range offered {
		parts := strings.SplitN(tag, "-", 3)
		if len(parts) != 3 {
			continue
		}
		if interp[parts[0]] || parts[1] == "abi3" {
			plats = appendUnique(plats, parts[2])
		} else {
			pythons = appendUnique(pythons, parts[0]+"-"+parts[1])
		}
	}
	what := plats
	if len(what) == 0 {
		what = pythons
	}
	sort.Strings(what)
	if len(what) > 6 {
		what = append(what[:6], fmt.Sprintf("and %d more", len(what)-6))
	}
	return fmt.Sprintf("no wheel for %s on %s (glibc ≤ %s); files offer %s", t.Name, t.Arch, t.Glibc(), strings.Join(what, ", "))
}

// sdistVersion reads the version from "<name>-<version>.tar.gz" (or .zip, .tar.bz2).
func sdistVersion(key, filename string) (pep440.Version, bool) {
	base := filename
	for _, ext := range []string{".tar.gz", ".tar.bz2", ".tar.xz", ".zip", ".tgz", ".tar"} {
		if strings.HasSuffix(base, ext) {
			base = strings.TrimSuffix(base, ext)
			break
		}
	}
	if base == filename {
		return pep440.Version{}, false
	}
	for i := len(base) - 1; i > 0; i-- {
		if base[i] == '-' && pep508.NormalizeName(base[:i]) == key {
			v, err := pep440.Parse(base[i+1:])
			return v, err == nil
		}
	}
	return pep440.Version{}, false
}

// addURL records a direct wheel URL ("name @ https://…/name-1.0-py3-none-any.whl", or a local .whl) as
// the only candidate for its package.
func (r *resolver) addURL(q Requirement) error {
	key := q.Key()
	u, err := url.Parse(q.URL)
	if err != nil {
		return fmt.Errorf("%s: parsing URL of %s: %w", q.Origin, key, err)
	}
	file := index.File{Filename: path.Base(u.Path), Hashes: map[string]string{}}
	for _, kv := range strings.Split(u.Fragment, "&") {
		if alg, sum, ok := strings.Cut(kv, "="); ok && (alg == "sha256" || alg == "sha384" || alg == "sha512") {
			file.Hashes[alg] = strings.ToLower(sum)
		}
	}
	u.Fragment = ""
	file.URL = u.String()
	wn, err := wheel.ParseFilename(file.Filename)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", q.Origin, key, err)
	}
	if wn.Name != key {
		return fmt.Errorf("%s: the wheel %s is for %s, not %s", q.Origin, file.Filename, wn.Name, key)
	}
	v, err := pep440.Parse(wn.Version)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", q.Origin, file.Filename, err)
	}
	vf := &versionFiles{version: v, wheels: []wheelFile{{file, wn}}}
	c := bestFile(vf, r.opts.Target, pep440.MustParse(r.opts.Target.PythonFullVersion()))
	if c.file.Filename == "" {
		return &NoVersionError{Package: key, Target: r.opts.Target, Requirements: []Requirement{q},
			Rejected: []Rejection{{Version: v.String(), Reason: c.reason}}, Root: q.Origin}
	}
	if prev, ok := r.urls[key]; ok && prev.file.URL != c.file.URL {
		return fmt.Errorf("%s: %s is given by two URLs: %s and %s; keep one", q.Origin, key, prev.file.Filename, c.file.Filename)
	}
	r.urls[key] = c
	return nil
}

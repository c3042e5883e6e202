package resolve

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// project is what the index lists for one name, sorted into releases for the target.
type project struct {
	name     string
	once     sync.Once
	err      error // a failure of the index (not "not found")
	notFound *index.NotFoundError
	releases []*release // newest first
	other    []string   // files that are no distribution of this project at all
}

// release is one version of a project: the files the target loads, best first, or why there are none.
type release struct {
	version pep440.Version
	files   []loadable // non-yanked before yanked, then tag preference, then build number
	// all holds every wheel of the version whatever its tags, for hints about other runtimes.
	all    []wheelFile
	sdists []string
	reason string // why no file loads, when files is empty
	direct bool   // given by URL, not listed by an index
}

type loadable struct {
	file index.File
	name wheel.Filename
	rank int
}

type wheelFile struct {
	file index.File
	name wheel.Filename
}

// yanked reports whether every loadable file of the release is yanked.
func (r *release) yanked() bool { return len(r.files) > 0 && r.files[0].file.Yanked }

// loadProject fetches and sorts a project's files once; concurrent callers share the work.
func (r *resolver) loadProject(ctx context.Context, name string) *project {
	r.mu.Lock()
	p := r.projects[name]
	if p == nil {
		p = &project{name: name}
		r.projects[name] = p
	}
	r.mu.Unlock()
	p.once.Do(func() {
		if err := r.acquire(ctx); err != nil {
			p.err = err
			return
		}
		ip, err := r.src.Project(ctx, name)
		r.release()
		var nf *index.NotFoundError
		switch {
		case errors.As(err, &nf):
			p.notFound = nf
		case err != nil:
			p.err = err
		default:
			p.releases, p.other = sortReleases(name, ip.Files, r.opts.Target)
		}
	})
	return p
}

// sortReleases groups a project's files by version, newest first, keeping for each the files the target loads.
func sortReleases(name string, files []index.File, t target.Target) ([]*release, []string) {
	byVersion := map[string]*release{}
	var other []string
	get := func(v pep440.Version) *release {
		k := v.String()
		if byVersion[k] == nil {
			byVersion[k] = &release{version: v}
		}
		return byVersion[k]
	}
	for _, f := range files {
		if strings.HasSuffix(f.Filename, ".whl") {
			wn, err := wheel.ParseFilename(f.Filename)
			if err != nil || wn.Name != name {
				other = append(other, fmt.Sprintf("%s: not a wheel of %s", f.Filename, name))
				continue
			}
			v, err := pep440.Parse(wn.Version)
			if err != nil {
				other = append(other, fmt.Sprintf("%s: invalid version %q", f.Filename, wn.Version))
				continue
			}
			rel := get(v)
			rel.all = append(rel.all, wheelFile{f, wn})
			continue
		}
		if v, ok := sdistVersion(name, f.Filename); ok {
			rel := get(v)
			rel.sdists = append(rel.sdists, f.Filename)
		}
	}
	out := make([]*release, 0, len(byVersion))
	py := pep440.MustParse(t.PythonFullVersion())
	for _, rel := range byVersion {
		rel.sortFiles(t, py)
		out = append(out, rel)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version.Compare(out[j].version) > 0 })
	return out, other
}

// sortFiles keeps the wheels t loads, in pip's order of preference, and says why none does.
func (r *release) sortFiles(t target.Target, py pep440.Version) {
	var needPython, offered []string
	for _, w := range r.all {
		if !requiresPythonAllows(w.file.RequiresPython, py) {
			needPython = appendUnique(needPython, w.file.RequiresPython)
			continue
		}
		rank := tagRank(t, w.name)
		if rank < 0 {
			offered = append(offered, tagsOf(w.name)...)
			continue
		}
		r.files = append(r.files, loadable{w.file, w.name, rank})
	}
	sort.SliceStable(r.files, func(i, j int) bool {
		a, b := r.files[i], r.files[j]
		if a.file.Yanked != b.file.Yanked {
			return !a.file.Yanked
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		an, as := a.name.BuildNumber()
		bn, bs := b.name.BuildNumber()
		if an != bn {
			return an > bn
		}
		return as > bs
	})
	switch {
	case len(r.files) > 0:
	case len(offered) > 0:
		r.reason = noWheelReason(t, offered)
	case len(needPython) > 0:
		r.reason = fmt.Sprintf("requires Python %s (the target has %s)", strings.Join(needPython, " or "), t.PythonVersion())
	case len(r.sdists) > 0:
		r.reason = fmt.Sprintf("only an sdist (%s); lambda-layers installs wheels only", r.sdists[0])
	default:
		r.reason = "no files"
	}
}

// requiresPythonAllows applies a Requires-Python specifier; an invalid one allows everything, as in pip.
func requiresPythonAllows(spec string, py pep440.Version) bool {
	if strings.TrimSpace(spec) == "" {
		return true
	}
	s, err := pep440.ParseSpecifiers(spec)
	if err != nil {
		return true
	}
	return s.ContainsVersion(py, ptr(true))
}

func ptr[T any](v T) *T { return &v }

// tagRank is the best rank among the wheel's tags on t, or -1 when t loads none of them.
func tagRank(t target.Target, n wheel.Filename) int {
	rank := -1
	for _, tag := range n.Tags {
		if rk, ok := t.Rank(tag.String()); ok && (rank < 0 || rk < rank) {
			rank = rk
		}
	}
	return rank
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
	// The platforms of this architecture say most (manylinux_2_39_x86_64: a newer glibc); the others
	// only that the wheels exist elsewhere.
	var ours []string
	for _, p := range plats {
		if strings.HasSuffix(p, "_"+t.WheelArch()) {
			ours = append(ours, p)
		}
	}
	what := plats
	if len(ours) > 0 {
		what = ours
	}
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

// urlRelease turns a direct wheel URL ("name @ https://…/name-1.0-py3-none-any.whl", or a local .whl)
// into the one release it offers.
func urlRelease(q Requirement, t target.Target) (*release, error) {
	key := q.Key()
	u, err := url.Parse(q.URL)
	if err != nil {
		return nil, fmt.Errorf("%s: parsing URL of %s: %w", q.Origin, key, err)
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
		return nil, fmt.Errorf("%s: %s: %w", q.Origin, key, err)
	}
	if wn.Name != key {
		return nil, fmt.Errorf("%s: the wheel %s is for %s, not %s", q.Origin, file.Filename, wn.Name, key)
	}
	v, err := pep440.Parse(wn.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", q.Origin, file.Filename, err)
	}
	rel := &release{version: v, all: []wheelFile{{file, wn}}, direct: true}
	rel.sortFiles(t, pep440.MustParse(t.PythonFullVersion()))
	return rel, nil
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

package resolve

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// IsPinnedAndHashed reports whether a requirement is what a lock file holds: "name==version" (or
// "===") with at least one --hash, and no URL.
func IsPinnedAndHashed(q Requirement) bool {
	_, pinned := q.Specifier.Pin()
	return pinned && len(q.Hashes) > 0 && q.URL == ""
}

// Pinned resolves requirements that are all pinned and hashed (a lock file) without reading any
// metadata: each package gets the wheel of its version that the target loads best among those whose
// sha256 the user listed. Dependencies are not followed, since a complete lock lists them; Verify checks
// that once the wheels are at hand. A requirement that is not pinned and hashed is an error.
func Pinned(ctx context.Context, src Source, reqs []Requirement, opts Options) (*Result, error) {
	r, err := newResolver(src, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer r.prefetching.Wait()
	defer cancel()
	r.ctx = ctx
	byName := map[string][]*requirement{}
	var names []string
	for i := range reqs {
		q := &reqs[i]
		ok, err := q.Marker.EvaluateExtras(r.env, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: evaluating marker of %q: %w", q.Origin, q.String(), err)
		}
		if !ok {
			continue
		}
		if !IsPinnedAndHashed(*q) {
			return nil, fmt.Errorf("%s: %s is not pinned with == and hashed", q.Origin, q.String())
		}
		rq, err := r.newRequirement(q.Requirement, q.Origin)
		if err != nil {
			return nil, err
		}
		rq.user, rq.hashes = q, q.Hashes
		if byName[rq.name] == nil {
			names = append(names, rq.name)
		}
		byName[rq.name] = append(byName[rq.name], rq)
	}
	// Every project page at once.
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() { r.loadProject(ctx, n) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Strings(names)
	res := &Result{}
	empty := &state{pins: map[string]*candidate{}, criteria: map[string]*criterion{}}
	for _, n := range names {
		qs := byName[n]
		base := make([]*requirement, len(qs))
		for i, q := range qs {
			b := *q
			b.id, b.extras = n, nil
			base[i] = &b
		}
		cands, err := r.findMatches(ctx, n, base, nil, nil)
		if err != nil {
			return nil, withOrigin(err, empty, qs[0], nil)
		}
		if len(cands) == 0 {
			var causes []info
			for _, q := range base {
				causes = append(causes, info{q, nil})
			}
			return nil, r.explainPackage(ctx, n, causes, empty)
		}
		c := cands[0]
		if err := r.otherTargetsHashes(n, base, c); err != nil {
			return nil, err
		}
		p := &Package{Name: n, Version: c.version, File: c.file.file, Wheel: c.file.name}
		for _, f := range c.rel.files {
			if f.file.Yanked == c.file.file.Yanked {
				p.Files = append(p.Files, f.file)
			}
		}
		var hashSets [][]string
		for _, q := range qs {
			for _, e := range q.extras {
				p.Extras = appendUnique(p.Extras, e)
			}
			p.RequiredBy = appendUnique(p.RequiredBy, q.origin)
			p.ViaReq = appendUnique(p.ViaReq, q.origin)
			hashSets = append(hashSets, q.hashes)
			if p.HashOrigin == "" {
				p.HashOrigin = q.origin
			}
		}
		for i, h := range hashSets {
			if i == 0 {
				p.Hashes = append([]string(nil), h...)
			} else {
				p.Hashes = intersect(p.Hashes, h)
			}
		}
		sort.Strings(p.Extras)
		res.Packages = append(res.Packages, p)
	}
	return res, nil
}

// otherTargetsHashes explains a lock made for another target: the hashes name a wheel of the version,
// but not one this target loads. (Hashes that name no file at all fail the download, as in pip.)
func (r *resolver) otherTargetsHashes(name string, reqs []*requirement, c *candidate) error {
	_, hashes := r.merged(reqs, name)
	if len(hashes) == 0 || fileMatches(c.file.file, hashes) {
		return nil
	}
	for _, w := range c.rel.all {
		if !fileMatches(w.file, hashes) {
			continue
		}
		t := r.opts.Target
		var demands []Demand
		for _, q := range reqs {
			demands = append(demands, Demand{Requirement: q.text, Origin: q.origin})
		}
		return &NoVersionError{Package: name, Target: t, Demands: demands, Root: reqs[0].origin,
			Rejected: []Rejection{{Version: c.version.String(), Reason: fmt.Sprintf("the --hash values are those of %s, which %s does not load", w.file.Filename, t)}},
			Hint:     fmt.Sprintf("this file was locked for another target; lock it for this one with `lambda-layers lock --runtime %s --arch %s`", t.Name, t.Arch)}
	}
	return nil
}

// IncompleteError says a pinned, hashed set of requirements does not hold for the target: a package
// needs one the set lacks, or another version of it, or another Python.
type IncompleteError struct {
	Target   target.Target
	Problems []string
	Root     string // the file:line of the first package with a problem
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("the pinned requirements are incomplete or inconsistent for %s:\n  %s\n  hint: write them again with `lambda-layers lock` for this runtime and architecture",
		e.Target, strings.Join(e.Problems, "\n  "))
}

// Verify checks a resolution made by Pinned against the packages' own metadata (Package.Metadata, read
// from the wheels by the caller): every dependency is in the set at an allowed version, and every
// package accepts the target's Python, as pip checks in hash-checking mode.
func Verify(res *Result, t target.Target) error {
	env := pep508.Env(t.Env())
	py := pep440.MustParse(t.PythonFullVersion())
	byName := map[string]*Package{}
	for _, p := range res.Packages {
		byName[p.Name] = p
	}
	e := &IncompleteError{Target: t}
	for _, p := range res.Packages {
		md := p.Metadata
		if md == nil {
			continue
		}
		origin := strings.Join(p.RequiredBy, ", ")
		fail := func(format string, args ...any) {
			if e.Root == "" && len(p.RequiredBy) > 0 {
				e.Root = p.RequiredBy[0]
			}
			e.Problems = append(e.Problems, fmt.Sprintf("%s %s (%s) ", p.Name, p.Version, origin)+fmt.Sprintf(format, args...))
		}
		if !requiresPythonAllows(md.RequiresPython, py) {
			fail("requires Python %s; the target has %s", md.RequiresPython, t.PythonVersion())
		}
		for _, line := range md.RequiresDist {
			q, err := pep508.ParseRequirement(line)
			if err != nil {
				fail("has a bad Requires-Dist %q: %v", line, err)
				continue
			}
			ok, err := q.Marker.EvaluateExtras(env, p.Extras)
			if err != nil {
				fail("has a Requires-Dist marker that does not evaluate: %v", err)
				continue
			}
			if !ok {
				continue
			}
			dep := byName[q.Key()]
			switch {
			case dep == nil:
				fail("requires %s, which is not pinned", reqText(q.Key(), nil, q.Specifier))
			case !q.Specifier.ContainsVersion(dep.Version, ptr(true)):
				fail("requires %s, but %s %s is pinned", reqText(q.Key(), nil, q.Specifier), dep.Name, dep.Version)
			}
		}
	}
	if len(e.Problems) > 0 {
		return e
	}
	return nil
}

package resolve

// The provider, in resolvelib's terms: what a requirement and a candidate are, which candidates match,
// what a candidate depends on, and the prefetching that keeps the index busy ahead of the decisions.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// requirement is an edge of the graph as the resolver sees it.
type requirement struct {
	id     string // identifier
	name   string
	extras []string
	spec   pep440.Specifiers
	// explicit, when set, is the one candidate that satisfies the requirement: a direct URL, or an
	// extras candidate's own base.
	explicit *candidate
	// unsat, when set, is why the parent cannot be installed at all (its Requires-Python): such a
	// requirement is never satisfied.
	unsat  string
	hashes []string
	user   *Requirement // the user's requirement; nil for a dependency
	origin string
	text   string
}

// candidate is one version of an identifier with the file it would install.
type candidate struct {
	id      string
	name    string
	extras  []string
	version pep440.Version
	rel     *release
	file    loadable
	base    *candidate // for an extras candidate: the candidate without extras

	depsDone bool
	deps     []*requirement
	depIDs   map[string]bool
	depsErr  error
	meta     *wheel.Metadata
}

func (c *candidate) String() string { return c.name + " " + c.version.String() }

// candidate returns the canonical candidate for an identifier, version and file.
func (r *resolver) candidate(id, name string, extras []string, rel *release, f loadable) *candidate {
	key := id + "\x00" + rel.version.String() + "\x00" + f.file.URL
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cands[key]; c != nil {
		return c
	}
	c := &candidate{id: id, name: name, extras: extras, version: rel.version, rel: rel, file: f}
	r.cands[key] = c
	return c
}

func (r *resolver) extrasCandidate(base *candidate, extras []string) *candidate {
	c := r.candidate(identifier(base.name, extras), base.name, extras, base.rel, base.file)
	c.base = base
	return c
}

// isSatisfiedBy is pip's: an explicit requirement wants its candidate, a specifier wants the version
// (pre-releases included: the policy was applied when the candidates were found).
func isSatisfiedBy(q *requirement, c *candidate) bool {
	switch {
	case q.unsat != "":
		return false
	case q.explicit != nil:
		return q.explicit == c
	}
	return q.spec.ContainsVersion(c.version, ptr(true))
}

// findMatches is pip's find_candidates: the candidates of id that every requirement on it and every
// constraint allow, minus known incompatibilities, most preferred first.
func (r *resolver) findMatches(ctx context.Context, id string, reqs, baseReqs []*requirement, incompat []*candidate) ([]*candidate, error) {
	var name string
	var extras []string
	var explicit []*candidate
	var specReqs []*requirement
	for _, q := range reqs {
		name, extras = q.name, q.extras
		switch {
		case q.unsat != "":
			return nil, nil
		case q.explicit != nil:
			if !slices.Contains(explicit, q.explicit) {
				explicit = append(explicit, q.explicit)
			}
		default:
			specReqs = append(specReqs, q)
		}
	}
	if name == "" {
		return nil, nil
	}
	if len(extras) > 0 {
		for _, q := range baseReqs {
			if q.explicit != nil {
				c := r.extrasCandidate(q.explicit, extras)
				if !slices.Contains(explicit, c) {
					explicit = append(explicit, c)
				}
			}
		}
	}
	cons := r.consMerged[name]
	if len(specReqs) > 0 && cons != nil {
		for _, u := range cons.urls {
			x := u
			if len(extras) > 0 {
				x = r.extrasCandidate(u, extras)
			}
			if !slices.Contains(explicit, x) {
				explicit = append(explicit, x)
			}
		}
	}
	if len(explicit) == 0 {
		return r.foundCandidates(ctx, id, name, extras, specReqs, incompat)
	}
	var out []*candidate
	for _, c := range explicit {
		ok := !slices.Contains(incompat, c)
		if cons != nil {
			ok = ok && cons.spec.ContainsVersion(c.version, ptr(true))
		}
		for _, q := range reqs {
			ok = ok && isSatisfiedBy(q, c)
		}
		if ok {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if d := out[i].version.Compare(out[j].version); d != 0 {
			return d > 0
		}
		return out[i].file.file.URL < out[j].file.file.URL
	})
	return out, nil
}

// foundCandidates are the index's candidates: pip's PackageFinder and _iter_found_candidates.
func (r *resolver) foundCandidates(ctx context.Context, id, name string, extras []string, reqs []*requirement, incompat []*candidate) ([]*candidate, error) {
	p := r.loadProject(ctx, name)
	if p.err != nil {
		return nil, &ProjectError{Package: name, Err: p.err}
	}
	spec, hashes := r.merged(reqs, name)
	rels := r.applicable(p, spec, hashes)
	var out []*candidate
	for _, a := range rels {
		var c *candidate
		if len(extras) > 0 {
			c = r.extrasCandidate(r.candidate(name, name, nil, a.rel, a.file), extras)
		} else {
			c = r.candidate(id, name, nil, a.rel, a.file)
		}
		if !slices.Contains(incompat, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// merged is the intersection of the requirements' specifiers and hashes with the package's constraints,
// which were intersected once when the resolver was made (constraintSet). Requirements that say the same
// thing (forty parents each requiring "requests>=2") count once, and each distinct list of requirements
// is intersected once per package (r.mergedCache): a candidate search costs what the distinct
// requirements cost, not what the -c file's lines or the criterion's parents cost.
func (r *resolver) merged(reqs []*requirement, name string) (pep440.Specifiers, []string) {
	distinct := make([]*requirement, 0, len(reqs))
	var key strings.Builder
	key.WriteString(name)
	seen := make(map[string]bool, len(reqs))
	for _, q := range reqs {
		k := specKey(q.spec, q.hashes)
		if seen[k] {
			continue
		}
		seen[k] = true
		distinct = append(distinct, q)
		key.WriteString("\x00")
		key.WriteString(k)
	}
	if v, ok := r.mergedCache.Load(key.String()); ok {
		m := v.(mergedSpec)
		return m.spec, slices.Clone(m.hashes)
	}
	var m meet
	m.specs = make([]pep440.Specifiers, 0, 1+len(distinct))
	if c := r.consMerged[name]; c != nil {
		m.specs = append(m.specs, c.spec)
		m.hashes, m.hashed = slices.Clone(c.hashes), c.hashed
	}
	for _, q := range distinct {
		m.and(q.spec, q.hashes)
	}
	spec, hashes := m.result()
	r.mergedCache.Store(key.String(), mergedSpec{spec, hashes})
	return spec, slices.Clone(hashes)
}

type mergedSpec struct {
	spec   pep440.Specifiers
	hashes []string
}

// specKey identifies what a specifier set and hash list allow: intersecting with an equal key again
// changes nothing.
func specKey(s pep440.Specifiers, hashes []string) string {
	allow, forced := s.PrereleasesOverride()
	pre := "-"
	if forced {
		pre = fmt.Sprint(allow)
	}
	return s.String() + "\x01" + pre + "\x01" + strings.Join(hashes, " ")
}

// meet accumulates specifiers and hash lists to intersect in one pass (pep440.AndAll).
type meet struct {
	specs  []pep440.Specifiers
	hashes []string
	hashed bool // some list was given: an empty hashes then means the lists disagree
}

func (m *meet) and(s pep440.Specifiers, h []string) {
	m.specs = append(m.specs, s)
	if len(h) > 0 {
		if m.hashed {
			m.hashes = intersect(m.hashes, h)
		} else {
			m.hashes, m.hashed = slices.Clone(h), true
		}
	}
}

func (m *meet) result() (pep440.Specifiers, []string) {
	hashes := m.hashes
	if m.hashed && len(hashes) == 0 {
		hashes = []string{"none:"} // the hash sets disagree: nothing may match
	}
	return pep440.AndAll(m.specs...), hashes
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

type applicable struct {
	rel  *release
	file loadable
}

// applicable applies pip's finder rules to a project's releases: specifier with the pre-release policy,
// yanked only for an exact pin that nothing else satisfies, and files whose hash the user listed.
func (r *resolver) applicable(p *project, spec pep440.Specifiers, hashes []string) []applicable {
	var rels []*release
	var versions []pep440.Version
	for _, rel := range p.releases {
		if len(rel.files) > 0 && spec.Allows(rel.version) {
			rels = append(rels, rel)
			versions = append(versions, rel.version)
		}
	}
	var pre *bool
	if r.opts.Pre {
		pre = ptr(true)
	}
	keep := spec.FilterVersions(versions, pre)
	var out []applicable
	allYanked := true
	j := 0
	for _, rel := range rels {
		if j < len(keep) && rel.version.Equal(keep[j]) && rel.version.String() == keep[j].String() {
			j++
			out = append(out, applicable{rel, rel.files[0]})
			allYanked = allYanked && rel.yanked()
		}
	}
	if !(allYanked && isPinned(spec)) {
		out = slices.DeleteFunc(out, func(a applicable) bool { return a.rel.yanked() })
	}
	if len(hashes) > 0 {
		var matching []applicable
		for _, a := range out {
			for _, f := range a.rel.files {
				if f.file.Yanked != a.file.file.Yanked {
					continue
				}
				if fileMatches(f.file, hashes) {
					matching = append(matching, applicable{a.rel, f})
					break
				}
			}
		}
		if len(matching) > 0 {
			out = matching
		}
	}
	return out
}

// isPinned is pip's rule for allowing a yanked release: some clause is "===" or a "==" without wildcard.
func isPinned(s pep440.Specifiers) bool {
	for _, c := range s.Clauses() {
		if c.Op == "===" || c.Op == "==" && !strings.HasSuffix(c.Version, ".*") {
			return true
		}
	}
	return false
}

func fileMatches(f index.File, hashes []string) bool {
	for _, h := range hashes {
		alg, sum, _ := strings.Cut(h, ":")
		if got, ok := f.Hashes[alg]; ok && strings.EqualFold(got, sum) {
			return true
		}
	}
	return false
}

// metadata returns the parsed core metadata of a file, fetching it once however many ask.
func (r *resolver) metadata(ctx context.Context, f index.File) (*wheel.Metadata, error) {
	r.mu.Lock()
	e := r.metas[f.URL]
	if e == nil {
		e = &metaEntry{}
		r.metas[f.URL] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		if err := r.acquire(ctx); err != nil {
			e.err = err
			return
		}
		b, err := r.src.Metadata(ctx, f)
		r.release()
		if err != nil {
			e.err = fmt.Errorf("reading metadata of %s: %w", f.Filename, err)
			return
		}
		md, err := wheel.ParseMetadata(b)
		if err != nil {
			e.err = fmt.Errorf("reading metadata of %s: %w", f.Filename, err)
			return
		}
		e.md = &md
	})
	return e.md, e.err
}

// dependencies are a candidate's requirements for the target: an extras candidate's base pin and its
// extras' requirements, or a base candidate's unconditional ones and its Requires-Python.
func (r *resolver) dependencies(ctx context.Context, c *candidate) ([]*requirement, error) {
	if c.depsDone {
		return c.deps, c.depsErr
	}
	c.deps, c.depsErr = r.loadDependencies(ctx, c)
	if c.depsErr != nil && ctx.Err() != nil {
		return nil, c.depsErr // do not remember a cancellation
	}
	c.depsDone = true
	c.depIDs = map[string]bool{}
	for _, q := range c.deps {
		c.depIDs[q.id] = true
	}
	if c.meta != nil && c.meta.RequiresPython != "" {
		c.depIDs[pythonID] = true
	}
	return c.deps, c.depsErr
}

const pythonID = "<Python from Requires-Python>"

func (r *resolver) loadDependencies(ctx context.Context, c *candidate) ([]*requirement, error) {
	md, err := r.metadata(ctx, c.file.file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	c.meta = md
	origin := c.String()
	if pep508.NormalizeName(md.Name) != c.name {
		return []*requirement{{id: "<metadata>", name: c.name, unsat: fmt.Sprintf("its metadata names %s, not %s", md.Name, c.name), origin: origin}}, nil
	}
	if v, err := pep440.Parse(md.Version); err != nil || !v.Equal(c.version) {
		return []*requirement{{id: "<metadata>", name: c.name, unsat: fmt.Sprintf("its metadata says version %s", md.Version), origin: origin}}, nil
	}
	var out []*requirement
	if c.base != nil {
		out = append(out, &requirement{id: c.name, name: c.name, explicit: c.base, origin: origin, text: c.name + "==" + c.version.String()})
	} else if !requiresPythonAllows(md.RequiresPython, r.py) {
		return []*requirement{{id: pythonID, name: c.name, unsat: "requires Python " + md.RequiresPython + " (METADATA)", origin: origin,
			text: "Python " + md.RequiresPython}}, nil
	}
	var valid []string
	if c.base != nil {
		provided := map[string]bool{}
		for _, e := range md.ProvidesExtra {
			provided[pep508.NormalizeName(e)] = true
		}
		for _, e := range c.extras {
			if provided[e] {
				valid = append(valid, e)
			} else {
				r.warn(fmt.Sprintf("%s does not provide the extra %q", c, e))
			}
		}
		if len(valid) == 0 {
			return out, nil
		}
	}
	for _, line := range md.RequiresDist {
		q, err := pep508.ParseRequirement(line)
		if err != nil {
			return nil, fmt.Errorf("%s: bad Requires-Dist %q: %w", origin, line, err)
		}
		base, err := q.Marker.EvaluateExtras(r.env, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: evaluating marker of %q: %w", origin, line, err)
		}
		want := base
		if c.base != nil {
			withExtras, err := q.Marker.EvaluateExtras(r.env, valid)
			if err != nil {
				return nil, fmt.Errorf("%s: evaluating marker of %q: %w", origin, line, err)
			}
			want = withExtras && !base
		}
		if !want {
			continue
		}
		rq, err := r.newRequirement(q, origin)
		if err != nil {
			return nil, err
		}
		out = append(out, rq)
	}
	return out, nil
}

func (r *resolver) warn(w string) {
	if !r.warned[w] {
		r.warned[w] = true
		r.warnings = append(r.warnings, w)
	}
}

// prefetch fetches, in the background, the project page of a requirement and the metadata of the
// version it will most likely get, then does the same for that version's dependencies: the resolver
// decides one package at a time, but finds what it needs already fetched. The crawl runs ahead of the
// resolver one dependency level per page and metadata round trip; no goroutine holds a slot of the
// request bound while it waits for a page or metadata another one is fetching (loadProject and metadata
// take the slot only around their request), and a file whose dependencies were already followed is not
// followed again.
func (r *resolver) prefetch(q *requirement) {
	if q.unsat != "" {
		return
	}
	key := q.id + " " + q.spec.String()
	if q.explicit != nil {
		key = q.explicit.file.file.URL
	}
	if !r.firstPrefetch(key) {
		return
	}
	ctx := r.ctx
	r.prefetching.Add(1)
	go func() {
		defer r.prefetching.Done()
		f, ok := r.likelyFile(ctx, q)
		if !ok || ctx.Err() != nil || !r.firstPrefetch(q.id+" "+f.file.URL) {
			return
		}
		md, err := r.metadata(ctx, f.file)
		if err != nil || ctx.Err() != nil {
			return
		}
		for _, line := range md.RequiresDist {
			dq, err := pep508.ParseRequirement(line)
			if err != nil {
				continue
			}
			if ok, err := dq.Marker.EvaluateExtras(r.env, q.extras); err != nil || !ok || dq.URL != "" {
				continue
			}
			r.prefetch(&requirement{id: identifier(dq.Key(), normalizeExtras(dq.Extras)), name: dq.Key(), extras: normalizeExtras(dq.Extras), spec: dq.Specifier})
		}
	}()
}

// firstPrefetch records key and says whether it is new.
func (r *resolver) firstPrefetch(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := r.prefetched[key]
	r.prefetched[key] = true
	return !seen
}

// acquire takes a slot of the bound on concurrent index requests; release gives it back.
func (r *resolver) acquire(ctx context.Context) error {
	select {
	case r.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *resolver) release() { <-r.sem }

// likelyFile guesses the file a requirement will be pinned to: the newest the requirement alone allows.
func (r *resolver) likelyFile(ctx context.Context, q *requirement) (loadable, bool) {
	if q.explicit != nil {
		return q.explicit.file, true
	}
	p := r.loadProject(ctx, q.name)
	if p.err != nil || p.notFound != nil {
		return loadable{}, false
	}
	spec, hashes := r.merged([]*requirement{q}, q.name)
	if a := r.applicable(p, spec, hashes); len(a) > 0 {
		return a[0].file, true
	}
	return loadable{}, false
}

// Package resolve chooses one wheel per package for a Lambda target the way pip would if it ran there:
// a backtracking resolver after resolvelib with pip's preferences, whose failures explain themselves.
package resolve

import (
	"context"
	"fmt"
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

// Source answers the two questions a resolver asks of the outside world. Both are called concurrently.
type Source interface {
	Project(ctx context.Context, name string) (index.Project, error)
	// Metadata returns the core metadata of the wheel f (PEP 658, or read from the wheel itself).
	Metadata(ctx context.Context, f index.File) ([]byte, error)
}

// Requirement is one thing asked for, with where it was asked.
type Requirement struct {
	pep508.Requirement
	// Origin is where the requirement comes from: "requirements.txt:3", or "boto3 1.35.0" for a dependency.
	Origin string
	// Hashes are the user's --hash values for this requirement ("sha256:<hex>").
	Hashes []string
}

// Options steer a resolution. The zero value resolves for no target; Target is required.
type Options struct {
	Target target.Target
	// Pre allows pre-releases everywhere (pip's --pre). Default: only when a specifier names one or
	// nothing else matches.
	Pre bool
	// Constraints restrict versions (pip's -c) but never add packages.
	Constraints []Requirement
	// Concurrency bounds parallel index and metadata requests; 0 means 32. Across a network a request
	// mostly waits for its round trip, so the bound is set by the width of a dependency level (a layer's
	// first level is often 20–30 packages), not by cores.
	Concurrency int
	// MaxRounds bounds the search; 0 means 200,000 (pip's limit).
	MaxRounds int
}

// Package is one resolved package.
type Package struct {
	Name    string // normalized
	Version pep440.Version
	File    index.File // the wheel to install: the target's best
	Wheel   wheel.Filename
	// Files are every wheel of this version the target loads, best first (File is the first that
	// matches the user's hashes); a lock file lists all their hashes.
	Files []index.File
	// URL is the wheel's URL when the user gave one ("name @ https://…", a local .whl), not an index.
	URL    string
	Extras []string // normalized, sorted
	// RequiredBy lists the origins of the requirements that selected it: "requirements.txt:3" for the
	// user's, "boto3 1.35.0" for a dependency's.
	RequiredBy []string
	// Via says the same as data: the packages (normalized names, sorted) and the user's requirements
	// (origins, in file order) that require it.
	Via    []string
	ViaReq []string
	Hashes []string // the user's --hash values that apply (empty when none)
	// HashOrigin is the origin of the requirement that carried Hashes.
	HashOrigin string
	// Metadata is the wheel's core metadata, when the resolution read it (nil for Pinned).
	Metadata *wheel.Metadata
}

// Result is a resolution.
type Result struct {
	Packages []*Package // sorted by name
	Warnings []string
}

// Resolve resolves reqs for opts.Target. A resolution that cannot succeed is a *ConflictError or a
// *NoVersionError; an index that fails is a *ProjectError; anything else is a failure to read metadata.
func Resolve(ctx context.Context, src Source, reqs []Requirement, opts Options) (*Result, error) {
	r, err := newResolver(src, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer r.prefetching.Wait() // no goroutine outlives the call
	defer cancel()
	r.ctx = ctx
	roots, err := r.rootRequirements(reqs)
	if err != nil {
		return nil, err
	}
	st, err := r.resolve(ctx, roots)
	if err != nil {
		return nil, err
	}
	return r.result(st), nil
}

type resolver struct {
	src  Source
	opts Options
	env  pep508.Env
	py   pep440.Version
	ctx  context.Context // for prefetches

	mu       sync.Mutex
	projects map[string]*project
	metas    map[string]*metaEntry // by file URL
	urls     map[string]*release   // direct wheel URLs, by URL

	cands       map[string]*candidate   // canonical candidates: identity is what resolvelib compares
	constraints map[string][]constraint // each -c line whose marker holds, for origins and hashes
	consMerged  map[string]*constraintSet
	mergedCache sync.Map // merged's results, by package and distinct requirements
	userOrder   map[string]int
	depths      map[string]float64
	warned      map[string]bool
	warnings    []string

	history []conflictRecord // recent dead ends, oldest first

	sem         chan struct{}
	prefetching sync.WaitGroup
	prefetched  map[string]bool
}

type constraint struct {
	spec   pep440.Specifiers
	hashes []string
	url    *candidate
	origin string
}

// constraintSet is a package's constraints intersected once: the specifiers and hash lists of every -c
// line naming it, and the distinct URL candidates they name.
type constraintSet struct {
	spec   pep440.Specifiers
	hashes []string
	hashed bool
	urls   []*candidate
}

// mergeConstraints intersects each package's constraints once, so a candidate search costs the same for
// a 20,000-line constraints file as for one that says each thing once.
func mergeConstraints(byName map[string][]constraint) map[string]*constraintSet {
	out := make(map[string]*constraintSet, len(byName))
	for k, cons := range byName {
		var m meet
		set := &constraintSet{}
		seen := map[string]bool{}
		for _, c := range cons {
			// Intersection is idempotent: a line saying what another said adds nothing but clauses that
			// every later candidate search would copy again.
			if k := specKey(c.spec, c.hashes); !seen[k] {
				seen[k] = true
				m.and(c.spec, c.hashes)
			}
			if c.url != nil && !slices.Contains(set.urls, c.url) {
				set.urls = append(set.urls, c.url)
			}
		}
		set.spec = pep440.AndAll(m.specs...)
		set.hashes, set.hashed = m.hashes, m.hashed
		out[k] = set
	}
	return out
}

type metaEntry struct {
	once sync.Once
	md   *wheel.Metadata
	err  error
}

func newResolver(src Source, opts Options) (*resolver, error) {
	if opts.Target.Name == "" {
		return nil, fmt.Errorf("resolving: no target")
	}
	n := opts.Concurrency
	if n <= 0 {
		n = 32
	}
	if opts.MaxRounds <= 0 {
		opts.MaxRounds = 200_000
	}
	r := &resolver{
		src: src, opts: opts, env: pep508.Env(opts.Target.Env()), py: pep440.MustParse(opts.Target.PythonFullVersion()),
		ctx:      context.Background(),
		projects: map[string]*project{}, metas: map[string]*metaEntry{}, urls: map[string]*release{},
		cands: map[string]*candidate{}, constraints: map[string][]constraint{}, userOrder: map[string]int{},
		depths: map[string]float64{}, warned: map[string]bool{}, sem: make(chan struct{}, n), prefetched: map[string]bool{},
	}
	for _, c := range opts.Constraints {
		ok, err := c.Marker.EvaluateExtras(r.env, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: evaluating marker of %q: %w", c.Origin, c.String(), err)
		}
		if !ok {
			continue
		}
		k := c.Key()
		con := constraint{spec: c.Specifier, hashes: c.Hashes, origin: c.Origin}
		if c.URL != "" {
			rel, err := r.urlRelease(c)
			if err != nil {
				return nil, err
			}
			if len(rel.files) > 0 {
				con.url = r.candidate(k, k, nil, rel, rel.files[0])
			}
		}
		r.constraints[k] = append(r.constraints[k], con)
	}
	r.consMerged = mergeConstraints(r.constraints)
	return r, nil
}

// rootRequirements turns the user's requirements into the resolver's, dropping those whose marker is
// false for the target and merging identical ones (same package, extras, specifiers, URL and hashes) into
// the first: a file that repeats a line thousands of times resolves like one that says it once.
func (r *resolver) rootRequirements(reqs []Requirement) ([]*requirement, error) {
	var out []*requirement
	seen := map[string]bool{}
	for i := range reqs {
		q := &reqs[i]
		ok, err := q.Marker.EvaluateExtras(r.env, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: evaluating marker of %q: %w", q.Origin, q.String(), err)
		}
		if !ok {
			continue
		}
		hashes := slices.Clone(q.Hashes)
		slices.Sort(hashes)
		key := strings.Join(append([]string{identifier(q.Key(), normalizeExtras(q.Extras)), q.Specifier.String(), q.URL}, hashes...), "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		rq, err := r.newRequirement(q.Requirement, q.Origin)
		if err != nil {
			return nil, err
		}
		rq.user = q
		rq.hashes = q.Hashes
		if _, seen := r.userOrder[rq.id]; !seen {
			r.userOrder[rq.id] = i
			r.prefetch(rq) // one per package: the others would mostly fetch the same file
		}
		out = append(out, rq)
	}
	return out, nil
}

// newRequirement makes the resolver's form of a PEP 508 requirement.
func (r *resolver) newRequirement(q pep508.Requirement, origin string) (*requirement, error) {
	name := q.Key()
	extras := normalizeExtras(q.Extras)
	rq := &requirement{id: identifier(name, extras), name: name, extras: extras, spec: q.Specifier, origin: origin, text: reqText(name, extras, q.Specifier)}
	if q.URL != "" {
		rel, err := r.urlRelease(Requirement{Requirement: q, Origin: origin})
		if err != nil {
			return nil, err
		}
		if len(rel.files) == 0 {
			return nil, &NoVersionError{Package: name, Target: r.opts.Target, Demands: []Demand{{Requirement: q.String(), Origin: origin}},
				Rejected: []Rejection{{Version: rel.version.String(), Reason: rel.reason}}, Root: origin}
		}
		base := r.candidate(name, name, nil, rel, rel.files[0])
		rq.explicit = base
		if len(extras) > 0 {
			rq.explicit = r.candidate(rq.id, name, extras, rel, rel.files[0])
		}
		rq.text = name + " @ " + rel.files[0].file.Filename
	}
	return rq, nil
}

func (r *resolver) urlRelease(q Requirement) (*release, error) {
	r.mu.Lock()
	rel := r.urls[q.URL]
	r.mu.Unlock()
	if rel != nil {
		return rel, nil
	}
	rel, err := urlRelease(q, r.opts.Target)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.urls[q.URL] = rel
	r.mu.Unlock()
	return rel, nil
}

func normalizeExtras(extras []string) []string {
	if len(extras) == 0 {
		return nil
	}
	out := make([]string, 0, len(extras))
	for _, e := range extras {
		out = appendUnique(out, pep508.NormalizeName(e))
	}
	sort.Strings(out)
	return out
}

// identifier is what resolvelib keys its decisions by: the name, or the name with its extras (pip's
// "name[a,b]"), which is pinned to the same version as the name alone.
func identifier(name string, extras []string) string {
	if len(extras) == 0 {
		return name
	}
	return name + "[" + strings.Join(extras, ",") + "]"
}

func reqText(name string, extras []string, spec pep440.Specifiers) string {
	return identifier(name, extras) + spec.String()
}

// result turns the final state into packages: one per name, the extras identifiers folded in.
func (r *resolver) result(st *state) *Result {
	mapping := st.connected()
	byName := map[string]*Package{}
	var names []string
	for _, id := range st.order {
		c := mapping[id]
		if c == nil {
			continue
		}
		p := byName[c.name]
		if p == nil {
			p = &Package{Name: c.name}
			byName[c.name] = p
			names = append(names, c.name)
		}
		if c.base == nil {
			p.Version, p.File, p.Wheel, p.Metadata = c.version, c.file.file, c.file.name, c.meta
			if c.rel.direct {
				p.URL = c.file.file.URL
			}
			for _, f := range c.rel.files {
				if f.file.Yanked == c.file.file.Yanked {
					p.Files = append(p.Files, f.file)
				}
			}
			// The chosen file first, whatever the hashes made it.
			if i := slices.IndexFunc(p.Files, func(f index.File) bool { return f.URL == c.file.file.URL }); i > 0 {
				p.Files = append(append([]index.File{c.file.file}, p.Files[:i]...), p.Files[i+1:]...)
			}
		} else {
			for _, e := range c.extras {
				p.Extras = appendUnique(p.Extras, e)
			}
		}
	}
	for _, name := range names {
		p := byName[name]
		sort.Strings(p.Extras)
		var hashSets [][]string
		userSeen := map[string]bool{} // the user's origins, which may be thousands
		byUser := func(origin string) {
			if !userSeen[origin] {
				userSeen[origin] = true
				p.RequiredBy = append(p.RequiredBy, origin)
				p.ViaReq = append(p.ViaReq, origin)
			}
		}
		for _, id := range st.order {
			crit := st.criteria[id]
			if crit == nil || (id != name && !strings.HasPrefix(id, name+"[")) {
				continue
			}
			for _, in := range crit.info {
				switch {
				case in.parent == nil:
					byUser(in.req.origin)
					if len(in.req.hashes) > 0 {
						hashSets = append(hashSets, in.req.hashes)
						if p.HashOrigin == "" {
							p.HashOrigin = in.req.origin
						}
					}
				case mapping[in.parent.id] != in.parent || in.parent.name == name:
				default:
					p.RequiredBy = appendUnique(p.RequiredBy, in.parent.String())
					p.Via = appendUnique(p.Via, in.parent.name)
				}
			}
		}
		for _, c := range r.constraints[name] {
			if len(c.hashes) > 0 {
				hashSets = append(hashSets, c.hashes)
				if p.HashOrigin == "" {
					p.HashOrigin = c.origin
				}
			}
		}
		for i, h := range hashSets {
			if i == 0 {
				p.Hashes = slices.Clone(h)
			} else {
				p.Hashes = intersect(p.Hashes, h)
			}
		}
		sort.Strings(p.Via)
	}
	sort.Strings(names)
	for _, id := range st.order {
		if c := mapping[id]; c != nil && c.base == nil {
			if w := r.skippedNewer(c, st.criteria[id]); w != "" {
				r.warn(w)
			}
		}
	}
	res := &Result{Warnings: r.warnings}
	for _, n := range names {
		res.Packages = append(res.Packages, byName[n])
	}
	return res
}

// skippedNewer says when the chosen version is not the newest the requirements allow because newer ones
// have no wheel for the target: users expect the newest, and should know why they did not get it.
func (r *resolver) skippedNewer(c *candidate, crit *criterion) string {
	p := r.loadProject(r.ctx, c.name)
	if crit == nil || p.err != nil || p.notFound != nil {
		return ""
	}
	var reqs []*requirement
	for _, in := range crit.info {
		if in.req.explicit != nil {
			return "" // a URL or a pin to an exact file: nothing was skipped
		}
		reqs = append(reqs, in.req)
	}
	spec, _ := r.merged(reqs, c.name)
	preOK := r.opts.Pre || spec.Prereleases() || c.version.IsPrerelease()
	var skipped []*release
	for _, rel := range p.releases {
		if rel.version.Compare(c.version) <= 0 {
			break
		}
		if len(rel.files) == 0 && spec.Allows(rel.version) && (preOK || !rel.version.IsPrerelease()) && len(rel.all) > 0 {
			skipped = append(skipped, rel)
		}
	}
	if len(skipped) == 0 {
		return ""
	}
	newer := skipped[0].version.String()
	if len(skipped) > 1 {
		newer = fmt.Sprintf("%s (and %d more)", newer, len(skipped)-1)
	}
	return fmt.Sprintf("%s %s is installed, not the newer %s: %s", c.name, c.version, newer, skipped[0].reason)
}

// Package resolve chooses one wheel per package for a Lambda target: the newest version that every
// requirement allows and that has a wheel the target loads. This is the first cut (no backtracking: a
// conflict is reported, not searched around); the Source interface is what a backtracking resolver needs too.
package resolve

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// Source answers the two questions a resolver asks of the outside world.
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
	// Hashes are the user's --hash values for this requirement.
	Hashes []string
	// Parent is the package whose metadata asked for this requirement; "" for the user's own.
	Parent string
}

// Options steer a resolution.
type Options struct {
	Target target.Target
	// Pre allows pre-releases everywhere (pip's --pre).
	Pre bool
	// Constraints restrict versions (pip's -c) but never add packages.
	Constraints []Requirement
	// Concurrency bounds parallel metadata fetches; 0 means 8.
	Concurrency int
}

// Package is one resolved package.
type Package struct {
	Name    string // normalized
	Version pep440.Version
	File    index.File
	Wheel   wheel.Filename
	Extras  []string
	// RequiredBy lists the origins of the requirements that selected it.
	RequiredBy []string
	Hashes     []string
	// HashOrigin is the origin of the requirement that carried Hashes.
	HashOrigin string

	via      Requirement // the requirement that first selected it
	meta     *wheel.Metadata
	baseDone bool
	pending  []string // extras asked for but not yet expanded
}

// Result is a resolution.
type Result struct {
	Packages []*Package // sorted by name
	Warnings []string
}

type resolver struct {
	src  Source
	opts Options
	env  pep508.Env

	mu       sync.Mutex
	projects map[string]*projectCache
	specs    map[string][]Requirement
	chosen   map[string]*Package
	urls     map[string]candidate // direct wheel URLs from the user's requirements
	warnings []string
}

type projectCache struct {
	once  sync.Once
	cands []candidate
	other []string // reasons for files that are not candidates
	err   error
}

// Resolve resolves reqs for opts.Target.
func Resolve(ctx context.Context, src Source, reqs []Requirement, opts Options) (*Result, error) {
	r := &resolver{
		src: src, opts: opts, env: pep508.Env(opts.Target.Env()),
		projects: map[string]*projectCache{}, specs: map[string][]Requirement{}, chosen: map[string]*Package{},
		urls: map[string]candidate{},
	}
	for _, c := range opts.Constraints {
		if ok, err := c.Marker.EvaluateExtras(r.env, nil); err != nil {
			return nil, fmt.Errorf("%s: evaluating marker of %q: %w", c.Origin, c.String(), err)
		} else if ok {
			r.specs[c.Key()] = append(r.specs[c.Key()], c)
		}
	}
	var queue []Requirement
	for _, q := range reqs {
		ok, err := q.Marker.EvaluateExtras(r.env, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: evaluating marker of %q: %w", q.Origin, q.String(), err)
		}
		if !ok {
			continue
		}
		queue = append(queue, q)
		if q.URL != "" {
			if err := r.addURL(q); err != nil {
				return nil, err
			}
		}
	}
	for len(queue) > 0 {
		r.prefetch(ctx, queue)
		var fresh []*Package
		for _, q := range queue {
			p, isNew, err := r.add(ctx, q)
			if err != nil {
				return nil, err
			}
			if isNew {
				fresh = append(fresh, p)
			}
		}
		if err := r.loadMetadata(ctx, fresh); err != nil {
			return nil, err
		}
		queue = nil
		names := make([]string, 0, len(r.chosen))
		for n := range r.chosen {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			deps, err := r.expand(r.chosen[n])
			if err != nil {
				return nil, err
			}
			queue = append(queue, deps...)
		}
	}
	res := &Result{Warnings: r.warnings}
	for _, p := range r.chosen {
		res.Packages = append(res.Packages, p)
	}
	sort.Slice(res.Packages, func(i, j int) bool { return res.Packages[i].Name < res.Packages[j].Name })
	return res, nil
}

// prefetch asks for every project page of the next wave at once; Source implementations cache them.
func (r *resolver) prefetch(ctx context.Context, queue []Requirement) {
	for _, q := range queue {
		go r.project(ctx, q.Key())
	}
}

// add records a requirement and chooses a version for a package seen for the first time.
func (r *resolver) add(ctx context.Context, q Requirement) (*Package, bool, error) {
	key := q.Key()
	r.specs[key] = append(r.specs[key], q)
	if p := r.chosen[key]; p != nil {
		if !r.allows(key, p.Version) {
			return nil, false, r.conflict(key, p)
		}
		r.addMeta(p, q)
		return p, false, nil
	}
	c, err := r.choose(ctx, key, nil)
	if err != nil {
		return nil, false, err
	}
	p := &Package{Name: key, Version: c.version, File: c.file, Wheel: c.wheel, via: q}
	r.addMeta(p, q)
	r.chosen[key] = p
	return p, true, nil
}

func (r *resolver) addMeta(p *Package, q Requirement) {
	p.RequiredBy = appendUnique(p.RequiredBy, q.Origin)
	if len(q.Hashes) > 0 && len(p.Hashes) == 0 {
		p.Hashes, p.HashOrigin = q.Hashes, q.Origin
	}
	for _, e := range q.Extras {
		e = pep508.NormalizeName(e)
		if !slices.Contains(p.Extras, e) {
			p.Extras = append(p.Extras, e)
			p.pending = append(p.pending, e)
		}
	}
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// allows reports whether every recorded requirement of key accepts v.
func (r *resolver) allows(key string, v pep440.Version) bool {
	for _, q := range r.specs[key] {
		if !q.Specifier.Allows(v) {
			return false
		}
	}
	return true
}

func (r *resolver) prereleasesAllowed(key string) bool {
	if r.opts.Pre {
		return true
	}
	for _, q := range r.specs[key] {
		if q.Specifier.Prereleases() {
			return true
		}
	}
	return false
}

func (r *resolver) pinned(key string) bool {
	for _, q := range r.specs[key] {
		if _, ok := q.Specifier.Pin(); ok {
			return true
		}
	}
	return false
}

// choose picks the newest acceptable candidate not in skip.
func (r *resolver) choose(ctx context.Context, key string, skip map[string]string) (candidate, error) {
	if c, ok := r.urls[key]; ok {
		if !r.allows(key, c.version) || skip[c.version.String()] != "" {
			reason := "the wheel given by URL (" + c.file.Filename + ") is this version"
			if why := skip[c.version.String()]; why != "" {
				reason = why
			}
			root, path := r.trace(r.specs[key])
			return candidate{}, &NoVersionError{Package: key, Target: r.opts.Target, Requirements: slices.Clone(r.specs[key]),
				Rejected: []Rejection{{Version: c.version.String(), Reason: reason}}, Root: root, Path: path}
		}
		return c, nil
	}
	pc := r.project(ctx, key)
	if pc.err != nil {
		return candidate{}, r.wrapProjectErr(key, pc.err)
	}
	var ok []candidate
	var rejected []Rejection
	pinned := r.pinned(key)
	for _, c := range pc.cands {
		if !r.allows(key, c.version) {
			continue
		}
		if why, bad := skip[c.version.String()]; bad {
			rejected = append(rejected, Rejection{Version: c.version.String(), Reason: why})
			continue
		}
		if c.file.Filename == "" {
			rejected = append(rejected, Rejection{Version: c.version.String(), Reason: c.reason})
			continue
		}
		if c.yanked && !pinned {
			rejected = append(rejected, Rejection{Version: c.version.String(), Reason: "yanked" + suffix(c.file.YankedReason)})
			continue
		}
		ok = append(ok, c)
	}
	if !r.prereleasesAllowed(key) {
		var finals []candidate
		for _, c := range ok {
			if !c.version.IsPrerelease() {
				finals = append(finals, c)
			}
		}
		if len(finals) > 0 {
			ok = finals
		}
	}
	if len(ok) == 0 {
		root, path := r.trace(r.specs[key])
		return candidate{}, &NoVersionError{Package: key, Target: r.opts.Target, Requirements: slices.Clone(r.specs[key]), Rejected: rejected, Other: pc.other, Root: root, Path: path}
	}
	return ok[0], nil
}

func suffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

func (r *resolver) wrapProjectErr(key string, err error) error {
	root, path := r.trace(r.specs[key])
	return &ProjectError{Package: key, Requirements: slices.Clone(r.specs[key]), Err: err, Root: root, Path: path}
}

// loadMetadata fetches metadata for new choices in parallel, moving to an older version when a
// wheel's own Requires-Python excludes the target (indexes do not always say it).
func (r *resolver) loadMetadata(ctx context.Context, ps []*Package) error {
	g, gctx := errgroup.WithContext(ctx)
	n := r.opts.Concurrency
	if n <= 0 {
		n = 8
	}
	g.SetLimit(n)
	for _, p := range ps {
		g.Go(func() error {
			md, err := r.metadata(gctx, p)
			if err != nil {
				return err
			}
			p.meta = md
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, p := range ps {
		skip := map[string]string{}
		for !r.requiresPythonOK(p.meta) {
			skip[p.Version.String()] = "requires Python " + p.meta.RequiresPython + " (METADATA)"
			c, err := r.choose(ctx, p.Name, skip)
			if err != nil {
				return err
			}
			p.Version, p.File, p.Wheel = c.version, c.file, c.wheel
			if p.meta, err = r.metadata(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *resolver) metadata(ctx context.Context, p *Package) (*wheel.Metadata, error) {
	b, err := r.src.Metadata(ctx, p.File)
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %s %s: %w", p.Name, p.Version, err)
	}
	md, err := wheel.ParseMetadata(b)
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %s %s (%s): %w", p.Name, p.Version, p.File.Filename, err)
	}
	return &md, nil
}

func (r *resolver) requiresPythonOK(md *wheel.Metadata) bool {
	if md.RequiresPython == "" {
		return true
	}
	s, err := pep440.ParseSpecifiers(md.RequiresPython)
	if err != nil {
		return true // pip ignores an invalid Requires-Python too
	}
	return s.Allows(pep440.MustParse(r.opts.Target.PythonFullVersion()))
}

// expand returns the dependencies of p not yet queued: base ones once, and those of extras added since.
func (r *resolver) expand(p *Package) ([]Requirement, error) {
	if p.meta == nil {
		return nil, nil
	}
	extras := p.pending
	if p.baseDone && len(extras) == 0 {
		return nil, nil
	}
	origin := p.Name + " " + p.Version.String()
	provided := map[string]bool{}
	for _, e := range p.meta.ProvidesExtra {
		provided[pep508.NormalizeName(e)] = true
	}
	for _, e := range extras {
		if len(p.meta.ProvidesExtra) > 0 && !provided[e] {
			r.warnings = append(r.warnings, fmt.Sprintf("%s does not provide the extra %q", origin, e))
		}
	}
	var out []Requirement
	for _, line := range p.meta.RequiresDist {
		req, err := pep508.ParseRequirement(line)
		if err != nil {
			return nil, fmt.Errorf("%s: bad Requires-Dist %q: %w", origin, line, err)
		}
		base, err := req.Marker.EvaluateExtras(r.env, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: evaluating marker of %q: %w", origin, line, err)
		}
		want := base && !p.baseDone
		if !base && len(extras) > 0 {
			if want, err = req.Marker.EvaluateExtras(r.env, extras); err != nil {
				return nil, fmt.Errorf("%s: evaluating marker of %q: %w", origin, line, err)
			}
		}
		if want {
			out = append(out, Requirement{Requirement: req, Origin: origin, Parent: p.Name})
		}
	}
	p.baseDone, p.pending = true, nil
	return out, nil
}

func (r *resolver) conflict(key string, p *Package) error {
	root, path := r.trace(r.specs[key])
	return &ConflictError{Package: key, Chosen: p.Name + " " + p.Version.String(), Requirements: slices.Clone(r.specs[key]), Root: root, Path: path}
}

// trace follows the first of qs back to the user's requirement that led to it: root is that
// requirement's origin ("requirements.txt:2"), path the packages in between, outermost first.
func (r *resolver) trace(qs []Requirement) (root string, path []string) {
	if len(qs) == 0 {
		return "", nil
	}
	q := qs[0]
	for range len(r.chosen) + 1 {
		if q.Parent == "" {
			break
		}
		p := r.chosen[q.Parent]
		if p == nil {
			break
		}
		path = append([]string{p.Name + " " + p.Version.String()}, path...)
		q = p.via
	}
	return q.Origin, path
}

// describe renders "boto3>=1.35 (requirements.txt:3)".
func describe(q Requirement) string {
	s := q.Name
	if !q.Specifier.IsEmpty() {
		s += q.Specifier.String()
	}
	if q.Origin != "" {
		s += " (" + q.Origin + ")"
	}
	return s
}

func joinReqs(qs []Requirement) string {
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = describe(q)
	}
	return strings.Join(parts, ", ")
}

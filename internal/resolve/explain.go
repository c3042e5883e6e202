package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// explain turns resolvelib's causes of failure into an error a person can act on: the package in
// conflict, each requirement on it with the chain from the user's file, the versions that exist and why
// each is refused, and a suggestion when one exists.
func (r *resolver) explain(ctx context.Context, causes []info, st *state) error {
	type group struct {
		name   string
		causes []info
	}
	var groups []*group
	byName := map[string]*group{}
	for _, c := range causes {
		name := causeName(c)
		g := byName[name]
		if g == nil {
			g = &group{name: name}
			byName[name] = g
			groups = append(groups, g)
		}
		g.causes = append(g.causes, c)
	}
	var errs []error
	for _, g := range groups {
		errs = append(errs, r.explainPackage(ctx, g.name, g.causes, st))
	}
	var also []string
	for _, e := range errs[1:] {
		also = appendUnique(also, summary(e))
	}
	// The last conflict is seldom the whole story: backtracking met others on the way there.
	first := summary(errs[0])
	for i := len(r.history) - 1; i >= 0 && len(also) < 3; i-- {
		h := r.history[i]
		if sameCauses(h.causes, causes) {
			continue
		}
		if s := summary(r.explainPackage(ctx, causeName(h.causes[0]), h.causes, h.state)); s != first {
			also = appendUnique(also, s)
		}
	}
	switch e := errs[0].(type) {
	case *NoVersionError:
		e.Also = also
	case *ConflictError:
		e.Also = also
	}
	return errs[0]
}

// causeName is the package a cause is about: the required one, or the parent that refused the target's Python.
func causeName(c info) string {
	if c.req.unsat != "" && c.parent != nil {
		return c.parent.name
	}
	return c.req.name
}

func sameCauses(a, b []info) bool {
	return slices.EqualFunc(a, b, func(x, y info) bool { return x.req == y.req && x.parent == y.parent })
}

// summary is an error in one line, for the "also:" lines of another.
func summary(err error) string {
	var nv *NoVersionError
	var ce *ConflictError
	switch {
	case errors.As(err, &ce):
		parts := make([]string, len(ce.Demands))
		for i, d := range ce.Demands {
			parts[i] = d.String()
		}
		return fmt.Sprintf("conflicting requirements on %s: %s", ce.Package, strings.Join(parts, "; "))
	case errors.As(err, &nv):
		line, _, _ := strings.Cut(nv.Error(), "\n")
		if len(nv.Rejected) > 0 {
			line = strings.TrimSuffix(line, ":") + fmt.Sprintf(" (%s %s: %s)", nv.Package, nv.Rejected[0].Version, nv.Rejected[0].Reason)
		}
		return line
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// explainPackage explains why nothing fits one package.
func (r *resolver) explainPackage(ctx context.Context, name string, causes []info, st *state) error {
	// The requirements on the package: the causes themselves, or, when a version of the package
	// refused the target's Python, what asked for the package.
	var reqs []info
	var unsat []info
	for _, c := range causes {
		if c.req.unsat != "" && c.parent != nil {
			unsat = append(unsat, c)
			if crit := st.criteria[c.parent.id]; crit != nil {
				for _, in := range crit.info {
					if !containsInfo(reqs, in) {
						reqs = append(reqs, in)
					}
				}
			}
			continue
		}
		if !containsInfo(reqs, c) {
			reqs = append(reqs, c)
		}
	}
	var demands []Demand
	for _, in := range reqs {
		d := demandOf(st, in)
		if !slices.ContainsFunc(demands, func(x Demand) bool { return x.String() == d.String() }) {
			demands = append(demands, d)
		}
	}
	root, path := "", []string(nil)
	if len(demands) > 0 {
		root = demands[0].Origin
		if n := len(demands[0].Chain); n > 1 {
			path = demands[0].Chain[1:]
		}
	}
	p := r.loadProject(ctx, name)
	if p.err != nil {
		return &ProjectError{Package: name, Requirements: reqTexts(reqs), Err: p.err, Root: root, Path: path}
	}
	if p.notFound != nil {
		return &NoVersionError{Package: name, Target: r.opts.Target, Demands: demands, Root: root, Path: path,
			NotFound: "not found on " + strings.Join(p.notFound.Indexes, ", ")}
	}

	var specReqs []*requirement
	var explicit *candidate
	for _, in := range reqs {
		switch {
		case in.req.explicit != nil:
			explicit = in.req.explicit
		case in.req.unsat == "":
			specReqs = append(specReqs, in.req)
		}
	}
	spec, hashes := r.merged(specReqs, name)
	allows := func(rel *release) bool {
		if explicit != nil && !rel.version.Equal(explicit.version) {
			return false
		}
		return spec.Allows(rel.version)
	}
	finals := false
	for _, rel := range p.releases {
		if allows(rel) && len(rel.files) > 0 && !rel.version.IsPrerelease() {
			finals = true
		}
	}
	preOK := r.opts.Pre || spec.Prereleases() || !finals

	var rejected []Rejection
	var loadable []string
	var newestRejected *release
	for _, rel := range p.releases {
		if len(rel.files) > 0 && !rel.yanked() {
			loadable = append(loadable, rel.version.String())
		}
		if !allows(rel) {
			continue
		}
		reason := r.whyNot(rel, name, spec, hashes, preOK)
		rejected = append(rejected, Rejection{Version: rel.version.String(), Reason: reason})
		if newestRejected == nil {
			newestRejected = rel
		}
	}

	// Each requirement alone allows something, together nothing: a conflict.
	if len(demands) > 1 && len(specReqs) > 1 && len(rejected) == 0 {
		eachOK := true
		for _, q := range specReqs {
			alone, _ := r.merged([]*requirement{q}, name)
			if len(r.applicable(p, alone, nil)) == 0 {
				eachOK = false
			}
		}
		if eachOK {
			return &ConflictError{Package: name, Target: r.opts.Target, Demands: demands, Versions: loadable,
				Hint: conflictHint(name, reqs), Root: root, Path: path}
		}
	}
	if len(demands) > 1 && len(specReqs) > 1 && len(rejected) > 0 && len(unsat) == 0 {
		return &ConflictError{Package: name, Target: r.opts.Target, Demands: demands, Versions: loadable, Rejected: rejected,
			Hint: r.noVersionHint(p, name, spec, specReqs, newestRejected), Root: root, Path: path}
	}
	e := &NoVersionError{Package: name, Target: r.opts.Target, Demands: demands, Rejected: rejected, Other: p.other,
		Root: root, Path: path}
	if len(rejected) == 0 {
		e.Versions = loadable
	}
	e.Hint = r.noVersionHint(p, name, spec, specReqs, newestRejected)
	return e
}

func containsInfo(s []info, in info) bool {
	return slices.ContainsFunc(s, func(x info) bool { return x.req == in.req && x.parent == in.parent })
}

func reqTexts(reqs []info) []string {
	var out []string
	for _, in := range reqs {
		out = appendUnique(out, in.req.text)
	}
	return out
}

// whyNot says why a release that the requirements allow was not installed.
func (r *resolver) whyNot(rel *release, name string, spec pep440.Specifiers, hashes []string, preOK bool) string {
	switch {
	case len(rel.files) == 0:
		return rel.reason
	case rel.yanked() && !isPinned(spec):
		reason := "yanked"
		if why := rel.files[0].file.YankedReason; why != "" {
			reason += " (" + why + ")"
		}
		return reason + "; only an exact == pin installs a yanked release"
	case rel.version.IsPrerelease() && !preOK:
		return "a pre-release: allowed only with --pre, a specifier that names a pre-release, or when nothing else matches"
	}
	if len(hashes) > 0 {
		match := false
		for _, f := range rel.files {
			match = match || fileMatches(f.file, hashes)
		}
		if !match {
			return "no file matches the --hash values"
		}
	}
	// The version was a candidate: what did its metadata say?
	r.mu.Lock()
	e := r.metas[rel.files[0].file.URL]
	r.mu.Unlock()
	if e != nil && e.md != nil {
		// What loadDependencies refuses before reading any requirement: there is nothing "above" to see.
		if pep508.NormalizeName(e.md.Name) != name {
			return fmt.Sprintf("its metadata names %s, not %s: the wheel is not what the index says", e.md.Name, name)
		}
		if v, err := pep440.Parse(e.md.Version); err != nil || !v.Equal(rel.version) {
			return fmt.Sprintf("its metadata says version %s: the wheel is not what the index says", e.md.Version)
		}
		if !requiresPythonAllows(e.md.RequiresPython, r.py) {
			return fmt.Sprintf("requires Python %s (METADATA; the target has %s)", e.md.RequiresPython, r.opts.Target.PythonVersion())
		}
	}
	return "tried, and its own requirements cannot be met (see above)"
}

// noVersionHint suggests another runtime that loads the newest refused version, or an older version
// that loads on this target but that the requirements exclude.
func (r *resolver) noVersionHint(p *project, name string, spec pep440.Specifiers, specReqs []*requirement, newest *release) string {
	var hints []string
	if newest != nil && len(newest.files) == 0 {
		rel, rts := newest, r.runtimesLoading(newest)
		for _, older := range p.releases { // the newest loads nowhere (say, glibc 2.39): an older allowed one may
			if len(rts) > 0 {
				break
			}
			if older == newest || older.version.Compare(newest.version) > 0 || !spec.Allows(older.version) || older.yanked() || len(older.files) > 0 {
				continue
			}
			if older.version.IsPrerelease() && !newest.version.IsPrerelease() {
				continue
			}
			rel, rts = older, r.runtimesLoading(older)
		}
		if len(rts) > 0 {
			hints = append(hints, fmt.Sprintf("%s %s loads on %s", name, rel.version, strings.Join(rts, ", ")))
		} else if len(newest.all) == 0 && len(newest.sdists) > 0 {
			hints = append(hints, "pin a version that publishes wheels, or build the wheel yourself and serve it from an extra index")
		}
	}
	// An older version that loads, excluded only by what the user wrote: a pin they can relax.
	for _, rel := range p.releases {
		if len(rel.files) == 0 || rel.yanked() || rel.version.IsPrerelease() {
			continue
		}
		if spec.Allows(rel.version) {
			break // it was a candidate: not a suggestion
		}
		if newest != nil && rel.version.Compare(newest.version) > 0 {
			continue // newer than what was refused: the requirement excludes it on purpose
		}
		var pins []string
		for _, q := range specReqs {
			if q.spec.Allows(rel.version) {
				continue
			}
			if q.user == nil {
				pins = nil // a dependency excludes it too: nothing the user can relax
				break
			}
			pins = appendUnique(pins, fmt.Sprintf("%s (%s)", q.text, q.origin))
		}
		if len(pins) > 0 {
			hints = append(hints, fmt.Sprintf("%s %s is the newest version %s loads; relax %s to allow it", name, rel.version, r.opts.Target, strings.Join(pins, ", ")))
		}
		break
	}
	if len(hints) == 0 {
		return ""
	}
	if len(hints) == 2 {
		return hints[0] + "; or " + hints[1]
	}
	return hints[0]
}

// runtimesLoading lists the other Lambda targets on which some wheel of rel loads: the same
// architecture first; the other one only when the same has none.
func (r *resolver) runtimesLoading(rel *release) []string {
	t := r.opts.Target
	loads := func(tt target.Target) bool {
		py := pep440.MustParse(tt.PythonFullVersion())
		for _, w := range rel.all {
			if requiresPythonAllows(w.file.RequiresPython, py) && tagRank(tt, w.name) >= 0 {
				return true
			}
		}
		return false
	}
	for _, arch := range []string{t.Arch, otherArch(t.Arch)} {
		var out []string
		for _, rt := range target.Runtimes {
			if rt.Name == t.Name && arch == t.Arch {
				continue
			}
			tt, err := target.Parse(rt.Name, arch)
			if err != nil || !loads(tt) {
				continue
			}
			out = append(out, rt.Name)
		}
		if len(out) > 0 {
			note := ""
			if strings.Contains(rel.reason, "files offer manylinux") {
				note = glibcNote(t, out)
			}
			return []string{strings.Join(out, ", ") + " " + arch + note}
		}
	}
	return nil
}

func glibcNote(t target.Target, runtimes []string) string {
	for _, rt := range target.Runtimes {
		if rt.Name == runtimes[0] && rt.GlibcMinor != t.GlibcMinor {
			return fmt.Sprintf(" (glibc 2.%d)", rt.GlibcMinor)
		}
	}
	return ""
}

func otherArch(a string) string {
	if a == "arm64" {
		return "x86_64"
	}
	return "arm64"
}

func conflictHint(name string, reqs []info) string {
	var users, parents []string
	for _, in := range reqs {
		if in.parent == nil {
			users = appendUnique(users, fmt.Sprintf("%s (%s)", in.req.text, in.req.origin))
		} else {
			parents = appendUnique(parents, in.parent.name)
		}
	}
	switch {
	case len(users) > 0 && len(parents) > 0:
		return fmt.Sprintf("relax %s, or pin a version of %s whose requirement on %s fits it", strings.Join(users, " and "), strings.Join(parents, " or "), name)
	case len(parents) > 1:
		return fmt.Sprintf("%s need different versions of %s: pin versions of them that agree (check their changelogs), or drop one", strings.Join(parents, " and "), name)
	case len(users) > 1:
		return fmt.Sprintf("the requirements %s contradict each other: keep one", strings.Join(users, " and "))
	}
	return ""
}

// demandOf renders a requirement with the chain from the user's file that led to it in st.
func demandOf(st *state, in info) Demand {
	if in.parent == nil {
		return Demand{Requirement: in.req.text, Origin: in.req.origin}
	}
	origin, chain := chainOf(st, in.parent)
	return Demand{Requirement: in.req.text, Origin: origin, Chain: chain}
}

// chainOf finds the shortest route from the user's requirements to c through the pins of st: the
// origin of the user's requirement, then that requirement and each candidate down to c.
func chainOf(st *state, c *candidate) (string, []string) {
	type step struct {
		c    *candidate
		path []string // candidates from c upwards
	}
	queue := []step{{c, []string{c.label()}}}
	seen := map[string]bool{c.id: true}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		crit := st.criteria[s.c.id]
		if crit == nil {
			continue
		}
		for _, in := range crit.info {
			if in.parent == nil {
				chain := []string{in.req.text}
				for i := len(s.path) - 1; i >= 0; i-- {
					chain = append(chain, s.path[i])
				}
				return in.req.origin, chain
			}
		}
		for _, in := range crit.info {
			p := in.parent
			if seen[p.id] || st.pins[p.id] != p {
				continue
			}
			seen[p.id] = true
			queue = append(queue, step{p, append(slices.Clone(s.path), p.label())})
		}
	}
	return "", []string{c.label()}
}

// label is "name version", or "name[extras] version".
func (c *candidate) label() string { return c.id + " " + c.version.String() }

// withOrigin fills a ProjectError's requirement and chain from the requirement being added.
func withOrigin(err error, st *state, q *requirement, parent *candidate) error {
	var pe *ProjectError
	if !errors.As(err, &pe) || pe.Root != "" {
		return err
	}
	d := demandOf(st, info{q, parent})
	pe.Requirements = []string{q.text}
	pe.Root = d.Origin
	if len(d.Chain) > 1 {
		pe.Path = d.Chain[1:]
	}
	return err
}

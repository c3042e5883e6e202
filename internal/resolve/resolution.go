package resolve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// This file is resolvelib 1.0.1's Resolution (the version pip 23.2 vendors), with pip's provider
// preferences: pin the most constrained package first, try its candidates newest first, and on a dead
// end jump back to the last decision that contributed to it, remembering what failed.

// info is resolvelib's RequirementInformation: a requirement and the candidate that asked for it (nil
// for the user).
type info struct {
	req    *requirement
	parent *candidate
}

type criterion struct {
	candidates []*candidate
	info       []info
	incompat   []*candidate
}

func (c *criterion) requirements() []*requirement {
	out := make([]*requirement, len(c.info))
	for i, in := range c.info {
		out[i] = in.req
	}
	return out
}

// state is one round's decisions. pins and order keep insertion order, as the Python dicts do:
// backjumping pops the latest pin, and preferences are computed in criteria order.
type state struct {
	pins     map[string]*candidate
	pinOrder []string
	criteria map[string]*criterion
	order    []string
	causes   []info
}

func (s *state) clone() *state {
	n := &state{
		pins: make(map[string]*candidate, len(s.pins)), pinOrder: slices.Clone(s.pinOrder),
		criteria: make(map[string]*criterion, len(s.criteria)), order: slices.Clone(s.order),
		causes: slices.Clone(s.causes),
	}
	for k, v := range s.pins {
		n.pins[k] = v
	}
	for k, v := range s.criteria {
		n.criteria[k] = v
	}
	return n
}

func (s *state) pin(id string, c *candidate) {
	if _, ok := s.pins[id]; ok {
		s.pinOrder = slices.DeleteFunc(s.pinOrder, func(x string) bool { return x == id })
	}
	s.pins[id] = c
	s.pinOrder = append(s.pinOrder, id)
}

func (s *state) popPin() (string, *candidate, bool) {
	if len(s.pinOrder) == 0 {
		return "", nil, false
	}
	id := s.pinOrder[len(s.pinOrder)-1]
	s.pinOrder = s.pinOrder[:len(s.pinOrder)-1]
	c := s.pins[id]
	delete(s.pins, id)
	return id, c, true
}

// conflicted is resolvelib's RequirementsConflicted: a criterion left without candidates.
type conflicted struct {
	id        string
	criterion *criterion
}

// impossible is resolvelib's ResolutionImpossible, with the state it happened in for explanations.
type impossible struct {
	causes []info
	state  *state
}

func (e *impossible) Error() string { return "resolution impossible" }

type resolution struct {
	r      *resolver
	states []*state
}

func (x *resolution) state() *state { return x.states[len(x.states)-1] }

func (x *resolution) push() { x.states = append(x.states, x.state().clone()) }

// addToCriteria merges a requirement into criteria (a copy being built), or reports the conflict.
func (x *resolution) addToCriteria(ctx context.Context, criteria map[string]*criterion, order *[]string, q *requirement, parent *candidate) (*conflicted, error) {
	return x.merge(ctx, criteria, order, []*requirement{q}, parent)
}

// addAllToCriteria is addToCriteria for several of the user's requirements on one identifier at once.
func (x *resolution) addAllToCriteria(ctx context.Context, criteria map[string]*criterion, order *[]string, qs []*requirement) (*conflicted, error) {
	return x.merge(ctx, criteria, order, qs, nil)
}

// merge adds requirements on one identifier, all from parent (nil for the user's), to criteria.
func (x *resolution) merge(ctx context.Context, criteria map[string]*criterion, order *[]string, qs []*requirement, parent *candidate) (*conflicted, error) {
	q := qs[0]
	id := q.id
	old := criteria[id]
	var incompat []*candidate
	var infos []info
	if old != nil {
		incompat = slices.Clone(old.incompat)
		infos = slices.Clone(old.info)
	}
	for _, q := range qs {
		infos = append(infos, info{q, parent})
	}
	reqs := make([]*requirement, len(infos))
	for i, in := range infos {
		reqs[i] = in.req
	}
	var baseReqs []*requirement
	if b := criteria[q.name]; b != nil && id != q.name {
		baseReqs = b.requirements()
	}
	cands, err := x.r.findMatches(ctx, id, reqs, baseReqs, incompat)
	if err != nil {
		return nil, withOrigin(err, x.state(), q, parent)
	}
	c := &criterion{candidates: cands, info: infos, incompat: incompat}
	if len(cands) == 0 {
		return &conflicted{id, c}, nil
	}
	x.r.prefetchCandidate(cands[0])
	if _, ok := criteria[id]; !ok {
		*order = append(*order, id)
	}
	criteria[id] = c
	return nil, nil
}

func (r *resolver) prefetchCandidate(c *candidate) {
	r.prefetch(&requirement{id: c.id, name: c.name, extras: c.extras, explicit: c})
}

func (x *resolution) isCurrentPinSatisfying(id string, c *criterion) bool {
	pin := x.state().pins[id]
	if pin == nil {
		return false
	}
	for _, in := range c.info {
		if !isSatisfiedBy(in.req, pin) {
			return false
		}
	}
	return true
}

// updatedCriteria adds a candidate's dependencies to a copy of the criteria.
func (x *resolution) updatedCriteria(ctx context.Context, c *candidate) (map[string]*criterion, []string, *conflicted, error) {
	deps, err := x.r.dependencies(ctx, c)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, q := range deps {
		x.r.prefetch(q)
	}
	st := x.state()
	criteria := make(map[string]*criterion, len(st.criteria)+len(deps))
	for k, v := range st.criteria {
		criteria[k] = v
	}
	order := slices.Clone(st.order)
	for _, q := range deps {
		if q.unsat != "" {
			old := criteria[q.id]
			var infos []info
			if old != nil {
				infos = slices.Clone(old.info)
			}
			return nil, nil, &conflicted{q.id, &criterion{info: append(infos, info{q, c})}}, nil
		}
		conf, err := x.addToCriteria(ctx, criteria, &order, q, c)
		if err != nil || conf != nil {
			return nil, nil, conf, err
		}
	}
	return criteria, order, nil, nil
}

// attemptToPin tries the criterion's candidates in order; it returns the conflicts of each when none works.
func (x *resolution) attemptToPin(ctx context.Context, id string) ([]*conflicted, error) {
	crit := x.state().criteria[id]
	var causes []*conflicted
	for i, c := range crit.candidates {
		// Once one has failed, more may: have the next one's metadata on its way.
		if i > 0 && i+1 < len(crit.candidates) {
			x.r.prefetchCandidate(crit.candidates[i+1])
		}
		criteria, order, conf, err := x.updatedCriteria(ctx, c)
		if err != nil {
			return nil, err
		}
		if conf != nil {
			causes = append(causes, conf)
			continue
		}
		for _, in := range crit.info {
			if !isSatisfiedBy(in.req, c) {
				return nil, fmt.Errorf("resolving %s: internal error: candidate %s does not satisfy %s", id, c, in.req.text)
			}
		}
		st := x.state()
		st.criteria, st.order = criteria, order
		st.pin(id, c)
		return nil, nil
	}
	return causes, nil
}

// backjump is resolvelib's: drop the failed state, then unwind to the last pin whose dependencies
// touch the conflict, mark that pin incompatible, and carry the incompatibilities learned so far into
// the state before it.
func (x *resolution) backjump(ctx context.Context, causes []info) (bool, error) {
	incompatibleDeps := map[string]bool{}
	for _, c := range causes {
		if c.parent != nil {
			incompatibleDeps[c.parent.id] = true
		}
		incompatibleDeps[c.req.id] = true
	}
	for len(x.states) >= 3 {
		x.states = x.states[:len(x.states)-1]
		var broken *state
		var name string
		var cand *candidate
		for {
			if len(x.states) == 0 {
				return false, &impossible{causes: causes}
			}
			broken = x.states[len(x.states)-1]
			x.states = x.states[:len(x.states)-1]
			var ok bool
			name, cand, ok = broken.popPin()
			if !ok {
				return false, &impossible{causes: causes}
			}
			if _, err := x.r.dependencies(ctx, cand); err != nil {
				return false, err
			}
			touches := false
			for d := range cand.depIDs {
				if incompatibleDeps[d] {
					touches = true
					break
				}
			}
			if touches {
				break
			}
		}
		type learned struct {
			id       string
			incompat []*candidate
		}
		var fromBroken []learned
		for _, k := range broken.order {
			fromBroken = append(fromBroken, learned{k, slices.Clone(broken.criteria[k].incompat)})
		}
		fromBroken = append(fromBroken, learned{name, []*candidate{cand}})

		x.push()
		st := x.state()
		ok := true
		for _, l := range fromBroken {
			if len(l.incompat) == 0 {
				continue
			}
			crit := st.criteria[l.id]
			if crit == nil {
				continue
			}
			var baseReqs []*requirement
			if b := st.criteria[baseName(l.id)]; b != nil && baseName(l.id) != l.id {
				baseReqs = b.requirements()
			}
			// As resolvelib's IteratorMapping: what the state knows, plus what the broken state learned.
			incompat := append(slices.Clone(crit.incompat), l.incompat...)
			cands, err := x.r.findMatches(ctx, l.id, crit.requirements(), baseReqs, incompat)
			if err != nil {
				return false, err
			}
			if len(cands) == 0 {
				ok = false
				break
			}
			incompat = append(l.incompat, crit.incompat...)
			st.criteria[l.id] = &criterion{candidates: cands, info: slices.Clone(crit.info), incompat: incompat}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

func baseName(id string) string {
	name, _, _ := strings.Cut(id, "[")
	return name
}

// removeInformation drops the requirements contributed by the given identifiers' pins (their pins no
// longer hold, so what they asked for is moot).
func (x *resolution) removeInformation(parents map[string]bool) {
	if len(parents) == 0 {
		return
	}
	st := x.state()
	for _, k := range st.order {
		crit := st.criteria[k]
		kept := make([]info, 0, len(crit.info))
		for _, in := range crit.info {
			if in.parent == nil || !parents[in.parent.id] {
				kept = append(kept, in)
			}
		}
		st.criteria[k] = &criterion{candidates: crit.candidates, info: kept, incompat: crit.incompat}
	}
}

// resolve runs the rounds.
func (r *resolver) resolve(ctx context.Context, roots []*requirement) (*state, error) {
	x := &resolution{r: r, states: []*state{{pins: map[string]*candidate{}, criteria: map[string]*criterion{}}}}
	st := x.state()
	// The user's requirements on one identifier are added together, with one search for candidates,
	// rather than one search per line; only when they conflict are they added one by one again, so the
	// explanation names the first line that made the conflict.
	var ids []string
	byID := map[string][]*requirement{}
	for _, q := range roots {
		if byID[q.id] == nil {
			ids = append(ids, q.id)
		}
		byID[q.id] = append(byID[q.id], q)
	}
	for _, id := range ids {
		qs := byID[id]
		if len(qs) > 1 {
			criteria := maps.Clone(st.criteria)
			order := slices.Clone(st.order)
			conf, err := x.addAllToCriteria(ctx, criteria, &order, qs)
			if err != nil {
				return nil, err
			}
			if conf == nil {
				st.criteria, st.order = criteria, order
				continue
			}
		}
		for _, q := range qs {
			conf, err := x.addToCriteria(ctx, st.criteria, &st.order, q, nil)
			if err != nil {
				return nil, err
			}
			if conf != nil {
				return nil, r.explain(ctx, conf.criterion.info, st)
			}
		}
	}
	x.push()
	for range r.opts.MaxRounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st := x.state()
		var unsatisfied []string
		satisfied := map[string]bool{}
		for _, k := range st.order {
			if x.isCurrentPinSatisfying(k, st.criteria[k]) {
				satisfied[k] = true
			} else {
				unsatisfied = append(unsatisfied, k)
			}
		}
		if len(unsatisfied) == 0 {
			return st, nil
		}
		name := unsatisfied[0]
		best := r.preference(name, st)
		for _, k := range unsatisfied[1:] {
			if p := r.preference(k, st); p.less(best) {
				name, best = k, p
			}
		}
		failures, err := x.attemptToPin(ctx, name)
		if err != nil {
			return nil, err
		}
		if len(failures) > 0 {
			var causes []info
			for _, f := range failures {
				causes = append(causes, f.criterion.info...)
			}
			failed := x.state()
			r.record(causes, failed)
			ok, err := x.backjump(ctx, causes)
			var imp *impossible
			if errors.As(err, &imp) {
				return nil, r.explain(ctx, causes, failed)
			}
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, r.explain(ctx, causes, failed)
			}
			x.state().causes = causes
			continue
		}
		st = x.state()
		newlyUnsatisfied := map[string]bool{}
		for _, k := range st.order {
			if satisfied[k] && !x.isCurrentPinSatisfying(k, st.criteria[k]) {
				newlyUnsatisfied[k] = true
			}
		}
		x.removeInformation(newlyUnsatisfied)
		x.push()
	}
	return nil, fmt.Errorf("resolving for %s: gave up after %d rounds of backtracking; pin some packages to narrow the search", r.opts.Target, r.opts.MaxRounds)
}

// pref is pip 23.2's preference key, lower first: pinned, a cause of the last backtrack, shallow in the
// graph, early in the user's files, constrained, then by name.
type pref struct {
	notPinned, notCause, free bool
	depth                     float64
	order                     float64
	id                        string
}

func (p pref) less(o pref) bool {
	switch {
	case p.notPinned != o.notPinned:
		return !p.notPinned
	case p.notCause != o.notCause:
		return !p.notCause
	case p.depth != o.depth:
		return p.depth < o.depth
	case p.order != o.order:
		return p.order < o.order
	case p.free != o.free:
		return !p.free
	}
	return p.id < o.id
}

func (r *resolver) preference(id string, st *state) pref {
	crit := st.criteria[id]
	var ops []string
	for _, in := range crit.info {
		if in.req.explicit != nil || in.req.unsat != "" {
			continue
		}
		for _, c := range in.req.spec.Clauses() {
			ops = append(ops, c.Op)
		}
	}
	p := pref{notPinned: true, id: id, free: len(ops) == 0, order: math.Inf(1)}
	for _, op := range ops {
		if strings.HasPrefix(op, "==") {
			p.notPinned = false
		}
	}
	if o, ok := r.userOrder[id]; ok {
		p.order, p.depth = float64(o), 1
	} else {
		p.depth = math.Inf(1)
		if len(crit.info) > 0 {
			min := math.Inf(1)
			for _, in := range crit.info {
				d := 0.0
				if in.parent != nil {
					d = r.depth(in.parent.id)
				}
				min = math.Min(min, d)
			}
			p.depth = min + 1
		}
	}
	r.depths[id] = p.depth
	p.notCause = true
	for _, c := range st.causes {
		if c.req.id == id || c.parent != nil && c.parent.id == id {
			p.notCause = false
			break
		}
	}
	return p
}

func (r *resolver) depth(id string) float64 {
	if d, ok := r.depths[id]; ok {
		return d
	}
	return math.Inf(1)
}

// connected is resolvelib's _build_result: the pins with a route to the user's requirements through
// the current pins (a pin whose only dependents were replaced drops out).
func (s *state) connected() map[string]*candidate {
	byCand := map[*candidate]string{}
	for id, c := range s.pins {
		byCand[c] = id
	}
	connected := map[string]bool{}
	var route func(key string, visiting map[string]bool) bool
	route = func(key string, visiting map[string]bool) bool {
		if connected[key] {
			return true
		}
		crit := s.criteria[key]
		if crit == nil || visiting[key] {
			return false
		}
		visiting[key] = true
		for _, in := range crit.info {
			if in.parent == nil {
				connected[key] = true
				return true
			}
			pkey, ok := byCand[in.parent]
			if !ok {
				continue
			}
			if connected[pkey] || route(pkey, visiting) {
				connected[key] = true
				return true
			}
		}
		return false
	}
	out := map[string]*candidate{}
	for _, k := range s.order {
		if route(k, map[string]bool{}) && s.pins[k] != nil {
			out[k] = s.pins[k]
		}
	}
	return out
}

// conflictRecord is a dead end met on the way, kept to explain a failure beyond its last conflict.
type conflictRecord struct {
	key    string
	causes []info
	state  *state
}

const keptConflicts = 8

// record remembers the latest distinct dead ends.
func (r *resolver) record(causes []info, st *state) {
	parts := make([]string, len(causes))
	for i, c := range causes {
		parts[i] = c.req.text
		if c.parent != nil {
			parts[i] += " <- " + c.parent.label()
		}
	}
	slices.Sort(parts)
	key := strings.Join(parts, "\n")
	r.history = slices.DeleteFunc(r.history, func(c conflictRecord) bool { return c.key == key })
	r.history = append(r.history, conflictRecord{key, causes, st})
	if len(r.history) > keptConflicts {
		r.history = r.history[1:]
	}
}

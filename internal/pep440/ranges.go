package pep440

// A cut splits the PEP 440 version line in two: every version is either below
// or above it, never on it. Each specifier clause is a union of intervals
// between cuts, and a set's intervals are their intersection.
//
// Besides "just below V" and "just above V", packaging needs two cuts that
// sit after a whole family of versions, because PEP 440 makes <=V and ==V
// admit V's local variants and makes >V skip V's post-releases:
//
//	V < V+local < afterLocals(V) < V.post0 < V.postN+local < afterPosts(V)
//
// Cuts are kept canonical (a "just below" cut that equals a family cut is
// stored as the family cut), so comparing two cuts decides whether an
// interval holds any version; that is what makes unsatisfiable sets and
// "exclusionary bridges" such as >1.0,<=1.0.post1 come out empty.
type cutKind uint8

const (
	cutNegInf cutKind = iota
	cutBefore
	cutExact // a version itself; only used when testing membership
	cutAfter
	cutAfterLocals
	cutAfterPosts
	cutPosInf
)

type cut struct {
	kind cutKind
	v    Version
}

type interval struct{ lo, hi cut }

var (
	negInf    = cut{kind: cutNegInf}
	posInf    = cut{kind: cutPosInf}
	fullRange = []interval{{negInf, posInf}}
)

// eps orders the point-like cuts that share a version: before < exact < after.
func (k cutKind) eps() int {
	switch k {
	case cutBefore:
		return -1
	case cutAfter:
		return 1
	}
	return 0
}

func cmpCuts(ak cutKind, av *Version, bk cutKind, bv *Version) int {
	switch {
	case ak == bk && (ak == cutNegInf || ak == cutPosInf):
		return 0
	case ak == cutNegInf || bk == cutPosInf:
		return -1
	case ak == cutPosInf || bk == cutNegInf:
		return 1
	}
	if c := cmpHead(av, bv); c != 0 {
		return c
	}
	if ak == cutAfterPosts || bk == cutAfterPosts {
		// afterPosts sits above everything sharing its epoch, release and pre.
		return cmpBool(ak == cutAfterPosts, bk == cutAfterPosts)
	}
	if c := cmpPostDev(av, bv); c != 0 {
		return c
	}
	if ak == cutAfterLocals || bk == cutAfterLocals {
		return cmpBool(ak == cutAfterLocals, bk == cutAfterLocals)
	}
	if c := cmpLocal(av.local, bv.local); c != 0 {
		return c
	}
	return cmpInt(ak.eps(), bk.eps())
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (a *cut) cmp(b *cut) int { return cmpCuts(a.kind, &a.v, b.kind, &b.v) }

// below reports whether version x lies below cut c.
func below(x *Version, c *cut) bool { return cmpCuts(cutExact, x, c.kind, &c.v) < 0 }

func (r *interval) empty() bool { return r.lo.cmp(&r.hi) >= 0 }

func (r *interval) contains(x *Version) bool {
	return below(x, &r.hi) && !below(x, &r.lo)
}

func inIntervals(x *Version, rs []interval) bool {
	for i := range rs {
		if below(x, &rs[i].lo) {
			return false // sorted: later intervals start even higher
		}
		if below(x, &rs[i].hi) {
			return true
		}
	}
	return false
}

func isMinVersion(v *Version) bool {
	if v.epoch != 0 || v.pre != preNone || v.hasPost || !v.hasDev || v.dev != 0 || v.local != nil {
		return false
	}
	for _, n := range v.release {
		if n != 0 {
			return false
		}
	}
	return true
}

// before returns the cut just below v in canonical form: when v is the least
// version above a family cut, that family cut is returned instead, and the
// cut below 0.dev0 (the smallest version) is -inf.
func before(v Version) cut {
	if v.local != nil || !v.hasDev {
		return cut{kind: cutBefore, v: v}
	}
	if isMinVersion(&v) {
		return negInf
	}
	w := v
	switch {
	case v.dev >= 1: // 1.0.dev3 follows 1.0.dev2 and its locals
		w.dev--
		return cut{kind: cutAfterLocals, v: w.rebuilt()}
	case v.hasPost: // 1.0.post1.dev0 follows 1.0.post0; 1.0.post0.dev0 follows 1.0
		w.hasDev = false
		if v.post >= 1 {
			w.post--
		} else {
			w.hasPost, w.post = false, 0
		}
		return cut{kind: cutAfterLocals, v: w.rebuilt()}
	case v.pre != preNone && v.preN >= 1: // 1.0a2.dev0 follows 1.0a1's posts
		w.hasDev = false
		w.preN--
		return cut{kind: cutAfterPosts, v: w.rebuilt()}
	}
	return cut{kind: cutBefore, v: v}
}

func after(v Version) cut       { return cut{kind: cutAfter, v: v} }
func afterLocals(v Version) cut { return cut{kind: cutAfterLocals, v: v} }
func afterPosts(v Version) cut  { return cut{kind: cutAfterPosts, v: v} }

// dev0 returns epoch!release.dev0, the smallest version with that release.
func dev0(epoch int, release []int) Version {
	return Version{epoch: epoch, release: release, hasDev: true}.rebuilt()
}

// nextPrefixDev0 returns the smallest version after every version starting
// with release: 1.2 -> 1.3.dev0.
func nextPrefixDev0(epoch int, release []int) Version {
	next := append([]int(nil), release...)
	next[len(next)-1]++
	return dev0(epoch, next)
}

// clauseIntervals translates one clause into intervals, following
// packaging's _ranges.standard_ranges / wildcard_ranges.
func clauseIntervals(c *clause) []interval {
	v := c.v
	var rs []interval
	switch {
	case c.Op == "===":
		return fullRange
	case c.wildcard:
		lo, hi := before(dev0(v.epoch, v.release)), before(nextPrefixDev0(v.epoch, v.release))
		if c.Op == "==" {
			rs = []interval{{lo, hi}}
		} else {
			rs = []interval{{negInf, lo}, {hi, posInf}}
		}
	case c.Op == ">=":
		rs = []interval{{before(v), posInf}}
	case c.Op == "<=":
		rs = []interval{{negInf, afterLocals(v)}}
	case c.Op == ">":
		// >V never admits V's local variants; when V is a final or plain
		// pre-release it also skips V's post-releases (PEP 440).
		if v.hasDev || v.hasPost {
			rs = []interval{{afterLocals(v), posInf}}
		} else {
			rs = []interval{{afterPosts(v), posInf}}
		}
	case c.Op == "<":
		// <V excludes V's own pre-releases unless V is one.
		b := v
		if !v.IsPrerelease() {
			b.hasDev, b.dev = true, 0
			b = b.rebuilt()
		}
		rs = []interval{{negInf, before(b)}}
	case c.Op == "==":
		if c.hasLocal {
			rs = []interval{{before(v), after(v)}}
		} else {
			rs = []interval{{before(v), afterLocals(v)}}
		}
	case c.Op == "!=":
		if c.hasLocal {
			rs = []interval{{negInf, before(v)}, {after(v), posInf}}
		} else {
			rs = []interval{{negInf, before(v)}, {afterLocals(v), posInf}}
		}
	case c.Op == "~=":
		hi := before(nextPrefixDev0(v.epoch, v.release[:len(v.release)-1]))
		rs = []interval{{before(v), hi}}
	}
	out := rs[:0]
	for _, r := range rs {
		if !r.empty() {
			out = append(out, r)
		}
	}
	return out
}

// intersect intersects two sorted lists of disjoint intervals.
func intersect(a, b []interval) []interval {
	out := make([]interval, 0, len(a)+len(b)) // at most len(a)+len(b)-1 pieces
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo := a[i].lo
		if b[j].lo.cmp(&lo) > 0 {
			lo = b[j].lo
		}
		hi := a[i].hi
		if b[j].hi.cmp(&hi) < 0 {
			hi = b[j].hi
		}
		if r := (interval{lo, hi}); !r.empty() {
			out = append(out, r)
		}
		if a[i].hi.cmp(&b[j].hi) < 0 {
			i++
		} else {
			j++
		}
	}
	return out
}

// intersectAll intersects many sorted lists of disjoint intervals pairwise, in a balanced tree: each
// level costs the total length once, so n lists cost O(total · log n). Folding intersect from the left
// instead copies the growing result at every step, quadratic when each list cuts one more hole (a
// requirements file with thousands of distinct != clauses on one package).
func intersectAll(lists [][]interval) []interval {
	switch len(lists) {
	case 0:
		return fullRange
	case 1:
		return intersect(fullRange, lists[0]) // drops empty intervals, as every intersect does
	}
	for len(lists) > 1 {
		next := make([][]interval, 0, (len(lists)+1)/2)
		for i := 0; i < len(lists); i += 2 {
			if i+1 == len(lists) {
				next = append(next, lists[i])
			} else {
				next = append(next, intersect(lists[i], lists[i+1]))
			}
		}
		lists = next
	}
	return lists[0]
}

func complement(rs []interval) []interval {
	var out []interval
	prev := negInf
	for _, r := range rs {
		if g := (interval{prev, r.lo}); !g.empty() {
			out = append(out, g)
		}
		prev = r.hi
	}
	if g := (interval{prev, posInf}); !g.empty() {
		out = append(out, g)
	}
	return out
}

// hasFinal reports whether a non-empty interval holds a version that is not a
// pre-release. Above most cuts the least such version is known; above the
// remaining ones finals lie arbitrarily close (1.0.0.0.1, 1.0+x.0), so any
// non-empty interval holds one.
func (r *interval) hasFinal() bool {
	var f Version
	v := r.lo.v
	switch r.lo.kind {
	case cutNegInf:
		f = Version{release: []int{0}}
	case cutBefore:
		f = v
		if v.IsPrerelease() {
			f = finalOf(v)
		}
	case cutAfter:
		if !v.IsPrerelease() {
			return true
		}
		f = finalOf(v)
	case cutAfterLocals:
		switch {
		case v.IsPrerelease():
			f = finalOf(v)
		case v.hasPost:
			f = Version{epoch: v.epoch, release: v.release, hasPost: true, post: v.post + 1}
		default:
			f = Version{epoch: v.epoch, release: v.release, hasPost: true}
		}
	case cutAfterPosts:
		if v.pre == preNone {
			return true
		}
		f = finalOf(v)
	default:
		return false
	}
	return below(&f, &r.hi)
}

// finalOf returns the least final or post-release at or above pre-release v.
func finalOf(v Version) Version {
	if v.pre != preNone {
		return Version{epoch: v.epoch, release: v.release}
	}
	return Version{epoch: v.epoch, release: v.release, hasPost: v.hasPost, post: v.post}
}

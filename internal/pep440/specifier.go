package pep440

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalidSpecifier is wrapped by every error ParseSpecifiers returns.
var ErrInvalidSpecifier = errors.New("invalid specifier")

// ErrArbitraryEquality is returned by the set-relation methods when a set
// holds an "===" clause, whose string matching has no range to compare.
var ErrArbitraryEquality = errors.New("=== cannot take part in set algebra")

// ErrPrereleaseConflict is returned by Intersect when one set forces
// pre-releases on and the other forces them off.
var ErrPrereleaseConflict = errors.New("cannot combine sets with true and false pre-release overrides")

// Specifier is one clause, e.g. {">=", "1.0"}. Version is the text as written
// after the operator (trimmed), as packaging's Specifier.version keeps it.
type Specifier struct {
	Op      string
	Version string
}

// String returns the clause as operator followed by version, without spaces.
func (c Specifier) String() string { return c.Op + c.Version }

type clause struct {
	Specifier
	v         Version // the version, or the prefix of a wildcard; unset for "===" that is not PEP 440
	vOK       bool
	wildcard  bool
	hasLocal  bool
	canon     string // packaging's _canonical_spec, the identity used by equality
	lowerText string // "===" only: the case-folded version text
}

type preOverride int8

const (
	preUnset preOverride = iota
	preAllow
	preDeny
)

// Specifiers is a comma-joined set of clauses, matched as their intersection.
// The zero value is the empty set, which matches every version.
type Specifiers struct {
	clauses   []clause
	intervals []interval // intersection of every clause; meaningful only when clauses is non-empty
	canon     []int      // clause indices sorted by text, duplicates (by canon) removed
	str       string
	pre       preOverride
	arbitrary int  // number of "===" clauses
	anyPre    bool // some clause names a pre-release
}

// ParseSpecifiers parses a comma-separated specifier set such as
// ">=1.0, !=1.3.*, <2". Empty input (or only commas) gives the empty set. The
// parenthesised form used in requirement strings, "(>=1,<2)", is accepted.
func ParseSpecifiers(s string) (Specifiers, error) {
	t := trimSpace(s)
	if len(t) >= 2 && t[0] == '(' && t[len(t)-1] == ')' {
		t = t[1 : len(t)-1]
	}
	var clauses []clause
	for _, part := range strings.Split(t, ",") {
		part = trimSpace(part)
		if part == "" {
			continue
		}
		c, err := parseClause(part)
		if err != nil {
			return Specifiers{}, fmt.Errorf("parsing specifier %q: %w", s, err)
		}
		clauses = append(clauses, c)
	}
	return build(clauses, preUnset), nil
}

// MustParseSpecifiers is like ParseSpecifiers but panics on invalid input.
func MustParseSpecifiers(s string) Specifiers {
	ss, err := ParseSpecifiers(s)
	if err != nil {
		panic(err)
	}
	return ss
}

func parseClause(p string) (clause, error) {
	var op string
	switch {
	case p == "":
		return clause{}, fmt.Errorf("%w: empty clause", ErrInvalidSpecifier)
	case strings.HasPrefix(p, "==="):
		op = "==="
	case len(p) >= 2 && (p[:2] == "~=" || p[:2] == "==" || p[:2] == "!=" || p[:2] == "<=" || p[:2] == ">="):
		op = p[:2]
	case p[0] == '<' || p[0] == '>':
		op = p[:1]
	default:
		return clause{}, fmt.Errorf("%w: clause %q has no operator", ErrInvalidSpecifier, p)
	}
	ver := trimSpace(p[len(op):])
	c := clause{Specifier: Specifier{Op: op, Version: ver}}
	bad := func(why string) (clause, error) {
		return clause{}, fmt.Errorf("%w: clause %q: %s", ErrInvalidSpecifier, p, why)
	}
	if op == "===" {
		if strings.IndexFunc(ver, func(r rune) bool { return isSpace(r) || r == ';' || r == ')' }) >= 0 {
			return bad("arbitrary version contains whitespace, ';' or ')'")
		}
		c.v, c.vOK = parseNoSpace(ver)
		c.canon = op + ver
		c.lowerText = strings.ToLower(ver)
		return c, nil
	}
	if strings.IndexFunc(ver, isSpace) >= 0 {
		return bad("version contains whitespace")
	}
	text := ver
	if (op == "==" || op == "!=") && strings.HasSuffix(ver, ".*") {
		c.wildcard = true
		text = ver[:len(ver)-2]
	}
	v, ok := parseNoSpace(text)
	if !ok {
		return bad("not a valid version")
	}
	c.v, c.vOK = v, true
	c.hasLocal = v.local != nil
	switch {
	case c.wildcard && (v.pre != preNone || v.hasPost || v.hasDev || v.hasLocal()):
		return bad("a wildcard may only follow a release segment")
	case c.hasLocal && op != "==" && op != "!=":
		return bad("local versions are only allowed with == and !=")
	case op == "~=" && len(v.release) < 2:
		return bad("~= needs at least two release numbers")
	}
	if c.wildcard {
		c.canon = op + ver
	} else {
		c.canon = op + canonicalVersion(v, op != "~=")
	}
	return c, nil
}

func (v Version) hasLocal() bool { return v.local != nil }

func parseNoSpace(s string) (Version, bool) {
	if s == "" {
		return Version{}, false
	}
	v, err := parseVersion(s)
	return v, err == nil
}

// canonicalVersion mirrors packaging.utils.canonicalize_version, which
// Specifier equality uses: "==2.8.0" equals "==2.8", but "~=1.18.0" does not
// equal "~=1.18" because there the trailing zero changes the meaning.
func canonicalVersion(v Version, stripTrailingZero bool) string {
	if stripTrailingZero {
		n := len(v.release)
		for n > 1 && v.release[n-1] == 0 {
			n--
		}
		if n != len(v.release) {
			v.release = v.release[:n]
			return v.build()
		}
	}
	return v.String()
}

func build(clauses []clause, pre preOverride) Specifiers {
	s := Specifiers{clauses: clauses, pre: pre}
	if len(clauses) == 0 {
		return s
	}
	lists := make([][]interval, len(clauses))
	for i := range clauses {
		c := &clauses[i]
		if c.Op == "===" {
			s.arbitrary++
		}
		if c.impliesPre() {
			s.anyPre = true
		}
		lists[i] = clauseIntervals(c)
	}
	s.intervals = intersectAll(lists)
	s.canonicalize()
	return s
}

// canonicalize orders clauses like packaging's str(SpecifierSet): sorted by
// text, dropping later clauses that equal an earlier one.
func (s *Specifiers) canonicalize() {
	idx := make([]int, len(s.clauses))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return s.clauses[idx[a]].String() < s.clauses[idx[b]].String()
	})
	seen := make(map[string]bool, len(idx))
	var parts []string
	s.canon = idx[:0]
	for _, i := range idx {
		c := &s.clauses[i]
		if seen[c.canon] {
			continue
		}
		seen[c.canon] = true
		s.canon = append(s.canon, i)
		parts = append(parts, c.String())
	}
	s.str = strings.Join(parts, ",")
}

// impliesPre is packaging's Specifier.prereleases without an override: a
// clause asks for pre-releases when its version is one, except "!=" and
// wildcards, which never do.
func (c *clause) impliesPre() bool {
	if c.Op == "!=" || c.wildcard || !c.vOK {
		return false
	}
	return c.v.IsPrerelease()
}

// String returns the canonical text: clauses sorted and de-duplicated as
// packaging's str(SpecifierSet) does, e.g. "!=2.0,>1.0".
func (s Specifiers) String() string { return s.str }

// Clauses returns the clauses in the order written (duplicates kept).
func (s Specifiers) Clauses() []Specifier {
	out := make([]Specifier, len(s.clauses))
	for i, c := range s.clauses {
		out[i] = c.Specifier
	}
	return out
}

// IsEmpty reports whether the set has no clauses (and so matches everything).
func (s Specifiers) IsEmpty() bool { return len(s.clauses) == 0 }

// Equal reports whether two sets have the same clauses up to order,
// duplicates and version spelling ("==2.8.0" equals "==2.8"), ignoring the
// pre-release override, like packaging's SpecifierSet equality.
func (s Specifiers) Equal(o Specifiers) bool {
	if len(s.canon) != len(o.canon) {
		return false
	}
	for i := range s.canon {
		if s.clauses[s.canon[i]].canon != o.clauses[o.canon[i]].canon {
			return false
		}
	}
	return true
}

// And returns the intersection of two sets (the concatenation of their
// clauses). Pre-release overrides combine as in packaging; where one set
// forces pre-releases on and the other off, which packaging rejects, the
// result forbids them. Use Intersect to get the error instead.
func (s Specifiers) And(o Specifiers) Specifiers {
	r, err := s.Intersect(o)
	if err != nil {
		r.pre = preDeny
	}
	return r
}

// Intersect is And, returning ErrPrereleaseConflict where packaging's "&"
// raises ValueError; the combined set is returned either way.
func (s Specifiers) Intersect(o Specifiers) (Specifiers, error) {
	var err error
	pre := o.pre
	switch {
	case s.pre == preUnset || s.pre == o.pre:
	case o.pre == preUnset:
		pre = s.pre
	default:
		err = ErrPrereleaseConflict
	}
	r := Specifiers{pre: pre}
	switch {
	case len(s.clauses) == 0:
		r = o
		r.pre = pre
	case len(o.clauses) == 0:
		r = s
		r.pre = pre
	default:
		r.clauses = append(append(make([]clause, 0, len(s.clauses)+len(o.clauses)), s.clauses...), o.clauses...)
		r.intervals = intersect(s.intervals, o.intervals)
		r.arbitrary = s.arbitrary + o.arbitrary
		r.anyPre = s.anyPre || o.anyPre
		r.canonicalize()
	}
	return r, err
}

// AndAll is the intersection of every set, as folding And over them would give, computed in one pass: the
// clauses are appended and sorted once, where a fold sorts them again at every step (quadratic in a
// requirements file that repeats one package thousands of times).
func AndAll(sets ...Specifiers) Specifiers {
	var r Specifiers
	n, nonEmpty := 0, 0
	for i := range sets {
		n += len(sets[i].clauses)
		if len(sets[i].clauses) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty <= 1 {
		// At most one set has clauses: the fold is cheap and keeps And's exact result.
		for _, s := range sets {
			r = r.And(s)
		}
		return r
	}
	r.clauses = make([]clause, 0, n)
	conflict := false
	lists := make([][]interval, 0, nonEmpty)
	for _, s := range sets {
		switch {
		case r.pre == preUnset || r.pre == s.pre:
			r.pre = max(r.pre, s.pre) // unset (the zero) takes the other's
		case s.pre == preUnset:
		default:
			conflict = true
			r.pre = s.pre
		}
		if len(s.clauses) == 0 {
			continue
		}
		r.clauses = append(r.clauses, s.clauses...)
		lists = append(lists, s.intervals)
		r.arbitrary += s.arbitrary
		r.anyPre = r.anyPre || s.anyPre
	}
	r.intervals = intersectAll(lists)
	r.canonicalize()
	if conflict {
		r.pre = preDeny
	}
	return r
}

// WithPrereleases returns a copy whose pre-release policy is forced to allow,
// like packaging's SpecifierSet(..., prereleases=allow).
func (s Specifiers) WithPrereleases(allow bool) Specifiers {
	if allow {
		s.pre = preAllow
	} else {
		s.pre = preDeny
	}
	return s
}

// WithDefaultPrereleases returns a copy without a forced pre-release policy.
func (s Specifiers) WithDefaultPrereleases() Specifiers {
	s.pre = preUnset
	return s
}

// PrereleasesOverride returns the forced pre-release policy, if any.
func (s Specifiers) PrereleasesOverride() (allow, set bool) {
	return s.pre == preAllow, s.pre != preUnset
}

// prereleases is packaging's SpecifierSet.prereleases: ok is false for None.
func (s Specifiers) prereleases() (allow, ok bool) {
	switch {
	case s.pre != preUnset:
		return s.pre == preAllow, true
	case s.anyPre:
		return true, true
	}
	return false, false
}

// Prereleases reports whether pre-releases are allowed by request: the forced
// policy if one was set, otherwise whether some clause names a pre-release
// (">=1.0b1" does, "!=1.0b1" and "==1.*" do not). This is packaging's
// SpecifierSet.prereleases with None read as false.
func (s Specifiers) Prereleases() bool {
	allow, _ := s.prereleases()
	return allow
}

// Pin returns the version text of a set made of a single "==V" (without
// wildcard) or "===V" clause, repeated or not. Note that "==1.0" also admits
// 1.0.0 and 1.0+local: callers still confirm candidates with Allows.
func (s Specifiers) Pin() (string, bool) {
	if len(s.canon) != 1 {
		return "", false
	}
	c := &s.clauses[s.canon[0]]
	if (c.Op == "==" && !c.wildcard) || c.Op == "===" {
		return c.Version, true
	}
	return "", false
}

package pep440

import "strings"

// Allows reports whether v lies in the set's range. It applies every PEP 440
// exclusion rule (">1.7" skips 1.7.post1, "<2" skips 2.0a1, "==1.0" admits
// 1.0+local, "!=1.0" rejects it, ...) but not the pre-release policy, which a
// resolver applies itself. "===" clauses compare v's normalized text without
// regard to case. It does not allocate.
func (s Specifiers) Allows(v Version) bool {
	if len(s.clauses) == 0 {
		return true
	}
	if s.arbitrary > 0 && !s.arbitraryMatch(v.String()) {
		return false
	}
	return inIntervals(&v, s.intervals)
}

// arbitraryMatch checks text against every "===" clause. Normalized version
// text is already lower case, so only raw strings pay for case folding.
func (s *Specifiers) arbitraryMatch(text string) bool {
	var lower string
	for i := range s.clauses {
		c := &s.clauses[i]
		if c.Op != "===" {
			continue
		}
		if text != c.lowerText {
			if lower == "" {
				lower = strings.ToLower(text)
			}
			if lower != c.lowerText {
				return false
			}
		}
	}
	return true
}

// item is a candidate as packaging's contains and filter see it: either a
// string (text as given, parsed if PEP 440) or an already parsed Version,
// which only differs for "===", where a Version is compared by its
// normalized text.
type item struct {
	text   string
	v      Version
	parsed bool
}

func stringItem(s string) item {
	v, err := parseVersion(trimSpace(s))
	return item{text: s, v: v, parsed: err == nil}
}

func versionItem(v Version) item { return item{text: v.String(), v: v, parsed: true} }

// effectivePrereleases resolves the policy a contains or filter call uses:
// the call's argument, else packaging's SpecifierSet.prereleases (nil = the
// PEP 440 default: pre-releases only when nothing else matches).
func (s *Specifiers) effectivePrereleases(arg *bool) preOverride {
	allow, ok := s.prereleases()
	if arg != nil {
		allow, ok = *arg, true
	}
	switch {
	case !ok:
		return preUnset
	case allow:
		return preAllow
	}
	return preDeny
}

// matches reports whether it passes every clause, before any pre-release policy.
func (s *Specifiers) matches(it *item) bool {
	if len(s.clauses) == 0 {
		return true
	}
	if s.arbitrary > 0 {
		if !s.arbitraryMatch(it.text) {
			return false
		}
		if s.arbitrary == len(s.clauses) {
			return true // only "===": strings that are not versions may match
		}
	}
	return it.parsed && inIntervals(&it.v, s.intervals)
}

func (s *Specifiers) containsItem(it item, prereleases *bool, installed bool) bool {
	if installed && it.parsed && it.v.IsPrerelease() {
		t := true
		prereleases = &t
	}
	if !s.matches(&it) {
		return false
	}
	// A single candidate survives the PEP 440 default (it is the only match),
	// so only an explicit "no pre-releases" can still drop it.
	return !(s.effectivePrereleases(prereleases) == preDeny && it.parsed && it.v.IsPrerelease())
}

// Contains reports whether version is in the set, exactly as packaging 26's
// SpecifierSet.contains(version, prereleases) does; prereleases nil means the
// argument was not given. Strings that are not PEP 440 versions only match
// "===" clauses or an empty set.
func (s Specifiers) Contains(version string, prereleases *bool) bool {
	return s.containsItem(stringItem(version), prereleases, false)
}

// ContainsVersion is Contains for an already parsed version; for "===" it
// compares v's normalized text, as packaging does for Version objects.
func (s Specifiers) ContainsVersion(v Version, prereleases *bool) bool {
	return s.containsItem(versionItem(v), prereleases, false)
}

// filterItems returns the indices of the items packaging 26's
// SpecifierSet.filter would yield, in order.
func (s *Specifiers) filterItems(items []item, prereleases *bool) []int {
	eff := s.effectivePrereleases(prereleases)
	out := make([]int, 0, len(items))
	if eff != preUnset {
		for i := range items {
			it := &items[i]
			if !s.matches(it) {
				continue
			}
			if eff == preDeny && it.parsed && it.v.IsPrerelease() {
				continue
			}
			out = append(out, i)
		}
		return out
	}
	// PEP 440 default: finals are yielded, pre-releases are held back and only
	// released if no final matches at all. Strings that are not versions (only
	// possible with "===" or an empty set) cannot be classified, so they are
	// kept either way, in order.
	var held []int
	foundFinal := false
	for i := range items {
		it := &items[i]
		if !s.matches(it) {
			continue
		}
		switch {
		case !it.parsed:
			if foundFinal {
				out = append(out, i)
			} else {
				held = append(held, i)
			}
		case it.v.IsPrerelease():
			if !foundFinal {
				held = append(held, i)
			}
		default:
			if !foundFinal {
				foundFinal = true
				for _, h := range held {
					if !items[h].parsed {
						out = append(out, h)
					}
				}
			}
			out = append(out, i)
		}
	}
	if !foundFinal {
		return held
	}
	return out
}

// Filter returns the versions packaging 26's SpecifierSet.filter(versions,
// prereleases) yields, in input order. With prereleases nil and no forced
// policy, pre-releases are returned only when no final release matches.
func (s Specifiers) Filter(versions []string, prereleases *bool) []string {
	return filterAs(s, versions, stringItem, prereleases)
}

// FilterVersions is Filter for parsed versions.
func (s Specifiers) FilterVersions(versions []Version, prereleases *bool) []Version {
	return filterAs(s, versions, versionItem, prereleases)
}

func filterAs[T any](s Specifiers, versions []T, toItem func(T) item, prereleases *bool) []T {
	items := make([]item, len(versions))
	for i, v := range versions {
		items[i] = toItem(v)
	}
	idx := s.filterItems(items, prereleases)
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = versions[j]
	}
	return out
}

// IsUnsatisfiable reports whether no version can satisfy the set, following
// packaging's SpecifierSet.is_unsatisfiable: ranges that do not meet, "==="
// strings that disagree or that other clauses reject, and, when pre-releases
// are forced off, ranges holding nothing but pre-releases.
func (s Specifiers) IsUnsatisfiable() bool {
	if len(s.clauses) == 0 {
		return false
	}
	if len(s.intervals) == 0 {
		return true
	}
	allow, forced := s.PrereleasesOverride()
	noPre := forced && !allow
	if s.arbitrary > 0 {
		var first *clause
		for i := range s.clauses {
			c := &s.clauses[i]
			if c.Op != "===" {
				continue
			}
			if first == nil {
				first = c
			} else if c.lowerText != first.lowerText {
				return true
			}
		}
		if noPre && first.vOK && first.v.IsPrerelease() {
			return true
		}
		if s.arbitrary < len(s.clauses) && (!first.vOK || !inIntervals(&first.v, s.intervals)) {
			return true
		}
	}
	if noPre {
		for i := range s.intervals {
			if s.intervals[i].hasFinal() {
				return false
			}
		}
		return true
	}
	return false
}

// rangeOf returns the set's intervals for set algebra.
func (s *Specifiers) rangeOf() ([]interval, error) {
	if s.arbitrary > 0 {
		return nil, ErrArbitraryEquality
	}
	if len(s.clauses) == 0 {
		return fullRange, nil
	}
	return s.intervals, nil
}

// IsSubset reports whether every version s admits is also admitted by o.
// Like the other relations it compares version ranges only: pre-release
// policy is ignored, and "===" clauses give ErrArbitraryEquality.
func (s Specifiers) IsSubset(o Specifiers) (bool, error) {
	a, err := s.rangeOf()
	if err != nil {
		return false, err
	}
	b, err := o.rangeOf()
	if err != nil {
		return false, err
	}
	return len(intersect(a, complement(b))) == 0, nil
}

// IsSuperset reports whether s admits every version o admits.
func (s Specifiers) IsSuperset(o Specifiers) (bool, error) { return o.IsSubset(s) }

// IsDisjoint reports whether no version is admitted by both sets.
func (s Specifiers) IsDisjoint(o Specifiers) (bool, error) {
	a, err := s.rangeOf()
	if err != nil {
		return false, err
	}
	b, err := o.rangeOf()
	if err != nil {
		return false, err
	}
	return len(intersect(a, b)) == 0, nil
}

package pep440

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLenient(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.0", "1.0"},
		{"V1.0", "1.0"},
		{" \t1.0\n", "1.0"},
		{"\u3000 1.0\x1f", "1.0"},
		{"1.0-1", "1.0.post1"},
		{"1.0_ALPHA_2", "1.0a2"},
		{"1.0pre", "1.0rc0"},
		{"1.0preview-3", "1.0rc3"},
		{"1.0a.post", "1.0a0.post0"}, // a separator after the label belongs to it
		{"1.0a-", "1.0a0"},
		{"1.0.post-", "1.0.post0"},
		{"1.0-r_4.DEV", "1.0.post4.dev0"},
		{"01!0002.030", "1!2.30"},
		{"1.0+Ubuntu-1_007.A", "1.0+ubuntu.1.7.a"},
		{"1.0+007a", "1.0+007a"}, // only all-digit local pieces are numbers
		{"9223372036854775806", "9223372036854775806"},
	} {
		v, err := Parse(tc.in)
		if err != nil || v.String() != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, v, err, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"", " ", "v", "1.", "1..0", "1.0+", "1.0+a..b", "1.0 .post1", "1!", "!1", "1.0.*",
		"1.0-", "1.0a1a1", "1.0dev1dev", "١.0", "1.0+ſ",
		"9223372036854775807", "1.99999999999999999999", "1.0+1" + strings.Repeat("0", 40) + ".x.y.z.q+",
	} {
		v, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error", in, v)
			continue
		}
		if !errors.Is(err, ErrInvalidVersion) || !strings.Contains(err.Error(), "parsing version") {
			t.Errorf("Parse(%q) error %q does not wrap ErrInvalidVersion with context", in, err)
		}
	}
	// Long numeric local labels are compared as text, so they need no int range.
	if _, err := Parse("1.0+" + strings.Repeat("9", 40)); err != nil {
		t.Errorf("long numeric local: %v", err)
	}
}

// The whitespace that packaging strips is Python's str.isspace set.
func TestIsSpaceMatchesPython(t *testing.T) {
	python := []rune{0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
		0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000}
	want := map[rune]bool{}
	for _, r := range python {
		want[r] = true
	}
	for r := rune(0); r <= 0x10ffff; r++ {
		if isSpace(r) != want[r] {
			t.Errorf("isSpace(%U) = %v, Python says %v", r, isSpace(r), want[r])
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.0+0", "1.0+000", 0},
		{"1.0+a", "1.0+1", -1},                         // numeric local pieces sort last
		{"1.0+9", "1.0+10", -1},                        // and compare as numbers
		{"1.0+abc", "1.0+abc.0", -1},                   // a longer label with the same prefix is larger
		{"1.0.dev1", "1.0a1", -1},                      // dev-only sorts before pre-releases
		{"1.0.post1.dev1", "1.0.post1", -1},            // a post-release's dev sorts before it
		{"1.0a1.post1", "1.0a2.dev1", -1},              // post of a1 before a2's devs
		{"1!0.1", "2.0", 1},                            // epochs dominate
		{"1.0" + ".0.0.0.0.0.0.0.0.1", "1.0.post9", 1}, // release dominates post
	} {
		a, b := MustParse(tc.a), MustParse(tc.b)
		if got := a.Compare(b); got != tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := b.Compare(a); got != -tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestZeroValues(t *testing.T) {
	var v Version
	if v.String() != "0" || v.Compare(MustParse("0.0")) != 0 || v.IsPrerelease() {
		t.Errorf("zero Version = %q", v)
	}
	var s Specifiers
	if !s.IsEmpty() || !s.Allows(MustParse("1.0a1")) || !s.Contains("anything", nil) || s.String() != "" || s.IsUnsatisfiable() {
		t.Error("zero Specifiers must match everything")
	}
	if got := s.And(MustParseSpecifiers(">=1")); got.String() != ">=1" || got.Allows(MustParse("0.9")) {
		t.Errorf("zero.And = %q", got)
	}
}

// The PEP 440 exclusion rules, checked on Allows (range only, no policy).
func TestAllowsRules(t *testing.T) {
	for _, tc := range []struct {
		spec, version string
		want          bool
	}{
		// >V skips V's post-releases and local variants, unless V is itself a post/dev release.
		{">1.7", "1.7.post1", false},
		{">1.7", "1.7+local", false},
		{">1.7", "1.7.0.post1", false},
		{">1.7", "1.7.1.dev1", true}, // in range; the pre-release policy is the caller's business
		{">1.7", "1.7.0.1", true},
		{">1.7.post2", "1.7.post3", true},
		{">1.7.post2", "1.7.post2+local", false},
		{">1.7.dev1", "1.7.dev1+local", false},
		{">1.7.dev1", "1.7.dev2", true},
		{">1.7a1", "1.7a1.post1", false},
		{">1.7a1", "1.7a2.dev0", true},
		// <V skips V's pre-releases (and V.postN.devM for a post V) unless V is one.
		{"<2", "2.0a1", false},
		{"<2", "2.0.dev0", false},
		{"<2", "1.9.post1", true},
		{"<2", "2.0+local", false},
		{"<2.0a2", "2.0a1", true},
		{"<2.0.post1", "2.0.post1.dev0", false},
		{"<2.0.post1", "2.0.post0+local", true},
		// Local labels: ==V and <=V admit V+local, !=V rejects it; a spec with a local is exact.
		{"==1.0", "1.0+local", true},
		{"==1.0.0", "1.0+local", true},
		{"<=1.0", "1.0+local", true},
		{"<=1.0", "1.0.post0", false},
		{"!=1.0", "1.0+local", false},
		{"==1.0+local", "1.0", false},
		{"==1.0+local", "1.0+LOCAL", true},
		{"!=1.0+local", "1.0+other", true},
		// ~= and wildcards.
		{"~=1.4.2", "1.4.9", true},
		{"~=1.4.2", "1.5.dev0", false},
		{"~=1.4", "1.9999", true},
		{"~=1.4", "2.0a1", false},
		{"==1.4.*", "1.4.0rc1", true},
		{"==1.4.*", "1.40", false},
		{"!=1.4.*", "1.4+local", false},
		{"==0!1.*", "1!1.0", false},
		// Sets, including "exclusionary bridges" that leave nothing between the clauses.
		{">=1.0,!=1.0,!=1.1,<2.0", "1.0.post1", true},
		{">1.0,<=1.0.post1", "1.0.post1", false},
		{">=1,!=1.*,!=2.*,<=3.0", "3.0a1", true},
		// === compares normalized text, case-insensitively.
		{"===1.0", "1.0", true},
		{"===1.0.0", "1.0", false},
		{"===1.0A1", "1.0a1", true},
	} {
		s, err := ParseSpecifiers(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Allows(MustParse(tc.version)); got != tc.want {
			t.Errorf("%q.Allows(%s) = %v, want %v", tc.spec, tc.version, got, tc.want)
		}
	}
}

func ptr(b bool) *bool { return &b }

func TestPrereleasePolicy(t *testing.T) {
	versions := []string{"1.0", "2.0a1", "not-a-version"}
	for _, tc := range []struct {
		spec string
		pre  *bool
		want string
	}{
		{">=1.0", nil, "1.0"},
		{">=1.5", nil, "2.0a1"}, // pre-releases only when no final matches
		{">=1.5", ptr(false), ""},
		{">=1.0", ptr(true), "1.0 2.0a1"},
		{">=1.0b1", nil, "1.0 2.0a1"}, // naming a pre-release asks for them
		{"!=1.0b1", nil, "1.0"},       // except through != and wildcards
		{"", nil, "1.0 not-a-version"},
		{"===not-a-version", nil, "not-a-version"},
	} {
		s := MustParseSpecifiers(tc.spec)
		if got := strings.Join(s.Filter(versions, tc.pre), " "); got != tc.want {
			t.Errorf("%q.Filter(%v) = %q, want %q", tc.spec, tc.pre, got, tc.want)
		}
	}
	s := MustParseSpecifiers(">=1.0")
	if !s.Contains("2.0a1", nil) || s.Contains("2.0a1", ptr(false)) || s.WithPrereleases(false).Contains("2.0a1", nil) {
		t.Error("Contains must admit a lone pre-release unless told not to")
	}
	if !s.WithPrereleases(false).Contains("2.0a1", ptr(true)) {
		t.Error("the call's prereleases argument overrides the set's")
	}
	if s.Prereleases() || !MustParseSpecifiers(">=1,<2.0rc1").Prereleases() || !s.WithPrereleases(true).Prereleases() {
		t.Error("Prereleases")
	}
	got := MustParseSpecifiers(">=1").FilterVersions([]Version{MustParse("0.5"), MustParse("1.1"), MustParse("1.2b1")}, nil)
	if len(got) != 1 || got[0].String() != "1.1" {
		t.Errorf("FilterVersions = %v", got)
	}
}

func TestParseSpecifiersForms(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{" , ,", ""},
		{"(>=1, <2)", "<2,>=1"},
		{">=1.0.0 ,>=1.0, < 2", "<2,>=1.0"}, // duplicates collapse, first by text wins
		{"~=1.18.0,~=1.18", "~=1.18,~=1.18.0"},
		{"===FooBar,===foobar", "===FooBar,===foobar"},
		{"== v1.0", "==v1.0"},
	} {
		s, err := ParseSpecifiers(tc.in)
		if err != nil || s.String() != tc.want {
			t.Errorf("ParseSpecifiers(%q) = %q, %v; want %q", tc.in, s, err, tc.want)
		}
	}
	for _, in := range []string{"1.0", ">=1.0,foo", "=>1", "<=1.0+local", "~=1", "==1.0.*+x", "== 1 .0", "===a b", "===a;b", ">=1.0.*"} {
		_, err := ParseSpecifiers(in)
		if err == nil || !errors.Is(err, ErrInvalidSpecifier) || !strings.Contains(err.Error(), "parsing specifier") {
			t.Errorf("ParseSpecifiers(%q) error = %v, want wrapped ErrInvalidSpecifier", in, err)
		}
	}
}

func TestPinAndAnd(t *testing.T) {
	for _, tc := range []struct {
		spec, pin string
		ok        bool
	}{
		{"==1.0", "1.0", true},
		{"==1.0,==1.0.0", "1.0", true},
		{"===foo", "foo", true},
		{"==1.*", "", false},
		{"==1.0,<2", "", false},
		{"", "", false},
	} {
		pin, ok := MustParseSpecifiers(tc.spec).Pin()
		if pin != tc.pin || ok != tc.ok {
			t.Errorf("%q.Pin() = %q, %v", tc.spec, pin, ok)
		}
	}
	a := MustParseSpecifiers(">=1.0").WithPrereleases(true)
	b := MustParseSpecifiers("<2").WithPrereleases(false)
	if _, err := a.Intersect(b); !errors.Is(err, ErrPrereleaseConflict) {
		t.Errorf("Intersect conflict: %v", err)
	}
	ab := a.And(b)
	if allow, set := ab.PrereleasesOverride(); allow || !set {
		t.Error("And resolves a conflict by forbidding pre-releases")
	}
	if ab.String() != "<2,>=1.0" || !ab.Allows(MustParse("1.5")) || ab.Allows(MustParse("2.0")) || len(ab.Clauses()) != 2 {
		t.Errorf("And = %q", ab)
	}
	if !MustParseSpecifiers(">=2").And(MustParseSpecifiers("<1")).IsUnsatisfiable() {
		t.Error("disjoint And must be unsatisfiable")
	}
}

func TestNoAllocations(t *testing.T) {
	s := MustParseSpecifiers(">=1.0,!=1.5.*,<2.0,~=1.2")
	arb := MustParseSpecifiers("===1.4,>=1")
	v, w := MustParse("1.4.2"), MustParse("1.4.2+local.7")
	if n := testing.AllocsPerRun(100, func() {
		_ = v.Compare(w)
		_ = s.Allows(v)
		_ = s.Allows(w)
		_ = arb.Allows(v)
		_ = s.ContainsVersion(v, nil)
	}); n != 0 {
		t.Errorf("Compare/Allows allocate %v times per run", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.0", "1!2.0rc1.post2.dev3+abc.1", "v1.0-1", "1.0a", " 1.0 ", "1.0+AbC-007", "0.dev0", "1..0"} {
		f.Add(s, "1.0.post1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := Parse(a)
		vb, errB := Parse(b)
		if errA == nil {
			again, err := Parse(va.String())
			if err != nil {
				t.Fatalf("Parse(%q) ok but its String %q does not parse: %v", a, va, err)
			}
			if again.String() != va.String() || again.Compare(va) != 0 {
				t.Fatalf("round trip of %q: %q vs %q", a, va, again)
			}
			if va.Compare(va) != 0 {
				t.Fatalf("%q not equal to itself", a)
			}
			_, _ = va.Public(), va.BaseVersion()
		}
		if errA == nil && errB == nil {
			if ab, ba := va.Compare(vb), vb.Compare(va); ab != -ba {
				t.Fatalf("Compare(%q,%q)=%d but reverse %d", a, b, ab, ba)
			}
		}
	})
}

func FuzzParseSpecifiers(f *testing.F) {
	for _, s := range []string{">=1.0,<2", "~=1.4.2,!=1.4.5", "==1.*", "!=1.0+local", "===foo", "(>1.0a1)", ">1.0,<=1.0.post1", ""} {
		f.Add(s, "1.4.5")
	}
	f.Fuzz(func(t *testing.T, spec, version string) {
		s, err := ParseSpecifiers(spec)
		pre := []*bool{nil, ptr(true), ptr(false)}
		for _, p := range pre {
			_ = s.Contains(version, p)
			_ = s.Filter([]string{version, "1.0", "2.0a1"}, p)
		}
		_, _ = s.IsSubset(s)
		_, _ = s.IsDisjoint(s)
		if err != nil {
			return
		}
		again, err := ParseSpecifiers(s.String())
		if err != nil {
			t.Fatalf("%q ok but its String %q does not parse: %v", spec, s, err)
		}
		if !again.Equal(s) || again.String() != s.String() {
			t.Fatalf("round trip of %q: %q vs %q", spec, s, again)
		}
		unsat := s.IsUnsatisfiable()
		v, err := Parse(version)
		if err != nil {
			return
		}
		got := s.Allows(v)
		if again.Allows(v) != got || s.And(s).Allows(v) != got {
			t.Fatalf("%q.Allows(%q) unstable", spec, version)
		}
		if got && unsat {
			t.Fatalf("%q is unsatisfiable but allows %q", spec, version)
		}
		// The set's range is the intersection of its clauses' ranges.
		all := true
		for _, c := range s.Clauses() {
			if !MustParseSpecifiers(c.String()).Allows(v) {
				all = false
			}
		}
		if all != got {
			t.Fatalf("%q.Allows(%q) = %v, but clause by clause %v", spec, version, got, all)
		}
		if s.arbitrary == 0 && s.Contains(version, ptr(true)) != got {
			t.Fatalf("%q: Contains(%q, true) disagrees with Allows", spec, version)
		}
	})
}

func BenchmarkAllows(b *testing.B) {
	s := MustParseSpecifiers(">=1.0,!=1.5.*,<2.0,~=1.2")
	v := MustParse("1.4.2")
	for b.Loop() {
		_ = s.Allows(v)
	}
}

func BenchmarkCompare(b *testing.B) {
	v, w := MustParse("1.4.2rc1"), MustParse("1.4.2")
	for b.Loop() {
		_ = v.Compare(w)
	}
}

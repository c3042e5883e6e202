package pep440

// Conformance against the packaging 26.x vectors in testdata/conformance (vendored)
// (versions.json and specifiers.json; see that folder's README.md).
//
// Every section of both files is checked; none is skipped. Two kinds of row the data
// describes but that have no direct Go counterpart are mapped as follows:
//   - kind "Specifier" rows are run on a one-clause Specifiers, which packaging
//     gives the same answers for every row in these files;
//   - {"parsed_version": ...} items go through ContainsVersion / FilterVersions
//     semantics (normalized text for "==="), via the unexported item type.
// The satisfiability section also runs upstream's companion check: filtering
// satisfiability_sample_versions must yield nothing exactly for the
// unsatisfiable sets. It is not run on the 17 satisfiable sets with "==="
// clauses, whose only match ("foobar", "1.01", ...) is not among the samples.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

const conformanceDir = "../../testdata/conformance" // vendored: see testdata/conformance/README.md

func loadConformance(t *testing.T, name string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Fatal("testdata/conformance is missing (vendored with the repository)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// tally counts the cases of one section and reports every failure.
type tally struct {
	t          *testing.T
	name       string
	pass, fail int
}

func (c *tally) check(ok bool, format string, args ...any) {
	c.t.Helper()
	if ok {
		c.pass++
		return
	}
	c.fail++
	c.t.Errorf("%s: "+format, append([]any{c.name}, args...)...)
}

func (c *tally) done() {
	c.t.Logf("%-24s %4d passed, %d failed", c.name, c.pass, c.fail)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

func TestConformanceVersions(t *testing.T) {
	var data struct {
		Ordered       []string `json:"ordered_versions"`
		Invalid       []string `json:"invalid"`
		Normalization []struct {
			Input, Normalized string
		} `json:"normalization"`
		Properties map[string][]struct {
			Version  string
			Expected any
		} `json:"properties"`
	}
	loadConformance(t, "versions.json", &data)

	c := &tally{t: t, name: "ordered_versions"}
	parsed := make([]Version, len(data.Ordered))
	for i, s := range data.Ordered {
		v, err := Parse(s)
		c.check(err == nil, "Parse(%q): %v", s, err)
		parsed[i] = v
	}
	for i := range parsed {
		for j := range parsed {
			want := cmpInt(i, j)
			got := parsed[i].Compare(parsed[j])
			c.check(got == want, "Compare(%q, %q) = %d, want %d", data.Ordered[i], data.Ordered[j], got, want)
		}
	}
	c.done()

	c = &tally{t: t, name: "invalid"}
	for _, s := range data.Invalid {
		v, err := Parse(s)
		c.check(err != nil, "Parse(%q) = %q, want error", s, v)
	}
	c.done()

	c = &tally{t: t, name: "normalization"}
	for _, n := range data.Normalization {
		v, err := Parse(n.Input)
		c.check(err == nil && v.String() == n.Normalized, "Parse(%q) = %q, %v; want %q", n.Input, v, err, n.Normalized)
	}
	c.done()

	props := map[string]func(Version) any{
		"public":       func(v Version) any { return v.Public() },
		"base_version": func(v Version) any { return v.BaseVersion() },
		"epoch":        func(v Version) any { return v.Epoch() },
		"release":      func(v Version) any { return v.Release() },
		"local": func(v Version) any {
			if l := v.Local(); l != "" {
				return l
			}
			return nil
		},
		"pre": func(v Version) any {
			if l, n, ok := v.Pre(); ok {
				return []any{l, n}
			}
			return nil
		},
		"post": func(v Version) any {
			if n, ok := v.Post(); ok {
				return n
			}
			return nil
		},
		"dev": func(v Version) any {
			if n, ok := v.Dev(); ok {
				return n
			}
			return nil
		},
		"is_prerelease":  func(v Version) any { return v.IsPrerelease() },
		"is_devrelease":  func(v Version) any { return v.IsDevrelease() },
		"is_postrelease": func(v Version) any { return v.IsPostrelease() },
		"major":          func(v Version) any { return v.Major() },
		"minor":          func(v Version) any { return v.Minor() },
		"micro":          func(v Version) any { return v.Micro() },
	}
	c = &tally{t: t, name: "properties"}
	names := make([]string, 0, len(data.Properties))
	for name := range data.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := props[name]
		for _, p := range data.Properties[name] {
			if f == nil {
				c.check(false, "no accessor for property %q", name)
				continue
			}
			v, err := Parse(p.Version)
			got := jsonText(f(v))
			want := jsonText(p.Expected)
			c.check(err == nil && got == want, "%s(%q) = %s (%v), want %s", name, p.Version, got, err, want)
		}
	}
	c.done()
}

// specInput is a version or filter item: a plain string, or
// {"parsed_version": s} for a parsed Version.
type specInput struct {
	text   string
	parsed bool
}

func (in *specInput) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &in.text); err == nil {
		return nil
	}
	var obj struct {
		Parsed string `json:"parsed_version"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	in.text, in.parsed = obj.Parsed, true
	return nil
}

func (in specInput) String() string {
	if in.parsed {
		return "Version(" + in.text + ")"
	}
	return fmt.Sprintf("%q", in.text)
}

func (in specInput) item() item {
	if in.parsed {
		return versionItem(MustParse(in.text))
	}
	return stringItem(in.text)
}

// parseKind parses s as packaging's Specifier (exactly one clause) or SpecifierSet.
func parseKind(kind, s string) (Specifiers, error) {
	ss, err := ParseSpecifiers(s)
	if err != nil {
		return ss, err
	}
	if kind == "Specifier" && len(ss.clauses) != 1 {
		return Specifiers{}, fmt.Errorf("specifier %q: want exactly one clause, got %d", s, len(ss.clauses))
	}
	return ss, nil
}

func withPre(s Specifiers, pre *bool) Specifiers {
	if pre == nil {
		return s.WithDefaultPrereleases()
	}
	return s.WithPrereleases(*pre)
}

func fmtPre(p *bool) string {
	if p == nil {
		return "None"
	}
	return fmt.Sprint(*p)
}

func TestConformanceSpecifiers(t *testing.T) {
	var data struct {
		Valid   []string `json:"specifier_valid"`
		Invalid []string `json:"specifier_invalid"`
		Str     []struct {
			Kind, Input, Expected string
		} `json:"str"`
		OpVersion []struct {
			Specifier, Operator, Version string
		} `json:"operator_and_version"`
		Items []struct {
			Specifier string
			Items     []string
		} `json:"specifier_set_items"`
		Equality []struct {
			Kind, Left, Right string
			Equal             bool
		} `json:"equality"`
		Contains []struct {
			Kind, Specifier string
			SpecPre         *bool `json:"spec_prereleases"`
			Version         specInput
			ContainsPre     *bool `json:"contains_prereleases"`
			Installed       *bool `json:"installed"`
			Expected        bool
		} `json:"contains"`
		Filter []struct {
			Kind, Specifier string
			SpecPre         *bool `json:"spec_prereleases"`
			Input           []specInput
			FilterPre       *bool `json:"filter_prereleases"`
			Expected        []specInput
		} `json:"filter"`
		PreProperty []struct {
			Kind, Specifier string
			Expected        bool
		} `json:"prereleases_property"`
		PreToggle []struct {
			Kind, Specifier string
			Initial         *bool `json:"initial_prereleases"`
			Set             *bool `json:"set_prereleases"`
			Version         string
			InitialContains bool `json:"initial_contains"`
			FinalContains   bool `json:"final_contains"`
		} `json:"prereleases_toggle"`
		Relations []struct {
			Relation, Left, Right string
			Expected              any
		} `json:"set_relations"`
		Satisfiability []struct {
			Specifier     string
			SpecPre       *bool `json:"spec_prereleases"`
			Unsatisfiable bool
			List          string
		} `json:"satisfiability"`
		Samples []string `json:"satisfiability_sample_versions"`
		Combine []struct {
			Left         string
			LeftPre      *bool `json:"left_prereleases"`
			Right        string
			RightPre     *bool   `json:"right_prereleases"`
			ExpectedSpec *string `json:"expected_specifier"`
			ExpectedPre  any     `json:"expected_prereleases"`
			ExpectedStr  *string `json:"expected_str"`
		} `json:"combine"`
	}
	loadConformance(t, "specifiers.json", &data)

	c := &tally{t: t, name: "specifier_valid"}
	for _, s := range data.Valid {
		_, err := parseKind("Specifier", s)
		c.check(err == nil, "%q: %v", s, err)
	}
	c.done()

	c = &tally{t: t, name: "specifier_invalid"}
	for _, s := range data.Invalid {
		ss, err := parseKind("Specifier", s)
		c.check(err != nil, "%q parsed as %q, want error", s, ss)
	}
	c.done()

	c = &tally{t: t, name: "str"}
	for _, r := range data.Str {
		ss, err := parseKind(r.Kind, r.Input)
		c.check(err == nil && ss.String() == r.Expected, "%s(%q) = %q (%v), want %q", r.Kind, r.Input, ss, err, r.Expected)
	}
	c.done()

	c = &tally{t: t, name: "operator_and_version"}
	for _, r := range data.OpVersion {
		ss, err := parseKind("Specifier", r.Specifier)
		var got Specifier
		if err == nil {
			got = ss.Clauses()[0]
		}
		c.check(got == Specifier{r.Operator, r.Version}, "%q = %+v (%v), want %q %q", r.Specifier, got, err, r.Operator, r.Version)
	}
	c.done()

	c = &tally{t: t, name: "specifier_set_items"}
	for _, r := range data.Items {
		ss, err := ParseSpecifiers(r.Specifier)
		got := map[string]bool{}
		for _, cl := range ss.Clauses() {
			got[cl.String()] = true
		}
		want := map[string]bool{}
		for _, s := range r.Items {
			want[s] = true
		}
		c.check(err == nil && reflect.DeepEqual(got, want), "%q items = %v (%v), want %v", r.Specifier, got, err, want)
	}
	c.done()

	c = &tally{t: t, name: "equality"}
	for _, r := range data.Equality {
		a, err1 := parseKind(r.Kind, r.Left)
		b, err2 := parseKind(r.Kind, r.Right)
		got := a.Equal(b)
		c.check(err1 == nil && err2 == nil && got == r.Equal && b.Equal(a) == r.Equal,
			"%s(%q) == %s(%q): got %v (%v, %v), want %v", r.Kind, r.Left, r.Kind, r.Right, got, err1, err2, r.Equal)
	}
	c.done()

	c = &tally{t: t, name: "contains"}
	for _, r := range data.Contains {
		ss, err := parseKind(r.Kind, r.Specifier)
		ss = withPre(ss, r.SpecPre)
		got := ss.containsItem(r.Version.item(), r.ContainsPre, r.Installed != nil && *r.Installed)
		if !r.Version.parsed && r.Installed == nil {
			if again := ss.Contains(r.Version.text, r.ContainsPre); again != got {
				c.check(false, "Contains and containsItem disagree on %q in %q", r.Version.text, r.Specifier)
			}
		}
		c.check(err == nil && got == r.Expected, "%s(%q, prereleases=%s).contains(%s, prereleases=%s, installed=%v) = %v (%v), want %v",
			r.Kind, r.Specifier, fmtPre(r.SpecPre), r.Version, fmtPre(r.ContainsPre), r.Installed != nil && *r.Installed, got, err, r.Expected)
	}
	c.done()

	c = &tally{t: t, name: "filter"}
	for _, r := range data.Filter {
		ss, err := parseKind(r.Kind, r.Specifier)
		ss = withPre(ss, r.SpecPre)
		items := make([]item, len(r.Input))
		for i, in := range r.Input {
			items[i] = in.item()
		}
		got := []specInput{}
		for _, i := range ss.filterItems(items, r.FilterPre) {
			got = append(got, r.Input[i])
		}
		want := r.Expected
		if want == nil {
			want = []specInput{}
		}
		c.check(err == nil && reflect.DeepEqual(got, want), "%s(%q, prereleases=%s).filter(%v, prereleases=%s) = %v (%v), want %v",
			r.Kind, r.Specifier, fmtPre(r.SpecPre), r.Input, fmtPre(r.FilterPre), got, err, want)
	}
	c.done()

	c = &tally{t: t, name: "prereleases_property"}
	for _, r := range data.PreProperty {
		ss, err := parseKind(r.Kind, r.Specifier)
		c.check(err == nil && ss.Prereleases() == r.Expected, "%s(%q).prereleases = %v (%v), want %v", r.Kind, r.Specifier, ss.Prereleases(), err, r.Expected)
	}
	c.done()

	c = &tally{t: t, name: "prereleases_toggle"}
	for _, r := range data.PreToggle {
		ss, err := parseKind(r.Kind, r.Specifier)
		ss = withPre(ss, r.Initial)
		initial := ss.Contains(r.Version, nil)
		ss = withPre(ss, r.Set)
		final := ss.Contains(r.Version, nil)
		c.check(err == nil && initial == r.InitialContains && final == r.FinalContains,
			"%s(%q, prereleases=%s) then prereleases=%s: contains(%q) = %v, %v (%v); want %v, %v",
			r.Kind, r.Specifier, fmtPre(r.Initial), fmtPre(r.Set), r.Version, initial, final, err, r.InitialContains, r.FinalContains)
	}
	c.done()

	c = &tally{t: t, name: "set_relations"}
	for _, r := range data.Relations {
		a, err1 := ParseSpecifiers(r.Left)
		b, err2 := ParseSpecifiers(r.Right)
		if err1 != nil || err2 != nil {
			c.check(false, "%q / %q: %v %v", r.Left, r.Right, err1, err2)
			continue
		}
		var got bool
		var err error
		switch r.Relation {
		case "is_subset":
			got, err = a.IsSubset(b)
		case "is_superset":
			got, err = a.IsSuperset(b)
		case "is_disjoint":
			got, err = a.IsDisjoint(b)
		}
		if r.Expected == "error" {
			c.check(errors.Is(err, ErrArbitraryEquality), "%q.%s(%q) = %v, %v; want ErrArbitraryEquality", r.Left, r.Relation, r.Right, got, err)
		} else {
			c.check(err == nil && got == r.Expected, "%q.%s(%q) = %v, %v; want %v", r.Left, r.Relation, r.Right, got, err, r.Expected)
		}
	}
	c.done()

	c = &tally{t: t, name: "satisfiability"}
	for _, r := range data.Satisfiability {
		ss, err := ParseSpecifiers(r.Specifier)
		ss = withPre(ss, r.SpecPre)
		got := ss.IsUnsatisfiable()
		c.check(err == nil && got == r.Unsatisfiable, "[%s] SpecifierSet(%q, prereleases=%s).is_unsatisfiable() = %v (%v), want %v",
			r.List, r.Specifier, fmtPre(r.SpecPre), got, err, r.Unsatisfiable)
		// Upstream's companion check: the sample versions that survive the
		// filter must be empty exactly when the set is unsatisfiable, unless
		// only "===" strings absent from the samples could match.
		if ss.arbitrary > 0 && !r.Unsatisfiable {
			continue
		}
		var pre *bool
		if r.SpecPre == nil || *r.SpecPre {
			allow := true
			pre = &allow
		}
		kept := ss.Filter(data.Samples, pre)
		c.check((len(kept) == 0) == r.Unsatisfiable, "[%s] %q filtered sample versions: %d kept, unsatisfiable=%v",
			r.List, r.Specifier, len(kept), r.Unsatisfiable)
	}
	c.done()

	c = &tally{t: t, name: "combine"}
	for _, r := range data.Combine {
		a, err1 := ParseSpecifiers(r.Left)
		b, err2 := ParseSpecifiers(r.Right)
		a, b = withPre(a, r.LeftPre), withPre(b, r.RightPre)
		got, err := a.Intersect(b)
		desc := fmt.Sprintf("SpecifierSet(%q, %s) & SpecifierSet(%q, %s)", r.Left, fmtPre(r.LeftPre), r.Right, fmtPre(r.RightPre))
		if err1 != nil || err2 != nil {
			c.check(false, "%s: %v %v", desc, err1, err2)
			continue
		}
		if r.ExpectedPre == "error" {
			c.check(errors.Is(err, ErrPrereleaseConflict), "%s: error %v, want ErrPrereleaseConflict", desc, err)
			continue
		}
		allow, set := got.PrereleasesOverride()
		var gotPre any
		if set {
			gotPre = allow
		}
		want := MustParseSpecifiers(*r.ExpectedSpec)
		ok := err == nil && got.Equal(want) && gotPre == r.ExpectedPre
		if r.ExpectedStr != nil {
			ok = ok && got.String() == *r.ExpectedStr
		}
		c.check(ok, "%s = %q prereleases=%v (%v); want %q prereleases=%v str=%v", desc, got, gotPre, err, *r.ExpectedSpec, r.ExpectedPre, r.ExpectedStr)
	}
	c.done()
}

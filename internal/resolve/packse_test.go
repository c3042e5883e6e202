package resolve_test

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// uv's resolver scenarios (packse format, see testdata/conformance/packse/README.md), run against an
// in-process index for the Lambda runtime whose Python matches the scenario's, on x86_64.

const packseDir = "../../testdata/conformance/packse" // vendored: see testdata/conformance/README.md

type scenario struct {
	Name     string
	Root     struct{ Requires []string }
	Packages map[string]struct {
		Versions map[string]scenarioVersion
	}
	Expected struct {
		Satisfiable bool
		Packages    map[string]string
	}
	Environment struct {
		Python string
	}
	ResolverOptions struct {
		Resolution     string
		Python         string
		Prereleases    bool
		NoBinary       []string `toml:"no_binary"`
		NoBuild        []string `toml:"no_build"`
		Universal      bool
		PythonPlatform string `toml:"python_platform"`
	} `toml:"resolver_options"`
	Testgen struct {
		Disable bool
	}
}

type scenarioVersion struct {
	Requires       []string
	RequiresPython *string `toml:"requires_python"`
	Extras         map[string][]string
	Sdist          *bool
	Wheel          *bool
	WheelTags      []string `toml:"wheel_tags"`
	Yanked         bool
}

func (v scenarioVersion) requiresPython() string {
	if v.RequiresPython == nil {
		return ">=3.12"
	}
	return *v.RequiresPython
}

func (v scenarioVersion) tags() []string {
	if v.Wheel != nil && !*v.Wheel {
		return nil
	}
	if len(v.WheelTags) == 0 {
		return []string{"py3-none-any"}
	}
	return v.WheelTags
}

func (v scenarioVersion) hasSdist() bool { return v.Sdist == nil || *v.Sdist }

// packseExpectedFailures are the single-target scenarios where we answer differently from uv, and why.
// The test fails when one of them starts passing, so the list stays true.
// pip is our oracle; where it and uv part ways we answer as pip does (the pip of today: packaging ≥ 22).
var packseExpectedFailures = func() map[string]string {
	const (
		explicitPre = "pip: a specifier naming a pre-release (>=0.5a1) allows pre-releases for the package, so the newest one wins; uv still prefers stable versions (pip 23.2 answers as we do)"
		strictPre   = "pip with packaging ≥ 22: < and > clauses naming a pre-release allow pre-releases too (pip 23.2's packaging 21.3 and uv ignore them)"
		noFallback  = "pip: while a final release matches, pre-releases are not candidates, even after backtracking rejects that final; uv falls back to them (pip 23.2 fails the same way)"
	)
	m := map[string]string{
		"python-less-than-current":                  "pip honours an upper bound in Requires-Python (<=3.8 excludes 3.9); uv ignores upper bounds",
		"transitive-yanked-and-unyanked-dependency": "pip installs a yanked release that the merged specifier pins exactly, whoever wrote the pin (pip 23.2 resolves it too); uv only for the user's own pin",
	}
	for _, n := range []string{"package-prerelease-specified-mixed-available", "prerelease-base-extra-stable-preference-after-backtrack",
		"prerelease-base-extra-stable-preference-explicit-first", "prerelease-base-extra-stable-preference-plain-first",
		"prerelease-extra-stable-preference", "prerelease-multiple-redundant-stable-preference",
		"prerelease-multiple-redundant-stable-preference-explicit-first", "prerelease-redundant-stable-preference-explicit-first",
		"prerelease-redundant-stable-preference-plain-first", "transitive-prerelease-prefers-stable",
		"transitive-prerelease-redundant-stable-preference-parent-first"} {
		m[n] = explicitPre
	}
	for _, n := range []string{"package-prereleases-specifier-boundary", "prerelease-equivalent-stable-preference-explicit-first",
		"prerelease-equivalent-stable-preference-plain-first", "transitive-prerelease-equivalent-stable-preference-explicit-first",
		"transitive-prerelease-equivalent-stable-preference-plain-first"} {
		m[n] = strictPre
	}
	for _, n := range []string{"prerelease-capped-union-alternate-parent", "prerelease-capped-union-backtrack", "prerelease-fallback-after-stable-rejected"} {
		m[n] = noFallback
	}
	return m
}()

type packseOutcome struct {
	folder, name string
	status       string // "pass", "fail", "n/a"
	reason       string
}

func TestPackseScenarios(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(packseDir, "*", "*.toml"))
	if len(files) == 0 {
		t.Fatalf("no packse scenarios under %s (vendored with the repository)", packseDir)
	}
	sort.Strings(files)
	var outcomes []packseOutcome
	seen := map[string]bool{}
	for _, f := range files {
		var s scenario
		if _, err := toml.DecodeFile(f, &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		folder := filepath.Base(filepath.Dir(f))
		o := packseOutcome{folder: folder, name: s.Name}
		tgt, why := packseTarget(s)
		if why != "" {
			o.status, o.reason = "n/a", why
			outcomes = append(outcomes, o)
			continue
		}
		seen[s.Name] = true
		t.Run(folder+"/"+s.Name, func(t *testing.T) {
			got, err := runScenario(t, s, tgt)
			o.status, o.reason = "pass", ""
			if problem := judge(s, got, err); problem != "" {
				o.status, o.reason = "fail", problem
			}
			if skip := sdistOnlyExpectation(s, tgt, err); skip != "" && o.status == "fail" {
				o.status, o.reason = "n/a", skip
			}
			want, known := packseExpectedFailures[s.Name]
			switch {
			case o.status == "fail" && !known:
				t.Errorf("%s", o.reason)
			case o.status != "fail" && known:
				t.Errorf("listed as an expected failure (%s) but now %s: remove it from packseExpectedFailures", want, o.status)
			case o.status == "fail":
				o.reason = want + " [" + o.reason + "]"
			}
		})
		outcomes = append(outcomes, o)
	}
	for name := range packseExpectedFailures {
		if !seen[name] {
			t.Errorf("packseExpectedFailures lists %s, which is not a single-target scenario here", name)
		}
	}
	t.Log("\n" + packseTable(outcomes))
}

// packseTarget picks the Lambda target for a scenario, or says why none applies.
func packseTarget(s scenario) (target.Target, string) {
	switch {
	case s.ResolverOptions.Universal:
		return target.Target{}, "universal (fork) resolution: one lock for every platform"
	case s.Testgen.Disable:
		return target.Target{}, "disabled upstream (no expected outcome)"
	case s.ResolverOptions.Resolution != "" && s.ResolverOptions.Resolution != "highest":
		return target.Target{}, "resolution strategy " + s.ResolverOptions.Resolution + " (pip has only highest)"
	case len(s.ResolverOptions.NoBinary) > 0:
		return target.Target{}, "no_binary: builds from the sdist"
	case s.ResolverOptions.PythonPlatform != "" && s.ResolverOptions.PythonPlatform != "x86_64-manylinux2014":
		return target.Target{}, "platform " + s.ResolverOptions.PythonPlatform
	}
	py := s.ResolverOptions.Python
	if py == "" {
		py = s.Environment.Python
	}
	if py == "" {
		py = "3.12"
	}
	parts := strings.Split(py, ".")
	if len(parts) < 2 {
		return target.Target{}, "python " + py
	}
	tgt, err := target.Parse("python3."+parts[1], "x86_64")
	if err != nil {
		return target.Target{}, "Python " + py + " has no Lambda runtime"
	}
	if len(parts) > 2 {
		tgt.Patch, _ = strconv.Atoi(parts[2])
	}
	return tgt, ""
}

func runScenario(t *testing.T, s scenario, tgt target.Target) (map[string]string, error) {
	var specs []wheeltest.Spec
	var opts []indextest.Option
	names := make([]string, 0, len(s.Packages))
	for n := range s.Packages {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for ver, v := range s.Packages[name].Versions {
			reqs := slices.Clone(v.Requires)
			var extras []string
			for e, rs := range v.Extras {
				extras = append(extras, e)
				for _, r := range rs {
					reqs = append(reqs, withExtraMarker(r, e))
				}
			}
			sort.Strings(extras)
			for _, tag := range v.tags() {
				sp := wheeltest.Spec{Name: name, Version: ver, Tag: tag, Requires: reqs, RequiresPython: v.requiresPython(), Extras: extras}
				specs = append(specs, sp)
				if v.Yanked {
					opts = append(opts, indextest.Yank(sp.Filename(), ""))
				}
			}
			if v.hasSdist() {
				fn := wheeltest.Spec{Name: name}.DistName() + "-" + ver + ".tar.gz"
				opts = append(opts, indextest.ExtraFile(name, fn, []byte("sdist"), v.requiresPython()))
				if v.Yanked {
					opts = append(opts, indextest.Yank(fn, ""))
				}
			}
		}
	}
	srv := indextest.New(t, specs, opts...)
	client, err := index.New([]string{srv.URL}, index.WithNetrc(""))
	if err != nil {
		t.Fatal(err)
	}
	var reqs []resolve.Requirement
	for i, line := range s.Root.Requires {
		q, err := pep508.ParseRequirement(line)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, resolve.Requirement{Requirement: q, Origin: fmt.Sprintf("requirements.txt:%d", i+1)})
	}
	res, err := resolve.Resolve(context.Background(), client, reqs, resolve.Options{Target: tgt, Pre: s.ResolverOptions.Prereleases})
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for _, p := range res.Packages {
		got[p.Name] = p.Version.String()
	}
	return got, nil
}

func withExtraMarker(req, extra string) string {
	q, marker, ok := strings.Cut(req, ";")
	if !ok {
		return fmt.Sprintf("%s ; extra == %q", req, extra)
	}
	return fmt.Sprintf("%s ; (%s) and extra == %q", q, strings.TrimSpace(marker), extra)
}

// judge compares an outcome with the scenario's expectation; "" means they agree.
func judge(s scenario, got map[string]string, err error) string {
	if err != nil {
		var nv *resolve.NoVersionError
		var ce *resolve.ConflictError
		if !errors.As(err, &nv) && !errors.As(err, &ce) {
			return "failed for another reason: " + err.Error()
		}
		if s.Expected.Satisfiable {
			return "unsatisfiable here, satisfiable for uv: " + firstLine(err.Error())
		}
		return ""
	}
	if !s.Expected.Satisfiable {
		return fmt.Sprintf("resolved %v, unsatisfiable for uv", got)
	}
	if s.Expected.Packages == nil {
		return ""
	}
	want := map[string]string{}
	for n, v := range s.Expected.Packages {
		want[pep508.NormalizeName(n)] = pep440.MustParse(v).String()
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return fmt.Sprintf("resolved %v, uv installs %v", got, want)
	}
	return ""
}

// sdistOnlyExpectation says why uv's answer needs a build from an sdist on this target, if it does:
// a version it installs has no wheel for the target, or the package we found nothing for has sdists.
func sdistOnlyExpectation(s scenario, tgt target.Target, err error) string {
	want := maps.Clone(s.Expected.Packages)
	var nv *resolve.NoVersionError
	if errors.As(err, &nv) && s.Expected.Satisfiable {
		for name, p := range s.Packages {
			if pep508.NormalizeName(name) != nv.Package {
				continue
			}
			for _, v := range slices.Sorted(maps.Keys(p.Versions)) {
				if pv := p.Versions[v]; !wheelLoads(name, v, pv, tgt) && pv.hasSdist() {
					if want == nil {
						want = map[string]string{}
					}
					want[name] = v
				}
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(want)) {
		ver := want[n]
		for name, p := range s.Packages {
			if pep508.NormalizeName(name) != pep508.NormalizeName(n) {
				continue
			}
			for v, pv := range p.Versions {
				if pep440.MustParse(v).String() != pep440.MustParse(ver).String() {
					continue
				}
				if !wheelLoads(name, v, pv, tgt) && pv.hasSdist() {
					return fmt.Sprintf("uv builds %s %s from its sdist", name, v)
				}
			}
		}
	}
	return ""
}

// wheelLoads says whether the tags of a wheel of the version fit the target.
func wheelLoads(name, v string, pv scenarioVersion, tgt target.Target) bool {
	for _, tag := range pv.tags() {
		wn, err := wheel.ParseFilename(wheeltest.Spec{Name: name, Version: v, Tag: tag}.Filename())
		if err != nil {
			continue
		}
		for _, tg := range wn.Tags {
			if _, ok := tgt.Rank(tg.String()); ok {
				return true
			}
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func packseTable(os []packseOutcome) string {
	type counts struct{ pass, fail, na int }
	byFolder := map[string]*counts{}
	var folders []string
	for _, o := range os {
		c := byFolder[o.folder]
		if c == nil {
			c = &counts{}
			byFolder[o.folder] = c
			folders = append(folders, o.folder)
		}
		switch o.status {
		case "pass":
			c.pass++
		case "fail":
			c.fail++
		default:
			c.na++
		}
	}
	var b strings.Builder
	var total counts
	fmt.Fprintf(&b, "| folder | pass | fail | n/a |\n|---|---|---|---|\n")
	for _, f := range folders {
		c := byFolder[f]
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", f, c.pass, c.fail, c.na)
		total.pass += c.pass
		total.fail += c.fail
		total.na += c.na
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %d |\n\n", total.pass, total.fail, total.na)
	for _, status := range []string{"fail", "n/a"} {
		for _, o := range os {
			if o.status == status {
				fmt.Fprintf(&b, "%s %s/%s: %s\n", status, o.folder, o.name, o.reason)
			}
		}
	}
	return b.String()
}

package resolve_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// bigRequirements is a 20,000-line requirements file as generated or concatenated files look: comments,
// blank lines, one 1 MiB comment line, 40 distinct packages, and thousands of repeated, compatible
// requirements of one package — identical lines, the same requirement spelt differently, 1,000 distinct
// lower bounds and 1,000 distinct exclusions (each != cuts one more hole in the allowed versions). Without repeat it holds each distinct requirement once (plus the same comments),
// the baseline the repetition must cost little over.
func bigRequirements(repeat bool) []byte {
	var b strings.Builder
	b.WriteString("# generated\n#" + strings.Repeat("x", 1<<20) + "\n")
	lines := 2
	for i := range 40 {
		fmt.Fprintf(&b, "pkg%d>=1.0\n", i)
		lines++
	}
	b.WriteString("requests>=2.0\nrequests<3\n")
	lines += 2
	if !repeat {
		return []byte(b.String())
	}
	spellings := []string{"requests>=2.0", "Requests >= 2.0", "requests>=2.0  # again", "requests<3", "requests >=2.0, <3", "requests!=2.5.0"}
	for i := 0; lines < 20_000; i++ {
		switch i % 5 {
		case 0:
			b.WriteString("\n")
		case 1:
			b.WriteString("# a comment about requests\n")
		case 2:
			if k := i / 5 % 2000; k%2 == 0 {
				fmt.Fprintf(&b, "requests>=2.0.%d\n", k) // distinct lower bounds, all compatible
			} else {
				fmt.Fprintf(&b, "requests!=2.1.%d\n", k) // distinct exclusions of versions that do not exist
			}
		default:
			b.WriteString(spellings[i%len(spellings)] + "\n")
		}
		lines++
	}
	return []byte(b.String())
}

func bigSource() *memSource { return bigSourceRequiring(nil) }

// bigSourceRequiring is bigSource whose pkgN wheels all require reqs.
func bigSourceRequiring(reqs []string) *memSource {
	var specs []wheeltest.Spec
	for i := range 40 {
		for _, v := range []string{"1.0", "1.1", "2.0"} {
			specs = append(specs, wheeltest.Spec{Name: "pkg" + strconv.Itoa(i), Version: v, Requires: reqs})
		}
	}
	for minor := range 32 {
		specs = append(specs, wheeltest.Spec{Name: "requests", Version: "2." + strconv.Itoa(minor) + ".0"})
	}
	return newSource(specs...)
}

func parseAndResolve(tb testing.TB, src resolve.Source, data []byte, t target.Target) *resolve.Result {
	return parseAndResolveConstrained(tb, src, data, nil, t)
}

// parseAndResolveConstrained parses data as requirements and cons (when not nil) as a -c file.
func parseAndResolveConstrained(tb testing.TB, src resolve.Source, data, cons []byte, t target.Target) *resolve.Result {
	rs := parseReqs(tb, "requirements.txt", data)
	var cs []resolve.Requirement
	if cons != nil {
		cs = parseReqs(tb, "constraints.txt", cons)
	}
	res, err := resolve.Resolve(context.Background(), src, rs, resolve.Options{Target: t, Constraints: cs})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func parseReqs(tb testing.TB, file string, data []byte) []resolve.Requirement {
	set, err := requirements.ParseBytes(file, data, requirements.ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	rs := make([]resolve.Requirement, len(set.Requirements))
	for i, r := range set.Requirements {
		rs[i] = resolve.Requirement{Requirement: r.Requirement, Origin: r.File + ":" + strconv.Itoa(r.Line), Hashes: r.Hashes}
	}
	return rs
}

// smallRequirements names the 41 packages of bigRequirements once each, with no bound: the constraints
// file says which versions.
func smallRequirements() []byte {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "pkg%d\n", i)
	}
	b.WriteString("requests\n")
	return []byte(b.String())
}

// BenchmarkLargeConstraintsFile resolves 41 plain requirements under the 20,000-line file given as a
// constraints file (-c), and under the same file without its repetition; each of the 40 pkgN also
// requires requests, so requests' candidates are searched again as each parent is pinned. Constraints are
// merged once per package, not once per candidate search, so the repetition must cost about what parsing
// it costs.
func BenchmarkLargeConstraintsFile(b *testing.B) {
	src := bigSourceRequiring([]string{"requests>=2"})
	t, err := target.Parse("python3.12", "x86_64")
	if err != nil {
		b.Fatal(err)
	}
	reqs := smallRequirements()
	for _, repeat := range []bool{true, false} {
		name := "20000-lines"
		if !repeat {
			name = "without-repetition"
		}
		cons := bigRequirements(repeat)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(cons)))
			for b.Loop() {
				res := parseAndResolveConstrained(b, src, reqs, cons, t)
				if len(res.Packages) != 41 {
					b.Fatalf("%d packages", len(res.Packages))
				}
			}
		})
	}
}

// TestLargeConstraintsFile checks the constraints benchmark resolves like its baseline and like the same
// lines given as requirements.
func TestLargeConstraintsFile(t *testing.T) {
	t.Parallel()
	src := bigSourceRequiring([]string{"requests>=2"})
	tg := tgt(t, "python3.12", "x86_64")
	reqs := smallRequirements()
	got := fmt.Sprint(versions(parseAndResolveConstrained(t, src, reqs, bigRequirements(true), tg)))
	base := fmt.Sprint(versions(parseAndResolveConstrained(t, src, reqs, bigRequirements(false), tg)))
	asReqs := fmt.Sprint(versions(parseAndResolve(t, src, bigRequirements(true), tg)))
	if got != base || got != asReqs || !strings.Contains(got, "requests:2.31.0") {
		t.Errorf("constrained %s\nbaseline %s\nas requirements %s", got, base, asReqs)
	}
}

// BenchmarkLargeRequirementsFile parses and resolves the 20,000-line file and the same file without its
// repetition: the difference is what the repetition costs, and it must stay far below a second (identical
// requirements are merged once, specifiers intersected incrementally).
func BenchmarkLargeRequirementsFile(b *testing.B) {
	src := bigSource()
	t, err := target.Parse("python3.12", "x86_64")
	if err != nil {
		b.Fatal(err)
	}
	for _, repeat := range []bool{true, false} {
		name := "20000-lines"
		if !repeat {
			name = "without-repetition"
		}
		data := bigRequirements(repeat)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				res := parseAndResolve(b, src, data, t)
				if len(res.Packages) != 41 {
					b.Fatalf("%d packages", len(res.Packages))
				}
			}
		})
	}
}

// TestLargeRequirementsFile checks the benchmark's file resolves to the same packages as its baseline.
func TestLargeRequirementsFile(t *testing.T) {
	t.Parallel()
	src := bigSource()
	tg := tgt(t, "python3.12", "x86_64")
	data := bigRequirements(true)
	if n := strings.Count(string(data), "\n"); n != 20_000 {
		t.Fatalf("%d lines", n)
	}
	got := fmt.Sprint(versions(parseAndResolve(t, src, data, tg)))
	want := fmt.Sprint(versions(parseAndResolve(t, src, bigRequirements(false), tg)))
	if got != want || !strings.Contains(got, "requests:2.31.0") {
		t.Errorf("with repetition %s\nwithout %s", got, want)
	}
}

func versions(res *resolve.Result) map[string]string {
	out := map[string]string{}
	for _, p := range res.Packages {
		out[p.Name] = p.Version.String()
	}
	return out
}

package report_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/reporttest"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"40MB": 40 << 20, "40 MB": 40 << 20, "40mib": 40 << 20, "40M": 40 << 20, " 120MB ": 120 << 20,
		"1.5GB": 3 << 29, "512KB": 512 << 10, "0.5 MiB": 1 << 19, "250000000": 250_000_000, "100B": 100,
		"0": 0, "1.0000000001MB": 1 << 20, "8589934591GB": 8589934591 << 30,
	} {
		got, err := report.ParseSize(in)
		if err != nil || got != want {
			t.Errorf("report.ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "40TB", "-1MB", "1.2.3MB", "1.5B", "1.5", ".5MB", "5.MB", "99999999999999999999",
		"8589934592GB", "40 M B", "0x10", "1e6"} {
		if got, err := report.ParseSize(in); err == nil {
			t.Errorf("report.ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"40MB", "1.5 GiB", "512kb", "100", "0.000000001M", "9223372036854775807", "8589934591.99999GB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := report.ParseSize(s)
		if err != nil {
			if !strings.Contains(err.Error(), "is not a size") {
				t.Fatalf("error %q does not say what is wrong", err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("report.ParseSize(%q) = %d < 0", s, n)
		}
		if m, err := report.ParseSize(strconv.FormatInt(n, 10) + "B"); err != nil || m != n {
			t.Fatalf("%d bytes does not round-trip: %d, %v", n, m, err)
		}
		if m, err := report.ParseSize(strings.ToUpper(s)); err != nil || m != n {
			t.Fatalf("units must be case-insensitive: %q = %d, %q = %d, %v", s, n, strings.ToUpper(s), m, err)
		}
	})
}

func TestParsePercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"80": 0.8, "80%": 0.8, " 80 % ": 0.8, "0.8": 0.8, "100": 1, "95.5": 0.955, "1%": 0.01} {
		if got, err := report.ParsePercent(in); err != nil || got != want {
			t.Errorf("report.ParsePercent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "150", "-5", "abc", "NaN", "Inf", "0%"} {
		if got, err := report.ParsePercent(in); err == nil {
			t.Errorf("report.ParsePercent(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseFailOn(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "exceeded", "exceeded": "exceeded", "budget": "exceeded", "WARN": "warn",
		"warning": "warn", "never": "never", "quota": "quota", "error": "error"} {
		if got, err := report.ParseFailOn(in); err != nil || got != want {
			t.Errorf("report.ParseFailOn(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := report.ParseFailOn("sometimes"); err == nil || !strings.Contains(err.Error(), "exceeded") {
		t.Errorf("a bad value must list the good ones: %v", err)
	}
}

func quota(l report.Layer, name string) *report.Quota {
	for i := range l.Quotas {
		if l.Quotas[i].Name == name {
			return &l.Quotas[i]
		}
	}
	return nil
}

func TestEvaluateBudgetsAndWarn(t *testing.T) {
	t.Parallel()
	cur := &report.Report{Layers: []report.Layer{
		reporttest.MkLayer("data", "python3.12", "x86_64", reporttest.Pkg("big", "1", 100)),
		reporttest.MkLayer("web", "python3.12", "x86_64", reporttest.Pkg("small", "1", 10)),
		{Name: "gone", Runtime: "python3.12", Architecture: "x86_64", Error: &report.Failure{Message: "boom"}},
	}}
	p := report.Policy{WarnRatio: 0.9, Budgets: map[string]report.Budget{"data": {UnzippedBytes: 90 * reporttest.MB}, "*": {ZippedBytes: 4 * reporttest.MB}}}
	for range 2 { // evaluating twice replaces, never duplicates
		report.Evaluate(cur, p)
	}
	data, web := cur.Layers[0], cur.Layers[1]
	if len(data.Quotas) != 3 || len(web.Quotas) != 3 {
		t.Fatalf("quotas: data %+v web %+v", data.Quotas, web.Quotas)
	}
	if q := quota(data, report.QuotaBudgetUnzipped); q == nil || q.State != report.StateExceeded || !q.Blocking || !strings.Contains(q.Note, "90 MB") {
		t.Errorf("data's own unzipped budget: %+v", q)
	}
	if q := quota(data, report.QuotaBudgetZipped); q != nil {
		t.Errorf("data has a budget of its own: the * budget must not apply: %+v", q)
	}
	if q := quota(web, report.QuotaBudgetZipped); q == nil || q.State != report.StateWarn || q.LimitBytes != 4*reporttest.MB {
		t.Errorf("web falls back to the * budget; 3.6 MB of 4 MB is at the 90 %% warn ratio: %+v", q)
	}
	if cur.Layers[2].Quotas != nil {
		t.Errorf("a failed layer gets no quotas")
	}
	if cur.Policy == nil || cur.Policy.WarnRatio != 0.9 || cur.Policy.FailOn != report.FailOnExceeded {
		t.Errorf("policy recorded: %+v", cur.Policy)
	}
	if !cur.Exceeded() || !p.Fails(cur) {
		t.Error("a budget exceeded fails under the default fail-on")
	}
	for failOn, want := range map[string]bool{"quota": false, "never": false, "error": false, "warn": true, "exceeded": true} {
		if got := (report.Policy{FailOn: failOn}).Fails(cur); got != want {
			t.Errorf("fail-on %s: Fails = %v, want %v", failOn, got, want)
		}
	}
}

func TestWarnStateFailsOnlyUnderWarn(t *testing.T) {
	t.Parallel()
	cur := &report.Report{Layers: []report.Layer{reporttest.MkLayer("ml", "python3.12", "x86_64", reporttest.Pkg("scipy", "1", 210))}}
	report.Evaluate(cur, report.Policy{})
	if q := quota(cur.Layers[0], "unzipped"); q.State != report.StateWarn {
		t.Fatalf("210 MB of 250 MB is 84 %%: %+v", q)
	}
	for failOn, want := range map[string]bool{"exceeded": false, "warn": true, "never": false} {
		if got := (report.Policy{FailOn: failOn}).Fails(cur); got != want {
			t.Errorf("fail-on %s: %v, want %v", failOn, got, want)
		}
	}
	// needs S3 upload is not blocking: it never fails, even under warn.
	s3 := &report.Report{Layers: []report.Layer{reporttest.MkLayer("z", "python3.12", "x86_64", reporttest.Pkg("blob", "1", 10))}}
	s3.Layers[0].ZippedBytes = 60 * reporttest.MB
	report.Evaluate(s3, report.Policy{})
	if (report.Policy{FailOn: report.FailOnWarn}).Fails(s3) || s3.Exceeded() {
		t.Error("a zip over 50 MB needs S3 upload; it is not a failure by itself")
	}
	if q := quota(s3.Layers[0], "zipped-direct-upload"); q.State != report.StateExceeded || !strings.Contains(q.Note, "needs S3 upload") {
		t.Errorf("%+v", q)
	}
}

func TestFunctions(t *testing.T) {
	t.Parallel()
	cur := &report.Report{Layers: []report.Layer{
		reporttest.MkLayer("a", "python3.12", "x86_64", reporttest.Pkg("p", "1", 150)),
		reporttest.MkLayer("b", "python3.12", "x86_64", reporttest.Pkg("q", "1", 80)),
		reporttest.MkLayer("a", "python3.12", "arm64", reporttest.Pkg("p", "1", 150)),
	}}
	report.Evaluate(cur, report.Policy{Functions: []report.Function{
		{Name: "fn", Layers: []string{"a", "b"}, ReserveBytes: 30 * reporttest.MB},
		{Name: "many", Layers: []string{"a", "b", "c", "d", "e", "f"}},
		{Name: "ghost", Layers: []string{"nope"}},
	}})
	got := map[string]report.FunctionUsage{}
	for _, f := range cur.Functions {
		got[f.Name+" "+f.Architecture] = f
	}
	x := got["fn x86_64"]
	if x.UnzippedBytes != 260*reporttest.MB || x.Quotas[0].State != report.StateExceeded || len(x.Missing) != 0 {
		t.Errorf("fn x86_64: 150+80+30 MB is over 250 MB: %+v", x)
	}
	arm := got["fn arm64"]
	if arm.UnzippedBytes != 180*reporttest.MB || !reflect.DeepEqual(arm.Missing, []string{"b"}) || arm.Quotas[0].State != report.StateOK {
		t.Errorf("fn arm64: b was not built for arm64: %+v", arm)
	}
	if m := got["many x86_64"]; m.Quotas[1].State != report.StateExceeded || m.Quotas[1].Used != 6 || m.Quotas[1].Unit != "layers" {
		t.Errorf("6 layers are over 5: %+v", m.Quotas)
	}
	if g := got["ghost "]; !reflect.DeepEqual(g.Missing, []string{"nope"}) {
		t.Errorf("ghost: %+v", g)
	}
	if !cur.Exceeded() || (report.Policy{FailOn: report.FailOnQuota}).Fails(cur) != true {
		t.Error("a function over 250 MB is one of Lambda's own limits: fails under quota too")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, p := range []report.Policy{
		{FailOn: "often"}, {WarnRatio: 1.5}, {WarnRatio: -0.1},
		{Budgets: map[string]report.Budget{"x": {ZippedBytes: -1}}},
		{Functions: []report.Function{{Layers: []string{"a"}}}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v: want an error", p)
		}
	}
	if err := (report.Policy{}).Validate(); err != nil {
		t.Errorf("the zero policy is valid: %v", err)
	}
}

// TestExceededNamesBiggest: a layer over 250 MB unzipped, or over a budget, names its biggest packages
// with their sizes in report.json (the quota's "biggest") and in the terminal table.
func TestExceededNamesBiggest(t *testing.T) {
	t.Parallel()
	l := report.Layer{Name: "data", Runtime: "python3.12", Architecture: "x86_64", ZippedBytes: 90 << 20, UnzippedBytes: 300 << 20}
	for i, mb := range []int64{3, 120, 1, 90, 40, 30, 16} {
		l.Packages = append(l.Packages, report.Package{Name: fmt.Sprintf("p%d", i), Version: "1.0", UnzippedBytes: mb << 20, ZippedBytes: (mb << 20) / 3})
	}
	l.CheckQuotas(0)
	var unzipped report.Quota
	for _, q := range l.Quotas {
		if q.Name == "unzipped" {
			unzipped = q
		} else if len(q.Biggest) > 0 {
			t.Errorf("quota %s (not blocking) names packages: %+v", q.Name, q.Biggest)
		}
	}
	want := []report.PackageSize{{"p1", "1.0", 120 << 20}, {"p3", "1.0", 90 << 20}, {"p4", "1.0", 40 << 20}, {"p5", "1.0", 30 << 20}, {"p6", "1.0", 16 << 20}}
	if !reflect.DeepEqual(unzipped.Biggest, want) {
		t.Errorf("unzipped quota names %+v; want %+v", unzipped.Biggest, want)
	}
	r := &report.Report{Layers: []report.Layer{l}}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"biggest": [`) || !strings.Contains(string(b), `"name": "p1"`) {
		t.Errorf("report.json does not name the biggest packages:\n%s", b)
	}
	var table strings.Builder
	r.Table(&table)
	if !strings.Contains(table.String(), "data (python3.12 x86_64) is over Lambda's 250 MB unzipped limit for a function and all its layers; its biggest packages: p1 1.0 (120.0 MB), p3 1.0 (90.0 MB)") {
		t.Errorf("table does not name the biggest packages:\n%s", table.String())
	}

	// A budget names them by its own measure; within every limit nothing is named.
	small := l
	small.UnzippedBytes, small.ZippedBytes = 100<<20, 30<<20
	r = &report.Report{Layers: []report.Layer{small}}
	report.Evaluate(r, report.Policy{Budgets: map[string]report.Budget{"*": {ZippedBytes: 20 << 20}}})
	for _, q := range r.Layers[0].Quotas {
		switch {
		case q.Name == report.QuotaBudgetZipped && (len(q.Biggest) != 5 || q.Biggest[0] != report.PackageSize{"p1", "1.0", (120 << 20) / 3}):
			t.Errorf("zipped budget names %+v; want p1 first by zipped size", q.Biggest)
		case q.Name != report.QuotaBudgetZipped && len(q.Biggest) > 0:
			t.Errorf("quota %s within its limit names %+v", q.Name, q.Biggest)
		}
	}
}

package report_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/report/reporttest"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	head := &report.Report{Layers: []report.Layer{
		reporttest.MkLayer("app", "python3.12", "x86_64",
			reporttest.Pkg("requests", "2.32.3", 0.4),
			reporttest.Pkg("urllib3", "2.2.3", 0.9, "requests 2.32.3"),
			reporttest.Pkg("boto3", "1.35.0", 0.4),
			reporttest.Pkg("botocore", "1.35.0", 80, "boto3 1.35.0"),
			reporttest.Pkg("jmespath", "1.0.1", 0.1, "botocore 1.35.0", "boto3 1.35.0"),
			reporttest.Pkg("attrs", "23.1.0", 0.3),
			reporttest.Pkg("six", "1.16.0", 0.1)),
		reporttest.MkLayer("new", "python3.12", "x86_64", reporttest.Pkg("x", "1", 1)),
		{Name: "bad", Runtime: "python3.12", Architecture: "x86_64", Error: &report.Failure{Message: "boom"}},
		reporttest.MkLayer("basebad", "python3.12", "x86_64", reporttest.Pkg("x", "1", 1)),
		reporttest.MkLayer("same", "python3.12", "x86_64", reporttest.Pkg("x", "1", 1)),
	}}
	// six: same version, another wheel.
	head.Layers[0].Packages[6].Wheel = "six-1.16.0-py2.py3-none-any.whl"
	base := &report.Report{Revision: "abc", Layers: []report.Layer{
		reporttest.MkLayer("app", "python3.12", "x86_64",
			reporttest.Pkg("requests", "2.31.0", 0.39),
			reporttest.Pkg("urllib3", "2.2.3", 0.9, "requests 2.31.0"),
			reporttest.Pkg("pandas", "2.2.0", 40),
			reporttest.Pkg("numpy", "2.0.0", 30, "pandas 2.2.0"),
			reporttest.Pkg("attrs", "24.2.0", 0.3),
			reporttest.Pkg("six", "1.16.0", 0.1)),
		reporttest.MkLayer("gone", "python3.12", "x86_64", reporttest.Pkg("y", "1", 2)),
		reporttest.MkLayer("bad", "python3.12", "x86_64", reporttest.Pkg("x", "1", 1)),
		{Name: "basebad", Runtime: "python3.12", Architecture: "x86_64", Error: &report.Failure{Message: "old boom"}},
		reporttest.MkLayer("same", "python3.12", "x86_64", reporttest.Pkg("x", "1", 1)),
	}}
	d := report.Compare(head, base)
	if d.BaseSHA != "abc" {
		t.Errorf("BaseSHA = %q", d.BaseSHA)
	}
	status := map[string]string{}
	for _, l := range d.Layers {
		status[l.Name] = l.Status
	}
	if want := map[string]string{"app": report.LayerChanged, "new": report.LayerNew, "bad": report.LayerFailed, "basebad": report.LayerBaseFailed,
		"same": report.LayerUnchanged, "gone": report.LayerRemoved}; !reflect.DeepEqual(status, want) {
		t.Errorf("statuses %v, want %v", status, want)
	}
	if g := d.Layer("gone", "python3.12", "x86_64"); g.UnzippedDelta != -2*reporttest.MB {
		t.Errorf("a removed layer's delta is minus its size: %d", g.UnzippedDelta)
	}
	app := d.Layer("app", "python3.12", "x86_64")
	kinds := map[string]string{}
	for _, c := range app.Changes {
		kinds[c.Name] = c.Kind
	}
	if want := map[string]string{"requests": report.ChangeUpgraded, "boto3": report.ChangeAdded, "botocore": report.ChangeAdded, "jmespath": report.ChangeAdded,
		"pandas": report.ChangeRemoved, "numpy": report.ChangeRemoved, "attrs": report.ChangeDowngraded, "six": report.ChangeRebuilt}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("changes %v, want %v", kinds, want)
	}
	if app.Changes[0].Name != "botocore" {
		t.Errorf("biggest change first: %v", app.Changes[0])
	}
	if app.UnzippedDelta != head.Layers[0].UnzippedBytes-base.Layers[0].UnzippedBytes {
		t.Error("layer delta")
	}
	// Causes: boto3 brought botocore and jmespath; numpy went with pandas.
	causes := map[string][]string{}
	for _, c := range app.Causes {
		causes[c.Package] = c.With
	}
	if !reflect.DeepEqual(causes["boto3"], []string{"botocore", "jmespath"}) || !reflect.DeepEqual(causes["pandas"], []string{"numpy"}) {
		t.Errorf("causes %+v", app.Causes)
	}
	if _, ok := causes["botocore"]; ok {
		t.Error("botocore came with boto3: not a cause of its own")
	}
	if app.Causes[0].Package != "boto3" || app.Causes[0].UnzippedDelta != reporttest.Pkg("", "", 0.4).Package().UnzippedBytes+80*reporttest.MB+reporttest.Pkg("", "", 0.1).Package().UnzippedBytes {
		t.Errorf("boto3 with its dependencies is the biggest cause: %+v", app.Causes[0])
	}
	if report.Compare(head, nil) != nil {
		t.Error("no base, no diff")
	}
}

func TestDeniedLicense(t *testing.T) {
	t.Parallel()
	base := &report.Report{Layers: []report.Layer{{Name: "app", Runtime: "python3.12", Architecture: "x86_64", Packages: []report.Package{
		{Name: "requests", Version: "2.32.3", Wheel: "r.whl", License: "Apache-2.0", RequiredBy: []string{"requirements.txt:1"}},
		{Name: "chardet", Version: "5.0", Wheel: "c5.whl", License: "LGPL-2.1-or-later", RequiredBy: []string{"requests 2.32.3"}},
	}}}}
	head := &report.Report{Layers: []report.Layer{{Name: "app", Runtime: "python3.12", Architecture: "x86_64", Packages: []report.Package{
		{Name: "requests", Version: "2.32.3", Wheel: "r.whl", License: "Apache-2.0", RequiredBy: []string{"requirements.txt:1"}},
		{Name: "chardet", Version: "6.0", Wheel: "c6.whl", License: "MIT", RequiredBy: []string{"requests 2.32.3"}},
		{Name: "gpl-lib", Version: "1.0", Wheel: "g.whl", License: "GPL-3.0-only", RequiredBy: []string{"helper 1.0"}},
		{Name: "helper", Version: "1.0", Wheel: "h.whl", License: "MIT", RequiredBy: []string{"requirements.txt:4"}},
	}}}}
	p := report.Policy{DenyLicenses: []string{"GPL-3.0-only", "AGPL-3.0-only"}}
	report.Evaluate(head, p)
	head.Diff = report.Compare(head, base)
	report.Evaluate(head, p)
	d := head.Layers[0].DeniedLicenses
	if len(d) != 1 || d[0].Package != "gpl-lib" || d[0].Requirement != "requirements.txt:4" {
		t.Fatalf("denied %+v", d)
	}
	if !p.Fails(head) {
		t.Error("a denied licence does not fail the check")
	}
	if v := report.CheckVerdict(head, p); v.Conclusion != report.ConclusionFailure || !strings.Contains(v.Title, "gpl-lib 1.0 is licensed GPL-3.0-only") || !strings.Contains(v.Title, "requirements.txt:4") {
		t.Errorf("verdict %+v", v)
	}
	md := markdown.Comment(head, head.Diff, markdown.Options{})
	for _, want := range []string{"| Licence |", "LGPL-2.1-or-later → MIT", "⛔ GPL-3.0-only (denied)", "**This check fails**"} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q:\n%s", want, md)
		}
	}
	// Without a licence change or a denied one, the table keeps its columns.
	report.Evaluate(head, report.Policy{})
	head.Diff = report.Compare(&report.Report{Layers: []report.Layer{{Name: "app", Runtime: "python3.12", Architecture: "x86_64", Packages: head.Layers[0].Packages[:1]}}}, base)
	if md := markdown.Comment(head, head.Diff, markdown.Options{}); strings.Contains(md, "| Licence |") {
		t.Errorf("licence column without a reason:\n%s", md)
	}
}

func TestSlimmedInComment(t *testing.T) {
	t.Parallel()
	cur := &report.Report{Layers: []report.Layer{{Name: "app", Runtime: "python3.12", Architecture: "x86_64", ZippedBytes: 1000, UnzippedBytes: 3000,
		Packages:         []report.Package{{Name: "requests", Version: "2.32.3", Wheel: "r.whl", UnzippedBytes: 3000}},
		ExcludedPackages: []report.ExcludedPackage{{Name: "boto3", Reason: "excluded", WheelBytes: 139_000}, {Name: "jmespath", Reason: "only needed by excluded packages", WheelBytes: 20_000}},
		Excluded:         []report.ExcludeRule{{Pattern: "**/tests/**", Files: 1194, UnzippedBytes: 14831412, ZippedBytes: 3541343}, {Pattern: "**/*.rst"}},
	}}}
	report.Evaluate(cur, report.Policy{})
	md := markdown.Comment(cur, nil, markdown.Options{})
	for _, want := range []string{"Left out by `exclude-packages`: `boto3`, and `jmespath`, which only they needed (wheels of 155.3 KB)", "`**/tests/**` 1,194 files, 14.1 MB unzipped, 3.4 MB zipped"} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q:\n%s", want, md)
		}
	}
}

func TestSharedLayoutLabel(t *testing.T) {
	t.Parallel()
	cur := &report.Report{Layers: []report.Layer{{Name: "web", Runtime: "python3.11", Runtimes: []string{"python3.11", "python3.12"}, Layout: "shared",
		Architecture: "x86_64", ZippedBytes: 1000, UnzippedBytes: 3000, Packages: []report.Package{{Name: "a", Version: "1", UnzippedBytes: 3000}}}}}
	report.Evaluate(cur, report.Policy{})
	var b strings.Builder
	cur.Table(&b)
	if !strings.Contains(b.String(), "python3.11+3.12 x86_64") {
		t.Errorf("table:\n%s", b.String())
	}
	if md := markdown.Comment(cur, nil, markdown.Options{}); !strings.Contains(md, "python3.11+3.12 · x86_64") ||
		!strings.Contains(md, "One zip under `python/` serves python3.11, python3.12") ||
		!strings.Contains(md, "<summary><code>web</code> · python3.11+3.12 · x86_64 — ") {
		t.Errorf("comment:\n%s", md)
	}
	// The layout the user asked for is no warning: the check stays a success.
	if v := report.CheckVerdict(cur, report.Policy{}); v.Conclusion != report.ConclusionSuccess {
		t.Errorf("verdict %+v, want success", v)
	}
}

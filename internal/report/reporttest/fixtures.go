// Package reporttest holds report fixtures (layers, bases, policies) shared by the tests of report and
// of its renderers, with the options their golden files were written with.
package reporttest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
)

// Fixtures: reports shaped like real builds, with sizes in the ranges Lambda layers reach.

// MB is a mebibyte, the unit the fixtures are written in.
const MB = 1 << 20

// PackageSpec is a package of a fixture layer, sized in MB.
type PackageSpec struct {
	name, version string
	unzipped      float64 // MB
	requiredBy    []string
}

func Pkg(name, version string, unzippedMB float64, requiredBy ...string) PackageSpec {
	return PackageSpec{name, version, unzippedMB, requiredBy}
}

// Package is the report entry of p.
func (p PackageSpec) Package() report.Package {
	u := int64(p.unzipped * MB)
	rb := p.requiredBy
	if rb == nil {
		rb = []string{"requirements.txt:1"}
	}
	return report.Package{Name: p.name, Version: p.version, Wheel: p.name + "-" + p.version + "-py3-none-any.whl",
		ZippedBytes: u * 36 / 100, UnzippedBytes: u, Files: int(u/(24<<10)) + 3, RequiredBy: rb}
}

func fakeSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func MkLayer(name, runtime, arch string, ps ...PackageSpec) report.Layer {
	l := report.Layer{Name: name, Runtime: runtime, Architecture: arch, Zip: "dist/" + name + "-" + runtime + "-" + arch + ".zip",
		Packages: []report.Package{}, Requirements: []string{"layers/" + name + "/requirements.txt"}}
	for _, p := range ps {
		rp := p.Package()
		l.Packages = append(l.Packages, rp)
		l.ZippedBytes += rp.ZippedBytes + 2048
		l.UnzippedBytes += rp.UnzippedBytes
		l.Files += rp.Files
	}
	l.SHA256 = fakeSHA(fmt.Sprint(name, runtime, arch, l.ZippedBytes))
	l.Quotas = report.Quotas(l.ZippedBytes, l.UnzippedBytes, 0)
	return l
}

// scaled returns ps with native packages' sizes changed for another architecture.
func scaled(f float64, ps ...PackageSpec) []PackageSpec {
	out := make([]PackageSpec, len(ps))
	for i, p := range ps {
		out[i] = p
		out[i].unzipped *= f
	}
	return out
}

var GoldenOptions = markdown.Options{
	HeadSHA: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", BaseSHA: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
	BaseRef: "main", Version: "v0.1.0", Duration: 1400 * time.Millisecond,
	RepoURL: "https://github.com/acme/services",
}

type Fixture struct {
	Name      string
	Cur, Base *report.Report
	Policy    report.Policy
	Diff      *report.Diff // when set, used instead of report.Compare (an unavailable base)
	Opts      markdown.Options
}

func apiPackages(requestsVersion string) []PackageSpec {
	return []PackageSpec{
		Pkg("requests", requestsVersion, 0.4),
		Pkg("urllib3", "2.2.3", 0.9, "requests "+requestsVersion),
		Pkg("idna", "3.10", 0.6, "requests "+requestsVersion),
		Pkg("charset-normalizer", "3.4.0", 0.5, "requests "+requestsVersion),
		Pkg("certifi", "2024.8.30", 0.3, "requests "+requestsVersion),
		Pkg("pydantic", "2.9.2", 1.9),
		Pkg("pydantic-core", "2.23.4", 4.8, "pydantic 2.9.2"),
		Pkg("annotated-types", "0.7.0", 0.1, "pydantic 2.9.2"),
		Pkg("typing-extensions", "4.12.2", 0.2, "pydantic 2.9.2", "pydantic-core 2.23.4"),
		Pkg("aws-lambda-powertools", "3.2.0", 5.1),
		Pkg("jmespath", "1.0.1", 0.1, "aws-lambda-powertools 3.2.0"),
		Pkg("orjson", "3.10.7", 0.7),
	}
}

func FixtureOK() Fixture {
	head := &report.Report{Layers: []report.Layer{
		MkLayer("api", "python3.12", "x86_64", apiPackages("2.32.3")...),
		MkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")...),
	}}
	base := &report.Report{Revision: GoldenOptions.BaseSHA, Layers: []report.Layer{
		MkLayer("api", "python3.12", "x86_64", apiPackages("2.31.0")...),
		MkLayer("api", "python3.12", "arm64", apiPackages("2.31.0")...),
	}}
	// 2.31.0 was a little smaller.
	for i := range base.Layers {
		base.Layers[i].Packages[0].UnzippedBytes -= 12 << 10
		base.Layers[i].UnzippedBytes -= 12 << 10
	}
	return Fixture{Name: "ok", Cur: head, Base: base, Opts: GoldenOptions}
}

func mlPackages() []PackageSpec {
	return []PackageSpec{
		Pkg("scipy", "1.14.1", 98.0, "scikit-learn 1.5.2"),
		Pkg("numpy", "2.1.3", 38.5, "scipy 1.14.1", "scikit-learn 1.5.2", "pandas 2.2.3"),
		Pkg("pandas", "2.2.3", 44.2),
		Pkg("scikit-learn", "1.5.2", 24.1),
		Pkg("joblib", "1.4.2", 1.6, "scikit-learn 1.5.2"),
		Pkg("threadpoolctl", "3.5.0", 0.1, "scikit-learn 1.5.2"),
		Pkg("python-dateutil", "2.9.0.post0", 0.7, "pandas 2.2.3"),
		Pkg("pytz", "2024.2", 2.9, "pandas 2.2.3"),
		Pkg("tzdata", "2024.2", 1.8, "pandas 2.2.3"),
		Pkg("six", "1.16.0", 0.1, "python-dateutil 2.9.0.post0"),
	}
}

func FixtureWarn() Fixture {
	l := MkLayer("ml", "python3.12", "x86_64", mlPackages()...)
	l.ZippedBytes = 45*MB + 300<<10 // native code compresses less well
	l.Quotas = report.Quotas(l.ZippedBytes, l.UnzippedBytes, 0)
	l.Dropped = []report.Dropped{
		{Package: "numpy", Path: "numpy-2.1.3.data/scripts/f2py", Reason: "scripts", Bytes: 1200},
		{Package: "scipy", Path: "scipy/__pycache__/__init__.cpython-312.pyc", Reason: "bytecode", Bytes: 18 << 10},
		{Package: "pandas", Path: "pandas/__pycache__/__init__.cpython-312.pyc", Reason: "bytecode", Bytes: 22 << 10},
	}
	return Fixture{Name: "warn", Cur: &report.Report{Layers: []report.Layer{l}},
		Diff: &report.Diff{BaseRef: "main", Unavailable: `base revision "main" is not in this clone, which is shallow (fetched with a limited depth). ` +
			`Fetch it: set "fetch-depth: 0" on actions/checkout, or run "git fetch --no-tags --depth=1 origin main" before lambda-layers`},
		Opts: markdown.Options{HeadSHA: GoldenOptions.HeadSHA, BaseRef: "main", Version: "v0.1.0", Duration: 900 * time.Millisecond}}
}

func dataBase() []PackageSpec {
	return []PackageSpec{
		Pkg("sympy", "1.14.0", 54.6),
		Pkg("networkx", "3.5", 15.5),
		Pkg("mpmath", "1.3.0", 4.7, "sympy 1.14.0"),
		Pkg("attrs", "24.2.0", 0.3),
	}
}

func dataHead() []PackageSpec {
	return []PackageSpec{
		Pkg("sympy", "1.14.0", 54.6),
		Pkg("networkx", "3.6.1", 16.1),
		Pkg("mpmath", "1.3.0", 4.7, "sympy 1.14.0"),
		Pkg("boto3", "1.43.11", 0.4),
		Pkg("botocore", "1.43.11", 81.7, "boto3 1.43.11", "s3transfer 0.17.0"),
		Pkg("s3transfer", "0.17.0", 0.4, "boto3 1.43.11"),
		Pkg("jmespath", "1.0.1", 0.1, "boto3 1.43.11", "botocore 1.43.11"),
		Pkg("python-dateutil", "2.9.0.post0", 0.7, "botocore 1.43.11"),
		Pkg("six", "1.16.0", 0.1, "python-dateutil 2.9.0.post0"),
		Pkg("urllib3", "2.2.3", 0.9, "botocore 1.43.11"),
	}
}

func FixtureExceeded() Fixture {
	head := &report.Report{Layers: []report.Layer{
		MkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")...),
		MkLayer("data", "python3.12", "x86_64", dataHead()...),
		MkLayer("data", "python3.12", "arm64", scaled(0.96, dataHead()...)...),
	}}
	head.Layers[1].ZippedBytes = 58 * MB
	head.Layers[2].ZippedBytes = 55*MB + 200<<10
	base := &report.Report{Revision: GoldenOptions.BaseSHA, Layers: []report.Layer{
		MkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")[:9]...),
		MkLayer("data", "python3.12", "x86_64", dataBase()...),
		MkLayer("data", "python3.12", "arm64", scaled(0.96, dataBase()...)...),
	}}
	return Fixture{Name: "exceeded", Cur: head, Base: base, Opts: GoldenOptions, Policy: report.Policy{
		Budgets:   map[string]report.Budget{"data": {ZippedBytes: 80 * MB, UnzippedBytes: 120 * MB}},
		Functions: []report.Function{{Name: "orders-api", Layers: []string{"api", "data"}, ReserveBytes: 30 * MB}},
	}}
}

func FixtureMulti() Fixture {
	torch := []PackageSpec{
		Pkg("torch", "2.5.1", 221.4),
		Pkg("numpy", "2.1.3", 38.5, "torch 2.5.1"),
		Pkg("sympy", "1.13.1", 54.6, "torch 2.5.1"),
		Pkg("networkx", "3.4.2", 16.1, "torch 2.5.1"),
	}
	broken := report.Layer{Name: "gpu", Runtime: "python3.12", Architecture: "arm64", Packages: []report.Package{}, Quotas: []report.Quota{},
		Requirements: []string{"layers/gpu/requirements.txt"},
		Error: &report.Failure{Message: "layers/gpu/requirements.txt:3: numpyish 2.1.0: no wheel for python3.12 on arm64 (glibc ≤ 2.34); files offer manylinux_2_39_aarch64\n" +
			"  | pin an older version, or build it for manylinux_2_34 | see `pip download --platform`",
			Package: "numpyish", File: "layers/gpu/requirements.txt", Line: 3}}
	legacy := MkLayer("legacy", "python3.10", "x86_64", Pkg("six", "1.16.0", 0.1), Pkg("simplejson", "3.19.3", 0.5))
	legacy.Warnings = []string{"python3.10 was deprecated by AWS on 2026-10-31; plan a move to a newer runtime"}
	head := &report.Report{Layers: []report.Layer{
		MkLayer("api", "python3.12", "x86_64", apiPackages("2.32.3")...),
		MkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")...),
		MkLayer("api", "python3.13", "x86_64", apiPackages("2.32.3")...),
		MkLayer("api", "python3.13", "arm64", scaled(1.05, apiPackages("2.32.3")...)...),
		MkLayer("gpu", "python3.12", "x86_64", torch...),
		broken,
		legacy,
		MkLayer("fresh", "python3.13", "x86_64", Pkg("structlog", "24.4.0", 0.8)),
		MkLayer("data", "python3.12", "x86_64", dataBase()...),
	}}
	baseData := MkLayer("data", "python3.12", "x86_64")
	baseData.Error = &report.Failure{Message: "layers/data/requirements.txt:2: cannot read file: exit status 128", File: "layers/data/requirements.txt", Line: 2}
	base := &report.Report{Revision: GoldenOptions.BaseSHA, Layers: []report.Layer{
		MkLayer("api", "python3.12", "x86_64", apiPackages("2.31.0")...),
		MkLayer("api", "python3.12", "arm64", apiPackages("2.31.0")...),
		MkLayer("api", "python3.13", "x86_64", apiPackages("2.31.0")...),
		MkLayer("api", "python3.13", "arm64", scaled(1.05, apiPackages("2.31.0")...)...),
		MkLayer("gpu", "python3.12", "x86_64", torch[:1]...),
		MkLayer("gpu", "python3.12", "arm64", torch[:1]...),
		MkLayer("legacy", "python3.10", "x86_64", Pkg("six", "1.16.0", 0.1), Pkg("simplejson", "3.20.1", 0.5)),
		MkLayer("old", "python3.12", "x86_64", Pkg("pillow", "11.0.0", 13.2)),
		baseData,
	}}
	return Fixture{Name: "multi", Cur: head, Base: base, Opts: GoldenOptions, Policy: report.Policy{
		FailOn:    report.FailOnWarn,
		Budgets:   map[string]report.Budget{"*": {UnzippedBytes: 200 * MB}, "api": {ZippedBytes: 10 * MB}},
		Functions: []report.Function{{Name: "inference", Layers: []string{"gpu", "api"}, ReserveBytes: 5 * MB}},
	}}
}

// fixtureHugeDiff is a layer whose every package changed: thousands of rows that cannot all fit.
func FixtureHugeDiff() Fixture {
	var head, base []PackageSpec
	for i := 0; i < 2500; i++ {
		name := fmt.Sprintf("plugin-%04d", i)
		switch i % 4 {
		case 0: // upgraded
			head = append(head, Pkg(name, "2.0.0", 0.05+float64(i%97)/1000))
			base = append(base, Pkg(name, "1.0.0", 0.04+float64(i%89)/1000))
		case 1: // added
			head = append(head, Pkg(name, "1.0.0", 0.02+float64(i%83)/1000, "plugin-0000 2.0.0"))
		case 2: // removed
			base = append(base, Pkg(name, "0.9.0", 0.03+float64(i%79)/1000))
		case 3: // downgraded
			head = append(head, Pkg(name, "1.0.0", 0.01+float64(i%71)/1000))
			base = append(base, Pkg(name, "1.1.0", 0.02+float64(i%73)/1000))
		}
	}
	return Fixture{Name: "huge-diff",
		Cur:  &report.Report{Layers: []report.Layer{MkLayer("plugins", "python3.12", "x86_64", head...)}},
		Base: &report.Report{Revision: GoldenOptions.BaseSHA, Layers: []report.Layer{MkLayer("plugins", "python3.12", "x86_64", base...)}},
		Opts: GoldenOptions}
}

func Fixtures() []Fixture {
	return []Fixture{FixtureOK(), FixtureWarn(), FixtureExceeded(), FixtureMulti(), FixtureHugeDiff()}
}

// evaluated applies the Fixture's policy and comparison, as the report command does.
func (f Fixture) Evaluated() (*report.Report, *report.Diff) {
	report.Evaluate(f.Cur, f.Policy)
	d := f.Diff
	if d == nil {
		d = report.Compare(f.Cur, f.Base)
		if d != nil {
			d.BaseRef = f.Opts.BaseRef
		}
	}
	f.Cur.Diff = d
	return f.Cur, d
}

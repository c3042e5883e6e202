package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Fixtures: reports shaped like real builds, with sizes in the ranges Lambda layers reach.

const mb = 1 << 20

type pk struct {
	name, version string
	unzipped      float64 // MB
	requiredBy    []string
}

func pkg(name, version string, unzippedMB float64, requiredBy ...string) pk {
	return pk{name, version, unzippedMB, requiredBy}
}

func (p pk) pkg() Package {
	u := int64(p.unzipped * mb)
	rb := p.requiredBy
	if rb == nil {
		rb = []string{"requirements.txt:1"}
	}
	return Package{Name: p.name, Version: p.version, Wheel: p.name + "-" + p.version + "-py3-none-any.whl",
		ZippedBytes: u * 36 / 100, UnzippedBytes: u, Files: int(u/(24<<10)) + 3, RequiredBy: rb}
}

func fakeSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func mkLayer(name, runtime, arch string, ps ...pk) Layer {
	l := Layer{Name: name, Runtime: runtime, Architecture: arch, Zip: "dist/" + name + "-" + runtime + "-" + arch + ".zip",
		Packages: []Package{}, Requirements: []string{"layers/" + name + "/requirements.txt"}}
	for _, p := range ps {
		rp := p.pkg()
		l.Packages = append(l.Packages, rp)
		l.ZippedBytes += rp.ZippedBytes + 2048
		l.UnzippedBytes += rp.UnzippedBytes
		l.Files += rp.Files
	}
	l.SHA256 = fakeSHA(fmt.Sprint(name, runtime, arch, l.ZippedBytes))
	l.Quotas = Quotas(l.ZippedBytes, l.UnzippedBytes, 0)
	return l
}

// scaled returns ps with native packages' sizes changed for another architecture.
func scaled(f float64, ps ...pk) []pk {
	out := make([]pk, len(ps))
	for i, p := range ps {
		out[i] = p
		out[i].unzipped *= f
	}
	return out
}

var goldenOptions = MarkdownOptions{
	HeadSHA: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", BaseSHA: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
	BaseRef: "main", Version: "v0.1.0", Duration: 1400 * time.Millisecond,
	RepoURL: "https://github.com/acme/services",
}

type fixture struct {
	name      string
	cur, base *Report
	policy    Policy
	diff      *Diff // when set, used instead of Compare (an unavailable base)
	opts      MarkdownOptions
}

func apiPackages(requestsVersion string) []pk {
	return []pk{
		pkg("requests", requestsVersion, 0.4),
		pkg("urllib3", "2.2.3", 0.9, "requests "+requestsVersion),
		pkg("idna", "3.10", 0.6, "requests "+requestsVersion),
		pkg("charset-normalizer", "3.4.0", 0.5, "requests "+requestsVersion),
		pkg("certifi", "2024.8.30", 0.3, "requests "+requestsVersion),
		pkg("pydantic", "2.9.2", 1.9),
		pkg("pydantic-core", "2.23.4", 4.8, "pydantic 2.9.2"),
		pkg("annotated-types", "0.7.0", 0.1, "pydantic 2.9.2"),
		pkg("typing-extensions", "4.12.2", 0.2, "pydantic 2.9.2", "pydantic-core 2.23.4"),
		pkg("aws-lambda-powertools", "3.2.0", 5.1),
		pkg("jmespath", "1.0.1", 0.1, "aws-lambda-powertools 3.2.0"),
		pkg("orjson", "3.10.7", 0.7),
	}
}

func fixtureOK() fixture {
	head := &Report{Layers: []Layer{
		mkLayer("api", "python3.12", "x86_64", apiPackages("2.32.3")...),
		mkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")...),
	}}
	base := &Report{Revision: goldenOptions.BaseSHA, Layers: []Layer{
		mkLayer("api", "python3.12", "x86_64", apiPackages("2.31.0")...),
		mkLayer("api", "python3.12", "arm64", apiPackages("2.31.0")...),
	}}
	// 2.31.0 was a little smaller.
	for i := range base.Layers {
		base.Layers[i].Packages[0].UnzippedBytes -= 12 << 10
		base.Layers[i].UnzippedBytes -= 12 << 10
	}
	return fixture{name: "ok", cur: head, base: base, opts: goldenOptions}
}

func mlPackages() []pk {
	return []pk{
		pkg("scipy", "1.14.1", 98.0, "scikit-learn 1.5.2"),
		pkg("numpy", "2.1.3", 38.5, "scipy 1.14.1", "scikit-learn 1.5.2", "pandas 2.2.3"),
		pkg("pandas", "2.2.3", 44.2),
		pkg("scikit-learn", "1.5.2", 24.1),
		pkg("joblib", "1.4.2", 1.6, "scikit-learn 1.5.2"),
		pkg("threadpoolctl", "3.5.0", 0.1, "scikit-learn 1.5.2"),
		pkg("python-dateutil", "2.9.0.post0", 0.7, "pandas 2.2.3"),
		pkg("pytz", "2024.2", 2.9, "pandas 2.2.3"),
		pkg("tzdata", "2024.2", 1.8, "pandas 2.2.3"),
		pkg("six", "1.16.0", 0.1, "python-dateutil 2.9.0.post0"),
	}
}

func fixtureWarn() fixture {
	l := mkLayer("ml", "python3.12", "x86_64", mlPackages()...)
	l.ZippedBytes = 45*mb + 300<<10 // native code compresses less well
	l.Quotas = Quotas(l.ZippedBytes, l.UnzippedBytes, 0)
	l.Dropped = []Dropped{
		{Package: "numpy", Path: "numpy-2.1.3.data/scripts/f2py", Reason: "scripts", Bytes: 1200},
		{Package: "scipy", Path: "scipy/__pycache__/__init__.cpython-312.pyc", Reason: "bytecode", Bytes: 18 << 10},
		{Package: "pandas", Path: "pandas/__pycache__/__init__.cpython-312.pyc", Reason: "bytecode", Bytes: 22 << 10},
	}
	return fixture{name: "warn", cur: &Report{Layers: []Layer{l}},
		diff: &Diff{BaseRef: "main", Unavailable: `base revision "main" is not in this clone, which is shallow (fetched with a limited depth). ` +
			`Fetch it: set "fetch-depth: 0" on actions/checkout, or run "git fetch --no-tags --depth=1 origin main" before lambda-layers`},
		opts: MarkdownOptions{HeadSHA: goldenOptions.HeadSHA, BaseRef: "main", Version: "v0.1.0", Duration: 900 * time.Millisecond}}
}

func dataBase() []pk {
	return []pk{
		pkg("sympy", "1.14.0", 54.6),
		pkg("networkx", "3.5", 15.5),
		pkg("mpmath", "1.3.0", 4.7, "sympy 1.14.0"),
		pkg("attrs", "24.2.0", 0.3),
	}
}

func dataHead() []pk {
	return []pk{
		pkg("sympy", "1.14.0", 54.6),
		pkg("networkx", "3.6.1", 16.1),
		pkg("mpmath", "1.3.0", 4.7, "sympy 1.14.0"),
		pkg("boto3", "1.43.11", 0.4),
		pkg("botocore", "1.43.11", 81.7, "boto3 1.43.11", "s3transfer 0.17.0"),
		pkg("s3transfer", "0.17.0", 0.4, "boto3 1.43.11"),
		pkg("jmespath", "1.0.1", 0.1, "boto3 1.43.11", "botocore 1.43.11"),
		pkg("python-dateutil", "2.9.0.post0", 0.7, "botocore 1.43.11"),
		pkg("six", "1.16.0", 0.1, "python-dateutil 2.9.0.post0"),
		pkg("urllib3", "2.2.3", 0.9, "botocore 1.43.11"),
	}
}

func fixtureExceeded() fixture {
	head := &Report{Layers: []Layer{
		mkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")...),
		mkLayer("data", "python3.12", "x86_64", dataHead()...),
		mkLayer("data", "python3.12", "arm64", scaled(0.96, dataHead()...)...),
	}}
	head.Layers[1].ZippedBytes = 58 * mb
	head.Layers[2].ZippedBytes = 55*mb + 200<<10
	base := &Report{Revision: goldenOptions.BaseSHA, Layers: []Layer{
		mkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")[:9]...),
		mkLayer("data", "python3.12", "x86_64", dataBase()...),
		mkLayer("data", "python3.12", "arm64", scaled(0.96, dataBase()...)...),
	}}
	return fixture{name: "exceeded", cur: head, base: base, opts: goldenOptions, policy: Policy{
		Budgets:   map[string]Budget{"data": {ZippedBytes: 80 * mb, UnzippedBytes: 120 * mb}},
		Functions: []Function{{Name: "orders-api", Layers: []string{"api", "data"}, ReserveBytes: 30 * mb}},
	}}
}

func fixtureMulti() fixture {
	torch := []pk{
		pkg("torch", "2.5.1", 221.4),
		pkg("numpy", "2.1.3", 38.5, "torch 2.5.1"),
		pkg("sympy", "1.13.1", 54.6, "torch 2.5.1"),
		pkg("networkx", "3.4.2", 16.1, "torch 2.5.1"),
	}
	broken := Layer{Name: "gpu", Runtime: "python3.12", Architecture: "arm64", Packages: []Package{}, Quotas: []Quota{},
		Requirements: []string{"layers/gpu/requirements.txt"},
		Error: &Failure{Message: "layers/gpu/requirements.txt:3: numpyish 2.1.0: no wheel for python3.12 on arm64 (glibc ≤ 2.34); files offer manylinux_2_39_aarch64\n" +
			"  | pin an older version, or build it for manylinux_2_34 | see `pip download --platform`",
			Package: "numpyish", File: "layers/gpu/requirements.txt", Line: 3}}
	legacy := mkLayer("legacy", "python3.10", "x86_64", pkg("six", "1.16.0", 0.1), pkg("simplejson", "3.19.3", 0.5))
	legacy.Warnings = []string{"python3.10 was deprecated by AWS on 2026-10-31; plan a move to a newer runtime"}
	head := &Report{Layers: []Layer{
		mkLayer("api", "python3.12", "x86_64", apiPackages("2.32.3")...),
		mkLayer("api", "python3.12", "arm64", apiPackages("2.32.3")...),
		mkLayer("api", "python3.13", "x86_64", apiPackages("2.32.3")...),
		mkLayer("api", "python3.13", "arm64", scaled(1.05, apiPackages("2.32.3")...)...),
		mkLayer("gpu", "python3.12", "x86_64", torch...),
		broken,
		legacy,
		mkLayer("fresh", "python3.13", "x86_64", pkg("structlog", "24.4.0", 0.8)),
		mkLayer("data", "python3.12", "x86_64", dataBase()...),
	}}
	baseData := mkLayer("data", "python3.12", "x86_64")
	baseData.Error = &Failure{Message: "layers/data/requirements.txt:2: cannot read file: exit status 128", File: "layers/data/requirements.txt", Line: 2}
	base := &Report{Revision: goldenOptions.BaseSHA, Layers: []Layer{
		mkLayer("api", "python3.12", "x86_64", apiPackages("2.31.0")...),
		mkLayer("api", "python3.12", "arm64", apiPackages("2.31.0")...),
		mkLayer("api", "python3.13", "x86_64", apiPackages("2.31.0")...),
		mkLayer("api", "python3.13", "arm64", scaled(1.05, apiPackages("2.31.0")...)...),
		mkLayer("gpu", "python3.12", "x86_64", torch[:1]...),
		mkLayer("gpu", "python3.12", "arm64", torch[:1]...),
		mkLayer("legacy", "python3.10", "x86_64", pkg("six", "1.16.0", 0.1), pkg("simplejson", "3.20.1", 0.5)),
		mkLayer("old", "python3.12", "x86_64", pkg("pillow", "11.0.0", 13.2)),
		baseData,
	}}
	return fixture{name: "multi", cur: head, base: base, opts: goldenOptions, policy: Policy{
		FailOn:    FailOnWarn,
		Budgets:   map[string]Budget{"*": {UnzippedBytes: 200 * mb}, "api": {ZippedBytes: 10 * mb}},
		Functions: []Function{{Name: "inference", Layers: []string{"gpu", "api"}, ReserveBytes: 5 * mb}},
	}}
}

// fixtureHugeDiff is a layer whose every package changed: thousands of rows that cannot all fit.
func fixtureHugeDiff() fixture {
	var head, base []pk
	for i := 0; i < 2500; i++ {
		name := fmt.Sprintf("plugin-%04d", i)
		switch i % 4 {
		case 0: // upgraded
			head = append(head, pkg(name, "2.0.0", 0.05+float64(i%97)/1000))
			base = append(base, pkg(name, "1.0.0", 0.04+float64(i%89)/1000))
		case 1: // added
			head = append(head, pkg(name, "1.0.0", 0.02+float64(i%83)/1000, "plugin-0000 2.0.0"))
		case 2: // removed
			base = append(base, pkg(name, "0.9.0", 0.03+float64(i%79)/1000))
		case 3: // downgraded
			head = append(head, pkg(name, "1.0.0", 0.01+float64(i%71)/1000))
			base = append(base, pkg(name, "1.1.0", 0.02+float64(i%73)/1000))
		}
	}
	return fixture{name: "huge-diff",
		cur:  &Report{Layers: []Layer{mkLayer("plugins", "python3.12", "x86_64", head...)}},
		base: &Report{Revision: goldenOptions.BaseSHA, Layers: []Layer{mkLayer("plugins", "python3.12", "x86_64", base...)}},
		opts: goldenOptions}
}

func fixtures() []fixture {
	return []fixture{fixtureOK(), fixtureWarn(), fixtureExceeded(), fixtureMulti(), fixtureHugeDiff()}
}

// evaluated applies the fixture's policy and comparison, as the report command does.
func (f fixture) evaluated() (*Report, *Diff) {
	Evaluate(f.cur, f.policy)
	d := f.diff
	if d == nil {
		d = Compare(f.cur, f.base)
		if d != nil {
			d.BaseRef = f.opts.BaseRef
		}
	}
	f.cur.Diff = d
	return f.cur, d
}

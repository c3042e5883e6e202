package lockfile

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/lockfile/locktest"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

var lockFiles = []string{"uv/uv.lock", "poetry/poetry.lock", "pipenv/Pipfile.lock", "pylock/pylock.toml"}

func mustTarget(t *testing.T, rt, arch string) target.Target {
	t.Helper()
	tt, err := target.Parse(rt, arch)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

func readLock(t *testing.T, rel string) Lock {
	t.Helper()
	path := filepath.Join("testdata", rel)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// summary is "name==version wheel" per package, the wheel being the best the target loads.
func summary(sel *Selection) []string {
	var out []string
	for _, p := range sel.Packages {
		s := p.Name + "==" + p.Version
		if len(p.Wheels) > 0 {
			s += " " + p.Wheels[0].Filename
		}
		out = append(out, s)
	}
	return out
}

func TestSelectPerTarget(t *testing.T) {
	base311 := []string{"alpha==1.0", "beta==2.0", "delta==1.5"}
	base313 := []string{"alpha==1.0", "delta==1.5", "gamma==3.0"}
	cases := []struct {
		rt, arch string
		opts     Options
		want     []string
	}{
		{"python3.11", "x86_64", Options{}, base311},
		{"python3.13", "arm64", Options{}, base313},
		{"python3.11", "x86_64", Options{Extras: []string{"fast"}, Groups: []string{"dev"}}, []string{"alpha==1.0", "beta==2.0", "delta==1.5", "devtool==0.1", "epsilon==1.0", "lintkit==0.2"}},
		{"python3.13", "arm64", Options{Groups: []string{"lint"}}, []string{"alpha==1.0", "delta==1.5", "gamma==3.0", "lintkit==0.2"}},
	}
	for _, f := range lockFiles {
		l := readLock(t, f)
		for _, c := range cases {
			if f == "pipenv/Pipfile.lock" && (len(c.opts.Extras) > 0 || contains(c.opts.Groups, "lint")) {
				continue // Pipfile.lock has no extras and one other group, develop
			}
			sel, err := l.Select(mustTarget(t, c.rt, c.arch), c.opts)
			if err != nil {
				t.Errorf("%s %s %s %+v: %v", f, c.rt, c.arch, c.opts, err)
				continue
			}
			var got []string
			for _, p := range sel.Packages {
				got = append(got, p.Name+"=="+p.Version)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("%s %s %s %+v:\n got %v\nwant %v", f, c.rt, c.arch, c.opts, got, c.want)
			}
			for _, p := range sel.Packages {
				if p.Line <= 0 || p.File == "" {
					t.Errorf("%s: %s has no position", f, p.Name)
				}
				if len(p.Hashes) == 0 {
					t.Errorf("%s: %s has no hashes", f, p.Name)
				}
			}
		}
	}
}

func TestWheelChoice(t *testing.T) {
	want := map[string]map[string]string{
		"python3.11-x86_64": {"delta": "delta-1.5-py3-none-manylinux_2_17_x86_64.whl"},
		"python3.13-arm64":  {"delta": "delta-1.5-py3-none-manylinux_2_17_aarch64.whl", "gamma": "gamma-3.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"},
	}
	for _, f := range []string{"uv/uv.lock", "poetry/poetry.lock", "pylock/pylock.toml"} {
		l := readLock(t, f)
		for key, files := range want {
			rt, arch, _ := strings.Cut(key, "-")
			sel, err := l.Select(mustTarget(t, rt, arch), Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range sel.Packages {
				if w, ok := files[p.Name]; ok {
					if len(p.Wheels) != 1 || p.Wheels[0].Filename != w {
						t.Errorf("%s %s: %s wheels %v, want only %s", f, key, p.Name, summary(sel), w)
					}
				}
				if f != "poetry/poetry.lock" && p.Wheels[0].URL == "" {
					t.Errorf("%s: %s has no URL", f, p.Name)
				}
			}
		}
	}
}

func TestUVVia(t *testing.T) {
	sel, err := readLock(t, "uv/uv.lock").Select(mustTarget(t, "python3.12", "x86_64"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range sel.Packages {
		if p.Name == "delta" && strings.Join(p.Via, " → ") != "demo-app → alpha 1.0" {
			t.Errorf("delta via %q", p.Via)
		}
		if p.Name == "delta" && p.Line != 29 {
			t.Errorf("delta line %d", p.Line)
		}
	}
}

// The lock files' hashes and sizes are those of locktest's wheels.
func TestHashesMatchWheels(t *testing.T) {
	known := map[string]string{}
	for _, s := range locktest.Wheels() {
		sum := sha256.Sum256(wheeltest.Build(s))
		known[hex.EncodeToString(sum[:])] = s.Filename()
	}
	re := regexp.MustCompile(`[0-9a-f]{64}`)
	for _, f := range lockFiles {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range re.FindAllString(string(data), -1) {
			if _, ok := known[h]; !ok && !strings.HasPrefix(h, "0000000000") && !strings.Contains(f, "Pipfile") && !strings.Contains(f, "poetry") {
				t.Errorf("%s: hash %s is no test wheel's (did wheeltest change? see locktest)", f, h)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	t311 := mustTarget(t, "python3.11", "x86_64")
	cases := []struct {
		file, text string
		want       []string
	}{
		{"uv.lock", `version = 1
requires-python = ">=3.12"
[[package]]
name = "app"
version = "1"
source = { virtual = "." }
`, []string{"uv.lock:2", "excludes python3.11", "python3.12, python3.13, python3.14"}},
		{"uv.lock", `version = 1
[[package]]
name = "app"
version = "1"
source = { virtual = "." }
dependencies = [
    { name = "lib" },
    { name = "src-only" },
    { name = "mac" },
    { name = "new" },
]

[[package]]
name = "lib"
version = "1"
source = { git = "https://example.test/lib.git?rev=abc#abc" }

[[package]]
name = "src-only"
version = "1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://example.test/src-only-1.tar.gz", hash = "sha256:00", size = 1 }

[[package]]
name = "mac"
version = "1"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://example.test/mac-1-cp312-cp312-macosx_11_0_arm64.whl", hash = "sha256:00" }]

[[package]]
name = "new"
version = "1"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://example.test/new-1-cp311-abi3-manylinux_2_34_x86_64.whl", hash = "sha256:00" }]
`, []string{"uv.lock:13: lib 1: git source", "uv.lock:18: src-only 1: has only a source distribution", "uv.lock:24: mac 1: none of its 1 wheels loads on python3.11 x86_64",
			"no Linux wheel Lambda loads", "uv.lock:30: new 1", "python3.12, python3.13, python3.14 on x86_64 would load one"}},
		{"poetry.lock", `[[package]]
name = "a"
version = "1"
python-versions = "*"
files = []
[metadata]
lock-version = "2.0"
`, []string{"poetry.lock:7", "lock-version 2.0 records no groups or markers", "pyproject.toml"}},
		{"Pipfile.lock", `{"_meta": {"sources": []},
"default": {
  "ok": {"version": "==1", "hashes": ["sha256:aa"]},
  "mine": {"editable": true, "path": "."}
}}`, []string{"Pipfile.lock:4: mine: editable path . cannot be installed"}},
		{"pylock.toml", `lock-version = "1.0"
created-by = "x"
[[packages]]
name = "a"
version = "1"
vcs = { type = "git", url = "https://example.test/a.git", commit-id = "abc" }
[[packages]]
name = "b"
version = "1"
requires-python = ">=3.13"
wheels = [{ name = "b-1-py3-none-any.whl", url = "https://example.test/b-1-py3-none-any.whl", hashes = { sha256 = "00" } }]
`, []string{"pylock.toml:3: a 1: vcs https://example.test/a.git cannot be installed", "pylock.toml:7: b 1: requires-python \">=3.13\" excludes python3.11"}},
		{"uv.lock", "version = 1\n[[package]\n", []string{"uv.lock:2: not valid TOML"}},
		{"Pipfile.lock", "{\n\"default\": {\n  \"a\": {\"version\": 1}\n}}", []string{"Pipfile.lock:3", "not valid JSON"}},
	}
	for _, c := range cases {
		l, err := Parse(c.file, []byte(c.text))
		if err == nil {
			_, err = l.Select(t311, Options{})
		}
		if err == nil {
			t.Errorf("%s: no error for\n%s", c.file, c.text)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", c.file, w, err)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]Format{
		"a/uv.lock": UV, "poetry.lock": Poetry, "x/Pipfile.lock": Pipenv, "pylock.toml": Pylock,
		"pylock.dev.toml": Pylock, "pylock.a.b.toml": "", "requirements.txt": "", "pyproject.toml": "",
	} {
		if got := Detect(in); got != want {
			t.Errorf("Detect(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPoetryConstraint(t *testing.T) {
	for in, want := range map[string]string{
		"^1.2.3": ">=1.2.3,<2.0.0", "^0.2.3": ">=0.2.3,<0.3.0", "^0.0.3": ">=0.0.3,<0.0.4", "^0.0": ">=0.0,<0.1",
		"^0": ">=0,<1", "^1": ">=1,<2", "~1.2.3": ">=1.2.3,<1.3.0", "~1.2": ">=1.2,<1.3", "~1": ">=1,<2",
		"*": "", ">=1.2,<2": ">=1.2,<2", ">= 1.2, < 2": ">=1.2,<2", "1.2.3": "==1.2.3", "1.2.*": "==1.2.*",
		"~=1.4": "~=1.4", "!=1.5": "!=1.5", "^3.11": ">=3.11,<4.0",
	} {
		got, err := PoetryConstraint(in)
		if err != nil || got != want {
			t.Errorf("PoetryConstraint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := PoetryConstraint("^1 || ^2"); err == nil {
		t.Error("a union was accepted")
	}
}

// An extra or group the lock does not have names the ones it has, or says there are none.
func TestUnknownNamesHint(t *testing.T) {
	t312 := mustTarget(t, "python3.12", "x86_64")
	uv := `version = 1
[[package]]
name = "app"
version = "1"
source = { virtual = "." }

[package.dev-dependencies]
test = []
`
	pylock := `lock-version = "1.0"
dependency-groups = ["docs"]
created-by = "hand"
`
	for _, c := range []struct {
		file, text string
		opts       Options
		want       string
	}{
		{"uv.lock", uv, Options{Extras: []string{"fast"}}, "no extra \"fast\"\n  hint: the lock has no extras"},
		{"uv.lock", uv, Options{Groups: []string{"dev"}}, "no dependency group \"dev\" in the lock\n  hint: dependency groups the lock knows: test"},
		{"pylock.toml", pylock, Options{Extras: []string{"fast"}}, "no extra \"fast\" in the lock\n  hint: the lock lists no extras: it installs what it was locked with, so build it without --extra"},
		{"pylock.toml", pylock, Options{Groups: []string{"dev"}}, "no dependency group \"dev\" in the lock\n  hint: dependency groups the lock knows: docs"},
	} {
		l, err := Parse(c.file, []byte(c.text))
		if err == nil {
			_, err = l.Select(t312, c.opts)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: error %v, want %q", c.file, c.opts, err, c.want)
		}
	}
}

package lockfile

import (
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
)

const legacyLock = `[[package]]
name = "web"
version = "3.0"
optional = false
python-versions = ">=3.8"
files = [{file = "web-3.0-py3-none-any.whl", hash = "sha256:aa"}]

[package.dependencies]
PySocks = {version = ">=1.5.6,<1.5.7 || >1.5.7", optional = true}
exceptiongroup = {version = ">=1", python = "<3.11"}
colorama = {version = "*", markers = "sys_platform == \"win32\""}
certifi = [
    {version = ">=2020", markers = "platform_machine == \"aarch64\""},
    {version = ">=2017", markers = "platform_machine != \"aarch64\""},
]

[package.extras]
socks = ["PySocks (>=1.5.6,!=1.5.7)"]

[[package]]
name = "pysocks"
version = "1.7.1"
optional = true
python-versions = "*"
files = [{file = "PySocks-1.7.1-py3-none-any.whl", hash = "sha256:bb"}]

[[package]]
name = "exceptiongroup"
version = "1.2.0"
optional = false
python-versions = "*"
files = [{file = "exceptiongroup-1.2.0-py3-none-any.whl", hash = "sha256:cc"}]

[[package]]
name = "colorama"
version = "0.4.6"
optional = false
python-versions = "*"
files = [{file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:dd"}]

[[package]]
name = "certifi"
version = "2024.8.30"
optional = false
python-versions = "*"
files = [{file = "certifi-2024.8.30-py3-none-any.whl", hash = "sha256:ee"}]

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "00"

[metadata.files]
`

func TestPoetryLegacyWalk(t *testing.T) {
	l, err := ParsePoetry("poetry.lock", []byte(legacyLock))
	if err != nil {
		t.Fatal(err)
	}
	if !l.Legacy() {
		t.Fatal("lock-version 2.0 is not legacy")
	}
	t310 := mustTarget(t, "python3.10", "x86_64")
	if _, err := l.Select(t310, Options{}); err == nil || !strings.Contains(err.Error(), "pyproject.toml is needed") {
		t.Errorf("without roots: %v", err)
	}
	for _, c := range []struct {
		root, rt, arch, want string
	}{
		{"web", "python3.10", "x86_64", "certifi exceptiongroup web"},
		{"web[socks]", "python3.12", "arm64", "certifi pysocks web"},
		{"web; python_version < '3.9'", "python3.12", "x86_64", ""},
	} {
		q, err := pep508.ParseRequirement(c.root)
		if err != nil {
			t.Fatal(err)
		}
		l.SetRoots([]Root{{Requirement: q, Origin: "pyproject.toml:9"}})
		sel, err := l.Select(mustTarget(t, c.rt, c.arch), Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.root, err)
		}
		var got []string
		for _, p := range sel.Packages {
			got = append(got, p.Name)
			if p.Name == "pysocks" && strings.Join(p.Via, " → ") != "pyproject.toml:9 → web 3.0" {
				t.Errorf("pysocks via %v", p.Via)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s on %s %s: %v, want %s", c.root, c.rt, c.arch, got, c.want)
		}
	}
}

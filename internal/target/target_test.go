package target

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	_, err := Parse("python3.8", "x86_64")
	if err == nil || !strings.Contains(err.Error(), "python3.9, python3.10") {
		t.Fatalf("unknown runtime error should list valid ones, got %v", err)
	}
	_, err = Parse("python3.12", "ppc64le")
	if err == nil || !strings.Contains(err.Error(), "x86_64, arm64") {
		t.Fatalf("unknown arch error should list valid ones, got %v", err)
	}
}

func TestGlibcAndPaths(t *testing.T) {
	for _, c := range []struct {
		rt, arch, glibc, first, last string
	}{
		{"python3.11", "x86_64", "2.26", "cp311-cp311-manylinux_2_26_x86_64", "py30-none-any"},
		{"python3.12", "arm64", "2.34", "cp312-cp312-manylinux_2_34_aarch64", "py30-none-any"},
	} {
		tg, err := Parse(c.rt, c.arch)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Glibc() != c.glibc {
			t.Errorf("%s glibc = %s, want %s", c.rt, tg.Glibc(), c.glibc)
		}
		tags := tg.Tags()
		if tags[0] != c.first || tags[len(tags)-1] != c.last {
			t.Errorf("%s tags run %s … %s, want %s … %s", tg, tags[0], tags[len(tags)-1], c.first, c.last)
		}
		for _, tag := range tags {
			if strings.Contains(tag, "musllinux") || strings.Contains(tag, "-linux_") {
				t.Errorf("%s: non-portable tag %s", tg, tag)
			}
		}
	}
}

// The trap from FACTS.md: cryptography ships cp311-abi3-manylinux_2_34_x86_64 — loadable on 3.12, fatal on 3.11.
func TestGlibcTrap(t *testing.T) {
	t311, _ := Parse("python3.11", "x86_64")
	t312, _ := Parse("python3.12", "x86_64")
	tag := "cp311-abi3-manylinux_2_34_x86_64"
	if _, ok := t311.Rank(tag); ok {
		t.Errorf("%s must not load on python3.11 (glibc 2.26)", tag)
	}
	if _, ok := t312.Rank(tag); !ok {
		t.Errorf("%s must load on python3.12 (glibc 2.34)", tag)
	}
	arm, _ := Parse("python3.12", "arm64")
	for _, bad := range []string{"cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux_2_12_aarch64", "cp312-cp312-manylinux2010_aarch64"} {
		if _, ok := arm.Rank(bad); ok {
			t.Errorf("%s must not load on arm64", bad)
		}
	}
	if _, ok := arm.Rank("cp312-cp312-manylinux2014_aarch64"); !ok {
		t.Error("manylinux2014_aarch64 must load on arm64")
	}
}

func TestPreferenceOrder(t *testing.T) {
	tg, _ := Parse("python3.12", "x86_64")
	before := func(a, b string) {
		ra, oka := tg.Rank(a)
		rb, okb := tg.Rank(b)
		if !oka || !okb || ra >= rb {
			t.Errorf("want %s (%d,%v) preferred over %s (%d,%v)", a, ra, oka, b, rb, okb)
		}
	}
	before("cp312-cp312-manylinux_2_17_x86_64", "cp312-abi3-manylinux_2_34_x86_64")
	before("cp312-cp312-manylinux_2_28_x86_64", "cp312-cp312-manylinux_2_17_x86_64")
	before("cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64")
	before("cp312-abi3-manylinux_2_17_x86_64", "cp38-abi3-manylinux_2_17_x86_64")
	before("cp38-abi3-manylinux1_x86_64", "py3-none-manylinux1_x86_64")
	before("py3-none-manylinux1_x86_64", "py3-none-any")
	before("py312-none-any", "py3-none-any")
	before("py3-none-any", "py311-none-any")
}

func TestEnv(t *testing.T) {
	tg, _ := Parse("python3.13", "arm64")
	env := tg.Env()
	if env["platform_machine"] != "aarch64" || env["python_version"] != "3.13" || env["python_full_version"] != "3.13.0" || env["sys_platform"] != "linux" {
		t.Errorf("env = %v", env)
	}
}

func TestDeprecated(t *testing.T) {
	tg, _ := Parse("python3.10", "x86_64")
	if !tg.IsDeprecated(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) {
		t.Error("python3.10 is deprecated since 2026-10-31")
	}
	tg, _ = Parse("python3.12", "x86_64")
	if tg.IsDeprecated(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) {
		t.Error("python3.12 is not deprecated in 2026")
	}
}

func TestParseList(t *testing.T) {
	ts, err := ParseList([]string{"python3.13,python3.12"}, []string{"arm64", "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tg := range ts {
		keys = append(keys, tg.Key())
	}
	want := []string{"python3.12-x86_64", "python3.12-arm64", "python3.13-x86_64", "python3.13-arm64"}
	if !slices.Equal(keys, want) {
		t.Errorf("got %v, want %v", keys, want)
	}
}

// TestTagsMatchPackaging checks the tag *set* against pip's vendored packaging.tags for the same
// interpreter and platforms (order differs: we follow uv). Skips where python3 is absent.
func TestTagsMatchPackaging(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	for _, c := range [][2]string{{"python3.11", "x86_64"}, {"python3.12", "arm64"}} {
		tg, _ := Parse(c[0], c[1])
		plats, _ := json.Marshal(tg.Platforms())
		script := `import json,sys
from pip._vendor.packaging import tags
v=(3,` + itoa(tg.Minor) + `)
plats=json.loads(sys.argv[1])
out=[str(t) for t in tags.cpython_tags(python_version=v, platforms=plats)]
out+=[str(t) for t in tags.compatible_tags(python_version=v, interpreter="cp3` + itoa(tg.Minor) + `", platforms=plats)]
print(json.dumps(out))`
		b, err := exec.Command(py, "-c", script, string(plats)).Output()
		if err != nil {
			t.Skipf("pip's packaging not importable: %v", err)
		}
		var want []string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		got := slices.Clone(tg.Tags())
		slices.Sort(got)
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: tag sets differ\n ours only: %v\n pip only: %v", tg, minus(got, want), minus(want, got))
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

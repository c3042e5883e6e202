// Package target models a Lambda build target — a Python runtime on an architecture — as the facts a
// resolver needs: Python version, glibc, the ordered list of wheel tags Lambda can load, and the
// marker environment, so nothing is ever evaluated for the host.
package target

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Runtime is one Lambda Python runtime.
type Runtime struct {
	Name       string // "python3.12"
	Minor      int    // Python 3.Minor
	OS         string // "Amazon Linux 2" or "Amazon Linux 2023"
	GlibcMinor int    // glibc 2.GlibcMinor
	Deprecated time.Time
}

// Runtimes lists the supported runtimes (AWS's table; glibc as aws-lambda-builders' _RUNTIME_GLIBC).
var Runtimes = []Runtime{
	{"python3.9", 9, "Amazon Linux 2", 26, date(2025, 12, 15)},
	{"python3.10", 10, "Amazon Linux 2", 26, date(2026, 10, 31)},
	{"python3.11", 11, "Amazon Linux 2", 26, date(2027, 6, 30)},
	{"python3.12", 12, "Amazon Linux 2023", 34, date(2028, 10, 31)},
	{"python3.13", 13, "Amazon Linux 2023", 34, date(2029, 6, 30)},
	{"python3.14", 14, "Amazon Linux 2023", 34, date(2029, 6, 30)},
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Architectures are Lambda's names; wheels name arm64 "aarch64".
var Architectures = []string{"x86_64", "arm64"}

// Target is a runtime on an architecture.
type Target struct {
	Runtime
	Arch string // Lambda's name: "x86_64" or "arm64"
	// Patch is the Python patch version used for python_full_version; 0 unless the user sets it.
	Patch int

	tags []string
	rank map[string]int
}

// Parse validates a runtime and architecture name. The error lists the valid ones.
func Parse(runtime, arch string) (Target, error) {
	var rt *Runtime
	for i := range Runtimes {
		if Runtimes[i].Name == runtime {
			rt = &Runtimes[i]
		}
	}
	if rt == nil {
		names := make([]string, len(Runtimes))
		for i, r := range Runtimes {
			names[i] = r.Name
		}
		return Target{}, fmt.Errorf("unknown runtime %q: valid runtimes are %s", runtime, strings.Join(names, ", "))
	}
	switch arch {
	case "x86_64", "arm64":
	case "amd64":
		arch = "x86_64"
	case "aarch64":
		arch = "arm64"
	default:
		return Target{}, fmt.Errorf("unknown architecture %q: valid architectures are %s", arch, strings.Join(Architectures, ", "))
	}
	t := Target{Runtime: *rt, Arch: arch}
	t.tags = t.buildTags()
	t.rank = make(map[string]int, len(t.tags))
	for i, tag := range t.tags {
		t.rank[tag] = i
	}
	return t, nil
}

// String is "python3.12 x86_64".
func (t Target) String() string { return t.Name + " " + t.Arch }

// Key is "python3.12-x86_64", used in file names.
func (t Target) Key() string { return t.Name + "-" + t.Arch }

// WheelArch is the architecture as wheel platform tags spell it.
func (t Target) WheelArch() string {
	if t.Arch == "arm64" {
		return "aarch64"
	}
	return "x86_64"
}

// PythonVersion is "3.12".
func (t Target) PythonVersion() string { return "3." + strconv.Itoa(t.Minor) }

// PythonFullVersion is "3.12.0" unless Patch is set.
func (t Target) PythonFullVersion() string { return t.PythonVersion() + "." + strconv.Itoa(t.Patch) }

// Glibc is "2.34".
func (t Target) Glibc() string { return "2." + strconv.Itoa(t.GlibcMinor) }

// SitePackages is the layer's folder for packages, with a trailing slash.
func (t Target) SitePackages() string {
	return "python/lib/python" + t.PythonVersion() + "/site-packages/"
}

// IsDeprecated reports whether AWS has deprecated the runtime at now.
func (t Target) IsDeprecated(now time.Time) bool { return !now.Before(t.Deprecated) }

// Env is the PEP 508 marker environment of the target (keys as in PEP 508).
func (t Target) Env() map[string]string {
	return map[string]string{
		"os_name":                        "posix",
		"sys_platform":                   "linux",
		"platform_system":                "Linux",
		"platform_machine":               t.WheelArch(),
		"platform_python_implementation": "CPython",
		"implementation_name":            "cpython",
		"python_version":                 t.PythonVersion(),
		"python_full_version":            t.PythonFullVersion(),
		"implementation_version":         t.PythonFullVersion(),
		"platform_release":               "",
		"platform_version":               "",
	}
}

// Tags are the wheel tags the target loads, most preferred first, in the order uv's Tags::from_env uses.
func (t Target) Tags() []string { return t.tags }

// Rank is the tag's position in Tags (lower is better); ok is false when the target cannot load it.
func (t Target) Rank(tag string) (rank int, ok bool) {
	rank, ok = t.rank[tag]
	return rank, ok
}

// Platforms are the platform tags, most specific first: manylinux_2_N down to the arch floor with the
// legacy aliases after their equivalents, then nothing else — musllinux and linux_* never load on Lambda.
func (t Target) Platforms() []string {
	arch := t.WheelArch()
	floor := 5
	if arch == "aarch64" {
		floor = 17
	}
	legacy := map[int]string{17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
	var out []string
	for n := t.GlibcMinor; n >= floor; n-- {
		out = append(out, fmt.Sprintf("manylinux_2_%d_%s", n, arch))
		if l, ok := legacy[n]; ok {
			out = append(out, l+"_"+arch)
		}
	}
	return out
}

func (t Target) buildTags() []string {
	plats := t.Platforms()
	cp := func(minor int) string { return "cp3" + strconv.Itoa(minor) }
	py := func(minor int) string { return "py3" + strconv.Itoa(minor) }
	var tags []string
	add := func(interp, abi, plat string) { tags = append(tags, interp+"-"+abi+"-"+plat) }
	// 1. this exact CPython ABI, then its no-ABI variant
	for _, p := range plats {
		add(cp(t.Minor), cp(t.Minor), p)
		add(cp(t.Minor), "none", p)
	}
	// 2. the stable ABI of this and every older CPython 3 (abi3 starts at 3.2)
	for m := t.Minor; m >= 2; m-- {
		for _, p := range plats {
			add(cp(m), "abi3", p)
		}
	}
	// 3. version-specific, then generic Python with a platform
	for m := t.Minor; m >= 0; m-- {
		for _, p := range plats {
			add(py(m), "none", p)
		}
		if m == t.Minor {
			for _, p := range plats {
				add("py3", "none", p)
			}
		}
	}
	// 4. pure Python
	add(cp(t.Minor), "none", "any")
	for m := t.Minor; m >= 0; m-- {
		add(py(m), "none", "any")
		if m == t.Minor {
			add("py3", "none", "any")
		}
	}
	return tags
}

// Summary describes the loadable tags briefly, for messages: "cp312, abi3, py3; manylinux ≤ 2.34 x86_64 or any".
func (t Target) Summary() string {
	return fmt.Sprintf("cp3%d/abi3/py3 wheels for manylinux glibc ≤ %s %s, or pure-Python", t.Minor, t.Glibc(), t.WheelArch())
}

// ParseList expands comma-separated runtime and arch lists into targets, in a stable order.
func ParseList(runtimes, archs []string) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	for _, r := range splitAll(runtimes) {
		for _, a := range splitAll(archs) {
			t, err := Parse(r, a)
			if err != nil {
				return nil, err
			}
			if !seen[t.Key()] {
				seen[t.Key()] = true
				out = append(out, t)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Minor != out[j].Minor {
			return out[i].Minor < out[j].Minor
		}
		return out[i].Arch > out[j].Arch // x86_64 before arm64
	})
	return out, nil
}

func splitAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

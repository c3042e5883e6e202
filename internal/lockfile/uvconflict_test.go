package lockfile

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// conflictLock is a uv.lock of a project whose extras "cpu" and "gpu" conflict (tool.uv.conflicts):
// uv forks the resolution, and the edges that differ between the forks carry markers on the encoded
// conflict items ("extra-7-project-cpu"), as uv writes them. The "dev" group also conflicts with "gpu".
const conflictLock = `version = 1
revision = 3
requires-python = ">=3.10"
resolution-markers = [
    "extra == 'extra-7-project-cpu' and extra != 'extra-7-project-gpu'",
    "extra != 'extra-7-project-cpu' and extra == 'extra-7-project-gpu'",
    "extra != 'extra-7-project-cpu' and extra != 'extra-7-project-gpu'",
]
conflicts = [[
    { package = "project", extra = "cpu" },
    { package = "project", extra = "gpu" },
], [
    { package = "project", group = "dev" },
    { package = "project", extra = "gpu" },
]]

[[package]]
name = "anyio"
version = "4.3.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "idna", version = "3.5", source = { registry = "https://pypi.org/simple" }, marker = "extra == 'extra-7-project-cpu'" },
    { name = "idna", version = "3.6", source = { registry = "https://pypi.org/simple" }, marker = "extra != 'extra-7-project-cpu'" },
    { name = "sniffio", marker = "extra == 'extra-7-project-cpu' and extra == 'group-7-project-dev'" },
]
wheels = [{ url = "https://files.example/anyio-4.3.0-py3-none-any.whl", hash = "sha256:%[1]s" }]

[[package]]
name = "idna"
version = "3.5"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["extra == 'extra-7-project-cpu' and extra != 'extra-7-project-gpu'"]
wheels = [{ url = "https://files.example/idna-3.5-py3-none-any.whl", hash = "sha256:%[1]s" }]

[[package]]
name = "idna"
version = "3.6"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "extra != 'extra-7-project-cpu' and extra == 'extra-7-project-gpu'",
    "extra != 'extra-7-project-cpu' and extra != 'extra-7-project-gpu'",
]
wheels = [{ url = "https://files.example/idna-3.6-py3-none-any.whl", hash = "sha256:%[1]s" }]

[[package]]
name = "project"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "anyio" }]

[package.optional-dependencies]
cpu = [{ name = "torchish", version = "1.0+cpu", source = { registry = "https://pypi.org/simple" } }]
gpu = [{ name = "torchish", version = "1.0+gpu", source = { registry = "https://pypi.org/simple" } }]

[package.dev-dependencies]
dev = [{ name = "sniffio" }]

[[package]]
name = "sniffio"
version = "1.3.1"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/sniffio-1.3.1-py3-none-any.whl", hash = "sha256:%[1]s" }]

[[package]]
name = "torchish"
version = "1.0+cpu"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["extra == 'extra-7-project-cpu' and extra != 'extra-7-project-gpu'"]
dependencies = [{ name = "filelock", marker = "extra == 'extra-7-project-cpu'" }]
wheels = [{ url = "https://files.example/torchish-1.0+cpu-py3-none-any.whl", hash = "sha256:%[1]s" }]

[[package]]
name = "torchish"
version = "1.0+gpu"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["extra != 'extra-7-project-cpu' and extra == 'extra-7-project-gpu'"]
dependencies = [{ name = "filelock", marker = "extra == 'extra-7-project-gpu'" }]
wheels = [{ url = "https://files.example/torchish-1.0+gpu-py3-none-any.whl", hash = "sha256:%[1]s" }]

[[package]]
name = "filelock"
version = "3.13.1"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/filelock-3.13.1-py3-none-any.whl", hash = "sha256:%[1]s" }]
`

// TestUVConflictMarkers: in a lock with conflicting extras, the extras and groups asked for select the
// fork's edges (uv's encoded "extra-7-project-cpu" markers), several at once when a marker needs them
// all; they were all false before, so an edge only one fork uses was dropped.
func TestUVConflictMarkers(t *testing.T) {
	t.Parallel()
	l, err := ParseUV("uv.lock", []byte(fmt.Sprintf(conflictLock, strings.Repeat("ab", 32))))
	if err != nil {
		t.Fatal(err)
	}
	tg := mustTarget(t, "python3.12", "x86_64")
	for _, tc := range []struct {
		extras, groups []string
		want           []string
	}{
		{nil, nil, []string{"anyio 4.3.0", "idna 3.6"}},
		{[]string{"cpu"}, nil, []string{"anyio 4.3.0", "filelock 3.13.1", "idna 3.5", "torchish 1.0+cpu"}},
		{[]string{"gpu"}, nil, []string{"anyio 4.3.0", "filelock 3.13.1", "idna 3.6", "torchish 1.0+gpu"}},
		// sniffio: the dev group's own dependency, and anyio's edge that needs cpu and dev together.
		{[]string{"cpu"}, []string{"dev"}, []string{"anyio 4.3.0", "filelock 3.13.1", "idna 3.5", "sniffio 1.3.1", "torchish 1.0+cpu"}},
	} {
		sel, err := l.Select(tg, Options{Extras: tc.extras, Groups: tc.groups})
		if err != nil {
			t.Fatalf("extras %v groups %v: %v", tc.extras, tc.groups, err)
		}
		var got []string
		for _, p := range sel.Packages {
			got = append(got, p.Name+" "+p.Version)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("extras %v groups %v: %v, want %v", tc.extras, tc.groups, got, tc.want)
		}
	}
}

// TestUVConflictsRefused: extras (or a group and an extra) the lock declares conflicting are refused
// together, naming them and the line of the conflict, as uv sync refuses them.
func TestUVConflictsRefused(t *testing.T) {
	t.Parallel()
	l, err := ParseUV("uv.lock", []byte(fmt.Sprintf(conflictLock, strings.Repeat("ab", 32))))
	if err != nil {
		t.Fatal(err)
	}
	tg := mustTarget(t, "python3.12", "x86_64")
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Extras: []string{"cpu", "gpu"}}, "uv.lock:10: project[cpu] and project[gpu] cannot be selected together"},
		{Options{Extras: []string{"gpu"}, Groups: []string{"dev"}}, "uv.lock:13: group dev of project and project[gpu] cannot be selected together"},
	} {
		_, err := l.Select(tg, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.opts, err, tc.want)
		}
	}
}

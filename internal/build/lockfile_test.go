package build

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/lockfile/locktest"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

func lockTargets(t *testing.T) []target.Target {
	t.Helper()
	a, _ := target.Parse("python3.11", "x86_64")
	b, _ := target.Parse("python3.13", "arm64")
	return []target.Target{a, b}
}

// buildLayer builds one layer from files against an indextest server that also answers for the
// download host the lock files name.
func buildLayer(t *testing.T, srv *indextest.Server, lp LayerPlan) *report.Report {
	t.Helper()
	env := Env{HTTPClient: &http.Client{Transport: locktest.Redirect(srv.URL, nil)}, Getenv: func(string) string { return "" }}
	plan := Plan{Layers: []LayerPlan{lp}, IndexURL: srv.URL, Out: t.TempDir(), CacheDir: t.TempDir()}
	return Build(context.Background(), env, plan)
}

func chosen(l report.Layer) string {
	var out []string
	for _, p := range l.Packages {
		out = append(out, p.Name+"=="+p.Version+" "+p.Wheel)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// Each lock format, built for python3.11/x86_64 and python3.13/arm64, installs exactly the lock's
// set for that target, with the target's wheel; uv.lock and pylock.toml need no index page.
func TestBuildFromLocks(t *testing.T) {
	want := map[string]string{
		"python3.11-x86_64": "alpha==1.0 alpha-1.0-py3-none-any.whl\nbeta==2.0 beta-2.0-py3-none-any.whl\ndelta==1.5 delta-1.5-py3-none-manylinux_2_17_x86_64.whl",
		"python3.13-arm64":  "alpha==1.0 alpha-1.0-py3-none-any.whl\ndelta==1.5 delta-1.5-py3-none-manylinux_2_17_aarch64.whl\ngamma==3.0 gamma-3.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
	}
	for _, f := range []string{"uv/uv.lock", "pylock/pylock.toml", "poetry/poetry.lock", "poetry20/poetry.lock", "pipenv/Pipfile.lock"} {
		t.Run(f, func(t *testing.T) {
			srv := indextest.New(t, locktest.Wheels())
			rep := buildLayer(t, srv, LayerPlan{Name: "demo", Requirements: []string{filepath.Join(locktest.Dir(), f)}, Targets: lockTargets(t)})
			for _, l := range rep.Layers {
				if l.Error != nil {
					t.Fatalf("%s %s: %s", l.Runtime, l.Architecture, l.Error.Message)
				}
				if got := chosen(l); got != want[l.Runtime+"-"+l.Architecture] {
					t.Errorf("%s %s:\n%s\nwant\n%s", l.Runtime, l.Architecture, got, want[l.Runtime+"-"+l.Architecture])
				}
				if _, err := os.Stat(l.Zip); err != nil {
					t.Error(err)
				}
			}
			pages := srv.Requests("/simple/")
			direct := strings.HasSuffix(f, "uv.lock") || strings.HasSuffix(f, "pylock.toml")
			if direct && pages != 0 {
				t.Errorf("%d index pages requested, want none (the lock gives every URL)", pages)
			}
			if !direct && pages == 0 {
				t.Errorf("no index page requested for a lock without URLs")
			}
			t.Logf("%s: %d index page requests, %d file requests", f, pages, srv.Requests("/files/"))
		})
	}
}

// The lock's chain is the report's reason: delta came with alpha; alpha with the lock's line.
func TestLockRequiredBy(t *testing.T) {
	srv := indextest.New(t, locktest.Wheels())
	rep := buildLayer(t, srv, LayerPlan{Name: "demo", Requirements: []string{filepath.Join(locktest.Dir(), "uv/uv.lock")}, Targets: lockTargets(t)[:1]})
	for _, p := range rep.Layers[0].Packages {
		switch p.Name {
		case "delta":
			if strings.Join(p.RequiredBy, ",") != "alpha 1.0" {
				t.Errorf("delta required by %v", p.RequiredBy)
			}
		case "alpha":
			if len(p.RequiredBy) != 1 || !strings.HasSuffix(p.RequiredBy[0], "uv.lock:9") {
				t.Errorf("alpha required by %v", p.RequiredBy)
			}
		}
	}
}

// A hash in the lock that the download does not match fails the target, naming the lock's line.
func TestLockHashChecked(t *testing.T) {
	for _, f := range []string{"uv/uv.lock", "pipenv/Pipfile.lock"} {
		data, err := os.ReadFile(filepath.Join(locktest.Dir(), f))
		if err != nil {
			t.Fatal(err)
		}
		// beta's hash, with its last digit changed.
		bad := strings.Replace(string(data), "ecee0cd3cb871da8285bd2faaa1d4672a2360700ce1dfe3b097a33b42e1b9977", "ecee0cd3cb871da8285bd2faaa1d4672a2360700ce1dfe3b097a33b42e1b9970", 1)
		path := filepath.Join(t.TempDir(), filepath.Base(f))
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		srv := indextest.New(t, locktest.Wheels())
		rep := buildLayer(t, srv, LayerPlan{Name: "demo", Requirements: []string{path}, Targets: lockTargets(t)[:1]})
		l := rep.Layers[0]
		if l.Error == nil {
			t.Fatalf("%s: a wrong hash built", f)
		}
		if l.Error.File != path || l.Error.Line == 0 {
			t.Errorf("%s: failure at %s:%d, want the lock's line: %s", f, l.Error.File, l.Error.Line, l.Error.Message)
		}
		t.Logf("%s: %s:%d %s", f, l.Error.File, l.Error.Line, l.Error.Message)
	}
}

// A pyproject.toml with extras and groups builds the same name==version set as the equivalent
// requirements file.
func TestBuildPyprojectLikeRequirements(t *testing.T) {
	srv := indextest.New(t, locktest.Wheels())
	dir := filepath.Join(locktest.Dir(), "..", "..", "pyproject", "testdata")
	req := buildLayer(t, srv, LayerPlan{Name: "r", Requirements: []string{filepath.Join(dir, "requirements.txt")}, Targets: lockTargets(t)})
	py := buildLayer(t, srv, LayerPlan{Name: "p", Requirements: []string{filepath.Join(dir, "pyproject.toml")}, Targets: lockTargets(t), Extras: []string{"all"}, Groups: []string{"dev"}})
	for i := range req.Layers {
		if req.Layers[i].Error != nil || py.Layers[i].Error != nil {
			t.Fatalf("errors: %v %v", req.Layers[i].Error, py.Layers[i].Error)
		}
		if a, b := chosen(req.Layers[i]), chosen(py.Layers[i]); a != b {
			t.Errorf("%s: requirements\n%s\npyproject\n%s", req.Layers[i].Runtime, a, b)
		}
		if req.Layers[i].SHA256 != py.Layers[i].SHA256 {
			t.Errorf("zips differ")
		}
	}
}

func TestLockIsOnlyInput(t *testing.T) {
	srv := indextest.New(t, locktest.Wheels())
	rep := buildLayer(t, srv, LayerPlan{Name: "demo", Requirements: []string{filepath.Join(locktest.Dir(), "uv/uv.lock"), "requirements.txt"}, Targets: lockTargets(t)[:1]})
	if e := rep.Layers[0].Error; e == nil || !strings.Contains(e.Message, "only input") {
		t.Errorf("error %v", e)
	}
}

// A pyproject.toml's requires-python (or Poetry's python) excluding the target refuses that target
// at its line, naming the runtimes that fit, as a lock's does; the others build. lock refuses it too.
func TestPyprojectRequiresPython(t *testing.T) {
	srv := indextest.New(t, locktest.Wheels())
	dir := t.TempDir()
	for _, c := range []struct{ name, text, line string }{
		{"pep621", "[project]\nname = \"app\"\nversion = \"1\"\nrequires-python = \">=3.12\"\ndependencies = [\"alpha\"]\n", "pyproject.toml:4"},
		{"poetry", "[tool.poetry]\nname = \"app\"\n\n[tool.poetry.dependencies]\npython = \"^3.12\"\nalpha = \"*\"\n", "pyproject.toml:5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(dir, c.name, "pyproject.toml")
			os.MkdirAll(filepath.Dir(f), 0o755)
			if err := os.WriteFile(f, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			rep := buildLayer(t, srv, LayerPlan{Name: "app", Requirements: []string{f}, Targets: lockTargets(t)}) // python3.11 x86_64, python3.13 arm64
			if e := rep.Layers[0].Error; e == nil || !strings.Contains(e.Message, "excludes python3.11") || !strings.Contains(e.Message, "runtimes that satisfy it: python3.12, python3.13, python3.14") ||
				!strings.HasSuffix(e.File, "pyproject.toml") || e.Line == 0 {
				t.Errorf("python3.11: %+v", e)
			}
			if e := rep.Layers[1].Error; e != nil {
				t.Errorf("python3.13: %v", e.Message)
			}
			set, err := ReadRequirements(LayerPlan{Requirements: []string{f}}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewLocker(Env{HTTPClient: &http.Client{Transport: locktest.Redirect(srv.URL, nil)}, Getenv: func(string) string { return "" }},
				Plan{IndexURL: srv.URL, CacheDir: t.TempDir()}, set)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Resolve(context.Background(), lockTargets(t)[0]); err == nil || !strings.Contains(err.Error(), c.line+": the project's requires-python") {
				t.Errorf("lock for python3.11: %v", err)
			}
		})
	}
}

package pyproject

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/lockfile/locktest"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

func parseFile(t *testing.T, path string, opts Options) []requirements.Requirement {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := Parse(path, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

func strs(reqs []requirements.Requirement) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.String())
	}
	return out
}

func TestPEP621(t *testing.T) {
	path := filepath.Join("testdata", "pyproject.toml")
	got := strs(parseFile(t, path, Options{}))
	want := []string{"alpha>=1", `beta; python_version < "3.12"`, `gamma==3.*; platform_machine == "aarch64"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("main:\n%s", strings.Join(got, "\n"))
	}
	reqs := parseFile(t, path, Options{Extras: []string{"all"}, Groups: []string{"dev"}})
	got = strs(reqs)
	want = append(want, "epsilon", "devtool>=0.1", "lintkit")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("all+dev:\n%s", strings.Join(got, "\n"))
	}
	lines := map[string]int{}
	for _, r := range reqs {
		lines[r.Key()] = r.Line
	}
	if lines["alpha"] != 10 || lines["epsilon"] != 16 || lines["devtool"] != 21 || lines["lintkit"] != 24 {
		t.Errorf("lines %v", lines)
	}
}

func TestPoetry(t *testing.T) {
	got := strs(parseFile(t, filepath.Join("testdata", "poetry", "pyproject.toml"), Options{Extras: []string{"fast"}, Groups: []string{"dev"}}))
	want := []string{
		"alpha<2.0,>=1.0",
		`beta<3,>=2; python_full_version < "3.12"`,
		`gamma==3.*; platform_machine == "aarch64"`,
		"epsilon>=1",
		"devtool>=0.1",
		"lintkit",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = strs(parseFile(t, filepath.Join("testdata", "poetry", "pyproject.toml"), Options{}))
	if len(got) != 3 {
		t.Errorf("without extras and groups: %v", got)
	}
}

// The pyproject with extras and groups resolves to the same name==version set as the equivalent
// requirements file, for both targets.
func TestResolvesLikeRequirements(t *testing.T) {
	srv := indextest.New(t, locktest.Wheels())
	c, err := index.New([]string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	set, err := requirements.Parse([]string{filepath.Join("testdata", "requirements.txt")}, requirements.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]Options{
		"testdata/pyproject.toml":        {Extras: []string{"all"}, Groups: []string{"dev"}},
		"testdata/poetry/pyproject.toml": {Extras: []string{"fast"}, Groups: []string{"dev"}},
	}
	for _, rt := range [][2]string{{"python3.11", "x86_64"}, {"python3.13", "arm64"}} {
		tt, _ := target.Parse(rt[0], rt[1])
		want := resolveSet(t, c, set.Requirements, tt)
		for path, opts := range cases {
			got := resolveSet(t, c, parseFile(t, path, opts), tt)
			if got != want {
				t.Errorf("%s on %s:\n got %s\nwant %s", path, tt, got, want)
			}
		}
		t.Logf("%s: %s", tt, want)
	}
}

func resolveSet(t *testing.T, c *index.Client, reqs []requirements.Requirement, tt target.Target) string {
	t.Helper()
	rr := make([]resolve.Requirement, len(reqs))
	for i, r := range reqs {
		rr[i] = resolve.Requirement{Requirement: r.Requirement, Origin: r.File}
	}
	res, err := resolve.Resolve(context.Background(), c, rr, resolve.Options{Target: tt})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range res.Packages {
		out = append(out, p.Name+"=="+p.Version.String())
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"[project]\nname = \"x\"\ndynamic = [\"dependencies\"]\n", "pyproject.toml:1: the dependencies are dynamic"},
		{"[project]\nname = \"x\"\ndependencies = [\n  \"ok\",\n  \"bad >= (\",\n]\n", "pyproject.toml:5"},
		{"[project]\nname = \"x\"\ndependencies = [\"lib\"]\n[tool.uv.sources]\nlib = { git = \"https://example.test/lib\" }\n", "pyproject.toml:3: lib: a git source"},
		{"[tool.poetry.dependencies]\npython = \"^3.11\"\nlib = { git = \"https://example.test/lib\" }\n", "pyproject.toml:3: lib: a git dependency"},
		{"[tool.poetry.dependencies]\nlib = \"^1 || ^2\"\n", "pyproject.toml:2: lib: \"^1 || ^2\": a union"},
		{"[project]\nname = \"x\"\ndependencies = []\n[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"a\"}]\n", "includes itself"},
		{"[project]\nname = \"x\"\ndependencies = []\n", "no dependency group \"dev\""},
		{"[project\n", "pyproject.toml:1: not valid TOML"},
	}
	for _, c := range cases {
		_, err := Parse("pyproject.toml", []byte(c.text), Options{Groups: groupsFor(c.want)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
}

func groupsFor(want string) []string {
	if strings.Contains(want, "includes itself") {
		return []string{"a"}
	}
	if strings.Contains(want, "dev") {
		return []string{"dev"}
	}
	return nil
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/pyproject.toml", "testdata/poetry/pyproject.toml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse("pyproject.toml", data, Options{Extras: []string{"all", "fast"}, Groups: []string{"dev"}})
	})
}

// An extra or group the file does not declare names the ones it does, or says there are none.
func TestUnknownNamesHint(t *testing.T) {
	for _, c := range []struct {
		text string
		opts Options
		want string
	}{
		{"[project]\nname = \"x\"\ndependencies = []\n[project.optional-dependencies]\nfast = [\"a\"]\n", Options{Extras: []string{"slow"}},
			"no extra \"slow\" in [project.optional-dependencies]\n  hint: extras declared: fast"},
		{"[project]\nname = \"x\"\ndependencies = []\n", Options{Extras: []string{"slow"}},
			"no extra \"slow\" in [project.optional-dependencies]\n  hint: the file declares no extras"},
		{"[project]\nname = \"x\"\ndependencies = []\n", Options{Groups: []string{"dev"}},
			"no dependency group \"dev\"\n  hint: the file declares no dependency groups"},
	} {
		_, err := Parse("pyproject.toml", []byte(c.text), c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opts, err, c.want)
		}
	}
}

func TestRequiresPython(t *testing.T) {
	for _, c := range []struct {
		text, spec string
		line       int
	}{
		{"[project]\nname = \"x\"\nrequires-python = \">=3.11\"\n", ">=3.11", 3},
		{"[tool.poetry.dependencies]\npython = \"^3.11\"\n", ">=3.11,<4.0", 2},
		{"[tool.poetry.dependencies]\npython = \"~3.12\"\n", ">=3.12,<3.13", 2},
		{"[project]\nname = \"x\"\n", "", 0},
		{"[project\n", "", 0},
	} {
		spec, line := RequiresPython([]byte(c.text))
		if spec != c.spec || line != c.line {
			t.Errorf("%q: %q at %d, want %q at %d", c.text, spec, line, c.spec, c.line)
		}
	}
}

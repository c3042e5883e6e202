package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lambda-layers/lambda-layers/internal/target"
)

var update = flag.Bool("update", false, "rewrite the golden .out files of testdata/action/config/invalid")

const testdata = "../../testdata/action/config"

func TestParseValid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata, "valid", "*.yml"))
	if len(files) < 3 {
		t.Fatalf("found %d example files", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(f, data); err != nil {
			t.Errorf("%s:\n%v", f, err)
		}
	}
	c, err := Parse("docs/action.md", docsExample(t))
	if err != nil {
		t.Fatalf("the example in docs/action.md:\n%v", err)
	}
	if len(c.Layers) != 3 || c.Layers[1].Runtimes[1] != "python3.13" || c.Layers[2].Extras[0] != "postgres" || c.AWS.Permissions[0].Principal != "123456789012" {
		t.Errorf("docs example = %+v", c)
	}
}

// docsExample is the config example of docs/action.md: the ```yaml block that starts with
// "# lambda-layers.yml".
func docsExample(t *testing.T) []byte {
	t.Helper()
	doc, err := os.ReadFile("../../docs/action.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(# lambda-layers.yml.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/action.md has no ```yaml block starting with # lambda-layers.yml")
	}
	return m[1]
}

func TestParseValues(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(testdata, "valid", "anchors.yml"))
	c, err := Parse("anchors.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Layers[0].Budget; got != (Budget{40 << 20, 120 << 20}) {
		t.Errorf("budget through an anchor = %+v", got)
	}
	if got := c.Layers[1].Budget; got != (Budget{52428800, 3 << 29}) {
		t.Errorf("ml budget = %+v", got)
	}
	if got := c.Layers[1].Architectures; !reflect.DeepEqual(got, []string{"x86_64"}) {
		t.Errorf("default architectures = %v", got)
	}
	if c.Functions["orders-api"].ReserveBytes != 20<<20 {
		t.Errorf("functions = %+v", c.Functions)
	}
	if _, ok := c.Functions["arn:aws:lambda:us-east-1:123456789012:function:billing"]; !ok {
		t.Errorf("a function with no settings is still listed: %+v", c.Functions)
	}
	want := AWS{Regions: []string{"us-east-1", "eu-west-1"}, S3Bucket: "acme-layer-artifacts", License: "MIT", Configured: true,
		Permissions: []Permission{{Principal: "123456789012"}, {Principal: "*", OrganizationID: "o-a1b2c3d4e5"}}}
	if !reflect.DeepEqual(c.AWS, want) {
		t.Errorf("aws = %+v, want %+v", c.AWS, want)
	}
	if fl := c.FunctionLayers(); !reflect.DeepEqual(fl["orders-api"], []string{"ml"}) {
		t.Errorf("function layers = %v", fl)
	}

	data, _ = os.ReadFile(filepath.Join(testdata, "valid", "defaults-and-extensions.yml"))
	c, err = Parse("d.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	data0 := c.Layer("data")
	if !reflect.DeepEqual(data0.Runtimes, []string{"python3.12", "python3.13"}) || !reflect.DeepEqual(data0.Architectures, []string{"x86_64", "arm64"}) {
		t.Errorf("layer defaults from the top: %+v", data0)
	}
	web := c.Layer("web")
	if !reflect.DeepEqual(web.Architectures, []string{"arm64"}) {
		t.Errorf("aarch64 should read as arm64: %v", web.Architectures)
	}
	tg, _ := target.Parse("python3.13", "arm64")
	if got := web.PublishedName(tg); got != "acme_web_py313_arm64" {
		t.Errorf("published name = %q", got)
	}
	if got := data0.PublishedName(tg); got != "data-py313-arm64" {
		t.Errorf("default published name = %q", got)
	}
	if !reflect.DeepEqual(c.Report, Report{FailOn: "exceeded", WarnRatio: 0.9}) {
		t.Errorf("report = %+v", c.Report)
	}
	if data0.Line != 7 || web.Line != 10 {
		t.Errorf("layer lines = %d, %d; want 7, 10", data0.Line, web.Line)
	}
}

// TestParseInvalid compares every problem found (message and file:line) with the golden .out file.
func TestParseInvalid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata, "invalid", "*.yml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		_, err := Parse(filepath.Base(f), data)
		var es Errors
		if !errors.As(err, &es) {
			t.Errorf("%s: got %v, want Errors", f, err)
			continue
		}
		for _, e := range es {
			if e.Line == 0 {
				t.Errorf("%s: %q has no line", f, e)
			}
		}
		got := err.Error() + "\n"
		golden := strings.TrimSuffix(f, ".yml") + ".out"
		if *update {
			os.WriteFile(golden, []byte(got), 0o644)
			continue
		}
		want, _ := os.ReadFile(golden)
		if got != string(want) {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s(run go test ./internal/config -update to accept)", f, got, want)
		}
	}
}

func TestEmptyAndNonMapping(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "- a\n- b\n", "layers: {name: x}\n"} {
		if _, err := Parse("f.yml", []byte(src)); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
}

func TestSize(t *testing.T) {
	for in, want := range map[string]int64{"40MB": 40 << 20, "40 MiB": 40 << 20, "512KB": 512 << 10, "1.5GB": 3 << 29, "1000": 1000, "7B": 7} {
		if got, err := Size(in); err != nil || got != want {
			t.Errorf("Size(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "40 megabytes", "-1MB", "1e9"} {
		if _, err := Size(in); err == nil {
			t.Errorf("Size(%q): no error", in)
		}
	}
}

func repo(files ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(files); i += 2 {
		m[files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
	}
	return m
}

func TestLoadGlob(t *testing.T) {
	fsys := repo(
		"layers/data/requirements.txt", "six\n",
		"layers/web/requirements.txt", "six\n",
		"services/api/deep/requirements.txt", "six\n",
		"requirements.txt", "six\n",
		".venv/lib/requirements.txt", "six\n",
	)
	c, err := Load(fsys, Inputs{Requirements: []string{"layers/*/requirements.txt"}, Runtimes: []string{"python3.12"}, Architectures: []string{"amd64", "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 2 || c.Layers[0].Name != "data" || c.Layers[1].Name != "web" {
		t.Fatalf("layers = %+v", c.Layers)
	}
	if !reflect.DeepEqual(c.Layers[0].Architectures, []string{"x86_64", "arm64"}) || c.Report.FailOn != DefaultFailOn {
		t.Errorf("layer = %+v, report = %+v", c.Layers[0], c.Report)
	}

	c, err = Load(fsys, Inputs{Requirements: []string{"**/requirements.txt"}, Runtimes: []string{"python3.12"}, RepoName: "shop", Layers: []string{"deep", "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range c.Layers {
		names = append(names, l.Name+"="+l.Requirements[0])
	}
	if want := []string{"deep=services/api/deep/requirements.txt", "shop=requirements.txt"}; !reflect.DeepEqual(names, want) {
		t.Errorf("** glob with a layer filter = %v, want %v (and .venv is not searched)", names, want)
	}

	for _, tc := range []struct {
		in   Inputs
		want string
	}{
		{Inputs{}, "input requirements: no config file"},
		{Inputs{Requirements: []string{"layers/*/requirements.txt"}}, "input runtimes: required"},
		{Inputs{Requirements: []string{"nope/*.txt"}, Runtimes: []string{"python3.12"}}, "matches no file"},
		{Inputs{Requirements: []string{"a/*.txt b/*.txt"}, Runtimes: []string{"python3.12"}}, "matches no file: separate several globs with commas or newlines, not spaces"},
		{Inputs{Requirements: []string{"**/requirements.txt", "layers/data/requirements.txt"}, Runtimes: []string{"python3.12"}, Layers: []string{"x"}}, `no layer "x"`},
		{Inputs{Requirements: []string{"../x.txt"}, Runtimes: []string{"python3.12"}}, "outside the repository"},
		{Inputs{Requirements: []string{"layers/*/requirements.txt"}, Runtimes: []string{"python2.7"}}, "input runtimes: unknown runtime"},
		{Inputs{Requirements: []string{"layers/*/requirements.txt"}, Runtimes: []string{"python3.12"}, FailOn: "always"}, "input fail-on:"},
		{Inputs{Requirements: []string{"layers/*/requirements.txt"}, Runtimes: []string{"python3.12"}, AWSRegion: "mars-1"}, "input aws-region:"},
		{Inputs{Config: "missing.yml"}, "input config: missing.yml does not exist"},
	} {
		_, err := Load(fsys, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%+v) = %v, want %q", tc.in, err, tc.want)
		}
	}
	fsys["a/x/requirements.txt"] = &fstest.MapFile{Data: []byte("six\n")}
	fsys["b/x/requirements.txt"] = &fstest.MapFile{Data: []byte("six\n")}
	if _, err := Load(fsys, Inputs{Requirements: []string{"*/x/requirements.txt"}, Runtimes: []string{"python3.12"}}); err == nil || !strings.Contains(err.Error(), `both be layer "x"`) {
		t.Errorf("two folders of one name: %v", err)
	}
}

func TestLoadConfigFile(t *testing.T) {
	cfg := `layers:
  - name: data
    requirements: [layers/data/requirements.txt]
    runtimes: [python3.12, python3.13]
    architectures: [x86_64, arm64]
  - name: web
    requirements: [layers/web/requirements.txt]
    runtimes: [python3.12]
report: {fail-on: budget}
aws: {regions: [us-east-1]}
`
	fsys := repo(".github/lambda-layers.yml", cfg, "layers/data/requirements.txt", "six\n")
	_, err := Load(fsys, Inputs{})
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].File != ".github/lambda-layers.yml" || es[0].Line != 6 || !strings.Contains(es[0].Message, "layers/web/requirements.txt does not exist") {
		t.Fatalf("a missing requirements file: %v", err)
	}
	fsys["layers/web/requirements.txt"] = &fstest.MapFile{Data: []byte("six\n")}
	c, err := Load(fsys, Inputs{IndexURL: "https://idx/simple/", FailOn: "never", AWSRegion: "eu-west-1, eu-central-1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.File != ".github/lambda-layers.yml" || c.IndexURL != "https://idx/simple/" || c.Report.FailOn != "never" || !reflect.DeepEqual(c.AWS.Regions, []string{"eu-west-1", "eu-central-1"}) {
		t.Errorf("inputs override the file: %+v", c)
	}

	// A matrix leg: one layer, one runtime, one arch.
	c, err = Load(fsys, Inputs{Layers: []string{"data"}, Runtimes: []string{"python3.13"}, Architectures: []string{"arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 1 || !reflect.DeepEqual(c.Layers[0].Runtimes, []string{"python3.13"}) || !reflect.DeepEqual(c.Layers[0].Architectures, []string{"arm64"}) || !c.Layers[0].Narrowed {
		t.Errorf("narrowed = %+v", c.Layers)
	}
	// Narrowing leaves out layers not configured for the target, and says so.
	c, err = Load(fsys, Inputs{Runtimes: []string{"python3.13"}})
	if err != nil || len(c.Layers) != 1 || len(c.Notes) != 1 || c.Layers[0].Narrowed {
		t.Errorf("narrowed to python3.13: %+v, %v", c, err)
	}
	if _, err := Load(fsys, Inputs{Layers: []string{"web"}, Runtimes: []string{"python3.13"}}); err == nil {
		t.Error("no layer left: want an error")
	}
	if _, err := Load(fsys, Inputs{Requirements: []string{"x.txt"}}); err == nil || !strings.Contains(err.Error(), "drop the requirements input") {
		t.Errorf("config file and requirements input: %v", err)
	}
	fsys["custom/ll.yml"] = &fstest.MapFile{Data: []byte("layers: [{name: only, requirements: layers/data/requirements.txt, runtimes: python3.12}]\n")}
	c, err = Load(fsys, Inputs{Config: "./custom/ll.yml"})
	if err != nil || c.Layers[0].Name != "only" {
		t.Errorf("config input: %+v, %v", c, err)
	}
}

func TestDistance(t *testing.T) {
	if s := suggest("requirments", layerKeys); s != "requirements" {
		t.Errorf("suggest = %q", s)
	}
	if s := suggest("zzz", layerKeys); s != "" {
		t.Errorf("suggest = %q, want none", s)
	}
}

func TestParseOCI(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(testdata, "valid", "oci.yml"))
	c, err := Parse("oci.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Layer("api").OCI.Repository != "ghcr.io/acme/layers" || c.Layer("ml").OCI.Repository != "registry.example.com:5000/platform/ml-layers" {
		t.Errorf("oci = %+v, %+v", c.Layer("api").OCI, c.Layer("ml").OCI)
	}
	if !c.PushesImages() || !c.PublishesToAWS() {
		t.Errorf("oci and aws: images %v, aws %v", c.PushesImages(), c.PublishesToAWS())
	}
	only, err := Parse("f.yml", []byte("runtimes: python3.12\noci: {repository: ghcr.io/acme/layers}\nlayers: [{name: api, requirements: r.txt}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !only.PushesImages() || only.PublishesToAWS() {
		t.Errorf("oci only: images %v, aws %v", only.PushesImages(), only.PublishesToAWS())
	}
	none, _ := Parse("f.yml", []byte("runtimes: python3.12\nlayers: [{name: api, requirements: r.txt}]\n"))
	if none.PushesImages() || !none.PublishesToAWS() {
		t.Errorf("neither: images %v, aws %v", none.PushesImages(), none.PublishesToAWS())
	}
	for _, ok := range []string{"ghcr.io/acme/layers", "localhost:5000/x", "127.0.0.1:5000/a/b-c", "docker.io/acme/layers", "[::1]:5000/x"} {
		if err := CheckRepository(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "layers", "acme/layers", "ghcr.io", "ghcr.io/", "ghcr.io/a//b", "ghcr.io/a/b@sha256:00", "ghcr.io/a/b:v1", "ghcr.io/a/-b"} {
		if err := CheckRepository(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseSlim(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(testdata, "valid", "slim.yml"))
	c, err := Parse("slim.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Layers[0]
	if !reflect.DeepEqual(l.ExcludePackages, []string{"runtime-provided", "pandas-stubs"}) {
		t.Errorf("exclude-packages = %q", l.ExcludePackages)
	}
	want := []ExcludeGlob{{"**/tests/**", 8}, {"**/*.pyi", 8}, {"*.dist-info/LICENSE*", 8}}
	if !reflect.DeepEqual(l.Exclude, want) || c.Origin(l.Exclude[0].Line) != "slim.yml:8" {
		t.Errorf("exclude = %+v", l.Exclude)
	}
	if l.Layout != LayoutShared || !reflect.DeepEqual(c.Report.DenyLicenses, []string{"GPL-3.0-only", "AGPL-3.0-only"}) {
		t.Errorf("layout %q, deny %q", l.Layout, c.Report.DenyLicenses)
	}
	c, _ = Parse("min.yml", []byte("runtimes: [python3.12]\nlayers: [{name: a, requirements: r.txt}]\n"))
	if c.Layers[0].Layout != LayoutPerRuntime || c.Layers[0].ExcludePackages != nil {
		t.Errorf("defaults: %+v", c.Layers[0])
	}
}

// TestLoadEndlessConfig: a lambda-layers.yml that is a symlink to /dev/zero (a pull request can commit
// one) is refused once it passes the cap; fs.ReadFile read it until memory ran out.
func TestLoadEndlessConfig(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "lambda-layers.yml")); err != nil {
		t.Fatal(err)
	}
	_, err := Load(os.DirFS(dir), Inputs{})
	if err == nil || !strings.Contains(err.Error(), "lambda-layers.yml is larger than 16 MiB") {
		t.Fatalf("err = %v", err)
	}
}

package build

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/oracletest"
	"github.com/lambda-layers/lambda-layers/internal/sbom/sbomtest"
)

// The corpus: real wheels repacked from this machine's python3.11 packages (internal/oracletest), served
// as a file:// PEP 503 index.

func TestMain(m *testing.M) {
	code := m.Run()
	oracletest.Cleanup()
	os.Exit(code)
}

// slimRequirements is internal/run's big unpinned set (cryptography and orjson need glibc > 2.26)
// without cfn-lint: it imports boto3 (through aws-sam-translator) when imported, so with boto3 left out
// it can only import where the runtime supplies boto3, not with the layer alone (the build says so:
// "boto3 is still needed by aws-sam-translator").
var slimRequirements = []string{
	"boto3", "requests", "pydantic", "pydantic-settings", "sympy", "networkx", "PyYAML", "jsonschema",
	"Flask", "flask-cors", "regex", "wrapt", "charset-normalizer", "python-dateutil", "attrs", "rpds-py",
	"aws-xray-sdk", "docker", "responses", "libcst", "lazy-object-proxy", "graphql-core",
	"jsonpath-ng", "openapi-spec-validator", "trio", "xmltodict",
}

// TestSlimCorpusImports: a python3.11/x86_64 layer of the corpus without boto3 and botocore and without
// tests directories, unpacked, imports every top-level module under `python3.11 -I -S` with only the
// layer on sys.path; its SBOM validates and is the same bytes in a second build.
func TestSlimCorpusImports(t *testing.T) {
	py := oracletest.Python(t)
	indexURL, _ := oracletest.Corpus(t, py)
	root := t.TempDir()
	// The layer unslimmed first: its wheels in the cache let the slim build say what leaving each
	// package out saved.
	full := Build(context.Background(), Env{}, planFor(t, indexURL, filepath.Join(root, "full"), strings.Join(slimRequirements, "\n")+"\n", tgt(t, "python3.11", "x86_64")))
	if l := full.Layers[0]; l.Error == nil {
		t.Logf("the same layer unslimmed: %d packages, %d files, %d bytes zipped, %d unzipped", len(l.Packages), l.Files, l.ZippedBytes, l.UnzippedBytes)
	}
	var sboms [][]byte
	var built []string
	for _, out := range []string{"out1", "out2"} {
		p := planFor(t, indexURL, filepath.Join(root, out), strings.Join(slimRequirements, "\n")+"\n", tgt(t, "python3.11", "x86_64"))
		p.CacheDir = filepath.Join(root, "cache")
		p.Layers[0].ExcludePackages = []string{"boto3", "botocore"}
		p.Layers[0].Exclude = []layer.Rule{{Pattern: "**/tests/**", Origin: "lambda-layers.yml:6"}}
		rep := Build(context.Background(), Env{}, p)
		l := rep.Layers[0]
		if l.Error != nil {
			t.Fatalf("build: %+v", l.Error)
		}
		data, err := os.ReadFile(l.SBOM)
		if err != nil {
			t.Fatal(err)
		}
		if err := sbomtest.Validate(data); err != nil {
			t.Fatal(err)
		}
		sboms = append(sboms, data)
		built = append(built, l.Zip)
		if out != "out1" {
			continue
		}
		var dropped []string
		var wheelBytes, unzippedBytes int64
		for _, d := range l.ExcludedPackages {
			dropped = append(dropped, d.Name)
			wheelBytes += d.WheelBytes
			unzippedBytes += d.UnzippedBytes
			if d.UnzippedBytes == 0 {
				t.Errorf("%s: no size, though its wheel is in the cache", d.Name)
			}
		}
		for _, p := range l.Packages {
			if p.Name == "boto3" || p.Name == "botocore" {
				t.Errorf("%s is in the layer", p.Name)
			}
		}
		if !slices.Contains(dropped, "boto3") || !slices.Contains(dropped, "botocore") || len(l.Excluded) != 1 || l.Excluded[0].Files == 0 {
			t.Fatalf("excluded packages %v, rules %+v", dropped, l.Excluded)
		}
		t.Logf("layer: %d packages, %d files, %d bytes zipped, %d unzipped; excluded packages %v (wheels %d bytes, %d unzipped); **/tests/** removed %d files, %d bytes unzipped, %d zipped",
			len(l.Packages), l.Files, l.ZippedBytes, l.UnzippedBytes, dropped, wheelBytes, unzippedBytes, l.Excluded[0].Files, l.Excluded[0].UnzippedBytes, l.Excluded[0].ZippedBytes)
		for _, w := range l.Warnings {
			t.Logf("warning: %s", w)
		}
	}
	if string(sboms[0]) != string(sboms[1]) {
		t.Error("two builds wrote different SBOMs")
	}

	dir := filepath.Join(root, "unpacked")
	oracletest.Unzip(t, built[0], dir)
	sp := filepath.Join(dir, "python", "lib", "python3.11", "site-packages")
	mods := topLevel(t, sp)
	if len(mods) < 40 {
		t.Fatalf("only %d top-level modules: %v", len(mods), mods)
	}
	if bad, _ := oracletest.Imports(t, py, sp, mods); len(bad) > 0 {
		t.Fatalf("imports failed under python3.11 -I -S: %v", bad)
	}
	t.Logf("%d top-level modules import: %s", len(mods), strings.Join(mods, " "))
}

// topLevel lists the importable top-level names of a site-packages folder: packages (folders with
// Python files) and modules (.py and extension files), not .dist-info or private build helpers.
func topLevel(t *testing.T, sp string) []string {
	t.Helper()
	entries, err := os.ReadDir(sp)
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasSuffix(n, ".dist-info") || strings.HasSuffix(n, ".pth"):
		case e.IsDir():
			if _, err := os.Stat(filepath.Join(sp, n, "__init__.py")); err == nil {
				mods = append(mods, n)
			}
		case strings.HasSuffix(n, ".py"):
			mods = append(mods, strings.TrimSuffix(n, ".py"))
		case strings.HasSuffix(n, ".so"):
			mods = append(mods, strings.SplitN(n, ".", 2)[0])
		}
	}
	slices.Sort(mods)
	return slices.Compact(mods)
}

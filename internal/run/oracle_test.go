package run

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/oracletest"
)

// The corpus: real wheels rebuilt from this machine's python3.11 packages (pinned in
// testdata/corpus/requirements.txt) by internal/oracletest, served as a PEP 503 index with PEP 658
// metadata. pip (python3.11) is the oracle for python3.11 x86_64.

// diffRequirements is the big unpinned set: ~60 wheels, ~160 MB unpacked once resolved. cryptography
// and orjson are left out: their only wheels need glibc > 2.26, so neither pip nor we install them on python3.11.
var diffRequirements = []string{
	"boto3", "requests", "pydantic", "pydantic-settings", "sympy", "networkx", "PyYAML", "jsonschema",
	"Flask", "flask-cors", "regex", "wrapt", "charset-normalizer", "python-dateutil", "attrs", "rpds-py",
	"aws-xray-sdk", "docker", "responses", "cfn-lint", "libcst", "lazy-object-proxy", "graphql-core",
	"jsonpath-ng", "openapi-spec-validator", "trio", "xmltodict",
}

func TestMain(m *testing.M) {
	code := m.Run()
	oracletest.Cleanup()
	removeBuilt()
	os.Exit(code)
}

// needOracle returns python3.11 with pip, skipping when absent — or failing when CI requires it.
func needOracle(t testing.TB) string { return oracletest.Python(t) }

// corpus builds the corpus index once per test binary and returns its file:// simple URL and files dir.
func corpus(t testing.TB, py string) (indexURL, files string) { return oracletest.Corpus(t, py) }

// manylinuxUpTo lists every manylinux platform tag for glibc 2.minor down to 2.5 on x86_64: pip takes
// --platform literally, so each must be passed.
func manylinuxUpTo(minor int) []string {
	var out []string
	for n := minor; n >= 5; n-- {
		out = append(out, fmt.Sprintf("manylinux_2_%d_x86_64", n))
	}
	return append(out, "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64")
}

// pipInstall runs pip for python3.11 on Lambda's glibc 2.26 into a fresh target dir.
func pipInstall(t testing.TB, py, indexURL, reqFile, dir string) {
	t.Helper()
	args := []string{"-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "--no-cache-dir",
		"--target", dir, "--index-url", indexURL, "--only-binary=:all:",
		"--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "-r", reqFile}
	for _, p := range manylinuxUpTo(26) {
		args = append(args, "--platform", p)
	}
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(), "PIP_ROOT_USER_ACTION=ignore", "PIP_NO_INPUT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}
}

var installerOnly = regexp.MustCompile(`\.dist-info/(INSTALLER|REQUESTED|RECORD|direct_url\.json)$`)

// comparable says whether a site-packages path takes part in the byte comparison: installer
// bookkeeping differs by design (pip writes INSTALLER and rewrites RECORD).
func comparable(rel string) bool {
	return !installerOnly.MatchString(rel) && !strings.Contains(rel, "__pycache__/")
}

func writeReqs(t testing.TB, dir string, lines []string) string {
	t.Helper()
	p := filepath.Join(dir, "corpus", "requirements.txt")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDifferentialPip(t *testing.T) {
	py := needOracle(t)
	indexURL, _ := corpus(t, py)
	dir := t.TempDir()
	req := writeReqs(t, dir, diffRequirements)
	r := runMain(t, nil, "build", "-r", req, "--runtime", "python3.11", "--arch", "x86_64", "--index-url", indexURL,
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	mustOK(t, r)
	pipDir := filepath.Join(dir, "pip")
	pipInstall(t, py, indexURL, req, pipDir)

	// Same name==version set.
	var ours, theirs []string
	for _, p := range r.report.Layers[0].Packages {
		ours = append(ours, p.Name+"=="+p.Version)
	}
	metas, _ := filepath.Glob(filepath.Join(pipDir, "*.dist-info", "METADATA"))
	for _, m := range metas {
		b, _ := os.ReadFile(m)
		name, version := header(b, "Name"), header(b, "Version")
		theirs = append(theirs, normalize(name)+"=="+version)
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) {
		t.Errorf("resolutions differ\n ours only: %v\n pip only:  %v", minus(ours, theirs), minus(theirs, ours))
	}

	// Byte-identical file contents in site-packages.
	prefix := "python/lib/python3.11/site-packages/"
	zr, err := zip.OpenReader(r.report.Layers[0].Zip)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	inZip := map[string]*zip.File{}
	for _, f := range zr.File {
		rel, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			t.Errorf("zip entry outside site-packages: %s", f.Name)
			continue
		}
		if comparable(rel) {
			inZip[rel] = f
		}
	}
	seen := 0
	filepath.WalkDir(pipDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(pipDir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "bin/") || !comparable(rel) {
			return nil // scripts go to bin/ with pip; a layer has no use for them
		}
		seen++
		f := inZip[rel]
		if f == nil {
			t.Errorf("pip installed %s, the layer lacks it", rel)
			return nil
		}
		delete(inZip, rel)
		want, _ := os.ReadFile(p)
		rc, err := f.Open()
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from pip's (%d vs %d bytes, err %v)", rel, len(got), len(want), err)
		}
		return nil
	})
	for rel := range inZip {
		t.Errorf("the layer has %s, pip did not install it", rel)
	}
	t.Logf("compared %d packages and %d files with pip", len(ours), seen)
}

// TestDifferentialPipGlibcTrap: on python3.11 (glibc 2.26) neither pip nor we may take a wheel that needs 2.28/2.34.
func TestDifferentialPipGlibcTrap(t *testing.T) {
	py := needOracle(t)
	indexURL, _ := corpus(t, py)
	dir := t.TempDir()
	req := writeReqs(t, dir, []string{"orjson"})
	r := runMain(t, nil, "build", "-r", req, "--runtime", "python3.11", "--index-url", indexURL,
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	if r.code != exitcode.Failed || !strings.Contains(r.stdout, "no wheel for python3.11 on x86_64 (glibc ≤ 2.26); files offer manylinux_2_28_x86_64") {
		t.Errorf("exit %d, want a failure naming manylinux_2_28:\n%s", r.code, r.stdout)
	}
	args := []string{"-m", "pip", "download", "--quiet", "--no-deps", "-d", filepath.Join(dir, "pip"), "--index-url", indexURL,
		"--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "orjson"}
	for _, p := range manylinuxUpTo(26) {
		args = append(args, "--platform", p)
	}
	if out, err := exec.Command(py, args...).CombinedOutput(); err == nil {
		t.Errorf("pip found a wheel for orjson where we did not:\n%s", out)
	}
	// On python3.12 (glibc 2.34) it builds.
	r = runMain(t, nil, "build", "-r", req, "--runtime", "python3.12", "--index-url", indexURL,
		"--out", filepath.Join(dir, "dist312"), "--cache-dir", filepath.Join(dir, "cache"))
	if r.code != exitcode.Failed || !strings.Contains(r.stdout, "no wheel for python3.12") {
		// orjson's corpus wheel is cp311-only, so 3.12 must fail too — for the Python tag, not glibc.
		t.Errorf("python3.12: exit %d:\n%s", r.code, r.stdout)
	}
}

// TestImportLayer unpacks the python3.11 layer and imports every top-level module with only the layer
// (and the standard library) on sys.path.
func TestImportLayer(t *testing.T) {
	py := needOracle(t)
	indexURL, _ := corpus(t, py)
	dir := t.TempDir()
	req := writeReqs(t, dir, diffRequirements)
	r := runMain(t, nil, "build", "-r", req, "--runtime", "python3.11", "--index-url", indexURL,
		"--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	mustOK(t, r)
	opt := filepath.Join(dir, "opt")
	oracletest.Unzip(t, r.report.Layers[0].Zip, opt)
	sp := filepath.Join(opt, "python", "lib", "python3.11", "site-packages")
	entries, err := os.ReadDir(sp)
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasSuffix(n, ".dist-info") || strings.HasSuffix(n, ".data") || strings.HasPrefix(n, "_") && !e.IsDir() && !strings.HasSuffix(n, ".py"):
		case e.IsDir():
			if !strings.Contains(n, ".") && !strings.Contains(n, "-") {
				mods = append(mods, n)
			}
		case strings.HasSuffix(n, ".py"):
			mods = append(mods, strings.TrimSuffix(n, ".py"))
		case strings.HasSuffix(n, ".so"):
			mods = append(mods, n[:strings.IndexByte(n, '.')])
		}
	}
	if len(mods) < 40 {
		t.Fatalf("only %d top-level modules found: %v", len(mods), mods)
	}
	if bad, stray := oracletest.Imports(t, py, sp, mods); len(bad) > 0 || len(stray) > 0 {
		t.Errorf("imports failed: %v; modules from outside the layer: %v", bad, stray)
	}
	t.Logf("imported %d top-level modules from the layer", len(mods))
}

func header(b []byte, key string) string {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			return strings.TrimSpace(v)
		}
		if line == "" {
			break
		}
	}
	return ""
}

var sepRE = regexp.MustCompile(`[-_.]+`)

func normalize(name string) string { return strings.ToLower(sepRE.ReplaceAllString(name, "-")) }

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

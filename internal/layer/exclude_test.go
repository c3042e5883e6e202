package layer

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

var (
	slimA = wheeltest.Spec{Name: "alpha", Version: "1.0", Files: []wheeltest.File{
		{Name: "alpha/__init__.py", Data: []byte("x = 1\n")},
		{Name: "alpha/tests/__init__.py", Data: []byte("")},
		{Name: "alpha/tests/test_alpha.py", Data: bytes.Repeat([]byte("def test(): pass\n"), 50)},
		{Name: "alpha/__init__.pyi", Data: []byte("x: int\n")},
		{Name: "alpha-1.0.data/purelib/alpha_extra/tests/test_moved.py", Data: []byte("moved = True\n")},
		{Name: "alpha-1.0.dist-info/LICENSE", Data: []byte("MIT\n")},
	}}
	slimB = wheeltest.Spec{Name: "beta", Version: "2.0", Files: []wheeltest.File{
		{Name: "beta/__init__.py", Data: []byte("")},
		{Name: "beta/core.pyi", Data: []byte("def f() -> int: ...\n")},
		{Name: "beta/README.md", Data: bytes.Repeat([]byte("# beta\n"), 20)},
	}, ExtraMetadata: ""}
)

func writeOpts(t *testing.T, opts Options, specs ...wheeltest.Spec) ([]byte, Result, error) {
	t.Helper()
	var ins []Input
	for _, s := range specs {
		ins = append(ins, build(t, s))
	}
	var buf bytes.Buffer
	res, err := Write(&buf, ins, opts)
	return buf.Bytes(), res, err
}

func TestExcludeSavings(t *testing.T) {
	t.Parallel()
	full, fullRes, err := writeOpts(t, Options{Prefix: prefix}, slimA, slimB)
	if err != nil {
		t.Fatal(err)
	}
	rules := []Rule{
		{Pattern: "**/tests/**", Origin: "lambda-layers.yml:7"},
		{Pattern: "**/*.pyi", Origin: "lambda-layers.yml:8"},
		{Pattern: "**/*.md", Origin: "lambda-layers.yml:9"},
		{Pattern: "**/*.rst", Origin: "lambda-layers.yml:10"},
	}
	slim, res, err := writeOpts(t, Options{Prefix: prefix, Exclude: rules}, slimA, slimB)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := contents(t, slim)
	for name := range files {
		rel := strings.TrimPrefix(name, prefix)
		if strings.Contains(rel, "/tests/") || strings.HasSuffix(rel, ".pyi") || strings.HasSuffix(rel, ".md") {
			t.Errorf("%s was not excluded", name)
		}
	}
	for _, keep := range []string{"alpha/__init__.py", "alpha-1.0.dist-info/LICENSE", "beta/__init__.py", "beta-2.0.dist-info/METADATA"} {
		if _, ok := files[prefix+keep]; !ok {
			t.Errorf("%s is missing", keep)
		}
	}
	// RECORD lists exactly the files installed from each wheel.
	for _, di := range []string{"alpha-1.0.dist-info", "beta-2.0.dist-info"} {
		rec := files[prefix+di+"/RECORD"]
		var listed []string
		for _, line := range strings.Split(strings.TrimSpace(rec), "\n") {
			p := strings.SplitN(line, ",", 2)[0]
			listed = append(listed, p)
			if _, ok := files[prefix+p]; !ok {
				t.Errorf("%s/RECORD lists %s, which is not in the layer", di, p)
			}
		}
		for name := range files {
			if rel := strings.TrimPrefix(name, prefix); strings.HasPrefix(rel, strings.SplitN(di, "-", 2)[0]) && !contains(listed, rel) {
				t.Errorf("%s is in the layer but not in %s/RECORD", rel, di)
			}
		}
	}

	want := map[string]struct {
		files int
		pkgs  string
	}{
		"**/tests/**": {3, "alpha"},
		"**/*.pyi":    {2, "alpha,beta"},
		"**/*.md":     {1, "beta"},
		"**/*.rst":    {0, ""},
	}
	fullFiles, _ := contents(t, full)
	var savedUnzipped, savedZipped int64
	for _, s := range res.Excluded {
		w := want[s.Pattern]
		var names []string
		var pkgFiles int
		var pkgBytes int64
		for _, p := range s.Packages {
			names = append(names, p.Name)
			pkgFiles += p.Files
			pkgBytes += p.UnzippedBytes
		}
		if s.Files != w.files || strings.Join(names, ",") != w.pkgs || pkgFiles != s.Files || pkgBytes != s.UnzippedBytes {
			t.Errorf("rule %s: %+v, want %d files from %s", s.Pattern, s, w.files, w.pkgs)
		}
		savedUnzipped += s.UnzippedBytes
		savedZipped += s.ZippedBytes
	}
	if res.Excluded[0].UnzippedBytes != int64(len(fullFiles[prefix+"alpha/tests/test_alpha.py"])+len("moved = True\n")) {
		t.Errorf("tests rule saved %d bytes", res.Excluded[0].UnzippedBytes)
	}
	// What the rules say they saved is what the layer lost, RECORD's rewrite aside.
	var recordDelta, recordZipDelta int64
	for _, p := range res.Packages {
		for _, fp := range fullRes.Packages {
			if fp.Name == p.Name {
				recordZipDelta += fp.ZippedBytes - p.ZippedBytes
			}
		}
	}
	for _, di := range []string{"alpha-1.0.dist-info", "beta-2.0.dist-info"} {
		recordDelta += int64(len(fullFiles[prefix+di+"/RECORD"]) - len(files[prefix+di+"/RECORD"]))
	}
	if got := fullRes.UnzippedBytes - res.UnzippedBytes; got != savedUnzipped+recordDelta {
		t.Errorf("layer lost %d unzipped bytes; rules say %d, RECORD %d", got, savedUnzipped, recordDelta)
	}
	if got := fullRes.ZippedBytes - res.ZippedBytes; got != recordZipDelta {
		t.Errorf("zip shrank by %d, packages by %d", got, recordZipDelta)
	}
	if savedZipped <= 0 || savedZipped > recordZipDelta+int64(len(full)) {
		t.Errorf("zipped saving %d", savedZipped)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `lambda-layers.yml:10: exclude "**/*.rst" matched no file`) {
		t.Errorf("warnings = %q", res.Warnings)
	}
	// Same input, same bytes.
	again, _, err := writeOpts(t, Options{Prefix: prefix, Exclude: rules}, slimA, slimB)
	if err != nil || !bytes.Equal(again, slim) {
		t.Errorf("second write differs (err %v)", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestExcludeProtected(t *testing.T) {
	t.Parallel()
	for _, pat := range []string{"**/*.dist-info/**", "**/METADATA", "*.dist-info/WHEEL", "**/top_level.txt", "**/RECORD"} {
		spec := slimA
		spec.Files = append(spec.Files[:len(spec.Files):len(spec.Files)], wheeltest.File{Name: "alpha-1.0.dist-info/top_level.txt", Data: []byte("alpha\n")})
		_, _, err := writeOpts(t, Options{Prefix: prefix, Exclude: []Rule{{Pattern: "**/*.pyi"}, {Pattern: pat, Origin: "lambda-layers.yml:12"}}}, spec)
		var pe *ProtectedError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want a ProtectedError", pat, err)
			continue
		}
		if pe.Package != "alpha" || pe.Rule.Origin != "lambda-layers.yml:12" || !strings.Contains(err.Error(), "lambda-layers.yml:12: exclude "+`"`+pat+`"`) {
			t.Errorf("%s: %v", pat, err)
		}
	}
	// Other .dist-info files may go.
	_, res, err := writeOpts(t, Options{Prefix: prefix, Exclude: []Rule{{Pattern: "*.dist-info/LICENSE"}}}, slimA)
	if err != nil || res.Excluded[0].Files != 1 {
		t.Errorf("LICENSE: err %v, %+v", err, res.Excluded)
	}
}

func TestExcludeBadPattern(t *testing.T) {
	t.Parallel()
	for _, pat := range []string{"", "[", "/abs/**"} {
		_, _, err := writeOpts(t, Options{Prefix: prefix, Exclude: []Rule{{Pattern: pat, Origin: "x.yml:3"}}}, slimB)
		if err == nil || !strings.Contains(err.Error(), "x.yml:3") {
			t.Errorf("%q: err = %v", pat, err)
		}
	}
}

package oracletest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPinnedCorpusAndCI: the corpus is pinned (every line name==version, moto with its server extra), and
// the workflow and .ci/run both use that file and run the README's go test ./... — so that a plain clone
// on GitHub has what the oracle and publish tests need.
func TestPinnedCorpusAndCI(t *testing.T) {
	t.Parallel()
	pinned, path, err := Pinned()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pinned, "moto==5.2.1") || len(pinned) < 50 {
		t.Errorf("%s pins %d packages (moto 5.2.1: %v)", path, len(pinned), slices.Contains(pinned, "moto==5.2.1"))
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), "\nmoto[server]==5.2.1\n") {
		t.Errorf("%s does not pin moto[server]==5.2.1, the AWS emulator the publish tests start", path)
	}
	// The packages the differential tests resolve must be in it.
	for _, name := range []string{"boto3", "requests", "pydantic", "cryptography", "orjson", "flask"} {
		if !slices.ContainsFunc(pinned, func(p string) bool { return strings.HasPrefix(p, name+"==") }) {
			t.Errorf("%s does not pin %s", path, name)
		}
	}
	root, _ := repoRoot()
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ci, run := read(".github/workflows/ci.yml"), read(".ci/run")
	for _, want := range []string{"pip install --disable-pip-version-check -r " + PinnedFile, "run: .ci/run", `CI: "true"`} {
		if !strings.Contains(ci, want) {
			t.Errorf("ci.yml does not say %q", want)
		}
	}
	for _, want := range []string{"-r " + PinnedFile, "go test ${GO_TEST_FLAGS:-} ./...", "LAMBDA_LAYERS_REQUIRE_ORACLE=1", "gofmt -l", "go vet ./..."} {
		if !strings.Contains(run, want) {
			t.Errorf(".ci/run does not say %q", want)
		}
	}
}

package run

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestFailureMessages pins the text of every kind of resolution failure, as the report and the terminal
// show it, in testdata/failures/*.txt (go test ./internal/run -run TestFailureMessages -update).
func TestFailureMessages(t *testing.T) {
	t.Parallel()
	x86 := "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"
	specs := []wheeltest.Spec{
		{Name: "a", Version: "1.0", Requires: []string{"c==1.0"}},
		{Name: "b", Version: "1.0", Requires: []string{"c==2.0"}},
		{Name: "c", Version: "1.0"},
		{Name: "c", Version: "2.0"},
		{Name: "old-c-user", Version: "1.0", Requires: []string{"c<2"}},
		{Name: "numpyish", Version: "2.1.0", Tag: x86},
		{Name: "numpyish", Version: "2.0.0", Tag: x86},
		{Name: "crypto", Version: "48.0.0", Tag: "cp311-abi3-manylinux_2_34_x86_64"},
		{Name: "crypto", Version: "41.0.0", Tag: "cp37-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"},
		{Name: "good", Version: "1.0"},
		{Name: "needs-dep", Version: "1.0", Requires: []string{"dep>=1"}},
		{Name: "dep", Version: "1.2"},
		{Name: "needs-sdist", Version: "1.0", Requires: []string{"sdistonly"}},
		{Name: "modern", Version: "1.0"},
		{Name: "modern", Version: "2.0", RequiresPython: ">=3.13"},
		{Name: "fastcrc", Version: "1.0", Tag: "cp312-cp312-manylinux_2_28_aarch64"},
		{Name: "fastcrc", Version: "1.0", Tag: x86},
		{Name: "gone", Version: "1.0"},
		{Name: "gone", Version: "1.1"},
	}
	srv := indextest.New(t, specs,
		indextest.ExtraFile("sdistonly", "sdistonly-1.0.tar.gz", []byte("sdist"), ""),
		indextest.Yank("gone-1.1-py3-none-any.whl", "broken build"),
		indextest.Yank("gone-1.0-py3-none-any.whl", ""))
	sha := func(s wheeltest.Spec) string { return sha256hex(wheeltest.Build(s)) }
	armCRC := specs[15]
	for _, c := range []struct {
		name, reqs, runtime, arch string
	}{
		{"conflict", "a\nb\n", "python3.12", "x86_64"},
		{"conflict-with-user-pin", "old-c-user\nc==2.0\n", "python3.12", "x86_64"},
		{"no-wheel-for-arch", "numpyish>=2\n", "python3.12", "arm64"},
		{"no-wheel-for-glibc", "crypto>=48\n", "python3.11", "x86_64"},
		{"hash-mode-missing-hash", "good==1.0 --hash=sha256:" + sha(specs[9]) + "\nneeds-dep==1.0 --hash=sha256:" + sha(specs[10]) + "\nc>=1\n", "python3.12", "x86_64"},
		{"missing-package", "good\nnosuchthing>=1\n", "python3.12", "x86_64"},
		{"sdist-only-dependency", "good\nneeds-sdist\n", "python3.12", "x86_64"},
		{"requires-python", "modern>=2\n", "python3.12", "x86_64"},
		{"yanked", "gone\n", "python3.12", "x86_64"},
		{"lock-for-another-target", "fastcrc==1.0 --hash=sha256:" + sha(armCRC) + "\n", "python3.12", "x86_64"},
		{"lock-incomplete", "needs-dep==1.0 --hash=sha256:" + sha(specs[10]) + "\n", "python3.12", "x86_64"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := buildWith(t, srv, c.reqs, c.runtime, c.arch)
			if r.code != exitcode.Failed || len(r.report.Layers) != 1 || r.report.Layers[0].Error == nil {
				t.Fatalf("exit %d, want a failure in the report:\n%s%s", r.code, r.stdout, r.stderr)
			}
			f := r.report.Layers[0].Error
			dir := filepath.Dir(r.out) + string(filepath.Separator)
			msg := strings.ReplaceAll(strings.ReplaceAll(f.Message, dir, ""), srv.URL, "INDEX/simple/")
			got := fmt.Sprintf("package: %s\nposition: %s:%d\n\n%s\n", f.Package, strings.TrimPrefix(f.File, dir), f.Line, msg)
			if !strings.Contains(r.stdout, f.Message) {
				t.Errorf("the terminal does not show the message:\n%s", r.stdout)
			}
			golden(t, filepath.Join("testdata", "failures", c.name+".txt"), got)
		})
	}
}

// golden compares got with a file under testdata, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

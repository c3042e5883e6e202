package build

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/sbom/sbomtest"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

func withTests(name string) []wheeltest.File {
	mod := strings.ReplaceAll(name, "-", "_")
	return []wheeltest.File{
		{Name: mod + "/__init__.py", Data: []byte("NAME = '" + name + "'\n")},
		{Name: mod + "/tests/__init__.py", Data: []byte("")},
		{Name: mod + "/tests/test_it.py", Data: bytes.Repeat([]byte("def test(): pass\n"), 40)},
	}
}

// awsIndex is boto3's and requests' real graph, in small wheels with licences and tests.
func awsIndex(extra ...wheeltest.Spec) []wheeltest.Spec {
	spec := func(name, ver, lic string, reqs ...string) wheeltest.Spec {
		return wheeltest.Spec{Name: name, Version: ver, Requires: reqs, Files: withTests(name), ExtraMetadata: lic}
	}
	return append([]wheeltest.Spec{
		spec("boto3", "1.35.0", "License: Apache License 2.0\n", "botocore>=1.35", "jmespath", "s3transfer"),
		spec("botocore", "1.35.0", "License: Apache License 2.0\n", "jmespath", "python-dateutil", "urllib3"),
		spec("jmespath", "1.0.1", "Classifier: License :: OSI Approved :: MIT License\n"),
		spec("python-dateutil", "2.9.0", "Classifier: License :: OSI Approved :: BSD License\nClassifier: License :: OSI Approved :: Apache Software License\n", "six"),
		spec("s3transfer", "0.10.3", "License-Expression: Apache-2.0\n", "botocore"),
		spec("six", "1.16.0", "License: MIT\n"),
		spec("urllib3", "2.2.3", "License-Expression: MIT\n"),
		spec("requests", "2.32.3", "License-Expression: Apache-2.0\n", "urllib3", "idna"),
		spec("idna", "3.10", "Classifier: License :: OSI Approved :: BSD License\n"),
	}, extra...)
}

func planFor(t *testing.T, srvURL, out string, reqs string, ts ...target.Target) Plan {
	t.Helper()
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(req, []byte(reqs), 0o644); err != nil {
		t.Fatal(err)
	}
	return Plan{IndexURL: srvURL, Out: out, CacheDir: filepath.Join(filepath.Dir(out), "cache"),
		Layers: []LayerPlan{{Name: "app", Requirements: []string{req}, Targets: ts}}}
}

func tgt(t *testing.T, runtime, arch string) target.Target {
	t.Helper()
	tg, err := target.Parse(runtime, arch)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func TestBuildSlim(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, awsIndex())
	root := t.TempDir()
	var sboms [][]byte
	for _, out := range []string{"out1", "out2"} {
		p := planFor(t, srv.URL, filepath.Join(root, out), "requests\nboto3\n", tgt(t, "python3.12", "x86_64"))
		p.Layers[0].ExcludePackages = []string{"boto3", "botocore"}
		p.Layers[0].Exclude = []layer.Rule{{Pattern: "**/tests/**", Origin: "lambda-layers.yml:9"}, {Pattern: "**/*.md", Origin: "lambda-layers.yml:10"}}
		rep := Build(context.Background(), Env{}, p)
		l := rep.Layers[0]
		if l.Error != nil {
			t.Fatalf("build failed: %+v", l.Error)
		}
		var kept, dropped []string
		for _, p := range l.Packages {
			kept = append(kept, p.Name+"="+p.License)
		}
		for _, d := range l.ExcludedPackages {
			dropped = append(dropped, d.Name+":"+d.Reason)
		}
		if got := strings.Join(kept, " "); got != "idna=LicenseRef-BSD-License requests=Apache-2.0 urllib3=MIT" {
			t.Errorf("kept %s", got)
		}
		want := "boto3:excluded botocore:excluded jmespath:only needed by excluded packages python-dateutil:only needed by excluded packages s3transfer:only needed by excluded packages six:only needed by excluded packages"
		if got := strings.Join(dropped, " "); got != want {
			t.Errorf("dropped %s", got)
		}
		if len(l.Excluded) != 2 || l.Excluded[0].Files != 6 || l.Excluded[0].Origin != "lambda-layers.yml:9" || len(l.Excluded[0].Packages) != 3 || l.Excluded[0].UnzippedBytes != 3*(40*17) {
			t.Errorf("excluded %+v", l.Excluded)
		}
		warned := strings.Join(l.Warnings, "\n")
		for _, w := range []string{`lambda-layers.yml:10: exclude "**/*.md" matched no file`, "runtime's own boto3, botocore, jmespath, python-dateutil, s3transfer, six now apply"} {
			if !strings.Contains(warned, w) {
				t.Errorf("warnings lack %q:\n%s", w, warned)
			}
		}
		for _, n := range zipNames(t, l.Zip) {
			if strings.Contains(n, "/tests/") || strings.Contains(n, "boto") {
				t.Errorf("%s is in the zip", n)
			}
		}
		if filepath.Base(l.SBOM) != "app-python3.12-x86_64.cdx.json" {
			t.Fatalf("SBOM %q", l.SBOM)
		}
		data, err := os.ReadFile(l.SBOM)
		if err != nil {
			t.Fatal(err)
		}
		if err := sbomtest.Validate(data); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`"content": "`+l.SHA256+`"`)) || !bytes.Contains(data, []byte(l.CodeSHA256)) || !bytes.Contains(data, []byte("pkg:pypi/urllib3@2.2.3")) {
			t.Errorf("the SBOM lacks the layer's hashes or urllib3:\n%s", data)
		}
		sboms = append(sboms, data)
	}
	if !bytes.Equal(sboms[0], sboms[1]) {
		t.Error("two builds wrote different SBOMs")
	}
}

func TestBuildShared(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, awsIndex(wheeltest.Spec{Name: "native", Version: "1.0", Tag: "cp312-abi3-manylinux_2_17_x86_64"}))
	root := t.TempDir()
	p := planFor(t, srv.URL, filepath.Join(root, "out"), "requests\n",
		tgt(t, "python3.11", "x86_64"), tgt(t, "python3.12", "x86_64"), tgt(t, "python3.12", "arm64"))
	p.Layers[0].Shared = true
	rep := Build(context.Background(), Env{}, p)
	if len(rep.Layers) != 2 {
		t.Fatalf("%d layers, want the shared x86_64 one and arm64's own", len(rep.Layers))
	}
	sh, arm := rep.Layers[0], rep.Layers[1]
	if sh.Error != nil || sh.Layout != "shared" || !slices.Equal(sh.Runtimes, []string{"python3.11", "python3.12"}) || filepath.Base(sh.Zip) != "app-python3-x86_64.zip" {
		t.Fatalf("shared layer: %+v", sh)
	}
	if filepath.Base(sh.SBOM) != "app-python3-x86_64.cdx.json" {
		t.Errorf("SBOM %s", sh.SBOM)
	}
	if len(sh.Warnings) > 0 { // the layout asked for is no warning (it turned the check neutral)
		t.Errorf("shared layer warns: %q", sh.Warnings)
	}
	for _, n := range zipNames(t, sh.Zip) {
		if !strings.HasPrefix(n, "python/") || strings.HasPrefix(n, "python/lib/") {
			t.Errorf("%s is not under python/ directly", n)
		}
	}
	if arm.Layout != "" || arm.Architecture != "arm64" || arm.Error != nil || !strings.HasSuffix(arm.Zip, "app-python3.12-arm64.zip") {
		t.Errorf("arm64 layer: %+v", arm)
	}

	// A wheel that is not pure Python: one zip per runtime, and a note says why.
	p = planFor(t, srv.URL, filepath.Join(root, "out2"), "requests\nnative\n", tgt(t, "python3.12", "x86_64"), tgt(t, "python3.13", "x86_64"))
	p.Layers[0].Shared = true
	rep = Build(context.Background(), Env{}, p)
	if len(rep.Layers) != 2 {
		t.Fatalf("%d layers, want 2", len(rep.Layers))
	}
	l := rep.Layers[0]
	if !strings.Contains(strings.Join(l.Warnings, "\n"), "built per runtime because native is not pure Python") {
		t.Errorf("no note: %q (error %+v)", l.Warnings, l.Error)
	}
}

// TestBuildSlimLock: a fully pinned, hashed file lists every package as the user's own; the edges come
// from the wheels' Requires-Dist, so boto3's dependencies still go with it and urllib3 stays for
// requests.
func TestBuildSlimLock(t *testing.T) {
	t.Parallel()
	specs := awsIndex()
	srv := indextest.New(t, specs)
	var lines []string
	for _, s := range specs {
		lines = append(lines, s.Name+"=="+s.Version+" --hash=sha256:"+srv.SHA256(s.Filename()))
	}
	root := t.TempDir()
	p := planFor(t, srv.URL, filepath.Join(root, "out"), strings.Join(lines, "\n")+"\n", tgt(t, "python3.12", "x86_64"))
	p.Layers[0].ExcludePackages = []string{"runtime-provided"}
	l := Build(context.Background(), Env{}, p).Layers[0]
	if l.Error != nil {
		t.Fatalf("build: %+v", l.Error)
	}
	var kept, dropped []string
	for _, p := range l.Packages {
		kept = append(kept, p.Name)
	}
	for _, d := range l.ExcludedPackages {
		dropped = append(dropped, d.Name)
	}
	if got := strings.Join(kept, " "); got != "idna requests urllib3" {
		t.Errorf("kept %s", got)
	}
	if got := strings.Join(dropped, " "); got != "boto3 botocore jmespath python-dateutil s3transfer six" {
		t.Errorf("dropped %s", got)
	}
	data, err := os.ReadFile(l.SBOM)
	if err != nil {
		t.Fatal(err)
	}
	if err := sbomtest.Validate(data); err != nil {
		t.Fatal(err)
	}
	// requests is a root (nothing kept depends on it); urllib3 and idna are its dependencies.
	if !bytes.Contains(data, []byte(`"ref": "pkg:pypi/requests@2.32.3",
      "dependsOn": [
        "pkg:pypi/idna@3.10",
        "pkg:pypi/urllib3@2.2.3"
      ]`)) {
		t.Errorf("SBOM dependencies:\n%s", data)
	}
}

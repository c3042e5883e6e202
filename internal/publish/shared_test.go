package publish

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// sharedLayer is a zip in the shared layout (python/) that serves runtimes.
func sharedLayer(t *testing.T, dir string, runtimes []string, pkgs []report.Package) report.Layer {
	t.Helper()
	path := filepath.Join(dir, "web-python3-x86_64.zip")
	if err := os.WriteFile(path, zipOf(t, map[string]string{"python/web/__init__.py": "X = 1\n"}), 0o644); err != nil {
		t.Fatal(err)
	}
	l := reportLayer(t, "web", runtimes[0], "x86_64", path, pkgs)
	l.Layout, l.Runtimes, l.SBOM = "shared", runtimes, filepath.Join(dir, "web-python3-x86_64.cdx.json")
	return l
}

func TestPublishSharedLayoutOnceWithAllRuntimes(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	runtimes := []string{"python3.11", "python3.12", "python3.13"}
	pkgs := []report.Package{
		{Name: "web", Version: "1.0", Wheel: "web-1.0-py3-none-any.whl", License: "MIT"},
		{Name: "idna", Version: "3.10", Wheel: "idna-3.10-py3-none-any.whl", License: "BSD-3-Clause"},
		{Name: "dual", Version: "1.0", Wheel: "dual-1.0-py3-none-any.whl", License: "Apache-2.0 OR MIT"},
		{Name: "mit2", Version: "1.0", Wheel: "mit2-1.0-py3-none-any.whl", License: "MIT"},
		{Name: "quiet", Version: "1.0", Wheel: "quiet-1.0-py3-none-any.whl"},
	}
	l := sharedLayer(t, e.dir, runtimes, pkgs)
	res := e.mustPublish(rep(l), Options{Regions: []string{"us-east-1"}})
	if len(res.Layers) != 1 {
		t.Fatalf("published %d layers, want 1: %+v", len(res.Layers), res.Layers)
	}
	got := res.Layers[0]
	if got.Status != StatusPublished || got.Name != "web-py3-x86_64" || got.Version != 1 {
		t.Fatalf("publish: %+v", got)
	}
	var table strings.Builder
	res.Table(&table)
	if !strings.Contains(table.String(), "python3.11+3.12+3.13 x86_64") {
		t.Errorf("the table names one runtime of three:\n%s", table.String())
	}
	if w := e.calls.writes(); len(w) != 1 || w["PublishLayerVersion"] != 1 {
		t.Errorf("writing calls %v, want one PublishLayerVersion", w)
	}
	v, err := e.lambda("us-east-1").GetLayerVersion(t.Context(), &lambda.GetLayerVersionInput{LayerName: aws.String("web-py3-x86_64"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	var rts []string
	for _, r := range v.CompatibleRuntimes {
		rts = append(rts, string(r))
	}
	slices.Sort(rts)
	if !slices.Equal(rts, runtimes) {
		t.Errorf("CompatibleRuntimes %v, want %v", rts, runtimes)
	}
	if li := aws.ToString(v.LicenseInfo); li != "(Apache-2.0 OR MIT) AND BSD-3-Clause AND MIT" {
		t.Errorf("LicenseInfo %q", li)
	}
	if d := aws.ToString(v.Description); !strings.Contains(d, "python3.11+python3.12+python3.13") {
		t.Errorf("description %q", d)
	}

	// Same zip, same runtimes: skipped. Same zip, one runtime more: a new version, since only a new
	// version can change the list.
	e.calls.reset()
	if res = e.mustPublish(rep(l), Options{Regions: []string{"us-east-1"}}); res.Layers[0].Status != StatusSkipped {
		t.Errorf("unchanged: %+v", res.Layers[0])
	}
	l.Runtimes = append(l.Runtimes, "python3.14")
	res = e.mustPublish(rep(l), Options{Regions: []string{"us-east-1"}})
	if got := res.Layers[0]; got.Status != StatusPublished || got.Version != 2 || !strings.Contains(got.Reason, "other runtimes") {
		t.Errorf("new runtime: %+v", got)
	}
}

func TestLicenseInfoCut(t *testing.T) {
	t.Parallel()
	var pkgs []report.Package
	for i := range 80 {
		pkgs = append(pkgs, report.Package{Name: "p", License: "LicenseRef-Custom-Licence-Number-" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	l := report.Layer{Packages: pkgs, SBOM: "/out/web-python3.12-x86_64.cdx.json"}
	got := licenseInfo(l, "")
	if n := len([]rune(got)); n > maxLicenseInfo || !strings.HasSuffix(got, " AND … see web-python3.12-x86_64.cdx.json") {
		t.Errorf("%d runes: %q", n, got)
	}
	if licenseInfo(l, "Proprietary") != "Proprietary" {
		t.Error("the configured licence does not win")
	}
	if licenseInfo(report.Layer{}, "") != "" {
		t.Error("no licences should set none")
	}
}

package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/license"
	"github.com/lambda-layers/lambda-layers/internal/sbom/sbomtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func validate(t testing.TB, data []byte) {
	t.Helper()
	if err := sbomtest.Validate(data); err != nil {
		t.Fatalf("SBOM does not validate: %v\n%s", err, data)
	}
}

func layerFixture() (Layer, []Package) {
	l := Layer{Name: "app", Runtime: "python3.11", Architecture: "x86_64", Zip: "app-python3.11-x86_64.zip",
		SHA256: strings.Repeat("ab", 32), CodeSHA256: "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="}
	pkgs := []Package{
		{Name: "urllib3", Version: "2.2.3", Wheel: "urllib3-2.2.3-py3-none-any.whl", SHA256: strings.Repeat("01", 32),
			License: license.Info{Expression: "MIT", Source: license.SourceExpression}},
		{Name: "requests", Version: "2.32.3", Wheel: "requests-2.32.3-py3-none-any.whl", SHA256: strings.Repeat("02", 32),
			URL: "https://files.example/requests-2.32.3-py3-none-any.whl", Requested: true, Deps: []string{"urllib3", "idna", "not-in-layer"},
			License: license.Info{Expression: "Apache-2.0", Source: license.SourceClassifier}},
		{Name: "idna", Version: "3.10", Wheel: "idna-3.10-py3-none-any.whl", SHA256: strings.Repeat("03", 32),
			License: license.Info{Name: "BSD License", Source: license.SourceClassifier}},
		{Name: "odd", Version: "1.0+local.1", Wheel: "odd-1.0+local.1-py3-none-any.whl", Requested: true},
	}
	return l, pkgs
}

func TestWriteGolden(t *testing.T) {
	t.Parallel()
	l, pkgs := layerFixture()
	var a, b bytes.Buffer
	if err := Write(&a, l, pkgs); err != nil {
		t.Fatal(err)
	}
	// Same input in another order: same bytes.
	rev := append([]Package(nil), pkgs...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if err := Write(&b, l, rev); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same layer differ")
	}
	validate(t, a.Bytes())
	golden := filepath.Join("testdata", "app-python3.11-x86_64.cdx.json")
	if *update {
		if err := os.WriteFile(golden, a.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), want) {
		t.Errorf("SBOM differs from %s (go test -update to accept):\n%s", golden, a.Bytes())
	}

	var doc struct {
		SerialNumber string `json:"serialNumber"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				BOMRef     string `json:"bom-ref"`
				Properties []struct{ Name, Value string }
				Licenses   []struct{ Expression string }
			}
		}
		Components []struct {
			Purl   string
			Hashes []struct{ Alg, Content string }
		}
		Dependencies []struct {
			Ref       string
			DependsOn []string
		}
	}
	if err := json.Unmarshal(a.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Metadata.Timestamp != "" || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") {
		t.Errorf("timestamp %q, serial %q", doc.Metadata.Timestamp, doc.SerialNumber)
	}
	var purls []string
	for _, c := range doc.Components {
		purls = append(purls, c.Purl)
	}
	if got := strings.Join(purls, " "); got != "pkg:pypi/idna@3.10 pkg:pypi/odd@1.0%2Blocal.1 pkg:pypi/requests@2.32.3 pkg:pypi/urllib3@2.2.3" {
		t.Errorf("purls %s", got)
	}
	if got := doc.Metadata.Component.Licenses[0].Expression; got != "Apache-2.0 AND LicenseRef-BSD-License AND MIT" {
		t.Errorf("layer licence %q", got)
	}
	deps := map[string]string{}
	for _, d := range doc.Dependencies {
		deps[d.Ref] = strings.Join(d.DependsOn, " ")
	}
	if deps["layer:app/python3.11/x86_64"] != "pkg:pypi/odd@1.0%2Blocal.1 pkg:pypi/requests@2.32.3" ||
		deps["pkg:pypi/requests@2.32.3"] != "pkg:pypi/idna@3.10 pkg:pypi/urllib3@2.2.3" {
		t.Errorf("dependencies %q", deps)
	}
	found := false
	for _, p := range doc.Metadata.Component.Properties {
		found = found || p.Name == PropCodeSHA256 && p.Value == l.CodeSHA256
	}
	if !found {
		t.Errorf("no code_sha256 property: %+v", doc.Metadata.Component.Properties)
	}

	// Any change of content changes the serial number.
	l.CodeSHA256 = "AAAA" + l.CodeSHA256[4:]
	var c bytes.Buffer
	if err := Write(&c, l, pkgs); err != nil {
		t.Fatal(err)
	}
	var doc2 struct{ SerialNumber string }
	json.Unmarshal(c.Bytes(), &doc2)
	if doc2.SerialNumber == doc.SerialNumber {
		t.Error("serial number did not change with the content")
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	bad := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"serialNumber":"not-a-urn"}`
	if err := sbomtest.Validate([]byte(bad)); err == nil {
		t.Error("a bad serial number validated")
	}
}

func TestFilename(t *testing.T) {
	t.Parallel()
	if got := Filename("app", "python3.11", "arm64"); got != "app-python3.11-arm64.cdx.json" {
		t.Error(got)
	}
}

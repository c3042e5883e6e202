package action

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/publish/mototest"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestActionSlimAndDeniedLicense: the config's exclude-packages, exclude and report.deny-licenses reach
// the build and the check: boto3 is left out with what only it needs, tests/ folders are left out,
// the SBOM is written and named in report.json, and a GPL package fails the run with an error on the
// requirements line that brought it.
func TestActionSlimAndDeniedLicense(t *testing.T) {
	t.Parallel()
	tests := func(mod string) []wheeltest.File {
		return []wheeltest.File{{Name: mod + "/__init__.py", Data: []byte("")}, {Name: mod + "/tests/test_x.py", Data: []byte("def test(): pass\n")}}
	}
	idx := indextest.New(t, []wheeltest.Spec{
		{Name: "boto3", Version: "1.35.0", Requires: []string{"jmespath"}, Files: tests("boto3"), ExtraMetadata: "License-Expression: Apache-2.0\n"},
		{Name: "jmespath", Version: "1.0.1", Files: tests("jmespath"), ExtraMetadata: "License: MIT\n"},
		{Name: "app-lib", Version: "1.0", Requires: []string{"gpl-lib"}, Files: tests("app_lib"), ExtraMetadata: "License-Expression: MIT\n"},
		{Name: "gpl-lib", Version: "2.0", Files: tests("gpl_lib"), ExtraMetadata: "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)\n"},
	})
	ws := newWorkspace(t)
	ws.write("requirements.txt", "app-lib\nboto3\n", "lambda-layers.yml", `runtimes: [python3.12]
index-url: `+idx.URL+`
layers:
  - name: api
    requirements: [requirements.txt]
    exclude-packages: [boto3]
    exclude: ["**/tests/**"]
report:
  deny-licenses: [GPL-3.0-only]
`)
	r := runAction(t, ws, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json",
		"GITHUB_REF": "refs/heads/feature", "INPUT_MODE": "build"})
	if r.code != exitcode.Quota {
		t.Fatalf("exit %d, want %d (a denied licence fails the check):\n%s", r.code, exitcode.Quota, r)
	}
	if !strings.Contains(r.stdout, "::error file=requirements.txt,line=1") || !strings.Contains(r.stdout, "gpl-lib 2.0 is licensed GPL-3.0-only") {
		t.Errorf("no error on requirements.txt:1 naming gpl-lib:\n%s", r.stdout)
	}
	data, err := os.ReadFile(filepath.Join(ws.dir, r.outputs["report-json"]))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	l := rep.Layers[0]
	var names []string
	for _, p := range l.Packages {
		names = append(names, p.Name+"="+p.License)
	}
	if strings.Join(names, " ") != "app-lib=MIT gpl-lib=GPL-3.0-only" {
		t.Errorf("packages %q", names)
	}
	if len(l.ExcludedPackages) != 2 || l.ExcludedPackages[0].Name != "boto3" || l.ExcludedPackages[1].Name != "jmespath" {
		t.Errorf("excluded packages %+v", l.ExcludedPackages)
	}
	if len(l.Excluded) != 1 || l.Excluded[0].Files != 2 || l.Excluded[0].Origin != "lambda-layers.yml:7" {
		t.Errorf("excluded %+v", l.Excluded)
	}
	// Paths as the repository knows them, not the container's workspace (the comment quotes them).
	if len(l.DeniedLicenses) != 1 || l.DeniedLicenses[0].Requirement != "requirements.txt:1" {
		t.Errorf("denied %+v", l.DeniedLicenses)
	}
	if rb := l.Packages[0].RequiredBy; len(rb) != 1 || rb[0] != "requirements.txt:1" {
		t.Errorf("app-lib required by %q", rb)
	}
	if strings.Contains(string(data), ws.dir) {
		t.Errorf("report.json names the workspace %s:\n%s", ws.dir, data)
	}
	if filepath.IsAbs(l.SBOM) || !strings.HasSuffix(l.SBOM, "api-python3.12-x86_64.cdx.json") {
		t.Errorf("sbom %q", l.SBOM)
	}
	if _, err := os.Stat(filepath.Join(ws.dir, l.SBOM)); err != nil {
		t.Error(err)
	}
}

// TestActionPublishesSharedLayoutOnce: a layer with layout shared and two runtimes whose wheels are all
// pure Python builds one zip under python/ and publishes one version with both runtimes, on moto, with
// LicenseInfo from the packages' licences.
func TestActionPublishesSharedLayoutOnce(t *testing.T) {
	t.Parallel()
	srv := mototest.Shared(t)
	acct := mototest.NewAccount()
	client := &http.Client{Transport: mototest.Transport(acct, nil)}
	idx := indextest.New(t, []wheeltest.Spec{
		{Name: "hello", Version: "1.0", ExtraMetadata: "License-Expression: MIT\n"},
		{Name: "tinyjson", Version: "1.2.0", ExtraMetadata: "Classifier: License :: OSI Approved :: Apache Software License\n"},
	})
	ws := newWorkspace(t)
	ws.write("lambda-layers.yml", "layers:\n  - {name: api, requirements: requirements.txt, runtimes: [python3.12, python3.13], layout: shared}\naws: {regions: [us-east-1]}\n",
		"requirements.txt", "hello==1.0\ntinyjson\n")
	env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json", "INPUT_INDEX-URL": idx.URL}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		env[k] = srv.Getenv("us-east-1")(k)
	}
	r := runActionWith(t, ws, env, client)
	var published []string
	mustJSON(t, "published", r.outputs["published"], &published)
	want := "arn:aws:lambda:us-east-1:" + acct + ":layer:api-py3-x86_64:1"
	if r.code != exitcode.OK || len(published) != 1 || published[0] != want {
		t.Fatalf("published = %v, want [%s]\n%s", published, want, r)
	}
	lc := lambda.NewFromConfig(aws.Config{Region: "us-east-1", HTTPClient: client, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.Getenv("us-east-1")("AWS_ENDPOINT_URL"))})
	v, err := lc.GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String("api-py3-x86_64"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	var rts []string
	for _, rt := range v.CompatibleRuntimes {
		rts = append(rts, string(rt))
	}
	slices.Sort(rts)
	if strings.Join(rts, ",") != "python3.12,python3.13" || aws.ToString(v.LicenseInfo) != "Apache-2.0 AND MIT" {
		t.Errorf("runtimes %v, licence %q", rts, aws.ToString(v.LicenseInfo))
	}
	data, err := os.ReadFile(filepath.Join(ws.dir, r.outputs["report-json"]))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Layers) != 1 || rep.Layers[0].Layout != "shared" || !strings.HasSuffix(rep.Layers[0].Zip, "api-python3-x86_64.zip") {
		t.Errorf("report: %v %+v", err, rep.Layers)
	}
}

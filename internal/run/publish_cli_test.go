package run

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/publish/mototest"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// runPublish runs `lambda-layers publish` in-process against moto as account.
func runPublish(t *testing.T, srv *mototest.Server, account string, args ...string) result {
	t.Helper()
	getenv := func(string) string { return "" }
	client := http.DefaultClient
	if srv != nil {
		getenv = srv.Getenv("us-east-1")
		client = &http.Client{Transport: mototest.Transport(account, nil)}
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), build.Env{Getenv: getenv, Stdout: &stdout, Stderr: &stderr, HTTPClient: client}, append([]string{"publish"}, args...))
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// buildDemo builds the bundled demo for both architectures and returns the report's path.
func buildDemo(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	mustOK(t, runMain(t, nil, "build", "-r", demoDir+"/requirements.txt", "--runtime", "python3.12", "--arch", "x86_64,arm64",
		"--index-url", demoDir+"/index/simple", "--out", out, "--cache-dir", t.TempDir()))
	return filepath.Join(out, "report.json")
}

func TestPublishCLIEndToEnd(t *testing.T) {
	t.Parallel()
	srv := mototest.Shared(t)
	acct := mototest.NewAccount()
	reportPath := buildDemo(t)
	client := func(region string) *lambda.Client {
		return lambda.NewFromConfig(aws.Config{
			Region: region, BaseEndpoint: aws.String(srv.URL), HTTPClient: &http.Client{Transport: mototest.Transport(acct, nil)},
			Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		})
	}
	lc := client("us-east-1")
	versions := func(region, name string) int {
		out, err := client(region).ListLayerVersions(t.Context(), &lambda.ListLayerVersionsInput{LayerName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.LayerVersions)
	}

	// A dry run prints the calls and writes nothing.
	r := runPublish(t, srv, acct, "--report", reportPath, "--dry-run")
	mustOK(t, r)
	if !strings.Contains(r.stdout, "dry run: nothing is written") || !strings.Contains(r.stdout, "us-east-1  lambda:PublishLayerVersion demo-py312-arm64") {
		t.Errorf("dry run output:\n%s", r.stdout)
	}
	if n := versions("us-east-1", "demo-py312-arm64"); n != 0 {
		t.Fatalf("dry run published %d versions", n)
	}

	// Publish to two regions, shared with an account.
	r = runPublish(t, srv, acct, "--report", reportPath, "--region", "us-east-1,eu-west-1", "--share-account", "123456789012", "--commit", "c0ffee", "--license", "MIT")
	mustOK(t, r)
	if n := len(regexp.MustCompile(`(?m)^demo-py312-\S+ +\S+ +published `).FindAllString(r.stdout, -1)); n != 4 {
		t.Errorf("%d published rows, want 4:\n%s", n, r.stdout)
	}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		for _, name := range []string{"demo-py312-x86_64", "demo-py312-arm64"} {
			if n := versions(region, name); n != 1 {
				t.Errorf("%s %s: %d versions", region, name, n)
			}
		}
	}

	// A function on the arm64 layer; roll-out is a no-op while the layer is unchanged.
	role, err := srv.CreateRole(t.Context(), acct, "fn-role")
	if err != nil {
		t.Fatal(err)
	}
	v1 := "arn:aws:lambda:us-east-1:" + acct + ":layer:demo-py312-arm64:1"
	_, err = lc.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("fn"), Role: aws.String(role), Runtime: "python3.12", Handler: aws.String("app.handler"),
		Architectures: []ltypes.Architecture{"arm64"}, Layers: []string{v1},
		Code: &ltypes.FunctionCode{ZipFile: mustZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	r = runPublish(t, srv, acct, "--report", reportPath, "--function", "demo=fn", "--keep", "1")
	mustOK(t, r)
	if n := len(regexp.MustCompile(`(?m)^demo-py312-\S+ +us-east-1 +skipped `).FindAllString(r.stdout, -1)); n != 2 || !strings.Contains(r.stdout, "fn                       us-east-1      unchanged") {
		t.Errorf("second run:\n%s", r.stdout)
	}
}

func mustZip(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(demoDir, "requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	w.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestPublishCLIUsageAndRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "report.json")
	writeJSON(t, good, report.Report{Layers: []report.Layer{{Name: "x", Runtime: "python3.12", Architecture: "x86_64", Zip: "elsewhere/x.zip"}}})
	failed := filepath.Join(dir, "failed.json")
	writeJSON(t, failed, report.Report{Layers: []report.Layer{{Name: "x", Runtime: "python3.12", Architecture: "x86_64", Error: &report.Failure{Message: "boom"}}}})
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"--nope"}, exitcode.Usage, "unknown option --nope"},
		{"stray argument", []string{"--report", good, "--region", "us-east-1", "extra"}, exitcode.Usage, `unexpected argument "extra"`},
		{"function without layer", []string{"--report", good, "--region", "us-east-1", "--function", "fn"}, exitcode.Usage, "LAYER=FUNCTION"},
		{"bad account", []string{"--report", good, "--region", "us-east-1", "--share-account", "12"}, exitcode.Usage, "12 digits"},
		{"bad template", []string{"--report", good, "--region", "us-east-1", "--name-template", "{name}.{py}"}, exitcode.Usage, "may only hold"},
		{"no region", []string{"--report", good}, exitcode.Usage, "to push only images, with no AWS call, pass --oci REGISTRY/NAME without --region"},
		{"no report", []string{"--report", filepath.Join(dir, "missing.json"), "--region", "us-east-1"}, exitcode.Failed, "build first"},
		{"failed layer", []string{"--report", failed, "--region", "us-east-1"}, exitcode.Failed, "refusing to publish anything"},
		{"zip missing", []string{"--report", good, "--region", "us-east-1"}, exitcode.Failed, "opening layer zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runPublish(t, nil, "", tt.args...)
			if r.code != tt.code || strings.Count(r.stderr, tt.want) != 1 {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant it to contain %q once", r.code, tt.code, r.stderr, tt.want)
			}
		})
	}
}

// TestPublishReportBesideItsZips: a report moved with its zips (an artifact) still finds them.
func TestPublishReportBesideItsZips(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "x.zip")
	if err := os.WriteFile(zipPath, mustZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.json")
	writeJSON(t, path, report.Report{Layers: []report.Layer{{Name: "x", Runtime: "python3.12", Architecture: "x86_64", Zip: "build/out/x.zip"}}})
	rep, err := readPublishReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Layers[0].Zip != zipPath {
		t.Errorf("zip %s, want %s", rep.Layers[0].Zip, zipPath)
	}
	if got := publishSplit([]string{"a,b", " c ", ""}); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("%v", got)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPublishWithoutCredentials: with no AWS credentials anywhere, publish fails once, before any call,
// saying where credentials come from and how to provide them — not once per layer with the SDK's
// account of the instance metadata service. Not parallel: the SDK reads the process's environment.
func TestPublishWithoutCredentials(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer imds.Close()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_EC2_METADATA_DISABLED": "",
	} {
		t.Setenv(k, v)
	}
	reportPath := buildDemo(t)
	r := runPublish(t, nil, "", "--report", reportPath, "--region", "us-east-1", "--dry-run")
	if r.code != exitcode.Failed || !strings.Contains(r.stderr, "no AWS credentials found") ||
		!strings.Contains(r.stderr, "configure-aws-credentials") || strings.Contains(r.stdout+r.stderr, "IMDS") {
		t.Errorf("exit %d, want %d naming the missing credentials and how to set them\nstdout:\n%s\nstderr:\n%s", r.code, exitcode.Failed, r.stdout, r.stderr)
	}
}

package publish

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := func() Options { return Options{Regions: []string{"us-east-1"}} }
	tests := []struct {
		name string
		edit func(*Options)
		want string // "" = valid
	}{
		{"minimal", func(o *Options) {}, ""},
		{"everything", func(o *Options) {
			o.Regions = []string{"eu-central-1", "us-gov-west-1", "ap-southeast-2"}
			o.S3Bucket, o.KeepVersions, o.NameTemplate = "my-layers-{region}", 3, "team_{name}-{arch}-{py}"
			o.Permissions = []Permission{{Account: "123456789012"}, {Organization: "o-a1b2c3d4e5"}, {Public: true}}
			o.Functions = map[string][]string{"data": {"api", "arn:aws:lambda:eu-central-1:123456789012:function:worker"}}
			o.License = "MIT"
		}, ""},
		{"no region", func(o *Options) { o.Regions = nil }, "no region"},
		{"bad region", func(o *Options) { o.Regions = []string{"useast1"} }, "not an AWS region"},
		{"negative keep", func(o *Options) { o.KeepVersions = -1 }, "negative"},
		{"unknown placeholder", func(o *Options) { o.NameTemplate = "{name}-{python}" }, "unknown placeholder {python}"},
		{"runtime has a dot", func(o *Options) { o.NameTemplates = map[string]string{"data": "{name}-{runtime}"} }, `"layer-python3.12" (from template "{name}-{runtime}") may only hold`},
		{"bad characters", func(o *Options) { o.NameTemplate = "{name}.{py}" }, "may only hold"},
		{"bucket placeholder", func(o *Options) { o.S3Bucket = "b-{account}" }, "only placeholder is {region}"},
		{"bucket name", func(o *Options) { o.S3Bucket = "My_Bucket" }, "not a valid bucket name"},
		{"license", func(o *Options) { o.License = strings.Repeat("x", 513) }, "at most 512"},
		{"account", func(o *Options) { o.Permissions = []Permission{{Account: "1234"}} }, "12 digits"},
		{"organization", func(o *Options) { o.Permissions = []Permission{{Organization: "org-1"}} }, "o-a1b2c3d4e5"},
		{"two principals", func(o *Options) { o.Permissions = []Permission{{Account: "123456789012", Public: true}} }, "exactly one"},
		{"empty permission", func(o *Options) { o.Permissions = []Permission{{}} }, "exactly one"},
		{"qualified function", func(o *Options) {
			o.Functions = map[string][]string{"data": {"arn:aws:lambda:us-east-1:123456789012:function:api:live"}}
		}, "$LATEST"},
		{"function name", func(o *Options) { o.Functions = map[string][]string{"data": {"my function"}} }, "function name"},
		{"no layer", func(o *Options) { o.Functions = map[string][]string{"": {"api"}} }, "names no layer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok()
			tt.edit(&o)
			err := o.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var oe *OptionsError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an OptionsError containing %q", err, tt.want)
			}
		})
	}
}

func TestStatementIDs(t *testing.T) {
	t.Parallel()
	for _, p := range []Permission{{Account: "123456789012"}, {Organization: "o-" + strings.Repeat("a", 32)}, {Public: true}} {
		if !layerRe.MatchString(p.StatementID()) || len(p.StatementID()) > 100 {
			t.Errorf("statement id %q is not one Lambda takes", p.StatementID())
		}
	}
	got, err := statementIDs(`{"Version":"2012-10-17","Statement":{"Sid":"one"}}`)
	if err != nil || !got["one"] {
		t.Errorf("single statement: %v %v", got, err)
	}
	got, err = statementIDs(`{"Statement":[{"Sid":"a"},{"Sid":"b"}]}`)
	if err != nil || !got["a"] || !got["b"] || len(got) != 2 {
		t.Errorf("list: %v %v", got, err)
	}
}

// TestReportRefusals covers what Publish refuses from the report alone, before any call: the fake
// clients panic if called at all.
func TestReportRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	arm := layerOf(t, dir, "data", "python3.12", "arm64", "1")
	x86 := layerOf(t, dir, "data", "python3.12", "x86_64", "1")
	failed := report.Layer{Name: "broken", Runtime: "python3.12", Architecture: "x86_64", Error: &report.Failure{Message: "no version of foo matches ==9\nmore"}}
	stale := x86
	stale.CodeSHA256 = "AAAA"
	missing := x86
	missing.Zip = filepath.Join(dir, "gone.zip")
	long := layerOf(t, dir, strings.Repeat("n", 80), "python3.12", "x86_64", "1")
	tests := []struct {
		name string
		rep  *report.Report
		o    Options
		want string
	}{
		{"failed build", rep(arm, failed), Options{}, "broken (python3.12 x86_64) failed to build (no version of foo matches ==9 …)"},
		{"same names", rep(arm, x86), Options{NameTemplate: "{name}-{py}"}, "get the same layer name"},
		{"stale zip", rep(stale), Options{}, "changed since the report was written"},
		{"missing zip", rep(missing), Options{}, "opening layer zip"},
		{"name too long", rep(long), Options{Regions: []string{"ap-southeast-2"}}, "Lambda allows 140"},
		{"unknown roll-out layer", rep(arm), Options{Functions: map[string][]string{"dta": {"api"}}}, `names layer "dta", which the report does not have (it has data)`},
		{"big zip, two regions, one bucket", rep(arm, bigLayer(t)), Options{S3Bucket: "one-bucket", Regions: []string{"us-east-1", "eu-west-1"}}, "put {region} in the bucket name"},
		{"empty report", rep(), Options{}, "lists no layer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.o.Regions == nil {
				tt.o.Regions = []string{"us-east-1"}
			}
			res, err := Publish(t.Context(), fakeClients{}, tt.rep, tt.o)
			var refused *RefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a refusal containing %q", err, tt.want)
			}
			for _, l := range res.Layers {
				if l.Status != StatusRefused || l.Reason == "" {
					t.Errorf("%+v", l)
				}
			}
		})
	}
}

func TestDescription(t *testing.T) {
	t.Parallel()
	l := layerOf(t, t.TempDir(), "d", "python3.12", "x86_64", "1")
	a, err := inspect(l, "d-py312-x86_64")
	if err != nil {
		t.Fatal(err)
	}
	d := describe(a, strings.Repeat("c", 300))
	if len(d) != 256 {
		t.Errorf("description has %d characters", len(d))
	}
	if descriptionDigest(d) != a.reqDigest || !strings.Contains(d, a.hexSHA) {
		t.Errorf("%q lost its digest or hash", d)
	}
	// The digest follows the packages, not the zip's bytes.
	l2 := l
	l2.Packages = append(l2.Packages, report.Package{Name: "extra", Version: "1", Wheel: "extra-1-py3-none-any.whl"})
	if requirementsDigest(l2) == requirementsDigest(l) {
		t.Error("adding a package kept the digest")
	}
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	res := &Result{
		Layers: []LayerResult{
			{Layer: "data", Name: "data-py312-arm64", Runtime: "python3.12", Architecture: "arm64", Region: "us-east-1", Status: StatusPublished,
				Version: 7, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:data-py312-arm64:7", Reason: "content changed since version 6",
				Permissions: []string{"lambda-layers-org-o-a1b2c3d4e5"}},
			{Layer: "data", Name: "data-py312-x86_64", Runtime: "python3.12", Architecture: "x86_64", Region: "us-east-1", Status: StatusSkipped,
				Version: 3, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:data-py312-x86_64:3", Reason: "unchanged: version 3 has the same content"},
			{Layer: "ml", Name: "ml-py312-x86_64", Runtime: "python3.12", Architecture: "x86_64", Region: "us-east-1", Status: StatusPublished,
				Version: 1, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:ml-py312-x86_64:1", Reason: "first version", ViaS3: true},
		},
		Functions: []FunctionResult{
			{Function: "api", Region: "us-east-1", Status: StatusUpdated,
				Before: []string{"arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:7", "arn:aws:lambda:us-east-1:123456789012:layer:data-py312-arm64:6"},
				After:  []string{"arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:7", "arn:aws:lambda:us-east-1:123456789012:layer:data-py312-arm64:7"}},
			{Function: "legacy|fn", Region: "us-east-1", Status: StatusAbsent, Reason: "no such function in this region"},
		},
		Pruned: []PrunedVersion{
			{Name: "data-py312-arm64", Region: "us-east-1", Version: 4, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:data-py312-arm64:4", Status: StatusDeleted, Reason: "older than the newest 2"},
			{Name: "data-py312-arm64", Region: "us-east-1", Version: 6, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:data-py312-arm64:6", Status: StatusSkipped, Reason: "still used by api"},
		},
	}
	var table strings.Builder
	res.Table(&table)
	golden(t, "result.md", res.Markdown())
	golden(t, "result.txt", table.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

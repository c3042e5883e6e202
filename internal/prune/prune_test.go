package prune

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
)

// awsGraph is what "requests" and "boto3" resolve to (the real edges of boto3 1.35 and requests 2.32).
func awsGraph(extra ...Node) []Node {
	return append([]Node{
		{Name: "boto3", Version: "1.35.0", Requested: true, Deps: []string{"botocore", "jmespath", "s3transfer"}, WheelBytes: 139_000},
		{Name: "botocore", Version: "1.35.0", Deps: []string{"jmespath", "python-dateutil", "urllib3"}, WheelBytes: 12_500_000},
		{Name: "certifi", Version: "2024.8.30"},
		{Name: "charset-normalizer", Version: "3.4.0"},
		{Name: "idna", Version: "3.10"},
		{Name: "jmespath", Version: "1.0.1"},
		{Name: "python-dateutil", Version: "2.9.0", Deps: []string{"six"}},
		{Name: "requests", Version: "2.32.3", Requested: true, Deps: []string{"certifi", "charset-normalizer", "idna", "urllib3"}},
		{Name: "s3transfer", Version: "0.10.3", Deps: []string{"botocore"}},
		{Name: "six", Version: "1.16.0"},
		{Name: "urllib3", Version: "2.2.3"},
	}, extra...)
}

func names(ds []Dropped) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return strings.Join(out, ",")
}

func TestDiamond(t *testing.T) {
	t.Parallel()
	// app needs a and x; x is excluded. d is needed by both a and x (the diamond's bottom): it stays.
	// e is needed by x alone and f by e alone: both go.
	nodes := []Node{
		{Name: "a", Requested: true, Deps: []string{"d"}},
		{Name: "d"},
		{Name: "e", Deps: []string{"f"}},
		{Name: "f"},
		{Name: "x", Requested: true, Deps: []string{"d", "e"}},
	}
	res, err := Apply(nodes, []string{"X"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Dropped{
		{Name: "e", Reason: "only needed by excluded packages", NeededBy: []string{"x"}},
		{Name: "f", Reason: "only needed by excluded packages", NeededBy: []string{"e"}},
		{Name: "x", Reason: "excluded"},
	}
	if !reflect.DeepEqual(res.Dropped, want) {
		t.Errorf("Dropped = %+v\nwant %+v", res.Dropped, want)
	}
	if strings.Join(res.Keep, ",") != "a,d" {
		t.Errorf("Keep = %q", res.Keep)
	}
}

func TestBotoKeepsWhatRequestsNeeds(t *testing.T) {
	t.Parallel()
	res, err := Apply(awsGraph(), []string{"boto3", "botocore"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Dropped); got != "boto3,botocore,jmespath,python-dateutil,s3transfer,six" {
		t.Errorf("dropped %s", got)
	}
	if got := strings.Join(res.Keep, ","); got != "certifi,charset-normalizer,idna,requests,urllib3" {
		t.Errorf("kept %s", got)
	}
	if d := res.Dropped[1]; d.Reason != "excluded" || !reflect.DeepEqual(d.NeededBy, []string{"boto3", "s3transfer"}) || d.WheelBytes != 12_500_000 {
		t.Errorf("botocore: %+v", d)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "runtime's own boto3, botocore, jmespath, python-dateutil, s3transfer, six now apply") {
		t.Errorf("warnings %q", res.Warnings)
	}
	// Everything excluded: an empty zip is worth a warning.
	res, err = Apply(awsGraph()[:2], []string{"boto3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Keep) != 0 || !slices.Contains(res.Warnings, "exclude-packages leaves no package in the layer: the zip is empty") {
		t.Errorf("keep %q, warnings %q", res.Keep, res.Warnings)
	}
	// One package: in the singular.
	res, err = Apply(awsGraph(), []string{"urllib3"})
	if err != nil {
		t.Fatal(err)
	}
	if w := "the Lambda runtime's own urllib3 now applies: its version varies by runtime and region"; !slices.Contains(res.Warnings, w) {
		t.Errorf("warnings %q, want %q", res.Warnings, w)
	}
}

func TestRuntimeProvided(t *testing.T) {
	t.Parallel()
	// six is also the user's own requirement: it stays. urllib3 stays for requests.
	nodes := awsGraph()
	nodes[9].Requested = true
	res, err := Apply(nodes, []string{"runtime-provided"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Dropped); got != "boto3,botocore,jmespath,python-dateutil,s3transfer" {
		t.Errorf("dropped %s", got)
	}
	// Without requests, urllib3 goes too; a layer without boto3 warns about nothing missing.
	res, err = Apply(awsGraph()[:7], []string{"runtime-provided"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Dropped); got != "boto3,botocore,jmespath,python-dateutil" {
		t.Errorf("dropped %s", got)
	}
	res, err = Apply([]Node{{Name: "attrs", Requested: true}}, []string{"runtime-provided"})
	if err != nil || len(res.Dropped) != 0 || len(res.Warnings) != 0 {
		t.Errorf("no boto: %+v %v", res, err)
	}
}

func TestKeptDependentWarns(t *testing.T) {
	t.Parallel()
	res, err := Apply(awsGraph(Node{Name: "aws-xray-sdk", Requested: true, Deps: []string{"botocore"}}), []string{"boto3", "botocore", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Dropped[1]; d.Name != "botocore" || !reflect.DeepEqual(d.KeptDependents, []string{"aws-xray-sdk"}) {
		t.Errorf("botocore: %+v", d)
	}
	joined := strings.Join(res.Warnings, "\n")
	for _, w := range []string{"nope is not in the resolution", "botocore is still needed by aws-xray-sdk"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings lack %q:\n%s", w, joined)
		}
	}
}

func TestBadNames(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"", "a b", "-x", "boto3==1.0"} {
		if _, err := Apply(awsGraph(), []string{n}); err == nil {
			t.Errorf("%q: no error", n)
		}
	}
}

func TestGraph(t *testing.T) {
	t.Parallel()
	v := func(s string) pep440.Version {
		x, err := pep440.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	res := &resolve.Result{Packages: []*resolve.Package{
		{Name: "boto3", Version: v("1.35.0"), ViaReq: []string{"requirements.txt:1"}},
		{Name: "botocore", Version: v("1.35.0"), Via: []string{"boto3", "s3transfer"}},
		{Name: "s3transfer", Version: v("0.10.3"), Via: []string{"boto3"}},
	}}
	nodes := Graph(res, nil)
	want := []Node{
		{Name: "boto3", Version: "1.35.0", Requested: true, Deps: []string{"botocore", "s3transfer"}},
		{Name: "botocore", Version: "1.35.0"},
		{Name: "s3transfer", Version: "0.10.3", Deps: []string{"botocore"}},
	}
	if !reflect.DeepEqual(nodes, want) {
		t.Errorf("Graph = %+v\nwant %+v", nodes, want)
	}
	// A lock file: every package pinned by the user, edges from the wheels' metadata.
	lock := &resolve.Result{Packages: []*resolve.Package{
		{Name: "a", Version: v("1"), ViaReq: []string{"r.txt:1"}},
		{Name: "b", Version: v("1"), ViaReq: []string{"r.txt:2"}},
		{Name: "c", Version: v("1"), ViaReq: []string{"r.txt:3"}},
		{Name: "p", Version: v("1"), ViaReq: []string{"r.txt:4"}},
		{Name: "q", Version: v("1"), ViaReq: []string{"r.txt:5"}},
	}}
	nodes = Graph(lock, map[string][]string{"a": {"b"}, "b": {"c"}, "p": {"q"}, "q": {"p"}})
	out, err := Apply(nodes, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(out.Dropped); got != "a,b,c" {
		t.Errorf("lock: dropped %s", got)
	}
	// p and q depend on each other, so neither is a root; nothing excluded reaches them: they stay.
	if got := strings.Join(out.Keep, ","); got != "p,q" {
		t.Errorf("lock: kept %s", got)
	}
}

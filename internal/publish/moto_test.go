package publish

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func TestPublishSkipUnchangedThenVersion2(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	l1 := layerOf(t, e.dir, "data", "python3.12", "arm64", "1.0")
	o := Options{Regions: []string{"us-east-1"}, Commit: "0123456789abcdef0123456789abcdef01234567", License: "MIT"}

	res := e.mustPublish(rep(l1), o)
	got := res.Layers[0]
	if got.Status != StatusPublished || got.Version != 1 || got.Name != "data-py312-arm64" {
		t.Fatalf("first publish: %+v", got)
	}
	wantARN := "arn:aws:lambda:us-east-1:" + e.account + ":layer:data-py312-arm64:1"
	if got.ARN != wantARN {
		t.Errorf("ARN %s, want %s", got.ARN, wantARN)
	}
	v, err := e.lambda("us-east-1").GetLayerVersion(t.Context(), &lambda.GetLayerVersionInput{LayerName: aws.String("data-py312-arm64"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	desc := aws.ToString(v.Description)
	if len(desc) > 256 || !strings.Contains(desc, "commit:0123456789abcdef") || !strings.Contains(desc, "sha256:"+l1.SHA256) || descriptionDigest(desc) == "" {
		t.Errorf("description %q", desc)
	}
	if aws.ToString(v.Content.CodeSha256) != l1.CodeSHA256 || aws.ToString(v.LicenseInfo) != "MIT" ||
		len(v.CompatibleRuntimes) != 1 || v.CompatibleRuntimes[0] != "python3.12" ||
		len(v.CompatibleArchitectures) != 1 || v.CompatibleArchitectures[0] != "arm64" {
		t.Errorf("version 1: sha %s license %s runtimes %v archs %v", aws.ToString(v.Content.CodeSha256), aws.ToString(v.LicenseInfo), v.CompatibleRuntimes, v.CompatibleArchitectures)
	}

	// The same zip again: nothing is published, the existing ARN is reported.
	e.calls.reset()
	res = e.mustPublish(rep(l1), o)
	if got := res.Layers[0]; got.Status != StatusSkipped || got.ARN != wantARN || got.Version != 1 {
		t.Fatalf("same content: %+v", got)
	}
	if w := e.calls.writes(); len(w) != 0 {
		t.Errorf("same content made writing calls: %v", w)
	}

	// Changed content: version 2.
	l2 := layerOf(t, e.dir, "data", "python3.12", "arm64", "2.0")
	res = e.mustPublish(rep(l2), o)
	if got := res.Layers[0]; got.Status != StatusPublished || got.Version != 2 || !strings.Contains(got.Reason, "changed since version 1") {
		t.Fatalf("changed content: %+v", got)
	}
	if vs := e.versions("us-east-1", "data-py312-arm64"); !slices.Equal(vs, []int64{2, 1}) {
		t.Errorf("versions %v, want [2 1]", vs)
	}
	if md := res.Markdown(); !strings.Contains(md, "data-py312-arm64:2") || !strings.Contains(md, "**published**") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestPublishBigZipThroughS3(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	big := bigLayer(t)
	bucket := "stage-" + e.account
	e.createBucket("us-east-1", bucket)
	// Every completion's answer is lost (S3 completes it, a 500 comes back): the object is there all
	// the same, and publishing goes on from it.
	e.faults.set(func(op string, n int, _ *http.Request) fault {
		if op == "CompleteMultipartUpload" {
			return serverErrorAfter
		}
		return pass
	})
	res := e.mustPublish(rep(big), Options{Regions: []string{"us-east-1"}, S3Bucket: bucket})
	got := res.Layers[0]
	if got.Status != StatusPublished || !got.ViaS3 || got.Version != 1 {
		t.Fatalf("%+v", got)
	}
	v, err := e.lambda("us-east-1").GetLayerVersion(t.Context(), &lambda.GetLayerVersionInput{LayerName: aws.String(got.Name), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v.Content.CodeSha256) != big.CodeSHA256 || v.Content.CodeSize != big.ZippedBytes {
		t.Errorf("published %s (%d bytes), want %s (%d bytes)", aws.ToString(v.Content.CodeSha256), v.Content.CodeSize, big.CodeSHA256, big.ZippedBytes)
	}
	wantParts := int((big.ZippedBytes + 16<<20 - 1) / (16 << 20))
	if n := e.calls.count("UploadPart"); n != wantParts {
		t.Errorf("%d UploadPart calls, want %d", n, wantParts)
	}
	if n := e.calls.count("PublishLayerVersion"); n != 1 {
		t.Errorf("%d PublishLayerVersion calls, want 1", n)
	}
	if n := e.calls.count("HeadObject"); n != 1 {
		t.Errorf("%d HeadObject calls, want 1 (checking the lost completion)", n)
	}
	if objs, ups := e.bucketState("us-east-1", bucket); len(objs)+len(ups) != 0 {
		t.Errorf("staging left behind: objects %v, uploads %v", objs, ups)
	}
}

func TestRefuseBigZipWithoutBucketBeforeAnyCall(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	res, err := e.publish(rep(bigLayer(t)), Options{Regions: []string{"us-east-1"}})
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "--s3-bucket") {
		t.Fatalf("err = %v, want a refusal naming --s3-bucket", err)
	}
	if res.Layers[0].Status != StatusRefused {
		t.Errorf("%+v", res.Layers[0])
	}
	if n := e.calls.all(); n != 0 {
		t.Errorf("%d calls made, want none", n)
	}
}

func TestPermissionsIdempotent(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	l := layerOf(t, e.dir, "shared", "python3.13", "x86_64", "1")
	o := Options{Regions: []string{"us-east-1"}, Permissions: []Permission{
		{Account: "210987654321"}, {Organization: "o-abcdefghij"}, {Public: true}, {Account: "210987654321"},
	}}
	res := e.mustPublish(rep(l), o)
	if got := res.Layers[0].Permissions; len(got) != 3 {
		t.Fatalf("permissions granted %v, want 3", got)
	}
	policy := func() []map[string]any {
		out, err := e.lambda("us-east-1").GetLayerVersionPolicy(t.Context(), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("shared-py313-x86_64"), VersionNumber: aws.Int64(1)})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Statement []map[string]any }
		if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Statement
	}
	st := policy()
	bySid := map[string]map[string]any{}
	for _, s := range st {
		bySid[s["Sid"].(string)] = s
	}
	if len(st) != 3 || bySid["lambda-layers-account-210987654321"]["Principal"] != "210987654321" ||
		bySid["lambda-layers-org-o-abcdefghij"]["OrganizationId"] != "o-abcdefghij" || bySid["lambda-layers-public"]["Principal"] != "*" {
		t.Fatalf("policy statements: %v", st)
	}
	// Again, unchanged: moto would accept duplicate statement ids, so no call at all must be made.
	e.calls.reset()
	res = e.mustPublish(rep(l), o)
	if res.Layers[0].Status != StatusSkipped || len(res.Layers[0].Permissions) != 0 {
		t.Fatalf("%+v", res.Layers[0])
	}
	if n := e.calls.count("AddLayerVersionPermission"); n != 0 {
		t.Errorf("%d AddLayerVersionPermission calls on a re-run", n)
	}
	if st := policy(); len(st) != 3 {
		t.Errorf("policy has %d statements after a re-run, want 3", len(st))
	}
	// A new grant on the kept version adds just that one.
	o.Permissions = append(o.Permissions, Permission{Account: "333333333333"})
	res = e.mustPublish(rep(l), o)
	if got := res.Layers[0].Permissions; !slices.Equal(got, []string{"lambda-layers-account-333333333333"}) {
		t.Errorf("granted %v", got)
	}
}

func TestRollOutKeepsOtherLayers(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	const r = "us-east-1"
	arm1 := layerOf(t, e.dir, "data", "python3.12", "arm64", "1")
	x861 := layerOf(t, e.dir, "data", "python3.12", "x86_64", "1")
	e.mustPublish(rep(arm1, x861), Options{Regions: []string{r}})
	other := e.layerVersion(r, "other")
	extra := e.layerVersion(r, "extra")
	ours := func(name string, v string) string {
		return "arn:aws:lambda:" + r + ":" + e.account + ":layer:" + name + ":" + v
	}
	e.createFunction(r, "api", "python3.12", "arm64", other, ours("data-py312-arm64", "1"), extra)
	e.createFunction(r, "worker", "python3.12", "x86_64", ours("data-py312-x86_64", "1"), other)
	e.createFunction(r, "bystander", "python3.12", "arm64", ours("data-py312-arm64", "1"))

	arm2 := layerOf(t, e.dir, "data", "python3.12", "arm64", "2")
	x862 := layerOf(t, e.dir, "data", "python3.12", "x86_64", "2")
	res := e.mustPublish(rep(arm2, x862), Options{Regions: []string{r}, Functions: map[string][]string{"data": {"api", "worker"}}})

	wantAPI := []string{other, ours("data-py312-arm64", "2"), extra}
	wantWorker := []string{ours("data-py312-x86_64", "2"), other}
	if got := e.functionLayers(r, "api"); !slices.Equal(got, wantAPI) {
		t.Errorf("api layers %v, want %v", got, wantAPI)
	}
	if got := e.functionLayers(r, "worker"); !slices.Equal(got, wantWorker) {
		t.Errorf("worker layers %v, want %v", got, wantWorker)
	}
	if got := e.functionLayers(r, "bystander"); !slices.Equal(got, []string{ours("data-py312-arm64", "1")}) {
		t.Errorf("an unlisted function changed: %v", got)
	}
	if len(res.Functions) != 2 {
		t.Fatalf("functions: %+v", res.Functions)
	}
	for _, f := range res.Functions {
		if f.Status != StatusUpdated || len(f.Before) == 0 || len(f.After) != len(f.Before) {
			t.Errorf("%+v", f)
		}
	}
	if f := res.Functions[0]; !slices.Equal(f.Before, []string{other, ours("data-py312-arm64", "1"), extra}) || !slices.Equal(f.After, wantAPI) {
		t.Errorf("api before/after: %v → %v", f.Before, f.After)
	}

	// Unchanged content and functions already on the newest: nothing to write.
	e.calls.reset()
	res = e.mustPublish(rep(arm2, x862), Options{Regions: []string{r}, Functions: map[string][]string{"data": {"api", "worker"}}})
	if w := e.calls.writes(); len(w) != 0 {
		t.Errorf("writes on a no-op run: %v", w)
	}
	for _, f := range res.Functions {
		if f.Status != StatusUnchanged {
			t.Errorf("%+v", f)
		}
	}
}

func TestPruneKeepsNAndSparesVersionsInUse(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	const r = "us-east-1"
	const name = "lib-py311-x86_64"
	for _, v := range []string{"1", "2", "3", "4"} {
		e.mustPublish(rep(layerOf(t, e.dir, "lib", "python3.11", "x86_64", v)), Options{Regions: []string{r}})
	}
	arn := func(v string) string { return "arn:aws:lambda:" + r + ":" + e.account + ":layer:" + name + ":" + v }
	e.createFunction(r, "old", "python3.11", "x86_64", arn("1"))

	res := e.mustPublish(rep(layerOf(t, e.dir, "lib", "python3.11", "x86_64", "5")),
		Options{Regions: []string{r}, KeepVersions: 2, Functions: map[string][]string{"lib": {"old"}}})
	// Keep 5 (new) and 4; 3 and 2 go; 1 was in use by a listed function when the run began: kept for a rollback.
	if vs := e.versions(r, name); !slices.Equal(vs, []int64{5, 4, 1}) {
		t.Errorf("versions left %v, want [5 4 1]", vs)
	}
	if got := e.functionLayers(r, "old"); !slices.Equal(got, []string{arn("5")}) {
		t.Errorf("old's layers %v", got)
	}
	var deleted, spared []int64
	for _, p := range res.Pruned {
		switch p.Status {
		case StatusDeleted:
			deleted = append(deleted, p.Version)
		case StatusSkipped:
			spared = append(spared, p.Version)
		}
	}
	if !slices.Equal(deleted, []int64{3, 2}) || !slices.Equal(spared, []int64{1}) {
		t.Errorf("pruned %+v", res.Pruned)
	}
	// The next run finds version 1 unused and prunes it.
	e.mustPublish(rep(layerOf(t, e.dir, "lib", "python3.11", "x86_64", "5")),
		Options{Regions: []string{r}, KeepVersions: 2, Functions: map[string][]string{"lib": {"old"}}})
	if vs := e.versions(r, name); !slices.Equal(vs, []int64{5, 4}) {
		t.Errorf("versions left after a second run %v, want [5 4]", vs)
	}
}

func TestTwoRegions(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	regions := []string{"us-east-1", "eu-west-1"}
	l := layerOf(t, e.dir, "geo", "python3.12", "x86_64", "1")
	res := e.mustPublish(rep(l), Options{Regions: regions})
	if len(res.Layers) != 2 {
		t.Fatalf("%+v", res.Layers)
	}
	for i, r := range regions {
		got := res.Layers[i]
		want := "arn:aws:lambda:" + r + ":" + e.account + ":layer:geo-py312-x86_64:1"
		if got.Region != r || got.Status != StatusPublished || got.ARN != want {
			t.Errorf("%s: %+v, want ARN %s", r, got, want)
		}
		if vs := e.versions(r, "geo-py312-x86_64"); !slices.Equal(vs, []int64{1}) {
			t.Errorf("%s versions %v", r, vs)
		}
	}
	// A region added later gets its first version; the first region is skipped.
	res = e.mustPublish(rep(l), Options{Regions: append(regions, "ap-southeast-2")})
	if s := []Status{res.Layers[0].Status, res.Layers[1].Status, res.Layers[2].Status}; !slices.Equal(s, []Status{StatusSkipped, StatusSkipped, StatusPublished}) {
		t.Errorf("statuses %v", s)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	const r = "us-east-1"
	e.mustPublish(rep(layerOf(t, e.dir, "dry", "python3.12", "x86_64", "1")), Options{Regions: []string{r}})
	e.mustPublish(rep(layerOf(t, e.dir, "dry", "python3.12", "x86_64", "2")), Options{Regions: []string{r}})
	other := e.layerVersion(r, "other")
	e.createFunction(r, "fn", "python3.12", "x86_64", "arn:aws:lambda:"+r+":"+e.account+":layer:dry-py312-x86_64:2", other)
	bucket := "dry-" + e.account
	e.createBucket(r, bucket)

	e.calls.reset()
	var out strings.Builder
	res, err := e.publish(rep(layerOf(t, e.dir, "dry", "python3.12", "x86_64", "3"), bigLayer(t)), Options{
		Regions: []string{r}, DryRun: true, KeepVersions: 1, S3Bucket: bucket,
		Permissions: []Permission{{Account: "210987654321"}},
		Functions:   map[string][]string{"dry": {"fn"}}, Out: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if w := e.calls.writes(); len(w) != 0 {
		t.Errorf("dry run made writing calls: %v", w)
	}
	if vs := e.versions(r, "dry-py312-x86_64"); !slices.Equal(vs, []int64{2, 1}) {
		t.Errorf("versions %v", vs)
	}
	if vs := e.versions(r, "big-py312-x86_64"); len(vs) != 0 {
		t.Errorf("big versions %v", vs)
	}
	if objs, ups := e.bucketState(r, bucket); len(objs)+len(ups) != 0 {
		t.Errorf("bucket %v %v", objs, ups)
	}
	wantCalls := []string{
		"us-east-1  s3:CreateMultipartUpload s3://" + bucket + "/lambda-layers-staging/big-py312-x86_64/",
		"us-east-1  s3:UploadPart s3://" + bucket + "/lambda-layers-staging/big-py312-x86_64/",
		"us-east-1  s3:CompleteMultipartUpload s3://",
		"us-east-1  lambda:PublishLayerVersion dry-py312-x86_64 from ZipFile",
		"us-east-1  lambda:PublishLayerVersion big-py312-x86_64 from s3://" + bucket,
		"us-east-1  s3:DeleteObject s3://" + bucket,
		"us-east-1  lambda:AddLayerVersionPermission dry-py312-x86_64:<new> statement lambda-layers-account-210987654321",
		"us-east-1  lambda:AddLayerVersionPermission big-py312-x86_64:<new> statement lambda-layers-account-210987654321",
		"us-east-1  lambda:UpdateFunctionConfiguration fn layers [dry-py312-x86_64:<new>,other:1]",
		"us-east-1  lambda:GetFunction fn until updated",
		"us-east-1  lambda:DeleteLayerVersion dry-py312-x86_64:1",
	}
	if len(res.Calls) != len(wantCalls) {
		t.Fatalf("calls:\n%s", strings.Join(res.Calls, "\n"))
	}
	for i, w := range wantCalls {
		if !strings.HasPrefix(res.Calls[i], w) {
			t.Errorf("call %d:\n got %s\nwant %s…", i, res.Calls[i], w)
		}
	}
	if !strings.Contains(out.String(), "dry run: nothing is written") || !strings.Contains(out.String(), res.Calls[3]) {
		t.Errorf("plan printed:\n%s", out.String())
	}
	for _, l := range res.Layers {
		if l.Status != StatusPlanned {
			t.Errorf("%+v", l)
		}
	}
	if f := res.Functions[0]; f.Status != StatusPlanned || len(f.After) != 2 {
		t.Errorf("%+v", f)
	}
	// Version 2 is what fn uses now: the plan keeps it.
	if len(res.Pruned) != 2 || res.Pruned[0].Version != 2 || res.Pruned[0].Status != StatusSkipped || res.Pruned[1].Status != StatusPlanned {
		t.Errorf("pruned %+v", res.Pruned)
	}
	if md := res.Markdown(); !strings.Contains(md, "dry run") {
		t.Errorf("markdown:\n%s", md)
	}
}

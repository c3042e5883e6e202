package publish

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestFaultsPublishExactlyOnce throws throttling, server errors and connection resets at every kind of
// call; the one that matters is the PublishLayerVersion whose answer is lost after Lambda published:
// retrying it blindly would publish a second version.
func TestFaultsPublishExactlyOnce(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	const r = "us-east-1"
	l := layerOf(t, e.dir, "flaky", "python3.12", "x86_64", "1")
	e.faults.set(func(op string, n int, _ *http.Request) fault {
		switch {
		case op == "ListLayerVersions" && n == 1:
			return serverError
		case op == "ListLayerVersions" && n == 2:
			return throttle
		case op == "PublishLayerVersion" && n == 1:
			return throttle // never reached Lambda
		case op == "PublishLayerVersion" && n == 2:
			return resetAfter // Lambda published version 1; the answer is lost
		case op == "AddLayerVersionPermission" && n == 1:
			return serverErrorAfter // granted; the answer is lost; the retry conflicts
		case op == "GetLayerVersion" && n == 1:
			return resetBefore
		}
		return pass
	})
	res := e.mustPublish(rep(l), Options{Regions: []string{r}, Permissions: []Permission{{Account: "210987654321"}}})
	if got := res.Layers[0]; got.Status != StatusPublished || got.Version != 1 {
		t.Fatalf("%+v", got)
	}
	if vs := e.versions(r, "flaky-py312-x86_64"); !slices.Equal(vs, []int64{1}) {
		t.Errorf("versions %v: the publish happened more than once", vs)
	}
	if n := e.calls.count("PublishLayerVersion"); n != 1 {
		t.Errorf("%d PublishLayerVersion calls reached Lambda, want 1", n)
	}

	// A 500 after the fact, then a reset before: still one new version.
	l2 := layerOf(t, e.dir, "flaky", "python3.12", "x86_64", "2")
	e.faults.set(func(op string, n int, _ *http.Request) fault {
		switch {
		case op == "PublishLayerVersion" && n == 1:
			return serverErrorAfter
		case op == "PublishLayerVersion" && n == 2:
			return resetBefore
		}
		return pass
	})
	res = e.mustPublish(rep(l2), Options{Regions: []string{r}})
	if got := res.Layers[0]; got.Status != StatusPublished || got.Version != 2 {
		t.Fatalf("%+v", got)
	}
	if vs := e.versions(r, "flaky-py312-x86_64"); !slices.Equal(vs, []int64{2, 1}) {
		t.Errorf("versions %v", vs)
	}
}

// TestFaultS3MidUploadPublishesNothing fails the second part of a staged upload for good: no version
// may appear, no function may change, and no staging state may be left.
func TestFaultS3MidUploadPublishesNothing(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	const r = "us-east-1"
	bucket := "stage-" + e.account
	e.createBucket(r, bucket)
	small := layerOf(t, e.dir, "small", "python3.12", "x86_64", "1")
	e.mustPublish(rep(small), Options{Regions: []string{r}})
	v1 := "arn:aws:lambda:" + r + ":" + e.account + ":layer:small-py312-x86_64:1"
	e.createFunction(r, "fn", "python3.12", "x86_64", v1)
	e.calls.reset()

	e.faults.set(func(op string, n int, req *http.Request) fault {
		if op == "UploadPart" && req.URL.Query().Get("partNumber") == "2" {
			return serverError
		}
		return pass
	})
	small2 := layerOf(t, e.dir, "small", "python3.12", "x86_64", "2")
	res, err := e.publish(rep(small2, bigLayer(t)), Options{
		Regions: []string{r}, S3Bucket: bucket, Functions: map[string][]string{"small": {"fn"}},
	})
	if err == nil || !strings.Contains(err.Error(), "part 2") {
		t.Fatalf("err = %v, want the failed part", err)
	}
	if n := e.calls.count("PublishLayerVersion"); n != 0 {
		t.Errorf("%d PublishLayerVersion calls after a failed upload", n)
	}
	if vs := e.versions(r, "small-py312-x86_64"); !slices.Equal(vs, []int64{1}) {
		t.Errorf("small versions %v", vs)
	}
	if vs := e.versions(r, "big-py312-x86_64"); len(vs) != 0 {
		t.Errorf("big versions %v", vs)
	}
	if got := e.functionLayers(r, "fn"); !slices.Equal(got, []string{v1}) {
		t.Errorf("fn layers %v", got)
	}
	if objs, ups := e.bucketState(r, bucket); len(objs)+len(ups) != 0 {
		t.Errorf("staging left: objects %v, uploads %v", objs, ups)
	}
	if n := e.calls.count("AbortMultipartUpload"); n != 1 {
		t.Errorf("%d AbortMultipartUpload calls, want 1", n)
	}
	statuses := map[string]Status{}
	for _, l := range res.Layers {
		statuses[l.Name] = l.Status
	}
	if statuses["big-py312-x86_64"] != StatusFailed || statuses["small-py312-x86_64"] != StatusAborted || res.Functions[0].Status != StatusAborted {
		t.Errorf("statuses %v, function %+v", statuses, res.Functions[0])
	}
}

func TestAccessDeniedNamesTheAction(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	e.faults.set(func(op string, n int, _ *http.Request) fault {
		if op == "PublishLayerVersion" {
			return denied
		}
		return pass
	})
	_, err := e.publish(rep(layerOf(t, e.dir, "locked", "python3.12", "x86_64", "1")), Options{Regions: []string{"us-east-1"}})
	var ad *AccessDeniedError
	if !errors.As(err, &ad) || ad.Action != "lambda:PublishLayerVersion" || !strings.Contains(err.Error(), `"lambda:PublishLayerVersion"`) {
		t.Fatalf("err = %v, want an AccessDeniedError for lambda:PublishLayerVersion", err)
	}
	if n := e.faults.seen["PublishLayerVersion"]; n != 1 {
		t.Errorf("access denied was retried: %d calls", n)
	}
}

package publish

import (
	"archive/zip"
	"compress/flate"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// Lambda's limits are ours to enforce: moto enforces none, so these tests count calls instead of
// waiting for an error from the emulator.

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// inflatingLayer is a real zip of ~300 KB that unzips to 260 MB.
func inflatingLayer(t *testing.T) report.Layer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "huge.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) { return flate.NewWriter(out, flate.BestSpeed) })
	e, err := w.Create("python/zeros.bin")
	if err == nil {
		_, err = io.CopyN(e, zeros{}, 260<<20)
	}
	if err == nil {
		err = w.Close()
	}
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return reportLayer(t, "huge", "python3.12", "x86_64", path, nil)
}

func TestRefuseUnzippedOver250MBBeforeAnyCall(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	huge := inflatingLayer(t)
	// The report understates it: the zip's own directory is read too.
	huge.UnzippedBytes = 1 << 20
	ok := layerOf(t, e.dir, "fine", "python3.12", "x86_64", "1")
	res, err := e.publish(rep(ok, huge), Options{Regions: []string{"us-east-1", "eu-west-1"}})
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "250 MB") {
		t.Fatalf("err = %v", err)
	}
	if n := e.calls.all(); n != 0 || len(e.faults.seen) != 0 {
		t.Errorf("%d calls made, want none", n)
	}
	if len(res.Layers) != 4 {
		t.Fatalf("%+v", res.Layers)
	}
	for _, l := range res.Layers {
		if l.Status != StatusRefused {
			t.Errorf("%+v", l)
		}
		if l.Name == "huge-py312-x86_64" && !strings.Contains(l.Reason, "260.0 MB unzipped") {
			t.Errorf("reason %q", l.Reason)
		}
	}
}

func TestRefuseSixthLayerBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	e := newMotoEnv(t)
	const r = "us-east-1"
	var five []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		five = append(five, e.layerVersion(r, n))
	}
	e.createFunction(r, "full", "python3.12", "x86_64", five...)
	e.calls.reset()
	res, err := e.publish(rep(layerOf(t, e.dir, "sixth", "python3.12", "x86_64", "1")),
		Options{Regions: []string{r}, Functions: map[string][]string{"sixth": {"full"}}})
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "6 layers") {
		t.Fatalf("err = %v", err)
	}
	if w := e.calls.writes(); len(w) != 0 {
		t.Errorf("writing calls made: %v", w)
	}
	if vs := e.versions(r, "sixth-py312-x86_64"); len(vs) != 0 {
		t.Errorf("versions %v", vs)
	}
	if got := e.functionLayers(r, "full"); !slices.Equal(got, five) {
		t.Errorf("function changed: %v", got)
	}
	if f := res.Functions[0]; f.Status != StatusRefused || !strings.Contains(f.Reason, "Lambda allows 5") {
		t.Errorf("%+v", f)
	}
	if l := res.Layers[0]; l.Status != StatusRefused {
		t.Errorf("%+v", l)
	}
}

// fakeLambda answers from memory and records every call; methods it does not implement panic.
type fakeLambda struct {
	LambdaAPI
	mu       sync.Mutex
	calls    []string
	function *lambda.GetFunctionConfigurationOutput
	sizes    map[string]int64 // layer version ARN → CodeSize
}

func (f *fakeLambda) record(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
}

func (f *fakeLambda) ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	f.record("ListLayerVersions")
	return &lambda.ListLayerVersionsOutput{}, nil
}

func (f *fakeLambda) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	f.record("GetFunctionConfiguration")
	return f.function, nil
}

func (f *fakeLambda) GetLayerVersion(_ context.Context, in *lambda.GetLayerVersionInput, _ ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	f.record("GetLayerVersion")
	arn := aws.ToString(in.LayerName) + ":" + strconv.FormatInt(aws.ToInt64(in.VersionNumber), 10)
	return &lambda.GetLayerVersionOutput{Content: &ltypes.LayerVersionContentOutput{CodeSize: f.sizes[arn]}}, nil
}

type fakeClients struct{ l *fakeLambda }

func (c fakeClients) Lambda(string) LambdaAPI { return c.l }
func (c fakeClients) S3(string) S3API         { return nil }

func TestRefuseOver250MBWithOtherLayers(t *testing.T) {
	t.Parallel()
	const other = "arn:aws:lambda:us-east-1:123456789012:layer:pandas:3"
	f := &fakeLambda{
		function: &lambda.GetFunctionConfigurationOutput{
			FunctionArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:api"), FunctionName: aws.String("api"),
			Runtime: "python3.12", Architectures: []ltypes.Architecture{"x86_64"}, PackageType: ltypes.PackageTypeZip,
			CodeSize: 10 << 20, Layers: []ltypes.Layer{{Arn: aws.String(other), CodeSize: 1}},
		},
		sizes: map[string]int64{other: 45 << 20},
	}
	l := layerOf(t, t.TempDir(), "data", "python3.12", "x86_64", "1")
	l.UnzippedBytes = 200 << 20 // 10 + 45 + 200 MB > 250 MB
	res, err := Publish(t.Context(), fakeClients{f}, rep(l), Options{Regions: []string{"us-east-1"}, Functions: map[string][]string{"data": {"api"}}})
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "over Lambda's 250 MB") || !strings.Contains(err.Error(), "pandas:3 45.0 MB") {
		t.Fatalf("err = %v", err)
	}
	if want := []string{"ListLayerVersions", "GetFunctionConfiguration", "GetLayerVersion"}; !slices.Equal(f.calls, want) {
		t.Errorf("calls %v, want %v (reads only)", f.calls, want)
	}
	if res.Functions[0].Status != StatusRefused {
		t.Errorf("%+v", res.Functions[0])
	}

	// 190 MB fits: the same fake then gets to publish, which it does not implement — so stop at dry run.
	l.UnzippedBytes = 190 << 20
	f.calls = nil
	if _, err := Publish(t.Context(), fakeClients{f}, rep(l), Options{Regions: []string{"us-east-1"}, DryRun: true, Functions: map[string][]string{"data": {"api"}}}); err != nil {
		t.Fatalf("190 MB: %v", err)
	}
}

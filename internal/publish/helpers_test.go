package publish

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambda-layers/lambda-layers/internal/publish/mototest"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mototest.Stop()
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}

// motoEnv is one test's world: its own moto account, clients that go through a call counter and a
// fault injector, and plain clients (same account) to set up and inspect state.
type motoEnv struct {
	t       *testing.T
	srv     *mototest.Server
	account string
	clients *AWSClients // what Publish uses: faults → counter → moto
	calls   *counter
	faults  *faults
	direct  *AWSClients // for setting up and checking, not counted
	dir     string
}

func newMotoEnv(t *testing.T) *motoEnv {
	t.Helper()
	srv := mototest.Shared(t)
	e := &motoEnv{t: t, srv: srv, account: mototest.NewAccount(), calls: &counter{}, faults: &faults{}, dir: t.TempDir()}
	e.faults.next = e.calls
	e.calls.next = mototest.Transport(e.account, nil)
	var err error
	e.clients, err = NewAWSClients(t.Context(), ClientConfig{
		Getenv: srv.Getenv("us-east-1"), HTTPClient: &http.Client{Transport: e.faults}, MaxBackoff: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.direct, err = NewAWSClients(t.Context(), ClientConfig{
		Getenv: srv.Getenv("us-east-1"), HTTPClient: &http.Client{Transport: mototest.Transport(e.account, nil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *motoEnv) lambda(region string) *lambda.Client {
	return e.direct.Lambda(region).(*lambda.Client)
}
func (e *motoEnv) s3(region string) *s3.Client { return e.direct.S3(region).(*s3.Client) }

// publish runs Publish with the env's counted clients; options get a small part size for speed.
func (e *motoEnv) publish(rep *report.Report, o Options) (*Result, error) {
	e.t.Helper()
	if o.Out == nil {
		o.Out = &testWriter{t: e.t}
	}
	return Publish(e.t.Context(), e.clients, rep, o)
}

func (e *motoEnv) mustPublish(rep *report.Report, o Options) *Result {
	e.t.Helper()
	res, err := e.publish(rep, o)
	if err != nil {
		e.t.Fatalf("publish: %v", err)
	}
	return res
}

// versions lists a layer's version numbers in a region, newest first.
func (e *motoEnv) versions(region, name string) []int64 {
	e.t.Helper()
	vs, err := listVersions(e.t.Context(), e.lambda(region), name)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []int64
	for _, v := range vs {
		out = append(out, v.number)
	}
	return out
}

// layerVersion publishes a layer directly (set-up, not under test) and returns its version ARN.
func (e *motoEnv) layerVersion(region, name string) string {
	e.t.Helper()
	out, err := e.lambda(region).PublishLayerVersion(e.t.Context(), &lambda.PublishLayerVersionInput{
		LayerName: aws.String(name), Content: &ltypes.LayerVersionContentInput{ZipFile: zipOf(e.t, map[string]string{"python/" + name + ".py": name})},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.LayerVersionArn)
}

func (e *motoEnv) createFunction(region, name, runtime, arch string, layers ...string) {
	e.t.Helper()
	role, err := e.srv.CreateRole(e.t.Context(), e.account, "role-"+name)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.lambda(region).CreateFunction(e.t.Context(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(role), Runtime: ltypes.Runtime(runtime), Handler: aws.String("app.handler"),
		Architectures: []ltypes.Architecture{ltypes.Architecture(arch)}, Layers: layers,
		Code: &ltypes.FunctionCode{ZipFile: zipOf(e.t, map[string]string{"app.py": "def handler(e, c):\n    return 1\n"})},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *motoEnv) functionLayers(region, name string) []string {
	e.t.Helper()
	cfg, err := e.lambda(region).GetFunctionConfiguration(e.t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, l := range cfg.Layers {
		out = append(out, aws.ToString(l.Arn))
	}
	return out
}

func (e *motoEnv) createBucket(region, name string) {
	e.t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &stypes.CreateBucketConfiguration{LocationConstraint: stypes.BucketLocationConstraint(region)}
	}
	if _, err := e.s3(region).CreateBucket(e.t.Context(), in); err != nil {
		e.t.Fatal(err)
	}
}

// bucketState lists the objects and unfinished multipart uploads in a bucket.
func (e *motoEnv) bucketState(region, bucket string) (objects, uploads []string) {
	e.t.Helper()
	lo, err := e.s3(region).ListObjectsV2(e.t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range lo.Contents {
		objects = append(objects, aws.ToString(o.Key))
	}
	lu, err := e.s3(region).ListMultipartUploads(e.t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range lu.Uploads {
		uploads = append(uploads, aws.ToString(u.Key))
	}
	return objects, uploads
}

// zipOf makes a small zip in memory.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		f, err := w.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, files[n])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// layerOf writes a layer zip whose single package is at version and returns its report entry.
func layerOf(t testing.TB, dir, name, runtime, arch, version string) report.Layer {
	t.Helper()
	py := strings.TrimPrefix(runtime, "python")
	z := zipOf(t, map[string]string{
		"python/lib/python" + py + "/site-packages/pkg/__init__.py": "VERSION = " + version + "\n",
	})
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-%s-%s.zip", name, runtime, arch, version))
	if err := os.WriteFile(path, z, 0o644); err != nil {
		t.Fatal(err)
	}
	return reportLayer(t, name, runtime, arch, path, []report.Package{{Name: "pkg", Version: version, Wheel: "pkg-" + version + "-py3-none-any.whl"}})
}

func reportLayer(t testing.TB, name, runtime, arch, path string, pkgs []report.Package) report.Layer {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		t.Fatal(err)
	}
	var unzipped int64
	for _, e := range zr.File {
		unzipped += int64(e.UncompressedSize64)
	}
	sum := h.Sum(nil)
	return report.Layer{
		Name: name, Runtime: runtime, Architecture: arch, Zip: path,
		SHA256: hex.EncodeToString(sum), CodeSHA256: base64.StdEncoding.EncodeToString(sum),
		ZippedBytes: size, UnzippedBytes: unzipped, Packages: pkgs, Quotas: report.Quotas(size, unzipped, 0),
	}
}

func rep(layers ...report.Layer) *report.Report { return &report.Report{Layers: layers} }

var (
	bigOnce sync.Once
	bigDir  string
	bigPath string
	bigErr  error
)

// bigLayer is a layer zip over 50 MB (51 MiB of random bytes, stored): made once per test binary.
func bigLayer(t testing.TB) report.Layer {
	t.Helper()
	bigOnce.Do(func() {
		bigDir, bigErr = os.MkdirTemp("", "lambda-layers-publish-")
		if bigErr != nil {
			return
		}
		bigPath = filepath.Join(bigDir, "big.zip")
		f, err := os.Create(bigPath)
		if err != nil {
			bigErr = err
			return
		}
		w := zip.NewWriter(f)
		e, err := w.CreateHeader(&zip.FileHeader{Name: "python/blob.bin", Method: zip.Store})
		if err == nil {
			_, err = io.CopyN(e, rand.Reader, 51<<20)
		}
		if err == nil {
			err = w.Close()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		bigErr = err
	})
	if bigErr != nil {
		t.Fatal(bigErr)
	}
	return reportLayer(t, "big", "python3.12", "x86_64", bigPath, []report.Package{{Name: "blob", Version: "1", Wheel: "blob-1-py3-none-any.whl"}})
}

// counter counts the calls that reach the server, by operation, and the writing ones.
type counter struct {
	next  http.RoundTripper
	mu    sync.Mutex
	ops   map[string]int
	total int
}

// readOps are the operations that change nothing.
var readOps = map[string]bool{
	"ListLayerVersions": true, "GetLayerVersion": true, "GetLayerVersionPolicy": true, "GetFunctionConfiguration": true,
	"GetFunction": true, "HeadObject": true,
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	op := awsmiddleware.GetOperationName(r.Context())
	c.mu.Lock()
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	c.ops[op]++
	c.total++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops, c.total = nil, 0
}

func (c *counter) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

func (c *counter) all() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// writes lists the writing operations made, with their counts.
func (c *counter) writes() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for op, n := range c.ops {
		if !readOps[op] {
			out[op] = n
		}
	}
	return out
}

// fault is what the injector does to one request.
type fault int

const (
	pass             fault = iota
	throttle               // 429 Too Many Requests, the request never reaches the server
	serverError            // 500 before the server sees it
	resetBefore            // connection reset before the server sees it
	resetAfter             // the server handles it, then the connection resets: the response is lost
	serverErrorAfter       // the server handles it, then a 500 comes back instead of its answer
	denied                 // 403 AccessDenied
)

// faults injects failures chosen per operation and per attempt (1-based count of that operation).
type faults struct {
	next http.RoundTripper
	mu   sync.Mutex
	rule func(op string, n int, r *http.Request) fault
	seen map[string]int
}

func (f *faults) set(rule func(op string, n int, r *http.Request) fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rule, f.seen = rule, map[string]int{}
}

var errReset = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

func (f *faults) RoundTrip(r *http.Request) (*http.Response, error) {
	op := awsmiddleware.GetOperationName(r.Context())
	service := awsmiddleware.GetServiceID(r.Context())
	f.mu.Lock()
	what := pass
	if f.rule != nil {
		f.seen[op]++
		what = f.rule(op, f.seen[op], r)
	}
	f.mu.Unlock()
	switch what {
	case throttle:
		return errorResponse(r, service, 429, "TooManyRequestsException", "SlowDown"), nil
	case serverError:
		return errorResponse(r, service, 500, "ServiceException", "InternalError"), nil
	case resetBefore:
		return nil, errReset
	case denied:
		return errorResponse(r, service, 403, "AccessDeniedException", "AccessDenied"), nil
	}
	resp, err := f.next.RoundTrip(r)
	if err != nil || what == pass {
		return resp, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if what == serverErrorAfter {
		return errorResponse(r, service, 500, "ServiceException", "InternalError"), nil
	}
	return nil, errReset
}

func errorResponse(r *http.Request, service string, status int, lambdaCode, s3Code string) *http.Response {
	h := http.Header{}
	var body string
	if service == "S3" {
		h.Set("Content-Type", "application/xml")
		body = fmt.Sprintf("<Error><Code>%s</Code><Message>injected by the test</Message></Error>", s3Code)
	} else {
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", lambdaCode)
		body = fmt.Sprintf(`{"Type":"User","message":"injected by the test: User: arn:aws:sts::1:assumed-role/ci is not authorized (%s)"}`, lambdaCode)
	}
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), Header: h,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
}

// testWriter sends progress to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Package mototest runs moto_server, the AWS emulator, for tests: one server per test binary, each test
// isolated in an account of its own (moto's x-moto-account-id header).
package mototest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Server is a running moto_server.
type Server struct {
	URL    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// Required reports whether the environment demands the integration tests run (CI is set): then a
// missing moto_server fails them instead of skipping them.
func Required() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

var (
	mu         sync.Mutex
	shared     *Server
	sharedErr  error
	tried      bool
	saidAbsent sync.Once
)

// Shared returns this test binary's server, starting it on first use. Without moto_server on PATH it
// skips the test, saying so — or fails it when Required.
func Shared(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !tried {
		tried = true
		shared, sharedErr = Start()
	}
	if errors.Is(sharedErr, exec.ErrNotFound) {
		if Required() {
			t.Fatalf("moto_server is not installed and CI is set: the AWS integration tests must run in CI (%v)", sharedErr)
		}
		saidAbsent.Do(func() {
			fmt.Fprintln(os.Stderr, "mototest: moto_server not found: skipping the AWS integration tests (with CI=true they fail instead)")
		})
		t.Skip("moto_server not found: skipping (with CI=true this fails)")
	}
	if sharedErr != nil {
		t.Fatalf("starting moto_server: %v", sharedErr)
	}
	return shared
}

// Stop stops the shared server, if one was started; call it from TestMain after m.Run. (A test binary
// that exits without calling it still takes the server with it on Linux.)
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.Close()
		shared = nil
	}
}

var runningOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:[0-9]+)`)

// Start starts moto_server on a free port of 127.0.0.1 and waits until it answers.
func Start() (*Server, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", "0")
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = sysProcAttr()
	s := &Server{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is tied to the thread that started the child: keep it for moto's life.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			runtime.UnlockOSThread()
			return
		}
		started <- nil
		cmd.Wait()
		close(s.exited)
	}()
	err = <-started
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	found := make(chan string, 1)
	var head []string // moto's first lines, to show when it fails to start
	go func() {
		// Read the address, then keep draining: moto logs every request and must never block on it.
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := runningOn.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
			if len(head) < 20 {
				head = append(head, sc.Text())
			}
		}
		close(found)
		io.Copy(io.Discard, pr)
		pr.Close()
	}()
	select {
	case u, ok := <-found:
		if !ok {
			s.Close()
			return nil, fmt.Errorf("moto_server exited before saying where it listens:\n%s", strings.Join(head, "\n"))
		}
		s.URL = u
	case <-time.After(60 * time.Second):
		s.Close()
		return nil, fmt.Errorf("moto_server did not say where it listens within 60s")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("moto_server at %s not ready within 60s: %v", s.URL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops the server.
func (s *Server) Close() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.exited
	}
}

var accounts atomic.Int64

// NewAccount returns an account id no other test of this binary uses, for state of its own.
func NewAccount() string {
	return fmt.Sprintf("%012d", 100000000000+accounts.Add(1))
}

// Transport sends every request as account (nil base: http.DefaultTransport).
func Transport(account string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return accountTransport{account: account, base: base}
}

type accountTransport struct {
	account string
	base    http.RoundTripper
}

func (a accountTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("x-moto-account-id", a.account)
	return a.base.RoundTrip(r)
}

// Getenv is an environment for an SDK client of the server: endpoint, region and dummy credentials.
func (s *Server) Getenv(region string) func(string) string {
	env := map[string]string{
		"AWS_ENDPOINT_URL":      s.URL,
		"AWS_REGION":            region,
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
	}
	return func(k string) string { return env[k] }
}

var arnRe = regexp.MustCompile(`<Arn>([^<]+)</Arn>`)

// CreateRole creates, in account, an IAM role that Lambda may assume (moto's CreateFunction wants one)
// and returns its ARN. It speaks IAM's query protocol directly, to need no IAM SDK.
func (s *Server) CreateRole(ctx context.Context, account, name string) (string, error) {
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: Transport(account, nil)}).Do(req)
	if err != nil {
		return "", fmt.Errorf("creating role %s: %w", name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	m := arnRe.FindSubmatch(b)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("creating role %s: %s: %.300s", name, resp.Status, b)
	}
	return string(m[1]), nil
}

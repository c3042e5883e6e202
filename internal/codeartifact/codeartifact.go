// Package codeartifact makes an AWS CodeArtifact repository usable as a pip index: it asks the AWS
// SDK for the repository's PyPI endpoint and an authorization token, and adds the token as HTTP Basic
// credentials (user "aws") to the requests for that endpoint's host, fetching a new token before the
// old one expires (or when the repository refuses it). The token never goes into a URL, an error or
// anything printed; this package neither resolves nor downloads packages itself.
package codeartifact

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/smithy-go/logging"
)

// Repository names a CodeArtifact repository.
type Repository struct {
	Domain, Repository string
	Owner              string // the domain owner's account ID; "" means the caller's account
	Region             string // "" means the AWS configuration's
}

func (r Repository) String() string { return r.Domain + "/" + r.Repository }

// ParseRepository reads "DOMAIN/REPOSITORY", as --codeartifact takes it.
func ParseRepository(s string) (Repository, error) {
	d, r, ok := strings.Cut(s, "/")
	if !ok || d == "" || r == "" || strings.Contains(r, "/") {
		return Repository{}, fmt.Errorf("%q: want DOMAIN/REPOSITORY", s)
	}
	return Repository{Domain: d, Repository: r}, nil
}

// API is the part of the CodeArtifact client used here.
type API interface {
	GetAuthorizationToken(ctx context.Context, in *ca.GetAuthorizationTokenInput, opts ...func(*ca.Options)) (*ca.GetAuthorizationTokenOutput, error)
	GetRepositoryEndpoint(ctx context.Context, in *ca.GetRepositoryEndpointInput, opts ...func(*ca.Options)) (*ca.GetRepositoryEndpointOutput, error)
}

var _ API = (*ca.Client)(nil)

// RefreshBefore is how long before its expiry a token is replaced.
const RefreshBefore = 5 * time.Minute

// Index is a CodeArtifact repository as a pip index.
type Index struct {
	api  API
	repo Repository
	now  func() time.Time

	mu       sync.Mutex
	endpoint *url.URL
	token    string
	expires  time.Time
	// Fetched counts the tokens fetched, for tests and reports.
	Fetched int
}

// New returns the index for repo through api; now is the clock (nil: time.Now).
func New(api API, repo Repository, now func() time.Time) *Index {
	if now == nil {
		now = time.Now
	}
	return &Index{api: api, repo: repo, now: now}
}

// NoCredentialsError means the AWS SDK's default chain found no credentials (no AWS_* variables, no
// profile, no role on the machine). Err is the SDK's account of each place it looked.
type NoCredentialsError struct{ Err error }

func (e *NoCredentialsError) Error() string {
	return "no AWS credentials found (AWS_* variables, the shared config and credentials files, a role of this machine)"
}

// NoCredentialsHint says what to do about a NoCredentialsError.
const NoCredentialsHint = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where a role provides them (in a workflow: aws-actions/configure-aws-credentials before this step)"

func (e *NoCredentialsError) Unwrap() error { return e.Err }

// Options connect Open to the world.
type Options struct {
	// Getenv is read for AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_CODEARTIFACT and AWS_ENDPOINT_URL;
	// nil means os.Getenv. The SDK's default chain settles the rest.
	Getenv     func(string) string
	HTTPClient *http.Client // nil: the SDK's own
	Now        func() time.Time
}

// Open builds an Index with the AWS SDK's default configuration.
func Open(ctx context.Context, repo Repository, o Options) (*Index, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var opts []func(*config.LoadOptions) error
	if r := first(repo.Region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if p := getenv("AWS_PROFILE"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
	}
	// The SDK's own logger writes lines such as "WARN falling back to IMDSv1" to standard error when
	// it looks for credentials on an instance that has none; what went wrong reaches the user once,
	// as NoCredentialsError, instead.
	opts = append(opts, config.WithLogger(logging.Nop{}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration for CodeArtifact: %w", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &NoCredentialsError{Err: err}
	}
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	}
	endpoint := first(getenv("AWS_ENDPOINT_URL_CODEARTIFACT"), getenv("AWS_ENDPOINT_URL"))
	client := ca.NewFromConfig(cfg, func(co *ca.Options) {
		if endpoint != "" {
			co.BaseEndpoint = aws.String(endpoint)
		}
	})
	return New(client, repo, o.Now), nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (x *Index) owner() *string {
	if x.repo.Owner == "" {
		return nil
	}
	return aws.String(x.repo.Owner)
}

// URL is the repository's simple index URL (its PyPI endpoint + "simple/"), without credentials.
func (x *Index) URL(ctx context.Context) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.endpoint == nil {
		out, err := x.api.GetRepositoryEndpoint(ctx, &ca.GetRepositoryEndpointInput{
			Domain: aws.String(x.repo.Domain), DomainOwner: x.owner(), Repository: aws.String(x.repo.Repository), Format: types.PackageFormatPypi,
		})
		if err != nil {
			return "", fmt.Errorf("getting the PyPI endpoint of CodeArtifact repository %s: %w", x.repo, err)
		}
		u, err := url.Parse(aws.ToString(out.RepositoryEndpoint))
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("CodeArtifact repository %s: endpoint %q is not a URL", x.repo, aws.ToString(out.RepositoryEndpoint))
		}
		u.User = nil
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		x.endpoint = u
	}
	return x.endpoint.String() + "simple/", nil
}

// tokenLocked returns a token valid for RefreshBefore more, fetching one when needed.
func (x *Index) tokenLocked(ctx context.Context, force bool) (string, error) {
	if !force && x.token != "" && x.now().Add(RefreshBefore).Before(x.expires) {
		return x.token, nil
	}
	out, err := x.api.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String(x.repo.Domain), DomainOwner: x.owner()})
	if err != nil {
		return "", fmt.Errorf("getting a CodeArtifact token for domain %s: %w", x.repo.Domain, err)
	}
	if aws.ToString(out.AuthorizationToken) == "" {
		return "", errors.New("CodeArtifact returned an empty authorization token for domain " + x.repo.Domain)
	}
	x.token = aws.ToString(out.AuthorizationToken)
	x.expires = x.now().Add(12 * time.Hour)
	if out.Expiration != nil {
		x.expires = *out.Expiration
	}
	x.Fetched++
	return x.token, nil
}

// Transport wraps base (nil: http.DefaultTransport) to authenticate the requests for the
// repository's host. A 401 or 403 answered to a token is retried once with a new token, for a token
// revoked or expired early.
func (x *Index) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{x: x, base: base}
}

type transport struct {
	x    *Index
	base http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.x.mu.Lock()
	ours := t.x.endpoint != nil && strings.EqualFold(r.URL.Host, t.x.endpoint.Host)
	var token string
	var err error
	if ours {
		token, err = t.x.tokenLocked(r.Context(), false)
	}
	t.x.mu.Unlock()
	if !ours {
		return t.base.RoundTrip(r)
	}
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(withToken(r, token))
	if err != nil || (resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden) || r.Body != nil && r.GetBody == nil {
		return resp, err
	}
	t.x.mu.Lock()
	if t.x.token == token { // nobody replaced it meanwhile
		token, err = t.x.tokenLocked(r.Context(), true)
	} else {
		token = t.x.token
	}
	t.x.mu.Unlock()
	if err != nil {
		return resp, nil // the refusal says more than the failed refresh
	}
	resp.Body.Close()
	r2 := withToken(r, token)
	if r.GetBody != nil {
		if r2.Body, err = r.GetBody(); err != nil {
			return nil, err
		}
	}
	return t.base.RoundTrip(r2)
}

func withToken(r *http.Request, token string) *http.Request {
	r = r.Clone(r.Context())
	r.SetBasicAuth("aws", token)
	return r
}

// HTTPClient returns a copy of base (nil: a default client) whose transport authenticates to the
// repository.
func (x *Index) HTTPClient(base *http.Client) *http.Client {
	hc := &http.Client{}
	if base != nil {
		c := *base
		hc = &c
	}
	hc.Transport = x.Transport(hc.Transport)
	return hc
}

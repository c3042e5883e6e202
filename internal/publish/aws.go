package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// Retry defaults: bounded, so a run against a struggling service ends with an error rather than hanging.
const (
	DefaultMaxAttempts = 5
	DefaultMaxBackoff  = 20 * time.Second
)

// ClientConfig says how to build real AWS clients. The zero value means the SDK's default chain with
// the process environment.
type ClientConfig struct {
	// Getenv is read for AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE, AWS_ENDPOINT_URL(_LAMBDA|_S3) and
	// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN; nil means os.Getenv. Whatever it does not
	// settle (web identity, SSO, IMDS, shared files) the SDK's default chain resolves as usual.
	Getenv func(string) string
	// HTTPClient carries every request; nil means the SDK's own (which honours AWS_CA_BUNDLE).
	HTTPClient *http.Client
	// Region is the default region; "" means AWS_REGION, AWS_DEFAULT_REGION, then the profile's.
	Region string
	// MaxAttempts bounds the attempts per call (throttling, 5xx, connection errors); 0 means 5.
	MaxAttempts int
	// MaxBackoff caps the delay between attempts; 0 means 20s.
	MaxBackoff time.Duration
}

// AWSClients builds and caches real SDK clients per region.
type AWSClients struct {
	cfg       aws.Config
	lambdaURL string
	s3URL     string
	mu        sync.Mutex
	lambdas   map[string]*lambda.Client
	s3s       map[string]*s3.Client
}

var _ ClientFactory = (*AWSClients)(nil)

// NewAWSClients loads the SDK's default configuration, adjusted by c.
func NewAWSClients(ctx context.Context, c ClientConfig) (*AWSClients, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	attempts, backoff := c.MaxAttempts, c.MaxBackoff
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	if backoff <= 0 {
		backoff = DefaultMaxBackoff
	}
	opts := []func(*config.LoadOptions) error{
		config.WithAppID("lambda-layers"),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = backoff
			})
		}),
	}
	region := firstNonEmpty(c.Region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if p := getenv("AWS_PROFILE"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		// What aws-actions/configure-aws-credentials exports, OIDC session token included.
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
	}
	endpoint := getenv("AWS_ENDPOINT_URL")
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
	}
	// The SDK's own logger writes lines such as "WARN falling back to IMDSv1" to standard error when it
	// looks for credentials on an instance that has none; the failure reaches the user as our error.
	opts = append(opts, config.WithLogger(logging.Nop{}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if c.HTTPClient != nil {
		// Set after loading: given as a load option, a plain *http.Client makes AWS_CA_BUNDLE an error.
		cfg.HTTPClient = c.HTTPClient
	}
	return &AWSClients{
		cfg:       cfg,
		lambdaURL: firstNonEmpty(getenv("AWS_ENDPOINT_URL_LAMBDA"), endpoint),
		s3URL:     firstNonEmpty(getenv("AWS_ENDPOINT_URL_S3"), endpoint),
		lambdas:   map[string]*lambda.Client{},
		s3s:       map[string]*s3.Client{},
	}, nil
}

// NoCredentialsError means the AWS SDK's default chain found no credentials (no AWS_* variables, no
// profile, no role of the machine). Err is the SDK's account of each place it looked.
type NoCredentialsError struct{ Err error }

func (e *NoCredentialsError) Error() string {
	return "no AWS credentials found (AWS_* variables, the shared config and credentials files, a role of this machine)"
}

func (e *NoCredentialsError) Unwrap() error { return e.Err }

// NoCredentialsHint says what to do about a NoCredentialsError.
const NoCredentialsHint = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where a role provides them (in a workflow: aws-actions/configure-aws-credentials before this step)"

// CheckCredentials retrieves the credentials the calls will be signed with, so that having none is one
// NoCredentialsError before any call instead of a failure per layer and region.
func (c *AWSClients) CheckCredentials(ctx context.Context) error {
	if c.cfg.Credentials == nil {
		return &NoCredentialsError{Err: errors.New("no credentials provider")}
	}
	if _, err := c.cfg.Credentials.Retrieve(ctx); err != nil {
		return &NoCredentialsError{Err: err}
	}
	return nil
}

// Region is the default region the configuration resolved ("" when none).
func (c *AWSClients) Region() string { return c.cfg.Region }

// Lambda returns the Lambda client for region.
func (c *AWSClients) Lambda(region string) LambdaAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.lambdas[region]; l != nil {
		return l
	}
	l := lambda.NewFromConfig(c.cfg, func(o *lambda.Options) {
		o.Region = region
		if c.lambdaURL != "" {
			o.BaseEndpoint = aws.String(c.lambdaURL)
		}
	})
	c.lambdas[region] = l
	return l
}

// S3 returns the S3 client for region. With a custom endpoint (LocalStack, moto) it addresses buckets
// by path, as those emulators expect.
func (c *AWSClients) S3(region string) S3API {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.s3s[region]; s != nil {
		return s
	}
	s := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.Region = region
		if c.s3URL != "" {
			o.BaseEndpoint = aws.String(c.s3URL)
			o.UsePathStyle = true
		}
	})
	c.s3s[region] = s
	return s
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

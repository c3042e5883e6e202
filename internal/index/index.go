// Package index is a client for Python package indexes: PEP 691 JSON and PEP 503 HTML project pages,
// PEP 658/714 metadata files and downloads, with retries, per-host credentials and an HTTP cache. It is hand-written
// because no maintained Go client for these protocols exists.
package index

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/cachepack"
)

// PyPI is the default index, pip's --index-url default.
const PyPI = "https://pypi.org/simple/"

// EnvHTTPTimeout names the environment variable that sets the network timeout in seconds (WithTimeout), in
// the spirit of pip's --timeout and uv's UV_HTTP_TIMEOUT.
const EnvHTTPTimeout = "LAMBDA_LAYERS_HTTP_TIMEOUT"

// TimeoutFromEnv reads EnvHTTPTimeout: 0 when unset, an error naming the variable when it is not a
// number of seconds (more than 0, at most a day). Commands check it before they start.
func TimeoutFromEnv(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(EnvHTTPTimeout))
	if v == "" {
		return 0, nil
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 || secs > 24*3600 {
		return 0, fmt.Errorf("%s=%q: want a number of seconds, such as 30", EnvHTTPTimeout, v)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// Default timeouts. A read that makes no progress for DefaultTimeout fails (and is retried); connecting
// may take DefaultConnectTimeout (never more than half the timeout).
const (
	DefaultTimeout        = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	// DefaultMinRate is the slowest average a response body may arrive at, in bytes per second, once a
	// timeout has passed since the request: a server trickling a byte every few seconds never stalls,
	// and without a floor it could hold a build forever. At 10 KiB/s a 50 MB wheel may take 85 minutes.
	DefaultMinRate      = 10 << 10
	tlsHandshakeTimeout = 10 * time.Second
	// No new attempt starts once retryWindow timeouts have passed since the first, so a server that
	// stalls every time fails a request within (retryWindow+1) timeouts: 105 s by default.
	retryWindow = 2.5
)

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "lambda-layers (+https://github.com/lambda-layers/lambda-layers)"

// File is one distribution file of a project as an index lists it.
type File struct {
	Filename string
	// URL is absolute, without credentials (the client applies them per host) and without fragment
	// (a "#sha256=..." fragment is moved to Hashes).
	URL string
	// Hashes maps a hash name ("sha256") to its lower-case hex digest.
	Hashes map[string]string
	// RequiresPython is the file's Requires-Python specifier, unescaped; "" when absent.
	RequiresPython string
	Yanked         bool
	YankedReason   string
	// MetadataURL is where the PEP 658 core-metadata file is served; "" when the index offers none.
	MetadataURL    string
	MetadataHashes map[string]string
	// Size is the file's size in bytes (PEP 700); 0 when unknown.
	Size int64
	// Index is the redacted base URL of the index that listed the file.
	Index string
}

// Project is what the indexes list for one project. Files come from all indexes, the primary first, each
// index's files in the order it listed them. The slice is the caller's; the maps inside are shared.
type Project struct {
	Name  string // normalized (PEP 503)
	Files []File
}

// Client talks to one primary index and any number of extra indexes. It is safe for concurrent use and
// keeps project pages and metadata files for its lifetime (one run), and across runs in an HTTP cache
// when given one (WithHTTPCache).
type Client struct {
	indexes []*url.URL // credentials stripped, path ending in "/"
	http    *http.Client
	files   *http.Client // file:// URLs, through http.NewFileTransport
	creds   *credStore

	// Settings, all defaulted in New.
	userClient    *http.Client
	getenv        func(string) string
	netrcPath     string
	netrcSet      bool
	attempts      int
	backoff       time.Duration
	maxRetryAfter time.Duration
	stallTimeout  time.Duration
	timeoutSet    bool
	minRate       int64
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	maxPage       int64
	userAgent     string
	sleep         func(context.Context, time.Duration) error
	now           func() time.Time
	cacheDir      string
	cacheMode     CacheMode

	cache *cacheTransport // httpcache.go: every http(s) request goes through it

	projects group[Project]
	metadata group[[]byte]
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the client used for http(s) URLs; its Transport is wrapped to add credentials, and
// it follows redirects to http and https URLs only. Default: a client without an overall timeout (wheels
// can be large) whose transport has connect, TLS and response-header timeouts and honours the proxy
// environment; stalled bodies are cut by the Client itself.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.userClient = hc } }

// WithTimeout sets how long a read may make no progress (waiting for headers or between body reads)
// before the attempt fails and is retried; connecting may take min(d/2, 10s). Retries stop starting
// after 2.5 d, so a server that stalls every time fails a request within 3.5 d. Default: 30s, or
// $LAMBDA_LAYERS_HTTP_TIMEOUT seconds.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.stallTimeout, c.timeoutSet = d, true }
}

// WithMinRate sets the slowest average, in bytes per second, at which a response body may arrive: after
// the first timeout (WithTimeout) an attempt must have received rate × (elapsed − timeout) bytes, so a
// download of n bytes gets timeout + n/rate. A trickle below it fails the request, naming the bytes
// received; it is not retried. 0 turns the floor off. Default: DefaultMinRate.
func WithMinRate(bytesPerSecond int64) Option { return func(c *Client) { c.minRate = bytesPerSecond } }

// WithNetrc reads credentials from the netrc file at path; "" disables netrc. Default: $NETRC, else
// ~/.netrc, each only if it exists. An explicitly given file must exist.
func WithNetrc(path string) Option {
	return func(c *Client) { c.netrcPath, c.netrcSet = path, true }
}

// WithGetenv sets how the environment is read (NETRC, HOME). Default: os.Getenv.
func WithGetenv(getenv func(string) string) Option { return func(c *Client) { c.getenv = getenv } }

// WithRetries sets the number of attempts per request (1 = no retry) and the base delay, doubled after
// every failure with jitter. Default: 4 attempts, 200ms. 5xx, 429 (honouring Retry-After up to 30s),
// connection errors and timeouts are retried; other 4xx never are. A zero base retries at once.
func WithRetries(attempts int, base time.Duration) Option {
	return func(c *Client) { c.attempts, c.backoff = attempts, base }
}

// WithMaxPageBytes caps the size of an index page or metadata file. Default: 64 MiB.
func WithMaxPageBytes(n int64) Option { return func(c *Client) { c.maxPage = n } }

// WithUserAgent sets the User-Agent header. Default: DefaultUserAgent.
func WithUserAgent(s string) Option { return func(c *Client) { c.userAgent = s } }

// New returns a client for the given index URLs: the first is the primary (pip's --index-url), the rest
// are extra (--extra-index-url). A URL is http(s)://, file:// or a local directory path, the directory
// holding <project>/index.html pages (a PEP 503 static index). Credentials in a URL are removed from it
// and sent, as HTTP Basic auth, to that host only.
func New(urls []string, opts ...Option) (*Client, error) {
	c := &Client{
		getenv:        os.Getenv,
		attempts:      4,
		backoff:       200 * time.Millisecond,
		maxRetryAfter: 30 * time.Second,
		stallTimeout:  DefaultTimeout,
		minRate:       DefaultMinRate,
		maxPage:       64 << 20,
		userAgent:     DefaultUserAgent,
		sleep:         sleepCtx,
		now:           time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	if !c.timeoutSet && c.getenv != nil {
		d, err := TimeoutFromEnv(c.getenv)
		if err != nil {
			return nil, fmt.Errorf("creating index client: %w", err)
		}
		if d > 0 {
			c.stallTimeout = d
		}
	}
	switch {
	case len(urls) == 0:
		return nil, errors.New("creating index client: no index URLs")
	case c.attempts < 1:
		return nil, fmt.Errorf("creating index client: retry attempts must be at least 1, got %d", c.attempts)
	case c.backoff < 0:
		return nil, fmt.Errorf("creating index client: negative retry delay %v", c.backoff)
	case c.maxPage <= 0:
		return nil, fmt.Errorf("creating index client: page size limit must be positive, got %d", c.maxPage)
	case c.getenv == nil:
		return nil, errors.New("creating index client: nil getenv")
	case c.minRate < 0:
		return nil, fmt.Errorf("creating index client: negative minimum rate %d", c.minRate)
	case c.stallTimeout <= 0:
		return nil, fmt.Errorf("creating index client: timeout must be positive, got %v", c.stallTimeout)
	case c.cacheMode < CacheDefault || c.cacheMode > CacheOffline:
		return nil, fmt.Errorf("creating index client: unknown cache mode %d", c.cacheMode)
	}

	c.creds = &credStore{hosts: map[string]*url.Userinfo{}}
	if err := c.loadNetrc(); err != nil {
		return nil, err
	}
	for _, raw := range urls {
		u, err := parseIndexURL(raw)
		if err != nil {
			return nil, err
		}
		if u.User != nil {
			c.creds.add(u, u.User, true)
			u.User = nil
		}
		c.indexes = append(c.indexes, u)
	}

	hc := c.userClient
	if hc == nil {
		hc = c.defaultHTTPClient()
	}
	wrapped := *hc
	wrapped.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		// A remote index must not send us to local files (file:) or anything but http(s).
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("%w: redirected from %s to a %s URL; only http and https redirects are followed", ErrUnsafeLink, Redact(via[len(via)-1].URL.String()), req.URL.Scheme)
		}
		if hc.CheckRedirect != nil {
			return hc.CheckRedirect(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.cache = &cacheTransport{base: &authTransport{base: base, creds: c.creds}, mode: c.cacheMode, now: c.now, maxBody: c.maxPage}
	if c.cacheDir != "" {
		store, err := cachepack.Open(c.cacheDir)
		if err != nil {
			return nil, fmt.Errorf("opening the HTTP cache: %w", err)
		}
		c.cache.store = store
	}
	wrapped.Transport = c.cache
	c.http = &wrapped
	c.files = &http.Client{Transport: http.NewFileTransport(http.Dir("/"))}
	return c, nil
}

func (c *Client) defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Connecting and the TLS handshake get at most half the timeout, so that their own message, not the
	// watchdog's, says what took too long.
	connect := min(c.stallTimeout/2, DefaultConnectTimeout)
	dial := c.dial
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeoutCause(ctx, connect, fmt.Errorf("connecting to %s: %w", addr, &timeoutError{"no answer", connect}))
		defer cancel()
		conn, err := dial(ctx, network, addr)
		var te *timeoutError
		if err != nil && errors.As(context.Cause(ctx), &te) {
			return nil, context.Cause(ctx)
		}
		return conn, err
	}
	t.TLSHandshakeTimeout = min(c.stallTimeout/2, tlsHandshakeTimeout)
	t.ResponseHeaderTimeout = 2 * c.stallTimeout // a backstop: the watchdog in try fires first
	// Pages, metadata and downloads run in parallel against one host (up to 32 of each at once); the
	// default of 2 idle connections per host would mean a TLS handshake for most of them. (HTTP/2 hosts,
	// as PyPI's are, multiplex them on one connection anyway.)
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

func (c *Client) loadNetrc() error {
	path, explicit := c.netrcPath, c.netrcSet
	if !explicit {
		path = c.getenv("NETRC")
		if path == "" {
			if home := c.getenv("HOME"); home != "" {
				path = filepath.Join(home, ".netrc")
			}
		}
	}
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("reading netrc: %w", err)
	}
	machines, def, err := parseNetrc(string(data))
	if err != nil {
		return fmt.Errorf("reading netrc %s: %w", path, err)
	}
	c.creds.netrc, c.creds.netrcDefault = machines, def
	return nil
}

// parseIndexURL turns an index argument into an absolute URL whose path ends in "/".
func parseIndexURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, errors.New("parsing index URL: empty")
	}
	u, err := url.Parse(s)
	if err != nil && strings.Contains(s, "://") {
		// Not err itself: a *url.Error quotes the whole URL, credentials included.
		msg := "malformed"
		var uerr *url.Error
		if errors.As(err, &uerr) {
			if _, isEscape := uerr.Err.(url.EscapeError); !isEscape {
				msg = uerr.Err.Error()
			}
		}
		return nil, fmt.Errorf("parsing index URL %s: %s", Redact(s), msg)
	}
	if err != nil || u.Scheme == "" || len(u.Scheme) == 1 { // one letter: a Windows drive, not a scheme
		abs, aerr := filepath.Abs(s)
		if aerr != nil {
			return nil, fmt.Errorf("parsing index path %q: %w", s, aerr)
		}
		u = &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("parsing index URL %s: no host", Redact(s))
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("parsing index URL %s: file URLs on another host are not supported", Redact(s))
		}
		u.Host = ""
		fi, err := os.Stat(filepath.FromSlash(u.Path))
		if err != nil {
			return nil, fmt.Errorf("opening index directory: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("opening index directory %s: not a directory", u.Path)
		}
	default:
		return nil, fmt.Errorf("parsing index URL %s: unsupported scheme %q: give an http(s) URL, a file:// URL or a folder", Redact(s), u.Scheme)
	}
	u.Fragment, u.RawFragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// URLsFromEnv returns the index URLs pip would use from its environment: PIP_INDEX_URL (else PyPI) and
// then the whitespace-separated PIP_EXTRA_INDEX_URL.
func URLsFromEnv(getenv func(string) string) []string {
	primary := strings.TrimSpace(getenv("PIP_INDEX_URL"))
	if primary == "" {
		primary = PyPI
	}
	return append([]string{primary}, strings.Fields(getenv("PIP_EXTRA_INDEX_URL"))...)
}

// Indexes returns the client's index URLs, redacted, primary first.
func (c *Client) Indexes() []string {
	out := make([]string, len(c.indexes))
	for i, u := range c.indexes {
		out[i] = Redact(u.String())
	}
	return out
}

// Redact returns rawURL with any user information replaced by "***", so it can be printed. It works on
// the string's shape, so it also redacts what does not parse as a URL.
func Redact(rawURL string) string {
	// The authority runs from after "scheme://" (or the start) to the first "/", "?" or "#"; user
	// information is everything in it up to the last "@".
	start := 0
	if i := strings.Index(rawURL, "://"); i >= 0 {
		start = i + 3
	}
	end := len(rawURL)
	if i := strings.IndexAny(rawURL[start:], "/?#"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndex(rawURL[start:end], "@"); at >= 0 {
		return rawURL[:start] + "***" + rawURL[start+at:]
	}
	return rawURL
}

var nameRE = regexp.MustCompile(`^(?i:[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
var sepRE = regexp.MustCompile(`[-_.]+`)

// normalize is PEP 503 name normalization; it rejects what cannot be a project name, which also keeps
// names from walking out of a local index directory.
func normalize(name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("invalid project name %q", name)
	}
	return strings.ToLower(sepRE.ReplaceAllString(name, "-")), nil
}

// Project returns the files every index lists for name. A project no index knows is a *NotFoundError;
// any other failure of any index is an error (a missing index page would silently change resolution).
func (c *Client) Project(ctx context.Context, name string) (Project, error) {
	norm, err := normalize(name)
	if err != nil {
		return Project{}, fmt.Errorf("fetching project: %w", err)
	}
	p, err := c.projects.do(ctx, norm, func(ctx context.Context) (Project, error) {
		return c.fetchProject(ctx, norm)
	})
	p.Files = slices.Clone(p.Files)
	return p, err
}

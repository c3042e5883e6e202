package index

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// errStalled is the watchdog's cancellation cause; errors shown say how long (Client.stalled).
var errStalled = errors.New("no data received")

// timeoutError is a wait that ran out; it says how long and which setting changes it.
type timeoutError struct {
	what string
	d    time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s within %v (set %s to wait longer)", e.what, e.d, EnvHTTPTimeout)
}

// Timeout makes the error a net.Error-style timeout.
func (e *timeoutError) Timeout() bool { return true }

func (c *Client) stalled() error { return &timeoutError{"no data received", c.stallTimeout} }

// tooSlowError is a body that kept arriving, but below the client's minimum rate (WithMinRate): a server
// trickling bytes so that the stall timeout never fires.
type tooSlowError struct {
	got, size int64 // bytes received by this attempt; the declared length, -1 if none
	elapsed   time.Duration
	rate      int64
	grace     time.Duration
}

func (e *tooSlowError) Error() string {
	of := ""
	if e.size >= 0 {
		of = fmt.Sprintf(" of %d", e.size)
	}
	return fmt.Sprintf("too slow: %d%s bytes received in %v, under the floor of %d bytes/s after the first %v; "+
		"the server or the network is trickling data: try again later or use another index (%s gives more time)",
		e.got, of, e.elapsed.Round(100*time.Millisecond), e.rate, e.grace, EnvHTTPTimeout)
}

// Timeout makes the error a net.Error-style timeout.
func (e *tooSlowError) Timeout() bool { return true }

// get performs GET u, retrying transient failures, and hands each 2xx response to read. Errors read
// returns from the body are retried (the body reader marks them); its other errors are final.
func (c *Client) get(ctx context.Context, u *url.URL, accept string, read func(*http.Response) error) error {
	attempts := c.attempts
	if u.Scheme == "file" {
		attempts = 1 // a local file that failed once will fail again
	}
	// A stalled server costs a timeout per attempt: retries stop starting once retryWindow timeouts have
	// passed without progress — a body byte beyond what any earlier attempt got — so a long download
	// that was moving may still retry, and a server that sends a little and stalls every time may not.
	progress, best := c.now(), int64(0)
	onProgress := func(n int64) {
		if n > best {
			best, progress = n, c.now()
		}
	}
	window := time.Duration(retryWindow * float64(c.stallTimeout))
	for attempt := 1; ; attempt++ {
		err := c.try(ctx, u, accept, read, onProgress)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var r *retryableError
		if !errors.As(err, &r) {
			return err
		}
		if attempt >= attempts {
			if attempt == 1 {
				return r.err
			}
			return fmt.Errorf("%w (after %d attempts)", r.err, attempt)
		}
		d := c.delay(attempt)
		if r.after > 0 {
			d = min(r.after, c.maxRetryAfter)
		}
		if idle := c.now().Sub(progress); idle+d >= window {
			return fmt.Errorf("%w (after %d attempts, %v without data)", r.err, attempt, idle.Round(100*time.Millisecond))
		}
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// delay is exponential backoff with "equal jitter": half fixed, half random, so that parallel clients
// hitting one failure do not retry in lockstep.
func (c *Client) delay(attempt int) time.Duration {
	if c.backoff <= 0 {
		return 0 // WithRetries(n, 0): retry at once (tests)
	}
	d := c.backoff << (attempt - 1)
	if d <= 0 || d > time.Minute { // overflow or absurd
		d = time.Minute
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) try(parent context.Context, u *url.URL, accept string, read func(*http.Response) error, onProgress func(int64)) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	// One watchdog covers both the wait for headers and every gap between body reads: an overall timeout
	// would cut large downloads, and http.Client has no idle timeout of its own.
	watchdog := time.AfterFunc(c.stallTimeout, func() { cancel(errStalled) })
	defer watchdog.Stop()

	started := c.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("building request for %s: %w", Redact(u.String()), err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	hc := c.http
	if u.Scheme == "file" {
		hc = c.files
	}
	resp, err := hc.Do(req)
	if err != nil {
		if parent.Err() != nil {
			return parent.Err()
		}
		if oe := (*OfflineError)(nil); errors.As(err, &oe) {
			return oe // it names the URL already
		}
		if context.Cause(ctx) == errStalled {
			return &retryableError{err: fmt.Errorf("GET %s: %w", Redact(u.String()), c.stalled())}
		}
		if retryableTransportError(err) {
			return &retryableError{err: err}
		}
		return err
	}
	defer resp.Body.Close()

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		resp.Body = &markingReader{
			r:   resp.Body,
			ctx: ctx,
			reset: func(n int64) {
				watchdog.Reset(c.stallTimeout)
				onProgress(n)
			},
			stalled: c.stalled,
			tooSlow: c.slowCheck(started, resp.ContentLength),
		}
		return read(resp)
	}

	herr := &HTTPError{URL: Redact(u.String()), StatusCode: resp.StatusCode, Message: shortMessage(resp)}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		if c.creds.lookup(u) == nil {
			herr.hint = "no credentials configured for " + u.Hostname() + "; put them in the index URL or netrc"
		} else {
			herr.hint = "credentials for " + u.Hostname() + " were sent and refused"
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return &retryableError{err: herr, after: c.retryAfter(resp.Header.Get("Retry-After"))}
	}
	return herr
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 when absent or unreadable.
func (c *Client) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(c.maxRetryAfter/time.Second) {
			return c.maxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(c.now()); d > 0 {
			return d
		}
	}
	return 0
}

// shortMessage returns the first line of a small text or JSON error body, for HTTPError.Message.
func shortMessage(resp *http.Response) string {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "text/plain" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	line = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(line))
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return line
}

// retryableTransportError says whether a failure of http.Client.Do may go away: resets, refusals and
// timeouts may; certificate problems, unknown hosts and malformed requests will not.
func retryableTransportError(err error) bool {
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalid     x509.CertificateInvalidError
		dnsErr      *net.DNSError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid):
		return false
	case errors.As(err, &dnsErr):
		return !dnsErr.IsNotFound
	case errors.Is(err, http.ErrSchemeMismatch), errors.Is(err, ErrUnsafeLink):
		return false
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && strings.Contains(uerr.Err.Error(), "unsupported protocol scheme") {
		return false
	}
	return true
}

// slowCheck is the minimum-rate rule for one attempt started at start: nil while the body keeps up, a
// *tooSlowError once it has fallen below minRate for the time past the first timeout. nil when off.
func (c *Client) slowCheck(start time.Time, size int64) func(got int64) error {
	if c.minRate <= 0 {
		return nil
	}
	return func(got int64) error {
		elapsed := c.now().Sub(start)
		late := elapsed - c.stallTimeout
		if late <= 0 || float64(got) >= float64(c.minRate)*late.Seconds() {
			return nil
		}
		return &tooSlowError{got: got, size: size, elapsed: elapsed, rate: c.minRate, grace: c.stallTimeout}
	}
}

// markingReader marks body read errors as retryable (a reset or stall mid-body is as transient as one
// before the headers), and feeds the stall watchdog.
type markingReader struct {
	r       io.ReadCloser
	ctx     context.Context
	reset   func(total int64) // called with the bytes read so far whenever a read returns some
	stalled func() error
	tooSlow func(total int64) error // the minimum-rate rule, checked as bytes arrive; nil when off
	n       int64
}

func (m *markingReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 {
		m.n += int64(n)
		m.reset(m.n)
		if m.tooSlow != nil && err == nil {
			// Checked when bytes arrive: a trickle delivers some every few seconds, and a body that
			// delivers none is the stall watchdog's. Final, not retried: the next attempt would trickle too.
			if serr := m.tooSlow(m.n); serr != nil {
				return n, serr
			}
		}
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(m.ctx); cause == errStalled {
			err = m.stalled()
		}
		return n, &retryableError{err: fmt.Errorf("reading response: %w", err)}
	}
	return n, err
}

func (m *markingReader) Close() error { return m.r.Close() }

// readCapped reads a whole body of at most max bytes.
func readCapped(resp *http.Response, u *url.URL, max int64) ([]byte, error) {
	tooLarge := func() error {
		return fmt.Errorf("GET %s: response exceeds the limit of %d bytes", Redact(u.String()), max)
	}
	if resp.ContentLength > max {
		return nil, tooLarge()
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, tooLarge()
	}
	return b, nil
}

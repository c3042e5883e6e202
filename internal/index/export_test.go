package index

import (
	"context"
	"net"
	"time"
)

// Test seams: time is injected so retry tests neither sleep nor flake.

func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

func WithStallTimeout(d time.Duration) Option { return WithTimeout(d) }

func WithNow(f func() time.Time) Option {
	return func(c *Client) { c.now = f }
}

// ParseCacheEntry and CacheFresh expose the cache's parsers to the fuzz targets.
func ParseCacheEntry(data []byte) error {
	_, _, err := parseEntry(data)
	return err
}

func CacheControlMaxAge(values []string) int64 { return parseCacheControl(values).maxAge }

// WithDial replaces the default transport's dialer (the connect timeout still applies around it).
func WithDial(f func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *Client) { c.dial = f }
}

// SetMaxDownloadBytes lowers the cap on a download of unknown size for a test, returning a restore.
func SetMaxDownloadBytes(n int64) (restore func()) {
	old := maxDownloadBytes
	maxDownloadBytes = n
	return func() { maxDownloadBytes = old }
}

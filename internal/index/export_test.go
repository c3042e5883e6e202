package index

import (
	"context"
	"time"
)

// Test seams: time is injected so retry tests neither sleep nor flake.

func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

func WithStallTimeout(d time.Duration) Option {
	return func(c *Client) { c.stallTimeout = d }
}

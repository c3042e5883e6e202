package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// prefetchLimit bounds the requests of one Prefetch wave: conditional requests are small, and a wave
// wider than the pages of a typical layer would gain nothing.
const prefetchLimit = 32

// Prefetch fetches (or revalidates) the project pages of names in parallel, at most 32 at a time, so
// that later Project calls find them in memory. Failures are not reported here: the Project call that
// needs the page reports them. Invalid names are skipped.
func (c *Client) Prefetch(ctx context.Context, names []string) {
	sem := make(chan struct{}, prefetchLimit)
	var wg sync.WaitGroup
	for _, n := range names {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			_, _ = c.Project(ctx, n)
		})
	}
	wg.Wait()
}

// Wait returns once no request of the client runs any more: a request every caller gave up on (a
// resolution that failed early) is canceled but may still be ending, and may still write the HTTP
// cache. Call it before removing the cache directory. The client stays usable.
func (c *Client) Wait() {
	c.projects.running.Wait()
	c.metadata.running.Wait()
}

// ProjectsUsed returns the normalized names of the projects the client was asked for, sorted.
func (c *Client) ProjectsUsed() []string {
	c.projects.mu.Lock()
	names := make([]string, 0, len(c.projects.m))
	for k := range c.projects.m {
		names = append(names, k)
	}
	c.projects.mu.Unlock()
	slices.Sort(names)
	return names
}

// Recall starts, in the background, a Prefetch of the pages that an earlier client with the same
// indexes and HTTP cache recorded under key with Remember, so a resolution of the same inputs finds every
// page revalidated by one parallel wave instead of one round trip per dependency level. The caller must
// call the returned function, which waits for the wave, before it drops the client. Without an HTTP cache,
// or in offline mode (nothing to revalidate), it does nothing.
func (c *Client) Recall(ctx context.Context, key string) (wait func()) {
	if c.cache.store == nil || c.cacheMode == CacheOffline {
		return func() {}
	}
	data, ok := c.cache.store.Get(c.recallKey(key))
	if !ok {
		return func() {}
	}
	var names []string
	for _, n := range strings.Fields(string(data)) {
		if norm, err := normalize(n); err == nil && norm == n {
			names = append(names, n)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Prefetch(ctx, names)
	}()
	return func() { <-done }
}

// Remember records under key the projects the client was asked for (ProjectsUsed), for a later Recall;
// it reaches the disk at Flush, and not at all when it is what Recall read. Without an HTTP cache it
// does nothing.
func (c *Client) Remember(key string) {
	if c.cache.store == nil {
		return
	}
	c.cache.store.Put(c.recallKey(key), []byte(strings.Join(c.ProjectsUsed(), "\n")+"\n"))
}

// recallKey is the key Remember keeps a key's names under: keyed by the indexes too, since the same
// inputs on other indexes use other pages.
func (c *Client) recallKey(key string) string {
	h := sha256.Sum256([]byte(strings.Join(c.Indexes(), "\n") + "\n\n" + key))
	return "used:" + hex.EncodeToString(h[:])
}

// Flush writes what the client's HTTP cache learned since the last Flush (pages, the record of Remember)
// as one file. Call it once the client's requests are over (Wait); a client never flushed only costs the
// next run the requests it would have saved. Without an HTTP cache it does nothing.
func (c *Client) Flush() error {
	if c.cache.store == nil {
		return nil
	}
	if err := c.cache.store.Flush(); err != nil {
		return fmt.Errorf("writing the HTTP cache: %w", err)
	}
	return nil
}

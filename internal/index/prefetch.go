package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	if c.cacheDir == "" || c.cacheMode == CacheOffline {
		return func() {}
	}
	data, err := os.ReadFile(c.recallPath(key))
	if err != nil {
		return func() {}
	}
	c.recalledMu.Lock()
	if c.recalled == nil {
		c.recalled = map[string]string{}
	}
	c.recalled[key] = string(data)
	c.recalledMu.Unlock()
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

// Remember records under key the projects the client was asked for (ProjectsUsed), for a later Recall.
// Without an HTTP cache it does nothing.
func (c *Client) Remember(key string) error {
	if c.cacheDir == "" {
		return nil
	}
	data := strings.Join(c.ProjectsUsed(), "\n") + "\n"
	c.recalledMu.Lock()
	same := c.recalled[key] == data
	c.recalledMu.Unlock()
	if same {
		return nil // a warm build of the same inputs: the record holds already, and a new file costs a create
	}
	if err := writeFileAtomic(c.recallPath(key), []byte(data)); err != nil {
		return fmt.Errorf("recording the pages used: %w", err)
	}
	return nil
}

// recallPath is where Remember keeps a key's names: keyed by the indexes too, since the same inputs
// on other indexes use other pages.
func (c *Client) recallPath(key string) string {
	h := sha256.Sum256([]byte(strings.Join(c.Indexes(), "\n") + "\n\n" + key))
	return filepath.Join(c.cacheDir, "used-"+hex.EncodeToString(h[:])) // beside the entries, whose names are bare hex
}

// writeFileAtomic writes path through a temporary file in its folder and a rename. The folder is made
// only when the first write finds it missing, not checked on every write: a cold build writes an entry
// per page.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil { // the HTTP cache is private
			return err
		}
		f, err = os.CreateTemp(filepath.Dir(path), ".tmp-*")
	}
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	err = errors.Join(werr, f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

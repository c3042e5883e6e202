package build

import (
	"context"
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
)

// recalled is a client whose pages a previous build of the same requirements used, revalidated in one
// wave while the resolutions start; key is where finish records this build's pages for the next.
type recalled struct {
	client *index.Client
	key    string
	wait   func()
}

func (b *builder) cacheMode() index.CacheMode {
	switch {
	case b.plan.Offline:
		return index.CacheOffline
	case b.plan.Refresh:
		return index.CacheRefresh
	}
	return index.CacheDefault
}

// recallKey names a requirements set's inputs: the same requirements and constraints read the same
// pages, whatever the hashes or the files they came from.
func recallKey(set *requirements.Set, pre bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pre=%t\n", pre || set.Options.Pre)
	for _, r := range set.Requirements {
		b.WriteString(r.Requirement.String() + "\n")
	}
	b.WriteString("--constraints\n")
	for _, r := range set.Constraints {
		b.WriteString(r.Requirement.String() + "\n")
	}
	return b.String()
}

// recall starts revalidating, in one parallel wave, the pages an earlier build of set used: with them
// all revalidated at once, a warm build costs one round trip instead of one per dependency level.
func (b *builder) recall(ctx context.Context, c *index.Client, set *requirements.Set) {
	key := recallKey(set, b.plan.Pre)
	for _, r := range b.recalls {
		if r.client == c && r.key == key {
			return
		}
	}
	b.recalls = append(b.recalls, recalled{client: c, key: key, wait: c.Recall(ctx, key)})
}

// finish waits for the recall waves, records the pages each requirements set used for the next build,
// and says what the build took from the cache and what it downloaded.
func (b *builder) finish() *report.CacheUse {
	for _, r := range b.recalls {
		r.wait()
		r.client.Remember(r.key)
	}
	for _, c := range b.clients {
		c.Wait() // nothing of the build writes to the cache after it returns
		if err := c.Flush(); err != nil {
			fmt.Fprintln(b.env.Stderr, "warning:", err)
		}
	}
	if len(b.clients) == 0 {
		return nil
	}
	u := &report.CacheUse{Dir: b.cache.Dir(), Offline: b.plan.Offline, Refresh: b.plan.Refresh}
	for _, c := range b.clients {
		st := c.Stats()
		u.Requests += st.Requests
		u.Revalidated += st.Revalidated
		u.FromCache += st.Cached
		u.DownloadedBytes += st.Bytes
	}
	for _, f := range b.fetchers {
		u.WheelsDownloaded += f.Downloaded.Load()
		u.WheelsFromCache += f.FromCache.Load()
	}
	u.Warm = u.WheelsDownloaded == 0
	if b.env.Verbose != nil {
		fmt.Fprintf(b.env.Verbose, "cache %s: %s\n", u.Dir, report.CacheLine(u))
	}
	return u
}

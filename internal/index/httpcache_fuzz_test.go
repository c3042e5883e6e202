package index_test

import (
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index"
)

// FuzzCacheEntry: whatever is on disk under the cache, reading it never panics.
func FuzzCacheEntry(f *testing.F) {
	f.Add([]byte("{\"url\":\"https://x/simple/a/\",\"status\":200,\"stored\":\"2026-01-01T00:00:00Z\",\"size\":2,\"header\":{\"Etag\":[\"\\\"a\\\"\"]}}\nhi"))
	f.Add([]byte("{\"status\":200,\"size\":5}\nhi"))
	f.Add([]byte("{\"status\":99999,\"size\":0}\n"))
	f.Add([]byte("no header"))
	f.Add([]byte("{\"header\":{\"Cache-Control\":null}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = index.ParseCacheEntry(data)
	})
}

// FuzzCacheControl: any Cache-Control value parses to no max-age (-1) or a bounded non-negative one.
func FuzzCacheControl(f *testing.F) {
	for _, s := range []string{"max-age=600, public", "no-cache", "no-store", `private="a,b", max-age=5`, "max-age=99999999999999999999",
		"max-age=-1", "max-age=1, max-age=2", `max-age="7"`, "no-cache=\"Set-Cookie\\\"\", max-age=3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if n := index.CacheControlMaxAge([]string{v}); n < -1 || n > 1<<31 {
			t.Errorf("max-age %d from %q", n, v)
		}
	})
}

func TestCacheControlMaxAge(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]int64{
		"max-age=600, public":          600,
		"public, MAX-AGE=60":           60,
		`max-age="7"`:                  7,
		"no-cache":                     -1,
		"max-age=-1":                   0,
		"max-age=1, max-age=2":         0,
		"max-age=abc":                  0,
		"max-age=99999999999999999999": 1 << 31,
		`private="a,max-age=9", x=1`:   -1,
	} {
		if got := index.CacheControlMaxAge([]string{v}); got != want {
			t.Errorf("%q: max-age %d, want %d", v, got, want)
		}
	}
}

package report_test

import (
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/report/reporttest"
)

func TestCacheLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		u    *report.CacheUse
		want string
	}{
		{nil, ""},
		{&report.CacheUse{WheelsDownloaded: 60, DownloadedBytes: 42_000_000, Requests: 180}, "cold: 60 wheels downloaded, 40.1 MB downloaded in 180 requests"},
		{&report.CacheUse{Warm: true, WheelsFromCache: 60, FromCache: 27}, "warm: 60 wheels from the cache, 27 index files fresh in the cache, 0 B downloaded in 0 requests"},
		{&report.CacheUse{Warm: true, Refresh: true, WheelsFromCache: 1, Revalidated: 1, Requests: 1}, "warm (refresh): 1 wheel from the cache, 1 index file revalidated (304), 0 B downloaded in 1 request"},
		{&report.CacheUse{Offline: true, WheelsFromCache: 3, WheelsDownloaded: 1}, "partly warm (offline): 3 wheels from the cache, 1 wheel downloaded, 0 B downloaded in 0 requests"},
	} {
		if got := report.CacheLine(tc.u); got != tc.want {
			t.Errorf("report.CacheLine(%+v)\n got %q\nwant %q", tc.u, got, tc.want)
		}
	}
}

// TestSummarySaysCache: the job summary's footer says cold or warm; the pull request comment does not.
func TestSummarySaysCache(t *testing.T) {
	t.Parallel()
	f := reporttest.FixtureOK()
	f.Cur.Cache = &report.CacheUse{Warm: true, WheelsFromCache: 12}
	if s := markdown.Summary(f.Cur, nil, f.Opts); !strings.Contains(s, "cache warm: 12 wheels from the cache") {
		t.Errorf("summary footer lacks the cache line:\n%s", s[max(0, len(s)-400):])
	}
	if m := markdown.Comment(f.Cur, nil, f.Opts); strings.Contains(m, "wheels from the cache") {
		t.Error("the comment carries the cache line")
	}
}

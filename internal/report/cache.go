package report

import (
	"fmt"
	"strings"
)

// CacheUse says what a build took from the cache and what it fetched: the job summary's "cold" or
// "warm", and the bytes a CI cache saves.
type CacheUse struct {
	Dir string `json:"dir"`
	// Warm is true when every wheel came from the cache (index pages may still have been revalidated).
	Warm    bool `json:"warm"`
	Offline bool `json:"offline,omitempty"`
	Refresh bool `json:"refresh,omitempty"`
	// Requests counts the HTTP requests sent; Revalidated those of them answered 304 Not Modified.
	Requests    int64 `json:"requests"`
	Revalidated int64 `json:"revalidated"`
	// FromCache counts index pages and metadata files used from the cache without a request.
	FromCache int64 `json:"from_cache"`
	// DownloadedBytes is every response body received: pages, metadata and wheels.
	DownloadedBytes  int64 `json:"downloaded_bytes"`
	WheelsDownloaded int64 `json:"wheels_downloaded"`
	WheelsFromCache  int64 `json:"wheels_from_cache"`
}

// CacheLine is one sentence on the cache for a summary or the terminal: "warm: 60 wheels from the
// cache, 27 index files revalidated (304), 0 B downloaded in 27 requests".
func CacheLine(u *CacheUse) string {
	if u == nil {
		return ""
	}
	state := "cold"
	switch {
	case u.Warm:
		state = "warm"
	case u.WheelsFromCache > 0:
		state = "partly warm"
	}
	var parts []string
	if u.WheelsFromCache > 0 {
		parts = append(parts, fmt.Sprintf("%s from the cache", count(u.WheelsFromCache, "wheel")))
	}
	if u.WheelsDownloaded > 0 {
		parts = append(parts, fmt.Sprintf("%s downloaded", count(u.WheelsDownloaded, "wheel")))
	}
	if u.FromCache > 0 {
		parts = append(parts, fmt.Sprintf("%s fresh in the cache", count(u.FromCache, "index file")))
	}
	if u.Revalidated > 0 {
		parts = append(parts, fmt.Sprintf("%s revalidated (304)", count(u.Revalidated, "index file")))
	}
	parts = append(parts, fmt.Sprintf("%s downloaded in %s", Bytes(u.DownloadedBytes), count(u.Requests, "request")))
	mode := ""
	switch {
	case u.Offline:
		mode = " (offline)"
	case u.Refresh:
		mode = " (refresh)"
	}
	return state + mode + ": " + strings.Join(parts, ", ")
}

func count(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

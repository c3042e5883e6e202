package index

// The HTTP cache of index pages and metadata files, kept on disk across runs as pip and uv keep theirs:
// a fresh entry costs no request, a stale one a conditional request that a 304 answers without a body.
// It is a RoundTripper above the credentials, so offline mode never needs them. Entries live in a
// cachepack store: what a client learns is written by Flush as one file, not a file per page.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/cachepack"
)

// CacheMode says how the HTTP cache is used.
type CacheMode int

const (
	// CacheDefault honours the server's Cache-Control: a fresh entry is used without a request, a stale
	// one is revalidated with If-None-Match/If-Modified-Since.
	CacheDefault CacheMode = iota
	// CacheRefresh revalidates every cached entry, fresh or not (pip's and uv's --refresh).
	CacheRefresh
	// CacheOffline never uses the network: cached entries are used however old, anything else fails
	// with an error wrapping ErrOffline.
	CacheOffline
)

// ErrOffline means offline mode needed something that is not cached.
var ErrOffline = errors.New("offline mode")

// OfflineError names what offline mode could not find in the cache.
type OfflineError struct {
	URL string // redacted
	// NoStore is set when the index forbade keeping the page (Cache-Control: no-store): running once
	// online does not help.
	NoStore bool
}

func (e *OfflineError) Error() string {
	if e.NoStore {
		return fmt.Sprintf("offline mode: %s is not in the cache: the index sends it with Cache-Control: no-store, which forbids keeping it, so a build that needs it cannot run offline", e.URL)
	}
	return fmt.Sprintf("offline mode: %s is not in the cache (run once without --offline to fill it)", e.URL)
}

func (e *OfflineError) Unwrap() error { return ErrOffline }

// WithHTTPCache keeps index pages and metadata files under dir across runs, honouring Cache-Control,
// ETag and Last-Modified; what a client learns reaches the disk at Flush. Default: none (each client
// still fetches a page once in its lifetime). Wheels are not kept here: the caller keeps them by content.
func WithHTTPCache(dir string) Option { return func(c *Client) { c.cacheDir = dir } }

// WithCacheMode sets how the HTTP cache is used. Default: CacheDefault. CacheOffline refuses every
// request the cache cannot answer, wheel downloads included, with or without a cache directory.
func WithCacheMode(m CacheMode) Option { return func(c *Client) { c.cacheMode = m } }

// Stats counts what a client's HTTP traffic cost.
type Stats struct {
	// Requests is the number of HTTP requests sent (redirect hops and retries count).
	Requests int64
	// Revalidated is how many of them were conditional requests answered 304 Not Modified.
	Revalidated int64
	// Cached is how many pages and metadata files were answered from the cache without a request.
	Cached int64
	// Bytes is the response body bytes received from the network.
	Bytes int64
}

// Stats returns the client's counters so far.
func (c *Client) Stats() Stats {
	s := &c.cache.stats
	return Stats{Requests: s.requests.Load(), Revalidated: s.revalidated.Load(), Cached: s.cached.Load(), Bytes: s.bytes.Load()}
}

type cacheableKey struct{}

// cacheable marks a request's context: its response may be kept in the HTTP cache. Only pages and
// metadata files are; downloads and range requests are not.
func cacheable(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheableKey{}, true)
}

// cacheTransport serves what it can from the cache and keeps what it may.
type cacheTransport struct {
	base    http.RoundTripper
	store   *cachepack.Store // nil when nothing is kept across runs
	mode    CacheMode
	now     func() time.Time
	maxBody int64
	stats   struct{ requests, revalidated, cached, bytes atomic.Int64 }
}

// storable are the statuses RFC 9111 lets a cache keep without explicit permission, less those an
// index never sends for what we ask.
func storable(status int) bool {
	switch status {
	case http.StatusOK, http.StatusNonAuthoritativeInfo, http.StatusMovedPermanently, http.StatusPermanentRedirect,
		http.StatusNotFound, http.StatusGone:
		return true
	}
	return false
}

func (t *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	useCache := t.store != nil && req.Method == http.MethodGet && req.Header.Get("Range") == "" &&
		req.Context().Value(cacheableKey{}) != nil
	if !useCache {
		if t.mode == CacheOffline {
			return nil, &OfflineError{URL: Redact(req.URL.String())}
		}
		return t.network(req)
	}
	key := t.key(req)
	data, found := t.store.Get(key)
	e, body, err := parseEntry(data)
	ok := found && err == nil
	if ok && (t.mode == CacheOffline || t.mode == CacheDefault && e.fresh(t.now())) {
		t.stats.cached.Add(1)
		return e.response(req, body), nil
	}
	if t.mode == CacheOffline {
		return nil, &OfflineError{URL: Redact(req.URL.String()), NoStore: found && bytes.Equal(data, noStoreMark)}
	}
	out := req
	if ok && (e.Header.Get("ETag") != "" || e.Header.Get("Last-Modified") != "") {
		out = req.Clone(req.Context())
		if v := e.Header.Get("ETag"); v != "" {
			out.Header.Set("If-None-Match", v)
		}
		if v := e.Header.Get("Last-Modified"); v != "" {
			out.Header.Set("If-Modified-Since", v)
		}
	}
	resp, err := t.network(out)
	if err != nil {
		return nil, err
	}
	now := t.now()
	cc := parseCacheControl(resp.Header.Values("Cache-Control"))
	if resp.StatusCode == http.StatusNotModified && out != req {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		t.stats.revalidated.Add(1)
		e.update(resp.Header, now)
		if cc.noStore {
			t.store.Put(key, noStoreMark)
		} else {
			t.store.Put(key, formatEntry(e, body))
		}
		return e.response(req, body), nil
	}
	if cc.noStore || !storable(resp.StatusCode) {
		if cc.noStore {
			t.store.Put(key, noStoreMark) // not the page: only that it may not be kept
		}
		return resp, nil
	}
	ne := &entry{URL: Redact(req.URL.String()), Status: resp.StatusCode, Stored: now, Header: keptHeaders(resp.Header)}
	resp.Body = &teeBody{ReadCloser: resp.Body, max: t.maxBody, done: func(b []byte) { t.store.Put(key, formatEntry(ne, b)) }}
	return resp, nil
}

// network sends req and counts it and its body.
func (t *cacheTransport) network(req *http.Request) (*http.Response, error) {
	t.stats.requests.Add(1)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.stats.bytes}
	return resp, nil
}

// key is a request's entry's key: the URL and Accept, since index pages vary by Accept.
func (t *cacheTransport) key(req *http.Request) string {
	u := *req.URL
	u.User = nil
	h := sha256.Sum256([]byte(u.String() + "\n" + req.Header.Get("Accept")))
	return "page:" + hex.EncodeToString(h[:])
}

// noStoreMark stands in the cache for a page the index sent with no-store: it holds nothing of the
// page, only what offline mode needs to say why the page is missing. It is no entry (parseEntry fails).
var noStoreMark = []byte("no-store\n")

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// teeBody keeps what is read and hands it to done once the whole body was read (and no more than max).
type teeBody struct {
	io.ReadCloser
	buf  bytes.Buffer
	max  int64
	over bool
	done func([]byte)
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if !b.over {
		b.buf.Write(p[:n])
		b.over = int64(b.buf.Len()) > b.max
	}
	if err == io.EOF && !b.over && b.done != nil {
		b.done(b.buf.Bytes())
		b.done = nil
	}
	return n, err
}

// entry is a stored response: a JSON line, then the body.
type entry struct {
	URL    string      `json:"url"` // redacted, for people reading the cache
	Status int         `json:"status"`
	Stored time.Time   `json:"stored"` // when it was received or last revalidated, by our clock
	Size   int64       `json:"size"`
	Header http.Header `json:"header"`
}

// keptHeaders are the response headers an entry keeps: what the client reads and what freshness and
// revalidation need.
var keptHeaderNames = []string{"Content-Type", "Location", "Cache-Control", "Expires", "Date", "Age", "ETag", "Last-Modified", "Vary"}

func keptHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range keptHeaderNames {
		if v := h.Values(k); len(v) > 0 {
			out[http.CanonicalHeaderKey(k)] = append([]string(nil), v...) // "Etag": what Get looks up
		}
	}
	return out
}

// update merges a 304's headers into the entry (RFC 9111 4.3.4) and restarts its age.
func (e *entry) update(h http.Header, now time.Time) {
	for _, k := range keptHeaderNames {
		if k == "Content-Type" || k == "Location" {
			continue
		}
		if v := h.Values(k); len(v) > 0 {
			e.Header.Del(k)
			e.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
		} else if k == "Age" {
			e.Header.Del(k) // an Age of the old response says nothing about this one
		}
	}
	e.Stored = now
}

// fresh says whether the entry may be used without asking the server: its freshness lifetime (max-age,
// else Expires minus Date) exceeds its age (Age when stored plus the time since). no-cache never is.
func (e *entry) fresh(now time.Time) bool {
	cc := parseCacheControl(e.Header.Values("Cache-Control"))
	if cc.noCache || cc.noStore {
		return false
	}
	var lifetime time.Duration
	switch {
	case cc.maxAge >= 0:
		lifetime = time.Duration(cc.maxAge) * time.Second
	case e.Header.Get("Expires") != "":
		exp, err := http.ParseTime(e.Header.Get("Expires"))
		if err != nil {
			return false // an invalid Expires means already expired
		}
		date, err := http.ParseTime(e.Header.Get("Date"))
		if err != nil {
			date = e.Stored
		}
		lifetime = exp.Sub(date)
	default:
		return false // no heuristics: without the server's word, ask
	}
	age := now.Sub(e.Stored)
	if age < 0 {
		age = 0 // the clock went back: do not trust the entry longer than it was given
	}
	if a, err := strconv.ParseInt(strings.TrimSpace(e.Header.Get("Age")), 10, 64); err == nil && a > 0 {
		age += time.Duration(min(a, maxAgeCap)) * time.Second
	}
	return lifetime > age
}

func (e *entry) response(req *http.Request, body []byte) *http.Response {
	h := e.Header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status)),
		StatusCode:    e.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// parseEntry splits a stored entry into its header and body, checking the body is whole.
func parseEntry(data []byte) (*entry, []byte, error) {
	line, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return nil, nil, errors.New("no header line")
	}
	var e entry
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	if e.Size != int64(len(body)) {
		return nil, nil, fmt.Errorf("body is %d bytes, header says %d", len(body), e.Size)
	}
	if e.Status < 100 || e.Status > 599 {
		return nil, nil, fmt.Errorf("status %d", e.Status)
	}
	// Entries written before the keys were canonical hold "ETag", which Get does not find.
	h := http.Header{}
	for k, v := range e.Header {
		h[http.CanonicalHeaderKey(k)] = append(h[http.CanonicalHeaderKey(k)], v...)
	}
	e.Header = h
	return &e, body, nil
}

// formatEntry is an entry as stored: a JSON line, then the body.
func formatEntry(e *entry, body []byte) []byte {
	e.Size = int64(len(body))
	line, _ := json.Marshal(e) // strings, ints, a time and a header map always marshal
	return slices.Concat(line, []byte("\n"), body)
}

// cacheControl is what we read of Cache-Control; maxAge is -1 when absent.
type cacheControl struct {
	maxAge           int64
	noCache, noStore bool
}

// parseCacheControl reads the directives of every Cache-Control header value (RFC 9111 5.2); unknown
// directives are ignored, and a repeated or malformed max-age counts as none.
func parseCacheControl(values []string) cacheControl {
	cc := cacheControl{maxAge: -1}
	seenMaxAge := false
	for _, v := range values {
		for _, d := range splitDirectives(v) {
			name, arg, _ := strings.Cut(d, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			arg = strings.Trim(strings.TrimSpace(arg), `"`)
			switch name {
			case "no-store":
				cc.noStore = true
			case "no-cache":
				cc.noCache = true // with field names it still forbids reuse without revalidation for us
			case "max-age":
				n, err := strconv.ParseInt(arg, 10, 64)
				switch {
				case seenMaxAge || err != nil && !isDigits(arg) || n < 0:
					cc.maxAge = 0 // RFC 9111 4.2.1: invalid or conflicting means stale
				case err != nil || n > maxAgeCap:
					cc.maxAge = maxAgeCap // too many digits: as good as forever
				default:
					cc.maxAge = n
				}
				seenMaxAge = true
			}
		}
	}
	return cc
}

// maxAgeCap is 2^31 seconds, the largest delta-seconds RFC 9111 1.2.2 asks a cache to honour.
const maxAgeCap = 1 << 31

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// splitDirectives splits on commas outside quoted strings.
func splitDirectives(v string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '\\':
			if quoted {
				i++
			}
		case ',':
			if !quoted {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

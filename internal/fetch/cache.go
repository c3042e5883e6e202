// Package fetch downloads wheels in parallel into a content-addressed cache, checking the index's sha256
// and every user --hash on the way in, and remembers per wheel what later builds need not redo. It does
// not resolve, read index pages or write layers.
//
// The cache keeps its files under a layout version, <dir>/v2/; a cache written by an older layout (its
// wheels/, metadata/, verified/ and http/ folders at <dir>) is ignored, never misread, and can be
// deleted. A cold build pays for every folder and file it creates, so the layout is flat (one folder per
// kind, made once per process; thousands of entries in one folder are cheap) and a wheel has one
// small record beside it instead of a file per fact.
package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// layoutVersion names the folder the cache's files live in; a change of layout takes a new one, so that
// an old cache is ignored instead of misread.
const layoutVersion = "v2"

// Cache is a content-addressed store under one directory:
//
//	v2/wheels/<hex>.whl   wheel bytes, named by their sha256
//	v2/wheels/<hex>.rec   the wheel's record: its METADATA (PEP 658 or read from the wheel) and whether
//	                      every entry of the wheel inflated to its declared CRC and size
//	v2/http/              index pages with their caching headers (HTTPDir)
//
// Entries are written to a temporary file in the same folder and renamed, so a crash never leaves a half
// file under a content name, and concurrent builds sharing a cache are safe.
//
// A record is written once per wheel on a cold build, not once per fact: METADATA learned while
// resolving is kept in memory and written with the verdict when the wheel's check passes (MarkVerified),
// or by Flush for wheels never checked. A write merges what the record on disk already says, and a
// record says "verified" only when a check passed, so two builds writing one record at once can at
// worst lose a fact (costing the next build a metadata request or a check), never invent one. PEP 658
// metadata files are not also kept in the HTTP cache when the index gives the wheel's sha256 (see
// index.Client.Metadata): the record keeps them by content, which never needs revalidating.
type Cache struct {
	root string // as given, for messages
	dir  string // root/v2

	mu   sync.Mutex
	recs map[string]*record // by sha256
}

// record is what the cache knows of one wheel beyond its bytes.
type record struct {
	mu       sync.Mutex
	meta     []byte
	verified bool
	loaded   bool // the record on disk was read (or found missing) and merged
	dirty    bool // holds something the record on disk lacks
}

// DefaultDir is lambda-layers' folder in the user cache dir (os.UserCacheDir), or "" when there is none.
func DefaultDir(userCacheDir func() (string, error)) string {
	d, err := userCacheDir()
	if err != nil || d == "" {
		return ""
	}
	return filepath.Join(d, "lambda-layers")
}

// OpenCache creates the cache directory and its wheels folder if needed.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("opening cache: no cache directory (set --cache-dir)")
	}
	c := &Cache{root: dir, dir: filepath.Join(dir, layoutVersion), recs: map[string]*record{}}
	// The cache is private to its user (0700): it may hold wheels and pages of private indexes.
	if err := os.MkdirAll(c.wheelDir(), 0o700); err != nil {
		return nil, fmt.Errorf("opening cache %s: %w", dir, err)
	}
	return c, nil
}

// Dir is the cache's root, as given to OpenCache.
func (c *Cache) Dir() string { return c.root }

func (c *Cache) wheelDir() string { return filepath.Join(c.dir, "wheels") }

// HTTPDir is the folder for the index client's HTTP cache (index.WithHTTPCache).
func (c *Cache) HTTPDir() string { return filepath.Join(c.dir, "http") }

// WheelPath is where a wheel with this sha256 lives (it may not exist yet).
func (c *Cache) WheelPath(sha string) string { return filepath.Join(c.wheelDir(), sha+".whl") }

func (c *Cache) recordPath(sha string) string { return filepath.Join(c.wheelDir(), sha+".rec") }

// HasWheel reports whether the wheel is cached.
func (c *Cache) HasWheel(sha string) bool { return exists(c.WheelPath(sha)) }

// Verified reports whether the wheel's entries were already checked.
func (c *Cache) Verified(sha string) bool {
	r := c.record(sha)
	r.mu.Lock()
	defer r.mu.Unlock()
	c.load(sha, r)
	return r.verified
}

// MarkVerified records that the wheel's entries were checked, with its METADATA when known.
func (c *Cache) MarkVerified(sha string) error {
	r := c.record(sha)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verified, r.dirty = true, true
	return c.write(sha, r)
}

// Metadata returns the cached METADATA of the wheel with this sha256.
func (c *Cache) Metadata(sha string) ([]byte, bool) {
	r := c.record(sha)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.meta == nil {
		c.load(sha, r)
	}
	return r.meta, r.meta != nil
}

// PutMetadata caches the METADATA of the wheel with this sha256. It reaches the disk with the wheel's
// verdict (MarkVerified) or at Flush; until then Metadata returns it from memory.
func (c *Cache) PutMetadata(sha string, data []byte) error {
	r := c.record(sha)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.meta == nil {
		r.meta, r.dirty = data, true
	}
	return nil
}

// Flush writes what the cache learned and has not written yet (METADATA of wheels not checked in this
// process). Call it once the build's resolutions are done; a cache dropped without it only costs the
// next build the requests it saves.
func (c *Cache) Flush() error {
	c.mu.Lock()
	var shas []string
	for sha, r := range c.recs {
		if r.dirty {
			shas = append(shas, sha)
		}
	}
	c.mu.Unlock()
	var errs []error
	for _, sha := range shas {
		r := c.record(sha)
		r.mu.Lock()
		if r.dirty {
			errs = append(errs, c.write(sha, r))
		}
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (c *Cache) record(sha string) *record {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.recs[sha]
	if r == nil {
		r = &record{}
		c.recs[sha] = r
	}
	return r
}

// load merges the record on disk into r, once; a missing or damaged record adds nothing. r.mu is held.
func (c *Cache) load(sha string, r *record) {
	if r.loaded {
		return
	}
	r.loaded = true
	data, err := os.ReadFile(c.recordPath(sha))
	if err != nil {
		return
	}
	meta, verified, err := parseRecord(data)
	if err != nil {
		return
	}
	if r.meta == nil {
		r.meta = meta
	}
	r.verified = r.verified || verified
}

// write stores r, merged with the record on disk, and marks it clean. r.mu is held.
func (c *Cache) write(sha string, r *record) error {
	c.load(sha, r)
	if err := c.put(c.recordPath(sha), formatRecord(r.meta, r.verified)); err != nil {
		return err
	}
	r.dirty = false
	return nil
}

// recordHeader is a record's first line; the METADATA follows it.
type recordHeader struct {
	Verified bool  `json:"verified"`
	Metadata int64 `json:"metadata"` // the METADATA's length; -1 when not known
}

func formatRecord(meta []byte, verified bool) []byte {
	h := recordHeader{Verified: verified, Metadata: -1}
	if meta != nil {
		h.Metadata = int64(len(meta))
	}
	line, _ := json.Marshal(h) // a struct of a bool and an int always marshals
	return append(append(line, '\n'), meta...)
}

// parseRecord reads a record; meta is nil when the record holds none.
func parseRecord(data []byte) (meta []byte, verified bool, err error) {
	line, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return nil, false, errors.New("no header line")
	}
	var h recordHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, false, fmt.Errorf("header: %w", err)
	}
	switch {
	case h.Metadata == -1 && len(rest) == 0:
		return nil, h.Verified, nil
	case h.Metadata < 0 || h.Metadata != int64(len(rest)):
		return nil, false, fmt.Errorf("metadata is %d bytes, header says %d", len(rest), h.Metadata)
	}
	return rest, h.Verified, nil
}

func (c *Cache) put(path string, data []byte) error {
	f, err := c.tempFile(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing cache %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing cache %s: %w", path, err)
	}
	return nil
}

// tempFile makes a temporary file in dir, next to where its content will be renamed to. OpenCache made
// the folder; it is made again only if it vanished since (a user cleaning the cache mid-build).
func (c *Cache) tempFile(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		f, err = os.CreateTemp(dir, pattern)
	}
	return f, err
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

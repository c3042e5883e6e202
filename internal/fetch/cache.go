// Package fetch downloads wheels in parallel into a content-addressed cache, checking the index's sha256
// and every user --hash on the way in, and remembers per wheel what later builds need not redo. It does
// not resolve, read index pages or write layers.
//
// The cache keeps its files under a layout version, <dir>/v2/; a cache written by an older layout (its
// wheels/, metadata/, verified/ and http/ folders at <dir>) is ignored, never misread, and can be
// deleted. A cold build pays for every folder and file it creates, so the layout is flat (one folder per
// kind, made once per process; thousands of entries in one folder are cheap), and what the cache knows
// of the wheels (their METADATA, their verdicts) is written as one file per build (a cachepack pack),
// not a file per fact.
package fetch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/lambda-layers/lambda-layers/internal/cachepack"
)

// layoutVersion names the folder the cache's files live in; a change of layout takes a new one, so that
// an old cache is ignored instead of misread.
const layoutVersion = "v2"

// Cache is a content-addressed store under one directory:
//
//	v2/wheels/<hex>.whl   wheel bytes, named by their sha256
//	v2/records/           per wheel sha256, its METADATA (PEP 658 or read from the wheel) and whether
//	                      every entry of the wheel inflated to its declared CRC and size (cachepack packs)
//	v2/http/              index pages with their caching headers (HTTPDir)
//
// A wheel is written to a nameless file in its folder (O_TMPFILE on Linux; elsewhere a temporary file)
// and given its name once whole and checked, so a crash never leaves a half file under a content name,
// and concurrent builds sharing a cache are safe.
//
// Records cost no file per wheel: what a process learns (METADATA while resolving, verdicts as checks
// pass) is kept in memory and written by Flush as one pack. A record is only ever extended — a wheel's
// METADATA is fixed by its sha256 and a verdict is only ever "verified" — and each write holds what the
// record said before, so the newest pack, which wins, holds every fact the process that wrote it knew.
// Two builds flushing the same wheel's record at once can lose a fact the other learned (costing the
// next build a request or a check), never invent one: a record says "verified" only when a check
// passed. A crash before Flush loses what that build learned, no more. PEP 658 metadata files are not
// also kept in the HTTP cache when the index gives the wheel's sha256 (see index.Client.Metadata): the
// records keep them by content, which never needs revalidating.
type Cache struct {
	root    string // as given, for messages
	dir     string // root/v2
	records *cachepack.Store

	mu sync.Mutex // a record's read-modify-write
}

// DefaultDir is lambda-layers' folder in the user cache dir (os.UserCacheDir), or "" when there is none.
func DefaultDir(userCacheDir func() (string, error)) string {
	d, err := userCacheDir()
	if err != nil || d == "" {
		return ""
	}
	return filepath.Join(d, "lambda-layers")
}

// OpenCache creates the cache directory and its folders if needed and reads the records' indexes.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("opening cache: no cache directory (set --cache-dir)")
	}
	c := &Cache{root: dir, dir: filepath.Join(dir, layoutVersion)}
	// The cache is private to its user (0700): it may hold wheels and pages of private indexes.
	if err := os.MkdirAll(c.wheelDir(), 0o700); err != nil {
		return nil, fmt.Errorf("opening cache %s: %w", dir, err)
	}
	st, err := cachepack.Open(filepath.Join(c.dir, "records"))
	if err != nil {
		return nil, fmt.Errorf("opening cache %s: %w", dir, err)
	}
	c.records = st
	return c, nil
}

// Dir is the cache's root, as given to OpenCache.
func (c *Cache) Dir() string { return c.root }

func (c *Cache) wheelDir() string { return filepath.Join(c.dir, "wheels") }

// HTTPDir is the folder for the index client's HTTP cache (index.WithHTTPCache).
func (c *Cache) HTTPDir() string { return filepath.Join(c.dir, "http") }

// WheelPath is where a wheel with this sha256 lives (it may not exist yet).
func (c *Cache) WheelPath(sha string) string { return filepath.Join(c.wheelDir(), sha+".whl") }

// HasWheel reports whether the wheel is cached.
func (c *Cache) HasWheel(sha string) bool { return exists(c.WheelPath(sha)) }

// Verified reports whether the wheel's entries were already checked.
func (c *Cache) Verified(sha string) bool {
	_, verified := c.record(sha)
	return verified
}

// MarkVerified records that the wheel's entries were checked. It reaches the disk at Flush.
func (c *Cache) MarkVerified(sha string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if meta, verified := c.record(sha); !verified {
		c.records.Put(sha, formatRecord(meta, true))
	}
	return nil
}

// Metadata returns the cached METADATA of the wheel with this sha256.
func (c *Cache) Metadata(sha string) ([]byte, bool) {
	meta, _ := c.record(sha)
	return meta, meta != nil
}

// PutMetadata caches the METADATA of the wheel with this sha256. It reaches the disk at Flush; until
// then Metadata returns it from memory.
func (c *Cache) PutMetadata(sha string, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if meta, verified := c.record(sha); meta == nil {
		c.records.Put(sha, formatRecord(data, verified))
	}
	return nil
}

// Flush writes what the cache learned since it was opened, as one pack. Call it once the build's
// resolutions and checks are done; a cache dropped without it only costs the next build the requests
// and checks it saves.
func (c *Cache) Flush() error {
	if err := c.records.Flush(); err != nil {
		return fmt.Errorf("writing the cache's records: %w", err)
	}
	return nil
}

// record reads sha's record; a missing or damaged one says nothing.
func (c *Cache) record(sha string) (meta []byte, verified bool) {
	data, ok := c.records.Get(sha)
	if !ok {
		return nil, false
	}
	meta, verified, err := parseRecord(data)
	if err != nil {
		return nil, false
	}
	return meta, verified
}

// A record is a flags byte (recordVerified, recordMetadata), then the METADATA when it has one.
const (
	recordVerified = 1 << iota
	recordMetadata
)

func formatRecord(meta []byte, verified bool) []byte {
	var flags byte
	if verified {
		flags |= recordVerified
	}
	if meta != nil {
		flags |= recordMetadata
	}
	return append([]byte{flags}, meta...)
}

// parseRecord reads a record; meta is nil when it holds none.
func parseRecord(data []byte) (meta []byte, verified bool, err error) {
	if len(data) == 0 || data[0]&^(recordVerified|recordMetadata) != 0 {
		return nil, false, errors.New("not a wheel record")
	}
	verified = data[0]&recordVerified != 0
	if data[0]&recordMetadata == 0 {
		if len(data) != 1 {
			return nil, false, errors.New("a wheel record without metadata has more")
		}
		return nil, verified, nil
	}
	return data[1:], verified, nil
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

// createUnnamed is createUnnamed, making dir again if it vanished since OpenCache, as tempFile does.
func (c *Cache) createUnnamed(dir string) (*os.File, bool, error) {
	f, ok, err := createUnnamed(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, true, err
		}
		f, ok, err = createUnnamed(dir)
	}
	return f, ok, err
}

// linkUnnamed is linkUnnamed, making dst's folder again if it vanished during the download: the nameless
// file outlives its folder, so the download is not lost.
func (c *Cache) linkUnnamed(f *os.File, dst string) error {
	err := linkUnnamed(f, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		err = linkUnnamed(f, dst)
	}
	return err
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Package fetch downloads wheels in parallel into a content-addressed cache, checking the index's sha256
// and every user --hash on the way in, and remembers per wheel what later builds need not redo.
package fetch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Cache is a content-addressed store under one directory:
//
//	wheels/sha256/ab/<hex>.whl   wheel bytes, named by their sha256
//	metadata/ab/<hex>            the wheel's METADATA (PEP 658 or read from the wheel)
//	verified/ab/<hex>            present once every entry of the wheel inflated to its declared CRC and size
//	http/                        index pages and metadata files with their caching headers (HTTPDir)
//
// Entries are written to a temporary file and renamed, so a crash never leaves a half file under a
// content name, and concurrent builds sharing a cache are safe.
type Cache struct {
	dir string
}

// DefaultDir is lambda-layers' folder in the user cache dir (os.UserCacheDir), or "" when there is none.
func DefaultDir(userCacheDir func() (string, error)) string {
	d, err := userCacheDir()
	if err != nil || d == "" {
		return ""
	}
	return filepath.Join(d, "lambda-layers")
}

// OpenCache creates the cache directory if needed.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("opening cache: no cache directory (set --cache-dir)")
	}
	// The cache is private to its user (0700): it may hold wheels and pages of private indexes.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening cache %s: %w", dir, err)
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache's root.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(kind, sha, ext string) string {
	if len(sha) < 2 {
		sha = "__" + sha
	}
	return filepath.Join(c.dir, kind, sha[:2], sha+ext)
}

// HTTPDir is the folder for the index client's HTTP cache (index.WithHTTPCache).
func (c *Cache) HTTPDir() string { return filepath.Join(c.dir, "http") }

// WheelPath is where a wheel with this sha256 lives (it may not exist yet).
func (c *Cache) WheelPath(sha string) string { return c.path("wheels/sha256", sha, ".whl") }

// HasWheel reports whether the wheel is cached.
func (c *Cache) HasWheel(sha string) bool { return exists(c.WheelPath(sha)) }

// Verified reports whether the wheel's entries were already checked.
func (c *Cache) Verified(sha string) bool { return exists(c.path("verified", sha, "")) }

// MarkVerified records that the wheel's entries were checked.
func (c *Cache) MarkVerified(sha string) error { return c.put(c.path("verified", sha, ""), nil) }

// Metadata returns the cached METADATA of the wheel with this sha256.
func (c *Cache) Metadata(sha string) ([]byte, bool) {
	b, err := os.ReadFile(c.path("metadata", sha, ""))
	return b, err == nil
}

// PutMetadata caches the METADATA of the wheel with this sha256.
func (c *Cache) PutMetadata(sha string, data []byte) error {
	return c.put(c.path("metadata", sha, ""), data)
}

func (c *Cache) put(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
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

// tempFile makes a temporary file next to where content will be renamed to.
func (c *Cache) tempFile() (*os.File, error) {
	dir := filepath.Join(c.dir, "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, "dl-*")
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

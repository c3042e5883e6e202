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
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
//
// A verdict holds for the wheel file as it was checked: its size and modification time are kept with
// it. A cached wheel without a verdict for the file as it is now (changed in place by a cache restored
// over a damaged one, cut short by a full disk, left by a build killed before Flush) is hashed before
// use, and downloaded again when its bytes are not the ones its name promises: a damaged cache costs a
// download, never a wrong layer.
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

// Verified reports whether the wheel's entries were already checked, and the file has kept the size and
// modification time it had then: a wheel changed in place since (a cache restored or copied over a
// damaged one, a disk that lost writes) is checked again rather than trusted by its name.
func (c *Cache) Verified(sha string) bool {
	_, st := c.record(sha)
	return st != nil && st.holdsFor(c.stamp(sha))
}

// MarkVerified records that the wheel's entries were checked, as the file is now. It reaches the disk
// at Flush.
func (c *Cache) MarkVerified(sha string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.stamp(sha)
	if meta, st := c.record(sha); st == nil || *st != now {
		c.records.Put(sha, formatRecord(meta, &now))
	}
	return nil
}

// stamp is what a verdict is about: the wheel file's size and modification time (zero when it is not
// there).
func (c *Cache) stamp(sha string) stamp {
	fi, err := os.Stat(c.WheelPath(sha))
	if err != nil {
		return stamp{}
	}
	return stamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// Intact reports whether the cached wheel's bytes hash to its name, the sha256 it is kept under. A
// wheel the cache verified as it is now is taken as intact without reading it.
func (c *Cache) Intact(sha string) (bool, error) {
	if c.Verified(sha) {
		return true, nil
	}
	f, err := os.Open(c.WheelPath(sha))
	if err != nil {
		return false, err
	}
	defer f.Close()
	sums, err := hashFile(f, []string{"sha256"})
	if err != nil {
		return false, err
	}
	return sums["sha256"] == strings.ToLower(sha), nil
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
	if meta, st := c.record(sha); meta == nil {
		c.records.Put(sha, formatRecord(data, st))
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

// record reads sha's record; a missing or damaged one says nothing. verified is the stamp of the file
// its entries were checked in, nil when they never were.
func (c *Cache) record(sha string) (meta []byte, verified *stamp) {
	data, ok := c.records.Get(sha)
	if !ok {
		return nil, nil
	}
	meta, verified, err := parseRecord(data)
	if err != nil {
		return nil, nil
	}
	return meta, verified
}

// stamp identifies a file's content cheaply: its size and modification time (Unix nanoseconds).
type stamp struct{ size, mtime int64 }

// holdsFor says whether a verdict stamped s is about the file now stamped cur: the same size and
// modification time, or the same second when cur has none below it — an archive that keeps whole
// seconds (a tar without high-resolution times, as a cache restored by actions/cache may be) drops
// the nanoseconds, and the file is still the one checked.
func (s stamp) holdsFor(cur stamp) bool {
	if s.size != cur.size {
		return false
	}
	const second = int64(1e9)
	return s.mtime == cur.mtime || cur.mtime%second == 0 && s.mtime/second == cur.mtime/second
}

// unstamped is the verdict of a record written before verdicts had stamps: true of the file checked
// then, not known to be true of the file there now; no file's stamp equals it.
var unstamped = stamp{size: -1, mtime: -1}

// A record is a flags byte (recordVerified, recordMetadata, recordStamp); when stamped, the stamp of the
// file that was checked, its size and modification time as 8 bytes little-endian each; then the
// METADATA when it has one. A verified record without a stamp is one written before stamps.
const (
	recordVerified = 1 << iota
	recordMetadata
	recordStamp
)

func formatRecord(meta []byte, verified *stamp) []byte {
	var flags byte
	stamped := verified != nil && *verified != unstamped
	if verified != nil {
		flags |= recordVerified
	}
	if stamped {
		flags |= recordStamp
	}
	if meta != nil {
		flags |= recordMetadata
	}
	out := []byte{flags}
	if stamped {
		out = binary.LittleEndian.AppendUint64(out, uint64(verified.size))
		out = binary.LittleEndian.AppendUint64(out, uint64(verified.mtime))
	}
	return append(out, meta...)
}

// parseRecord reads a record; meta is nil when it holds none.
func parseRecord(data []byte) (meta []byte, verified *stamp, err error) {
	if len(data) == 0 || data[0]&^(recordVerified|recordMetadata|recordStamp) != 0 {
		return nil, nil, errors.New("not a wheel record")
	}
	flags, rest := data[0], data[1:]
	switch {
	case flags&recordStamp != 0:
		if flags&recordVerified == 0 || len(rest) < 16 {
			return nil, nil, errors.New("a wheel record with a bad stamp")
		}
		st := stamp{size: int64(binary.LittleEndian.Uint64(rest)), mtime: int64(binary.LittleEndian.Uint64(rest[8:]))}
		if st == unstamped {
			return nil, nil, errors.New("a wheel record with a bad stamp")
		}
		verified, rest = &st, rest[16:]
	case flags&recordVerified != 0:
		u := unstamped
		verified = &u
	}
	if flags&recordMetadata == 0 {
		if len(rest) != 0 {
			return nil, nil, errors.New("a wheel record without metadata has more")
		}
		return nil, verified, nil
	}
	return rest, verified, nil
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

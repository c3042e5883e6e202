// Package fetch downloads wheels in parallel into a content-addressed cache, checking the index's sha256
// and every user --hash on the way in, and remembers per wheel what later builds need not redo. It does
// not resolve, read index pages or write layers.
//
// The cache keeps its files under a layout version, <dir>/v2/; a cache written by an older layout (its
// wheels/, metadata/, verified/ and http/ folders at <dir>) is ignored, never misread, and can be
// deleted. A cold build pays for every folder and file it creates, so the layout is flat (one folder per
// kind, made once per process; thousands of entries in one folder are cheap), and what the cache knows
// of the wheels (their METADATA, their verdicts) is written as one file per build, not a file per fact.
package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// layoutVersion names the folder the cache's files live in; a change of layout takes a new one, so that
// an old cache is ignored instead of misread.
const layoutVersion = "v2"

// maxPacks is how many record packs may pile up before a Flush merges them into one: each costs every
// build an open and a read of its index.
const maxPacks = 16

// Cache is a content-addressed store under one directory:
//
//	v2/wheels/<hex>.whl   wheel bytes, named by their sha256
//	v2/records-*.pack     records: per wheel sha256, its METADATA (PEP 658 or read from the wheel) and
//	                      whether every entry of the wheel inflated to its declared CRC and size
//	v2/http/              index pages with their caching headers (HTTPDir)
//
// Files are written to a temporary file in the same folder and renamed, so a crash never leaves a half
// file under a content name, and concurrent builds sharing a cache are safe.
//
// Records cost no file per wheel: what a process learns (METADATA while resolving, verdicts as checks
// pass) is kept in memory and written by Flush as one pack, so a cold build creates one record file
// however many wheels it fetched. A pack is never changed once written; every build reads the packs'
// indexes (sha256, verdict, where the METADATA is) and a METADATA when asked. Facts only accumulate —
// a wheel's METADATA is fixed by its sha256 and a verdict is only ever "verified" — so packs are merged
// by union: two builds flushing at once each write their own pack, and a Flush that finds more than
// maxPacks merges the packs it read into one and removes them. A record says "verified" only when a
// check passed in some process. A crash before Flush loses what that build learned (the next one
// asks again), never invents a fact. PEP 658 metadata files are not also kept in the HTTP cache when
// the index gives the wheel's sha256 (see index.Client.Metadata): the records keep them by content,
// which never needs revalidating.
type Cache struct {
	root string // as given, for messages
	dir  string // root/v2

	mu     sync.Mutex
	loaded bool
	packs  []string           // the packs read, to merge and remove once too many
	recs   map[string]*record // by sha256
}

// record is what the cache knows of one wheel beyond its bytes.
type record struct {
	meta     []byte // in memory: learned here, or read from a pack
	verified bool
	// pack and off/n locate the METADATA in a pack when not read yet (n < 0: none there).
	pack   string
	off, n int64
	// newMeta and newVerdict say the record holds a fact no pack has.
	newMeta, newVerdict bool
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

// HasWheel reports whether the wheel is cached.
func (c *Cache) HasWheel(sha string) bool { return exists(c.WheelPath(sha)) }

// Verified reports whether the wheel's entries were already checked.
func (c *Cache) Verified(sha string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	r := c.recs[sha]
	return r != nil && r.verified
}

// MarkVerified records that the wheel's entries were checked. It reaches the disk at Flush.
func (c *Cache) MarkVerified(sha string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.record(sha)
	if !r.verified {
		r.verified, r.newVerdict = true, true
	}
	return nil
}

// Metadata returns the cached METADATA of the wheel with this sha256.
func (c *Cache) Metadata(sha string) ([]byte, bool) {
	b, ok, gone := c.metadata(sha)
	if gone { // another build merged the pack away meanwhile: its facts are in the merged one
		c.mu.Lock()
		c.loaded, c.packs = false, nil
		c.mu.Unlock()
		b, ok, _ = c.metadata(sha)
	}
	return b, ok
}

// metadata is Metadata; gone says the pack that held it was removed.
func (c *Cache) metadata(sha string) (_ []byte, ok, gone bool) {
	c.mu.Lock()
	c.load()
	r := c.recs[sha]
	if r == nil || r.meta != nil || r.n < 0 {
		defer c.mu.Unlock()
		if r == nil {
			return nil, false, false
		}
		return r.meta, r.meta != nil, false
	}
	pack, off, n := r.pack, r.off, r.n
	c.mu.Unlock() // read outside the lock: the resolutions ask for many at once
	b, err := readAt(pack, off, n)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if r.meta == nil && r.pack == pack {
			r.n = -1
		}
		return r.meta, r.meta != nil, r.meta == nil
	}
	if r.meta == nil {
		r.meta = b
	}
	return r.meta, true, false
}

// PutMetadata caches the METADATA of the wheel with this sha256. It reaches the disk at Flush; until
// then Metadata returns it from memory.
func (c *Cache) PutMetadata(sha string, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.record(sha)
	if r.meta == nil && r.n < 0 {
		r.meta, r.newMeta = data, true
	}
	return nil
}

// record returns sha's record, made empty if new. c.mu is held.
func (c *Cache) record(sha string) *record {
	r := c.recs[sha]
	if r == nil {
		r = &record{n: -1}
		c.recs[sha] = r
	}
	return r
}

// load reads the index of every pack, once. A pack that cannot be read or is damaged adds nothing.
// c.mu is held.
func (c *Cache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	names, _ := filepath.Glob(filepath.Join(c.dir, "records-*.pack"))
	for _, p := range names {
		entries, err := readPackIndex(p)
		if err != nil {
			continue
		}
		c.packs = append(c.packs, p)
		for _, e := range entries {
			r := c.record(e.sha)
			r.verified = r.verified || e.verified
			if r.meta == nil && r.n < 0 && e.n >= 0 {
				r.pack, r.off, r.n = p, e.off, e.n
			}
		}
	}
}

// Flush writes what the cache learned and no pack holds yet, as one new pack; when more than maxPacks
// would then lie there, it writes everything it knows instead and removes the packs it read. Call it
// once the build's resolutions and checks are done; a cache dropped without it only costs the next
// build the requests and checks it saves.
func (c *Cache) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if len(c.packs)+1 > maxPacks {
		err := c.writePack(true)
		if !errors.Is(err, errPackGone) {
			return err
		}
		// Another build merged the packs first: write only what is new, as if there were few.
	}
	return c.writePack(false)
}

// errPackGone means a pack to merge was removed meanwhile.
var errPackGone = errors.New("a pack to merge is gone")

// writePack writes the new facts (merge: every fact) as a pack. c.mu is held.
func (c *Cache) writePack(merge bool) error {
	var shas []string
	for sha, r := range c.recs {
		if r.newMeta || r.newVerdict || merge && (r.verified || r.meta != nil || r.n >= 0) {
			shas = append(shas, sha)
		}
	}
	if len(shas) == 0 {
		return nil
	}
	slices.Sort(shas)
	entries := make([]packEntry, len(shas))
	var dataLen int64
	for i, sha := range shas {
		r := c.recs[sha]
		e := packEntry{sha: sha, verified: r.verified, off: dataLen, n: -1}
		switch {
		case r.meta != nil && (merge || r.newMeta):
			e.n = int64(len(r.meta))
		case merge && r.n >= 0:
			e.n = r.n
		}
		dataLen += max(e.n, 0)
		entries[i] = e
	}
	f, err := c.tempFile(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing cache records: %w", err)
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 64<<10)
	idx := formatPackIndex(entries)
	w.Write(idx)
	for i, sha := range shas {
		r, e := c.recs[sha], entries[i]
		switch {
		case e.n < 0:
		case r.meta != nil:
			w.Write(r.meta)
		default:
			b, err := readAt(r.pack, r.off, r.n)
			if err != nil {
				f.Close()
				return fmt.Errorf("%w: %w", errPackGone, err)
			}
			w.Write(b)
		}
	}
	err = errors.Join(w.Flush(), f.Close())
	// The temporary name is unique only while it exists: the time makes the pack's name unique for good.
	name := filepath.Join(c.dir, fmt.Sprintf("records-%d-%s.pack", time.Now().UnixNano(), strings.TrimPrefix(filepath.Base(f.Name()), ".tmp-")))
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		return fmt.Errorf("writing cache records %s: %w", name, err)
	}
	for i, sha := range shas {
		r := c.recs[sha]
		r.newMeta, r.newVerdict = false, false
		if merge && r.meta == nil && entries[i].n >= 0 {
			r.pack, r.off, r.n = name, int64(len(idx))+entries[i].off, entries[i].n
		}
	}
	if merge {
		for _, p := range c.packs {
			os.Remove(p) // one another build merged first is gone already; its facts are in its pack
		}
		c.packs = nil
	}
	c.packs = append(c.packs, name)
	return nil
}

// A pack is a header line, "lambda-layers records 1 <entries> <index bytes>", an index of one line per
// wheel, "<sha256> <0|1 verified> <offset> <length, -1 for no METADATA>", offsets counted from the end
// of the index, then the METADATA bytes.
const packMagic = "lambda-layers records 1"

type packEntry struct {
	sha      string
	verified bool
	off, n   int64
}

func formatPackIndex(entries []packEntry) []byte {
	var idx bytes.Buffer
	for _, e := range entries {
		v := 0
		if e.verified {
			v = 1
		}
		fmt.Fprintf(&idx, "%s %d %d %d\n", e.sha, v, e.off, e.n)
	}
	return append(fmt.Appendf(nil, "%s %d %d\n", packMagic, len(entries), idx.Len()), idx.Bytes()...)
}

// readPackIndex reads a pack's index; offsets in the entries it returns are from the file's start.
func readPackIndex(path string) ([]packEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, min(st.Size(), 64<<10))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, err
	}
	line, _, ok := bytes.Cut(head, []byte("\n"))
	if !ok {
		return nil, errors.New("no header line")
	}
	var count, idxLen int64
	if _, err := fmt.Sscanf(string(line), packMagic+" %d %d", &count, &idxLen); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	start := int64(len(line)) + 1
	if idxLen < 0 || start+idxLen > st.Size() {
		return nil, errors.New("index past the end")
	}
	buf := head
	if start+idxLen > int64(len(head)) {
		buf = make([]byte, start+idxLen)
		if _, err := f.ReadAt(buf, 0); err != nil {
			return nil, err
		}
	}
	return parsePackIndex(buf[start:start+idxLen], count, start+idxLen, st.Size())
}

// parsePackIndex reads count index lines; dataStart is where the METADATA bytes begin in a file of size
// bytes, and every entry must lie within them.
func parsePackIndex(idx []byte, count, dataStart, size int64) ([]packEntry, error) {
	if count < 0 || count > int64(len(idx))/64 {
		return nil, fmt.Errorf("%d entries in a %d-byte index", count, len(idx))
	}
	entries := make([]packEntry, 0, count)
	for len(idx) > 0 {
		line, rest, ok := bytes.Cut(idx, []byte("\n"))
		if !ok {
			return nil, errors.New("index line without its end")
		}
		idx = rest
		fields := strings.Fields(string(line))
		if len(fields) != 4 || !isSHA256(fields[0]) || fields[1] != "0" && fields[1] != "1" {
			return nil, fmt.Errorf("index line %q", line)
		}
		off, err1 := strconv.ParseInt(fields[2], 10, 64)
		n, err2 := strconv.ParseInt(fields[3], 10, 64)
		if err1 != nil || err2 != nil || off < 0 || n < -1 || off > size-dataStart || n > size-dataStart-off {
			return nil, fmt.Errorf("index line %q: outside the pack", line)
		}
		entries = append(entries, packEntry{sha: fields[0], verified: fields[1] == "1", off: dataStart + off, n: n})
	}
	if int64(len(entries)) != count {
		return nil, fmt.Errorf("%d index lines, header says %d", len(entries), count)
	}
	return entries, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// readAt reads n bytes at off of the file at path.
func readAt(path string, off, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}

// tempFile makes a temporary file in dir, next to where its content will be renamed to. OpenCache made
// the folders; one is made again only if it vanished since (a user cleaning the cache mid-build).
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

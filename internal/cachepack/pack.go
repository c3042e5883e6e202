// Package cachepack keeps a cache's many small entries (index pages, wheel records) in a few pack files
// instead of one file each. Creating a file is what costs here, not writing it: on this project's CI
// machines (ext4) a new file costs about 0.65 ms of CPU, a rewrite of an existing one 8 µs, and a cold
// build would create one per index page and one per wheel record — about a fifth of its CPU.
//
// A Store reads the packs in its folder when opened, serves Get from them and from what this process
// Put, and Flush writes what was Put since as one new pack (a temporary file renamed into place, so a
// pack is never seen half written). For a key, the newest pack wins; Delete writes a tombstone. Packs
// written at once by concurrent processes sharing the folder are all read by the next Open, and none is
// ever rewritten: when a folder holds more than maxPacks packs, Flush writes one pack of every live entry
// and then removes the packs it merged (a process that still has one open keeps reading it).
//
// A pack is its values back to back, then an index of keys with each value's place, then the index's
// offset: opening a folder reads the indexes only, and Get reads one value (a copy: a pack someone
// truncates under a running build costs a miss, not a crash, as a mapped file would). It knows nothing
// of HTTP or wheels: keys are strings, values bytes, and a damaged pack is ignored whole (a cache that loses entries costs requests, never a wrong answer; consumers check what they
// read). It is written here rather than taken from bbolt, the field's embedded store, because bbolt
// holds an exclusive lock on its file while open for writing, so builds sharing a cache folder (matrix
// legs on one runner, a developer's parallel builds) would wait on one another; immutable packs need no
// lock at all.
package cachepack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// magic starts every pack; a file without it is not read.
const magic = "lambda-layers pack 2\n"

// maxPacks is how many packs a folder may hold before a Flush merges them.
const maxPacks = 8

// maxIndex bounds a pack's index: a larger one is damage, not a cache.
const maxIndex = 64 << 20

// Store is a folder of packs. It is safe for concurrent use.
type Store struct {
	dir string

	mu      sync.Mutex
	entries map[string]loc    // from the packs read at Open (a tombstone has a nil file)
	mem     map[string][]byte // Put or Deleted by this Store (nil value: a tombstone)
	pending map[string]bool   // keys of mem not written by Flush yet
	packs   []string          // the packs read at Open, oldest first
	files   *openFiles        // closed by Close, or once the Store is unreachable
}

// loc is where a value lies.
type loc struct {
	f        *os.File
	off, len int64
}

// openFiles are the packs a Store reads values from; close is idempotent.
type openFiles struct {
	mu sync.Mutex
	fs []*os.File
}

func (o *openFiles) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for _, f := range o.fs {
		errs = append(errs, f.Close())
	}
	o.fs = nil
	return errors.Join(errs...)
}

// Open reads the indexes of the packs in dir, creating dir (0700: a cache may hold pages of private
// indexes) if needed. Packs that cannot be read or parsed are skipped.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening cache folder %s: %w", dir, err)
	}
	s := &Store{dir: dir, entries: map[string]loc{}, mem: map[string][]byte{}, pending: map[string]bool{}, files: &openFiles{}}
	runtime.AddCleanup(s, func(o *openFiles) { o.close() }, s.files)
	names, err := filepath.Glob(filepath.Join(dir, "*.pack"))
	if err != nil {
		return nil, fmt.Errorf("opening cache folder %s: %w", dir, err)
	}
	slices.Sort(names) // named by creation time: oldest first, so newer packs override
	for _, name := range names {
		f, index, dataEnd, err := openPack(name)
		if err != nil {
			continue // removed by a concurrent merge since the Glob, or damaged: a cache miss
		}
		found := map[string]loc{}
		err = ParseIndex(index, dataEnd, func(key string, off, n int64, tombstone bool) {
			if tombstone {
				found[key] = loc{}
			} else {
				found[key] = loc{f: f, off: off, len: n}
			}
		})
		if err != nil {
			f.Close()
			continue
		}
		maps.Copy(s.entries, found)
		s.files.fs = append(s.files.fs, f)
		s.packs = append(s.packs, name)
	}
	return s, nil
}

// openPack opens a pack and reads its index.
func openPack(name string) (f *os.File, index []byte, dataEnd int64, err error) {
	f, err = os.Open(name)
	if err != nil {
		return nil, nil, 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, 0, err
	}
	size := st.Size()
	head := make([]byte, len(magic))
	var tail [8]byte
	if size < int64(len(magic)+8) {
		return nil, nil, 0, errors.New("too short")
	}
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, nil, 0, err
	}
	if string(head) != magic {
		return nil, nil, 0, errors.New("not a cache pack")
	}
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return nil, nil, 0, err
	}
	at := binary.LittleEndian.Uint64(tail[:])
	if at < uint64(len(magic)) || at > uint64(size-8) || uint64(size-8)-at > maxIndex {
		return nil, nil, 0, errors.New("bad index offset")
	}
	index = make([]byte, uint64(size-8)-at)
	if _, err := f.ReadAt(index, int64(at)); err != nil {
		return nil, nil, 0, err
	}
	return f, index, int64(at), nil
}

// Get returns a copy of key's value.
func (s *Store) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	v, ok := s.mem[key]
	l, onDisk := s.entries[key]
	s.mu.Unlock()
	switch {
	case ok && v == nil:
		return nil, false
	case ok:
		return bytes.Clone(v), true
	case !onDisk || l.f == nil:
		return nil, false
	}
	buf := make([]byte, l.len)
	if _, err := l.f.ReadAt(buf, l.off); err != nil {
		return nil, false // a pack cut under us, or closed: a miss
	}
	return buf, true
}

// Put sets key's value; it reaches the disk at Flush. A value equal to the current one changes nothing,
// so a build that learns nothing new writes no pack.
func (s *Store) Put(key string, val []byte) {
	if s.holds(key, val) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem[key] = append([]byte{}, val...) // not nil, even when empty: nil is a tombstone
	s.pending[key] = true
}

// holds says whether key's value is val. A stored value of another length differs without being read:
// a page revalidated by a 304 is Put again with a new date, and that read would be wasted.
func (s *Store) holds(key string, val []byte) bool {
	s.mu.Lock()
	v, inMem := s.mem[key]
	l, onDisk := s.entries[key]
	s.mu.Unlock()
	switch {
	case inMem:
		return v != nil && bytes.Equal(v, val)
	case !onDisk || l.f == nil || l.len != int64(len(val)):
		return false
	}
	cur, ok := s.Get(key)
	return ok && bytes.Equal(cur, val)
}

// Delete forgets key; a tombstone reaches the disk at Flush, so older packs' values stay forgotten.
func (s *Store) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem[key] = nil
	s.pending[key] = true
}

// Flush writes what was Put or Deleted since the last Flush as one new pack, or, when the folder held
// maxPacks packs or more at Open, every live entry as one pack, and then removes the packs merged.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	merge := len(s.packs) >= maxPacks
	if len(s.pending) == 0 && !merge {
		return nil
	}
	out := map[string][]byte{}
	for k := range s.pending {
		out[k] = s.mem[k]
	}
	if merge {
		for k, l := range s.entries {
			if _, ok := s.mem[k]; ok || l.f == nil {
				continue
			}
			buf := make([]byte, l.len)
			if _, err := l.f.ReadAt(buf, l.off); err != nil {
				continue // lost with a damaged pack: a miss for the next build
			}
			out[k] = buf
		}
		for k, v := range s.mem {
			out[k] = v
		}
		for k, v := range out {
			if v == nil {
				delete(out, k) // a tombstone has nothing older left to hide
			}
		}
	}
	if err := s.write(out); err != nil {
		return err
	}
	s.pending = map[string]bool{}
	if merge {
		for _, p := range s.packs {
			os.Remove(p) // a concurrent merge may have removed it first; open files stay readable
		}
		s.packs = nil
	}
	return nil
}

// write stores entries as a new pack, named so that packs sort by creation time.
func (s *Store) write(entries map[string][]byte) error {
	f, err := os.CreateTemp(s.dir, ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) { // the folder was removed since Open (a user cleaning the cache)
		if err = os.MkdirAll(s.dir, 0o700); err == nil {
			f, err = os.CreateTemp(s.dir, ".tmp-*")
		}
	}
	if err != nil {
		return fmt.Errorf("writing cache pack: %w", err)
	}
	_, werr := f.Write(Format(entries))
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing cache pack in %s: %w", s.dir, err)
	}
	// The time orders packs; the temporary name's random part keeps two written in one nanosecond apart.
	name := fmt.Sprintf("%020d-%s.pack", time.Now().UnixNano(), strings.TrimPrefix(filepath.Base(f.Name()), ".tmp-"))
	if err := os.Rename(f.Name(), filepath.Join(s.dir, name)); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing cache pack in %s: %w", s.dir, err)
	}
	return nil
}

// Close closes the packs read at Open; values Get returned stay valid (they are copies).
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = map[string]loc{}
	return s.files.close()
}

// Format is a pack of entries (a nil value is a tombstone), keys sorted: the same entries make the same
// bytes. The values come first, back to back; then the index, an entry per key: the key's length and
// bytes, then the value's length plus one (0 for a tombstone) and its offset, as uvarints; last the
// index's offset, 8 bytes little-endian.
func Format(entries map[string][]byte) []byte {
	keys := slices.Sorted(maps.Keys(entries))
	var buf bytes.Buffer
	buf.WriteString(magic)
	offs := make([]int, len(keys))
	for i, k := range keys {
		offs[i] = buf.Len()
		buf.Write(entries[k])
	}
	at := buf.Len()
	for i, k := range keys {
		buf.Write(binary.AppendUvarint(nil, uint64(len(k))))
		buf.WriteString(k)
		if entries[k] == nil {
			buf.WriteByte(0)
			continue
		}
		buf.Write(binary.AppendUvarint(nil, uint64(len(entries[k]))+1))
		buf.Write(binary.AppendUvarint(nil, uint64(offs[i])))
	}
	return binary.LittleEndian.AppendUint64(buf.Bytes(), uint64(at))
}

// ParseIndex reads a pack's index, calling fn for each entry in order with where its value lies (a
// tombstone has none). dataEnd is the index's offset: every value must lie after the magic and before
// it. It fails, having called fn for the entries before the fault, on a damaged index.
func ParseIndex(index []byte, dataEnd int64, fn func(key string, off, n int64, tombstone bool)) error {
	rest := index
	for len(rest) > 0 {
		klen, n := binary.Uvarint(rest)
		if n <= 0 || klen > uint64(len(rest)-n) {
			return fmt.Errorf("index byte %d: bad key length", len(index)-len(rest))
		}
		key := string(rest[n : n+int(klen)])
		rest = rest[n+int(klen):]
		vlen, n := binary.Uvarint(rest)
		if n <= 0 {
			return fmt.Errorf("entry %q: bad value length", key)
		}
		rest = rest[n:]
		if vlen == 0 {
			fn(key, 0, 0, true)
			continue
		}
		off, n := binary.Uvarint(rest)
		if n <= 0 {
			return fmt.Errorf("entry %q: bad value offset", key)
		}
		rest = rest[n:]
		size := vlen - 1
		if off < uint64(len(magic)) || off > uint64(dataEnd) || size > uint64(dataEnd)-off {
			return fmt.Errorf("entry %q: value outside the pack's data", key)
		}
		fn(key, int64(off), int64(size), false)
	}
	return nil
}

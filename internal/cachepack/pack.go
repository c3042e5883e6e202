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
// It knows nothing of HTTP or wheels: keys are strings, values bytes, and a damaged pack is ignored
// whole (a cache that loses entries costs requests, never a wrong answer; consumers check what they
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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// magic starts every pack; a file without it is not read.
const magic = "lambda-layers pack 1\n"

// maxPacks is how many packs a folder may hold before a Flush merges them.
const maxPacks = 8

// Store is a folder of packs. It is safe for concurrent use.
type Store struct {
	dir string

	mu      sync.Mutex
	entries map[string][]byte // from the packs read at Open (nil value: deleted)
	pending map[string][]byte // Put or Deleted since the last Flush (nil value: a tombstone)
	packs   []string          // the packs read at Open, oldest first
	maps    []mapping
}

// Open reads the packs in dir, creating dir (0700: a cache may hold pages of private indexes) if needed.
// Packs that cannot be read or parsed are skipped.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening cache folder %s: %w", dir, err)
	}
	s := &Store{dir: dir, entries: map[string][]byte{}, pending: map[string][]byte{}}
	names, err := filepath.Glob(filepath.Join(dir, "*.pack"))
	if err != nil {
		return nil, fmt.Errorf("opening cache folder %s: %w", dir, err)
	}
	slices.Sort(names) // named by creation time: oldest first, so newer packs override
	for _, name := range names {
		m, err := mapFile(name)
		if err != nil {
			continue // removed by a concurrent merge since the Glob, or unreadable: a cache miss
		}
		if err := Parse(m.data, func(key string, val []byte) { s.entries[key] = val }); err != nil {
			m.close()
			continue
		}
		s.maps = append(s.maps, m)
		s.packs = append(s.packs, name)
	}
	return s, nil
}

// Get returns a copy of key's value.
func (s *Store) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.pending[key]
	if !ok {
		v, ok = s.entries[key]
	}
	if !ok || v == nil {
		return nil, false
	}
	return bytes.Clone(v), true
}

// Put sets key's value; it reaches the disk at Flush.
func (s *Store) Put(key string, val []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[key] = append([]byte{}, val...) // not nil, even when empty: nil is a tombstone
}

// Delete forgets key; a tombstone reaches the disk at Flush, so older packs' values stay forgotten.
func (s *Store) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[key] = nil
}

// Flush writes what was Put or Deleted since the last Flush as one new pack, or, when the folder holds
// more than maxPacks packs, every live entry as one pack, and then removes the packs merged.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	merge := len(s.packs) >= maxPacks
	if len(s.pending) == 0 && !merge {
		return nil
	}
	out := s.pending
	if merge {
		out = make(map[string][]byte, len(s.entries)+len(s.pending))
		for k, v := range s.entries {
			if v != nil {
				out[k] = v
			}
		}
		for k, v := range s.pending {
			if v == nil {
				delete(out, k) // nothing older is left to hide
			} else {
				out[k] = v
			}
		}
	}
	if err := s.write(out); err != nil {
		return err
	}
	for k, v := range s.pending {
		s.entries[k] = v
	}
	s.pending = map[string][]byte{}
	if merge {
		for _, p := range s.packs {
			os.Remove(p) // a concurrent merge may have removed it first
		}
		s.packs = nil
	}
	return nil
}

// write stores entries as a new pack, named so that packs sort by creation time.
func (s *Store) write(entries map[string][]byte) error {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same entries make the same pack
	var buf bytes.Buffer
	buf.WriteString(magic)
	for _, k := range keys {
		appendEntry(&buf, k, entries[k])
	}
	f, err := os.CreateTemp(s.dir, ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) { // the folder was removed since Open (a user cleaning the cache)
		if err = os.MkdirAll(s.dir, 0o700); err == nil {
			f, err = os.CreateTemp(s.dir, ".tmp-*")
		}
	}
	if err != nil {
		return fmt.Errorf("writing cache pack: %w", err)
	}
	_, werr := f.Write(buf.Bytes())
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

// Close releases the packs read at Open; values Get returned stay valid (they are copies).
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, m := range s.maps {
		errs = append(errs, m.close())
	}
	s.maps, s.entries = nil, map[string][]byte{}
	return errors.Join(errs...)
}

// appendEntry writes one entry: the key's length and bytes, then the value's length plus one (0 for a
// tombstone) and bytes, lengths as uvarints.
func appendEntry(buf *bytes.Buffer, key string, val []byte) {
	buf.Write(binary.AppendUvarint(nil, uint64(len(key))))
	buf.WriteString(key)
	if val == nil {
		buf.WriteByte(0)
		return
	}
	buf.Write(binary.AppendUvarint(nil, uint64(len(val))+1))
	buf.Write(val)
}

// Parse reads a pack, calling fn for each entry in order (val is nil for a tombstone and aliases data).
// It fails, having called fn for the entries before the fault, when data is not a whole pack.
func Parse(data []byte, fn func(key string, val []byte)) error {
	rest, ok := bytes.CutPrefix(data, []byte(magic))
	if !ok {
		return errors.New("not a cache pack")
	}
	for len(rest) > 0 {
		klen, n := binary.Uvarint(rest)
		if n <= 0 || klen > uint64(len(rest)-n) {
			return fmt.Errorf("entry at byte %d: bad key length", len(data)-len(rest))
		}
		key := string(rest[n : n+int(klen)])
		rest = rest[n+int(klen):]
		vlen, n := binary.Uvarint(rest)
		if n <= 0 || vlen > uint64(len(rest)-n)+1 {
			return fmt.Errorf("entry %q: bad value length", key)
		}
		if vlen == 0 {
			fn(key, nil)
			rest = rest[n:]
			continue
		}
		end := n + int(vlen-1)
		fn(key, rest[n:end:end])
		rest = rest[end:]
	}
	return nil
}

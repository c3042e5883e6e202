package cachepack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func packs(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func want(t *testing.T, s *Store, key, val string) {
	t.Helper()
	got, ok := s.Get(key)
	switch {
	case val == "" && ok:
		t.Errorf("%s = %q, want no entry", key, got)
	case val != "" && (!ok || string(got) != val):
		t.Errorf("%s = %q (found %v), want %q", key, got, ok, val)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "http")
	s := open(t, dir)
	s.Put("a", []byte("one"))
	s.Put("empty", []byte{})
	want(t, s, "a", "one") // before Flush, from memory
	if got, ok := s.Get("empty"); !ok || len(got) != 0 {
		t.Errorf("empty value: %q, %v", got, ok)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil { // nothing new: no pack
		t.Fatal(err)
	}
	if n := len(packs(t, dir)); n != 1 {
		t.Fatalf("%d packs after two flushes of one change, want 1", n)
	}
	r := open(t, dir)
	want(t, r, "a", "one")
	if got, ok := r.Get("empty"); !ok || len(got) != 0 {
		t.Errorf("empty value after reopen: %q, %v", got, ok)
	}
	want(t, r, "missing", "")
	// A value Get returned is the caller's.
	v, _ := r.Get("a")
	v[0] = 'X'
	want(t, r, "a", "one")
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
	for _, p := range packs(t, dir) {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("pack %s mode %v (%v), want 0600", p, st.Mode().Perm(), err)
		}
	}
}

// TestNewestWinsAndDeletesStick: a later pack overrides an earlier one, a tombstone hides an older
// value, and a value set after a delete comes back.
func TestNewestWinsAndDeletesStick(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	s.Put("k", []byte("old"))
	s.Put("gone", []byte("x"))
	s.Put("back", []byte("1"))
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	s.Put("k", []byte("new"))
	s.Delete("gone")
	s.Delete("back")
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	want(t, s, "gone", "")
	r := open(t, dir)
	want(t, r, "k", "new")
	want(t, r, "gone", "")
	r.Put("back", []byte("2"))
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	want(t, open(t, dir), "back", "2")
}

// TestMergeKeepsLiveEntries: past maxPacks packs, a Flush leaves one pack holding every live entry and
// none of the deleted ones.
func TestMergeKeepsLiveEntries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range maxPacks {
		s := open(t, dir)
		s.Put(fmt.Sprintf("k%d", i), []byte(fmt.Sprint(i)))
		s.Put("shared", []byte(fmt.Sprint(i)))
		if i == 3 {
			s.Delete("k1")
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(packs(t, dir)); n != maxPacks {
		t.Fatalf("%d packs, want %d", n, maxPacks)
	}
	s := open(t, dir)
	s.Put("last", []byte("x"))
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(packs(t, dir)); n != 1 {
		t.Fatalf("%d packs after a merge, want 1", n)
	}
	r := open(t, dir)
	for i := range maxPacks {
		v := fmt.Sprint(i)
		if i == 1 {
			v = ""
		}
		want(t, r, fmt.Sprintf("k%d", i), v)
	}
	want(t, r, "shared", fmt.Sprint(maxPacks-1))
	want(t, r, "last", "x")
	n := 0
	f, index, end, err := openPack(packs(t, dir)[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ParseIndex(index, end, func(string, int64, int64, bool) { n++ }); err != nil {
		t.Fatal(err)
	}
	if n != maxPacks+1 { // k0, k2..k7, shared, last: no tombstone, no superseded value
		t.Errorf("merged pack holds %d entries, want %d", n, maxPacks+1)
	}
}

// TestConcurrentWriters: stores on one folder, in goroutines as in processes, each flush their own
// pack; the next Open sees every entry.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			s, err := Open(dir)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			for j := range 50 {
				s.Put(fmt.Sprintf("w%d-%d", i, j), []byte("v"))
			}
			if err := s.Flush(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r := open(t, dir)
	for i := range 4 {
		for j := range 50 {
			want(t, r, fmt.Sprintf("w%d-%d", i, j), "v")
		}
	}
}

// TestDamagedPackIgnored: a pack cut short or not a pack at all is skipped whole; the others are read.
func TestDamagedPackIgnored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	s.Put("good", []byte("yes"))
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	pack := Format(map[string][]byte{"bad": []byte("a long enough value")})
	cut := pack[:len(pack)-3]
	if err := os.WriteFile(filepath.Join(dir, "99999999999999999999-cut.pack"), cut, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "99999999999999999998-junk.pack"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := open(t, dir)
	want(t, r, "good", "yes")
	want(t, r, "bad", "")
}

// TestFolderRemovedWhileOpen: a user may clean the cache during a build; the next Flush makes the folder
// again instead of failing.
func TestFolderRemovedWhileOpen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "c")
	s := open(t, dir)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	s.Put("k", []byte("v"))
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	want(t, open(t, dir), "k", "v")
}

// TestPackCutWhileOpen: a pack truncated under a running build (a cache restore writing over it) makes
// its values misses, not a crash or a wrong value.
func TestPackCutWhileOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := open(t, dir)
	w.Put("k", bytes.Repeat([]byte("v"), 100))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := open(t, dir)
	if err := os.Truncate(packs(t, dir)[0], int64(len(magic))+10); err != nil {
		t.Fatal(err)
	}
	want(t, r, "k", "")
}

func FuzzParseIndex(f *testing.F) {
	seed := Format(map[string][]byte{"key": []byte("value"), "gone": nil, "": {}, "page:ab": []byte("{}\nbody")})
	at := int64(binary.LittleEndian.Uint64(seed[len(seed)-8:]))
	f.Add(seed[at:len(seed)-8], at)
	f.Add([]byte{}, int64(len(magic)))
	f.Add([]byte("\x03key\x06\x15"), int64(40))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), int64(1<<40))
	f.Fuzz(func(t *testing.T, index []byte, dataEnd int64) {
		if dataEnd < 0 {
			return
		}
		_ = ParseIndex(index, dataEnd, func(key string, off, n int64, tombstone bool) {
			if !tombstone && (off < int64(len(magic)) || n < 0 || off+n > dataEnd) {
				t.Fatalf("entry %q at %d+%d outside [%d, %d]", key, off, n, len(magic), dataEnd)
			}
		})
	})
}

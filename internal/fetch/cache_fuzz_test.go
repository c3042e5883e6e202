package fetch

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzPack: readPackIndex never panics on any file, and what it accepts lies within the file; a pack
// written by formatPackIndex reads back as written.
func FuzzPack(f *testing.F) {
	sha := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	f.Add(append(formatPackIndex([]packEntry{{sha: sha, verified: true, off: 0, n: 3}}), "abc"...))
	f.Add(formatPackIndex([]packEntry{{sha: sha, n: -1}}))
	f.Add([]byte(packMagic + " 1 70\n" + sha + " 1 0 -1\n"))
	f.Add([]byte(packMagic + " 0 0\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "x.pack")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		entries, err := readPackIndex(p)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.off < 0 || e.n >= 0 && e.off+e.n > int64(len(data)) {
				t.Fatalf("entry %+v outside a %d-byte pack", e, len(data))
			}
		}
		// Written again from what was read, the index reads back the same.
		rel := slices.Clone(entries)
		var total int64
		for i := range rel {
			rel[i].off = total
			total += max(rel[i].n, 0)
		}
		idx := formatPackIndex(rel)
		if err := os.WriteFile(p, append(idx, make([]byte, total)...), 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := readPackIndex(p)
		if err != nil || len(again) != len(rel) {
			t.Fatalf("rewritten pack: %v, %d entries want %d", err, len(again), len(rel))
		}
		for i := range again {
			if again[i].sha != rel[i].sha || again[i].verified != rel[i].verified || again[i].n != rel[i].n || again[i].off != int64(len(idx))+rel[i].off {
				t.Fatalf("entry %d: %+v, want %+v", i, again[i], rel[i])
			}
		}
	})
}

//go:build linux

package fetch

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUnnamedFile: a nameless file shows up in its folder only once linked, whole; linking onto a name
// that exists keeps what is there (content-addressed: the same bytes).
func TestUnnamedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f, ok, err := createUnnamed(dir)
	if err != nil || !ok {
		t.Skipf("no O_TMPFILE here (%v): downloads use named temporary files", err)
	}
	defer f.Close()
	if _, err := f.WriteString("wheel bytes"); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("an unlinked file is visible: %v", ents)
	}
	dst := filepath.Join(dir, "abc.whl")
	if err := linkUnnamed(f, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "wheel bytes" {
		t.Fatalf("linked file: %q, %v", b, err)
	}
	if st, err := os.Stat(dst); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600: the cache is private", st.Mode().Perm(), err)
	}
	g, _, err := createUnnamed(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	g.WriteString("same bytes, another build")
	if err := linkUnnamed(g, dst); err != nil {
		t.Fatalf("linking onto an existing entry: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "wheel bytes" {
		t.Errorf("the existing entry was replaced: %q", b)
	}
}

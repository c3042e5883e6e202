package outfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// withUmask runs f under a restrictive umask, as some runners and containers have. The umask is
// process-wide, so the test does not run in parallel with others.
func withUmask(t *testing.T, mask int, f func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	f()
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestModesWhateverTheUmask(t *testing.T) {
	root := t.TempDir()
	withUmask(t, 0o077, func() {
		out := filepath.Join(root, "a", "b")
		if err := MkdirAll(out); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(filepath.Join(out, "c", "report.json"), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		f, err := CreateTemp(out, ".layer-*")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		for p, want := range map[string]os.FileMode{
			filepath.Join(root, "a"): DirMode, out: DirMode, filepath.Join(out, "c"): DirMode,
			filepath.Join(out, "c", "report.json"): FileMode, f.Name(): FileMode,
		} {
			if got := mode(t, p); got != want {
				t.Errorf("%s: mode %v; want %v", p, got, want)
			}
		}
		// A folder that was there keeps its mode.
		if err := os.Chmod(root, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := MkdirAll(filepath.Join(root, "a")); err != nil || mode(t, root) != 0o700 {
			t.Errorf("MkdirAll changed an existing folder: %v, %v", mode(t, root), err)
		}
		entries, _ := os.ReadDir(filepath.Join(out, "c"))
		if len(entries) != 1 {
			t.Errorf("temporary files left: %v", entries)
		}
	})
}

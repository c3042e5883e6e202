package report_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// TestWriteFileMakesItsFolder: --json DIR/report.json into a folder that does not exist yet makes it (0755)
// and writes the file 0644 whatever the umask, as --out and --markdown do; it failed with "no such file".
func TestWriteFileMakesItsFolder(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "new", "deeper")
	path := filepath.Join(dir, "report.json")
	if err := (&report.Report{}).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o644, dir: 0o755, filepath.Dir(dir): 0o755} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
	}
}

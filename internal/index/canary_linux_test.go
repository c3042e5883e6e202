package index_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// canary is a file that must never be opened: it watches its folder with inotify, which reports every
// open and read of a file in it (a stat is not an open).
type canary struct {
	Dir, Path string
	fd        int
}

func newCanary(t *testing.T, name string) *canary {
	t.Helper()
	dir := t.TempDir()
	c := &canary{Dir: dir, Path: filepath.Join(dir, name)}
	if err := os.WriteFile(c.Path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_OPEN|unix.IN_ACCESS); err != nil {
		t.Fatalf("inotify: %v", err)
	}
	c.fd = fd
	return c
}

// opened reports whether anything opened or read a file in the canary's folder since the last call.
func (c *canary) opened(t *testing.T) bool {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.Read(c.fd, buf)
	if errors.Is(err, unix.EAGAIN) {
		return false
	}
	if err != nil {
		t.Fatalf("reading inotify events: %v", err)
	}
	return n > 0
}

// selfCheck proves the watch works: reading the canary must be seen.
func (c *canary) selfCheck(t *testing.T) {
	t.Helper()
	if _, err := os.ReadFile(c.Path); err != nil {
		t.Fatal(err)
	}
	if !c.opened(t) {
		t.Fatal("the canary's watch did not see the test open it")
	}
}

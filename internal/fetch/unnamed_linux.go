//go:build linux

package fetch

import (
	"errors"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Linux can create a file with no name (O_TMPFILE) and give it one once it is whole (linkat): half the
// directory work of a named temporary file and a rename, and a crash leaves nothing behind. A download
// is a file created in the cache, and on ext4 creating files is what a cold build's cache costs most.
// Linking goes through /proc/self/fd (no privilege needed); without /proc, or on a filesystem without
// O_TMPFILE, downloads use named temporary files.

var procFD = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
})

// createUnnamed opens a new, nameless file in dir, or returns ok false when that cannot be done here.
func createUnnamed(dir string) (f *os.File, ok bool, err error) {
	if !procFD() {
		return nil, false, nil
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	switch {
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EINVAL):
		return nil, false, nil // the filesystem (or an old kernel) has no O_TMPFILE
	case err != nil:
		return nil, true, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir), true, nil
}

// linkUnnamed names a file createUnnamed made. A file already at dst is kept: cache entries are named by
// their content, so it holds the same bytes.
func linkUnnamed(f *os.File, dst string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return &os.LinkError{Op: "link", Old: f.Name(), New: dst, Err: err}
	}
	return nil
}

package fetch

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// ReadAheadFile is an io.ReaderAt over a file that serves small reads from a window read ahead of them.
// Copying a wheel's entries in order asks for a 30-byte local header and then the data of each entry;
// one pread per request would make system calls most of a warm build's time.
type ReadAheadFile struct {
	f    *os.File
	size int64

	mu  sync.Mutex
	buf []byte
	off int64 // file offset of buf[0]
	n   int   // valid bytes in buf
}

const readAheadWindow = 256 << 10

// OpenReadAhead opens path for reading with a read-ahead window.
func OpenReadAhead(path string) (*ReadAheadFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return &ReadAheadFile{f: f, size: st.Size()}, nil
}

// Size is the file's size.
func (r *ReadAheadFile) Size() int64 { return r.size }

// ReadAt implements io.ReaderAt; it is safe for concurrent use.
func (r *ReadAheadFile) ReadAt(p []byte, off int64) (int, error) {
	if len(p) >= readAheadWindow/2 {
		return r.f.ReadAt(p, off) // big reads gain nothing from the window
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if off < r.off || off+int64(len(p)) > r.off+int64(r.n) {
		if r.buf == nil {
			r.buf = *windows.Get().(*[]byte)
		}
		n, err := r.f.ReadAt(r.buf, off)
		if err != nil && err != io.EOF {
			r.n = 0
			return 0, err
		}
		r.off, r.n = off, n
	}
	start := int(off - r.off)
	n := copy(p, r.buf[start:r.n])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// windows are read-ahead buffers: a build opens each wheel it installs, and a fresh 256 KiB window for
// each was most of what a cold build allocated.
var windows = sync.Pool{New: func() any { b := make([]byte, readAheadWindow); return &b }}

// Close closes the file; the reader must not be used afterwards.
func (r *ReadAheadFile) Close() error {
	r.mu.Lock()
	if r.buf != nil {
		buf := r.buf
		r.buf, r.n = nil, 0
		windows.Put(&buf)
	}
	r.mu.Unlock()
	return r.f.Close()
}

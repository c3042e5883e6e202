//go:build unix

package fetch

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

// MappedFile is a read-only file mapped into memory: reading a wheel's many small entries through it
// costs no system call each, which is most of a cold build's time otherwise.
type MappedFile struct {
	*bytes.Reader
	data []byte
}

// OpenMapped maps path read-only. Empty files are served from an empty reader.
func OpenMapped(path string) (*MappedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return &MappedFile{Reader: bytes.NewReader(nil)}, nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return &MappedFile{Reader: bytes.NewReader(data), data: data}, nil
}

// Close unmaps the file; the reader must not be used afterwards.
func (m *MappedFile) Close() error {
	if m.data == nil {
		return nil
	}
	data := m.data
	m.data = nil
	return syscall.Munmap(data)
}

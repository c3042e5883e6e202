//go:build !unix

package fetch

import (
	"bytes"
	"os"
)

// MappedFile holds a whole file in memory where mmap is not available.
type MappedFile struct {
	*bytes.Reader
}

// OpenMapped reads path into memory.
func OpenMapped(path string) (*MappedFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &MappedFile{Reader: bytes.NewReader(b)}, nil
}

// Close releases nothing.
func (m *MappedFile) Close() error { return nil }

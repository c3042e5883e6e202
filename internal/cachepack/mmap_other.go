//go:build !unix

package cachepack

import "os"

// mapping is a pack read into memory where mmap is not available.
type mapping struct{ data []byte }

func mapFile(path string) (mapping, error) {
	b, err := os.ReadFile(path)
	return mapping{data: b}, err
}

func (m mapping) close() error { return nil }

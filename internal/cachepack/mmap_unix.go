//go:build unix

package cachepack

import (
	"os"
	"syscall"
)

// mapping is a pack mapped read-only: opening a folder of packs reads only the pages its entries' keys
// and lengths are on until a value is asked for.
type mapping struct{ data []byte }

func mapFile(path string) (mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return mapping{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return mapping{}, err
	}
	if st.Size() == 0 {
		return mapping{}, nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return mapping{}, err
	}
	return mapping{data: data}, nil
}

func (m mapping) close() error {
	if m.data == nil {
		return nil
	}
	return syscall.Munmap(m.data)
}

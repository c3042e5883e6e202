package requirements

import (
	"fmt"
	"io"
	"os"
)

// MaxFileBytes bounds what ReadFile reads: far above any requirements, pyproject or lock file (a
// 20,000-line file with a 1 MiB comment is under 2 MiB), far below what would exhaust memory.
const MaxFileBytes = 64 << 20

// ReadFile is os.ReadFile for requirements, pyproject and lock files, refusing one larger than
// MaxFileBytes: a file (or a `-r /dev/zero` line) must not make the tool read until memory runs out.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB, more than any requirements or lock file", path, MaxFileBytes>>20)
	}
	return data, nil
}

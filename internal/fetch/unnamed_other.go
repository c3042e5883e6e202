//go:build !linux

package fetch

import (
	"errors"
	"os"
)

// createUnnamed reports that nameless files are not available here: downloads use named temporary files.
func createUnnamed(string) (*os.File, bool, error) { return nil, false, nil }

func linkUnnamed(*os.File, string) error { return errors.New("nameless files are Linux only") }

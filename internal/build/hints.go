package build

import (
	"errors"
	"io/fs"
	"net"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lambda-layers/lambda-layers/internal/index"
)

// hintFor says what to do about a failure whose message does not already say it: a file that is not
// there, an index or network that did not answer. It returns "" or "\n  hint: …", the shape of the
// resolver's explanations.
func hintFor(err error, message string) string {
	if strings.Contains(message, "hint:") {
		return ""
	}
	var (
		ne net.Error
		pe *fs.PathError
	)
	switch {
	case errors.Is(err, index.ErrUnsafeLink):
		// The index answered, with a link or redirect we refuse (wrapped in a *url.Error, a net.Error).
		return "\n  hint: the server answered with a link or redirect to a scheme this tool does not follow from the network; use an http(s) index (or URL) that stays on http(s), or a local folder index for local files"
	case errors.Is(err, fs.ErrNotExist):
		return "\n  hint: check the path; relative paths are from the folder you run in (an -r or -c inside a file: from that file's folder)"
	case errors.As(err, &pe) && errors.Is(err, syscall.EISDIR):
		return "\n  hint: " + pe.Path + " is a folder: pass the requirements or lock file in it (-r " + filepath.Join(pe.Path, "requirements.txt") + ")"
	case errors.As(err, &pe):
		// Before net.Error: the errno inside a file error has Timeout and Temporary too.
		return "\n  hint: check that " + pe.Path + " is a folder (or file) this user may read and write, or pass another --out or --cache-dir"
	case errors.As(err, &ne):
		return "\n  hint: the index did not answer; check its URL (--index-url, the requirements file's -i, PIP_INDEX_URL) and the network, then run again"
	}
	return ""
}

// Hint is hintFor for a failure the caller prints itself (the lock command): "" or "\n  hint: …".
func Hint(err error) string { return hintFor(err, err.Error()) }

package build

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index"
)

// A file-system failure is not taken for an index that did not answer (the errno inside a
// *fs.PathError satisfies net.Error), and each kind gets its own hint.
func TestHintFor(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, nil, 0o644)
	_, missing := os.ReadFile(filepath.Join(dir, "nope.txt"))
	notDir := os.MkdirAll(filepath.Join(file, "cache"), 0o755)
	_, dial := net.Dial("tcp", "127.0.0.1:1")
	_, isDir := os.ReadFile(dir)
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("reading: %w", missing), "check the path"},
		{fmt.Errorf("opening cache: %w", notDir), "check that " + file + " is a folder"},
		{fmt.Errorf("fetching: %w", dial), "the index did not answer"},
		{fmt.Errorf("reading: %w", isDir), dir + " is a folder: pass the requirements or lock file in it (-r " + filepath.Join(dir, "requirements.txt") + ")"},
		{errors.New("something else"), ""},
		// A refused redirect comes wrapped in a *url.Error, a net.Error, but the index did answer.
		{&url.Error{Op: "Get", URL: "file:///etc/passwd", Err: fmt.Errorf("%w: redirected to a file URL", index.ErrUnsafeLink)}, "a link or redirect to a scheme this tool does not follow"},
	} {
		got := Hint(c.err)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("Hint(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

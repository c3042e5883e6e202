package requirements

import (
	"os"
	"strings"
	"testing"
)

// TestIncludeOfEndlessFile: `-r /dev/zero` is refused once the file passes MaxFileBytes, naming the
// line; it read until memory ran out (24 GB before the kernel killed it).
func TestIncludeOfEndlessFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	_, err := ParseBytes("r.txt", []byte("six\n-r /dev/zero\n"), ParseOptions{})
	if err == nil || !strings.Contains(err.Error(), "r.txt:2") || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Fatalf("err = %v", err)
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any input gives a Config or Errors, never a panic, and every error from a file has a
// position inside it.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join(testdata, dir, "*.yml"))
		for _, p := range files {
			data, _ := os.ReadFile(p)
			f.Add(data)
		}
	}
	f.Add([]byte("layers: [{name: a, requirements: r.txt, runtimes: python3.12, budget: {zipped: 1.5GB}}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yml", data)
		if err == nil {
			if c == nil || len(c.Layers) == 0 {
				t.Fatalf("no error and no layers: %+v", c)
			}
			return
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("err = %v, want Errors", err)
		}
		for _, e := range es {
			if e.File != "f.yml" {
				t.Fatalf("error without the file: %+v", e)
			}
		}
	})
}

package lockfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

func fuzzLock(f *testing.F, name string, seeds ...string) {
	for _, seed := range seeds {
		data, err := os.ReadFile(filepath.Join("testdata", seed))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	root, _ := pep508.ParseRequirement("alpha[fast]; python_version >= '3'")
	t1, _ := target.Parse("python3.11", "x86_64")
	t2, _ := target.Parse("python3.13", "arm64")
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(name, data)
		if err != nil {
			return
		}
		if pl, ok := l.(*PoetryLock); ok && pl.Legacy() {
			pl.SetRoots([]Root{{Requirement: root, Origin: "pyproject.toml:1"}})
		}
		for _, tt := range []target.Target{t1, t2} {
			l.Select(tt, Options{Extras: []string{"fast"}, Groups: []string{"dev"}})
		}
	})
}

func FuzzUV(f *testing.F) { fuzzLock(f, "uv.lock", "uv/uv.lock") }
func FuzzPoetry(f *testing.F) {
	fuzzLock(f, "poetry.lock", "poetry/poetry.lock", "poetry20/poetry.lock")
}
func FuzzPipfile(f *testing.F) { fuzzLock(f, "Pipfile.lock", "pipenv/Pipfile.lock") }
func FuzzPylock(f *testing.F)  { fuzzLock(f, "pylock.toml", "pylock/pylock.toml") }

func FuzzPoetryConstraint(f *testing.F) {
	for _, s := range []string{"^1.2.3", "~1", ">= 1, <2", "1.2.*", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { PoetryConstraint(s) })
}

package lockfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// PipfileLock is a parsed Pipfile.lock: its default and develop sections, each a flat list of pinned
// packages with their hashes and markers (pipenv resolved the graph already).
type PipfileLock struct {
	file     string
	python   string
	sources  []pipSource
	sections map[string][]pipPackage
	// Getenv expands ${VAR} in source URLs, as pipenv does; nil leaves them as written.
	Getenv func(string) string
}

type pipSource struct{ name, url string }

type pipPackage struct {
	name  string
	line  int
	entry struct {
		Version  string   `json:"version"`
		Hashes   []string `json:"hashes"`
		Markers  string   `json:"markers"`
		Index    string   `json:"index"`
		Editable bool     `json:"editable"`
		Path     string   `json:"path"`
		File     string   `json:"file"`
		Git      string   `json:"git"`
		Extras   []string `json:"extras"`
	}
}

var _ Lock = (*PipfileLock)(nil)

// ParsePipfile reads a Pipfile.lock.
func ParsePipfile(file string, data []byte) (*PipfileLock, error) {
	l := &PipfileLock{file: file, sections: map[string][]pipPackage{}}
	lineAt := func(off int64) int { return bytes.Count(data[:min(int(off), len(data))], []byte("\n")) + 1 }
	dec := json.NewDecoder(bytes.NewReader(data))
	bad := func(off int64, err error) error {
		return &Error{File: file, Line: lineAt(off), Msg: "not valid JSON: " + err.Error()}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if err == nil {
			err = fmt.Errorf("expected an object")
		}
		return nil, bad(dec.InputOffset(), err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad(dec.InputOffset(), err)
		}
		key, _ := t.(string)
		switch key {
		case "_meta":
			var meta struct {
				Requires struct {
					PythonVersion     string `json:"python_version"`
					PythonFullVersion string `json:"python_full_version"`
				} `json:"requires"`
				Sources []struct {
					Name string `json:"name"`
					URL  string `json:"url"`
				} `json:"sources"`
			}
			if err := dec.Decode(&meta); err != nil {
				return nil, bad(dec.InputOffset(), err)
			}
			l.python = meta.Requires.PythonVersion
			for _, s := range meta.Sources {
				l.sources = append(l.sources, pipSource{s.Name, s.URL})
			}
		case "default", "develop":
			if t, err := dec.Token(); err != nil || t != json.Delim('{') {
				if err == nil {
					err = fmt.Errorf("%q is not an object", key)
				}
				return nil, bad(dec.InputOffset(), err)
			}
			for dec.More() {
				nt, err := dec.Token()
				if err != nil {
					return nil, bad(dec.InputOffset(), err)
				}
				p := pipPackage{line: lineAt(dec.InputOffset())}
				p.name, _ = nt.(string)
				if err := dec.Decode(&p.entry); err != nil {
					return nil, bad(dec.InputOffset(), fmt.Errorf("package %q: %w", p.name, err))
				}
				l.sections[key] = append(l.sections[key], p)
			}
			if _, err := dec.Token(); err != nil {
				return nil, bad(dec.InputOffset(), err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, bad(dec.InputOffset(), err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(dec.InputOffset(), err)
	}
	return l, nil
}

func (l *PipfileLock) expand(s string) string {
	if l.Getenv == nil {
		return s
	}
	return os.Expand(s, l.Getenv)
}

// Select keeps the default section, and develop when the "dev" or "develop" group is asked for, with
// the packages whose markers hold for t.
func (l *PipfileLock) Select(t target.Target, opts Options) (*Selection, error) {
	var es errs
	sel := &Selection{File: l.file, Format: Pipenv}
	if l.python != "" && l.python != t.PythonVersion() {
		sel.Notes = append(sel.Notes, fmt.Sprintf("%s was locked for Python %s; its markers are evaluated for %s", l.file, l.python, t))
	}
	for _, s := range l.sources {
		sel.Indexes = append(sel.Indexes, l.expand(s.url))
	}
	sections := []string{"default"}
	for _, g := range normalizeAll(opts.Groups) {
		if g == "dev" || g == "develop" {
			sections = append(sections, "develop")
		} else {
			es.add(l.file, 1, "", "Pipfile.lock has two groups: default and develop (ask for \"dev\")", "no group %q", g)
		}
	}
	seen := map[string]bool{}
	for _, sec := range sections {
		for _, p := range l.sections[sec] {
			name := pep508.NormalizeName(p.name)
			if seen[name] {
				continue
			}
			e := p.entry
			ok, err := evalMarker(e.Markers, t, nil, nil)
			if err != nil {
				es.add(l.file, p.line, name, "", "marker %q: %v", e.Markers, err)
				continue
			}
			if !ok {
				continue
			}
			seen[name] = true
			switch {
			case e.Editable || e.Path != "" || e.File != "" || e.Git != "":
				what := "path " + e.Path
				if e.Git != "" {
					what = "git " + e.Git
				} else if e.File != "" {
					what = "file " + e.File
				}
				if e.Editable {
					what = "editable " + what
				}
				es.add(l.file, p.line, name, "publish it as a wheel to an index and pin it in the Pipfile; a layer is built from wheels only", "%s cannot be installed without building it", what)
				continue
			case !strings.HasPrefix(e.Version, "=="):
				es.add(l.file, p.line, name, "run `pipenv lock` again", "version %q is not pinned with ==", e.Version)
				continue
			case len(e.Hashes) == 0:
				es.add(l.file, p.line, name, "run `pipenv lock` again", "no hashes")
				continue
			}
			pkg := Package{Name: name, Version: strings.TrimLeft(e.Version, "="), File: l.file, Line: p.line}
			for _, h := range e.Hashes {
				if alg, hex, ok := splitHash(h); ok {
					pkg.Hashes = append(pkg.Hashes, alg+":"+hex)
				}
			}
			for _, s := range l.sources {
				if e.Index != "" && s.name == e.Index {
					pkg.Index = l.expand(s.url)
				}
			}
			sel.Packages = append(sel.Packages, pkg)
		}
	}
	return es.selection(sel)
}

// Indexes are the lock's sources, ${VAR} expanded.
func (l *PipfileLock) Indexes() []string {
	var urls []string
	for _, s := range l.sources {
		urls = append(urls, l.expand(s.url))
	}
	return httpIndexes(urls)
}

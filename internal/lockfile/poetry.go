package lockfile

import (
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/tomlpos"
)

// PoetryLock is a parsed poetry.lock of lock-version 2.1 or later, in which Poetry records for every
// package the groups it belongs to and the markers under which each group installs it.
type PoetryLock struct {
	file     string
	python   string
	pyLine   int
	packages []poetryPackage
}

type poetryPackage struct {
	name, version string
	line          int
	groups        []string
	markers       map[string]string // by group; "*" for every group
	python        string            // python-versions
	sourceType    string
	sourceURL     string
	files         []Wheel // every file listed, wheels and sdists
}

var _ Lock = (*PoetryLock)(nil)

// ParsePoetry reads a poetry.lock.
func ParsePoetry(file string, data []byte) (*PoetryLock, error) {
	root, err := tomlpos.Parse(data)
	if err != nil {
		return nil, tomlErr(file, err)
	}
	var es errs
	md := root.Get("metadata")
	lv := md.Get("lock-version")
	if lv == nil {
		es.add(file, 1, "", "", "no [metadata] lock-version: not a poetry.lock")
		return nil, es.err()
	}
	if !lockVersionAtLeast(lv.Text, 2, 1) {
		es.add(file, lv.Line, "", "run `poetry lock` with Poetry 2 or later: lock-version 2.1 records each package's groups and markers, which lets the lock be installed without resolving",
			"poetry.lock lock-version %s is not supported (2.1 or later is)", lv.Text)
		return nil, es.err()
	}
	l := &PoetryLock{file: file}
	if v := md.Get("python-versions"); v != nil {
		l.python, l.pyLine = v.Text, v.Line
	}
	for _, p := range root.Get("package").List() {
		pp := poetryPackage{name: pep508.NormalizeName(p.Str("name")), version: p.Str("version"), line: p.Line, python: p.Str("python-versions")}
		if pp.name == "" {
			es.add(file, p.Line, "", "", "package without a name")
			continue
		}
		pp.groups = normalizeAll(strs(p.Get("groups")))
		if len(pp.groups) == 0 {
			pp.groups = []string{"main"}
		}
		pp.markers = map[string]string{}
		switch m := p.Get("markers"); {
		case m == nil:
		case m.Kind == tomlpos.String:
			pp.markers["*"] = m.Text
		case m.Kind == tomlpos.Table:
			for _, k := range m.Keys {
				pp.markers[pep508.NormalizeName(k)] = m.Fields[k].Text
			}
		}
		if src := p.Get("source"); src != nil {
			pp.sourceType, pp.sourceURL = src.Str("type"), src.Str("url")
		}
		for _, f := range p.Get("files").List() {
			w := Wheel{Filename: f.Str("file"), Line: f.Line, Hashes: map[string]string{}}
			if alg, hex, ok := splitHash(f.Str("hash")); ok {
				w.Hashes[alg] = hex
			}
			pp.files = append(pp.files, w)
		}
		l.packages = append(l.packages, pp)
	}
	if err := es.err(); err != nil {
		return nil, err
	}
	return l, nil
}

// lockVersionAtLeast compares "2.1" with major.minor.
func lockVersionAtLeast(v string, major, minor int) bool {
	a, b, _ := strings.Cut(v, ".")
	ma, mi := atoi(a), atoi(b)
	return ma > major || ma == major && mi >= minor
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Select keeps the packages of the main group and of the named groups whose markers hold for t.
func (l *PoetryLock) Select(t target.Target, opts Options) (*Selection, error) {
	var es errs
	if l.python != "" {
		if spec, err := poetryConstraint(l.python); err == nil {
			if ok, err := requiresPython(spec, t); err == nil && !ok {
				es.add(l.file, l.pyLine, "", pythonHint(spec, t), "the project's python %q excludes %s", l.python, t.Name)
				return nil, es.err()
			}
		}
	}
	want := append([]string{"main"}, normalizeAll(opts.Groups)...)
	extras := normalizeAll(opts.Extras)
	sel := &Selection{File: l.file, Format: Poetry}
	seenIndex := map[string]bool{}
	for _, p := range l.packages {
		in := false
		for _, g := range p.groups {
			if !contains(want, g) {
				continue
			}
			m, ok := p.markers[g]
			if !ok {
				m = p.markers["*"]
			}
			holds, err := evalMarker(m, t, extras, nil)
			if err != nil {
				es.add(l.file, p.line, p.name, "", "marker %q: %v", m, err)
				break
			}
			if holds {
				in = true
				break
			}
		}
		if !in {
			continue
		}
		label := p.name + " " + p.version
		switch p.sourceType {
		case "", "legacy", "pypi":
		default:
			es.add(l.file, p.line, label, "publish it as a wheel to an index; a layer is built from wheels only", "%s source %q cannot be installed without building it", p.sourceType, p.sourceURL)
			continue
		}
		pkg := Package{Name: p.name, Version: p.version, File: l.file, Line: p.line}
		if p.sourceType == "legacy" {
			pkg.Index = p.sourceURL
			if !seenIndex[p.sourceURL] {
				seenIndex[p.sourceURL] = true
				sel.Indexes = append(sel.Indexes, p.sourceURL)
			}
		}
		var wheels []Wheel
		for _, f := range p.files {
			for alg, h := range f.Hashes {
				pkg.Hashes = append(pkg.Hashes, alg+":"+h)
			}
			if isWheel(f.Filename) {
				wheels = append(wheels, f)
			}
		}
		pkg.Wheels = chooseWheels(wheels, t)
		if len(pkg.Wheels) == 0 {
			if len(wheels) == 0 {
				es.add(l.file, p.line, label, "a layer is built from wheels only: pin a version that publishes wheels for Linux", "has only a source distribution (sdist)")
			} else {
				es.add(l.file, p.line, label, noWheelHint(wheelNames(wheels), t), "none of its %d wheels loads on %s", len(wheels), t)
			}
			continue
		}
		sel.Packages = append(sel.Packages, pkg)
	}
	if err := es.err(); err != nil {
		return nil, err
	}
	sortPackages(sel.Packages)
	return sel, nil
}

// Indexes are the lock's legacy (PEP 503) sources.
func (l *PoetryLock) Indexes() []string {
	var urls []string
	for _, p := range l.packages {
		if p.sourceType == "legacy" {
			urls = append(urls, p.sourceURL)
		}
	}
	return httpIndexes(urls)
}

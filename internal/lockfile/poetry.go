package lockfile

import (
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/tomlpos"
)

// PoetryLock is a parsed poetry.lock. From lock-version 2.1 (Poetry 2) it records for every package
// the groups it belongs to and the markers under which each group installs it; older locks are walked
// from the project's own requirements (SetRoots) along the lock's dependency edges.
type PoetryLock struct {
	file     string
	version  string
	vLine    int
	python   string
	pyLine   int
	packages []poetryPackage
	roots    []Root
	rootsSet bool
}

// Root is one of the project's own requirements, the start of a walk through an older poetry.lock.
type Root struct {
	Requirement pep508.Requirement
	Origin      string // "pyproject.toml:12"
}

// Legacy reports whether the lock predates lock-version 2.1 and so needs the project's requirements
// (SetRoots) to be installed.
func (l *PoetryLock) Legacy() bool { return !lockVersionAtLeast(l.version, 2, 1) }

// SetRoots gives an older lock the project's requirements, as read from its pyproject.toml with the
// extras and groups to install.
func (l *PoetryLock) SetRoots(roots []Root) { l.roots, l.rootsSet = roots, true }

type poetryPackage struct {
	name, version string
	line          int
	groups        []string
	markers       map[string]string // by group; "*" for every group
	python        string            // python-versions
	sourceType    string
	sourceURL     string
	files         []Wheel // every file listed, wheels and sdists
	deps          []poetryDep
	extras        map[string][]string // [package.extras]: extra → package names
}

// poetryDep is one edge of an older lock's graph.
type poetryDep struct {
	name, markers, python string
	optional              bool
	extras                []string
	line                  int
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
	if !lockVersionAtLeast(lv.Text, 1, 1) || !lockVersionAtLeast("3.0", atoi(strings.Split(lv.Text, ".")[0]), 0) {
		es.add(file, lv.Line, "", "lock again with Poetry 1.1 or later (lock-version 1.1 to 2.x)", "poetry.lock lock-version %s is not supported", lv.Text)
		return nil, es.err()
	}
	l := &PoetryLock{file: file, version: lv.Text, vLine: lv.Line}
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
		pp.deps = poetryDeps(p.Get("dependencies"))
		if ex := p.Get("extras"); ex != nil {
			pp.extras = map[string][]string{}
			for _, k := range ex.TableKeys() {
				for _, v := range ex.Fields[k].List() {
					pp.extras[pep508.NormalizeName(k)] = append(pp.extras[pep508.NormalizeName(k)], extraPackage(v.Text))
				}
			}
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
	if l.Legacy() { // lock-version 1.x kept the files under [metadata.files]
		for i := range l.packages {
			if len(l.packages[i].files) > 0 {
				continue
			}
			for _, k := range md.Get("files").TableKeys() {
				if pep508.NormalizeName(k) != l.packages[i].name {
					continue
				}
				for _, f := range md.Get("files").Fields[k].List() {
					w := Wheel{Filename: f.Str("file"), Line: f.Line, Hashes: map[string]string{}}
					if alg, hex, ok := splitHash(f.Str("hash")); ok {
						w.Hashes[alg] = hex
					}
					l.packages[i].files = append(l.packages[i].files, w)
				}
			}
		}
	}
	return l, nil
}

// poetryDeps reads [package.dependencies]: name = "constraint", a table, or a list of tables each
// with its markers.
func poetryDeps(v *tomlpos.Value) []poetryDep {
	var out []poetryDep
	for _, k := range v.TableKeys() {
		val := v.Fields[k]
		items := []*tomlpos.Value{val}
		if val.Kind == tomlpos.Array {
			items = val.Items
		}
		for _, it := range items {
			d := poetryDep{name: pep508.NormalizeName(k), line: it.Line}
			if it.Kind == tomlpos.Table {
				d.markers, d.python = it.Str("markers"), it.Str("python")
				d.optional = it.Get("optional") != nil && it.Get("optional").Bool
				for _, e := range it.Get("extras").List() {
					d.extras = append(d.extras, pep508.NormalizeName(e.Text))
				}
			}
			out = append(out, d)
		}
	}
	return out
}

// extraPackage is the package an entry of [package.extras] names: "PySocks (>=1.5.6,!=1.5.7)",
// "pysocks[x] >=1; python_version < '3.9'".
func extraPackage(s string) string {
	end := strings.IndexAny(s, " ([;<>=!~")
	if end < 0 {
		end = len(s)
	}
	return pep508.NormalizeName(strings.TrimSpace(s[:end]))
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
	var via map[string][]string
	if l.Legacy() {
		if !l.rootsSet {
			es.add(l.file, l.vLine, "", "keep the project's pyproject.toml next to poetry.lock, or run `poetry lock` with Poetry 2 (lock-version 2.1 records groups and markers)",
				"lock-version %s records no groups or markers, so the project's pyproject.toml is needed to install it", l.version)
			return nil, es.err()
		}
		via = l.walk(t, &es)
	}
	for _, p := range l.packages {
		in := false
		if via != nil {
			_, in = via[p.name]
		} else {
			in = l.inGroups(p, t, want, extras, &es)
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
		pkg := Package{Name: p.name, Version: p.version, File: l.file, Line: p.line, Via: via[p.name]}
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
			es.noWheels(l.file, p.line, label, wheels, t)
			continue
		}
		sel.Packages = append(sel.Packages, pkg)
	}
	return es.selection(sel)
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

// inGroups reports whether a package of a lock-version 2.1 lock is installed: in a wanted group whose
// markers hold for t.
func (l *PoetryLock) inGroups(p poetryPackage, t target.Target, want, extras []string, es *errs) bool {
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
			return false
		}
		if holds {
			return true
		}
	}
	return false
}

// walk follows an older lock's graph from the roots along the edges whose markers (and python
// constraints) hold for t, with the extras each edge asks for. It returns every package reached and
// the chain that reached it first.
func (l *PoetryLock) walk(t target.Target, es *errs) map[string][]string {
	byName := map[string]*poetryPackage{}
	for i := range l.packages {
		byName[l.packages[i].name] = &l.packages[i]
	}
	via := map[string][]string{}
	type item struct {
		p      *poetryPackage
		extras []string
	}
	var queue []item
	seen := map[string]bool{}
	visit := func(name string, extras []string, chain []string, line int, from string) {
		p := byName[name]
		if p == nil {
			es.add(l.file, line, name, "run `poetry lock` again", "required by %s but not in the lock", from)
			return
		}
		if _, ok := via[name]; !ok {
			via[name] = chain
		}
		for _, x := range append([]string{""}, extras...) {
			if !seen[name+"["+x+"]"] {
				seen[name+"["+x+"]"] = true
				queue = append(queue, item{p, []string{x}})
			}
		}
	}
	for _, r := range l.roots {
		ok, err := r.Requirement.Marker.EvaluateExtras(env(t), nil)
		if err != nil || !ok {
			continue
		}
		visit(r.Requirement.Key(), normalizeAll(r.Requirement.Extras), []string{r.Origin}, l.vLine, r.Origin)
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		p, x := it.p, it.extras[0]
		chain := append(append([]string(nil), via[p.name]...), p.name+" "+p.version)
		for _, d := range p.deps {
			if x == "" && d.optional {
				continue
			}
			if x != "" && (!d.optional || !contains(p.extras[x], d.name)) {
				continue
			}
			m := d.markers
			if d.python != "" {
				if spec, err := PoetryConstraint(d.python); err == nil && spec != "" {
					m = joinMarkers(m, pythonMarker(spec))
				}
			}
			var active []string
			if x != "" {
				active = []string{x}
			}
			ok, err := evalMarker(m, t, active, nil)
			if err != nil {
				es.add(l.file, d.line, d.name, "", "marker %q: %v", m, err)
				continue
			}
			if ok {
				visit(d.name, d.extras, chain, d.line, p.name+" "+p.version)
			}
		}
	}
	return via
}

func joinMarkers(a, b string) string {
	switch {
	case strings.TrimSpace(a) == "":
		return b
	case strings.TrimSpace(b) == "":
		return a
	}
	return "(" + a + ") and (" + b + ")"
}

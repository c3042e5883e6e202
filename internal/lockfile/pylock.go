package lockfile

import (
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/tomlpos"
)

// PylockFile is a parsed PEP 751 pylock.toml.
type PylockFile struct {
	file           string
	environments   []string
	envLine        int
	requiresPython string
	rpLine         int
	extras         []string
	groups         []string
	defaultGroups  []string
	CreatedBy      string
	packages       []pylockPackage
}

type pylockPackage struct {
	name, version, marker, requiresPython, index string
	line                                         int
	other                                        string // vcs, directory, archive: what cannot be installed
	sdist                                        bool
	wheels                                       []Wheel
}

var _ Lock = (*PylockFile)(nil)

// ParsePylock reads a pylock.toml.
func ParsePylock(file string, data []byte) (*PylockFile, error) {
	root, err := tomlpos.Parse(data)
	if err != nil {
		return nil, tomlErr(file, err)
	}
	var es errs
	lv := root.Get("lock-version")
	if lv == nil || lv.Kind != tomlpos.String {
		es.add(file, 1, "", "", "no lock-version: not a PEP 751 lock file")
		return nil, es.err()
	}
	if major, _, _ := strings.Cut(lv.Text, "."); major != "1" {
		es.add(file, lv.Line, "", "", "lock-version %q is not supported (1.x is)", lv.Text)
		return nil, es.err()
	}
	l := &PylockFile{file: file, CreatedBy: root.Str("created-by")}
	if v := root.Get("environments"); v != nil {
		l.environments, l.envLine = strs(v), v.Line
	}
	if v := root.Get("requires-python"); v != nil {
		l.requiresPython, l.rpLine = v.Text, v.Line
	}
	l.extras = normalizeAll(strs(root.Get("extras")))
	l.groups = normalizeAll(strs(root.Get("dependency-groups")))
	l.defaultGroups = normalizeAll(strs(root.Get("default-groups")))
	for _, p := range root.Get("packages").List() {
		pp := pylockPackage{
			name: pep508.NormalizeName(p.Str("name")), version: p.Str("version"), marker: p.Str("marker"),
			requiresPython: p.Str("requires-python"), index: p.Str("index"), line: p.Line,
		}
		if pp.name == "" {
			es.add(file, p.Line, "", "", "package without a name")
			continue
		}
		for _, k := range []string{"vcs", "directory", "archive"} {
			if v := p.Get(k); v != nil {
				pp.other = k + " " + firstNonEmpty(v.Str("url"), v.Str("path"))
			}
		}
		pp.sdist = p.Get("sdist") != nil
		for _, w := range p.Get("wheels").List() {
			wh := Wheel{Filename: w.Str("name"), URL: w.Str("url"), Path: w.Str("path"), Size: intOf(w.Get("size")), Line: w.Line, Hashes: map[string]string{}}
			if wh.Filename == "" {
				wh.Filename = filenameOf(firstNonEmpty(wh.URL, w.Str("path")))
			}
			if hs := w.Get("hashes"); hs != nil {
				for _, k := range hs.Keys {
					wh.Hashes[strings.ToLower(k)] = strings.ToLower(hs.Fields[k].Text)
				}
			}
			pp.wheels = append(pp.wheels, wh)
		}
		l.packages = append(l.packages, pp)
	}
	if err := es.err(); err != nil {
		return nil, err
	}
	return l, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Select keeps the packages whose marker holds for t with the chosen extras and groups (PEP 751's
// `extras` and `dependency_groups` marker sets; default-groups when none is named).
func (l *PylockFile) Select(t target.Target, opts Options) (*Selection, error) {
	var es errs
	if err := lockPython(l.file, l.rpLine, l.requiresPython, t); err != nil {
		return nil, err
	}
	if len(l.environments) > 0 {
		if !anyMarkerHolds(l.environments, t) {
			es.add(l.file, l.envLine, "", "lock again for the Lambda target", "the lock is for environments %s, which %s is not", strings.Join(l.environments, " or "), t)
			return nil, es.err()
		}
	}
	extras := normalizeAll(opts.Extras)
	groups := normalizeAll(opts.Groups)
	for _, x := range extras {
		if !contains(l.extras, x) {
			hint := knownNames("extras", l.extras)
			if len(l.extras) == 0 {
				hint = "the lock lists no extras: it installs what it was locked with, so build it without --extra"
			}
			es.add(l.file, 1, "", hint, "no extra %q in the lock", x)
		}
	}
	for _, g := range groups {
		if !contains(l.groups, g) {
			hint := knownNames("dependency groups", l.groups)
			if len(l.groups) == 0 {
				hint = "the lock lists no dependency groups: it installs what it was locked with, so build it without --group"
			}
			es.add(l.file, 1, "", hint, "no dependency group %q in the lock", g)
		}
	}
	if len(groups) == 0 {
		groups = l.defaultGroups
	}
	sel := &Selection{File: l.file, Format: Pylock}
	chosen := map[string]int{}
	e := env(t)
	for _, p := range l.packages {
		ok := true
		if strings.TrimSpace(p.marker) != "" {
			mk, err := pep508.ParseMarker(p.marker)
			if err == nil {
				ok, err = mk.EvaluateWith(e, pep508.EvalOptions{Context: pep508.ContextLockFile, Sets: map[string][]string{"extras": extras, "dependency_groups": groups}})
			}
			if err != nil {
				es.add(l.file, p.line, p.name, "", "marker %q: %v", p.marker, err)
				continue
			}
		}
		if !ok {
			continue
		}
		label := strings.TrimSpace(p.name + " " + p.version)
		if prev, dup := chosen[p.name]; dup {
			es.add(l.file, p.line, label, "", "a second entry for the package applies to %s (the first is at line %d)", t, prev)
			continue
		}
		chosen[p.name] = p.line
		if ok, err := requiresPython(p.requiresPython, t); err == nil && !ok {
			es.add(l.file, p.line, label, pythonHint(p.requiresPython, t), "requires-python %q excludes %s", p.requiresPython, t.Name)
			continue
		}
		if p.other != "" {
			es.add(l.file, p.line, label, "publish it as a wheel to an index; a layer is built from wheels only", "%s cannot be installed without building it", p.other)
			continue
		}
		pkg := Package{Name: p.name, Version: p.version, File: l.file, Line: p.line, Index: p.index}
		for _, w := range p.wheels {
			for alg, h := range w.Hashes {
				pkg.Hashes = append(pkg.Hashes, alg+":"+h)
			}
		}
		pkg.Wheels = chooseWheels(p.wheels, t)
		if len(pkg.Wheels) == 0 {
			es.noWheels(l.file, p.line, label, p.wheels, t)
			continue
		}
		sel.Packages = append(sel.Packages, pkg)
	}
	return es.selection(sel)
}

// Indexes are the indexes the lock's packages name.
func (l *PylockFile) Indexes() []string {
	var urls []string
	for _, p := range l.packages {
		urls = append(urls, p.index)
	}
	return httpIndexes(urls)
}

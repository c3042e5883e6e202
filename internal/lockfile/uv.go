package lockfile

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/tomlpos"
)

// UVLock is a parsed uv.lock.
type UVLock struct {
	file           string
	requiresPython string
	rpLine         int
	supported      []string // supported-markers: the environments the lock is for
	supLine        int
	conflicts      []uvConflict // tool.uv.conflicts, as the lock records them
	packages       []*uvPackage
	byName         map[string][]*uvPackage
}

type uvPackage struct {
	name, version string
	line          int
	source        string // registry, virtual, editable, git, path, directory, url
	sourceValue   string
	resMarkers    []string
	deps          []uvDep
	optional      map[string][]uvDep
	groups        map[string][]uvDep
	wheels        []Wheel
	sdist         bool
}

// uvConflict is one set of extras and groups that must not be selected together.
type uvConflict struct {
	line  int
	items []string // encoded as in markers: "extra-7-project-cpu"
}

type uvDep struct {
	name, version, marker string
	extras                []string
	line                  int
}

var _ Lock = (*UVLock)(nil)

// ParseUV reads a uv.lock.
func ParseUV(file string, data []byte) (*UVLock, error) {
	root, err := tomlpos.Parse(data)
	if err != nil {
		return nil, tomlErr(file, err)
	}
	var es errs
	if v := root.Get("version"); v == nil || v.Kind != tomlpos.Integer {
		es.add(file, 1, "", "", "no `version = 1`: not a uv.lock")
	} else if v.Int != 1 {
		es.add(file, v.Line, "", "upgrade lambda-layers, or lock with a uv that writes version 1", "uv.lock version %d is not supported (1 is)", v.Int)
	}
	l := &UVLock{file: file, byName: map[string][]*uvPackage{}}
	if v := root.Get("requires-python"); v != nil {
		l.requiresPython, l.rpLine = v.Text, v.Line
	}
	if v := root.Get("supported-markers"); v != nil {
		l.supLine = v.Line
		l.supported = strs(v)
	}
	if cs := root.Get("conflicts"); cs != nil {
		for _, set := range cs.List() {
			c := uvConflict{line: set.Line}
			for i, it := range set.List() {
				if i == 0 {
					c.line = it.Line // the set's own line may be the array's first
				}
				pkg := pep508.NormalizeName(it.Str("package"))
				switch {
				case it.Str("extra") != "":
					c.items = append(c.items, conflictItem("extra", pkg, pep508.NormalizeName(it.Str("extra"))))
				case it.Str("group") != "":
					c.items = append(c.items, conflictItem("group", pkg, pep508.NormalizeName(it.Str("group"))))
				}
			}
			l.conflicts = append(l.conflicts, c)
		}
	}
	pk := root.Get("package")
	if pk == nil || pk.Kind != tomlpos.Array {
		es.add(file, 1, "", "", "no [[package]] entries")
		return nil, es.err()
	}
	for _, p := range pk.Items {
		up := &uvPackage{name: pep508.NormalizeName(p.Str("name")), version: p.Str("version"), line: p.Line}
		if up.name == "" {
			es.add(file, p.Line, "", "", "package without a name")
			continue
		}
		if src := p.Get("source"); src != nil {
			for _, k := range src.Keys {
				up.source, up.sourceValue = k, src.Fields[k].Text
				break
			}
		}
		up.resMarkers = strs(p.Get("resolution-markers"))
		up.deps = uvDeps(p.Get("dependencies"))
		up.optional = uvDepMap(p.Get("optional-dependencies"))
		up.groups = uvDepMap(p.Get("dev-dependencies"))
		up.sdist = p.Get("sdist") != nil
		if ws := p.Get("wheels"); ws != nil {
			for _, w := range ws.List() {
				wh := Wheel{Line: w.Line, Size: intOf(w.Get("size")), Hashes: map[string]string{}}
				if u := w.Str("url"); u != "" {
					wh.URL, wh.Filename = u, filenameOf(u)
				} else if pth := w.Str("path"); pth != "" {
					wh.Filename = filenameOf(pth)
				} else {
					wh.Filename = w.Str("filename")
				}
				if alg, hex, ok := splitHash(w.Str("hash")); ok {
					wh.Hashes[alg] = hex
				}
				up.wheels = append(up.wheels, wh)
			}
		}
		l.packages = append(l.packages, up)
		l.byName[up.name] = append(l.byName[up.name], up)
	}
	if err := es.err(); err != nil {
		return nil, err
	}
	return l, nil
}

func tomlErr(file string, err error) error {
	if te, ok := err.(*tomlpos.Error); ok {
		return &Error{File: file, Line: te.Line, Msg: "not valid TOML: " + te.Msg}
	}
	return fmt.Errorf("reading %s: %w", file, err)
}

func strs(v *tomlpos.Value) []string {
	if v == nil {
		return nil
	}
	var out []string
	for _, it := range v.List() {
		if it.Kind == tomlpos.String {
			out = append(out, it.Text)
		}
	}
	return out
}

func intOf(v *tomlpos.Value) int64 {
	if v == nil || v.Kind != tomlpos.Integer {
		return 0
	}
	return v.Int
}

func uvDeps(v *tomlpos.Value) []uvDep {
	if v == nil {
		return nil
	}
	var out []uvDep
	for _, d := range v.List() {
		out = append(out, uvDep{
			name:    pep508.NormalizeName(d.Str("name")),
			version: d.Str("version"),
			marker:  d.Str("marker"),
			extras:  normalizeAll(strs(d.Get("extra"))),
			line:    d.Line,
		})
	}
	return out
}

func uvDepMap(v *tomlpos.Value) map[string][]uvDep {
	if v == nil || v.Kind != tomlpos.Table {
		return nil
	}
	m := map[string][]uvDep{}
	for _, k := range v.Keys {
		m[pep508.NormalizeName(k)] = uvDeps(v.Fields[k])
	}
	return m
}

func (p *uvPackage) isRoot() bool {
	return (p.source == "virtual" || p.source == "editable") && (p.sourceValue == "." || p.sourceValue == "")
}

func (p *uvPackage) label() string { return p.name + " " + p.version }

// Select walks the lock from the project through the edges whose markers hold for t.
func (l *UVLock) Select(t target.Target, opts Options) (*Selection, error) {
	var es errs
	if err := lockPython(l.file, l.rpLine, l.requiresPython, t); err != nil {
		return nil, err
	}
	if len(l.supported) > 0 {
		if !anyMarkerHolds(l.supported, t) {
			es.add(l.file, l.supLine, "", "add the Lambda platform to `tool.uv.environments` (e.g. \"sys_platform == 'linux'\") and run `uv lock`",
				"the lock was made only for %s, which %s is not", strings.Join(l.supported, " or "), t)
			return nil, es.err()
		}
	}
	var roots []*uvPackage
	for _, p := range l.packages {
		if p.isRoot() {
			roots = append(roots, p)
		}
	}
	if len(roots) == 0 {
		es.add(l.file, 1, "", "", "no project package (source = { virtual = \".\" } or { editable = \".\" })")
		return nil, es.err()
	}
	extras, groups := normalizeAll(opts.Extras), normalizeAll(opts.Groups)
	active := conflictItems(roots, extras, groups)
	for _, c := range l.conflicts {
		var chosen []string
		for _, it := range c.items {
			if slices.Contains(active, it) {
				chosen = append(chosen, describeItem(it))
			}
		}
		if len(chosen) > 1 {
			es.add(l.file, c.line, "", "build one layer per side of the conflict (a layer per extra in the config), or drop one of the options",
				"%s cannot be selected together: the lock declares them conflicting (tool.uv.conflicts), as uv would refuse", strings.Join(chosen, " and "))
			return nil, es.err()
		}
	}
	type item struct {
		p     *uvPackage
		extra string // "" for the base dependencies
		via   []string
	}
	seen := map[string]bool{}
	via := map[*uvPackage][]string{}
	var order []*uvPackage
	var queue []item
	enqueue := func(p *uvPackage, extra string, chain []string) {
		k := p.name + "\x00" + p.version + "\x00" + p.sourceValue + "\x00" + extra
		if seen[k] {
			return
		}
		seen[k] = true
		if _, ok := via[p]; !ok {
			via[p] = chain
			order = append(order, p)
		}
		queue = append(queue, item{p, extra, chain})
	}
	follow := func(from *uvPackage, chain []string, deps []uvDep) {
		next := append(append([]string(nil), chain...), from.label())
		if from.isRoot() {
			next = append(append([]string(nil), chain...), from.name)
		}
		for _, d := range deps {
			ok, err := evalUVMarker(d.marker, t, active, groups)
			if err != nil {
				es.add(l.file, d.line, d.name, "", "marker %q: %v", d.marker, err)
				continue
			}
			if !ok {
				continue
			}
			p := l.pick(d, t, active)
			if p == nil {
				es.add(l.file, d.line, d.name, "", "dependency of %s not found in the lock", from.name)
				continue
			}
			enqueue(p, "", next)
			for _, x := range d.extras {
				enqueue(p, x, next)
			}
		}
	}
	for _, r := range roots {
		follow(r, nil, r.deps)
		for _, x := range extras {
			deps, ok := r.optional[x]
			if !ok {
				es.add(l.file, r.line, r.name, knownNames("extras", keys(r.optional)), "no extra %q", x)
			}
			follow(r, nil, deps)
		}
		for _, g := range groups {
			deps, ok := r.groups[g]
			if !ok {
				continue // a group of another workspace member, or of none: checked below
			}
			follow(r, nil, deps)
		}
	}
	for _, g := range groups {
		found := false
		for _, r := range roots {
			_, ok := r.groups[g]
			found = found || ok
		}
		if !found {
			var known []string
			for _, r := range roots {
				known = append(known, keys(r.groups)...)
			}
			es.add(l.file, roots[0].line, roots[0].name, knownNames("dependency groups", known), "no dependency group %q in the lock", g)
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if it.p.isRoot() {
			continue
		}
		if it.extra == "" {
			follow(it.p, it.via, it.p.deps)
		} else if deps, ok := it.p.optional[it.extra]; ok {
			follow(it.p, it.via, deps)
		}
	}
	sel := &Selection{File: l.file, Format: UV}
	for _, p := range order {
		if p.isRoot() {
			continue
		}
		pkg := Package{Name: p.name, Version: p.version, File: l.file, Line: p.line, Via: via[p]}
		if p.source == "registry" {
			pkg.Index = p.sourceValue
		}
		switch p.source {
		case "git", "path", "directory", "editable", "virtual":
			es.add(l.file, p.line, p.label(), "publish it as a wheel to an index (or build one and lock it by URL); a layer is built from wheels only",
				"%s source %q cannot be installed without building it", p.source, p.sourceValue)
			continue
		}
		for _, w := range p.wheels {
			for alg, h := range w.Hashes {
				pkg.Hashes = append(pkg.Hashes, alg+":"+h)
			}
		}
		pkg.Wheels = chooseWheels(p.wheels, t)
		if len(pkg.Wheels) == 0 {
			if len(p.wheels) == 0 {
				msg := "has no wheels"
				if p.sdist {
					msg = "has only a source distribution (sdist)"
				}
				es.add(l.file, p.line, p.label(), "a layer is built from wheels only: pin a version that publishes wheels for Linux, or build the wheel and serve it from an index", "%s", msg)
			} else {
				es.add(l.file, p.line, p.label(), noWheelHint(wheelNames(p.wheels), t), "none of its %d wheels loads on %s", len(p.wheels), t)
			}
			continue
		}
		sel.Packages = append(sel.Packages, pkg)
	}
	return es.selection(sel)
}

// pick finds the package a dependency names: by version and, for a package locked more than once
// (a forked resolution), by the resolution markers that hold for t.
func (l *UVLock) pick(d uvDep, t target.Target, active []string) *uvPackage {
	cands := l.byName[d.name]
	if d.version != "" {
		var f []*uvPackage
		for _, c := range cands {
			if c.version == d.version {
				f = append(f, c)
			}
		}
		cands = f
	}
	if len(cands) <= 1 {
		if len(cands) == 1 {
			return cands[0]
		}
		return nil
	}
	for _, c := range cands {
		for _, m := range c.resMarkers {
			if ok, err := evalUVMarker(m, t, active, nil); err == nil && ok {
				return c
			}
		}
	}
	return cands[0]
}

func wheelNames(ws []Wheel) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Filename
	}
	return out
}

// knownNames is the hint for a name the lock does not have: the ones it has, or that it has none.
func knownNames(what string, names []string) string {
	if len(names) == 0 {
		return "the lock has no " + what
	}
	return what + " the lock knows: " + strings.Join(names, ", ")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Indexes are the registries the lock's packages come from.
func (l *UVLock) Indexes() []string {
	var urls []string
	for _, p := range l.packages {
		if p.source == "registry" {
			urls = append(urls, p.sourceValue)
		}
	}
	return httpIndexes(urls)
}

// conflictItems are the extras and dependency groups selected on the lock's projects as uv encodes them
// in the markers of a lock with conflicts (tool.uv.conflicts): "extra-<length of the project's
// name>-<project>-<extra>", and "group-…" for groups. A dependency that only one side of a conflict uses,
// or that differs between the sides (forks), carries such a marker.
func conflictItems(roots []*uvPackage, extras, groups []string) []string {
	var out []string
	for _, r := range roots {
		for _, x := range extras {
			out = append(out, conflictItem("extra", r.name, x))
		}
		for _, g := range groups {
			out = append(out, conflictItem("group", r.name, g))
		}
	}
	return out
}

// conflictItem encodes a project's extra or group ("extra" or "group") as uv's markers name it; the
// length keeps the project's name apart from the item's, since both may hold "-" (describeItem reads it).
func conflictItem(kind, project, name string) string {
	return fmt.Sprintf("%s-%d-%s-%s", kind, len(project), project, name)
}

// evalUVMarker evaluates a uv.lock marker for t: "extra" is the set of active conflict items (and
// nothing else: uv.lock's edges carry no plain extras), dependency_groups the selected groups.
func evalUVMarker(m string, t target.Target, active, groups []string) (bool, error) {
	if strings.TrimSpace(m) == "" {
		return true, nil
	}
	mk, err := pep508.ParseMarker(m)
	if err != nil {
		return false, err
	}
	return mk.EvaluateWith(env(t), pep508.EvalOptions{Context: pep508.ContextMetadata, ExtrasActive: true, Extras: active,
		Sets: map[string][]string{"extras": nil, "dependency_groups": groups}})
}

// describeItem reads an encoded conflict item back for messages: "extra-7-project-cpu" is
// "project[cpu]", "group-7-project-dev" is "group dev of project".
func describeItem(it string) string {
	kind, rest, _ := strings.Cut(it, "-")
	n, rest, _ := strings.Cut(rest, "-")
	size, err := strconv.Atoi(n)
	if err != nil || size < 0 || size >= len(rest) {
		return it
	}
	pkg, name := rest[:size], rest[size+1:]
	if kind == "group" {
		return fmt.Sprintf("group %s of %s", name, pkg)
	}
	return fmt.Sprintf("%s[%s]", pkg, name)
}

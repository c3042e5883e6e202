// Package pyproject reads the dependencies a pyproject.toml declares — PEP 621 [project] dependencies
// and optional-dependencies, PEP 735 [dependency-groups] with include-group, and Poetry's
// [tool.poetry] tables, whose caret and tilde constraints it translates when there is no [project]
// table — into requirements that keep their file:line, to be resolved like a requirements file. It
// does not resolve, build or install the project itself.
package pyproject

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/tomlpos"
)

// Options choose what to read beyond the main dependencies.
type Options struct {
	Extras []string // [project.optional-dependencies] (or [tool.poetry.extras]) to add
	Groups []string // PEP 735 dependency groups (or Poetry groups) to add
}

// IsPyproject reports whether a path names a pyproject.toml.
func IsPyproject(path string) bool {
	return path == "pyproject.toml" || strings.HasSuffix(path, "/pyproject.toml")
}

// declared is the hint for a name the file does not declare: the ones it does, or that it has none.
func declared(what string, names []string) string {
	if len(names) == 0 {
		return "the file declares no " + what
	}
	return what + " declared: " + strings.Join(names, ", ")
}

// Error is a problem in a pyproject.toml (requirements.Error, so reports treat it alike).
type Error = requirements.Error

// Parse reads the requirements a pyproject.toml declares for opts. Every problem is reported
// (errors.Join of *Error), each with its line.
func Parse(file string, data []byte, opts Options) ([]requirements.Requirement, error) {
	root, err := tomlpos.Parse(data)
	if err != nil {
		if te, ok := err.(*tomlpos.Error); ok {
			return nil, &Error{File: file, Line: te.Line, Msg: "not valid TOML: " + te.Msg}
		}
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	r := &reader{file: file, root: root}
	project := root.Get("project")
	poetry := root.Path("tool", "poetry")
	switch {
	case project != nil && (project.Get("dependencies") != nil || !isDynamic(project) || poetry.Get("dependencies") == nil):
		r.pep621(project, opts)
	case poetry.Get("dependencies") != nil:
		r.poetry(poetry, opts)
	default:
		r.fail(1, "", "no [project] table and no [tool.poetry.dependencies]: nothing declares the dependencies")
	}
	r.groups(opts)
	if len(r.errs) > 0 {
		return r.reqs, joinErrs(r.errs)
	}
	return r.reqs, nil
}

// RequiresPython is the Python versions the project says it supports, as a PEP 440 specifier, with
// its line: [project] requires-python, or Poetry's python constraint translated. "" when the file
// says none (or the value cannot be read: Parse reports that).
func RequiresPython(data []byte) (spec string, line int) {
	root, err := tomlpos.Parse(data)
	if err != nil {
		return "", 0
	}
	if v := root.Path("project", "requires-python"); v != nil && v.Kind == tomlpos.String {
		return strings.TrimSpace(v.Text), v.Line
	}
	if v := root.Path("tool", "poetry", "dependencies", "python"); v != nil && v.Kind == tomlpos.String {
		if spec, err := lockfile.PoetryConstraint(v.Text); err == nil {
			return strings.TrimSpace(spec), v.Line
		}
	}
	return "", 0
}

type reader struct {
	file string
	root *tomlpos.Value
	name string // the project's normalized name
	reqs []requirements.Requirement
	errs []error
}

func (r *reader) fail(line int, hint, format string, args ...any) {
	r.errs = append(r.errs, &Error{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func isDynamic(project *tomlpos.Value) bool {
	for _, d := range project.Get("dynamic").List() {
		if d.Text == "dependencies" {
			return true
		}
	}
	return false
}

// add parses one PEP 508 string. A requirement on the project itself with extras (`all =
// ["me[a,b]"]`) is replaced by those extras' requirements.
func (r *reader) add(v *tomlpos.Value, project *tomlpos.Value, seenExtras map[string]bool) {
	if v.Kind != tomlpos.String {
		r.fail(v.Line, "", "a dependency must be a string, not %s", v.Kind)
		return
	}
	q, err := pep508.ParseRequirement(v.Text)
	if err != nil {
		r.fail(v.Line, "", "%q: %v", v.Text, err)
		return
	}
	if r.name != "" && q.Key() == r.name && project != nil {
		for _, x := range q.Extras {
			r.extra(project, x, v.Line, seenExtras)
		}
		return
	}
	r.check(q.Key(), v.Line)
	r.reqs = append(r.reqs, requirements.Requirement{Requirement: q, File: r.file, Line: v.Line, Text: v.Text})
}

// check refuses a dependency that [tool.uv.sources] sends to a place a wheel-only build cannot use.
func (r *reader) check(name string, line int) {
	src := r.root.Path("tool", "uv", "sources")
	if src == nil {
		return
	}
	for _, k := range src.Keys {
		if pep508.NormalizeName(k) != name {
			continue
		}
		for _, kind := range []string{"git", "path", "url", "workspace", "editable"} {
			v := src.Fields[k].Get(kind)
			if v == nil || (kind == "url" && strings.HasSuffix(v.Text, ".whl")) {
				continue
			}
			r.fail(line, fmt.Sprintf("[tool.uv.sources] at line %d sends it to a %s source; publish it as a wheel to an index", src.Fields[k].Line, kind),
				"%s: a %s source cannot be installed without building it", name, kind)
		}
	}
}

func (r *reader) pep621(project *tomlpos.Value, opts Options) {
	r.name = pep508.NormalizeName(project.Str("name"))
	deps := project.Get("dependencies")
	if deps == nil && isDynamic(project) {
		r.fail(project.Line, "list them in [project] dependencies, or use a requirements file or a lock", "the dependencies are dynamic (computed by the build backend), so they cannot be read")
		return
	}
	for _, v := range deps.List() {
		r.add(v, project, nil)
	}
	seen := map[string]bool{}
	for _, x := range opts.Extras {
		r.extra(project, pep508.NormalizeName(x), 0, seen)
	}
}

func (r *reader) extra(project *tomlpos.Value, name string, line int, seen map[string]bool) {
	name = pep508.NormalizeName(name)
	if seen == nil {
		seen = map[string]bool{}
	}
	if seen[name] {
		return
	}
	seen[name] = true
	od := project.Get("optional-dependencies")
	for _, k := range od.TableKeys() {
		if pep508.NormalizeName(k) == name {
			for _, v := range od.Fields[k].List() {
				r.add(v, project, seen)
			}
			return
		}
	}
	if line == 0 {
		line = project.Line
	}
	r.fail(line, declared("extras", od.TableKeys()), "no extra %q in [project.optional-dependencies]", name)
}

// groups adds PEP 735 dependency groups (and uv's legacy dev-dependencies as "dev").
func (r *reader) groups(opts Options) {
	dg := r.root.Get("dependency-groups")
	poetry := r.root.Path("tool", "poetry")
	for _, g := range opts.Groups {
		g = pep508.NormalizeName(g)
		if r.poetryGroup(poetry, g) {
			continue
		}
		if g == "dev" && find(dg, g) == nil {
			if legacy := r.root.Path("tool", "uv", "dev-dependencies"); legacy != nil {
				for _, v := range legacy.List() {
					r.add(v, nil, nil)
				}
				continue
			}
		}
		r.group(dg, g, 0, nil)
	}
}

func (r *reader) group(dg *tomlpos.Value, name string, line int, stack []string) {
	for _, s := range stack {
		if s == name {
			r.fail(line, "", "dependency group %q includes itself (%s)", name, strings.Join(append(stack, name), " → "))
			return
		}
	}
	v := find(dg, name)
	if v == nil {
		if line == 0 && dg != nil {
			line = dg.Line
		}
		r.fail(line, declared("dependency groups", dg.TableKeys()), "no dependency group %q", name)
		return
	}
	for _, it := range v.List() {
		if it.Kind == tomlpos.Table {
			inc := it.Get("include-group")
			if inc == nil || inc.Kind != tomlpos.String {
				r.fail(it.Line, "", "a table in a dependency group must be {include-group = \"NAME\"}")
				continue
			}
			r.group(dg, pep508.NormalizeName(inc.Text), it.Line, append(stack, name))
			continue
		}
		r.add(it, nil, nil)
	}
}

// find looks a key up by its normalized name (PEP 735 group names and extras compare normalized).
func find(t *tomlpos.Value, name string) *tomlpos.Value {
	for _, k := range t.TableKeys() {
		if pep508.NormalizeName(k) == name {
			return t.Fields[k]
		}
	}
	return nil
}

func joinErrs(es []error) error {
	if len(es) == 1 {
		return es[0]
	}
	return errors.Join(es...)
}

// poetry reads [tool.poetry.dependencies], translating Poetry's constraints.
func (r *reader) poetry(poetry *tomlpos.Value, opts Options) {
	r.name = pep508.NormalizeName(poetry.Str("name"))
	optional := map[string]bool{}
	for _, x := range opts.Extras {
		x = pep508.NormalizeName(x)
		found := false
		extras := poetry.Get("extras")
		for _, k := range extras.TableKeys() {
			if pep508.NormalizeName(k) == x {
				found = true
				for _, n := range extras.Fields[k].List() {
					optional[pep508.NormalizeName(n.Text)] = true
				}
			}
		}
		if !found {
			r.fail(poetry.Line, declared("extras", extras.TableKeys()), "no extra %q in [tool.poetry.extras]", x)
		}
	}
	r.poetryDeps(poetry.Get("dependencies"), optional)
}

func (r *reader) poetryGroup(poetry *tomlpos.Value, g string) bool {
	if poetry == nil {
		return false
	}
	for _, k := range poetry.Get("group").TableKeys() {
		if pep508.NormalizeName(k) == g {
			grp := poetry.Get("group").Fields[k]
			for _, inc := range grp.Get("include-groups").List() {
				r.poetryGroup(poetry, pep508.NormalizeName(inc.Text))
			}
			r.poetryDeps(grp.Get("dependencies"), nil)
			return true
		}
	}
	if g == "dev" && poetry.Get("dev-dependencies") != nil {
		r.poetryDeps(poetry.Get("dev-dependencies"), nil)
		return true
	}
	return false
}

func (r *reader) poetryDeps(deps *tomlpos.Value, optional map[string]bool) {
	for _, k := range deps.TableKeys() {
		v := deps.Fields[k]
		name := pep508.NormalizeName(k)
		if name == "python" {
			continue
		}
		if v.Kind == tomlpos.Array {
			r.fail(v.Line, "give one constraint, or move the dependency to [project] dependencies with markers", "%s: multiple-constraint dependencies are not supported", k)
			continue
		}
		var constraint, markers string
		var extras []string
		if v.Kind == tomlpos.String {
			constraint = v.Text
		} else if v.Kind == tomlpos.Table {
			for _, bad := range []string{"git", "path", "url", "develop"} {
				if v.Get(bad) != nil && bad != "develop" {
					r.fail(v.Line, "publish it as a wheel to an index; a layer is built from wheels only", "%s: a %s dependency cannot be installed without building it", k, bad)
				}
			}
			if v.Get("git") != nil || v.Get("path") != nil || v.Get("url") != nil {
				continue
			}
			if v.Get("optional") != nil && v.Get("optional").Bool && !optional[name] {
				continue
			}
			constraint = v.Str("version")
			markers = v.Str("markers")
			for _, e := range v.Get("extras").List() {
				extras = append(extras, e.Text)
			}
			var ms []string
			if markers != "" {
				ms = append(ms, "("+markers+")")
			}
			if py := v.Str("python"); py != "" {
				spec, err := lockfile.PoetryConstraint(py)
				if err != nil {
					r.fail(v.Line, "", "%s: python %v", k, err)
					continue
				}
				if m := pythonMarker(spec); m != "" {
					ms = append(ms, m)
				}
			}
			if pl := v.Str("platform"); pl != "" {
				ms = append(ms, fmt.Sprintf("sys_platform == %q", pl))
			}
			markers = strings.Join(ms, " and ")
		} else {
			r.fail(v.Line, "", "%s: a dependency is a constraint string or a table, not %s", k, v.Kind)
			continue
		}
		spec, err := lockfile.PoetryConstraint(constraint)
		if err != nil {
			r.fail(v.Line, "", "%s: %v", k, err)
			continue
		}
		text := k
		if len(extras) > 0 {
			sort.Strings(extras)
			text += "[" + strings.Join(extras, ",") + "]"
		}
		text += spec
		if markers != "" {
			text += "; " + markers
		}
		q, err := pep508.ParseRequirement(text)
		if err != nil {
			r.fail(v.Line, "", "%s: translated to %q: %v", k, text, err)
			continue
		}
		r.reqs = append(r.reqs, requirements.Requirement{Requirement: q, File: r.file, Line: v.Line, Text: strings.TrimSpace(lineText(k, v))})
	}
}

func lineText(k string, v *tomlpos.Value) string {
	if v.Kind == tomlpos.String {
		return fmt.Sprintf("%s = %q", k, v.Text)
	}
	return k + " = {…}"
}

// pythonMarker turns a specifier on the Python version into a marker.
func pythonMarker(spec string) string {
	var parts []string
	for _, c := range strings.Split(spec, ",") {
		c = strings.TrimSpace(c)
		i := strings.IndexFunc(c, func(r rune) bool { return r >= '0' && r <= '9' })
		if i <= 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("python_full_version %s %q", c[:i], c[i:]))
	}
	return strings.Join(parts, " and ")
}

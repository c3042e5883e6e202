// Package lockfile reads the lock files Python projects keep — uv.lock, poetry.lock, Pipfile.lock and
// PEP 751 pylock.toml — and chooses, for one Lambda target, the packages to install and the wheel
// files each may use, every entry with its file:line. It evaluates the lock's markers for the target,
// never the host, and installs neither the root project nor groups that were not asked for. It does
// no I/O beyond what the caller hands it and never resolves: what a lock cannot give is an *Error.
package lockfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// Format names a lock file format.
type Format string

// The formats read here.
const (
	UV     Format = "uv.lock"
	Poetry Format = "poetry.lock"
	Pipenv Format = "Pipfile.lock"
	Pylock Format = "pylock.toml"
)

var pylockName = regexp.MustCompile(`^pylock\.([^.]+\.)?toml$`)

// Detect returns the format a file name says, "" for anything else (a requirements file).
func Detect(path string) Format {
	switch base := filepath.Base(path); {
	case base == "uv.lock":
		return UV
	case base == "poetry.lock":
		return Poetry
	case base == "Pipfile.lock":
		return Pipenv
	case pylockName.MatchString(base):
		return Pylock
	}
	return ""
}

// Options choose what to install beyond the main dependencies.
type Options struct {
	// Extras of the root project to install (normalized or not).
	Extras []string
	// Groups to install besides the main one: PEP 735 dependency groups (uv, pylock), Poetry groups,
	// and "dev" (or "develop") for Pipfile.lock's develop section.
	Groups []string
}

// Selection is what to install for one target.
type Selection struct {
	File   string
	Format Format
	// Packages are sorted by name.
	Packages []Package
	// Indexes are the index URLs the lock names (Pipfile sources, Poetry sources), in order, for the
	// formats whose files are found on an index by name and hash.
	Indexes []string
	// Notes are findings that are not errors (a lock made for another Python, say).
	Notes []string
}

// Package is one package to install.
type Package struct {
	Name    string // normalized
	Version string
	File    string
	Line    int // the package's entry in the lock
	// Wheels are the files of this package the target loads, best first, when the lock lists files
	// by name (uv.lock, pylock.toml, poetry.lock). Empty for Pipfile.lock, which lists only hashes.
	Wheels []Wheel
	// Hashes are every "algorithm:hex" the lock gives for the package's files; the wheel chosen must
	// match one of them.
	Hashes []string
	// Index is the index the lock says the package comes from ("" when it does not say).
	Index string
	// Via is the chain from the root that brought the package in: ["myproject", "requests 2.32.3"].
	// Empty when the lock does not record it (Pipfile.lock, Poetry's flat lists).
	Via []string
}

// Origin is "file:line".
func (p Package) Origin() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Wheel is one wheel file the lock lists.
type Wheel struct {
	Filename string
	URL      string // "" when the lock gives none (poetry.lock): found on the index by name and hash
	Path     string // a local file the lock names instead of a URL (then found on the index by name and hash)
	Size     int64  // 0 when unknown
	// Hashes map an algorithm ("sha256") to the lower-case hex digest.
	Hashes map[string]string
	Line   int
}

// Error is a problem with a lock for a target, with its position and a suggestion where we have one.
type Error struct {
	File    string
	Line    int
	Package string
	Msg     string
	Hint    string
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Package != "" {
		s += ": " + e.Package
	}
	s += ": " + e.Msg
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	return s
}

// Lock is a parsed lock file, ready to select from for any number of targets.
type Lock interface {
	Select(t target.Target, opts Options) (*Selection, error)
	// Indexes are the index URLs the lock names, in order: where files without a URL are found.
	Indexes() []string
}

// Parse reads a lock file's content in the format its name says.
func Parse(path string, data []byte) (Lock, error) {
	switch Detect(path) {
	case UV:
		return ParseUV(path, data)
	case Poetry:
		return ParsePoetry(path, data)
	case Pipenv:
		return ParsePipfile(path, data)
	case Pylock:
		return ParsePylock(path, data)
	}
	return nil, fmt.Errorf("%s: not a lock file name (uv.lock, poetry.lock, Pipfile.lock, pylock.toml, pylock.NAME.toml)", path)
}

// errs collects problems so that one run reports all of them.
type errs []error

func (e *errs) add(file string, line int, pkg, hint, format string, args ...any) {
	*e = append(*e, &Error{File: file, Line: line, Package: pkg, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (e errs) err() error {
	if len(e) == 0 {
		return nil
	}
	if len(e) == 1 {
		return e[0]
	}
	return errors.Join(e...)
}

// noWheels records that a package has no wheel t loads: it lists only a source distribution, or
// none of its wheels fits (with the runtimes that one would load on).
func (e *errs) noWheels(file string, line int, label string, wheels []Wheel, t target.Target) {
	if len(wheels) == 0 {
		e.add(file, line, label, "a layer is built from wheels only: pin a version that publishes wheels for Linux", "has only a source distribution (sdist)")
		return
	}
	e.add(file, line, label, noWheelHint(wheelNames(wheels), t), "none of its %d wheels loads on %s", len(wheels), t)
}

// lockPython is the error when the lock's own requires-python (at file:line) excludes t, else nil.
func lockPython(file string, line int, spec string, t target.Target) error {
	if ok, err := requiresPython(spec, t); err == nil && !ok {
		var es errs
		es.add(file, line, "", pythonHint(spec, t), "the lock's requires-python %q excludes %s", spec, t.Name)
		return es.err()
	}
	return nil
}

// anyMarkerHolds reports whether one of the lock's environment markers holds for t (a marker that
// does not parse holds for nothing).
func anyMarkerHolds(markers []string, t target.Target) bool {
	for _, m := range markers {
		if ok, err := evalMarker(m, t, nil, nil); err == nil && ok {
			return true
		}
	}
	return false
}

// env is the target's marker environment.
func env(t target.Target) pep508.Env { return pep508.Env(t.Env()) }

// evalMarker evaluates a lock's marker text for the target with the given extras and groups defined
// both ways lock tools write them: PEP 751's sets and the older "extra == …" comparisons.
func evalMarker(m string, t target.Target, extras, groups []string) (bool, error) {
	if strings.TrimSpace(m) == "" {
		return true, nil
	}
	mk, err := pep508.ParseMarker(m)
	if err != nil {
		return false, err
	}
	e := env(t)
	if len(extras) == 0 {
		return mk.EvaluateWith(e, pep508.EvalOptions{Context: pep508.ContextMetadata, Sets: map[string][]string{"extras": nil, "dependency_groups": groups}})
	}
	for _, x := range extras {
		e["extra"] = x
		ok, err := mk.EvaluateWith(e, pep508.EvalOptions{Context: pep508.ContextRequirement, Sets: map[string][]string{"extras": extras, "dependency_groups": groups}})
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// chooseWheels keeps the wheels the target loads, best first, and says why none fit when none does.
func chooseWheels(ws []Wheel, t target.Target) []Wheel {
	type ranked struct {
		w    Wheel
		rank int
	}
	var rs []ranked
	for _, w := range ws {
		if r, ok := wheelRank(w.Filename, t); ok {
			rs = append(rs, ranked{w, r})
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].rank < rs[j].rank })
	out := make([]Wheel, len(rs))
	for i, r := range rs {
		out[i] = r.w
	}
	return out
}

// wheelRank is the best rank of the file's tags for t.
func wheelRank(filename string, t target.Target) (int, bool) {
	fn, err := wheel.ParseFilename(filename)
	if err != nil {
		return 0, false
	}
	best, found := 0, false
	for _, tag := range fn.Tags {
		if r, ok := t.Rank(tag.String()); ok && (!found || r < best) {
			best, found = r, true
		}
	}
	return best, found
}

// noWheelHint names the runtimes (on this architecture first, then the other) that would load one of
// the files, or says what the files are for.
func noWheelHint(files []string, t target.Target) string {
	var same, other []string
	for _, rt := range target.Runtimes {
		for _, arch := range target.Architectures {
			tt, err := target.Parse(rt.Name, arch)
			if err != nil {
				continue
			}
			for _, f := range files {
				if _, ok := wheelRank(f, tt); ok {
					if arch == t.Arch {
						same = append(same, rt.Name)
					} else {
						other = append(other, tt.String())
					}
					break
				}
			}
		}
	}
	switch {
	case len(same) > 0:
		return fmt.Sprintf("%s on %s would load one; or lock again including a wheel for %s", strings.Join(same, ", "), t.Arch, t.Summary())
	case len(other) > 0:
		return fmt.Sprintf("%s would load one; lock again for Linux %s (%s)", strings.Join(other, ", "), t.Arch, t.Summary())
	}
	return fmt.Sprintf("the lock lists no Linux wheel Lambda loads; lock again for the Lambda platform (%s), e.g. uv's `environments`/`required-environments` or `pip lock --platform`", t.Summary())
}

// filenameOf is the last path segment of a URL or path, unescaped.
func filenameOf(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	u = u[strings.LastIndexByte(u, '/')+1:]
	return strings.ReplaceAll(u, "%2B", "+")
}

// isWheel reports whether a file name is a wheel's.
func isWheel(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".whl") }

// splitHash turns "sha256:abc" into ("sha256", "abc").
func splitHash(h string) (string, string, bool) {
	alg, hex, ok := strings.Cut(h, ":")
	if !ok || alg == "" || hex == "" {
		return "", "", false
	}
	return strings.ToLower(alg), strings.ToLower(hex), true
}

// selection ends a Select: the findings when there are any, else sel with its packages by name.
func (e errs) selection(sel *Selection) (*Selection, error) {
	if err := e.err(); err != nil {
		return nil, err
	}
	sort.Slice(sel.Packages, func(i, j int) bool { return sel.Packages[i].Name < sel.Packages[j].Name })
	return sel, nil
}

// requiresPython checks a lock-level or package-level Requires-Python for the target.
func requiresPython(spec string, t target.Target) (bool, error) {
	if strings.TrimSpace(spec) == "" {
		return true, nil
	}
	return evalMarker(pythonMarker(spec), t, nil, nil)
}

// pythonMarker turns a Requires-Python specifier into a marker on python_full_version.
func pythonMarker(spec string) string {
	var parts []string
	for _, c := range strings.Split(spec, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		i := strings.IndexFunc(c, func(r rune) bool { return r >= '0' && r <= '9' })
		if i <= 0 {
			parts = append(parts, "python_full_version == '"+c+"'")
			continue
		}
		parts = append(parts, fmt.Sprintf("python_full_version %s '%s'", strings.TrimSpace(c[:i]), strings.TrimSpace(c[i:])))
	}
	return strings.Join(parts, " and ")
}

// SatisfiesPython says whether the target's Python satisfies a Requires-Python specifier, and when
// it does not, a hint naming the runtimes that would.
func SatisfiesPython(spec string, t target.Target) (ok bool, hint string, err error) {
	ok, err = requiresPython(spec, t)
	if err != nil || ok {
		return ok, "", err
	}
	return false, pythonHint(spec, t), nil
}

// runtimesFor names the runtimes whose Python satisfies a Requires-Python, for hints.
func runtimesFor(spec string, arch string) []string {
	var out []string
	for _, rt := range target.Runtimes {
		tt, err := target.Parse(rt.Name, arch)
		if err != nil {
			continue
		}
		if ok, err := requiresPython(spec, tt); err == nil && ok {
			out = append(out, rt.Name)
		}
	}
	return out
}

func pythonHint(spec string, t target.Target) string {
	if rs := runtimesFor(spec, t.Arch); len(rs) > 0 {
		return "runtimes that satisfy it: " + strings.Join(rs, ", ")
	}
	return "no Lambda runtime satisfies it"
}

func normalizeAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = pep508.NormalizeName(v)
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// httpIndexes keeps the http(s) URLs, once each, in order.
func httpIndexes(urls []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range urls {
		if (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

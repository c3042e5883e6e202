// Package requirements reads pip requirements files (-r/-c includes, index options, --hash,
// ${VAR}) into requirements that keep their file:line; it is hand-written because no Go library
// parses pip's format, and it rejects every form that would need building from source.
package requirements

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
)

// Requirement is one requirement line with where it came from.
type Requirement struct {
	pep508.Requirement
	File string // path as given or resolved (relative to the cwd if the input was relative)
	Line int    // 1-based line where the logical line starts
	// Text is the logical line as written (continuations joined, comment kept), with URL
	// credentials masked so it is safe to show in a PR comment.
	Text string
	// Hashes are "algorithm:hex" (sha256, sha384 or sha512; hex lower-cased) from every --hash
	// on the line and from a #sha256=… fragment of the URL; any one of them matching is enough.
	Hashes []string
}

// Options are the global options set by option lines, merged over all files in order.
type Options struct {
	IndexURL       string   // -i / --index-url (last wins); "" = not set
	ExtraIndexURLs []string // --extra-index-url, in order, deduplicated
	NoIndex        bool     // --no-index
	// FindLinks are URLs kept as written and local paths resolved against the directory of the
	// file that names them (pip falls back to the cwd; we are consistent with -r instead).
	FindLinks     []string
	Pre           bool     // --pre
	OnlyBinary    []string // --only-binary: normalized names, ":all:" or ":none:"; a no-op for a wheel-only tool
	PreferBinary  bool     // --prefer-binary: a no-op for a wheel-only tool
	RequireHashes bool     // --require-hashes
}

// Set is everything read from a list of requirements files.
type Set struct {
	Requirements []Requirement // in file order; those from -r are inlined at their position
	Constraints  []Requirement // from -c files and everything they include: they never add packages
	Options      Options
	Files        []string // every file read, in order, once each (for change detection)
	Notes        []Note   // accepted lines whose effect differs from pip's
	// Pythons are the Python versions the inputs say the project supports (a pyproject.toml's
	// requires-python), each with its place: a target outside one is refused, not built.
	Pythons []Python
}

// Python is a declared Requires-Python specifier (">=3.12") and where it was declared.
type Python struct {
	File string
	Line int
	Spec string
}

// Note is a finding that is not an error: a line accepted but ignored or changed in meaning.
type Note struct {
	File string
	Line int
	Text string
	Msg  string
}

func (n Note) String() string { return position(n.File, n.Line) + n.Msg }

// Error is a problem in a requirements file, with its position and, where we have one, a
// suggestion.
type Error struct {
	File string
	Line int // 0 when the problem is the whole file (it cannot be read)
	Text string
	Msg  string
	Hint string
	Err  error // the underlying failure, e.g. from ReadFile; nil for problems of the format
}

func (e *Error) Error() string {
	s := position(e.File, e.Line) + e.Msg
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint // the shape of every hint the command line prints, on its own line
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func position(file string, line int) string {
	switch {
	case file == "":
		return ""
	case line > 0:
		return fmt.Sprintf("%s:%d: ", file, line)
	default:
		return file + ": "
	}
}

// ParseOptions connects the parser to the world; the zero value reads real files and defines no
// variables.
type ParseOptions struct {
	// Getenv is for ${VAR} expansion; nil → no variables defined. A ${VAR} that is unset or
	// empty is an *Error naming it, where pip would leave the text in place and fail later.
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error) // nil → ReadFile (os.ReadFile with a size cap)
}

// Parse reads the files in order into one Set. All problems across all files are reported
// together (errors.Join of *Error), not just the first; the Set then still holds every line that
// parsed, so a report can show both.
func Parse(paths []string, po ParseOptions) (*Set, error) {
	p := newParser(po)
	for _, path := range paths {
		data, err := p.readFile(path)
		if err != nil {
			p.errs = append(p.errs, &Error{File: path, Msg: "cannot read file: " + cause(err), Err: err})
			continue
		}
		p.parseFile(path, data, false, nil)
	}
	return p.set, p.err()
}

// ParseBytes parses one file's content as if read from name (includes are still read through
// po.ReadFile relative to name's dir). An empty name is shown as "<input>".
func ParseBytes(name string, data []byte, po ParseOptions) (*Set, error) {
	if name == "" {
		name = "<input>"
	}
	p := newParser(po)
	p.parseFile(name, data, false, nil)
	return p.set, p.err()
}

// maxDepth bounds nesting that the cycle check cannot see, such as a directory symlinked into
// itself, where every level has a new path.
const maxDepth = 50

type parser struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	set      *Set
	errs     []error
	read     map[string]bool // keys of the files in set.Files
}

func newParser(po ParseOptions) *parser {
	p := &parser{getenv: po.Getenv, readFile: po.ReadFile, set: &Set{}, read: map[string]bool{}}
	if p.getenv == nil {
		p.getenv = func(string) string { return "" }
	}
	if p.readFile == nil {
		p.readFile = ReadFile
	}
	return p
}

func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return errors.Join(p.errs...)
}

// include is one step of the chain of -r/-c lines that led to the file being parsed.
type include struct {
	file string
	line int
	key  string
}

// fileKey identifies a file for cycle detection, so that "a.txt" and "./sub/../a.txt" match.
func fileKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

// lineCtx is the position of one logical line, carried into every message about it.
type lineCtx struct {
	file       string
	key        string
	line       int
	text       string
	constraint bool
	chain      []include
}

func (c *lineCtx) errorf(hint, format string, args ...any) *Error {
	return &Error{File: c.file, Line: c.line, Text: c.text, Msg: redact(fmt.Sprintf(format, args...)), Hint: hint}
}

func (p *parser) fail(e *Error) { p.errs = append(p.errs, e) }

func (p *parser) parseFile(name string, data []byte, constraint bool, chain []include) {
	key := fileKey(name)
	if !p.read[key] {
		p.read[key] = true
		p.set.Files = append(p.set.Files, name)
	}
	lines, bad := physicalLines(data)
	if bad != nil {
		bad.File = name
		p.fail(bad)
		return
	}
	if line, msg, hint := otherFormat(lines); line > 0 {
		p.fail(&Error{File: name, Line: line, Text: redact(strings.TrimSpace(lines[line-1])), Msg: msg, Hint: hint})
		return
	}
	for _, ll := range joinLines(lines) {
		c := &lineCtx{file: name, key: key, line: ll.num, text: redact(strings.TrimSpace(ll.raw)),
			constraint: constraint, chain: chain}
		p.parseLine(c, ll.raw)
	}
}

func (p *parser) parseLine(c *lineCtx, raw string) {
	content := strings.TrimSpace(stripComment(raw))
	if content == "" {
		return
	}
	content, missing := expandEnv(content, p.getenv)
	if len(missing) > 0 {
		p.fail(missingVarsError(c, missing))
		return
	}
	args, optText := splitArgsOptions(content)
	toks, err := shlexSplit(optText)
	if err != nil {
		p.fail(c.errorf(`quote values that contain spaces, and close every quote`, "cannot split options %q: %v", optText, err))
		return
	}
	opts, e := parseOptions(c, toks)
	if e != nil {
		p.fail(e)
		return
	}
	if args != "" {
		p.requirementLine(c, args, opts)
	} else {
		p.optionLine(c, opts)
	}
}

func missingVarsError(c *lineCtx, names []string) *Error {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "${" + n + "}"
	}
	if len(names) == 1 {
		return c.errorf("set "+names[0]+" in the environment of the build",
			"environment variable %s is not set", refs[0])
	}
	return c.errorf("set "+strings.Join(names, ", ")+" in the environment of the build",
		"environment variables %s are not set", strings.Join(refs, ", "))
}

func (p *parser) requirementLine(c *lineCtx, args string, opts []option) {
	var hashes []string
	ok := true
	for _, o := range opts {
		switch o.spec.canon {
		case "--hash":
			h, e := parseHash(c, o.name, o.value)
			if e != nil {
				p.fail(e)
				ok = false
				continue
			}
			hashes = appendUnique(hashes, h)
		case "--editable", "--global-option", "--config-settings", "--install-option":
			p.fail(rejectOption(c, o))
			ok = false
		default:
			// pip silently ignores these after a requirement; a user who wrote them expected an
			// effect, so say where they belong instead.
			p.fail(c.errorf("put "+o.name+" on a line of its own",
				"%s is not allowed after a requirement", o.name))
			ok = false
		}
	}
	r, urlHashes, e := p.parseRequirement(c, args)
	if e != nil {
		p.fail(e)
		return
	}
	if c.constraint && len(r.Extras) > 0 {
		// pip refuses these too ("Constraints cannot have extras"): a constraint only limits
		// versions, the extras belong on the requirement.
		p.fail(c.errorf("drop the [extras] here and put them on the requirement", "constraints cannot have extras"))
		return
	}
	if !ok {
		return
	}
	for _, h := range urlHashes {
		hashes = appendUnique(hashes, h)
	}
	req := Requirement{Requirement: r, File: c.file, Line: c.line, Text: c.text, Hashes: hashes}
	if c.constraint {
		p.set.Constraints = append(p.set.Constraints, req)
	} else {
		p.set.Requirements = append(p.set.Requirements, req)
	}
}

func (p *parser) optionLine(c *lineCtx, opts []option) {
	o := &p.set.Options
	for _, op := range opts {
		switch op.spec.canon {
		case "--requirement":
			p.include(c, op, c.constraint)
		case "--constraint":
			p.include(c, op, true)
		case "--index-url":
			if e := checkIndexURL(c, op); e != nil {
				p.fail(e)
				continue
			}
			o.IndexURL = op.value
		case "--extra-index-url":
			if e := checkIndexURL(c, op); e != nil {
				p.fail(e)
				continue
			}
			o.ExtraIndexURLs = appendUnique(o.ExtraIndexURLs, op.value)
		case "--no-index":
			o.NoIndex = true
		case "--find-links":
			v := op.value
			if urlScheme(v) == "" && !filepath.IsAbs(v) {
				v = filepath.Join(filepath.Dir(c.file), v)
			}
			o.FindLinks = appendUnique(o.FindLinks, v)
		case "--pre":
			o.Pre = true
		case "--prefer-binary":
			o.PreferBinary = true
		case "--require-hashes":
			o.RequireHashes = true
		case "--only-binary":
			for _, n := range strings.Split(op.value, ",") {
				if n = strings.TrimSpace(n); n == "" {
					continue
				}
				if !strings.HasPrefix(n, ":") {
					n = pep508.NormalizeName(n)
				}
				o.OnlyBinary = appendUnique(o.OnlyBinary, n)
			}
		case "--trusted-host":
			p.set.Notes = append(p.set.Notes, Note{File: c.file, Line: c.line, Text: c.text,
				Msg: "--trusted-host is ignored: lambda-layers does not relax TLS checks for any host"})
		case "--no-binary":
			// ":none:" only resets the list of packages to build, which is already empty.
			if strings.TrimSpace(op.value) == ":none:" {
				continue
			}
			p.fail(rejectOption(c, op))
		case "--hash":
			// pip warns and ignores; a hash that silently checks nothing is worse than an error,
			// and this is usually a missing trailing backslash on the line above.
			p.fail(c.errorf(`put it on the requirement's line, or end the line above with \ to continue it`,
				"%s needs a requirement on the same line", op.name))
		default:
			p.fail(rejectOption(c, op))
		}
	}
}

// rejectOption explains each option that would need a build or that we do not implement.
func rejectOption(c *lineCtx, o option) *Error {
	switch o.spec.canon {
	case "--editable":
		return c.errorf("publish a wheel or pin a released version",
			"%s is not supported: editable installs need a build", o.name)
	case "--no-binary":
		return c.errorf("remove it, or use --only-binary",
			"--no-binary needs building from source; lambda-layers installs wheels only")
	case "--global-option", "--config-settings", "--install-option":
		return c.errorf("remove it; wheels are installed without a build, so there is nothing to configure",
			"%s is not supported: it passes settings to a build, and lambda-layers installs wheels only", o.name)
	case "--use-feature":
		return c.errorf("remove the line", "%s is not supported: pip's feature flags do not apply to lambda-layers", o.name)
	}
	return c.errorf("", "%s is not supported here", o.name)
}

func (p *parser) include(c *lineCtx, o option, constraint bool) {
	target := o.value
	switch scheme := urlScheme(target); scheme {
	case "":
	case "file":
		path, e := fileURLPath(c, target)
		if e != nil {
			p.fail(e)
			return
		}
		target = path
	default:
		// pip can fetch these; we read files only, which keeps builds reproducible and offline.
		p.fail(c.errorf("download the file next to this one and include it by path",
			"%s with a URL is not supported: %s", o.name, target))
		return
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(c.file), target)
	}
	key := fileKey(target)
	steps := append(append([]include(nil), c.chain...), include{file: c.file, line: c.line, key: c.key})
	for i, s := range steps {
		if s.key != key {
			continue
		}
		parts := make([]string, 0, len(steps)-i+1)
		for _, s := range steps[i:] {
			parts = append(parts, fmt.Sprintf("%s:%d", s.file, s.line))
		}
		parts = append(parts, target)
		p.fail(c.errorf("remove one of these -r/-c lines", "include cycle: %s", strings.Join(parts, " → ")))
		return
	}
	if len(steps) > maxDepth {
		p.fail(c.errorf("", "includes are nested more than %d deep", maxDepth))
		return
	}
	data, err := p.readFile(target)
	if err != nil {
		e := c.errorf("paths in -r and -c are relative to the file that names them",
			"cannot read %s: %s", target, cause(err))
		e.Err = err
		p.fail(e)
		return
	}
	p.parseFile(target, data, constraint, steps)
}

// cause drops the path that fs errors repeat, since our messages name the file already.
func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

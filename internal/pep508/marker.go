package pep508

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep440"
)

// Marker is a parsed environment marker. The zero value is not useful; a nil *Marker stands for
// "no marker" and evaluates true.
type Marker struct {
	root      group
	text      string // String(), computed once: equality is defined on it
	usesExtra bool   // whether EvaluateExtras must evaluate once per extra
}

// group is packaging's MarkerList: operands joined left to right by and/or, with "and" binding
// tighter. Parenthesised sub-expressions stay nested so String() can reproduce them.
type group struct {
	items []item
	ors   []bool // ors[i] joins items[i] and items[i+1]: true for "or", false for "and"
}

type item struct {
	sub *group // a parenthesised group, or
	cmp *comparison
}

type operand struct {
	isVar bool
	value string // the variable's canonical name, or the decoded literal
}

type comparison struct {
	lhs, rhs operand
	op       string // one of markerOps, "in" or "not in"

	// What evaluation does, decided at parse time. packaging reads the environment for the
	// left operand when it is a variable and otherwise for the right operand, using the other
	// operand's text as is; so `extra == os_name` compares extra with the string "os_name" and
	// `"b" > "a"` reads a variable called "a".
	key      string // the environment variable read
	envOnLHS bool
	literal  string // the other operand's text
	version  bool   // key is one of versionKeys
	set      bool   // key may hold a set
	// spec is op+literal parsed once, when the environment value is on the left and key holds
	// a version; for those, packaging asks Specifier(op+rhs).contains(lhs, prereleases=True).
	spec      *pep440.Specifiers
	arbitrary string // for ===, the version text compared case-insensitively
	specOK    bool
}

// versionKeys are packaging's MARKERS_REQUIRING_VERSION: only these compare as versions.
var versionKeys = map[string]bool{
	"implementation_version": true,
	"platform_release":       true,
	"python_full_version":    true,
	"python_version":         true,
}

// isSetKey is packaging's MARKERS_ALLOWING_SET: the PEP 751 lock-file variables.
func isSetKey(k string) bool { return k == "extras" || k == "dependency_groups" }

// maxDepth bounds parenthesis nesting: packaging would hit Python's recursion limit, and
// unbounded recursion here would let hostile metadata exhaust the stack.
const maxDepth = 100

// ParseMarker parses a PEP 508 marker expression as packaging's Marker does, accepting the
// PEP 345 dotted names (os.name, sys.platform, platform.version, platform.machine,
// platform.python_implementation) and setuptools' python_implementation.
func ParseMarker(s string) (*Marker, error) {
	p := parser{src: s}
	g, err := p.marker(0)
	if err == nil && p.pos != len(s) {
		err = p.fail("Expected end of marker expression")
	}
	if err != nil {
		return nil, fmt.Errorf("parsing marker %q: %w", s, err)
	}
	return newMarker(g), nil
}

func newMarker(g group) *Marker {
	m := &Marker{root: g}
	m.text = m.root.format(true)
	m.root.walk(func(c *comparison) {
		if c.key == "extra" {
			m.usesExtra = true
		}
	})
	return m
}

func (g *group) walk(f func(*comparison)) {
	for _, it := range g.items {
		if it.sub != nil {
			it.sub.walk(f)
		} else {
			f(it.cmp)
		}
	}
}

// parser is a recursive-descent parser over packaging's token rules; pos is a byte offset.
type parser struct {
	src string
	pos int
}

func (p *parser) failSpan(reason string, start, end int) error {
	return &SyntaxError{Input: p.src, Reason: reason, Start: start, End: end}
}

func (p *parser) fail(reason string) error { return p.failSpan(reason, p.pos, p.pos) }

func (p *parser) ws() {
	if j := matchWS(p.src, p.pos); j >= 0 {
		p.pos = j
	}
}

func (p *parser) at(c byte) bool { return p.pos < len(p.src) && p.src[p.pos] == c }

// marker = marker_atom (BOOLOP marker_atom)*
func (p *parser) marker(depth int) (group, error) {
	var g group
	for {
		it, err := p.atom(depth)
		if err != nil {
			return group{}, err
		}
		g.items = append(g.items, it)
		if j := matchWord(p.src, p.pos, "or"); j >= 0 {
			g.ors = append(g.ors, true)
			p.pos = j
		} else if j := matchWord(p.src, p.pos, "and"); j >= 0 {
			g.ors = append(g.ors, false)
			p.pos = j
		} else {
			return g, nil
		}
	}
}

// marker_atom = WS? "(" WS? marker WS? ")" WS? | WS? marker_item WS?
func (p *parser) atom(depth int) (item, error) {
	p.ws()
	var it item
	if p.at('(') {
		if depth >= maxDepth {
			return item{}, p.fail("Marker expression nested too deeply")
		}
		open := p.pos
		p.pos++
		p.ws()
		g, err := p.marker(depth + 1)
		if err != nil {
			return item{}, err
		}
		p.ws()
		if !p.at(')') {
			return item{}, p.failSpan("Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression", open, p.pos)
		}
		p.pos++
		it.sub = &g
	} else {
		c, err := p.item()
		if err != nil {
			return item{}, err
		}
		it.cmp = c
	}
	p.ws()
	return it, nil
}

// marker_item = WS? marker_var WS? marker_op WS? marker_var WS?
func (p *parser) item() (*comparison, error) {
	p.ws()
	lhs, err := p.variable()
	if err != nil {
		return nil, err
	}
	p.ws()
	op, err := p.op()
	if err != nil {
		return nil, err
	}
	p.ws()
	rhs, err := p.variable()
	if err != nil {
		return nil, err
	}
	p.ws()
	return newComparison(lhs, op, rhs), nil
}

func (p *parser) variable() (operand, error) {
	if name, j := matchVariable(p.src, p.pos); j >= 0 {
		p.pos = j
		return operand{isVar: true, value: name}, nil
	}
	if j := matchQuoted(p.src, p.pos); j >= 0 {
		v, ok := decodePyString(p.src[p.pos:j])
		if !ok {
			return operand{}, p.failSpan("Invalid quoted string", p.pos, j)
		}
		p.pos = j
		return operand{value: v}, nil
	}
	return operand{}, p.fail("Expected a marker variable or quoted string")
}

func (p *parser) op() (string, error) {
	if j := matchWord(p.src, p.pos, "in"); j >= 0 {
		p.pos = j
		return "in", nil
	}
	if j := matchWord(p.src, p.pos, "not"); j >= 0 {
		p.pos = j
		w := matchWS(p.src, j)
		if w < 0 {
			return "", p.fail("Expected whitespace after 'not'")
		}
		p.pos = w
		k := matchWord(p.src, p.pos, "in")
		if k < 0 {
			return "", p.fail("Expected 'in' after 'not'")
		}
		p.pos = k
		return "not in", nil
	}
	if op, j := matchOp(p.src, p.pos); j >= 0 {
		p.pos = j
		return op, nil
	}
	return "", p.fail("Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
}

func newComparison(lhs operand, op string, rhs operand) *comparison {
	// PEP 685: extra names compare normalized, so the literal is normalized once here (and shows
	// normalized in String(), as in packaging). The same goes for the members tested against the
	// set-valued lock-file variables.
	if lhs.isVar && !rhs.isVar && (lhs.value == "extra" || isSetKey(lhs.value)) {
		rhs.value = NormalizeName(rhs.value)
	} else if rhs.isVar && !lhs.isVar && (rhs.value == "extra" || isSetKey(rhs.value)) {
		lhs.value = NormalizeName(lhs.value)
	}
	c := &comparison{lhs: lhs, op: op, rhs: rhs}
	if lhs.isVar {
		c.key, c.envOnLHS, c.literal = lhs.value, true, rhs.value
		if versionKeys[c.key] {
			c.spec, c.arbitrary, c.specOK = versionSpec(op, c.literal)
		}
	} else {
		c.key, c.literal = rhs.value, lhs.value
	}
	c.version, c.set = versionKeys[c.key], isSetKey(c.key)
	return c
}

// versionSpec parses op+v the way packaging's Specifier() would (a single clause, so a comma
// makes it invalid unless the operator is ===). ok is false when it is not a valid specifier,
// in which case the comparison falls back to string rules.
func versionSpec(op, v string) (spec *pep440.Specifiers, arbitrary string, ok bool) {
	if op == "in" || op == "not in" {
		return nil, "", false
	}
	text := op + v
	end := matchSpecifier(text, 0)
	if end < 0 || skipPySpace(text, end) != len(text) {
		return nil, "", false
	}
	sop, ver := splitSpecifier(text)
	if sop == "===" {
		return nil, ver, true
	}
	s, err := pep440.ParseSpecifiers(sop + ver)
	if err != nil {
		return nil, "", false
	}
	return &s, "", true
}

// String is packaging's str(Marker): single spaces between tokens, double quotes (single quotes
// when the value holds a double quote), and parentheses only where the input grouped more than
// one operand. Markers are equal when their strings are.
func (m *Marker) String() string {
	if m == nil {
		return ""
	}
	return m.text
}

// Equal reports whether two markers are the same as packaging's Marker.__eq__ sees them.
func (m *Marker) Equal(o *Marker) bool {
	if m == nil || o == nil {
		return m == o
	}
	return m.text == o.text
}

func (g *group) format(first bool) string {
	if len(g.items) == 1 {
		// A group of one adds no meaning, so its parentheses are dropped; first is passed down
		// so that "a and ((b or c))" keeps the parentheses its inner group needs.
		return g.items[0].format(first)
	}
	var b strings.Builder
	if !first {
		b.WriteByte('(')
	}
	for i, it := range g.items {
		if i > 0 {
			if g.ors[i-1] {
				b.WriteString(" or ")
			} else {
				b.WriteString(" and ")
			}
		}
		b.WriteString(it.format(false))
	}
	if !first {
		b.WriteByte(')')
	}
	return b.String()
}

func (it item) format(first bool) string {
	if it.sub != nil {
		return it.sub.format(first)
	}
	c := it.cmp
	return c.lhs.format() + " " + c.op + " " + c.rhs.format()
}

func (o operand) format() string {
	if o.isVar {
		return o.value
	}
	return quoteValue(o.value)
}

// quoteValue writes a value as packaging does ("value", or 'value' when it holds a double
// quote). Where that text would not read back as the same value (a backslash, a line break,
// NUL, or both quote characters, on which packaging writes something unparseable or raises),
// Python escapes are used instead so that String() always re-parses to an equal marker.
func quoteValue(v string) string {
	hasDouble := strings.IndexByte(v, '"') >= 0
	hasSingle := strings.IndexByte(v, '\'') >= 0
	if !strings.ContainsAny(v, "\\\n\r\x00") && !(hasDouble && hasSingle) {
		if hasDouble {
			return "'" + v + "'"
		}
		return `"` + v + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\x00`)
		case '"':
			b.WriteString(`\x22`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Context selects which variables evaluation defines on its own, as packaging's
// EvaluateContext does.
type Context int

const (
	// ContextMetadata is for Requires-Dist and other core metadata: extra defaults to "".
	ContextMetadata Context = iota
	// ContextLockFile is for PEP 751 lock files: extras and dependency_groups default to empty
	// sets, and extra is not defined.
	ContextLockFile
	// ContextRequirement is for everything else: nothing is defined beyond the environment.
	ContextRequirement
)

// EvalOptions are the less common evaluation settings.
type EvalOptions struct {
	Context Context
	// Sets holds the set-valued variables of lock files ("extras", "dependency_groups"),
	// which only "in" and "not in" may test. A key present here is defined even when empty.
	Sets map[string][]string
	// ExtrasActive, when set, makes "extra" stand for a set of active extras, Extras: extra == X
	// holds when X is one of them, extra != X when it is not. uv.lock's conflict markers need this:
	// they test several encoded extras at once ("extra == 'extra-7-project-a' and extra ==
	// 'extra-7-project-b'"), which no single value of "extra" satisfies.
	ExtrasActive bool
	Extras       []string
}

// Evaluate evaluates the marker for env in the metadata context. A nil marker is true.
func (m *Marker) Evaluate(env Env) (bool, error) {
	return m.EvaluateWith(env, EvalOptions{})
}

// EvaluateWith evaluates the marker for env with explicit options.
func (m *Marker) EvaluateWith(env Env, opts EvalOptions) (bool, error) {
	if m == nil {
		return true, nil
	}
	e := evalEnv{vars: env, sets: opts.Sets, ctx: opts.Context}
	if opts.ExtrasActive {
		e.active = map[string]bool{}
		for _, x := range opts.Extras {
			e.active[NormalizeName(x)] = true
		}
	}
	if x, ok := env["extra"]; ok {
		e.extra, e.hasExtra = NormalizeName(x), true
	} else if opts.Context == ContextMetadata {
		e.hasExtra = true
	}
	return m.eval(&e)
}

// EvaluateExtras reports whether the marker holds for env with "extra" set to any of extras
// (metadata context); with no extras it is evaluated once with extra "". This is how pip sorts
// a Requires-Dist line into base and extra dependencies.
func (m *Marker) EvaluateExtras(env Env, extras []string) (bool, error) {
	if m == nil {
		return true, nil
	}
	e := evalEnv{vars: env, hasExtra: true}
	if len(extras) == 0 || !m.usesExtra {
		return m.eval(&e)
	}
	for _, x := range extras {
		e.extra = NormalizeName(x)
		ok, err := m.eval(&e)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

type evalEnv struct {
	vars     Env
	extra    string // normalized
	hasExtra bool
	active   map[string]bool // non-nil: "extra" is this set of normalized names (EvalOptions.ExtrasActive)
	sets     map[string][]string
	ctx      Context
}

// value is one side of a comparison: a string, or for lock-file variables a set.
type value struct {
	s     string
	set   []string
	isSet bool
}

func (e *evalEnv) lookup(key string) (value, error) {
	if key == "extra" && e.hasExtra {
		return value{s: e.extra}, nil
	}
	if isSetKey(key) {
		if members, ok := e.sets[key]; ok {
			return value{set: members, isSet: true}, nil
		}
		if _, ok := e.vars[key]; !ok && e.ctx == ContextLockFile {
			return value{isSet: true}, nil
		}
	}
	v, ok := e.vars[key]
	if !ok || key == "extra" {
		return value{}, fmt.Errorf("%w %q", ErrUndefinedEnvironmentName, key)
	}
	if key == "python_full_version" && strings.HasSuffix(v, "+") {
		// platform.python_version() of an untagged CPython build ends in "+", which is not a
		// PEP 440 version; packaging repairs it into a local version label.
		v += "local"
	}
	return value{s: v}, nil
}

func (m *Marker) eval(e *evalEnv) (bool, error) {
	ok, err := m.root.eval(e)
	if err != nil {
		return false, fmt.Errorf("evaluating marker %q: %w", m.text, err)
	}
	return ok, nil
}

// eval computes any(all(and-run) for each or-separated run). Like packaging it evaluates every
// comparison, so an undefined comparison is reported even where the result is already known.
func (g *group) eval(e *evalEnv) (bool, error) {
	result, run := false, true
	for i, it := range g.items {
		var ok bool
		var err error
		if it.sub != nil {
			ok, err = it.sub.eval(e)
		} else {
			ok, err = it.cmp.eval(e)
		}
		if err != nil {
			return false, err
		}
		run = run && ok
		if i == len(g.items)-1 || g.ors[i] {
			result = result || run
			run = true
		}
	}
	return result, nil
}

func (c *comparison) eval(e *evalEnv) (bool, error) {
	if c.key == "extra" && e.active != nil {
		in := e.active[NormalizeName(c.literal)]
		switch c.op {
		case "==":
			return in, nil
		case "!=":
			return !in, nil
		}
		return false, fmt.Errorf("%w: extra %s against a set of active extras", ErrUndefinedComparison, c.op)
	}
	env, err := e.lookup(c.key)
	if err != nil {
		return false, err
	}
	lhs, rhs := value{s: c.literal}, env
	if c.envOnLHS {
		lhs, rhs = env, value{s: c.literal}
	}
	if lhs.isSet {
		return false, fmt.Errorf("%w: %s on the left of %q must be a string", ErrUndefinedComparison, c.key, c.op)
	}
	if c.set {
		// Extras and dependency group names compare normalized (PEP 685, PEP 735); set members
		// are normalized where they are tested below.
		lhs.s, rhs.s = NormalizeName(lhs.s), NormalizeName(rhs.s)
	}
	if c.version {
		spec, arbitrary, ok := c.spec, c.arbitrary, c.specOK
		if !c.envOnLHS {
			spec, arbitrary, ok = versionSpec(c.op, rhs.s)
		}
		if ok {
			if spec == nil {
				return strings.ToLower(lhs.s) == strings.ToLower(arbitrary), nil
			}
			pre := true
			return spec.Contains(lhs.s, &pre), nil
		}
	}
	eq := func() bool { return !rhs.isSet && lhs.s == rhs.s }
	switch c.op {
	case "in", "not in":
		var in bool
		if rhs.isSet {
			in = slices.ContainsFunc(rhs.set, func(x string) bool { return NormalizeName(x) == lhs.s })
		} else {
			in = strings.Contains(rhs.s, lhs.s)
		}
		return in == (c.op == "in"), nil
	case "==", "<=", ">=":
		// Strings have no order: <= and >= mean equality and < and > are never true, so a
		// non-version comparison can only be asked whether two strings are the same.
		return eq(), nil
	case "!=":
		return !eq(), nil
	case "<", ">":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q between %q and %s", ErrUndefinedComparison, c.op, lhs.s, c.describeRHS(rhs))
}

func (c *comparison) describeRHS(rhs value) string {
	if rhs.isSet {
		return c.key
	}
	return fmt.Sprintf("%q", rhs.s)
}

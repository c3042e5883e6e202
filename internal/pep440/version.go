package pep440

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// ErrInvalidVersion is wrapped by every error Parse returns.
var ErrInvalidVersion = errors.New("invalid version")

type preKind uint8

const (
	preNone preKind = iota
	preA
	preB
	preRC
)

var preLabels = [...]string{preNone: "", preA: "a", preB: "b", preRC: "rc"}

// Version is a parsed PEP 440 version. The zero value orders and prints like
// "0". Versions are immutable; copying one is cheap because the release and
// local slices are shared, never written after Parse.
type Version struct {
	epoch   int
	release []int
	pre     preKind
	preN    int
	hasPost bool
	post    int
	hasDev  bool
	dev     int
	local   []localPart
	str     string // normalized form, cached so String and === checks do not allocate
}

// localPart is one dot-separated piece of a local label. Numeric pieces keep
// their digits as text (without leading zeros) so labels of any length compare
// correctly without overflow.
type localPart struct {
	s   string
	num bool
}

// maxNumber keeps every numeric component one below MaxInt so that computing
// the successor of a bound (N+1) can never overflow.
const maxNumber = math.MaxInt - 1

// Parse parses a version the way packaging.version.Version does: case
// insensitive, surrounding whitespace ignored, an optional leading "v", and the
// alternate spellings PEP 440 normalizes (alpha, c, pre, preview, rev, r, "-N"
// post-releases, optional separators).
func Parse(s string) (Version, error) {
	v, err := parseVersion(trimSpace(s))
	if err != nil {
		return Version{}, fmt.Errorf("parsing version %q: %w", s, err)
	}
	return v, nil
}

// MustParse is like Parse but panics on invalid input; meant for constants and tests.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// isSpace matches Python's str.isspace, which both packaging's regular
// expressions (\s) and str.strip use: Go's unicode.IsSpace plus the ASCII
// information separators U+001C..U+001F.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func trimSpace(s string) string { return strings.TrimFunc(s, isSpace) }

type scanner struct {
	s string
	i int
}

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isSep(c byte) bool { return c == '.' || c == '_' || c == '-' }

func (p *scanner) digits() (string, bool) {
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i], p.i > start
}

// word consumes the first of alts that matches case-insensitively at the
// cursor. The order of alts mirrors packaging's regular expression
// alternation, which matters for prefixes such as "pre"/"preview".
func (p *scanner) word(alts ...string) (string, bool) {
	for _, a := range alts {
		if len(p.s)-p.i >= len(a) && strings.EqualFold(p.s[p.i:p.i+len(a)], a) {
			p.i += len(a)
			return a, true
		}
	}
	return "", false
}

func (p *scanner) optSep() {
	if isSep(p.peek()) {
		p.i++
	}
}

func number(d string) (int, error) {
	d = strings.TrimLeft(d, "0")
	if d == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil || n > maxNumber {
		return 0, fmt.Errorf("%w: number %s is too large", ErrInvalidVersion, d)
	}
	return int(n), nil
}

// parseVersion implements packaging's VERSION_PATTERN on already-trimmed
// text. Every optional segment is tried greedily and abandoned as a whole if
// it does not complete, which is what the pattern's possessive groups do.
func parseVersion(s string) (Version, error) {
	var v Version
	p := &scanner{s: s}
	fail := func() (Version, error) {
		if p.i >= len(s) {
			return Version{}, fmt.Errorf("%w: unexpected end", ErrInvalidVersion)
		}
		return Version{}, fmt.Errorf("%w: unexpected %q at offset %d", ErrInvalidVersion, s[p.i:], p.i)
	}
	if c := p.peek(); c == 'v' || c == 'V' {
		p.i++
	}
	d, ok := p.digits()
	if !ok {
		return fail()
	}
	if p.peek() == '!' {
		n, err := number(d)
		if err != nil {
			return Version{}, err
		}
		v.epoch = n
		p.i++
		if d, ok = p.digits(); !ok {
			return fail()
		}
	}
	n, err := number(d)
	if err != nil {
		return Version{}, err
	}
	v.release = append(make([]int, 0, 4), n)
	for p.peek() == '.' && p.i+1 < len(s) && isDigit(s[p.i+1]) {
		p.i++
		d, _ = p.digits()
		if n, err = number(d); err != nil {
			return Version{}, err
		}
		v.release = append(v.release, n)
	}

	// Pre-release.
	save := p.i
	p.optSep()
	if w, ok := p.word("alpha", "a", "beta", "b", "preview", "pre", "c", "rc"); ok {
		switch w {
		case "alpha", "a":
			v.pre = preA
		case "beta", "b":
			v.pre = preB
		default:
			v.pre = preRC
		}
		p.optSep()
		if d, ok := p.digits(); ok {
			if v.preN, err = number(d); err != nil {
				return Version{}, err
			}
		}
	} else {
		p.i = save
	}

	// Post-release: "-N", or an optional separator, a label and an optional number.
	save = p.i
	if p.peek() == '-' && p.i+1 < len(s) && isDigit(s[p.i+1]) {
		p.i++
		d, _ := p.digits()
		if v.post, err = number(d); err != nil {
			return Version{}, err
		}
		v.hasPost = true
	} else {
		p.optSep()
		if _, ok := p.word("post", "rev", "r"); ok {
			v.hasPost = true
			p.optSep()
			if d, ok := p.digits(); ok {
				if v.post, err = number(d); err != nil {
					return Version{}, err
				}
			}
		} else {
			p.i = save
		}
	}

	// Development release.
	save = p.i
	p.optSep()
	if _, ok := p.word("dev"); ok {
		v.hasDev = true
		p.optSep()
		if d, ok := p.digits(); ok {
			if v.dev, err = number(d); err != nil {
				return Version{}, err
			}
		}
	} else {
		p.i = save
	}

	// Local label.
	if p.peek() == '+' {
		p.i++
		start := p.i
		if !isAlnum(p.peek()) {
			return fail()
		}
		for p.i < len(s) {
			c := s[p.i]
			if isAlnum(c) {
				p.i++
				continue
			}
			if isSep(c) && p.i+1 < len(s) && isAlnum(s[p.i+1]) {
				p.i++
				continue
			}
			break
		}
		v.local = parseLocal(s[start:p.i])
	}
	if p.i != len(s) {
		return fail()
	}
	v.str = v.build()
	return v, nil
}

func parseLocal(s string) []localPart {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
	parts := make([]localPart, len(fields))
	for i, f := range fields {
		num := true
		for j := 0; j < len(f); j++ {
			if !isDigit(f[j]) {
				num = false
				break
			}
		}
		if num {
			f = strings.TrimLeft(f, "0")
			if f == "" {
				f = "0"
			}
		} else {
			f = strings.ToLower(f)
		}
		parts[i] = localPart{s: f, num: num}
	}
	return parts
}

func (v Version) build() string {
	var b strings.Builder
	if v.epoch != 0 {
		b.WriteString(strconv.Itoa(v.epoch))
		b.WriteByte('!')
	}
	v.writeRelease(&b)
	if v.pre != preNone {
		b.WriteString(preLabels[v.pre])
		b.WriteString(strconv.Itoa(v.preN))
	}
	if v.hasPost {
		b.WriteString(".post")
		b.WriteString(strconv.Itoa(v.post))
	}
	if v.hasDev {
		b.WriteString(".dev")
		b.WriteString(strconv.Itoa(v.dev))
	}
	if v.local != nil {
		b.WriteByte('+')
		b.WriteString(v.Local())
	}
	return b.String()
}

func (v Version) writeRelease(b *strings.Builder) {
	if len(v.release) == 0 {
		b.WriteByte('0')
		return
	}
	for i, n := range v.release {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
}

// rebuilt refreshes the cached text of a version derived inside the package.
func (v Version) rebuilt() Version {
	v.str = v.build()
	return v
}

// String returns the normalized form, e.g. "1!2.0rc1.post2.dev3+ubuntu.1".
func (v Version) String() string {
	if v.str != "" {
		return v.str
	}
	return v.build()
}

// Public returns the version without its local label.
func (v Version) Public() string {
	s := v.String()
	if i := strings.IndexByte(s, '+'); i >= 0 {
		return s[:i]
	}
	return s
}

// BaseVersion returns the epoch and release only, e.g. "1!2.0" for "1!2.0rc1+x".
func (v Version) BaseVersion() string {
	var b strings.Builder
	if v.epoch != 0 {
		b.WriteString(strconv.Itoa(v.epoch))
		b.WriteByte('!')
	}
	v.writeRelease(&b)
	return b.String()
}

// Local returns the normalized local label, or "" if there is none.
func (v Version) Local() string {
	if v.local == nil {
		return ""
	}
	var b strings.Builder
	for i, p := range v.local {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.s)
	}
	return b.String()
}

// Epoch returns the epoch (0 when not written).
func (v Version) Epoch() int { return v.epoch }

// Release returns a copy of the release numbers as written, trailing zeros included.
func (v Version) Release() []int {
	if len(v.release) == 0 {
		return []int{0}
	}
	return append([]int(nil), v.release...)
}

func (v *Version) releaseAt(i int) int {
	if i < len(v.release) {
		return v.release[i]
	}
	return 0
}

// Major returns the first release number.
func (v Version) Major() int { return v.releaseAt(0) }

// Minor returns the second release number, 0 when absent.
func (v Version) Minor() int { return v.releaseAt(1) }

// Micro returns the third release number, 0 when absent.
func (v Version) Micro() int { return v.releaseAt(2) }

// Pre returns the normalized pre-release label ("a", "b" or "rc") and number.
func (v Version) Pre() (label string, n int, ok bool) {
	if v.pre == preNone {
		return "", 0, false
	}
	return preLabels[v.pre], v.preN, true
}

// Post returns the post-release number.
func (v Version) Post() (int, bool) { return v.post, v.hasPost }

// Dev returns the development-release number.
func (v Version) Dev() (int, bool) { return v.dev, v.hasDev }

// IsPrerelease reports whether v is a pre-release or a development release.
func (v Version) IsPrerelease() bool { return v.pre != preNone || v.hasDev }

// IsPostrelease reports whether v has a post-release segment.
func (v Version) IsPostrelease() bool { return v.hasPost }

// IsDevrelease reports whether v has a development-release segment.
func (v Version) IsDevrelease() bool { return v.hasDev }

// Equal reports whether v and o are the same version under PEP 440 ordering
// (so "1.0" equals "1.0.0").
func (v Version) Equal(o Version) bool { return v.Compare(o) == 0 }

// Compare returns -1, 0 or +1 following packaging's ordering: epoch, release
// (trailing zeros ignored), pre-release (a dev-only release sorts before all
// pre-releases), post-release, dev-release, then local label.
func (v Version) Compare(o Version) int { return compareVersions(&v, &o) }

func compareVersions(a, b *Version) int {
	if c := cmpHead(a, b); c != 0 {
		return c
	}
	if c := cmpPostDev(a, b); c != 0 {
		return c
	}
	return cmpLocal(a.local, b.local)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpHead compares epoch, release and the pre-release key.
func cmpHead(a, b *Version) int {
	if c := cmpInt(a.epoch, b.epoch); c != 0 {
		return c
	}
	// Missing release numbers count as zeros, so "1.0" equals "1.0.0".
	ra, rb := a.release, b.release
	for i := 0; i < len(ra) || i < len(rb); i++ {
		var x, y int
		if i < len(ra) {
			x = ra[i]
		}
		if i < len(rb) {
			y = rb[i]
		}
		if x != y {
			return cmpInt(x, y)
		}
	}
	if c := cmpInt(a.preRank(), b.preRank()); c != 0 {
		return c
	}
	return cmpInt(a.preN, b.preN)
}

// preRank places a dev-only release (no pre, no post) below every
// pre-release and a final or post-release above them, like packaging's cmpkey.
func (v *Version) preRank() int {
	if v.pre == preNone {
		if !v.hasPost && v.hasDev {
			return 0
		}
		return 4
	}
	return int(v.pre)
}

func cmpPostDev(a, b *Version) int {
	// A missing post sorts first, a missing dev sorts last.
	if a.hasPost != b.hasPost {
		if a.hasPost {
			return 1
		}
		return -1
	}
	if c := cmpInt(a.post, b.post); c != 0 {
		return c
	}
	if a.hasDev != b.hasDev {
		if a.hasDev {
			return -1
		}
		return 1
	}
	return cmpInt(a.dev, b.dev)
}

func cmpLocal(a, b []localPart) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x.num != y.num {
			// Numeric pieces sort after alphanumeric ones.
			if x.num {
				return 1
			}
			return -1
		}
		if x.num {
			if c := cmpInt(len(x.s), len(y.s)); c != 0 {
				return c
			}
		}
		if c := strings.Compare(x.s, y.s); c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}

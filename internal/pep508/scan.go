package pep508

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The matchers below reproduce the regular expressions of packaging's _tokenizer.py by hand,
// including Python's Unicode notions of \s and \b, because Go's regexp has ASCII-only \s and \b
// and no backtracking. Each returns the end offset of its match at i, or -1.

// pyIsSpace is Python's str.isspace, which is what \s and str.strip() use on str patterns.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// isWordRune is Python's \w for str patterns: letters, numbers and the underscore.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

func wordBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

func wordAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// boundary is Python's \b at offset i.
func boundary(s string, i int) bool { return wordBefore(s, i) != wordAt(s, i) }

func skipPySpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !pyIsSpace(r) {
			break
		}
		i += n
	}
	return i
}

func trimPySpace(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// matchWS is the WS token: only spaces and tabs separate tokens, never line breaks.
func matchWS(s string, i int) int {
	j := i
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// matchWord is \bword\b.
func matchWord(s string, i int, word string) int {
	if !strings.HasPrefix(s[i:], word) || !boundary(s, i) || !boundary(s, i+len(word)) {
		return -1
	}
	return i + len(word)
}

func isAlnumASCII(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

// matchIdentifier is \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b, so a name ends on a letter, digit or "_"
// when followed by punctuation: "name-" matches "name".
func matchIdentifier(s string, i int) int {
	if i >= len(s) || !isAlnumASCII(s[i]) || wordBefore(s, i) {
		return -1
	}
	j := i + 1
	for j < len(s) && (isAlnumASCII(s[j]) || isSep(s[j])) {
		j++
	}
	for ; j > i; j-- {
		if boundary(s, j) {
			return j
		}
	}
	return -1
}

// variableNames are the VARIABLE token's alternatives, dotted PEP 345 spellings included.
var variableNames = []string{
	"python_version", "python_full_version",
	"os_name", "os.name", "sys_platform", "sys.platform",
	"platform_release", "platform_system",
	"platform_version", "platform.version",
	"platform_machine", "platform.machine",
	"platform_python_implementation", "platform.python_implementation",
	"python_implementation",
	"implementation_name", "implementation_version",
	"extras", "extra", "dependency_groups",
}

// matchVariable returns the canonical variable name (dots become underscores and the setuptools
// spelling python_implementation becomes platform_python_implementation) and the match end.
func matchVariable(s string, i int) (string, int) {
	if !boundary(s, i) {
		return "", -1
	}
	for _, name := range variableNames {
		if j := matchWord(s, i, name); j >= 0 {
			name = strings.ReplaceAll(name, ".", "_")
			if name == "python_implementation" {
				name = "platform_python_implementation"
			}
			return name, j
		}
	}
	return "", -1
}

// matchQuoted is '[^']*' | "[^"]*": no escapes are recognised when finding the end, which is
// why "C:\" is a complete token that then fails to decode.
func matchQuoted(s string, i int) int {
	if i >= len(s) || s[i] != '\'' && s[i] != '"' {
		return -1
	}
	k := strings.IndexByte(s[i+1:], s[i])
	if k < 0 {
		return -1
	}
	return i + 1 + k + 1
}

// markerOps is the OP token in its alternation order.
var markerOps = []string{"===", "==", "~=", "!=", "<=", ">=", "<", ">"}

func matchOp(s string, i int) (string, int) {
	for _, op := range markerOps {
		if strings.HasPrefix(s[i:], op) {
			return op, i + len(op)
		}
	}
	return "", -1
}

func hasPrefixFold(s string, i int, lit string) bool {
	if len(s)-i < len(lit) {
		return false
	}
	for k := 0; k < len(lit); k++ {
		c := s[i+k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[k] {
			return false
		}
	}
	return true
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func alnums(s string, i int) int {
	for i < len(s) && isAlnumASCII(s[i]) {
		i++
	}
	return i
}

type specKind int

const (
	specEquality   specKind = iota // == and !=: wildcards and local versions allowed
	specCompatible                 // ~=: two or more release segments
	specOrdered                    // <= >= < >
)

// matchSpecifier is packaging's Specifier._specifier_regex_str (VERBOSE, IGNORECASE) at i: one
// operator and its version. Letters match ASCII case-insensitively; Python would also fold a few
// non-ASCII letters (U+017F, U+212A) in the ~= branch, which no real specifier contains.
func matchSpecifier(s string, i int) int {
	switch {
	case strings.HasPrefix(s[i:], "==="):
		j := skipPySpace(s, i+3)
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if pyIsSpace(r) || r == ';' || r == ')' {
				break
			}
			j += n
		}
		return j
	case strings.HasPrefix(s[i:], "=="), strings.HasPrefix(s[i:], "!="):
		return matchVersion(s, skipPySpace(s, i+2), specEquality)
	case strings.HasPrefix(s[i:], "~="):
		return matchVersion(s, skipPySpace(s, i+2), specCompatible)
	case strings.HasPrefix(s[i:], "<="), strings.HasPrefix(s[i:], ">="):
		return matchVersion(s, skipPySpace(s, i+2), specOrdered)
	case strings.HasPrefix(s[i:], "<"), strings.HasPrefix(s[i:], ">"):
		return matchVersion(s, skipPySpace(s, i+1), specOrdered)
	}
	return -1
}

func matchVersion(s string, j int, kind specKind) int {
	if j < len(s) && (s[j] == 'v' || s[j] == 'V') {
		j++
	}
	// The epoch is optional and greedy, but is given back when no release follows it.
	if k := digits(s, j); k > j && k < len(s) && s[k] == '!' && digits(s, k+1) > k+1 {
		j = k + 1
	}
	k := digits(s, j)
	if k == j {
		return -1
	}
	j = k
	dots := 0
	for j < len(s) && s[j] == '.' {
		d := digits(s, j+1)
		if d == j+1 {
			break
		}
		j = d
		dots++
	}
	if kind == specCompatible && dots == 0 {
		return -1
	}
	if kind == specEquality && strings.HasPrefix(s[j:], ".*") {
		return j + 2
	}
	j = matchPre(s, j)
	j = matchPost(s, j)
	j = matchDev(s, j)
	if kind == specEquality && j < len(s) && s[j] == '+' {
		if k := alnums(s, j+1); k > j+1 {
			j = k
			for j+1 < len(s) && isSep(s[j]) && isAlnumASCII(s[j+1]) {
				j = alnums(s, j+1)
			}
		}
	}
	return j
}

var preLetters = []string{"alpha", "beta", "preview", "pre", "a", "b", "c", "rc"}
var postLetters = []string{"post", "rev", "r"}

func matchLetters(s string, i int, alts []string) int {
	for _, a := range alts {
		if hasPrefixFold(s, i, a) {
			return i + len(a)
		}
	}
	return -1
}

// matchLabel is [-_.]?(letters)[-_.]?[0-9]*, the shape of pre, post and dev segments.
func matchLabel(s string, j int, alts []string) int {
	k := -1
	if j < len(s) && isSep(s[j]) {
		k = matchLetters(s, j+1, alts)
	}
	if k < 0 {
		k = matchLetters(s, j, alts)
	}
	if k < 0 {
		return j
	}
	if k < len(s) && isSep(s[k]) {
		k++
	}
	return digits(s, k)
}

func matchPre(s string, j int) int { return matchLabel(s, j, preLetters) }

func matchPost(s string, j int) int {
	if j+1 < len(s) && s[j] == '-' && s[j+1] >= '0' && s[j+1] <= '9' {
		return digits(s, j+1)
	}
	return matchLabel(s, j, postLetters)
}

func matchDev(s string, j int) int { return matchLabel(s, j, []string{"dev"}) }

// matchLocalTrail is VERSION_LOCAL_LABEL_TRAIL, which (unlike SPECIFIER) is case-sensitive.
func matchLocalTrail(s string, i int) int {
	if i >= len(s) || s[i] != '+' {
		return -1
	}
	isLowerAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	j := i + 1
	for j < len(s) && isLowerAlnum(s[j]) {
		j++
	}
	if j == i+1 {
		return -1
	}
	for j+1 < len(s) && isSep(s[j]) && isLowerAlnum(s[j+1]) {
		j += 2
		for j < len(s) && isLowerAlnum(s[j]) {
			j++
		}
	}
	return j
}

// splitSpecifier separates a matched specifier into operator and version, dropping the
// whitespace packaging allows between them, so pep440 only ever sees "op" + "version".
func splitSpecifier(text string) (op, version string) {
	switch {
	case strings.HasPrefix(text, "==="):
		op = "==="
	case len(text) >= 2 && (text[1] == '=' && strings.ContainsRune("=!~<>", rune(text[0]))):
		op = text[:2]
	default:
		op = text[:1]
	}
	return op, trimPySpace(text[len(op):])
}

// decodePyString evaluates a quoted token as ast.literal_eval does a Python str literal.
// ok is false where Python raises: a line break or NUL inside the quotes, an escaped closing
// quote, or a malformed \x, \u, \U escape. \N{name} escapes are rejected too, as Go has no
// Unicode name table; Python would accept them.
func decodePyString(tok string) (string, bool) {
	body := tok[1 : len(tok)-1]
	if strings.IndexByte(body, '\\') < 0 && strings.IndexAny(body, "\x00\n\r") < 0 {
		return body, true
	}
	var b strings.Builder
	for i := 0; i < len(body); {
		c := body[i]
		switch c {
		case 0, '\n', '\r':
			return "", false
		case '\\':
		default:
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(body) {
			// The backslash escapes the closing quote, so the literal never ends.
			return "", false
		}
		e := body[i+1]
		i += 2
		switch e {
		case '\n':
		case '\r':
			if i < len(body) && body[i] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(e - '0')
			for n := 1; n < 3 && i < len(body) && body[i] >= '0' && body[i] <= '7'; n++ {
				v = v*8 + int(body[i]-'0')
				i++
			}
			b.WriteRune(rune(v))
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(body) {
				return "", false
			}
			v, err := strconv.ParseUint(body[i:i+n], 16, 32)
			if err != nil || strings.ContainsAny(body[i:i+n], "+-") || v > unicode.MaxRune {
				return "", false
			}
			// A lone surrogate is legal in Python but not representable in UTF-8; WriteRune
			// stores U+FFFD for it.
			b.WriteRune(rune(v))
			i += n
		case 'N':
			return "", false
		default:
			// Unknown escapes keep their backslash (Python only warns).
			b.WriteByte('\\')
			i--
		}
	}
	return b.String(), true
}

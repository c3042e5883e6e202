// Package wheel reads wheel file names, compatibility tags, core metadata and wheel archives safely, and maps a
// wheel's entries to site-packages paths; it is hand-written because deps.dev/util/pypi has no safe install
// mapping or verification and its METADATA parser accepts less than real wheels contain.
package wheel

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
)

// maxTags bounds the expansion of a compressed tag set. Each dot multiplies the product, so a hostile file
// name of a few hundred bytes could otherwise ask for billions of tags; real wheels carry a handful.
const maxTags = 1024

// Tag is one PEP 425 compatibility tag, lower-cased.
type Tag struct{ Python, ABI, Platform string }

// String returns the tag as "python-abi-platform".
func (t Tag) String() string { return t.Python + "-" + t.ABI + "-" + t.Platform }

// interpreterRE is what packaging accepts for the interpreter part ("py3", "cp312", "graalpy311",
// "_custom"): a version-only part like "2" or "2.7.6" is the telltale of a misparsed file name.
var interpreterRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// TagError reports a compressed tag set that cannot be parsed.
type TagError struct {
	Tag    string
	Reason string
}

func (e *TagError) Error() string { return fmt.Sprintf("invalid tag %q: %s", e.Tag, e.Reason) }

// ParseTags expands a compressed tag set ("py2.py3-none-any") into its tags, in file-name order with
// duplicates removed. Parts are lower-cased, as packaging does.
func ParseTags(compressed string) ([]Tag, error) {
	parts := strings.Split(compressed, "-")
	if len(parts) != 3 {
		return nil, &TagError{compressed, fmt.Sprintf("want exactly three components, got %d", len(parts))}
	}
	var sets [3][]string
	total := 1
	for i, p := range parts {
		for _, s := range strings.Split(strings.ToLower(p), ".") {
			if s == "" {
				return nil, &TagError{compressed, "empty component"}
			}
			if r := badTagRune(s); r >= 0 {
				return nil, &TagError{compressed, fmt.Sprintf("invalid character %q", r)}
			}
			if i == 0 && !interpreterRE.MatchString(s) {
				return nil, &TagError{compressed, fmt.Sprintf("invalid interpreter %q", s)}
			}
			sets[i] = append(sets[i], s)
		}
		// Check the running product after each part so it can never overflow.
		total *= len(sets[i])
		if total > maxTags {
			return nil, &TagError{compressed, fmt.Sprintf("more than %d tags", maxTags)}
		}
	}
	tags := make([]Tag, 0, total)
	seen := make(map[Tag]bool, total)
	for _, py := range sets[0] {
		for _, abi := range sets[1] {
			for _, plat := range sets[2] {
				t := Tag{py, abi, plat}
				if !seen[t] {
					seen[t] = true
					tags = append(tags, t)
				}
			}
		}
	}
	return tags, nil
}

// badTagRune returns the first rune that has no business in a tag, or -1. packaging checks only the
// interpreter; we also keep ABI and platform to [a-z0-9_] (every real tag fits) so a file name cannot smuggle
// path separators or control characters into caches and messages.
func badTagRune(s string) rune {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return r
		}
	}
	return -1
}

// Filename is a parsed PEP 427 wheel file name.
type Filename struct {
	Name    string // PEP 503-normalized project name ("pydantic-core")
	Version string // as in the file name
	Build   string // "" if none
	Tags    []Tag  // expanded
	Raw     string // the file name
}

// BuildNumber splits the build tag into its leading number and the rest, which is how installers order
// otherwise equal wheels. It returns (0, "") when there is no build tag.
func (f Filename) BuildNumber() (int64, string) {
	i := 0
	for i < len(f.Build) && f.Build[i] >= '0' && f.Build[i] <= '9' {
		i++
	}
	n, _ := strconv.ParseInt(f.Build[:i], 10, 64) // ParseFilename bounded the digits
	return n, f.Build[i:]
}

// FilenameError reports a file name that is not a valid wheel file name.
type FilenameError struct {
	Filename string
	Reason   string
}

func (e *FilenameError) Error() string {
	return fmt.Sprintf("invalid wheel file name %q: %s", e.Filename, e.Reason)
}

// pep440RE is the canonical PEP 440 version pattern (packaging's VERSION_PATTERN), anchored. Wheel names
// carry the version unnormalized ("1.0_beta"), so the whole pattern is needed, not only the canonical form.
var pep440RE = regexp.MustCompile(`(?i)^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` +
	`(?:[-_.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_.]?[0-9]*)?` +
	`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?` +
	`(?:[-_.]?dev[-_.]?[0-9]*)?` +
	`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$`)

// ValidVersion reports whether v is a PEP 440 version in any of its accepted spellings.
func ValidVersion(v string) bool { return pep440RE.MatchString(v) }

// buildRE: a build tag starts with a digit (PEP 427). The 18-digit cap keeps the number in an int64.
var buildRE = regexp.MustCompile(`^[0-9]{1,18}(?:[A-Za-z_.][A-Za-z0-9_.]*)?$`)

// ParseFilename parses a wheel file name: {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl.
func ParseFilename(fn string) (Filename, error) {
	bad := func(format string, args ...any) (Filename, error) {
		return Filename{}, &FilenameError{fn, fmt.Sprintf(format, args...)}
	}
	stem, ok := strings.CutSuffix(fn, ".whl")
	if !ok {
		return bad("does not end in .whl")
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return bad("want 5 or 6 dash-separated fields, got %d", len(parts))
	}
	name := parts[0]
	if reason := badDistName(name); reason != "" {
		return bad("project name %q: %s", name, reason)
	}
	f := Filename{Name: NormalizeName(name), Version: parts[1], Raw: fn}
	if !ValidVersion(f.Version) {
		return bad("version %q is not a PEP 440 version", f.Version)
	}
	if len(parts) == 6 {
		f.Build = parts[2]
		if !buildRE.MatchString(f.Build) {
			return bad("build tag %q must be digits followed by letters, digits, '_' or '.'", f.Build)
		}
	}
	tags, err := ParseTags(strings.Join(parts[len(parts)-3:], "-"))
	if err != nil {
		var te *TagError
		if errors.As(err, &te) {
			return bad("tag %q: %s", te.Tag, te.Reason)
		}
		return bad("%v", err)
	}
	f.Tags = tags
	return f, nil
}

// badDistName applies packaging's rule for the escaped name in a file name: word characters and dots, no
// "__" (escaping never produces it). Unicode letters are allowed, as packaging's \w does.
func badDistName(name string) string {
	switch {
	case name == "":
		return "empty"
	case !utf8.ValidString(name):
		return "not valid UTF-8"
	case strings.Contains(name, "__"):
		return `contains "__"`
	}
	for _, r := range name {
		if !(r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsNumber(r)) {
			return fmt.Sprintf("invalid character %q", r)
		}
	}
	return ""
}

// NormalizeName returns the PEP 503 normalized form of a project or extra name: lower case, each run of
// "-", "_" and "." replaced by one "-".
func NormalizeName(name string) string { return pep508.NormalizeName(name) }

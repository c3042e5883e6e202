package layer

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Rule is one exclude glob over site-packages paths ("**/tests/**", "**/*.pyi"): `**` matches any number
// of directories, `*` and `?` stay within one path element, `{a,b}` and `[…]` as in doublestar. It
// matches file paths relative to site-packages, never directories.
type Rule struct {
	Pattern string
	// Origin is where the rule was written ("lambda-layers.yml:12"), for messages.
	Origin string
}

// RuleSaving is what one exclude rule removed. A file matched by several rules counts for the first.
type RuleSaving struct {
	Pattern       string          `json:"pattern"`
	Origin        string          `json:"origin,omitempty"`
	Files         int             `json:"files"`
	UnzippedBytes int64           `json:"unzipped_bytes"`
	ZippedBytes   int64           `json:"zipped_bytes"`       // compressed data and zip headers not written
	Packages      []PackageSaving `json:"packages,omitempty"` // sorted by name
}

// PackageSaving is what one rule removed from one package.
type PackageSaving struct {
	Name          string `json:"name"`
	Files         int    `json:"files"`
	UnzippedBytes int64  `json:"unzipped_bytes"`
	ZippedBytes   int64  `json:"zipped_bytes"`
}

// ProtectedError is an exclude rule that would remove a file importlib.metadata needs.
type ProtectedError struct {
	Rule    Rule
	Package string
	Path    string // relative to site-packages
}

func (e *ProtectedError) Error() string {
	at := ""
	if e.Rule.Origin != "" {
		at = e.Rule.Origin + ": "
	}
	return fmt.Sprintf("%sexclude %q would remove %s from %s; METADATA, RECORD, WHEEL, entry_points.txt and top_level.txt of a .dist-info must stay (importlib.metadata reads them): narrow the pattern, e.g. add a directory before it",
		at, e.Rule.Pattern, e.Path, e.Package)
}

// protected reports whether p (relative to site-packages) is a .dist-info file that must stay.
func protected(p string) bool {
	dir, base := path.Split(p)
	if strings.Count(dir, "/") != 1 || !strings.HasSuffix(dir, ".dist-info/") {
		return false
	}
	switch base {
	case "METADATA", "RECORD", "WHEEL", "entry_points.txt", "top_level.txt":
		return true
	}
	return false
}

// CheckRules checks rules before any build: each must be a valid relative glob, and none may match a
// .dist-info's protected files by its pattern alone ("**" or "*.dist-info/**" would). Write checks the
// real files again.
func CheckRules(rules []Rule) error {
	if err := checkRules(rules); err != nil {
		return err
	}
	for _, r := range rules {
		for _, f := range []string{"METADATA", "RECORD", "WHEEL", "entry_points.txt", "top_level.txt"} {
			p := "pkg-1.0.dist-info/" + f
			if ok, _ := doublestar.Match(r.Pattern, p); ok {
				return &ProtectedError{Rule: r, Package: "every package", Path: "*.dist-info/" + f}
			}
		}
	}
	return nil
}

// checkRules rejects a pattern doublestar cannot parse, naming where it was written.
func checkRules(rules []Rule) error {
	for _, r := range rules {
		if r.Pattern == "" || !doublestar.ValidatePattern(r.Pattern) || strings.HasPrefix(r.Pattern, "/") {
			at := ""
			if r.Origin != "" {
				at = r.Origin + ": "
			}
			return fmt.Errorf("%sexclude %q is not a valid relative glob (use / between directories, ** for any depth)", at, r.Pattern)
		}
	}
	return nil
}

// excluder matches one package's files against the rules and records the first protected hit.
type excluder struct {
	rules []Rule
	pkg   string
	err   error
}

const excludedPrefix = "excluded by "

func (x *excluder) match(p string) (string, bool) {
	for i, r := range x.rules {
		ok, _ := doublestar.Match(r.Pattern, p) // patterns were validated
		if !ok {
			continue
		}
		if protected(p) {
			if x.err == nil {
				x.err = &ProtectedError{Rule: r, Package: x.pkg, Path: p}
			}
			return "", false
		}
		return fmt.Sprintf("%s%d", excludedPrefix, i), true
	}
	return "", false
}

// ruleIndex returns the rule index an Install reason names, or -1.
func ruleIndex(reason string) int {
	s, ok := strings.CutPrefix(reason, excludedPrefix)
	if !ok {
		return -1
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// addSaving counts one excluded file against its rule and package.
func addSaving(s *RuleSaving, pkg string, files int, unzipped, zipped int64) {
	s.Files += files
	s.UnzippedBytes += unzipped
	s.ZippedBytes += zipped
	i, found := slices.BinarySearchFunc(s.Packages, pkg, func(p PackageSaving, name string) int { return cmp.Compare(p.Name, name) })
	if !found {
		s.Packages = slices.Insert(s.Packages, i, PackageSaving{Name: pkg})
	}
	p := &s.Packages[i]
	p.Files += files
	p.UnzippedBytes += unzipped
	p.ZippedBytes += zipped
}

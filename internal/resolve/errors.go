package resolve

import (
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/target"
)

// Rejection is a version that the requirements allow but that cannot be installed, and why.
type Rejection struct {
	Version, Reason string
}

// Demand is one requirement in an explanation, with the chain of requirements that led to it.
type Demand struct {
	Requirement string // "c==2.0"
	// Origin is the user's requirement at the start of the chain: "requirements.txt:2".
	Origin string
	// Chain is the user's requirement as written, then each package between it and Requirement:
	// ["b>=1", "b 1.0"]. Empty when Requirement is the user's own.
	Chain []string
}

// String renders "requirements.txt:2: b>=1 → b 1.0 requires c==2.0", or "requirements.txt:3: c>=3".
func (d Demand) String() string {
	o := d.Origin
	if o == "" {
		o = "?"
	}
	if len(d.Chain) == 0 {
		return o + ": " + d.Requirement
	}
	return o + ": " + strings.Join(d.Chain, " → ") + " requires " + d.Requirement
}

// NoVersionError says no version of a package can be installed on the target: none exists that the
// requirements allow, or every one that does lacks a wheel the target loads (or is yanked, or needs
// another Python).
type NoVersionError struct {
	Package  string
	Target   target.Target
	Demands  []Demand
	Rejected []Rejection // the versions the requirements allow, newest first, and why each fails
	// Versions are what the index has that the target could load, newest first, when the
	// requirements allow none of them.
	Versions []string
	NotFound string // the index's answer when it lists no such project
	Other    []string
	Hint     string
	Also     []string // other conflicts found on the way, one line each
	Root     string   // the user's requirement this comes from ("requirements.txt:2")
	Path     []string // packages between Root and Package
}

func (e *NoVersionError) Error() string {
	var b strings.Builder
	w := where(e.Root, e.Path)
	switch {
	case e.NotFound != "":
		fmt.Fprintf(&b, "%s: %s: %s; check the name, or add the index that has it with --extra-index-url", w, e.Package, e.NotFound)
	case len(e.Rejected) == 0 && len(e.Versions) == 0:
		fmt.Fprintf(&b, "%s: no version of %s matches %s, and the index lists none that %s loads", w, e.Package, demandsText(e.Demands), e.Target)
	case len(e.Rejected) == 0:
		fmt.Fprintf(&b, "%s: no version of %s matches %s (the index has %s for %s)", w, e.Package, demandsText(e.Demands), versionList(e.Versions), e.Target)
	default:
		fmt.Fprintf(&b, "%s: no version of %s can be installed on %s:", w, e.Package, e.Target)
		writeRejected(&b, e.Package, e.Rejected)
		if mentionsNoWheel(e.Rejected) {
			fmt.Fprintf(&b, "\n  %s loads %s", e.Target, e.Target.Summary())
		}
	}
	if len(e.Demands) > 1 {
		b.WriteString("\n  wanted by:")
		for _, d := range e.Demands {
			b.WriteString("\n    " + d.String())
		}
	}
	writeTail(&b, e.Hint, e.Also)
	return b.String()
}

// ConflictError says the requirements on a package cannot all hold at once: each allows some version,
// no version satisfies them all.
type ConflictError struct {
	Package  string
	Target   target.Target
	Demands  []Demand
	Versions []string // the versions the target loads, newest first
	// Rejected are versions that would satisfy every requirement but cannot be installed.
	Rejected []Rejection
	Hint     string
	Also     []string
	Root     string // the first demand's origin
	Path     []string
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "conflicting requirements on %s for %s:", e.Package, e.Target)
	for _, d := range e.Demands {
		b.WriteString("\n  " + d.String())
	}
	if len(e.Rejected) > 0 {
		fmt.Fprintf(&b, "\n  every version of %s that satisfies all of them fails on %s:", e.Package, e.Target)
		writeRejected(&b, e.Package, e.Rejected)
	} else if len(e.Versions) > 0 {
		fmt.Fprintf(&b, "\n  no version of %s satisfies all of them (the index has %s for %s)", e.Package, versionList(e.Versions), e.Target)
	} else {
		fmt.Fprintf(&b, "\n  no version of %s satisfies all of them", e.Package)
	}
	writeTail(&b, e.Hint, e.Also)
	return b.String()
}

// ProjectError says the index could not answer for a package.
type ProjectError struct {
	Package      string
	Requirements []string
	Err          error
	Root         string
	Path         []string
}

func (e *ProjectError) Error() string {
	if len(e.Requirements) == 0 {
		return fmt.Sprintf("%s: %s: %v", where(e.Root, e.Path), e.Package, e.Err)
	}
	return fmt.Sprintf("%s: %s (wanted as %s): %v", where(e.Root, e.Path), e.Package, strings.Join(e.Requirements, ", "), e.Err)
}

func (e *ProjectError) Unwrap() error { return e.Err }

// where renders "requirements.txt:2" or, for a dependency, "requirements.txt:2 (via needs-sdist 1.0)".
func where(root string, path []string) string {
	if root == "" {
		root = "?"
	}
	if len(path) == 0 {
		return root
	}
	return root + " (via " + strings.Join(path, " → ") + ")"
}

func writeRejected(b *strings.Builder, pkg string, rs []Rejection) {
	const shown = 6
	for i, r := range rs {
		if i == shown {
			fmt.Fprintf(b, "\n  … and %d older versions", len(rs)-shown)
			break
		}
		fmt.Fprintf(b, "\n  %s %s: %s", pkg, r.Version, r.Reason)
	}
}

func writeTail(b *strings.Builder, hint string, also []string) {
	if hint != "" {
		b.WriteString("\n  hint: " + hint)
	}
	for _, a := range also {
		b.WriteString("\n  also: " + a)
	}
}

func mentionsNoWheel(rs []Rejection) bool {
	for _, r := range rs {
		if strings.HasPrefix(r.Reason, "no wheel for") {
			return true
		}
	}
	return false
}

func demandsText(ds []Demand) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Requirement
	}
	return strings.Join(uniq(parts), " and ")
}

func uniq(s []string) []string {
	var out []string
	for _, v := range s {
		out = appendUnique(out, v)
	}
	return out
}

func versionList(vs []string) string {
	const shown = 6
	if len(vs) > shown {
		return strings.Join(vs[:shown], ", ") + fmt.Sprintf(" and %d older", len(vs)-shown)
	}
	return strings.Join(vs, ", ")
}

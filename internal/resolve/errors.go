package resolve

import (
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/target"
)

// Rejection is a version that matched the requirements but cannot be installed, and why.
type Rejection struct {
	Version, Reason string
}

// NoVersionError says no version of a package can be installed on the target.
type NoVersionError struct {
	Package      string
	Target       target.Target
	Requirements []Requirement
	Rejected     []Rejection
	Other        []string // index files that were not usable at all
	Root         string   // the user's requirement this comes from ("requirements.txt:2")
	Path         []string // packages between Root and Package
}

func (e *NoVersionError) Error() string {
	var b strings.Builder
	if len(e.Rejected) == 0 {
		fmt.Fprintf(&b, "%s: no version of %s matches %s", where(e.Root, e.Path), e.Package, joinReqs(e.Requirements))
		return b.String()
	}
	if len(e.Rejected) == 1 {
		fmt.Fprintf(&b, "%s: %s %s: %s", where(e.Root, e.Path), e.Package, e.Rejected[0].Version, e.Rejected[0].Reason)
	} else {
		fmt.Fprintf(&b, "%s: no version of %s can be installed on %s (wanted by %s):", where(e.Root, e.Path), e.Package, e.Target, joinReqs(e.Requirements))
		for i, r := range e.Rejected {
			if i == 5 {
				fmt.Fprintf(&b, "\n  … and %d older versions", len(e.Rejected)-5)
				break
			}
			fmt.Fprintf(&b, "\n  %s %s: %s", e.Package, r.Version, r.Reason)
		}
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("\n  hint: " + hint)
	}
	return b.String()
}

func (e *NoVersionError) hint() string {
	for _, r := range e.Rejected {
		if strings.Contains(r.Reason, "no wheel for") && e.Target.GlibcMinor < 34 && strings.Contains(r.Reason, "manylinux_2_") {
			return "a newer runtime (python3.12+, glibc 2.34) may load these wheels, or pin an older version that ships manylinux2014 wheels"
		}
		if strings.HasPrefix(r.Reason, "only an sdist") {
			return "pin a version that publishes wheels, or build a wheel yourself and serve it from an extra index"
		}
	}
	return ""
}

// ConflictError says two requirements on one package cannot both hold.
type ConflictError struct {
	Package      string
	Chosen       string
	Requirements []Requirement
	Root         string
	Path         []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: conflicting requirements on %s: %s (chose %s before the last one was seen)",
		where(e.Root, e.Path), e.Package, joinReqs(e.Requirements), e.Chosen)
}

// ProjectError says the index could not answer for a package.
type ProjectError struct {
	Package      string
	Requirements []Requirement
	Err          error
	Root         string
	Path         []string
}

func (e *ProjectError) Error() string {
	return fmt.Sprintf("%s: %s (wanted by %s): %v", where(e.Root, e.Path), e.Package, joinReqs(e.Requirements), e.Err)
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

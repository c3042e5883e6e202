// Package pep508 parses PEP 508 requirement strings and evaluates environment markers for a
// target environment, following packaging 26.x; it is hand-written because
// deps.dev/util/pypi.ParseDependency parses neither markers nor URLs and no Go library evaluates
// markers for an arbitrary environment.
package pep508

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Env holds marker variables by their PEP 508 names (os_name, sys_platform, platform_machine,
// python_version, python_full_version, implementation_name, implementation_version,
// platform_python_implementation, platform_release, platform_system, platform_version, extra).
// Nothing is filled in from the host: a variable the marker reads and Env lacks is an error.
type Env map[string]string

var (
	// ErrUndefinedComparison is packaging's UndefinedComparison: the operator has no meaning for
	// the operands (for example ~= on os_name, or a set-valued variable on the left).
	ErrUndefinedComparison = errors.New("undefined comparison")
	// ErrUndefinedEnvironmentName is packaging's UndefinedEnvironmentName: the marker reads a
	// variable the environment does not define.
	ErrUndefinedEnvironmentName = errors.New("undefined environment name")
)

// SyntaxError says why and where a requirement or marker string does not parse. Reason keeps
// packaging's wording where packaging has one, so messages can be compared with pip's.
type SyntaxError struct {
	Input  string
	Reason string
	// Start and End are byte offsets into Input of the offending span; End is where packaging
	// puts its caret.
	Start, End int
}

// Column is the 1-based character column of the caret.
func (e *SyntaxError) Column() int { return column(e.Input, e.End) }

func column(s string, off int) int { return utf8.RuneCountInString(s[:off]) + 1 }

func (e *SyntaxError) Error() string {
	r := e.Reason
	if r != "" && r[0] >= 'A' && r[0] <= 'Z' {
		r = string(r[0]+'a'-'A') + r[1:]
	}
	return fmt.Sprintf("%s at column %d", r, e.Column())
}

// Caret renders packaging's two-line pointer (source line, then "~~~^") for the error.
func (e *SyntaxError) Caret() string {
	pad := utf8.RuneCountInString(e.Input[:e.Start])
	width := utf8.RuneCountInString(e.Input[e.Start:e.End])
	return "    " + e.Input + "\n    " + strings.Repeat(" ", pad) + strings.Repeat("~", width) + "^"
}

// NormalizeName is PEP 503 name normalization (runs of "-", "_" and "." become one "-", then
// lowercase). PEP 685 applies the same rule to extras.
func NormalizeName(s string) string {
	// Fast path: most names on the hot path (resolver keys) are already normalized.
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c >= utf8.RuneSelf ||
			c == '-' && i+1 < len(s) && (s[i+1] == '-' || s[i+1] == '_' || s[i+1] == '.') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteRune(r)
	}
	if sep {
		b.WriteByte('-')
	}
	return strings.ToLower(b.String())
}

package lockfile

import (
	"fmt"
	"strings"
)

// PoetryConstraint translates a Poetry version constraint ("^1.2", "~1.2.3", ">=1,<2", "1.2.*",
// "*") into a PEP 440 specifier set, as poetry-core does. Unions ("||") have no PEP 440 form and
// are an error.
func PoetryConstraint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "|") {
		return "", fmt.Errorf("%q: a union (||) has no PEP 440 equivalent; write it as a [project] dependency with a marker, or as one range", s)
	}
	if s == "" || s == "*" {
		return "", nil
	}
	var out []string
	// Poetry separates clauses with commas or spaces; an operator may be followed by a space.
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	for i := 0; i < len(fields); i++ {
		c := fields[i]
		if isOperator(c) && i+1 < len(fields) {
			c += fields[i+1]
			i++
		}
		spec, err := poetryClause(c)
		if err != nil {
			return "", fmt.Errorf("%q: %w", s, err)
		}
		if spec != "" {
			out = append(out, spec)
		}
	}
	return strings.Join(out, ","), nil
}

func isOperator(s string) bool {
	switch s {
	case "^", "~", "~=", "==", "!=", ">=", "<=", ">", "<", "=", "===":
		return true
	}
	return false
}

func poetryClause(c string) (string, error) {
	switch {
	case c == "*":
		return "", nil
	case strings.HasPrefix(c, "^"):
		return caret(strings.TrimSpace(c[1:]))
	case strings.HasPrefix(c, "~="):
		return "~=" + strings.TrimSpace(c[2:]), nil
	case strings.HasPrefix(c, "~"):
		return tilde(strings.TrimSpace(c[1:]))
	case strings.HasPrefix(c, "==="), strings.HasPrefix(c, "=="), strings.HasPrefix(c, "!="),
		strings.HasPrefix(c, ">="), strings.HasPrefix(c, "<="), strings.HasPrefix(c, ">"), strings.HasPrefix(c, "<"):
		return c, nil
	case strings.HasPrefix(c, "="):
		return "=" + c, nil
	}
	if c == "" || c[0] < '0' || c[0] > '9' {
		return "", fmt.Errorf("%q is not a version constraint", c)
	}
	return "==" + c, nil
}

// release splits the release numbers of a version; the rest (pre, post, dev) is ignored for bounds.
func release(v string) ([]int, error) {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	end := len(v)
	for i, r := range v {
		if (r < '0' || r > '9') && r != '.' {
			end = i
			break
		}
	}
	parts := strings.Split(strings.TrimSuffix(v[:end], "."), ".")
	var out []int
	for _, p := range parts {
		n := atoi(p)
		if p == "" || n < 0 {
			return nil, fmt.Errorf("%q is not a version", v)
		}
		out = append(out, n)
	}
	return out, nil
}

func join(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ".")
}

// caret: ^1.2.3 → >=1.2.3,<2.0.0; ^0.2.3 → <0.3.0; ^0.0.3 → <0.0.4; ^0.0 → <0.1; ^0 → <1.
func caret(v string) (string, error) {
	r, err := release(v)
	if err != nil {
		return "", err
	}
	i := 0
	for i < len(r)-1 && r[i] == 0 {
		i++
	}
	upper := make([]int, i+1)
	copy(upper, r[:i])
	upper[i] = r[i] + 1
	for len(upper) < len(r) {
		upper = append(upper, 0)
	}
	return ">=" + v + ",<" + join(upper), nil
}

// tilde: ~1.2.3 → >=1.2.3,<1.3.0; ~1.2 → <1.3; ~1 → <2.
func tilde(v string) (string, error) {
	r, err := release(v)
	if err != nil {
		return "", err
	}
	upper := []int{r[0] + 1}
	if len(r) > 1 {
		upper = []int{r[0], r[1] + 1}
	}
	for len(upper) < len(r) {
		upper = append(upper, 0)
	}
	return ">=" + v + ",<" + join(upper), nil
}

// poetryConstraint is PoetryConstraint for lock-level python-versions.
func poetryConstraint(s string) (string, error) { return PoetryConstraint(s) }

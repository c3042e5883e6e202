package requirements

import (
	"regexp"
	"strings"
)

// tomlKey is a TOML assignment of a string, array or table ("name = \"x\"", "wheels = ["): never a
// requirement line, where a lone "=" is no operator. tomlScalar ("version = 1") could be a mistyped
// pin, so it counts only in a file that also has a [table] line.
var (
	tomlKey    = regexp.MustCompile(`^[A-Za-z0-9_.-]+\s*=\s*["'\[{]`)
	tomlScalar = regexp.MustCompile(`^[A-Za-z0-9_.-]+\s*=\s*[0-9tf]`)
	tomlTable  = regexp.MustCompile(`(?m)^\s*\[\[?[A-Za-z0-9_."-]+\]\]?\s*$`)
)

// otherFormat tells, from its first line that is not blank or a comment, whether a file given as a
// requirements file is a TOML or JSON file instead: a lock file or pyproject.toml under another name,
// which would otherwise fail line by line. It returns the line and what the file looks like, with
// what to do; 0 for a requirements file.
func otherFormat(lines []string) (line int, msg, hint string) {
	first := 0
	for i, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !isCommentLine(l) {
			first = i + 1
			break
		}
	}
	if first == 0 {
		return 0, "", ""
	}
	head := strings.TrimSpace(lines[first-1])
	all := strings.Join(lines, "\n")
	if !strings.HasPrefix(head, "[") && !strings.HasPrefix(head, "{") && !tomlKey.MatchString(head) &&
		!(tomlScalar.MatchString(head) && tomlTable.MatchString(all)) {
		return 0, "", ""
	}
	has := func(s ...string) bool {
		for _, x := range s {
			if !strings.Contains(all, x) {
				return false
			}
		}
		return true
	}
	const byName = "lock files and pyproject.toml are told apart by their names"
	switch {
	case strings.HasPrefix(head, "{") && has(`"_meta"`):
		return first, "this is a Pipfile.lock, not a requirements file", "name it Pipfile.lock: " + byName
	case strings.HasPrefix(head, "{"):
		return first, "this looks like JSON, not a requirements file in pip's format", "pass a requirements file, a pyproject.toml or a lock file (uv.lock, poetry.lock, Pipfile.lock, pylock.toml)"
	case has("lock-version", "[[packages]]"):
		return first, "this is a PEP 751 lock, not a requirements file", "name it pylock.toml or pylock.NAME.toml: " + byName
	case has("[[package]]", "[metadata]"):
		return first, "this is a poetry.lock, not a requirements file", "name it poetry.lock: " + byName
	case has("[[package]]"):
		return first, "this is a uv.lock, not a requirements file", "name it uv.lock: " + byName
	case has("[[source]]") || has("[packages]"):
		return first, "this is a Pipfile, which is not read", "run pipenv lock and pass its Pipfile.lock"
	case has("[project]") || has("[tool.poetry") || has("[dependency-groups]") || has("[build-system]"):
		return first, "this is a pyproject.toml, not a requirements file", "name it pyproject.toml: " + byName
	}
	return first, "this looks like TOML, not a requirements file in pip's format", "pass a requirements file, a pyproject.toml or a lock file (uv.lock, poetry.lock, Pipfile.lock, pylock.toml)"
}

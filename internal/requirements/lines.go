package requirements

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF32LE = []byte{0xFF, 0xFE, 0x00, 0x00}
	bomUTF32BE = []byte{0x00, 0x00, 0xFE, 0xFF}
)

// physicalLines decodes a file the way pip's auto_decode does for the encodings people really
// produce (UTF-8, and UTF-16 with a BOM as written by Windows PowerShell's "pip freeze >") and
// splits it like Python's str.splitlines. The returned *Error has no File yet.
func physicalLines(data []byte) ([]string, *Error) {
	switch {
	case bytes.HasPrefix(data, bomUTF32LE), bytes.HasPrefix(data, bomUTF32BE):
		return nil, &Error{Msg: "the file is UTF-32", Hint: "save it as UTF-8"}
	case bytes.HasPrefix(data, bomUTF8):
		data = data[len(bomUTF8):]
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		be := data[0] == 0xFE
		data = data[2:]
		if len(data)%2 != 0 {
			return nil, &Error{Msg: "the file is UTF-16 with an odd number of bytes", Hint: "save it as UTF-8"}
		}
		u := make([]uint16, len(data)/2)
		for i := range u {
			if be {
				u[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
			} else {
				u[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
			}
		}
		data = []byte(string(utf16.Decode(u)))
	}
	lines := splitLines(string(data))
	for i, l := range lines {
		if !utf8.ValidString(l) {
			// pip would fail on the whole file too; one error for it is enough.
			return nil, &Error{Line: i + 1, Msg: "the line is not valid UTF-8", Hint: "save the file as UTF-8"}
		}
	}
	return lines, nil
}

// splitLines is Python's str.splitlines: pip numbers lines with it, so \r, \v, \f and the Unicode
// separators end lines too, and a final line break adds no empty line.
func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i])
			i += w
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
		default:
			i += w
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

type logicalLine struct {
	num int // line number of the first physical line
	raw string
}

// isCommentLine is pip's COMMENT_RE.match: a line that starts with # after optional whitespace.
func isCommentLine(line string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "#")
}

// joinLines is pip's join_lines: a trailing backslash continues the line, except on a comment
// line, which also ends a continuation in progress (and stays a comment after the join).
func joinLines(lines []string) []logicalLine {
	var out []logicalLine
	var cur strings.Builder
	start, open := 0, false
	for i, line := range lines {
		comment := isCommentLine(line)
		if !strings.HasSuffix(line, `\`) || comment {
			if comment {
				line = " " + line
			}
			if open {
				cur.WriteString(line)
				out = append(out, logicalLine{start, cur.String()})
				cur.Reset()
				open = false
			} else {
				out = append(out, logicalLine{i + 1, line})
			}
			continue
		}
		if !open {
			start, open = i+1, true
		}
		// pip strips backslashes from both ends (str.strip("\\")); keep that quirk.
		cur.WriteString(strings.Trim(line, `\`))
	}
	if open {
		out = append(out, logicalLine{start, cur.String()})
	}
	return out
}

// stripComment is pip's COMMENT_RE.sub: a comment starts at a # at the start of the line or after
// whitespace, so the # of a URL fragment (#sha256=…, #egg=…) stays.
func stripComment(line string) string {
	prevSpace := true
	for i, r := range line {
		if r == '#' && prevSpace {
			return line[:i]
		}
		prevSpace = unicode.IsSpace(r)
	}
	return line
}

// envRef is pip's ENV_VAR_RE: only ${NAME} with upper-case letters, digits and underscores is a
// variable; $NAME and ${lower} are left alone, as pip does.
var envRef = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)

// expandEnv replaces ${VAR} references in one pass (values are not expanded again). pip leaves a
// reference to an unset or empty variable in the line, where it fails later with a confusing
// message; we return the names instead so the error can say which variable is missing.
func expandEnv(s string, getenv func(string) string) (string, []string) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v := getenv(name)
		if v == "" {
			missing = appendUnique(missing, name)
			return ref
		}
		return v
	})
	return out, missing
}

// userinfo matches the credentials of a URL ("https://user:token@host").
var userinfo = regexp.MustCompile(`(://)[^/@\s]+@`)

// redact masks URL credentials: lines and messages end up in PR comments and logs, and a token
// may come from ${VAR} expansion or be written into the file.
func redact(s string) string { return userinfo.ReplaceAllString(s, "${1}***@") }

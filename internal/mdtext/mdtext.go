// Package mdtext writes untrusted text safely into GitHub-flavoured Markdown (inline code, table
// cells, HTML blocks, fenced blocks) and formats counts for people. It is a leaf: it knows nothing of
// reports or layers.
package mdtext

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode"
)

func Thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func ShortSHA(s string) string {
	if len(s) > 7 && isHex(s) {
		return s[:7]
	}
	return s
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// OneLine folds whitespace runs (newlines included) into single spaces.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Code is an inline code span that is safe in a GFM table cell: it takes more backticks than the text
// holds in a row, and escapes pipes (GFM splits cells before it parses code spans).
func Code(s string) string {
	s = OneLine(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestBackticks(s)+1)
	s = strings.ReplaceAll(s, "|", `\|`)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Text escapes plain text for Markdown, table cells included. An underscore between letters or
// digits cannot start or end emphasis in GFM, so "x86_64" stays as it is.
func Text(s string) string {
	rs := []rune(OneLine(s))
	var b strings.Builder
	alnum := func(i int) bool {
		return i >= 0 && i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]))
	}
	for i, c := range rs {
		if strings.ContainsRune("\\`*[]<>|#~&!", c) || c == '_' && !(alnum(i-1) && alnum(i+1)) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Plural is "1 package", "2 packages", "1,875 packages".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}

// HTMLText escapes text inside an HTML block (<summary>), where Markdown is not parsed.
func HTMLText(s string) string { return html.EscapeString(OneLine(s)) }

// Fenced is a fenced code block holding s verbatim, with a fence longer than any in s.
func Fenced(lang, s string) string {
	fence := strings.Repeat("`", max(3, longestBackticks(s)+1))
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

// longestBackticks is the longest run of backticks in s: a fence must be longer to hold s.
func longestBackticks(s string) int {
	run, longest := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// Clip shortens s to at most n bytes (on a rune boundary), saying how much was left out.
func Clip(s string, n int) (string, bool) {
	if n <= 0 || len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n… (%s more characters)", Thousands(len(s)-cut)), true
}

func FirstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

package report

import (
	"strings"
	"testing"
)

// FuzzMarkdown feeds arbitrary names, versions and messages (a report.json anyone can write) to the
// renderers: the comment must start with the marker, fit the limit, and every table row must keep its
// columns when parsed as GitHub does.
func FuzzMarkdown(f *testing.F) {
	f.Add("data", "python3.12", "1.0", "boom at requirements.txt:3", 65536)
	f.Add("a|b`c", "x86_64\n|", "1.0`<b>", "```\n</details>\n| a | b |", 3000)
	f.Add("_x_", "*", "\\|", "<!--", 400)
	f.Fuzz(func(t *testing.T, name, runtime, version, msg string, limit int) {
		if limit < 200 || limit > 1<<20 {
			limit = 200 + (limit%4000+4000)%4000
		}
		ok := mkLayer(name, runtime, "x86_64", pkg(name+"-pkg", version, 3), pkg("six", version, 1))
		bad := mkLayer(name, runtime, "arm64")
		bad.Error = &Failure{Message: msg, File: msg, Line: 3, Package: version}
		cur := &Report{Layers: []Layer{ok, bad}}
		base := &Report{Layers: []Layer{mkLayer(name, runtime, "x86_64", pkg("six", "0", 2))}}
		Evaluate(cur, Policy{Budgets: map[string]Budget{name: {UnzippedBytes: 2 * mb}}})
		d := Compare(cur, base)
		o := MarkdownOptions{MaxChars: limit, BaseRef: msg, HeadSHA: version, RepoURL: "https://github.com/o/r"}
		md := Markdown(cur, d, o)
		if !strings.HasPrefix(md, Marker+"\n") || len(md) > limit {
			t.Fatalf("comment: %d bytes (limit %d), marker %v", len(md), limit, strings.HasPrefix(md, Marker))
		}
		if s := Summary(cur, d, o); len(s) > limit {
			t.Fatalf("summary: %d bytes, limit %d", len(s), limit)
		}
		for _, tb := range parseTables(t, md) {
			for _, row := range tb.rows {
				if len(row) != len(tb.header) {
					t.Fatalf("row %q does not match header %q in:\n%s", row, tb.header, md)
				}
			}
		}
	})
}

func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"80", "80%", "0.8", "100", "1e2", "0x1p-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParsePercent(s)
		if err == nil && (v <= 0 || v > 1) {
			t.Fatalf("ParsePercent(%q) = %v, outside (0, 1]", s, v)
		}
	})
}

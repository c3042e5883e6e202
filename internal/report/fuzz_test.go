package report_test

import (
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/report/reporttest"
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
		ok := reporttest.MkLayer(name, runtime, "x86_64", reporttest.Pkg(name+"-pkg", version, 3), reporttest.Pkg("six", version, 1))
		bad := reporttest.MkLayer(name, runtime, "arm64")
		bad.Error = &report.Failure{Message: msg, File: msg, Line: 3, Package: version}
		cur := &report.Report{Layers: []report.Layer{ok, bad}}
		base := &report.Report{Layers: []report.Layer{reporttest.MkLayer(name, runtime, "x86_64", reporttest.Pkg("six", "0", 2))}}
		report.Evaluate(cur, report.Policy{Budgets: map[string]report.Budget{name: {UnzippedBytes: 2 * reporttest.MB}}})
		d := report.Compare(cur, base)
		o := markdown.Options{MaxChars: limit, BaseRef: msg, HeadSHA: version, RepoURL: "https://github.com/o/r"}
		md := markdown.Comment(cur, d, o)
		if !strings.HasPrefix(md, markdown.Marker+"\n") || len(md) > limit {
			t.Fatalf("comment: %d bytes (limit %d), marker %v", len(md), limit, strings.HasPrefix(md, markdown.Marker))
		}
		if s := markdown.Summary(cur, d, o); len(s) > limit {
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
		v, err := report.ParsePercent(s)
		if err == nil && (v <= 0 || v > 1) {
			t.Fatalf("report.ParsePercent(%q) = %v, outside (0, 1]", s, v)
		}
	})
}

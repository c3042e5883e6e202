package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/report/reporttest"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	gmtext "github.com/yuin/goldmark/text"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run go test ./internal/report -update and review the diff.\n--- got:\n%s", path, got)
	}
}

// TestGolden renders each fixture as the PR comment, the job summary, the terminal table and
// report.json, against testdata/<fixture>/.
func TestGolden(t *testing.T) {
	for _, f := range reporttest.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			cur, d := f.Evaluated()
			comment := markdown.Comment(cur, d, f.Opts)
			summary := markdown.Summary(cur, d, f.Opts)
			var table bytes.Buffer
			cur.WriteTable(&table, d)
			js, err := json.MarshalIndent(cur, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, f.Name+"/comment.md", []byte(comment))
			golden(t, f.Name+"/table.txt", table.Bytes())
			if f.Name != "huge-diff" { // thousands of rows: checked by TestHugeDiffIsCutAndSaysSo, not kept as files
				golden(t, f.Name+"/summary.md", []byte(summary))
				golden(t, f.Name+"/report.json", append(js, '\n'))
			}

			if !strings.HasPrefix(comment, markdown.Marker+"\n") {
				t.Errorf("the comment must start with the marker line %q", markdown.Marker)
			}
			if len(comment) > markdown.MaxCommentChars {
				t.Errorf("comment is %d bytes, over %d", len(comment), markdown.MaxCommentChars)
			}
			if len(summary) >= 1<<20 {
				t.Errorf("summary is %d bytes, not under 1 MiB", len(summary))
			}
			if !utf8.ValidString(comment) || !utf8.ValidString(summary) {
				t.Error("output is not valid UTF-8")
			}
		})
	}
}

func TestHugeDiffIsCutAndSaysSo(t *testing.T) {
	f := reporttest.FixtureHugeDiff()
	cur, d := f.Evaluated()
	if n := len(d.Layers[0].Changes); n < 2000 {
		t.Fatalf("fixture has only %d changes", n)
	}
	comment := markdown.Comment(cur, d, f.Opts)
	if len(comment) > markdown.MaxCommentChars {
		t.Fatalf("comment is %d bytes", len(comment))
	}
	for _, want := range []string{"✂️ **Shortened to fit GitHub's limit of 65,536 characters", "dependency changes beyond the", "more* |", "The job summary and report.json have everything."} {
		if !strings.Contains(comment, want) {
			t.Errorf("cut comment lacks %q", want)
		}
	}
	// The most important rows survive: the biggest change comes first.
	if !strings.Contains(comment, "| "+d.Layers[0].Changes[0].Name+" |") {
		t.Errorf("the biggest change %s was cut", d.Layers[0].Changes[0].Name)
	}
	// The summary has room for all of them.
	summary := markdown.Summary(cur, d, f.Opts)
	if strings.Contains(summary, "Shortened") || strings.Count(summary, "\n| ➕ |")+strings.Count(summary, "\n| ➖ |")+
		strings.Count(summary, "\n| ⬆️ |")+strings.Count(summary, "\n| ⬇️ |") != len(d.Layers[0].Changes) {
		t.Errorf("the summary should list all %d changes uncut", len(d.Layers[0].Changes))
	}
	// A tighter limit cuts deeper, and still fits.
	for _, limit := range []int{20000, 5000, 2000} {
		o := f.Opts
		o.MaxChars = limit
		s := markdown.Comment(cur, d, o)
		if len(s) > limit || !strings.HasPrefix(s, markdown.Marker) || !strings.Contains(s, "Shortened") {
			t.Errorf("MaxChars %d: got %d bytes (marker %v)", limit, len(s), strings.HasPrefix(s, markdown.Marker))
		}
	}
}

func TestManyLayersDropRowsLast(t *testing.T) {
	cur := &report.Report{}
	for i := 0; i < 900; i++ {
		cur.Layers = append(cur.Layers, reporttest.MkLayer(strings.Repeat("x", 40)+string(rune('a'+i%26))+strings.Repeat("y", i%7), "python3.12", "x86_64", reporttest.Pkg("six", "1.16.0", 0.1)))
	}
	over := reporttest.MkLayer("big", "python3.12", "x86_64", reporttest.Pkg("torch", "2.5.1", 260))
	cur.Layers = append(cur.Layers, over)
	report.Evaluate(cur, report.Policy{})
	s := markdown.Comment(cur, nil, markdown.Options{})
	if len(s) > markdown.MaxCommentChars {
		t.Fatalf("%d bytes", len(s))
	}
	if !strings.Contains(s, "| `big` |") || !strings.Contains(s, "table rows") {
		t.Errorf("the layer over its limit must stay and the cut must be said:\n%s", s[len(s)-600:])
	}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// cellText is the text a table cell shows on the page: the cell rendered to HTML as GitHub would,
// without its tags.
func cellText(t *testing.T, md goldmark.Markdown, n ast.Node, src []byte) string {
	var b bytes.Buffer
	if err := md.Renderer().Render(&b, src, n); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(b.String(), "")))
}

type table struct {
	header []string
	rows   [][]string
}

// parseTables parses md as GitHub does (GFM) and returns every table with its cells' text.
func parseTables(t *testing.T, doc string) []table {
	t.Helper()
	src := []byte(doc)
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	root := md.Parser().Parse(gmtext.NewReader(src))
	var out []table
	ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Kind() != extast.KindTable {
			return ast.WalkContinue, nil
		}
		var tb table
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				if c.Kind() != extast.KindTableCell {
					t.Errorf("table row holds a %s", c.Kind())
				}
				cells = append(cells, cellText(t, md, c, src))
			}
			if r.Kind() == extast.KindTableHeader {
				tb.header = cells
			} else {
				tb.rows = append(tb.rows, cells)
			}
		}
		out = append(out, tb)
		return ast.WalkSkipChildren, nil
	})
	return out
}

// TestMarkdownRendersAsTables parses the comments with goldmark's GFM, as GitHub renders them, and
// checks that every table is one: its header and each row have the same columns, the layer table has
// one row per layer and target, and the details' tables are there too.
func TestMarkdownRendersAsTables(t *testing.T) {
	layerHeader := []string{"Layer", "Target", "Zipped", "Unzipped", "Of limit", "Δ unzipped", "State"}
	for _, c := range []struct {
		f            reporttest.Fixture
		layerRows    int // head layers and targets, plus removed ones
		packageTabs  int // one per details block
		changeTabs   int
		functionRows int
	}{
		{reporttest.FixtureOK(), 2, 1, 1, 0},
		{reporttest.FixtureWarn(), 1, 1, 0, 0},
		{reporttest.FixtureExceeded(), 3, 3, 3, 2},
		{reporttest.FixtureMulti(), 10, 6, 4, 4},
	} {
		t.Run(c.f.Name, func(t *testing.T) {
			cur, d := c.f.Evaluated()
			for _, md := range []string{markdown.Comment(cur, d, c.f.Opts), markdown.Summary(cur, d, c.f.Opts)} {
				tables := parseTables(t, md)
				if len(tables) == 0 {
					t.Fatalf("no table parsed from:\n%s", md)
				}
				for i, tb := range tables {
					for j, row := range tb.rows {
						if len(row) != len(tb.header) {
							t.Errorf("table %d row %d has %d cells, header %d: %q", i, j, len(row), len(tb.header), row)
						}
					}
				}
				main := tables[0]
				want := layerHeader
				if d == nil || d.Unavailable != "" {
					want = append(append([]string{}, layerHeader[:5]...), layerHeader[6])
				}
				if strings.Join(main.header, "|") != strings.Join(want, "|") {
					t.Errorf("layer table header = %q, want %q", main.header, want)
				}
				if len(main.rows) != c.layerRows {
					t.Errorf("layer table has %d rows, want %d", len(main.rows), c.layerRows)
				}
				for i, l := range cur.Layers {
					row := main.rows[i]
					if row[0] != l.Name || row[1] != l.Runtime+" · "+l.Architecture {
						t.Errorf("row %d = %q, want layer %s %s %s", i, row, l.Name, l.Runtime, l.Architecture)
					}
					if l.Error == nil && row[3] != report.Bytes(l.UnzippedBytes) {
						t.Errorf("row %d unzipped = %q, want %s", i, row[3], report.Bytes(l.UnzippedBytes))
					}
					if l.Error == nil && !strings.Contains(row[4], "%") {
						t.Errorf("row %d has no gauge: %q", i, row[4])
					}
				}
				var pkgs, changes, funcs int
				for _, tb := range tables[1:] {
					switch {
					case tb.header[0] == "Package":
						pkgs++
					case len(tb.header) == 5 && tb.header[1] == "Package":
						changes++
					case tb.header[0] == "Function":
						funcs++
						if len(tb.rows) != c.functionRows {
							t.Errorf("functions table has %d rows, want %d", len(tb.rows), c.functionRows)
						}
					}
				}
				if pkgs != c.packageTabs || changes != c.changeTabs {
					t.Errorf("%d package tables and %d change tables, want %d and %d", pkgs, changes, c.packageTabs, c.changeTabs)
				}
				if (c.functionRows > 0) != (funcs == 1) {
					t.Errorf("%d functions tables", funcs)
				}
			}
		})
	}
}

func TestHugeDiffTablesStillParse(t *testing.T) {
	f := reporttest.FixtureHugeDiff()
	cur, d := f.Evaluated()
	tables := parseTables(t, markdown.Comment(cur, d, f.Opts))
	if len(tables) < 2 {
		t.Fatalf("%d tables", len(tables))
	}
	for _, tb := range tables {
		for _, row := range tb.rows {
			if len(row) != len(tb.header) {
				t.Errorf("row %q does not match header %q", row, tb.header)
			}
		}
	}
}

func TestEscaping(t *testing.T) {
	// Names and versions come from a JSON file anyone can write: they must not break the table.
	l := reporttest.MkLayer("we|ird`name", "python3.12", "x86_64", reporttest.Pkg("a|b", "1.0`<script>", 2), reporttest.Pkg("c_d*e", "2.0", 1))
	l.Warnings = []string{"a </details> in a warning | with pipes"}
	bad := reporttest.MkLayer("x</summary>", "python3.12", "x86_64")
	bad.Error = &report.Failure{Message: "```\n</details>\n| not | a | table |", File: "r (1).txt", Line: 2}
	cur := &report.Report{Layers: []report.Layer{l, bad}}
	report.Evaluate(cur, report.Policy{})
	md := markdown.Comment(cur, nil, markdown.Options{RepoURL: "https://github.com/o/r", HeadSHA: "abc"})
	tables := parseTables(t, md)
	if tables[0].rows[0][0] != "we|ird`name" {
		t.Errorf("layer cell = %q", tables[0].rows[0][0])
	}
	if len(tables[0].rows) != 2 {
		t.Errorf("rows = %q", tables[0].rows)
	}
	found := false
	for _, tb := range tables[1:] {
		for _, r := range tb.rows {
			if r[0] == "a|b" && r[1] == "1.0`<script>" {
				found = true
			}
		}
		if len(tb.header) == 3 && tb.header[0] == "not" {
			t.Error("a failure message became a table")
		}
	}
	if !found {
		t.Errorf("package row with escaped text not found in %v", tables)
	}
	if strings.Contains(md, "<script>") {
		t.Error("raw HTML from a version reached the comment")
	}
	if !strings.Contains(md, "[`r (1).txt:2`](https://github.com/o/r/blob/abc/r%20%281%29.txt#L2)") {
		t.Error("position link missing or unescaped")
	}
}

func TestFailureIsShownWithPosition(t *testing.T) {
	f := reporttest.FixtureMulti()
	cur, d := f.Evaluated()
	md := markdown.Comment(cur, d, f.Opts)
	for _, want := range []string{
		"#### 💥 Failed to build",
		"**`gpu`** · python3.12 · arm64 — at [`layers/gpu/requirements.txt:3`](https://github.com/acme/services/blob/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678/layers/gpu/requirements.txt#L3) · package `numpyish`",
		"no wheel for python3.12 on arm64",
		"| `gpu` | python3.12 · arm64 | — | — | — | — | 💥 build failed |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
}

func TestTableKeepsBuildShape(t *testing.T) {
	// The build command's table (no diff) keeps its columns.
	cur := &report.Report{Layers: []report.Layer{reporttest.MkLayer("demo", "python3.12", "x86_64", reporttest.Pkg("six", "1.16.0", 0.1))}}
	var b bytes.Buffer
	cur.Table(&b)
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "LAYER ") || !strings.Contains(lines[0], "OF MAX") || strings.Contains(lines[0], "Δ") {
		t.Errorf("header: %q", lines[0])
	}
	if !strings.Contains(lines[1], "demo") || !strings.HasSuffix(lines[1], "ok") {
		t.Errorf("row: %q", lines[1])
	}
}

package report

import (
	"bytes"
	"regexp"
	"testing"
)

// TestTableColorGolden keeps the coloured terminal table of each fixture in
// testdata/<fixture>/table-color.txt (the plain one is table.txt, from TestGolden), and checks that
// colour only wraps the states: without its escapes the coloured table is the plain one.
func TestTableColorGolden(t *testing.T) {
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	for _, f := range fixtures() {
		if f.name == "huge-diff" {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			cur, d := f.evaluated()
			var plain, color bytes.Buffer
			cur.WriteTable(&plain, d)
			cur.WriteTableWith(&color, d, TableOptions{Color: true})
			golden(t, f.name+"/table-color.txt", color.Bytes())
			if !ansi.Match(color.Bytes()) {
				t.Error("the coloured table has no colour")
			}
			if got := ansi.ReplaceAll(color.Bytes(), nil); !bytes.Equal(got, plain.Bytes()) {
				t.Errorf("without its escapes the coloured table differs from the plain one:\n%s\n---\n%s", got, plain.Bytes())
			}
			var off bytes.Buffer
			cur.WriteTableWith(&off, d, TableOptions{})
			if !bytes.Equal(off.Bytes(), plain.Bytes()) {
				t.Error("TableOptions{} differs from WriteTable")
			}
		})
	}
}

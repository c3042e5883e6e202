package report_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/reporttest"
)

// TestTableColorGolden keeps the coloured terminal table of each fixture in
// testdata/<fixture>/table-color.txt (the plain one is table.txt, from TestGolden), and checks that
// colour only wraps the states: without its escapes the coloured table is the plain one.
func TestTableColorGolden(t *testing.T) {
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	for _, f := range reporttest.Fixtures() {
		if f.Name == "huge-diff" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			cur, d := f.Evaluated()
			var plain, color bytes.Buffer
			cur.WriteTable(&plain, d)
			cur.WriteTableWith(&color, d, report.TableOptions{Color: true})
			golden(t, f.Name+"/table-color.txt", color.Bytes())
			if !ansi.Match(color.Bytes()) {
				t.Error("the coloured table has no colour")
			}
			if got := ansi.ReplaceAll(color.Bytes(), nil); !bytes.Equal(got, plain.Bytes()) {
				t.Errorf("without its escapes the coloured table differs from the plain one:\n%s\n---\n%s", got, plain.Bytes())
			}
			var off bytes.Buffer
			cur.WriteTableWith(&off, d, report.TableOptions{})
			if !bytes.Equal(off.Bytes(), plain.Bytes()) {
				t.Error("report.TableOptions{} differs from WriteTable")
			}
		})
	}
}

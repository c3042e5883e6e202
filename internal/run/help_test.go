package run

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
)

// commands are the names whose help is golden: "" is the program's own.
func commands(t *testing.T) []string {
	t.Helper()
	a := newApp(context.Background(), build.Env{})
	names := []string{""}
	for _, c := range a.root.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			names = append(names, c.Name())
		}
	}
	return names
}

func mainOut(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(context.Background(), build.Env{Stdout: &o, Stderr: &e}, args)
	return code, o.String(), e.String()
}

// TestHelpGolden keeps every command's help in testdata/help/NAME.txt (go test -run TestHelpGolden
// -update rewrites them), and checks that `help NAME`, `NAME -h` and `NAME --help` print the same.
func TestHelpGolden(t *testing.T) {
	t.Parallel()
	for _, name := range commands(t) {
		file := name
		if file == "" {
			file = "lambda-layers"
		}
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			helpArgs := []string{"help"}
			dashH := []string{"-h"}
			if name != "" {
				helpArgs = append(helpArgs, name)
				dashH = []string{name, "-h"}
			}
			code, got, stderr := mainOut(helpArgs...)
			if code != exitcode.OK || stderr != "" {
				t.Fatalf("help %s: exit %d, stderr %q", name, code, stderr)
			}
			for _, args := range [][]string{dashH, append(dashH[:len(dashH)-1:len(dashH)-1], "--help")} {
				code, out, _ := mainOut(args...)
				if code != exitcode.OK || out != got {
					t.Errorf("%v: exit %d, and its text differs from `help %s`:\n%s", args, code, name, out)
				}
			}
			path := filepath.Join("testdata", "help", file+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/run -run TestHelpGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("help of %q differs from %s (run with -update if the change is meant):\n%s", file, path, got)
			}
		})
	}
}

// TestHelpShape checks what every command's help must have: a purpose, a synopsis, examples, and
// every option in a group, with a value placeholder when it takes a value, and no line over 100
// characters.
func TestHelpShape(t *testing.T) {
	t.Parallel()
	a := newApp(context.Background(), build.Env{})
	for _, c := range append([]*cobra.Command{a.root}, a.root.Commands()...) {
		if !c.IsAvailableCommand() && c.Name() != "help" && c != a.root {
			continue
		}
		d := a.docs[c]
		switch {
		case c.Short == "":
			t.Errorf("%s: no one-line purpose (Short)", c.Name())
		case d == nil || d.synopsis == "":
			t.Errorf("%s: no synopsis", c.Name())
		case len(d.examples) == 0:
			t.Errorf("%s: no example", c.Name())
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if len(f.Annotations[annGroup]) == 0 && f.Name != "help" {
				t.Errorf("%s --%s: in no group; register it with withGroup", c.Name(), f.Name)
			}
			if f.Value.Type() != "bool" && !regexp.MustCompile(`^([A-Z]|[a-z0-9_]+\|)`).MatchString(metavar(f)) {
				t.Errorf("%s --%s: value placeholder %q; put it in backquotes in the usage (`FILE`) or setMetavar", c.Name(), f.Name, metavar(f))
			}
		})
		var b bytes.Buffer
		a.writeHelp(&b, c)
		for l := range strings.SplitSeq(b.String(), "\n") {
			if n := len([]rune(l)); n > 100 {
				t.Errorf("%s: help line of %d characters: %q", c.Name(), n, l)
			}
		}
	}
}

// TestREADMEUsage keeps README.md's usage block of each command equal to its help's synopsis: the
// first code block after the "## `NAME`" heading. -update rewrites the README from the help.
func TestREADMEUsage(t *testing.T) {
	const path = "../../README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	a := newApp(context.Background(), build.Env{})
	found := 0
	for _, c := range a.root.Commands() {
		heading := "## `" + c.Name() + "`"
		i := strings.Index(text, "\n"+heading+"\n")
		if i < 0 {
			continue
		}
		found++
		start := strings.Index(text[i:], "\n```\n")
		if start < 0 {
			t.Errorf("README: no code block after %s", heading)
			continue
		}
		start += i + len("\n```\n")
		end := strings.Index(text[start:], "```\n")
		if end < 0 {
			t.Fatalf("README: unterminated code block after %s", heading)
		}
		end += start
		want := strings.TrimRight(a.docs[c].synopsis, "\n") + "\n"
		if text[start:end] == want {
			continue
		}
		if *update {
			text = text[:start] + want + text[end:]
			continue
		}
		t.Errorf("README.md's usage of %s differs from its help's synopsis (run go test ./internal/run -run TestREADMEUsage -update):\nREADME:\n%s\nhelp:\n%s", c.Name(), text[start:end], want)
	}
	if found < 4 {
		t.Errorf("README has usage sections for %d commands, want build, lock, report and publish", found)
	}
	if *update && text != string(readme) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

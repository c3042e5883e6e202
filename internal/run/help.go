package run

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// doc is what a command's help says besides its options: the synopsis (as the README shows it), what
// it does, examples that the tests run against the demo index, and a closing note (exit codes).
type doc struct {
	synopsis string // one or more lines, "lambda-layers CMD …"; README.md's usage block is this text
	long     string // paragraphs after the synopsis
	examples []example
	footer   string
}

// example is a command line a user can paste, with what it does.
type example struct {
	about string // what it does, one line
	line  string // "lambda-layers build -r requirements.txt --runtime python3.12"
}

// Option groups, in the order the help shows them (a group no option names is left out; options
// registered without a group are listed under "Options"; global options come last).
const (
	groupBuild   = "What to build"
	groupIndex   = "Index"
	groupOutput  = "Output"
	groupCache   = "Cache"
	groupReport  = "Reporting"
	groupPublish = "Publishing"
	groupOther   = "Options"
	groupGlobal  = "Global options"
)

const annGroup = "lambda-layers/group"

// withGroup registers options with add on cmd's own flags (or on fs, e.g. persistent flags) and files
// them under group in the help. Commands register every option through it, in the order the help
// lists them.
func withGroup(cmd *cobra.Command, group string, add func(*pflag.FlagSet), fs ...*pflag.FlagSet) {
	dst := cmd.Flags()
	if len(fs) > 0 {
		dst = fs[0]
	}
	dst.SortFlags = false
	tmp := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	tmp.SortFlags = false
	add(tmp)
	tmp.VisitAll(func(f *pflag.Flag) {
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[annGroup] = []string{group}
		dst.AddFlag(f)
	})
}

func (a *app) document(cmd *cobra.Command, d *doc) {
	a.docs[cmd] = d
	cmd.Flags().SortFlags = false
	cmd.PersistentFlags().SortFlags = false
}

// writeHelp writes cmd's help: purpose, synopsis, description, options by group, examples, footer.
// `lambda-layers help CMD` and `CMD -h` both come here.
func (a *app) writeHelp(w io.Writer, cmd *cobra.Command) {
	d := a.docs[cmd]
	if d == nil {
		d = &doc{synopsis: cmd.UseLine()}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nUsage:\n", sentence(cmd.Short))
	for l := range strings.SplitSeq(strings.TrimRight(d.synopsis, "\n"), "\n") {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	if d.long != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(d.long, "\n"))
	}
	if cmd == a.root {
		fmt.Fprintf(&b, "\nCommands:\n")
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() || c.Name() == "help" {
				fmt.Fprintf(&b, "  %-12s %s\n", c.Name(), c.Short)
			}
		}
	}
	writeOptions(&b, cmd)
	if len(d.examples) > 0 {
		fmt.Fprintf(&b, "\nExamples:\n")
		for i, e := range d.examples {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "  # %s\n  %s\n", e.about, e.line)
		}
	}
	if d.footer != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(d.footer, "\n"))
	}
	io.WriteString(w, b.String())
}

// writeOptions lists cmd's options (its own, then the inherited global ones) under their groups.
func writeOptions(b *strings.Builder, cmd *cobra.Command) {
	cmd.InitDefaultHelpFlag()
	type row struct{ left, right string }
	var order []string
	rows := map[string][]row{}
	add := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := groupOther
		if v := f.Annotations[annGroup]; len(v) > 0 {
			g = v[0]
		}
		usage := flagUsage(f)
		if f.Name == "help" {
			g = groupGlobal
			usage = "show this help (the same as " + helpCommandLine(cmd) + ")"
		}
		if _, ok := rows[g]; !ok && g != groupGlobal {
			order = append(order, g)
		}
		left := "    "
		if f.Shorthand != "" {
			left = "-" + f.Shorthand + ", "
		}
		left += "--" + f.Name
		if m := metavar(f); m != "" {
			left += " " + m
		}
		rows[g] = append(rows[g], row{left, usage})
	}
	cmd.NonInheritedFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	order = append(order, groupGlobal)
	width := 0
	for _, rs := range rows {
		for _, r := range rs {
			width = max(width, len(r.left))
		}
	}
	for _, g := range order {
		if len(rows[g]) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n%s:\n", g)
		for _, r := range rows[g] {
			lines := wrap(r.right, 100-4-width-2)
			fmt.Fprintf(b, "  %-*s  %s\n", width, r.left, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(b, "  %-*s  %s\n", width, "", l)
			}
		}
	}
}

func helpCommandLine(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return "lambda-layers help"
	}
	return "lambda-layers help " + cmd.Name()
}

// metavar is the placeholder of an option's value: the word the usage puts in backquotes, else one
// made from its type; "" for a switch.
func metavar(f *pflag.Flag) string {
	if f.Value.Type() == "bool" {
		return ""
	}
	if v := f.Annotations[annMetavar]; len(v) > 0 {
		return v[0]
	}
	name, _ := pflag.UnquoteUsage(f)
	switch name {
	case "":
		return ""
	case "string", "stringArray", "strings":
		return strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
	case "int":
		return "N"
	}
	return name
}

// flagUsage is the option's description with its default and "(repeatable)" where they apply.
func flagUsage(f *pflag.Flag) string {
	_, u := pflag.UnquoteUsage(f)
	t := f.Value.Type()
	if (t == "stringArray" || t == "stringSlice") && !strings.Contains(u, "repeatable") && !strings.Contains(u, "comma-separated") {
		u += " (repeatable)"
	}
	if def := f.DefValue; !strings.Contains(u, "(default") {
		switch def {
		case "", "false", "0", "[]":
		default:
			def = strings.Trim(def, "[]")
			u += " (default: " + def + ")"
		}
	}
	return u
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	if width < 30 {
		width = 30
	}
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// sentence is s with a capital first letter and a full stop.
func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

const annMetavar = "lambda-layers/metavar"

// setMetavar names the placeholder of an option's value in the help when a backquoted word in its
// usage will not do ("RUNTIME[,…]").
func setMetavar(fs *pflag.FlagSet, flag, name string) {
	fs.SetAnnotation(flag, annMetavar, []string{name})
}

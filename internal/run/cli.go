package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/editdist"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
)

// app is one run of the command line: the world it was given, the global options, and the exit code
// the command chose.
type app struct {
	ctx     context.Context
	env     build.Env
	root    *cobra.Command
	docs    map[*cobra.Command]*doc
	args    []string
	quiet   bool
	verbose bool
	code    int
}

// The help lists commands in the order of the work (build, lock, report, publish), not alphabetically.
func init() { cobra.EnableCommandSorting = false }

func newApp(ctx context.Context, env build.Env) *app {
	a := &app{ctx: ctx, env: env, docs: map[*cobra.Command]*doc{}}
	root := &cobra.Command{
		Use:   "lambda-layers",
		Short: "Build AWS Lambda Python layers from requirements files",
		Args:  a.rootArgs,
		RunE:  a.rootRun,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.quiet && a.verbose {
				return usage(cmd, "pass one of them", "--quiet and --verbose given together")
			}
			return nil
		},
		SilenceErrors:     true, // every error is printed once, in one shape, by Main
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true}, // ours: completion SHELL
	}
	a.root = root
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetContext(ctx)
	withGroup(root, groupGlobal, func(fs *pflag.FlagSet) {
		fs.BoolVarP(&a.quiet, "quiet", "q", false, "print only errors")
		fs.BoolVarP(&a.verbose, "verbose", "v", false, "say on standard error what is fetched and why, and how long each phase took")
	}, root.PersistentFlags())
	withGroup(root, groupGlobal, func(fs *pflag.FlagSet) {
		fs.Bool("version", false, "print the version, as 'lambda-layers version' does")
	})
	root.SetFlagErrorFunc(a.flagError)
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { a.writeHelp(c.OutOrStdout(), c) })
	root.SetHelpCommand(a.helpCommand())
	a.document(root, rootDoc)
	for _, c := range []*cobra.Command{a.buildCommand(), a.lockCommand(), a.reportCommand(), a.publishCommand(),
		a.versionCommand(), a.completionCommand()} {
		root.AddCommand(c)
	}
	root.InitDefaultHelpCmd() // adds help to the commands now, for the checks in run and for the help
	return a
}

// run parses args, runs the command they name and returns its exit code.
func (a *app) run(args []string) int {
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	a.args = args
	a.root.SetArgs(args)
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		args = nil // the shell asking for completions: cobra answers, nothing to check
	}
	if err := a.checkCommand(args); err != nil {
		return a.fail(err)
	}
	if err := a.checkDashes(args); err != nil {
		return a.fail(err)
	}
	if _, err := a.root.ExecuteC(); err != nil {
		return a.fail(err)
	}
	return a.code
}

// fail prints err in the one shape of the command line's errors and returns its exit code.
func (a *app) fail(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		ue.print(a.env.Stderr)
		return exitcode.Usage
	}
	fmt.Fprintf(a.env.Stderr, "lambda-layers: %v\n", err)
	return exitcode.Failed
}

// usageError is a mistake in the command line: what was wrong, and what to do instead. Main prints it
// and exits 2.
type usageError struct {
	cmd  string // "lambda-layers build"
	what string // what failed and the input at fault: `unknown option --requirment`
	fix  string // what to do: `did you mean --requirement?`
}

func (e *usageError) Error() string {
	if e.fix == "" {
		return e.what
	}
	return e.what + "; " + e.fix
}

func (e *usageError) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n", e.cmd, e.what)
	if e.fix != "" {
		fmt.Fprintf(w, "%s%s\n", hintLine, e.fix)
	}
}

// usage returns a usageError of cmd; fix says what to do (a run of `COMMAND -h` is offered when "").
func usage(cmd *cobra.Command, fix, format string, args ...any) *usageError {
	if fix == "" {
		fix = fmt.Sprintf("see '%s -h' for the options", cmd.CommandPath())
	}
	return &usageError{cmd: cmd.CommandPath(), what: fmt.Sprintf(format, args...), fix: fix}
}

// usageFail prints a usage error of cmd and returns the usage exit code, for the commands' bodies.
func (a *app) usageFail(cmd *cobra.Command, fix, format string, args ...any) int {
	usage(cmd, fix, format, args...).print(a.env.Stderr)
	return exitcode.Usage
}

// failf prints a failure of cmd (not the user's wording, the work: a file that cannot be read, a build
// that failed) as "lambda-layers CMD: WHAT" with what to do on a "  hint:" line when known (unless
// WHAT already ends with its own hint: one hint, the most precise).
func (a *app) failf(cmd *cobra.Command, fix, format string, args ...any) int {
	what := fmt.Sprintf(format, args...)
	fmt.Fprintf(a.env.Stderr, "%s: %s\n", cmd.CommandPath(), what)
	if fix != "" && !strings.Contains(what, "\n"+hintLine) {
		fmt.Fprintf(a.env.Stderr, "%s%s\n", hintLine, fix)
	}
	return exitcode.Failed
}

// hintLine starts the line that says what to do, after the line that says what failed: the one shape
// of every hint the command line prints (uv's).
const hintLine = "  hint: "

// flagError turns pflag's errors into usage errors that name the option and suggest the nearest one.
func (a *app) flagError(cmd *cobra.Command, err error) error {
	var (
		notExist *pflag.NotExistError
		noValue  *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
	)
	switch {
	case errors.As(err, &notExist):
		name := notExist.GetSpecifiedName()
		if sh := notExist.GetSpecifiedShortnames(); sh != "" {
			what := fmt.Sprintf("unknown option -%s", name)
			if len(sh) > 1 {
				what += fmt.Sprintf(" (in -%s)", sh)
			}
			return usage(cmd, suggestFlag(cmd, name), "%s", what)
		}
		return usage(cmd, suggestFlag(cmd, name), "unknown option --%s", name)
	case errors.As(err, &noValue):
		f := noValue.GetFlag()
		return usage(cmd, fmt.Sprintf("write --%s %s", f.Name, metavar(f)), "--%s needs a value", f.Name)
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		why := fmt.Sprint(errors.Unwrap(invalid))
		if strings.HasPrefix(f.Value.Type(), "int") {
			why = "not a whole number"
		}
		return usage(cmd, fmt.Sprintf("write --%s %s", f.Name, metavar(f)), "--%s %s: %s", f.Name, invalid.GetValue(), why)
	}
	return usage(cmd, "", "%v", err)
}

// suggestFlag names the options closest to a mistyped one, with the help to run otherwise.
func suggestFlag(cmd *cobra.Command, typed string) string {
	var names []string
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Hidden || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		names = append(names, f.Name)
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	var best []string
	for _, n := range names {
		if len(typed) == 1 {
			continue // a mistyped single letter is too short to guess from
		}
		d := editdist.Levenshtein(strings.ToLower(typed), n)
		if d <= max(2, len(typed)/4) || (len(typed) >= 3 && strings.HasPrefix(n, typed)) {
			best = append(best, n)
		}
	}
	slices.SortStableFunc(best, func(x, y string) int {
		return editdist.Levenshtein(typed, x) - editdist.Levenshtein(typed, y)
	})
	if len(best) > 3 {
		best = best[:3]
	}
	help := fmt.Sprintf("'%s -h' lists the options", cmd.CommandPath())
	switch len(best) {
	case 0:
		return help
	case 1:
		return fmt.Sprintf("did you mean --%s? (%s)", best[0], help)
	}
	return fmt.Sprintf("did you mean --%s? (%s)", strings.Join(best, ", --"), help)
}

// suggestCommand names the commands closest to a mistyped one.
func suggestCommand(root *cobra.Command, typed string) string {
	var best []string
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() && c.Name() != "help" {
			continue
		}
		if d := editdist.Levenshtein(strings.ToLower(typed), c.Name()); d <= 2 || (len(typed) >= 2 && strings.HasPrefix(c.Name(), strings.ToLower(typed))) {
			best = append(best, c.Name())
		}
	}
	if len(best) == 0 {
		return "the commands are " + strings.Join(commandNames(root), ", ") + "; see 'lambda-layers -h'"
	}
	return fmt.Sprintf("did you mean '%s %s'?", root.Name(), strings.Join(best, "' or '"+root.Name()+" "))
}

func commandNames(root *cobra.Command) []string {
	var out []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			out = append(out, c.Name())
		}
	}
	return out
}

// checkDashes refuses a long option written with one dash (`-runtime`, as Go's flag package allowed):
// pflag would read it as the short options -r -u -n …, so `-runtime python3.12` would quietly become
// the requirements file "untime".
func (a *app) checkDashes(args []string) error {
	cmd, _, err := a.root.Find(args)
	if err != nil || cmd == nil {
		return nil // the parse reports it
	}
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if len(arg) < 3 || arg[0] != '-' || arg[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(arg[1:], "=")
		if f := cmd.Flags().Lookup(name); f != nil || cmd.InheritedFlags().Lookup(name) != nil {
			return usage(cmd, fmt.Sprintf("write --%s (long options take two dashes)", name), "unknown option %s", arg)
		}
	}
	return nil
}

// checkCommand refuses an unknown command before its options are parsed, so that `bild -r x` is
// about "bild", not about -r.
func (a *app) checkCommand(args []string) error {
	cmd, rest, err := a.root.Find(args)
	if err != nil || cmd != a.root {
		return nil
	}
	for _, arg := range rest {
		if arg == "--" {
			break
		}
		if !strings.HasPrefix(arg, "-") {
			return a.rootArgs(cmd, []string{arg})
		}
	}
	return nil
}

// rootArgs refuses an unknown command with the nearest ones.
func (a *app) rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{cmd: "lambda-layers", what: fmt.Sprintf("unknown command %q", args[0]), fix: suggestCommand(cmd, args[0])}
	}
	return nil
}

func (a *app) rootRun(cmd *cobra.Command, _ []string) error {
	if v, _ := cmd.Flags().GetBool("version"); v {
		a.writeVersion(a.env.Stdout)
		return nil
	}
	// No command: the overview, on standard error since nothing was done.
	a.writeHelp(a.env.Stderr, cmd)
	a.code = exitcode.Usage
	return nil
}

// noArgs refuses positional arguments: every input of our commands is an option.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		fix := ""
		if strings.HasSuffix(args[0], ".txt") || strings.HasSuffix(args[0], ".in") {
			fix = fmt.Sprintf("pass requirements files with -r: %s -r %s", cmd.CommandPath(), args[0])
		}
		return usage(cmd, fix, "unexpected argument %q", args[0])
	}
	return nil
}

// helpCommand is `help [COMMAND]`: the same text as `COMMAND -h`.
func (a *app) helpCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "help",
		Short: "Show a command's help, the same as COMMAND -h",
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				a.writeHelp(a.env.Stdout, a.root)
				return nil
			}
			target, rest, err := a.root.Find(args)
			if err == nil && target != a.root && len(rest) > 0 {
				return usage(c, "write lambda-layers help "+target.Name(), "unexpected argument %q", rest[0])
			}
			if err != nil || target == a.root {
				return &usageError{cmd: "lambda-layers help", what: fmt.Sprintf("unknown command %q", args[0]), fix: suggestCommand(a.root, args[0])}
			}
			target.InitDefaultHelpFlag()
			a.writeHelp(a.env.Stdout, target)
			return nil
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range a.root.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
	a.document(c, &doc{
		synopsis: "lambda-layers help [COMMAND]",
		examples: []example{
			{"The options of build, as build -h prints them", "lambda-layers help build"},
			{"The commands, as lambda-layers -h lists them", "lambda-layers help"},
		},
	})
	return c
}

// commandArgs are the arguments after cmd's name, as the user wrote them.
func (a *app) commandArgs(cmd *cobra.Command) []string {
	for i, s := range a.args {
		if s == cmd.Name() {
			return a.args[i+1:]
		}
	}
	return a.args
}

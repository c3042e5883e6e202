package run

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambda-layers/lambda-layers/internal/target"
)

var shells = []string{"bash", "zsh", "fish"}

func (a *app) completionCommand() *cobra.Command {
	c := &cobra.Command{
		Use:       "completion",
		Short:     "Print the shell completion script for bash, zsh or fish",
		ValidArgs: shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(shells, args[0]) {
				what := "which shell?"
				if len(args) > 0 {
					what = "unknown shell " + strings.Join(args, " ")
				}
				return usage(cmd, "write one of: lambda-layers completion bash|zsh|fish", "%s", what)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			w := a.env.Stdout
			switch args[0] {
			case "bash":
				return a.root.GenBashCompletionV2(w, true)
			case "zsh":
				return a.root.GenZshCompletion(w)
			default:
				return a.root.GenFishCompletion(w, true)
			}
		},
	}
	a.document(c, &doc{
		synopsis: "lambda-layers completion bash|zsh|fish",
		long: `The script completes commands, options, runtimes (python3.9 … python3.14), architectures and
the other fixed values by asking the binary itself; requirements files and folders complete as
paths.`,
		examples: []example{
			{"Bash, in this shell (add the line to ~/.bashrc to keep it)", "source <(lambda-layers completion bash)"},
			{"Zsh, for new shells (any folder on $fpath will do)", `lambda-layers completion zsh > "${fpath[1]}/_lambda-layers"`},
			{"Fish, for new shells", "lambda-layers completion fish > ~/.config/fish/completions/lambda-layers.fish"},
		},
	})
	return c
}

// completeList completes a comma-separated list of values from choices: "python3.12,py" offers
// "python3.12,python3.13" and the others not yet in the list.
func completeList(choices func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		have := strings.Split(done, ",")
		var out []cobra.Completion
		for _, c := range choices() {
			if strings.HasPrefix(c, last) && !slices.Contains(have, c) {
				out = append(out, done+c)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// completeOne completes one value from a fixed set.
func completeOne(choices ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(choices, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveKeepOrder)
}

func runtimeNames() []string {
	out := make([]string, len(target.Runtimes))
	for i, r := range target.Runtimes {
		out[i] = r.Name
	}
	return out
}

func architectures() []string { return target.Architectures }

func completeDirs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

func completeFiles(exts ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}

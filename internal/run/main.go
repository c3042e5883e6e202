// Package run is the command line: it parses the commands' arguments into plans for the engine
// (internal/build), prints what came of them and turns outcomes into exit codes. When the binary runs
// as the GitHub action it hands over to internal/action. It holds no build logic and nothing of GitHub.
//
// Arguments are parsed with spf13/cobra and spf13/pflag, not the standard flag package, because they
// earn their place three times over: pflag parses the GNU forms the README writes (-r and
// --requirement as one option, --flag=value, -o FILE); cobra gives `help COMMAND`, suggestions for
// mistyped commands, and completion for bash, zsh and fish generated from the same command tree (our
// runtimes and architectures answered by the binary itself) — scripts we would otherwise write three
// times and keep in step by hand. It is what gh, kubectl and docker are built on. Cobra's presentation
// is replaced: help is rendered by help.go from each command's doc and grouped options, and errors
// are printed in one shape (what failed and the input at fault, then what to do) by usageError and
// failf.
package run

import (
	"context"

	"github.com/lambda-layers/lambda-layers/internal/action"
	"github.com/lambda-layers/lambda-layers/internal/build"
)

var rootDoc = &doc{
	synopsis: "lambda-layers COMMAND [OPTIONS]",
	long: `Resolved for the Lambda runtime and architecture (not for this machine), only wheels Lambda can
load, zips whose bytes depend only on their inputs; no Docker, no Python. In a GitHub workflow
(GITHUB_ACTIONS=true) with no arguments, the binary runs as the lambda-layers action and reads its
inputs from INPUT_* variables.`,
	examples: []example{
		{"Build the layer of a requirements file for Python 3.12 on x86_64 and arm64",
			"lambda-layers build -r requirements.txt --runtime python3.12 --arch x86_64,arm64"},
		{"The options of a command", "lambda-layers help build"},
	},
	footer: `Run 'lambda-layers help COMMAND' (or COMMAND -h) for a command's options.
Exit codes: 0 ok, 1 a build failed, 2 usage error, 3 a quota or the --fail-on policy fails.`,
}

// Main runs the program with args (without the program name) and returns the exit code.
func Main(ctx context.Context, env build.Env, args []string) int {
	env.Defaults()
	if len(args) == 0 && env.Getenv("GITHUB_ACTIONS") == "true" {
		return action.Main(ctx, env)
	}
	return newApp(ctx, env).run(args)
}

// Package run is the command line: it parses the commands' arguments into plans for the engine
// (internal/build), prints what came of them and turns outcomes into exit codes. When the binary runs
// as the GitHub action it hands over to internal/action. It holds no build logic and nothing of GitHub.
package run

import (
	"context"
	"fmt"

	"github.com/lambda-layers/lambda-layers/internal/action"
	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

const usage = `lambda-layers builds AWS Lambda Python layers from requirements files.

Usage:
  lambda-layers build -r FILE [-r FILE…] --runtime python3.12[,python3.13] [--arch x86_64[,arm64]]
                      [--name NAME] [--index-url URL] [--extra-index-url URL] [--pre]
                      [--out DIR] [--cache-dir DIR]
  lambda-layers lock -r FILE [-r FILE…] --runtime … [--arch …] [-o FILE | -o DIR/ | -o 'NAME-{target}.txt']
                     [--index-url URL] [--extra-index-url URL] [--pre] [--cache-dir DIR]
  lambda-layers report -r FILE … --runtime … [--base REF] [--fail-on exceeded|warn|never] [--markdown FILE]
  lambda-layers report --from dist/report.json [--base-from base/report.json]
  lambda-layers publish --report dist/report.json [--region R …] [--dry-run]
  lambda-layers version

Each command takes -h for its flags. In a GitHub workflow (GITHUB_ACTIONS=true) with no arguments,
the binary runs as the lambda-layers action and reads its inputs from INPUT_* variables.

Exit codes: 0 built within quotas, 1 build failed, 2 usage error, 3 built but a quota is exceeded.
`

// Main runs the program with args (without the program name) and returns the exit code.
func Main(ctx context.Context, env build.Env, args []string) int {
	env.Defaults()
	if len(args) == 0 && env.Getenv("GITHUB_ACTIONS") == "true" {
		return action.Main(ctx, env)
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return exitcode.Usage
	}
	switch args[0] {
	case "build":
		return buildCmd(ctx, env, args[1:])
	case "lock":
		return lockCmd(ctx, env, args[1:])
	case "report":
		return reportCmd(ctx, env, args[1:])
	case "publish":
		return publishCmd(ctx, env, args[1:])
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "lambda-layers", version.Version)
		return exitcode.OK
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return exitcode.OK
	}
	fmt.Fprintf(env.Stderr, "lambda-layers: unknown command %q\n\n%s", args[0], usage)
	return exitcode.Usage
}

package run

import (
	"context"
	"fmt"
)

// actionMain runs the binary as the GitHub container action (GITHUB_ACTIONS=true and no arguments);
// filled in by the work on issue 5.
func actionMain(ctx context.Context, env Env) int {
	fmt.Fprintln(env.Stderr, "lambda-layers: the action is not built yet")
	return ExitUsage
}

package run

import (
	"context"
	"fmt"
)

// reportCmd is filled in by the work on issue 4.
func reportCmd(ctx context.Context, env Env, args []string) int {
	fmt.Fprintln(env.Stderr, "lambda-layers: not built yet")
	return ExitUsage
}

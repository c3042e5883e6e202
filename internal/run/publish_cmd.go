package run

import (
	"context"
	"fmt"
)

// publishCmd is filled in by the work on issue 6.
func publishCmd(ctx context.Context, env Env, args []string) int {
	fmt.Fprintln(env.Stderr, "lambda-layers: not built yet")
	return ExitUsage
}

package run

import (
	"context"
	"fmt"
)

// lockCmd is filled in by the work on issue 3.
func lockCmd(ctx context.Context, env Env, args []string) int {
	fmt.Fprintln(env.Stderr, "lambda-layers: not built yet")
	return ExitUsage
}

// Command lambda-layers builds, reports on and publishes AWS Lambda Python layers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/run"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run.Main(ctx, build.OSEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}

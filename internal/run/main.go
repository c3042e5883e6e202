// Package run is the command line: it parses arguments, wires the packages together, and turns
// outcomes into exit codes. It is the only package that imports all the others.
package run

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Exit codes, the contract scripts and the action rely on.
const (
	ExitOK     = 0 // built within quotas
	ExitFailed = 1 // a build failed
	ExitUsage  = 2 // bad flags or arguments
	ExitQuota  = 3 // built, but a blocking quota is exceeded (files still written)
)

// Version is set at link time (-ldflags "-X …/internal/run.Version=v1.2.3").
var Version = "dev"

// Env is everything the program takes from the world.
type Env struct {
	Getenv           func(string) string
	Stdout, Stderr   io.Writer
	StderrIsTerminal bool
	UserCacheDir     func() (string, error)
	HTTPClient       *http.Client // nil: the index client's default
	Now              func() time.Time
}

// OSEnv is the real environment.
func OSEnv() Env {
	st, err := os.Stderr.Stat()
	return Env{
		Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		StderrIsTerminal: err == nil && st.Mode()&os.ModeCharDevice != 0,
		UserCacheDir:     os.UserCacheDir, Now: time.Now,
	}
}

func (e *Env) defaults() {
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.UserCacheDir == nil {
		e.UserCacheDir = os.UserCacheDir
	}
	if e.Now == nil {
		e.Now = time.Now
	}
}

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
func Main(ctx context.Context, env Env, args []string) int {
	env.defaults()
	if len(args) == 0 && env.Getenv("GITHUB_ACTIONS") == "true" {
		return actionMain(ctx, env)
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "build":
		return build(ctx, env, args[1:])
	case "lock":
		return lockCmd(ctx, env, args[1:])
	case "report":
		return reportCmd(ctx, env, args[1:])
	case "publish":
		return publishCmd(ctx, env, args[1:])
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "lambda-layers", Version)
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "lambda-layers: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

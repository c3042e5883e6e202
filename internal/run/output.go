package run

import (
	"fmt"
	"io"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// engineEnv is the world as the engine should see it: with --quiet its warnings and progress go
// nowhere (failures are in the report, which the command prints), with --verbose it logs what it
// fetches and why, and how long each phase took.
func (a *app) engineEnv() build.Env {
	e := a.env
	if a.quiet {
		e.Stderr, e.StderrIsTerminal = io.Discard, false
	}
	if a.verbose && !a.quiet {
		e.Verbose = a.env.Stderr
	}
	return e
}

// verbosef writes a line of --verbose's account to standard error.
func (a *app) verbosef(format string, args ...any) {
	if a.verbose {
		fmt.Fprintf(a.env.Stderr, format+"\n", args...)
	}
}

// warnings writes every layer's warnings to standard error, naming the layer and target: a newer
// Wheel-Version, an exclude glob that matched nothing, a package left to the runtime, a deprecated
// runtime. The engine only puts them in the report; the action turns them into annotations.
func (a *app) warnings(rep *report.Report) {
	if a.quiet || rep == nil {
		return
	}
	for _, l := range rep.Layers {
		for _, w := range l.Warnings {
			fmt.Fprintf(a.env.Stderr, "warning: %s (%s %s): %s\n", l.Name, l.Runtime, l.Architecture, w)
		}
	}
}

// color says whether to colour what goes to standard output (or error): only a terminal, and never
// when NO_COLOR is set (https://no-color.org) or TERM is dumb.
func (a *app) color(toStderr bool) bool {
	if a.env.Getenv("NO_COLOR") != "" || a.env.Getenv("TERM") == "dumb" {
		return false
	}
	if toStderr {
		return a.env.StderrIsTerminal
	}
	return a.env.StdoutIsTerminal
}

// tableOut is where the terminal table goes: standard output, or standard error when standard
// output carries a machine-readable file (--json -, --markdown -).
func (a *app) tableOut(toStderr bool) io.Writer {
	if toStderr {
		return a.env.Stderr
	}
	return a.env.Stdout
}

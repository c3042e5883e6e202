package build

import (
	"io"
	"net/http"
	"os"
	"time"
)

// Env is everything the program takes from the world. The command line and the action both fill
// one and hand it to the engine.
type Env struct {
	Getenv           func(string) string
	Stdout, Stderr   io.Writer
	StderrIsTerminal bool
	UserCacheDir     func() (string, error)
	HTTPClient       *http.Client // nil: the index client's default
	Now              func() time.Time

	// StdoutIsTerminal: colour in the terminal table is for a terminal only.
	StdoutIsTerminal bool
	// Verbose, when set, gets the engine's account of what it does: what is fetched and why, and how
	// long each phase took (the command line's --verbose). nil: say nothing.
	Verbose io.Writer
}

// OSEnv is the real environment.
func OSEnv() Env {
	st, err := os.Stderr.Stat()
	return Env{
		Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		StderrIsTerminal: err == nil && st.Mode()&os.ModeCharDevice != 0,
		UserCacheDir:     os.UserCacheDir, Now: time.Now,
		StdoutIsTerminal: isTerminal(os.Stdout),
	}
}

// Defaults fills what is unset: no environment variables, discarded output, the OS's cache folder
// and clock.
func (e *Env) Defaults() {
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

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

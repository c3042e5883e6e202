// Package version holds the program's version, set at link time, so that the engine (its user agent),
// the command line and the action all report the same one. It knows nothing else.
package version

// Version is set at link time (-ldflags "-X github.com/lambda-layers/lambda-layers/internal/version.Version=v1.2.3").
var Version = "dev"

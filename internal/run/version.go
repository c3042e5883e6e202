package run

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/lambda-layers/lambda-layers/internal/version"
)

// readBuildInfo is the binary's build info; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

func (a *app) versionCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the Go version and the source revision of this binary",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			a.writeVersion(a.env.Stdout)
			return nil
		},
	}
	a.document(c, &doc{
		synopsis: "lambda-layers version\nlambda-layers --version",
		long: `The revision and whether the working tree had changes come from the build info Go records
(go build with VCS stamping on, the default in a git checkout); a binary built without it says so.`,
		examples: []example{
			{"Which binary is this, built from which commit?", "lambda-layers version"},
			{"The same, as the option other tools take", "lambda-layers --version"},
		},
	})
	return c
}

// writeVersion writes the version, the Go version and the VCS revision with its modified flag.
func (a *app) writeVersion(w io.Writer) {
	v := version.Version
	goVersion := runtime.Version()
	rev, when, modified := "", "", ""
	if bi, ok := readBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version // go install …@v1.2.3
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	fmt.Fprintf(w, "lambda-layers %s\n", v)
	fmt.Fprintf(w, "go:       %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	if rev == "" {
		fmt.Fprintf(w, "revision: unknown (built without VCS stamping: -buildvcs=false, outside a git checkout, or in a git worktree, which go build does not stamp)\n")
		return
	}
	if when != "" {
		rev += " (" + when + ")"
	}
	fmt.Fprintf(w, "revision: %s\n", rev)
	switch modified {
	case "true":
		fmt.Fprintf(w, "modified: true (built from a working tree with uncommitted changes)\n")
	case "false":
		fmt.Fprintf(w, "modified: false\n")
	}
}

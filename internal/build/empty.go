package build

import (
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// emptyWarning is the warning for a layer built with nothing in it — an empty requirements file, one
// of comments only, or one whose every marker is false for the target: a zip Lambda accepts and
// that does nothing, most likely not what was meant. "" when the layer has packages or failed.
func emptyWarning(l report.Layer) string {
	if l.Error != nil || len(l.Packages) > 0 {
		return ""
	}
	files := "the requirements"
	if len(l.Requirements) > 0 {
		files = strings.Join(l.Requirements, ", ")
	}
	why := "no requirement, or none whose marker holds for the target"
	if len(l.ExcludedPackages) > 0 {
		why = "exclude-packages left out every package"
	}
	return fmt.Sprintf("the layer is empty: %s installs nothing for %s %s (%s)", files, l.Runtime, l.Architecture, why)
}

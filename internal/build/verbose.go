package build

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
)

// why says what required a package: the user's requirement (file:line) or the packages that depend on it.
func why(p *resolve.Package) string {
	if len(p.RequiredBy) == 0 {
		return "required"
	}
	return "required by " + strings.Join(p.RequiredBy, ", ")
}

func redactAll(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = index.Redact(u)
	}
	return strings.Join(out, ", ")
}

// verboseLog writes the engine's account of one target's build to Env.Verbose: each phase with the
// time it took, and what is fetched and why. Its zero value (no Verbose writer) says nothing.
type verboseLog struct {
	w      io.Writer
	prefix string
	now    func() time.Time
	last   time.Time
}

func (b *builder) verbose(prefix string) *verboseLog {
	if b.env.Verbose == nil {
		return &verboseLog{}
	}
	return &verboseLog{w: b.env.Verbose, prefix: prefix, now: b.env.Now, last: b.env.Now()}
}

func (v *verboseLog) printf(format string, args ...any) {
	if v.w != nil {
		fmt.Fprintf(v.w, v.prefix+": "+format+"\n", args...)
	}
}

// phase logs the end of a phase with the time since the previous one.
func (v *verboseLog) phase(format string, args ...any) {
	if v.w == nil {
		return
	}
	now := v.now()
	v.printf(format+" [%s]", append(args, now.Sub(v.last).Round(time.Millisecond))...)
	v.last = now
}

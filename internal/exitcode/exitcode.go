// Package exitcode is the exit-code contract that scripts and workflows rely on, shared by the command
// line and the action so that both doors answer alike. It reads a report; it decides nothing else.
package exitcode

import "github.com/lambda-layers/lambda-layers/internal/report"

// Exit codes.
const (
	OK     = 0 // built within quotas
	Failed = 1 // a build failed
	Usage  = 2 // bad flags, arguments, inputs or config
	Quota  = 3 // built, but a blocking quota is exceeded, or the fail-on policy tripped (files still written)
)

// Of is the build contract's exit code for a report: Failed when a layer failed, Quota when a
// blocking quota is exceeded, else OK.
func Of(rep *report.Report) int {
	switch {
	case rep.Failed():
		return Failed
	case rep.Exceeded():
		return Quota
	}
	return OK
}

// OfPolicy is the exit code of a report under a fail-on policy: Failed when a layer failed, Quota
// when the policy fails it, else OK.
func OfPolicy(rep *report.Report, p report.Policy) int {
	switch {
	case rep.Failed():
		return Failed
	case p.Fails(rep):
		return Quota
	}
	return OK
}

// Package action is the GitHub container action: it reads INPUT_* and the event, chooses the mode
// (build, report, plan, comment, publish), turns the configuration into a Plan for the engine
// (internal/build), and writes step outputs, the job summary, annotations, the sticky pull request
// comment and the status check (internal/github), publishing through internal/publish. It never parses command-line flags:
// internal/run hands over to Main when the binary runs as the action.
package action

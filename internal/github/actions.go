package github

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// MaxSummaryBytes is GitHub's limit on one step's summary.
const MaxSummaryBytes = 1 << 20

// PerStepLimit is how many annotations of each level GitHub shows for one step.
const PerStepLimit = 10

// fileDelimiter is go-githubactions' fixed heredoc delimiter for multi-line file commands: a value
// with this line in it would end the value early and let the rest set other outputs.
const fileDelimiter = "_GitHubActionsFileCommandDelimeter_"

// ErrNoCommandFile is returned when the runner did not give the file a command writes to
// (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY): go-githubactions would panic there.
var ErrNoCommandFile = errors.New("the runner gave no file for this command")

// Actions is go-githubactions with the guards it lacks: commands whose file is missing or cannot
// be written return errors instead of panicking, output values that could forge other outputs are
// refused, and the summary is kept within GitHub's limit.
type Actions struct {
	a            *githubactions.Action
	getenv       func(string) string
	out          io.Writer
	summaryBytes int
	summaryCut   bool
}

// NewActions reads inputs and the file-command paths through getenv and writes workflow commands
// (annotations) to out.
func NewActions(getenv func(string) string, out io.Writer) *Actions {
	return &Actions{
		a:      githubactions.New(githubactions.WithGetenv(githubactions.GetenvFunc(getenv)), githubactions.WithWriter(out)),
		getenv: getenv,
		out:    out,
	}
}

// Input is an input's value, trimmed ("" when unset). GitHub does not enforce required inputs.
func (a *Actions) Input(name string) string { return a.a.GetInput(name) }

// InputEnv is the environment variable the runner passes an input in: upper-cased, spaces to
// underscores, hyphens kept (INPUT_GITHUB-TOKEN).
func InputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// SetOutput sets a step output. Values may span lines.
func (a *Actions) SetOutput(name, value string) error {
	if a.getenv("GITHUB_OUTPUT") == "" {
		return fmt.Errorf("setting output %s: GITHUB_OUTPUT: %w", name, ErrNoCommandFile)
	}
	for _, line := range strings.Split(value, "\n") {
		if strings.TrimRight(line, "\r") == fileDelimiter {
			return fmt.Errorf("setting output %s: the value contains the file command delimiter", name)
		}
	}
	return guard("setting output "+name, func() { a.a.SetOutput(name, value) })
}

// AddSummary appends Markdown to the job summary, cutting what does not fit in GitHub's 1 MiB.
func (a *Actions) AddSummary(md string) error {
	if a.getenv("GITHUB_STEP_SUMMARY") == "" {
		return fmt.Errorf("writing the job summary: GITHUB_STEP_SUMMARY: %w", ErrNoCommandFile)
	}
	if a.summaryCut {
		return nil
	}
	const note = "\n\n… the summary was cut to fit GitHub's 1 MiB limit: report.json has everything.\n"
	if a.summaryBytes+len(md)+1 > MaxSummaryBytes-len(note) {
		room := max(MaxSummaryBytes-len(note)-a.summaryBytes-1, 0)
		cut := md[:room]
		if i := strings.LastIndexByte(cut, '\n'); i >= 0 {
			cut = cut[:i]
		}
		md = cut + note
		a.summaryCut = true
	}
	err := guard("writing the job summary", func() { a.a.AddStepSummary(md) })
	if err == nil {
		a.summaryBytes += len(md) + 1
	}
	return err
}

// guard turns go-githubactions' panics (a file it cannot open or write) into errors.
func guard(what string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", what, r)
		}
	}()
	f()
	return nil
}

// Annotation is a message GitHub shows on a line of a file, in the pull request's diff and on the
// run's page.
type Annotation struct {
	Level   string `json:"level"`          // "error", "warning" or "notice"
	File    string `json:"file,omitempty"` // relative to the repository root; "" for the run as a whole
	Line    int    `json:"line,omitempty"` // 1-based; 0 for the whole file
	Title   string `json:"title,omitempty"`
	Message string `json:"message"`
}

// Annotate writes annotations as workflow commands, at most PerStepLimit of each level (GitHub
// drops the others), and returns the ones it did not write so the caller can list them in the
// summary. Identical annotations are written once.
func (a *Actions) Annotate(as []Annotation) (rest []Annotation) {
	count := map[string]int{}
	seen := map[Annotation]bool{}
	for _, an := range as {
		if seen[an] {
			continue
		}
		seen[an] = true
		level := an.Level
		if level != "error" && level != "warning" {
			level = "notice"
		}
		if count[level] >= PerStepLimit {
			rest = append(rest, an)
			continue
		}
		count[level]++
		props := githubactions.CommandProperties{}
		if an.File != "" {
			props["file"] = an.File
			if an.Line > 0 {
				props["line"] = strconv.Itoa(an.Line)
			}
		}
		if an.Title != "" {
			props["title"] = an.Title
		}
		cmd := &githubactions.Command{Name: level, Message: an.Message, Properties: props}
		fmt.Fprintln(a.out, cmd.String())
	}
	return rest
}

// Position renders an annotation's place for text: "file:line", "file" or "".
func (an Annotation) Position() string {
	switch {
	case an.File != "" && an.Line > 0:
		return an.File + ":" + strconv.Itoa(an.Line)
	default:
		return an.File
	}
}

// SafeLines makes untrusted text safe to print in a workflow log: the runner reads a line that
// starts with "::" after leading spaces as a workflow command (::add-mask::, ::stop-commands::…), so
// that "::" becomes ": :".
func SafeLines(s string) string {
	if !strings.Contains(s, "::") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, "::") {
			lines[i] = l[:len(l)-len(t)] + ": :" + t[2:]
		}
	}
	return strings.Join(lines, "\n")
}

package publish

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// Status is what became of a layer version, a function or an old version.
type Status string

// Statuses.
const (
	StatusPublished Status = "published" // a new version was published
	StatusSkipped   Status = "skipped"   // the newest version has the same content: it is reused
	StatusRefused   Status = "refused"   // refused before anything was written
	StatusFailed    Status = "failed"    // AWS failed the call; the run stopped there
	StatusAborted   Status = "aborted"   // not done: the run stopped at an earlier failure
	StatusPlanned   Status = "planned"   // dry run: would be done
	StatusUpdated   Status = "updated"   // function: its layers were changed
	StatusUnchanged Status = "unchanged" // function: it already had this version
	StatusAbsent    Status = "absent"    // function: not in this region
	StatusDeleted   Status = "deleted"   // old version: pruned
)

// Result is what a publish did (or, in a dry run, would do).
type Result struct {
	DryRun    bool             `json:"dry_run,omitempty"`
	Layers    []LayerResult    `json:"layers"`
	Functions []FunctionResult `json:"functions,omitempty"`
	Pruned    []PrunedVersion  `json:"pruned,omitempty"`
	// Calls are the calls of the writing steps made (or, in a dry run, to be made), in order; the
	// reads that decided them are not listed.
	Calls []string `json:"calls,omitempty"`
}

// LayerResult is one layer × target × region.
type LayerResult struct {
	Layer   string `json:"layer"` // the report's layer name
	Name    string `json:"name"`  // the Lambda layer name
	Runtime string `json:"runtime"`
	// Runtimes are every runtime a shared zip's version serves (layout shared); empty otherwise.
	Runtimes     []string `json:"runtimes,omitempty"`
	Architecture string   `json:"architecture"`
	Region       string   `json:"region"`
	Status       Status   `json:"status"`
	Reason       string   `json:"reason,omitempty"`
	Version      int64    `json:"version,omitempty"`
	ARN          string   `json:"arn,omitempty"` // the layer version's ARN
	CodeSHA256   string   `json:"code_sha256,omitempty"`
	ZippedBytes  int64    `json:"zipped_bytes,omitempty"`
	ViaS3        bool     `json:"via_s3,omitempty"`
	// Permissions are the statement ids granted by this run.
	Permissions []string `json:"permissions,omitempty"`
}

// FunctionResult is one function's roll-out in one region.
type FunctionResult struct {
	Function string   `json:"function"`
	Region   string   `json:"region"`
	Status   Status   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Before   []string `json:"before,omitempty"` // layer version ARNs, in order
	After    []string `json:"after,omitempty"`
}

// PrunedVersion is an old layer version deleted (or to be deleted).
type PrunedVersion struct {
	Name    string `json:"name"`
	Region  string `json:"region"`
	Version int64  `json:"version"`
	ARN     string `json:"arn"`
	Status  Status `json:"status"`
	Reason  string `json:"reason,omitempty"`
}

// Published lists the versions this run published.
func (r *Result) Published() []LayerResult {
	var out []LayerResult
	for _, l := range r.Layers {
		if l.Status == StatusPublished {
			out = append(out, l)
		}
	}
	return out
}

// Table writes the terminal summary.
func (r *Result) Table(w io.Writer) {
	fmt.Fprintf(w, "%-24s %-14s %-10s %-18s %7s  %s\n", "LAYER", "REGION", "RESULT", "TARGET", "VERSION", "ARN / REASON")
	for _, l := range r.Layers {
		v := "-"
		if l.Version > 0 {
			v = strconv.FormatInt(l.Version, 10)
		}
		detail := l.ARN
		if l.Reason != "" && (detail == "" || l.Status != StatusPublished) {
			detail = strings.TrimSpace(detail + " " + l.Reason)
		}
		rt := l.Runtime
		if len(l.Runtimes) > 1 { // python3.11+3.12, as the build's table says
			rt = l.Runtimes[0]
			for _, x := range l.Runtimes[1:] {
				rt += "+" + strings.TrimPrefix(x, "python")
			}
		}
		fmt.Fprintf(w, "%-24s %-14s %-10s %-18s %7s  %s\n", l.Name, l.Region, l.Status, rt+" "+l.Architecture, v, detail)
	}
	if len(r.Functions) > 0 {
		fmt.Fprintf(w, "\n%-24s %-14s %-10s %s\n", "FUNCTION", "REGION", "RESULT", "LAYERS BEFORE → AFTER / REASON")
		for _, f := range r.Functions {
			detail := f.Reason
			if f.Status == StatusUpdated || f.Status == StatusPlanned || f.Status == StatusUnchanged {
				detail = strings.TrimSpace(shortARNs(f.Before) + " → " + shortARNs(f.After) + " " + f.Reason)
			}
			fmt.Fprintf(w, "%-24s %-14s %-10s %s\n", f.Function, f.Region, f.Status, detail)
		}
	}
	if len(r.Pruned) > 0 {
		fmt.Fprintf(w, "\n%-24s %-14s %-10s %7s  %s\n", "OLD VERSION", "REGION", "RESULT", "VERSION", "REASON")
		for _, p := range r.Pruned {
			fmt.Fprintf(w, "%-24s %-14s %-10s %7d  %s\n", p.Name, p.Region, pruneStatus(p.Status), p.Version, p.Reason)
		}
	}
}

// Markdown renders the result for a job summary or a pull-request comment.
func (r *Result) Markdown() string {
	var b strings.Builder
	title := "Lambda layers published"
	switch {
	case r.DryRun:
		title = "Lambda layers: dry run (nothing was written)"
	case r.refused():
		title = "Lambda layers: publishing refused (nothing was written)"
	case r.failed():
		title = "Lambda layers: publishing failed"
	}
	fmt.Fprintf(&b, "### %s\n\n", title)
	b.WriteString("| Layer | Target | Region | Result | Version | ARN / reason |\n|---|---|---|---|---:|---|\n")
	for _, l := range r.Layers {
		v := ""
		if l.Version > 0 {
			v = strconv.FormatInt(l.Version, 10)
		}
		detail := ""
		if l.ARN != "" {
			detail = "`" + l.ARN + "`"
		}
		if l.Reason != "" {
			detail = strings.TrimSpace(detail + " " + mdCell(l.Reason))
		}
		if l.ViaS3 {
			detail += " (via S3)"
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s | %s | %s |\n", mdCell(l.Name), l.Runtime, l.Architecture, l.Region, mdStatus(l.Status), v, detail)
	}
	if len(r.Functions) > 0 {
		b.WriteString("\n#### Functions\n\n| Function | Region | Result | Layers before | Layers after |\n|---|---|---|---|---|\n")
		for _, f := range r.Functions {
			after := mdARNs(f.After)
			if len(f.After) == 0 {
				after = ""
			}
			if f.Reason != "" {
				after = strings.TrimSpace(after + " " + mdCell(f.Reason))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(f.Function), f.Region, mdStatus(f.Status), mdARNs(f.Before), after)
		}
	}
	if len(r.Pruned) > 0 {
		b.WriteString("\n#### Old versions\n\n")
		for _, p := range r.Pruned {
			fmt.Fprintf(&b, "- `%s` %s", p.ARN, pruneStatus(p.Status))
			if p.Reason != "" {
				fmt.Fprintf(&b, ": %s", mdCell(p.Reason))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (r *Result) refused() bool {
	for _, l := range r.Layers {
		if l.Status == StatusRefused {
			return true
		}
	}
	for _, f := range r.Functions {
		if f.Status == StatusRefused {
			return true
		}
	}
	return false
}

func (r *Result) failed() bool {
	for _, l := range r.Layers {
		if l.Status == StatusFailed || l.Status == StatusAborted {
			return true
		}
	}
	for _, f := range r.Functions {
		if f.Status == StatusFailed || f.Status == StatusAborted {
			return true
		}
	}
	for _, p := range r.Pruned {
		if p.Status == StatusFailed || p.Status == StatusAborted {
			return true
		}
	}
	return false
}

// pruneStatus words an old version's fate: a skipped deletion keeps it.
func pruneStatus(s Status) string {
	if s == StatusSkipped {
		return "kept"
	}
	return string(s)
}

func mdStatus(s Status) string {
	switch s {
	case StatusPublished, StatusUpdated:
		return "**" + string(s) + "**"
	case StatusSkipped:
		return "skipped (unchanged)"
	case StatusRefused, StatusFailed:
		return "**" + strings.ToUpper(string(s)) + "**"
	}
	return string(s)
}

// mdCell makes text safe inside a table cell: one line, no pipe, no stray markup.
func mdCell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer("|", `\|`, "`", "'", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

func mdARNs(arns []string) string {
	if len(arns) == 0 {
		return "(none)"
	}
	parts := make([]string, len(arns))
	for i, a := range arns {
		parts[i] = "`" + shortARN(a) + "`"
	}
	return strings.Join(parts, "<br>")
}

// shortARN keeps a layer version ARN's name and version: data-py312-arm64:3.
func shortARN(arn string) string {
	if i := strings.Index(arn, ":layer:"); i >= 0 {
		return arn[i+len(":layer:"):]
	}
	return arn
}

func shortARNs(arns []string) string {
	if len(arns) == 0 {
		return "(none)"
	}
	parts := make([]string, len(arns))
	for i, a := range arns {
		parts[i] = shortARN(a)
	}
	return strings.Join(parts, ",")
}

// sizeNote is a size for humans.
func sizeNote(n int64) string { return report.Bytes(n) }

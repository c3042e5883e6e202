package oci

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// FromReport lists the report's layers as Layers to turn into images. A layer that failed to build is
// an error: no image is pushed while any layer failed, as no Lambda layer version is published.
func FromReport(rep *report.Report) ([]Layer, error) {
	var out []Layer
	for _, l := range rep.Layers {
		if l.Error != nil {
			return nil, fmt.Errorf("%s (%s %s) failed to build: no image is pushed while any layer failed", l.Name, l.Runtime, l.Architecture)
		}
		if l.Zip == "" {
			return nil, fmt.Errorf("the report names no zip for %s (%s %s)", l.Name, l.Runtime, l.Architecture)
		}
		runtimes := []string{l.Runtime}
		if l.Layout == "shared" && len(l.Runtimes) > 0 {
			// One zip under python/ serves every runtime: each gets its tags, so that a function on
			// any of them finds NAME-pythonX.Y.
			runtimes = l.Runtimes
		}
		for _, rt := range runtimes {
			out = append(out, Layer{Name: l.Name, Runtime: rt, Arch: l.Architecture, Zip: l.Zip, SHA256: l.SHA256})
		}
	}
	return out, nil
}

// state says what happened to an image: pushed, unchanged, or (dry run) would push.
func state(p Pushed, dryRun bool) string {
	switch {
	case p.Unchanged:
		return "unchanged"
	case dryRun:
		return "would push"
	}
	return "pushed"
}

// Table writes the images as a terminal table.
func Table(w io.Writer, images []Pushed, dryRun bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tRUNTIME\tARCH\tSTATE\tREFERENCE\tDIGEST")
	for _, p := range images {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Layer, p.Runtime, p.Arch, state(p, dryRun), p.Reference, p.Digest)
	}
	tw.Flush()
}

// Markdown is the images as a job summary section.
func Markdown(images []Pushed, dryRun bool) string {
	var b strings.Builder
	title := "Images"
	if dryRun {
		title = "Images (dry run: nothing pushed)"
	}
	fmt.Fprintf(&b, "#### %s\n\n| layer | runtime | arch | | reference | digest |\n|---|---|---|---|---|---|\n", title)
	for _, p := range images {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` | `%s` |\n", p.Layer, p.Runtime, p.Arch, state(p, dryRun), p.Reference, short(p.Digest))
	}
	return b.String()
}

// short is a digest's algorithm and first 12 hex characters.
func short(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/mdtext"
)

// LimitSize formats a limit or budget: whole MB without a decimal ("250 MB"), else as Bytes.
func LimitSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MB"
	}
	return Bytes(n)
}

// Delta formats a size change with its sign: "+1.2 MB", "-340.0 KB", "±0".
func Delta(n int64) string {
	switch {
	case n > 0:
		return "+" + Bytes(n)
	case n < 0:
		return "-" + Bytes(-n)
	}
	return "±0"
}

// pct is used as a whole percentage of limit, rounded down, but never 100 when over the limit.
func pct(used, limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	p := int64(float64(used) / float64(limit) * 100)
	if used > limit && p <= 100 {
		p = 101
	}
	return p
}

func Percent(used, limit int64) string { return strconv.FormatInt(pct(used, limit), 10) + "%" }

// Gauge is a ten-cell bar of used against limit: "███████░░░".
func Gauge(used, limit int64) string {
	n := 0
	if limit > 0 {
		n = int(float64(used) / float64(limit) * 10)
	}
	n = max(0, min(n, 10))
	return strings.Repeat("█", n) + strings.Repeat("░", 10-n)
}

// QuotaLabel names a quota's limit for people: "250 MB unzipped", "budget 40 MB zipped".
func QuotaLabel(q Quota) string {
	switch q.Name {
	case "zipped-direct-upload":
		return LimitSize(q.LimitBytes) + " zipped (direct upload)"
	case "unzipped":
		return LimitSize(q.LimitBytes) + " unzipped"
	case QuotaBudgetZipped:
		return "budget " + LimitSize(q.LimitBytes) + " zipped"
	case QuotaBudgetUnzipped:
		return "budget " + LimitSize(q.LimitBytes) + " unzipped"
	case QuotaFunctionUnzipped:
		return LimitSize(q.LimitBytes) + " unzipped with its layers"
	case QuotaFunctionLayers:
		return strconv.FormatInt(q.Limit, 10) + " layers"
	}
	if q.Unit != "" {
		return strconv.FormatInt(q.Limit, 10) + " " + q.Unit
	}
	return LimitSize(q.LimitBytes) + " " + q.Name
}

func (q Quota) ratioUsed() (used, limit int64) {
	if q.Unit != "" {
		return q.Used, q.Limit
	}
	return q.UsedBytes, q.LimitBytes
}

// Levels of a verdict, from the best.
const (
	LevelOK = iota
	LevelWarn
	LevelExceeded
	LevelFailed
)

// Standing is how one layer (or function) stands, in words.
type Standing struct {
	Level  int
	Words  string // "ok", "85% of 250 MB unzipped", "over budget 40 MB zipped"
	S3     bool   // over 50 MB zipped: publishing goes through S3
	S3Near bool   // at or over the warn share of 50 MB zipped
	// Used and Limit of the tightest blocking quota, for the gauge.
	Used, Limit int64
}

func JudgeQuotas(qs []Quota) Standing {
	v := Standing{Level: LevelOK}
	var over, near []string
	best := -1.0
	for _, q := range qs {
		used, limit := q.ratioUsed()
		if !q.Blocking {
			switch q.State {
			case StateExceeded:
				v.S3 = true
			case StateWarn:
				v.S3Near = true
			}
			continue
		}
		if limit > 0 {
			if r := float64(used) / float64(limit); r > best {
				best, v.Used, v.Limit = r, used, limit
			}
		}
		switch q.State {
		case StateExceeded:
			over = append(over, "over "+QuotaLabel(q))
		case StateWarn:
			near = append(near, Percent(used, limit)+" of "+QuotaLabel(q))
		}
	}
	switch {
	case len(over) > 0:
		v.Level, v.Words = LevelExceeded, strings.Join(over, ", ")
	case len(near) > 0:
		v.Level, v.Words = LevelWarn, strings.Join(near, ", ")
	default:
		v.Words = "ok"
	}
	return v
}

func Judge(l Layer) Standing {
	if l.Error != nil {
		return Standing{Level: LevelFailed, Words: "build failed"}
	}
	qs := l.Quotas
	if len(qs) == 0 {
		qs = Quotas(l.ZippedBytes, l.UnzippedBytes, 0)
	}
	return JudgeQuotas(qs)
}

// WriteTable writes the terminal summary: one row per layer (with its change against the base when d
// is set), failures in full, the changes, then the functions.
func (r *Report) WriteTable(w io.Writer, d *Diff) { r.WriteTableWith(w, d, TableOptions{}) }

// TableOptions change how WriteTableWith renders; the zero value is WriteTable's plain text.
type TableOptions struct {
	// Color marks each state with an ANSI colour: green ok, yellow warn, red exceeded or failed. The
	// caller decides when (a terminal, NO_COLOR unset); the columns stay aligned, as the state is last.
	Color bool
}

// paint wraps s in the colour of level when o.Color is set.
func (o TableOptions) paint(s string, level int) string {
	if !o.Color {
		return s
	}
	code := map[int]string{LevelOK: "32", LevelWarn: "33", LevelExceeded: "1;31", LevelFailed: "1;31"}[level]
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// WriteTableWith is WriteTable with options.
func (r *Report) WriteTableWith(w io.Writer, d *Diff, o TableOptions) {
	withDelta := d != nil && d.Unavailable == ""
	row := func(cols ...string) {
		f := "%-16s %-20s %8s %10s %10s %6s  %s\n"
		if withDelta {
			f = "%-16s %-20s %8s %10s %10s %6s %11s  %s\n"
		}
		args := make([]any, len(cols))
		for i, c := range cols {
			args[i] = c
		}
		fmt.Fprintf(w, f, args...)
	}
	cols := func(c ...string) []string {
		if !withDelta {
			return append(c[:6:6], c[7])
		}
		return c
	}
	row(cols("LAYER", "TARGET", "PACKAGES", "ZIPPED", "UNZIPPED", "OF MAX", "Δ UNZIPPED", "STATE")...)
	for _, l := range r.Layers {
		tgt := RuntimeLabel(l) + " " + l.Architecture
		delta := ""
		if ld := d.Layer(l.Name, l.Runtime, l.Architecture); ld != nil {
			delta = terminalDelta(ld)
		}
		if l.Error != nil {
			row(cols(l.Name, tgt, "-", "-", "-", "-", delta, o.paint("FAILED", LevelFailed))...)
			continue
		}
		v := Judge(l)
		st := v.Words
		switch v.Level {
		case LevelExceeded:
			st = "EXCEEDED: " + st
		case LevelWarn:
			st = "warn: " + st
		}
		if v.S3 {
			st += " (needs S3 upload)"
		}
		p := "-"
		if v.Limit > 0 {
			p = fmt.Sprintf("%.1f%%", float64(v.Used)/float64(v.Limit)*100)
		}
		row(cols(l.Name, tgt, strconv.Itoa(len(l.Packages)), Bytes(l.ZippedBytes), Bytes(l.UnzippedBytes), p, delta, o.paint(st, v.Level))...)
	}
	if d != nil {
		for _, ld := range d.Layers {
			if ld.Status == LayerRemoved {
				row(cols(ld.Name, ld.Runtime+" "+ld.Architecture, "-", "-", "-", "-", Delta(ld.UnzippedDelta), "removed")...)
			}
		}
	}
	for _, l := range r.Layers {
		if l.Error != nil {
			fmt.Fprintf(w, "\n%s (%s %s) failed:\n%s\n", l.Name, l.Runtime, l.Architecture, l.Error.Message)
		}
	}
	for _, b := range r.Breaches() {
		fmt.Fprintf(w, "\n%s\n", b)
	}
	if d != nil {
		r.writeTerminalChanges(w, d)
	}
	if len(r.Functions) > 0 {
		fmt.Fprintf(w, "\n%-24s %-20s %6s %10s %6s  %s\n", "FUNCTION", "TARGET", "LAYERS", "UNZIPPED", "OF MAX", "STATE")
		for _, f := range r.Functions {
			v := JudgeQuotas(f.Quotas)
			st := v.Words
			if len(f.Missing) > 0 {
				st += " (not built: " + strings.Join(f.Missing, ", ") + ")"
			}
			fmt.Fprintf(w, "%-24s %-20s %6d %10s %5.1f%%  %s\n", f.Name, strings.TrimSpace(f.Runtime+" "+f.Architecture),
				len(f.Layers), Bytes(f.UnzippedBytes), float64(f.UnzippedBytes)/float64(LimitUnzipped)*100, o.paint(st, v.Level))
		}
	}
}

// Breaches says, one sentence per exceeded blocking quota, which layer is over what and its biggest
// packages: what to move or leave out.
func (r *Report) Breaches() []string {
	var out []string
	for _, l := range r.Layers {
		for _, q := range l.Quotas {
			if len(q.Biggest) == 0 {
				continue
			}
			what := q.Note
			if what == "" {
				what = "over " + QuotaLabel(q)
			}
			parts := make([]string, len(q.Biggest))
			for i, p := range q.Biggest {
				parts[i] = fmt.Sprintf("%s %s (%s)", p.Name, p.Version, Bytes(p.Bytes))
			}
			out = append(out, fmt.Sprintf("%s (%s %s) is %s; its biggest packages: %s", l.Name, l.Runtime, l.Architecture, what, strings.Join(parts, ", ")))
		}
	}
	return out
}

func terminalDelta(ld *LayerDiff) string {
	switch ld.Status {
	case LayerNew:
		return "new"
	case LayerFailed:
		return "-"
	case LayerBaseFailed:
		return "base failed"
	}
	return Delta(ld.UnzippedDelta)
}

func (r *Report) writeTerminalChanges(w io.Writer, d *Diff) {
	base := baseName(d.BaseRef, d.BaseSHA)
	if d.Unavailable != "" {
		fmt.Fprintf(w, "\nno comparison with the base: %s\n", d.Unavailable)
		return
	}
	const perLayer = 10
	header := false
	for _, ld := range d.Layers {
		whole := ld.Status == LayerNew || ld.Status == LayerRemoved // a layer the base or the head lacks
		if len(ld.Changes) == 0 && ld.Status != LayerBaseFailed && !whole {
			continue
		}
		if !header {
			fmt.Fprintf(w, "\nchanges against %s:\n", base)
			header = true
		}
		what := ""
		if whole {
			what = ld.Status + " layer, "
		}
		fmt.Fprintf(w, "  %s %s %s: %s%s unzipped, %s zipped\n", ld.Name, ld.Runtime, ld.Architecture, what, Delta(ld.UnzippedDelta), Delta(ld.ZippedDelta))
		if ld.Status == LayerBaseFailed && ld.BaseError != nil {
			fmt.Fprintf(w, "    the base did not build: %s\n", mdtext.FirstLine(ld.BaseError.Message))
		}
		for i, c := range ld.Changes {
			if i == perLayer {
				fmt.Fprintf(w, "    … %d more\n", len(ld.Changes)-perLayer)
				break
			}
			fmt.Fprintf(w, "    %s %s (%s)\n", map[string]string{ChangeAdded: "+", ChangeRemoved: "-", ChangeUpgraded: "↑",
				ChangeDowngraded: "↓", ChangeRebuilt: "~"}[c.Kind], changeText(c), Delta(c.UnzippedDelta))
		}
	}
	if !header {
		fmt.Fprintf(w, "\nno package changed against %s\n", base)
	}
}

func changeText(c PackageChange) string {
	switch c.Kind {
	case ChangeAdded:
		return c.Name + " " + c.HeadVersion
	case ChangeRemoved:
		return c.Name + " " + c.BaseVersion
	case ChangeRebuilt:
		return c.Name + " " + c.HeadVersion + " (another wheel)"
	}
	return c.Name + " " + c.BaseVersion + " → " + c.HeadVersion
}

func baseName(ref, sha string) string {
	switch {
	case ref != "" && sha != "" && !strings.HasPrefix(sha, ref):
		return ref + " (" + mdtext.ShortSHA(sha) + ")"
	case sha != "":
		return mdtext.ShortSHA(sha)
	case ref != "":
		return ref
	}
	return "the base"
}

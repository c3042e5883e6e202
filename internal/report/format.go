package report

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode"
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

func percent(used, limit int64) string { return strconv.FormatInt(pct(used, limit), 10) + "%" }

// gauge is a ten-cell bar of used against limit: "███████░░░".
func gauge(used, limit int64) string {
	n := 0
	if limit > 0 {
		n = int(float64(used) / float64(limit) * 10)
	}
	n = max(0, min(n, 10))
	return strings.Repeat("█", n) + strings.Repeat("░", 10-n)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func shortSHA(s string) string {
	if len(s) > 7 && isHex(s) {
		return s[:7]
	}
	return s
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// oneLine folds whitespace runs (newlines included) into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// code is an inline code span that is safe in a GFM table cell: it takes more backticks than the text
// holds in a row, and escapes pipes (GFM splits cells before it parses code spans).
func code(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	run, longest := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	s = strings.ReplaceAll(s, "|", `\|`)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// text escapes plain text for Markdown, table cells included. An underscore between letters or
// digits cannot start or end emphasis in GFM, so "x86_64" stays as it is.
func text(s string) string {
	rs := []rune(oneLine(s))
	var b strings.Builder
	alnum := func(i int) bool {
		return i >= 0 && i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]))
	}
	for i, c := range rs {
		if strings.ContainsRune("\\`*[]<>|#~&!", c) || c == '_' && !(alnum(i-1) && alnum(i+1)) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural is "1 package", "2 packages", "1,875 packages".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// htmlText escapes text inside an HTML block (<summary>), where Markdown is not parsed.
func htmlText(s string) string { return html.EscapeString(oneLine(s)) }

// fenced is a fenced code block holding s verbatim, with a fence longer than any in s.
func fenced(lang, s string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

// clip shortens s to at most n bytes (on a rune boundary), saying how much was left out.
func clip(s string, n int) (string, bool) {
	if n <= 0 || len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n… (%s more characters)", thousands(len(s)-cut)), true
}

// quotaLabel names a quota's limit for people: "250 MB unzipped", "budget 40 MB zipped".
func quotaLabel(q Quota) string {
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
	levelOK = iota
	levelWarn
	levelExceeded
	levelFailed
)

// verdict is how one layer (or function) stands, in words.
type verdict struct {
	level  int
	words  string // "ok", "85% of 250 MB unzipped", "over budget 40 MB zipped"
	s3     bool   // over 50 MB zipped: publishing goes through S3
	s3Near bool   // at or over the warn share of 50 MB zipped
	// used and limit of the tightest blocking quota, for the gauge.
	used, limit int64
}

func judgeQuotas(qs []Quota) verdict {
	v := verdict{level: levelOK}
	var over, near []string
	best := -1.0
	for _, q := range qs {
		used, limit := q.ratioUsed()
		if !q.Blocking {
			switch q.State {
			case StateExceeded:
				v.s3 = true
			case StateWarn:
				v.s3Near = true
			}
			continue
		}
		if limit > 0 {
			if r := float64(used) / float64(limit); r > best {
				best, v.used, v.limit = r, used, limit
			}
		}
		switch q.State {
		case StateExceeded:
			over = append(over, "over "+quotaLabel(q))
		case StateWarn:
			near = append(near, percent(used, limit)+" of "+quotaLabel(q))
		}
	}
	switch {
	case len(over) > 0:
		v.level, v.words = levelExceeded, strings.Join(over, ", ")
	case len(near) > 0:
		v.level, v.words = levelWarn, strings.Join(near, ", ")
	default:
		v.words = "ok"
	}
	return v
}

func judge(l Layer) verdict {
	if l.Error != nil {
		return verdict{level: levelFailed, words: "build failed"}
	}
	qs := l.Quotas
	if len(qs) == 0 {
		qs = Quotas(l.ZippedBytes, l.UnzippedBytes, 0)
	}
	return judgeQuotas(qs)
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
	code := map[int]string{levelOK: "32", levelWarn: "33", levelExceeded: "1;31", levelFailed: "1;31"}[level]
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
		tgt := runtimeLabel(l) + " " + l.Architecture
		delta := ""
		if ld := d.Layer(l.Name, l.Runtime, l.Architecture); ld != nil {
			delta = terminalDelta(ld)
		}
		if l.Error != nil {
			row(cols(l.Name, tgt, "-", "-", "-", "-", delta, o.paint("FAILED", levelFailed))...)
			continue
		}
		v := judge(l)
		st := v.words
		switch v.level {
		case levelExceeded:
			st = "EXCEEDED: " + st
		case levelWarn:
			st = "warn: " + st
		}
		if v.s3 {
			st += " (needs S3 upload)"
		}
		p := "-"
		if v.limit > 0 {
			p = fmt.Sprintf("%.1f%%", float64(v.used)/float64(v.limit)*100)
		}
		row(cols(l.Name, tgt, strconv.Itoa(len(l.Packages)), Bytes(l.ZippedBytes), Bytes(l.UnzippedBytes), p, delta, o.paint(st, v.level))...)
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
			v := judgeQuotas(f.Quotas)
			st := v.words
			if len(f.Missing) > 0 {
				st += " (not built: " + strings.Join(f.Missing, ", ") + ")"
			}
			fmt.Fprintf(w, "%-24s %-20s %6d %10s %5.1f%%  %s\n", f.Name, strings.TrimSpace(f.Runtime+" "+f.Architecture),
				len(f.Layers), Bytes(f.UnzippedBytes), float64(f.UnzippedBytes)/float64(LimitUnzipped)*100, o.paint(st, v.level))
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
				what = "over " + quotaLabel(q)
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
			fmt.Fprintf(w, "    the base did not build: %s\n", firstLine(ld.BaseError.Message))
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
		return ref + " (" + shortSHA(sha) + ")"
	case sha != "":
		return shortSHA(sha)
	case ref != "":
		return ref
	}
	return "the base"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

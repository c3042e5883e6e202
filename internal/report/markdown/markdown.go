// Package markdown renders a report for GitHub: the sticky pull request comment, the job summary and
// the check run's summary, each cut to GitHub's limits in order of importance, with every string
// from a wheel, an index or a requirements file escaped (internal/mdtext). It reads the report and
// its comparison with the base; it judges nothing itself (internal/report does) and posts nothing.
package markdown

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/mdtext"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// Marker is the hidden first line of the pull request comment: a later run finds the comment by it and
// updates it instead of adding another.
const Marker = "<!-- lambda-layers:report -->"

// Size limits of what GitHub shows. Lengths are counted in bytes, which bounds the count of
// characters however GitHub counts them (code points or UTF-16 units).
const (
	MaxCommentChars = 65_536    // an issue or pull request comment
	MaxSummaryChars = 1_000_000 // a step's job summary is capped at 1 MiB; room is left for others
	DefaultTopN     = 10        // packages per layer in the comment's tables
)

// Options are what the Markdown says beyond the report. The zero value renders without
// revisions, timings or links.
type Options struct {
	HeadSHA, BaseSHA, Version string
	Duration                  time.Duration
	// TopN is how many packages each layer's table lists in the comment; 0 means DefaultTopN. The
	// summary lists them all, space permitting.
	TopN int
	// MaxChars bounds the output; 0 means MaxCommentChars for Markdown and MaxSummaryChars for Summary.
	MaxChars int
	// BaseRef is the base as the user named it ("main"), shown beside BaseSHA.
	BaseRef string
	// RepoURL ("https://github.com/owner/repo") with HeadSHA turns file:line positions into links.
	RepoURL string
	// RepoDir is the repository's root on disk: absolute paths under it are shown relative to it.
	RepoDir string
	// LimitName names the limit in the note on what was cut to fit MaxChars; "" means GitHub's
	// limit for a comment (or a job summary).
	LimitName string
}

// Comment is the pull request comment: the marker line, then one table row per layer and target,
// failures with their file:line, what changed against the base and why, what to do about a limit,
// and a <details> block per layer. It fits in o.MaxChars (65,536): when it would not, the least
// important parts go first (long dependency diffs, then package tables, then details of layers that
// did not change, then all details, then table rows of layers within limits), and it says so.
func Comment(cur *report.Report, d *report.Diff, o Options) string {
	return render(cur, d, o, false)
}

// Summary is the job summary: the comment's content with every package and change, pie charts of
// the biggest packages and the layers' hashes, under o.MaxChars (1,000,000). It has no marker.
func Summary(cur *report.Report, d *report.Diff, o Options) string {
	return render(cur, d, o, true)
}

// level is how much detail a rendering carries; renderings go down the levels until one fits.
type level struct {
	topN     int // package rows per layer; -1 all
	diffRows int // dependency change rows per layer; -1 all
	details  int // 2 every layer, 1 layers that changed or have a problem, 0 none
	pie      bool
	msgChars int  // failure messages are clipped to this
	why      bool // the "why it grew" and "what to do" lines
	perList  int  // warnings and similar lists per layer
	// fitDiff shows as many dependency change rows as fit, diffRows at least.
	fitDiff bool
	hidden  map[int]bool
}

func levels(o Options, summary bool) []level {
	if summary {
		return []level{
			{topN: -1, diffRows: -1, details: 2, pie: true, msgChars: 20_000, why: true, perList: 100},
			{topN: -1, diffRows: 100, fitDiff: true, details: 2, pie: true, msgChars: 10_000, why: true, perList: 50},
			{topN: 50, diffRows: 100, details: 2, pie: true, msgChars: 4000, why: true, perList: 20},
			{topN: 25, diffRows: 30, details: 1, msgChars: 2000, why: true, perList: 10},
			{topN: 10, diffRows: 10, details: 1, msgChars: 1000, why: true, perList: 5},
			{details: 0, msgChars: 1000, why: true},
			{details: 0, msgChars: 300},
		}
	}
	t := o.TopN
	if t <= 0 {
		t = DefaultTopN
	}
	return []level{
		{topN: t, diffRows: -1, details: 2, msgChars: 4000, why: true, perList: 5},
		{topN: t, diffRows: 20, fitDiff: true, details: 2, msgChars: 4000, why: true, perList: 5},
		{topN: t, diffRows: 20, details: 1, msgChars: 2000, why: true, perList: 5},
		{topN: min(t, 5), diffRows: 10, details: 1, msgChars: 2000, why: true, perList: 3},
		{topN: min(t, 3), diffRows: 5, details: 1, msgChars: 1000, why: true, perList: 3},
		{details: 0, msgChars: 1000, why: true},
		{details: 0, msgChars: 300},
	}
}

func render(cur *report.Report, d *report.Diff, o Options, summary bool) string {
	if cur == nil {
		cur = &report.Report{}
	}
	limit := o.MaxChars
	if limit <= 0 {
		limit = MaxCommentChars
		if summary {
			limit = MaxSummaryChars
		}
	}
	lvs := levels(o, summary)
	try := func(lv level) string { return newRenderer(cur, d, o, summary, lv, lvs[0], true).render() }
	out := newRenderer(cur, d, o, summary, lvs[0], lvs[0], false).render()
	if len(out) <= limit {
		return out
	}
	for _, lv := range lvs[1:] {
		if lv.fitDiff {
			most := 0
			if d != nil {
				for _, ld := range d.Layers {
					most = max(most, len(ld.Changes))
				}
			}
			if most <= lv.diffRows {
				continue
			}
			if s := try(lv); len(s) > limit {
				continue
			} else {
				out = s
			}
			// The most rows that fit: lo fits, hi+1 does not.
			lo, hi := lv.diffRows, most-1
			for lo < hi {
				mid := (lo + hi + 1) / 2
				lv.diffRows = mid
				if s := try(lv); len(s) <= limit {
					lo, out = mid, s
				} else {
					hi = mid - 1
				}
			}
			return out
		}
		if out = try(lv); len(out) <= limit {
			return out
		}
	}
	// Still too long: leave out table rows, the least important first; find the fewest that fit.
	last := lvs[len(lvs)-1]
	order := byImportance(cur, d)
	lo, hi, best := 1, len(order), ""
	for lo <= hi {
		mid := (lo + hi) / 2
		lv := last
		lv.hidden = map[int]bool{}
		for _, i := range order[:mid] {
			lv.hidden[i] = true
		}
		if s := try(lv); len(s) <= limit {
			best, hi = s, mid-1
		} else {
			lo = mid + 1
		}
	}
	if best != "" {
		return best
	}
	return hardCut(out, limit)
}

// hardCut is the last resort (a report that cannot fit even with every row left out): cut at a line
// and say so.
func hardCut(s string, limit int) string {
	note := "\n\n✂️ **Cut here to fit GitHub's limit of " + mdtext.Thousands(limit) + " characters.** report.json has everything.\n"
	n := limit - len(note)
	if n <= 0 {
		return s[:0]
	}
	cut := strings.LastIndexByte(s[:n], '\n')
	if cut < 0 {
		cut = 0
	}
	return s[:cut] + note
}

// byImportance orders the head layers from the least to the most important to show.
func byImportance(cur *report.Report, d *report.Diff) []int {
	imp := func(i int) int {
		l := cur.Layers[i]
		v := report.Judge(l)
		n := v.Level * 2
		if ld := d.Layer(l.Name, l.Runtime, l.Architecture); ld != nil && ld.Status != report.LayerUnchanged {
			n++
		}
		return n
	}
	idx := make([]int, len(cur.Layers))
	for i := range idx {
		idx[i] = len(idx) - 1 - i // later rows go first among equals
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(imp(a), imp(b)) })
	return idx
}

type renderer struct {
	cur     *report.Report
	d       *report.Diff // nil when there is no comparison to show
	diff    *report.Diff // as given, for the note when unavailable
	o       Options
	summary bool
	lv, top level
	shrunk  bool
	b       strings.Builder
	cuts    []string
	groups  []group
}

// group is layers of one name whose targets have the same content, shown once.
type group struct {
	name string
	idx  []int
}

func newRenderer(cur *report.Report, d *report.Diff, o Options, summary bool, lv, top level, shrunk bool) *renderer {
	r := &renderer{cur: cur, diff: d, o: o, summary: summary, lv: lv, top: top, shrunk: shrunk}
	if d != nil && d.Unavailable == "" {
		r.d = d
	}
	r.groups = r.makeGroups()
	return r
}

func (r *renderer) cut(what string) {
	if !slices.Contains(r.cuts, what) {
		r.cuts = append(r.cuts, what)
	}
}

func (r *renderer) p(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

func (r *renderer) ld(i int) *report.LayerDiff {
	l := r.cur.Layers[i]
	return r.d.Layer(l.Name, l.Runtime, l.Architecture)
}

func (r *renderer) render() string {
	if !r.summary {
		r.p("%s\n", Marker)
	}
	r.heading()
	r.baseNote()
	r.table()
	r.verdict()
	r.failures()
	r.baseFailures()
	r.functions()
	if r.lv.why {
		r.why()
		r.whatToDo()
	}
	r.details()
	r.cutNote()
	r.footer()
	return r.b.String()
}

func (r *renderer) heading() {
	n := len(r.cur.Layers)
	var failed, over, warn int
	for _, l := range r.cur.Layers {
		switch report.Judge(l).Level {
		case report.LevelFailed:
			failed++
		case report.LevelExceeded:
			over++
		case report.LevelWarn:
			warn++
		}
	}
	funcs := map[string]bool{}
	for _, f := range r.cur.Functions {
		if report.JudgeQuotas(f.Quotas).Level == report.LevelExceeded {
			funcs[f.Name] = true
		}
	}
	of := func(k int, what string) string {
		if n == 1 {
			return what
		}
		return fmt.Sprintf("%d of %d %s", k, n, what)
	}
	var parts []string
	if failed > 0 {
		parts = append(parts, of(failed, "failed to build"))
	}
	if over > 0 {
		parts = append(parts, of(over, "over a limit"))
	}
	if len(funcs) == 1 {
		parts = append(parts, "1 function over a limit")
	} else if len(funcs) > 1 {
		parts = append(parts, fmt.Sprintf("%d functions over a limit", len(funcs)))
	}
	var head string
	switch {
	case n == 0:
		head = "no layers"
	case len(parts) > 0:
		head = "❌ " + strings.Join(parts, ", ")
	case warn > 0:
		head = "⚠️ " + of(warn, "close to a limit")
	case n == 1:
		head = "✅ within limits"
	default:
		head = fmt.Sprintf("✅ all %d within limits", n)
	}
	r.p("### 📦 Lambda layers — %s\n\n", head)
}

func (r *renderer) baseNote() {
	if r.diff != nil && r.diff.Unavailable != "" {
		r.p("> [!WARNING]\n> **No comparison with the base:** %s\n\n", mdtext.Text(r.diff.Unavailable))
	}
}

func (r *renderer) targets(idx []int) string {
	var parts []string
	var last string
	for _, i := range idx {
		l := r.cur.Layers[i]
		rt := report.RuntimeLabel(l) // python3.11+3.12 for a shared zip
		if rt == last && len(parts) > 0 {
			parts[len(parts)-1] += ", " + l.Architecture
			continue
		}
		last = rt
		parts = append(parts, rt+" · "+l.Architecture)
	}
	return strings.Join(parts, "; ")
}

func (r *renderer) table() {
	withDelta := r.d != nil
	r.p("| Layer | Target | Zipped | Unzipped | Of limit |")
	if withDelta {
		r.p(" Δ unzipped |")
	}
	r.p(" State |\n|---|---|--:|--:|---|")
	if withDelta {
		r.p("--:|")
	}
	r.p("---|\n")
	s3, hidden := false, 0
	for i, l := range r.cur.Layers {
		if r.lv.hidden[i] {
			hidden++
			continue
		}
		v := report.Judge(l)
		cells := []string{mdtext.Code(l.Name), mdtext.Text(report.RuntimeLabel(l) + " · " + l.Architecture)}
		if l.Error != nil {
			cells = append(cells, "—", "—", "—")
		} else {
			z := report.Bytes(l.ZippedBytes)
			if v.S3 {
				z += " ¹"
				s3 = true
			}
			g := "—"
			if v.Limit > 0 {
				g = "`" + report.Gauge(v.Used, v.Limit) + "` " + report.Percent(v.Used, v.Limit)
			}
			cells = append(cells, z, report.Bytes(l.UnzippedBytes), g)
		}
		if withDelta {
			cells = append(cells, deltaCell(r.ld(i)))
		}
		cells = append(cells, stateCell(v))
		r.p("| %s |\n", strings.Join(cells, " | "))
	}
	if r.d != nil {
		for _, ld := range r.d.Layers {
			if ld.Status == report.LayerRemoved {
				r.p("| %s | %s | — | — | — | %s | 🗑️ removed |\n", mdtext.Code(ld.Name), mdtext.Text(ld.Runtime+" · "+ld.Architecture), report.Delta(ld.UnzippedDelta))
			}
		}
	}
	r.p("\n")
	if hidden > 0 {
		r.cut(fmt.Sprintf("%d of the %d table rows (the layers least in need of attention)", hidden, len(r.cur.Layers)))
	}
	if s3 {
		r.p("¹ over 50 MB zipped: needs S3 upload — publishing goes through an S3 bucket. Not a failure by itself; the 250 MB unzipped limit still applies.\n\n")
	}
	if r.cur.Policy != nil && len(r.cur.Policy.Budgets) > 0 {
		r.p("<sub>Of limit: the share of the tightest limit of each layer — its budget, or Lambda's 250 MB unzipped.</sub>\n\n")
	}
}

func deltaCell(ld *report.LayerDiff) string {
	if ld == nil {
		return "—"
	}
	switch ld.Status {
	case report.LayerNew:
		return "new"
	case report.LayerFailed:
		return "—"
	case report.LayerBaseFailed:
		return "base failed"
	}
	s := report.Delta(ld.UnzippedDelta)
	if abs(ld.UnzippedDelta) >= 1<<20 {
		s = "**" + s + "**"
	}
	return s
}

func stateCell(v report.Standing) string {
	switch v.Level {
	case report.LevelFailed:
		return "💥 build failed"
	case report.LevelExceeded:
		return "❌ " + mdtext.Text(v.Words)
	case report.LevelWarn:
		if v.S3Near {
			return "⚠️ " + mdtext.Text(v.Words) + " · close to 50 MB zipped"
		}
		return "⚠️ " + mdtext.Text(v.Words)
	}
	if v.S3 {
		return "✅ ok · needs S3 upload"
	}
	if v.S3Near {
		return "✅ ok · close to 50 MB zipped"
	}
	return "✅ ok"
}

// verdict says what fail-on makes of the report, when that is not obvious from the table.
func (r *renderer) verdict() {
	p := r.cur.Policy
	if p == nil {
		return
	}
	var offenders []string
	for _, l := range r.cur.Layers {
		if v := report.Judge(l); v.Level == report.LevelExceeded || v.Level == report.LevelWarn {
			offenders = append(offenders, mdtext.Code(l.Name)+" ("+mdtext.Text(report.RuntimeLabel(l)+" · "+l.Architecture)+"): "+mdtext.Text(v.Words))
		}
	}
	for _, f := range r.cur.Functions {
		if v := report.JudgeQuotas(f.Quotas); v.Level == report.LevelExceeded || v.Level == report.LevelWarn {
			offenders = append(offenders, "function "+mdtext.Code(f.Name)+": "+mdtext.Text(v.Words))
		}
	}
	for _, l := range r.cur.Layers {
		for _, d := range l.DeniedLicenses {
			offenders = append(offenders, mdtext.Code(l.Name)+": "+mdtext.Text(report.DeniedWords(d)))
		}
	}
	if len(offenders) == 0 {
		return
	}
	if len(offenders) > 3 {
		offenders = append(offenders[:3], fmt.Sprintf("%d more", len(offenders)-3))
	}
	if p.Fails(r.cur) {
		r.p("**This check fails** under `fail-on: %s` — %s.\n\n", p.FailOn, strings.Join(offenders, "; "))
	} else if r.cur.Exceeded() {
		r.p("`fail-on: %s` keeps this check green, although a limit is exceeded.\n\n", p.FailOn)
	}
}

// position is "requirements.txt:3" as a link when the repository is known.
func (r *renderer) position(file string, line int) string {
	if file == "" {
		return ""
	}
	shown := file
	if r.o.RepoDir != "" && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(r.o.RepoDir, file); err == nil && !strings.HasPrefix(rel, "..") {
			shown = filepath.ToSlash(rel)
		}
	}
	pos := shown
	if line > 0 {
		pos += ":" + strconv.Itoa(line)
	}
	if r.o.RepoURL != "" && r.o.HeadSHA != "" && !filepath.IsAbs(shown) && !strings.HasPrefix(shown, "..") {
		u := strings.TrimSuffix(r.o.RepoURL, "/") + "/blob/" + r.o.HeadSHA + "/" + strings.TrimPrefix(shown, "./")
		if line > 0 {
			u += "#L" + strconv.Itoa(line)
		}
		return "[" + mdtext.Code(pos) + "](" + strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29").Replace(u) + ")"
	}
	return mdtext.Code(pos)
}

func (r *renderer) failures() {
	type fail struct {
		f   *report.Failure
		idx []int
	}
	var fs []*fail
	for i, l := range r.cur.Layers {
		if l.Error == nil || r.lv.hidden[i] {
			continue
		}
		j := slices.IndexFunc(fs, func(x *fail) bool {
			return r.cur.Layers[x.idx[0]].Name == l.Name && *x.f == *l.Error
		})
		if j >= 0 {
			fs[j].idx = append(fs[j].idx, i)
			continue
		}
		fs = append(fs, &fail{f: l.Error, idx: []int{i}})
	}
	if len(fs) == 0 {
		return
	}
	r.p("#### 💥 Failed to build\n\n")
	for _, x := range fs {
		r.p("**%s** · %s", mdtext.Code(r.cur.Layers[x.idx[0]].Name), mdtext.Text(r.targets(x.idx)))
		if pos := r.position(x.f.File, x.f.Line); pos != "" {
			r.p(" — at %s", pos)
		}
		if x.f.Package != "" {
			r.p(" · package %s", mdtext.Code(x.f.Package))
		}
		msg, clipped := mdtext.Clip(x.f.Message, r.lv.msgChars)
		if clipped {
			r.cut("the end of long error messages")
		}
		r.p("\n\n%s\n", mdtext.Fenced("text", msg))
	}
}

func (r *renderer) baseFailures() {
	if r.d == nil {
		return
	}
	seen := map[string]bool{}
	for i := range r.cur.Layers {
		ld := r.ld(i)
		if ld == nil || ld.Status != report.LayerBaseFailed || ld.BaseError == nil || r.lv.hidden[i] {
			continue
		}
		k := ld.Name + "\x00" + ld.BaseError.Message
		if seen[k] {
			continue
		}
		seen[k] = true
		msg, _ := mdtext.Clip(mdtext.FirstLine(ld.BaseError.Message), 300)
		r.p("The base (%s) of %s · %s did not build, so there is no delta: %s\n\n", r.baseLabel(),
			mdtext.Code(ld.Name), mdtext.Text(ld.Runtime+" · "+ld.Architecture), mdtext.Code(msg))
	}
}

// baseLabel is the base for prose: "`main` at `9f8e7d6`".
func (r *renderer) baseLabel() string {
	ref, sha := r.o.BaseRef, mdtext.ShortSHA(r.baseSHA())
	switch {
	case ref != "" && sha != "" && !strings.HasPrefix(r.baseSHA(), ref):
		return mdtext.Code(ref) + " at " + mdtext.Code(sha)
	case sha != "":
		return mdtext.Code(sha)
	case ref != "":
		return mdtext.Code(ref)
	}
	return "the base"
}

func (r *renderer) baseSHA() string {
	if r.o.BaseSHA != "" {
		return r.o.BaseSHA
	}
	if r.diff != nil {
		return r.diff.BaseSHA
	}
	return ""
}

func (r *renderer) functions() {
	if len(r.cur.Functions) == 0 {
		return
	}
	r.p("#### Functions\n\n| Function | Target | Layers | Unzipped with its code | Of 250 MB | State |\n|---|---|--:|--:|---|---|\n")
	for _, f := range r.cur.Functions {
		v := report.JudgeQuotas(f.Quotas)
		tgt := "—"
		if f.Runtime != "" {
			tgt = mdtext.Text(f.Runtime + " · " + f.Architecture)
		}
		size := report.Bytes(f.UnzippedBytes)
		if f.ReserveBytes > 0 {
			size += " (" + report.LimitSize(f.ReserveBytes) + " reserved)"
		}
		st := stateCell(v)
		if len(f.Missing) > 0 {
			names := make([]string, len(f.Missing))
			for i, m := range f.Missing {
				names[i] = mdtext.Code(m)
			}
			st += " · not built: " + strings.Join(names, ", ")
		}
		r.p("| %s | %s | %d of %d | %s | `%s` %s | %s |\n", mdtext.Code(f.Name), tgt, len(f.Layers), report.LimitLayersPerFunction, size,
			report.Gauge(f.UnzippedBytes, report.LimitUnzipped), report.Percent(f.UnzippedBytes, report.LimitUnzipped), st)
	}
	r.p("\n")
}

func (r *renderer) makeGroups() []group {
	var gs []group
	fps := []string{}
	for i, l := range r.cur.Layers {
		fp := r.fingerprint(i)
		j := slices.IndexFunc(gs, func(g group) bool { return g.name == l.Name })
		for j >= 0 && fps[j] != fp {
			k := slices.IndexFunc(gs[j+1:], func(g group) bool { return g.name == l.Name })
			if k < 0 {
				j = -1
				break
			}
			j += 1 + k
		}
		if j >= 0 {
			gs[j].idx = append(gs[j].idx, i)
			continue
		}
		gs = append(gs, group{name: l.Name, idx: []int{i}})
		fps = append(fps, fp)
	}
	return gs
}

// fingerprint is what a layer's details show; targets with equal fingerprints share one block.
func (r *renderer) fingerprint(i int) string {
	l := r.cur.Layers[i]
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %d %v|", l.ZippedBytes, l.UnzippedBytes, l.Files, l.Error)
	for _, p := range l.Packages {
		fmt.Fprintf(&b, "%s %s %d %d;", p.Name, p.Version, p.ZippedBytes, p.UnzippedBytes)
	}
	if ld := r.ld(i); ld != nil {
		fmt.Fprintf(&b, "|%s %d %d %v;", ld.Status, ld.ZippedDelta, ld.UnzippedDelta, ld.BaseError)
		for _, c := range ld.Changes {
			fmt.Fprintf(&b, "%v;", c)
		}
	}
	fmt.Fprintf(&b, "|%d %q %v", len(l.Dropped), l.Warnings, report.Judge(l))
	return b.String()
}

func (r *renderer) visible(g group) []int {
	var out []int
	for _, i := range g.idx {
		if !r.lv.hidden[i] {
			out = append(out, i)
		}
	}
	return out
}

// why explains each layer's change by its causes: "boto3 1.43.11 added, with botocore … (+82.5 MB)".
// Targets whose causes are the same packages share one line, with the range of their sizes.
func (r *renderer) why() {
	if r.d == nil {
		return
	}
	type line struct {
		name, key string
		lds       []*report.LayerDiff
		idx       []int
	}
	var lines []*line
	for _, g := range r.groups {
		for _, i := range r.visible(g) {
			ld := r.ld(i)
			if ld == nil || ld.Status != report.LayerChanged || len(ld.Causes) == 0 {
				continue
			}
			k := causesKey(ld)
			j := slices.IndexFunc(lines, func(x *line) bool { return x.name == g.name && x.key == k })
			if j >= 0 {
				lines[j].lds = append(lines[j].lds, ld)
				lines[j].idx = append(lines[j].idx, i)
				continue
			}
			lines = append(lines, &line{name: g.name, key: k, lds: []*report.LayerDiff{ld}, idx: []int{i}})
		}
	}
	for _, x := range lines {
		deltas := make([]int64, len(x.lds))
		for i, ld := range x.lds {
			deltas[i] = ld.UnzippedDelta
		}
		switch d := deltas[0]; {
		case d > 0:
			r.p("**Why %s grew by %s**", mdtext.Code(x.name), sizeRange(deltas, false))
		case d < 0:
			r.p("**Why %s shrank by %s**", mdtext.Code(x.name), sizeRange(deltas, false))
		default:
			r.p("**What changed in %s**", mdtext.Code(x.name))
		}
		r.p(" (%s): %s\n\n", mdtext.Text(r.targets(x.idx)), causesText(x.lds, 3))
	}
}

// causesKey identifies a layer's causes without their sizes, and the direction of its change.
func causesKey(ld *report.LayerDiff) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|", cmp.Compare(ld.UnzippedDelta, 0))
	for _, c := range ld.Causes {
		fmt.Fprintf(&b, "%s %s %s %s %q %q;", c.Package, c.Kind, c.BaseVersion, c.HeadVersion, c.With, c.RequiredBy)
	}
	return b.String()
}

// sizeRange formats sizes that may differ between targets: "84.6 MB", "81.2–84.6 MB", with their
// signs when signed.
func sizeRange(ns []int64, signed bool) string {
	lo, hi := slices.Min(ns), slices.Max(ns)
	f := report.Bytes
	if signed {
		f = report.Delta
	}
	if lo == hi || f(lo) == f(hi) {
		if !signed {
			return report.Bytes(abs(lo))
		}
		return report.Delta(lo)
	}
	if lo < 0 && hi > 0 {
		return report.Delta(lo) + " to " + report.Delta(hi)
	}
	a, b := abs(lo), abs(hi)
	if a > b {
		a, b = b, a
	}
	sign := ""
	if signed {
		sign = "+"
		if hi <= 0 {
			sign = "-"
		}
	}
	sa, sb := report.Bytes(a), report.Bytes(b)
	if i, j := strings.LastIndexByte(sa, ' '), strings.LastIndexByte(sb, ' '); sa[i:] == sb[j:] {
		return sign + sa[:i] + "–" + sb
	}
	return sign + sa + "–" + sb
}

func causesText(lds []*report.LayerDiff, n int) string {
	cs := lds[0].Causes
	at := func(j int) []int64 {
		out := make([]int64, len(lds))
		for i, ld := range lds {
			out[i] = ld.Causes[j].UnzippedDelta
		}
		return out
	}
	var parts []string
	for i, c := range cs {
		if i == n {
			rest := make([]int64, len(lds))
			for k, ld := range lds {
				for _, c := range ld.Causes[n:] {
					rest[k] += c.UnzippedDelta
				}
			}
			parts = append(parts, fmt.Sprintf("%s more (%s)", mdtext.Thousands(len(cs)-n), sizeRange(rest, true)))
			break
		}
		var s string
		switch c.Kind {
		case report.ChangeAdded:
			s = mdtext.Code(c.Package) + " " + mdtext.Text(c.HeadVersion) + " added"
			if len(c.RequiredBy) > 0 {
				s += ", required by " + mdtext.Text(strings.Join(c.RequiredBy, ", "))
			}
		case report.ChangeRemoved:
			s = mdtext.Code(c.Package) + " " + mdtext.Text(c.BaseVersion) + " removed"
		case report.ChangeRebuilt:
			s = mdtext.Code(c.Package) + " " + mdtext.Text(c.HeadVersion) + " from another wheel"
		default:
			s = mdtext.Code(c.Package) + " " + mdtext.Text(c.BaseVersion) + " → " + mdtext.Text(c.HeadVersion)
		}
		if len(c.With) > 0 {
			names := make([]string, 0, 4)
			for j, w := range c.With {
				if j == 3 {
					names = append(names, mdtext.Thousands(len(c.With)-3)+" more")
					break
				}
				names = append(names, mdtext.Code(w))
			}
			s += ", with " + strings.Join(names, ", ")
		}
		parts = append(parts, s+" ("+sizeRange(at(i), true)+")")
	}
	return strings.Join(parts, "; ")
}

// biggest lists a layer's biggest packages by the measure given: "`torch` (180.2 MB), …".
func biggest(l report.Layer, n int, zipped bool) string {
	ps := slices.Clone(l.Packages)
	size := func(p report.Package) int64 {
		if zipped {
			return p.ZippedBytes
		}
		return p.UnzippedBytes
	}
	slices.SortStableFunc(ps, func(a, b report.Package) int { return cmp.Compare(size(b), size(a)) })
	var parts []string
	for i, p := range ps {
		if i == n {
			break
		}
		parts = append(parts, mdtext.Code(p.Name)+" ("+report.Bytes(size(p))+")")
	}
	return strings.Join(parts, ", ")
}

// whatToDo says, for each layer and function over a limit, what would bring it back under. Targets
// of a layer over the same limit share one line.
func (r *renderer) whatToDo() {
	type over struct {
		name string
		q    report.Quota
		idx  []int
	}
	var overs []*over
	for i, l := range r.cur.Layers {
		if l.Error != nil || r.lv.hidden[i] {
			continue
		}
		for _, q := range l.Quotas {
			if !q.Blocking || q.State != report.StateExceeded {
				continue
			}
			j := slices.IndexFunc(overs, func(o *over) bool { return o.name == l.Name && o.q.Name == q.Name && o.q.LimitBytes == q.LimitBytes })
			if j >= 0 {
				overs[j].idx = append(overs[j].idx, i)
				continue
			}
			overs = append(overs, &over{name: l.Name, q: q, idx: []int{i}})
		}
	}
	// Over 250 MB unzipped says it all: a budget line for the same targets would repeat it.
	covered := func(o *over) bool {
		if o.q.Name != report.QuotaBudgetUnzipped {
			return false
		}
		return slices.ContainsFunc(overs, func(x *over) bool {
			return x.name == o.name && x.q.Name == "unzipped" && !slices.ContainsFunc(o.idx, func(i int) bool { return !slices.Contains(x.idx, i) })
		})
	}
	for _, o := range overs {
		if covered(o) {
			continue
		}
		zipped := o.q.Name == report.QuotaBudgetZipped
		var sizes []string
		first := r.cur.Layers[o.idx[0]]
		for _, i := range o.idx {
			l := r.cur.Layers[i]
			n := l.UnzippedBytes
			if zipped {
				n = l.ZippedBytes
			}
			sizes = append(sizes, mdtext.Text(l.Runtime+" · "+l.Architecture)+": "+report.Bytes(n))
		}
		where := strings.Join(sizes, "; ")
		switch o.q.Name {
		case "unzipped":
			r.p("**%s is over Lambda's 250 MB unzipped** (%s). A function and all its layers share that limit, so splitting the layer does not help: leave out what the function does not import — the biggest packages are %s — or ship the function as a container image (up to 10 GB).",
				mdtext.Code(o.name), where, biggest(first, 3, false))
		case report.QuotaBudgetZipped, report.QuotaBudgetUnzipped:
			r.p("**%s is over its %s** (%s). Its biggest packages are %s: move one into a layer of its own (a function can use 5), leave out what the function does not import, or raise the budget if the growth is intended.",
				mdtext.Code(o.name), mdtext.Text(report.QuotaLabel(o.q)), where, biggest(first, 3, zipped))
		default:
			continue
		}
		if s := botoSaving(first); s != "" {
			r.p(" %s", s)
		}
		r.p("\n\n")
	}
	for _, f := range r.cur.Functions {
		for _, q := range f.Quotas {
			if q.State != report.StateExceeded {
				continue
			}
			switch q.Name {
			case report.QuotaFunctionUnzipped:
				r.p("**Function %s is over 250 MB unzipped** with its layers and own code (%s: %s): trim its biggest layer, or ship it as a container image (up to 10 GB).\n\n",
					mdtext.Code(f.Name), mdtext.Text(f.Runtime+" · "+f.Architecture), report.Bytes(f.UnzippedBytes))
			case report.QuotaFunctionLayers:
				r.p("**Function %s uses %d layers**; a function can use %d: merge some of them.\n\n", mdtext.Code(f.Name), q.Used, q.Limit)
			}
		}
	}
}

// botoSaving notes that the Lambda Python runtime ships boto3 and botocore already.
func botoSaving(l report.Layer) string {
	var n int64
	var names []string
	for _, p := range l.Packages {
		if p.Name == "boto3" || p.Name == "botocore" {
			n += p.UnzippedBytes
			names = append(names, mdtext.Code(p.Name))
		}
	}
	if n < 1<<20 {
		return ""
	}
	return fmt.Sprintf("The Python runtime already ships %s (in AWS's version): leaving them out of the layer saves %s — `exclude-packages: [boto3, botocore]` (or `runtime-provided`) in lambda-layers.yml does it.", strings.Join(names, " and "), report.Bytes(n))
}

func (r *renderer) details() {
	skipped := 0
	for _, g := range r.groups {
		idx := r.visible(g)
		if len(idx) == 0 {
			continue
		}
		l := r.cur.Layers[idx[0]]
		if l.Error != nil {
			continue
		}
		ld := r.ld(idx[0])
		v := report.Judge(l)
		interesting := v.Level != report.LevelOK || v.S3 || len(l.Warnings) > 0 || (ld != nil && ld.Status != report.LayerUnchanged)
		if r.lv.details == 0 || r.lv.details == 1 && !interesting {
			skipped++
			continue
		}
		r.layerDetails(g, idx, l, ld, v)
	}
	if skipped > 0 {
		if r.lv.details == 0 {
			r.cut("the per-layer details (package tables, dependency changes)")
		} else {
			r.cut("the details of layers within limits that did not change")
		}
	}
}

func (r *renderer) layerDetails(g group, idx []int, l report.Layer, ld *report.LayerDiff, v report.Standing) {
	open := ""
	if v.Level >= report.LevelExceeded {
		open = " open"
	}
	sum := fmt.Sprintf("<code>%s</code> · %s — %s, %s unzipped", mdtext.HTMLText(l.Name), mdtext.HTMLText(r.targets(idx)),
		mdtext.Plural(len(l.Packages), "package", "packages"), report.Bytes(l.UnzippedBytes))
	if ld != nil && (ld.Status == report.LayerChanged || ld.Status == report.LayerUnchanged) {
		sum += ", " + mdtext.HTMLText(report.Delta(ld.UnzippedDelta))
	} else if ld != nil && ld.Status == report.LayerNew {
		sum += ", new"
	}
	r.p("<details%s><summary>%s</summary>\n\n", open, sum)
	withBase := ld != nil && (ld.Status == report.LayerChanged || ld.Status == report.LayerUnchanged)
	if withBase {
		r.p("Zipped **%s** (%s) · unzipped **%s** (%s) · %s · %s (base: %s)\n\n", report.Bytes(l.ZippedBytes), report.Delta(ld.ZippedDelta),
			report.Bytes(l.UnzippedBytes), report.Delta(ld.UnzippedDelta), mdtext.Plural(l.Files, "file", "files"), mdtext.Plural(len(l.Packages), "package", "packages"), mdtext.Thousands(ld.BasePackages))
	} else {
		r.p("Zipped **%s** · unzipped **%s** · %s · %s\n\n", report.Bytes(l.ZippedBytes), report.Bytes(l.UnzippedBytes), mdtext.Plural(l.Files, "file", "files"), mdtext.Plural(len(l.Packages), "package", "packages"))
	}
	if l.Layout == "shared" {
		r.p("One zip under `python/` serves %s: every wheel is pure Python and the resolutions agree.\n\n", mdtext.Text(strings.Join(l.Runtimes, ", ")))
	}
	if r.summary {
		for _, i := range idx {
			x := r.cur.Layers[i]
			if x.SHA256 != "" {
				r.p("- %s: sha256 `%s`\n", mdtext.Text(x.Runtime+" · "+x.Architecture), x.SHA256)
			}
		}
		r.p("\n")
	}
	if r.lv.pie {
		r.pie(l, r.targets(idx))
	}
	r.packageTable(l, ld, withBase)
	if ld != nil && len(ld.Changes) > 0 {
		r.changeTable(ld)
	}
	if ld != nil && ld.Status == report.LayerBaseFailed && ld.BaseError != nil {
		msg, _ := mdtext.Clip(ld.BaseError.Message, r.lv.msgChars)
		r.p("The base did not build:\n\n%s\n", mdtext.Fenced("text", msg))
	}
	r.dropped(l)
	r.slimmed(l)
	r.warnings(l)
	r.p("</details>\n\n")
}

func sortedPackages(l report.Layer) []report.Package {
	ps := slices.Clone(l.Packages)
	slices.SortStableFunc(ps, func(a, b report.Package) int {
		if c := cmp.Compare(b.UnzippedBytes, a.UnzippedBytes); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return ps
}

func (r *renderer) packageTable(l report.Layer, ld *report.LayerDiff, withBase bool) {
	if len(l.Packages) == 0 {
		return
	}
	changes := map[string]report.PackageChange{}
	if withBase {
		for _, c := range ld.Changes {
			changes[c.Name] = c
		}
	}
	r.p("| Package | Version | Zipped | Unzipped | Share |")
	if withBase {
		r.p(" Δ unzipped |")
	}
	r.p("\n|---|---|--:|--:|---|")
	if withBase {
		r.p("--:|")
	}
	r.p("\n")
	ps := sortedPackages(l)
	n := len(ps)
	if r.lv.topN >= 0 && r.lv.topN < n {
		n = r.lv.topN
		if r.shrunk && (r.top.topN < 0 || r.lv.topN < r.top.topN) {
			r.cut(fmt.Sprintf("package rows beyond the %d biggest per layer", r.lv.topN))
		}
	}
	for _, p := range ps[:n] {
		r.p("| %s | %s | %s | %s | `%s` %s |", mdtext.Text(p.Name), mdtext.Text(p.Version), report.Bytes(p.ZippedBytes), report.Bytes(p.UnzippedBytes),
			report.Gauge(p.UnzippedBytes, l.UnzippedBytes), report.Percent(p.UnzippedBytes, l.UnzippedBytes))
		if withBase {
			c, ok := changes[p.Name]
			switch {
			case !ok:
				r.p(" — |")
			case c.Kind == report.ChangeAdded:
				r.p(" new |")
			default:
				r.p(" %s |", report.Delta(c.UnzippedDelta))
			}
		}
		r.p("\n")
	}
	if rest := ps[n:]; len(rest) > 0 {
		var z, u int64
		for _, p := range rest {
			z += p.ZippedBytes
			u += p.UnzippedBytes
		}
		r.p("| *… %s more* | | %s | %s | `%s` %s |", mdtext.Thousands(len(rest)), report.Bytes(z), report.Bytes(u), report.Gauge(u, l.UnzippedBytes), report.Percent(u, l.UnzippedBytes))
		if withBase {
			r.p(" |")
		}
		r.p("\n")
	}
	r.p("\n")
}

var changeIcon = map[string]string{report.ChangeAdded: "➕", report.ChangeRemoved: "➖", report.ChangeUpgraded: "⬆️", report.ChangeDowngraded: "⬇️", report.ChangeRebuilt: "🔁"}

func (r *renderer) changeTable(ld *report.LayerDiff) {
	count := map[string]int{}
	for _, c := range ld.Changes {
		count[c.Kind]++
	}
	var parts []string
	for _, k := range []string{report.ChangeAdded, report.ChangeRemoved, report.ChangeUpgraded, report.ChangeDowngraded, report.ChangeRebuilt} {
		if count[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[k], k))
		}
	}
	lic := report.LicenseChanged(ld.Changes)
	if lic {
		r.p("**Dependency changes** — %s\n\n| | Package | Base | Head | Licence | Δ unzipped |\n|---|---|---|---|---|--:|\n", strings.Join(parts, ", "))
	} else {
		r.p("**Dependency changes** — %s\n\n| | Package | Base | Head | Δ unzipped |\n|---|---|---|---|--:|\n", strings.Join(parts, ", "))
	}
	n := len(ld.Changes)
	if r.lv.diffRows >= 0 && r.lv.diffRows < n {
		n = r.lv.diffRows
		r.cut(fmt.Sprintf("dependency changes beyond the %d biggest per layer", r.lv.diffRows))
	}
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return mdtext.Text(s)
	}
	for _, c := range ld.Changes[:n] {
		if lic {
			r.p("| %s | %s | %s | %s | %s | %s |\n", changeIcon[c.Kind], mdtext.Text(c.Name), dash(c.BaseVersion), dash(c.HeadVersion), report.LicenseCell(c), report.Delta(c.UnzippedDelta))
		} else {
			r.p("| %s | %s | %s | %s | %s |\n", changeIcon[c.Kind], mdtext.Text(c.Name), dash(c.BaseVersion), dash(c.HeadVersion), report.Delta(c.UnzippedDelta))
		}
	}
	if rest := ld.Changes[n:]; len(rest) > 0 {
		var u int64
		for _, c := range rest {
			u += c.UnzippedDelta
		}
		if lic {
			r.p("| | *… %s more* | | | | %s |\n", mdtext.Thousands(len(rest)), report.Delta(u))
		} else {
			r.p("| | *… %s more* | | | %s |\n", mdtext.Thousands(len(rest)), report.Delta(u))
		}
	}
	r.p("\n")
}

func (r *renderer) dropped(l report.Layer) {
	if len(l.Dropped) == 0 {
		return
	}
	by := map[string]int{}
	var n int64
	for _, d := range l.Dropped {
		by[d.Reason]++
		n += d.Bytes
	}
	reasons := make([]string, 0, len(by))
	for k := range by {
		reasons = append(reasons, k)
	}
	slices.Sort(reasons)
	for i, k := range reasons {
		reasons[i] = fmt.Sprintf("%s %d", mdtext.Text(k), by[k])
	}
	r.p("Left out of the zip (a layer has no use for them): %s files, %s — %s.\n\n", mdtext.Thousands(len(l.Dropped)), report.Bytes(n), strings.Join(reasons, ", "))
}

func (r *renderer) warnings(l report.Layer) {
	if len(l.Warnings) == 0 || r.lv.perList == 0 {
		return
	}
	for i, w := range l.Warnings {
		if i == r.lv.perList {
			r.p("- … %d more warnings\n", len(l.Warnings)-i)
			break
		}
		w, _ = mdtext.Clip(mdtext.OneLine(w), 500)
		r.p("- ⚠️ %s\n", mdtext.Text(w))
	}
	r.p("\n")
}

// pie is a mermaid pie chart of a layer's biggest packages (GitHub renders mermaid in summaries).
func (r *renderer) pie(l report.Layer, targets string) {
	if l.UnzippedBytes < 1<<20 || len(l.Packages) < 2 {
		return
	}
	ps := sortedPackages(l)
	const maxSlices = 8
	var other int64
	r.p("```mermaid\npie showData\n    title %s · %s, unzipped MB\n", mermaidText(l.Name), mermaidText(targets))
	for i, p := range ps {
		if i >= maxSlices || p.UnzippedBytes < 10<<10 {
			other += p.UnzippedBytes
			continue
		}
		r.p("    \"%s\" : %.2f\n", mermaidText(p.Name), float64(p.UnzippedBytes)/(1<<20))
	}
	if other > 0 {
		r.p("    \"others\" : %.2f\n", float64(other)/(1<<20))
	}
	r.p("```\n\n")
}

func mermaidText(s string) string {
	return strings.Map(func(c rune) rune {
		if strings.ContainsRune("\"\\`:;#{}\n\r", c) {
			return ' '
		}
		return c
	}, s)
}

func (r *renderer) cutNote() {
	if len(r.cuts) == 0 {
		return
	}
	where := "The job summary and report.json have everything."
	limit := "GitHub's limit of 65,536 characters for a comment"
	if r.summary {
		where = "report.json has everything."
		limit = "GitHub's limit of 1 MiB for a job summary"
	}
	if r.o.LimitName != "" {
		limit = r.o.LimitName
	}
	r.p("✂️ **Shortened to fit %s:** left out %s. %s\n\n", limit, strings.Join(r.cuts, "; "), where)
}

func (r *renderer) footer() {
	var parts []string
	built := ""
	if r.o.HeadSHA != "" {
		built = "Built from `" + mdtext.ShortSHA(r.o.HeadSHA) + "`"
	}
	if r.d != nil || r.diff != nil {
		against := "against " + r.baseLabel()
		if built == "" {
			built = "Compared " + against
		} else {
			built += " " + against
		}
	}
	if r.o.Duration > 0 {
		if built == "" {
			built = "Built"
		}
		if r.o.Duration < time.Second {
			built += fmt.Sprintf(" in %d ms", r.o.Duration.Milliseconds())
		} else {
			built += fmt.Sprintf(" in %.1f s", r.o.Duration.Seconds())
		}
	}
	if built != "" {
		parts = append(parts, built)
	}
	if r.summary && r.cur.Cache != nil { // the job summary says whether the CI cache did its job
		parts = append(parts, "cache "+mdtext.Text(report.CacheLine(r.cur.Cache)))
	}
	parts = append(parts, "MB = 1,048,576 bytes")
	v := "[lambda-layers](https://github.com/lambda-layers/lambda-layers)"
	if r.o.Version != "" {
		v += " " + mdtext.Text(r.o.Version)
	}
	parts = append(parts, v)
	r.p("<sub>%s</sub>\n", strings.Join(parts, " · "))
}

// slimmed says what exclude-packages and the exclude globs left out of a layer, and what that saved.
func (r *renderer) slimmed(l report.Layer) {
	if len(l.ExcludedPackages) > 0 {
		var named, deps []string
		var wheels, unzipped int64
		for _, d := range l.ExcludedPackages {
			unzipped += d.UnzippedBytes
			if d.Reason == "excluded" {
				named = append(named, mdtext.Code(d.Name))
			} else {
				deps = append(deps, mdtext.Code(d.Name))
			}
			wheels += d.WheelBytes
		}
		r.p("Left out by `exclude-packages`: %s", strings.Join(named, ", "))
		if len(deps) > 0 {
			r.p(", and %s, which only they needed", strings.Join(deps, ", "))
		}
		switch {
		case unzipped > 0:
			r.p(" (%s unzipped, wheels of %s)", report.Bytes(unzipped), report.Bytes(wheels))
		case wheels > 0:
			r.p(" (wheels of %s)", report.Bytes(wheels))
		}
		r.p("; the runtime's own copies apply.\n\n")
	}
	var parts []string
	for _, e := range l.Excluded {
		if e.Files > 0 {
			parts = append(parts, fmt.Sprintf("%s %s files, %s unzipped, %s zipped", mdtext.Code(e.Pattern), mdtext.Thousands(e.Files), report.Bytes(e.UnzippedBytes), report.Bytes(e.ZippedBytes)))
		}
	}
	if len(parts) > 0 {
		r.p("Left out by `exclude`: %s.\n\n", strings.Join(parts, "; "))
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

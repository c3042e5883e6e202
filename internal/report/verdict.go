package report

import (
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/mdtext"
)

// Conclusions of a report's status check, in the Checks API's words.
const (
	ConclusionSuccess = "success" // every layer built, nothing near a limit
	ConclusionNeutral = "neutral" // warnings only: near a limit, or over one that fail-on lets pass
	ConclusionFailure = "failure" // a build failed, or the report fails under fail-on (exit 1 or 3)
)

// maxTitle bounds a verdict's title: one line, short enough to read in a list of checks.
const maxTitle = 200

// Verdict is what a report's status check says: its conclusion under a policy and one line of why.
type Verdict struct {
	Conclusion string `json:"conclusion"`
	// Title is one line: the most important finding first ("data: over budget, 55.0 of 50 MB
	// unzipped (+2 more)"), or that everything is within limits.
	Title string `json:"title"`
}

// CheckVerdict judges cur under p the way the exit code does: failure for a failed build or when p's
// fail-on fails the report, neutral when something is near or over a limit (or a layer has warnings)
// but p lets it pass, success otherwise. Evaluate cur first.
func CheckVerdict(cur *Report, p Policy) Verdict {
	if cur == nil {
		cur = &Report{}
	}
	type finding struct {
		rank int // 0 failed build, 1 failing limit, 2 limit fail-on lets pass, 3 warning
		text string
	}
	var fs []finding
	multi := map[string]int{}
	for _, l := range cur.Layers {
		multi[l.Name]++
	}
	warnings := 0
	for _, l := range cur.Layers {
		who := l.Name
		if multi[l.Name] > 1 {
			who += " (" + l.Runtime + " " + l.Architecture + ")"
		}
		if l.Error != nil {
			fs = append(fs, finding{0, who + ": build failed: " + mdtext.OneLine(mdtext.FirstLine(l.Error.Message))})
			continue
		}
		qs := l.Quotas
		if len(qs) == 0 {
			qs = Quotas(l.ZippedBytes, l.UnzippedBytes, 0)
		}
		for _, d := range l.DeniedLicenses {
			fs = append(fs, finding{1, who + ": " + DeniedWords(d)})
		}
		if q, ok := worstQuota(qs); ok {
			fs = append(fs, finding{quotaRank(p, q), who + ": " + quotaWords(q)})
		} else if len(l.Warnings) > 0 {
			fs = append(fs, finding{3, who + ": " + mdtext.OneLine(mdtext.FirstLine(l.Warnings[0]))})
		}
		warnings += len(l.Warnings)
	}
	for _, f := range cur.Functions {
		if q, ok := worstQuota(f.Quotas); ok {
			fs = append(fs, finding{quotaRank(p, q), "function " + f.Name + ": " + quotaWords(q)})
		}
	}
	v := Verdict{Conclusion: ConclusionSuccess}
	switch {
	case cur.Failed() || p.Fails(cur):
		v.Conclusion = ConclusionFailure
	case len(fs) > 0 || warnings > 0:
		v.Conclusion = ConclusionNeutral
	}
	if len(fs) == 0 {
		v.Title = withinLimits(cur)
		return v
	}
	best := 0
	for i, f := range fs {
		if f.rank < fs[best].rank {
			best = i
		}
	}
	title := fs[best].text
	if len(fs) > 1 {
		more := fmt.Sprintf(" (+%d more)", len(fs)-1)
		v.Title = clipLine(title, maxTitle-len(more)) + more
		return v
	}
	v.Title = clipLine(title, maxTitle)
	return v
}

// quotaRank orders a quota's finding: 1 when it fails the check under p, 2 when over a limit p lets
// pass, 3 when near one.
func quotaRank(p Policy, q Quota) int {
	one := &Report{Layers: []Layer{{Quotas: []Quota{q}}}}
	switch {
	case p.Fails(one):
		return 1
	case q.State == StateExceeded:
		return 2
	}
	return 3
}

// worstQuota is the blocking quota most over (or nearest to) its limit, if any is over or near one.
func worstQuota(qs []Quota) (Quota, bool) {
	var worst Quota
	found, best := false, -1.0
	for _, q := range qs {
		if !q.Blocking || (q.State != StateExceeded && q.State != StateWarn) {
			continue
		}
		used, limit := q.ratioUsed()
		r := 0.0
		if limit > 0 {
			r = float64(used) / float64(limit)
		}
		if q.State == StateExceeded {
			r += 1e9 // any limit exceeded comes before any near
		}
		if r > best {
			worst, best, found = q, r, true
		}
	}
	return worst, found
}

// quotaWords says how a quota stands: "over budget, 55.0 of 50 MB unzipped", "at 85% of Lambda's
// limit, 212.5 of 250 MB unzipped", "over Lambda's limit, 6 of 5 layers".
func quotaWords(q Quota) string {
	whose := "Lambda's limit"
	if isBudget(q) {
		whose = "budget"
	}
	used, limit := q.ratioUsed()
	var amount string
	switch {
	case q.Unit != "":
		amount = fmt.Sprintf("%d of %d %s", q.Used, q.Limit, q.Unit)
	default:
		amount = sizeOf(used, limit) + " " + quotaWhat(q)
	}
	if q.State == StateExceeded {
		return "over " + whose + ", " + amount
	}
	return "at " + Percent(used, limit) + " of " + whose + ", " + amount
}

// quotaWhat is what a byte quota measures: "zipped", "unzipped", "unzipped with its layers".
func quotaWhat(q Quota) string {
	switch q.Name {
	case "zipped-direct-upload", QuotaBudgetZipped:
		return "zipped"
	case QuotaFunctionUnzipped:
		return "unzipped with its layers"
	case "unzipped", QuotaBudgetUnzipped:
		return "unzipped"
	}
	return q.Name
}

// sizeOf is "55.0 of 50 MB" when both are in MB, else "512.0 KB of 1 MB".
func sizeOf(used, limit int64) string {
	ls := LimitSize(limit)
	if used >= 1<<20 && strings.HasSuffix(ls, " MB") {
		return fmt.Sprintf("%.1f of %s", float64(used)/(1<<20), ls)
	}
	return Bytes(used) + " of " + ls
}

// withinLimits is the title of a report with nothing to say: the largest layer, for scale.
func withinLimits(cur *Report) string {
	switch len(cur.Layers) {
	case 0:
		return "no layers built"
	case 1:
		l := cur.Layers[0]
		return fmt.Sprintf("%s: within limits, %s unzipped", l.Name, Bytes(l.UnzippedBytes))
	}
	big := cur.Layers[0]
	for _, l := range cur.Layers[1:] {
		if l.UnzippedBytes > big.UnzippedBytes {
			big = l
		}
	}
	return fmt.Sprintf("all %d layers within limits; the largest, %s, %s unzipped", len(cur.Layers), big.Name, Bytes(big.UnzippedBytes))
}

// clipLine shortens s to at most n bytes on a rune boundary, ending with "…" when it cut.
func clipLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len("…"), 0)
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return strings.TrimRight(s[:cut], " ") + "…"
}

package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// LimitLayersPerFunction is how many layers one function can use.
const LimitLayersPerFunction = 5

// Fail-on values: when a built report fails the check (exit 3). A failed build is not a matter of
// policy: it is exit 1 whatever fail-on says.
const (
	FailOnExceeded = "exceeded" // a blocking Lambda limit or a budget is exceeded (the default)
	FailOnQuota    = "quota"    // only Lambda's own blocking limits (250 MB unzipped, 5 layers), not budgets
	FailOnWarn     = "warn"     // also a blocking limit or budget at or above the warn threshold
	FailOnError    = "error"    // never on sizes (only a failed build fails)
	FailOnNever    = "never"    // never on sizes
)

// Quota names beyond Lambda's per-layer ones (see Quotas).
const (
	QuotaBudgetZipped     = "budget-zipped"
	QuotaBudgetUnzipped   = "budget-unzipped"
	QuotaFunctionUnzipped = "function-unzipped"
	QuotaFunctionLayers   = "function-layers"
)

// Budget is a size a team allows one layer, below Lambda's own limits; 0 means none.
type Budget struct {
	ZippedBytes   int64 `json:"zipped_bytes,omitempty"`
	UnzippedBytes int64 `json:"unzipped_bytes,omitempty"`
}

// Function is a Lambda function that uses layers of this report (by name): they and ReserveBytes for
// the function's own code must fit Lambda's 250 MB unzipped, and it can use 5 layers.
type Function struct {
	Name         string   `json:"name"`
	Layers       []string `json:"layers"`
	ReserveBytes int64    `json:"reserve_bytes,omitempty"`
}

// Policy is how a report is judged. Its zero value means the defaults: warn at 80 %, fail on exceeded,
// no budgets, no functions.
type Policy struct {
	WarnRatio float64 `json:"warn_ratio"` // 0 → DefaultWarnRatio
	FailOn    string  `json:"fail_on"`    // "" → FailOnExceeded
	// Budgets are by layer name; the key "*" applies to layers without one of their own.
	Budgets   map[string]Budget `json:"budgets,omitempty"`
	Functions []Function        `json:"functions,omitempty"`
	// DenyLicenses are SPDX ids a package's licence must not name: such a package fails the check
	// (unless fail-on is never or error).
	DenyLicenses []string `json:"deny_licenses,omitempty"`
}

// ParseFailOn checks a fail-on value and returns its canonical form. It also takes the config file's
// spellings: "budget" is "exceeded", "warning" is "warn"; "" is the default.
func ParseFailOn(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", FailOnExceeded, "budget":
		return FailOnExceeded, nil
	case FailOnWarn, "warning":
		return FailOnWarn, nil
	case FailOnQuota, FailOnError, FailOnNever:
		return v, nil
	}
	return "", fmt.Errorf("fail-on %q is not one of exceeded (the default), warn, never (also quota: Lambda's limits only, not budgets; error: like never)", s)
}

// Validate says what is wrong with p, if anything.
func (p Policy) Validate() error {
	if _, err := ParseFailOn(p.FailOn); err != nil {
		return err
	}
	if p.WarnRatio < 0 || p.WarnRatio > 1 || math.IsNaN(p.WarnRatio) {
		return fmt.Errorf("warn ratio %v is not between 0 and 1 (80 %% is 0.8)", p.WarnRatio)
	}
	for name, b := range p.Budgets {
		if b.ZippedBytes < 0 || b.UnzippedBytes < 0 {
			return fmt.Errorf("budget of layer %q is negative", name)
		}
	}
	for _, f := range p.Functions {
		if f.Name == "" {
			return fmt.Errorf("a function has no name")
		}
		if f.ReserveBytes < 0 {
			return fmt.Errorf("function %q: reserve is negative", f.Name)
		}
	}
	return nil
}

func (p Policy) warnRatio() float64 {
	if p.WarnRatio <= 0 || p.WarnRatio > 1 || math.IsNaN(p.WarnRatio) {
		return DefaultWarnRatio
	}
	return p.WarnRatio
}

func (p Policy) budget(layer string) Budget {
	if b, ok := p.Budgets[layer]; ok {
		return b
	}
	return p.Budgets["*"]
}

// Evaluate checks every built layer of cur against Lambda's limits and p's budgets, and every function
// of p against the 250 MB and 5-layer limits, writing the findings into cur (Layer.Quotas,
// Report.Functions, Report.Policy). Findings are data: nothing here fails. Evaluating again replaces
// the earlier findings.
func Evaluate(cur *Report, p Policy) {
	ratio := p.warnRatio()
	for i := range cur.Layers {
		l := &cur.Layers[i]
		if l.Error != nil {
			continue
		}
		qs := Quotas(l.ZippedBytes, l.UnzippedBytes, ratio)
		b := p.budget(l.Name)
		if b.ZippedBytes > 0 {
			qs = append(qs, budgetQuota(QuotaBudgetZipped, "zipped", l.ZippedBytes, b.ZippedBytes, ratio))
		}
		if b.UnzippedBytes > 0 {
			qs = append(qs, budgetQuota(QuotaBudgetUnzipped, "unzipped", l.UnzippedBytes, b.UnzippedBytes, ratio))
		}
		l.Quotas = qs
		l.nameBiggest()
		l.DeniedLicenses = deniedLicenses(*l, p.DenyLicenses)
	}
	cur.Functions = nil
	for _, f := range p.Functions {
		cur.Functions = append(cur.Functions, evaluateFunction(cur, f, ratio)...)
	}
	if cur.Diff != nil { // a comparison made before the deny list was applied
		for _, l := range cur.Layers {
			if ld := cur.Diff.Layer(l.Name, l.Runtime, l.Architecture); ld != nil {
				markDenied(ld.Changes, l.DeniedLicenses)
			}
		}
	}
	failOn, _ := ParseFailOn(p.FailOn)
	cur.Policy = &Policy{WarnRatio: ratio, FailOn: failOn, Budgets: p.Budgets, Functions: p.Functions, DenyLicenses: p.DenyLicenses}
}

func budgetQuota(name, what string, used, limit int64, ratio float64) Quota {
	q := Quota{Name: name, LimitBytes: limit, UsedBytes: used, Blocking: true, State: state(used, limit, ratio)}
	switch q.State {
	case StateExceeded:
		q.Note = fmt.Sprintf("over the budget of %s %s", LimitSize(limit), what)
	case StateWarn:
		q.Note = fmt.Sprintf("at %s of the budget of %s %s", Percent(used, limit), LimitSize(limit), what)
	}
	return q
}

// FunctionUsage is one function on one target: the layers it uses, built for that target, and its
// own code's reserve, against Lambda's limits.
type FunctionUsage struct {
	Name         string   `json:"name"`
	Runtime      string   `json:"runtime,omitempty"`
	Architecture string   `json:"architecture,omitempty"`
	Layers       []string `json:"layers"`
	// Missing are layers of the function that were not built for this target (or failed): the
	// total leaves them out.
	Missing       []string `json:"missing,omitempty"`
	ReserveBytes  int64    `json:"reserve_bytes,omitempty"`
	UnzippedBytes int64    `json:"unzipped_bytes"` // the layers' and the reserve
	Quotas        []Quota  `json:"quotas"`
}

func evaluateFunction(cur *Report, f Function, ratio float64) []FunctionUsage {
	type tgt struct{ runtime, arch string }
	var targets []tgt
	for _, l := range cur.Layers {
		t := tgt{l.Runtime, l.Architecture}
		if slices.Contains(f.Layers, l.Name) && !slices.Contains(targets, t) {
			targets = append(targets, t)
		}
	}
	count := Quota{Name: QuotaFunctionLayers, Unit: "layers", Limit: LimitLayersPerFunction, Used: int64(len(f.Layers)), Blocking: true, State: StateOK}
	if count.Used > count.Limit {
		count.State = StateExceeded
		count.Note = fmt.Sprintf("uses %d layers; a function can use %d", count.Used, count.Limit)
	}
	if len(targets) == 0 {
		return []FunctionUsage{{Name: f.Name, Layers: f.Layers, Missing: f.Layers, ReserveBytes: f.ReserveBytes,
			UnzippedBytes: f.ReserveBytes, Quotas: []Quota{count}}}
	}
	var out []FunctionUsage
	for _, t := range targets {
		u := FunctionUsage{Name: f.Name, Runtime: t.runtime, Architecture: t.arch, Layers: f.Layers, ReserveBytes: f.ReserveBytes}
		total := f.ReserveBytes
		for _, name := range f.Layers {
			i := slices.IndexFunc(cur.Layers, func(l Layer) bool {
				return l.Name == name && l.Runtime == t.runtime && l.Architecture == t.arch && l.Error == nil
			})
			if i < 0 {
				u.Missing = append(u.Missing, name)
				continue
			}
			total += cur.Layers[i].UnzippedBytes
		}
		u.UnzippedBytes = total
		q := Quota{Name: QuotaFunctionUnzipped, LimitBytes: LimitUnzipped, UsedBytes: total, Blocking: true, State: state(total, LimitUnzipped, ratio)}
		switch q.State {
		case StateExceeded:
			q.Note = "its layers and its own code are over Lambda's 250 MB unzipped"
		case StateWarn:
			q.Note = fmt.Sprintf("its layers and its own code are at %s of Lambda's 250 MB unzipped", Percent(total, LimitUnzipped))
		}
		u.Quotas = []Quota{q, count}
		out = append(out, u)
	}
	return out
}

// Fails reports whether cur fails the check under p's fail-on (exit 3). Evaluate cur first. Failed
// builds are not counted here: they are exit 1 whatever the policy.
func (p Policy) Fails(cur *Report) bool {
	failOn, err := ParseFailOn(p.FailOn)
	if err != nil {
		failOn = FailOnExceeded
	}
	if failOn == FailOnNever || failOn == FailOnError {
		return false
	}
	for _, l := range cur.Layers {
		if len(l.DeniedLicenses) > 0 {
			return true
		}
	}
	for _, q := range cur.allQuotas() {
		if !q.Blocking {
			continue
		}
		switch failOn {
		case FailOnExceeded:
			if q.State == StateExceeded {
				return true
			}
		case FailOnQuota:
			if q.State == StateExceeded && !isBudget(q) {
				return true
			}
		case FailOnWarn:
			if q.State == StateExceeded || q.State == StateWarn {
				return true
			}
		}
	}
	return false
}

func isBudget(q Quota) bool { return strings.HasPrefix(q.Name, "budget-") }

func (r *Report) allQuotas() []Quota {
	var qs []Quota
	for _, l := range r.Layers {
		qs = append(qs, l.Quotas...)
	}
	for _, f := range r.Functions {
		qs = append(qs, f.Quotas...)
	}
	return qs
}

// ParseSize parses a size such as "40MB", "1.5 GiB", "512KB", "250000000" or "100B". MB is MiB, as
// in Lambda's limits; units are case-insensitive and K, M, G alone are accepted too.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	bad := fmt.Errorf("%q is not a size: write e.g. 40MB (MB = 1,048,576 bytes, as in Lambda's limits), 512KB or a number of bytes", s)
	if num == "" || strings.Count(num, ".") > 1 || num[0] == '.' || num[len(num)-1] == '.' {
		return 0, bad
	}
	var mult int64
	switch unit {
	case "", "b":
		mult = 1
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	default:
		return 0, bad
	}
	whole, frac, _ := strings.Cut(num, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a size: too large", s)
	}
	n := w * mult
	if frac != "" {
		if mult == 1 {
			return 0, fmt.Errorf("%q is not a size: a number of bytes is whole", s)
		}
		if len(frac) > 9 {
			frac = frac[:9]
		}
		f, _ := strconv.ParseInt(frac, 10, 64) // digits only, at most 9
		scale := int64(math.Pow10(len(frac)))
		add := (f*mult + scale/2) / scale // mult ≤ 2^30, f < 10^9: no overflow
		if n > math.MaxInt64-add {
			return 0, fmt.Errorf("%q is not a size: too large", s)
		}
		n += add
	}
	return n, nil
}

// ParsePercent parses a warn threshold: "80", "80%" or "0.8" are all 0.8.
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a percentage: write e.g. 80 (for 80 %%)", s)
	}
	if f > 1 || strings.HasSuffix(strings.TrimSpace(s), "%") {
		f /= 100
	}
	if f <= 0 || f > 1 {
		return 0, fmt.Errorf("%q is not a percentage between 1 and 100", s)
	}
	return f, nil
}

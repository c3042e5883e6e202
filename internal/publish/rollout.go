package publish

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// rollout is one function in one region and the layers this run swaps into it.
type rollout struct {
	name   string // as configured
	region string
	cfg    *lambda.GetFunctionConfigurationOutput
	before []string // its layer version ARNs, in order
	swaps  []swap
	res    int // index in Result.Functions
}

// swap puts a target's version at a position of the function's layers (-1: appended).
type swap struct {
	t  *target
	at int
}

func (r *rollout) arn() string { return aws.ToString(r.cfg.FunctionArn) }

// after is the function's layer list once rolled out: ours swapped in place, the others untouched.
func (r *rollout) after() []string {
	out := slices.Clone(r.before)
	for _, s := range r.swaps {
		if s.at >= 0 {
			out[s.at] = s.t.versionARN()
		} else {
			out = append(out, s.t.versionARN())
		}
	}
	return out
}

// readFunctions reads every listed function in every region, decides which of our versions goes into
// it, and checks Lambda's per-function limits on the result.
func (p *publisher) readFunctions(ctx context.Context) error {
	if len(p.o.Functions) == 0 {
		return nil
	}
	type want struct {
		spec   string
		layers []string
	}
	var wants []*want
	bySpec := map[string]*want{}
	for _, layer := range sortedKeys(p.o.Functions) {
		for _, fn := range p.o.Functions[layer] {
			w := bySpec[fn]
			if w == nil {
				w = &want{spec: fn}
				bySpec[fn] = w
				wants = append(wants, w)
			}
			if !slices.Contains(w.layers, layer) {
				w.layers = append(w.layers, layer)
			}
		}
	}
	found := map[string]bool{}
	for _, region := range p.o.regions() {
		lc := p.clients.Lambda(region)
		byARN := map[string]*rollout{}
		var inRegion []*rollout
		for _, w := range wants {
			if m := funcARNRe.FindStringSubmatch(w.spec); m != nil && m[2] != region {
				continue
			}
			cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.spec)})
			if isNotFound(err) {
				p.res.Functions = append(p.res.Functions, FunctionResult{Function: w.spec, Region: region, Status: StatusAbsent, Reason: "no such function in this region"})
				continue
			}
			if err != nil {
				return awsErr("lambda:GetFunctionConfiguration", w.spec+" in "+region, err)
			}
			found[w.spec] = true
			r := byARN[aws.ToString(cfg.FunctionArn)]
			if r == nil {
				r = &rollout{name: w.spec, region: region, cfg: cfg, res: len(p.res.Functions)}
				for _, l := range cfg.Layers {
					r.before = append(r.before, aws.ToString(l.Arn))
				}
				byARN[aws.ToString(cfg.FunctionArn)] = r
				inRegion = append(inRegion, r)
				p.rolls = append(p.rolls, r)
				p.res.Functions = append(p.res.Functions, FunctionResult{Function: w.spec, Region: region, Before: r.before})
			}
			for _, key := range w.layers {
				p.addSwap(r, key)
			}
		}
		for _, r := range inRegion {
			if err := p.checkLimits(ctx, lc, r); err != nil {
				return err
			}
		}
	}
	for _, w := range wants {
		if !found[w.spec] {
			p.refusals = append(p.refusals, Refusal{Function: w.spec, Reason: fmt.Sprintf("no such function in %s", strings.Join(p.o.regions(), ", "))})
		}
	}
	return nil
}

// addSwap picks the target of a layer that fits the function's runtime and architecture and finds
// where our layer already is in its list (any version of the same layer).
func (p *publisher) addSwap(r *rollout, key string) {
	refuse := func(format string, a ...any) {
		p.refusals = append(p.refusals, Refusal{Function: r.name, Region: r.region, Reason: fmt.Sprintf(format, a...)})
	}
	if r.cfg.PackageType == ltypes.PackageTypeImage {
		refuse("a container image function takes no layers")
		return
	}
	runtime := string(r.cfg.Runtime)
	arch := "x86_64"
	if len(r.cfg.Architectures) > 0 {
		arch = string(r.cfg.Architectures[0])
	}
	var pick *target
	var built []string
	for _, t := range p.tgts {
		if t.region != r.region || (t.a.rep.Name != key && t.a.name != key) {
			continue
		}
		built = append(built, t.a.rep.Runtime+" "+t.a.rep.Architecture)
		if t.a.rep.Runtime == runtime && t.a.rep.Architecture == arch {
			pick = t
		}
	}
	if pick == nil {
		refuse("it runs %s %s, and layer %s was built for %s only", orNone(runtime), arch, key, strings.Join(built, ", "))
		return
	}
	for _, s := range r.swaps {
		if s.t == pick {
			return
		}
	}
	at := -1
	if pick.layer != "" {
		for i, a := range r.before {
			if l, _ := splitVersionARN(a); l == pick.layer {
				at = i
				break
			}
		}
	}
	r.swaps = append(r.swaps, swap{t: pick, at: at})
}

func orNone(s string) string {
	if s == "" {
		return "no runtime"
	}
	return s
}

// checkLimits refuses a roll-out that would give the function more than 5 layers or more than 250 MB
// unzipped. Lambda reports only zipped sizes for the function's code and other layers, so those count
// as their zipped size: a lower bound, which makes a refusal certain (AWS checks the exact sum).
func (p *publisher) checkLimits(ctx context.Context, lc LambdaAPI, r *rollout) error {
	if len(r.swaps) == 0 {
		return nil
	}
	after := r.after()
	if len(after) > MaxLayersPerFunction {
		p.refusals = append(p.refusals, Refusal{Function: r.name, Region: r.region,
			Reason: fmt.Sprintf("it would have %d layers (%s); Lambda allows %d per function", len(after), shortARNs(after), MaxLayersPerFunction)})
		return nil
	}
	total := r.cfg.CodeSize
	parts := []string{"code " + sizeNote(r.cfg.CodeSize)}
	ours := map[string]*target{}
	for _, s := range r.swaps {
		ours[s.t.versionARN()] = s.t
	}
	for _, a := range after {
		if t := ours[a]; t != nil {
			total += t.a.unzipped
			parts = append(parts, fmt.Sprintf("%s %s unzipped", t.a.name, sizeNote(t.a.unzipped)))
			continue
		}
		n, err := p.layerSize(ctx, lc, r, a)
		if err != nil {
			return err
		}
		total += n
		parts = append(parts, fmt.Sprintf("%s %s", shortARN(a), sizeNote(n)))
	}
	if total > report.LimitUnzipped {
		p.refusals = append(p.refusals, Refusal{Function: r.name, Region: r.region,
			Reason: fmt.Sprintf("it would be at least %s unzipped with its layers (%s), over Lambda's 250 MB (%d bytes)", sizeNote(total), strings.Join(parts, " + "), report.LimitUnzipped)})
	}
	return nil
}

// layerSize is another layer's size from GetLayerVersion, or from the function's configuration when
// that layer cannot be read (another account's, not shared for reading).
func (p *publisher) layerSize(ctx context.Context, lc LambdaAPI, r *rollout, arn string) (int64, error) {
	layer, v := splitVersionARN(arn)
	n, err := strconv.ParseInt(v, 10, 64)
	if err == nil {
		got, gerr := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(n)})
		if gerr == nil && got.Content != nil {
			return got.Content.CodeSize, nil
		}
		if gerr != nil && !isNotFound(gerr) && !isAccessDenied(gerr) {
			return 0, awsErr("lambda:GetLayerVersion", arn, gerr)
		}
	}
	for _, l := range r.cfg.Layers {
		if aws.ToString(l.Arn) == arn {
			return l.CodeSize, nil
		}
	}
	return 0, nil
}

func (p *publisher) rolloutStep(r *rollout) (step, bool) {
	res := &p.res.Functions[r.res]
	if len(r.swaps) == 0 {
		return step{}, false
	}
	republish := false
	for _, s := range r.swaps {
		republish = republish || s.t.publish
	}
	if !republish && slices.Equal(r.after(), r.before) {
		res.Status, res.After, res.Reason = StatusUnchanged, r.before, "already has the newest version"
		return step{}, false
	}
	name := aws.ToString(r.cfg.FunctionName)
	return step{
		calls: func() []string {
			return []string{
				fmt.Sprintf("%s  lambda:UpdateFunctionConfiguration %s layers [%s]", r.region, name, shortARNs(r.after())),
				fmt.Sprintf("%s  lambda:GetFunction %s until updated (FunctionUpdatedV2 waiter)", r.region, name),
			}
		},
		planned: func() { p.res.Functions[r.res].Status, p.res.Functions[r.res].After = StatusPlanned, r.after() },
		abort: func() {
			p.res.Functions[r.res].Status, p.res.Functions[r.res].After = StatusAborted, nil
			p.res.Functions[r.res].Reason = "not changed: the run stopped at an earlier failure"
		},
		run: func(ctx context.Context) error {
			res := &p.res.Functions[r.res]
			fail := func(err error) error {
				res.Status, res.Reason = StatusFailed, err.Error()
				return err
			}
			lc := p.clients.Lambda(r.region)
			waiter := lambda.NewFunctionUpdatedV2Waiter(lc)
			if r.cfg.LastUpdateStatus == ltypes.LastUpdateStatusInProgress {
				if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(r.arn())}, p.o.waitTimeout); err != nil {
					return fail(awsErr("lambda:GetFunction", r.arn(), err))
				}
			}
			after := r.after()
			_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
				FunctionName: aws.String(r.arn()), Layers: after,
				RevisionId: r.cfg.RevisionId, // refuses to overwrite a change made since it was read
			})
			if err != nil {
				return fail(awsErr("lambda:UpdateFunctionConfiguration", r.arn(), err))
			}
			out, err := waiter.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(r.arn())}, p.o.waitTimeout)
			if err != nil {
				return fail(awsErr("lambda:GetFunction", r.arn(), fmt.Errorf("waiting for the update: %w", err)))
			}
			res.Status, res.Reason, res.After = StatusUpdated, "", after
			if out != nil && out.Configuration != nil {
				res.After = nil
				for _, l := range out.Configuration.Layers {
					res.After = append(res.After, aws.ToString(l.Arn))
				}
			}
			return nil
		},
	}, true
}

// Package publish puts built layers on AWS Lambda: one version per changed zip (unchanged content is
// skipped), zips over 50 MB staged through S3, then sharing, roll-out to functions and pruning — all
// checked against Lambda's limits before the first write.
package publish

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-layers/lambda-layers/internal/awsarn"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// MaxLayersPerFunction is Lambda's limit on the layers of one function.
const MaxLayersPerFunction = 5

// Publish publishes every layer of rep to every region of o, then shares, rolls out and prunes as o
// says. It refuses the whole run (a *RefusedError, nothing written) when any layer failed to build or
// breaks a limit; invalid options give an *OptionsError. The Result is returned with any error, to show
// how far the run got.
func Publish(ctx context.Context, clients ClientFactory, rep *report.Report, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.partSize <= 0 {
		o.partSize = 16 << 20
	}
	if o.waitTimeout <= 0 {
		o.waitTimeout = 5 * time.Minute
	}
	p := &publisher{o: &o, clients: clients, res: &Result{DryRun: o.DryRun, Layers: []LayerResult{}}}
	arts, refusals := prepare(rep, &o)
	refusals = append(refusals, checkFunctionKeys(&o, rep)...)
	if len(refusals) > 0 {
		p.refuseReport(rep, refusals)
		return p.res, &RefusedError{Refusals: refusals}
	}
	if cc, ok := clients.(credentialChecker); ok { // no credentials: one error, not one per layer and region
		if err := cc.CheckCredentials(ctx); err != nil {
			return nil, err
		}
	}
	p.targets(arts)
	if err := p.read(ctx); err != nil {
		return p.res, err
	}
	if len(p.refusals) > 0 {
		p.refuse(p.refusals)
		return p.res, &RefusedError{Refusals: p.refusals}
	}
	p.plan()
	if o.DryRun {
		p.printPlan()
		return p.res, nil
	}
	return p.res, p.execute(ctx)
}

// credentialChecker is a ClientFactory that can tell, before any call, that it has no credentials.
type credentialChecker interface {
	CheckCredentials(ctx context.Context) error
}

var _ credentialChecker = (*AWSClients)(nil)

type publisher struct {
	o        *Options
	clients  ClientFactory
	res      *Result
	tgts     []*target
	rolls    []*rollout
	refusals []Refusal
	phases   []phase
}

// target is one artifact in one region.
type target struct {
	a       *artifact
	region  string
	res     *LayerResult
	layer   string    // the layer's ARN without version; "" until known
	exist   []version // existing versions, newest first
	publish bool
	bucket  string // staging, for a big zip
	key     string
	staged  bool
	why     string // why it is published or skipped
	version int64  // the version in effect after the run: new or reused
	arn     string
	granted map[string]bool // statement ids already on the reused version
}

type version struct {
	number int64
	arn    string
	desc   string
}

func (t *target) newest() int64 {
	if len(t.exist) == 0 {
		return 0
	}
	return t.exist[0].number
}

// versionARN is the version's ARN, or a placeholder for the one this run publishes.
func (t *target) versionARN() string {
	if t.arn != "" {
		return t.arn
	}
	return t.layerOr() + ":<new>"
}

func (t *target) layerOr() string {
	if t.layer != "" {
		return t.layer
	}
	return awsarn.Layer(t.region, "<account>", t.a.name)
}

// targets lays out one result row per layer × target × region, in report order then region order.
func (p *publisher) targets(arts []*artifact) {
	for _, a := range arts {
		for _, r := range p.o.regions() {
			p.res.Layers = append(p.res.Layers, LayerResult{
				Layer: a.rep.Name, Name: a.name, Runtime: a.rep.Runtime, Runtimes: a.rep.Runtimes, Architecture: a.rep.Architecture, Region: r,
				CodeSHA256: a.codeSHA, ZippedBytes: a.size, ViaS3: a.big(),
			})
		}
	}
	i := 0
	for _, a := range arts {
		for _, r := range p.o.regions() {
			t := &target{a: a, region: r, res: &p.res.Layers[i]}
			if a.big() {
				t.bucket = p.o.bucket(r)
				t.key = "lambda-layers-staging/" + a.name + "/" + a.hexSHA + ".zip"
			}
			p.tgts = append(p.tgts, t)
			i++
		}
	}
}

// refuseReport fills the result when the report itself is refused: every row refused, with its reason
// where it has one.
func (p *publisher) refuseReport(rep *report.Report, refusals []Refusal) {
	if rep == nil {
		return
	}
	for _, l := range rep.Layers {
		name, err := p.o.layerName(templateFor(l))
		if err != nil {
			name = l.Name
		}
		for _, r := range p.o.regions() {
			p.res.Layers = append(p.res.Layers, LayerResult{Layer: l.Name, Name: name, Runtime: l.Runtime, Runtimes: l.Runtimes, Architecture: l.Architecture, Region: r})
		}
	}
	p.refuse(refusals)
}

// refuse marks every row refused: those at fault with their reason, the others as held back with them.
func (p *publisher) refuse(refusals []Refusal) {
	for i := range p.res.Layers {
		l := &p.res.Layers[i]
		l.Status, l.Reason = StatusRefused, "not published: the run was refused for another layer or function"
		l.Version, l.ARN, l.Permissions = 0, "", nil
		for _, r := range refusals {
			if r.Layer == l.Name && (r.Region == "" || r.Region == l.Region) && r.Function == "" {
				l.Reason = r.Reason
			}
		}
	}
	for i := range p.res.Functions {
		f := &p.res.Functions[i]
		if f.Status == StatusAbsent {
			continue
		}
		f.Status, f.Reason, f.After = StatusRefused, "not changed: the run was refused", nil
		for _, r := range refusals {
			if r.Function == f.Function && (r.Region == "" || r.Region == f.Region) {
				f.Reason = r.Reason
			}
		}
	}
	p.res.Pruned = nil
}

// checkFunctionKeys refuses roll-outs to layers the report does not have.
func checkFunctionKeys(o *Options, rep *report.Report) []Refusal {
	if rep == nil {
		return nil
	}
	known := map[string]bool{}
	var names []string
	for _, l := range rep.Layers {
		if !known[l.Name] {
			names = append(names, l.Name)
		}
		known[l.Name] = true
		if n, err := o.layerName(templateFor(l)); err == nil {
			known[n] = true
		}
	}
	var out []Refusal
	for _, k := range sortedKeys(o.Functions) {
		if !known[k] {
			out = append(out, Refusal{Layer: k, Reason: fmt.Sprintf("roll-out names layer %q, which the report does not have (it has %s)", k, strings.Join(names, ", "))})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// read makes every reading call: existing versions and their content, policies, functions and the
// sizes of their other layers. It records refusals; it returns an error only when AWS fails.
func (p *publisher) read(ctx context.Context) error {
	err := func() error {
		for _, t := range p.tgts {
			if err := p.readTarget(ctx, t); err != nil {
				t.res.Status, t.res.Reason = StatusFailed, err.Error()
				return err
			}
		}
		return p.readFunctions(ctx)
	}()
	if err != nil {
		for i := range p.res.Layers {
			if l := &p.res.Layers[i]; l.Status == "" {
				l.Status, l.Reason = StatusAborted, "not published: reading the current state failed"
			}
		}
	}
	return err
}

func (p *publisher) readTarget(ctx context.Context, t *target) error {
	lc := p.clients.Lambda(t.region)
	vs, err := listVersions(ctx, lc, t.a.name)
	if err != nil {
		return awsErr("lambda:ListLayerVersions", t.a.name+" in "+t.region, err)
	}
	t.exist = vs
	if len(vs) > 0 {
		t.layer, _ = splitVersionARN(vs[0].arn)
	}
	if len(vs) == 0 {
		t.publish = true
		t.why = "first version"
		return nil
	}
	newest := vs[0]
	got, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(t.a.name), VersionNumber: aws.Int64(newest.number)})
	if err != nil {
		return awsErr("lambda:GetLayerVersion", newest.arn, err)
	}
	var sha string
	if got.Content != nil {
		sha = aws.ToString(got.Content.CodeSha256)
	}
	if sha == t.a.codeSHA && !sameRuntimes(got.CompatibleRuntimes, compatibleRuntimes(t.a.rep)) {
		// A shared zip keeps its bytes when a runtime joins or leaves: only a new version changes the list.
		t.publish = true
		t.why = fmt.Sprintf("same content as version %d, but it serves other runtimes (%s)", newest.number, runtimesOf(t.a.rep))
		return nil
	}
	if sha == t.a.codeSHA {
		t.version, t.arn = newest.number, newest.arn
		t.why = fmt.Sprintf("unchanged: version %d has the same content", newest.number)
		if len(p.o.permissions()) > 0 {
			t.granted, err = policySids(ctx, lc, t.a.name, newest.number)
			if err != nil {
				return awsErr("lambda:GetLayerVersionPolicy", newest.arn, err)
			}
		}
		return nil
	}
	t.publish = true
	if d := descriptionDigest(aws.ToString(got.Description)); d != "" && d == t.a.reqDigest {
		t.why = fmt.Sprintf("content changed since version %d though the packages are the same (the zip's bytes differ)", newest.number)
	} else {
		t.why = fmt.Sprintf("content changed since version %d", newest.number)
	}
	return nil
}

// sameRuntimes compares two CompatibleRuntimes lists as sets.
func sameRuntimes(a, b []ltypes.Runtime) bool {
	if len(a) != len(b) {
		return false
	}
	for _, r := range b {
		if !slices.Contains(a, r) {
			return false
		}
	}
	return true
}

// listVersions lists every version of a layer, newest first, through all pages.
func listVersions(ctx context.Context, lc LambdaAPI, name string) ([]version, error) {
	var out []version
	pg := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(name)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.LayerVersions {
			out = append(out, version{number: v.Version, arn: aws.ToString(v.LayerVersionArn), desc: aws.ToString(v.Description)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number > out[j].number })
	return out, nil
}

// plan lays out the writing calls, in the order that keeps a failure cheap: stage every big zip, then
// publish (a failed upload publishes nothing), drop the staging objects, share, roll out, and prune last.
func (p *publisher) plan() {
	var stage, pub, cleanup, share, roll, prune []step
	for _, t := range p.tgts {
		t.res.Reason = t.why
		if !t.publish {
			t.res.Status = StatusSkipped
			t.res.Version, t.res.ARN = t.version, t.arn
			continue
		}
		if t.a.big() {
			stage = append(stage, p.stageStep(t))
			cleanup = append(cleanup, p.unstageStep(t))
		}
		pub = append(pub, p.publishStep(t))
	}
	for _, t := range p.tgts {
		for _, perm := range p.o.permissions() {
			if !t.publish && t.granted[perm.StatementID()] {
				continue
			}
			share = append(share, p.shareStep(t, perm))
		}
	}
	for _, r := range p.rolls {
		if s, ok := p.rolloutStep(r); ok {
			roll = append(roll, s)
		}
	}
	if p.o.KeepVersions > 0 {
		for _, t := range p.tgts {
			prune = append(prune, p.pruneSteps(t)...)
		}
	}
	p.phases = []phase{
		{steps: stage},
		{steps: pub},
		{steps: cleanup, always: true},
		{steps: share},
		{steps: roll},
		{steps: prune},
	}
	if p.o.DryRun {
		for _, ph := range p.phases {
			for _, s := range ph.steps {
				p.res.Calls = append(p.res.Calls, s.calls()...)
				if s.planned != nil {
					s.planned()
				}
			}
		}
	}
}

func fixed(calls ...string) func() []string { return func() []string { return calls } }

// phase is a group of steps; an always phase runs even after a failure (clean-up).
type phase struct {
	steps  []step
	always bool
}

// step is one unit of writing: the calls it makes (shown in a dry run and as progress), how to mark its
// results as planned, and how to run it (which records its own results).
type step struct {
	calls   func() []string // evaluated when printed: a dry run shows <new> where a run shows the version
	planned func()
	abort   func() // marks what this step would have done as not done
	run     func(context.Context) error
}

func (p *publisher) printPlan() {
	w := p.o.Out
	if len(p.res.Calls) == 0 {
		fmt.Fprintln(w, "dry run: nothing to write — every layer is unchanged and nothing else is due")
		return
	}
	fmt.Fprintln(w, "dry run: nothing is written; these calls would be made, in order:")
	for _, c := range p.res.Calls {
		fmt.Fprintln(w, "  "+c)
	}
}

func (p *publisher) execute(ctx context.Context) error {
	for _, ph := range p.phases {
		for _, s := range ph.steps {
			if s.abort != nil {
				s.abort()
			}
		}
	}
	var first error
	for _, ph := range p.phases {
		if first != nil && !ph.always {
			continue
		}
		for _, s := range ph.steps {
			calls := s.calls()
			for _, c := range calls {
				fmt.Fprintln(p.o.Out, c)
			}
			p.res.Calls = append(p.res.Calls, calls...)
			if err := s.run(ctx); err != nil {
				fmt.Fprintf(p.o.Out, "  failed: %v\n", err)
				if first == nil {
					first = err
				}
				if !ph.always {
					break
				}
			}
		}
	}
	return first
}

func (p *publisher) publishStep(t *target) step {
	in := &lambda.PublishLayerVersionInput{
		LayerName:               aws.String(t.a.name),
		Description:             aws.String(t.a.desc),
		CompatibleRuntimes:      compatibleRuntimes(t.a.rep),
		CompatibleArchitectures: []ltypes.Architecture{ltypes.Architecture(t.a.rep.Architecture)},
		Content:                 &ltypes.LayerVersionContentInput{},
	}
	if li := licenseInfo(t.a.rep, p.o.License); li != "" {
		in.LicenseInfo = aws.String(li)
	}
	from := "ZipFile " + sizeNote(t.a.size)
	if t.a.big() {
		in.Content.S3Bucket, in.Content.S3Key = aws.String(t.bucket), aws.String(t.key)
		from = "s3://" + t.bucket + "/" + t.key
	}
	return step{
		calls: fixed(fmt.Sprintf("%s  lambda:PublishLayerVersion %s from %s (%s %s)", t.region, t.a.name, from, runtimesOf(t.a.rep), t.a.rep.Architecture)),
		planned: func() {
			t.res.Status = StatusPlanned
		},
		abort: func() {
			t.res.Status, t.res.Reason = StatusAborted, "not published: the run stopped at an earlier failure"
		},
		run: func(ctx context.Context) error {
			lc := p.clients.Lambda(t.region)
			if !t.a.big() {
				zip, err := readZip(t.a)
				if err != nil {
					t.res.Status, t.res.Reason = StatusFailed, err.Error()
					return err
				}
				in.Content.ZipFile = zip
			}
			v, err := p.publishOnce(ctx, lc, t, in)
			in.Content.ZipFile = nil
			if err != nil {
				err = awsErr("lambda:PublishLayerVersion", t.a.name+" in "+t.region, err)
				t.res.Status, t.res.Reason = StatusFailed, err.Error()
				return err
			}
			t.version, t.arn = v.number, v.arn
			t.layer, _ = splitVersionARN(v.arn)
			t.res.Version, t.res.ARN = v.number, v.arn
			if v.codeSHA != t.a.codeSHA {
				err := fmt.Errorf("lambda:PublishLayerVersion %s in %s: Lambda computed CodeSha256 %s for version %d, the zip's is %s: the staged object is not the zip; version %d is left in place and nothing else is done",
					t.a.name, t.region, v.codeSHA, v.number, t.a.codeSHA, v.number)
				t.res.Status, t.res.Reason = StatusFailed, err.Error()
				return err
			}
			t.res.Status, t.res.Reason = StatusPublished, t.why
			fmt.Fprintf(p.o.Out, "  published %s\n", v.arn)
			return nil
		},
	}
}

// published is a version as PublishLayerVersion or GetLayerVersion reports it.
type published struct {
	number  int64
	arn     string
	codeSHA string
}

// publishOnce publishes a version exactly once. The SDK would retry a PublishLayerVersion whose
// response was lost (reset connection, 5xx after the fact) and publish it twice; so the retries are
// made here, and before each one the layer is checked for a version the lost attempt published.
func (p *publisher) publishOnce(ctx context.Context, lc LambdaAPI, t *target, in *lambda.PublishLayerVersionInput) (*published, error) {
	var retryer aws.Retryer
	noRetry := func(o *lambda.Options) {
		retryer = o.Retryer
		o.Retryer = aws.NopRetryer{}
	}
	for attempt := 1; ; attempt++ {
		out, err := lc.PublishLayerVersion(ctx, in, noRetry)
		if err == nil {
			var sha string
			if out.Content != nil {
				sha = aws.ToString(out.Content.CodeSha256)
			}
			return &published{number: out.Version, arn: aws.ToString(out.LayerVersionArn), codeSHA: sha}, nil
		}
		r := retryerOr(retryer)
		if attempt >= r.MaxAttempts() || !r.IsErrorRetryable(err) {
			return nil, err
		}
		delay, derr := r.RetryDelay(attempt, err)
		if derr != nil {
			return nil, err
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
		if v, ferr := p.findPublished(ctx, lc, t); ferr == nil && v != nil {
			fmt.Fprintf(p.o.Out, "  an earlier attempt published version %d (its response was lost): not publishing again\n", v.number)
			return v, nil
		}
	}
}

// findPublished looks for a version newer than those read before publishing that has this run's
// description and content.
func (p *publisher) findPublished(ctx context.Context, lc LambdaAPI, t *target) (*published, error) {
	vs, err := listVersions(ctx, lc, t.a.name)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.number <= t.newest() || v.desc != t.a.desc {
			continue
		}
		got, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(t.a.name), VersionNumber: aws.Int64(v.number)})
		if err != nil {
			return nil, err
		}
		if got.Content != nil && aws.ToString(got.Content.CodeSha256) == t.a.codeSHA {
			return &published{number: v.number, arn: v.arn, codeSHA: t.a.codeSHA}, nil
		}
	}
	return nil, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// policySids reads the statement ids on a layer version's policy (none when it has no policy).
func policySids(ctx context.Context, lc LambdaAPI, name string, v int64) (map[string]bool, error) {
	out, err := lc.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(name), VersionNumber: aws.Int64(v)})
	if isNotFound(err) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	return statementIDs(aws.ToString(out.Policy))
}

func (p *publisher) shareStep(t *target, perm Permission) step {
	sid := perm.StatementID()
	in := &lambda.AddLayerVersionPermissionInput{
		LayerName:   aws.String(t.a.name),
		StatementId: aws.String(sid),
		Action:      aws.String("lambda:GetLayerVersion"),
		Principal:   aws.String("*"),
	}
	switch {
	case perm.Account != "":
		in.Principal = aws.String(perm.Account)
	case perm.Organization != "":
		in.OrganizationId = aws.String(perm.Organization)
	}
	return step{
		calls: func() []string {
			return []string{fmt.Sprintf("%s  lambda:AddLayerVersionPermission %s statement %s (%s)", t.region, shortARN(t.versionARN()), sid, perm)}
		},
		run: func(ctx context.Context) error {
			in.VersionNumber = aws.Int64(t.version)
			_, err := p.clients.Lambda(t.region).AddLayerVersionPermission(ctx, in)
			if err != nil && !isConflict(err) { // a conflict is the same statement id, already granted
				return awsErr("lambda:AddLayerVersionPermission", t.arn, err)
			}
			t.res.Permissions = append(t.res.Permissions, sid)
			return nil
		},
	}
}

func (p *publisher) pruneSteps(t *target) []step {
	keep := p.o.KeepVersions
	if t.publish {
		keep-- // the version this run publishes is the newest
	}
	inUse := p.inUse(t.region)
	var steps []step
	for i, v := range t.exist {
		if i < keep || (!t.publish && v.number == t.version) {
			continue
		}
		pv := PrunedVersion{Name: t.a.name, Region: t.region, Version: v.number, ARN: v.arn}
		if fns := inUse[v.arn]; len(fns) > 0 {
			pv.Status, pv.Reason = StatusSkipped, "still used by "+strings.Join(fns, ", ")
			p.res.Pruned = append(p.res.Pruned, pv)
			continue
		}
		pv.Status = StatusAborted
		pv.Reason = fmt.Sprintf("older than the newest %d", p.o.KeepVersions)
		p.res.Pruned = append(p.res.Pruned, pv)
		idx := len(p.res.Pruned) - 1
		num := v.number
		steps = append(steps, step{
			calls:   fixed(fmt.Sprintf("%s  lambda:DeleteLayerVersion %s:%d", t.region, t.a.name, num)),
			planned: func() { p.res.Pruned[idx].Status = StatusPlanned },
			abort:   func() { p.res.Pruned[idx].Status = StatusAborted },
			run: func(ctx context.Context) error {
				_, err := p.clients.Lambda(t.region).DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(t.a.name), VersionNumber: aws.Int64(num)})
				if err != nil {
					p.res.Pruned[idx].Status = StatusFailed
					return awsErr("lambda:DeleteLayerVersion", p.res.Pruned[idx].ARN, err)
				}
				p.res.Pruned[idx].Status = StatusDeleted
				return nil
			},
		})
	}
	return steps
}

// inUse maps each layer version ARN that a listed function in a region uses, before or after this
// run's roll-out, to those functions. The version a function leaves is kept for a rollback; a later run
// prunes it.
func (p *publisher) inUse(region string) map[string][]string {
	m := map[string][]string{}
	for _, r := range p.rolls {
		if r.region != region {
			continue
		}
		for _, a := range append(slices.Clone(r.before), r.after()...) {
			if !slices.Contains(m[a], r.name) {
				m[a] = append(m[a], r.name)
			}
		}
	}
	return m
}

// retryerOr is the client's retryer, or the SDK's standard one for clients that expose none (fakes).
func retryerOr(r aws.Retryer) aws.Retryer {
	if r == nil {
		return retry.NewStandard()
	}
	return r
}

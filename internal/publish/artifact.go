package publish

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambda-layers/lambda-layers/internal/license"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// artifact is one built layer zip, checked on disk before any call.
type artifact struct {
	rep       report.Layer
	name      string // the Lambda layer name
	path      string
	size      int64
	unzipped  int64
	codeSHA   string // base64(sha256), as Lambda reports CodeSha256
	hexSHA    string
	reqDigest string
	desc      string
}

// big reports whether the zip is over Lambda's direct-upload limit and must go through S3.
func (a *artifact) big() bool { return a.size > report.LimitZippedDirect }

// prepare checks every layer of the report against what can be known without AWS: it built, its zip is
// the one the report describes, it fits Lambda's unzipped limit, and it has a way up (S3 over 50 MB).
func prepare(rep *report.Report, o *Options) ([]*artifact, []Refusal) {
	var arts []*artifact
	var refusals []Refusal
	if rep == nil || len(rep.Layers) == 0 {
		return nil, []Refusal{{Reason: "the report lists no layer"}}
	}
	names := map[string]string{}
	for _, l := range rep.Layers {
		tgt := l.Name + " (" + l.Runtime + " " + l.Architecture + ")"
		refuse := func(name, format string, args ...any) {
			refusals = append(refusals, Refusal{Layer: name, Reason: fmt.Sprintf(format, args...)})
		}
		name, err := o.layerName(templateFor(l))
		if err != nil {
			refuse(tgt, "%v", err)
			continue
		}
		if err := o.checkNameLength(name); err != nil {
			refuse(name, "%v", err)
			continue
		}
		if prev, ok := names[name]; ok {
			refuse(name, "%s and %s get the same layer name: add the placeholders that tell them apart ({py}, {arch}) to the name template", prev, tgt)
			continue
		}
		names[name] = tgt
		if l.Error != nil {
			refuse(name, "%s failed to build (%s): nothing is published while any layer failed", tgt, firstLine(l.Error.Message))
			continue
		}
		a, err := inspect(l, name)
		if err != nil {
			refuse(name, "%v", err)
			continue
		}
		if a.unzipped > report.LimitUnzipped {
			refuse(name, "%s unzipped is over Lambda's 250 MB limit (%d bytes) for a function and all its layers", report.Bytes(a.unzipped), report.LimitUnzipped)
			continue
		}
		if a.big() && o.S3Bucket == "" {
			refuse(name, "the zip is %s, over the 50 MB Lambda takes directly: set an S3 bucket to stage it (--s3-bucket, or aws.s3-bucket in lambda-layers.yml)", report.Bytes(a.size))
			continue
		}
		if a.big() && len(o.regions()) > 1 && !strings.Contains(o.S3Bucket, "{region}") {
			refuse(name, "the zip is %s and goes through S3, and Lambda reads it from a bucket in the layer's own region: put {region} in the bucket name (%s-{region}) and create one bucket per region", report.Bytes(a.size), o.S3Bucket)
			continue
		}
		a.desc = describe(a, o.Commit)
		arts = append(arts, a)
	}
	return arts, refusals
}

// inspect hashes the zip and reads its central directory for the unzipped size.
func inspect(l report.Layer, name string) (*artifact, error) {
	if l.Zip == "" {
		return nil, fmt.Errorf("the report names no zip for %s %s", l.Runtime, l.Architecture)
	}
	f, err := os.Open(l.Zip)
	if err != nil {
		return nil, fmt.Errorf("opening layer zip: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", l.Zip, err)
	}
	sum := h.Sum(nil)
	a := &artifact{
		rep: l, name: name, path: l.Zip, size: size,
		codeSHA: base64.StdEncoding.EncodeToString(sum), hexSHA: hex.EncodeToString(sum),
		reqDigest: requirementsDigest(l),
	}
	if l.CodeSHA256 != "" && l.CodeSHA256 != a.codeSHA {
		return nil, fmt.Errorf("%s changed since the report was written (its sha256 is %s, the report says %s): build again", l.Zip, a.codeSHA, l.CodeSHA256)
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, fmt.Errorf("reading %s as a zip: %w", l.Zip, err)
	}
	for _, e := range zr.File {
		a.unzipped += int64(e.UncompressedSize64)
	}
	// The report's figure counts too: the larger of the two is the one to trust for a limit.
	a.unzipped = max(a.unzipped, l.UnzippedBytes)
	return a, nil
}

// runtimesOf names the runtimes a layer serves: "python3.12", or "python3.11, python3.12" for a zip
// in the shared layout.
func runtimesOf(l report.Layer) string {
	if len(l.Runtimes) > 0 {
		return strings.Join(l.Runtimes, ", ")
	}
	return l.Runtime
}

// compatibleRuntimes is the version's CompatibleRuntimes: every runtime a shared zip serves (Lambda
// takes up to 15), else the layer's one.
func compatibleRuntimes(l report.Layer) []ltypes.Runtime {
	rts := l.Runtimes
	if len(rts) == 0 {
		rts = []string{l.Runtime}
	}
	out := make([]ltypes.Runtime, len(rts))
	for i, r := range rts {
		out[i] = ltypes.Runtime(r)
	}
	return out
}

// maxLicenseInfo is Lambda's limit on LicenseInfo.
const maxLicenseInfo = 512

// licenseInfo is the version's LicenseInfo: the configured one when set, else the sorted SPDX
// expression of the layer's packages' declared licences, cut at Lambda's 512 characters with "…" and
// a pointer to the SBOM, which lists them all. "" when no package declares one.
func licenseInfo(l report.Layer, configured string) string {
	if configured != "" {
		return configured
	}
	var exprs []string
	for _, p := range l.Packages {
		if p.License != "" {
			exprs = append(exprs, p.License)
		}
	}
	more := "see the SBOM"
	if l.SBOM != "" {
		more = "see " + filepath.Base(l.SBOM)
	}
	return license.Cut(license.Join(exprs), maxLicenseInfo, more)
}

// pyTag turns python3.12 into py312.
func pyTag(runtime string) string {
	return "py" + strings.ReplaceAll(strings.TrimPrefix(runtime, "python"), ".", "")
}

// requirementsDigest is a short digest of what the layer holds: every package's name, version and wheel.
// Two builds with the same digest installed the same files, whatever their zips' bytes.
func requirementsDigest(l report.Layer) string {
	lines := make([]string, 0, len(l.Packages))
	for _, p := range l.Packages {
		lines = append(lines, p.Name+"=="+p.Version+" "+p.Wheel)
	}
	slices.Sort(lines)
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", runtimesOf(l), l.Architecture)
	for _, s := range lines {
		fmt.Fprintln(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

var reqRe = regexp.MustCompile(`\breq:([0-9a-f]{16})\b`)

// describe is the version's description (Lambda allows 256 characters): enough to tell where a version
// came from and whether it is unchanged without downloading it.
func describe(a *artifact, commit string) string {
	rt := a.rep.Runtime
	if len(a.rep.Runtimes) > 0 {
		rt = strings.Join(a.rep.Runtimes, "+")
	}
	d := fmt.Sprintf("lambda-layers %s %s sha256:%s req:%s", rt, a.rep.Architecture, a.hexSHA, a.reqDigest)
	if commit != "" {
		d += " commit:" + commit
	}
	if len(d) > 256 {
		d = d[:256]
	}
	return d
}

// descriptionDigest is the requirements digest a description carries ("" when none).
func descriptionDigest(desc string) string {
	if m := reqRe.FindStringSubmatch(desc); m != nil {
		return m[1]
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

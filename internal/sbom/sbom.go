// Package sbom writes the bill of materials of one built layer as CycloneDX 1.6 JSON: the layer as the
// metadata component, one component per package (purl, wheel file and its sha256, declared licence), and
// the dependency graph. The output is a function of its input alone — no clock, no random serial
// number — so the same layer gives the same bytes. It writes only to the io.Writer it is given.
package sbom

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"fmt"
	"io"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/lambda-layers/lambda-layers/internal/license"
)

// Layer is the built layer target the SBOM describes.
type Layer struct {
	Name, Runtime, Architecture string
	// Runtimes are every runtime the zip serves (a shared layout); empty means Runtime alone.
	Runtimes []string
	Zip      string // the zip's file name
	SHA256   string // hex sha256 of the zip
	// CodeSHA256 is Lambda's CodeSha256: base64 of the zip's sha256.
	CodeSHA256 string
	// Tool is the version of lambda-layers that built it, "" when unknown (a development build).
	Tool string
}

// Package is one package in the layer.
type Package struct {
	Name    string // normalized
	Version string
	Wheel   string // the wheel's file name
	SHA256  string // hex sha256 of the wheel
	URL     string // where the wheel was downloaded from, "" when unknown
	License license.Info
	// Requested is true when one of the user's requirements names it: the layer depends on it directly.
	Requested bool
	Deps      []string // names of the packages in the layer it depends on
}

// Filename is the SBOM's file name for a layer target: NAME-RUNTIME-ARCH.cdx.json.
func Filename(name, runtime, arch string) string {
	return fmt.Sprintf("%s-%s-%s.cdx.json", name, runtime, arch)
}

// PURL is a package's Package URL (pkg:pypi/name@version); names are already PEP 503-normalized, which is
// what the purl spec asks for PyPI.
func PURL(name, version string) string {
	return "pkg:pypi/" + name + "@" + escapeVersion(version)
}

func escapeVersion(v string) string {
	// PEP 440 versions use [0-9a-z.!+_-]; '!' and '+' are percent-encoded in a purl.
	return strings.NewReplacer("!", "%21", "+", "%2B").Replace(v)
}

// Property names this tool uses (the CycloneDX property taxonomy leaves unregistered prefixes to tools).
const (
	PropCodeSHA256   = "lambda-layers:code_sha256"
	PropRuntime      = "lambda-layers:runtime"
	PropArchitecture = "lambda-layers:architecture"
	PropWheel        = "lambda-layers:wheel"
	PropLicenseFrom  = "lambda-layers:license_source"
)

// Write writes the SBOM of l and pkgs to w as indented CycloneDX 1.6 JSON. Packages may come in any
// order; dependencies on names not in pkgs are left out (they are not in the layer).
func Write(w io.Writer, l Layer, pkgs []Package) error {
	bom := build(l, pkgs)
	var buf bytes.Buffer
	if err := encode(&buf, bom); err != nil {
		return err
	}
	// The serial number names this content: a version-5 (name-based) UUID of the document without it.
	bom.SerialNumber = "urn:uuid:" + uuid5(buf.Bytes())
	buf.Reset()
	if err := encode(&buf, bom); err != nil {
		return err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing SBOM: %w", err)
	}
	return nil
}

func encode(w io.Writer, bom *cdx.BOM) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("encoding SBOM: %w", err)
	}
	return nil
}

func build(l Layer, pkgs []Package) *cdx.BOM {
	pkgs = slices.Clone(pkgs)
	slices.SortFunc(pkgs, func(a, b Package) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version))
	})
	refs := map[string]string{}
	for _, p := range pkgs {
		refs[p.Name] = PURL(p.Name, p.Version)
	}
	layerRef := "layer:" + l.Name + "/" + l.Runtime + "/" + l.Architecture
	props := []cdx.Property{{Name: PropArchitecture, Value: l.Architecture}}
	if l.CodeSHA256 != "" {
		props = append(props, cdx.Property{Name: PropCodeSHA256, Value: l.CodeSHA256})
	}
	runtimes := l.Runtimes
	if len(runtimes) == 0 {
		runtimes = []string{l.Runtime}
	}
	for _, r := range slices.Sorted(slices.Values(runtimes)) {
		props = append(props, cdx.Property{Name: PropRuntime, Value: r})
	}
	layer := cdx.Component{
		BOMRef:     layerRef,
		Type:       cdx.ComponentTypeFile,
		Name:       l.Name,
		Properties: &props,
	}
	if l.Zip != "" {
		layer.Description = "AWS Lambda layer " + l.Zip
	}
	if l.SHA256 != "" {
		layer.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: l.SHA256}}
	}
	var expr []string
	components := make([]cdx.Component, 0, len(pkgs))
	deps := make([]cdx.Dependency, 0, len(pkgs)+1)
	var direct []string
	for _, p := range pkgs {
		ref := refs[p.Name]
		c := cdx.Component{
			BOMRef:     ref,
			Type:       cdx.ComponentTypeLibrary,
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: ref,
			Properties: &[]cdx.Property{{Name: PropWheel, Value: p.Wheel}},
		}
		if p.SHA256 != "" {
			c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: p.SHA256}}
		}
		if p.URL != "" {
			er := cdx.ExternalReference{Type: cdx.ERTypeDistribution, URL: p.URL, Comment: p.Wheel}
			if p.SHA256 != "" {
				er.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: p.SHA256}}
			}
			c.ExternalReferences = &[]cdx.ExternalReference{er}
		}
		if lc := licenses(p.License); lc != nil {
			c.Licenses = lc
			*c.Properties = append(*c.Properties, cdx.Property{Name: PropLicenseFrom, Value: p.License.Source})
		}
		if p.License.Known() {
			expr = append(expr, p.License.SPDX())
		}
		components = append(components, c)
		var on []string
		for _, d := range p.Deps {
			if r, ok := refs[d]; ok && d != p.Name {
				on = append(on, r)
			}
		}
		slices.Sort(on)
		on = slices.Compact(on)
		dep := cdx.Dependency{Ref: ref}
		if len(on) > 0 {
			dep.Dependencies = &on
		}
		deps = append(deps, dep)
		if p.Requested {
			direct = append(direct, ref)
		}
	}
	if len(direct) == 0 { // no roots known (a lock file): the layer holds every package directly
		for _, p := range pkgs {
			direct = append(direct, refs[p.Name])
		}
	}
	slices.Sort(direct)
	direct = slices.Compact(direct)
	deps = append([]cdx.Dependency{{Ref: layerRef, Dependencies: &direct}}, deps...)
	if e := license.Join(expr); e != "" {
		layer.Licenses = &cdx.Licenses{{Expression: e, Acknowledgement: ptr(cdx.LicenseAcknowledgementConcluded)}}
	}
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: "lambda-layers", Version: l.Tool}
	return &cdx.BOM{
		JSONSchema:  "http://cyclonedx.org/schema/bom-1.6.schema.json",
		BOMFormat:   cdx.BOMFormat,
		SpecVersion: cdx.SpecVersion1_6,
		Version:     1,
		Metadata: &cdx.Metadata{
			Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
			Component: &layer,
		},
		Components:   &components,
		Dependencies: &deps,
	}
}

// licenses is a package's declared licence as CycloneDX: an SPDX expression, or a name.
func licenses(i license.Info) *cdx.Licenses {
	switch {
	case i.Expression != "":
		return &cdx.Licenses{{Expression: i.Expression, Acknowledgement: ptr(cdx.LicenseAcknowledgementDeclared)}}
	case i.Name != "":
		return &cdx.Licenses{{License: &cdx.License{Name: i.Name, Acknowledgement: cdx.LicenseAcknowledgementDeclared}}}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// namespace is the RFC 4122 URL namespace; the name is "lambda-layers:sbom:" and the document.
var namespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuid5 is the RFC 4122 version-5 UUID of data (SHA-1 here names content; it is not a security hash).
func uuid5(data []byte) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte("lambda-layers:sbom:"))
	h.Write(data)
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

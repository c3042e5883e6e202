// Package oci turns built Lambda layer zips into OCI images (one per architecture, and an image index
// when a layer was built for both), writes them to an OCI image layout on disk or pushes them to a
// registry with go-containerregistry. An image's single filesystem layer holds the zip's tree under
// /opt, where Lambda would have extracted it, so a container-image function takes it with
// `COPY --from=IMAGE /opt /opt`.
//
// The images are deterministic: the layer's bytes depend only on the zip's contents, and the config and
// manifests only on the zip and the Meta given (commit, commit time, source), never on the clock or the
// machine. The package reads zips; it does not build them, and it knows nothing of flags or GitHub.
package oci

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/lambda-layers/lambda-layers/internal/oci/layertar"
)

// Layer is one built layer zip for one target.
type Layer struct {
	Name    string // the layer's name, as in lambda-layers.yml
	Runtime string // python3.12
	Arch    string // x86_64 or arm64, as Lambda spells them
	Zip     string // path of the zip
	// SHA256 is the zip's sha256 in hex as the build report gives it. When set, the zip must still have
	// it (a zip changed since the report is refused); when empty it is computed.
	SHA256 string
	// Partial says the layer's other architectures are built elsewhere (a matrix leg): only this
	// architecture's tags are pushed, never the ones that name the layer for every architecture.
	Partial bool
}

// Meta is where the layer came from. Every field is optional; none is invented.
type Meta struct {
	Source   string    // repository URL: org.opencontainers.image.source
	Revision string    // commit: org.opencontainers.image.revision
	Created  time.Time // the commit's time: org.opencontainers.image.created; zero → 1970-01-01, and no annotation
}

// Annotation and label keys other than the OCI ones.
const (
	KeyLayer      = "io.github.lambda-layers.layer"
	KeyRuntime    = "io.github.lambda-layers.runtime"
	KeyCodeSHA256 = "io.github.lambda-layers.code-sha256" // base64(sha256(zip)), as Lambda's CodeSha256
	// KeyContent is the content hash the immutable tag is named after (hex): the zip's sha256 for an
	// image, the sha256 over its images' zips for an index. Push checks it before keeping a manifest.
	KeyContent = "io.github.lambda-layers.content"
)

var platforms = map[string]v1.Platform{
	"x86_64": {OS: "linux", Architecture: "amd64"},
	"arm64":  {OS: "linux", Architecture: "arm64"},
}

// Image is one layer zip as an image.
type Image struct {
	Layer
	v1.Image
	Platform v1.Platform
	// ZipSHA256 is the zip's sha256 in hex; its first 12 characters are the immutable tag's suffix.
	ZipSHA256 string
}

// NewImage hashes the zip and returns its image. The image is computed on first use (a pass over the
// zip for the layer's digests), so a push that finds the content already in the registry under its
// immutable tag never compresses the layer; the layer is produced again, streaming, each time it is
// read (push, layout).
func NewImage(l Layer, m Meta) (*Image, error) {
	plat, ok := platforms[l.Arch]
	if !ok {
		return nil, fmt.Errorf("layer %s: architecture %q is not x86_64 or arm64", l.Name, l.Arch)
	}
	if l.Name == "" || l.Runtime == "" {
		return nil, fmt.Errorf("layer zip %s: no layer name or runtime", l.Zip)
	}
	sum, err := fileSHA256(l.Zip)
	if err != nil {
		return nil, err
	}
	if l.SHA256 != "" && l.SHA256 != sum {
		return nil, fmt.Errorf("%s changed since the report was written (its sha256 is %s, the report says %s): build again", l.Zip, sum, l.SHA256)
	}
	li := &lazyImage{build: func() (v1.Image, error) { return buildImage(l, m, plat, sum) }}
	return &Image{Layer: l, Image: li, Platform: plat, ZipSHA256: sum}, nil
}

// buildImage computes the layer's digests (one pass over the zip) and the image's config and manifest.
func buildImage(l Layer, m Meta, plat v1.Platform, sum string) (v1.Image, error) {
	zl, err := newZipLayer(l.Zip)
	if err != nil {
		return nil, err
	}
	raw, _ := hex.DecodeString(sum)
	anns := m.annotations(l.Name, l.Runtime)
	anns[KeyCodeSHA256] = base64.StdEncoding.EncodeToString(raw)
	anns[KeyContent] = sum
	anns["org.opencontainers.image.description"] = fmt.Sprintf("Lambda layer %s for %s %s, under /opt", l.Name, l.Runtime, l.Arch)

	created := m.Created.UTC().Truncate(time.Second)
	if m.Created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	cfg := v1.ConfigFile{
		Architecture: plat.Architecture,
		OS:           plat.OS,
		Created:      v1.Time{Time: created},
		Config:       v1.Config{Labels: anns},
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{zl.diffID}},
		History: []v1.History{{
			Created:   v1.Time{Time: created},
			CreatedBy: fmt.Sprintf("lambda-layers: %s (%s %s) from %s", l.Name, l.Runtime, l.Arch, "sha256:"+sum),
		}},
	}
	rawCfg, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding image config: %w", err)
	}
	cfgHash, cfgSize, err := v1.SHA256(bytes.NewReader(rawCfg))
	if err != nil {
		return nil, err
	}
	man := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Size: cfgSize, Digest: cfgHash},
		Layers:        []v1.Descriptor{{MediaType: types.OCILayer, Size: zl.size, Digest: zl.digest}},
		Annotations:   anns,
	}
	rawMan, err := json.Marshal(man)
	if err != nil {
		return nil, fmt.Errorf("encoding image manifest: %w", err)
	}
	return partial.CompressedToImage(&core{config: rawCfg, manifest: rawMan, layer: zl})
}

// lazyImage is an image built on first use; every method returns the build's error if it failed.
type lazyImage struct {
	build func() (v1.Image, error)
	once  sync.Once
	img   v1.Image
	err   error
}

var _ v1.Image = (*lazyImage)(nil)

func (li *lazyImage) get() (v1.Image, error) {
	li.once.Do(func() { li.img, li.err = li.build() })
	return li.img, li.err
}

func (li *lazyImage) Layers() ([]v1.Layer, error) {
	img, err := li.get()
	if err != nil {
		return nil, err
	}
	return img.Layers()
}

func (li *lazyImage) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func (li *lazyImage) Size() (int64, error) {
	img, err := li.get()
	if err != nil {
		return 0, err
	}
	return img.Size()
}

func (li *lazyImage) ConfigName() (v1.Hash, error) {
	img, err := li.get()
	if err != nil {
		return v1.Hash{}, err
	}
	return img.ConfigName()
}

func (li *lazyImage) ConfigFile() (*v1.ConfigFile, error) {
	img, err := li.get()
	if err != nil {
		return nil, err
	}
	return img.ConfigFile()
}

func (li *lazyImage) RawConfigFile() ([]byte, error) {
	img, err := li.get()
	if err != nil {
		return nil, err
	}
	return img.RawConfigFile()
}

func (li *lazyImage) Digest() (v1.Hash, error) {
	img, err := li.get()
	if err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

func (li *lazyImage) Manifest() (*v1.Manifest, error) {
	img, err := li.get()
	if err != nil {
		return nil, err
	}
	return img.Manifest()
}

func (li *lazyImage) RawManifest() ([]byte, error) {
	img, err := li.get()
	if err != nil {
		return nil, err
	}
	return img.RawManifest()
}

func (li *lazyImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	img, err := li.get()
	if err != nil {
		return nil, err
	}
	return img.LayerByDigest(h)
}

func (li *lazyImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	img, err := li.get()
	if err != nil {
		return nil, err
	}
	return img.LayerByDiffID(h)
}

// annotations are the keys every image and index of a layer carries.
func (m Meta) annotations(name, runtime string) map[string]string {
	a := map[string]string{KeyLayer: name, KeyRuntime: runtime}
	if m.Source != "" {
		a["org.opencontainers.image.source"] = m.Source
	}
	if m.Revision != "" {
		a["org.opencontainers.image.revision"] = m.Revision
	}
	if !m.Created.IsZero() {
		a["org.opencontainers.image.created"] = m.Created.UTC().Format(time.RFC3339)
	}
	return a
}

// core is the image as go-containerregistry's partial package wants it: raw config and manifest, and
// the one layer.
type core struct {
	config, manifest []byte
	layer            *zipLayer
}

func (c *core) RawConfigFile() ([]byte, error)      { return c.config, nil }
func (c *core) RawManifest() ([]byte, error)        { return c.manifest, nil }
func (c *core) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (c *core) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == c.layer.digest {
		return c.layer, nil
	}
	return nil, fmt.Errorf("image has no layer %s", h)
}

// zipLayer is the gzipped tar of a zip, produced again from the zip each time it is read.
type zipLayer struct {
	zip            string
	digest, diffID v1.Hash
	size           int64
}

var _ partial.CompressedLayer = (*zipLayer)(nil)

// newZipLayer computes the layer's digest, diff ID and size in one pass.
func newZipLayer(zip string) (*zipLayer, error) {
	comp, unc := newCountWriter(), newCountWriter()
	if err := layertar.WriteGzip(comp, zip, unc.h); err != nil {
		return nil, err
	}
	return &zipLayer{
		zip:    zip,
		digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(comp.h.Sum(nil))},
		diffID: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(unc.h.Sum(nil))},
		size:   comp.n,
	}, nil
}

func (l *zipLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *zipLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *zipLayer) Size() (int64, error)                { return l.size, nil }
func (l *zipLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

// Compressed streams the layer through a pipe: nothing but the compressor's window is held. Closing the
// reader early stops the writer.
func (l *zipLayer) Compressed() (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(layertar.WriteGzip(pw, l.zip, nil)) }()
	return pr, nil
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("opening layer zip: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// countWriter counts and hashes what passes through.
type countWriter struct {
	h hash.Hash
	n int64
}

func newCountWriter() *countWriter { return &countWriter{h: sha256.New()} }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}
